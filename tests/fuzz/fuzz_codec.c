/*
 * fuzz_codec.c: libFuzzer target for the length prefix. Takes frames off
 * the input until "need more" or an error, under a cap picked by the first
 * byte, and checks what codec_frame() promises; then round-trips a length.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/codec.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Take frames off (p, n) and check each outcome against the header. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = { 0, 63, CODEC_PRELOGIN_MAX,
	    CODEC_DEFAULT_MAX, CODEC_LEN_MAX };
	const uint8_t *p, *payload;
	uint8_t hdr[CODEC_HDR_MAX];
	size_t n, max, plen, h, l, len;
	int r, rh;

	if (size == 0)
		return 0;
	max = caps[data[0] % (sizeof caps / sizeof caps[0])];
	p = data + 1;
	n = size - 1;
	for (;;) {
		rh = codec_hdr_decode(p, n, max, &h, &l);
		r = codec_frame(p, n, max, &payload, &plen);
		if (rh == 1 && (h < 1 || h > CODEC_HDR_MAX || h > n ||
		    l > max))
			abort();
		if (r <= 0) {
			if (r < 0 && (r != ERR_TOOBIG || rh != ERR_TOOBIG))
				abort();
			if (r == 0 && rh == 1 && n - h >= l)
				abort();
			break;
		}
		if (rh != 1 || (size_t)r != h + l || (size_t)r > n ||
		    payload != p + h || plen != l)
			abort();
		p += r;
		n -= (size_t)r;
	}

	/* The shortest header for a length from the input decodes back. */
	len = 0;
	for (h = 1; h < size && h <= 4; h++)
		len = (len << 8) | data[h];
	len &= CODEC_LEN_MAX;
	if ((h = codec_hdr_encode(hdr, len)) == 0)
		abort();
	if (codec_hdr_decode(hdr, h, CODEC_LEN_MAX, &h, &l) != 1 || l != len)
		abort();
	return 0;
}
