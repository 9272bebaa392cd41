/*
 * test_svc_cursor.c: cursor shapes and positions on the Xvfb of make
 * check: a known 16x16 two-colour cursor arrives as CursorData with the
 * right RGBA pixels, comes back as cursor_id once known, and pointer moves
 * arrive as CursorPosition except to the sink that moved it; after a move
 * to another display the shape is sent whole again. Followers hear where
 * the pointer is after each CursorPosition, and, asking for the focused
 * window, where its centre is (_NET_ACTIVE_WINDOW), once at first and
 * again when it moves.
 */
#include <zstd.h>

#include "common/err.h"
#include "server/svc/svc_cursor.h"
#include "tests/unit/vtest.h"

struct csink {
	struct svc_sink	 sink;
	int		 data, ids, pos;
	uint64_t	 last_id;
	int		 x, y;
	int		 w, h, hotx, hoty;
	uint8_t		 rgba[16 * 16 * 4];
	int		 at_pointer, at_window;	/* follow callbacks */
	int		 fx, fy;
};

/* The follow callback: counts and keeps the last place. */
static void
csink_follow(void *ctx, int what, int x, int y)
{
	struct csink *s = ctx;

	if (what == SVC_CURSOR_AT_POINTER)
		s->at_pointer++;
	else {
		ASSERT_INT_EQ(what, SVC_CURSOR_AT_WINDOW);
		s->at_window++;
	}
	s->fx = x;
	s->fy = y;
}

/* The _NET_ACTIVE_WINDOW atom. */
static xcb_atom_t
make_atom(struct vx *vx)
{
	xcb_intern_atom_reply_t *r;
	xcb_atom_t a;

	r = xcb_intern_atom_reply(vx->c, xcb_intern_atom(vx->c, 0, 18,
	    "_NET_ACTIVE_WINDOW"), NULL);
	ASSERT_TRUE(r != NULL);
	a = r->atom;
	free(r);
	return a;
}

/* Makes a 100x60 window at (x, y) and names it the focused one. */
static xcb_window_t
make_focused(struct vx *vx, int x, int y)
{
	xcb_window_t w = xcb_generate_id(vx->c);

	xcb_create_window(vx->c, XCB_COPY_FROM_PARENT, w, vx->root, x, y, 100,
	    60, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT, XCB_COPY_FROM_PARENT, 0,
	    NULL);
	xcb_map_window(vx->c, w);
	xcb_change_property(vx->c, XCB_PROP_MODE_REPLACE, vx->root,
	    make_atom(vx), XCB_ATOM_WINDOW, 32, 1, &w);
	vx_sync(vx);
	return w;
}

/* Moves a window. */
static void
move_window(struct vx *vx, xcb_window_t w, int x, int y)
{
	uint32_t v[2] = { (uint32_t)x, (uint32_t)y };

	xcb_configure_window(vx->c, w, XCB_CONFIG_WINDOW_X |
	    XCB_CONFIG_WINDOW_Y, v);
	vx_sync(vx);
}

/* Records cursor messages. */
static void
csink_send(void *ctx, struct msgbuf *b, enum svc_queue q)
{
	struct csink *s = ctx;
	Hbb__Message *m;
	size_t n;

	ASSERT_INT_EQ(q, SVC_Q_CONTROL);
	m = hbb__message__unpack(NULL, b->len, b->data);
	ASSERT_TRUE(m != NULL);
	switch (m->union_case) {
	case HBB__MESSAGE__UNION_CURSOR_DATA:
		s->data++;
		s->last_id = m->cursor_data->id;
		s->w = m->cursor_data->width;
		s->h = m->cursor_data->height;
		s->hotx = m->cursor_data->hotx;
		s->hoty = m->cursor_data->hoty;
		if (s->w == 16 && s->h == 16) {
			n = ZSTD_decompress(s->rgba, sizeof s->rgba,
			    m->cursor_data->colors.data,
			    m->cursor_data->colors.len);
			ASSERT_INT_EQ(n, sizeof s->rgba);
		}
		break;
	case HBB__MESSAGE__UNION_CURSOR_ID:
		s->ids++;
		s->last_id = m->cursor_id;
		break;
	case HBB__MESSAGE__UNION_CURSOR_POSITION:
		s->pos++;
		s->x = m->cursor_position->x;
		s->y = m->cursor_position->y;
		break;
	default:
		TST_FAIL("unexpected message %d", m->union_case);
	}
	hbb__message__free_unpacked(m, NULL);
}

/* Never backed up. */
static size_t
csink_backlog(void *ctx, enum svc_queue q)
{
	(void)ctx;
	(void)q;
	return 0;
}

/* Makes a 16x16 cursor: red where the left half, blue on the right. */
static xcb_cursor_t
make_cursor(struct vx *x)
{
	xcb_pixmap_t src, mask;
	xcb_gcontext_t gc;
	xcb_rectangle_t all = { 0, 0, 16, 16 }, left = { 0, 0, 8, 16 };
	xcb_cursor_t cur;
	uint32_t v;

	src = xcb_generate_id(x->c);
	mask = xcb_generate_id(x->c);
	xcb_create_pixmap(x->c, 1, src, x->root, 16, 16);
	xcb_create_pixmap(x->c, 1, mask, x->root, 16, 16);
	gc = xcb_generate_id(x->c);
	v = 0;
	xcb_create_gc(x->c, gc, src, XCB_GC_FOREGROUND, &v);
	xcb_poly_fill_rectangle(x->c, src, gc, 1, &all);
	v = 1;
	xcb_change_gc(x->c, gc, XCB_GC_FOREGROUND, &v);
	xcb_poly_fill_rectangle(x->c, src, gc, 1, &left);
	xcb_poly_fill_rectangle(x->c, mask, gc, 1, &all);
	cur = xcb_generate_id(x->c);
	/* Foreground red (source bit 1), background blue. */
	xcb_create_cursor(x->c, cur, src, mask, 0xffff, 0, 0, 0, 0, 0xffff,
	    3, 5);
	xcb_free_gc(x->c, gc);
	xcb_free_pixmap(x->c, src);
	xcb_free_pixmap(x->c, mask);
	return cur;
}

/* Sets the root window's cursor (the pointer is over the root). */
static void
set_root_cursor(struct vx *x, xcb_cursor_t cur)
{
	xcb_change_window_attributes(x->c, x->root, XCB_CW_CURSOR, &cur);
	vx_sync(x);
}

int
main(void)
{
	struct event_base *base;
	struct svc_cursor *sc;
	struct svc_cursor_stats st;
	struct csink a, b;
	struct vx vx;
	xcb_cursor_t cur;
	xcb_window_t win;
	uint64_t id;

	base = vt_base();
	vx_open(&vx);
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.sink.ctx = &a;
	a.sink.conn_id = 1;
	a.sink.send = csink_send;
	a.sink.backlog = csink_backlog;
	b.sink = a.sink;
	b.sink.ctx = &b;
	b.sink.conn_id = 2;
	xcb_warp_pointer(vx.c, XCB_NONE, vx.root, 0, 0, 0, 0, 50, 50);
	vx_sync(&vx);
	ASSERT_INT_EQ(svc_cursor_new(base, NULL, &sc), 0);
	ASSERT_INT_EQ(svc_cursor_subscribe(sc, &a.sink, 0), ERR_INVAL);
	/* Subscribing sends the current shape. */
	ASSERT_INT_EQ(svc_cursor_subscribe(sc, &a.sink, SVC_CURSOR_F_SHAPE |
	    SVC_CURSOR_F_POSITION), 0);
	ASSERT_INT_EQ(svc_cursor_subscribe(sc, &b.sink,
	    SVC_CURSOR_F_POSITION), 0);
	ASSERT_INT_EQ(a.data, 1);
	ASSERT_INT_EQ(b.data, 0);
	vt_loop(base, 150);
	ASSERT_INT_GE(a.pos, 1);
	ASSERT_INT_EQ(a.x, 50);
	ASSERT_INT_EQ(a.y, 50);

	/* A new shape: CursorData with our pixels. */
	cur = make_cursor(&vx);
	set_root_cursor(&vx, cur);
	vt_loop(base, 200);
	ASSERT_INT_EQ(a.data, 2);
	ASSERT_INT_EQ(a.w, 16);
	ASSERT_INT_EQ(a.h, 16);
	ASSERT_INT_EQ(a.hotx, 3);
	ASSERT_INT_EQ(a.hoty, 5);
	/* Left half red, right half blue, all opaque. */
	ASSERT_INT_EQ(a.rgba[(5 * 16 + 2) * 4 + 0], 255);
	ASSERT_INT_EQ(a.rgba[(5 * 16 + 2) * 4 + 2], 0);
	ASSERT_INT_EQ(a.rgba[(5 * 16 + 2) * 4 + 3], 255);
	ASSERT_INT_EQ(a.rgba[(5 * 16 + 12) * 4 + 0], 0);
	ASSERT_INT_EQ(a.rgba[(5 * 16 + 12) * 4 + 2], 255);
	ASSERT_INT_EQ(a.rgba[(5 * 16 + 12) * 4 + 3], 255);
	ASSERT_INT_EQ(b.data + b.ids, 0);
	id = a.last_id;

	/* Back to the default and again ours: only its id the second time. */
	set_root_cursor(&vx, XCB_NONE);
	vt_loop(base, 200);
	set_root_cursor(&vx, cur);
	vt_loop(base, 200);
	ASSERT_INT_EQ(a.last_id, id);
	ASSERT_INT_GE(a.ids, 1);
	svc_cursor_stats(sc, &st);
	ASSERT_INT_EQ(st.shapes, 2);

	/* b moves the pointer itself: a hears of it, b does not. */
	a.pos = b.pos = 0;
	svc_cursor_input(sc, b.sink.conn_id);
	xcb_warp_pointer(vx.c, XCB_NONE, vx.root, 0, 0, 0, 0, 200, 100);
	vx_sync(&vx);
	vt_loop(base, 150);
	ASSERT_INT_EQ(a.pos, 1);
	ASSERT_INT_EQ(a.x, 200);
	ASSERT_INT_EQ(a.y, 100);
	ASSERT_INT_EQ(b.pos, 0);
	/* Later moves reach b too. */
	vt_loop(base, 300);
	xcb_warp_pointer(vx.c, XCB_NONE, vx.root, 0, 0, 0, 0, 300, 100);
	vx_sync(&vx);
	vt_loop(base, 150);
	ASSERT_INT_EQ(b.pos, 1);
	ASSERT_INT_EQ(b.x, 300);

	/* Moved away and back (another X server: its serials): the shape
	 * goes out as CursorData again, never as a bare id. */
	ASSERT_INT_EQ(svc_cursor_move(sc, NULL), 0);
	a.pos = b.pos = 0;
	xcb_warp_pointer(vx.c, XCB_NONE, vx.root, 0, 0, 0, 0, 310, 110);
	vx_sync(&vx);
	vt_loop(base, 150);
	ASSERT_INT_EQ(a.pos + b.pos, 0);
	ASSERT_INT_EQ(svc_cursor_move(sc, ":65000"), ERR_IO);
	a.data = a.ids = 0;
	ASSERT_INT_EQ(svc_cursor_move(sc, getenv("DISPLAY")), 0);
	ASSERT_INT_EQ(a.data, 1);
	ASSERT_INT_EQ(a.ids, 0);
	ASSERT_INT_EQ(a.last_id, id);
	ASSERT_INT_EQ(b.data + b.ids, 0);
	vt_loop(base, 150);
	ASSERT_INT_EQ(a.x, 310);
	ASSERT_INT_GE(b.pos, 1);

	/* Follow remote cursor: a hears where the pointer went. */
	svc_cursor_set_follow(sc, a.sink.conn_id, csink_follow);
	svc_cursor_set_follow(sc, 99, csink_follow);	/* nobody: ignored */
	xcb_warp_pointer(vx.c, XCB_NONE, vx.root, 0, 0, 0, 0, 320, 120);
	vx_sync(&vx);
	vt_loop_until(base, &a.at_pointer, 1, 2000);
	ASSERT_INT_EQ(a.at_pointer, 1);
	ASSERT_INT_EQ(a.fx, 320);
	ASSERT_INT_EQ(a.fy, 120);
	ASSERT_INT_EQ(a.at_window, 0);

	/* Follow remote window: b asks, hears the centre at once, then again
	 * only when the window moves. */
	win = make_focused(&vx, 400, 200);
	ASSERT_INT_EQ(svc_cursor_subscribe(sc, &b.sink, SVC_CURSOR_F_FOCUS),
	    0);
	svc_cursor_set_follow(sc, b.sink.conn_id, csink_follow);
	vt_loop_until(base, &b.at_window, 1, 2000);
	ASSERT_INT_EQ(b.at_window, 1);
	ASSERT_INT_EQ(b.fx, 450);
	ASSERT_INT_EQ(b.fy, 230);
	vt_loop(base, 150);
	ASSERT_INT_EQ(b.at_window, 1);
	move_window(&vx, win, 600, 300);
	vt_loop_until(base, &b.at_window, 2, 2000);
	ASSERT_INT_EQ(b.at_window, 2);
	ASSERT_INT_EQ(b.fx, 650);
	ASSERT_INT_EQ(b.fy, 330);
	ASSERT_INT_EQ(a.at_window, 0);
	/* The shared display has no focused window again. */
	xcb_destroy_window(vx.c, win);
	xcb_delete_property(vx.c, vx.root, make_atom(&vx));
	vx_sync(&vx);

	svc_cursor_unsubscribe(sc, a.sink.conn_id);
	svc_cursor_unsubscribe(sc, b.sink.conn_id);
	svc_cursor_unsubscribe(sc, b.sink.conn_id);
	set_root_cursor(&vx, XCB_NONE);
	xcb_free_cursor(vx.c, cur);
	svc_cursor_free(sc);
	svc_cursor_free(NULL);
	xcb_disconnect(vx.c);
	event_base_free(base);
	libevent_global_shutdown();
	return 0;
}
