/*
 * winmedia.c: a Windows program for tests/integration/win_media.sh (built
 * with mingw-w64, run under wine): the clipboard of another program.
 *
 *   winmedia setclip IN W H   puts IN (W*H*4 bytes of RGBA) on the
 *                         clipboard as a 32-bit bottom-up CF_DIB, prints SET
 *   winmedia getclip OUT SECS W H  waits up to SECS s for a W x H image
 *                         (CF_DIB) on the clipboard, writes its pixels to
 *                         OUT as RGBA (32-bit: alpha as is; 24-bit:
 *                         opaque) and prints "GOT W H dibv5=0|1 png=0|1"
 *                         (whether CF_DIBV5 and "PNG" are offered too), or
 *                         "NONE"
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes n bytes to path. */
static int
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* Puts W x H RGBA from path on the clipboard as CF_DIB. */
static int
do_setclip(const char *path, int w, int h)
{
	size_t n = (size_t)w * h * 4;
	BYTE *rgba = malloc(n), *p;
	BITMAPINFOHEADER *bi;
	FILE *f = fopen(path, "rb");
	HGLOBAL g;
	int x, y;

	if (f == NULL || rgba == NULL || fread(rgba, 1, n, f) != n)
		return 1;
	fclose(f);
	g = GlobalAlloc(GMEM_MOVEABLE, sizeof *bi + n);
	if (g == NULL || (bi = GlobalLock(g)) == NULL)
		return 1;
	memset(bi, 0, sizeof *bi);
	bi->biSize = sizeof *bi;
	bi->biWidth = w;
	bi->biHeight = h;		/* bottom-up, as most programs do */
	bi->biPlanes = 1;
	bi->biBitCount = 32;
	bi->biCompression = BI_RGB;
	bi->biSizeImage = n;
	p = (BYTE *)(bi + 1);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			const BYTE *s = rgba + ((size_t)y * w + x) * 4;
			BYTE *d = p + ((size_t)(h - 1 - y) * w + x) * 4;

			d[0] = s[2];
			d[1] = s[1];
			d[2] = s[0];
			d[3] = s[3];
		}
	GlobalUnlock(g);
	if (!OpenClipboard(NULL))
		return 1;
	EmptyClipboard();
	if (SetClipboardData(CF_DIB, g) == NULL)
		return 1;
	CloseClipboard();
	printf("SET\n");
	fflush(stdout);
	return 0;
}

/* Writes the clipboard's DIB, if it is want_w x want_h, as RGBA; 0 done,
 * 1 none yet, 2 failed. */
static int
read_dib(const char *out, int want_w, int want_h)
{
	const BITMAPINFOHEADER *bi;
	const BYTE *p;
	BYTE *rgba;
	HANDLE h;
	int w, ht, x, y, bpp, r = 2;
	size_t stride;

	if (!IsClipboardFormatAvailable(CF_DIB) || !OpenClipboard(NULL))
		return 1;
	if ((h = GetClipboardData(CF_DIB)) == NULL ||
	    (bi = GlobalLock(h)) == NULL) {
		CloseClipboard();
		return 1;
	}
	w = bi->biWidth;
	ht = bi->biHeight < 0 ? -bi->biHeight : bi->biHeight;
	bpp = bi->biBitCount;
	if (w != want_w || ht != want_h) {
		GlobalUnlock(h);
		CloseClipboard();
		return 1;
	}
	stride = (((size_t)w * bpp + 31) / 32) * 4;
	p = (const BYTE *)bi + bi->biSize +
	    (bi->biCompression == BI_BITFIELDS && bi->biSize == 40 ? 12 : 0);
	if ((bpp == 24 || bpp == 32) && w > 0 && ht > 0 &&
	    (rgba = malloc((size_t)w * ht * 4)) != NULL) {
		for (y = 0; y < ht; y++)
			for (x = 0; x < w; x++) {
				int row = bi->biHeight < 0 ? y : ht - 1 - y;
				const BYTE *s = p + row * stride + x * (bpp / 8);
				BYTE *d = rgba + ((size_t)y * w + x) * 4;

				d[0] = s[2];
				d[1] = s[1];
				d[2] = s[0];
				d[3] = bpp == 32 ? s[3] : 255;
			}
		if (write_file(out, rgba, (size_t)w * ht * 4) == 0) {
			printf("GOT %d %d dibv5=%d png=%d\n", w, ht,
			    IsClipboardFormatAvailable(CF_DIBV5) ? 1 : 0,
			    IsClipboardFormatAvailable(
			    RegisterClipboardFormatA("PNG")) ? 1 : 0);
			r = 0;
		}
		free(rgba);
	}
	GlobalUnlock(h);
	CloseClipboard();
	return r;
}

int
main(int argc, char **argv)
{
	int i, r;

	if (argc == 5 && strcmp(argv[1], "setclip") == 0)
		return do_setclip(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 6 && strcmp(argv[1], "getclip") == 0) {
		for (i = 0; i < atoi(argv[3]) * 10; i++) {
			if ((r = read_dib(argv[2], atoi(argv[4]),
			    atoi(argv[5]))) != 1)
				return r;
			Sleep(100);
		}
		printf("NONE\n");
		return 1;
	}
	fprintf(stderr, "usage: winmedia setclip IN W H | "
	    "getclip OUT SECS W H\n");
	return 2;
}
