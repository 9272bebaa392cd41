/*
 * session_proc.c: the environment of a session's processes, read from
 * /proc as a desktop host must (HOST.md §1.1: upstream reads DISPLAY,
 * XAUTHORITY and the D-Bus address from /proc/<pid>/environ of known
 * session processes). Only processes owned by the session's user count,
 * and a process is pinned by its /proc folder while it is read, so a
 * recycled pid cannot slip another user's environment in.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "server/session_int.h"

#define PROC_ENVIRON_MAX	(128 * 1024)
#define PROC_SCAN_MAX		65536	/* processes looked at */

/* Free pe's strings. */
void
session_penv_free(struct session_penv *pe)
{
	free(pe->display);
	free(pe->xauthority);
	free(pe->dbus);
	free(pe->runtime_dir);
	free(pe->wayland);
	memset(pe, 0, sizeof *pe);
}

/* Read the environment of the process whose /proc folder is dfd. */
static char *
proc_read_environ(int dfd, size_t *lenp)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	*lenp = 0;
	if ((fd = openat(dfd, "environ", O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	buf = xmalloc(PROC_ENVIRON_MAX + 1);
	while (len < PROC_ENVIRON_MAX &&
	    (n = read(fd, buf + len, PROC_ENVIRON_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* The value of name in an environ block, or NULL (borrowed). */
static const char *
proc_env_get(const char *env, size_t len, const char *name)
{
	const char *p, *end = env + len;
	size_t nlen = strlen(name);

	for (p = env; p < end; p += strlen(p) + 1) {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=')
			return p + nlen + 1;
	}
	return NULL;
}

/* 1 when two DISPLAY values name the same display. */
static int
proc_same_display(const char *a, const char *b)
{
	int na = session_x11_number(a), nb = session_x11_number(b);

	if (na >= 0 || nb >= 0)
		return na == nb;
	return strcmp(a, b) == 0;
}

/* Take what one process's environment has that pe still lacks. */
static void
proc_take(const char *env, size_t len, long uid, struct session_penv *pe)
{
	const char *v;

	if (pe->xauthority == NULL &&
	    (v = proc_env_get(env, len, "XAUTHORITY")) != NULL &&
	    session_x11_trusted(v, uid, "session environment"))
		pe->xauthority = xstrdup(v);
	if (pe->dbus == NULL && (v = proc_env_get(env, len,
	    "DBUS_SESSION_BUS_ADDRESS")) != NULL && *v != '\0')
		pe->dbus = xstrdup(v);
	if (pe->runtime_dir == NULL && (v = proc_env_get(env, len,
	    "XDG_RUNTIME_DIR")) != NULL && *v == '/')
		pe->runtime_dir = xstrdup(v);
	if (pe->wayland == NULL && (v = proc_env_get(env, len,
	    "WAYLAND_DISPLAY")) != NULL && *v != '\0')
		pe->wayland = xstrdup(v);
}

/*
 * Look at process pid: when it is uid's, in session id (if non-NULL) and
 * on pe's display, take from its environment. Returns 1 when pe is full.
 */
static int
proc_visit(long pid, long uid, const char *id, struct session_penv *pe)
{
	char path[64], *env = NULL, *sid = NULL;
	const char *d;
	struct stat st;
	size_t len;
	int dfd;

	snprintf(path, sizeof path, "/proc/%ld", pid);
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	/* The folder pins the process: a recycled pid gives ESRCH below. */
	if (fstat(dfd, &st) != 0 || (long)st.st_uid != uid)
		goto out;
	if (id != NULL && (sd_pid_get_session((pid_t)pid, &sid) < 0 ||
	    strcmp(sid, id) != 0))
		goto out;
	if ((env = proc_read_environ(dfd, &len)) == NULL || len == 0)
		goto out;
	d = proc_env_get(env, len, "DISPLAY");
	if (pe->display != NULL &&
	    (d == NULL || !proc_same_display(d, pe->display)))
		goto out;
	if (pe->display == NULL && d != NULL && *d != '\0')
		pe->display = xstrdup(d);
	proc_take(env, len, uid, pe);
out:
	free(env);
	free(sid);
	close(dfd);
	return pe->display != NULL && pe->xauthority != NULL &&
	    pe->dbus != NULL && pe->runtime_dir != NULL;
}

/* Read the environment of uid's session processes. */
void
session_proc_env(long uid, long leader, const char *id, const char *display,
    struct session_penv *pe)
{
	struct dirent *de;
	DIR *dir;
	char *end;
	long pid;
	int n = 0;

	memset(pe, 0, sizeof *pe);
	if (uid < 0)
		return;
	if (display != NULL)
		pe->display = xstrdup(display);
	/* The leader belongs to its session whatever its cgroup says. */
	if (leader > 0 && proc_visit(leader, uid, NULL, pe))
		return;
	if ((dir = opendir("/proc")) == NULL) {
		log_warn("session: /proc: %s", strerror(errno));
		return;
	}
	while ((de = readdir(dir)) != NULL && n++ < PROC_SCAN_MAX) {
		errno = 0;
		pid = strtol(de->d_name, &end, 10);
		if (errno != 0 || *end != '\0' || pid <= 0 || pid == leader)
			continue;
		if (proc_visit(pid, uid, id, pe))
			break;
	}
	closedir(dir);
}
