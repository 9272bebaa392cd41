/*
 * main.c: the test peer's command line. Each command prints one result
 * line that tests grep for, and exits 0 when the exchange completed (the
 * result itself is the test's business).
 *
 *   peer [-h HOST] -p PORT [-u USERNAME] [-w PASSWORD] [-c CODEC] [-F FPS]
 *        [-k KIND] CMD [ARGS]  (-c: the codec to prefer; -F: custom_fps to
 *                        ask; -k: log in for "file" transfer or a
 *                        "terminal", login only; default remote control)
 *   -A BYTES             logins carry a data: URI avatar of BYTES bytes
 *   -4                   ask for 4:4:4 ("true colour") at login
 *   peer -R HBBS:PORT -K KEY -i ID [-P] [-u ...] [-w ...] CMD [ARGS]
 *                        the same through hbbs/hbbr (rdv_dial.h); -P lets
 *                        the host punch instead of relaying
 *   login                one login: PEERINFO ... | ERROR <text> | CLOSED <reason> | EOF
 *   retry N              N logins on one connection (after Wrong Password)
 *   raw HEX              after Hash, send bytes as they are; CLOSED <ms> | OPEN
 *   idle                 never answer; print CLOSED <seconds> when the host closes
 *   hold N SECS          hold N logged-in sessions; print HELD N, exit after SECS
 *   session              log in and report events (PEERINFO, also when the
 *                        host's displays change, ERROR, PERMISSION
 *                        <n> <0|1>, CHAT <text>, CLOSED <reason>, EOF) as
 *                        they come; stdin lines "chat TEXT", "mouse MASK X Y",
 *                        "map KEYCODE DOWN" (Map mode), "chr CHAR DOWN [shift]
 *                        [ctrl]" (Legacy mode), "option NAME yes|no",
 *                        "clip TEXT", "i444 0|1" (toggle true colour:
 *                        Misc.option{supported_decoding}), "quit". Also
 *                        CLIP <text> for host clipboard text,
 *                        AUDIOFORMAT <rate> <ch>, AUDIO <n>
 *                        at the 1st and every 50th frame, VIDEO <n> <codec>
 *                        <display> <w>x<h> key=<0|1> rgb=<r>,<g>,<b>
 *                        fmt=<decoded pixel format, yuv420p> for the
 *                        1st, every key and every 10th decoded picture,
 *                        for "frames": FRAMES <n>, and for "snap PATH" (the
 *                        last picture as a PPM): SNAP ok|error; TONE <hz>
 *                        <level> after every 50th audio frame (adec.h);
 *                        first LOGINPERM <n> 0 for each permission the host
 *                        said was off before the login's outcome; the
 *                        voice call's commands and events (pvoice.c);
 *                        cursor shapes and clipboard images (pmedia.c)
 *   bench-login N        N sequential logins: p50/p99 round trip in ms
 *   bench-conc C N       N logins over C concurrent clients: logins/s
 *   bench-video W S LOG  log in, decode for W s, then measure S s: paints/s
 *                        seen, glass-to-peer latency p50/p95 against the
 *                        painter's LOG (shared/bench/painter.c), Mbit/s,
 *                        and the time from PeerInfo to the first frame;
 *                        LOG "-": receive only, decode nothing
 *   term OUT [SID [persistent]]  a terminal session (tests/peer/term.c)
 *   tunnel HOST PORT [EARLY TOTAL [stall|echo]]  a TCP tunnel (tunnel.c)
 *   files SUB ARGS       a file-transfer session (tests/peer/files.c)
 *   tfa STEP...          a login with a 2FA code (tests/peer/tfa.c)
 *   swarm N SECS T | view N SECS | junk C SECS | stall SECS  many
 *                        sessions, hostile ones, one that stops reading
 *                        (swarm.c)
 */
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>

#include "common/xmalloc.h"
#include "tests/bench/stamp.h"
#include "tests/peer/files.h"
#include "tests/peer/adec.h"
#include "tests/peer/peer.h"
#include "tests/peer/term.h"
#include "tests/peer/tfa.h"
#include "tests/peer/tunnel.h"
#include "tests/peer/vdec.h"
#include "tests/peer/rdv_dial.h"

static const char *opt_host = "127.0.0.1";
static int opt_port;
static const char *opt_user;
static const char *opt_pass;
static int opt_timeout = 10000;
static const char *opt_codec;
static int opt_fps;
static int opt_i444;	/* -4: ask for 4:4:4 at login */
static const char *opt_kind;	/* -k: the kind of session */
static const char *opt_rdv;	/* -R: dial by ID through this hbbs */
static const char *opt_key;	/* -K: its public key, base64 */
static const char *opt_id;	/* -i: the ID to dial */
static int opt_punch;		/* -P: say our NAT can be punched */

int main(int, char **);

/* A new connection: direct to -h/-p, or by ID through -R. */
static struct pconn *
peer_connect(void)
{
	if (opt_rdv != NULL)
		return rdv_dial(opt_rdv, opt_key, opt_id, opt_punch,
		    opt_timeout);
	return pc_connect(opt_host, opt_port, opt_timeout);
}

/* Print a PeerInfo (at login, or when the host's displays change). */
static void
print_peerinfo(const Hbb__PeerInfo *pi)
{
	size_t i;

	printf("PEERINFO displays=%zu current=%d platform=%s version=%s "
	    "username=%s hostname=%s", pi->n_displays, pi->current_display,
	    pi->platform, pi->version, pi->username, pi->hostname);
	for (i = 0; i < pi->n_displays; i++)
		printf(" display%zu=%dx%d+%d+%d", i, pi->displays[i]->width,
		    pi->displays[i]->height, pi->displays[i]->x,
		    pi->displays[i]->y);
	if (pi->encoding != NULL)
		printf(" vp8=%d av1=%d h264=%d h265=%d", pi->encoding->vp8,
		    pi->encoding->av1, pi->encoding->h264, pi->encoding->h265);
	if (pi->encoding != NULL && pi->encoding->i444 != NULL)
		printf(" i444vp9=%d i444av1=%d", pi->encoding->i444->vp9,
		    pi->encoding->i444->av1);
	printf("\n");
}

/* Print what decided a login and return 1 if it was PeerInfo. */
static int
print_outcome(Hbb__Message *m)
{
	if (m == NULL) {
		printf("EOF\n");
		return 0;
	}
	if (m->union_case == HBB__MESSAGE__UNION_MISC) {
		printf("CLOSED %s\n", m->misc->close_reason);
		return 0;
	}
	if (m->login_response->union_case ==
	    HBB__LOGIN_RESPONSE__UNION_ERROR) {
		printf("ERROR %s\n", m->login_response->error);
		return 0;
	}
	print_peerinfo(m->login_response->peer_info);
	return 1;
}

static char username_buf[300];

/* Username to send: -u, else "host:port" as a direct client does. Made
 * once in main, before any thread reads it. */
static const char *
username(void)
{
	return opt_user != NULL ? opt_user : username_buf;
}

/* One login on a new connection; returns 1 on PeerInfo. */
static int
one_login(double *ms)
{
	struct pconn *pc;
	Hbb__Message *m;
	double t0 = pc_now_ms();
	int ok;

	if ((pc = peer_connect()) == NULL)
		return -1;
	m = pc_login(pc, username(), opt_pass, opt_timeout);
	if (ms != NULL)
		*ms = pc_now_ms() - t0;
	ok = m != NULL &&
	    m->union_case == HBB__MESSAGE__UNION_LOGIN_RESPONSE &&
	    m->login_response->union_case ==
	    HBB__LOGIN_RESPONSE__UNION_PEER_INFO;
	if (m != NULL)
		hbb__message__free_unpacked(m, NULL);
	pc_free(pc);
	return ok;
}

/* Sort helper for doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct conc {
	int	 n;		/* logins to do */
	int	 ok;		/* logins that got PeerInfo */
};

/* Thread body for bench-conc. */
static void *
conc_thread(void *arg)
{
	struct conc *c = arg;
	int i;

	for (i = 0; i < c->n; i++)
		if (one_login(NULL) == 1)
			c->ok++;
	return NULL;
}

/* Hold sessions: a thread per session answering probes. */
struct holder {
	struct pconn	*pc;
	double		 until;
	int		 ok;
};

/* Keep one session alive until the deadline. */
static void *
hold_thread(void *arg)
{
	struct holder *h = arg;
	Hbb__Message *m;
	int eof = 0;

	while (pc_now_ms() < h->until && !eof) {
		m = pc_recv(h->pc, 200, &eof);
		if (m != NULL)
			hbb__message__free_unpacked(m, NULL);
	}
	if (eof)
		h->ok = 0;
	return NULL;
}

/* Print a text clipboard entry (zstd-compressed when the flag says so). */
static void
print_clip(const Hbb__Clipboard *c)
{
	char *out;
	size_t n;

	if (c->format != HBB__CLIPBOARD_FORMAT__Text)
		return;
	if (!c->compress) {
		printf("CLIP %.*s\n", (int)c->content.len,
		    (const char *)c->content.data);
		return;
	}
	out = xmalloc(1 << 20);
	n = ZSTD_decompress(out, 1 << 20, c->content.data, c->content.len);
	if (ZSTD_isError(n))
		printf("CLIP (bad zstd)\n");
	else
		printf("CLIP %.*s\n", (int)n, out);
	free(out);
}

static struct vdec *session_vdec;
static unsigned long session_frames;

/* Decode a video frame and report it now and then. */
static void
session_video(const Hbb__VideoFrame *vf)
{
	struct vdec_info in;
	int r;

	session_frames++;
	if (session_vdec == NULL)
		session_vdec = vdec_new();
	if ((r = vdec_frame(session_vdec, vf, &in)) < 0) {
		printf("VIDEOERROR %lu\n", session_frames);
		return;
	}
	if (r == 1 && (session_frames == 1 || in.key ||
	    session_frames % 10 == 0))
		printf("VIDEO %lu %s %d %dx%d key=%d rgb=%d,%d,%d fmt=%s\n",
		    session_frames, in.codec, in.display, in.width, in.height,
		    in.key, in.r, in.g, in.b, in.pixfmt);
}

/* Print one event of an interactive session; returns 0 at the end. */
static int
session_event(Hbb__Message *m)
{
	static unsigned long audio;
	int go_on = 1;
	size_t i;

	/* The login's outcome first, then the lines pctl.c adds to it. */
	if (m->union_case == HBB__MESSAGE__UNION_LOGIN_RESPONSE)
		print_outcome(m);
	else if (m->union_case == HBB__MESSAGE__UNION_PEER_INFO)
		print_peerinfo(m->peer_info);
	if (pctl_event(m) || pvoice_event(m) || pmedia_event(m)) {
		/* tests/peer/pctl.c, pvoice.c or pmedia.c printed it */
	} else if (m->union_case == HBB__MESSAGE__UNION_VIDEO_FRAME) {
		session_video(m->video_frame);
	} else if (m->union_case == HBB__MESSAGE__UNION_CLIPBOARD) {
		print_clip(m->clipboard);
	} else if (m->union_case == HBB__MESSAGE__UNION_MULTI_CLIPBOARDS) {
		for (i = 0; i < m->multi_clipboards->n_clipboards; i++)
			print_clip(m->multi_clipboards->clipboards[i]);
	} else if (m->union_case == HBB__MESSAGE__UNION_AUDIO_FRAME) {
		if (audio++ % 50 == 0)
			printf("AUDIO %lu\n", audio);
		adec_frame(m->audio_frame);
	} else if (m->union_case == HBB__MESSAGE__UNION_LOGIN_RESPONSE ||
	    m->union_case == HBB__MESSAGE__UNION_PEER_INFO) {
		/* printed above */
	} else if (m->union_case == HBB__MESSAGE__UNION_MISC) {
		Hbb__Misc *misc = m->misc;

		switch (misc->union_case) {
		case HBB__MISC__UNION_PERMISSION_INFO:
			printf("PERMISSION %d %d\n",
			    (int)misc->permission_info->permission,
			    (int)misc->permission_info->enabled);
			break;
		case HBB__MISC__UNION_CHAT_MESSAGE:
			printf("CHAT %s\n", misc->chat_message->text);
			break;
		case HBB__MISC__UNION_SWITCH_DISPLAY:
			printf("SWITCH %d %dx%d+%d+%d\n",
			    misc->switch_display->display,
			    misc->switch_display->width,
			    misc->switch_display->height,
			    misc->switch_display->x, misc->switch_display->y);
			break;
		case HBB__MISC__UNION_BACK_NOTIFICATION:
			if (misc->back_notification->union_case ==
			    HBB__BACK_NOTIFICATION__UNION_BLOCK_INPUT_STATE)
				printf("BLOCK %d %s\n",
				    (int)misc->back_notification->block_input_state,
				    misc->back_notification->details);
			break;
		case HBB__MISC__UNION_AUDIO_FORMAT:
			printf("AUDIOFORMAT %u %u\n",
			    misc->audio_format->sample_rate,
			    misc->audio_format->channels);
			break;
		case HBB__MISC__UNION_CLOSE_REASON:
			printf("CLOSED %s\n", misc->close_reason);
			go_on = 0;
			break;
		default:
			break;
		}
	}
	hbb__message__free_unpacked(m, NULL);
	return go_on;
}

/* Send a chat line. */
static void
session_chat(struct pconn *pc, const char *text)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__ChatMessage cm = HBB__CHAT_MESSAGE__INIT;

	cm.text = (char *)text;
	misc.union_case = HBB__MISC__UNION_CHAT_MESSAGE;
	misc.chat_message = &cm;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	pc_send(pc, &m);
}

/* Send a MouseEvent. */
static void
session_mouse(struct pconn *pc, int mask, int x, int y)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__MouseEvent me = HBB__MOUSE_EVENT__INIT;

	me.mask = mask;
	me.x = x;
	me.y = y;
	m.union_case = HBB__MESSAGE__UNION_MOUSE_EVENT;
	m.mouse_event = &me;
	pc_send(pc, &m);
}

/* Send a KeyEvent: Map mode (code = X11 keycode) or Legacy (code = char). */
static void
session_key(struct pconn *pc, int map, unsigned code, int down,
    const char *mods)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__KeyEvent ke = HBB__KEY_EVENT__INIT;
	Hbb__ControlKey mk[2];

	ke.down = down;
	ke.union_case = HBB__KEY_EVENT__UNION_CHR;
	ke.chr = code;
	ke.mode = map ? HBB__KEYBOARD_MODE__Map : HBB__KEYBOARD_MODE__Legacy;
	if (mods != NULL && strstr(mods, "shift") != NULL)
		mk[ke.n_modifiers++] = HBB__CONTROL_KEY__Shift;
	if (mods != NULL && strstr(mods, "ctrl") != NULL)
		mk[ke.n_modifiers++] = HBB__CONTROL_KEY__Control;
	ke.modifiers = mk;
	m.union_case = HBB__MESSAGE__UNION_KEY_EVENT;
	m.key_event = &ke;
	pc_send(pc, &m);
}

/* Send Misc.option with one BoolOption set. */
static void
session_option(struct pconn *pc, const char *name, int yes)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__OptionMessage o = HBB__OPTION_MESSAGE__INIT;
	int v = yes ? HBB__OPTION_MESSAGE__BOOL_OPTION__Yes :
	    HBB__OPTION_MESSAGE__BOOL_OPTION__No;

	if (strcmp(name, "disable_keyboard") == 0)
		o.disable_keyboard = v;
	else if (strcmp(name, "disable_clipboard") == 0)
		o.disable_clipboard = v;
	else if (strcmp(name, "disable_audio") == 0)
		o.disable_audio = v;
	else if (strcmp(name, "block_input") == 0)
		o.block_input = v;
	misc.union_case = HBB__MISC__UNION_OPTION;
	misc.option = &o;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	pc_send(pc, &m);
}

/* Send the peer's clipboard text. */
static void
session_clip(struct pconn *pc, const char *text)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Clipboard c = HBB__CLIPBOARD__INIT;

	c.format = HBB__CLIPBOARD_FORMAT__Text;
	c.content.data = (uint8_t *)text;
	c.content.len = strlen(text);
	m.union_case = HBB__MESSAGE__UNION_CLIPBOARD;
	m.clipboard = &c;
	pc_send(pc, &m);
}

/* Ask for a key frame of display 0 (refresh_video_display). */
static void
session_refresh(struct pconn *pc)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;

	misc.union_case = HBB__MISC__UNION_REFRESH_VIDEO_DISPLAY;
	misc.refresh_video_display = 0;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	pc_send(pc, &m);
}

/*
 * Send a MultiClipboards (Message field 28) of n empty entries, built on
 * the wire: 2 bytes an entry, which protobuf-c would unpack ~60x larger.
 */
static void
session_multiclip(struct pconn *pc, size_t n)
{
	size_t len = 2 * n, i = 0;
	uint8_t *p = xmalloc(len + 16);

	p[i++] = 0xe2;		/* field 28, length-delimited */
	p[i++] = 0x01;
	for (; len >= 0x80; len >>= 7)
		p[i++] = (uint8_t)(len | 0x80);
	p[i++] = (uint8_t)len;
	for (len = 0; len < n; len++) {
		p[i++] = 0x0a;	/* clipboards: an empty Clipboard */
		p[i++] = 0x00;
	}
	printf("SENT %d\n", pc_send_payload(pc, p, i));
	free(p);
}

/* Act on one command line of a session. */
static void
session_command(struct pconn *pc, const char *line)
{
	char word[32], mods[64] = "";
	int a, b, c;
	unsigned u;

	if (pctl_command(pc, line) || pvoice_command(pc, line) ||
	    pmedia_command(line))
		return;
	if (strncmp(line, "chat ", 5) == 0)
		session_chat(pc, line + 5);
	else if (strncmp(line, "clip ", 5) == 0)
		session_clip(pc, line + 5);
	else if (sscanf(line, "multiclip %u", &u) == 1)
		session_multiclip(pc, u);
	else if (strcmp(line, "frames") == 0)
		printf("FRAMES %lu\n", session_frames);
	else if (strcmp(line, "refresh") == 0)
		session_refresh(pc);
	else if (strncmp(line, "snap ", 5) == 0)
		printf("SNAP %s\n", session_vdec != NULL &&
		    vdec_save_ppm(session_vdec, line + 5) == 0 ? "ok" : "error");
	else if (sscanf(line, "mouse %d %d %d", &a, &b, &c) == 3)
		session_mouse(pc, a, b, c);
	else if (sscanf(line, "map %u %d", &u, &a) == 2)
		session_key(pc, 1, u, a, NULL);
	else if (sscanf(line, "chr %u %d %63[a-z ]", &u, &a, mods) >= 2)
		session_key(pc, 0, u, a, mods);
	else if (sscanf(line, "option %31s %d", word, &a) == 2)
		session_option(pc, word, a);
	else if (sscanf(line, "i444 %d", &a) == 1) {
		pc_set_i444(pc, a);
		pc_send_decoding(pc);
	}
}

/* An interactive session driven by a test through stdin and stdout. */
static int
cmd_session(void)
{
	struct pconn *pc = pc_connect(opt_host, opt_port, opt_timeout);
	Hbb__Message *m;
	char line[4096];
	size_t have = 0;
	int eof = 0, go_on = 1, i;

	if (pc == NULL)
		return 1;
	if (opt_codec != NULL && pc_set_codec(pc, opt_codec) != 0) {
		fprintf(stderr, "peer: unknown codec %s\n", opt_codec);
		return 2;
	}
	pc_set_i444(pc, opt_i444);
	setvbuf(stdout, NULL, _IOLBF, 0);
	m = pc_login(pc, username(), opt_pass, opt_timeout);
	if (m == NULL) {
		printf("EOF\n");
		pc_free(pc);
		return 0;
	}
	for (i = 0; i < 32; i++)
		if (pc_perms_off(pc) & (1u << i))
			printf("LOGINPERM %d 0\n", i);
	go_on = session_event(m);
	while (go_on && !eof) {
		struct pollfd pfd[2] = {
			{ 0, POLLIN, 0 }, { pc_fd(pc), POLLIN, 0 },
		};

		if (poll(pfd, 2, pvoice_tick(pc)) < 0)
			break;
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			/* read(2), not stdio: poll must see every new line. */
			ssize_t got = read(0, line + have,
			    sizeof line - 1 - have);
			char *nl;

			if (got <= 0)
				break;
			have += (size_t)got;
			line[have] = '\0';
			while (go_on && (nl = strchr(line, '\n')) != NULL) {
				*nl = '\0';
				if (strncmp(line, "quit", 4) == 0)
					go_on = 0;
				else
					session_command(pc, line);
				have -= (size_t)(nl + 1 - line);
				memmove(line, nl + 1, have + 1);
			}
			if (have == sizeof line - 1)
				have = 0;
		}
		/* A bounded batch: a host that never pauses (video, a
		 * call's sound) must not starve stdin and the call's
		 * frames; and "quit" read above stays quit. */
		if (go_on && (pfd[1].revents & (POLLIN | POLLHUP))) {
			for (i = 0; i < 32 && (m = pc_recv(pc, 20, &eof)) !=
			    NULL && (go_on = session_event(m)); i++)
				;
		}
	}
	if (eof)
		printf("EOF\n");
	vdec_free(session_vdec);
	pc_free(pc);
	return 0;
}

/* Sort helper for uint64. */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* CLOCK_MONOTONIC in nanoseconds: the painter logs the same clock. */
static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define BENCH_MAX	(1u << 20)

/*
 * Watch the screen through a real session and measure what a client sees:
 * distinct paints per second, glass-to-peer latency, and bandwidth. The
 * latency is the frame's arrival (whole, decrypted) minus the painter's
 * paint-done time for the stamp it carries, as rfbclient.py measures the
 * VNC servers (arrival of the update); the time until the frame is decoded
 * is printed too, and how long after PeerInfo the first frame arrived
 * (first_ms) and was decoded (first_decoded_ms).
 */
static int
cmd_bench_video(double warm, double secs, const char *log)
{
	struct pconn *pc = pc_connect(opt_host, opt_port, opt_timeout);
	struct vdec *vd = vdec_new();
	struct vdec_info in;
	Hbb__Message *m;
	uint32_t *stamp = xcalloc(BENCH_MAX, sizeof *stamp);
	uint64_t *at = xcalloc(BENCH_MAX, sizeof *at);
	uint64_t *dat = xcalloc(BENCH_MAX, sizeof *dat);
	uint64_t *done;
	uint64_t *lat = xcalloc(BENCH_MAX, sizeof *lat);
	uint64_t *dlat = xcalloc(BENCH_MAX, sizeof *dlat);
	uint64_t bytes = 0, t_start, t_end, arrived, t_login, first = 0;
	uint64_t first_dec = 0;
	size_t n = 0, nl = 0, uniq = 0, i, frames = 0;
	uint32_t last = UINT32_MAX, nmax = 0;
	int eof = 0, pic;

	if (pc == NULL)
		return 1;
	if (opt_codec != NULL)
		pc_set_codec(pc, opt_codec);
	pc_set_fps(pc, opt_fps);
	m = pc_login(pc, username(), opt_pass, opt_timeout);
	if (print_outcome(m) != 1)
		return 1;
	hbb__message__free_unpacked(m, NULL);
	t_login = mono_ns();
	t_start = t_login + (uint64_t)(warm * 1e9);
	t_end = t_start + (uint64_t)(secs * 1e9);
	while (!eof && mono_ns() < t_end) {
		if ((m = pc_recv(pc, 200, &eof)) == NULL)
			continue;
		arrived = mono_ns();
		pic = m->union_case == HBB__MESSAGE__UNION_VIDEO_FRAME &&
		    log != NULL && vdec_frame(vd, m->video_frame, &in) == 1;
		if (log == NULL && m->union_case ==
		    HBB__MESSAGE__UNION_VIDEO_FRAME && arrived >= t_start) {
			/* A viewer that only receives: no decoding. */
			frames++;
			bytes += hbb__message__get_packed_size(m);
		}
		if (m->union_case == HBB__MESSAGE__UNION_VIDEO_FRAME &&
		    first == 0)
			first = arrived;
		if (pic && first_dec == 0)
			first_dec = mono_ns();
		if (pic && arrived >= t_start) {
			frames++;
			bytes += hbb__message__get_packed_size(m);
			if (in.stamp >= 0 && n < BENCH_MAX) {
				stamp[n] = (uint32_t)in.stamp;
				at[n] = arrived;
				dat[n++] = mono_ns();
			}
		}
		hbb__message__free_unpacked(m, NULL);
	}
	pc_free(pc);
	vdec_free(vd);
	done = log != NULL ? stamp_log_read(log, BENCH_MAX, &nmax) :
	    xcalloc(1, sizeof *done);
	for (i = 0; i < n; i++) {
		if (stamp[i] != last)
			uniq++;
		/* Only the first sight of a paint measures its latency. */
		if (stamp[i] != last && stamp[i] < nmax && done[stamp[i]] != 0 &&
		    at[i] > done[stamp[i]]) {
			lat[nl] = at[i] - done[stamp[i]];
			dlat[nl++] = dat[i] - done[stamp[i]];
		}
		last = stamp[i];
	}
	qsort(lat, nl, sizeof *lat, cmp_u64);
	qsort(dlat, nl, sizeof *dlat, cmp_u64);
	printf("VIDEOBENCH codec=%s pictures=%zu paints_per_s=%.1f "
	    "latency_p50_ms=%.1f latency_p95_ms=%.1f decoded_p50_ms=%.1f "
	    "decoded_p95_ms=%.1f mbit_s=%.3f samples=%zu first_ms=%.1f "
	    "first_decoded_ms=%.1f\n",
	    opt_codec ? opt_codec : "auto", frames, uniq / secs,
	    nl ? lat[nl / 2] / 1e6 : -1.0, nl ? lat[(nl * 95) / 100] / 1e6 : -1.0,
	    nl ? dlat[nl / 2] / 1e6 : -1.0,
	    nl ? dlat[(nl * 95) / 100] / 1e6 : -1.0,
	    bytes * 8 / secs / 1e6, nl,
	    first ? (first - t_login) / 1e6 : -1.0,
	    first_dec ? (first_dec - t_login) / 1e6 : -1.0);
	free(stamp);
	free(at);
	free(dat);
	free(dlat);
	free(done);
	free(lat);
	return 0;
}

/*
 * pingmax SECS: log in (-k kind), say LOGGED_IN, then for SECS seconds
 * send a client TestDelay every 20 ms and wait for its echo; print
 * PINGMAX <longest round trip, ms> <probes>. The host answers from its
 * event loop, so the longest round trip bounds how long that loop stood
 * still meanwhile (issue 15: a file helper starting).
 */
static int
cmd_pingmax(double secs)
{
	struct pconn *pc = peer_connect();
	Hbb__Message *m;
	Hbb__Message ping = HBB__MESSAGE__INIT;
	Hbb__TestDelay td = HBB__TEST_DELAY__INIT;
	double until, sent, rtt, worst = 0;
	int eof = 0, n = 0, back;

	if (pc == NULL || (opt_kind != NULL && pc_set_kind(pc, opt_kind) != 0))
		return 1;
	m = pc_login(pc, username(), opt_pass, opt_timeout);
	if (m == NULL || m->union_case != HBB__MESSAGE__UNION_LOGIN_RESPONSE ||
	    m->login_response->union_case !=
	    HBB__LOGIN_RESPONSE__UNION_PEER_INFO) {
		printf("NOLOGIN\n");
		return 1;
	}
	hbb__message__free_unpacked(m, NULL);
	printf("LOGGED_IN\n");
	fflush(stdout);
	td.from_client = 1;
	ping.union_case = HBB__MESSAGE__UNION_TEST_DELAY;
	ping.test_delay = &td;
	until = pc_now_ms() + secs * 1000;
	while (!eof && pc_now_ms() < until) {
		td.time = ++n;
		sent = pc_now_ms();
		if (pc_send(pc, &ping) != 0)
			break;
		for (back = 0; !back && !eof && pc_now_ms() - sent < 30000;) {
			if ((m = pc_recv(pc, 1000, &eof)) == NULL)
				continue;
			back = m->union_case == HBB__MESSAGE__UNION_TEST_DELAY &&
			    m->test_delay->from_client &&
			    m->test_delay->time == td.time;
			hbb__message__free_unpacked(m, NULL);
		}
		if (!back)
			break;
		if ((rtt = pc_now_ms() - sent) > worst)
			worst = rtt;
		usleep(20000);
	}
	printf("PINGMAX %.0f %d%s\n", worst, n, eof ? " EOF" : "");
	pc_free(pc);
	return 0;
}

/* Print usage and exit 2. */
static void
usage(void)
{
	fprintf(stderr, "usage: peer [-h host] -p port [-u username] "
	    "[-w password] [-k kind] [-t timeout_ms]\n"
	    "    login|retry N|raw HEX|idle|hold N SECS|pingmax SECS|bench-login N|"
	    "bench-conc C N|tfa STEP...\n");
	exit(2);
}

/* Parse options and run one command. */
int
main(int argc, char **argv)
{
	const char *cmd;
	int ch;

	/* Blocks of 128 KiB one after another: from the heap, kept, not
	 * mapped or trimmed afresh each (page faults were most of the
	 * bench's peer and relay time). */
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	if (sodium_init() < 0)
		return 1;
	while ((ch = getopt(argc, argv, "4A:c:F:h:k:p:u:w:t:R:K:i:P")) != -1) {
		switch (ch) {
		case '4': opt_i444 = 1; break;
		case 'c': opt_codec = optarg; break;
		case 'F': opt_fps = atoi(optarg); break;
		case 'k': opt_kind = optarg; break;
		case 'h': opt_host = optarg; break;
		case 'p': opt_port = atoi(optarg); break;
		case 'u': opt_user = optarg; break;
		case 'w': opt_pass = optarg; break;
		case 't': opt_timeout = atoi(optarg); break;
		case 'R': opt_rdv = optarg; break;
		case 'K': opt_key = optarg; break;
		case 'i': opt_id = optarg; break;
		case 'P': opt_punch = 1; break;
		case 'A': pc_avatar_len = (size_t)atol(optarg); break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (opt_rdv == NULL && opt_port <= 0) ||
	    (opt_rdv != NULL && opt_id == NULL))
		usage();
	/* A client that dialled an ID logs in with that ID as username. */
	if (opt_rdv != NULL && opt_user == NULL)
		opt_user = opt_id;
	cmd = argv[0];
	if (strchr(opt_host, ':') != NULL)
		snprintf(username_buf, sizeof username_buf, "[%s]:%d",
		    opt_host, opt_port);
	else
		snprintf(username_buf, sizeof username_buf, "%s:%d", opt_host,
		    opt_port);

	if (strcmp(cmd, "login") == 0) {
		struct pconn *pc = peer_connect();
		Hbb__Message *m;

		if (pc == NULL)
			return 1;
		if (opt_kind != NULL && pc_set_kind(pc, opt_kind) != 0) {
			fprintf(stderr, "peer: unknown kind %s\n", opt_kind);
			return 2;
		}
		m = pc_login(pc, username(), opt_pass, opt_timeout);
		print_outcome(m);
		if (m != NULL)
			hbb__message__free_unpacked(m, NULL);
		pc_free(pc);
		return 0;
	}
	if (strcmp(cmd, "session") == 0)
		return cmd_session();
	if (strcmp(cmd, "term") == 0 || strcmp(cmd, "tunnel") == 0) {
		struct pconn *pc = peer_connect();

		if (pc == NULL)
			return 1;
		return (cmd[1] == 'e' ? peer_term : peer_tunnel)(pc,
		    username(), opt_pass, opt_timeout, argc - 1, argv + 1);
	}
	if (strcmp(cmd, "tfa") == 0) {
		struct pconn *pc = peer_connect();

		return pc == NULL ? 1 : peer_tfa(pc, username(), opt_pass,
		    opt_timeout, argc - 1, argv + 1);
	}
	if (strcmp(cmd, "files") == 0)
		return files_main(argc - 1, argv + 1, peer_connect, username(),
		    opt_pass, opt_timeout);
	if (strcmp(cmd, "swarm") == 0 || strcmp(cmd, "view") == 0 ||
	    strcmp(cmd, "junk") == 0 || strcmp(cmd, "stall") == 0)
		return peer_swarm(opt_host, opt_port, username(), opt_pass,
		    argc, argv);
	if (strcmp(cmd, "bench-video") == 0 && argc == 4)
		return cmd_bench_video(atof(argv[1]), atof(argv[2]),
		    strcmp(argv[3], "-") == 0 ? NULL : argv[3]);
	if (strcmp(cmd, "retry") == 0 && argc == 2) {
		struct pconn *pc = peer_connect();
		Hbb__Message *m;
		int i, n = atoi(argv[1]);

		if (pc == NULL)
			return 1;
		m = pc_login(pc, username(), opt_pass, opt_timeout);
		for (i = 0; i < n; i++) {
			print_outcome(m);
			fflush(stdout);
			if (m == NULL)
				break;
			hbb__message__free_unpacked(m, NULL);
			m = NULL;
			if (i + 1 < n)
				m = pc_login_again(pc, username(), opt_pass,
				    opt_timeout);
		}
		if (m != NULL)
			hbb__message__free_unpacked(m, NULL);
		pc_free(pc);
		return 0;
	}
	if (strcmp(cmd, "raw") == 0 && argc == 2) {
		struct pconn *pc = peer_connect();
		Hbb__Message *m;
		size_t i, n = strlen(argv[1]) / 2;
		uint8_t *bytes = xmalloc(n + 1);
		double t0;
		int eof = 0;

		if (pc == NULL)
			return 1;
		for (i = 0; i < n; i++) {
			unsigned v;

			sscanf(argv[1] + 2 * i, "%2x", &v);
			bytes[i] = (uint8_t)v;
		}
		/* Wait for the Hash so the host is in its login state. */
		while ((m = pc_recv(pc, opt_timeout, &eof)) != NULL) {
			int hash = m->union_case == HBB__MESSAGE__UNION_HASH;

			hbb__message__free_unpacked(m, NULL);
			if (hash)
				break;
		}
		t0 = pc_now_ms();
		pc_send_raw(pc, bytes, n);
		free(bytes);
		while (!eof && pc_now_ms() - t0 < 5000) {
			m = pc_recv(pc, 500, &eof);
			if (m != NULL)
				hbb__message__free_unpacked(m, NULL);
		}
		if (eof)
			printf("CLOSED %.0f\n", pc_now_ms() - t0);
		else
			printf("OPEN\n");
		pc_free(pc);
		return 0;
	}
	if (strcmp(cmd, "pingmax") == 0 && argc == 2)
		return cmd_pingmax(atof(argv[1]));
	if (strcmp(cmd, "idle") == 0) {
		struct pconn *pc = peer_connect();
		Hbb__Message *m;
		double t0 = pc_now_ms();
		int eof = 0;

		if (pc == NULL)
			return 1;
		pc_set_echo(pc, 0);
		while (!eof && pc_now_ms() - t0 < 120000) {
			m = pc_recv(pc, 1000, &eof);
			if (m != NULL)
				hbb__message__free_unpacked(m, NULL);
		}
		printf("CLOSED %.1f\n", (pc_now_ms() - t0) / 1000);
		pc_free(pc);
		return 0;
	}
	if (strcmp(cmd, "hold") == 0 && argc == 3) {
		int i, n = atoi(argv[1]), held = 0;
		struct holder *h = xcalloc((size_t)n, sizeof *h);
		pthread_t *th = xcalloc((size_t)n, sizeof *th);
		double until;

		for (i = 0; i < n; i++) {
			Hbb__Message *m;

			if ((h[i].pc = peer_connect()) == NULL)
				return 1;
			m = pc_login(h[i].pc, username(), opt_pass,
			    opt_timeout);
			h[i].ok = m != NULL && m->union_case ==
			    HBB__MESSAGE__UNION_LOGIN_RESPONSE &&
			    m->login_response->union_case ==
			    HBB__LOGIN_RESPONSE__UNION_PEER_INFO;
			held += h[i].ok;
			if (m != NULL)
				hbb__message__free_unpacked(m, NULL);
		}
		until = pc_now_ms() + atof(argv[2]) * 1000;
		for (i = 0; i < n; i++) {
			h[i].until = until;
			pthread_create(&th[i], NULL, hold_thread, &h[i]);
		}
		printf("HELD %d\n", held);
		fflush(stdout);
		held = 0;
		for (i = 0; i < n; i++) {
			pthread_join(th[i], NULL);
			held += h[i].ok;
			pc_free(h[i].pc);
		}
		printf("ALIVE %d\n", held);
		free(h);
		free(th);
		return 0;
	}
	if (strcmp(cmd, "bench-login") == 0 && argc == 2) {
		int i, n = atoi(argv[1]), ok = 0;
		double *ms = xcalloc((size_t)n, sizeof *ms);

		for (i = 0; i < n; i++)
			ok += one_login(&ms[i]) == 1;
		qsort(ms, (size_t)n, sizeof *ms, cmp_double);
		printf("LOGINS ok=%d of %d p50=%.2fms p99=%.2fms max=%.2fms\n",
		    ok, n, ms[n / 2], ms[(n * 99) / 100], ms[n - 1]);
		free(ms);
		return 0;
	}
	if (strcmp(cmd, "bench-conc") == 0 && argc == 3) {
		int i, c = atoi(argv[1]), n = atoi(argv[2]), ok = 0;
		struct conc *w = xcalloc((size_t)c, sizeof *w);
		pthread_t *th = xcalloc((size_t)c, sizeof *th);
		double t0 = pc_now_ms(), t;

		for (i = 0; i < c; i++) {
			w[i].n = n / c + (i < n % c);
			pthread_create(&th[i], NULL, conc_thread, &w[i]);
		}
		for (i = 0; i < c; i++) {
			pthread_join(th[i], NULL);
			ok += w[i].ok;
		}
		t = (pc_now_ms() - t0) / 1000;
		printf("CONCURRENT clients=%d ok=%d of %d in %.2fs: %.0f "
		    "logins/s\n", c, ok, n, t, ok / t);
		free(w);
		free(th);
		return 0;
	}
	usage();
	return 2;
}
