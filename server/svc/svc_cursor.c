/* svc_cursor.c: cursor shapes (XFixes) and position for the sinks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>
#include <zstd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "server/svc/svc_cursor.h"
#include "server/svc/svc_subs.h"
#include "server/x11/x11_auth.h"
#include "server/x11/x11_window.h"

#define CURSOR_CACHE_MAX	64	/* shapes kept packed */
#define CURSOR_SENT_MAX		64	/* ids remembered per sink */
#define CURSOR_POLL_MS		33
#define CURSOR_OWN_INPUT_MS	300

struct cshape {
	uint64_t	 id;
	struct msgbuf	*data;		/* owned: Message{cursor_data} */
	uint64_t	 used;		/* for eviction */
};

/* A subscriber: an entry of svc_cursor.subs, keyed by conn_id. */
struct csub {
	struct svc_sub		 sub;
	unsigned		 flags;
	uint64_t		 sent[CURSOR_SENT_MAX];
	size_t			 nsent;
	uint64_t		 input_at;	/* ms of its last own move */
	svc_cursor_follow_cb	*follow;	/* or NULL */
};

struct svc_cursor {
	struct event_base	*base;		/* borrowed */
	xcb_connection_t	*c;		/* owned */
	xcb_window_t		 root;
	uint8_t			 xfixes_base;
	struct event		*ev_x;		/* owned */
	struct event		*ev_pos;	/* owned */
	struct cshape		 cache[CURSOR_CACHE_MAX];
	size_t			 ncache;
	uint64_t		 clock;
	uint64_t		 cur_id;	/* shape now on screen; 0 none */
	int			 have_pos;
	int			 x, y;
	xcb_atom_t		 active;	/* _NET_ACTIVE_WINDOW */
	int			 have_focus;	/* fx, fy measured */
	int			 fx, fy;	/* the focused window's centre */
	struct svc_subs		 subs;		/* of struct csub */
	struct svc_cursor_stats	 st;
};

/* Packs the XFixes image as Message{cursor_data}; NULL on failure. */
static struct msgbuf *
cursor_pack(const xcb_xfixes_get_cursor_image_reply_t *r)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__CursorData cd = HBB__CURSOR_DATA__INIT;
	const uint32_t *px;
	uint8_t *rgba, *z;
	size_t n, zlen, zcap;
	int w, h, x, y, srcw, len;
	struct msgbuf *b;

	srcw = r->width;
	w = r->width < SVC_CURSOR_DIM_MAX ? r->width : SVC_CURSOR_DIM_MAX;
	h = r->height < SVC_CURSOR_DIM_MAX ? r->height : SVC_CURSOR_DIM_MAX;
	len = xcb_xfixes_get_cursor_image_cursor_image_length(r);
	if (w <= 0 || h <= 0 || len < srcw * r->height)
		return NULL;
	px = xcb_xfixes_get_cursor_image_cursor_image(r);
	n = (size_t)w * h * 4;
	rgba = xmalloc(n);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			uint32_t p = px[(size_t)y * srcw + x];
			uint8_t a = p >> 24, *o = rgba + ((size_t)y * w + x) * 4;
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
	zcap = ZSTD_compressBound(n);
	z = xmalloc(zcap);
	zlen = ZSTD_compress(z, zcap, rgba, n, 3);
	free(rgba);
	if (ZSTD_isError(zlen)) {
		free(z);
		return NULL;
	}
	cd.id = r->cursor_serial;
	cd.hotx = r->xhot;
	cd.hoty = r->yhot;
	cd.width = w;
	cd.height = h;
	cd.colors.data = z;
	cd.colors.len = zlen;
	m.union_case = HBB__MESSAGE__UNION_CURSOR_DATA;
	m.cursor_data = &cd;
	b = msgbuf_pack(&m);
	free(z);
	return b;
}

/* Returns the cached shape of the current cursor, fetching it if new. */
static struct cshape *
cursor_current(struct svc_cursor *sc)
{
	xcb_xfixes_get_cursor_image_reply_t *r;
	struct cshape *s;
	struct msgbuf *b;
	size_t i, old = 0;

	if (sc->c == NULL)
		return NULL;
	r = xcb_xfixes_get_cursor_image_reply(sc->c,
	    xcb_xfixes_get_cursor_image(sc->c), NULL);
	if (r == NULL)
		return NULL;
	sc->cur_id = r->cursor_serial;
	for (i = 0; i < sc->ncache; i++)
		if (sc->cache[i].id == r->cursor_serial) {
			free(r);
			sc->cache[i].used = ++sc->clock;
			return &sc->cache[i];
		}
	if ((b = cursor_pack(r)) == NULL) {
		free(r);
		return NULL;
	}
	sc->st.shapes++;
	if (sc->ncache < CURSOR_CACHE_MAX)
		s = &sc->cache[sc->ncache++];
	else {
		for (i = 1; i < sc->ncache; i++)
			if (sc->cache[i].used < sc->cache[old].used)
				old = i;
		s = &sc->cache[old];
		msgbuf_unref(s->data);
	}
	s->id = r->cursor_serial;
	s->data = b;
	s->used = ++sc->clock;
	free(r);
	return s;
}

/* Sends a shape to one sink: CursorData the first time, else its id. */
static void
cursor_send_shape(struct svc_cursor *sc, struct csub *cs,
    const struct cshape *s)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	struct msgbuf *b;
	size_t i;

	for (i = 0; i < cs->nsent; i++)
		if (cs->sent[i] == s->id)
			break;
	if (i < cs->nsent) {
		m.union_case = HBB__MESSAGE__UNION_CURSOR_ID;
		m.cursor_id = s->id;
		b = msgbuf_pack(&m);
		cs->sub.sink.send(cs->sub.sink.ctx, b, SVC_Q_CONTROL);
		msgbuf_unref(b);
		sc->st.id_sent++;
		return;
	}
	/* The client caches by id for the session; remember a window. */
	if (cs->nsent == CURSOR_SENT_MAX) {
		memmove(cs->sent, cs->sent + 1, sizeof cs->sent[0] *
		    (CURSOR_SENT_MAX - 1));
		cs->nsent--;
	}
	cs->sent[cs->nsent++] = s->id;
	cs->sub.sink.send(cs->sub.sink.ctx, s->data, SVC_Q_CONTROL);
	sc->st.data_sent++;
}

/* What a walk over the subscribers sends. */
struct cursor_walk {
	struct svc_cursor	*sc;
	const struct cshape	*shape;		/* shape walk: the new one */
	uint64_t		 now;		/* position walk: ms */
	struct msgbuf		*pos;		/* position walk: owned; lazy */
};

/* Sends the new shape to one subscriber that wants shapes. */
static void
cursor_shape_one(void *entry, void *arg)
{
	struct csub *cs = entry;
	struct cursor_walk *w = arg;

	if (cs->flags & SVC_CURSOR_F_SHAPE)
		cursor_send_shape(w->sc, cs, w->shape);
}

/* The X connection is readable: cursor change notices. */
static void
cursor_x_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_cursor *sc = arg;
	struct cursor_walk w = { sc, NULL, 0, NULL };
	xcb_generic_event_t *ev;
	struct cshape *s;
	int changed = 0;

	(void)fd;
	(void)what;
	while ((ev = xcb_poll_for_event(sc->c)) != NULL) {
		if ((ev->response_type & 0x7f) ==
		    sc->xfixes_base + XCB_XFIXES_CURSOR_NOTIFY)
			changed = 1;
		free(ev);
	}
	if (xcb_connection_has_error(sc->c)) {
		log_error("cursor: X connection lost");
		event_del(sc->ev_x);
		event_del(sc->ev_pos);
		return;
	}
	if (!changed || (s = cursor_current(sc)) == NULL)
		return;
	/* A send may close its connection, which unsubscribes it. */
	w.shape = s;
	svc_subs_each(&sc->subs, cursor_shape_one, &w);
}

/* Sends the position to one subscriber that wants it and did not move
 * the pointer itself just now. */
static void
cursor_pos_one(void *entry, void *arg)
{
	struct csub *cs = entry;
	struct cursor_walk *w = arg;
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__CursorPosition cp = HBB__CURSOR_POSITION__INIT;

	if (!(cs->flags & SVC_CURSOR_F_POSITION) ||
	    w->now - cs->input_at < CURSOR_OWN_INPUT_MS)
		return;
	if (w->pos == NULL) {
		cp.x = w->sc->x;
		cp.y = w->sc->y;
		m.union_case = HBB__MESSAGE__UNION_CURSOR_POSITION;
		m.cursor_position = &cp;
		w->pos = msgbuf_pack(&m);
	}
	cs->sub.sink.send(cs->sub.sink.ctx, w->pos, SVC_Q_CONTROL);
	w->sc->st.pos_sent++;
	if (!cs->sub.dead && cs->follow != NULL)
		cs->follow(cs->sub.sink.ctx, SVC_CURSOR_AT_POINTER, w->sc->x,
		    w->sc->y);
}

/* Tells one subscriber that follows the focused window where it is. */
static void
cursor_focus_one(void *entry, void *arg)
{
	struct csub *cs = entry;
	struct svc_cursor *sc = arg;

	if ((cs->flags & SVC_CURSOR_F_FOCUS) && cs->follow != NULL)
		cs->follow(cs->sub.sink.ctx, SVC_CURSOR_AT_WINDOW, sc->fx,
		    sc->fy);
}

/* Measures the focused window for its followers; tells them if it
 * moved. */
static void
cursor_focus_tick(struct svc_cursor *sc)
{
	const struct csub *cs;
	int want = 0, x, y;

	SVC_SUBS_FOREACH(cs, &sc->subs)
		if (cs->flags & SVC_CURSOR_F_FOCUS)
			want = 1;
	if (!want || x11_active_center(sc->c, sc->root, sc->active, &x,
	    &y) != 0)
		return;
	if (sc->have_focus && x == sc->fx && y == sc->fy)
		return;
	sc->have_focus = 1;
	sc->fx = x;
	sc->fy = y;
	svc_subs_each(&sc->subs, cursor_focus_one, sc);
}

/* Samples the pointer and sends CursorPosition when it moved. */
static void
cursor_pos_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_cursor *sc = arg;
	struct cursor_walk w = { sc, NULL, 0, NULL };
	xcb_query_pointer_reply_t *r;

	(void)fd;
	(void)what;
	if (sc->c == NULL)
		return;
	cursor_focus_tick(sc);
	r = xcb_query_pointer_reply(sc->c, xcb_query_pointer(sc->c,
	    sc->root), NULL);
	if (r == NULL)
		return;
	if (sc->have_pos && r->root_x == sc->x && r->root_y == sc->y) {
		free(r);
		return;
	}
	sc->have_pos = 1;
	sc->x = r->root_x;
	sc->y = r->root_y;
	free(r);
	w.now = mono_ms();
	svc_subs_each(&sc->subs, cursor_pos_one, &w);
	msgbuf_unref(w.pos);
	/* The reply may have queued a cursor notice. */
	cursor_x_cb(-1, 0, sc);
}

/* Starts or stops the position timer as sinks need it. */
static void
cursor_timer(struct svc_cursor *sc)
{
	struct timeval tv = { 0, CURSOR_POLL_MS * 1000 };
	const struct csub *cs;
	int want = 0;

	SVC_SUBS_FOREACH(cs, &sc->subs)
		if (cs->flags & (SVC_CURSOR_F_POSITION | SVC_CURSOR_F_FOCUS))
			want = 1;
	if (want && sc->c != NULL &&
	    !event_pending(sc->ev_pos, EV_TIMEOUT, NULL))
		event_add(sc->ev_pos, &tv);
	else if (!want) {
		event_del(sc->ev_pos);
		sc->have_pos = sc->have_focus = 0;
	}
}

/* Connects to x_display and asks for cursor change notices. Returns 0 or
 * ERR_IO / ERR_UNSUPP / ERR_NOMEM (the connection left closed). */
static int
cursor_attach(struct svc_cursor *sc, const char *x_display)
{
	const xcb_query_extension_reply_t *q;
	xcb_xfixes_query_version_reply_t *v;
	int r = ERR_IO;

	sc->c = x11_connect(x_display, NULL);
	if (xcb_connection_has_error(sc->c))
		goto fail;
	sc->root = xcb_setup_roots_iterator(xcb_get_setup(sc->c)).data->root;
	q = xcb_get_extension_data(sc->c, &xcb_xfixes_id);
	if (q == NULL || !q->present) {
		r = ERR_UNSUPP;
		goto fail;
	}
	sc->xfixes_base = q->first_event;
	sc->active = x11_active_atom(sc->c);
	v = xcb_xfixes_query_version_reply(sc->c,
	    xcb_xfixes_query_version(sc->c, 4, 0), NULL);
	free(v);
	xcb_xfixes_select_cursor_input(sc->c, sc->root,
	    XCB_XFIXES_CURSOR_NOTIFY_MASK_DISPLAY_CURSOR);
	xcb_flush(sc->c);
	sc->ev_x = event_new(sc->base, xcb_get_file_descriptor(sc->c),
	    EV_READ | EV_PERSIST, cursor_x_cb, sc);
	if (sc->ev_x == NULL) {
		r = ERR_NOMEM;
		goto fail;
	}
	event_add(sc->ev_x, NULL);
	return 0;
fail:
	xcb_disconnect(sc->c);
	sc->c = NULL;
	return r;
}

/* Disconnects and forgets the shapes of that display (their ids are its
 * serials). */
static void
cursor_detach(struct svc_cursor *sc)
{
	struct csub *cs;
	size_t i;

	if (sc->ev_x != NULL)
		event_free(sc->ev_x);
	sc->ev_x = NULL;
	if (sc->ev_pos != NULL)
		event_del(sc->ev_pos);
	for (i = 0; i < sc->ncache; i++)
		msgbuf_unref(sc->cache[i].data);
	sc->ncache = 0;
	sc->cur_id = 0;
	sc->have_pos = sc->have_focus = 0;
	SVC_SUBS_FOREACH(cs, &sc->subs)
		cs->nsent = 0;
	if (sc->c != NULL)
		xcb_disconnect(sc->c);
	sc->c = NULL;
}

/* Creates the service. */
int
svc_cursor_new(struct event_base *base, const char *x_display,
    struct svc_cursor **scp)
{
	struct svc_cursor *sc;
	int r;

	*scp = NULL;
	sc = xcalloc(1, sizeof *sc);
	sc->base = base;
	svc_subs_init(&sc->subs, sizeof(struct csub));
	sc->ev_pos = event_new(base, -1, EV_PERSIST, cursor_pos_cb, sc);
	if (sc->ev_pos == NULL) {
		svc_cursor_free(sc);
		return ERR_NOMEM;
	}
	if ((r = cursor_attach(sc, x_display)) != 0) {
		svc_cursor_free(sc);
		return r;
	}
	*scp = sc;
	return 0;
}

/* Follows the cursor of another display (NULL: none). */
int
svc_cursor_move(struct svc_cursor *sc, const char *x_display)
{
	struct cshape *s;
	struct csub *cs;
	int r;

	cursor_detach(sc);
	if (x_display == NULL)
		return 0;
	if ((r = cursor_attach(sc, x_display)) != 0) {
		log_warn_r(r, "cursor: cannot watch display %s", x_display);
		return r;
	}
	cursor_timer(sc);
	/* The new display's shape, to everyone who wants shapes. */
	if ((s = cursor_current(sc)) != NULL)
		SVC_SUBS_FOREACH(cs, &sc->subs)
			if (cs->flags & SVC_CURSOR_F_SHAPE)
				cursor_send_shape(sc, cs, s);
	return 0;
}

/* Frees the service. */
void
svc_cursor_free(struct svc_cursor *sc)
{
	if (sc == NULL)
		return;
	cursor_detach(sc);
	if (sc->ev_pos != NULL)
		event_free(sc->ev_pos);
	svc_subs_fini(&sc->subs);
	free(sc);
}

/* Subscribes a sink or changes its flags. */
int
svc_cursor_subscribe(struct svc_cursor *sc, const struct svc_sink *sink,
    unsigned flags)
{
	struct csub *cs;
	struct cshape *s;
	unsigned old;

	flags &= SVC_CURSOR_F_SHAPE | SVC_CURSOR_F_POSITION |
	    SVC_CURSOR_F_FOCUS;
	if (flags == 0)
		return ERR_INVAL;
	/* A new entry is zeroed: no flags, no shapes sent. */
	cs = svc_subs_add(&sc->subs, sink, NULL);
	old = cs->flags;
	cs->flags = flags;
	/* A new follower hears where the focused window is at once. */
	if ((flags & SVC_CURSOR_F_FOCUS) && !(old & SVC_CURSOR_F_FOCUS))
		sc->have_focus = 0;
	if ((flags & SVC_CURSOR_F_SHAPE) && !(old & SVC_CURSOR_F_SHAPE) &&
	    (s = cursor_current(sc)) != NULL)
		cursor_send_shape(sc, cs, s);
	cursor_timer(sc);
	return 0;
}

/* Drops a sink. */
void
svc_cursor_unsubscribe(struct svc_cursor *sc, uint32_t conn_id)
{
	if (svc_subs_del(&sc->subs, conn_id))
		cursor_timer(sc);
}

/* Sets a subscriber's follow callback. */
void
svc_cursor_set_follow(struct svc_cursor *sc, uint32_t conn_id,
    svc_cursor_follow_cb *cb)
{
	struct csub *cs;

	if ((cs = svc_subs_find(&sc->subs, conn_id)) != NULL)
		cs->follow = cb;
}

/* Notes that conn_id's own input moved the pointer. */
void
svc_cursor_input(struct svc_cursor *sc, uint32_t conn_id)
{
	struct csub *cs;

	if ((cs = svc_subs_find(&sc->subs, conn_id)) != NULL)
		cs->input_at = mono_ms();
}

/* Copies the counters. */
void
svc_cursor_stats(struct svc_cursor *sc, struct svc_cursor_stats *out)
{
	*out = sc->st;
}
