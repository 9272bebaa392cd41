/* clip_img.c: clipboard images, PNG <-> RGBA <-> DIB (clip_img.h). */
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "server/svc/clip_img.h"
#include "server/svc/svc_clip.h"

#define DIB_HDR		40	/* BITMAPINFOHEADER */
#define DIB_V5_HDR	124	/* BITMAPV5HEADER */
#define DIB_RGB		0	/* BI_RGB */
#define DIB_BITFIELDS	3	/* BI_BITFIELDS */
#define DIB_SRGB	0x73524742u	/* LCS_sRGB: 'sRGB' */

static uint32_t
get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

/* Whether w x h RGBA fits the clipboard's bound. */
static int
img_fits(uint32_t w, uint32_t h)
{
	return w > 0 && h > 0 && (uint64_t)w * h * 4 <= SVC_CLIP_ITEM_MAX;
}

/* Checks BI_BITFIELDS masks (at p) are the usual BGR(A) ones. */
static int
dib_masks_ok(const uint8_t *p)
{
	return get32(p) == 0x00ff0000 && get32(p + 4) == 0x0000ff00 &&
	    get32(p + 8) == 0x000000ff;
}

int
clip_img_dib_to_rgba(const uint8_t *dib, size_t len, uint8_t **rgba,
    uint32_t *w, uint32_t *h)
{
	uint32_t hdr, comp, clr, x, y, iw, ih, bpp, any_alpha = 0;
	int32_t sw, sh;
	uint64_t off, stride;
	uint8_t *o;

	*rgba = NULL;
	*w = *h = 0;
	if (len < DIB_HDR || (hdr = get32(dib)) < DIB_HDR || hdr > len)
		return ERR_INVAL;
	sw = (int32_t)get32(dib + 4);
	sh = (int32_t)get32(dib + 8);
	bpp = dib[14] | dib[15] << 8;
	comp = get32(dib + 16);
	clr = get32(dib + 32);
	if (sw <= 0 || sh == 0 || sh == INT32_MIN)
		return ERR_INVAL;
	iw = sw;
	ih = sh < 0 ? -sh : sh;
	if (bpp != 24 && bpp != 32)
		return ERR_UNSUPP;
	if (!img_fits(iw, ih))
		return ERR_TOOBIG;
	off = hdr;
	if (comp == DIB_BITFIELDS) {
		if (bpp != 32)
			return ERR_UNSUPP;
		if (hdr == DIB_HDR) {
			if (len < DIB_HDR + 12)
				return ERR_INVAL;
			if (!dib_masks_ok(dib + DIB_HDR))
				return ERR_UNSUPP;
			off += 12;
		} else if (hdr < 52 || !dib_masks_ok(dib + DIB_HDR))
			return ERR_UNSUPP;
	} else if (comp != DIB_RGB)
		return ERR_UNSUPP;
	if (clr > 256)
		return ERR_INVAL;
	off += (uint64_t)clr * 4;	/* an optional colour table */
	stride = ((uint64_t)iw * bpp + 31) / 32 * 4;
	if (off > len || stride * ih > len - off)
		return ERR_INVAL;
	o = xmalloc((size_t)iw * ih * 4);
	for (y = 0; y < ih; y++) {
		const uint8_t *row = dib + off + stride *
		    (sh < 0 ? y : ih - 1 - y);

		for (x = 0; x < iw; x++) {
			const uint8_t *s = row + (size_t)x * (bpp / 8);
			uint8_t *d = o + ((size_t)y * iw + x) * 4;

			d[0] = s[2];
			d[1] = s[1];
			d[2] = s[0];
			d[3] = bpp == 32 ? s[3] : 255;
			any_alpha |= d[3];
		}
	}
	if (bpp == 32 && any_alpha == 0)
		for (x = 0; x < iw * ih; x++)
			o[(size_t)x * 4 + 3] = 255;
	*rgba = o;
	*w = iw;
	*h = ih;
	return 0;
}

int
clip_img_rgba_to_dib(const uint8_t *rgba, uint32_t w, uint32_t h, int v5,
    uint8_t **dib, size_t *len)
{
	size_t hdr = v5 ? DIB_V5_HDR : DIB_HDR, n;
	uint32_t x, y;
	uint8_t *p, *px;

	*dib = NULL;
	*len = 0;
	if (!img_fits(w, h))
		return ERR_TOOBIG;
	n = (size_t)w * h * 4;
	p = xcalloc(1, hdr + n);
	put32(p, hdr);
	put32(p + 4, w);
	put32(p + 8, h);		/* bottom-up: what readers expect */
	put16(p + 12, 1);
	put16(p + 14, 32);
	put32(p + 16, v5 ? DIB_BITFIELDS : DIB_RGB);
	put32(p + 20, n);
	if (v5) {
		put32(p + 40, 0x00ff0000);
		put32(p + 44, 0x0000ff00);
		put32(p + 48, 0x000000ff);
		put32(p + 52, 0xff000000);
		put32(p + 56, DIB_SRGB);
		put32(p + 108, 4);	/* LCS_GM_IMAGES */
	}
	px = p + hdr;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			const uint8_t *s = rgba + ((size_t)y * w + x) * 4;
			uint8_t *d = px + ((size_t)(h - 1 - y) * w + x) * 4;

			d[0] = s[2];
			d[1] = s[1];
			d[2] = s[0];
			d[3] = s[3];
		}
	*dib = p;
	*len = hdr + n;
	return 0;
}

int
clip_img_png_to_rgba(const uint8_t *png, size_t len, uint8_t **rgba,
    uint32_t *w, uint32_t *h)
{
	png_image im;

	*rgba = NULL;
	*w = *h = 0;
	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&im, png, len))
		return ERR_CODEC;
	if (!img_fits(im.width, im.height)) {
		png_image_free(&im);
		return ERR_TOOBIG;
	}
	im.format = PNG_FORMAT_RGBA;
	*rgba = xmalloc((size_t)im.width * im.height * 4);
	if (!png_image_finish_read(&im, NULL, *rgba, 0, NULL)) {
		png_image_free(&im);
		free(*rgba);
		*rgba = NULL;
		return ERR_CODEC;
	}
	*w = im.width;
	*h = im.height;
	return 0;
}

int
clip_img_rgba_to_png(const uint8_t *rgba, uint32_t w, uint32_t h,
    uint8_t **png, size_t *len)
{
	png_image im;
	png_alloc_size_t n = 0;

	*png = NULL;
	*len = 0;
	if (!img_fits(w, h))
		return ERR_TOOBIG;
	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	im.width = w;
	im.height = h;
	im.format = PNG_FORMAT_RGBA;
	if (!png_image_write_get_memory_size(im, n, 0, rgba, 0, NULL))
		return ERR_CODEC;
	*png = xmalloc(n);
	if (!png_image_write_to_memory(&im, *png, &n, 0, rgba, 0, NULL)) {
		free(*png);
		*png = NULL;
		return ERR_CODEC;
	}
	*len = n;
	return 0;
}
