/*
 * test_clip_img.c: the portable halves of the Windows clipboard images and
 * cursors (server/svc/clip_img.c, cursor_mask.c). RGBA survives
 * RGBA -> CF_DIB -> RGBA, RGBA -> CF_DIBV5 -> RGBA and RGBA -> PNG ->
 * RGBA; top-down and 24-bit DIBs and all-zero alpha read right; short,
 * odd or oversized DIBs are refused. A monochrome cursor's AND/XOR
 * planes and a colour one with and without alpha become the RGBA
 * cursor_mask.h promises.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "server/svc/clip_img.h"
#include "server/svc/cursor_mask.h"
#include "tests/tst.h"

#define W	7
#define H	5

static void
fill(uint8_t *rgba)
{
	int i;

	for (i = 0; i < W * H; i++) {
		rgba[i * 4] = i * 7;
		rgba[i * 4 + 1] = 255 - i;
		rgba[i * 4 + 2] = i * 3;
		rgba[i * 4 + 3] = i % 3 == 0 ? 255 : i * 5;
	}
}

static void
test_roundtrips(void)
{
	uint8_t rgba[W * H * 4], *dib, *back, *png;
	size_t len;
	uint32_t w, h;
	int v5;

	fill(rgba);
	for (v5 = 0; v5 <= 1; v5++) {
		ASSERT_INT_EQ(clip_img_rgba_to_dib(rgba, W, H, v5, &dib, &len),
		    0);
		ASSERT_INT_EQ(len, (v5 ? 124 : 40) + W * H * 4);
		ASSERT_INT_EQ(clip_img_dib_to_rgba(dib, len, &back, &w, &h),
		    0);
		ASSERT_INT_EQ(w, W);
		ASSERT_INT_EQ(h, H);
		ASSERT_TRUE(memcmp(back, rgba, sizeof rgba) == 0);
		free(back);
		/* Cut anywhere: refused, never read past the end. */
		ASSERT_INT_EQ(clip_img_dib_to_rgba(dib, len - 1, &back, &w,
		    &h), ERR_INVAL);
		ASSERT_INT_EQ(clip_img_dib_to_rgba(dib, 39, &back, &w, &h),
		    ERR_INVAL);
		ASSERT_TRUE(back == NULL);
		free(dib);
	}
	ASSERT_INT_EQ(clip_img_rgba_to_png(rgba, W, H, &png, &len), 0);
	ASSERT_INT_EQ(clip_img_png_to_rgba(png, len, &back, &w, &h), 0);
	ASSERT_INT_EQ(w, W);
	ASSERT_INT_EQ(h, H);
	ASSERT_TRUE(memcmp(back, rgba, sizeof rgba) == 0);
	free(back);
	ASSERT_INT_EQ(clip_img_png_to_rgba(png, len / 2, &back, &w, &h),
	    ERR_CODEC);
	free(png);
	ASSERT_INT_EQ(clip_img_rgba_to_png(rgba, 5000, 5000, &png, &len),
	    ERR_TOOBIG);
}

/* A 2x2 24-bit top-down DIB (rows padded to 8 bytes), and a 32-bit one
 * whose alpha is all 0 (opaque), and what is refused. */
static void
test_variants(void)
{
	uint8_t d[40 + 16], *back;
	uint32_t w, h;

	memset(d, 0, sizeof d);
	d[0] = 40;
	d[4] = 2;
	d[8] = 0xfe;		/* -2: top-down */
	d[9] = d[10] = d[11] = 0xff;
	d[12] = 1;
	d[14] = 24;
	d[40] = 1; d[41] = 2; d[42] = 3;	/* B G R of (0,0) */
	d[48 + 3] = 9;				/* B of (1,1) */
	ASSERT_INT_EQ(clip_img_dib_to_rgba(d, sizeof d, &back, &w, &h), 0);
	ASSERT_INT_EQ(w, 2);
	ASSERT_INT_EQ(h, 2);
	ASSERT_INT_EQ(back[0], 3);
	ASSERT_INT_EQ(back[1], 2);
	ASSERT_INT_EQ(back[2], 1);
	ASSERT_INT_EQ(back[3], 255);
	ASSERT_INT_EQ(back[14], 9);
	free(back);
	d[14] = 8;		/* palette images are not read */
	ASSERT_INT_EQ(clip_img_dib_to_rgba(d, sizeof d, &back, &w, &h),
	    ERR_UNSUPP);
	d[14] = 32;		/* 2x2x4 = 16 bytes, alpha all 0 */
	d[51] = 0;
	ASSERT_INT_EQ(clip_img_dib_to_rgba(d, sizeof d, &back, &w, &h), 0);
	ASSERT_INT_EQ(back[3], 255);
	ASSERT_INT_EQ(back[15], 255);
	free(back);
	d[16] = 1;		/* BI_RLE8 */
	ASSERT_INT_EQ(clip_img_dib_to_rgba(d, sizeof d, &back, &w, &h),
	    ERR_UNSUPP);
	d[16] = 0;
	d[4] = 0; d[5] = 0x80;	/* 32768 x 2: still small enough */
	ASSERT_INT_EQ(clip_img_dib_to_rgba(d, sizeof d, &back, &w, &h),
	    ERR_INVAL);
	d[6] = 0x10;		/* 1 M x 2: over the bound */
	d[8] = 0; d[9] = d[10] = d[11] = 0; d[9] = 0x40;
	ASSERT_INT_EQ(clip_img_dib_to_rgba(d, sizeof d, &back, &w, &h),
	    ERR_TOOBIG);
}

static void
test_cursor_mask(void)
{
	/* 8x2 monochrome: AND rows then XOR rows, one byte each. */
	const uint8_t mono[4] = { 0x0f, 0xf0, 0x33, 0x0f };
	/* 2x1 colour without alpha: mask 10, colours red and blue. */
	const uint8_t cmask[1] = { 0x80 }, cbgra[8] = { 0, 0, 255, 0,
	    255, 0, 0, 0 };
	const uint8_t abgra[8] = { 0, 0, 255, 128, 255, 0, 0, 0 };
	uint8_t o[8 * 2 * 4];

	ASSERT_INT_EQ(cursor_mask_rgba(mono, 1, NULL, 8, 2, o), 2 + 0);
	/* row 0: AND 00001111, XOR 00110011 */
	ASSERT_INT_EQ(o[0 * 4 + 3], 255);	/* 0,0: black */
	ASSERT_INT_EQ(o[0 * 4], 0);
	ASSERT_INT_EQ(o[2 * 4], 255);		/* 0,1: white */
	ASSERT_INT_EQ(o[2 * 4 + 3], 255);
	ASSERT_INT_EQ(o[4 * 4 + 3], 0);		/* 1,0: transparent */
	ASSERT_INT_EQ(o[6 * 4], 0);		/* 1,1: invert: black */
	ASSERT_INT_EQ(o[6 * 4 + 3], 255);
	ASSERT_INT_EQ(cursor_mask_rgba(cmask, 1, cbgra, 2, 1, o), 1);
	ASSERT_INT_EQ(o[3], 255);	/* masked red: inverting -> black */
	ASSERT_INT_EQ(o[0], 0);
	ASSERT_INT_EQ(o[4 + 2], 255);	/* blue, opaque */
	ASSERT_INT_EQ(o[4 + 3], 255);
	ASSERT_INT_EQ(cursor_mask_rgba(cmask, 1, abgra, 2, 1, o), 0);
	ASSERT_INT_EQ(o[0], 255);	/* alpha wins over the mask */
	ASSERT_INT_EQ(o[3], 128);
	ASSERT_INT_EQ(o[7], 0);
	ASSERT_TRUE(cursor_mask_id(2, 1, 0, 0, o) !=
	    cursor_mask_id(2, 1, 1, 0, o));
}

int
main(void)
{
	test_roundtrips();
	test_variants();
	test_cursor_mask();
	printf("ok\n");
	return 0;
}
