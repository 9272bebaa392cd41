/*
 * x11_randr.h: a monitor's resolutions through RandR (HOST.md §5.12): the
 * sizes its output offers (PeerInfo's `resolutions`), a change a peer asks
 * for (ChangeDisplayResolution, applied as `xrandr --output NAME --mode
 * WxH` would), and the size it had before the first change
 * (`original_resolution`), restored when the last remote session ends.
 *
 * The table of original sizes is process-wide, keyed by monitor name as
 * upstream keys it, and locked: capture workers read it when they list
 * monitors (cap_x11.c) while the main loop changes it.
 */
#ifndef CDESK_X11_RANDR_H
#define CDESK_X11_RANDR_H

/* The Windows build (packaging/win/win.mk) sees only the two calls below
 * the RandR one, implemented by server/win/display_win.c. */
#ifndef _WIN32
#include <xcb/xcb.h>
#include <xcb/randr.h>
#endif

#include "server/media/cap.h"

#ifndef _WIN32
/*
 * Fills d->modes and d->nmodes with the distinct sizes of output's modes
 * (res: the screen's resources, borrowed), in the output's order, and
 * d->orig_w/orig_h with the size noted before a change (else d's own).
 * An output of 0 or unknown gives no modes.
 */
void	x11_randr_modes(xcb_connection_t *c,
	    const xcb_randr_get_screen_resources_current_reply_t *res,
	    xcb_randr_output_t output, struct cap_display *d);
#endif

/*
 * Sets monitor name (borrowed) of the X display x_display (NULL:
 * $DISPLAY) to a mode of w x h, growing or shrinking the screen to hold
 * every monitor. The size it had first is noted for x11_randr_restore.
 * Returns 0, ERR_NOTFOUND (no such monitor or mode: *cause says which),
 * ERR_UNSUPP (no RandR 1.5) or ERR_IO. *cause (may be NULL; free it) is
 * set on every error.
 */
int	x11_randr_set(const char *x_display, const char *name, int w, int h,
	    char **cause);

/*
 * Puts every monitor a peer changed on x_display back to its noted size
 * and forgets all notes (those of a display the desk has left too).
 * Returns how many were restored, or the first error (logged).
 */
int	x11_randr_restore(const char *x_display);


#endif
