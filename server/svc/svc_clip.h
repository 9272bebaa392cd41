/*
 * svc_clip.h: the clipboard service (PROTOCOL.md §9.2, HOST.md §5.5).
 *
 * Through its platform backend (struct clip_impl below; X11: clip_x11.c)
 * it watches the X CLIPBOARD selection (XFixes owner notify) and sends every
 * change, as text, HTML, RTF, PNG and SVG, to each subscribed sink:
 * MultiClipboards to clients that understand it, a single text Clipboard to
 * older ones. Clipboard/MultiClipboards from a peer become the host's
 * selection: the service owns CLIPBOARD and answers SelectionRequests
 * (TARGETS, UTF8_STRING, TEXT, STRING, text/plain, text/html, text/rtf,
 * image/png, image/svg+xml; INCR above SVC_CLIP_CHUNK bytes).
 *
 * No echo: a selection the service owns is never sent to anyone; content a
 * peer set goes to the other subscribers only.
 *
 * Everything runs on the main loop (the backend's fd, the X connection's,
 * is a libevent event); no threads. Permission checks are the caller's: subscribe only
 * peers that may receive the clipboard, and call svc_clip_set* only for
 * peers that may write it.
 */
#ifndef CDESK_SVC_CLIP_H
#define CDESK_SVC_CLIP_H

#include <stddef.h>
#include <stdint.h>

#include "message.pb-c.h"
#include "server/svc/svc.h"

struct event_base;
struct svc_clip;

/* Largest item accepted either way (decompressed), bytes. */
#define SVC_CLIP_ITEM_MAX	(32u * 1024 * 1024)
/* Entries in one MultiClipboards: upstream sends one per format. */
#define SVC_CLIP_ENTRIES_MAX	16
/* Largest piece written to an X property at once; bigger items use INCR. */
#define SVC_CLIP_CHUNK		(256u * 1024)

/*
 * Connects to the X display (NULL = $DISPLAY) and starts watching CLIPBOARD.
 * base is borrowed and must outlive the service. Returns 0 and sets *out,
 * or ERR_IO (no display) / ERR_UNSUPP (no XFixes); *out is NULL on error.
 */
int	svc_clip_new(struct event_base *base, const char *display,
	    struct svc_clip **out);
/* Stops watching and frees everything; NULL does nothing. */
void	svc_clip_free(struct svc_clip *);
/*
 * Watches another display's clipboard (the desktop session changed;
 * display borrowed, NULL: none). What the service published on the old
 * display is dropped with its connection; subscribers stay and get the
 * new display's changes. Without a display svc_clip_set* return ERR_IO.
 * Returns 0, or ERR_IO / ERR_UNSUPP / ERR_NOMEM (logged; then as with
 * NULL).
 */
int	svc_clip_move(struct svc_clip *, const char *display);

/*
 * Subscribes a sink: it receives each later host clipboard change.
 * peer_version is the client's LoginRequest.version ("1.3.2"), peer_platform
 * its my_platform ("Windows", "Android", ...); both borrowed, copied, may be
 * NULL. They choose MultiClipboards or a text-only Clipboard. sink is
 * borrowed until svc_clip_unsubscribe. Subscribing a conn_id again replaces
 * the old sink. Returns 0.
 */
int	svc_clip_subscribe(struct svc_clip *, const struct svc_sink *sink,
	    const char *peer_version, const char *peer_platform);
/* Removes the sink of conn_id at once (nothing more is sent to it). */
void	svc_clip_unsubscribe(struct svc_clip *, uint32_t conn_id);
/* Number of subscribed sinks. */
size_t	svc_clip_count(const struct svc_clip *);

/*
 * Makes a peer's clipboard the host selection and forwards it to every
 * other subscriber (never back to conn_id). c is borrowed. Returns 0,
 * ERR_INVAL / ERR_TOOBIG for content that fails validation (nothing
 * changes), ERR_UNSUPP when no entry is usable, ERR_IO if X refused.
 */
int	svc_clip_set(struct svc_clip *, uint32_t conn_id,
	    const Hbb__Clipboard *c);
/* The same for MultiClipboards: every usable entry becomes one target. */
int	svc_clip_set_multi(struct svc_clip *, uint32_t conn_id,
	    const Hbb__MultiClipboards *m);

/*
 * Decodes and validates one peer Clipboard entry without touching X: zstd
 * when c->compress, RGBA checked (width × height × 4 == length) and turned
 * into PNG; at most max bytes decoded (svc_clip_set allows
 * SVC_CLIP_ITEM_MAX for all entries of a message together). On success
 * returns 0, *fmt is the format the data now has (Text, Html, Rtf,
 * ImagePng, ImageSvg) and *data (caller frees) / *len the bytes. Returns
 * ERR_INVAL, ERR_TOOBIG, ERR_UNSUPP (Special and unknown formats) or
 * ERR_CODEC. svc_clip_set decodes so; exported for the tests and the fuzz
 * target.
 */
int	svc_clip_decode_item(const Hbb__Clipboard *c, size_t max, int *fmt,
	    uint8_t **data, size_t *len);

/*
 * Whether a client gets MultiClipboards (PROTOCOL.md §14): version ≥ 1.3.0,
 * Android ≥ 1.3.3, never iOS or an empty platform. Arguments may be NULL.
 */
int	svc_clip_peer_multi(const char *peer_version,
	    const char *peer_platform);

/*
 * The platform under the service: a table of function pointers over an
 * opaque struct clip_be, one per platform (clip_x11.c: the CLIPBOARD
 * selection through XFixes). The backend reads the clipboard when another
 * application sets it and serves what the service publishes; the service
 * keeps the subscribers, the wire formats, zstd and PNG. All on the main
 * loop.
 */

/* The formats carried, in the order they go into a MultiClipboards. */
enum clip_fmt {
	CLIP_FMT_TEXT = 0,	/* UTF-8, no final NUL */
	CLIP_FMT_HTML,		/* UTF-8 */
	CLIP_FMT_RTF,
	CLIP_FMT_PNG,		/* a PNG file */
	CLIP_FMT_SVG,
	CLIP_FMT_N
};

/* Immutable bytes shared by the service and the backend. */
struct clip_blob {
	int		 refs;		/* main loop only */
	size_t		 len;
	uint8_t		 data[];
};

/* A blob of n bytes copied from p (p NULL: uninitialised, to be filled and
 * then len set, at most n) with one reference. Never NULL. */
struct clip_blob *clip_blob_new(const void *p, size_t n);
/* Adds a reference; returns b. */
struct clip_blob *clip_blob_ref(struct clip_blob *b);
/* Drops a reference, freeing on the last; NULL does nothing. */
void	clip_blob_unref(struct clip_blob *b);

/* What a backend calls back (arg is the service). */
struct clip_hooks {
	void	*arg;
	/* Whether host changes are wanted at all (someone subscribed). */
	int	(*wanted)(void *arg);
	/* Another application's clipboard was read: one blob per format,
	 * NULL where absent (borrowed for the call). */
	void	(*changed)(void *arg,
		    struct clip_blob *const items[CLIP_FMT_N]);
	/* Arms the backend's timer to fire in secs seconds (again: replaces
	 * the earlier deadline); secs 0 disarms it. When it fires, the
	 * service calls clip_impl.timeout. */
	void	(*timer)(void *arg, int secs);
};

struct clip_be;

struct clip_impl {
	const char	*name;
	/*
	 * Connects to the display named by `where` (X11: a $DISPLAY string;
	 * NULL means the environment's) and starts watching the clipboard.
	 * hooks is copied. Returns 0 and *bep (free with close), or ERR_IO
	 * (no display), ERR_UNSUPP (no change notices) or ERR_NOMEM.
	 */
	int	(*open)(const char *where, const struct clip_hooks *hooks,
		    struct clip_be **bep);
	/* Frees everything without calling a hook; NULL does nothing. */
	void	(*close)(struct clip_be *);
	/* A descriptor that becomes readable when dispatch has work. */
	int	(*fd)(struct clip_be *);
	/* Handles whatever is pending, calling the hooks. Returns 0, or
	 * ERR_IO when the connection is lost for good. */
	int	(*dispatch)(struct clip_be *);
	/*
	 * Takes the clipboard and serves items (one per format, NULL where
	 * absent; borrowed: the backend takes references of its own) until
	 * another application takes it; that content is never reported back
	 * through changed. Cancels a read in progress. Returns 0 or ERR_IO
	 * (the clipboard was not taken). Leaves work the fd may not signal:
	 * call dispatch soon.
	 */
	int	(*publish)(struct clip_be *,
		    struct clip_blob *const items[CLIP_FMT_N]);
	/* Abandons a read in progress (nobody wants it any more). */
	void	(*cancel)(struct clip_be *);
	/* The timer armed through hooks.timer fired: report what a slow read
	 * has so far. */
	void	(*timeout)(struct clip_be *);
};

extern const struct clip_impl clip_x11;

#endif
