/*
 * svc_input.c: peer mouse, keyboard and touch events into X11 through
 * XTest, with per-connection held-key tracking, a per-connection token
 * bucket and one flush per loop turn (see svc_input.h).
 *
 * Keymap knowledge comes from the core protocol (GetKeyboardMapping,
 * GetModifierMapping); on an XKB server its columns are group 1 levels
 * 1, 2, then group 2 levels 1, 2, then group 1 levels 3, 4. Characters the
 * layout lacks get a temporary mapping on a keycode that has no symbols;
 * such slots are reused least-recently-used and restored after
 * SLOT_IDLE_MS of disuse and on free (never right after the key, because
 * clients look the keysym up only when they read the event).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <xcb/xcb.h>
#include <xcb/xinput.h>
#include <xcb/xtest.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/svc/svc_input.h"

#define KC_N		256
#define BTN_N		10	/* X buttons 1..9 */
#define SLOT_MAX	32	/* temporary keysym slots */
#define SLOT_IDLE_MS	10000	/* restore a slot unused this long */
#define HOLD_MAX_MS	(360 * 1000)	/* watchdog: longest key hold */
#define REL_MAX		10000	/* relative move clamp (§8.1) */
#define TICK_FAST_MS	5	/* pending coalesced moves */
#define TICK_SLOW_MS	1000	/* watchdog and slot expiry */
#define PINCH_NOTCH	100	/* scale ×1000 per Ctrl+wheel notch */
#define BLOCK_MAX	64	/* devices block input can disable */

/* Keysyms (X11 keysymdef.h) this file needs. */
#define KS_BackSpace	0xff08
#define KS_Tab		0xff09
#define KS_Return	0xff0d
#define KS_Escape	0xff1b
#define KS_Delete	0xffff
#define KS_KP_Enter	0xff8d
#define KS_Num_Lock	0xff7f
#define KS_Caps_Lock	0xffe5
#define KS_Shift_L	0xffe1
#define KS_Shift_R	0xffe2
#define KS_Control_L	0xffe3
#define KS_Control_R	0xffe4
#define KS_Meta_L	0xffe7
#define KS_Meta_R	0xffe8
#define KS_Alt_L	0xffe9
#define KS_Alt_R	0xffea
#define KS_Super_L	0xffeb
#define KS_Super_R	0xffec
#define KS_Level3	0xfe03	/* ISO_Level3_Shift */
#define KS_Mode_switch	0xff7e
#define KS_EuroSign	0x20ac

/* Modifier classes a peer names in `modifiers`. */
enum mclass {
	MC_NONE = 0,
	MC_SHIFT,
	MC_CONTROL,
	MC_ALT,
	MC_META,
	MC_N
};

/* What one connection holds down, and its token bucket. */
struct held {
	uint32_t	 conn_id;
	uint8_t		 keys[KC_N / 8];	/* keycodes it holds */
	int64_t		 since[KC_N];		/* press time of each, ms */
	uint16_t	 buttons;		/* bit n: X button n */
	int		 pinch;			/* holds Ctrl for a pinch */
	int		 pinch_acc;		/* scale not yet a notch */
	double		 tokens;
	int64_t		 refill_us;
	int		 pend_abs;		/* coalesced absolute move */
	int32_t		 pend_x, pend_y;
	int32_t		 pend_dx, pend_dy;	/* coalesced relative move */
	struct held	*next;
};

/* A keycode temporarily mapped to a keysym the layout lacks. */
struct slot {
	xcb_keycode_t	 kc;
	xcb_keysym_t	 ks;	/* 0: free */
	int64_t		 used_ms;
};

struct svc_input {
	struct event_base *base;	/* borrowed */
	xcb_connection_t *xc;		/* owned */
	xcb_window_t	 root;
	int		 dead;		/* X connection broken */
	int		 w, h;		/* root size */
	struct event	*xev;		/* X fd readable */
	struct event	*flush_ev;	/* one flush per loop turn */
	struct event	*tick;		/* coalesced moves, watchdog */
	int		 dirty;
	int		 tick_ms;	/* armed period, 0 if not armed */

	/* Keymap cache, refreshed after a MappingNotify. */
	int		 stale;
	xcb_keycode_t	 kmin, kmax;
	uint8_t		 kpk;		/* keysyms per keycode */
	xcb_keysym_t	*syms;		/* owned; (kmax-kmin+1)*kpk */
	uint8_t		 kpm;		/* keycodes per modifier */
	xcb_keycode_t	*modkc;		/* owned; 8*kpm */
	uint16_t	 numlock_mask;
	uint8_t		 spare[KC_N / 8];	/* keycodes without symbols */
	struct slot	 slots[SLOT_MAX];
	int		 nslots;
	xcb_atom_t	 slots_atom;	/* root property: mapped slots */

	/* Block input through XInput 2 device properties. */
	int		 xi2;
	xcb_atom_t	 enabled_atom;	/* "Device Enabled" */
	xcb_atom_t	 blocked_atom;	/* root property: devices we disabled */
	int		 blocking;
	uint32_t	 blocked[BLOCK_MAX];
	int		 nblocked;

	uint16_t	 key_refs[KC_N];	/* connections holding each */
	uint8_t		 btn_refs[BTN_N];
	struct held	*conns;		/* owned list */

	unsigned	 rate, burst;
	uint64_t	 dropped;
	int64_t		 last_click_ms;
	int64_t		 last_move_ms;
	uint32_t	 last_move_conn;
	struct log_ratelimit rl;
};

/* ControlKey (§6.4) to keysym; 0 = nothing to press. */
static const uint32_t ck_keysym[] = {
	[HBB__CONTROL_KEY__Alt] = KS_Alt_L,
	[HBB__CONTROL_KEY__Backspace] = KS_BackSpace,
	[HBB__CONTROL_KEY__CapsLock] = KS_Caps_Lock,
	[HBB__CONTROL_KEY__Control] = KS_Control_L,
	[HBB__CONTROL_KEY__Delete] = KS_Delete,
	[HBB__CONTROL_KEY__DownArrow] = 0xff54,
	[HBB__CONTROL_KEY__End] = 0xff57,
	[HBB__CONTROL_KEY__Escape] = KS_Escape,
	[HBB__CONTROL_KEY__F1] = 0xffbe,
	[HBB__CONTROL_KEY__F10] = 0xffc7,
	[HBB__CONTROL_KEY__F11] = 0xffc8,
	[HBB__CONTROL_KEY__F12] = 0xffc9,
	[HBB__CONTROL_KEY__F2] = 0xffbf,
	[HBB__CONTROL_KEY__F3] = 0xffc0,
	[HBB__CONTROL_KEY__F4] = 0xffc1,
	[HBB__CONTROL_KEY__F5] = 0xffc2,
	[HBB__CONTROL_KEY__F6] = 0xffc3,
	[HBB__CONTROL_KEY__F7] = 0xffc4,
	[HBB__CONTROL_KEY__F8] = 0xffc5,
	[HBB__CONTROL_KEY__F9] = 0xffc6,
	[HBB__CONTROL_KEY__Home] = 0xff50,
	[HBB__CONTROL_KEY__LeftArrow] = 0xff51,
	[HBB__CONTROL_KEY__Meta] = KS_Super_L,
	[HBB__CONTROL_KEY__Option] = KS_Alt_L,
	[HBB__CONTROL_KEY__PageDown] = 0xff56,
	[HBB__CONTROL_KEY__PageUp] = 0xff55,
	[HBB__CONTROL_KEY__Return] = KS_Return,
	[HBB__CONTROL_KEY__RightArrow] = 0xff53,
	[HBB__CONTROL_KEY__Shift] = KS_Shift_L,
	[HBB__CONTROL_KEY__Space] = 0x0020,
	[HBB__CONTROL_KEY__Tab] = KS_Tab,
	[HBB__CONTROL_KEY__UpArrow] = 0xff52,
	[HBB__CONTROL_KEY__Numpad0] = 0xffb0,
	[HBB__CONTROL_KEY__Numpad1] = 0xffb1,
	[HBB__CONTROL_KEY__Numpad2] = 0xffb2,
	[HBB__CONTROL_KEY__Numpad3] = 0xffb3,
	[HBB__CONTROL_KEY__Numpad4] = 0xffb4,
	[HBB__CONTROL_KEY__Numpad5] = 0xffb5,
	[HBB__CONTROL_KEY__Numpad6] = 0xffb6,
	[HBB__CONTROL_KEY__Numpad7] = 0xffb7,
	[HBB__CONTROL_KEY__Numpad8] = 0xffb8,
	[HBB__CONTROL_KEY__Numpad9] = 0xffb9,
	[HBB__CONTROL_KEY__Cancel] = 0xff69,
	[HBB__CONTROL_KEY__Clear] = 0xff0b,
	[HBB__CONTROL_KEY__Menu] = KS_Alt_L,
	[HBB__CONTROL_KEY__Pause] = 0xff13,
	[HBB__CONTROL_KEY__Kana] = 0xff2d,
	[HBB__CONTROL_KEY__Hangul] = 0xff31,
	[HBB__CONTROL_KEY__Junja] = 0xff38,
	[HBB__CONTROL_KEY__Final] = 0xff3a,
	[HBB__CONTROL_KEY__Hanja] = 0xff34,
	[HBB__CONTROL_KEY__Kanji] = 0xff21,
	[HBB__CONTROL_KEY__Convert] = 0xff23,
	[HBB__CONTROL_KEY__Select] = 0xff60,
	[HBB__CONTROL_KEY__Print] = 0xff61,
	[HBB__CONTROL_KEY__Execute] = 0xff62,
	[HBB__CONTROL_KEY__Snapshot] = 0xff61,
	[HBB__CONTROL_KEY__Insert] = 0xff63,
	[HBB__CONTROL_KEY__Help] = 0xff6a,
	[HBB__CONTROL_KEY__Sleep] = 0x1008ff2f,
	[HBB__CONTROL_KEY__Separator] = 0xffac,
	[HBB__CONTROL_KEY__Scroll] = 0xff14,
	[HBB__CONTROL_KEY__NumLock] = KS_Num_Lock,
	[HBB__CONTROL_KEY__RWin] = KS_Super_R,
	[HBB__CONTROL_KEY__Apps] = 0xff67,
	[HBB__CONTROL_KEY__Multiply] = 0xffaa,
	[HBB__CONTROL_KEY__Add] = 0xffab,
	[HBB__CONTROL_KEY__Subtract] = 0xffad,
	[HBB__CONTROL_KEY__Decimal] = 0xffae,
	[HBB__CONTROL_KEY__Divide] = 0xffaf,
	[HBB__CONTROL_KEY__Equals] = 0xffbd,
	[HBB__CONTROL_KEY__NumpadEnter] = KS_KP_Enter,
	[HBB__CONTROL_KEY__RShift] = KS_Shift_R,
	[HBB__CONTROL_KEY__RControl] = KS_Control_R,
	[HBB__CONTROL_KEY__RAlt] = KS_Alt_R,
	[HBB__CONTROL_KEY__VolumeMute] = 0x1008ff12,
	[HBB__CONTROL_KEY__VolumeUp] = 0x1008ff13,
	[HBB__CONTROL_KEY__VolumeDown] = 0x1008ff11,
	[HBB__CONTROL_KEY__Power] = 0x1008ff2a,
};

static void	 tick_arm(struct svc_input *);
static void	 set_mapping(struct svc_input *, unsigned, xcb_keysym_t);
static void	 set_mapping(struct svc_input *, unsigned, xcb_keysym_t);

/* Milliseconds since the Unix epoch. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Microseconds of the monotonic clock. */
static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Returns bit kc of a keycode set. */
static int
kc_isset(const uint8_t *set, unsigned kc)
{
	return (set[kc >> 3] >> (kc & 7)) & 1;
}

/* Sets or clears bit kc of a keycode set. */
static void
kc_set(uint8_t *set, unsigned kc, int on)
{
	if (on)
		set[kc >> 3] |= (uint8_t)(1u << (kc & 7));
	else
		set[kc >> 3] &= (uint8_t)~(1u << (kc & 7));
}

/* Queues a flush of the X connection at the end of this loop turn. */
static void
mark_dirty(struct svc_input *svc)
{
	if (svc->dirty || svc->flush_ev == NULL)
		return;		/* svc_input_new flushes before it returns */
	svc->dirty = 1;
	event_active(svc->flush_ev, EV_TIMEOUT, 0);
}

/* Marks the X connection dead after an I/O error; says so once. */
static int
check_dead(struct svc_input *svc)
{
	if (svc->dead)
		return 1;
	if (xcb_connection_has_error(svc->xc)) {
		svc->dead = 1;
		log_error("input: X connection lost; input disabled");
		event_del(svc->xev);
		return 1;
	}
	return 0;
}

/* Reads whatever events and errors the X server sent us. */
static void
drain(struct svc_input *svc)
{
	xcb_generic_event_t *e;

	if (svc->dead)
		return;
	while ((e = xcb_poll_for_event(svc->xc)) != NULL) {
		switch (e->response_type & 0x7f) {
		case 0:
			if (log_ratelimit_ok(&svc->rl, 10, 5))
				log_debug("input: X error %u on request %u",
				    ((xcb_generic_error_t *)e)->error_code,
				    ((xcb_generic_error_t *)e)->major_code);
			break;
		case XCB_MAPPING_NOTIFY:
			svc->stale = 1;
			break;
		case XCB_CONFIGURE_NOTIFY: {
			xcb_configure_notify_event_t *c = (void *)e;

			if (c->window == svc->root) {
				svc->w = c->width;
				svc->h = c->height;
			}
			break;
		}
		default:
			break;
		}
		free(e);
	}
	check_dead(svc);
}

/* The X connection is readable. */
static void
xev_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drain(arg);
}

/* Flushes the requests this loop turn queued. */
static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_input *svc = arg;

	(void)fd;
	(void)what;
	svc->dirty = 0;
	if (check_dead(svc))
		return;
	xcb_flush(svc->xc);
	drain(svc);
}

/* Sends one XTest event. */
static void
fake(struct svc_input *svc, uint8_t type, uint8_t detail, int x, int y)
{
	if (svc->dead)
		return;
	xcb_test_fake_input(svc->xc, type, detail, XCB_CURRENT_TIME,
	    type == XCB_MOTION_NOTIFY ? svc->root : XCB_NONE,
	    (int16_t)x, (int16_t)y, 0);
	mark_dirty(svc);
}

/* Returns the keysym in column col of keycode kc, 0 if none. */
static xcb_keysym_t
sym_at(const struct svc_input *svc, unsigned kc, unsigned col)
{
	if (svc->syms == NULL || kc < svc->kmin || kc > svc->kmax ||
	    col >= svc->kpk)
		return 0;
	return svc->syms[(kc - svc->kmin) * svc->kpk + col];
}

/* Returns the modifier class of a keysym. */
static enum mclass
sym_class(xcb_keysym_t ks)
{
	switch (ks) {
	case KS_Shift_L:
	case KS_Shift_R:
		return MC_SHIFT;
	case KS_Control_L:
	case KS_Control_R:
		return MC_CONTROL;
	case KS_Alt_L:
	case KS_Alt_R:
	case KS_Meta_L:
	case KS_Meta_R:
		return MC_ALT;
	case KS_Super_L:
	case KS_Super_R:
		return MC_META;
	default:
		return MC_NONE;
	}
}

/* Returns the modifier class of keycode kc by its first keysym. */
static enum mclass
kc_class(const struct svc_input *svc, unsigned kc)
{
	return sym_class(sym_at(svc, kc, 0));
}

/* Refetches the keyboard and modifier mappings after a change. */
static int
refresh_map(struct svc_input *svc)
{
	xcb_get_keyboard_mapping_cookie_t kck;
	xcb_get_modifier_mapping_cookie_t mck;
	xcb_get_keyboard_mapping_reply_t *kr;
	xcb_get_modifier_mapping_reply_t *mr;
	xcb_keysym_t *syms;
	xcb_keycode_t *mk;
	unsigned n, kc, col, i;
	int j;

	if (svc->dead)
		return ERR_IO;
	svc->stale = 0;
	n = (unsigned)svc->kmax - svc->kmin + 1;
	kck = xcb_get_keyboard_mapping(svc->xc, svc->kmin, (uint8_t)n);
	mck = xcb_get_modifier_mapping(svc->xc);
	kr = xcb_get_keyboard_mapping_reply(svc->xc, kck, NULL);
	mr = xcb_get_modifier_mapping_reply(svc->xc, mck, NULL);
	if (kr == NULL || mr == NULL ||
	    xcb_get_keyboard_mapping_keysyms_length(kr) <
	    (int)(n * kr->keysyms_per_keycode) ||
	    xcb_get_modifier_mapping_keycodes_length(mr) <
	    8 * mr->keycodes_per_modifier) {
		free(kr);
		free(mr);
		svc->stale = 1;
		check_dead(svc);
		return ERR_IO;
	}
	free(svc->syms);
	free(svc->modkc);
	svc->kpk = kr->keysyms_per_keycode;
	syms = xcb_get_keyboard_mapping_keysyms(kr);
	svc->syms = xcalloc(n * (svc->kpk ? svc->kpk : 1), sizeof(*syms));
	memcpy(svc->syms, syms, n * svc->kpk * sizeof(*syms));
	svc->kpm = mr->keycodes_per_modifier;
	mk = xcb_get_modifier_mapping_keycodes(mr);
	svc->modkc = xcalloc(8 * (svc->kpm ? svc->kpm : 1), sizeof(*mk));
	memcpy(svc->modkc, mk, 8 * svc->kpm * sizeof(*mk));
	free(kr);
	free(mr);

	/* Which of Mod1..Mod5 is NumLock. */
	svc->numlock_mask = 0;
	for (i = 0; i < 8u * svc->kpm; i++)
		if (svc->modkc[i] != 0 &&
		    sym_at(svc, svc->modkc[i], 0) == KS_Num_Lock)
			svc->numlock_mask = (uint16_t)(1u << (i / svc->kpm));

	/* A slot survives only if the server still maps it our way. */
	for (j = 0; j < svc->nslots; j++) {
		struct slot *s = &svc->slots[j];

		if (s->ks != 0 && sym_at(svc, s->kc, 0) != s->ks)
			s->ks = 0;
	}
	memset(svc->spare, 0, sizeof(svc->spare));
	for (kc = svc->kmin; kc <= svc->kmax; kc++) {
		int empty = 1;

		for (col = 0; col < svc->kpk; col++)
			if (sym_at(svc, kc, col) != 0)
				empty = 0;
		for (i = 0; i < 8u * svc->kpm; i++)
			if (svc->modkc[i] == kc)
				empty = 0;
		for (j = 0; j < svc->nslots; j++)
			if (svc->slots[j].kc == kc)
				empty = 1;
		if (empty)
			kc_set(svc->spare, kc, 1);
	}
	return 0;
}

/* Makes sure the keymap cache is current; returns 0 or ERR_IO. */
static int
ensure_map(struct svc_input *svc)
{
	if (svc->dead)
		return ERR_IO;
	drain(svc);
	if (svc->stale || svc->syms == NULL)
		return refresh_map(svc);
	return 0;
}

/*
 * Finds a keycode producing ks without a group switch. *level receives the
 * level it sits on (0 plain, 1 shift, 2 level 3, 3 level 3 + shift).
 * Returns the keycode or 0.
 */
static unsigned
find_sym(const struct svc_input *svc, xcb_keysym_t ks, int *level)
{
	static const unsigned cols[] = { 0, 1, 4, 5 };
	unsigned kc, c;

	if (ks == 0)
		return 0;
	for (c = 0; c < 4; c++) {
		for (kc = svc->kmin; kc <= svc->kmax; kc++) {
			if (sym_at(svc, kc, cols[c]) == ks) {
				*level = (int)c;
				return kc;
			}
		}
	}
	return 0;
}

/* Returns the first keycode whose plain keysym is ks, or 0. */
static unsigned
find_plain(const struct svc_input *svc, xcb_keysym_t ks)
{
	int level;
	unsigned kc;

	kc = find_sym(svc, ks, &level);
	return level == 0 ? kc : 0;
}

/* Finds the connection's state, creating it if create is set. */
static struct held *
held_get(struct svc_input *svc, uint32_t conn_id, int create)
{
	struct held *h;

	for (h = svc->conns; h != NULL; h = h->next)
		if (h->conn_id == conn_id)
			return h;
	if (!create)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->conn_id = conn_id;
	h->tokens = svc->burst;
	h->refill_us = mono_us();
	h->next = svc->conns;
	svc->conns = h;
	return h;
}

/* Presses kc for h (another press while it holds kc is an autorepeat). */
static void
key_down(struct svc_input *svc, struct held *h, unsigned kc)
{
	if (kc < svc->kmin || kc > svc->kmax)
		return;
	if (!kc_isset(h->keys, kc)) {
		kc_set(h->keys, kc, 1);
		h->since[kc] = now_ms();
		svc->key_refs[kc]++;
	}
	fake(svc, XCB_KEY_PRESS, (uint8_t)kc, 0, 0);
	tick_arm(svc);
}

/* Releases kc for h; the key goes up when no connection holds it. */
static void
key_up(struct svc_input *svc, struct held *h, unsigned kc)
{
	if (kc >= KC_N || !kc_isset(h->keys, kc))
		return;
	kc_set(h->keys, kc, 0);
	if (svc->key_refs[kc] > 0 && --svc->key_refs[kc] == 0)
		fake(svc, XCB_KEY_RELEASE, (uint8_t)kc, 0, 0);
}

/* Presses and releases kc, untracked (lock toggles, clicks of keys nobody
 * holds). */
static void
key_tap(struct svc_input *svc, unsigned kc)
{
	if (kc < svc->kmin || kc > svc->kmax)
		return;
	fake(svc, XCB_KEY_PRESS, (uint8_t)kc, 0, 0);
	if (svc->key_refs[kc] == 0)
		fake(svc, XCB_KEY_RELEASE, (uint8_t)kc, 0, 0);
}

/* Returns 1 when any connection holds a key of class mc. */
static int
class_down(const struct svc_input *svc, enum mclass mc)
{
	unsigned kc;

	for (kc = svc->kmin; kc <= svc->kmax; kc++)
		if (svc->key_refs[kc] > 0 && kc_class(svc, kc) == mc)
			return 1;
	return 0;
}

/* Releases every key of class mc that h holds. */
static void
class_release(struct svc_input *svc, struct held *h, enum mclass mc)
{
	unsigned kc;

	for (kc = svc->kmin; kc <= svc->kmax; kc++)
		if (kc_isset(h->keys, kc) && kc_class(svc, kc) == mc)
			key_up(svc, h, kc);
}

/* Presses button (1..9) for h. */
static void
button_down(struct svc_input *svc, struct held *h, unsigned b)
{
	if (h->buttons & (1u << b))
		return;
	h->buttons |= (uint16_t)(1u << b);
	if (svc->btn_refs[b]++ == 0)
		fake(svc, XCB_BUTTON_PRESS, (uint8_t)b, 0, 0);
	tick_arm(svc);
}

/* Releases button b for h; it goes up when nobody holds it. */
static void
button_up(struct svc_input *svc, struct held *h, unsigned b)
{
	if (!(h->buttons & (1u << b)))
		return;
	h->buttons &= (uint16_t)~(1u << b);
	if (svc->btn_refs[b] > 0 && --svc->btn_refs[b] == 0)
		fake(svc, XCB_BUTTON_RELEASE, (uint8_t)b, 0, 0);
	if (b == 1)
		svc->last_click_ms = now_ms();
}

/* Clicks a wheel button n times. */
static void
wheel(struct svc_input *svc, unsigned b, int n)
{
	int i;

	for (i = 0; i < n && i < SVC_INPUT_WHEEL_MAX; i++) {
		fake(svc, XCB_BUTTON_PRESS, (uint8_t)b, 0, 0);
		fake(svc, XCB_BUTTON_RELEASE, (uint8_t)b, 0, 0);
	}
}

/* Returns the modifier class a ControlKey in a `modifiers` list names. */
static enum mclass
ck_class(int ck)
{
	switch (ck) {
	case HBB__CONTROL_KEY__Shift:
	case HBB__CONTROL_KEY__RShift:
		return MC_SHIFT;
	case HBB__CONTROL_KEY__Control:
	case HBB__CONTROL_KEY__RControl:
		return MC_CONTROL;
	case HBB__CONTROL_KEY__Alt:
	case HBB__CONTROL_KEY__RAlt:
	case HBB__CONTROL_KEY__Option:
	case HBB__CONTROL_KEY__Menu:
		return MC_ALT;
	case HBB__CONTROL_KEY__Meta:
	case HBB__CONTROL_KEY__RWin:
		return MC_META;
	default:
		return MC_NONE;
	}
}

/* Returns 1 when the modifiers list names ControlKey ck. */
static int
mods_has(size_t n, const Hbb__ControlKey *mods, int ck)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((int)mods[i] == ck)
			return 1;
	return 0;
}

/*
 * Makes the modifier state match the list of an event (upstream
 * fix_modifiers + press_modifiers): a class h holds that the list omits is
 * released (its key-up got lost); a listed class nobody holds is pressed
 * and recorded in *tmp, to be released by mods_restore after the event.
 * skip is a class left alone (the event's own key).
 */
static void
mods_sync(struct svc_input *svc, struct held *h, size_t n,
    const Hbb__ControlKey *mods, enum mclass skip, unsigned tmp[MC_N])
{
	static const xcb_keysym_t left[MC_N] = {
		[MC_SHIFT] = KS_Shift_L, [MC_CONTROL] = KS_Control_L,
		[MC_ALT] = KS_Alt_L, [MC_META] = KS_Super_L,
	};
	int listed[MC_N] = { 0 };
	size_t i;
	int mc;

	for (i = 0; i < n; i++)
		listed[ck_class((int)mods[i])] = 1;
	for (mc = MC_SHIFT; mc < MC_N; mc++) {
		tmp[mc] = 0;
		if (mc == (int)skip)
			continue;
		if (!listed[mc]) {
			class_release(svc, h, mc);
			continue;
		}
		if (!class_down(svc, mc)) {
			unsigned kc = find_plain(svc, left[mc]);

			if (kc != 0) {
				key_down(svc, h, kc);
				tmp[mc] = kc;
			}
		}
	}
}

/* Releases what mods_sync pressed. */
static void
mods_restore(struct svc_input *svc, struct held *h, const unsigned tmp[MC_N])
{
	int mc;

	for (mc = MC_N - 1; mc > MC_NONE; mc--)
		if (tmp[mc] != 0)
			key_up(svc, h, tmp[mc]);
}

/* Returns the modifier mask of the pointer's device (lock state). */
static int
query_mask(struct svc_input *svc, uint16_t *mask)
{
	xcb_query_pointer_reply_t *r;

	*mask = 0;
	if (svc->dead)
		return ERR_IO;
	r = xcb_query_pointer_reply(svc->xc,
	    xcb_query_pointer(svc->xc, svc->root), NULL);
	if (r == NULL) {
		check_dead(svc);
		return ERR_IO;
	}
	*mask = r->mask;
	free(r);
	return 0;
}

/* Returns 1 for a keycode whose two first levels are a letter's cases. */
static int
kc_is_letter(const struct svc_input *svc, unsigned kc)
{
	xcb_keysym_t lo = sym_at(svc, kc, 0), up = sym_at(svc, kc, 1);

	if (lo >= 'a' && lo <= 'z')
		return up == lo - 32;
	if ((lo >= 0xe0 && lo <= 0xfe && lo != 0xf7) ||
	    (lo & 0xff000000) == 0x01000000)
		return up != 0 && up != lo;
	return 0;
}

/* Returns 1 for a keypad keycode (KP_* keysym on its first level). */
static int
kc_is_keypad(const struct svc_input *svc, unsigned kc)
{
	xcb_keysym_t ks = sym_at(svc, kc, 0);

	return ks >= 0xff80 && ks <= 0xffbd;
}

/*
 * Makes CapsLock (for a letter key) or NumLock (for a keypad key) match the
 * event's `modifiers` before a key-down, as upstream's LockModesHandler;
 * *undo receives the lock keycodes to tap again afterwards.
 */
static void
locks_sync(struct svc_input *svc, unsigned kc, size_t n,
    const Hbb__ControlKey *mods, unsigned undo[2])
{
	uint16_t mask;
	int letter, keypad;
	unsigned lk;

	undo[0] = undo[1] = 0;
	letter = kc_is_letter(svc, kc);
	keypad = kc_is_keypad(svc, kc) && svc->numlock_mask != 0;
	if ((!letter && !keypad) || query_mask(svc, &mask) != 0)
		return;
	if (letter && !!(mask & XCB_MOD_MASK_LOCK) !=
	    mods_has(n, mods, HBB__CONTROL_KEY__CapsLock) &&
	    (lk = find_plain(svc, KS_Caps_Lock)) != 0) {
		key_tap(svc, lk);
		undo[0] = lk;
	}
	if (keypad && !!(mask & svc->numlock_mask) !=
	    mods_has(n, mods, HBB__CONTROL_KEY__NumLock) &&
	    (lk = find_plain(svc, KS_Num_Lock)) != 0) {
		key_tap(svc, lk);
		undo[1] = lk;
	}
}

/* Taps back the locks locks_sync toggled. */
static void
locks_restore(struct svc_input *svc, const unsigned undo[2])
{
	if (undo[1] != 0)
		key_tap(svc, undo[1]);
	if (undo[0] != 0)
		key_tap(svc, undo[0]);
}

/*
 * Records the keycodes holding temporary mappings in a root window
 * property, so that an instance started after a crash can restore them.
 */
static void
slots_record(struct svc_input *svc)
{
	uint8_t kcs[SLOT_MAX];
	int i, n = 0;

	if (svc->slots_atom == XCB_NONE)
		return;
	for (i = 0; i < svc->nslots; i++)
		if (svc->slots[i].ks != 0)
			kcs[n++] = svc->slots[i].kc;
	if (n == 0)
		xcb_delete_property(svc->xc, svc->root, svc->slots_atom);
	else
		xcb_change_property(svc->xc, XCB_PROP_MODE_REPLACE, svc->root,
		    svc->slots_atom, XCB_ATOM_CARDINAL, 8, (uint32_t)n, kcs);
}

/* Clears the temporary mappings a crashed instance left (the keycodes in
 * the root property), before the spare keycodes are counted. */
static void
slots_recover(struct svc_input *svc)
{
	xcb_intern_atom_reply_t *a;
	xcb_get_property_reply_t *p;
	const uint8_t *kc;
	int i, n;

	a = xcb_intern_atom_reply(svc->xc, xcb_intern_atom(svc->xc, 0,
	    strlen("_CDESK_INPUT_SLOTS"), "_CDESK_INPUT_SLOTS"), NULL);
	if (a == NULL)
		return;
	svc->slots_atom = a->atom;
	free(a);
	p = xcb_get_property_reply(svc->xc, xcb_get_property(svc->xc, 1,
	    svc->root, svc->slots_atom, XCB_ATOM_CARDINAL, 0, SLOT_MAX), NULL);
	if (p == NULL)
		return;
	if (p->format == 8) {
		kc = xcb_get_property_value(p);
		n = xcb_get_property_value_length(p);
		for (i = 0; i < n; i++) {
			if (kc[i] < svc->kmin || kc[i] > svc->kmax ||
			    kc_isset(svc->spare, kc[i]))
				continue;
			set_mapping(svc, kc[i], 0);
			log_info("input: restored keycode %u left mapped by an "
			    "earlier instance", kc[i]);
		}
		if (n > 0)
			svc->stale = 1;
	}
	free(p);
}

/* Writes keysym ks onto keycode kc (ks 0 clears it). */
static void
set_mapping(struct svc_input *svc, unsigned kc, xcb_keysym_t ks)
{
	xcb_keysym_t row[256];
	unsigned col, kpk = svc->kpk ? svc->kpk : 1;

	if (kpk > 256 || svc->syms == NULL)
		return;
	for (col = 0; col < kpk; col++)
		row[col] = col < 2 ? ks : 0;
	xcb_change_keyboard_mapping(svc->xc, 1, (xcb_keycode_t)kc,
	    (uint8_t)kpk, row);
	memcpy(&svc->syms[(kc - svc->kmin) * svc->kpk], row,
	    svc->kpk * sizeof(*row));
	mark_dirty(svc);
}

/*
 * Returns a keycode temporarily mapped to ks: an existing slot, a spare
 * keycode, or the least recently used slot nobody holds. 0 if none.
 */
static unsigned
slot_get(struct svc_input *svc, xcb_keysym_t ks)
{
	struct slot *s, *lru = NULL;
	unsigned kc;
	int i;

	for (i = 0; i < svc->nslots; i++) {
		s = &svc->slots[i];
		if (s->ks == ks) {
			s->used_ms = now_ms();
			return s->kc;
		}
	}
	if (svc->nslots < SLOT_MAX) {
		for (kc = svc->kmax; kc >= svc->kmin && kc > 0; kc--) {
			int taken = 0;

			if (!kc_isset(svc->spare, kc) || svc->key_refs[kc])
				continue;
			for (i = 0; i < svc->nslots; i++)
				if (svc->slots[i].kc == kc)
					taken = 1;
			if (taken)
				continue;
			lru = &svc->slots[svc->nslots++];
			lru->kc = (xcb_keycode_t)kc;
			break;
		}
	}
	if (lru == NULL) {
		for (i = 0; i < svc->nslots; i++) {
			s = &svc->slots[i];
			if (svc->key_refs[s->kc])
				continue;
			if (s->ks == 0) {
				lru = s;
				break;
			}
			if (lru == NULL || s->used_ms < lru->used_ms)
				lru = s;
		}
	}
	if (lru == NULL)
		return 0;
	lru->ks = ks;
	lru->used_ms = now_ms();
	set_mapping(svc, lru->kc, ks);
	slots_record(svc);
	tick_arm(svc);
	return lru->kc;
}

/* Restores slots unused for SLOT_IDLE_MS (all of them if force). */
static void
slots_expire(struct svc_input *svc, int force)
{
	int64_t now = now_ms();
	int i, changed = 0;

	for (i = 0; i < svc->nslots; i++) {
		struct slot *s = &svc->slots[i];

		if (s->ks == 0 || svc->key_refs[s->kc])
			continue;
		if (force || now - s->used_ms > SLOT_IDLE_MS) {
			set_mapping(svc, s->kc, 0);
			s->ks = 0;
			changed = 1;
		}
	}
	if (changed)
		slots_record(svc);
}

/* Returns the keysym for Unicode code point cp, 0 for nothing to type. */
static xcb_keysym_t
cp_keysym(uint32_t cp)
{
	switch (cp) {
	case '\b':
		return KS_BackSpace;
	case '\t':
		return KS_Tab;
	case '\n':
	case '\r':
		return KS_Return;
	case 0x1b:
		return KS_Escape;
	case 0x7f:
		return KS_Delete;
	default:
		break;
	}
	if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff))
		return cp;
	if (cp < 0x100 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return 0x01000000 | cp;
}

/*
 * Finds a keycode and level for code point cp, also under the legacy
 * keysym some layouts use for it. Returns the keycode or 0.
 */
static unsigned
find_cp(const struct svc_input *svc, uint32_t cp, int *level)
{
	unsigned kc;

	if ((kc = find_sym(svc, cp_keysym(cp), level)) != 0)
		return kc;
	if (cp == 0x20ac)
		return find_sym(svc, KS_EuroSign, level);
	return 0;
}

/*
 * Types code point cp with exactly the levels it needs: Shift is released
 * (when h holds it and no Ctrl/Alt/Meta is down, as upstream does for
 * typed characters) or pressed around the key; level 3 is pressed around
 * it; a character the layout lacks goes through a slot. lock is the host's
 * CapsLock state.
 */
static void
type_cp(struct svc_input *svc, struct held *h, uint32_t cp, int lock)
{
	xcb_keysym_t ks = cp_keysym(cp);
	unsigned kc, shift = 0, l3 = 0;
	int level = 0, hotkey, want_shift;

	if (ks == 0)
		return;
	if (ks == KS_Return)
		svc->last_click_ms = now_ms();
	kc = find_cp(svc, cp, &level);
	if (kc != 0 && level >= 2 && find_plain(svc, KS_Level3) == 0 &&
	    find_plain(svc, KS_Mode_switch) == 0)
		kc = 0;
	if (kc == 0) {
		if ((kc = slot_get(svc, ks)) == 0)
			return;
		level = -1;	/* every level: Shift is irrelevant */
	}
	hotkey = class_down(svc, MC_CONTROL) || class_down(svc, MC_ALT) ||
	    class_down(svc, MC_META);
	if (level >= 0) {
		want_shift = level & 1;
		if (lock && kc_is_letter(svc, kc))
			want_shift = !want_shift;
		if (!want_shift && !hotkey)
			class_release(svc, h, MC_SHIFT);
		if (want_shift && !class_down(svc, MC_SHIFT) &&
		    (shift = find_plain(svc, KS_Shift_L)) != 0)
			key_down(svc, h, shift);
		if (level >= 2) {
			if ((l3 = find_plain(svc, KS_Level3)) == 0)
				l3 = find_plain(svc, KS_Mode_switch);
			if (l3 != 0 && !kc_isset(h->keys, l3))
				key_down(svc, h, l3);
			else
				l3 = 0;
		}
	}
	if (kc_isset(h->keys, kc))
		key_up(svc, h, kc);
	key_down(svc, h, kc);
	key_up(svc, h, kc);
	if (l3 != 0)
		key_up(svc, h, l3);
	if (shift != 0)
		key_up(svc, h, shift);
}

/*
 * Decodes one UTF-8 code point from s (n bytes left) into *cp. Returns the
 * bytes used (at least 1); an invalid sequence yields U+FFFD for its first
 * byte.
 */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		c = s[0] & 0x1f;
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		c = s[0] & 0x0f;
		len = 3;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		c = s[0] & 0x07;
		len = 4;
	} else
		goto bad;
	if (len > n)
		goto bad;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return len;
bad:
	*cp = 0xfffd;
	return 1;
}

/* Decodes UTF-8 into code points, U+FFFD for bad bytes. */
size_t
svc_input_decode_text(const char *s, size_t len, uint32_t *cps, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k = 0, used;
	uint32_t cp;

	while (len > 0 && k < max) {
		used = utf8_next(p, len, &cp);
		p += used;
		len -= used;
		if (cps != NULL)
			cps[k] = cp;
		k++;
	}
	return k;
}

/* Types UTF-8 text (at most SVC_INPUT_SEQ_MAX code points). */
static void
type_text(struct svc_input *svc, struct held *h, const char *s)
{
	uint32_t *cps;
	uint16_t mask;
	size_t n, i;

	if (*s == '\0' || ensure_map(svc) != 0 || query_mask(svc, &mask) != 0)
		return;
	cps = xcalloc(SVC_INPUT_SEQ_MAX, sizeof(*cps));
	n = svc_input_decode_text(s, strlen(s), cps, SVC_INPUT_SEQ_MAX);
	for (i = 0; i < n; i++)
		type_cp(svc, h, cps[i], (mask & XCB_MOD_MASK_LOCK) != 0);
	free(cps);
}

/* Refills h's bucket and returns 1 when cost tokens are available (and
 * takes them). cost above the burst is allowed on a full bucket, leaving a
 * debt. */
static int
take_tokens(struct svc_input *svc, struct held *h, double cost)
{
	int64_t now = mono_us();
	double need;

	if (svc->rate == 0)
		return 1;
	h->tokens += (double)(now - h->refill_us) * svc->rate / 1e6;
	if (h->tokens > svc->burst)
		h->tokens = svc->burst;
	h->refill_us = now;
	need = cost < svc->burst ? cost : svc->burst;
	if (h->tokens < need)
		return 0;
	h->tokens -= cost;
	return 1;
}

/* Says a dropped event, rate-limited. */
static void
note_drop(struct svc_input *svc, struct held *h)
{
	svc->dropped++;
	if (log_ratelimit_ok(&svc->rl, 10, 3))
		log_warn("conn %u: input over %u events/s; dropping",
		    h->conn_id, svc->rate);
}

/* Clamps x into [lo, hi]. */
static int32_t
clamp(int64_t x, int64_t lo, int64_t hi)
{
	return (int32_t)(x < lo ? lo : x > hi ? hi : x);
}

/* Moves the pointer to virtual-desktop x, y, clamped to the screen. */
static void
move_abs(struct svc_input *svc, struct held *h, int32_t x, int32_t y)
{
	fake(svc, XCB_MOTION_NOTIFY, 0, clamp(x, 0, svc->w - 1),
	    clamp(y, 0, svc->h - 1));
	svc->last_move_ms = now_ms();
	svc->last_move_conn = h->conn_id;
}

/* Moves the pointer by dx, dy. */
static void
move_rel(struct svc_input *svc, struct held *h, int32_t dx, int32_t dy)
{
	fake(svc, XCB_MOTION_NOTIFY, 1, clamp(dx, -REL_MAX, REL_MAX),
	    clamp(dy, -REL_MAX, REL_MAX));
	svc->last_move_ms = now_ms();
	svc->last_move_conn = h->conn_id;
}

/* Applies h's coalesced moves, if any. */
static void
apply_pending(struct svc_input *svc, struct held *h)
{
	if (h->pend_abs)
		move_abs(svc, h, h->pend_x, h->pend_y);
	if (h->pend_dx != 0 || h->pend_dy != 0)
		move_rel(svc, h, h->pend_dx, h->pend_dy);
	h->pend_abs = 0;
	h->pend_dx = h->pend_dy = 0;
}

/* Returns 1 when h owes nothing (no pending move, nothing held). */
static int
held_idle(const struct held *h)
{
	size_t i;

	if (h->pend_abs || h->pend_dx || h->pend_dy || h->buttons || h->pinch)
		return 0;
	for (i = 0; i < sizeof(h->keys); i++)
		if (h->keys[i])
			return 0;
	return 1;
}

/* Releases everything h holds. */
static void
held_release(struct svc_input *svc, struct held *h)
{
	unsigned kc, b;

	for (b = 1; b < BTN_N; b++)
		button_up(svc, h, b);
	for (kc = 0; kc < KC_N; kc++)
		key_up(svc, h, kc);
	h->pinch = 0;
	h->pinch_acc = 0;
}

/* Timer: applies coalesced moves as tokens allow, releases keys held too
 * long (upstream's 360 s watchdog) and restores idle slots. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_input *svc = arg;
	struct held *h;
	int64_t now = now_ms();
	unsigned kc;

	(void)fd;
	(void)what;
	svc->tick_ms = 0;
	if (svc->dead)
		return;
	for (h = svc->conns; h != NULL; h = h->next) {
		if ((h->pend_abs || h->pend_dx || h->pend_dy) &&
		    take_tokens(svc, h, 1))
			apply_pending(svc, h);
		for (kc = 0; kc < KC_N; kc++) {
			if (kc_isset(h->keys, kc) &&
			    now - h->since[kc] > HOLD_MAX_MS) {
				log_info("conn %u: releasing key %u held "
				    "over %d s", h->conn_id, kc,
				    HOLD_MAX_MS / 1000);
				key_up(svc, h, kc);
			}
		}
	}
	slots_expire(svc, 0);
	tick_arm(svc);
}

/* Arms the tick for whatever still needs it. */
static void
tick_arm(struct svc_input *svc)
{
	struct held *h;
	struct timeval tv;
	int ms = 0, i;

	if (svc->dead)
		return;
	for (h = svc->conns; h != NULL; h = h->next) {
		if (h->pend_abs || h->pend_dx || h->pend_dy) {
			ms = TICK_FAST_MS;
			break;
		}
		if (!held_idle(h))
			ms = TICK_SLOW_MS;
	}
	for (i = 0; i < svc->nslots && ms == 0; i++)
		if (svc->slots[i].ks != 0)
			ms = TICK_SLOW_MS;
	if (ms == 0 || (svc->tick_ms != 0 && svc->tick_ms <= ms))
		return;
	svc->tick_ms = ms;
	tv.tv_sec = 0;
	tv.tv_usec = ms * 1000;
	evtimer_add(svc->tick, &tv);
}

/* Interns an atom; XCB_NONE on failure. */
static xcb_atom_t
intern(struct svc_input *svc, const char *name)
{
	xcb_intern_atom_reply_t *a;
	xcb_atom_t atom = XCB_NONE;

	a = xcb_intern_atom_reply(svc->xc, xcb_intern_atom(svc->xc, 0,
	    (uint16_t)strlen(name), name), NULL);
	if (a != NULL)
		atom = a->atom;
	free(a);
	return atom;
}

/* Sets the "Device Enabled" property of XInput device id. */
static void
device_enable(struct svc_input *svc, uint32_t id, int on)
{
	uint8_t v[4] = { on ? 1 : 0, 0, 0, 0 };	/* xcb copies 4 bytes */

	xcb_input_xi_change_property(svc->xc, (xcb_input_device_id_t)id,
	    XCB_PROP_MODE_REPLACE, 8, svc->enabled_atom, XCB_ATOM_INTEGER, 1,
	    v);
}

/* Records the devices block input disabled in a root property. */
static void
blocked_record(struct svc_input *svc)
{
	if (svc->nblocked == 0)
		xcb_delete_property(svc->xc, svc->root, svc->blocked_atom);
	else
		xcb_change_property(svc->xc, XCB_PROP_MODE_REPLACE, svc->root,
		    svc->blocked_atom, XCB_ATOM_CARDINAL, 32,
		    (uint32_t)svc->nblocked, svc->blocked);
}

/* Sets up XInput 2 for block input and re-enables the devices a crashed
 * instance left disabled. */
static void
block_init(struct svc_input *svc)
{
	const xcb_query_extension_reply_t *ext;
	xcb_input_xi_query_version_reply_t *v;
	xcb_get_property_reply_t *p;
	const uint32_t *ids;
	int i, n;

	ext = xcb_get_extension_data(svc->xc, &xcb_input_id);
	if (ext == NULL || !ext->present)
		return;
	v = xcb_input_xi_query_version_reply(svc->xc,
	    xcb_input_xi_query_version(svc->xc, 2, 0), NULL);
	if (v == NULL || v->major_version < 2) {
		free(v);
		return;
	}
	free(v);
	svc->enabled_atom = intern(svc, "Device Enabled");
	svc->blocked_atom = intern(svc, "_CDESK_INPUT_BLOCKED");
	if (svc->enabled_atom == XCB_NONE || svc->blocked_atom == XCB_NONE)
		return;
	svc->xi2 = 1;
	p = xcb_get_property_reply(svc->xc, xcb_get_property(svc->xc, 1,
	    svc->root, svc->blocked_atom, XCB_ATOM_CARDINAL, 0, BLOCK_MAX),
	    NULL);
	if (p == NULL)
		return;
	if (p->format == 32) {
		ids = xcb_get_property_value(p);
		n = xcb_get_property_value_length(p) / 4;
		for (i = 0; i < n; i++) {
			device_enable(svc, ids[i], 1);
			log_info("input: re-enabled device %u an earlier "
			    "instance blocked", ids[i]);
		}
	}
	free(p);
}

/* Disables or re-enables the physical input devices. */
int
svc_input_block(struct svc_input *svc, int on)
{
	xcb_input_xi_query_device_reply_t *r;
	xcb_input_xi_device_info_iterator_t it;
	xcb_input_xi_device_info_t *d;
	const char *name;
	int i, len;

	if (check_dead(svc))
		return ERR_IO;
	if (!svc->xi2)
		return ERR_UNSUPP;
	if (!on) {
		for (i = 0; i < svc->nblocked; i++)
			device_enable(svc, svc->blocked[i], 1);
		svc->nblocked = 0;
		svc->blocking = 0;
		blocked_record(svc);
		mark_dirty(svc);
		return 0;
	}
	if (svc->blocking)
		return 0;
	r = xcb_input_xi_query_device_reply(svc->xc,
	    xcb_input_xi_query_device(svc->xc, XCB_INPUT_DEVICE_ALL), NULL);
	if (r == NULL) {
		check_dead(svc);
		return ERR_IO;
	}
	for (it = xcb_input_xi_query_device_infos_iterator(r); it.rem > 0;
	    xcb_input_xi_device_info_next(&it)) {
		d = it.data;
		if (d->type != XCB_INPUT_DEVICE_TYPE_SLAVE_POINTER &&
		    d->type != XCB_INPUT_DEVICE_TYPE_SLAVE_KEYBOARD &&
		    d->type != XCB_INPUT_DEVICE_TYPE_FLOATING_SLAVE)
			continue;
		name = xcb_input_xi_device_info_name(d);
		len = xcb_input_xi_device_info_name_length(d);
		if (!d->enabled ||
		    memmem(name, (size_t)len, "XTEST", 5) != NULL)
			continue;
		if (svc->nblocked == BLOCK_MAX)
			break;
		svc->blocked[svc->nblocked++] = d->deviceid;
		device_enable(svc, d->deviceid, 0);
	}
	free(r);
	svc->blocking = 1;
	blocked_record(svc);
	mark_dirty(svc);
	log_info("input: local input blocked (%d devices)", svc->nblocked);
	return 0;
}

/* Returns 1 while local input is blocked. */
int
svc_input_blocked(const struct svc_input *svc)
{
	return svc->blocking;
}

/*
 * Releases every key and button on the XTest devices, so that nothing a
 * crashed instance held stays down. The server drops a release for a key
 * the XTest device does not hold, so keys the local user holds are not
 * touched.
 */
static void
release_stale(struct svc_input *svc)
{
	unsigned kc, b;

	for (kc = svc->kmin; kc <= svc->kmax; kc++)
		fake(svc, XCB_KEY_RELEASE, (uint8_t)kc, 0, 0);
	for (b = 1; b < BTN_N; b++)
		fake(svc, XCB_BUTTON_RELEASE, (uint8_t)b, 0, 0);
}

/* Counts the keycodes free for temporary mappings. */
static int
spare_count(const struct svc_input *svc)
{
	unsigned kc;
	int n = 0;

	for (kc = 0; kc < KC_N; kc++)
		n += kc_isset(svc->spare, kc);
	return n;
}

/* Connects to the display, checks XTest, reads the keymap and cleans up
 * after a crashed instance. */
struct svc_input *
svc_input_new(struct event_base *base, char **cause)
{
	struct svc_input *svc;
	const xcb_query_extension_reply_t *ext;
	const xcb_setup_t *setup;
	xcb_screen_t *scr;
	xcb_screen_iterator_t it;
	uint32_t mask = XCB_EVENT_MASK_STRUCTURE_NOTIFY;
	int screen = 0, i;

	*cause = NULL;
	svc = xcalloc(1, sizeof(*svc));
	svc->base = base;
	svc->rate = SVC_INPUT_RATE;
	svc->burst = SVC_INPUT_BURST;
	svc->xc = xcb_connect(NULL, &screen);
	if (xcb_connection_has_error(svc->xc)) {
		xasprintf(cause, "input: cannot open display %s",
		    getenv("DISPLAY") ? getenv("DISPLAY") : "(DISPLAY unset)");
		goto fail;
	}
	ext = xcb_get_extension_data(svc->xc, &xcb_test_id);
	if (ext == NULL || !ext->present) {
		xasprintf(cause, "input: the X server has no XTEST extension");
		goto fail;
	}
	setup = xcb_get_setup(svc->xc);
	it = xcb_setup_roots_iterator(setup);
	for (i = 0; i < screen && it.rem > 0; i++)
		xcb_screen_next(&it);
	if (it.rem == 0 || (scr = it.data) == NULL) {
		xasprintf(cause, "input: no X screen %d", screen);
		goto fail;
	}
	svc->root = scr->root;
	svc->w = scr->width_in_pixels;
	svc->h = scr->height_in_pixels;
	svc->kmin = setup->min_keycode;
	svc->kmax = setup->max_keycode;
	xcb_change_window_attributes(svc->xc, svc->root, XCB_CW_EVENT_MASK,
	    &mask);
	if (refresh_map(svc) != 0) {
		xasprintf(cause, "input: cannot read the keyboard mapping");
		goto fail;
	}
	release_stale(svc);
	slots_recover(svc);
	block_init(svc);
	if (svc->stale && refresh_map(svc) != 0) {
		xasprintf(cause, "input: cannot read the keyboard mapping");
		goto fail;
	}
	svc->xev = event_new(base, xcb_get_file_descriptor(svc->xc),
	    EV_READ | EV_PERSIST, xev_cb, svc);
	svc->flush_ev = event_new(base, -1, 0, flush_cb, svc);
	svc->tick = evtimer_new(base, tick_cb, svc);
	if (svc->xev == NULL || svc->flush_ev == NULL || svc->tick == NULL ||
	    event_add(svc->xev, NULL) != 0) {
		xasprintf(cause, "input: cannot create events");
		goto fail;
	}
	xcb_flush(svc->xc);
	log_info("input: XTest on screen %d (%dx%d), %d spare keycodes",
	    screen, svc->w, svc->h, spare_count(svc));
	return svc;
fail:
	svc_input_free(svc);
	return NULL;
}

/* Releases everything held, restores slots and local input, and frees. */
void
svc_input_free(struct svc_input *svc)
{
	struct held *h;

	if (svc == NULL)
		return;
	while ((h = svc->conns) != NULL) {
		held_release(svc, h);
		svc->conns = h->next;
		free(h);
	}
	if (svc->xc != NULL && !svc->dead &&
	    !xcb_connection_has_error(svc->xc)) {
		slots_expire(svc, 1);
		if (svc->blocking)
			svc_input_block(svc, 0);
		/* A round trip, so everything above reached the server. */
		free(xcb_get_input_focus_reply(svc->xc,
		    xcb_get_input_focus(svc->xc), NULL));
	}
	if (svc->xev != NULL)
		event_free(svc->xev);
	if (svc->flush_ev != NULL)
		event_free(svc->flush_ev);
	if (svc->tick != NULL)
		event_free(svc->tick);
	if (svc->xc != NULL)
		xcb_disconnect(svc->xc);
	free(svc->syms);
	free(svc->modkc);
	free(svc);
}

/* Maps a button bit of the mask (§8.1) to an X button; 0 if not one. */
static unsigned
mask_button(int bits)
{
	switch (bits) {
	case 0x01:
		return 1;
	case 0x02:
		return 3;
	case 0x04:
		return 2;
	case 0x08:
		return 8;
	case 0x10:
		return 9;
	default:
		return 0;
	}
}

/* Injects one MouseEvent (see svc_input.h). */
int
svc_input_mouse(struct svc_input *svc, uint32_t conn_id,
    const Hbb__MouseEvent *ev)
{
	struct held *h;
	unsigned b, tmp[MC_N];
	int type = ev->mask & 7, n;

	if (check_dead(svc))
		return ERR_IO;
	h = held_get(svc, conn_id, 1);
	switch (type) {
	case 0:		/* move: supersedes whatever move is pending */
		h->pend_abs = 1;
		h->pend_x = ev->x;
		h->pend_y = ev->y;
		h->pend_dx = h->pend_dy = 0;
		if (take_tokens(svc, h, 1))
			apply_pending(svc, h);
		else
			tick_arm(svc);
		return 0;
	case 5:		/* relative move: accumulates after what is pending */
		h->pend_dx = clamp((int64_t)h->pend_dx +
		    clamp(ev->x, -REL_MAX, REL_MAX), -REL_MAX, REL_MAX);
		h->pend_dy = clamp((int64_t)h->pend_dy +
		    clamp(ev->y, -REL_MAX, REL_MAX), -REL_MAX, REL_MAX);
		if (take_tokens(svc, h, 1))
			apply_pending(svc, h);
		else
			tick_arm(svc);
		return 0;
	case 1:
	case 2:
		if ((b = mask_button((ev->mask >> 3) & 0x1f)) == 0 ||
		    (ev->mask >> 8) != 0)
			return ERR_INVAL;
		if (type == 1 && !take_tokens(svc, h, 1)) {
			note_drop(svc, h);
			return ERR_DENIED;
		}
		apply_pending(svc, h);
		/* Older clients send the position with the button. */
		if (ev->x != 0 || ev->y != 0)
			move_abs(svc, h, ev->x, ev->y);
		if (type == 2) {
			button_up(svc, h, b);
			return 0;
		}
		if (ensure_map(svc) != 0)
			return ERR_IO;
		mods_sync(svc, h, ev->n_modifiers, ev->modifiers, MC_NONE, tmp);
		button_down(svc, h, b);
		mods_restore(svc, h, tmp);
		return 0;
	case 3:
	case 4:		/* wheel and trackpad: notches, signs as upstream */
		if (!take_tokens(svc, h, 1)) {
			note_drop(svc, h);
			return ERR_DENIED;
		}
		apply_pending(svc, h);
		n = clamp(ev->y, -SVC_INPUT_WHEEL_MAX, SVC_INPUT_WHEEL_MAX);
		wheel(svc, n > 0 ? 4 : 5, n > 0 ? n : -n);
		n = clamp(ev->x, -SVC_INPUT_WHEEL_MAX, SVC_INPUT_WHEEL_MAX);
		wheel(svc, n > 0 ? 6 : 7, n > 0 ? n : -n);
		return 0;
	default:
		return ERR_INVAL;
	}
}

/* Presses (and, for press, releases) kc with the event's modifiers and
 * lock state synchronised around it; level says Shift / level 3 needs (-1:
 * none, a slot). */
static void
key_with_mods(struct svc_input *svc, struct held *h, const Hbb__KeyEvent *ev,
    unsigned kc, int level, enum mclass self)
{
	unsigned tmp[MC_N], undo[2] = { 0, 0 }, shift = 0, l3 = 0;

	mods_sync(svc, h, ev->n_modifiers, ev->modifiers, self, tmp);
	if (self == MC_NONE)
		locks_sync(svc, kc, ev->n_modifiers, ev->modifiers, undo);
	if (level > 0 && (level & 1) && !class_down(svc, MC_SHIFT) &&
	    (shift = find_plain(svc, KS_Shift_L)) != 0)
		key_down(svc, h, shift);
	if (level >= 2) {
		if ((l3 = find_plain(svc, KS_Level3)) == 0)
			l3 = find_plain(svc, KS_Mode_switch);
		if (l3 != 0 && !kc_isset(h->keys, l3))
			key_down(svc, h, l3);
		else
			l3 = 0;
	}
	key_down(svc, h, kc);
	if (ev->press)
		key_up(svc, h, kc);
	if (l3 != 0)
		key_up(svc, h, l3);
	if (shift != 0)
		key_up(svc, h, shift);
	mods_restore(svc, h, tmp);
	locks_restore(svc, undo);
}

/* Map mode, and Translate mode's position codes: chr is an X keycode. */
static int
key_map(struct svc_input *svc, struct held *h, const Hbb__KeyEvent *ev)
{
	unsigned kc, undo[2] = { 0, 0 };
	xcb_keysym_t ks;

	if (ev->union_case != HBB__KEY_EVENT__UNION_CHR)
		return ERR_INVAL;
	kc = ev->chr;
	if (kc < svc->kmin || kc > svc->kmax)
		return ERR_INVAL;
	if (!ev->down && !ev->press) {
		key_up(svc, h, kc);
		return 0;
	}
	ks = sym_at(svc, kc, 0);
	if (ks == KS_Return || ks == KS_KP_Enter)
		svc->last_click_ms = now_ms();
	if (kc_class(svc, kc) == MC_NONE && ks != KS_Tab && ks != KS_Return)
		locks_sync(svc, kc, ev->n_modifiers, ev->modifiers, undo);
	key_down(svc, h, kc);
	if (ev->press)
		key_up(svc, h, kc);
	locks_restore(svc, undo);
	return 0;
}

/* Presses keysyms ks[0..n-1] in order and releases them in reverse (an
 * action such as Ctrl+Alt+Del). */
static void
chord(struct svc_input *svc, struct held *h, const xcb_keysym_t *ks, int n)
{
	unsigned kc[4];
	int i;

	for (i = 0; i < n && i < 4; i++) {
		kc[i] = find_plain(svc, ks[i]);
		if (kc[i] != 0)
			key_down(svc, h, kc[i]);
	}
	for (i = (n < 4 ? n : 4) - 1; i >= 0; i--)
		if (kc[i] != 0)
			key_up(svc, h, kc[i]);
}

/* Legacy mode: a named key (§8.2). */
static int
key_control(struct svc_input *svc, struct held *h, const Hbb__KeyEvent *ev)
{
	static const xcb_keysym_t cad[] = { KS_Control_L, KS_Alt_L, KS_Delete };
	static const xcb_keysym_t lock[] = { KS_Super_L, 'l' };
	int ck = (int)ev->control_key, down = ev->down || ev->press;
	unsigned kc;
	int level = 0;
	xcb_keysym_t ks;

	if (ck == HBB__CONTROL_KEY__CtrlAltDel ||
	    ck == HBB__CONTROL_KEY__LockScreen) {
		/* X11 has no secure attention sequence: the keys themselves,
		 * and Super+L for the usual lock shortcut. */
		if (down)
			chord(svc, h, ck == HBB__CONTROL_KEY__CtrlAltDel ? cad :
			    lock, ck == HBB__CONTROL_KEY__CtrlAltDel ? 3 : 2);
		return 0;
	}
	if (ck <= 0 || (size_t)ck >= sizeof(ck_keysym) / sizeof(ck_keysym[0]) ||
	    (ks = ck_keysym[ck]) == 0)
		return ERR_INVAL;
	if ((kc = find_sym(svc, ks, &level)) == 0 &&
	    ck == HBB__CONTROL_KEY__RAlt)
		kc = find_sym(svc, ks = KS_Level3, &level);
	if (kc == 0) {
		if ((kc = slot_get(svc, ks)) == 0)
			return ERR_UNSUPP;
		level = -1;
	}
	if (!down) {
		key_up(svc, h, kc);
		return 0;
	}
	if (ks == KS_Return || ks == KS_KP_Enter)
		svc->last_click_ms = now_ms();
	key_with_mods(svc, h, ev, kc, level, sym_class(ks));
	return 0;
}

/* Legacy mode: a character key; letters arrive lower case and the listed
 * modifiers (Shift among them) apply (§8.2). */
static int
key_chr(struct svc_input *svc, struct held *h, const Hbb__KeyEvent *ev)
{
	xcb_keysym_t ks = cp_keysym(ev->chr);
	unsigned kc;
	int level = 0;

	if (ks == 0)
		return ERR_INVAL;
	if ((kc = find_cp(svc, ev->chr, &level)) == 0) {
		if ((kc = slot_get(svc, ks)) == 0)
			return ERR_UNSUPP;
		level = -1;
	}
	if (!ev->down && !ev->press) {
		key_up(svc, h, kc);
		return 0;
	}
	if (ks == KS_Return)
		svc->last_click_ms = now_ms();
	key_with_mods(svc, h, ev, kc, level, MC_NONE);
	return 0;
}

/* Types one code point from a KeyEvent's unicode member. */
static void
type_unicode(struct svc_input *svc, struct held *h, uint32_t cp)
{
	uint16_t mask;

	if (query_mask(svc, &mask) == 0)
		type_cp(svc, h, cp, (mask & XCB_MOD_MASK_LOCK) != 0);
}

/* Injects one KeyEvent in its keyboard mode (see svc_input.h). */
int
svc_input_key(struct svc_input *svc, uint32_t conn_id,
    const Hbb__KeyEvent *ev)
{
	struct held *h;
	int down = ev->down || ev->press;
	double cost = 1;

	if (check_dead(svc))
		return ERR_IO;
	h = held_get(svc, conn_id, 1);
	if (ev->union_case == HBB__KEY_EVENT__UNION_SEQ && ev->seq != NULL)
		cost = (double)svc_input_decode_text(ev->seq,
		    strlen(ev->seq), NULL, SVC_INPUT_SEQ_MAX);
	/* Releases always pass, so nothing stays down. */
	if (down && !take_tokens(svc, h, cost > 1 ? cost : 1)) {
		note_drop(svc, h);
		return ERR_DENIED;
	}
	apply_pending(svc, h);
	if (ensure_map(svc) != 0)
		return ERR_IO;
	switch (ev->union_case) {
	case HBB__KEY_EVENT__UNION_CONTROL_KEY:
		/* CtrlAltDel and LockScreen come in Legacy mode whatever the
		 * mode in use; any named key is handled the Legacy way. */
		return key_control(svc, h, ev);
	case HBB__KEY_EVENT__UNION_CHR:
		if (ev->mode == HBB__KEYBOARD_MODE__Map ||
		    ev->mode == HBB__KEYBOARD_MODE__Translate)
			return key_map(svc, h, ev);
		return key_chr(svc, h, ev);
	case HBB__KEY_EVENT__UNION_UNICODE:
		if (down)
			type_unicode(svc, h, ev->unicode);
		return 0;
	case HBB__KEY_EVENT__UNION_SEQ:
		if (down && ev->seq != NULL)
			type_text(svc, h, ev->seq);
		return 0;
	case HBB__KEY_EVENT__UNION_WIN2WIN_HOTKEY:
		return ERR_UNSUPP;	/* Windows to Windows only */
	default:
		return ERR_INVAL;
	}
}

/* Injects a PointerDeviceEvent: a pinch becomes Ctrl + wheel. */
int
svc_input_pointer(struct svc_input *svc, uint32_t conn_id,
    const Hbb__PointerDeviceEvent *ev)
{
	struct held *h;
	const Hbb__TouchEvent *t;
	unsigned kc;
	int n;

	if (check_dead(svc))
		return ERR_IO;
	if (ev->union_case != HBB__POINTER_DEVICE_EVENT__UNION_TOUCH_EVENT ||
	    (t = ev->touch_event) == NULL)
		return ERR_INVAL;
	if (t->union_case != HBB__TOUCH_EVENT__UNION_SCALE_UPDATE ||
	    t->scale_update == NULL)
		return 0;	/* pans: Android hosts only (§8.3) */
	h = held_get(svc, conn_id, 1);
	if (t->scale_update->scale == 0) {
		if (h->pinch)
			key_up(svc, h, (unsigned)h->pinch);
		h->pinch = 0;
		h->pinch_acc = 0;
		return 0;
	}
	if (!take_tokens(svc, h, 1)) {
		note_drop(svc, h);
		return ERR_DENIED;
	}
	apply_pending(svc, h);
	if (ensure_map(svc) != 0)
		return ERR_IO;
	if (!h->pinch) {
		if ((kc = find_plain(svc, KS_Control_L)) == 0)
			return ERR_UNSUPP;
		key_down(svc, h, kc);
		h->pinch = (int)kc;
	}
	h->pinch_acc = clamp((int64_t)h->pinch_acc + t->scale_update->scale,
	    -PINCH_NOTCH * SVC_INPUT_WHEEL_MAX,
	    PINCH_NOTCH * SVC_INPUT_WHEEL_MAX);
	n = h->pinch_acc / PINCH_NOTCH;
	h->pinch_acc -= n * PINCH_NOTCH;
	wheel(svc, n > 0 ? 4 : 5, n > 0 ? n : -n);
	return 0;
}

/* Releases and forgets everything connection conn_id holds. */
void
svc_input_release_all(struct svc_input *svc, uint32_t conn_id)
{
	struct held **hp, *h;

	for (hp = &svc->conns; (h = *hp) != NULL; hp = &h->next) {
		if (h->conn_id != conn_id)
			continue;
		held_release(svc, h);
		*hp = h->next;
		free(h);
		break;
	}
}

/* Returns the time of the latest injected left-up or Enter. */
int64_t
svc_input_last_click_ms(const struct svc_input *svc)
{
	return svc->last_click_ms;
}

/* Returns the time of the latest injected move and who made it. */
int64_t
svc_input_last_move_ms(const struct svc_input *svc, uint32_t *conn_id)
{
	if (conn_id != NULL)
		*conn_id = svc->last_move_conn;
	return svc->last_move_ms;
}

/* Sets the token bucket and refills every connection's. */
void
svc_input_set_limits(struct svc_input *svc, unsigned rate, unsigned burst)
{
	struct held *h;

	svc->rate = rate;
	svc->burst = burst > 0 ? burst : 1;
	for (h = svc->conns; h != NULL; h = h->next)
		h->tokens = svc->burst;
}

/* Returns how many events the limiter dropped. */
uint64_t
svc_input_dropped(const struct svc_input *svc)
{
	return svc->dropped;
}
