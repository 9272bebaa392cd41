/*
 * svc_cursor.c: cursor shapes and position for the sinks, over the
 * platform's backend (svc_cursor.h: struct cursor_impl; the X11 name
 * cursor_x11 is the Windows table in that build, server/win/platform.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <zstd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "server/svc/svc_cursor.h"
#include "server/svc/svc_subs.h"

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
	const struct cursor_impl *impl;
	struct cursor_be	*be;		/* owned; NULL: no display */
	int			 lost;		/* be's display is gone */
	struct event		*ev_pos;	/* owned */
	struct cshape		 cache[CURSOR_CACHE_MAX];
	size_t			 ncache;
	uint64_t		 clock;
	uint64_t		 cur_id;	/* shape now on screen; 0 none */
	int			 have_pos;
	int			 x, y;
	int			 have_focus;	/* fx, fy measured */
	int			 fx, fy;	/* the focused window's centre */
	struct svc_subs		 subs;		/* of struct csub */
	struct svc_cursor_stats	 st;
};

/* Packs a shape as Message{cursor_data}; NULL on failure. */
static struct msgbuf *
cursor_pack(uint64_t id, const struct cursor_img *img)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__CursorData cd = HBB__CURSOR_DATA__INIT;
	uint8_t *z;
	size_t n, zlen, zcap;
	struct msgbuf *b;

	n = (size_t)img->width * img->height * 4;
	zcap = ZSTD_compressBound(n);
	z = xmalloc(zcap);
	zlen = ZSTD_compress(z, zcap, img->rgba, n, 3);
	if (ZSTD_isError(zlen)) {
		free(z);
		return NULL;
	}
	cd.id = id;
	cd.hotx = img->hotx;
	cd.hoty = img->hoty;
	cd.width = img->width;
	cd.height = img->height;
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
	struct cursor_img img;
	struct cshape *s;
	struct msgbuf *b;
	uint64_t id;
	size_t i, old = 0;

	if (sc->be == NULL || sc->impl->shape_id(sc->be, &id) != 0)
		return NULL;
	sc->cur_id = id;
	for (i = 0; i < sc->ncache; i++)
		if (sc->cache[i].id == id) {
			sc->cache[i].used = ++sc->clock;
			return &sc->cache[i];
		}
	if (sc->impl->shape_img(sc->be, &img) != 0)
		return NULL;
	b = cursor_pack(id, &img);
	free(img.rgba);
	if (b == NULL)
		return NULL;
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
	s->id = id;
	s->data = b;
	s->used = ++sc->clock;
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

/* The backend saw the shape change: the new one to everyone. */
static void
cursor_changed_cb(void *arg)
{
	struct svc_cursor *sc = arg;
	struct cursor_walk w = { sc, NULL, 0, NULL };
	struct cshape *s;

	if ((s = cursor_current(sc)) == NULL)
		return;
	/* A send may close its connection, which unsubscribes it. */
	w.shape = s;
	svc_subs_each(&sc->subs, cursor_shape_one, &w);
}

/* The backend's display is gone: stop sampling it. */
static void
cursor_lost_cb(void *arg)
{
	struct svc_cursor *sc = arg;

	sc->lost = 1;
	event_del(sc->ev_pos);
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
	if (!want || sc->impl->focus(sc->be, &x, &y) != 0)
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
	int x, y;

	(void)fd;
	(void)what;
	if (sc->be == NULL || sc->lost)
		return;
	cursor_focus_tick(sc);
	if (sc->impl->pointer(sc->be, &x, &y) != 0)
		return;
	if (sc->have_pos && x == sc->x && y == sc->y)
		return;
	sc->have_pos = 1;
	sc->x = x;
	sc->y = y;
	w.now = mono_ms();
	svc_subs_each(&sc->subs, cursor_pos_one, &w);
	msgbuf_unref(w.pos);
	/* Sampling may have received a shape change notice. */
	if (sc->be != NULL && !sc->lost)
		sc->impl->poll(sc->be);
}

/* Starts or stops the position timer as sinks need it. */
static void
cursor_timer(struct svc_cursor *sc)
{
	struct timeval tv = { 0, CURSOR_POLL_MS * 1000 };
	const struct csub *cs;
	int want = 0, shapes = 0;

	SVC_SUBS_FOREACH(cs, &sc->subs) {
		if (cs->flags & (SVC_CURSOR_F_POSITION | SVC_CURSOR_F_FOCUS))
			want = 1;
		if (cs->flags & SVC_CURSOR_F_SHAPE)
			shapes = 1;
	}
	if (sc->be != NULL)
		sc->impl->watch(sc->be, shapes);
	if (want && sc->be != NULL &&
	    !event_pending(sc->ev_pos, EV_TIMEOUT, NULL))
		event_add(sc->ev_pos, &tv);
	else if (!want) {
		event_del(sc->ev_pos);
		sc->have_pos = sc->have_focus = 0;
	}
}

/* Opens the backend on x_display. Returns 0 or its ERR_*. */
static int
cursor_attach(struct svc_cursor *sc, const char *x_display)
{
	struct cursor_hooks h = { sc, cursor_changed_cb, cursor_lost_cb };

	sc->lost = 0;
	return sc->impl->open(sc->base, x_display, &h, &sc->be);
}

/* Closes the backend and forgets the shapes of that display (their ids
 * are its serials). */
static void
cursor_detach(struct svc_cursor *sc)
{
	struct csub *cs;
	size_t i;

	if (sc->ev_pos != NULL)
		event_del(sc->ev_pos);
	for (i = 0; i < sc->ncache; i++)
		msgbuf_unref(sc->cache[i].data);
	sc->ncache = 0;
	sc->cur_id = 0;
	sc->have_pos = sc->have_focus = 0;
	SVC_SUBS_FOREACH(cs, &sc->subs)
		cs->nsent = 0;
	if (sc->be != NULL)
		sc->impl->close(sc->be);
	sc->be = NULL;
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
	sc->impl = &cursor_x11;
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
