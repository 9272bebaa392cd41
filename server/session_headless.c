/*
 * session_headless.c: a desktop of the server's own where the machine has
 * none (no seat, no session): with option headless-user NAME, the session
 * source starts Xvfb as NAME on a free display, with an X authority cookie
 * of its own, and in it a minimal desktop session (dbus-run-session with
 * the system's x-session-manager, else its x-window-manager, else nothing
 * but the X server), all through the privilege drop of session_spawn().
 * The source then reports that display and user like any other session.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/session_int.h"
#include "server/x11/x11_auth.h"

#define HEADLESS_DISPLAY_FIRST	100	/* displays tried: 100 .. 199 */
#define HEADLESS_DISPLAY_N	100
#define HEADLESS_WAIT_MS	10000	/* for the X server to answer */
#define HEADLESS_STOP_MS	2000	/* for a child to go on SIGTERM */
#define HEADLESS_SCREEN		"1920x1080x24"
#define X11_SOCKET_DIR		"/tmp/.X11-unix"

/* Owned, except base. */
struct session_headless {
	struct event_base	*base;
	struct event		*sigchld;
	struct session		 s;	/* what the source reports */
	char			*dir;	/* the X authority's folder */
	pid_t			 xpid;	/* Xvfb; 0 once gone */
	pid_t			 spid;	/* the desktop session; 0: none */
	int			 sgroup; /* spid leads its process group */
};

/* The first executable name in $PATH (or the usual folders), or NULL. */
static char *
headless_which(const char *name)
{
	const char *env = getenv("PATH");
	char *path, *dir, *save = NULL, *found = NULL, *p;

	path = xstrdup(env != NULL && *env != '\0' ? env :
	    "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(path, ":", &save); dir != NULL && found == NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		if (*dir != '/')
			continue;
		xasprintf(&p, "%s/%s", dir, name);
		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(path);
	return found;
}

/* A display number nobody uses (no socket, no lock, no listener), or -1. */
static int
headless_free_display(void)
{
	char sock[64], lock[64], name[16];
	long uid, pid;
	int n;

	for (n = HEADLESS_DISPLAY_FIRST;
	    n < HEADLESS_DISPLAY_FIRST + HEADLESS_DISPLAY_N; n++) {
		snprintf(sock, sizeof sock, X11_SOCKET_DIR "/X%d", n);
		snprintf(lock, sizeof lock, "/tmp/.X%d-lock", n);
		snprintf(name, sizeof name, ":%d", n);
		if (access(sock, F_OK) != 0 && access(lock, F_OK) != 0 &&
		    session_x11_peer(name, &uid, &pid) == ERR_NOTFOUND)
			return n;
	}
	return -1;
}

/*
 * Makes the X authority of display num: a folder of the user's in run_dir
 * (root's run folder is root's, so only we make it), and in it a file of
 * the user's with a fresh cookie for the display. Sets s->xauthority.
 * Returns 0 or ERR_IO (logged).
 */
static int
headless_auth(struct session_headless *h, const char *run_dir,
    const struct passwd *pw, int num)
{
	uint8_t cookie[16], *buf = NULL;
	char host[256];
	struct stat st;
	size_t len = 0;
	int fd = -1, r = ERR_IO;

	xasprintf(&h->dir, "%s/headless-%lu", run_dir,
	    (unsigned long)pw->pw_uid);
	if (mkdir(h->dir, 0700) != 0 && errno != EEXIST)
		goto out;
	if (lstat(h->dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != pw->pw_uid && st.st_uid != geteuid()) ||
	    (geteuid() == 0 && chown(h->dir, pw->pw_uid, pw->pw_gid) != 0) ||
	    chmod(h->dir, 0700) != 0)
		goto out;
	xasprintf(&h->s.xauthority, "%s/Xauthority", h->dir);
	(void)unlink(h->s.xauthority);
	fd = open(h->s.xauthority, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	randombytes_buf(cookie, sizeof cookie);
	if (gethostname(host, sizeof host) != 0)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	if (host[0] != '\0')
		x11_auth_append(&buf, &len, host, num, cookie, sizeof cookie);
	x11_auth_append(&buf, &len, NULL, num, cookie, sizeof cookie);
	if (write(fd, buf, len) != (ssize_t)len ||
	    (geteuid() == 0 && fchown(fd, pw->pw_uid, pw->pw_gid) != 0))
		goto out;
	r = 0;
out:
	if (r != 0)
		log_warn("headless: X authority in %s: %s", h->dir,
		    strerror(errno));
	if (fd >= 0)
		close(fd);
	if (buf != NULL)
		sodium_memzero(buf, len);
	free(buf);
	sodium_memzero(cookie, sizeof cookie);
	return r;
}

/* Reaps our children; a gone X server is noticed by the source. */
static void
headless_sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	struct session_headless *h = arg;
	int status;

	(void)sig;
	(void)what;
	if (h->xpid > 0 && waitpid(h->xpid, &status, WNOHANG) == h->xpid) {
		log_warn("headless: X server %s (pid %ld) exited (status %d)",
		    h->s.display, (long)h->xpid, status);
		h->xpid = 0;
	}
	if (h->spid > 0 && waitpid(h->spid, &status, WNOHANG) == h->spid) {
		log_info("headless: desktop session (pid %ld) exited "
		    "(status %d)", (long)h->spid, status);
		/* What it left in its group (the session bus) goes too. */
		if (h->sgroup)
			kill(-h->spid, SIGTERM);
		h->spid = 0;
	}
}

/* Waits until the X server of display answers as the user; 0 or ERR_*. */
static int
headless_wait_x(struct session_headless *h)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	long uid, pid;
	int i, status;

	for (i = 0; i < HEADLESS_WAIT_MS / 50; i++) {
		if (waitpid(h->xpid, &status, WNOHANG) == h->xpid) {
			log_warn("headless: Xvfb on %s exited at start "
			    "(status %d)", h->s.display, status);
			h->xpid = 0;
			return ERR_IO;
		}
		if (session_x11_peer(h->s.display, &uid, &pid) == 0) {
			if (uid == h->s.uid && pid == (long)h->xpid)
				return 0;
			log_warn("headless: display %s is served by uid %ld "
			    "(pid %ld), not ours", h->s.display, uid, pid);
			return ERR_DENIED;
		}
		nanosleep(&ts, NULL);
	}
	log_warn("headless: Xvfb on %s did not answer in %d s", h->s.display,
	    HEADLESS_WAIT_MS / 1000);
	return ERR_TIMEOUT;
}

/*
 * Starts the desktop session in the display, if the system has one: in a
 * process group of its own (setsid(1) execs in place, keeping the pid), so
 * that stopping it ends the session bus and everything else it started.
 */
static void
headless_desktop(struct session_headless *h)
{
	static const char *const progs[] = {
		"/usr/bin/x-session-manager", "/usr/bin/x-window-manager",
	};
	char *argv[5], *drs, *sid;
	size_t i, n = 0;
	pid_t pid;

	for (i = 0; i < sizeof progs / sizeof progs[0]; i++)
		if (access(progs[i], X_OK) == 0)
			break;
	if (i == sizeof progs / sizeof progs[0]) {
		log_info("headless: no x-session-manager or x-window-manager "
		    "installed: the display runs the X server alone");
		return;
	}
	sid = headless_which("setsid");
	drs = headless_which("dbus-run-session");
	if (sid != NULL)
		argv[n++] = sid;
	if (drs != NULL) {
		argv[n++] = drs;
		argv[n++] = (char *)"--";
	}
	argv[n++] = (char *)progs[i];
	argv[n] = NULL;
	if (session_spawn(&h->s, "headless", argv, NULL, &pid) == 0) {
		h->spid = pid;
		h->sgroup = sid != NULL;
		h->s.leader = (long)pid;
	}
	free(sid);
	free(drs);
}

/*
 * Makes sure the X socket folder is there for an X server that is not
 * root (systemd-tmpfiles makes it at boot; a minimal box may lack it).
 */
static void
headless_socket_dir(void)
{
	struct stat st;

	if (geteuid() != 0 || lstat(X11_SOCKET_DIR, &st) == 0)
		return;
	if (mkdir(X11_SOCKET_DIR, 01777) != 0 ||
	    chmod(X11_SOCKET_DIR, 01777) != 0)
		log_warn("headless: %s: %s", X11_SOCKET_DIR, strerror(errno));
}

/* Fills the session the source will report (user, display, kind). */
static int
headless_user(struct session_headless *h, const char *user,
    struct passwd **pwp)
{
	struct passwd *pw;

	if ((pw = getpwnam(user)) == NULL) {
		log_warn("headless: headless-user %s: no such user", user);
		return ERR_NOTFOUND;
	}
	if (pw->pw_uid == 0) {
		log_warn("headless: headless-user %s is root: refused (name "
		    "an ordinary user)", user);
		return ERR_DENIED;
	}
	if (geteuid() != 0 && pw->pw_uid != geteuid()) {
		log_warn("headless: headless-user %s: a server run as uid %ld "
		    "starts a display only as itself", user, (long)geteuid());
		return ERR_DENIED;
	}
	h->s.uid = (long)pw->pw_uid;
	h->s.gid = (long)pw->pw_gid;
	h->s.name = xstrdup(pw->pw_name);
	h->s.class = SESSION_CLASS_USER;
	h->s.type = SESSION_TYPE_X11;
	h->s.how = SESSION_HOW_HEADLESS;
	*pwp = pw;
	return 0;
}

/* Starts the X server and the desktop session. */
int
session_headless_start(struct event_base *base, const char *user,
    const char *run_dir, struct session_headless **hp)
{
	struct session_headless *h;
	struct passwd *pw;
	char *xvfb = NULL, *argv[12];
	pid_t pid;
	int num, r;

	*hp = NULL;
	h = xcalloc(1, sizeof *h);
	h->base = base;
	session_init(&h->s);
	if ((r = headless_user(h, user, &pw)) != 0)
		goto fail;
	if ((xvfb = headless_which("Xvfb")) == NULL) {
		log_warn("headless: Xvfb not found (package xvfb)");
		r = ERR_NOTFOUND;
		goto fail;
	}
	if ((num = headless_free_display()) < 0) {
		log_warn("headless: no free display number");
		r = ERR_NOTFOUND;
		goto fail;
	}
	xasprintf(&h->s.display, ":%d", num);
	if ((r = headless_auth(h, run_dir, pw, num)) != 0)
		goto fail;
	headless_socket_dir();
	h->sigchld = evsignal_new(base, SIGCHLD, headless_sigchld_cb, h);
	if (h->sigchld == NULL || evsignal_add(h->sigchld, NULL) != 0)
		fatal("libevent: cannot watch SIGCHLD");
	argv[0] = xvfb;
	argv[1] = h->s.display;
	argv[2] = (char *)"-screen";
	argv[3] = (char *)"0";
	argv[4] = (char *)HEADLESS_SCREEN;
	argv[5] = (char *)"-nolisten";
	argv[6] = (char *)"tcp";
	argv[7] = (char *)"-noreset";
	argv[8] = (char *)"-auth";
	argv[9] = h->s.xauthority;
	argv[10] = NULL;
	if ((r = session_spawn(&h->s, "headless", argv, NULL, &pid)) != 0)
		goto fail;
	h->xpid = pid;
	h->s.xpid = (long)pid;
	if ((r = headless_wait_x(h)) != 0)
		goto fail;
	headless_desktop(h);
	log_info("headless: display %s (" HEADLESS_SCREEN ") for %s, X "
	    "server pid %ld", h->s.display, h->s.name, (long)h->xpid);
	free(xvfb);
	*hp = h;
	return 0;
fail:
	free(xvfb);
	session_headless_free(h);
	return r;
}

/* The session on the headless display. */
const struct session *
session_headless_session(const struct session_headless *h)
{
	return &h->s;
}

/* 1 while the X server runs. */
int
session_headless_alive(const struct session_headless *h)
{
	return h->xpid > 0;
}

/*
 * Ends a child, and with group its whole process group (what it started
 * too): SIGTERM, then SIGKILL if the child lingers.
 */
static void
headless_end(pid_t pid, int group)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	pid_t target = group ? -pid : pid;
	int i;

	if (pid <= 0)
		return;
	kill(target, SIGTERM);
	for (i = 0; i < HEADLESS_STOP_MS / 20; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			break;
		nanosleep(&ts, NULL);
	}
	if (i == HEADLESS_STOP_MS / 20) {
		kill(target, SIGKILL);
		(void)waitpid(pid, NULL, 0);
	}
	/* The rest of the group (the session bus) may outlive its leader. */
	if (group)
		kill(target, SIGKILL);
}

/* Stops the desktop session and the X server, and removes the cookie. */
void
session_headless_free(struct session_headless *h)
{
	if (h == NULL)
		return;
	headless_end(h->spid, h->sgroup);
	headless_end(h->xpid, 0);
	if (h->sigchld != NULL)
		event_free(h->sigchld);
	if (h->s.xauthority != NULL)
		(void)unlink(h->s.xauthority);
	if (h->dir != NULL)
		(void)rmdir(h->dir);
	free(h->dir);
	session_fini(&h->s);
	free(h);
}
