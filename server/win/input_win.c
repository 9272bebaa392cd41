/*
 * input_win.c: input injection on Windows through SendInput (svc_input.h,
 * struct input_impl). The service speaks X11 keycodes and keysyms; here a
 * keycode is the Linux evdev code + 8, as on an X server with evdev, and
 * turns into the PC scan code (set 1) the keyboard would send for it, so
 * every application sees an ordinary key in the user's layout. The keymap
 * reported back is that layout's: each scan code's virtual key, and its
 * characters without and with Shift (ToUnicodeEx). Keycodes without a scan
 * code are spare: a keysym the service maps there temporarily (remap) is
 * typed as that Unicode character (KEYEVENTF_UNICODE), since Windows types
 * any character that way. Those slots live only in this process, so there
 * is nothing to restore after a crash (slots_save, slots_load). Block
 * input is BlockInput(), which needs an elevated process.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/svc/svc_input.h"

#define KC_MIN		8
#define KC_MAX		255
#define KPK		4	/* keysyms per keycode: 2 groups x 2 levels */
#define KPM		2	/* keycodes per modifier */
#define QUEUE_MAX	256
#define EXT		0x100	/* an E0-prefixed scan code */

struct input_be {
	INPUT		 q[QUEUE_MAX];	/* waiting for flush */
	int		 nq;
	uint32_t	 slot[KC_MAX + 1];	/* remapped keysym, or 0 */
	HKL		 layout;	/* the layout last read */
};

/* Scan codes (set 1) of evdev codes 89..127; 1..88 are their own. */
static const uint16_t input_scan_hi[] = {
	/*  89 */ 0x73, 0, 0, 0x79, 0x70, 0x7b, 0, 0x1c | EXT,
	/*  97 */ 0x1d | EXT, 0x35 | EXT, 0x37 | EXT, 0x38 | EXT, 0,
	/* 102 */ 0x47 | EXT, 0x48 | EXT, 0x49 | EXT, 0x4b | EXT,
	/* 106 */ 0x4d | EXT, 0x4f | EXT, 0x50 | EXT, 0x51 | EXT,
	/* 110 */ 0x52 | EXT, 0x53 | EXT, 0, 0, 0, 0, 0, 0, 0, 0x45,
	/* 120 */ 0, 0, 0, 0, 0x7d, 0x5b | EXT, 0x5c | EXT, 0x5d | EXT,
};

/* X keysyms of the virtual keys that type no character. */
static const struct {
	uint8_t		 vk;
	uint32_t	 ks;
} input_vk_syms[] = {
	{ VK_BACK, 0xff08 }, { VK_TAB, 0xff09 }, { VK_RETURN, 0xff0d },
	{ VK_PAUSE, 0xff13 }, { VK_SCROLL, 0xff14 }, { VK_ESCAPE, 0xff1b },
	{ VK_HOME, 0xff50 }, { VK_LEFT, 0xff51 }, { VK_UP, 0xff52 },
	{ VK_RIGHT, 0xff53 }, { VK_DOWN, 0xff54 }, { VK_PRIOR, 0xff55 },
	{ VK_NEXT, 0xff56 }, { VK_END, 0xff57 }, { VK_SNAPSHOT, 0xff61 },
	{ VK_INSERT, 0xff63 }, { VK_APPS, 0xff67 }, { VK_NUMLOCK, 0xff7f },
	{ VK_MULTIPLY, 0xffaa }, { VK_ADD, 0xffab }, { VK_SUBTRACT, 0xffad },
	{ VK_DECIMAL, 0xffae }, { VK_DIVIDE, 0xffaf },
	{ VK_LSHIFT, 0xffe1 }, { VK_RSHIFT, 0xffe2 },
	{ VK_LCONTROL, 0xffe3 }, { VK_RCONTROL, 0xffe4 },
	{ VK_CAPITAL, 0xffe5 }, { VK_LMENU, 0xffe9 }, { VK_RMENU, 0xffea },
	{ VK_LWIN, 0xffeb }, { VK_RWIN, 0xffec }, { VK_DELETE, 0xffff },
};

/* The modifier rows (Shift, Lock, Control, Mod1..Mod5): keycodes. */
static const uint8_t input_modkc[8 * KPM] = {
	50, 62,		/* Shift: LeftShift, RightShift */
	66, 0,		/* Lock: CapsLock */
	37, 105,	/* Control: LeftCtrl, RightCtrl */
	64, 108,	/* Mod1: LeftAlt, RightAlt */
	77, 0,		/* Mod2: NumLock */
	0, 0,		/* Mod3 */
	133, 134,	/* Mod4: LeftMeta, RightMeta */
	0, 0,		/* Mod5 */
};

/* The scan code (EXT for E0) of keycode kc, or 0. */
static unsigned
input_scan(unsigned kc)
{
	unsigned ev = kc - 8;

	if (kc < KC_MIN || kc > KC_MAX)
		return 0;
	if (ev >= 1 && ev <= 88)
		return ev;
	if (ev >= 89 && ev - 89 < sizeof input_scan_hi /
	    sizeof input_scan_hi[0])
		return input_scan_hi[ev - 89];
	return 0;
}

/* Queues one INPUT; a full queue is sent first. */
static void
input_push(struct input_be *be, const INPUT *in)
{
	if (be->nq == QUEUE_MAX) {
		SendInput((UINT)be->nq, be->q, sizeof be->q[0]);
		be->nq = 0;
	}
	be->q[be->nq++] = *in;
}

/* Opens the injector (where: ignored, there is one desktop). */
static int
win_in_open(const char *where, struct input_be **bep, char **cause)
{
	(void)where;
	(void)cause;
	*bep = xcalloc(1, sizeof **bep);
	(*bep)->layout = GetKeyboardLayout(0);
	return 0;
}

/* Sends what is queued and frees; NULL does nothing. */
static void
win_in_close(struct input_be *be)
{
	if (be == NULL)
		return;
	if (be->nq > 0)
		SendInput((UINT)be->nq, be->q, sizeof be->q[0]);
	free(be);
}

/* For the start-up line. */
static const char *
win_in_describe(struct input_be *be)
{
	(void)be;
	return "SendInput on the interactive desktop";
}

/* Nothing to wait on: layout changes are seen by poll. */
static int
win_in_fd(struct input_be *be)
{
	(void)be;
	return -1;
}

/* INPUT_EV_KEYMAP when the keyboard layout changed. */
static int
win_in_poll(struct input_be *be)
{
	HKL now = GetKeyboardLayout(GetWindowThreadProcessId(
	    GetForegroundWindow(), NULL));

	if (now == NULL || now == be->layout)
		return 0;
	be->layout = now;
	return INPUT_EV_KEYMAP;
}

/* SendInput does not break. */
static int
win_in_broken(struct input_be *be)
{
	(void)be;
	return 0;
}

/* Sends the queue. */
static void
win_in_flush(struct input_be *be)
{
	if (be->nq > 0 && SendInput((UINT)be->nq, be->q, sizeof be->q[0]) !=
	    (UINT)be->nq)
		log_debug("input: SendInput took part (error %lu)",
		    GetLastError());
	be->nq = 0;
}

/* The virtual desktop's size. */
static void
win_in_size(struct input_be *be, int *w, int *h)
{
	(void)be;
	*w = GetSystemMetrics(SM_CXVIRTUALSCREEN);
	*h = GetSystemMetrics(SM_CYVIRTUALSCREEN);
}

/* Presses or releases keycode kc: its scan code, or a slot's character. */
static void
win_in_key(struct input_be *be, unsigned kc, int down)
{
	INPUT in;
	unsigned sc = input_scan(kc);

	memset(&in, 0, sizeof in);
	in.type = INPUT_KEYBOARD;
	if (kc <= KC_MAX && be->slot[kc] != 0) {
		uint32_t cp = be->slot[kc] >= 0x01000000 ?
		    be->slot[kc] - 0x01000000 : be->slot[kc];

		if (cp > 0xffff)	/* beyond the BMP: not typed */
			return;
		in.ki.wScan = (WORD)cp;
		in.ki.dwFlags = KEYEVENTF_UNICODE;
	} else if (sc == 0x45 && kc == 127) {	/* Pause: by virtual key */
		in.ki.wVk = VK_PAUSE;
	} else if (sc != 0) {
		/* Windows goes by the scan code; the virtual key is for
		 * implementations (wine) that go by it. */
		in.ki.wVk = (WORD)MapVirtualKeyExA((sc & 0xff) |
		    ((sc & EXT) ? 0xe000 : 0), MAPVK_VSC_TO_VK_EX, be->layout);
		in.ki.wScan = (WORD)(sc & 0xff);
		in.ki.dwFlags = KEYEVENTF_SCANCODE |
		    ((sc & EXT) ? KEYEVENTF_EXTENDEDKEY : 0);
	} else
		return;
	if (!down)
		in.ki.dwFlags |= KEYEVENTF_KEYUP;
	input_push(be, &in);
}

/* Presses or releases X button b (1 left, 2 middle, 3 right, 8, 9). */
static void
win_in_button(struct input_be *be, unsigned b, int down)
{
	INPUT in;

	memset(&in, 0, sizeof in);
	in.type = INPUT_MOUSE;
	switch (b) {
	case 1:
		in.mi.dwFlags = down ? MOUSEEVENTF_LEFTDOWN : MOUSEEVENTF_LEFTUP;
		break;
	case 2:
		in.mi.dwFlags = down ? MOUSEEVENTF_MIDDLEDOWN :
		    MOUSEEVENTF_MIDDLEUP;
		break;
	case 3:
		in.mi.dwFlags = down ? MOUSEEVENTF_RIGHTDOWN :
		    MOUSEEVENTF_RIGHTUP;
		break;
	case 8:
	case 9:
		in.mi.dwFlags = down ? MOUSEEVENTF_XDOWN : MOUSEEVENTF_XUP;
		in.mi.mouseData = b == 8 ? XBUTTON1 : XBUTTON2;
		break;
	default:
		return;
	}
	input_push(be, &in);
}

/* Moves the pointer to x, y of the virtual desktop (0..65535 across it). */
static void
win_in_move(struct input_be *be, int x, int y)
{
	int vw = GetSystemMetrics(SM_CXVIRTUALSCREEN);
	int vh = GetSystemMetrics(SM_CYVIRTUALSCREEN);
	INPUT in;

	memset(&in, 0, sizeof in);
	in.type = INPUT_MOUSE;
	in.mi.dx = vw > 1 ? (LONG)(((int64_t)x * 65535 + (vw - 1) / 2) /
	    (vw - 1)) : 0;
	in.mi.dy = vh > 1 ? (LONG)(((int64_t)y * 65535 + (vh - 1) / 2) /
	    (vh - 1)) : 0;
	in.mi.dwFlags = MOUSEEVENTF_MOVE | MOUSEEVENTF_ABSOLUTE |
	    MOUSEEVENTF_VIRTUALDESK;
	input_push(be, &in);
}

/* Moves the pointer by dx, dy. */
static void
win_in_move_rel(struct input_be *be, int dx, int dy)
{
	INPUT in;

	memset(&in, 0, sizeof in);
	in.type = INPUT_MOUSE;
	in.mi.dx = dx;
	in.mi.dy = dy;
	in.mi.dwFlags = MOUSEEVENTF_MOVE;
	input_push(be, &in);
}

/* dy notches up (< 0: down), then dx left (< 0: right). */
static void
win_in_wheel(struct input_be *be, int dx, int dy)
{
	INPUT in;

	memset(&in, 0, sizeof in);
	in.type = INPUT_MOUSE;
	if (dy != 0) {
		in.mi.dwFlags = MOUSEEVENTF_WHEEL;
		in.mi.mouseData = (DWORD)(dy * WHEEL_DELTA);
		input_push(be, &in);
	}
	if (dx != 0) {
		in.mi.dwFlags = MOUSEEVENTF_HWHEEL;
		in.mi.mouseData = (DWORD)(-dx * WHEEL_DELTA);
		input_push(be, &in);
	}
}

/* The keysym a virtual key types with state (keys down) in layout, or 0. */
static uint32_t
input_vk_sym(unsigned vk, unsigned sc, const BYTE *state, HKL layout)
{
	WCHAR out[4];
	size_t i;
	int n;

	for (i = 0; i < sizeof input_vk_syms / sizeof input_vk_syms[0]; i++)
		if (input_vk_syms[i].vk == vk)
			return input_vk_syms[i].ks;
	if (vk >= VK_F1 && vk <= VK_F24)
		return 0xffbe + (vk - VK_F1);
	if (vk >= VK_NUMPAD0 && vk <= VK_NUMPAD9)
		return 0xffb0 + (vk - VK_NUMPAD0);
	n = ToUnicodeEx(vk, sc, state, out, 4, 0x4, layout);
	if (n < 0) {	/* a dead key: clear it out of the state */
		ToUnicodeEx(vk, sc, state, out, 4, 0x4, layout);
		return 0;
	}
	if (n != 1 || out[0] < 0x20 || out[0] == 0x7f)
		return 0;
	if (out[0] < 0x100)
		return out[0];
	return 0x01000000 + out[0];
}

/* The layout's keymap; slots report their keysym. */
static int
win_in_keymap(struct input_be *be, struct input_keymap *km)
{
	BYTE plain[256], shift[256];
	HKL layout = be->layout;
	unsigned kc, sc, vk;
	uint32_t *row;

	memset(plain, 0, sizeof plain);
	memset(shift, 0, sizeof shift);
	shift[VK_SHIFT] = shift[VK_LSHIFT] = 0x80;
	km->kmin = KC_MIN;
	km->kmax = KC_MAX;
	km->kpk = KPK;
	km->syms = xcalloc((KC_MAX - KC_MIN + 1) * KPK, sizeof *km->syms);
	km->kpm = KPM;
	km->modkc = xmalloc(sizeof input_modkc);
	memcpy(km->modkc, input_modkc, sizeof input_modkc);
	for (kc = KC_MIN; kc <= KC_MAX; kc++) {
		row = km->syms + (kc - KC_MIN) * KPK;
		if (be->slot[kc] != 0) {
			row[0] = row[1] = be->slot[kc];
			continue;
		}
		if ((sc = input_scan(kc)) == 0)
			continue;
		vk = MapVirtualKeyExA((sc & 0xff) | ((sc & EXT) ? 0xe000 : 0),
		    MAPVK_VSC_TO_VK_EX, layout);
		if (kc == 127)
			vk = VK_PAUSE;
		if (vk == 0)
			continue;
		row[0] = input_vk_sym(vk, sc & 0xff, plain, layout);
		row[1] = input_vk_sym(vk, sc & 0xff, shift, layout);
		if (row[1] == 0)
			row[1] = row[0];
	}
	return 0;
}

/* A slot: keycode kc types row[0] until remapped again (n 0 or 0: free). */
static void
win_in_remap(struct input_be *be, unsigned kc, const uint32_t *row,
    unsigned n)
{
	if (kc < KC_MIN || kc > KC_MAX || input_scan(kc) != 0)
		return;		/* only spare keycodes become slots */
	be->slot[kc] = n > 0 ? row[0] : 0;
}

/* Shift, Lock, Control, Mod1 (Alt), Mod2 (NumLock), Mod4 (Windows). */
static int
win_in_mods(struct input_be *be, uint16_t *mask)
{
	(void)be;
	*mask = 0;
	if (GetKeyState(VK_SHIFT) & 0x8000)
		*mask |= 0x01;
	if (GetKeyState(VK_CAPITAL) & 0x0001)
		*mask |= INPUT_MOD_LOCK;
	if (GetKeyState(VK_CONTROL) & 0x8000)
		*mask |= 0x04;
	if (GetKeyState(VK_MENU) & 0x8000)
		*mask |= 0x08;
	if (GetKeyState(VK_NUMLOCK) & 0x0001)
		*mask |= 0x10;
	if ((GetKeyState(VK_LWIN) | GetKeyState(VK_RWIN)) & 0x8000)
		*mask |= 0x40;
	return 0;
}

/* Slots live in this process only: nothing outlives a crash. */
static void
win_in_slots_save(struct input_be *be, const uint8_t *kcs, int n)
{
	(void)be;
	(void)kcs;
	(void)n;
}

/* No slot survives this process (see win_in_slots_save). */
static int
win_in_slots_load(struct input_be *be, uint8_t *kcs, int max)
{
	(void)be;
	(void)kcs;
	(void)max;
	return 0;
}

/* BlockInput: the local keyboard and mouse stop; SendInput still works. */
static int
win_in_block(struct input_be *be, int on)
{
	(void)be;
	return BlockInput(on ? TRUE : FALSE) ? 0 : ERR_IO;
}

const struct input_impl input_win = {
	.name = "sendinput",
	.open = win_in_open,
	.close = win_in_close,
	.describe = win_in_describe,
	.fd = win_in_fd,
	.poll = win_in_poll,
	.broken = win_in_broken,
	.flush = win_in_flush,
	.size = win_in_size,
	.key = win_in_key,
	.button = win_in_button,
	.move = win_in_move,
	.move_rel = win_in_move_rel,
	.wheel = win_in_wheel,
	.keymap = win_in_keymap,
	.remap = win_in_remap,
	.mods = win_in_mods,
	.slots_save = win_in_slots_save,
	.slots_load = win_in_slots_load,
	.block = win_in_block,
};
