/*
 * conn_ctl.c: the toolbar's controls that are neither input nor video
 * options: the screenshot (PROTOCOL.md §9.6, clients >= 1.4.0), "Restart
 * remote device" and the locks ("Insert Lock", "Lock after session end")
 * through the session (session_reboot, session_lock; HOST.md §5.11), and the requests a Linux host cannot
 * serve (switch sides, elevation), answered as upstream answers them.
 */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/conn/conn_int.h"
#include "server/media/cap.h"
#include "server/session.h"
#include "server/srv.h"
#include "server/svc/svc_input.h"

/* Upstream's text when no picture could be taken (video_service.rs). */
#define CTL_SHOT_FAILED	"Failed to take screenshot, please try again later."
/* Upstream's details when no privacy mode implementation exists. */
#define CTL_PRIVACY_UNSUPPORTED "Unsupported. 1 Multi-screen is not " \
	"supported. 2 Please confirm the license is activated."
/* Switch sides needs a RustDesk client on this host to connect back. */
#define CTL_NO_SWITCH \
	"This host cannot switch sides: it has no RustDesk client to " \
	"connect back to you."

/* A growing buffer libpng writes into. */
struct ctl_png {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};

/* libpng write callback: append to the buffer. */
static void
ctl_png_write(png_structp png, png_bytep p, png_size_t n)
{
	struct ctl_png *b = png_get_io_ptr(png);

	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* libpng flush callback: nothing to flush in memory. */
static void
ctl_png_flush(png_structp png)
{
	(void)png;
}

/*
 * Encodes a BGRX picture as an RGBA PNG (what upstream sends, alpha 255).
 * Returns 0 and *out (free it) with *outlen, or ERR_IO.
 */
static int
ctl_png_encode(const struct cap_image *img, uint8_t **out, size_t *outlen)
{
	struct ctl_png b = { NULL, 0, 0 };
	png_structp png;
	png_infop info = NULL;
	uint8_t *row;
	int x, y, w = img->r.w, h = img->r.h;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
		png_destroy_write_struct(&png, NULL);
		return ERR_IO;
	}
	row = xmalloc((size_t)w * 4);
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(row);
		free(b.p);
		return ERR_IO;
	}
	png_set_write_fn(png, &b, ctl_png_write, ctl_png_flush);
	png_set_compression_level(png, 6);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8,
	    PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < h; y++) {
		const uint8_t *s = img->data + (size_t)y * img->stride;

		for (x = 0; x < w; x++) {
			row[x * 4] = s[x * 4 + 2];
			row[x * 4 + 1] = s[x * 4 + 1];
			row[x * 4 + 2] = s[x * 4];
			row[x * 4 + 3] = 255;
		}
		png_write_row(png, row);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	*out = b.p;
	*outlen = b.len;
	return 0;
}

/*
 * Grabs display `display` of the X display and encodes it. Returns 0 and
 * *png (free it), or a negative ERR_*.
 */
static int
ctl_shoot(int display, uint8_t **png, size_t *pnglen)
{
	struct cap_display d[CAP_DISPLAYS_MAX];
	struct cap_image img;
	struct cap_rect r, changed;
	struct cap *cp;
	int n, err;

	if ((err = cap_x11.open(NULL, CAP_F_NODAMAGE, &cp)) != 0)
		return err;
	if ((n = cap_x11.displays(cp, d, CAP_DISPLAYS_MAX)) < 0)
		err = n;
	else if (display < 0 || display >= n)
		err = ERR_INVAL;
	else {
		r.x = d[display].x;
		r.y = d[display].y;
		r.w = d[display].width;
		r.h = d[display].height;
		if ((err = cap_x11.grab(cp, &r, &img, &changed)) == 0)
			err = ctl_png_encode(&img, png, pnglen);
	}
	cap_x11.close(cp);
	return err;
}

/* ScreenshotRequest: the display's picture as a PNG, or upstream's text. */
void
conn_recv_screenshot(struct conn *c, const Hbb__Message *m)
{
	const Hbb__ScreenshotRequest *rq = m->screenshot_request;
	Hbb__Message out = HBB__MESSAGE__INIT;
	Hbb__ScreenshotResponse rs = HBB__SCREENSHOT_RESPONSE__INIT;
	uint8_t *png = NULL;
	size_t len = 0;
	int r;

	if (c->kind != LOGIN_KIND_REMOTE)
		return;
	rs.sid = rq->sid;
	if ((r = ctl_shoot(rq->display, &png, &len)) != 0) {
		log_info_r(r, "conn %u: screenshot of display %d", c->id,
		    rq->display);
		rs.msg = (char *)CTL_SHOT_FAILED;
	} else {
		rs.data.data = png;
		rs.data.len = len;
	}
	out.union_case = HBB__MESSAGE__UNION_SCREENSHOT_RESPONSE;
	out.screenshot_response = &rs;
	conn_send(c, &out);
	free(png);
}

/* Sends the client a MessageBox of type error. */
static void
ctl_msgbox(struct conn *c, const char *title, const char *text)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__MessageBox mb = HBB__MESSAGE_BOX__INIT;

	mb.msgtype = (char *)"error";
	mb.title = (char *)title;
	mb.text = (char *)text;
	m.union_case = HBB__MESSAGE__UNION_MESSAGE_BOX;
	m.message_box = &mb;
	conn_send(c, &m);
}

/*
 * Misc.restart_remote_device: with the Restart permission, reboot through
 * logind (upstream then says nothing; the client waits for the host to
 * come back). Without it the client is told again that Restart is off, so
 * that it hides the menu; a failure is shown, never ignored.
 */
void
conn_recv_restart(struct conn *c)
{
	char *why = NULL, *text;

	if (c->kind != LOGIN_KIND_REMOTE)
		return;
	if (!c->perm[PERM_RESTART]) {
		log_info("conn %u peer %s: restart refused (permission off)",
		    c->id, c->peer);
		conn_send_permission(c, PERM_RESTART);
		return;
	}
	if (session_reboot(&why) == 0) {
		log_info("conn %u peer %s: restart by the peer", c->id,
		    c->peer);
		return;
	}
	log_warn("conn %u peer %s: failed to restart: %s", c->id, c->peer,
	    why);
	xasprintf(&text, "Failed to restart: %s", why);
	ctl_msgbox(c, "Restart remote device", text);
	free(text);
	free(why);
}

/*
 * Locks the desk's logind session. Returns 0, or ERR_NOTFOUND when the
 * session source knows no logind session (no logind: the caller falls
 * back to the lock shortcut), or ERR_IO (logged).
 */
static int
ctl_lock(struct conn *c, const char *what)
{
	const struct session *s;
	char *why = NULL;
	int r;

	if (c->srv->desk == NULL ||
	    (s = session_source_get(c->srv->desk)) == NULL || s->id == NULL)
		return ERR_NOTFOUND;
	if ((r = session_lock(s->id, &why)) != 0) {
		log_warn("conn %u peer %s: %s: logind did not lock session "
		    "%s: %s", c->id, c->peer, what, s->id, why);
		free(why);
		return r;
	}
	log_info("conn %u peer %s: %s: session %s locked", c->id, c->peer,
	    what, s->id);
	return 0;
}

/*
 * "Insert Lock" sends KeyEvent{control_key LockScreen} (legacy mode):
 * lock through logind, since Super+L locks only some desktops. Without a
 * logind session input types Super+L, as upstream does on Linux.
 */
int
conn_ctl_lock_key(struct conn *c, const Hbb__KeyEvent *ke)
{
	if (ke->union_case != HBB__KEY_EVENT__UNION_CONTROL_KEY ||
	    ke->control_key != HBB__CONTROL_KEY__LockScreen)
		return 0;
	if (!ke->down && !ke->press)
		return 1;	/* the lock went with the press */
	return ctl_lock(c, "insert lock") != ERR_NOTFOUND;
}

/*
 * From conn_close: an authorized remote session with "Lock after session
 * end" and the Keyboard permission locks the desk as it goes (upstream's
 * on_close); the last remote session restores the resolutions.
 */
void
conn_ctl_closed(struct conn *c)
{
	Hbb__KeyEvent ke = HBB__KEY_EVENT__INIT;

	if (c->state == CONN_AUTHORIZED && c->kind == LOGIN_KIND_REMOTE &&
	    c->lock_after_end && c->perm[PERM_KEYBOARD] &&
	    ctl_lock(c, "lock after session end") == ERR_NOTFOUND &&
	    c->srv->input != NULL) {
		ke.union_case = HBB__KEY_EVENT__UNION_CONTROL_KEY;
		ke.control_key = HBB__CONTROL_KEY__LockScreen;
		ke.mode = HBB__KEYBOARD_MODE__Legacy;
		ke.down = 1;
		svc_input_key(c->srv->input, c->id, &ke);
		ke.down = 0;
		svc_input_key(c->srv->input, c->id, &ke);
	}
	conn_display_restore(c->srv);
}

/*
 * Requests a Linux host cannot serve. Elevation: upstream's answer from
 * a host that needs none ("No permission" without Keyboard), which the
 * client shows as an elevation error. Switch sides: upstream's Linux host
 * starts a client of its own to connect back; cdesk has none, so the
 * client is told so (it has usually closed the session already) and the
 * refusal is logged.
 */
void
conn_recv_cannot(struct conn *c, const Hbb__Misc *misc)
{
	Hbb__Misc out = HBB__MISC__INIT;

	if (c->kind != LOGIN_KIND_REMOTE)
		return;
	if (misc->union_case == HBB__MISC__UNION_ELEVATION_REQUEST) {
		out.union_case = HBB__MISC__UNION_ELEVATION_RESPONSE;
		out.elevation_response = c->perm[PERM_KEYBOARD] ?
		    (char *)"No need to elevate" : (char *)"No permission";
		conn_send_misc(c, &out);
		return;
	}
	log_info("conn %u peer %s: switch sides refused (no client here)",
	    c->id, c->peer);
	ctl_msgbox(c, "Switch Sides", CTL_NO_SWITCH);
}

/*
 * Misc.client_record_status: the client starts or stops recording the
 * session. As upstream's host, the encoders are reopened for it: a key
 * frame for its recorder to start at, then one every ENC_KEYINT_RECORD
 * pictures while anyone records (HOST.md §5.2), none once nobody does.
 */
void
conn_recv_record(struct conn *c, int on)
{
	if (c->kind != LOGIN_KIND_REMOTE)
		return;
	log_info("conn %u peer %s: recording %s", c->id, c->peer,
	    on ? "started" : "stopped");
	c->vprefs.record = on != 0;
	if (c->video_displays != 0)
		svc_video_set_prefs(c->srv->video, c->id, &c->vprefs);
}

/*
 * Misc.toggle_privacy_mode: X11 offers no way to hide the screen from the
 * person at the desk while we capture it. As upstream's host without an
 * implementation: turning it on without the Privacy mode permission is
 * PrvOnFailedDenied, anything else PrvNotSupported with its text.
 */
void
conn_recv_privacy(struct conn *c, const Hbb__TogglePrivacyMode *t)
{
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__BackNotification bn = HBB__BACK_NOTIFICATION__INIT;

	bn.union_case = HBB__BACK_NOTIFICATION__UNION_PRIVACY_MODE_STATE;
	bn.impl_key = t->impl_key;
	if (t->on && !c->perm[PERM_PRIVACY_MODE]) {
		bn.privacy_mode_state =
		    HBB__BACK_NOTIFICATION__PRIVACY_MODE_STATE__PrvOnFailedDenied;
		bn.details = (char *)"";
	} else {
		bn.privacy_mode_state =
		    HBB__BACK_NOTIFICATION__PRIVACY_MODE_STATE__PrvNotSupported;
		bn.details = (char *)CTL_PRIVACY_UNSUPPORTED;
	}
	misc.union_case = HBB__MISC__UNION_BACK_NOTIFICATION;
	misc.back_notification = &bn;
	conn_send_misc(c, &misc);
}
