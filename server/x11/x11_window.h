/*
 * x11_window.h: the focused window of an X display, as EWMH names it
 * (the root's _NET_ACTIVE_WINDOW), for the window-focus service of
 * HOST.md §5.6: which monitor the window the user works in is on.
 */
#ifndef CDESK_X11_WINDOW_H
#define CDESK_X11_WINDOW_H

#include <xcb/xcb.h>

/* The _NET_ACTIVE_WINDOW atom on c (made if missing), or XCB_NONE. */
xcb_atom_t	x11_active_atom(xcb_connection_t *c);

/*
 * The centre of the active window (atom: x11_active_atom's) in root
 * coordinates. Returns 0 and *x, *y, or ERR_NOTFOUND (no active window,
 * or it is gone).
 */
int	x11_active_center(xcb_connection_t *c, xcb_window_t root,
	    xcb_atom_t atom, int *x, int *y);

#endif
