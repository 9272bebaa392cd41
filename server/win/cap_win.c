/*
 * cap_win.c: screen capture on Windows (cap.h): the monitors from
 * EnumDisplayMonitors; pictures from DXGI Desktop Duplication
 * (cap_dxgi.c) where it can be had, else (and whenever it breaks, until
 * it can be had again) by BitBlt from the desktop's device context, into
 * a top-down 32-bit DIB section (BGRX, as cap.h wants).
 * GDI reports no damage: every poll says "maybe drawn" and grab compares
 * each picture with the previous one of the same rectangle, as the X11
 * backend does without X Damage. Coordinates are the virtual desktop's
 * (the primary monitor's top-left is 0,0; others may be negative).
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/media/cap.h"
#include "server/win/cap_dxgi.h"

struct cap {
	unsigned	 flags;		/* CAP_F_* */
	HDC		 screen;	/* owned: the desktop's DC */
	HDC		 mem;		/* owned: holds dib */
	HBITMAP		 dib;		/* owned: the last grab */
	HGDIOBJ		 old;		/* mem's bitmap before dib */
	uint8_t		*bits;		/* dib's pixels */
	int		 dw, dh;	/* dib's size */
	uint8_t		*prev;		/* owned: the grab before */
	struct cap_rect	 prev_r;	/* what prev holds (w 0: nothing) */
	int		 first_poll;
	int		 vx, vy, vw, vh, nmon;	/* the layout last seen */
	struct dxgi	*dxgi;		/* owned: duplication, or NULL */
	int		 gdi_only;	/* no duplication to be had */
};

/* What EnumDisplayMonitors collects. */
struct win_mons {
	struct cap_display	*d;
	int			 max;
	int			 n;
};

/* Remembers the virtual desktop's geometry and monitor count; returns 1
 * when they differ from what was remembered. */
static int
win_layout(struct cap *cp)
{
	int x = GetSystemMetrics(SM_XVIRTUALSCREEN);
	int y = GetSystemMetrics(SM_YVIRTUALSCREEN);
	int w = GetSystemMetrics(SM_CXVIRTUALSCREEN);
	int h = GetSystemMetrics(SM_CYVIRTUALSCREEN);
	int n = GetSystemMetrics(SM_CMONITORS);
	int changed;

	changed = x != cp->vx || y != cp->vy || w != cp->vw || h != cp->vh ||
	    n != cp->nmon;
	cp->vx = x;
	cp->vy = y;
	cp->vw = w;
	cp->vh = h;
	cp->nmon = n;
	return changed;
}

/* Opens a capture of the desktop (where: ignored, there is one). */
static int
win_open(const char *where, unsigned flags, struct cap **out)
{
	struct cap *cp;

	(void)where;
	cp = xcalloc(1, sizeof *cp);
	cp->flags = flags;
	cp->first_poll = 1;
	if ((cp->screen = GetDC(NULL)) == NULL ||
	    (cp->mem = CreateCompatibleDC(cp->screen)) == NULL) {
		log_warn("capture: no desktop device context (error %lu)",
		    GetLastError());
		if (cp->screen != NULL)
			ReleaseDC(NULL, cp->screen);
		free(cp);
		return ERR_IO;
	}
	(void)win_layout(cp);
	*out = cp;
	return 0;
}

/* Frees a capture; NULL does nothing. */
static void
win_close(struct cap *cp)
{
	if (cp == NULL)
		return;
	if (cp->dib != NULL) {
		SelectObject(cp->mem, cp->old);
		DeleteObject(cp->dib);
	}
	dxgi_close(cp->dxgi);
	DeleteDC(cp->mem);
	ReleaseDC(NULL, cp->screen);
	free(cp->prev);
	free(cp);
}

/* EnumDisplayMonitors callback: one monitor into the list. */
static BOOL CALLBACK
win_mon_cb(HMONITOR mon, HDC dc, LPRECT rc, LPARAM arg)
{
	struct win_mons *m = (struct win_mons *)arg;
	struct cap_display *d;
	MONITORINFOEXA mi;

	(void)dc;
	(void)rc;
	if (m->n >= m->max)
		return FALSE;
	memset(&mi, 0, sizeof mi);
	mi.cbSize = sizeof mi;
	if (!GetMonitorInfoA(mon, (MONITORINFO *)&mi))
		return TRUE;
	d = &m->d[m->n++];
	memset(d, 0, sizeof *d);
	d->x = mi.rcMonitor.left;
	d->y = mi.rcMonitor.top;
	d->width = mi.rcMonitor.right - mi.rcMonitor.left;
	d->height = mi.rcMonitor.bottom - mi.rcMonitor.top;
	snprintf(d->name, sizeof d->name, "%s", mi.szDevice);
	d->online = 1;
	d->primary = (mi.dwFlags & MONITORINFOF_PRIMARY) != 0;
	return TRUE;
}

/* The monitors; the whole virtual desktop when none can be listed. */
static int
win_displays(struct cap *cp, struct cap_display *d, int max)
{
	struct win_mons m = { d, max, 0 };

	if (max < 1)
		return ERR_INVAL;
	EnumDisplayMonitors(NULL, NULL, win_mon_cb, (LPARAM)&m);
	if (m.n > 0)
		return m.n;
	(void)win_layout(cp);
	if (cp->vw <= 0 || cp->vh <= 0)
		return ERR_IO;
	memset(d, 0, sizeof *d);
	d->x = cp->vx;
	d->y = cp->vy;
	d->width = cp->vw;
	d->height = cp->vh;
	snprintf(d->name, sizeof d->name, "desktop");
	d->online = d->primary = 1;
	return 1;
}

/* GDI has no descriptor to wait on. */
static int
win_fd(struct cap *cp)
{
	(void)cp;
	return -1;
}

/* Layout changes, and "maybe drawn" (no damage) unless only notifying. */
static int
win_poll(struct cap *cp)
{
	int r = 0;

	if (win_layout(cp))
		r |= CAP_EV_LAYOUT;
	if (cp->first_poll || !(cp->flags & CAP_F_NOTIFY))
		r |= CAP_EV_DAMAGE;
	cp->first_poll = 0;
	return r;
}

/* No damage: all of area (compared by grab). */
static int
win_damage(struct cap *cp, const struct cap_rect *area, struct cap_rect *out)
{
	(void)cp;
	out[0] = *area;
	return area->w > 0 && area->h > 0;
}

/* A DIB section of w x h (kept while the size stays). */
static int
win_dib(struct cap *cp, int w, int h)
{
	BITMAPINFO bi;
	void *bits = NULL;
	HBITMAP dib;

	if (cp->dib != NULL && cp->dw == w && cp->dh == h)
		return 0;
	memset(&bi, 0, sizeof bi);
	bi.bmiHeader.biSize = sizeof bi.bmiHeader;
	bi.bmiHeader.biWidth = w;
	bi.bmiHeader.biHeight = -h;	/* top-down */
	bi.bmiHeader.biPlanes = 1;
	bi.bmiHeader.biBitCount = 32;
	bi.bmiHeader.biCompression = BI_RGB;
	dib = CreateDIBSection(cp->mem, &bi, DIB_RGB_COLORS, &bits, NULL, 0);
	if (dib == NULL || bits == NULL)
		return ERR_NOMEM;
	if (cp->dib != NULL) {
		SelectObject(cp->mem, cp->old);
		DeleteObject(cp->dib);
	}
	cp->old = SelectObject(cp->mem, dib);
	cp->dib = dib;
	cp->bits = bits;
	cp->dw = w;
	cp->dh = h;
	return 0;
}

/* Sets *changed to the rows of the grab that differ from the previous
 * grab of the same rectangle (all of them after another rectangle), and
 * keeps this grab for the next comparison. */
static void
win_compare(struct cap *cp, const struct cap_rect *r, struct cap_rect *ch)
{
	size_t stride = (size_t)r->w * 4, size = stride * r->h;
	int y0 = 0, y1 = r->h - 1;

	*ch = *r;
	if (cp->prev != NULL && memcmp(&cp->prev_r, r, sizeof *r) == 0) {
		while (y0 <= y1 && memcmp(cp->prev + y0 * stride,
		    cp->bits + y0 * stride, stride) == 0)
			y0++;
		while (y1 >= y0 && memcmp(cp->prev + y1 * stride,
		    cp->bits + y1 * stride, stride) == 0)
			y1--;
		ch->y = r->y + y0;
		ch->h = y1 >= y0 ? y1 - y0 + 1 : 0;
	} else {
		free(cp->prev);
		cp->prev = xmalloc(size);
		cp->prev_r = *r;
	}
	if (ch->h > 0)
		memcpy(cp->prev + (size_t)y0 * stride,
		    cp->bits + (size_t)y0 * stride, stride * ch->h);
}

/* Grabs r of the virtual desktop. */
static int
win_grab(struct cap *cp, const struct cap_rect *r, struct cap_image *img,
    struct cap_rect *changed)
{
	int e;

	if (r->w <= 0 || r->h <= 0)
		return ERR_INVAL;
	if ((e = win_dib(cp, r->w, r->h)) != 0)
		return e;
	if (!cp->gdi_only && cp->dxgi == NULL &&
	    (cp->dxgi = dxgi_open(r)) == NULL)
		cp->gdi_only = 1;
	if (cp->dxgi != NULL) {
		if (dxgi_grab(cp->dxgi, r, cp->bits, r->w * 4) == 0)
			goto got;
		/* Lost (a mode change, a desk switch): GDI this time, a
		 * new duplication next time. */
		dxgi_close(cp->dxgi);
		cp->dxgi = NULL;
	}
	if (!BitBlt(cp->mem, 0, 0, r->w, r->h, cp->screen, r->x, r->y,
	    SRCCOPY | CAPTUREBLT)) {
		log_debug("capture: BitBlt failed (error %lu)",
		    GetLastError());
		return ERR_IO;
	}
	GdiFlush();
got:
	img->data = cp->bits;
	img->stride = r->w * 4;
	img->r = *r;
	win_compare(cp, r, changed);
	return 0;
}

/* GDI reports no damage. */
static int
win_has_damage(struct cap *cp)
{
	(void)cp;
	return 0;
}

const struct cap_impl cap_win = {
	.name = "gdi",
	.open = win_open,
	.close = win_close,
	.displays = win_displays,
	.fd = win_fd,
	.poll = win_poll,
	.damage = win_damage,
	.grab = win_grab,
	.has_damage = win_has_damage,
};
