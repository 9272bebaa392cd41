/*
 * ipc_unix.c: the Unix-socket transport. The folder is ours and never
 * group- or world-writable; the socket is 0600 in user mode, 0666 in a
 * 0711 folder when root (so the session's user can reach it), and every
 * accepted peer is identified with SO_PEERCRED for ipc_peer_allowed(),
 * as every server a client reaches is for ipc_server_trusted().
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "ipc/ipc_transport.h"

/* Fill a sockaddr_un for path; ERR_INVAL when it does not fit. */
static int
ipc_unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path)
		return ERR_INVAL;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/*
 * Make sure the folder holding path exists, is a real folder owned by us,
 * and was never writable by anybody else: one that is (a shared /tmp name
 * someone else made, or ours left 0777) may hold what another user put
 * there, so it is refused, not repaired. Other modes are set to ours
 * (systemd makes /run/cdesk 0755; we want 0711).
 */
static int
ipc_unix_dir(const char *path, char **cause)
{
	char *dir, *slash;
	struct stat st;
	mode_t want = geteuid() == 0 ? 0711 : 0700;
	int fd = -1, r = 0;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir) {
		xasprintf(cause, "%s: socket needs a folder of its own", path);
		free(dir);
		return ERR_INVAL;
	}
	*slash = '\0';
	if (mkdir(dir, want) != 0 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		r = ERR_IO;
		goto out;
	}
	/* Another user's 0700 folder cannot even be opened: say whose. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0 && (lstat(dir, &st) != 0 ||
	    st.st_uid == geteuid())) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		r = ERR_IO;
		goto out;
	}
	if (fd >= 0 && fstat(fd, &st) != 0) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		r = ERR_IO;
		goto out;
	}
	if (st.st_uid != geteuid()) {
		xasprintf(cause, "%s: owned by uid %ld, not by us (uid %ld); "
		    "remove it", dir, (long)st.st_uid, (long)geteuid());
		r = ERR_DENIED;
		goto out;
	}
	if ((st.st_mode & 022) != 0) {
		xasprintf(cause, "%s: mode %04o lets others write in it; "
		    "remove it", dir, (unsigned)(st.st_mode & 07777));
		r = ERR_DENIED;
		goto out;
	}
	if ((st.st_mode & 07777) != want && fchmod(fd, want) != 0) {
		xasprintf(cause, "%s: chmod: %s", dir, strerror(errno));
		r = ERR_IO;
		goto out;
	}
 out:
	if (fd >= 0)
		close(fd);
	free(dir);
	return r;
}

/*
 * Deal with whatever sits at path: nothing is fine, a live socket means
 * another server (ERR_STATE), a dead one is unlinked, anything else stays.
 */
static int
ipc_unix_stale(const char *path, const struct sockaddr_un *sa, char **cause)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : ERR_IO;
	if (!S_ISSOCK(st.st_mode)) {
		xasprintf(cause, "%s: exists and is not a socket", path);
		return ERR_STATE;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return ERR_IO;
	}
	r = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
	close(fd);
	if (r == 0) {
		xasprintf(cause, "%s: another server is listening", path);
		return ERR_STATE;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		xasprintf(cause, "%s: unlink: %s", path, strerror(errno));
		return ERR_IO;
	}
	return 0;
}

/* Create the listening socket at path (see ipc_transport.h). */
static int
ipc_unix_listen(const char *path, intptr_t *h, char **cause)
{
	struct sockaddr_un sa;
	mode_t mask, mode = geteuid() == 0 ? 0666 : 0600;
	int fd = -1, r, saved;

	*h = -1;
	*cause = NULL;
	if (ipc_unix_addr(path, &sa) != 0) {
		xasprintf(cause, "%s: path too long for a socket", path);
		return ERR_INVAL;
	}
	if ((r = ipc_unix_dir(path, cause)) != 0 ||
	    (r = ipc_unix_stale(path, &sa, cause)) != 0)
		return r;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return ERR_IO;
	}
	/* Born private: nobody may connect before the chmod below. */
	mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	saved = errno;
	umask(mask);
	if (r != 0) {
		xasprintf(cause, "%s: bind: %s", path, strerror(saved));
		close(fd);
		return ERR_IO;
	}
	if (chmod(path, mode) != 0 || listen(fd, 16) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return ERR_IO;
	}
	*h = fd;
	return 0;
}

/* Read the other end's uid and pid (SO_PEERCRED) of a connected fd. */
static int
ipc_unix_cred(intptr_t h, struct ipc_cred *cred)
{
	struct ucred uc;
	socklen_t len = sizeof uc;

	cred->uid = -1;
	cred->pid = -1;
	if (getsockopt((int)h, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0 ||
	    len != sizeof uc)
		return ERR_IO;
	cred->uid = (long)uc.uid;
	cred->pid = (long)uc.pid;
	return 0;
}

/* Accept one client and read its credentials. */
static int
ipc_unix_accept(intptr_t lh, intptr_t *h, struct ipc_cred *cred)
{
	int fd;

	*h = -1;
	cred->uid = -1;
	cred->pid = -1;
	if ((fd = accept4((int)lh, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ECONNABORTED)
			return ERR_TIMEOUT;
		return ERR_IO;
	}
	if (ipc_unix_cred(fd, cred) != 0) {
		close(fd);
		return ERR_IO;
	}
	*h = fd;
	return 0;
}

/* A listening socket is what an event loop waits on. */
static intptr_t
ipc_unix_watch(intptr_t lh)
{
	return lh;
}

/* 1 if a socket file sits at path. */
static int
ipc_unix_probe(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Connect to the socket at path. */
static int
ipc_unix_connect(const char *path, intptr_t *h)
{
	struct sockaddr_un sa;
	int fd;

	*h = -1;
	if (ipc_unix_addr(path, &sa) != 0)
		return ERR_INVAL;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return ERR_IO;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;

		close(fd);
		return (e == ENOENT || e == ECONNREFUSED) ? ERR_NOTFOUND :
		    e == EACCES ? ERR_DENIED : ERR_IO;
	}
	*h = fd;
	return 0;
}

/* Close a channel, or a listener and its socket file. */
static void
ipc_unix_close(intptr_t h, const char *path)
{
	if (h >= 0)
		close((int)h);
	if (path != NULL)
		unlink(path);
}

const struct ipc_transport ipc_transport_unix = {
	.name = "unix",
	.listen = ipc_unix_listen,
	.accept = ipc_unix_accept,
	.watch = ipc_unix_watch,
	.probe = ipc_unix_probe,
	.connect = ipc_unix_connect,
	.server_cred = ipc_unix_cred,
	.close = ipc_unix_close,
};
