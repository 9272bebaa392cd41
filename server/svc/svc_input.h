/*
 * svc_input.h: injects the peers' mouse, keyboard and touch events into the
 * display through a platform backend (PROTOCOL.md §8, HOST.md §5.7); X11
 * injects through XTest (input_x11.c, struct input_impl below).
 *
 * One struct svc_input per server, on the main loop. It keeps its own
 * display connection (the shared session's), remembers per connection
 * what that peer holds down (keys and buttons) and releases it on
 * svc_input_release_all.
 * The caller checks permissions (Keyboard on, not view-only, not a camera
 * session) before calling in; this module only injects.
 *
 * Fairness: every connection has a token bucket (SVC_INPUT_RATE events per
 * second, SVC_INPUT_BURST deep). Over budget, absolute and relative moves
 * are coalesced into one pending move applied on the next tick, releases
 * (button and key up) are always applied, and other events are dropped, so
 * a flooding peer costs the loop O(1) per event and the display at most
 * the rate. Requests are flushed once per loop turn.
 */
#ifndef CDESK_SVC_INPUT_H
#define CDESK_SVC_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "message.pb-c.h"

struct event_base;
struct svc_input;

#define SVC_INPUT_RATE		1000	/* events per second per connection */
#define SVC_INPUT_BURST		500	/* bucket depth */
#define SVC_INPUT_SEQ_MAX	1024	/* code points typed per KeyEvent */
#define SVC_INPUT_WHEEL_MAX	64	/* wheel notches per MouseEvent */

/*
 * Opens the X11 backend on display (NULL: $DISPLAY; it needs XTest). base
 * is borrowed and must outlive the service. Returns NULL on failure with
 * *cause set (caller frees).
 */
struct svc_input *svc_input_new(struct event_base *base, const char *display,
	    char **cause);
/*
 * Moves injection to another display (the desktop session changed;
 * display borrowed, NULL: none): what every connection holds is released
 * and the temporary keysyms restored on the old display, then the backend
 * opens the new one; local input blocked there is blocked on the new one
 * too. Without a display (or when it cannot be opened) every injection
 * returns ERR_IO until the next move. Returns 0, or ERR_* with *cause set
 * (caller frees).
 */
int	svc_input_move(struct svc_input *svc, const char *display,
	    char **cause);
/*
 * Block input (OptionMessage.block_input, HOST.md §5.7): on, every
 * physical keyboard and pointer (XInput 2 slave devices other than the
 * XTEST ones) is disabled through its "Device Enabled" property, as
 * `xinput disable` does; X11 lets any client of the display do this, no
 * privileges needed. Peers' XTest input still works. Off re-enables the
 * devices it disabled. Their ids are also kept in a root window property,
 * so an instance started after a crash re-enables them; svc_input_free
 * unblocks. Devices plugged in while blocked stay enabled. Returns 0,
 * ERR_UNSUPP without XInput 2, or ERR_IO.
 */
int	svc_input_block(struct svc_input *svc, int on);
/* Returns 1 while svc_input_block is on. */
int	svc_input_blocked(const struct svc_input *svc);

/* Releases everything every connection holds, restores any keycode it
 * remapped, unblocks local input, and frees; NULL does nothing. */
void	svc_input_free(struct svc_input *svc);

/*
 * Injects one MouseEvent from connection conn_id (§8.1): mask type 0 move
 * (absolute, virtual-desktop pixels clamped to the screen), 1/2 button
 * down/up (x, y = 0, 0 means at the current position; otherwise the
 * pointer moves there first), 3/4 wheel/trackpad (notches, clamped to
 * SVC_INPUT_WHEEL_MAX), 5 relative move (clamped to ±10000). Modifiers
 * listed on a button-down are pressed around it. ev is borrowed. Returns 0,
 * ERR_INVAL for a mask it ignores, ERR_DENIED when rate-limited and
 * dropped, or ERR_IO when the X connection is gone.
 */
int	svc_input_mouse(struct svc_input *svc, uint32_t conn_id,
	    const Hbb__MouseEvent *ev);
/*
 * Injects one KeyEvent (§8.2) in its mode: Map (chr = X11 keycode),
 * Legacy (control_key, chr + modifiers, seq/unicode text) or Translate
 * (seq text, chr = keycode). press = down then up. Characters the layout
 * lacks are typed through a temporary keysym mapping on a spare keycode.
 * ev is borrowed. Returns 0 or a negative ERR_* as svc_input_mouse.
 */
int	svc_input_key(struct svc_input *svc, uint32_t conn_id,
	    const Hbb__KeyEvent *ev);
/*
 * Injects a PointerDeviceEvent (§8.3). X11 can express only scale_update:
 * a pinch becomes Ctrl + wheel (Ctrl held until the scale 0 that ends it,
 * one notch per 0.1 of accumulated scale). Pans are ignored as on upstream
 * desktop hosts (they arrive as MouseEvents too). Returns 0 or ERR_*.
 */
int	svc_input_pointer(struct svc_input *svc, uint32_t conn_id,
	    const Hbb__PointerDeviceEvent *ev);

/* Releases every key and button conn_id holds and forgets its state (call
 * on disconnect and when its Keyboard permission goes off). */
void	svc_input_release_all(struct svc_input *svc, uint32_t conn_id);

/* Milliseconds since the Unix epoch of the latest injected left-button-up
 * or Enter from any peer (the CM's click guard, HOST.md §3.4); 0 if none. */
int64_t	svc_input_last_click_ms(const struct svc_input *svc);
/* Milliseconds since the Unix epoch of the latest input of any kind (key,
 * text, mouse move, button, wheel, pinch) from any peer; 0 if none. */
int64_t	svc_input_last_input_ms(const struct svc_input *svc);
/* Milliseconds since the Unix epoch of the latest injected pointer move,
 * 0 if none; *conn_id (if not NULL) receives the connection that made it. */
int64_t	svc_input_last_move_ms(const struct svc_input *svc,
	    uint32_t *conn_id);

/*
 * Decodes UTF-8 text (len bytes, no terminator needed) into at most max
 * code points in cps (may be NULL to count); an invalid byte becomes
 * U+FFFD. Returns the number of code points. Pure; for the seq member.
 */
size_t	svc_input_decode_text(const char *s, size_t len, uint32_t *cps,
	    size_t max);

/* Sets the per-connection token bucket (tests, tuning); rate 0 turns the
 * limiter off. */
void	svc_input_set_limits(struct svc_input *svc, unsigned rate,
	    unsigned burst);
/* Events dropped by the limiter since svc_input_new. */
uint64_t svc_input_dropped(const struct svc_input *svc);

/*
 * The platform under the service: a table of function pointers over an
 * opaque struct input_be, one per platform (input_x11.c: XTest, the core
 * keymap, XInput 2). The service keeps everything else: key modes, held
 * keys and buttons, temporary keysym slots, the token buckets, the tick.
 *
 * Keys are named as X11 names them, whatever the platform: keycodes 8..255,
 * keysyms (X11 keysymdef.h) in a keymap whose columns are the core
 * protocol's. Buttons are X11 buttons: 1 left, 2 middle, 3 right, 8 back,
 * 9 forward. Injection calls are queued; flush sends them. After the
 * connection broke they do nothing and broken() says so.
 */

/* A keyboard mapping as the core protocol has it. */
struct input_keymap {
	unsigned	 kmin, kmax;	/* keycode range */
	unsigned	 kpk;		/* keysyms per keycode */
	uint32_t	*syms;		/* owned: (kmax - kmin + 1) * kpk */
	unsigned	 kpm;		/* keycodes per modifier */
	uint8_t		*modkc;		/* owned: 8 rows of kpm; row i is the
					   modifier bit 1 << i (Shift, Lock,
					   Control, Mod1..Mod5) */
};

/* Bits of input_impl.mods (the modifier row order of struct input_keymap). */
#define INPUT_MOD_LOCK		0x02	/* CapsLock */

/* Bits returned by input_impl.poll. */
#define INPUT_EV_KEYMAP		0x1	/* the keyboard mapping changed */

struct input_be;

struct input_impl {
	const char	*name;
	/*
	 * Opens the display named by `where` (X11: a $DISPLAY string; NULL
	 * means the environment's), checks that input can be injected and
	 * re-enables devices an earlier instance blocked. Returns 0 and *bep
	 * (free with close), or a negative ERR_* with *cause set (caller
	 * frees).
	 */
	int	(*open)(const char *where, struct input_be **bep, char **cause);
	/* Waits until everything sent was handled (when the connection still
	 * works) and frees; NULL does nothing. */
	void	(*close)(struct input_be *);
	/* What is injecting where, for the start-up log line (borrowed). */
	const char *(*describe)(struct input_be *);
	/* A descriptor that becomes readable when poll has news. */
	int	(*fd)(struct input_be *);
	/* Reads pending notices without blocking; returns INPUT_EV_* bits. */
	int	(*poll)(struct input_be *);
	/* Whether the connection is lost for good. */
	int	(*broken)(struct input_be *);
	/* Sends what the calls below queued. */
	void	(*flush)(struct input_be *);
	/* The screen (virtual desktop) size as of the last poll. */
	void	(*size)(struct input_be *, int *w, int *h);
	/* Presses (down) or releases keycode kc. */
	void	(*key)(struct input_be *, unsigned kc, int down);
	/* Presses or releases button b (1..9). */
	void	(*button)(struct input_be *, unsigned b, int down);
	/* Moves the pointer to x, y (inside the screen). */
	void	(*move)(struct input_be *, int x, int y);
	/* Moves the pointer by dx, dy. */
	void	(*move_rel)(struct input_be *, int dx, int dy);
	/* Turns the wheel dy notches up (< 0: down), then dx notches left
	 * (< 0: right); one click each. */
	void	(*wheel)(struct input_be *, int dx, int dy);
	/* Reads the keymap into *km (its arrays: caller frees). Returns 0 or
	 * ERR_IO (*km untouched). */
	int	(*keymap)(struct input_be *, struct input_keymap *km);
	/* Replaces the n keysyms of keycode kc with row (borrowed). */
	void	(*remap)(struct input_be *, unsigned kc, const uint32_t *row,
		    unsigned n);
	/* Sets *mask to the modifiers and locks now on (INPUT_MOD_LOCK ...).
	 * Returns 0 or ERR_IO (a round trip failed; *mask is 0). */
	int	(*mods)(struct input_be *, uint16_t *mask);
	/* Stores the n keycodes holding temporary keysyms where an instance
	 * started after a crash finds them (n 0 clears). */
	void	(*slots_save)(struct input_be *, const uint8_t *kcs, int n);
	/* Reads up to max keycodes slots_save stored; returns their count. */
	int	(*slots_load)(struct input_be *, uint8_t *kcs, int max);
	/*
	 * Disables (on) or re-enables the physical keyboards and pointers, not
	 * the injecting device (see svc_input_block); blocking twice is
	 * blocking once. Returns 0, ERR_UNSUPP or ERR_IO.
	 */
	int	(*block)(struct input_be *, int on);
};

extern const struct input_impl input_x11;

#endif
