/*
 * cursor_x11.c: the cursor service's X11 backend (svc_cursor.h, struct
 * cursor_impl). XFixes tells when the displayed cursor changes (no
 * polling); a shape's id is its XFixes cursor serial and its image
 * XFixes' premultiplied ARGB, made straight RGBA here.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/svc/svc_cursor.h"
#include "server/x11/x11_auth.h"
#include "server/x11/x11_window.h"

struct cursor_be {
	struct cursor_hooks	 hooks;
	xcb_connection_t	*c;		/* owned */
	xcb_window_t		 root;
	uint8_t			 xfixes_base;
	xcb_atom_t		 active;	/* _NET_ACTIVE_WINDOW */
	struct event		*ev_x;		/* owned */
	/* owned: the reply shape_id last got, for shape_img */
	xcb_xfixes_get_cursor_image_reply_t *last;
};

/* Reads the notices queued on the connection; tells the service of a
 * change, or that the connection is gone. */
static void
cursor_x11_poll(struct cursor_be *be)
{
	xcb_generic_event_t *ev;
	int changed = 0;

	while ((ev = xcb_poll_for_event(be->c)) != NULL) {
		if ((ev->response_type & 0x7f) ==
		    be->xfixes_base + XCB_XFIXES_CURSOR_NOTIFY)
			changed = 1;
		free(ev);
	}
	if (xcb_connection_has_error(be->c)) {
		log_error("cursor: X connection lost");
		event_del(be->ev_x);
		be->hooks.lost(be->hooks.arg);
		return;
	}
	if (changed)
		be->hooks.changed(be->hooks.arg);
}

/* The X connection is readable: cursor change notices. */
static void
cursor_x11_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	cursor_x11_poll(arg);
}

/* Disconnects; NULL does nothing. */
static void
cursor_x11_close(struct cursor_be *be)
{
	if (be == NULL)
		return;
	if (be->ev_x != NULL)
		event_free(be->ev_x);
	free(be->last);
	if (be->c != NULL)
		xcb_disconnect(be->c);
	free(be);
}

/* Connects to where and asks for cursor change notices. */
static int
cursor_x11_open(struct event_base *base, const char *where,
    const struct cursor_hooks *hooks, struct cursor_be **bep)
{
	const xcb_query_extension_reply_t *q;
	xcb_xfixes_query_version_reply_t *v;
	struct cursor_be *be;
	int r = ERR_IO;

	*bep = NULL;
	be = xcalloc(1, sizeof *be);
	be->hooks = *hooks;
	be->c = x11_connect(where, NULL);
	if (xcb_connection_has_error(be->c))
		goto fail;
	be->root = xcb_setup_roots_iterator(xcb_get_setup(be->c)).data->root;
	q = xcb_get_extension_data(be->c, &xcb_xfixes_id);
	if (q == NULL || !q->present) {
		r = ERR_UNSUPP;
		goto fail;
	}
	be->xfixes_base = q->first_event;
	be->active = x11_active_atom(be->c);
	v = xcb_xfixes_query_version_reply(be->c,
	    xcb_xfixes_query_version(be->c, 4, 0), NULL);
	free(v);
	xcb_xfixes_select_cursor_input(be->c, be->root,
	    XCB_XFIXES_CURSOR_NOTIFY_MASK_DISPLAY_CURSOR);
	xcb_flush(be->c);
	be->ev_x = event_new(base, xcb_get_file_descriptor(be->c),
	    EV_READ | EV_PERSIST, cursor_x11_cb, be);
	if (be->ev_x == NULL) {
		r = ERR_NOMEM;
		goto fail;
	}
	event_add(be->ev_x, NULL);
	*bep = be;
	return 0;
fail:
	cursor_x11_close(be);
	return r;
}

/* Change notices come whether or not shapes are wanted. */
static void
cursor_x11_watch(struct cursor_be *be, int on)
{
	(void)be;
	(void)on;
}

/* Fetches the cursor image (serial and pixels come in one reply). */
static int
cursor_x11_shape_id(struct cursor_be *be, uint64_t *id)
{
	xcb_xfixes_get_cursor_image_reply_t *r;

	r = xcb_xfixes_get_cursor_image_reply(be->c,
	    xcb_xfixes_get_cursor_image(be->c), NULL);
	if (r == NULL)
		return ERR_IO;
	free(be->last);
	be->last = r;
	*id = r->cursor_serial;
	return 0;
}

/* The last reply's image as straight RGBA, cropped. */
static int
cursor_x11_shape_img(struct cursor_be *be, struct cursor_img *img)
{
	const xcb_xfixes_get_cursor_image_reply_t *r = be->last;
	const uint32_t *px;
	int w, h, x, y, srcw, len;

	memset(img, 0, sizeof *img);
	if (r == NULL)
		return ERR_IO;
	srcw = r->width;
	w = r->width < SVC_CURSOR_DIM_MAX ? r->width : SVC_CURSOR_DIM_MAX;
	h = r->height < SVC_CURSOR_DIM_MAX ? r->height : SVC_CURSOR_DIM_MAX;
	len = xcb_xfixes_get_cursor_image_cursor_image_length(r);
	if (w <= 0 || h <= 0 || len < srcw * r->height)
		return ERR_IO;
	px = xcb_xfixes_get_cursor_image_cursor_image(r);
	img->rgba = xmalloc((size_t)w * h * 4);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			uint32_t p = px[(size_t)y * srcw + x];
			uint8_t a = p >> 24;
			uint8_t *o = img->rgba + ((size_t)y * w + x) * 4;
			unsigned rr = (p >> 16) & 0xff, g = (p >> 8) & 0xff,
			    bb = p & 0xff;

			/* XFixes gives premultiplied ARGB; clients want
			 * straight RGBA. */
			if (a != 0 && a != 255) {
				rr = rr * 255 / a;
				g = g * 255 / a;
				bb = bb * 255 / a;
			}
			o[0] = rr > 255 ? 255 : rr;
			o[1] = g > 255 ? 255 : g;
			o[2] = bb > 255 ? 255 : bb;
			o[3] = a;
		}
	img->hotx = r->xhot;
	img->hoty = r->yhot;
	img->width = w;
	img->height = h;
	return 0;
}

/* Where the pointer is on the root window. */
static int
cursor_x11_pointer(struct cursor_be *be, int *x, int *y)
{
	xcb_query_pointer_reply_t *r;

	r = xcb_query_pointer_reply(be->c, xcb_query_pointer(be->c,
	    be->root), NULL);
	if (r == NULL)
		return ERR_IO;
	*x = r->root_x;
	*y = r->root_y;
	free(r);
	return 0;
}

/* The centre of _NET_ACTIVE_WINDOW. */
static int
cursor_x11_focus(struct cursor_be *be, int *x, int *y)
{
	return x11_active_center(be->c, be->root, be->active, x, y);
}

const struct cursor_impl cursor_x11 = {
	.name = "xfixes",
	.open = cursor_x11_open,
	.close = cursor_x11_close,
	.watch = cursor_x11_watch,
	.poll = cursor_x11_poll,
	.shape_id = cursor_x11_shape_id,
	.shape_img = cursor_x11_shape_img,
	.pointer = cursor_x11_pointer,
	.focus = cursor_x11_focus,
};
