/*
 * svc_clip.c: the X CLIPBOARD selection both ways, on the main loop.
 *
 * Host changes: XFixes tells us a new owner took CLIPBOARD; we ask it for
 * TARGETS, then for each format we know, one at a time (INCR allowed), and
 * send the result to every subscriber. Peer changes: we take ownership and
 * answer SelectionRequests until someone else takes it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <png.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>
#include <zstd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/svc/svc_clip.h"

/* Formats we carry, in the order they go into a MultiClipboards. */
enum clip_slot {
	CS_TEXT = 0,
	CS_HTML,
	CS_RTF,
	CS_PNG,
	CS_SVG,
	CS_N
};

/* Atoms we intern once. */
enum clip_atom {
	A_CLIPBOARD = 0,
	A_TARGETS,
	A_TIMESTAMP,
	A_MULTIPLE,
	A_INCR,
	A_UTF8_STRING,
	A_TEXT,
	A_TEXT_PLAIN,
	A_TEXT_PLAIN_UTF8,
	A_HTML,
	A_RTF,
	A_PNG,
	A_SVG,
	A_PROP,
	A_N
};

static const char *const clip_atom_names[A_N] = {
	"CLIPBOARD", "TARGETS", "TIMESTAMP", "MULTIPLE", "INCR",
	"UTF8_STRING", "TEXT", "text/plain", "text/plain;charset=utf-8",
	"text/html", "text/rtf", "image/png", "image/svg+xml", "CDESK_SEL",
};

/* Wire format and main X target of each slot. */
static const struct {
	Hbb__ClipboardFormat	 fmt;
	enum clip_atom		 atom;
	int			 compress;	/* zstd when smaller (§1.6) */
} clip_slots[CS_N] = {
	[CS_TEXT] = { HBB__CLIPBOARD_FORMAT__Text, A_UTF8_STRING, 1 },
	[CS_HTML] = { HBB__CLIPBOARD_FORMAT__Html, A_HTML, 1 },
	[CS_RTF] = { HBB__CLIPBOARD_FORMAT__Rtf, A_RTF, 1 },
	[CS_PNG] = { HBB__CLIPBOARD_FORMAT__ImagePng, A_PNG, 0 },
	[CS_SVG] = { HBB__CLIPBOARD_FORMAT__ImageSvg, A_SVG, 1 },
};

#define CLIP_MSG_MAX		(48u * 1024 * 1024)	/* under the codec's 64 MiB */
#define CLIP_FETCH_TIMEOUT	2			/* seconds per format */
#define CLIP_XFER_TIMEOUT	10			/* idle INCR send, seconds */
#define CLIP_XFER_MAX		16
#define CLIP_ZSTD_LEVEL		3

/* Immutable bytes shared by the owned content and INCR sends. */
struct blob {
	int		 refs;		/* main loop only */
	size_t		 len;
	uint8_t		 data[];
};

/* One subscriber. */
struct clip_sub {
	struct svc_sink	 sink;		/* copied; ctx borrowed */
	int		 multi;		/* gets MultiClipboards */
};

/* An outgoing INCR transfer to a requestor. */
struct clip_xfer {
	xcb_window_t	 req;
	xcb_atom_t	 prop;
	xcb_atom_t	 type;
	struct blob	*b;		/* owned reference */
	size_t		 off;
	time_t		 last;
};

/* Reading the selection from its owner, one target at a time. */
struct clip_fetch {
	int		 active;
	xcb_timestamp_t	 ts;
	int		 step;		/* -1: TARGETS, else a slot */
	xcb_atom_t	 target[CS_N];	/* 0 = not offered */
	int		 incr;		/* reading INCR chunks */
	int		 latin1;	/* the text target was STRING */
	uint8_t		*buf;		/* owned */
	size_t		 len, cap;
	struct blob	*got[CS_N];	/* owned */
};

struct svc_clip {
	struct event_base *base;	/* borrowed */
	xcb_connection_t *xc;		/* owned */
	xcb_window_t	 win;
	xcb_atom_t	 atoms[A_N];
	uint8_t		 xfixes_ev;	/* first XFixes event code */
	size_t		 chunk;		/* bytes per property write */
	struct event	*ev_x;		/* owned: the X fd */
	struct event	*ev_timer;	/* owned: fetch timeout */

	struct clip_sub	*subs;		/* owned array */
	size_t		 nsubs, capsubs;

	int		 owning;	/* we own CLIPBOARD */
	xcb_timestamp_t	 own_time;
	struct blob	*own[CS_N];	/* owned references */

	struct clip_fetch f;
	struct clip_xfer xfers[CLIP_XFER_MAX];
	size_t		 nxfers;
};

static void	clip_fetch_next(struct svc_clip *);

/* Make a blob holding a copy of n bytes. */
static struct blob *
blob_new(const void *p, size_t n)
{
	struct blob *b;

	b = xmalloc(sizeof *b + n);
	b->refs = 1;
	b->len = n;
	if (n > 0)
		memcpy(b->data, p, n);
	return b;
}

/* Drop a blob reference; NULL does nothing. */
static void
blob_unref(struct blob *b)
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
	size_t cap = 0, r;
	int rv = ERR_INVAL;

	*out = NULL;
	*outlen = 0;
	if ((ds = ZSTD_createDStream()) == NULL)
		return ERR_NOMEM;
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
	struct clip_fetch *acc = png_get_io_ptr(png);

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
	struct clip_fetch acc;	/* only buf/len/cap are used */
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

/* Decode and validate one peer entry. */
int
svc_clip_decode_item(const Hbb__Clipboard *c, int *fmt, uint8_t **data,
    size_t *len)
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
		    SVC_CLIP_ITEM_MAX, &raw, &rawlen)) != 0)
			return r;
	} else {
		if (c->content.len > SVC_CLIP_ITEM_MAX)
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
		if (rawlen > SVC_CLIP_ITEM_MAX) {
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

/* The slot of a wire format, or -1. */
static int
clip_slot_of(int fmt)
{
	int i;

	for (i = 0; i < CS_N; i++)
		if ((int)clip_slots[i].fmt == fmt)
			return i;
	return -1;
}

/* Fill one wire entry from a blob, zstd-compressing where it helps. */
static void
clip_entry_fill(Hbb__Clipboard *e, int slot, const struct blob *b,
    uint8_t **zbuf)
{
	size_t bound, n;

	hbb__clipboard__init(e);
	e->format = clip_slots[slot].fmt;
	e->content.data = (uint8_t *)b->data;
	e->content.len = b->len;
	*zbuf = NULL;
	if (!clip_slots[slot].compress || b->len < 64)
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
 * Send content to every subscriber except conn_id (0: all), as
 * MultiClipboards or text-only Clipboard by each peer's version.
 */
static void
clip_broadcast(struct svc_clip *sc, struct blob *const items[CS_N],
    uint32_t except)
{
	Hbb__Message msg = HBB__MESSAGE__INIT;
	Hbb__MultiClipboards mc = HBB__MULTI_CLIPBOARDS__INIT;
	Hbb__Clipboard entries[CS_N], *ptrs[CS_N];
	uint8_t *zbufs[CS_N];
	struct msgbuf *multi = NULL, *text = NULL;
	size_t i, n = 0, total = 0;
	int any = 0;

	for (i = 0; i < sc->nsubs; i++)
		if (sc->subs[i].sink.conn_id != except)
			any = 1;
	if (!any)
		return;
	memset(zbufs, 0, sizeof zbufs);
	for (i = 0; i < CS_N; i++) {
		if (items[i] == NULL || items[i]->len == 0)
			continue;	/* empty text is never sent */
		clip_entry_fill(&entries[n], i, items[i], &zbufs[i]);
		if (total + entries[n].content.len > CLIP_MSG_MAX)
			continue;	/* keep the frame under the codec cap */
		total += entries[n].content.len;
		ptrs[n] = &entries[n];
		if (i == CS_TEXT) {
			msg.union_case = HBB__MESSAGE__UNION_CLIPBOARD;
			msg.clipboard = &entries[n];
			text = msgbuf_pack(&msg);
		}
		n++;
	}
	if (n > 0) {
		mc.n_clipboards = n;
		mc.clipboards = ptrs;
		msg.union_case = HBB__MESSAGE__UNION_MULTI_CLIPBOARDS;
		msg.multi_clipboards = &mc;
		multi = msgbuf_pack(&msg);
	}
	for (i = 0; i < CS_N; i++)
		free(zbufs[i]);
	for (i = 0; i < sc->nsubs; i++) {
		struct clip_sub *s = &sc->subs[i];
		struct msgbuf *b = s->multi ? multi : text;

		if (s->sink.conn_id == except || b == NULL)
			continue;
		log_debug("conn %u: clipboard %zu bytes", s->sink.conn_id,
		    b->len);
		s->sink.send(s->sink.ctx, b, SVC_Q_CONTROL);
	}
	msgbuf_unref(multi);
	msgbuf_unref(text);
}

/* Drop the state of a selection read. */
static void
clip_fetch_reset(struct svc_clip *sc)
{
	int i;

	free(sc->f.buf);
	for (i = 0; i < CS_N; i++)
		blob_unref(sc->f.got[i]);
	memset(&sc->f, 0, sizeof sc->f);
	evtimer_del(sc->ev_timer);
}

/* Arm the per-step timeout. */
static void
clip_fetch_arm(struct svc_clip *sc)
{
	struct timeval tv = { CLIP_FETCH_TIMEOUT, 0 };

	evtimer_add(sc->ev_timer, &tv);
}

/* Start reading the selection a new owner holds. */
static void
clip_fetch_start(struct svc_clip *sc, xcb_timestamp_t ts)
{
	clip_fetch_reset(sc);
	sc->f.active = 1;
	sc->f.ts = ts;
	sc->f.step = -1;
	xcb_delete_property(sc->xc, sc->win, sc->atoms[A_PROP]);
	xcb_convert_selection(sc->xc, sc->win, sc->atoms[A_CLIPBOARD],
	    sc->atoms[A_TARGETS], sc->atoms[A_PROP], ts);
	xcb_flush(sc->xc);
	clip_fetch_arm(sc);
}

/* Send what the read collected and end it. */
static void
clip_fetch_done(struct svc_clip *sc)
{
	clip_broadcast(sc, sc->f.got, 0);
	clip_fetch_reset(sc);
}

/* Latin-1 to UTF-8 into a new blob. */
static struct blob *
clip_latin1_to_utf8(const uint8_t *p, size_t n)
{
	struct blob *b;
	size_t i, o = 0;

	b = xmalloc(sizeof *b + 2 * n + 1);
	b->refs = 1;
	for (i = 0; i < n; i++) {
		if (p[i] < 0x80)
			b->data[o++] = p[i];
		else {
			b->data[o++] = 0xc0 | (p[i] >> 6);
			b->data[o++] = 0x80 | (p[i] & 0x3f);
		}
	}
	b->len = o;
	return b;
}

/* UTF-16LE (after its byte-order mark) to UTF-8 into a new blob. */
static struct blob *
clip_utf16_to_utf8(const uint8_t *p, size_t n)
{
	struct blob *b;
	size_t i, o = 0;
	uint32_t c, lo;

	b = xmalloc(sizeof *b + (n / 2) * 3 + 4);
	b->refs = 1;
	for (i = 2; i + 1 < n; i += 2) {
		c = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8;
		if (c >= 0xd800 && c < 0xdc00 && i + 3 < n) {
			lo = (uint32_t)p[i + 2] | (uint32_t)p[i + 3] << 8;
			if (lo >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 2;
			} else
				c = 0xfffd;
		} else if (c >= 0xd800 && c < 0xe000)
			c = 0xfffd;
		/* A pair of 2-byte units never needs more than 4 bytes. */
		if (c < 0x80)
			b->data[o++] = (uint8_t)c;
		else if (c < 0x800) {
			b->data[o++] = (uint8_t)(0xc0 | c >> 6);
			b->data[o++] = (uint8_t)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			b->data[o++] = (uint8_t)(0xe0 | c >> 12);
			b->data[o++] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
			b->data[o++] = (uint8_t)(0x80 | (c & 0x3f));
		} else {
			b->data[o++] = (uint8_t)(0xf0 | c >> 18);
			b->data[o++] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
			b->data[o++] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
			b->data[o++] = (uint8_t)(0x80 | (c & 0x3f));
		}
	}
	b->len = o;
	return b;
}

/* Keep the bytes of the finished step and go to the next one. */
static void
clip_fetch_step_done(struct svc_clip *sc)
{
	int s = sc->f.step;

	if (s >= 0 && sc->f.len > 0) {
		size_t n = sc->f.len;

		/* Text owners often add a final NUL. */
		if (s == CS_TEXT && sc->f.buf[n - 1] == '\0')
			n--;
		if (s == CS_TEXT && sc->f.latin1)
			sc->f.got[s] = clip_latin1_to_utf8(sc->f.buf, n);
		else if (s == CS_HTML && n >= 2 && sc->f.buf[0] == 0xff &&
		    sc->f.buf[1] == 0xfe)
			/* Firefox offers text/html as UTF-16. */
			sc->f.got[s] = clip_utf16_to_utf8(sc->f.buf, n);
		else
			sc->f.got[s] = blob_new(sc->f.buf, n);
	}
	free(sc->f.buf);
	sc->f.buf = NULL;
	sc->f.len = sc->f.cap = 0;
	sc->f.incr = 0;
	clip_fetch_next(sc);
}

/* Ask the owner for the next offered target, or finish. */
static void
clip_fetch_next(struct svc_clip *sc)
{
	int s;

	for (s = sc->f.step + 1; s < CS_N; s++)
		if (sc->f.target[s] != XCB_ATOM_NONE)
			break;
	if (s >= CS_N) {
		clip_fetch_done(sc);
		return;
	}
	sc->f.step = s;
	xcb_convert_selection(sc->xc, sc->win, sc->atoms[A_CLIPBOARD],
	    sc->f.target[s], sc->atoms[A_PROP], sc->f.ts);
	xcb_flush(sc->xc);
	clip_fetch_arm(sc);
}

/* Choose the targets to read from a TARGETS list. */
static void
clip_fetch_targets(struct svc_clip *sc, const xcb_atom_t *t, size_t n)
{
	/* Text preference: UTF8_STRING, text/plain;charset=utf-8, STRING. */
	const xcb_atom_t text_pref[] = { sc->atoms[A_UTF8_STRING],
	    sc->atoms[A_TEXT_PLAIN_UTF8], XCB_ATOM_STRING };
	size_t i, k, best = 99;
	int s;

	for (i = 0; i < n; i++) {
		for (k = 0; k < 3; k++)
			if (t[i] == text_pref[k] && k < best)
				best = k;
		for (s = CS_HTML; s < CS_N; s++)
			if (t[i] == sc->atoms[clip_slots[s].atom])
				sc->f.target[s] = t[i];
	}
	if (best < 3) {
		sc->f.target[CS_TEXT] = text_pref[best];
		sc->f.latin1 = best == 2;
	}
}

/* Append property bytes to the read buffer, bounded. Returns -1 if over. */
static int
clip_fetch_append(struct svc_clip *sc, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (sc->f.len + n > SVC_CLIP_ITEM_MAX)
		return -1;
	if (sc->f.len + n > sc->f.cap) {
		sc->f.cap = (sc->f.len + n) * 2;
		if (sc->f.cap > SVC_CLIP_ITEM_MAX)
			sc->f.cap = SVC_CLIP_ITEM_MAX;
		sc->f.buf = xreallocarray(sc->f.buf, sc->f.cap, 1);
	}
	memcpy(sc->f.buf + sc->f.len, p, n);
	sc->f.len += n;
	return 0;
}

/*
 * Read our property whole, appending to the read buffer, then delete it.
 * Sets *type and *bytes (bytes read). Returns 0, or -1 on X error or size.
 */
static int
clip_read_prop(struct svc_clip *sc, xcb_atom_t *type, size_t *bytes)
{
	xcb_get_property_reply_t *rep;
	uint32_t off = 0;
	int rv = 0;

	*type = XCB_ATOM_NONE;
	*bytes = 0;
	for (;;) {
		rep = xcb_get_property_reply(sc->xc, xcb_get_property(sc->xc,
		    0, sc->win, sc->atoms[A_PROP], XCB_GET_PROPERTY_TYPE_ANY,
		    off, sc->chunk / 4), NULL);
		if (rep == NULL) {
			rv = -1;
			break;
		}
		*type = rep->type;
		{
			int vlen = xcb_get_property_value_length(rep);
			size_t n = vlen > 0 ? (size_t)vlen : 0;

			if (clip_fetch_append(sc, xcb_get_property_value(rep),
			    n) != 0) {
				free(rep);
				rv = -1;
				break;
			}
			*bytes += n;
			off += (uint32_t)(n / 4);
			if (rep->bytes_after == 0 || n == 0) {
				free(rep);
				break;
			}
		}
		free(rep);
	}
	xcb_delete_property(sc->xc, sc->win, sc->atoms[A_PROP]);
	xcb_flush(sc->xc);
	return rv;
}

/* The owner answered a ConvertSelection of ours. */
static void
clip_on_selection_notify(struct svc_clip *sc,
    const xcb_selection_notify_event_t *ev)
{
	xcb_atom_t type;
	size_t n;

	if (!sc->f.active || ev->requestor != sc->win ||
	    ev->selection != sc->atoms[A_CLIPBOARD])
		return;
	if (ev->property == XCB_ATOM_NONE) {
		if (sc->f.step == -1) {
			/* No TARGETS: try plain text anyway. */
			sc->f.target[CS_TEXT] = sc->atoms[A_UTF8_STRING];
		}
		sc->f.len = 0;
		clip_fetch_step_done(sc);
		return;
	}
	if (clip_read_prop(sc, &type, &n) != 0) {
		log_debug("clipboard: host selection unreadable or too big");
		clip_fetch_done(sc);
		return;
	}
	if (type == sc->atoms[A_INCR]) {
		/* Deleting the property (done) starts the chunks. */
		log_debug("clipboard: reading the host selection with INCR");
		sc->f.len = 0;
		sc->f.incr = 1;
		clip_fetch_arm(sc);
		return;
	}
	if (sc->f.step == -1) {
		if (type == XCB_ATOM_ATOM)
			clip_fetch_targets(sc, (const xcb_atom_t *)sc->f.buf,
			    sc->f.len / sizeof(xcb_atom_t));
		else
			sc->f.target[CS_TEXT] = sc->atoms[A_UTF8_STRING];
		sc->f.len = 0;
	} else if (sc->f.step == CS_TEXT)
		sc->f.latin1 = type == XCB_ATOM_STRING;
	clip_fetch_step_done(sc);
}

/* An INCR chunk (or its end) arrived in our property. */
static void
clip_on_incr_chunk(struct svc_clip *sc)
{
	xcb_atom_t type;
	size_t n;

	if (clip_read_prop(sc, &type, &n) != 0) {
		log_debug("clipboard: host selection too big, dropped");
		clip_fetch_done(sc);
		return;
	}
	if (n == 0) {
		if (sc->f.step == CS_TEXT)
			sc->f.latin1 = type == XCB_ATOM_STRING;
		clip_fetch_step_done(sc);
		return;
	}
	clip_fetch_arm(sc);
}

/* A step took too long: send what we have. */
static void
clip_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_clip *sc = arg;

	(void)fd;
	(void)what;
	if (sc->f.active) {
		log_debug("clipboard: selection owner timed out");
		clip_fetch_done(sc);
	}
}

/* Send a SelectionNotify answering a request. */
static void
clip_notify(struct svc_clip *sc, const xcb_selection_request_event_t *rq,
    xcb_atom_t prop)
{
	xcb_selection_notify_event_t ev;
	char buf[32];

	memset(&ev, 0, sizeof ev);
	ev.response_type = XCB_SELECTION_NOTIFY;
	ev.time = rq->time;
	ev.requestor = rq->requestor;
	ev.selection = rq->selection;
	ev.target = rq->target;
	ev.property = prop;
	memset(buf, 0, sizeof buf);
	memcpy(buf, &ev, sizeof ev);
	xcb_send_event(sc->xc, 0, rq->requestor, XCB_EVENT_MASK_NO_EVENT, buf);
}

/* Drop INCR sends whose requestor went quiet, and finished ones. */
static void
clip_xfer_reap(struct svc_clip *sc, time_t now)
{
	size_t i = 0;

	while (i < sc->nxfers) {
		if (now - sc->xfers[i].last > CLIP_XFER_TIMEOUT) {
			blob_unref(sc->xfers[i].b);
			sc->xfers[i] = sc->xfers[--sc->nxfers];
		} else
			i++;
	}
}

/* The data slot and reply type for a requested target, or -1. */
static int
clip_target_slot(struct svc_clip *sc, xcb_atom_t t, xcb_atom_t *type,
    int *latin1)
{
	int s;

	*latin1 = 0;
	*type = t;
	if (t == sc->atoms[A_UTF8_STRING] || t == sc->atoms[A_TEXT] ||
	    t == sc->atoms[A_TEXT_PLAIN_UTF8] || t == sc->atoms[A_TEXT_PLAIN]) {
		if (t == sc->atoms[A_TEXT])
			*type = sc->atoms[A_UTF8_STRING];
		return CS_TEXT;
	}
	if (t == XCB_ATOM_STRING) {
		*latin1 = 1;
		return CS_TEXT;
	}
	for (s = CS_HTML; s < CS_N; s++)
		if (t == sc->atoms[clip_slots[s].atom])
			return s;
	return -1;
}

/* UTF-8 to Latin-1 ('?' for what it lacks) into a new blob. */
static struct blob *
clip_utf8_to_latin1(const uint8_t *p, size_t n)
{
	struct blob *b;
	size_t i = 0, o = 0;

	b = xmalloc(sizeof *b + n + 1);
	b->refs = 1;
	while (i < n) {
		if (p[i] < 0x80)
			b->data[o++] = p[i++];
		else if ((p[i] & 0xe0) == 0xc0 && i + 1 < n &&
		    (p[i] & 0x1f) <= 0x03) {
			b->data[o++] = (uint8_t)((p[i] & 0x03) << 6 |
			    (p[i + 1] & 0x3f));
			i += 2;
		} else {
			b->data[o++] = '?';
			i++;
			while (i < n && (p[i] & 0xc0) == 0x80)
				i++;
		}
	}
	b->len = o;
	return b;
}

/* Another client asks us, the owner, for the selection. */
static void
clip_on_selection_request(struct svc_clip *sc,
    const xcb_selection_request_event_t *rq)
{
	xcb_atom_t prop = rq->property, type;
	struct blob *b;
	int s, latin1;

	if (prop == XCB_ATOM_NONE)
		prop = rq->target;	/* obsolete requestors */
	if (!sc->owning || rq->selection != sc->atoms[A_CLIPBOARD]) {
		clip_notify(sc, rq, XCB_ATOM_NONE);
		return;
	}
	if (rq->target == sc->atoms[A_TARGETS]) {
		xcb_atom_t list[4 + CS_N + 4];
		size_t n = 0;

		list[n++] = sc->atoms[A_TARGETS];
		list[n++] = sc->atoms[A_TIMESTAMP];
		if (sc->own[CS_TEXT] != NULL) {
			list[n++] = sc->atoms[A_UTF8_STRING];
			list[n++] = sc->atoms[A_TEXT_PLAIN_UTF8];
			list[n++] = sc->atoms[A_TEXT_PLAIN];
			list[n++] = sc->atoms[A_TEXT];
			list[n++] = XCB_ATOM_STRING;
		}
		for (s = CS_HTML; s < CS_N; s++)
			if (sc->own[s] != NULL)
				list[n++] = sc->atoms[clip_slots[s].atom];
		xcb_change_property(sc->xc, XCB_PROP_MODE_REPLACE,
		    rq->requestor, prop, XCB_ATOM_ATOM, 32, (uint32_t)n, list);
		clip_notify(sc, rq, prop);
		return;
	}
	if (rq->target == sc->atoms[A_TIMESTAMP]) {
		xcb_change_property(sc->xc, XCB_PROP_MODE_REPLACE,
		    rq->requestor, prop, XCB_ATOM_INTEGER, 32, 1,
		    &sc->own_time);
		clip_notify(sc, rq, prop);
		return;
	}
	s = clip_target_slot(sc, rq->target, &type, &latin1);
	if (s < 0 || sc->own[s] == NULL) {
		clip_notify(sc, rq, XCB_ATOM_NONE);
		return;
	}
	if (latin1)
		b = clip_utf8_to_latin1(sc->own[s]->data, sc->own[s]->len);
	else {
		b = sc->own[s];
		b->refs++;
	}
	if (b->len <= sc->chunk) {
		xcb_change_property(sc->xc, XCB_PROP_MODE_REPLACE,
		    rq->requestor, prop, type, 8, (uint32_t)b->len, b->data);
		clip_notify(sc, rq, prop);
		blob_unref(b);
		return;
	}
	clip_xfer_reap(sc, time(NULL));
	if (sc->nxfers == CLIP_XFER_MAX) {
		blob_unref(b);
		clip_notify(sc, rq, XCB_ATOM_NONE);
		return;
	}
	{
		struct clip_xfer *x = &sc->xfers[sc->nxfers++];
		uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;
		uint32_t size = (uint32_t)b->len;

		x->req = rq->requestor;
		x->prop = prop;
		x->type = type;
		x->b = b;	/* the reference moves here */
		x->off = 0;
		x->last = time(NULL);
		xcb_change_window_attributes(sc->xc, rq->requestor,
		    XCB_CW_EVENT_MASK, &mask);
		xcb_change_property(sc->xc, XCB_PROP_MODE_REPLACE,
		    rq->requestor, prop, sc->atoms[A_INCR], 32, 1, &size);
		clip_notify(sc, rq, prop);
	}
}

/* A property changed: INCR progress either way. */
static void
clip_on_property(struct svc_clip *sc, const xcb_property_notify_event_t *ev)
{
	size_t i;

	if (ev->window == sc->win) {
		if (sc->f.active && sc->f.incr &&
		    ev->atom == sc->atoms[A_PROP] &&
		    ev->state == XCB_PROPERTY_NEW_VALUE)
			clip_on_incr_chunk(sc);
		return;
	}
	if (ev->state != XCB_PROPERTY_DELETE)
		return;
	for (i = 0; i < sc->nxfers; i++) {
		struct clip_xfer *x = &sc->xfers[i];
		size_t n;

		if (x->req != ev->window || x->prop != ev->atom)
			continue;
		n = x->b->len - x->off;
		if (n > sc->chunk)
			n = sc->chunk;
		/* The last write is zero bytes long: the end marker. */
		xcb_change_property(sc->xc, XCB_PROP_MODE_REPLACE, x->req,
		    x->prop, x->type, 8, (uint32_t)n, x->b->data + x->off);
		x->last = time(NULL);
		if (n == 0) {
			xcb_window_t req = x->req;
			uint32_t mask = 0;
			size_t j;

			blob_unref(x->b);
			*x = sc->xfers[--sc->nxfers];
			/* Stop watching the window unless another send uses it. */
			for (j = 0; j < sc->nxfers; j++)
				if (sc->xfers[j].req == req)
					break;
			if (j == sc->nxfers)
				xcb_change_window_attributes(sc->xc, req,
				    XCB_CW_EVENT_MASK, &mask);
		} else
			x->off += n;
		return;
	}
}

/* Drop the content we serve. */
static void
clip_own_clear(struct svc_clip *sc)
{
	int i;

	for (i = 0; i < CS_N; i++) {
		blob_unref(sc->own[i]);
		sc->own[i] = NULL;
	}
	sc->owning = 0;
}

/* Dispatch one X event. */
static void
clip_on_event(struct svc_clip *sc, xcb_generic_event_t *e)
{
	uint8_t type = e->response_type & 0x7f;

	if (type == sc->xfixes_ev + XCB_XFIXES_SELECTION_NOTIFY) {
		xcb_xfixes_selection_notify_event_t *n = (void *)e;

		if (n->selection != sc->atoms[A_CLIPBOARD])
			return;
		if (n->owner == sc->win) {
			/* Our own set: never echoed. */
			sc->own_time = n->selection_timestamp;
			return;
		}
		if (sc->owning)
			clip_own_clear(sc);
		if (n->owner == XCB_WINDOW_NONE || sc->nsubs == 0) {
			clip_fetch_reset(sc);
			return;
		}
		clip_fetch_start(sc, n->selection_timestamp);
		return;
	}
	switch (type) {
	case XCB_SELECTION_NOTIFY:
		clip_on_selection_notify(sc, (void *)e);
		break;
	case XCB_SELECTION_REQUEST:
		clip_on_selection_request(sc, (void *)e);
		break;
	case XCB_SELECTION_CLEAR:
		if (((xcb_selection_clear_event_t *)e)->selection ==
		    sc->atoms[A_CLIPBOARD])
			clip_own_clear(sc);
		break;
	case XCB_PROPERTY_NOTIFY:
		clip_on_property(sc, (void *)e);
		break;
	default:
		break;
	}
}

/* The X fd is readable (or we were woken to drain queued events). */
static void
clip_x_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_clip *sc = arg;
	xcb_generic_event_t *e;

	(void)fd;
	(void)what;
	while ((e = xcb_poll_for_event(sc->xc)) != NULL) {
		clip_on_event(sc, e);
		free(e);
	}
	if (xcb_connection_has_error(sc->xc)) {
		log_error("clipboard: X connection lost; service stopped");
		event_del(sc->ev_x);
		return;
	}
	xcb_flush(sc->xc);
}

/* Connect to X and watch CLIPBOARD. */
int
svc_clip_new(struct event_base *base, const char *display,
    struct svc_clip **out)
{
	struct svc_clip *sc;
	xcb_screen_t *screen;
	const xcb_query_extension_reply_t *qe;
	xcb_xfixes_query_version_reply_t *qv;
	xcb_intern_atom_cookie_t ck[A_N];
	uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;
	uint32_t maxreq;
	int i, r;

	*out = NULL;
	sc = xcalloc(1, sizeof *sc);
	sc->base = base;
	sc->xc = xcb_connect(display, NULL);
	if (xcb_connection_has_error(sc->xc)) {
		r = ERR_IO;
		goto fail;
	}
	qe = xcb_get_extension_data(sc->xc, &xcb_xfixes_id);
	if (qe == NULL || !qe->present) {
		r = ERR_UNSUPP;
		goto fail;
	}
	sc->xfixes_ev = qe->first_event;
	qv = xcb_xfixes_query_version_reply(sc->xc,
	    xcb_xfixes_query_version(sc->xc, 1, 0), NULL);
	if (qv == NULL) {
		r = ERR_UNSUPP;
		goto fail;
	}
	free(qv);
	for (i = 0; i < A_N; i++)
		ck[i] = xcb_intern_atom(sc->xc, 0,
		    (uint16_t)strlen(clip_atom_names[i]), clip_atom_names[i]);
	for (i = 0; i < A_N; i++) {
		xcb_intern_atom_reply_t *ar;

		ar = xcb_intern_atom_reply(sc->xc, ck[i], NULL);
		if (ar == NULL) {
			r = ERR_IO;
			goto fail;
		}
		sc->atoms[i] = ar->atom;
		free(ar);
	}
	screen = xcb_setup_roots_iterator(xcb_get_setup(sc->xc)).data;
	sc->win = xcb_generate_id(sc->xc);
	xcb_create_window(sc->xc, XCB_COPY_FROM_PARENT, sc->win, screen->root,
	    -10, -10, 1, 1, 0, XCB_WINDOW_CLASS_INPUT_ONLY,
	    XCB_COPY_FROM_PARENT, XCB_CW_EVENT_MASK, &mask);
	xcb_xfixes_select_selection_input(sc->xc, sc->win,
	    sc->atoms[A_CLIPBOARD],
	    XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER |
	    XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_WINDOW_DESTROY |
	    XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_CLIENT_CLOSE);
	/* Property writes must fit one request (length in 4-byte units). */
	maxreq = xcb_get_maximum_request_length(sc->xc);
	sc->chunk = SVC_CLIP_CHUNK;
	if ((size_t)maxreq * 4 - 64 < sc->chunk)
		sc->chunk = ((size_t)maxreq * 4 - 64) & ~(size_t)3;
	sc->ev_x = event_new(base, xcb_get_file_descriptor(sc->xc),
	    EV_READ | EV_PERSIST, clip_x_cb, sc);
	sc->ev_timer = evtimer_new(base, clip_timer_cb, sc);
	if (sc->ev_x == NULL || sc->ev_timer == NULL ||
	    event_add(sc->ev_x, NULL) != 0) {
		r = ERR_NOMEM;
		goto fail;
	}
	xcb_flush(sc->xc);
	*out = sc;
	return 0;
 fail:
	svc_clip_free(sc);
	return r;
}

/* Free everything. */
void
svc_clip_free(struct svc_clip *sc)
{
	size_t i;

	if (sc == NULL)
		return;
	if (sc->ev_timer != NULL)
		clip_fetch_reset(sc);
	clip_own_clear(sc);
	for (i = 0; i < sc->nxfers; i++)
		blob_unref(sc->xfers[i].b);
	if (sc->ev_x != NULL)
		event_free(sc->ev_x);
	if (sc->ev_timer != NULL)
		event_free(sc->ev_timer);
	if (sc->xc != NULL)
		xcb_disconnect(sc->xc);
	free(sc->subs);
	free(sc);
}

/* Add or replace a subscriber. */
int
svc_clip_subscribe(struct svc_clip *sc, const struct svc_sink *sink,
    const char *peer_version, const char *peer_platform)
{
	struct clip_sub *s = NULL;
	size_t i;

	for (i = 0; i < sc->nsubs; i++)
		if (sc->subs[i].sink.conn_id == sink->conn_id)
			s = &sc->subs[i];
	if (s == NULL) {
		if (sc->nsubs == sc->capsubs) {
			sc->capsubs = sc->capsubs ? sc->capsubs * 2 : 4;
			sc->subs = xreallocarray(sc->subs, sc->capsubs,
			    sizeof *sc->subs);
		}
		s = &sc->subs[sc->nsubs++];
	}
	s->sink = *sink;
	s->multi = svc_clip_peer_multi(peer_version, peer_platform);
	log_debug("conn %u: clipboard subscribed (%s)", sink->conn_id,
	    s->multi ? "multi" : "text");
	return 0;
}

/* Remove a subscriber. */
void
svc_clip_unsubscribe(struct svc_clip *sc, uint32_t conn_id)
{
	size_t i;

	for (i = 0; i < sc->nsubs; i++) {
		if (sc->subs[i].sink.conn_id != conn_id)
			continue;
		sc->subs[i] = sc->subs[--sc->nsubs];
		log_debug("conn %u: clipboard unsubscribed", conn_id);
		break;
	}
	if (sc->nsubs == 0 && sc->f.active)
		clip_fetch_reset(sc);
}

/* Number of subscribers. */
size_t
svc_clip_count(const struct svc_clip *sc)
{
	return sc->nsubs;
}

/* Take CLIPBOARD with new content (references move in) and forward it. */
static int
clip_take(struct svc_clip *sc, uint32_t conn_id, struct blob *items[CS_N])
{
	xcb_get_selection_owner_reply_t *rep;
	int i, ok;

	xcb_set_selection_owner(sc->xc, sc->win, sc->atoms[A_CLIPBOARD],
	    XCB_CURRENT_TIME);
	rep = xcb_get_selection_owner_reply(sc->xc,
	    xcb_get_selection_owner(sc->xc, sc->atoms[A_CLIPBOARD]), NULL);
	ok = rep != NULL && rep->owner == sc->win;
	free(rep);
	/* The round trip may have queued events the fd won't signal. */
	event_active(sc->ev_x, EV_READ, 0);
	if (!ok) {
		for (i = 0; i < CS_N; i++)
			blob_unref(items[i]);
		return ERR_IO;
	}
	if (sc->f.active)
		clip_fetch_reset(sc);
	clip_own_clear(sc);
	for (i = 0; i < CS_N; i++)
		sc->own[i] = items[i];
	sc->owning = 1;
	clip_broadcast(sc, sc->own, conn_id);
	return 0;
}

/* Decode entries into slots; returns the first error if none is usable. */
static int
clip_collect(Hbb__Clipboard *const *cs, size_t n, struct blob *items[CS_N])
{
	size_t i;
	int first = ERR_UNSUPP, any = 0;

	memset(items, 0, CS_N * sizeof *items);
	for (i = 0; i < n; i++) {
		uint8_t *data;
		size_t len;
		int fmt, r, s;

		if (cs[i] == NULL)
			continue;
		r = svc_clip_decode_item(cs[i], &fmt, &data, &len);
		if (r != 0) {
			if (first == ERR_UNSUPP)
				first = r;
			continue;
		}
		if ((s = clip_slot_of(fmt)) < 0 || len == 0) {
			free(data);
			continue;
		}
		blob_unref(items[s]);
		items[s] = blob_new(data, len);
		free(data);
		any = 1;
	}
	return any ? 0 : first;
}

/* A peer's Clipboard becomes the host selection. */
int
svc_clip_set(struct svc_clip *sc, uint32_t conn_id, const Hbb__Clipboard *c)
{
	struct blob *items[CS_N];
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
	struct blob *items[CS_N];
	int r;

	if ((r = clip_collect(m->clipboards, m->n_clipboards, items)) != 0)
		return r;
	return clip_take(sc, conn_id, items);
}
