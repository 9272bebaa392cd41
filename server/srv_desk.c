/*
 * srv_desk.c: the server follows the desktop session on the screen
 * (HOST.md §1.1; ARCHITECTURE.md "Whose desktop"). When the session source
 * reports a change (a log-in, a user switch, a log-out to the login
 * screen, the headless display):
 * - capture, input, clipboard and cursor move to the session's X display,
 *   presenting its X authority (x11_auth.h: a root service has none of its
 *   own); connected peers get what the stock client gets when displays
 *   change (a new PeerInfo, then SwitchDisplay and a key frame of each
 *   display they watch: PROTOCOL.md §7.4);
 * - logins follow what the session lets in (login.h, enum login_desk):
 *   remote control on a user's X11 desktop and on an X11 login screen,
 *   files and terminal only for a logged-in user;
 * - a desk that cannot be shared (nobody, a Wayland session, a text
 *   console) stops the display services; its remote sessions stay for
 *   SRV_DESK_GRACE_S (environment CDESK_DESK_GRACE_S in tests), since a
 *   log-in passes through the login screen and, briefly, through nobody,
 *   and are then closed with the reason (login_desk_refusal's text);
 * - sound is recorded from the session user's own PulseAudio (or
 *   PipeWire's pulse) server in their runtime folder, with their cookie.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/cmlink.h"
#include "server/conn/conn.h"
#include "server/conn/login.h"
#include "server/fsh.h"
#include "server/session.h"
#include "server/srv.h"
#include "server/svc/svc_audio.h"
#include "server/svc/svc_clip.h"
#include "server/svc/svc_cursor.h"
#include "server/svc/svc_input.h"
#include "server/svc/svc_video.h"
#include "server/sysinfo.h"
#ifndef _WIN32
#include "server/x11/x11_auth.h"
#else
/* A Windows desktop has no X authority to present. */
#define x11_auth_set(display, path, uid)	0
#endif

/* Seconds a remote session waits for a desk (CDESK_DESK_GRACE_S sets). */
#define SRV_DESK_GRACE_S	30

/* What the CM and the main window tell the person at a Wayland desk. */
#define SRV_DESK_WAYLAND_NOTICE \
	"This desktop is a Wayland session: cdesk can show and control X11 " \
	"sessions only, so remote control is refused. To allow it, log out " \
	"and, on the login screen, choose \"GNOME on Xorg\" (or another " \
	"X11 session) before logging in again."
#define SRV_DESK_WAYLAND_GREETER_NOTICE \
	"The login screen runs on Wayland: cdesk can show and control X11 " \
	"sessions only, so remote control is refused. An administrator can " \
	"switch the login screen to X11 (GDM: WaylandEnable=false in " \
	"/etc/gdm3/custom.conf) and restart the display manager."

/* What the session on the screen lets peers in to. */
static enum login_desk
srv_desk_kind(const struct session *s)
{
	int greeter = s->class == SESSION_CLASS_GREETER;

	/* First: a Wayland session may name Xwayland's display, which
	 * shows only its X clients. */
	if (s->type == SESSION_TYPE_WAYLAND)
		return greeter ? LOGIN_DESK_WAYLAND_GREETER :
		    LOGIN_DESK_WAYLAND;
	if (s->uid == SESSION_UID_NONE || s->display == NULL)
		return LOGIN_DESK_NONE;
	return greeter ? LOGIN_DESK_GREETER : LOGIN_DESK_USER;
}

/* The monitors changed: the video service asks for a new PeerInfo. */
static void
srv_desk_displays_cb(void *arg)
{
	conn_displays_changed(arg);
}

/* Opens (first time) or moves injection and the clipboard to display. */
static void
srv_desk_input(struct srv *srv, const char *display)
{
	char *cause = NULL;
	int r;

	if (srv->input != NULL) {
		if (svc_input_move(srv->input, display, &cause) != 0)
			log_warn("%s", cause);
	} else if (display != NULL && (srv->input = svc_input_new(srv->base,
	    display, &cause)) == NULL)
		log_warn("input service unavailable: %s", cause);
	free(cause);
	if (srv->clip != NULL)
		(void)svc_clip_move(srv->clip, display);
	else if (display != NULL &&
	    (r = svc_clip_new(srv->base, display, &srv->clip)) != 0)
		log_warn_r(r, "clipboard service unavailable on %s", display);
}

/* Opens (first time) or moves the cursor and capture to display. */
static void
srv_desk_capture(struct srv *srv, const char *display)
{
	struct svc_video_config vc = { display, 0, srv_desk_displays_cb, srv,
	    SVC_VIDEO_CFG_WARM };
	int r;

	if (srv->cursor != NULL)
		(void)svc_cursor_move(srv->cursor, display);
	else if (display != NULL &&
	    (r = svc_cursor_new(srv->base, display, &srv->cursor)) != 0)
		log_warn_r(r, "cursor service unavailable on %s", display);
	/* Last: the peers' new PeerInfo lists what the others now serve. */
	if (srv->video != NULL)
		(void)svc_video_set_x_display(srv->video, display);
	else if (display != NULL &&
	    (r = svc_video_new(srv->base, &vc, &srv->video)) != 0)
		log_warn_r(r, "video service unavailable on %s", display);
}

/*
 * Reads uid's PulseAudio cookie from home into cookie: a regular file of
 * uid's (not a symlink; O_NONBLOCK: never stuck on a FIFO) of the exact
 * size, so that root reads nothing the user could not. 1 or 0.
 */
static int
srv_desk_cookie_at(const char *home, const char *name, long uid,
    uint8_t *cookie)
{
	struct stat st;
	char *path;
	int fd, ok = 0;

	xasprintf(&path, "%s/%s", home, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (long)st.st_uid == uid && st.st_size == SVC_AUDIO_COOKIE_LEN &&
	    read(fd, cookie, SVC_AUDIO_COOKIE_LEN) == SVC_AUDIO_COOKIE_LEN)
		ok = 1;
	close(fd);
	return ok;
}

/*
 * Moves audio capture to the session user's sound server: for another
 * user's session (a root service), the server in their runtime folder
 * with their cookie, recorded only when it says it runs as them, or none
 * when it has no runtime folder; for our own session our own (libpulse's
 * default), and for nobody that too unless we are root (a root service's
 * own sound is no desk's).
 */
static void
srv_desk_audio(struct srv *srv, const struct session *s)
{
	uint8_t cookie[SVC_AUDIO_COOKIE_LEN];
	struct passwd *pw;
	char *server = NULL;
	int have = 0, own;

	if (srv->audio == NULL)
		return;
	own = s->uid == (long)geteuid() ||
	    (s->uid == SESSION_UID_NONE && geteuid() != 0);
	/* libpulse reads spaces as a list of servers. */
	if (s->uid != SESSION_UID_NONE && s->uid != (long)geteuid() &&
	    s->runtime_dir != NULL && s->runtime_dir[0] == '/' &&
	    strpbrk(s->runtime_dir, " \t\n") == NULL && s->name != NULL) {
		xasprintf(&server, "unix:%s/pulse/native", s->runtime_dir);
		if ((pw = getpwuid((uid_t)s->uid)) != NULL &&
		    pw->pw_dir != NULL)
			have = srv_desk_cookie_at(pw->pw_dir,
			    ".config/pulse/cookie", s->uid, cookie) ||
			    srv_desk_cookie_at(pw->pw_dir, ".pulse-cookie",
			    s->uid, cookie);
	}
	if (server == NULL && !own)
		server = xstrdup("");
	(void)svc_audio_set_server(srv->audio, server, have ? cookie : NULL,
	    have ? sizeof cookie : 0, server != NULL && *server != '\0' ?
	    s->name : NULL);
	sodium_memzero(cookie, sizeof cookie);
	free(server);
}

/* 1 when two strings (or NULLs) are equal. */
static int
srv_desk_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Seconds remote sessions wait for a desk to come back. */
static int
srv_desk_grace_s(void)
{
	const char *e = getenv("CDESK_DESK_GRACE_S");
	int s;

	if (e != NULL && (s = atoi(e)) > 0 && s <= 3600)
		return s;
	return SRV_DESK_GRACE_S;
}

/* The grace ran out: remote sessions of a desk still gone are closed. */
static void
srv_desk_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv *srv = arg;
	const char *why;

	(void)fd;
	(void)what;
	why = login_desk_refusal(LOGIN_KIND_REMOTE,
	    (enum login_desk)srv->desk_login);
	if (why == NULL)
		return;
	log_info("desk: nothing to share for %d s: closing %u remote "
	    "session(s): %s", srv_desk_grace_s(), conn_remote_count(srv),
	    why);
	conn_desk_gone(srv, why);
}

/* Starts the grace when remote sessions lose their desk; ends it when a
 * desk is back. */
static void
srv_desk_grace(struct srv *srv, int shared)
{
	struct timeval tv = { srv_desk_grace_s(), 0 };

	if (srv->desk_grace == NULL &&
	    (srv->desk_grace = evtimer_new(srv->base, srv_desk_grace_cb,
	    srv)) == NULL)
		fatal("libevent: cannot make the desk timer");
	if (shared) {
		evtimer_del(srv->desk_grace);
		return;
	}
	if (conn_remote_count(srv) == 0 ||
	    evtimer_pending(srv->desk_grace, NULL))
		return;
	log_info("desk: nothing to share: %u remote session(s) wait up to "
	    "%d s for a desktop", conn_remote_count(srv), (int)tv.tv_sec);
	evtimer_add(srv->desk_grace, &tv);
}

/* Follows the session now. */
void
srv_desk_follow(struct srv *srv, const struct session *s)
{
	enum login_desk desk = srv_desk_kind(s);
	const char *display = NULL;
	int r;

	if (desk == LOGIN_DESK_USER || desk == LOGIN_DESK_GREETER)
		display = s->display;
	srv->desk_login = desk;
	/* Files are moved as the session's user (greeters are refused at
	 * login, see login.c). */
	fsh_set_session(srv->fsh, s);
	/* Peers that lose their desk to Wayland: tell the desk why. */
	if (srv->cm != NULL)
		cmlink_set_notice(srv->cm, srv_desk_notice(srv),
		    conn_remote_count(srv) > 0);
	srv_desk_audio(srv, s);
	sysinfo_set_user(srv->sysinfo, desk == LOGIN_DESK_USER ? s->name :
	    NULL);
	if (srv_desk_streq(display, srv->desk_display) &&
	    (display == NULL || s->xpid == srv->desk_xpid)) {
		/* The same X server: only new connections need a cookie. */
		if (display != NULL &&
		    !srv_desk_streq(s->xauthority, srv->desk_xauth)) {
			(void)x11_auth_set(display, s->xauthority, s->uid);
			free(srv->desk_xauth);
			srv->desk_xauth = s->xauthority != NULL ?
			    xstrdup(s->xauthority) : NULL;
		}
		srv_desk_grace(srv, display != NULL);
		return;
	}
	free(srv->desk_display);
	free(srv->desk_xauth);
	srv->desk_display = display != NULL ? xstrdup(display) : NULL;
	srv->desk_xauth = display != NULL && s->xauthority != NULL ?
	    xstrdup(s->xauthority) : NULL;
	srv->desk_xpid = display != NULL ? s->xpid : 0;
	if ((r = x11_auth_set(display, srv->desk_xauth, s->uid)) != 0)
		log_warn_r(r, "desk: no X authority for %s", display);
	log_info("desk: sharing %s", display != NULL ? display : "nothing");
	srv_desk_input(srv, display);
	srv_desk_capture(srv, display);
	srv_desk_grace(srv, display != NULL);
}

/* What the person at the desk should know about it, or NULL. */
const char *
srv_desk_notice(const struct srv *srv)
{
	switch ((enum login_desk)srv->desk_login) {
	case LOGIN_DESK_WAYLAND:
		return SRV_DESK_WAYLAND_NOTICE;
	case LOGIN_DESK_WAYLAND_GREETER:
		return SRV_DESK_WAYLAND_GREETER_NOTICE;
	default:
		return NULL;
	}
}

/* A remote-control login refused for the desk: the desk hears why. */
void
srv_desk_refused(struct srv *srv, const char *why)
{
	const char *text = srv_desk_notice(srv), *desk;

	desk = login_desk_refusal(LOGIN_KIND_REMOTE,
	    (enum login_desk)srv->desk_login);
	if (srv->cm != NULL && text != NULL && desk != NULL &&
	    why != NULL && strcmp(why, desk) == 0)
		cmlink_set_notice(srv->cm, text, 1);
}

/* Gives the session source the headless-user of the config now. */
static void
srv_desk_config_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv *srv = arg;

	(void)fd;
	(void)what;
	if (srv->desk != NULL)
		session_source_set_headless(srv->desk,
		    cfg_get(srv->cfg, "headless-user"), srv->paths->run_dir);
}

/* The config was (re)loaded: look at headless-user from the loop. */
void
srv_desk_config(struct srv *srv)
{
	if (srv->desk == NULL)
		return;		/* srv_run sets it once the run folder is made */
	if (srv->desk_cfg == NULL &&
	    (srv->desk_cfg = evtimer_new(srv->base, srv_desk_config_cb,
	    srv)) == NULL)
		fatal("libevent: cannot make the config timer");
	event_active(srv->desk_cfg, EV_TIMEOUT, 0);
}

/* Frees the timers and forgets the display and its cookie. */
void
srv_desk_stop(struct srv *srv)
{
	if (srv->desk_grace != NULL)
		event_free(srv->desk_grace);
	if (srv->desk_cfg != NULL)
		event_free(srv->desk_cfg);
	srv->desk_grace = srv->desk_cfg = NULL;
	free(srv->desk_display);
	free(srv->desk_xauth);
	srv->desk_display = srv->desk_xauth = NULL;
	(void)x11_auth_set(NULL, NULL, SESSION_UID_NONE);
}
