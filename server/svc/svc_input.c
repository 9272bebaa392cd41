/*
 * svc_input.c: peer mouse, keyboard and touch events into the display
 * through a platform backend (struct input_impl; X11: input_x11.c), with
 * per-connection held-key tracking, a per-connection token bucket and one
 * flush per loop turn (see svc_input.h).
 *
 * Keymap knowledge comes from the backend in the core protocol's layout;
 * on an XKB server its columns are group 1 levels 1, 2, then group 2
 * levels 1, 2, then group 1 levels 3, 4. Characters the layout lacks get a
 * temporary mapping on a keycode that has no symbols; such slots are
 * reused least-recently-used and restored after SLOT_IDLE_MS of disuse and
 * on free (never right after the key, because clients look the keysym up
 * only when they read the event).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
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
enum input_mclass {
	MC_NONE = 0,
	MC_SHIFT,
	MC_CONTROL,
	MC_ALT,
	MC_META,
	MC_N
};

/* What one connection holds down, and its token bucket. */
struct input_held {
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
	struct input_held *next;
};

/* A keycode temporarily mapped to a keysym the layout lacks. */
struct input_slot {
	uint8_t		 kc;
	uint32_t	 ks;	/* 0: free */
	int64_t		 used_ms;
};

struct svc_input {
	struct event_base *base;	/* borrowed */
	const struct input_impl *impl;
	struct input_be	*be;		/* owned */
	int		 dead;		/* display connection broken */
	struct event	*xev;		/* backend fd readable */
	struct event	*flush_ev;	/* one flush per loop turn */
	struct event	*tick;		/* coalesced moves, watchdog */
	int		 dirty;
	int		 tick_ms;	/* armed period, 0 if not armed */

	/* Keymap cache, refreshed after the backend says it changed. */
	int		 stale;
	unsigned	 kmin, kmax;
	unsigned	 kpk;		/* keysyms per keycode */
	uint32_t	*syms;		/* owned; (kmax-kmin+1)*kpk */
	unsigned	 kpm;		/* keycodes per modifier */
	uint8_t		*modkc;		/* owned; 8*kpm */
	uint16_t	 numlock_mask;
	uint8_t		 spare[KC_N / 8];	/* keycodes without symbols */
	struct input_slot slots[SLOT_MAX];
	int		 nslots;

	int		 blocking;	/* local input blocked */

	uint16_t	 key_refs[KC_N];	/* connections holding each */
	uint8_t		 btn_refs[BTN_N];
	struct input_held *conns;	/* owned list */

	unsigned	 rate, burst;
	uint64_t	 dropped;
	int64_t		 last_click_ms;
	int64_t		 last_input_ms;	/* any kind, for the CM's guard */
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

static void	 input_tick_arm(struct svc_input *);
static void	 input_set_mapping(struct svc_input *, unsigned, uint32_t);

/* Returns bit kc of a keycode set. */
static int
input_kc_isset(const uint8_t *set, unsigned kc)
{
	return (set[kc >> 3] >> (kc & 7)) & 1;
}

/* Sets or clears bit kc of a keycode set. */
static void
input_kc_set(uint8_t *set, unsigned kc, int on)
{
	if (on)
		set[kc >> 3] |= (uint8_t)(1u << (kc & 7));
	else
		set[kc >> 3] &= (uint8_t)~(1u << (kc & 7));
}

/* Clamps x into [lo, hi]. */
static int32_t
input_clamp(int64_t x, int64_t lo, int64_t hi)
{
	return (int32_t)(x < lo ? lo : x > hi ? hi : x);
}

/* Queues a flush of the backend at the end of this loop turn. */
static void
input_mark_dirty(struct svc_input *svc)
{
	if (svc->dirty || svc->flush_ev == NULL)
		return;		/* svc_input_new flushes before it returns */
	svc->dirty = 1;
	event_active(svc->flush_ev, EV_TIMEOUT, 0);
}

/* Marks the display connection dead after an I/O error; says so once. */
static int
input_check_dead(struct svc_input *svc)
{
	if (svc->dead)
		return 1;
	if (svc->impl->broken(svc->be)) {
		svc->dead = 1;
		log_error("input: %s connection lost; input disabled",
		    svc->impl->name);
		event_del(svc->xev);
		return 1;
	}
	return 0;
}

/* Reads whatever the display sent us: keymap changes, errors, resizes. */
static void
input_drain(struct svc_input *svc)
{
	if (svc->dead)
		return;
	if (svc->impl->poll(svc->be) & INPUT_EV_KEYMAP)
		svc->stale = 1;
	input_check_dead(svc);
}

/* The backend's descriptor is readable. */
static void
input_xev_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	input_drain(arg);
}

/* Flushes the requests this loop turn queued. */
static void
input_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_input *svc = arg;

	(void)fd;
	(void)what;
	svc->dirty = 0;
	if (input_check_dead(svc))
		return;
	svc->impl->flush(svc->be);
	input_drain(svc);
}

/* Presses (down) or releases keycode kc on the display. */
static void
input_send_key(struct svc_input *svc, unsigned kc, int down)
{
	if (svc->dead)
		return;
	svc->impl->key(svc->be, kc, down);
	input_mark_dirty(svc);
}

/* Presses or releases button b on the display. */
static void
input_send_button(struct svc_input *svc, unsigned b, int down)
{
	if (svc->dead)
		return;
	svc->impl->button(svc->be, b, down);
	input_mark_dirty(svc);
}

/* Returns the keysym in column col of keycode kc, 0 if none. */
static uint32_t
input_sym_at(const struct svc_input *svc, unsigned kc, unsigned col)
{
	if (svc->syms == NULL || kc < svc->kmin || kc > svc->kmax ||
	    col >= svc->kpk)
		return 0;
	return svc->syms[(kc - svc->kmin) * svc->kpk + col];
}

/* Returns the modifier class of a keysym. */
static enum input_mclass
input_sym_class(uint32_t ks)
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
static enum input_mclass
input_kc_class(const struct svc_input *svc, unsigned kc)
{
	return input_sym_class(input_sym_at(svc, kc, 0));
}

/* Works out NumLock's modifier bit, the surviving slots and the spare
 * keycodes from a freshly read keymap. */
static void
input_map_derive(struct svc_input *svc)
{
	unsigned kc, col, i;
	int j;

	/* Which of Mod1..Mod5 is NumLock. */
	svc->numlock_mask = 0;
	for (i = 0; i < 8u * svc->kpm; i++)
		if (svc->modkc[i] != 0 &&
		    input_sym_at(svc, svc->modkc[i], 0) == KS_Num_Lock)
			svc->numlock_mask = (uint16_t)(1u << (i / svc->kpm));

	/* A slot survives only if the server still maps it our way. */
	for (j = 0; j < svc->nslots; j++) {
		struct input_slot *s = &svc->slots[j];

		if (s->ks != 0 && input_sym_at(svc, s->kc, 0) != s->ks)
			s->ks = 0;
	}
	memset(svc->spare, 0, sizeof(svc->spare));
	for (kc = svc->kmin; kc <= svc->kmax; kc++) {
		int empty = 1;

		for (col = 0; col < svc->kpk; col++)
			if (input_sym_at(svc, kc, col) != 0)
				empty = 0;
		for (i = 0; i < 8u * svc->kpm; i++)
			if (svc->modkc[i] == kc)
				empty = 0;
		for (j = 0; j < svc->nslots; j++)
			if (svc->slots[j].kc == kc)
				empty = 1;
		if (empty)
			input_kc_set(svc->spare, kc, 1);
	}
}

/* Refetches the keyboard and modifier mappings after a change. */
static int
input_refresh_map(struct svc_input *svc)
{
	struct input_keymap km;

	if (svc->dead)
		return ERR_IO;
	svc->stale = 0;
	memset(&km, 0, sizeof(km));
	if (svc->impl->keymap(svc->be, &km) != 0 || km.kmin > km.kmax ||
	    km.kmax >= KC_N) {
		free(km.syms);
		free(km.modkc);
		svc->stale = 1;
		input_check_dead(svc);
		return ERR_IO;
	}
	free(svc->syms);
	free(svc->modkc);
	svc->kmin = km.kmin;
	svc->kmax = km.kmax;
	svc->kpk = km.kpk;
	svc->syms = km.syms;
	svc->kpm = km.kpm;
	svc->modkc = km.modkc;
	input_map_derive(svc);
	return 0;
}

/* Makes sure the keymap cache is current; returns 0 or ERR_IO. */
static int
input_ensure_map(struct svc_input *svc)
{
	if (svc->dead)
		return ERR_IO;
	input_drain(svc);
	if (svc->stale || svc->syms == NULL)
		return input_refresh_map(svc);
	return 0;
}

/*
 * Finds a keycode producing ks without a group switch. *level receives the
 * level it sits on (0 plain, 1 shift, 2 level 3, 3 level 3 + shift).
 * Returns the keycode or 0.
 */
static unsigned
input_find_sym(const struct svc_input *svc, uint32_t ks, int *level)
{
	static const unsigned cols[] = { 0, 1, 4, 5 };
	unsigned kc, c;

	if (ks == 0)
		return 0;
	for (c = 0; c < 4; c++) {
		for (kc = svc->kmin; kc <= svc->kmax; kc++) {
			if (input_sym_at(svc, kc, cols[c]) == ks) {
				*level = (int)c;
				return kc;
			}
		}
	}
	return 0;
}

/* Returns the first keycode whose plain keysym is ks, or 0. */
static unsigned
input_find_plain(const struct svc_input *svc, uint32_t ks)
{
	int level;
	unsigned kc;

	kc = input_find_sym(svc, ks, &level);
	return level == 0 ? kc : 0;
}

/* Finds the connection's state, creating it if create is set. */
static struct input_held *
input_held_get(struct svc_input *svc, uint32_t conn_id, int create)
{
	struct input_held *h;

	for (h = svc->conns; h != NULL; h = h->next)
		if (h->conn_id == conn_id)
			return h;
	if (!create)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->conn_id = conn_id;
	h->tokens = svc->burst;
	h->refill_us = (int64_t)mono_us();
	h->next = svc->conns;
	svc->conns = h;
	return h;
}

/* Presses kc for h (another press while it holds kc is an autorepeat). */
static void
input_key_down(struct svc_input *svc, struct input_held *h, unsigned kc)
{
	if (kc < svc->kmin || kc > svc->kmax)
		return;
	if (!input_kc_isset(h->keys, kc)) {
		input_kc_set(h->keys, kc, 1);
		h->since[kc] = unix_ms();
		svc->key_refs[kc]++;
	}
	input_send_key(svc, kc, 1);
	input_tick_arm(svc);
}

/* Releases kc for h; the key goes up when no connection holds it. */
static void
input_key_up(struct svc_input *svc, struct input_held *h, unsigned kc)
{
	if (kc >= KC_N || !input_kc_isset(h->keys, kc))
		return;
	input_kc_set(h->keys, kc, 0);
	if (svc->key_refs[kc] > 0 && --svc->key_refs[kc] == 0)
		input_send_key(svc, kc, 0);
}

/* Presses and releases kc, untracked (lock toggles, clicks of keys nobody
 * holds). */
static void
input_key_tap(struct svc_input *svc, unsigned kc)
{
	if (kc < svc->kmin || kc > svc->kmax)
		return;
	input_send_key(svc, kc, 1);
	if (svc->key_refs[kc] == 0)
		input_send_key(svc, kc, 0);
}

/* Returns 1 when any connection holds a key of class mc. */
static int
input_class_down(const struct svc_input *svc, enum input_mclass mc)
{
	unsigned kc;

	for (kc = svc->kmin; kc <= svc->kmax; kc++)
		if (svc->key_refs[kc] > 0 && input_kc_class(svc, kc) == mc)
			return 1;
	return 0;
}

/* Releases every key of class mc that h holds. */
static void
input_class_release(struct svc_input *svc, struct input_held *h,
    enum input_mclass mc)
{
	unsigned kc;

	for (kc = svc->kmin; kc <= svc->kmax; kc++)
		if (input_kc_isset(h->keys, kc) &&
		    input_kc_class(svc, kc) == mc)
			input_key_up(svc, h, kc);
}

/* Presses button (1..9) for h. */
static void
input_button_down(struct svc_input *svc, struct input_held *h, unsigned b)
{
	if (h->buttons & (1u << b))
		return;
	h->buttons |= (uint16_t)(1u << b);
	if (svc->btn_refs[b]++ == 0)
		input_send_button(svc, b, 1);
	input_tick_arm(svc);
}

/* Releases button b for h; it goes up when nobody holds it. */
static void
input_button_up(struct svc_input *svc, struct input_held *h, unsigned b)
{
	if (!(h->buttons & (1u << b)))
		return;
	h->buttons &= (uint16_t)~(1u << b);
	if (svc->btn_refs[b] > 0 && --svc->btn_refs[b] == 0)
		input_send_button(svc, b, 0);
	if (b == 1)
		svc->last_click_ms = unix_ms();
}

/* Turns the wheel dy notches up (< 0: down), then dx notches left (< 0:
 * right), at most SVC_INPUT_WHEEL_MAX each way. */
static void
input_wheel(struct svc_input *svc, int dx, int dy)
{
	if (svc->dead || (dx == 0 && dy == 0))
		return;
	svc->impl->wheel(svc->be,
	    input_clamp(dx, -SVC_INPUT_WHEEL_MAX, SVC_INPUT_WHEEL_MAX),
	    input_clamp(dy, -SVC_INPUT_WHEEL_MAX, SVC_INPUT_WHEEL_MAX));
	input_mark_dirty(svc);
}

/* Returns the modifier class a ControlKey in a `modifiers` list names. */
static enum input_mclass
input_ck_class(int ck)
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
input_mods_has(size_t n, const Hbb__ControlKey *mods, int ck)
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
 * and recorded in *tmp, to be released by input_mods_restore after the event.
 * skip is a class left alone (the event's own key).
 */
static void
input_mods_sync(struct svc_input *svc, struct input_held *h, size_t n,
    const Hbb__ControlKey *mods, enum input_mclass skip, unsigned tmp[MC_N])
{
	static const uint32_t left[MC_N] = {
		[MC_SHIFT] = KS_Shift_L, [MC_CONTROL] = KS_Control_L,
		[MC_ALT] = KS_Alt_L, [MC_META] = KS_Super_L,
	};
	int listed[MC_N] = { 0 };
	size_t i;
	int mc;

	for (i = 0; i < n; i++)
		listed[input_ck_class((int)mods[i])] = 1;
	for (mc = MC_SHIFT; mc < MC_N; mc++) {
		tmp[mc] = 0;
		if (mc == (int)skip)
			continue;
		if (!listed[mc]) {
			input_class_release(svc, h, mc);
			continue;
		}
		if (!input_class_down(svc, mc)) {
			unsigned kc = input_find_plain(svc, left[mc]);

			if (kc != 0) {
				input_key_down(svc, h, kc);
				tmp[mc] = kc;
			}
		}
	}
}

/* Releases what input_mods_sync pressed. */
static void
input_mods_restore(struct svc_input *svc, struct input_held *h,
    const unsigned tmp[MC_N])
{
	int mc;

	for (mc = MC_N - 1; mc > MC_NONE; mc--)
		if (tmp[mc] != 0)
			input_key_up(svc, h, tmp[mc]);
}

/* Returns the modifier mask of the pointer's device (lock state). */
static int
input_query_mask(struct svc_input *svc, uint16_t *mask)
{
	*mask = 0;
	if (svc->dead)
		return ERR_IO;
	if (svc->impl->mods(svc->be, mask) != 0) {
		input_check_dead(svc);
		return ERR_IO;
	}
	return 0;
}

/* Returns 1 for a keycode whose two first levels are a letter's cases. */
static int
input_kc_is_letter(const struct svc_input *svc, unsigned kc)
{
	uint32_t lo = input_sym_at(svc, kc, 0), up = input_sym_at(svc, kc, 1);

	if (lo >= 'a' && lo <= 'z')
		return up == lo - 32;
	if ((lo >= 0xe0 && lo <= 0xfe && lo != 0xf7) ||
	    (lo & 0xff000000) == 0x01000000)
		return up != 0 && up != lo;
	return 0;
}

/* Returns 1 for a keypad keycode (KP_* keysym on its first level). */
static int
input_kc_is_keypad(const struct svc_input *svc, unsigned kc)
{
	uint32_t ks = input_sym_at(svc, kc, 0);

	return ks >= 0xff80 && ks <= 0xffbd;
}

/*
 * Makes CapsLock (for a letter key) or NumLock (for a keypad key) match the
 * event's `modifiers` before a key-down, as upstream's LockModesHandler;
 * *undo receives the lock keycodes to tap again afterwards.
 */
static void
input_locks_sync(struct svc_input *svc, unsigned kc, size_t n,
    const Hbb__ControlKey *mods, unsigned undo[2])
{
	uint16_t mask;
	int letter, keypad;
	unsigned lk;

	undo[0] = undo[1] = 0;
	letter = input_kc_is_letter(svc, kc);
	keypad = input_kc_is_keypad(svc, kc) && svc->numlock_mask != 0;
	if ((!letter && !keypad) || input_query_mask(svc, &mask) != 0)
		return;
	if (letter && !!(mask & INPUT_MOD_LOCK) !=
	    input_mods_has(n, mods, HBB__CONTROL_KEY__CapsLock) &&
	    (lk = input_find_plain(svc, KS_Caps_Lock)) != 0) {
		input_key_tap(svc, lk);
		undo[0] = lk;
	}
	if (keypad && !!(mask & svc->numlock_mask) !=
	    input_mods_has(n, mods, HBB__CONTROL_KEY__NumLock) &&
	    (lk = input_find_plain(svc, KS_Num_Lock)) != 0) {
		input_key_tap(svc, lk);
		undo[1] = lk;
	}
}

/* Taps back the locks input_locks_sync toggled. */
static void
input_locks_restore(struct svc_input *svc, const unsigned undo[2])
{
	if (undo[1] != 0)
		input_key_tap(svc, undo[1]);
	if (undo[0] != 0)
		input_key_tap(svc, undo[0]);
}

/*
 * Records the keycodes holding temporary mappings through the backend (X11:
 * a root window property), so that an instance started after a crash can
 * restore them.
 */
static void
input_slots_record(struct svc_input *svc)
{
	uint8_t kcs[SLOT_MAX];
	int i, n = 0;

	for (i = 0; i < svc->nslots; i++)
		if (svc->slots[i].ks != 0)
			kcs[n++] = svc->slots[i].kc;
	svc->impl->slots_save(svc->be, kcs, n);
}

/* Clears the temporary mappings a crashed instance left (the keycodes it
 * recorded), before the spare keycodes are counted. */
static void
input_slots_recover(struct svc_input *svc)
{
	uint8_t kc[4 * SLOT_MAX];
	int i, n;

	n = svc->impl->slots_load(svc->be, kc, (int)sizeof(kc));
	for (i = 0; i < n; i++) {
		if (kc[i] < svc->kmin || kc[i] > svc->kmax ||
		    input_kc_isset(svc->spare, kc[i]))
			continue;
		input_set_mapping(svc, kc[i], 0);
		log_info("input: restored keycode %u left mapped by an "
		    "earlier instance", kc[i]);
	}
	if (n > 0)
		svc->stale = 1;
}

/* Writes keysym ks onto keycode kc (ks 0 clears it). */
static void
input_set_mapping(struct svc_input *svc, unsigned kc, uint32_t ks)
{
	uint32_t row[256];
	unsigned col, kpk = svc->kpk ? svc->kpk : 1;

	if (kpk > 256 || svc->syms == NULL)
		return;
	for (col = 0; col < kpk; col++)
		row[col] = col < 2 ? ks : 0;
	svc->impl->remap(svc->be, kc, row, kpk);
	memcpy(&svc->syms[(kc - svc->kmin) * svc->kpk], row,
	    svc->kpk * sizeof(*row));
	input_mark_dirty(svc);
}

/*
 * Returns a keycode temporarily mapped to ks: an existing slot, a spare
 * keycode, or the least recently used slot nobody holds. 0 if none.
 */
static unsigned
input_slot_get(struct svc_input *svc, uint32_t ks)
{
	struct input_slot *s, *lru = NULL;
	unsigned kc;
	int i;

	for (i = 0; i < svc->nslots; i++) {
		s = &svc->slots[i];
		if (s->ks == ks) {
			s->used_ms = unix_ms();
			return s->kc;
		}
	}
	if (svc->nslots < SLOT_MAX) {
		for (kc = svc->kmax; kc >= svc->kmin && kc > 0; kc--) {
			int taken = 0;

			if (!input_kc_isset(svc->spare, kc) ||
			    svc->key_refs[kc])
				continue;
			for (i = 0; i < svc->nslots; i++)
				if (svc->slots[i].kc == kc)
					taken = 1;
			if (taken)
				continue;
			lru = &svc->slots[svc->nslots++];
			lru->kc = (uint8_t)kc;
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
	lru->used_ms = unix_ms();
	input_set_mapping(svc, lru->kc, ks);
	input_slots_record(svc);
	input_tick_arm(svc);
	return lru->kc;
}

/* Restores slots unused for SLOT_IDLE_MS (all of them if force). */
static void
input_slots_expire(struct svc_input *svc, int force)
{
	int64_t now = unix_ms();
	int i, changed = 0;

	for (i = 0; i < svc->nslots; i++) {
		struct input_slot *s = &svc->slots[i];

		if (s->ks == 0 || svc->key_refs[s->kc])
			continue;
		if (force || now - s->used_ms > SLOT_IDLE_MS) {
			input_set_mapping(svc, s->kc, 0);
			s->ks = 0;
			changed = 1;
		}
	}
	if (changed)
		input_slots_record(svc);
}

/* Returns the keysym for Unicode code point cp, 0 for nothing to type. */
static uint32_t
input_cp_keysym(uint32_t cp)
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
input_find_cp(const struct svc_input *svc, uint32_t cp, int *level)
{
	unsigned kc;

	if ((kc = input_find_sym(svc, input_cp_keysym(cp), level)) != 0)
		return kc;
	if (cp == 0x20ac)
		return input_find_sym(svc, KS_EuroSign, level);
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
input_type_cp(struct svc_input *svc, struct input_held *h, uint32_t cp,
    int lock)
{
	uint32_t ks = input_cp_keysym(cp);
	unsigned kc, shift = 0, l3 = 0;
	int level = 0, hotkey, want_shift;

	if (ks == 0)
		return;
	if (ks == KS_Return)
		svc->last_click_ms = unix_ms();
	kc = input_find_cp(svc, cp, &level);
	if (kc != 0 && level >= 2 && input_find_plain(svc, KS_Level3) == 0 &&
	    input_find_plain(svc, KS_Mode_switch) == 0)
		kc = 0;
	if (kc == 0) {
		if ((kc = input_slot_get(svc, ks)) == 0)
			return;
		level = -1;	/* every level: Shift is irrelevant */
	}
	hotkey = input_class_down(svc, MC_CONTROL) ||
	    input_class_down(svc, MC_ALT) || input_class_down(svc, MC_META);
	if (level >= 0) {
		want_shift = level & 1;
		if (lock && input_kc_is_letter(svc, kc))
			want_shift = !want_shift;
		if (!want_shift && !hotkey)
			input_class_release(svc, h, MC_SHIFT);
		if (want_shift && !input_class_down(svc, MC_SHIFT) &&
		    (shift = input_find_plain(svc, KS_Shift_L)) != 0)
			input_key_down(svc, h, shift);
		if (level >= 2) {
			if ((l3 = input_find_plain(svc, KS_Level3)) == 0)
				l3 = input_find_plain(svc, KS_Mode_switch);
			if (l3 != 0 && !input_kc_isset(h->keys, l3))
				input_key_down(svc, h, l3);
			else
				l3 = 0;
		}
	}
	if (input_kc_isset(h->keys, kc))
		input_key_up(svc, h, kc);
	input_key_down(svc, h, kc);
	input_key_up(svc, h, kc);
	if (l3 != 0)
		input_key_up(svc, h, l3);
	if (shift != 0)
		input_key_up(svc, h, shift);
}

/*
 * Decodes one UTF-8 code point from s (n bytes left) into *cp. Returns the
 * bytes used (at least 1); an invalid sequence yields U+FFFD for its first
 * byte.
 */
static size_t
input_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
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
		used = input_utf8_next(p, len, &cp);
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
input_type_text(struct svc_input *svc, struct input_held *h, const char *s)
{
	uint32_t *cps;
	uint16_t mask;
	size_t n, i;

	if (*s == '\0' || input_ensure_map(svc) != 0 ||
	    input_query_mask(svc, &mask) != 0)
		return;
	cps = xcalloc(SVC_INPUT_SEQ_MAX, sizeof(*cps));
	n = svc_input_decode_text(s, strlen(s), cps, SVC_INPUT_SEQ_MAX);
	for (i = 0; i < n; i++)
		input_type_cp(svc, h, cps[i], (mask & INPUT_MOD_LOCK) != 0);
	free(cps);
}

/* Refills h's bucket and returns 1 when cost tokens are available (and
 * takes them). cost above the burst is allowed on a full bucket, leaving a
 * debt. */
static int
input_take_tokens(struct svc_input *svc, struct input_held *h, double cost)
{
	int64_t now = (int64_t)mono_us();
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
input_note_drop(struct svc_input *svc, struct input_held *h)
{
	svc->dropped++;
	if (log_ratelimit_ok(&svc->rl, 10, 3))
		log_warn("conn %u: input over %u events/s; dropping",
		    h->conn_id, svc->rate);
}

/* Moves the pointer to virtual-desktop x, y, clamped to the screen. */
static void
input_move_abs(struct svc_input *svc, struct input_held *held, int32_t x,
    int32_t y)
{
	int w, h;

	if (!svc->dead) {
		svc->impl->size(svc->be, &w, &h);
		svc->impl->move(svc->be, input_clamp(x, 0, w - 1),
		    input_clamp(y, 0, h - 1));
		input_mark_dirty(svc);
	}
	svc->last_move_ms = unix_ms();
	svc->last_move_conn = held->conn_id;
}

/* Moves the pointer by dx, dy. */
static void
input_move_rel(struct svc_input *svc, struct input_held *h, int32_t dx,
    int32_t dy)
{
	if (!svc->dead) {
		svc->impl->move_rel(svc->be, input_clamp(dx, -REL_MAX, REL_MAX),
		    input_clamp(dy, -REL_MAX, REL_MAX));
		input_mark_dirty(svc);
	}
	svc->last_move_ms = unix_ms();
	svc->last_move_conn = h->conn_id;
}

/* Applies h's coalesced moves, if any. */
static void
input_apply_pending(struct svc_input *svc, struct input_held *h)
{
	if (h->pend_abs)
		input_move_abs(svc, h, h->pend_x, h->pend_y);
	if (h->pend_dx != 0 || h->pend_dy != 0)
		input_move_rel(svc, h, h->pend_dx, h->pend_dy);
	h->pend_abs = 0;
	h->pend_dx = h->pend_dy = 0;
}

/* Returns 1 when h owes nothing (no pending move, nothing held). */
static int
input_held_idle(const struct input_held *h)
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
input_held_release(struct svc_input *svc, struct input_held *h)
{
	unsigned kc, b;

	for (b = 1; b < BTN_N; b++)
		input_button_up(svc, h, b);
	for (kc = 0; kc < KC_N; kc++)
		input_key_up(svc, h, kc);
	h->pinch = 0;
	h->pinch_acc = 0;
}

/* Timer: applies coalesced moves as tokens allow, releases keys held too
 * long (upstream's 360 s watchdog) and restores idle slots. */
static void
input_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_input *svc = arg;
	struct input_held *h;
	int64_t now = unix_ms();
	unsigned kc;

	(void)fd;
	(void)what;
	svc->tick_ms = 0;
	if (svc->dead)
		return;
	for (h = svc->conns; h != NULL; h = h->next) {
		if ((h->pend_abs || h->pend_dx || h->pend_dy) &&
		    input_take_tokens(svc, h, 1))
			input_apply_pending(svc, h);
		for (kc = 0; kc < KC_N; kc++) {
			if (input_kc_isset(h->keys, kc) &&
			    now - h->since[kc] > HOLD_MAX_MS) {
				log_info("conn %u: releasing key %u held "
				    "over %d s", h->conn_id, kc,
				    HOLD_MAX_MS / 1000);
				input_key_up(svc, h, kc);
			}
		}
	}
	input_slots_expire(svc, 0);
	input_tick_arm(svc);
}

/* Arms the tick for whatever still needs it. */
static void
input_tick_arm(struct svc_input *svc)
{
	struct input_held *h;
	struct timeval tv;
	int ms = 0, i;

	if (svc->dead)
		return;
	for (h = svc->conns; h != NULL; h = h->next) {
		if (h->pend_abs || h->pend_dx || h->pend_dy) {
			ms = TICK_FAST_MS;
			break;
		}
		if (!input_held_idle(h))
			ms = TICK_SLOW_MS;
	}
	for (i = 0; i < svc->nslots && ms == 0; i++)
		if (svc->slots[i].ks != 0)
			ms = TICK_SLOW_MS;
	if (ms == 0 || (svc->tick_ms != 0 && svc->tick_ms <= ms))
		return;
	svc->tick_ms = ms;
	tv = mono_tv_ms((uint64_t)ms);
	evtimer_add(svc->tick, &tv);
}

/* Disables or re-enables the physical input devices. */
int
svc_input_block(struct svc_input *svc, int on)
{
	int r;

	if (input_check_dead(svc))
		return ERR_IO;
	if ((r = svc->impl->block(svc->be, on)) != 0) {
		if (r == ERR_IO)
			input_check_dead(svc);
		return r;
	}
	svc->blocking = on;
	input_mark_dirty(svc);
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
input_release_stale(struct svc_input *svc)
{
	unsigned kc, b;

	for (kc = svc->kmin; kc <= svc->kmax; kc++)
		input_send_key(svc, kc, 0);
	for (b = 1; b < BTN_N; b++)
		input_send_button(svc, b, 0);
}

/* Counts the keycodes free for temporary mappings. */
static int
input_spare_count(const struct svc_input *svc)
{
	unsigned kc;
	int n = 0;

	for (kc = 0; kc < KC_N; kc++)
		n += input_kc_isset(svc->spare, kc);
	return n;
}

/*
 * Opens the backend on display (NULL: $DISPLAY), reads the keymap and
 * cleans up after a crashed instance. Returns 0, or ERR_* with *cause set
 * (the backend left closed).
 */
static int
input_attach(struct svc_input *svc, const char *display, char **cause)
{
	int w, h, r;

	svc->dead = 0;
	svc->stale = 0;
	if ((r = svc->impl->open(display, &svc->be, cause)) != 0)
		goto fail;
	if ((r = input_refresh_map(svc)) != 0)
		goto nomap;
	input_release_stale(svc);
	input_slots_recover(svc);
	if (svc->stale && (r = input_refresh_map(svc)) != 0)
		goto nomap;
	svc->xev = event_new(svc->base, svc->impl->fd(svc->be),
	    EV_READ | EV_PERSIST, input_xev_cb, svc);
	if (svc->xev == NULL || event_add(svc->xev, NULL) != 0) {
		xasprintf(cause, "input: cannot create events");
		r = ERR_NOMEM;
		goto fail;
	}
	svc->impl->flush(svc->be);
	svc->impl->size(svc->be, &w, &h);
	log_info("input: %s (%dx%d), %d spare keycodes",
	    svc->impl->describe(svc->be), w, h, input_spare_count(svc));
	return 0;
nomap:
	xasprintf(cause, "input: cannot read the keyboard mapping");
fail:
	if (svc->xev != NULL)
		event_free(svc->xev);
	svc->xev = NULL;
	svc->impl->close(svc->be);
	svc->be = NULL;
	svc->dead = 1;
	return r;
}

/*
 * Releases what every connection holds, restores the temporary keysyms
 * and the local input devices, and closes the backend (the service stays,
 * dead, until input_attach).
 */
static void
input_detach(struct svc_input *svc)
{
	struct input_held *h;

	for (h = svc->conns; h != NULL; h = h->next) {
		input_held_release(svc, h);
		/* A move coalesced for the old display stays there. */
		h->pend_abs = 0;
		h->pend_dx = h->pend_dy = 0;
	}
	if (svc->be != NULL && !svc->dead && !svc->impl->broken(svc->be)) {
		input_slots_expire(svc, 1);
		if (svc->blocking)
			svc->impl->block(svc->be, 0);
	}
	if (svc->xev != NULL)
		event_free(svc->xev);
	svc->xev = NULL;
	/* Waits until everything above reached the display. */
	svc->impl->close(svc->be);
	svc->be = NULL;
	svc->dead = 1;
	memset(svc->slots, 0, sizeof svc->slots);
	svc->nslots = 0;
	free(svc->syms);
	free(svc->modkc);
	svc->syms = NULL;
	svc->modkc = NULL;
}

/* Makes the service and opens the backend on display. */
struct svc_input *
svc_input_new(struct event_base *base, const char *display, char **cause)
{
	struct svc_input *svc;

	*cause = NULL;
	svc = xcalloc(1, sizeof(*svc));
	svc->base = base;
	svc->impl = &input_x11;
	svc->rate = SVC_INPUT_RATE;
	svc->burst = SVC_INPUT_BURST;
	svc->flush_ev = event_new(base, -1, 0, input_flush_cb, svc);
	svc->tick = evtimer_new(base, input_tick_cb, svc);
	if (svc->flush_ev == NULL || svc->tick == NULL) {
		xasprintf(cause, "input: cannot create events");
		goto fail;
	}
	if (input_attach(svc, display, cause) != 0)
		goto fail;
	return svc;
fail:
	svc_input_free(svc);
	return NULL;
}

/* Moves injection to another display (NULL: none). */
int
svc_input_move(struct svc_input *svc, const char *display, char **cause)
{
	int blocking = svc->blocking, r;

	*cause = NULL;
	input_detach(svc);
	svc->blocking = 0;
	if (display == NULL) {
		log_info("input: no display");
		return 0;
	}
	if ((r = input_attach(svc, display, cause)) != 0)
		return r;
	if (blocking && (r = svc_input_block(svc, 1)) != 0)
		log_warn_r(r, "input: cannot block local input on %s",
		    display);
	return 0;
}

/* Releases everything held, restores slots and local input, and frees. */
void
svc_input_free(struct svc_input *svc)
{
	struct input_held *h;

	if (svc == NULL)
		return;
	input_detach(svc);
	while ((h = svc->conns) != NULL) {
		svc->conns = h->next;
		free(h);
	}
	if (svc->flush_ev != NULL)
		event_free(svc->flush_ev);
	if (svc->tick != NULL)
		event_free(svc->tick);
	free(svc);
}

/* Maps a button bit of the mask (§8.1) to an X button; 0 if not one. */
static unsigned
input_mask_button(int bits)
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
	struct input_held *h;
	unsigned b, tmp[MC_N];
	int type = ev->mask & 7;

	if (input_check_dead(svc))
		return ERR_IO;
	svc->last_input_ms = unix_ms();
	h = input_held_get(svc, conn_id, 1);
	switch (type) {
	case 0:		/* move: supersedes whatever move is pending */
		h->pend_abs = 1;
		h->pend_x = ev->x;
		h->pend_y = ev->y;
		h->pend_dx = h->pend_dy = 0;
		if (input_take_tokens(svc, h, 1))
			input_apply_pending(svc, h);
		else
			input_tick_arm(svc);
		return 0;
	case 5:		/* relative move: accumulates after what is pending */
		h->pend_dx = input_clamp((int64_t)h->pend_dx +
		    input_clamp(ev->x, -REL_MAX, REL_MAX), -REL_MAX, REL_MAX);
		h->pend_dy = input_clamp((int64_t)h->pend_dy +
		    input_clamp(ev->y, -REL_MAX, REL_MAX), -REL_MAX, REL_MAX);
		if (input_take_tokens(svc, h, 1))
			input_apply_pending(svc, h);
		else
			input_tick_arm(svc);
		return 0;
	case 1:
	case 2:
		if ((b = input_mask_button((ev->mask >> 3) & 0x1f)) == 0 ||
		    (ev->mask >> 8) != 0)
			return ERR_INVAL;
		if (type == 1 && !input_take_tokens(svc, h, 1)) {
			input_note_drop(svc, h);
			return ERR_DENIED;
		}
		input_apply_pending(svc, h);
		/* Older clients send the position with the button. */
		if (ev->x != 0 || ev->y != 0)
			input_move_abs(svc, h, ev->x, ev->y);
		if (type == 2) {
			input_button_up(svc, h, b);
			return 0;
		}
		if (input_ensure_map(svc) != 0)
			return ERR_IO;
		input_mods_sync(svc, h, ev->n_modifiers, ev->modifiers,
		    MC_NONE, tmp);
		input_button_down(svc, h, b);
		input_mods_restore(svc, h, tmp);
		return 0;
	case 3:
	case 4:		/* wheel and trackpad: notches, signs as upstream */
		if (!input_take_tokens(svc, h, 1)) {
			input_note_drop(svc, h);
			return ERR_DENIED;
		}
		input_apply_pending(svc, h);
		input_wheel(svc, ev->x, ev->y);
		return 0;
	default:
		return ERR_INVAL;
	}
}

/* Presses (and, for press, releases) kc with the event's modifiers and
 * lock state synchronised around it; level says Shift / level 3 needs (-1:
 * none, a slot). */
static void
input_key_with_mods(struct svc_input *svc, struct input_held *h,
    const Hbb__KeyEvent *ev, unsigned kc, int level, enum input_mclass self)
{
	unsigned tmp[MC_N], undo[2] = { 0, 0 }, shift = 0, l3 = 0;

	input_mods_sync(svc, h, ev->n_modifiers, ev->modifiers, self, tmp);
	if (self == MC_NONE)
		input_locks_sync(svc, kc, ev->n_modifiers, ev->modifiers, undo);
	if (level > 0 && (level & 1) && !input_class_down(svc, MC_SHIFT) &&
	    (shift = input_find_plain(svc, KS_Shift_L)) != 0)
		input_key_down(svc, h, shift);
	if (level >= 2) {
		if ((l3 = input_find_plain(svc, KS_Level3)) == 0)
			l3 = input_find_plain(svc, KS_Mode_switch);
		if (l3 != 0 && !input_kc_isset(h->keys, l3))
			input_key_down(svc, h, l3);
		else
			l3 = 0;
	}
	input_key_down(svc, h, kc);
	if (ev->press)
		input_key_up(svc, h, kc);
	if (l3 != 0)
		input_key_up(svc, h, l3);
	if (shift != 0)
		input_key_up(svc, h, shift);
	input_mods_restore(svc, h, tmp);
	input_locks_restore(svc, undo);
}

/* Map mode, and Translate mode's position codes: chr is an X keycode. */
static int
input_key_map(struct svc_input *svc, struct input_held *h,
    const Hbb__KeyEvent *ev)
{
	unsigned kc, undo[2] = { 0, 0 };
	uint32_t ks;

	if (ev->union_case != HBB__KEY_EVENT__UNION_CHR)
		return ERR_INVAL;
	kc = ev->chr;
	if (kc < svc->kmin || kc > svc->kmax)
		return ERR_INVAL;
	if (!ev->down && !ev->press) {
		input_key_up(svc, h, kc);
		return 0;
	}
	ks = input_sym_at(svc, kc, 0);
	if (ks == KS_Return || ks == KS_KP_Enter)
		svc->last_click_ms = unix_ms();
	if (input_kc_class(svc, kc) == MC_NONE && ks != KS_Tab &&
	    ks != KS_Return)
		input_locks_sync(svc, kc, ev->n_modifiers, ev->modifiers, undo);
	input_key_down(svc, h, kc);
	if (ev->press)
		input_key_up(svc, h, kc);
	input_locks_restore(svc, undo);
	return 0;
}

/* Presses keysyms ks[0..n-1] in order and releases them in reverse (an
 * action such as Ctrl+Alt+Del). */
static void
input_chord(struct svc_input *svc, struct input_held *h, const uint32_t *ks,
    int n)
{
	unsigned kc[4];
	int i;

	for (i = 0; i < n && i < 4; i++) {
		kc[i] = input_find_plain(svc, ks[i]);
		if (kc[i] != 0)
			input_key_down(svc, h, kc[i]);
	}
	for (i = (n < 4 ? n : 4) - 1; i >= 0; i--)
		if (kc[i] != 0)
			input_key_up(svc, h, kc[i]);
}

/* Legacy mode: a named key (§8.2). */
static int
input_key_control(struct svc_input *svc, struct input_held *h,
    const Hbb__KeyEvent *ev)
{
	static const uint32_t cad[] = { KS_Control_L, KS_Alt_L, KS_Delete };
	static const uint32_t lock[] = { KS_Super_L, 'l' };
	int ck = (int)ev->control_key, down = ev->down || ev->press;
	unsigned kc;
	int level = 0;
	uint32_t ks;

	if (ck == HBB__CONTROL_KEY__CtrlAltDel ||
	    ck == HBB__CONTROL_KEY__LockScreen) {
		/* X11 has no secure attention sequence: the keys themselves,
		 * and Super+L for the usual lock shortcut. */
		if (down)
			input_chord(svc, h,
			    ck == HBB__CONTROL_KEY__CtrlAltDel ? cad : lock,
			    ck == HBB__CONTROL_KEY__CtrlAltDel ? 3 : 2);
		return 0;
	}
	if (ck <= 0 || (size_t)ck >= sizeof(ck_keysym) / sizeof(ck_keysym[0]) ||
	    (ks = ck_keysym[ck]) == 0)
		return ERR_INVAL;
	if ((kc = input_find_sym(svc, ks, &level)) == 0 &&
	    ck == HBB__CONTROL_KEY__RAlt)
		kc = input_find_sym(svc, ks = KS_Level3, &level);
	if (kc == 0) {
		if ((kc = input_slot_get(svc, ks)) == 0)
			return ERR_UNSUPP;
		level = -1;
	}
	if (!down) {
		input_key_up(svc, h, kc);
		return 0;
	}
	if (ks == KS_Return || ks == KS_KP_Enter)
		svc->last_click_ms = unix_ms();
	input_key_with_mods(svc, h, ev, kc, level, input_sym_class(ks));
	return 0;
}

/* Legacy mode: a character key; letters arrive lower case and the listed
 * modifiers (Shift among them) apply (§8.2). */
static int
input_key_chr(struct svc_input *svc, struct input_held *h,
    const Hbb__KeyEvent *ev)
{
	uint32_t ks = input_cp_keysym(ev->chr);
	unsigned kc;
	int level = 0;

	if (ks == 0)
		return ERR_INVAL;
	if ((kc = input_find_cp(svc, ev->chr, &level)) == 0) {
		if ((kc = input_slot_get(svc, ks)) == 0)
			return ERR_UNSUPP;
		level = -1;
	}
	if (!ev->down && !ev->press) {
		input_key_up(svc, h, kc);
		return 0;
	}
	if (ks == KS_Return)
		svc->last_click_ms = unix_ms();
	input_key_with_mods(svc, h, ev, kc, level, MC_NONE);
	return 0;
}

/* Types one code point from a KeyEvent's unicode member. */
static void
input_type_unicode(struct svc_input *svc, struct input_held *h, uint32_t cp)
{
	uint16_t mask;

	if (input_query_mask(svc, &mask) == 0)
		input_type_cp(svc, h, cp, (mask & INPUT_MOD_LOCK) != 0);
}

/* Injects one KeyEvent in its keyboard mode (see svc_input.h). */
int
svc_input_key(struct svc_input *svc, uint32_t conn_id,
    const Hbb__KeyEvent *ev)
{
	struct input_held *h;
	int down = ev->down || ev->press;
	double cost = 1;

	if (input_check_dead(svc))
		return ERR_IO;
	svc->last_input_ms = unix_ms();
	h = input_held_get(svc, conn_id, 1);
	if (ev->union_case == HBB__KEY_EVENT__UNION_SEQ && ev->seq != NULL)
		cost = (double)svc_input_decode_text(ev->seq,
		    strlen(ev->seq), NULL, SVC_INPUT_SEQ_MAX);
	/* Releases always pass, so nothing stays down. */
	if (down && !input_take_tokens(svc, h, cost > 1 ? cost : 1)) {
		input_note_drop(svc, h);
		return ERR_DENIED;
	}
	input_apply_pending(svc, h);
	if (input_ensure_map(svc) != 0)
		return ERR_IO;
	switch (ev->union_case) {
	case HBB__KEY_EVENT__UNION_CONTROL_KEY:
		/* CtrlAltDel and LockScreen come in Legacy mode whatever the
		 * mode in use; any named key is handled the Legacy way. */
		return input_key_control(svc, h, ev);
	case HBB__KEY_EVENT__UNION_CHR:
		if (ev->mode == HBB__KEYBOARD_MODE__Map ||
		    ev->mode == HBB__KEYBOARD_MODE__Translate)
			return input_key_map(svc, h, ev);
		return input_key_chr(svc, h, ev);
	case HBB__KEY_EVENT__UNION_UNICODE:
		if (down)
			input_type_unicode(svc, h, ev->unicode);
		return 0;
	case HBB__KEY_EVENT__UNION_SEQ:
		if (down && ev->seq != NULL)
			input_type_text(svc, h, ev->seq);
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
	struct input_held *h;
	const Hbb__TouchEvent *t;
	unsigned kc;
	int n;

	if (input_check_dead(svc))
		return ERR_IO;
	svc->last_input_ms = unix_ms();
	if (ev->union_case != HBB__POINTER_DEVICE_EVENT__UNION_TOUCH_EVENT ||
	    (t = ev->touch_event) == NULL)
		return ERR_INVAL;
	if (t->union_case != HBB__TOUCH_EVENT__UNION_SCALE_UPDATE ||
	    t->scale_update == NULL)
		return 0;	/* pans: Android hosts only (§8.3) */
	h = input_held_get(svc, conn_id, 1);
	if (t->scale_update->scale == 0) {
		if (h->pinch)
			input_key_up(svc, h, (unsigned)h->pinch);
		h->pinch = 0;
		h->pinch_acc = 0;
		return 0;
	}
	if (!input_take_tokens(svc, h, 1)) {
		input_note_drop(svc, h);
		return ERR_DENIED;
	}
	input_apply_pending(svc, h);
	if (input_ensure_map(svc) != 0)
		return ERR_IO;
	if (!h->pinch) {
		if ((kc = input_find_plain(svc, KS_Control_L)) == 0)
			return ERR_UNSUPP;
		input_key_down(svc, h, kc);
		h->pinch = (int)kc;
	}
	h->pinch_acc = input_clamp((int64_t)h->pinch_acc +
	    t->scale_update->scale, -PINCH_NOTCH * SVC_INPUT_WHEEL_MAX,
	    PINCH_NOTCH * SVC_INPUT_WHEEL_MAX);
	n = h->pinch_acc / PINCH_NOTCH;
	h->pinch_acc -= n * PINCH_NOTCH;
	input_wheel(svc, 0, n);
	return 0;
}

/* Releases and forgets everything connection conn_id holds. */
void
svc_input_release_all(struct svc_input *svc, uint32_t conn_id)
{
	struct input_held **hp, *h;

	for (hp = &svc->conns; (h = *hp) != NULL; hp = &h->next) {
		if (h->conn_id != conn_id)
			continue;
		input_held_release(svc, h);
		*hp = h->next;
		free(h);
		break;
	}
}

/* Returns the time of the latest input a peer sent, of any kind. */
int64_t
svc_input_last_input_ms(const struct svc_input *svc)
{
	return svc->last_input_ms;
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
	struct input_held *h;

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
