/*
 * conn_ctl.c: the toolbar's controls that are neither input nor video
 * options: the screenshot (PROTOCOL.md §9.6, clients >= 1.4.0) and
 * "Restart remote device" (session_reboot; HOST.md §5.11).
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

/* Upstream's text when no picture could be taken (video_service.rs). */
#define CTL_SHOT_FAILED	"Failed to take screenshot, please try again later."

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
