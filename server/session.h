/*
 * session.h: the desktop session the server shares (whose desktop it is
 * and how a program reaches it), and starting a program as that session's
 * user. Today the session is the owner of the X display's socket plus the
 * server's own environment; the connection manager is started through
 * session_spawn().
 */
#ifndef CDESK_SESSION_H
#define CDESK_SESSION_H

#include <sys/types.h>

/* No session known; the same value as IPC_UID_NONE. */
#define SESSION_UID_NONE	(-1L)

/*
 * One desktop session. Embedded by its users: session_init() before use,
 * session_fini() after. The user's name, home and groups are looked up
 * from uid when a program is started (session_spawn).
 */
struct session {
	long	 uid;		/* SESSION_UID_NONE: unknown */
	long	 gid;		/* -1: the user's primary group */
	char	*display;	/* owned: DISPLAY, or NULL */
	char	*xauthority;	/* owned: XAUTHORITY, or NULL */
	char	*runtime_dir;	/* owned: XDG_RUNTIME_DIR, or NULL */
	char	*dbus;		/* owned: D-Bus session address, or NULL */
};

/* Makes s an unknown session (uid SESSION_UID_NONE, no strings). */
void	session_init(struct session *s);
/* Frees s's strings and makes it unknown again. */
void	session_fini(struct session *s);
/* Replaces dst (initialized) with a copy of src. */
void	session_copy(struct session *dst, const struct session *src);

/*
 * Fills s (initialized; replaced) with the session this server shares: the
 * user owning the X socket of $DISPLAY (":N" -> /tmp/.X11-unix/XN) with
 * that user's primary group, else our own effective uid and gid; DISPLAY,
 * XAUTHORITY, XDG_RUNTIME_DIR and DBUS_SESSION_BUS_ADDRESS come from our
 * environment.
 */
void	session_current(struct session *s);

/*
 * Starts argv (argv[0] a path; borrowed) as the session's user: as root,
 * the session's uid, gid and the user's groups, with no way back to root,
 * and never as root for an unknown session; not as root, only for our own
 * uid's session (or an unknown one). The child gets our environment with
 * HOME, USER and LOGNAME of the user (when switching), the session's
 * DISPLAY, XAUTHORITY, XDG_RUNTIME_DIR and DBUS_SESSION_BUS_ADDRESS, then
 * each "NAME=value" of env (NULL-terminated, borrowed; may be NULL), and
 * none of our descriptors past stderr. what names the program in log
 * lines ("cm"). The caller reaps the child. Returns 0 with *pid set, or
 * ERR_DENIED (not allowed; logged), ERR_NOTFOUND (the uid has no passwd
 * entry), ERR_IO (no group list, or fork failed).
 */
int	session_spawn(const struct session *s, const char *what,
	    char *const argv[], char *const env[], pid_t *pid);
/*
 * The same, and the child gets descriptor fd (borrowed; the caller closes
 * its copy) as its SESSION_PASS_FD: how the file helper receives its end
 * of the server's socketpair. fd -1: none, as session_spawn.
 */
#define SESSION_PASS_FD	3
int	session_spawn_fd(const struct session *s, const char *what,
	    char *const argv[], char *const env[], int fd, pid_t *pid);

#endif
