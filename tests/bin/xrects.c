/*
 * xrects.c: paints rectangles of random size, place and colour straight on
 * the root window of $DISPLAY, one every few milliseconds, so that the
 * screen changes a little at a time in many places (what the encoder's
 * changed-block map must follow). Used by tests/integration/video.sh.
 *
 *   xrects COUNT SEED [INTERVAL_MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <xcb/xcb.h>

int
main(int argc, char **argv)
{
	xcb_connection_t *c;
	xcb_screen_t *scr;
	xcb_gcontext_t gc;
	xcb_rectangle_t r;
	struct timespec ts;
	uint32_t colour;
	int i, n, ms;

	if (argc < 3)
		return 2;
	n = atoi(argv[1]);
	srand((unsigned)atoi(argv[2]));
	ms = argc > 3 ? atoi(argv[3]) : 10;
	if ((c = xcb_connect(NULL, NULL)) == NULL ||
	    xcb_connection_has_error(c)) {
		fprintf(stderr, "xrects: cannot open the display\n");
		return 1;
	}
	scr = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
	gc = xcb_generate_id(c);
	xcb_create_gc(c, gc, scr->root, 0, NULL);
	for (i = 0; i < n; i++) {
		r.width = (uint16_t)(4 + rand() % 120);
		r.height = (uint16_t)(4 + rand() % 80);
		r.x = (int16_t)(rand() % (scr->width_in_pixels - r.width));
		r.y = (int16_t)(rand() % (scr->height_in_pixels - r.height));
		colour = (uint32_t)rand() & 0xffffff;
		xcb_change_gc(c, gc, XCB_GC_FOREGROUND, &colour);
		xcb_poly_fill_rectangle(c, scr->root, gc, 1, &r);
		/* A round trip: the server has drawn it before we sleep. */
		free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c),
		    NULL));
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (long)(ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
	xcb_free_gc(c, gc);
	xcb_disconnect(c);
	return 0;
}
