/*
 * svc_clip.h: the clipboard service (PROTOCOL.md §9.2, HOST.md §5.5).
 *
 * Watches the X CLIPBOARD selection (XFixes owner notify) and sends every
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
 * Everything runs on the main loop (the X connection's fd is a libevent
 * event); no threads. Permission checks are the caller's: subscribe only
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
 * when c->compress (bounded by SVC_CLIP_ITEM_MAX), RGBA checked
 * (width × height × 4 == length) and turned into PNG. On success returns 0,
 * *fmt is the format the data now has (Text, Html, Rtf, ImagePng,
 * ImageSvg) and *data (caller frees) / *len the bytes. Returns ERR_INVAL,
 * ERR_TOOBIG, ERR_UNSUPP (Special and unknown formats) or ERR_CODEC.
 * Used by svc_clip_set and by the fuzz target.
 */
int	svc_clip_decode_item(const Hbb__Clipboard *c, int *fmt,
	    uint8_t **data, size_t *len);

/*
 * Whether a client gets MultiClipboards (PROTOCOL.md §14): version ≥ 1.3.0,
 * Android ≥ 1.3.3, never iOS or an empty platform. Arguments may be NULL.
 */
int	svc_clip_peer_multi(const char *peer_version,
	    const char *peer_platform);

#endif
