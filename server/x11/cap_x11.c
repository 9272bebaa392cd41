/* cap_x11.c: X11 capture: RandR monitors, X Damage, MIT-SHM grabs. */
#include <sys/ipc.h>
#include <sys/shm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xcb/xcb.h>
#include <xcb/damage.h>
#include <xcb/randr.h>
#include <xcb/shm.h>
#include <xcb/xfixes.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/media/cap.h"
#include "server/x11/x11_auth.h"
#include "server/x11/x11_randr.h"

/*
 * The SHM segment of a full-screen grab (8 MB at 1920x1080) is resident in
 * both processes once X wrote it. While only small rectangles are grabbed
 * (typing after the first key frame) it is replaced by one of their size
 * after this many grabs in a row; an idle capture frees it (x11_trim).
 */
#define X11_SHM_SHRINK_GRABS	30
#define X11_SHM_SMALL		(1024 * 1024)	/* never worth shrinking */

struct cap {
	xcb_connection_t	*c;		/* owned */
	xcb_window_t		 root;
	int			 root_w, root_h;
	unsigned		 flags;
	/* Extensions. */
	int			 has_randr;	/* 1.5: GetMonitors */
	uint8_t			 randr_base;
	int			 has_damage;
	uint8_t			 damage_base;
	xcb_damage_damage_t	 damage;
	xcb_xfixes_region_t	 region;
	int			 has_shm;
	/* The SHM segment of the last grab size (or a plain buffer). */
	xcb_shm_seg_t		 seg;
	int			 shmid;
	uint8_t			*shm;		/* attached, or NULL */
	size_t			 shm_size;
	int			 shm_small;	/* grabs in a row it dwarfed */
	uint8_t			*plain;		/* owned: non-SHM grabs */
	/* Without Damage: the previous grab, to compare with. */
	uint8_t			*prev;		/* owned */
	struct cap_rect		 prev_r;
	int			 first_poll;
};

/* Grows r to even coordinates relative to area's origin, inside area. */
static void
x11_align(struct cap_rect *r, const struct cap_rect *area)
{
	int x0, y0, x1, y1;

	x0 = (r->x - area->x) & ~1;
	y0 = (r->y - area->y) & ~1;
	x1 = (r->x - area->x + r->w + 1) & ~1;
	y1 = (r->y - area->y + r->h + 1) & ~1;
	if (x1 > area->w)
		x1 = area->w;
	if (y1 > area->h)
		y1 = area->h;
	r->x = area->x + x0;
	r->y = area->y + y0;
	r->w = x1 - x0;
	r->h = y1 - y0;
}

/* Releases the SHM segment, if any. */
static void
x11_shm_free(struct cap *cp)
{
	if (cp->shm == NULL)
		return;
	xcb_shm_detach(cp->c, cp->seg);
	shmdt(cp->shm);
	cp->shm = NULL;
	cp->shm_size = 0;
}

/* Makes the SHM segment at least size bytes. */
static int
x11_shm_reserve(struct cap *cp, size_t size)
{
	xcb_generic_error_t *e;
	void *p;
	int id;

	if (cp->shm != NULL && cp->shm_size >= size)
		return 0;
	x11_shm_free(cp);
	/* Room to grow: pages X never writes cost nothing. */
	if (size < X11_SHM_SMALL)
		size = X11_SHM_SMALL;
	if ((id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600)) == -1)
		return ERR_IO;
	p = shmat(id, NULL, 0);
	if (p == (void *)-1) {
		shmctl(id, IPC_RMID, NULL);
		return ERR_IO;
	}
	cp->seg = xcb_generate_id(cp->c);
	e = xcb_request_check(cp->c,
	    xcb_shm_attach_checked(cp->c, cp->seg, id, 0));
	/* Once the server has it attached, the id can go. */
	shmctl(id, IPC_RMID, NULL);
	if (e != NULL) {
		free(e);
		shmdt(p);
		return ERR_IO;
	}
	cp->shm = p;
	cp->shm_size = size;
	return 0;
}

/* Frees a segment far larger than the recent grabs of size bytes. */
static void
x11_shm_fit(struct cap *cp, size_t size)
{
	if (cp->shm == NULL || cp->shm_size <= X11_SHM_SMALL ||
	    size * 4 > cp->shm_size) {
		cp->shm_small = 0;
		return;
	}
	if (++cp->shm_small < X11_SHM_SHRINK_GRABS)
		return;
	x11_shm_free(cp);
	cp->shm_small = 0;
}

/* Finds an extension's first event number; 0 if absent. */
static int
x11_ext(xcb_connection_t *c, xcb_extension_t *ext, uint8_t *base)
{
	const xcb_query_extension_reply_t *q;

	q = xcb_get_extension_data(c, ext);
	if (q == NULL || !q->present)
		return 0;
	*base = q->first_event;
	return 1;
}

/* Sets up the extensions cp uses. */
static void
x11_init_ext(struct cap *cp)
{
	xcb_connection_t *c = cp->c;
	xcb_randr_query_version_reply_t *rv;
	xcb_damage_query_version_reply_t *dv;
	xcb_xfixes_query_version_reply_t *fv;
	xcb_shm_query_version_reply_t *sv;
	uint8_t base;

	if (x11_ext(c, &xcb_randr_id, &cp->randr_base)) {
		rv = xcb_randr_query_version_reply(c,
		    xcb_randr_query_version(c, 1, 5), NULL);
		if (rv != NULL && (rv->major_version > 1 ||
		    rv->minor_version >= 5)) {
			cp->has_randr = 1;
			xcb_randr_select_input(c, cp->root,
			    XCB_RANDR_NOTIFY_MASK_SCREEN_CHANGE |
			    XCB_RANDR_NOTIFY_MASK_CRTC_CHANGE |
			    XCB_RANDR_NOTIFY_MASK_OUTPUT_CHANGE);
		}
		free(rv);
	}
	if (cp->flags & CAP_F_NOTIFY)
		return;
	if (x11_ext(c, &xcb_shm_id, &base)) {
		sv = xcb_shm_query_version_reply(c,
		    xcb_shm_query_version(c), NULL);
		cp->has_shm = sv != NULL;
		free(sv);
	}
	if ((cp->flags & CAP_F_NODAMAGE) == 0 &&
	    x11_ext(c, &xcb_damage_id, &cp->damage_base) &&
	    x11_ext(c, &xcb_xfixes_id, &base)) {
		fv = xcb_xfixes_query_version_reply(c,
		    xcb_xfixes_query_version(c, 5, 0), NULL);
		dv = xcb_damage_query_version_reply(c,
		    xcb_damage_query_version(c, 1, 1), NULL);
		if (fv != NULL && dv != NULL && fv->major_version >= 2) {
			cp->has_damage = 1;
			cp->damage = xcb_generate_id(c);
			xcb_damage_create(c, cp->damage, cp->root,
			    XCB_DAMAGE_REPORT_LEVEL_NON_EMPTY);
			cp->region = xcb_generate_id(c);
			xcb_xfixes_create_region(c, cp->region, 0, NULL);
		}
		free(fv);
		free(dv);
	}
}

/* Frees a capture. */
static void
x11_close(struct cap *cp)
{
	if (cp == NULL)
		return;
	if (cp->c != NULL) {
		if (!xcb_connection_has_error(cp->c)) {
			x11_shm_free(cp);
			if (cp->has_damage) {
				xcb_damage_destroy(cp->c, cp->damage);
				xcb_xfixes_destroy_region(cp->c, cp->region);
			}
			xcb_flush(cp->c);
		} else if (cp->shm != NULL)
			shmdt(cp->shm);
		xcb_disconnect(cp->c);
	}
	free(cp->plain);
	free(cp->prev);
	free(cp);
}

/* Connects to an X display and sets up what capture needs. */
static int
x11_open(const char *where, unsigned flags, struct cap **out)
{
	struct cap *cp;
	const xcb_setup_t *setup;
	xcb_screen_iterator_t it;
	int screen = 0, i;

	*out = NULL;
	cp = xcalloc(1, sizeof *cp);
	cp->flags = flags;
	cp->first_poll = 1;
	cp->c = x11_connect(where, &screen);
	if (xcb_connection_has_error(cp->c)) {
		log_debug("cannot connect to X display %s",
		    where ? where : "(env)");
		x11_close(cp);
		return ERR_IO;
	}
	setup = xcb_get_setup(cp->c);
	it = xcb_setup_roots_iterator(setup);
	for (i = 0; i < screen && it.rem > 0; i++)
		xcb_screen_next(&it);
	if (it.rem == 0) {
		x11_close(cp);
		return ERR_NOTFOUND;
	}
	cp->root = it.data->root;
	cp->root_w = it.data->width_in_pixels;
	cp->root_h = it.data->height_in_pixels;
	if (it.data->root_depth != 24 && it.data->root_depth != 32) {
		log_warn("X root depth %d: only 24/32 is captured",
		    it.data->root_depth);
		x11_close(cp);
		return ERR_UNSUPP;
	}
	x11_init_ext(cp);
	xcb_flush(cp->c);
	*out = cp;
	return 0;
}

/* Reads the root window size again. */
static void
x11_root_size(struct cap *cp)
{
	xcb_get_geometry_reply_t *g;

	g = xcb_get_geometry_reply(cp->c, xcb_get_geometry(cp->c, cp->root),
	    NULL);
	if (g != NULL) {
		cp->root_w = g->width;
		cp->root_h = g->height;
	}
	free(g);
}

/* Lists RandR monitors (or the whole screen). */
static int
x11_displays(struct cap *cp, struct cap_display *d, int max)
{
	xcb_randr_get_monitors_reply_t *mr;
	xcb_randr_monitor_info_iterator_t mi;
	xcb_randr_get_screen_resources_current_reply_t *res = NULL;
	xcb_get_atom_name_reply_t *an;
	int n = 0, len;

	if (max < 1)
		return ERR_INVAL;
	if (xcb_connection_has_error(cp->c))
		return ERR_IO;
	x11_root_size(cp);
	if (cp->has_randr && (mr = xcb_randr_get_monitors_reply(cp->c,
	    xcb_randr_get_monitors(cp->c, cp->root, 1), NULL)) != NULL) {
		res = xcb_randr_get_screen_resources_current_reply(cp->c,
		    xcb_randr_get_screen_resources_current(cp->c, cp->root),
		    NULL);
		mi = xcb_randr_get_monitors_monitors_iterator(mr);
		for (; mi.rem > 0 && n < max; xcb_randr_monitor_info_next(&mi)) {
			memset(&d[n], 0, sizeof d[n]);
			d[n].x = mi.data->x;
			d[n].y = mi.data->y;
			d[n].width = mi.data->width;
			d[n].height = mi.data->height;
			d[n].online = 1;
			d[n].primary = mi.data->primary;
			an = xcb_get_atom_name_reply(cp->c,
			    xcb_get_atom_name(cp->c, mi.data->name), NULL);
			if (an != NULL) {
				len = xcb_get_atom_name_name_length(an);
				if (len >= CAP_NAME_MAX)
					len = CAP_NAME_MAX - 1;
				memcpy(d[n].name, xcb_get_atom_name_name(an),
				    len);
				free(an);
			}
			x11_randr_modes(cp->c, res,
			    xcb_randr_monitor_info_outputs_length(mi.data) > 0 ?
			    xcb_randr_monitor_info_outputs(mi.data)[0] : XCB_NONE,
			    &d[n]);
			if (d[n].width > 0 && d[n].height > 0)
				n++;
		}
		free(res);
		free(mr);
	}
	if (n == 0) {
		memset(&d[0], 0, sizeof d[0]);
		d[0].width = cp->root_w;
		d[0].height = cp->root_h;
		d[0].online = 1;
		d[0].primary = 1;
		d[0].orig_w = cp->root_w;
		d[0].orig_h = cp->root_h;
		snprintf(d[0].name, sizeof d[0].name, "screen");
		n = 1;
	}
	return n;
}

/* The X connection's descriptor. */
static int
x11_fd(struct cap *cp)
{
	return xcb_get_file_descriptor(cp->c);
}

/* Drains X events into CAP_EV_* bits. */
static int
x11_poll(struct cap *cp)
{
	xcb_generic_event_t *ev;
	int r = 0, type;

	if (cp->first_poll) {
		/* Whatever is on screen now has not been seen yet. */
		cp->first_poll = 0;
		r |= CAP_EV_DAMAGE;
	}
	while ((ev = xcb_poll_for_event(cp->c)) != NULL) {
		type = ev->response_type & 0x7f;
		if (cp->has_damage &&
		    type == cp->damage_base + XCB_DAMAGE_NOTIFY)
			r |= CAP_EV_DAMAGE;
		else if (cp->has_randr &&
		    (type == cp->randr_base +
		    XCB_RANDR_SCREEN_CHANGE_NOTIFY ||
		    type == cp->randr_base + XCB_RANDR_NOTIFY))
			r |= CAP_EV_LAYOUT;
		free(ev);
	}
	if (xcb_connection_has_error(cp->c))
		return ERR_IO;
	if (!cp->has_damage && !(cp->flags & CAP_F_NOTIFY))
		r |= CAP_EV_DAMAGE;
	return r;
}

/* Takes the damaged rectangles inside area. */
static int
x11_damage(struct cap *cp, const struct cap_rect *area,
    struct cap_rect *out)
{
	xcb_xfixes_fetch_region_reply_t *fr;
	xcb_rectangle_t *xr;
	struct cap_rect r, c;
	int i, n = 0, nr, x0, y0, x1, y1;

	if (!cp->has_damage) {
		out[0] = *area;
		return area->w > 0 && area->h > 0;
	}
	xcb_damage_subtract(cp->c, cp->damage, XCB_NONE, cp->region);
	fr = xcb_xfixes_fetch_region_reply(cp->c,
	    xcb_xfixes_fetch_region(cp->c, cp->region), NULL);
	if (fr == NULL)
		return xcb_connection_has_error(cp->c) ? ERR_IO : 0;
	xr = xcb_xfixes_fetch_region_rectangles(fr);
	nr = xcb_xfixes_fetch_region_rectangles_length(fr);
	x0 = y0 = 1 << 30;
	x1 = y1 = -(1 << 30);
	for (i = 0; i < nr; i++) {
		r.x = xr[i].x;
		r.y = xr[i].y;
		r.w = xr[i].width;
		r.h = xr[i].height;
		if (!cap_rect_clip(&r, area, &c))
			continue;
		x11_align(&c, area);
		if (c.x < x0)
			x0 = c.x;
		if (c.y < y0)
			y0 = c.y;
		if (c.x + c.w > x1)
			x1 = c.x + c.w;
		if (c.y + c.h > y1)
			y1 = c.y + c.h;
		if (n < CAP_RECTS_MAX)
			out[n] = c;
		n++;
	}
	free(fr);
	if (n > CAP_RECTS_MAX) {
		/* Too many pieces: their bounding box is cheaper. */
		out[0].x = x0;
		out[0].y = y0;
		out[0].w = x1 - x0;
		out[0].h = y1 - y0;
		n = 1;
	}
	return n;
}

/* Compares a grab with the previous one of the same rectangle. */
static void
x11_compare(struct cap *cp, const struct cap_image *img,
    struct cap_rect *changed)
{
	size_t row = (size_t)img->r.w * 4;
	int y, first = -1, last = -1;

	if (cp->prev == NULL || memcmp(&cp->prev_r, &img->r,
	    sizeof img->r) != 0) {
		free(cp->prev);
		cp->prev = xmalloc(row * img->r.h);
		cp->prev_r = img->r;
		for (y = 0; y < img->r.h; y++)
			memcpy(cp->prev + row * y,
			    img->data + (size_t)img->stride * y, row);
		*changed = img->r;
		return;
	}
	for (y = 0; y < img->r.h; y++) {
		if (memcmp(cp->prev + row * y,
		    img->data + (size_t)img->stride * y, row) != 0) {
			if (first < 0)
				first = y;
			last = y;
			memcpy(cp->prev + row * y,
			    img->data + (size_t)img->stride * y, row);
		}
	}
	if (first < 0) {
		memset(changed, 0, sizeof *changed);
		return;
	}
	changed->x = img->r.x;
	changed->w = img->r.w;
	changed->y = img->r.y + first;
	changed->h = last - first + 1;
	x11_align(changed, &img->r);
}

/* Grabs r of the root window. */
static int
x11_grab(struct cap *cp, const struct cap_rect *r, struct cap_image *img,
    struct cap_rect *changed)
{
	xcb_shm_get_image_reply_t *sr;
	xcb_get_image_reply_t *gr;
	xcb_generic_error_t *e = NULL;
	size_t size;
	int len;

	memset(img, 0, sizeof *img);
	memset(changed, 0, sizeof *changed);
	if (r->w <= 0 || r->h <= 0 || r->x < 0 || r->y < 0 ||
	    r->x + r->w > cp->root_w || r->y + r->h > cp->root_h)
		return ERR_INVAL;
	size = (size_t)r->w * r->h * 4;
	x11_shm_fit(cp, size);
	if (cp->has_shm && x11_shm_reserve(cp, size) != 0) {
		log_info("MIT-SHM unusable; grabbing through the socket");
		cp->has_shm = 0;
	}
	if (cp->has_shm) {
		sr = xcb_shm_get_image_reply(cp->c, xcb_shm_get_image(cp->c,
		    cp->root, r->x, r->y, r->w, r->h, ~0u,
		    XCB_IMAGE_FORMAT_Z_PIXMAP, cp->seg, 0), &e);
		free(e);
		if (sr == NULL)
			return xcb_connection_has_error(cp->c) ? ERR_IO :
			    ERR_INVAL;
		free(sr);
		img->data = cp->shm;
	} else {
		gr = xcb_get_image_reply(cp->c, xcb_get_image(cp->c,
		    XCB_IMAGE_FORMAT_Z_PIXMAP, cp->root, r->x, r->y, r->w,
		    r->h, ~0u), &e);
		free(e);
		if (gr == NULL)
			return xcb_connection_has_error(cp->c) ? ERR_IO :
			    ERR_INVAL;
		len = xcb_get_image_data_length(gr);
		if (len < 0 || (size_t)len < size) {
			free(gr);
			return ERR_SHORT;
		}
		free(cp->plain);
		cp->plain = xmemdup(xcb_get_image_data(gr), size);
		free(gr);
		img->data = cp->plain;
	}
	img->stride = r->w * 4;
	img->r = *r;
	if (cp->has_damage)
		*changed = *r;
	else
		x11_compare(cp, img, changed);
	return 0;
}

/* Whether X Damage is in use. */
static int
x11_has_damage(struct cap *cp)
{
	return cp->has_damage;
}

/* Idle: frees the SHM segment (the next grab makes one again). */
static void
x11_trim(struct cap *cp)
{
	x11_shm_free(cp);
	cp->shm_small = 0;
}

const struct cap_impl cap_x11 = {
	.name = "x11",
	.open = x11_open,
	.close = x11_close,
	.displays = x11_displays,
	.fd = x11_fd,
	.poll = x11_poll,
	.damage = x11_damage,
	.grab = x11_grab,
	.has_damage = x11_has_damage,
	.trim = x11_trim,
};
