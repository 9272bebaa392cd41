/*
 * svc_clip.c: the clipboard service on the main loop: subscribers, the
 * wire formats (zstd, RGBA to PNG) and the version gate. The platform's
 * clipboard is a backend's (struct clip_impl; X11: clip_x11.c): it tells
 * us when another application set the clipboard, and serves what peers
 * set.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <png.h>
#include <zstd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/svc/svc_clip.h"
#include "server/svc/svc_subs.h"

/* Wire format of each clip_fmt. */
static const struct {
	Hbb__ClipboardFormat	 fmt;
	int			 compress;	/* zstd when smaller (§1.6) */
} clip_wire[CLIP_FMT_N] = {
	[CLIP_FMT_TEXT] = { HBB__CLIPBOARD_FORMAT__Text, 1 },
	[CLIP_FMT_HTML] = { HBB__CLIPBOARD_FORMAT__Html, 1 },
	[CLIP_FMT_RTF] = { HBB__CLIPBOARD_FORMAT__Rtf, 1 },
	[CLIP_FMT_PNG] = { HBB__CLIPBOARD_FORMAT__ImagePng, 0 },
	[CLIP_FMT_SVG] = { HBB__CLIPBOARD_FORMAT__ImageSvg, 1 },
};

/* Largest message sent, under the codec's 64 MiB. */
#define CLIP_MSG_MAX		(48u * 1024 * 1024)
#define CLIP_ZSTD_LEVEL		3

/* One subscriber. */
struct clip_sub {
	struct svc_sub	 sub;		/* first: svc_subs.h */
	int		 multi;		/* gets MultiClipboards */
};

/* A growing buffer the PNG encoder writes into. */
struct clip_png_buf {
	uint8_t		*buf;		/* owned */
	size_t		 len, cap;
};

struct svc_clip {
	struct event_base *base;	/* borrowed */
	const struct clip_impl *impl;
	struct clip_be	*be;		/* owned */
	struct event	*ev_fd;		/* owned: the backend's fd */
	struct event	*ev_timer;	/* owned: the backend's timeout */
	struct svc_subs	 subs;		/* struct clip_sub */
};

/* Make a blob holding a copy of n bytes (uninitialised when p is NULL). */
struct clip_blob *
clip_blob_new(const void *p, size_t n)
{
	struct clip_blob *b;

	b = xmalloc(sizeof *b + n);
	b->refs = 1;
	b->len = n;
	if (p != NULL && n > 0)
		memcpy(b->data, p, n);
	return b;
}

/* Add a blob reference. */
struct clip_blob *
clip_blob_ref(struct clip_blob *b)
{
	b->refs++;
	return b;
}

/* Drop a blob reference; NULL does nothing. */
void
clip_blob_unref(struct clip_blob *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

/* Compare dotted versions; returns <0, 0, >0 like strcmp. */
static int
clip_vercmp(const char *v, int maj, int min, int pat)
{
	long p[3] = { 0, 0, 0 }, want[3];
	char *end;
	int i;

	want[0] = maj;
	want[1] = min;
	want[2] = pat;
	for (i = 0; i < 3 && v != NULL && *v != '\0'; i++) {
		p[i] = strtol(v, &end, 10);
		if (end == v)
			break;
		v = *end == '.' ? end + 1 : end;
		if (*end != '.')
			break;
	}
	for (i = 0; i < 3; i++)
		if (p[i] != want[i])
			return p[i] < want[i] ? -1 : 1;
	return 0;
}

/* Whether a client gets MultiClipboards. */
int
svc_clip_peer_multi(const char *peer_version, const char *peer_platform)
{
	if (peer_platform == NULL || *peer_platform == '\0' ||
	    strcmp(peer_platform, "iOS") == 0)
		return 0;
	if (strcmp(peer_platform, "Android") == 0)
		return clip_vercmp(peer_version, 1, 3, 3) >= 0;
	return clip_vercmp(peer_version, 1, 3, 0) >= 0;
}

/* Decompress one zstd frame of at most max bytes into a new buffer. */
static int
clip_unzstd(const uint8_t *in, size_t inlen, size_t max, uint8_t **out,
    size_t *outlen)
{
	ZSTD_DStream *ds;
	ZSTD_inBuffer ib = { in, inlen, 0 };
	ZSTD_outBuffer ob;
	uint8_t *buf = NULL;
	unsigned long long cs;
	size_t cap = 0, r;
	int rv = ERR_INVAL, wlog;

	*out = NULL;
	*outlen = 0;
	/* A frame that declares its size is refused before any work. */
	cs = ZSTD_getFrameContentSize(in, inlen);
	if (cs == ZSTD_CONTENTSIZE_ERROR)
		return ERR_INVAL;
	if (cs != ZSTD_CONTENTSIZE_UNKNOWN && cs > max)
		return ERR_TOOBIG;
	if ((ds = ZSTD_createDStream()) == NULL)
		return ERR_NOMEM;
	/*
	 * Nor may a frame make zstd keep a window larger than the output we
	 * allow (its default admits 128 MiB): it holds the window besides
	 * our buffer.
	 */
	for (wlog = 10; wlog < 27 &&
	    ((size_t)1 << wlog) < max; wlog++)
		;
	if (ZSTD_isError(ZSTD_DCtx_setParameter(ds, ZSTD_d_windowLogMax,
	    wlog))) {
		ZSTD_freeDStream(ds);
		return ERR_NOMEM;
	}
	ob.dst = NULL;
	ob.size = 0;
	ob.pos = 0;
	for (;;) {
		if (ob.pos == cap) {
			if (cap >= max + 1) {
				rv = ERR_TOOBIG;
				goto out;
			}
			cap = cap == 0 ? 64 * 1024 : cap * 2;
			if (cap > max + 1)
				cap = max + 1;
			buf = xreallocarray(buf, cap, 1);
			ob.dst = buf;
			ob.size = cap;
		}
		r = ZSTD_decompressStream(ds, &ob, &ib);
		if (ZSTD_isError(r))
			goto out;
		if (r == 0)
			break;		/* frame complete */
		if (ib.pos == ib.size && ob.pos < ob.size)
			goto out;	/* truncated */
	}
	if (ib.pos != ib.size)
		goto out;		/* trailing bytes */
	if (ob.pos > max) {
		rv = ERR_TOOBIG;
		goto out;
	}
	*out = buf;
	*outlen = ob.pos;
	buf = NULL;
	rv = 0;
 out:
	free(buf);
	ZSTD_freeDStream(ds);
	return rv;
}

/* libpng write callback appending to a growing buffer. */
static void
clip_png_write_cb(png_structp png, png_bytep p, png_size_t n)
{
	struct clip_png_buf *acc = png_get_io_ptr(png);

	if (acc->len + n > acc->cap) {
		acc->cap = (acc->len + n) * 2;
		acc->buf = xreallocarray(acc->buf, acc->cap, 1);
	}
	memcpy(acc->buf + acc->len, p, n);
	acc->len += n;
}

/* libpng flush callback: nothing to flush in memory. */
static void
clip_png_flush_cb(png_structp png)
{
	(void)png;
}

/* Encode w×h RGBA pixels as a PNG file in a new buffer. */
static int
clip_rgba_to_png(const uint8_t *rgba, uint32_t w, uint32_t h, uint8_t **out,
    size_t *outlen)
{
	struct clip_png_buf acc;
	png_structp png;
	png_infop info = NULL;
	uint32_t y;

	memset(&acc, 0, sizeof acc);
	*out = NULL;
	*outlen = 0;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
		png_destroy_write_struct(&png, NULL);
		return ERR_CODEC;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(acc.buf);
		return ERR_CODEC;
	}
	png_set_write_fn(png, &acc, clip_png_write_cb, clip_png_flush_cb);
	png_set_compression_level(png, 1);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGBA,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < h; y++)
		png_write_row(png, rgba + (size_t)y * w * 4);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	*out = acc.buf;
	*outlen = acc.len;
	return 0;
}

/* Decode and validate one peer entry of at most max bytes decoded. */
static int
clip_decode_max(const Hbb__Clipboard *c, size_t max, int *fmt,
    uint8_t **data, size_t *len)
{
	uint8_t *raw = NULL, *png = NULL;
	size_t rawlen;
	int r;

	*fmt = -1;
	*data = NULL;
	*len = 0;
	switch (c->format) {
	case HBB__CLIPBOARD_FORMAT__Text:
	case HBB__CLIPBOARD_FORMAT__Html:
	case HBB__CLIPBOARD_FORMAT__Rtf:
	case HBB__CLIPBOARD_FORMAT__ImagePng:
	case HBB__CLIPBOARD_FORMAT__ImageSvg:
	case HBB__CLIPBOARD_FORMAT__ImageRgba:
		break;
	default:
		return ERR_UNSUPP;
	}
	if (c->compress) {
		if ((r = clip_unzstd(c->content.data, c->content.len,
		    max, &raw, &rawlen)) != 0)
			return r;
	} else {
		if (c->content.len > max)
			return ERR_TOOBIG;
		raw = xmemdup(c->content.len ? c->content.data :
		    (const uint8_t *)"", c->content.len ? c->content.len : 1);
		rawlen = c->content.len;
	}
	if (c->format == HBB__CLIPBOARD_FORMAT__ImageRgba) {
		uint64_t want;

		if (c->width <= 0 || c->height <= 0) {
			free(raw);
			return ERR_INVAL;
		}
		want = (uint64_t)c->width * (uint64_t)c->height * 4;
		if (want != rawlen) {
			free(raw);
			return ERR_INVAL;
		}
		r = clip_rgba_to_png(raw, (uint32_t)c->width,
		    (uint32_t)c->height, &png, &rawlen);
		free(raw);
		if (r != 0)
			return r;
		if (rawlen > max) {
			free(png);
			return ERR_TOOBIG;
		}
		*fmt = HBB__CLIPBOARD_FORMAT__ImagePng;
		*data = png;
		*len = rawlen;
		return 0;
	}
	if (c->format == HBB__CLIPBOARD_FORMAT__ImagePng &&
	    (rawlen < 8 || memcmp(raw, "\x89PNG\r\n\x1a\n", 8) != 0)) {
		free(raw);
		return ERR_INVAL;
	}
	*fmt = c->format;
	*data = raw;
	*len = rawlen;
	return 0;
}

/* Decode and validate one peer entry. */
int
svc_clip_decode_item(const Hbb__Clipboard *c, size_t max, int *fmt,
    uint8_t **data, size_t *len)
{
	return clip_decode_max(c, max, fmt, data, len);
}

/* The clip_fmt of a wire format, or -1. */
static int
clip_fmt_of(int wire)
{
	int i;

	for (i = 0; i < CLIP_FMT_N; i++)
		if ((int)clip_wire[i].fmt == wire)
			return i;
	return -1;
}

/* Fill one wire entry from a blob, zstd-compressing where it helps. */
static void
clip_entry_fill(Hbb__Clipboard *e, int fmt, const struct clip_blob *b,
    uint8_t **zbuf)
{
	size_t bound, n;

	hbb__clipboard__init(e);
	e->format = clip_wire[fmt].fmt;
	e->content.data = (uint8_t *)b->data;
	e->content.len = b->len;
	*zbuf = NULL;
	if (!clip_wire[fmt].compress || b->len < 64)
		return;
	bound = ZSTD_compressBound(b->len);
	*zbuf = xmalloc(bound);
	n = ZSTD_compress(*zbuf, bound, b->data, b->len, CLIP_ZSTD_LEVEL);
	if (ZSTD_isError(n) || n >= b->len) {
		free(*zbuf);
		*zbuf = NULL;
		return;
	}
	e->compress = 1;
	e->content.data = *zbuf;
	e->content.len = n;
}


/*
 * Pack content as a MultiClipboards (*multi) and, when it has text, a
 * text-only Clipboard (*text); either may be NULL (nothing to send).
 */
static void
clip_pack(struct clip_blob *const items[CLIP_FMT_N], struct msgbuf **multi,
    struct msgbuf **text)
{
	Hbb__Message msg = HBB__MESSAGE__INIT;
	Hbb__MultiClipboards mc = HBB__MULTI_CLIPBOARDS__INIT;
	Hbb__Clipboard entries[CLIP_FMT_N], *ptrs[CLIP_FMT_N];
	uint8_t *zbufs[CLIP_FMT_N];
	size_t i, n = 0, total = 0;

	*multi = *text = NULL;
	memset(zbufs, 0, sizeof zbufs);
	for (i = 0; i < CLIP_FMT_N; i++) {
		if (items[i] == NULL || items[i]->len == 0)
			continue;	/* empty text is never sent */
		clip_entry_fill(&entries[n], i, items[i], &zbufs[i]);
		if (total + entries[n].content.len > CLIP_MSG_MAX)
			continue;	/* keep the frame under the codec cap */
		total += entries[n].content.len;
		ptrs[n] = &entries[n];
		if (i == CLIP_FMT_TEXT) {
			msg.union_case = HBB__MESSAGE__UNION_CLIPBOARD;
			msg.clipboard = &entries[n];
			*text = msgbuf_pack(&msg);
		}
		n++;
	}
	if (n > 0) {
		mc.n_clipboards = n;
		mc.clipboards = ptrs;
		msg.union_case = HBB__MESSAGE__UNION_MULTI_CLIPBOARDS;
		msg.multi_clipboards = &mc;
		*multi = msgbuf_pack(&msg);
	}
	for (i = 0; i < CLIP_FMT_N; i++)
		free(zbufs[i]);
}

/* What clip_send_one sends. */
struct clip_bcast {
	struct msgbuf	*multi;
	struct msgbuf	*text;
	uint32_t	 except;
};

/* Send one subscriber the message its client understands. */
static void
clip_send_one(void *entry, void *arg)
{
	struct clip_sub *s = entry;
	struct clip_bcast *bc = arg;
	struct msgbuf *b = s->multi ? bc->multi : bc->text;

	if (s->sub.sink.conn_id == bc->except || b == NULL)
		return;
	log_debug("conn %u: clipboard %zu bytes", s->sub.sink.conn_id,
	    b->len);
	s->sub.sink.send(s->sub.sink.ctx, b, SVC_Q_CONTROL);
}

/*
 * Send content to every subscriber except conn_id (0: all), as
 * MultiClipboards or text-only Clipboard by each peer's version.
 */
static void
clip_broadcast(struct svc_clip *sc, struct clip_blob *const items[CLIP_FMT_N],
    uint32_t except)
{
	struct clip_bcast bc;
	size_t n;

	n = svc_subs_count(&sc->subs);
	if (svc_subs_find(&sc->subs, except) != NULL)
		n--;
	if (n == 0)
		return;
	clip_pack(items, &bc.multi, &bc.text);
	bc.except = except;
	svc_subs_each(&sc->subs, clip_send_one, &bc);
	msgbuf_unref(bc.multi);
	msgbuf_unref(bc.text);
}

/* Backend hook: whether anyone wants host changes. */
static int
clip_wanted_hook(void *arg)
{
	struct svc_clip *sc = arg;

	return svc_subs_count(&sc->subs) > 0;
}

/* Backend hook: another application set the clipboard. */
static void
clip_changed_hook(void *arg, struct clip_blob *const items[CLIP_FMT_N])
{
	clip_broadcast(arg, items, 0);
}

/* Backend hook: arm (secs > 0) or disarm its timer. */
static void
clip_timer_hook(void *arg, int secs)
{
	struct svc_clip *sc = arg;
	struct timeval tv = { secs, 0 };

	if (secs > 0)
		evtimer_add(sc->ev_timer, &tv);
	else
		evtimer_del(sc->ev_timer);
}

/* The backend's timer fired. */
static void
clip_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_clip *sc = arg;

	(void)fd;
	(void)what;
	if (sc->be != NULL)
		sc->impl->timeout(sc->be);
}

/* The backend's fd is readable (or we were woken to drain queued events). */
static void
clip_fd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_clip *sc = arg;

	(void)fd;
	(void)what;
	if (sc->impl->dispatch(sc->be) != 0) {
		log_error("clipboard: %s connection lost; service stopped",
		    sc->impl->name);
		event_del(sc->ev_fd);
	}
}

/* Open the backend on display and watch its fd. Returns 0 or ERR_*. */
static int
clip_attach(struct svc_clip *sc, const char *display)
{
	struct clip_hooks hooks;
	int r;

	hooks.arg = sc;
	hooks.wanted = clip_wanted_hook;
	hooks.changed = clip_changed_hook;
	hooks.timer = clip_timer_hook;
	if ((r = sc->impl->open(display, &hooks, &sc->be)) != 0)
		return r;
	sc->ev_fd = event_new(sc->base, sc->impl->fd(sc->be),
	    EV_READ | EV_PERSIST, clip_fd_cb, sc);
	if (sc->ev_fd == NULL || event_add(sc->ev_fd, NULL) != 0)
		return ERR_NOMEM;
	return 0;
}

/* Stop watching and close the backend (the subscribers stay). */
static void
clip_detach(struct svc_clip *sc)
{
	if (sc->ev_fd != NULL)
		event_free(sc->ev_fd);
	sc->ev_fd = NULL;
	if (sc->ev_timer != NULL)
		evtimer_del(sc->ev_timer);
	sc->impl->close(sc->be);
	sc->be = NULL;
}

/* Open the backend and watch the clipboard. */
int
svc_clip_new(struct event_base *base, const char *display,
    struct svc_clip **out)
{
	struct svc_clip *sc;
	int r;

	*out = NULL;
	sc = xcalloc(1, sizeof *sc);
	sc->base = base;
	sc->impl = &clip_x11;
	svc_subs_init(&sc->subs, sizeof(struct clip_sub));
	/* The timer first: the backend may arm it from its first event. */
	sc->ev_timer = evtimer_new(base, clip_timer_cb, sc);
	if (sc->ev_timer == NULL) {
		r = ERR_NOMEM;
		goto fail;
	}
	if ((r = clip_attach(sc, display)) != 0)
		goto fail;
	*out = sc;
	return 0;
 fail:
	svc_clip_free(sc);
	return r;
}

/* Watch another display's clipboard (NULL: none). */
int
svc_clip_move(struct svc_clip *sc, const char *display)
{
	int r;

	clip_detach(sc);
	if (display == NULL)
		return 0;
	if ((r = clip_attach(sc, display)) != 0) {
		log_warn_r(r, "clipboard: cannot watch display %s", display);
		clip_detach(sc);
	}
	return r;
}

/* Stop watching and free everything. */
void
svc_clip_free(struct svc_clip *sc)
{
	if (sc == NULL)
		return;
	clip_detach(sc);
	if (sc->ev_timer != NULL)
		event_free(sc->ev_timer);
	svc_subs_fini(&sc->subs);
	free(sc);
}

/* Add or replace a subscriber. */
int
svc_clip_subscribe(struct svc_clip *sc, const struct svc_sink *sink,
    const char *peer_version, const char *peer_platform)
{
	struct clip_sub *s;

	s = svc_subs_add(&sc->subs, sink, NULL);
	s->multi = svc_clip_peer_multi(peer_version, peer_platform);
	log_debug("conn %u: clipboard subscribed (%s)", sink->conn_id,
	    s->multi ? "multi" : "text");
	return 0;
}

/* Remove a subscriber. */
void
svc_clip_unsubscribe(struct svc_clip *sc, uint32_t conn_id)
{
	if (svc_subs_del(&sc->subs, conn_id))
		log_debug("conn %u: clipboard unsubscribed", conn_id);
	if (svc_subs_count(&sc->subs) == 0 && sc->be != NULL)
		sc->impl->cancel(sc->be);
}

/* Number of subscribers. */
size_t
svc_clip_count(const struct svc_clip *sc)
{
	return svc_subs_count(&sc->subs);
}

/* Publish new content (references move in) and forward it. */
static int
clip_take(struct svc_clip *sc, uint32_t conn_id,
    struct clip_blob *items[CLIP_FMT_N])
{
	int i, r;

	if (sc->be == NULL) {
		/* No display now: the peer's content has nowhere to go. */
		for (i = 0; i < CLIP_FMT_N; i++)
			clip_blob_unref(items[i]);
		return ERR_IO;
	}
	r = sc->impl->publish(sc->be, items);
	/* Taking the clipboard may have queued events the fd won't signal. */
	event_active(sc->ev_fd, EV_READ, 0);
	if (r == 0)
		clip_broadcast(sc, items, conn_id);
	for (i = 0; i < CLIP_FMT_N; i++)
		clip_blob_unref(items[i]);
	return r;
}

/* Decode entries into formats; returns the first error if none is usable. */
static int
clip_collect(Hbb__Clipboard *const *cs, size_t n,
    struct clip_blob *items[CLIP_FMT_N])
{
	size_t i, held = 0;
	int first = ERR_UNSUPP, any = 0;

	memset(items, 0, CLIP_FMT_N * sizeof *items);
	if (n > SVC_CLIP_ENTRIES_MAX)
		return ERR_TOOBIG;
	for (i = 0; i < n; i++) {
		uint8_t *data;
		size_t len;
		int fmt, r, s;

		if (cs[i] == NULL)
			continue;
		/* All entries together decode to at most one item's worth. */
		r = clip_decode_max(cs[i], SVC_CLIP_ITEM_MAX - held, &fmt,
		    &data, &len);
		if (r != 0) {
			if (first == ERR_UNSUPP)
				first = r;
			continue;
		}
		if ((s = clip_fmt_of(fmt)) < 0 || len == 0) {
			free(data);
			continue;
		}
		if (items[s] != NULL)
			held -= items[s]->len;
		clip_blob_unref(items[s]);
		items[s] = clip_blob_new(data, len);
		held += len;
		free(data);
		any = 1;
	}
	return any ? 0 : first;
}

/* A peer's Clipboard becomes the host selection. */
int
svc_clip_set(struct svc_clip *sc, uint32_t conn_id, const Hbb__Clipboard *c)
{
	struct clip_blob *items[CLIP_FMT_N];
	Hbb__Clipboard *one = (Hbb__Clipboard *)c;
	int r;

	if ((r = clip_collect(&one, 1, items)) != 0)
		return r;
	return clip_take(sc, conn_id, items);
}

/* A peer's MultiClipboards becomes the host selection. */
int
svc_clip_set_multi(struct svc_clip *sc, uint32_t conn_id,
    const Hbb__MultiClipboards *m)
{
	struct clip_blob *items[CLIP_FMT_N];
	int r;

	if ((r = clip_collect(m->clipboards, m->n_clipboards, items)) != 0)
		return r;
	return clip_take(sc, conn_id, items);
}
