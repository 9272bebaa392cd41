/*
 * conn_display.c: the toolbar's display controls: "Change resolution"
 * through RandR (HOST.md §5.12) and "Follow remote cursor" / "Follow
 * remote window focus" on several monitors (HOST.md §5.6), which tell the
 * client the display to show with Misc.follow_current_display.
 */
#include <stdlib.h>

#include "common/err.h"
#include "common/log.h"
#include "server/conn/conn_int.h"
#include "server/srv.h"
#include "server/svc/svc_cursor.h"
#include "server/svc/svc_video.h"
#include "server/x11/x11_randr.h"

/*
 * Misc.change_display_resolution (display >= 0) or the older
 * change_resolution (display -1: the one shown): with the Keyboard
 * permission, the monitor's mode becomes w x h; its first size is kept
 * for the restore when the last remote session ends. Upstream only logs
 * a failure; so do we.
 */
void
conn_recv_resolution(struct conn *c, int display, const Hbb__Resolution *r)
{
	struct cap_display d[CAP_DISPLAYS_MAX];
	char *cause = NULL;
	int n, primary = 0, e;

	if (c->kind != LOGIN_KIND_REMOTE || !c->perm[PERM_KEYBOARD] ||
	    r == NULL || c->srv->video == NULL)
		return;
	if (display < 0)
		display = c->cur_display;
	n = svc_video_displays(c->srv->video, d, CAP_DISPLAYS_MAX, &primary);
	if (display >= n || r->width <= 0 || r->height <= 0) {
		log_info("conn %u: resolution %dx%d of display %d refused",
		    c->id, r->width, r->height, display);
		return;
	}
	if ((e = x11_randr_set(c->srv->desk_display, d[display].name,
	    r->width, r->height, &cause)) != 0) {
		log_warn_r(e, "conn %u peer %s: cannot change the resolution: "
		    "%s", c->id, c->peer, cause);
		free(cause);
		return;
	}
	log_info("conn %u peer %s: display %d (%s) now %dx%d", c->id,
	    c->peer, display, d[display].name, r->width, r->height);
}

/* The last remote session ended: the monitors get their sizes back. */
void
conn_display_restore(struct srv *srv)
{
	if (conn_remote_count(srv) == 0)
		x11_randr_restore(srv->desk_display);
}

/* The index of the display holding (x, y), or -1. */
static int
conn_display_at(struct conn *c, int x, int y)
{
	struct cap_display d[CAP_DISPLAYS_MAX];
	int i, n, primary = 0;

	n = svc_video_displays(c->srv->video, d, CAP_DISPLAYS_MAX, &primary);
	for (i = 0; i < n; i++)
		if (x >= d[i].x && y >= d[i].y && x < d[i].x + d[i].width &&
		    y < d[i].y + d[i].height)
			return i;
	return -1;
}

/* Misc.follow_current_display: the client switches to display. */
static void
conn_send_follow(struct conn *c, int display)
{
	Hbb__Misc misc = HBB__MISC__INIT;

	misc.union_case = HBB__MISC__UNION_FOLLOW_CURRENT_DISPLAY;
	misc.follow_current_display = display;
	conn_send_misc(c, &misc);
}

/*
 * The cursor service's follow callback (svc_cursor_follow_cb): as
 * upstream, a session that shows one display is told to follow the
 * pointer when a CursorPosition it got lies on another display, and the
 * focused window when the display holding its centre changes.
 */
static void
conn_follow_cb(void *ctx, int what, int x, int y)
{
	struct conn *c = ctx;
	uint32_t v = c->video_displays;
	int idx;

	if (c->dead || c->state != CONN_AUTHORIZED || c->srv->video == NULL)
		return;
	/* Several displays shown at once (multi-UI): nothing to follow. */
	if ((v & (v - 1)) != 0 || (idx = conn_display_at(c, x, y)) < 0)
		return;
	if (what == SVC_CURSOR_AT_POINTER) {
		if (c->follow_cursor && idx != c->cur_display)
			conn_send_follow(c, idx);
		return;
	}
	log_debug("conn %u: focused window at %d,%d: display %d (was %d)",
	    c->id, x, y, idx, c->focus_display);
	if (c->follow_window && c->focus_display >= 0 &&
	    idx != c->focus_display)
		conn_send_follow(c, idx);
	c->focus_display = idx;
}

/* The cursor flags follow remote window adds (SVC_CURSOR_F_FOCUS). */
unsigned
conn_follow_flags(struct conn *c)
{
	return c->follow_window ? SVC_CURSOR_F_FOCUS : 0;
}

/* After a (re)subscription to the cursor service: follow as asked. */
void
conn_follow_update(struct conn *c)
{
	if (c->srv->cursor == NULL || c->sub_cursor == 0)
		return;
	if (!c->follow_window)
		c->focus_display = -1;
	svc_cursor_set_follow(c->srv->cursor, c->id,
	    c->follow_cursor || c->follow_window ? conn_follow_cb : NULL);
}
