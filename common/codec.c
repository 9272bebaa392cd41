/* codec.c: RustDesk's 1-4 byte little-endian length prefix. */
#include "common/codec.h"
#include "common/err.h"

/* Write the shortest header for len into hdr; return its size or 0. */
size_t
codec_hdr_encode(uint8_t hdr[CODEC_HDR_MAX], size_t len)
{
	uint32_t v;
	size_t n, i;

	if (len > CODEC_LEN_MAX)
		return 0;
	if (len <= 0x3F)
		n = 1;
	else if (len <= 0x3FFF)
		n = 2;
	else if (len <= 0x3FFFFF)
		n = 3;
	else
		n = 4;
	v = ((uint32_t)len << 2) | (uint32_t)(n - 1);
	for (i = 0; i < n; i++)
		hdr[i] = (uint8_t)(v >> (8 * i));
	return n;
}

/* Decode a frame header; see codec.h for the three outcomes. */
int
codec_hdr_decode(const uint8_t *p, size_t n, size_t max, size_t *hdr_len,
    size_t *payload_len)
{
	uint32_t v = 0;
	size_t h, i, len;

	*hdr_len = 0;
	*payload_len = 0;
	if (n == 0)
		return 0;
	h = (size_t)(p[0] & 3) + 1;
	if (n < h)
		return 0;
	for (i = 0; i < h; i++)
		v |= (uint32_t)p[i] << (8 * i);
	len = v >> 2;
	if (len > max)
		return ERR_TOOBIG;
	*hdr_len = h;
	*payload_len = len;
	return 1;
}

/* Take one complete frame from (p, n); see codec.h. */
int
codec_frame(const uint8_t *p, size_t n, size_t max, const uint8_t **payload,
    size_t *payload_len)
{
	size_t h, len;
	int r;

	*payload = NULL;
	*payload_len = 0;
	if ((r = codec_hdr_decode(p, n, max, &h, &len)) <= 0)
		return r;
	if (n - h < len)
		return 0;
	*payload = p + h;
	*payload_len = len;
	return (int)(h + len);
}
