/*
 * x11_window.c: the centre of the focused window (_NET_ACTIVE_WINDOW), as
 * upstream's window-focus service measures it (HOST.md §5.6).
 */
#include <stdlib.h>
#include <string.h>

#include <xcb/xcb.h>

#include "common/err.h"
#include "server/x11/x11_window.h"

#define ACTIVE_NAME	"_NET_ACTIVE_WINDOW"

/* Interns _NET_ACTIVE_WINDOW. */
xcb_atom_t
x11_active_atom(xcb_connection_t *c)
{
	xcb_intern_atom_reply_t *r;
	xcb_atom_t a = XCB_NONE;

	r = xcb_intern_atom_reply(c, xcb_intern_atom(c, 0,
	    strlen(ACTIVE_NAME), ACTIVE_NAME), NULL);
	if (r != NULL)
		a = r->atom;
	free(r);
	return a;
}

/* The active window's id from the root's property, or XCB_NONE. */
static xcb_window_t
active_window(xcb_connection_t *c, xcb_window_t root, xcb_atom_t atom)
{
	xcb_get_property_reply_t *p;
	xcb_window_t w = XCB_NONE;

	p = xcb_get_property_reply(c, xcb_get_property(c, 0, root, atom,
	    XCB_GET_PROPERTY_TYPE_ANY, 0, 1), NULL);
	if (p != NULL && p->format == 32 &&
	    xcb_get_property_value_length(p) >= 4)
		memcpy(&w, xcb_get_property_value(p), 4);
	free(p);
	return w;
}

/* Measures the active window. */
int
x11_active_center(xcb_connection_t *c, xcb_window_t root, xcb_atom_t atom,
    int *x, int *y)
{
	xcb_get_geometry_cookie_t gc;
	xcb_translate_coordinates_cookie_t tc;
	xcb_get_geometry_reply_t *g;
	xcb_translate_coordinates_reply_t *t;
	xcb_window_t w;
	int r = ERR_NOTFOUND;

	if (atom == XCB_NONE ||
	    (w = active_window(c, root, atom)) == XCB_NONE)
		return ERR_NOTFOUND;
	gc = xcb_get_geometry(c, w);
	tc = xcb_translate_coordinates(c, w, root, 0, 0);
	g = xcb_get_geometry_reply(c, gc, NULL);
	t = xcb_translate_coordinates_reply(c, tc, NULL);
	if (g != NULL && t != NULL) {
		*x = t->dst_x + g->width / 2;
		*y = t->dst_y + g->height / 2;
		r = 0;
	}
	free(g);
	free(t);
	return r;
}
