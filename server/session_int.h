/*
 * session_int.h: what the files of the session source share (not for
 * callers outside server/session*.c). session_src.c holds the source
 * object, completes what a backend found (the session's environment, its X
 * authority, the check of the X server's uid) and reports changes;
 * session_logind.c asks logind over sd-bus; session_x11.c knows who serves
 * an X display and which X authority files to trust, and follows $DISPLAY
 * where no logind runs; session_proc.c reads the environment of the
 * session's processes from /proc.
 */
#ifndef CDESK_SESSION_INT_H
#define CDESK_SESSION_INT_H

#include <sys/types.h>

#include "server/session.h"

struct event_base;

#define SESSION_CHECK_S		5	/* recheck who serves display */
#define SESSION_HEADLESS_RETRY_S 10	/* start a dead headless display */

/*
 * A backend of the source, filled in with designated initializers.
 * open() with base NULL opens for one synchronous query (no watching).
 */
struct session_backend {
	const char	*name;
	/* 0 with *state set, or ERR_NOTFOUND when it does not apply here. */
	int		(*open)(struct event_base *base,
			    struct session_source *src, void **state);
	/* Fills s (initialized) with the raw session now, synchronously. */
	void		(*query)(void *state, struct session *s);
	/* Looks again (on the loop, maybe later) and reports. */
	void		(*refresh)(void *state);
	void		(*free)(void *state);
};

extern const struct session_backend session_logind_backend;
extern const struct session_backend session_xpeer_backend;

/*
 * session_src.c: completes raw (see session_complete) and, when it differs
 * from the session now, makes it the session now and runs the change
 * callback. Takes raw's contents; raw is left unknown.
 */
void	session_source_report(struct session_source *src,
	    struct session *raw);
/*
 * Completes a raw session found by a backend: user name and group, the
 * display (from the session's processes when the backend had none); with
 * logind, the check that the display is served by the session's user or
 * root: otherwise (a squatter on the socket name, or no X server yet) the
 * session is nobody's, keeping display and xpid to watch, logged once
 * (when the line differs from *refused, which keeps the last; refused may
 * be NULL); then the X authority, XDG_RUNTIME_DIR and the D-Bus address.
 */
void	session_complete(struct session *s, char **refused);
/* Finds the session once, synchronously (session_current()). */
void	session_find(struct session *s);

/* session_x11.c */
/* The display number of a local display (":N[.S]", "unix:N[.S]"), or -1. */
int	session_x11_number(const char *display);
/*
 * Who serves display: the uid and pid of the process listening on the X
 * socket xcb would reach (the abstract name first, then the path under
 * /tmp/.X11-unix), from SO_PEERCRED. Returns 0, ERR_UNSUPP (not a local
 * display), ERR_NOTFOUND (nobody listens) or ERR_IO.
 */
int	session_x11_peer(const char *display, long *uid, long *pid);
/*
 * 1 when path is an absolute path to a regular file (not a symlink) owned
 * by root, uid or ourselves, that no one else may write, in a folder owned
 * likewise that no one else may change (not writable by group or others,
 * unless sticky); else 0 (logged, naming what).
 */
int	session_x11_trusted(const char *path, long uid, const char *what);
/*
 * The X authority of uid's session on the X server pid xpid (0: unknown),
 * from the places a display manager uses: /run/user/UID/gdm/Xauthority,
 * the X server's -auth argument, ~/.Xauthority; each only when trusted.
 * Returns a path (caller frees) or NULL.
 */
char	*session_x11_known_auth(long uid, long xpid);

/* session_headless.c */
struct session_headless;
/*
 * Starts Xvfb as user (not root; as ourselves unless we are root) on a
 * free display from :100, with a fresh cookie in an X authority file of
 * the user's in a folder under run_dir, waits until the X server answers
 * as the user, and starts a desktop session in it (dbus-run-session with
 * x-session-manager, else x-window-manager, else none). Its children are
 * reaped on base. Returns 0 and *hp, or ERR_* (logged).
 */
int	session_headless_start(struct event_base *base, const char *user,
	    const char *run_dir, struct session_headless **hp);
/* The session on that display (borrowed; valid until the free). */
const struct session *session_headless_session(
	    const struct session_headless *);
/* 1 while its X server runs. */
int	session_headless_alive(const struct session_headless *);
/* Ends the desktop session and the X server (waits for them), removes
 * the cookie, and frees; NULL does nothing. */
void	session_headless_free(struct session_headless *);

/* session_proc.c */
/* What a session's processes have in their environment (owned strings). */
struct session_penv {
	char	*display;
	char	*xauthority;	/* trusted (session_x11_trusted) */
	char	*dbus;
	char	*runtime_dir;
	char	*wayland;	/* WAYLAND_DISPLAY */
};
/*
 * Reads the environment of uid's processes in the session: the leader
 * first (0: none), then the processes logind counts in session id (id
 * non-NULL) or every process of uid (id NULL). A process counts only when
 * its DISPLAY names display (when display is non-NULL; otherwise the first
 * DISPLAY found fixes it). Fills pe (zeroed here) with each variable from
 * the first process that has it; free with session_penv_free().
 */
void	session_proc_env(long uid, long leader, const char *id,
	    const char *display, struct session_penv *pe);
/* Frees pe's strings. */
void	session_penv_free(struct session_penv *pe);

#endif
