/*
 * svc_input.h: injects the peers' mouse, keyboard and touch events into the
 * X display through XTest (PROTOCOL.md §8, HOST.md §5.7).
 *
 * One struct svc_input per server, on the main loop. It keeps its own xcb
 * connection ($DISPLAY), remembers per connection what that peer holds down
 * (keys and buttons) and releases it on svc_input_release_all. The caller
 * checks permissions (Keyboard on, not view-only, not a camera session)
 * before calling in; this module only injects.
 *
 * Fairness: every connection has a token bucket (SVC_INPUT_RATE events per
 * second, SVC_INPUT_BURST deep). Over budget, absolute and relative moves
 * are coalesced into one pending move applied on the next tick, releases
 * (button and key up) are always applied, and other events are dropped, so
 * a flooding peer costs the loop O(1) per event and the X server at most
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
 * Connects to $DISPLAY and checks for XTest. base is borrowed and must
 * outlive the service. Returns NULL on failure with *cause set (caller
 * frees).
 */
struct svc_input *svc_input_new(struct event_base *base, char **cause);
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

#endif
