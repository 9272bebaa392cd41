/*
 * session_x11.c: the X side of whose desktop it is. Who serves a display
 * is asked of the kernel (SO_PEERCRED on a connection to the socket xcb
 * would reach), never read from the owner of a file in /tmp/.X11-unix,
 * which anyone may create. Also which X authority files may be trusted,
 * and the backend that follows the X server of $DISPLAY where no logind
 * runs (containers, CI, a kiosk): a root X server there is root's desktop.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/session_int.h"
#include "server/x11/x11_auth.h"

#define X11_SOCKET_DIR		"/tmp/.X11-unix"
#define X11_CMDLINE_MAX		(64 * 1024)

/* The display number of a local display, or -1 (one parser: x11_auth). */
int
session_x11_number(const char *display)
{
	return x11_auth_number(display);
}

/*
 * Connect to the X socket path (abstract: in the abstract namespace) and
 * read who listens. Returns 0, ERR_NOTFOUND (no such socket, or nobody
 * listening) or ERR_IO.
 */
static int
x11_peer_at(const char *path, int abstract, struct ucred *cred)
{
	struct sockaddr_un sun;
	socklen_t len, clen = sizeof *cred;
	size_t plen = strlen(path);
	int fd, r = 0;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (plen + 2 > sizeof sun.sun_path)
		return ERR_INVAL;
	if (abstract) {
		/* As xcb: a NUL, then the path, no terminator. */
		memcpy(sun.sun_path + 1, path, plen);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    plen);
	} else {
		memcpy(sun.sun_path, path, plen);
		len = sizeof sun;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ERR_IO;
	/* A Unix connect either completes or fails at once. */
	if (connect(fd, (struct sockaddr *)&sun, len) != 0) {
		r = (errno == ENOENT || errno == ECONNREFUSED ||
		    errno == ENOTSOCK) ? ERR_NOTFOUND : ERR_IO;
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &clen) != 0 ||
	    clen != sizeof *cred)
		r = ERR_IO;
out:
	close(fd);
	return r;
}

/* Who serves display, from the kernel. */
int
session_x11_peer(const char *display, long *uid, long *pid)
{
	struct ucred cred;
	char path[64];
	int n, r;

	*uid = SESSION_UID_NONE;
	*pid = 0;
	if ((n = session_x11_number(display)) < 0)
		return ERR_UNSUPP;
	snprintf(path, sizeof path, X11_SOCKET_DIR "/X%d", n);
	/* xcb falls back to the path only when the abstract name is absent. */
	if ((r = x11_peer_at(path, 1, &cred)) == ERR_NOTFOUND)
		r = x11_peer_at(path, 0, &cred);
	if (r != 0)
		return r;
	*uid = (long)cred.uid;
	*pid = (long)cred.pid;
	return 0;
}

/* 1 when owner is root, uid or ourselves. */
static int
x11_owner_ok(uid_t owner, long uid)
{
	return owner == 0 || (long)owner == uid || owner == geteuid();
}

/* Whether path is a file we may take as uid's X authority. */
int
session_x11_trusted(const char *path, long uid, const char *what)
{
	struct stat st, dst;
	char *copy, *dir;
	int ok = 0;

	if (path == NULL || path[0] != '/')
		return 0;
	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISREG(st.st_mode)) {
		log_warn("session: X authority %s (%s) is not a regular "
		    "file: not used", path, what);
		return 0;
	}
	if (!x11_owner_ok(st.st_uid, uid) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warn("session: X authority %s (%s) is owned by uid %ld "
		    "with mode %03o: not used", path, what, (long)st.st_uid,
		    (unsigned)(st.st_mode & 0777));
		return 0;
	}
	copy = xstrdup(path);
	dir = dirname(copy);
	if (stat(dir, &dst) != 0 || !S_ISDIR(dst.st_mode))
		goto out;
	if (!x11_owner_ok(dst.st_uid, uid) ||
	    ((dst.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (dst.st_mode & S_ISVTX) == 0)) {
		log_warn("session: X authority %s (%s): its folder is owned "
		    "by uid %ld with mode %04o: not used", path, what,
		    (long)dst.st_uid, (unsigned)(dst.st_mode & 07777));
		goto out;
	}
	ok = 1;
out:
	free(copy);
	return ok;
}

/* The -auth argument of process pid's command line, or NULL. */
static char *
x11_auth_arg(long pid)
{
	char path[64], *buf, *p, *end, *found = NULL;
	ssize_t n;
	size_t len = 0;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	buf = xmalloc(X11_CMDLINE_MAX + 1);
	while (len < X11_CMDLINE_MAX &&
	    (n = read(fd, buf + len, X11_CMDLINE_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	end = buf + len;
	for (p = buf; p < end; p += strlen(p) + 1) {
		if (strcmp(p, "-auth") == 0 && p + strlen(p) + 1 < end) {
			found = xstrdup(p + strlen(p) + 1);
			break;
		}
	}
	free(buf);
	return found;
}

/* The X authority a display manager left for uid's session, or NULL. */
char *
session_x11_known_auth(long uid, long xpid)
{
	struct passwd *pw;
	char *path;

	xasprintf(&path, "/run/user/%ld/gdm/Xauthority", uid);
	if (session_x11_trusted(path, uid, "gdm"))
		return path;
	free(path);
	if (xpid > 0 && (path = x11_auth_arg(xpid)) != NULL) {
		if (session_x11_trusted(path, uid, "X server -auth"))
			return path;
		free(path);
	}
	if ((pw = getpwuid((uid_t)uid)) != NULL && pw->pw_dir[0] == '/') {
		xasprintf(&path, "%s/.Xauthority", pw->pw_dir);
		if (session_x11_trusted(path, uid, "home"))
			return path;
		free(path);
	}
	return NULL;
}

/* The X-only backend: the X server of $DISPLAY. */
struct xpeer {
	struct session_source	*src;	/* borrowed; NULL: one query */
	char			*display; /* owned: $DISPLAY, or NULL */
};

/* The raw session: $DISPLAY and the uid serving it. */
static void
xpeer_query(void *state, struct session *s)
{
	struct xpeer *xp = state;

	s->how = SESSION_HOW_XPEER;
	if (xp->display == NULL)
		return;
	s->display = xstrdup(xp->display);
	if (session_x11_peer(xp->display, &s->uid, &s->xpid) != 0)
		s->uid = SESSION_UID_NONE;
}

/* Someone else may serve the display now: look again and report. */
static void
xpeer_refresh(void *state)
{
	struct xpeer *xp = state;
	struct session raw;

	session_init(&raw);
	xpeer_query(xp, &raw);
	session_source_report(xp->src, &raw);
}

/* Follow $DISPLAY (always applies). */
static int
xpeer_open(struct event_base *base, struct session_source *src,
    void **state)
{
	const char *d = getenv("DISPLAY");
	struct xpeer *xp;

	xp = xcalloc(1, sizeof *xp);
	xp->src = src;
	if (d != NULL && *d != '\0') {
		xp->display = xstrdup(d);
		if (base != NULL && session_x11_number(d) < 0)
			log_warn("session: DISPLAY %s is not a local X "
			    "display: who serves it cannot be checked, so "
			    "it is nobody's session", d);
	}
	*state = xp;
	return 0;
}

/* Stop following. */
static void
xpeer_free(void *state)
{
	struct xpeer *xp = state;

	free(xp->display);
	free(xp);
}

const struct session_backend session_xpeer_backend = {
	.name = "the X server of $DISPLAY",
	.open = xpeer_open,
	.query = xpeer_query,
	.refresh = xpeer_refresh,
	.free = xpeer_free,
};
