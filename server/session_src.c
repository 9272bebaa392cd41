/*
 * session_src.c: the session source. It picks a backend (logind, as root,
 * when logind is on the system bus; otherwise the X server of $DISPLAY),
 * completes what the backend finds (the session's environment, its X
 * authority, and with logind the check that the display is served by the
 * session's user or root), keeps the session now, and tells its owner
 * when it changes. Every few seconds it asks who serves the display, so an
 * X server that starts, stops or is replaced is noticed without a signal.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/session_int.h"

/* Owned, except base, be and arg. */
struct session_source {
	struct event_base		*base;	/* borrowed */
	const struct session_backend	*be;
	void				*state;	/* the backend's */
	struct event			*check;	/* who serves the display */
	struct session			 now;
	session_change_cb		*cb;
	void				*arg;
	char				*refused; /* last refusal logged */
	/* Headless: a display of our own when there is none. */
	char				*headless_user;
	char				*headless_dir;
	struct session_headless		*headless;
	struct session_headless		*headless_old; /* the user's before
						 * headless-user changed */
	time_t				 headless_tried;
	int				 hinted; /* said what to set */
};

/* 1 when two strings (or NULLs) are equal. */
static int
session_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* 1 when a and b differ in what the server acts on. */
static int
session_differs(const struct session *a, const struct session *b)
{
	return a->uid != b->uid || a->class != b->class ||
	    a->type != b->type || a->xpid != b->xpid ||
	    !session_streq(a->display, b->display) ||
	    !session_streq(a->id, b->id) ||
	    !session_streq(a->xauthority, b->xauthority);
}

/* Log line (taken) unless it is *last, which then becomes line. */
static void
session_log_once(char **last, char *line, int warn)
{
	if (last != NULL && *last != NULL && strcmp(*last, line) == 0) {
		free(line);
		return;
	}
	if (warn)
		log_warn("session: %s", line);
	else
		log_info("session: %s", line);
	if (last != NULL) {
		free(*last);
		*last = line;
	} else
		free(line);
}

/*
 * With logind: 1 when nothing is displayed or the display is served by
 * the session's user or root; else make s nobody's (display and xpid
 * kept, so the check notices a change) and say why, once.
 */
static int
session_verify_x(struct session *s, char **refused)
{
	long xuid, xpid;
	char *line;
	int r;

	if (s->display == NULL)
		return 1;
	r = session_x11_peer(s->display, &xuid, &xpid);
	s->xpid = xpid;
	if (r == 0 && (xuid == s->uid || xuid == 0)) {
		if (refused != NULL) {
			free(*refused);
			*refused = NULL;
		}
		return 1;
	}
	if (r == 0)
		xasprintf(&line, "display %s of logind session %s (uid %ld) "
		    "is served by uid %ld (pid %ld), neither the session's "
		    "user nor root: a squatter on the X socket name, refused",
		    s->display, s->id, s->uid, xuid, xpid);
	else
		xasprintf(&line, "display %s of logind session %s (uid %ld): "
		    "no X server answers (%s); nobody's session until one "
		    "does", s->display, s->id, s->uid, err_str(r));
	session_log_once(refused, line, r == 0);
	s->uid = SESSION_UID_NONE;
	s->gid = -1;
	return 0;
}

/* uid's runtime folder when it is there and uid's, or NULL. */
static char *
session_user_runtime(long uid)
{
	struct stat st;
	char *path;

	xasprintf(&path, "/run/user/%ld", uid);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (long)st.st_uid == uid)
		return path;
	free(path);
	return NULL;
}

/* uid's D-Bus session bus when its socket is there and uid's, or NULL. */
static char *
session_user_bus(long uid)
{
	struct stat st;
	char *path, *addr = NULL;

	xasprintf(&path, "/run/user/%ld/bus", uid);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    (long)st.st_uid == uid)
		xasprintf(&addr, "unix:path=%s", path);
	free(path);
	return addr;
}

/*
 * Complete a session of our own uid found through X (a user's own server,
 * or a root service on root's X server): our environment is the session's.
 */
static void
session_complete_own(struct session *s)
{
	const char *v;

	if ((v = getenv("XAUTHORITY")) != NULL &&
	    session_x11_trusted(v, s->uid, "our environment"))
		s->xauthority = xstrdup(v);
	if ((v = getenv("XDG_RUNTIME_DIR")) != NULL)
		s->runtime_dir = xstrdup(v);
	if ((v = getenv("DBUS_SESSION_BUS_ADDRESS")) != NULL)
		s->dbus = xstrdup(v);
	if ((v = getenv("WAYLAND_DISPLAY")) != NULL && *v != '\0')
		s->wayland = xstrdup(v);
}

/* Complete another user's session (or any logind session). */
static void
session_complete_other(struct session *s, char **refused)
{
	struct session_penv pe;
	int logind = s->how == SESSION_HOW_LOGIND;

	session_proc_env(s->uid, s->leader, logind ? s->id : NULL, s->display,
	    &pe);
	if (s->display == NULL) {
		s->display = pe.display;
		pe.display = NULL;
	}
	if (logind && !session_verify_x(s, refused))
		goto out;
	s->xauthority = pe.xauthority;
	pe.xauthority = NULL;
	if (s->xauthority == NULL && s->display != NULL)
		s->xauthority = session_x11_known_auth(s->uid, s->xpid);
	s->runtime_dir = pe.runtime_dir;
	pe.runtime_dir = NULL;
	if (s->runtime_dir == NULL)
		s->runtime_dir = session_user_runtime(s->uid);
	s->dbus = pe.dbus;
	pe.dbus = NULL;
	s->wayland = pe.wayland;
	pe.wayland = NULL;
	if (s->dbus == NULL)
		s->dbus = session_user_bus(s->uid);
out:
	session_penv_free(&pe);
}

/* Complete what a backend found. */
void
session_complete(struct session *s, char **refused)
{
	struct passwd *pw;
	long xuid;

	if (s->uid == SESSION_UID_NONE) {
		/* Who serves a display named for nobody, for the check. */
		if (s->display != NULL && s->xpid == 0)
			(void)session_x11_peer(s->display, &xuid, &s->xpid);
		return;
	}
	if ((pw = getpwuid((uid_t)s->uid)) != NULL) {
		if (s->name == NULL)
			s->name = xstrdup(pw->pw_name);
		s->gid = (long)pw->pw_gid;
	}
	if (s->how == SESSION_HOW_XPEER && s->uid == (long)geteuid())
		session_complete_own(s);
	else
		session_complete_other(s, refused);
}

/*
 * The backend for this process: logind says whose seat it is, but only a
 * root service can serve another user's session, so a user's own server
 * (development, tests, `make run`) serves the X server of its $DISPLAY.
 */
static const struct session_backend *
session_pick(struct event_base *base, struct session_source *src,
    void **state)
{
	if (geteuid() == 0 &&
	    session_logind_backend.open(base, src, state) == 0)
		return &session_logind_backend;
	if (session_xpeer_backend.open(base, src, state) != 0)
		fatal("session: the X backend cannot fail");
	return &session_xpeer_backend;
}

/* Find the session once. */
void
session_find(struct session *s)
{
	const struct session_backend *be;
	void *state;

	be = session_pick(NULL, NULL, &state);
	be->query(state, s);
	be->free(state);
	session_complete(s, NULL);
}

/* Every few seconds: when another process serves the display, look again. */
static void
session_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session_source *src = arg;
	long uid, pid;

	(void)fd;
	(void)what;
	if (src->now.display == NULL) {
		/* A headless display that could not start: try again. */
		if (src->headless_user != NULL && src->headless == NULL)
			src->be->refresh(src->state);
		return;
	}
	(void)session_x11_peer(src->now.display, &uid, &pid);
	if (pid != src->now.xpid)
		src->be->refresh(src->state);
}

/* Start a source. */
struct session_source *
session_source_new(struct event_base *base, session_change_cb *cb,
    void *arg)
{
	struct timeval tv = { SESSION_CHECK_S, 0 };
	struct session_source *src;

	src = xcalloc(1, sizeof *src);
	src->base = base;
	src->cb = cb;
	src->arg = arg;
	session_init(&src->now);
	src->be = session_pick(base, src, &src->state);
	src->be->query(src->state, &src->now);
	session_complete(&src->now, &src->refused);
	src->check = event_new(base, -1, EV_PERSIST, session_check_cb, src);
	if (src->check == NULL || event_add(src->check, &tv) != 0)
		fatal("libevent: cannot add the session check");
	log_info("session: following %s", src->be->name);
	return src;
}

/*
 * No session with a display (and not a Wayland one): with a headless user,
 * s becomes the headless display's session, started if need be; without,
 * say once what to set.
 */
static void
session_apply_headless(struct session_source *src, struct session *s)
{
	time_t now = time(NULL);

	if (s->display != NULL || s->type == SESSION_TYPE_WAYLAND)
		return;
	if (src->headless_user == NULL) {
		if (!src->hinted)
			log_info("session: no desktop session with a display "
			    "here; to serve a virtual one of the host's own, "
			    "set option headless-user to a user's name in the "
			    "server's config file (headless-user = NAME under "
			    "[options]) and reload the server (SIGHUP)");
		src->hinted = 1;
		return;
	}
	if (src->headless != NULL &&
	    !session_headless_alive(src->headless)) {
		session_headless_free(src->headless);
		src->headless = NULL;
	}
	if (src->headless == NULL) {
		if (now - src->headless_tried < SESSION_HEADLESS_RETRY_S)
			return;
		src->headless_tried = now;
		if (session_headless_start(src->base, src->headless_user,
		    src->headless_dir, &src->headless) != 0)
			return;
	}
	session_copy(s, session_headless_session(src->headless));
}

/* A backend found raw: complete it and report a change. */
void
session_source_report(struct session_source *src, struct session *raw)
{
	session_complete(raw, &src->refused);
	session_apply_headless(src, raw);
	if (!session_differs(&src->now, raw)) {
		session_fini(raw);
		return;
	}
	session_fini(&src->now);
	src->now = *raw;
	session_init(raw);
	if (src->cb != NULL)
		src->cb(&src->now, src->arg);
	/* The services left the old user's display: it can go now. */
	if (src->headless_old != NULL &&
	    src->now.xpid !=
	    session_headless_session(src->headless_old)->xpid) {
		session_headless_free(src->headless_old);
		src->headless_old = NULL;
	}
}

/* The session now. */
const struct session *
session_source_get(const struct session_source *src)
{
	return &src->now;
}

/*
 * Serve a display of our own when there is none. A new user replaces the
 * display of the one before: the old one stays until the owner has moved
 * off it (the next report), so capture never faces a dying X server.
 */
void
session_source_set_headless(struct session_source *src, const char *user,
    const char *run_dir)
{
	const char *u = user != NULL && *user != '\0' ? user : NULL;

	if (src->headless_dir != NULL && session_streq(u, src->headless_user))
		return;
	if (src->headless_dir != NULL)
		log_info("session: headless-user is now %s", u != NULL ? u :
		    "unset");
	if (src->headless != NULL) {
		session_headless_free(src->headless_old);
		src->headless_old = src->headless;
		src->headless = NULL;
	}
	free(src->headless_user);
	free(src->headless_dir);
	src->headless_user = u != NULL ? xstrdup(u) : NULL;
	src->headless_dir = xstrdup(run_dir);
	src->headless_tried = 0;
	src->hinted = 0;
	src->be->refresh(src->state);
}

/* Stop and free. */
void
session_source_free(struct session_source *src)
{
	if (src == NULL)
		return;
	session_headless_free(src->headless);
	session_headless_free(src->headless_old);
	free(src->headless_user);
	free(src->headless_dir);
	if (src->check != NULL)
		event_free(src->check);
	src->be->free(src->state);
	session_fini(&src->now);
	free(src->refused);
	free(src);
}
