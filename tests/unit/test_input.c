/*
 * test_input: drives svc_input against the test display and checks what an
 * X client (tests/bin/xevlog) sees: pointer position and buttons, text
 * typed in Map, Legacy and Translate modes, nothing left pressed after
 * svc_input_release_all, fairness under a flood, and latency.
 * Skips (77) without a display.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <xcb/xcb.h>
#include <xcb/xinput.h>

#include "common/err.h"
#include "server/svc/svc_input.h"
#include "tests/tst.h"

#define LINE_MAX_	256
#define WAIT_MS		3000

static struct event_base *base;
static struct svc_input *svc;
static xcb_connection_t *xc;		/* the test's own queries */
static xcb_window_t root;
static pid_t xev_pid = -1;
static int xev_fd = -1;
static char rbuf[1 << 16];
static size_t rlen;
static int marker_y = 1;

/* Microseconds of the monotonic clock. */
static long long
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Runs the loop until nothing is pending (svc_input flushes there). */
static void
pump(void)
{
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_loop(base, EVLOOP_NONBLOCK);
}

/* Reads one line from xevlog into line; 0 on timeout. */
static int
next_line(char *line, size_t size, int timeout_ms)
{
	long long end = mono_us() + timeout_ms * 1000LL;
	struct pollfd pfd;
	char *nl;
	ssize_t n;
	size_t len;

	for (;;) {
		if ((nl = memchr(rbuf, '\n', rlen)) != NULL) {
			len = (size_t)(nl - rbuf);
			if (len >= size)
				len = size - 1;
			memcpy(line, rbuf, len);
			line[len] = '\0';
			rlen -= (size_t)(nl - rbuf) + 1;
			memmove(rbuf, nl + 1, rlen);
			return 1;
		}
		if (rlen == sizeof(rbuf))
			TST_FAIL("xevlog line too long");
		pfd.fd = xev_fd;
		pfd.events = POLLIN;
		pump();
		if (poll(&pfd, 1, 5) < 0 && errno != EINTR)
			TST_FAIL("poll");
		if (pfd.revents & (POLLIN | POLLHUP)) {
			n = read(xev_fd, rbuf + rlen, sizeof(rbuf) - rlen);
			if (n <= 0)
				TST_FAIL("xevlog exited");
			rlen += (size_t)n;
		}
		if (mono_us() > end)
			return 0;
	}
}

/* Reads lines until one starting with kind; fails after WAIT_MS. */
static void
next_of(const char *kind, char *line, size_t size)
{
	size_t k = strlen(kind);

	for (;;) {
		if (!next_line(line, size, WAIT_MS))
			TST_FAIL("no \"%s\" line from xevlog", kind);
		if (strncmp(line, kind, k) == 0 && line[k] == ' ')
			return;
	}
}

/* Starts xevlog and waits for its window. */
static void
xevlog_start(void)
{
	const char *b = getenv("B");
	char path[512], line[LINE_MAX_];
	int p[2];

	snprintf(path, sizeof(path), "%s/tests/bin/xevlog", b ? b : "build");
	if (pipe(p) != 0)
		TST_FAIL("pipe");
	if ((xev_pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl(path, "xevlog", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	xev_fd = p[0];
	if (!next_line(line, sizeof(line), 5000) || strncmp(line, "ready", 5))
		TST_FAIL("xevlog did not start (%s)", path);
}

/* Stops xevlog. */
static void
xevlog_stop(void)
{
	if (xev_pid > 0) {
		kill(xev_pid, SIGTERM);
		waitpid(xev_pid, NULL, 0);
	}
	if (xev_fd >= 0)
		close(xev_fd);
}

/* Sends a mouse event from conn. */
static int
mouse(uint32_t conn, int mask, int x, int y, size_t nmods,
    Hbb__ControlKey *mods)
{
	Hbb__MouseEvent ev = HBB__MOUSE_EVENT__INIT;

	ev.mask = mask;
	ev.x = x;
	ev.y = y;
	ev.n_modifiers = nmods;
	ev.modifiers = mods;
	return svc_input_mouse(svc, conn, &ev);
}

/* Moves the pointer to a fresh spot and waits until xevlog sees it: every
 * event sent before has then been seen too. */
static void
marker(void)
{
	char line[LINE_MAX_], want[64];

	marker_y = marker_y % 50 + 1;
	ASSERT_INT_EQ(mouse(99, 0, 1, marker_y, 0, NULL), 0);
	snprintf(want, sizeof(want), " 1 %d", marker_y);
	for (;;) {
		next_of("motion", line, sizeof(line));
		if (strlen(line) > strlen(want) &&
		    strcmp(line + strlen(line) - strlen(want), want) == 0)
			return;
	}
}

/* Builds a KeyEvent. */
static void
kev_init(Hbb__KeyEvent *ev, int mode, int down, int press)
{
	hbb__key_event__init(ev);
	ev->mode = mode;
	ev->down = down;
	ev->press = press;
}

/* Map mode: keycode kc. */
static int
map_key(uint32_t conn, unsigned kc, int down, int press)
{
	Hbb__KeyEvent ev;

	kev_init(&ev, HBB__KEYBOARD_MODE__Map, down, press);
	ev.union_case = HBB__KEY_EVENT__UNION_CHR;
	ev.chr = kc;
	return svc_input_key(svc, conn, &ev);
}

/* Map mode key-down of kc on another service (a child's). */
static void
map_key_on(struct svc_input *s, unsigned kc)
{
	Hbb__KeyEvent ev;

	kev_init(&ev, HBB__KEYBOARD_MODE__Map, 1, 0);
	ev.union_case = HBB__KEY_EVENT__UNION_CHR;
	ev.chr = kc;
	svc_input_key(s, 7, &ev);
}

/* Legacy mode: character chr with modifiers. */
static int
legacy_chr(uint32_t conn, uint32_t chr, int down, int press, size_t nmods,
    Hbb__ControlKey *mods)
{
	Hbb__KeyEvent ev;

	kev_init(&ev, HBB__KEYBOARD_MODE__Legacy, down, press);
	ev.union_case = HBB__KEY_EVENT__UNION_CHR;
	ev.chr = chr;
	ev.n_modifiers = nmods;
	ev.modifiers = mods;
	return svc_input_key(svc, conn, &ev);
}

/* Legacy mode: named key ck with modifiers. */
static int
legacy_ck(uint32_t conn, int ck, int down, int press, size_t nmods,
    Hbb__ControlKey *mods)
{
	Hbb__KeyEvent ev;

	kev_init(&ev, HBB__KEYBOARD_MODE__Legacy, down, press);
	ev.union_case = HBB__KEY_EVENT__UNION_CONTROL_KEY;
	ev.control_key = ck;
	ev.n_modifiers = nmods;
	ev.modifiers = mods;
	return svc_input_key(svc, conn, &ev);
}

/* Text in mode (Legacy press or Translate down). */
static int
seq(uint32_t conn, int mode, const char *s)
{
	Hbb__KeyEvent ev;

	kev_init(&ev, mode, mode == HBB__KEYBOARD_MODE__Translate,
	    mode != HBB__KEYBOARD_MODE__Translate);
	ev.union_case = HBB__KEY_EVENT__UNION_SEQ;
	ev.seq = (char *)s;
	return svc_input_key(svc, conn, &ev);
}

/* Sends the marker and returns the text typed since the last call (key
 * presses with text), plus the keysym and state of the last press of
 * keysym want_ks in *ks_state (-1 if none). */
static void
typed(char *out, size_t size, unsigned want_ks, int *ks_state)
{
	char line[LINE_MAX_], word[8], hex[128];
	long long t;
	unsigned kc, ks, state, i;
	size_t len = 0;

	*out = '\0';
	if (ks_state != NULL)
		*ks_state = -1;
	marker_y = marker_y % 50 + 1;
	ASSERT_INT_EQ(mouse(99, 0, 1, marker_y, 0, NULL), 0);
	for (;;) {
		if (!next_line(line, sizeof(line), WAIT_MS))
			TST_FAIL("marker not seen");
		if (sscanf(line, "%7s %lld %u %x %u %127s", word, &t, &kc, &ks,
		    &state, hex) == 6 && strcmp(word, "kpress") == 0) {
			if (ks == want_ks && ks_state != NULL)
				*ks_state = (int)state;
			if (strcmp(hex, "-") == 0)
				continue;
			for (i = 0; hex[2 * i] && hex[2 * i + 1]; i++) {
				unsigned v;

				if (len + 1 >= size)
					TST_FAIL("too much text");
				sscanf(hex + 2 * i, "%2x", &v);
				out[len++] = (char)v;
			}
			out[len] = '\0';
			continue;
		}
		{
			int x, y;

			if (sscanf(line, "motion %lld %d %d", &t, &x,
			    &y) == 3 && x == 1 && y == marker_y)
				return;
		}
	}
}

/* Returns the keycode whose plain keysym is ks (test's own lookup). */
static unsigned
kc_of(unsigned ks)
{
	const xcb_setup_t *s = xcb_get_setup(xc);
	xcb_get_keyboard_mapping_reply_t *r;
	xcb_keysym_t *syms;
	unsigned n = s->max_keycode - s->min_keycode + 1, i, kc = 0;

	r = xcb_get_keyboard_mapping_reply(xc,
	    xcb_get_keyboard_mapping(xc, s->min_keycode, (uint8_t)n), NULL);
	ASSERT_TRUE(r != NULL);
	syms = xcb_get_keyboard_mapping_keysyms(r);
	for (i = 0; i < n && kc == 0; i++)
		if (syms[i * r->keysyms_per_keycode] == ks)
			kc = s->min_keycode + i;
	free(r);
	ASSERT_TRUE(kc != 0);
	return kc;
}

/* Counts the keys the server has down (the core keymap) and returns the
 * pointer's button and modifier mask in *mask. */
static int
keys_down(uint16_t *mask)
{
	xcb_query_keymap_reply_t *k;
	xcb_query_pointer_reply_t *p;
	int n = 0, i, b;

	k = xcb_query_keymap_reply(xc, xcb_query_keymap(xc), NULL);
	p = xcb_query_pointer_reply(xc, xcb_query_pointer(xc, root), NULL);
	ASSERT_TRUE(k != NULL && p != NULL);
	for (i = 0; i < 32; i++)
		for (b = 0; b < 8; b++)
			n += (k->keys[i] >> b) & 1;
	*mask = p->mask;
	free(k);
	free(p);
	return n;
}

/* Returns 1 when keycode kc is down on the server. */
static int
is_down(unsigned kc)
{
	xcb_query_keymap_reply_t *k;
	int r;

	k = xcb_query_keymap_reply(xc, xcb_query_keymap(xc), NULL);
	ASSERT_TRUE(k != NULL);
	r = (k->keys[kc >> 3] >> (kc & 7)) & 1;
	free(k);
	return r;
}

/* Parses "motion t x y" / "bpress t b x y s"; fails on anything else. */
static void
expect_motion(int x, int y)
{
	char line[LINE_MAX_];
	long long t;
	int gx, gy;

	next_of("motion", line, sizeof(line));
	if (sscanf(line, "motion %lld %d %d", &t, &gx, &gy) != 3)
		TST_FAIL("bad line %s", line);
	if (gx != x || gy != y)
		TST_FAIL("motion at %d,%d, want %d,%d", gx, gy, x, y);
}

/* Waits for a button line of kind and checks button and position; returns
 * the state. */
static unsigned
expect_button(const char *kind, unsigned b, int x, int y)
{
	char line[LINE_MAX_];
	long long t;
	unsigned gb, st;
	int gx, gy;

	next_of(kind, line, sizeof(line));
	if (sscanf(line + strlen(kind), " %lld %u %d %d %u", &t, &gb, &gx, &gy,
	    &st) != 5)
		TST_FAIL("bad line %s", line);
	if (gb != b || gx != x || gy != y)
		TST_FAIL("%s: %s, want button %u at %d,%d", kind, line, b,
		    x, y);
	return st;
}

/* Moves and clicks reach the client where they should. */
static void
test_mouse(void)
{
	Hbb__ControlKey ctrl[] = { HBB__CONTROL_KEY__Control };
	uint16_t mask;
	int64_t t0 = (int64_t)time(NULL) * 1000;
	uint32_t who;
	unsigned st;

	ASSERT_INT_EQ(mouse(1, 0, 100, 200, 0, NULL), 0);
	expect_motion(100, 200);
	ASSERT_TRUE(svc_input_last_move_ms(svc, &who) >= t0);
	ASSERT_INT_EQ(who, 1);
	/* Flutter's down/up at 0,0: at the current position. */
	ASSERT_INT_EQ(mouse(1, 9, 0, 0, 0, NULL), 0);
	expect_button("bpress", 1, 100, 200);
	ASSERT_INT_EQ(mouse(1, 10, 0, 0, 0, NULL), 0);
	expect_button("brelease", 1, 100, 200);
	ASSERT_TRUE(svc_input_last_click_ms(svc) >= t0);
	/* Right, middle, back, forward. */
	ASSERT_INT_EQ(mouse(1, 17, 0, 0, 0, NULL), 0);
	ASSERT_INT_EQ(mouse(1, 18, 0, 0, 0, NULL), 0);
	expect_button("bpress", 3, 100, 200);
	expect_button("brelease", 3, 100, 200);
	ASSERT_INT_EQ(mouse(1, 33, 0, 0, 0, NULL), 0);
	ASSERT_INT_EQ(mouse(1, 34, 0, 0, 0, NULL), 0);
	expect_button("bpress", 2, 100, 200);
	ASSERT_INT_EQ(mouse(1, 0x08 << 3 | 1, 0, 0, 0, NULL), 0);
	ASSERT_INT_EQ(mouse(1, 0x08 << 3 | 2, 0, 0, 0, NULL), 0);
	expect_button("bpress", 8, 100, 200);
	ASSERT_INT_EQ(mouse(1, 0x10 << 3 | 1, 0, 0, 0, NULL), 0);
	ASSERT_INT_EQ(mouse(1, 0x10 << 3 | 2, 0, 0, 0, NULL), 0);
	expect_button("bpress", 9, 100, 200);
	/* Wheel: y > 0 scrolls up (button 4), x > 0 left (button 6). */
	ASSERT_INT_EQ(mouse(1, 3, 0, 1, 0, NULL), 0);
	expect_button("bpress", 4, 100, 200);
	ASSERT_INT_EQ(mouse(1, 3, 0, -2, 0, NULL), 0);
	expect_button("bpress", 5, 100, 200);
	expect_button("bpress", 5, 100, 200);
	ASSERT_INT_EQ(mouse(1, 4, -1, 0, 0, NULL), 0);
	expect_button("bpress", 7, 100, 200);
	/* Clamped to the screen (1280x800 under tests/run.sh). */
	ASSERT_INT_EQ(mouse(1, 0, 5000, -30, 0, NULL), 0);
	expect_motion(1279, 0);
	/* Relative moves, clamped to ±10000 and then to the screen. */
	ASSERT_INT_EQ(mouse(1, 0, 100, 100, 0, NULL), 0);
	expect_motion(100, 100);
	ASSERT_INT_EQ(mouse(1, 5, 10, -5, 0, NULL), 0);
	expect_motion(110, 95);
	ASSERT_INT_EQ(mouse(1, 5, -50000, 0, 0, NULL), 0);
	expect_motion(0, 95);
	/* Older clients: a position with the button. */
	ASSERT_INT_EQ(mouse(1, 9, 300, 400, 0, NULL), 0);
	expect_motion(300, 400);
	expect_button("bpress", 1, 300, 400);
	ASSERT_INT_EQ(mouse(1, 10, 0, 0, 0, NULL), 0);
	expect_button("brelease", 1, 300, 400);
	/* Ctrl+click: Ctrl is down for the press and released after. */
	ASSERT_INT_EQ(mouse(1, 9, 0, 0, 1, ctrl), 0);
	st = expect_button("bpress", 1, 300, 400);
	ASSERT_TRUE(st & XCB_MOD_MASK_CONTROL);
	ASSERT_INT_EQ(mouse(1, 10, 0, 0, 0, NULL), 0);
	st = expect_button("brelease", 1, 300, 400);
	ASSERT_TRUE(!(st & XCB_MOD_MASK_CONTROL));
	ASSERT_INT_EQ(keys_down(&mask), 0);
	/* Masks it ignores. */
	ASSERT_INT_EQ(mouse(1, 6, 0, 0, 0, NULL), ERR_INVAL);
	ASSERT_INT_EQ(mouse(1, (0x03 << 3) | 1, 0, 0, 0, NULL), ERR_INVAL);
	ASSERT_INT_EQ(mouse(1, 1, 0, 0, 0, NULL), ERR_INVAL);
	ASSERT_INT_EQ(mouse(1, 3, 0, 0x7fffffff, 0, NULL), 0);	/* clamped */
	marker();
	svc_input_release_all(svc, 1);
}

/* Map mode: X keycodes type "Hi!" and Ctrl+A; CapsLock state follows the
 * event. */
static void
test_map(void)
{
	Hbb__ControlKey caps[] = { HBB__CONTROL_KEY__CapsLock };
	unsigned sh = kc_of(0xffe1), ct = kc_of(0xffe3), h = kc_of('h'),
	    i = kc_of('i'), one = kc_of('1'), a = kc_of('a');
	Hbb__KeyEvent ev;
	char text[256];
	uint16_t mask;
	int st;

	ASSERT_INT_EQ(map_key(1, sh, 1, 0), 0);
	ASSERT_INT_EQ(map_key(1, h, 0, 1), 0);
	ASSERT_INT_EQ(map_key(1, sh, 0, 0), 0);
	ASSERT_INT_EQ(map_key(1, i, 1, 0), 0);
	ASSERT_INT_EQ(map_key(1, i, 0, 0), 0);
	ASSERT_INT_EQ(map_key(1, sh, 1, 0), 0);
	ASSERT_INT_EQ(map_key(1, one, 1, 0), 0);
	ASSERT_INT_EQ(map_key(1, one, 0, 0), 0);
	ASSERT_INT_EQ(map_key(1, sh, 0, 0), 0);
	ASSERT_INT_EQ(map_key(1, ct, 1, 0), 0);
	ASSERT_INT_EQ(map_key(1, a, 0, 1), 0);
	ASSERT_INT_EQ(map_key(1, ct, 0, 0), 0);
	typed(text, sizeof(text), 'a', &st);
	ASSERT_STR_EQ(text, "Hi!\001");
	ASSERT_TRUE(st >= 0 && (st & XCB_MOD_MASK_CONTROL));
	/* The peer's CapsLock is on: 'h' comes out upper case, and the host's
	 * lock is back off afterwards. */
	kev_init(&ev, HBB__KEYBOARD_MODE__Map, 1, 1);
	ev.union_case = HBB__KEY_EVENT__UNION_CHR;
	ev.chr = h;
	ev.n_modifiers = 1;
	ev.modifiers = caps;
	ASSERT_INT_EQ(svc_input_key(svc, 1, &ev), 0);
	typed(text, sizeof(text), 0, NULL);
	ASSERT_STR_EQ(text, "H");
	ASSERT_INT_EQ(keys_down(&mask), 0);
	ASSERT_TRUE(!(mask & XCB_MOD_MASK_LOCK));
	ASSERT_INT_EQ(map_key(1, 3, 1, 0), ERR_INVAL);
	ASSERT_INT_EQ(map_key(1, 300, 1, 0), ERR_INVAL);
	svc_input_release_all(svc, 1);
}

/* Legacy mode: chr + modifiers, named keys, seq and unicode. */
static void
test_legacy(void)
{
	Hbb__ControlKey shift[] = { HBB__CONTROL_KEY__Shift };
	Hbb__ControlKey ctrl[] = { HBB__CONTROL_KEY__Control };
	Hbb__KeyEvent ev;
	int64_t t0;
	char text[256];
	uint16_t mask;
	int st;

	ASSERT_INT_EQ(legacy_chr(2, 'h', 1, 0, 1, shift), 0);
	ASSERT_INT_EQ(legacy_chr(2, 'h', 0, 0, 1, shift), 0);
	ASSERT_INT_EQ(legacy_chr(2, 'i', 1, 0, 0, NULL), 0);
	ASSERT_INT_EQ(legacy_chr(2, 'i', 0, 0, 0, NULL), 0);
	ASSERT_INT_EQ(legacy_chr(2, '1', 0, 1, 1, shift), 0);
	/* Shift held as a named key, then a letter. */
	ASSERT_INT_EQ(legacy_ck(2, HBB__CONTROL_KEY__Shift, 1, 0, 0, NULL), 0);
	ASSERT_INT_EQ(legacy_chr(2, 'x', 0, 1, 1, shift), 0);
	ASSERT_INT_EQ(legacy_ck(2, HBB__CONTROL_KEY__Shift, 0, 0, 1, shift),
	    0);
	ASSERT_INT_EQ(legacy_ck(2, HBB__CONTROL_KEY__Space, 0, 1, 0, NULL), 0);
	ASSERT_INT_EQ(seq(2, HBB__KEYBOARD_MODE__Legacy, "Ok?"), 0);
	kev_init(&ev, HBB__KEYBOARD_MODE__Legacy, 0, 1);
	ev.union_case = HBB__KEY_EVENT__UNION_UNICODE;
	ev.unicode = 0xe9;
	ASSERT_INT_EQ(svc_input_key(svc, 2, &ev), 0);
	typed(text, sizeof(text), 0, NULL);
	ASSERT_STR_EQ(text, "Hi!X Ok?\xc3\xa9");

	/* Ctrl+A as chr + modifiers. */
	ASSERT_INT_EQ(legacy_chr(2, 'a', 1, 0, 1, ctrl), 0);
	ASSERT_INT_EQ(legacy_chr(2, 'a', 0, 0, 1, ctrl), 0);
	typed(text, sizeof(text), 'a', &st);
	ASSERT_STR_EQ(text, "\001");
	ASSERT_TRUE(st >= 0 && (st & XCB_MOD_MASK_CONTROL));
	/* A Control whose key-up got lost is released by the next event
	 * that does not list it. */
	ASSERT_INT_EQ(legacy_ck(2, HBB__CONTROL_KEY__Control, 1, 0, 0, NULL),
	    0);
	ASSERT_INT_EQ(legacy_chr(2, 'b', 0, 1, 0, NULL), 0);
	typed(text, sizeof(text), 'b', &st);
	ASSERT_STR_EQ(text, "b");
	ASSERT_TRUE(st >= 0 && !(st & XCB_MOD_MASK_CONTROL));
	/* Enter counts for the click guard. */
	t0 = svc_input_last_click_ms(svc);
	usleep(2000);
	ASSERT_INT_EQ(legacy_ck(2, HBB__CONTROL_KEY__Return, 0, 1, 0, NULL), 0);
	typed(text, sizeof(text), 0xff0d, &st);
	ASSERT_TRUE(st >= 0);
	ASSERT_TRUE(svc_input_last_click_ms(svc) > t0);
	/* A named key the layout lacks goes through a slot (F12 exists;
	 * VolumeMute may not). */
	ASSERT_INT_EQ(legacy_ck(2, HBB__CONTROL_KEY__VolumeMute, 0, 1, 0,
	    NULL), 0);
	typed(text, sizeof(text), 0x1008ff12, &st);
	ASSERT_TRUE(st >= 0);
	ASSERT_INT_EQ(legacy_ck(2, 99, 1, 0, 0, NULL), ERR_INVAL);
	ASSERT_INT_EQ(legacy_chr(2, 0xd800, 1, 0, 0, NULL), ERR_INVAL);
	ASSERT_INT_EQ(legacy_chr(2, 0x110000, 1, 0, 0, NULL), ERR_INVAL);
	svc_input_release_all(svc, 2);
	marker();
	ASSERT_INT_EQ(keys_down(&mask), 0);
}

/* Translate mode: text the layout lacks is typed through a temporary
 * mapping; chr is a position code. */
static void
test_translate(void)
{
	unsigned sh = kc_of(0xffe1);
	Hbb__KeyEvent ev;
	char text[256];
	uint16_t mask;

	ASSERT_INT_EQ(seq(3, HBB__KEYBOARD_MODE__Translate, "\xc3\xa9"), 0);
	ASSERT_INT_EQ(seq(3, HBB__KEYBOARD_MODE__Translate,
	    "\xe2\x82\xac"), 0);
	ASSERT_INT_EQ(seq(3, HBB__KEYBOARD_MODE__Translate, "aZ"), 0);
	/* Shift held by position code, then "1" from a layout where Shift
	 * makes "1": Shift is released so "1" comes out. */
	kev_init(&ev, HBB__KEYBOARD_MODE__Translate, 1, 0);
	ev.union_case = HBB__KEY_EVENT__UNION_CHR;
	ev.chr = sh;
	ASSERT_INT_EQ(svc_input_key(svc, 3, &ev), 0);
	ASSERT_INT_EQ(seq(3, HBB__KEYBOARD_MODE__Translate, "1"), 0);
	ev.down = 0;
	ASSERT_INT_EQ(svc_input_key(svc, 3, &ev), 0);
	/* Many distinct characters the layout lacks, more than once. */
	ASSERT_INT_EQ(seq(3, HBB__KEYBOARD_MODE__Translate,
	    "\xc3\xa9\xc3\xa0\xc3\xbc\xc3\xb1\xe2\x82\xac\xc3\xa9"), 0);
	/* Invalid UTF-8 types U+FFFD, never crashes. */
	ASSERT_INT_EQ(seq(3, HBB__KEYBOARD_MODE__Translate, "\xff"), 0);
	typed(text, sizeof(text), 0, NULL);
	ASSERT_STR_EQ(text, "\xc3\xa9\xe2\x82\xac" "aZ1"
	    "\xc3\xa9\xc3\xa0\xc3\xbc\xc3\xb1\xe2\x82\xac\xc3\xa9"
	    "\xef\xbf\xbd");
	kev_init(&ev, HBB__KEYBOARD_MODE__Translate, 1, 0);
	ev.union_case = HBB__KEY_EVENT__UNION_WIN2WIN_HOTKEY;
	ASSERT_INT_EQ(svc_input_key(svc, 3, &ev), ERR_UNSUPP);
	kev_init(&ev, HBB__KEYBOARD_MODE__Translate, 1, 0);
	ASSERT_INT_EQ(svc_input_key(svc, 3, &ev), ERR_INVAL);
	svc_input_release_all(svc, 3);
	marker();
	ASSERT_INT_EQ(keys_down(&mask), 0);
}

/* Nothing stays pressed after svc_input_release_all, and one
 * connection's release does not lift another's key. */
static void
test_release_all(void)
{
	Hbb__PointerDeviceEvent pev = HBB__POINTER_DEVICE_EVENT__INIT;
	Hbb__TouchEvent tev = HBB__TOUCH_EVENT__INIT;
	Hbb__TouchScaleUpdate sc = HBB__TOUCH_SCALE_UPDATE__INIT;
	Hbb__ControlKey altshift[] = { HBB__CONTROL_KEY__Alt,
	    HBB__CONTROL_KEY__Shift };
	unsigned sh = kc_of(0xffe1), ct = kc_of(0xffe3), q = kc_of('q');
	uint16_t mask;
	unsigned st;

	/* Legacy events list what the peer holds (an unlisted modifier the
	 * connection holds would be released as a lost key-up). */
	ASSERT_INT_EQ(legacy_ck(1, HBB__CONTROL_KEY__Alt, 1, 0, 0, NULL), 0);
	ASSERT_INT_EQ(map_key(1, sh, 1, 0), 0);
	ASSERT_INT_EQ(map_key(1, q, 1, 0), 0);
	ASSERT_INT_EQ(mouse(1, 9, 0, 0, 2, altshift), 0);
	ASSERT_INT_EQ(mouse(1, 17, 0, 0, 2, altshift), 0);
	ASSERT_INT_EQ(map_key(2, ct, 1, 0), 0);
	ASSERT_INT_EQ(map_key(2, sh, 1, 0), 0);
	ASSERT_INT_EQ(map_key(2, sh, 0, 0), 0);	/* conn 1 still holds it */
	marker();
	ASSERT_INT_EQ(keys_down(&mask), 4);
	ASSERT_TRUE(mask & XCB_BUTTON_MASK_1);
	ASSERT_TRUE(mask & XCB_BUTTON_MASK_3);
	ASSERT_TRUE(is_down(sh) && is_down(q) && is_down(ct));
	svc_input_release_all(svc, 1);
	marker();
	ASSERT_INT_EQ(keys_down(&mask), 1);
	ASSERT_TRUE(is_down(ct));
	ASSERT_TRUE(!(mask & (XCB_BUTTON_MASK_1 | XCB_BUTTON_MASK_3)));
	svc_input_release_all(svc, 2);
	marker();
	ASSERT_INT_EQ(keys_down(&mask), 0);

	/* A pinch holds Ctrl and scrolls; release_all ends it. */
	pev.union_case = HBB__POINTER_DEVICE_EVENT__UNION_TOUCH_EVENT;
	pev.touch_event = &tev;
	tev.union_case = HBB__TOUCH_EVENT__UNION_SCALE_UPDATE;
	tev.scale_update = &sc;
	sc.scale = 250;
	ASSERT_INT_EQ(svc_input_pointer(svc, 4, &pev), 0);
	st = expect_button("bpress", 4, 1, marker_y);
	ASSERT_TRUE(st & XCB_MOD_MASK_CONTROL);
	expect_button("bpress", 4, 1, marker_y);
	marker();
	ASSERT_TRUE(is_down(ct));
	sc.scale = 0;
	ASSERT_INT_EQ(svc_input_pointer(svc, 4, &pev), 0);
	marker();
	ASSERT_INT_EQ(keys_down(&mask), 0);
	sc.scale = -300;
	ASSERT_INT_EQ(svc_input_pointer(svc, 4, &pev), 0);
	svc_input_release_all(svc, 4);
	marker();
	ASSERT_INT_EQ(keys_down(&mask), 0);
	tev.union_case = HBB__TOUCH_EVENT__UNION_PAN_START;
	ASSERT_INT_EQ(svc_input_pointer(svc, 4, &pev), 0);	/* ignored */
	pev.union_case = HBB__POINTER_DEVICE_EVENT__UNION__NOT_SET;
	ASSERT_INT_EQ(svc_input_pointer(svc, 4, &pev), ERR_INVAL);
	svc_input_release_all(svc, 4);
	marker();
}

/* Counts physical (non-XTEST) slave devices: *on receives how many are
 * enabled. */
static int
devices(int *on)
{
	xcb_input_xi_query_device_reply_t *r;
	xcb_input_xi_device_info_iterator_t it;
	xcb_input_xi_device_info_t *d;
	int n = 0;

	*on = 0;
	r = xcb_input_xi_query_device_reply(xc,
	    xcb_input_xi_query_device(xc, XCB_INPUT_DEVICE_ALL), NULL);
	ASSERT_TRUE(r != NULL);
	for (it = xcb_input_xi_query_device_infos_iterator(r); it.rem > 0;
	    xcb_input_xi_device_info_next(&it)) {
		d = it.data;
		if ((d->type != XCB_INPUT_DEVICE_TYPE_SLAVE_POINTER &&
		    d->type != XCB_INPUT_DEVICE_TYPE_SLAVE_KEYBOARD &&
		    d->type != XCB_INPUT_DEVICE_TYPE_FLOATING_SLAVE) ||
		    memmem(xcb_input_xi_device_info_name(d),
		    (size_t)xcb_input_xi_device_info_name_length(d), "XTEST",
		    5) != NULL)
			continue;
		n++;
		*on += d->enabled != 0;
	}
	free(r);
	return n;
}

/* Block input disables the physical devices, not XTest; off and a restart
 * after a crash enable them again. */
static void
test_block(void)
{
	struct svc_input *svc2;
	char *cause = NULL;
	int n, on;
	xcb_input_xi_query_version_reply_t *v;

	v = xcb_input_xi_query_version_reply(xc,
	    xcb_input_xi_query_version(xc, 2, 0), NULL);
	ASSERT_TRUE(v != NULL);
	free(v);
	n = devices(&on);
	ASSERT_INT_EQ(on, n);
	ASSERT_INT_EQ(svc_input_block(svc, 1), 0);
	ASSERT_INT_EQ(svc_input_blocked(svc), 1);
	marker();	/* XTest still reaches the client */
	ASSERT_INT_EQ(devices(&on), n);
	ASSERT_INT_EQ(on, 0);
	fprintf(stderr, "block: %d physical devices disabled\n", n);
	ASSERT_INT_EQ(svc_input_block(svc, 0), 0);
	marker();
	devices(&on);
	ASSERT_INT_EQ(on, n);
	/* A new instance re-enables what a crashed one disabled. */
	ASSERT_INT_EQ(svc_input_block(svc, 1), 0);
	marker();
	svc2 = svc_input_new(base, NULL, &cause);
	ASSERT_TRUE(svc2 != NULL);
	svc_input_free(svc2);
	devices(&on);
	ASSERT_INT_EQ(on, n);
	ASSERT_INT_EQ(svc_input_block(svc, 0), 0);
	ASSERT_INT_EQ(svc_input_blocked(svc), 0);
	marker();
}

/* Keys and buttons an instance held when it died are released by the
 * next one; keys another client holds through XTest are not our business
 * but the local user's are never touched (the server drops the release). */
static void
test_crash_recovery(void)
{
	struct svc_input *svc2;
	char *cause = NULL;
	unsigned sh = kc_of(0xffe1), q = kc_of('q'), w = kc_of('w');
	uint16_t mask;
	pid_t pid;
	int status;

	if ((pid = fork()) == 0) {
		struct event_base *b = event_base_new();
		struct svc_input *s = svc_input_new(b, NULL, &cause);
		Hbb__MouseEvent ev = HBB__MOUSE_EVENT__INIT;

		if (s == NULL)
			_exit(2);
		ev.mask = 9;
		svc_input_mouse(s, 7, &ev);
		map_key_on(s, sh);
		/* A letter key asks the server for the lock state: a round
		 * trip, so everything before it has been processed. */
		map_key_on(s, q);
		event_base_loop(b, EVLOOP_NONBLOCK);
		/* Another letter's lock-state round trip makes sure the X
		 * server has handled q's press before we die: a press still
		 * in flight when the parent looks made this test flaky. */
		map_key_on(s, w);
		_exit(0);	/* "crash": no release, no free */
	}
	ASSERT_TRUE(pid > 0);
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_TRUE(is_down(sh));
	ASSERT_TRUE(is_down(q));
	keys_down(&mask);
	ASSERT_TRUE(mask & XCB_BUTTON_MASK_1);
	svc2 = svc_input_new(base, NULL, &cause);
	ASSERT_TRUE(svc2 != NULL);
	svc_input_free(svc2);
	ASSERT_INT_EQ(keys_down(&mask), 0);
	ASSERT_TRUE(!(mask & XCB_BUTTON_MASK_1));
	marker();
}

/* A move to no display releases what peers hold there and refuses input
 * until the next move; back on a display input works again. */
static void
test_move(void)
{
	unsigned q = kc_of('q');
	char *cause = NULL;
	uint16_t mask;

	ASSERT_INT_EQ(map_key(1, q, 1, 0), 0);
	ASSERT_INT_EQ(mouse(1, 9, 0, 0, 0, NULL), 0);
	marker();
	ASSERT_TRUE(is_down(q));
	keys_down(&mask);
	ASSERT_TRUE(mask & XCB_BUTTON_MASK_1);
	ASSERT_INT_EQ(svc_input_move(svc, NULL, &cause), 0);
	ASSERT_TRUE(cause == NULL);
	ASSERT_INT_EQ(keys_down(&mask), 0);
	ASSERT_TRUE(!(mask & XCB_BUTTON_MASK_1));
	ASSERT_INT_EQ(mouse(1, 0, 5, 5, 0, NULL), ERR_IO);
	ASSERT_INT_EQ(map_key(1, q, 1, 0), ERR_IO);
	ASSERT_INT_EQ(svc_input_block(svc, 1), ERR_IO);
	ASSERT_INT_EQ(svc_input_move(svc, ":65000", &cause), ERR_IO);
	ASSERT_TRUE(cause != NULL);
	free(cause);
	ASSERT_INT_EQ(mouse(1, 0, 5, 5, 0, NULL), ERR_IO);
	ASSERT_INT_EQ(svc_input_move(svc, getenv("DISPLAY"), &cause), 0);
	/* The released key stays released; new input arrives. */
	marker();
	ASSERT_INT_EQ(keys_down(&mask), 0);
	ASSERT_INT_EQ(map_key(1, q, 1, 1), 0);
	marker();
	ASSERT_INT_EQ(keys_down(&mask), 0);
	svc_input_release_all(svc, 1);
}

/* Compares long longs for qsort. */
static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * One flood of n moves from conn 1, then a click from conn 2: returns the
 * microseconds from conn 2's call until xevlog sees the press, and the
 * number of conn 1 moves that reached the client in *moves.
 */
static long long
flood_once(int n, int *moves)
{
	char line[LINE_MAX_];
	long long t0, t, lat = -1;
	int i, x, y;
	unsigned b;

	*moves = 0;
	marker();
	for (i = 0; i < n; i++)
		mouse(1, 0, 200 + i % 600, 300 + (i / 600) % 300, 0, NULL);
	t0 = mono_us();
	ASSERT_INT_EQ(mouse(2, 17, 0, 0, 0, NULL), 0);
	ASSERT_INT_EQ(mouse(2, 18, 0, 0, 0, NULL), 0);
	pump();
	for (;;) {
		if (!next_line(line, sizeof(line), WAIT_MS))
			TST_FAIL("conn 2's click never arrived");
		if (sscanf(line, "motion %lld %d %d", &t, &x, &y) == 3) {
			(*moves)++;
			continue;
		}
		if (sscanf(line, "bpress %lld %u", &t, &b) == 2 && b == 3) {
			lat = t - t0;
			break;
		}
	}
	/* Let the coalesced tail through and drain it. */
	usleep(20000);
	marker();
	svc_input_release_all(svc, 1);
	svc_input_release_all(svc, 2);
	return lat;
}

/* A flood from one peer does not delay another's event. */
static void
test_fairness(void)
{
	long long on, off;
	int moves_on, moves_off, i, drops = 0;
	uint64_t d0;
	unsigned x = kc_of('x');
	char text[8192];

	svc_input_set_limits(svc, SVC_INPUT_RATE, SVC_INPUT_BURST);
	on = flood_once(20000, &moves_on);
	svc_input_set_limits(svc, 0, 1);
	off = flood_once(20000, &moves_off);
	svc_input_set_limits(svc, SVC_INPUT_RATE, SVC_INPUT_BURST);
	fprintf(stderr, "fairness: 20000 moves from conn 1, then conn 2's "
	    "click seen after %.2f ms (limiter on, %d moves reached the "
	    "client) vs %.2f ms (limiter off, %d moves)\n", on / 1000.0,
	    moves_on, off / 1000.0, moves_off);
	ASSERT_TRUE(on < 50000);
	ASSERT_TRUE(moves_on <= SVC_INPUT_BURST + 100);
	/* Key presses over budget are dropped (never releases). */
	d0 = svc_input_dropped(svc);
	for (i = 0; i < 2000; i++)
		if (map_key(1, x, 0, 1) == ERR_DENIED)
			drops++;
	typed(text, sizeof(text), 0, NULL);
	ASSERT_TRUE(drops >= 1000);
	ASSERT_INT_EQ(svc_input_dropped(svc) - d0, drops);
	ASSERT_INT_EQ((int)strlen(text), 2000 - drops);
	svc_input_release_all(svc, 1);
}

/* Input latency: svc_input call -> event seen by xevlog, p50/p99. */
static void
test_latency(void)
{
	enum { N = 1000 };
	static long long lat[N];
	char line[LINE_MAX_], word[16];
	unsigned kx = kc_of('x');
	long long t0, t;
	int i, x, y;

	svc_input_set_limits(svc, 0, 1);	/* measure injection alone */
	marker();
	for (i = 0; i < N; i++) {
		int want = 100 + i % 500;

		t0 = mono_us();
		ASSERT_INT_EQ(mouse(5, 0, want, 600, 0, NULL), 0);
		pump();
		for (;;) {
			next_of("motion", line, sizeof(line));
			if (sscanf(line, "motion %lld %d %d", &t, &x, &y) ==
			    3 && x == want && y == 600)
				break;
		}
		lat[i] = t - t0;
	}
	qsort(lat, N, sizeof(lat[0]), cmp_ll);
	fprintf(stderr, "latency: mouse move %d events p50 %.3f ms p99 %.3f ms"
	    " max %.3f ms\n", N, lat[N / 2] / 1000.0, lat[N * 99 / 100] /
	    1000.0, lat[N - 1] / 1000.0);
	for (i = 0; i < N; i++) {
		t0 = mono_us();
		ASSERT_INT_EQ(map_key(5, kx, 1, 0), 0);
		pump();
		for (;;) {
			if (!next_line(line, sizeof(line), WAIT_MS))
				TST_FAIL("key never seen");
			if (sscanf(line, "%15s %lld", word, &t) == 2 &&
			    strcmp(word, "kpress") == 0)
				break;
		}
		lat[i] = t - t0;
		ASSERT_INT_EQ(map_key(5, kx, 0, 0), 0);
	}
	qsort(lat, N, sizeof(lat[0]), cmp_ll);
	fprintf(stderr, "latency: Map key %d events p50 %.3f ms p99 %.3f ms "
	    "max %.3f ms\n", N, lat[N / 2] / 1000.0, lat[N * 99 / 100] /
	    1000.0, lat[N - 1] / 1000.0);
	svc_input_set_limits(svc, SVC_INPUT_RATE, SVC_INPUT_BURST);
	svc_input_release_all(svc, 5);
	marker();
}

int
main(void)
{
	const xcb_setup_t *setup;
	char *cause = NULL;
	uint16_t mask;
	int screen = 0;

	alarm(120);	/* a hang is a failure */
	if (getenv("DISPLAY") == NULL) {
		printf("no DISPLAY\n");
		return 77;
	}
	xc = xcb_connect(NULL, &screen);
	if (xcb_connection_has_error(xc)) {
		printf("cannot open display\n");
		return 77;
	}
	setup = xcb_get_setup(xc);
	root = xcb_setup_roots_iterator(setup).data->root;
	base = event_base_new();
	ASSERT_TRUE(base != NULL);
	svc = svc_input_new(base, NULL, &cause);
	if (svc == NULL)
		TST_FAIL("svc_input_new: %s", cause);
	xevlog_start();

	TST_RUN(test_mouse);
	TST_RUN(test_map);
	TST_RUN(test_legacy);
	TST_RUN(test_translate);
	TST_RUN(test_release_all);
	TST_RUN(test_block);
	TST_RUN(test_crash_recovery);
	TST_RUN(test_move);
	TST_RUN(test_fairness);
	TST_RUN(test_latency);

	svc_input_free(svc);
	/* Nothing held, and the temporary mappings are gone. */
	ASSERT_INT_EQ(keys_down(&mask), 0);
	{
		xcb_get_keyboard_mapping_reply_t *r;
		xcb_keysym_t *syms;
		int n, i;

		r = xcb_get_keyboard_mapping_reply(xc, xcb_get_keyboard_mapping(
		    xc, setup->min_keycode, (uint8_t)(setup->max_keycode -
		    setup->min_keycode + 1)), NULL);
		ASSERT_TRUE(r != NULL);
		syms = xcb_get_keyboard_mapping_keysyms(r);
		n = xcb_get_keyboard_mapping_keysyms_length(r);
		for (i = 0; i < n; i++)
			if (syms[i] == 0xe9 || syms[i] == 0x10020ac)
				TST_FAIL("temporary mapping left behind");
		free(r);
	}
	xevlog_stop();
	event_base_free(base);
	xcb_disconnect(xc);
	return 0;
}
