/* sysinfo.c: hostname, desktop user, displays and encoders for PeerInfo. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xcb/randr.h>
#include <xcb/xcb.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "common/version.h"
#include "server/enc.h"
#include "server/sysinfo.h"

struct sysinfo {
	char			*hostname;	/* owned */
	char			*username;	/* owned */
	Hbb__SupportedEncoding	 enc;
	Hbb__CodecAbility	 i444;
	Hbb__Features		 features;
};

/* Name of the desktop user: the owner of the X display's socket, else us. */
static char *
sysinfo_user(void)
{
	const char *d = getenv("DISPLAY");
	struct passwd *pw;
	struct stat st;
	char path[64];
	uid_t uid = geteuid();

	if (d != NULL && d[0] == ':') {
		snprintf(path, sizeof path, "/tmp/.X11-unix/X%d", atoi(d + 1));
		if (stat(path, &st) == 0)
			uid = st.st_uid;
	}
	if ((pw = getpwuid(uid)) != NULL)
		return xstrdup(pw->pw_name);
	return xstrdup("unknown");
}

/* Gather the facts that do not change while the server runs. */
struct sysinfo *
sysinfo_new(void)
{
	struct sysinfo *si = xcalloc(1, sizeof *si);
	char host[256];
	unsigned enc;

	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "unknown");
	host[sizeof host - 1] = '\0';
	si->hostname = xstrdup(host);
	si->username = sysinfo_user();

	hbb__supported_encoding__init(&si->enc);
	hbb__codec_ability__init(&si->i444);
	hbb__features__init(&si->features);
	/* What really opens here (probed once by the encoder layer). */
	enc = enc_supported();
	si->enc.vp8 = (enc & ENC_VP8) != 0;
	si->enc.av1 = (enc & ENC_AV1) != 0;
	si->enc.h264 = (enc & ENC_H264) != 0;
	si->enc.h265 = (enc & ENC_H265) != 0;
	si->enc.i444 = &si->i444;
	return si;
}

/* Free; NULL does nothing. */
void
sysinfo_free(struct sysinfo *si)
{
	if (si == NULL)
		return;
	free(si->hostname);
	free(si->username);
	free(si);
}

/* Append one display to pi. */
static void
sysinfo_add_display(Hbb__PeerInfo *pi, int x, int y, int w, int h,
    const char *name)
{
	Hbb__DisplayInfo *d = xcalloc(1, sizeof *d);

	hbb__display_info__init(d);
	d->x = x;
	d->y = y;
	d->width = w;
	d->height = h;
	d->name = xstrdup(name);
	d->online = 1;
	d->scale = 1.0;
	pi->displays = xreallocarray(pi->displays, pi->n_displays + 1,
	    sizeof *pi->displays);
	pi->displays[pi->n_displays++] = d;
}

/* Read the X server's monitors (RandR 1.5), else the whole screen. */
static int
sysinfo_displays(Hbb__PeerInfo *pi)
{
	xcb_connection_t *c;
	xcb_screen_t *scr;
	xcb_randr_get_monitors_reply_t *mr;
	xcb_randr_monitor_info_iterator_t it;
	int i = 0, primary = 0;

	c = xcb_connect(NULL, NULL);
	if (xcb_connection_has_error(c)) {
		xcb_disconnect(c);
		return ERR_NOTFOUND;
	}
	scr = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
	mr = xcb_randr_get_monitors_reply(c,
	    xcb_randr_get_monitors(c, scr->root, 1), NULL);
	if (mr != NULL) {
		for (it = xcb_randr_get_monitors_monitors_iterator(mr);
		    it.rem > 0; xcb_randr_monitor_info_next(&it), i++) {
			xcb_get_atom_name_reply_t *an;
			char name[64] = "";

			an = xcb_get_atom_name_reply(c,
			    xcb_get_atom_name(c, it.data->name), NULL);
			if (an != NULL) {
				snprintf(name, sizeof name, "%.*s",
				    xcb_get_atom_name_name_length(an),
				    xcb_get_atom_name_name(an));
				free(an);
			}
			if (it.data->primary)
				primary = i;
			sysinfo_add_display(pi, it.data->x, it.data->y,
			    it.data->width, it.data->height, name);
		}
		free(mr);
	}
	if (pi->n_displays == 0)
		sysinfo_add_display(pi, 0, 0, scr->width_in_pixels,
		    scr->height_in_pixels, "screen");
	pi->current_display = primary;
	xcb_disconnect(c);
	return 0;
}

/* Fill pi with this host's facts and displays. */
int
sysinfo_peerinfo(struct sysinfo *si, Hbb__PeerInfo *pi)
{
	pi->username = si->username;
	pi->hostname = si->hostname;
	pi->platform = (char *)"Linux";
	/* The RustDesk feature level we answer for (PROTOCOL.md §14). */
	pi->version = (char *)CDESK_RUSTDESK_VERSION;
	pi->features = &si->features;
	pi->encoding = &si->enc;
	pi->platform_additions = (char *)"{\"is_wayland\":false}";
	return sysinfo_displays(pi);
}

/* Free what sysinfo_peerinfo allocated in pi. */
void
sysinfo_peerinfo_free(Hbb__PeerInfo *pi)
{
	size_t i;

	for (i = 0; i < pi->n_displays; i++) {
		free(pi->displays[i]->name);
		free(pi->displays[i]);
	}
	free(pi->displays);
	pi->displays = NULL;
	pi->n_displays = 0;
}

/* Describe the displays for a log line; caller frees. */
char *
sysinfo_describe(struct sysinfo *si)
{
	Hbb__PeerInfo pi = HBB__PEER_INFO__INIT;
	char *s = xstrdup(""), *t;
	size_t i;

	if (sysinfo_peerinfo(si, &pi) != 0) {
		free(s);
		return xstrdup("no X display");
	}
	for (i = 0; i < pi.n_displays; i++) {
		xasprintf(&t, "%s%s%dx%d+%d+%d", s, i ? ", " : "",
		    pi.displays[i]->width, pi.displays[i]->height,
		    pi.displays[i]->x, pi.displays[i]->y);
		free(s);
		s = t;
	}
	sysinfo_peerinfo_free(&pi);
	return s;
}
