/*
 * clip_img.h: clipboard images between the wire's PNG (svc_clip.h,
 * CLIP_FMT_PNG) and the device-independent bitmaps of the Windows
 * clipboard (CF_DIB, CF_DIBV5), through straight RGBA. Portable (no
 * windows.h: the headers are read and written byte by byte), so that it is
 * unit-tested and fuzzed on Linux; server/win/clip_win.c uses it.
 *
 * Every image is bounded like a clipboard item: width × height × 4 at
 * most SVC_CLIP_ITEM_MAX bytes, either way.
 */
#ifndef CDESK_CLIP_IMG_H
#define CDESK_CLIP_IMG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads a packed DIB (a BITMAPINFOHEADER, V4 or V5 header, the masks or
 * colour table it announces, then the rows; top-down or bottom-up) of 24
 * or 32 bits a pixel, BI_RGB or BI_BITFIELDS with the usual masks. A
 * 32-bit image whose alpha bytes are all 0 is opaque (most programs leave
 * them so); else alpha is taken as straight. Returns 0 with *rgba (caller
 * frees; w*h*4 bytes), *w, *h, or ERR_INVAL (malformed, short),
 * ERR_TOOBIG or ERR_UNSUPP (other depths, compressions or masks).
 */
int	clip_img_dib_to_rgba(const uint8_t *dib, size_t len, uint8_t **rgba,
	    uint32_t *w, uint32_t *h);

/*
 * Writes w x h RGBA as a packed 32-bit bottom-up DIB: v5 0, a
 * BITMAPINFOHEADER with BI_RGB (CF_DIB; the alpha byte kept); v5 1, a
 * BITMAPV5HEADER with BI_BITFIELDS and an alpha mask, sRGB (CF_DIBV5).
 * Returns 0 with *dib (caller frees) and *len, or ERR_TOOBIG.
 */
int	clip_img_rgba_to_dib(const uint8_t *rgba, uint32_t w, uint32_t h,
	    int v5, uint8_t **dib, size_t *len);

/*
 * Decodes a PNG file to straight RGBA. Returns 0 with *rgba (caller
 * frees), *w, *h, or ERR_CODEC (not a PNG libpng reads) / ERR_TOOBIG.
 */
int	clip_img_png_to_rgba(const uint8_t *png, size_t len, uint8_t **rgba,
	    uint32_t *w, uint32_t *h);

/* Encodes w x h RGBA as a PNG file. Returns 0 with *png (caller frees)
 * and *len, or ERR_CODEC / ERR_TOOBIG. */
int	clip_img_rgba_to_png(const uint8_t *rgba, uint32_t w, uint32_t h,
	    uint8_t **png, size_t *len);

#endif
