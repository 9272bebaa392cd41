/*
 * clip_x11.c: the X11 clipboard backend (struct clip_impl in svc_clip.h),
 * the CLIPBOARD selection both ways.
 *
 * Host changes: XFixes tells us a new owner took CLIPBOARD; we ask it for
 * TARGETS, then for each format we know, one at a time (INCR allowed), and
 * hand the result to the service. Published content: we take ownership and
 * answer SelectionRequests (INCR above the chunk size) until someone else
 * takes it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/svc/svc_clip.h"
#include "server/x11/x11_auth.h"

/* Atoms we intern once. */
enum clipx11_atom {
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

static const char *const clipx11_atom_names[A_N] = {
	"CLIPBOARD", "TARGETS", "TIMESTAMP", "MULTIPLE", "INCR",
	"UTF8_STRING", "TEXT", "text/plain", "text/plain;charset=utf-8",
	"text/html", "text/rtf", "image/png", "image/svg+xml", "CDESK_SEL",
};

/* The main X target of each format. */
static const enum clipx11_atom clipx11_fmt_atom[CLIP_FMT_N] = {
	[CLIP_FMT_TEXT] = A_UTF8_STRING,
	[CLIP_FMT_HTML] = A_HTML,
	[CLIP_FMT_RTF] = A_RTF,
	[CLIP_FMT_PNG] = A_PNG,
	[CLIP_FMT_SVG] = A_SVG,
};

#define CLIPX11_FETCH_TIMEOUT	2	/* seconds per format */
#define CLIPX11_XFER_TIMEOUT	10	/* idle INCR send, seconds */
#define CLIPX11_XFER_MAX	16

/* An outgoing INCR transfer to a requestor. */
struct clipx11_xfer {
	xcb_window_t	 req;
	xcb_atom_t	 prop;
	xcb_atom_t	 type;
	struct clip_blob *b;		/* owned reference */
	size_t		 off;
	time_t		 last;
};

/* Reading the selection from its owner, one target at a time. */
struct clipx11_fetch {
	int		 active;
	xcb_timestamp_t	 ts;
	int		 step;		/* -1: TARGETS, else a format */
	xcb_atom_t	 target[CLIP_FMT_N];	/* 0 = not offered */
	int		 incr;		/* reading INCR chunks */
	int		 latin1;	/* the text target was STRING */
	uint8_t		*buf;		/* owned */
	size_t		 len, cap;
	struct clip_blob *got[CLIP_FMT_N];	/* owned */
};

struct clip_be {
	xcb_connection_t *xc;		/* owned */
	xcb_window_t	 win;
	xcb_atom_t	 atoms[A_N];
	uint8_t		 xfixes_ev;	/* first XFixes event code */
	size_t		 chunk;		/* bytes per property write */
	struct clip_hooks hooks;

	int		 owning;	/* we own CLIPBOARD */
	xcb_timestamp_t	 own_time;
	struct clip_blob *own[CLIP_FMT_N];	/* owned references */

	struct clipx11_fetch f;
	struct clipx11_xfer xfers[CLIPX11_XFER_MAX];
	size_t		 nxfers;
};

static void	clipx11_fetch_next(struct clip_be *);

/* Frees the buffers of a selection read and forgets it. */
static void
clipx11_fetch_clear(struct clip_be *be)
{
	int i;

	free(be->f.buf);
	for (i = 0; i < CLIP_FMT_N; i++)
		clip_blob_unref(be->f.got[i]);
	memset(&be->f, 0, sizeof be->f);
}

/* Drops the state of a selection read and its timeout. */
static void
clipx11_fetch_reset(struct clip_be *be)
{
	clipx11_fetch_clear(be);
	be->hooks.timer(be->hooks.arg, 0);
}

/* Arms the per-step timeout. */
static void
clipx11_fetch_arm(struct clip_be *be)
{
	be->hooks.timer(be->hooks.arg, CLIPX11_FETCH_TIMEOUT);
}

/* Starts reading the selection a new owner holds. */
static void
clipx11_fetch_start(struct clip_be *be, xcb_timestamp_t ts)
{
	clipx11_fetch_reset(be);
	be->f.active = 1;
	be->f.ts = ts;
	be->f.step = -1;
	xcb_delete_property(be->xc, be->win, be->atoms[A_PROP]);
	xcb_convert_selection(be->xc, be->win, be->atoms[A_CLIPBOARD],
	    be->atoms[A_TARGETS], be->atoms[A_PROP], ts);
	xcb_flush(be->xc);
	clipx11_fetch_arm(be);
}

/* Hands what the read collected to the service and ends it. */
static void
clipx11_fetch_done(struct clip_be *be)
{
	struct clip_blob *got[CLIP_FMT_N];
	int i;

	/* The read ends first: the hook may cancel or publish. */
	memcpy(got, be->f.got, sizeof got);
	memset(be->f.got, 0, sizeof be->f.got);
	clipx11_fetch_reset(be);
	be->hooks.changed(be->hooks.arg, got);
	for (i = 0; i < CLIP_FMT_N; i++)
		clip_blob_unref(got[i]);
}

/* Latin-1 to UTF-8 into a new blob. */
static struct clip_blob *
clipx11_latin1_to_utf8(const uint8_t *p, size_t n)
{
	struct clip_blob *b;
	size_t i, o = 0;

	b = clip_blob_new(NULL, 2 * n + 1);
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

/* Appends code point c to d as UTF-8; returns the bytes written. */
static size_t
clipx11_put_utf8(uint8_t *d, uint32_t c)
{
	if (c < 0x80) {
		d[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		d[0] = (uint8_t)(0xc0 | c >> 6);
		d[1] = (uint8_t)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		d[0] = (uint8_t)(0xe0 | c >> 12);
		d[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
		d[2] = (uint8_t)(0x80 | (c & 0x3f));
		return 3;
	}
	d[0] = (uint8_t)(0xf0 | c >> 18);
	d[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
	d[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
	d[3] = (uint8_t)(0x80 | (c & 0x3f));
	return 4;
}

/* UTF-16LE (after its byte-order mark) to UTF-8 into a new blob. */
static struct clip_blob *
clipx11_utf16_to_utf8(const uint8_t *p, size_t n)
{
	struct clip_blob *b;
	size_t i, o = 0;
	uint32_t c, lo;

	b = clip_blob_new(NULL, (n / 2) * 3 + 4);
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
		o += clipx11_put_utf8(b->data + o, c);
	}
	b->len = o;
	return b;
}

/* Keeps the bytes of the finished step and goes to the next one. */
static void
clipx11_fetch_step_done(struct clip_be *be)
{
	int s = be->f.step;

	if (s >= 0 && be->f.len > 0) {
		size_t n = be->f.len;

		/* Text owners often add a final NUL. */
		if (s == CLIP_FMT_TEXT && be->f.buf[n - 1] == '\0')
			n--;
		if (s == CLIP_FMT_TEXT && be->f.latin1)
			be->f.got[s] = clipx11_latin1_to_utf8(be->f.buf, n);
		else if (s == CLIP_FMT_HTML && n >= 2 &&
		    be->f.buf[0] == 0xff && be->f.buf[1] == 0xfe)
			/* Firefox offers text/html as UTF-16. */
			be->f.got[s] = clipx11_utf16_to_utf8(be->f.buf, n);
		else
			be->f.got[s] = clip_blob_new(be->f.buf, n);
	}
	free(be->f.buf);
	be->f.buf = NULL;
	be->f.len = be->f.cap = 0;
	be->f.incr = 0;
	clipx11_fetch_next(be);
}

/* Asks the owner for the next offered target, or finishes. */
static void
clipx11_fetch_next(struct clip_be *be)
{
	int s;

	for (s = be->f.step + 1; s < CLIP_FMT_N; s++)
		if (be->f.target[s] != XCB_ATOM_NONE)
			break;
	if (s >= CLIP_FMT_N) {
		clipx11_fetch_done(be);
		return;
	}
	be->f.step = s;
	xcb_convert_selection(be->xc, be->win, be->atoms[A_CLIPBOARD],
	    be->f.target[s], be->atoms[A_PROP], be->f.ts);
	xcb_flush(be->xc);
	clipx11_fetch_arm(be);
}

/* Chooses the targets to read from a TARGETS list. */
static void
clipx11_fetch_targets(struct clip_be *be, const xcb_atom_t *t, size_t n)
{
	/* Text preference: UTF8_STRING, text/plain;charset=utf-8, STRING. */
	const xcb_atom_t text_pref[] = { be->atoms[A_UTF8_STRING],
	    be->atoms[A_TEXT_PLAIN_UTF8], XCB_ATOM_STRING };
	size_t i, k, best = 99;
	int s;

	for (i = 0; i < n; i++) {
		for (k = 0; k < 3; k++)
			if (t[i] == text_pref[k] && k < best)
				best = k;
		for (s = CLIP_FMT_HTML; s < CLIP_FMT_N; s++)
			if (t[i] == be->atoms[clipx11_fmt_atom[s]])
				be->f.target[s] = t[i];
	}
	if (best < 3) {
		be->f.target[CLIP_FMT_TEXT] = text_pref[best];
		be->f.latin1 = best == 2;
	}
}

/* Appends property bytes to the read buffer, bounded. Returns -1 if over. */
static int
clipx11_fetch_append(struct clip_be *be, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (be->f.len + n > SVC_CLIP_ITEM_MAX)
		return -1;
	if (be->f.len + n > be->f.cap) {
		be->f.cap = (be->f.len + n) * 2;
		if (be->f.cap > SVC_CLIP_ITEM_MAX)
			be->f.cap = SVC_CLIP_ITEM_MAX;
		be->f.buf = xreallocarray(be->f.buf, be->f.cap, 1);
	}
	memcpy(be->f.buf + be->f.len, p, n);
	be->f.len += n;
	return 0;
}

/*
 * Reads our property whole, appending to the read buffer, then deletes it.
 * Sets *type and *bytes (bytes read). Returns 0, or -1 on X error or size.
 */
static int
clipx11_read_prop(struct clip_be *be, xcb_atom_t *type, size_t *bytes)
{
	xcb_get_property_reply_t *rep;
	uint32_t off = 0, after;
	size_t n;
	int rv = 0, vlen;

	*type = XCB_ATOM_NONE;
	*bytes = 0;
	for (;;) {
		rep = xcb_get_property_reply(be->xc, xcb_get_property(be->xc,
		    0, be->win, be->atoms[A_PROP], XCB_GET_PROPERTY_TYPE_ANY,
		    off, be->chunk / 4), NULL);
		if (rep == NULL) {
			rv = -1;
			break;
		}
		*type = rep->type;
		vlen = xcb_get_property_value_length(rep);
		n = vlen > 0 ? (size_t)vlen : 0;
		if (clipx11_fetch_append(be, xcb_get_property_value(rep),
		    n) != 0) {
			free(rep);
			rv = -1;
			break;
		}
		*bytes += n;
		off += (uint32_t)(n / 4);
		after = rep->bytes_after;
		free(rep);
		if (after == 0 || n == 0)
			break;
	}
	xcb_delete_property(be->xc, be->win, be->atoms[A_PROP]);
	xcb_flush(be->xc);
	return rv;
}

/* The owner answered a ConvertSelection of ours. */
static void
clipx11_on_selection_notify(struct clip_be *be,
    const xcb_selection_notify_event_t *ev)
{
	xcb_atom_t type;
	size_t n;

	if (!be->f.active || ev->requestor != be->win ||
	    ev->selection != be->atoms[A_CLIPBOARD])
		return;
	if (ev->property == XCB_ATOM_NONE) {
		if (be->f.step == -1) {
			/* No TARGETS: try plain text anyway. */
			be->f.target[CLIP_FMT_TEXT] = be->atoms[A_UTF8_STRING];
		}
		be->f.len = 0;
		clipx11_fetch_step_done(be);
		return;
	}
	if (clipx11_read_prop(be, &type, &n) != 0) {
		log_debug("clipboard: host selection unreadable or too big");
		clipx11_fetch_done(be);
		return;
	}
	if (type == be->atoms[A_INCR]) {
		/* Deleting the property (done) starts the chunks. */
		log_debug("clipboard: reading the host selection with INCR");
		be->f.len = 0;
		be->f.incr = 1;
		clipx11_fetch_arm(be);
		return;
	}
	if (be->f.step == -1) {
		if (type == XCB_ATOM_ATOM)
			clipx11_fetch_targets(be, (const xcb_atom_t *)be->f.buf,
			    be->f.len / sizeof(xcb_atom_t));
		else
			be->f.target[CLIP_FMT_TEXT] = be->atoms[A_UTF8_STRING];
		be->f.len = 0;
	} else if (be->f.step == CLIP_FMT_TEXT)
		be->f.latin1 = type == XCB_ATOM_STRING;
	clipx11_fetch_step_done(be);
}

/* An INCR chunk (or its end) arrived in our property. */
static void
clipx11_on_incr_chunk(struct clip_be *be)
{
	xcb_atom_t type;
	size_t n;

	if (clipx11_read_prop(be, &type, &n) != 0) {
		log_debug("clipboard: host selection too big, dropped");
		clipx11_fetch_done(be);
		return;
	}
	if (n == 0) {
		if (be->f.step == CLIP_FMT_TEXT)
			be->f.latin1 = type == XCB_ATOM_STRING;
		clipx11_fetch_step_done(be);
		return;
	}
	clipx11_fetch_arm(be);
}

/* A step took too long: hand over what we have. */
static void
clipx11_timeout(struct clip_be *be)
{
	if (be->f.active) {
		log_debug("clipboard: selection owner timed out");
		clipx11_fetch_done(be);
	}
}

/* Sends a SelectionNotify answering a request. */
static void
clipx11_notify(struct clip_be *be, const xcb_selection_request_event_t *rq,
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
	xcb_send_event(be->xc, 0, rq->requestor, XCB_EVENT_MASK_NO_EVENT, buf);
}

/* Drops INCR sends whose requestor went quiet. */
static void
clipx11_xfer_reap(struct clip_be *be, time_t now)
{
	size_t i = 0;

	while (i < be->nxfers) {
		if (now - be->xfers[i].last > CLIPX11_XFER_TIMEOUT) {
			clip_blob_unref(be->xfers[i].b);
			be->xfers[i] = be->xfers[--be->nxfers];
		} else
			i++;
	}
}

/* The format and reply type for a requested target, or -1. */
static int
clipx11_target_fmt(struct clip_be *be, xcb_atom_t t, xcb_atom_t *type,
    int *latin1)
{
	int s;

	*latin1 = 0;
	*type = t;
	if (t == be->atoms[A_UTF8_STRING] || t == be->atoms[A_TEXT] ||
	    t == be->atoms[A_TEXT_PLAIN_UTF8] || t == be->atoms[A_TEXT_PLAIN]) {
		if (t == be->atoms[A_TEXT])
			*type = be->atoms[A_UTF8_STRING];
		return CLIP_FMT_TEXT;
	}
	if (t == XCB_ATOM_STRING) {
		*latin1 = 1;
		return CLIP_FMT_TEXT;
	}
	for (s = CLIP_FMT_HTML; s < CLIP_FMT_N; s++)
		if (t == be->atoms[clipx11_fmt_atom[s]])
			return s;
	return -1;
}

/* UTF-8 to Latin-1 ('?' for what it lacks) into a new blob. */
static struct clip_blob *
clipx11_utf8_to_latin1(const uint8_t *p, size_t n)
{
	struct clip_blob *b;
	size_t i = 0, o = 0;

	b = clip_blob_new(NULL, n + 1);
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

/* Answers TARGETS: what we serve, as a list of atoms. */
static void
clipx11_send_targets(struct clip_be *be,
    const xcb_selection_request_event_t *rq, xcb_atom_t prop)
{
	xcb_atom_t list[4 + CLIP_FMT_N + 4];
	size_t n = 0;
	int s;

	list[n++] = be->atoms[A_TARGETS];
	list[n++] = be->atoms[A_TIMESTAMP];
	if (be->own[CLIP_FMT_TEXT] != NULL) {
		list[n++] = be->atoms[A_UTF8_STRING];
		list[n++] = be->atoms[A_TEXT_PLAIN_UTF8];
		list[n++] = be->atoms[A_TEXT_PLAIN];
		list[n++] = be->atoms[A_TEXT];
		list[n++] = XCB_ATOM_STRING;
	}
	for (s = CLIP_FMT_HTML; s < CLIP_FMT_N; s++)
		if (be->own[s] != NULL)
			list[n++] = be->atoms[clipx11_fmt_atom[s]];
	xcb_change_property(be->xc, XCB_PROP_MODE_REPLACE, rq->requestor,
	    prop, XCB_ATOM_ATOM, 32, (uint32_t)n, list);
	clipx11_notify(be, rq, prop);
}

/* Starts an INCR send of b (the reference moves in) to a requestor. */
static void
clipx11_xfer_start(struct clip_be *be,
    const xcb_selection_request_event_t *rq, xcb_atom_t prop,
    xcb_atom_t type, struct clip_blob *b)
{
	struct clipx11_xfer *x;
	uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;
	uint32_t size = (uint32_t)b->len;

	clipx11_xfer_reap(be, time(NULL));
	if (be->nxfers == CLIPX11_XFER_MAX) {
		clip_blob_unref(b);
		clipx11_notify(be, rq, XCB_ATOM_NONE);
		return;
	}
	x = &be->xfers[be->nxfers++];
	x->req = rq->requestor;
	x->prop = prop;
	x->type = type;
	x->b = b;
	x->off = 0;
	x->last = time(NULL);
	xcb_change_window_attributes(be->xc, rq->requestor, XCB_CW_EVENT_MASK,
	    &mask);
	xcb_change_property(be->xc, XCB_PROP_MODE_REPLACE, rq->requestor,
	    prop, be->atoms[A_INCR], 32, 1, &size);
	clipx11_notify(be, rq, prop);
}

/* Another client asks us, the owner, for the selection. */
static void
clipx11_on_selection_request(struct clip_be *be,
    const xcb_selection_request_event_t *rq)
{
	xcb_atom_t prop = rq->property, type;
	struct clip_blob *b;
	int s, latin1;

	if (prop == XCB_ATOM_NONE)
		prop = rq->target;	/* obsolete requestors */
	if (!be->owning || rq->selection != be->atoms[A_CLIPBOARD]) {
		clipx11_notify(be, rq, XCB_ATOM_NONE);
		return;
	}
	if (rq->target == be->atoms[A_TARGETS]) {
		clipx11_send_targets(be, rq, prop);
		return;
	}
	if (rq->target == be->atoms[A_TIMESTAMP]) {
		xcb_change_property(be->xc, XCB_PROP_MODE_REPLACE,
		    rq->requestor, prop, XCB_ATOM_INTEGER, 32, 1,
		    &be->own_time);
		clipx11_notify(be, rq, prop);
		return;
	}
	s = clipx11_target_fmt(be, rq->target, &type, &latin1);
	if (s < 0 || be->own[s] == NULL) {
		clipx11_notify(be, rq, XCB_ATOM_NONE);
		return;
	}
	if (latin1)
		b = clipx11_utf8_to_latin1(be->own[s]->data, be->own[s]->len);
	else
		b = clip_blob_ref(be->own[s]);
	if (b->len > be->chunk) {
		clipx11_xfer_start(be, rq, prop, type, b);
		return;
	}
	xcb_change_property(be->xc, XCB_PROP_MODE_REPLACE, rq->requestor,
	    prop, type, 8, (uint32_t)b->len, b->data);
	clipx11_notify(be, rq, prop);
	clip_blob_unref(b);
}

/* Writes the next INCR chunk of x; the empty one ends and drops it. */
static void
clipx11_xfer_step(struct clip_be *be, struct clipx11_xfer *x)
{
	xcb_window_t req;
	uint32_t mask = 0;
	size_t n, j;

	n = x->b->len - x->off;
	if (n > be->chunk)
		n = be->chunk;
	/* The last write is zero bytes long: the end marker. */
	xcb_change_property(be->xc, XCB_PROP_MODE_REPLACE, x->req, x->prop,
	    x->type, 8, (uint32_t)n, x->b->data + x->off);
	x->last = time(NULL);
	if (n != 0) {
		x->off += n;
		return;
	}
	req = x->req;
	clip_blob_unref(x->b);
	*x = be->xfers[--be->nxfers];
	/* Stop watching the window unless another send uses it. */
	for (j = 0; j < be->nxfers; j++)
		if (be->xfers[j].req == req)
			return;
	xcb_change_window_attributes(be->xc, req, XCB_CW_EVENT_MASK, &mask);
}

/* A property changed: INCR progress either way. */
static void
clipx11_on_property(struct clip_be *be, const xcb_property_notify_event_t *ev)
{
	size_t i;

	if (ev->window == be->win) {
		if (be->f.active && be->f.incr &&
		    ev->atom == be->atoms[A_PROP] &&
		    ev->state == XCB_PROPERTY_NEW_VALUE)
			clipx11_on_incr_chunk(be);
		return;
	}
	if (ev->state != XCB_PROPERTY_DELETE)
		return;
	for (i = 0; i < be->nxfers; i++) {
		if (be->xfers[i].req == ev->window &&
		    be->xfers[i].prop == ev->atom) {
			clipx11_xfer_step(be, &be->xfers[i]);
			return;
		}
	}
}

/* Drops the content we serve. */
static void
clipx11_own_clear(struct clip_be *be)
{
	int i;

	for (i = 0; i < CLIP_FMT_N; i++) {
		clip_blob_unref(be->own[i]);
		be->own[i] = NULL;
	}
	be->owning = 0;
}

/* XFixes says CLIPBOARD has a new owner. */
static void
clipx11_on_owner(struct clip_be *be,
    const xcb_xfixes_selection_notify_event_t *n)
{
	if (n->selection != be->atoms[A_CLIPBOARD])
		return;
	if (n->owner == be->win) {
		/* Our own set: never echoed. */
		be->own_time = n->selection_timestamp;
		log_debug("clipboard: our own set, not sent back");
		return;
	}
	if (be->owning)
		clipx11_own_clear(be);
	if (n->owner == XCB_WINDOW_NONE || !be->hooks.wanted(be->hooks.arg)) {
		clipx11_fetch_reset(be);
		return;
	}
	clipx11_fetch_start(be, n->selection_timestamp);
}

/* Dispatches one X event. */
static void
clipx11_on_event(struct clip_be *be, xcb_generic_event_t *e)
{
	uint8_t type = e->response_type & 0x7f;

	if (type == be->xfixes_ev + XCB_XFIXES_SELECTION_NOTIFY) {
		clipx11_on_owner(be, (void *)e);
		return;
	}
	switch (type) {
	case XCB_SELECTION_NOTIFY:
		clipx11_on_selection_notify(be, (void *)e);
		break;
	case XCB_SELECTION_REQUEST:
		clipx11_on_selection_request(be, (void *)e);
		break;
	case XCB_SELECTION_CLEAR:
		if (((xcb_selection_clear_event_t *)e)->selection ==
		    be->atoms[A_CLIPBOARD])
			clipx11_own_clear(be);
		break;
	case XCB_PROPERTY_NOTIFY:
		clipx11_on_property(be, (void *)e);
		break;
	default:
		break;
	}
}

/* Handles every queued X event; ERR_IO once the connection is lost. */
static int
clipx11_dispatch(struct clip_be *be)
{
	xcb_generic_event_t *e;

	while ((e = xcb_poll_for_event(be->xc)) != NULL) {
		clipx11_on_event(be, e);
		free(e);
	}
	if (xcb_connection_has_error(be->xc))
		return ERR_IO;
	xcb_flush(be->xc);
	return 0;
}

/* The X connection's descriptor. */
static int
clipx11_fd(struct clip_be *be)
{
	return xcb_get_file_descriptor(be->xc);
}

/* Takes CLIPBOARD to serve items. */
static int
clipx11_publish(struct clip_be *be, struct clip_blob *const items[CLIP_FMT_N])
{
	xcb_get_selection_owner_reply_t *rep;
	int i, ok;

	xcb_set_selection_owner(be->xc, be->win, be->atoms[A_CLIPBOARD],
	    XCB_CURRENT_TIME);
	rep = xcb_get_selection_owner_reply(be->xc,
	    xcb_get_selection_owner(be->xc, be->atoms[A_CLIPBOARD]), NULL);
	ok = rep != NULL && rep->owner == be->win;
	free(rep);
	if (!ok)
		return ERR_IO;
	if (be->f.active)
		clipx11_fetch_reset(be);
	clipx11_own_clear(be);
	for (i = 0; i < CLIP_FMT_N; i++)
		be->own[i] = items[i] != NULL ? clip_blob_ref(items[i]) : NULL;
	be->owning = 1;
	return 0;
}

/* Abandons a selection read in progress. */
static void
clipx11_cancel(struct clip_be *be)
{
	if (be->f.active)
		clipx11_fetch_reset(be);
}

/* Interns the atoms we use. */
static int
clipx11_intern_all(struct clip_be *be)
{
	xcb_intern_atom_cookie_t ck[A_N];
	xcb_intern_atom_reply_t *ar;
	int i;

	for (i = 0; i < A_N; i++)
		ck[i] = xcb_intern_atom(be->xc, 0,
		    (uint16_t)strlen(clipx11_atom_names[i]),
		    clipx11_atom_names[i]);
	for (i = 0; i < A_N; i++) {
		ar = xcb_intern_atom_reply(be->xc, ck[i], NULL);
		if (ar == NULL)
			return ERR_IO;
		be->atoms[i] = ar->atom;
		free(ar);
	}
	return 0;
}

/* Frees everything; hooks are not called. */
static void
clipx11_close(struct clip_be *be)
{
	size_t i;

	if (be == NULL)
		return;
	clipx11_fetch_clear(be);
	clipx11_own_clear(be);
	for (i = 0; i < be->nxfers; i++)
		clip_blob_unref(be->xfers[i].b);
	if (be->xc != NULL)
		xcb_disconnect(be->xc);
	free(be);
}

/* Creates our window and asks XFixes for CLIPBOARD owner changes. */
static void
clipx11_watch(struct clip_be *be)
{
	xcb_screen_t *screen;
	uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;
	uint32_t maxreq;

	screen = xcb_setup_roots_iterator(xcb_get_setup(be->xc)).data;
	be->win = xcb_generate_id(be->xc);
	xcb_create_window(be->xc, XCB_COPY_FROM_PARENT, be->win, screen->root,
	    -10, -10, 1, 1, 0, XCB_WINDOW_CLASS_INPUT_ONLY,
	    XCB_COPY_FROM_PARENT, XCB_CW_EVENT_MASK, &mask);
	xcb_xfixes_select_selection_input(be->xc, be->win,
	    be->atoms[A_CLIPBOARD],
	    XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER |
	    XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_WINDOW_DESTROY |
	    XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_CLIENT_CLOSE);
	/* Property writes must fit one request (length in 4-byte units). */
	maxreq = xcb_get_maximum_request_length(be->xc);
	be->chunk = SVC_CLIP_CHUNK;
	if ((size_t)maxreq * 4 - 64 < be->chunk)
		be->chunk = ((size_t)maxreq * 4 - 64) & ~(size_t)3;
	xcb_flush(be->xc);
}

/* Connects to X and watches CLIPBOARD. */
static int
clipx11_open(const char *where, const struct clip_hooks *hooks,
    struct clip_be **bep)
{
	struct clip_be *be;
	const xcb_query_extension_reply_t *qe;
	xcb_xfixes_query_version_reply_t *qv;
	int r;

	*bep = NULL;
	be = xcalloc(1, sizeof *be);
	be->hooks = *hooks;
	be->xc = x11_connect(where, NULL);
	if (xcb_connection_has_error(be->xc)) {
		r = ERR_IO;
		goto fail;
	}
	qe = xcb_get_extension_data(be->xc, &xcb_xfixes_id);
	if (qe == NULL || !qe->present) {
		r = ERR_UNSUPP;
		goto fail;
	}
	be->xfixes_ev = qe->first_event;
	qv = xcb_xfixes_query_version_reply(be->xc,
	    xcb_xfixes_query_version(be->xc, 1, 0), NULL);
	if (qv == NULL) {
		r = ERR_UNSUPP;
		goto fail;
	}
	free(qv);
	if ((r = clipx11_intern_all(be)) != 0)
		goto fail;
	clipx11_watch(be);
	*bep = be;
	return 0;
 fail:
	clipx11_close(be);
	return r;
}

const struct clip_impl clip_x11 = {
	.name = "x11",
	.open = clipx11_open,
	.close = clipx11_close,
	.fd = clipx11_fd,
	.dispatch = clipx11_dispatch,
	.publish = clipx11_publish,
	.cancel = clipx11_cancel,
	.timeout = clipx11_timeout,
};
