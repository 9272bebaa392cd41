/* codec.h: RustDesk's length prefix (PROTOCOL.md §1.2). */
#ifndef CDESK_CODEC_H
#define CDESK_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define CODEC_HDR_MAX	4
#define CODEC_LEN_MAX	0x3FFFFFFFu	/* largest length the format holds */
/* Default caps: frames before login are small; after, a 4K key frame fits. */
#define CODEC_PRELOGIN_MAX	(16u * 1024)
#define CODEC_DEFAULT_MAX	(64u * 1024 * 1024)

/*
 * Writes the shortest header for a payload of len bytes into hdr. Returns
 * the header length (1-4), or 0 if len > CODEC_LEN_MAX.
 */
size_t	codec_hdr_encode(uint8_t hdr[CODEC_HDR_MAX], size_t len);

/*
 * Incremental decoder step over the first n bytes of a stream.
 * Returns 0 when more bytes are needed to know the frame, ERR_TOOBIG when the
 * declared payload exceeds max (checked before any body arrives), or 1 when
 * a frame header is known: *hdr_len and *payload_len are set, and the whole
 * frame is complete when n >= *hdr_len + *payload_len. Non-minimal headers are
 * accepted, as upstream does.
 */
int	codec_hdr_decode(const uint8_t *p, size_t n, size_t max,
	    size_t *hdr_len, size_t *payload_len);

/*
 * Takes one complete frame from (p, n). Returns 0 need more, a negative
 * ERR_* when the stream is bad, or the number of bytes consumed; then
 * *payload points into p (borrowed) and *payload_len is its length.
 */
int	codec_frame(const uint8_t *p, size_t n, size_t max,
	    const uint8_t **payload, size_t *payload_len);

#endif
