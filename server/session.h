/*
 * session.h: the desktop session the server shares (whose desktop it is
 * and how a program reaches it), following it as it changes, and starting
 * a program as that session's user.
 *
 * Whose desktop (ARCHITECTURE.md "Whose desktop"; HOST.md §1.1): as root,
 * logind's active session of seat0 when logind is on the system bus, its
 * X display checked against the uid serving it; otherwise the uid of the
 * X server serving $DISPLAY, from SO_PEERCRED on its socket. Never the
 * owner of a file in a world-writable folder. Unknown means nobody
 * (SESSION_UID_NONE).
 */
#ifndef CDESK_SESSION_H
#define CDESK_SESSION_H

#include <sys/types.h>

struct event_base;

/* No session known; the same value as IPC_UID_NONE. */
#define SESSION_UID_NONE	(-1L)

/* What kind of session (logind's Class). */
enum session_class {
	SESSION_CLASS_UNKNOWN = 0,	/* not said (no logind) */
	SESSION_CLASS_USER,		/* a user's desktop */
	SESSION_CLASS_GREETER,		/* the login screen */
	SESSION_CLASS_OTHER,		/* lock-screen, background, ... */
};

/* What displays it (logind's Type). */
enum session_type {
	SESSION_TYPE_UNKNOWN = 0,	/* not said (no logind) */
	SESSION_TYPE_X11,
	SESSION_TYPE_WAYLAND,
	SESSION_TYPE_TTY,
	SESSION_TYPE_OTHER,		/* mir, web, unspecified, ... */
};

/* How the session was found. */
enum session_how {
	SESSION_HOW_NONE = 0,	/* not looked for */
	SESSION_HOW_LOGIND,	/* logind's active session of seat0 */
	SESSION_HOW_XPEER,	/* the uid serving $DISPLAY (SO_PEERCRED) */
	SESSION_HOW_HEADLESS,	/* a display of our own (headless-user) */
	SESSION_HOW_CONSOLE,	/* Windows: the console session (WTS) */
};

/*
 * One desktop session. Embedded by its users: session_init() before use,
 * session_fini() after. The user's name, home and groups are looked up
 * from uid when a program is started (session_spawn). An unknown session
 * may still name a display (the one $DISPLAY or logind names, not served
 * by a user we accept): nobody's, never to be served.
 */
struct session {
	long	 uid;		/* SESSION_UID_NONE: unknown */
	long	 gid;		/* -1: the user's primary group */
	char	*display;	/* owned: DISPLAY, or NULL; see below */
	char	*xauthority;	/* owned: XAUTHORITY, or NULL */
	char	*runtime_dir;	/* owned: XDG_RUNTIME_DIR, or NULL */
	char	*dbus;		/* owned: D-Bus session address or NULL */
	char	*wayland;	/* owned: WAYLAND_DISPLAY, or NULL */
	/* What the session source knows about it. */
	char	*id;		/* owned: logind session id, or NULL */
	char	*name;		/* owned: the user's name, or NULL */
	char	*seat;		/* owned: "seat0", or NULL */
	enum session_class class;
	enum session_type type;
	enum session_how how;
	long	 leader;	/* session leader's pid, 0: unknown */
	long	 xpid;		/* pid serving display, 0: none */
	int	 remote;	/* logind says it is remote */
};

/* Makes s an unknown session (uid SESSION_UID_NONE, no strings). */
void	session_init(struct session *s);
/* Frees s's strings and makes it unknown again. */
void	session_fini(struct session *s);
/* Replaces dst (initialized) with a copy of src. */
void	session_copy(struct session *dst, const struct session *src);

/*
 * Fills s (initialized; replaced) with the session this server shares, found
 * once and synchronously (short D-Bus calls): as root with logind on the
 * system bus, logind's active session of seat0; otherwise the X server of
 * $DISPLAY. A session whose uid is our own takes XAUTHORITY,
 * XDG_RUNTIME_DIR and DBUS_SESSION_BUS_ADDRESS from our environment; another
 * user's come from that user's session processes and known places (never a
 * file another user can write). Unknown: uid SESSION_UID_NONE.
 */
void	session_current(struct session *s);

/* Names for log lines and tests ("greeter", "wayland", "logind"); static. */
const char *session_class_name(enum session_class);
const char *session_type_name(enum session_type);
const char *session_how_name(enum session_how);
/*
 * Describes s in one line for the log, e.g. "uid 1000 (alice), x11 user
 * session 2 on :0 (seat0), found by logind". Caller frees.
 */
char	*session_describe(const struct session *s);

/*
 * The session source: finds the session at once (as session_current())
 * and follows it on base: logind's signals (log-in, user switch, log-out),
 * or the X server of $DISPLAY checked every few seconds. cb runs on the
 * loop each time the session changes (user, display, class, type, logind
 * session or X authority), with the new session (borrowed, valid during
 * the call); it must not free the source.
 */
struct session_source;
typedef void session_change_cb(const struct session *now, void *arg);

/* Starts a source on base (borrowed); never fails (unknown is a session). */
struct session_source *session_source_new(struct event_base *base,
	    session_change_cb *cb, void *arg);
/* The session now (borrowed; valid until the next change or the free). */
const struct session *session_source_get(const struct session_source *);
/*
 * Headless (no seat, no session; HOST.md §1.1): whenever the backend finds
 * no session with a display (nobody, or a text console; not a Wayland
 * session), the source starts a virtual X display of its own as user
 * (borrowed, copied; NULL or "" turns this off) with its X authority in a
 * folder of user's under run_dir (borrowed, copied; must be a folder only
 * we may write), and a desktop session in it (session_headless.c), and
 * reports that display and user instead (how SESSION_HOW_HEADLESS). The
 * display stays up until the source is freed; one that dies is started
 * again at the next look, at most every SESSION_HEADLESS_RETRY_S. Without
 * a user the source says once in the log what to set. Called again with
 * another user (a config reload), it starts that user's display instead and
 * stops the old one once cb has moved off it; with the same user it does
 * nothing. Looks again at once: cb may run before this returns.
 */
void	session_source_set_headless(struct session_source *,
	    const char *user, const char *run_dir);
/* Stops following (and the headless display) and frees; NULL does
 * nothing. */
void	session_source_free(struct session_source *);

/*
 * The soft limit on open files the programs started in the session get
 * (session_spawn*): the server raises its own for many peers, and a shell
 * or an old select() program of the user should not inherit that.
 */
void	session_child_nofile(unsigned long soft);

/*
 * Starts argv (argv[0] a path; borrowed) as the session's user: as root,
 * the session's uid, gid and the user's groups, with no way back to root,
 * and never as root for an unknown session; not as root, only for our own
 * uid's session (or an unknown one). The child gets a clean environment:
 * HOME, USER, LOGNAME and SHELL of the user it runs as (from passwd), the
 * session's DISPLAY, XAUTHORITY, XDG_RUNTIME_DIR,
 * DBUS_SESSION_BUS_ADDRESS and WAYLAND_DISPLAY, only PATH, LANG, LANGUAGE, LC_* and the
 * sanitizer settings (ASAN_OPTIONS, LSAN_OPTIONS, UBSAN_OPTIONS) of ours,
 * then each "NAME=value" of env (NULL-terminated, borrowed; may be NULL);
 * stdin is /dev/null, stdout and stderr are ours, no other descriptor is
 * inherited, and every signal has its default action. what names the
 * program in log lines ("cm"). The caller reaps the child. Returns 0 with
 * *pid set, or
 * ERR_DENIED (not allowed; logged), ERR_NOTFOUND (the uid has no passwd
 * entry), ERR_IO (no group list, or fork failed).
 */
int	session_spawn(const struct session *s, const char *what,
	    char *const argv[], char *const env[], pid_t *pid);
/*
 * session_spawn for a program on a terminal (a login shell): runs path
 * with argv (argv[0] may be "-bash"), in a new session whose controlling
 * terminal is tty (a pty's slave, borrowed: the caller closes its copy),
 * which is also its stdin, stdout and stderr and is first given to the
 * user; it starts in the user's home with SIGPIPE at its default. Returns
 * as session_spawn, and ERR_IO when the terminal cannot be given.
 */
int	session_spawn_tty(const struct session *s, const char *what,
	    const char *path, char *const argv[], char *const env[], int tty,
	    pid_t *pid);
/*
 * session_spawn, and the child gets descriptor fd (borrowed; the caller closes
 * its copy) as its SESSION_PASS_FD: how the file helper receives its end
 * of the server's socketpair. fd -1: none, as session_spawn.
 */
#define SESSION_PASS_FD	3
int	session_spawn_fd(const struct session *s, const char *what,
	    char *const argv[], char *const env[], int fd, pid_t *pid);

/*
 * Reboots the machine (a peer's "Restart remote device", HOST.md §5.11):
 * through logind on the system bus (DBUS_SYSTEM_BUS_ADDRESS when set) on
 * Linux, as root may without asking anyone. Returns 0, or a negative
 * ERR_* with *why (free it) saying what went wrong.
 */
int	session_reboot(char **why);
/*
 * Locks the desktop session id (logind's LockSession on Linux). Returns 0,
 * or a negative ERR_* with *why (free it) saying what went wrong.
 */
int	session_lock(const char *id, char **why);

#endif
