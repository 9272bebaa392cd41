/*
 * svc_cursor.h: the cursor service (PROTOCOL.md §9.1, HOST.md §5.6). The
 * service keeps the subscribers, the shape cache and the messages; a
 * platform backend (struct cursor_impl below; X11: cursor_x11.c with
 * XFixes change notices, Windows: cursor_win.c polling GetCursorInfo)
 * names the shape on screen and gives its pixels. A new shape goes to
 * each sink once as CursorData (RGBA, colours zstd-compressed, id = the
 * backend's: the XFixes cursor serial, the HCURSOR), later as
 * Message.cursor_id.
 * The pointer position is sampled every 33 ms while a sink wants it and
 * sent as CursorPosition when it moved, except to a sink whose own input
 * moved it in the last 300 ms. Everything goes on SVC_Q_CONTROL. The
 * same tick measures the focused window for subscribers that follow it.
 *
 * Main loop thread only.
 */
#ifndef CDESK_SVC_CURSOR_H
#define CDESK_SVC_CURSOR_H

#include <stdint.h>

#include "server/svc/svc.h"

struct event_base;
struct svc_cursor;

/* Largest cursor image sent (bigger ones are cropped). */
#define SVC_CURSOR_DIM_MAX	256

/* What a sink wants. */
#define SVC_CURSOR_F_SHAPE	0x1	/* CursorData / cursor_id */
#define SVC_CURSOR_F_POSITION	0x2	/* CursorPosition */
#define SVC_CURSOR_F_FOCUS	0x4	/* the focused window's place */

/* What a follow callback reports (svc_cursor_set_follow). */
#define SVC_CURSOR_AT_POINTER	1	/* a CursorPosition it was sent */
#define SVC_CURSOR_AT_WINDOW	2	/* the focused window's centre */

/*
 * Called with a subscriber's sink ctx for follow remote cursor / window
 * (HOST.md §5.6): where the pointer is after each CursorPosition sent to
 * it, and, with SVC_CURSOR_F_FOCUS, where the focused window's centre
 * (_NET_ACTIVE_WINDOW) is whenever it moved (and once after it asked).
 * It may send to the sink; it must not subscribe or unsubscribe.
 */
typedef void svc_cursor_follow_cb(void *ctx, int what, int x, int y);

struct svc_cursor_stats {
	uint64_t	 shapes;	/* CursorData packed (cache misses) */
	uint64_t	 data_sent;	/* CursorData sends */
	uint64_t	 id_sent;	/* cursor_id sends */
	uint64_t	 pos_sent;	/* CursorPosition sends */
};

/*
 * A cursor service on base (borrowed) for the X display x_display (NULL:
 * $DISPLAY; Windows: the one desktop). Returns 0 and *scp (free with
 * svc_cursor_free) or a negative ERR_* (ERR_UNSUPP without XFixes).
 */
int	svc_cursor_new(struct event_base *base, const char *x_display,
	    struct svc_cursor **scp);
void	svc_cursor_free(struct svc_cursor *);
/*
 * Follows the cursor of another X display (the desktop session changed;
 * x_display borrowed, NULL: none). Shapes of the old display are
 * forgotten (their ids are its serials): every sink that wants shapes gets
 * the new display's as CursorData at once. Returns 0, or ERR_* (logged;
 * then as with NULL).
 */
int	svc_cursor_move(struct svc_cursor *, const char *x_display);

/*
 * Subscribes sink (copied; its ctx borrowed until unsubscribe) with
 * SVC_CURSOR_F_* flags, or changes the flags (and sink) of a subscribed
 * conn_id. A sink that wants shapes gets the current one at once. Returns
 * 0 or ERR_INVAL (no flags).
 */
int	svc_cursor_subscribe(struct svc_cursor *, const struct svc_sink *sink,
	    unsigned flags);
/* Removes conn_id's subscription, if any; its sink is not called again. */
void	svc_cursor_unsubscribe(struct svc_cursor *, uint32_t conn_id);
/* Sets conn_id's follow callback (NULL: none), if it is subscribed. */
void	svc_cursor_set_follow(struct svc_cursor *, uint32_t conn_id,
	    svc_cursor_follow_cb *cb);
/* conn_id's own mouse input just moved the pointer. */
void	svc_cursor_input(struct svc_cursor *, uint32_t conn_id);
void	svc_cursor_stats(struct svc_cursor *, struct svc_cursor_stats *);

/*
 * The platform under the service: a table of function pointers over an
 * opaque struct cursor_be (cursor_x11.c, cursor_win.c). All on the main
 * loop.
 */

/* One cursor image, straight (not premultiplied) RGBA, top row first. */
struct cursor_img {
	int		 hotx, hoty;
	int		 width, height;	/* each 1..SVC_CURSOR_DIM_MAX */
	uint8_t		*rgba;		/* caller frees: width*height*4 */
};

/* What a backend calls back (arg is the service). */
struct cursor_hooks {
	void	*arg;
	/* The shape on screen may have changed: the service asks for it. */
	void	(*changed)(void *arg);
	/* The display is gone for good (logged by the backend): the service
	 * stops sampling until it is moved or a sink subscribes again. */
	void	(*lost)(void *arg);
};

struct cursor_be;

struct cursor_impl {
	const char	*name;
	/*
	 * Watches the cursor of `where` (X11: a $DISPLAY string, NULL the
	 * environment's; Windows: ignored) with events on base (borrowed).
	 * hooks is copied. Returns 0 and *bep (free with close), or ERR_IO
	 * (no display), ERR_UNSUPP (no cursor images) or ERR_NOMEM.
	 */
	int	(*open)(struct event_base *base, const char *where,
		    const struct cursor_hooks *hooks, struct cursor_be **bep);
	/* Frees everything without calling a hook; NULL does nothing. */
	void	(*close)(struct cursor_be *);
	/* Whether some sink wants shapes: a backend that must poll for
	 * changes does so only while this is on. */
	void	(*watch)(struct cursor_be *, int on);
	/* Handles change notices already received (the service calls it
	 * after each position sample), calling hooks.changed if one is. */
	void	(*poll)(struct cursor_be *);
	/* The id of the shape on screen now. Returns 0 or ERR_IO. */
	int	(*shape_id)(struct cursor_be *, uint64_t *id);
	/* The image of the shape shape_id last named (its bigger sides
	 * cropped to SVC_CURSOR_DIM_MAX). Returns 0 and *img, or ERR_IO. */
	int	(*shape_img)(struct cursor_be *, struct cursor_img *img);
	/* Where the pointer is, in desktop coordinates. 0 or ERR_IO. */
	int	(*pointer)(struct cursor_be *, int *x, int *y);
	/* The centre of the focused window. 0, or ERR_IO if none. */
	int	(*focus)(struct cursor_be *, int *x, int *y);
};

extern const struct cursor_impl cursor_x11;

#endif
