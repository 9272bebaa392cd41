/*
 * x11_randr.c: a monitor's resolutions through RandR (HOST.md §5.12): the
 * sizes its output offers, a change applied to its CRTC with the screen
 * resized around it, and the original sizes put back at the end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xcb/xcb.h>
#include <xcb/randr.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/x11/x11_auth.h"
#include "server/x11/x11_randr.h"

/* A monitor a peer changed: its X display, name and size before. */
struct randr_note {
	char	 display[64];		/* "" for $DISPLAY */
	char	 name[CAP_NAME_MAX];
	int	 w, h;
};

static pthread_mutex_t randr_mu = PTHREAD_MUTEX_INITIALIZER;
static struct randr_note randr_notes[CAP_DISPLAYS_MAX];
static int randr_nnotes;

/* The note for name, or NULL; randr_mu held. */
static struct randr_note *
randr_note_find(const char *name)
{
	int i;

	for (i = 0; i < randr_nnotes; i++)
		if (strcmp(randr_notes[i].name, name) == 0)
			return &randr_notes[i];
	return NULL;
}

/* Notes name's size before a change, unless a first one is noted. */
static void
randr_note(const char *x_display, const char *name, int w, int h)
{
	struct randr_note *n;

	pthread_mutex_lock(&randr_mu);
	if (randr_note_find(name) == NULL && randr_nnotes < CAP_DISPLAYS_MAX) {
		n = &randr_notes[randr_nnotes++];
		snprintf(n->display, sizeof n->display, "%s",
		    x_display != NULL ? x_display : "");
		snprintf(n->name, sizeof n->name, "%s", name);
		n->w = w;
		n->h = h;
	}
	pthread_mutex_unlock(&randr_mu);
}

/* The mode info of id in the screen's resources, or NULL. */
static const xcb_randr_mode_info_t *
randr_mode(const xcb_randr_get_screen_resources_current_reply_t *res,
    xcb_randr_mode_t id)
{
	const xcb_randr_mode_info_t *mi;
	int i, n;

	mi = xcb_randr_get_screen_resources_current_modes(res);
	n = xcb_randr_get_screen_resources_current_modes_length(res);
	for (i = 0; i < n; i++)
		if (mi[i].id == id)
			return &mi[i];
	return NULL;
}

/* Lists the output's distinct mode sizes into d. */
void
x11_randr_modes(xcb_connection_t *c,
    const xcb_randr_get_screen_resources_current_reply_t *res,
    xcb_randr_output_t output, struct cap_display *d)
{
	xcb_randr_get_output_info_reply_t *oi = NULL;
	const xcb_randr_mode_info_t *mi;
	xcb_randr_mode_t *ids;
	struct randr_note *note;
	int i, k, n;

	d->nmodes = 0;
	d->orig_w = d->width;
	d->orig_h = d->height;
	pthread_mutex_lock(&randr_mu);
	if ((note = randr_note_find(d->name)) != NULL) {
		d->orig_w = note->w;
		d->orig_h = note->h;
	}
	pthread_mutex_unlock(&randr_mu);
	if (res == NULL || output == XCB_NONE || (oi =
	    xcb_randr_get_output_info_reply(c, xcb_randr_get_output_info(c,
	    output, res->config_timestamp), NULL)) == NULL)
		return;
	ids = xcb_randr_get_output_info_modes(oi);
	n = xcb_randr_get_output_info_modes_length(oi);
	for (i = 0; i < n && d->nmodes < CAP_MODES_MAX; i++) {
		if ((mi = randr_mode(res, ids[i])) == NULL)
			continue;
		for (k = 0; k < d->nmodes; k++)
			if (d->modes[k].w == mi->width &&
			    d->modes[k].h == mi->height)
				break;
		if (k == d->nmodes) {
			d->modes[k].w = mi->width;
			d->modes[k].h = mi->height;
			d->nmodes++;
		}
	}
	free(oi);
}

/* The first output of the monitor called name, or XCB_NONE. */
static xcb_randr_output_t
randr_output_of(xcb_connection_t *c, xcb_window_t root, const char *name)
{
	xcb_randr_get_monitors_reply_t *mr;
	xcb_randr_monitor_info_iterator_t mi;
	xcb_get_atom_name_reply_t *an;
	xcb_randr_output_t out = XCB_NONE;
	int len, same;

	mr = xcb_randr_get_monitors_reply(c, xcb_randr_get_monitors(c, root,
	    1), NULL);
	if (mr == NULL)
		return XCB_NONE;
	mi = xcb_randr_get_monitors_monitors_iterator(mr);
	for (; mi.rem > 0 && out == XCB_NONE;
	    xcb_randr_monitor_info_next(&mi)) {
		an = xcb_get_atom_name_reply(c, xcb_get_atom_name(c,
		    mi.data->name), NULL);
		if (an == NULL)
			continue;
		len = xcb_get_atom_name_name_length(an);
		same = (size_t)len == strlen(name) &&
		    memcmp(xcb_get_atom_name_name(an), name, len) == 0;
		free(an);
		if (same && xcb_randr_monitor_info_outputs_length(mi.data) > 0)
			out = xcb_randr_monitor_info_outputs(mi.data)[0];
	}
	free(mr);
	return out;
}

/* The output's first mode of w x h, or XCB_NONE. */
static xcb_randr_mode_t
randr_find_mode(const xcb_randr_get_screen_resources_current_reply_t *res,
    xcb_randr_get_output_info_reply_t *oi, int w, int h)
{
	const xcb_randr_mode_info_t *mi;
	xcb_randr_mode_t *ids = xcb_randr_get_output_info_modes(oi);
	int i, n = xcb_randr_get_output_info_modes_length(oi);

	for (i = 0; i < n; i++)
		if ((mi = randr_mode(res, ids[i])) != NULL &&
		    mi->width == w && mi->height == h)
			return ids[i];
	return XCB_NONE;
}

/* A CRTC's size on the screen (rotated by 90 or 270: swapped). */
static void
randr_crtc_size(const xcb_randr_get_crtc_info_reply_t *ci, int w, int h,
    int *sw, int *sh)
{
	int swap = ci->rotation & (XCB_RANDR_ROTATION_ROTATE_90 |
	    XCB_RANDR_ROTATION_ROTATE_270);

	*sw = swap ? h : w;
	*sh = swap ? w : h;
}

/*
 * The screen size that holds every active CRTC, crtc itself at w x h.
 * Returns 0, or ERR_IO.
 */
static int
randr_bounds(xcb_connection_t *c,
    const xcb_randr_get_screen_resources_current_reply_t *res,
    xcb_randr_crtc_t crtc, int w, int h, int *bw, int *bh)
{
	xcb_randr_crtc_t *crtcs;
	xcb_randr_get_crtc_info_reply_t *ci;
	int i, n, cw, ch;

	crtcs = xcb_randr_get_screen_resources_current_crtcs(res);
	n = xcb_randr_get_screen_resources_current_crtcs_length(res);
	*bw = *bh = 0;
	for (i = 0; i < n; i++) {
		ci = xcb_randr_get_crtc_info_reply(c, xcb_randr_get_crtc_info(c,
		    crtcs[i], res->config_timestamp), NULL);
		if (ci == NULL)
			return ERR_IO;
		if (ci->mode != XCB_NONE) {
			if (crtcs[i] == crtc)
				randr_crtc_size(ci, w, h, &cw, &ch);
			else {
				cw = ci->width;
				ch = ci->height;
			}
			if (ci->x + cw > *bw)
				*bw = ci->x + cw;
			if (ci->y + ch > *bh)
				*bh = ci->y + ch;
		}
		free(ci);
	}
	return 0;
}

/* Resizes the screen, keeping its pixels per millimetre. */
static void
randr_screen_size(xcb_connection_t *c, const xcb_screen_t *scr, int w,
    int h)
{
	uint32_t mmw, mmh;

	mmw = scr->width_in_pixels > 0 ? (uint32_t)w *
	    scr->width_in_millimeters / scr->width_in_pixels : 0;
	mmh = scr->height_in_pixels > 0 ? (uint32_t)h *
	    scr->height_in_millimeters / scr->height_in_pixels : 0;
	xcb_randr_set_screen_size(c, scr->root, (uint16_t)w, (uint16_t)h,
	    mmw > 0 ? mmw : 1, mmh > 0 ? mmh : 1);
}

/*
 * Puts crtc (ci: its state) on mode at w x h, growing the screen first
 * and shrinking it after so that every CRTC fits at each step. Returns 0,
 * or ERR_IO (the server refused).
 */
static int
randr_apply(xcb_connection_t *c, const xcb_screen_t *scr,
    const xcb_randr_get_screen_resources_current_reply_t *res,
    xcb_randr_crtc_t crtc, const xcb_randr_get_crtc_info_reply_t *ci,
    xcb_randr_mode_t mode, int w, int h)
{
	xcb_randr_set_crtc_config_reply_t *sr;
	xcb_get_geometry_reply_t *g;
	int bw, bh, cw, ch, r = 0;

	if (randr_bounds(c, res, crtc, w, h, &bw, &bh) != 0)
		return ERR_IO;
	if ((g = xcb_get_geometry_reply(c, xcb_get_geometry(c, scr->root),
	    NULL)) == NULL)
		return ERR_IO;
	cw = g->width;
	ch = g->height;
	free(g);
	if (bw > cw || bh > ch)
		randr_screen_size(c, scr, bw > cw ? bw : cw, bh > ch ? bh : ch);
	sr = xcb_randr_set_crtc_config_reply(c, xcb_randr_set_crtc_config(c,
	    crtc, XCB_CURRENT_TIME, res->config_timestamp, ci->x, ci->y, mode,
	    ci->rotation, xcb_randr_get_crtc_info_outputs_length(ci),
	    xcb_randr_get_crtc_info_outputs(ci)), NULL);
	if (sr == NULL || sr->status != XCB_RANDR_SET_CONFIG_SUCCESS)
		r = ERR_IO;
	free(sr);
	if (r == 0 && (bw != cw || bh != ch))
		randr_screen_size(c, scr, bw, bh);
	return r;
}

/*
 * Sets the output named name to w x h on an open connection. Returns 0 or
 * an ERR_* with *why (static) saying what was missing.
 */
static int
randr_set_on(xcb_connection_t *c, const xcb_screen_t *scr,
    const char *x_display, const char *name, int w, int h, const char **why)
{
	xcb_randr_get_screen_resources_current_reply_t *res = NULL;
	xcb_randr_get_output_info_reply_t *oi = NULL;
	xcb_randr_get_crtc_info_reply_t *ci = NULL;
	xcb_randr_output_t out;
	xcb_randr_mode_t mode;
	int r = ERR_NOTFOUND;

	*why = "no such monitor";
	if ((out = randr_output_of(c, scr->root, name)) == XCB_NONE ||
	    (res = xcb_randr_get_screen_resources_current_reply(c,
	    xcb_randr_get_screen_resources_current(c, scr->root),
	    NULL)) == NULL || (oi = xcb_randr_get_output_info_reply(c,
	    xcb_randr_get_output_info(c, out, res->config_timestamp),
	    NULL)) == NULL || oi->crtc == XCB_NONE || (ci =
	    xcb_randr_get_crtc_info_reply(c, xcb_randr_get_crtc_info(c,
	    oi->crtc, res->config_timestamp), NULL)) == NULL)
		goto out;
	*why = "no such mode";
	if ((mode = randr_find_mode(res, oi, w, h)) == XCB_NONE)
		goto out;
	*why = "the X server refused the mode";
	if (ci->mode == mode)
		r = 0;
	else {
		randr_note(x_display, name, ci->width, ci->height);
		r = randr_apply(c, scr, res, oi->crtc, ci, mode, w, h);
	}
out:
	free(ci);
	free(oi);
	free(res);
	return r;
}

/* Sets a monitor's mode. */
int
x11_randr_set(const char *x_display, const char *name, int w, int h,
    char **cause)
{
	xcb_connection_t *c;
	const xcb_query_extension_reply_t *q;
	xcb_randr_query_version_reply_t *v = NULL;
	const xcb_screen_t *scr;
	const char *why = "cannot open the display";
	int r = ERR_IO;

	c = x11_connect(x_display, NULL);
	if (xcb_connection_has_error(c))
		goto out;
	q = xcb_get_extension_data(c, &xcb_randr_id);
	if (q == NULL || !q->present || (v = xcb_randr_query_version_reply(c,
	    xcb_randr_query_version(c, 1, 5), NULL)) == NULL ||
	    (v->major_version == 1 && v->minor_version < 5)) {
		why = "no RandR 1.5";
		r = ERR_UNSUPP;
		goto out;
	}
	scr = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
	xcb_grab_server(c);
	r = randr_set_on(c, scr, x_display, name, w, h, &why);
	xcb_ungrab_server(c);
	xcb_flush(c);
out:
	free(v);
	xcb_disconnect(c);
	if (r != 0 && cause != NULL)
		xasprintf(cause, "%s %dx%d: %s", name, w, h, why);
	return r;
}

/* Puts the changed monitors back. */
int
x11_randr_restore(const char *x_display)
{
	struct randr_note notes[CAP_DISPLAYS_MAX];
	char *cause;
	int i, n, r, first = 0, done = 0;

	pthread_mutex_lock(&randr_mu);
	n = randr_nnotes;
	memcpy(notes, randr_notes, sizeof notes[0] * n);
	pthread_mutex_unlock(&randr_mu);
	for (i = 0; i < n; i++) {
		/* A display the desk has left is not ours to change. */
		if (strcmp(notes[i].display, x_display != NULL ? x_display :
		    "") != 0)
			continue;
		if ((r = x11_randr_set(x_display, notes[i].name, notes[i].w,
		    notes[i].h, &cause)) != 0) {
			log_warn_r(r, "resolution not restored: %s", cause);
			free(cause);
			if (first == 0)
				first = r;
		} else {
			log_info("resolution of %s restored to %dx%d",
			    notes[i].name, notes[i].w, notes[i].h);
			done++;
		}
	}
	pthread_mutex_lock(&randr_mu);
	randr_nnotes = 0;
	pthread_mutex_unlock(&randr_mu);
	return first != 0 ? first : done;
}
