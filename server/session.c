/*
 * session.c: which desktop session the server shares, and starting a
 * program as its user (fork, drop to the user, exec).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/session.h"

/* Everything the child needs, prepared before fork. */
struct session_exec {
	char *const	 *argv;		/* borrowed */
	char		**envp;		/* owned, NULL-terminated */
	size_t		  nenv;
	gid_t		 *groups;	/* owned */
	int		  ngroups;
	uid_t		  uid;
	gid_t		  gid;
	int		  drop;		/* switch to uid/gid/groups */
	int		  pass_fd;	/* becomes the child's fd 3, or -1 */
};

/* Start empty. */
void
session_init(struct session *s)
{
	memset(s, 0, sizeof *s);
	s->uid = SESSION_UID_NONE;
	s->gid = -1;
}

/* Free the strings and start empty again. */
void
session_fini(struct session *s)
{
	free(s->display);
	free(s->xauthority);
	free(s->runtime_dir);
	free(s->dbus);
	session_init(s);
}

/* Copy of s, or NULL for NULL. */
static char *
session_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Replace dst with a copy of src. */
void
session_copy(struct session *dst, const struct session *src)
{
	struct session tmp;

	/* Copy first: src may share strings with dst's old value. */
	tmp.uid = src->uid;
	tmp.gid = src->gid;
	tmp.display = session_strdup(src->display);
	tmp.xauthority = session_strdup(src->xauthority);
	tmp.runtime_dir = session_strdup(src->runtime_dir);
	tmp.dbus = session_strdup(src->dbus);
	session_fini(dst);
	*dst = tmp;
}

/* Our session: the owner of the X display's socket, or ourselves. */
void
session_current(struct session *s)
{
	const char *d = getenv("DISPLAY");
	struct passwd *pw;
	struct stat st;
	char path[64];

	session_fini(s);
	s->uid = (long)geteuid();
	s->gid = (long)getegid();
	if (d != NULL && d[0] == ':') {
		snprintf(path, sizeof path, "/tmp/.X11-unix/X%d", atoi(d + 1));
		if (stat(path, &st) == 0) {
			s->uid = (long)st.st_uid;
			s->gid = (long)st.st_gid;
			if ((pw = getpwuid(st.st_uid)) != NULL)
				s->gid = (long)pw->pw_gid;
		}
	}
	s->display = session_strdup(d);
	s->xauthority = session_strdup(getenv("XAUTHORITY"));
	s->runtime_dir = session_strdup(getenv("XDG_RUNTIME_DIR"));
	s->dbus = session_strdup(getenv("DBUS_SESSION_BUS_ADDRESS"));
}

/* Set "NAME=value" (kv, taken) in the prepared environment. */
static void
session_env_put(struct session_exec *x, char *kv)
{
	size_t i, len = strcspn(kv, "=");

	for (i = 0; i < x->nenv; i++) {
		if (strncmp(x->envp[i], kv, len) == 0 &&
		    x->envp[i][len] == '=') {
			free(x->envp[i]);
			x->envp[i] = kv;
			return;
		}
	}
	x->envp = xreallocarray(x->envp, x->nenv + 2, sizeof *x->envp);
	x->envp[x->nenv++] = kv;
	x->envp[x->nenv] = NULL;
}

/* Set NAME=value in the prepared environment (value NULL: leave). */
static void
session_env_set(struct session_exec *x, const char *name, const char *value)
{
	char *kv;

	if (value == NULL)
		return;
	xasprintf(&kv, "%s=%s", name, value);
	session_env_put(x, kv);
}

/* Free a prepared exec. */
static void
session_exec_free(struct session_exec *x)
{
	size_t i;

	for (i = 0; i < x->nenv; i++)
		free(x->envp[i]);
	free(x->envp);
	free(x->groups);
}

/*
 * Prepare the user to switch to: the session's uid (with the session's gid
 * or the user's primary group) and the user's groups, HOME, USER and
 * LOGNAME. Returns 0 or ERR_*.
 */
static int
session_exec_user(const struct session *s, const char *what,
    struct session_exec *x)
{
	struct passwd *pw;
	int n;

	if ((pw = getpwuid((uid_t)s->uid)) == NULL) {
		log_warn("%s: uid %ld has no passwd entry", what, s->uid);
		return ERR_NOTFOUND;
	}
	x->drop = 1;
	x->uid = pw->pw_uid;
	x->gid = s->gid >= 0 ? (gid_t)s->gid : pw->pw_gid;
	n = 64;
	x->groups = xcalloc((size_t)n, sizeof *x->groups);
	if (getgrouplist(pw->pw_name, x->gid, x->groups, &n) < 0) {
		free(x->groups);
		x->groups = xcalloc((size_t)n, sizeof *x->groups);
		if (getgrouplist(pw->pw_name, x->gid, x->groups, &n) < 0) {
			log_warn("%s: no group list for %s", what,
			    pw->pw_name);
			return ERR_IO;
		}
	}
	x->ngroups = n;
	session_env_set(x, "HOME", pw->pw_dir);
	session_env_set(x, "USER", pw->pw_name);
	session_env_set(x, "LOGNAME", pw->pw_name);
	return 0;
}

/*
 * Prepare the child's identity and environment. NSS lookups and
 * allocation happen here, in the parent, because the server has threads
 * and the child of a threaded process may only make async-signal-safe
 * calls. Returns 0 or ERR_* (x is to be freed either way).
 */
static int
session_exec_prepare(const struct session *s, const char *what,
    char *const argv[], char *const env[], struct session_exec *x)
{
	char **e;
	int r;

	memset(x, 0, sizeof *x);
	x->argv = argv;
	x->envp = xcalloc(1, sizeof *x->envp);
	for (e = environ; *e != NULL; e++) {
		x->envp = xreallocarray(x->envp, x->nenv + 2,
		    sizeof *x->envp);
		x->envp[x->nenv++] = xstrdup(*e);
		x->envp[x->nenv] = NULL;
	}
	/* Never root unless the session is root's (uid 0: no switch). */
	if (geteuid() == 0 && s->uid > 0 &&
	    (r = session_exec_user(s, what, x)) != 0)
		return r;
	session_env_set(x, "DISPLAY", s->display);
	session_env_set(x, "XAUTHORITY", s->xauthority);
	session_env_set(x, "XDG_RUNTIME_DIR", s->runtime_dir);
	session_env_set(x, "DBUS_SESSION_BUS_ADDRESS", s->dbus);
	for (; env != NULL && *env != NULL; env++)
		session_env_put(x, xstrdup(*env));
	return 0;
}

/* In the child: drop to the prepared user and exec (signal-safe calls). */
static void
session_child(const struct session_exec *x)
{
	sigset_t none;
	int fd;

	/* The one descriptor passed on becomes 3 (without close-on-exec). */
	if (x->pass_fd >= 0 && (x->pass_fd == SESSION_PASS_FD ?
	    fcntl(x->pass_fd, F_SETFD, 0) : dup2(x->pass_fd,
	    SESSION_PASS_FD)) < 0)
		_exit(126);
	/* Leave the server's descriptors behind (sockets, listeners). */
	for (fd = x->pass_fd >= 0 ? SESSION_PASS_FD + 1 : 3; fd < 1024; fd++)
		close(fd);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (x->drop) {
		if (setgroups((size_t)x->ngroups, x->groups) != 0 ||
		    setgid(x->gid) != 0 || setuid(x->uid) != 0)
			_exit(126);
		/* Be sure root cannot be regained. */
		if (setuid(0) == 0)
			_exit(126);
	}
	execve(x->argv[0], x->argv, x->envp);
	_exit(127);
}

/* Start argv as the session's user. */
int
session_spawn(const struct session *s, const char *what, char *const argv[],
    char *const env[], pid_t *pid)
{
	return session_spawn_fd(s, what, argv, env, -1, pid);
}

/* Start argv as the session's user with fd as its descriptor 3. */
int
session_spawn_fd(const struct session *s, const char *what,
    char *const argv[], char *const env[], int fd, pid_t *pid)
{
	struct session_exec x;
	int r;

	*pid = 0;
	if (geteuid() == 0 && s->uid == SESSION_UID_NONE) {
		/* No session known: the program would run as root. */
		log_warn("%s: no desktop session known, not starting %s",
		    what, argv[0]);
		return ERR_DENIED;
	}
	if (geteuid() != 0 && s->uid != SESSION_UID_NONE &&
	    s->uid != (long)geteuid()) {
		log_warn("%s: session uid %ld is not ours, not starting %s",
		    what, s->uid, argv[0]);
		return ERR_DENIED;
	}
	if ((r = session_exec_prepare(s, what, argv, env, &x)) != 0)
		goto out;
	x.pass_fd = fd;
	if ((*pid = fork()) < 0) {
		log_warn("%s: fork: %s", what, strerror(errno));
		*pid = 0;
		r = ERR_IO;
	} else if (*pid == 0)
		session_child(&x);
	else
		log_info("%s: started %s as uid %ld (pid %ld)", what, argv[0],
		    x.drop ? (long)x.uid : (long)geteuid(), (long)*pid);
out:
	session_exec_free(&x);
	return r;
}
