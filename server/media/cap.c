/* cap.c: what every capture backend shares (cap.h). */
#include <string.h>

#include "server/media/cap.h"

/* See cap.h. */
int
cap_rect_clip(const struct cap_rect *a, const struct cap_rect *b,
    struct cap_rect *out)
{
	int x0 = a->x > b->x ? a->x : b->x;
	int y0 = a->y > b->y ? a->y : b->y;
	int x1 = a->x + a->w < b->x + b->w ? a->x + a->w : b->x + b->w;
	int y1 = a->y + a->h < b->y + b->h ? a->y + a->h : b->y + b->h;

	memset(out, 0, sizeof *out);
	if (x1 <= x0 || y1 <= y0)
		return 0;
	out->x = x0;
	out->y = y0;
	out->w = x1 - x0;
	out->h = y1 - y0;
	return 1;
}
