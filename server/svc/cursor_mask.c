/* cursor_mask.c: Windows cursor bitmaps to RGBA (cursor_mask.h). */
#include <string.h>

#include "server/svc/cursor_mask.h"

/* Bit x of a mask row. */
static int
mask_bit(const uint8_t *row, int x)
{
	return (row[x >> 3] >> (7 - (x & 7))) & 1;
}

/* Whether any pixel of the colour bitmap has alpha. */
static int
has_alpha(const uint8_t *bgra, int w, int h)
{
	size_t i, n = (size_t)w * h;

	for (i = 0; i < n; i++)
		if (bgra[i * 4 + 3] != 0)
			return 1;
	return 0;
}

size_t
cursor_mask_rgba(const uint8_t *mask, size_t mask_stride,
    const uint8_t *bgra, int w, int h, uint8_t *rgba)
{
	int x, y, alpha = bgra != NULL && has_alpha(bgra, w, h);
	size_t inverted = 0;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			const uint8_t *and_row = mask + (size_t)y * mask_stride;
			uint8_t *o = rgba + ((size_t)y * w + x) * 4;
			const uint8_t *c;
			int and = mask_bit(and_row, x), xor;

			if (bgra == NULL) {
				xor = mask_bit(mask + (size_t)(y + h) *
				    mask_stride, x);
				memset(o, xor && !and ? 255 : 0, 3);
				o[3] = and && !xor ? 0 : 255;
				inverted += and && xor;
				continue;
			}
			c = bgra + ((size_t)y * w + x) * 4;
			o[0] = c[2];
			o[1] = c[1];
			o[2] = c[0];
			o[3] = c[3];
			if (alpha)
				continue;
			o[3] = and ? 0 : 255;
			if (and && (c[0] | c[1] | c[2])) {
				memset(o, 0, 3);
				o[3] = 255;
				inverted++;
			}
		}
	return inverted;
}

uint64_t
cursor_mask_id(int w, int h, int hotx, int hoty, const uint8_t *rgba)
{
	uint64_t v = 14695981039346656037ull;
	int32_t head[4] = { w, h, hotx, hoty };
	const uint8_t *p = (const uint8_t *)head;
	size_t i, n = (size_t)w * h * 4;

	for (i = 0; i < sizeof head; i++)
		v = (v ^ p[i]) * 1099511628211ull;
	for (i = 0; i < n; i++)
		v = (v ^ rgba[i]) * 1099511628211ull;
	return v;
}
