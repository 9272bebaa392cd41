/*
 * cursor_win.c: the cursor service's Windows backend (svc_cursor.h,
 * struct cursor_impl). Windows sends no notice when the cursor changes:
 * while some sink wants shapes, a 50 ms timer compares GetCursorInfo's
 * handle with the last one (and the service's position tick, 33 ms,
 * does the same); nothing runs while nobody watches. A new handle's
 * bitmaps come from GetIconInfo and GetDIBits (a 1-bit mask, and 32-bit
 * colour for colour cursors) and become RGBA in cursor_mask.c. The id is
 * a hash of the picture, not the handle: a destroyed cursor's handle may
 * come back for another picture, and the client caches by id.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/svc/cursor_mask.h"
#include "server/svc/svc_cursor.h"

#define CURSOR_WIN_POLL_MS	50

struct cursor_be {
	struct cursor_hooks	 hooks;
	struct event		*ev_poll;	/* owned */
	HCURSOR			 seen;		/* handle poll saw last */
	int			 seen_any;
	HCURSOR			 have;		/* handle of img */
	int			 have_any;
	uint64_t		 id;		/* img's */
	struct cursor_img	 img;		/* owned rgba */
};

/* The cursor on screen: its handle, NULL when hidden. */
static int
cursor_win_handle(HCURSOR *h)
{
	CURSORINFO ci;

	memset(&ci, 0, sizeof ci);
	ci.cbSize = sizeof ci;
	if (!GetCursorInfo(&ci))
		return ERR_IO;
	*h = (ci.flags & CURSOR_SHOWING) ? ci.hCursor : NULL;
	return 0;
}

/* A bitmap's bits as a top-down DIB of bpp bits a pixel; NULL on
 * failure. *stride is the row length in bytes. */
static uint8_t *
cursor_win_bits(HDC dc, HBITMAP bm, int w, int h, int bpp, size_t *stride)
{
	struct {
		BITMAPINFOHEADER	hdr;
		RGBQUAD			pal[2];
	} bi;
	uint8_t *p;

	*stride = (((size_t)w * bpp + 31) / 32) * 4;
	memset(&bi, 0, sizeof bi);
	bi.hdr.biSize = sizeof bi.hdr;
	bi.hdr.biWidth = w;
	bi.hdr.biHeight = -h;		/* top row first */
	bi.hdr.biPlanes = 1;
	bi.hdr.biBitCount = bpp;
	bi.hdr.biCompression = BI_RGB;
	p = xcalloc(h, *stride);
	if (GetDIBits(dc, bm, 0, h, p, (BITMAPINFO *)&bi,
	    DIB_RGB_COLORS) != h) {
		free(p);
		return NULL;
	}
	return p;
}

/* Reads cursor h into img (hidden: one transparent pixel). */
static int
cursor_win_read(HCURSOR h, struct cursor_img *img)
{
	ICONINFO ii = { 0 };
	BITMAP bm;
	HDC dc;
	uint8_t *mask = NULL, *color = NULL;
	size_t mstride, cstride;
	int w, mh, ch, r = ERR_IO;

	memset(img, 0, sizeof *img);
	if (h == NULL) {
		img->width = img->height = 1;
		img->rgba = xcalloc(1, 4);
		return 0;
	}
	if (!GetIconInfo(h, &ii))
		return ERR_IO;
	if (ii.hbmMask == NULL || !GetObjectA(ii.hbmMask, sizeof bm, &bm) ||
	    (dc = GetDC(NULL)) == NULL)
		goto out;
	w = bm.bmWidth;
	mh = bm.bmHeight;
	ch = ii.hbmColor != NULL ? mh : mh / 2;
	if (w <= 0 || ch <= 0)
		goto rel;
	if ((mask = cursor_win_bits(dc, ii.hbmMask, w, mh, 1,
	    &mstride)) == NULL || (ii.hbmColor != NULL &&
	    (color = cursor_win_bits(dc, ii.hbmColor, w, ch, 32,
	    &cstride)) == NULL))
		goto rel;
	img->rgba = xmalloc((size_t)w * ch * 4);
	cursor_mask_rgba(mask, mstride, color, w, ch, img->rgba);
	img->width = w;
	img->height = ch;
	img->hotx = ii.xHotspot;
	img->hoty = ii.yHotspot;
	r = 0;
rel:
	ReleaseDC(NULL, dc);
out:
	free(mask);
	free(color);
	if (ii.hbmMask != NULL)
		DeleteObject(ii.hbmMask);
	if (ii.hbmColor != NULL)
		DeleteObject(ii.hbmColor);
	return r;
}

/* Crops img's bigger sides to SVC_CURSOR_DIM_MAX. */
static void
cursor_win_crop(struct cursor_img *img)
{
	int w = img->width < SVC_CURSOR_DIM_MAX ? img->width :
	    SVC_CURSOR_DIM_MAX;
	int h = img->height < SVC_CURSOR_DIM_MAX ? img->height :
	    SVC_CURSOR_DIM_MAX;
	int y;

	if (w == img->width && h == img->height)
		return;
	for (y = 0; y < h; y++)
		memmove(img->rgba + (size_t)y * w * 4,
		    img->rgba + (size_t)y * img->width * 4, (size_t)w * 4);
	img->width = w;
	img->height = h;
}

/* Tells the service when the handle on screen is not the last seen. */
static void
cursor_win_poll(struct cursor_be *be)
{
	HCURSOR h;

	if (cursor_win_handle(&h) != 0 || (be->seen_any && h == be->seen))
		return;
	be->seen = h;
	be->seen_any = 1;
	be->hooks.changed(be->hooks.arg);
}

/* The poll timer. */
static void
cursor_win_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	cursor_win_poll(arg);
}

/* Frees everything; NULL does nothing. */
static void
cursor_win_close(struct cursor_be *be)
{
	if (be == NULL)
		return;
	if (be->ev_poll != NULL)
		event_free(be->ev_poll);
	free(be->img.rgba);
	free(be);
}

/* One cursor per desktop: where is ignored. */
static int
cursor_win_open(struct event_base *base, const char *where,
    const struct cursor_hooks *hooks, struct cursor_be **bep)
{
	struct cursor_be *be;
	HCURSOR h;

	(void)where;
	*bep = NULL;
	if (cursor_win_handle(&h) != 0)
		return ERR_UNSUPP;
	be = xcalloc(1, sizeof *be);
	be->hooks = *hooks;
	be->ev_poll = event_new(base, -1, EV_PERSIST, cursor_win_cb, be);
	if (be->ev_poll == NULL) {
		cursor_win_close(be);
		return ERR_NOMEM;
	}
	*bep = be;
	return 0;
}

/* Polls only while shapes are wanted. */
static void
cursor_win_watch(struct cursor_be *be, int on)
{
	struct timeval tv = { 0, CURSOR_WIN_POLL_MS * 1000 };

	if (on && !event_pending(be->ev_poll, EV_TIMEOUT, NULL))
		event_add(be->ev_poll, &tv);
	else if (!on)
		event_del(be->ev_poll);
}

/* The picture on screen, read again when its handle changed. */
static int
cursor_win_shape_id(struct cursor_be *be, uint64_t *id)
{
	struct cursor_img img;
	HCURSOR h;
	int r;

	if ((r = cursor_win_handle(&h)) != 0)
		return r;
	be->seen = h;
	be->seen_any = 1;
	if (!be->have_any || h != be->have) {
		if ((r = cursor_win_read(h, &img)) != 0) {
			/* Wine refuses another process's cursor. */
			log_debug("cursor: cannot read cursor %p", (void *)h);
			return r;
		}
		cursor_win_crop(&img);
		free(be->img.rgba);
		be->img = img;
		be->have = h;
		be->have_any = 1;
		be->id = cursor_mask_id(img.width, img.height, img.hotx,
		    img.hoty, img.rgba);
	}
	*id = be->id;
	return 0;
}

/* A copy of the picture shape_id read. */
static int
cursor_win_shape_img(struct cursor_be *be, struct cursor_img *img)
{
	size_t n;

	memset(img, 0, sizeof *img);
	if (!be->have_any)
		return ERR_IO;
	*img = be->img;
	n = (size_t)img->width * img->height * 4;
	img->rgba = xmalloc(n);
	memcpy(img->rgba, be->img.rgba, n);
	return 0;
}

/* Where the pointer is on the virtual desktop. */
static int
cursor_win_pointer(struct cursor_be *be, int *x, int *y)
{
	POINT p;

	(void)be;
	if (!GetCursorPos(&p))
		return ERR_IO;
	*x = p.x;
	*y = p.y;
	return 0;
}

/* The centre of the foreground window. */
static int
cursor_win_focus(struct cursor_be *be, int *x, int *y)
{
	HWND w;
	RECT r;

	(void)be;
	if ((w = GetForegroundWindow()) == NULL || !GetWindowRect(w, &r))
		return ERR_NOTFOUND;
	*x = r.left + (r.right - r.left) / 2;
	*y = r.top + (r.bottom - r.top) / 2;
	return 0;
}

const struct cursor_impl cursor_win = {
	.name = "win32",
	.open = cursor_win_open,
	.close = cursor_win_close,
	.watch = cursor_win_watch,
	.poll = cursor_win_poll,
	.shape_id = cursor_win_shape_id,
	.shape_img = cursor_win_shape_img,
	.pointer = cursor_win_pointer,
	.focus = cursor_win_focus,
};
