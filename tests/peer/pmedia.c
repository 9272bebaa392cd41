/*
 * pmedia.c: what the test peer keeps of cursor shapes and clipboard
 * images, for tests that compare their pixels. Session command:
 *   keep DIR             from now on, write each CursorData's RGBA to
 *                        DIR/cursor-<id>.rgba and each clipboard image to
 *                        DIR/clip-<n>.png (ImagePng) or .rgba (ImageRgba)
 * Events: CURSOR <id> <w>x<h> hot=<x>,<y> (a CursorData), CURSORID <id>,
 * CLIPIMG <png|rgba> <bytes> [<path>] (an image entry of a clipboard).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "common/xmalloc.h"
#include "tests/peer/peer.h"

#define PMEDIA_MAX	(64u * 1024 * 1024)

static char pmedia_dir[900];
static unsigned pmedia_nclip;

/* Writes n bytes to path; 0 or -1. */
static int
pmedia_write(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int r = 0;

	if (f == NULL)
		return -1;
	if (fwrite(p, 1, n, f) != n)
		r = -1;
	if (fclose(f) != 0)
		r = -1;
	return r;
}

/* zstd-decompresses p (one frame); *n its size. NULL on failure. */
static uint8_t *
pmedia_unzstd(const uint8_t *p, size_t len, size_t *n)
{
	unsigned long long want = ZSTD_getFrameContentSize(p, len);
	uint8_t *out;

	if (want == ZSTD_CONTENTSIZE_ERROR || want == ZSTD_CONTENTSIZE_UNKNOWN ||
	    want > PMEDIA_MAX)
		return NULL;
	out = xmalloc(want + 1);
	*n = ZSTD_decompress(out, want + 1, p, len);
	if (ZSTD_isError(*n)) {
		free(out);
		return NULL;
	}
	return out;
}

/* A CursorData: print it, keep its pixels. */
static void
pmedia_cursor(const Hbb__CursorData *cd)
{
	char path[1024];
	uint8_t *rgba;
	size_t n = 0;

	printf("CURSOR %llu %dx%d hot=%d,%d\n", (unsigned long long)cd->id,
	    cd->width, cd->height, cd->hotx, cd->hoty);
	if (pmedia_dir[0] == '\0')
		return;
	rgba = pmedia_unzstd(cd->colors.data, cd->colors.len, &n);
	if (rgba == NULL || n != (size_t)cd->width * cd->height * 4)
		printf("CURSORERROR %llu bad colours\n",
		    (unsigned long long)cd->id);
	else {
		snprintf(path, sizeof path, "%s/cursor-%llu.rgba", pmedia_dir,
		    (unsigned long long)cd->id);
		if (pmedia_write(path, rgba, n) != 0)
			printf("CURSORERROR cannot write %s\n", path);
	}
	free(rgba);
}

/* One clipboard entry: an image is printed and kept. */
static void
pmedia_clip(const Hbb__Clipboard *c)
{
	const char *ext;
	char path[1024] = "";
	uint8_t *dec = NULL;
	const uint8_t *p = c->content.data;
	size_t n = c->content.len;

	if (c->format == HBB__CLIPBOARD_FORMAT__ImagePng)
		ext = "png";
	else if (c->format == HBB__CLIPBOARD_FORMAT__ImageRgba)
		ext = "rgba";
	else
		return;
	if (c->compress) {
		if ((dec = pmedia_unzstd(p, n, &n)) == NULL) {
			printf("CLIPIMG %s (bad zstd)\n", ext);
			return;
		}
		p = dec;
	}
	if (pmedia_dir[0] != '\0') {
		snprintf(path, sizeof path, "%s/clip-%u.%s", pmedia_dir,
		    ++pmedia_nclip, ext);
		if (pmedia_write(path, p, n) != 0)
			snprintf(path, sizeof path, "(cannot write)");
	}
	printf("CLIPIMG %s %zu %s\n", ext, n, path);
	free(dec);
}

int
pmedia_command(const char *line)
{
	if (strncmp(line, "keep ", 5) != 0)
		return 0;
	snprintf(pmedia_dir, sizeof pmedia_dir, "%s", line + 5);
	printf("KEEP %s\n", pmedia_dir);
	return 1;
}

int
pmedia_event(const Hbb__Message *m)
{
	size_t i;

	switch (m->union_case) {
	case HBB__MESSAGE__UNION_CURSOR_DATA:
		pmedia_cursor(m->cursor_data);
		return 1;
	case HBB__MESSAGE__UNION_CURSOR_ID:
		printf("CURSORID %llu\n", (unsigned long long)m->cursor_id);
		return 1;
	case HBB__MESSAGE__UNION_CLIPBOARD:
		pmedia_clip(m->clipboard);
		return 0;	/* main.c prints its text */
	case HBB__MESSAGE__UNION_MULTI_CLIPBOARDS:
		for (i = 0; i < m->multi_clipboards->n_clipboards; i++)
			pmedia_clip(m->multi_clipboards->clipboards[i]);
		return 0;
	default:
		return 0;
	}
}
