/*
 * stamp.h: reading what shared/bench/painter.c leaves for a viewer
 * (header-only, for the test peer and tests/bin/video_bench):
 * - the 32-bit frame counter stamped in the top-left corner: bit i is the
 *   8x8 block i of row 0 (white = 1), row 1 holds its complement;
 * - its log of "counter t_submit_ns t_done_ns" lines, ended by "# frames=".
 */
#ifndef CDESK_STAMP_H
#define CDESK_STAMP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The counter in a luma plane of w x h, or -1 when it does not read. */
static inline int64_t
stamp_read(const uint8_t *y, int stride, int w, int h)
{
	uint32_t v = 0;
	int bit, a, b;

	if (w < 256 || h < 16)
		return -1;
	for (bit = 0; bit < 32; bit++) {
		a = y[4 * stride + bit * 8 + 4];
		b = y[12 * stride + bit * 8 + 4];
		if ((a > 128) == (b > 128))
			return -1;
		if (a > 128)
			v |= 1u << bit;
	}
	return v;
}

/*
 * Waits (up to 20 s) for the painter to finish its log, then returns a new
 * array of max entries (caller frees) holding t_done (CLOCK_MONOTONIC ns)
 * per counter, 0 where unknown; *n is one past the highest counter read.
 */
static inline uint64_t *
stamp_log_read(const char *path, uint32_t max, uint32_t *n)
{
	unsigned long long sub, done;
	char line[256];
	uint64_t *t;
	unsigned c;
	FILE *f;
	int complete = 0, tries;

	for (tries = 0; tries < 200 && !complete; tries++) {
		if ((f = fopen(path, "r")) != NULL) {
			while (fgets(line, sizeof line, f) != NULL)
				if (strncmp(line, "# frames=", 9) == 0)
					complete = 1;
			fclose(f);
		}
		if (!complete)
			usleep(100000);
	}
	t = calloc(max, sizeof *t);
	*n = 0;
	if (t == NULL || (f = fopen(path, "r")) == NULL)
		return t;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%u %llu %llu", &c, &sub, &done) == 3 &&
		    c < max) {
			t[c] = done;
			if (c + 1 > *n)
				*n = c + 1;
		}
	fclose(f);
	return t;
}

#endif
