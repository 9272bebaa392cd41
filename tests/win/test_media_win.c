/*
 * test_media_win.c: the cursor service over its Windows backend
 * (server/win/cursor_win.c), run under wine by
 * tests/integration/win_media.sh (built by make win). Wine reads only the
 * cursors of its own process (GetIconInfo refuses another's handle), so
 * the cursors are this program's: a window of ours is in front and we set
 * its cursor. A monochrome CreateCursor cursor arrives as CursorData with
 * the RGBA and hotspot it should give (inverting pixels opaque black); a
 * 32-bit colour cursor with alpha (CreateIconIndirect) keeps its straight
 * RGBA; going back to the first brings its id only; SetCursorPos brings a
 * CursorPosition.
 */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <zstd.h>

#include "server/svc/svc_cursor.h"
#include "tests/tst.h"

#define MW	32
#define MH	32
#define CW	16
#define CH	16

/* What the sink saw. */
struct seen {
	int		 data, ids, pos;
	uint64_t	 id, last_id;
	int		 w, h, hotx, hoty, x, y;
	uint8_t		 rgba[MW * MH * 4];
};

static void
sink_send(void *ctx, struct msgbuf *b, enum svc_queue q)
{
	struct seen *s = ctx;
	Hbb__Message *m;
	size_t n;

	ASSERT_INT_EQ(q, SVC_Q_CONTROL);
	m = hbb__message__unpack(NULL, b->len, b->data);
	ASSERT_TRUE(m != NULL);
	if (m->union_case == HBB__MESSAGE__UNION_CURSOR_DATA) {
		Hbb__CursorData *cd = m->cursor_data;

		s->data++;
		s->id = cd->id;
		s->w = cd->width;
		s->h = cd->height;
		s->hotx = cd->hotx;
		s->hoty = cd->hoty;
		memset(s->rgba, 0xee, sizeof s->rgba);
		if ((size_t)cd->width * cd->height * 4 <= sizeof s->rgba) {
			n = ZSTD_decompress(s->rgba, sizeof s->rgba,
			    cd->colors.data, cd->colors.len);
			ASSERT_INT_EQ(n, (size_t)cd->width * cd->height * 4);
		}
	} else if (m->union_case == HBB__MESSAGE__UNION_CURSOR_ID) {
		s->ids++;
		s->last_id = m->cursor_id;
	} else if (m->union_case == HBB__MESSAGE__UNION_CURSOR_POSITION) {
		s->pos++;
		s->x = m->cursor_position->x;
		s->y = m->cursor_position->y;
	}
	hbb__message__free_unpacked(m, NULL);
}

static size_t
sink_backlog(void *ctx, enum svc_queue q)
{
	(void)ctx;
	(void)q;
	return 0;
}

/* Runs the loop and the window's messages until *counter passes was, at
 * most 5 s; returns whether it did. */
static int
run_until(struct event_base *base, const int *counter, int was)
{
	MSG m;
	int i;

	for (i = 0; i < 500 && *counter <= was; i++) {
		while (PeekMessageA(&m, NULL, 0, 0, PM_REMOVE))
			DispatchMessageA(&m);
		event_base_loop(base, EVLOOP_NONBLOCK);
		Sleep(10);
	}
	return *counter > was;
}

/* The monochrome cursor: planes and the RGBA it should give. */
static HCURSOR
mono_cursor(uint8_t *want)
{
	BYTE and_bits[MW * MH / 8], xor_bits[MW * MH / 8];
	int x, y;

	memset(and_bits, 0, sizeof and_bits);
	memset(xor_bits, 0, sizeof xor_bits);
	for (y = 0; y < MH; y++)
		for (x = 0; x < MW; x++) {
			int and = y >= 24 && x != y;
			int xor = x >= 16 && !(y >= 24 && x != y);
			uint8_t *o = want + (y * MW + x) * 4;

			if (x >= 20 && x < 28 && y >= 8 && y < 16)
				and = xor = 1;	/* inverting */
			if (and)
				and_bits[y * MW / 8 + x / 8] |= 0x80 >> (x & 7);
			if (xor)
				xor_bits[y * MW / 8 + x / 8] |= 0x80 >> (x & 7);
			o[0] = o[1] = o[2] = xor && !and ? 255 : 0;
			o[3] = and && !xor ? 0 : 255;
		}
	return CreateCursor(GetModuleHandleA(NULL), 5, 7, MW, MH, and_bits,
	    xor_bits);
}

/* The colour cursor: 32-bit BGRA with alpha, and its straight RGBA. */
static HCURSOR
color_cursor(uint8_t *want)
{
	BITMAPV5HEADER bi;
	ICONINFO ii;
	HBITMAP color, mask;
	uint8_t *bits;
	HDC dc = GetDC(NULL);
	HCURSOR c;
	int x, y;

	memset(&bi, 0, sizeof bi);
	bi.bV5Size = sizeof bi;
	bi.bV5Width = CW;
	bi.bV5Height = -CH;
	bi.bV5Planes = 1;
	bi.bV5BitCount = 32;
	bi.bV5Compression = BI_BITFIELDS;
	bi.bV5RedMask = 0x00ff0000;
	bi.bV5GreenMask = 0x0000ff00;
	bi.bV5BlueMask = 0x000000ff;
	bi.bV5AlphaMask = 0xff000000;
	color = CreateDIBSection(dc, (BITMAPINFO *)&bi, DIB_RGB_COLORS,
	    (void **)&bits, NULL, 0);
	ReleaseDC(NULL, dc);
	ASSERT_TRUE(color != NULL);
	for (y = 0; y < CH; y++)
		for (x = 0; x < CW; x++) {
			uint8_t *p = bits + (y * CW + x) * 4;
			uint8_t *o = want + (y * CW + x) * 4;

			o[0] = x * 16;
			o[1] = y * 16;
			o[2] = 200;
			o[3] = x < 8 ? 255 : (y < 8 ? 0 : 128);
			p[0] = o[2];
			p[1] = o[1];
			p[2] = o[0];
			p[3] = o[3];
		}
	mask = CreateBitmap(CW, CH, 1, 1, NULL);
	memset(&ii, 0, sizeof ii);
	ii.fIcon = FALSE;
	ii.xHotspot = 3;
	ii.yHotspot = 2;
	ii.hbmMask = mask;
	ii.hbmColor = color;
	c = CreateIconIndirect(&ii);
	DeleteObject(color);
	DeleteObject(mask);
	return c;
}

/* A window of ours in front, so that its thread's cursor is shown. */
static HWND
front_window(void)
{
	WNDCLASSA wc;
	HWND hwnd;

	memset(&wc, 0, sizeof wc);
	wc.lpfnWndProc = DefWindowProcA;
	wc.hInstance = GetModuleHandleA(NULL);
	wc.lpszClassName = "test_media_win";
	RegisterClassA(&wc);
	hwnd = CreateWindowExA(WS_EX_TOPMOST, wc.lpszClassName, "t",
	    WS_POPUP, 100, 100, 400, 300, NULL, NULL, wc.hInstance, NULL);
	ASSERT_TRUE(hwnd != NULL);
	ShowWindow(hwnd, SW_SHOW);
	SetForegroundWindow(hwnd);
	UpdateWindow(hwnd);
	return hwnd;
}

static void
test_cursor(void)
{
	static uint8_t want_m[MW * MH * 4], want_c[CW * CH * 4];
	static struct seen s;
	struct svc_sink sink = { &s, 1, sink_send, sink_backlog };
	struct svc_cursor_stats st;
	struct event_base *base = event_base_new();
	struct svc_cursor *sc;
	HCURSOR mono, color;
	uint64_t mono_id;
	HWND hwnd;
	int was;

	ASSERT_TRUE(base != NULL);
	hwnd = front_window();
	ASSERT_TRUE((mono = mono_cursor(want_m)) != NULL);
	ASSERT_TRUE((color = color_cursor(want_c)) != NULL);
	SetCursorPos(300, 250);
	SetCursor(mono);
	ASSERT_INT_EQ(svc_cursor_new(base, NULL, &sc), 0);
	ASSERT_INT_EQ(svc_cursor_subscribe(sc, &sink, SVC_CURSOR_F_SHAPE |
	    SVC_CURSOR_F_POSITION), 0);
	/* The shape on screen comes at once; poll until it is ours. */
	ASSERT_INT_GE(s.data, 1);
	while (s.w != MW && run_until(base, &s.data, s.data))
		;
	ASSERT_INT_EQ(s.w, MW);
	ASSERT_INT_EQ(s.h, MH);
	ASSERT_INT_EQ(s.hotx, 5);
	ASSERT_INT_EQ(s.hoty, 7);
	ASSERT_TRUE(memcmp(s.rgba, want_m, sizeof want_m) == 0);
	mono_id = s.id;
	printf("monochrome 32x32 cursor: id %llu, pixels as they should be\n",
	    (unsigned long long)mono_id);

	was = s.data;
	SetCursor(color);
	ASSERT_TRUE(run_until(base, &s.data, was));
	ASSERT_INT_EQ(s.w, CW);
	ASSERT_INT_EQ(s.h, CH);
	ASSERT_INT_EQ(s.hotx, 3);
	ASSERT_INT_EQ(s.hoty, 2);
	ASSERT_TRUE(memcmp(s.rgba, want_c, sizeof want_c) == 0);
	ASSERT_TRUE(s.id != mono_id);
	printf("colour 16x16 cursor with alpha: straight RGBA as set\n");

	was = s.ids;
	SetCursor(mono);
	ASSERT_TRUE(run_until(base, &s.ids, was));
	ASSERT_TRUE(s.last_id == mono_id);
	printf("back to the first: cursor_id %llu only\n",
	    (unsigned long long)s.last_id);

	was = s.pos;
	SetCursorPos(321, 234);
	ASSERT_TRUE(run_until(base, &s.pos, was));
	while (!(s.x == 321 && s.y == 234) && run_until(base, &s.pos, s.pos))
		;
	ASSERT_INT_EQ(s.x, 321);
	ASSERT_INT_EQ(s.y, 234);
	svc_cursor_stats(sc, &st);
	printf("position 321,234 sent; %llu shapes packed, %llu data, "
	    "%llu ids\n", (unsigned long long)st.shapes,
	    (unsigned long long)st.data_sent, (unsigned long long)st.id_sent);
	svc_cursor_unsubscribe(sc, 1);
	svc_cursor_free(sc);
	DestroyWindow(hwnd);
	DestroyCursor(mono);
	DestroyCursor(color);
	event_base_free(base);
}

int
main(void)
{
	WSADATA wsa;

	ASSERT_INT_EQ(WSAStartup(MAKEWORD(2, 2), &wsa), 0);
	test_cursor();
	printf("ok\n");
	return 0;
}
