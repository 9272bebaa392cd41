/*
 * session.c: the session struct, which desktop session the server shares
 * (found by the session source: session_src.c), and starting a program as
 * its user (fork, drop to the user, exec).
 */
#include <sys/ioctl.h>
#include <sys/resource.h>
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
#include "server/session_int.h"

/* Used when the server itself has no PATH. */
#define SESSION_PATH	"/usr/local/bin:/usr/bin:/bin"

/*
 * What a started program takes from the server's own environment; the
 * rest is built from the session and the user (session_exec_prepare).
 * A name ending in '*' is a prefix. The sanitizer settings matter only to
 * `make asan`, whose tests check that the CM exits without leaks.
 */
static const char *const session_env_keep[] = {
	"PATH", "LANG", "LANGUAGE", "LC_*",
	"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS",
};

/* Everything the child needs, prepared before fork. */
struct session_exec {
	const char	 *path;		/* borrowed: the program */
	char *const	 *argv;		/* borrowed */
	int		  tty;		/* the terminal for 0-2, or -1 */
	char		 *home;		/* owned: start there, or NULL */
	char		**envp;		/* owned, NULL-terminated */
	size_t		  nenv;
	gid_t		 *groups;	/* owned */
	int		  ngroups;
	uid_t		  uid;
	gid_t		  gid;
	int		  drop;		/* switch to uid/gid/groups */
	int		  null_fd;	/* /dev/null for stdin, or -1 */
	int		  max_fd;	/* close below it without close_range */
	int		  pass_fd;	/* becomes the child's fd 3, or -1 */
};

/* What the session's programs get as RLIMIT_NOFILE's soft limit; 0:
 * the server's own. */
static rlim_t	session_nofile;

void
session_child_nofile(unsigned long soft)
{
	session_nofile = (rlim_t)soft;
}

/* The session we share, found once. */
void
session_current(struct session *s)
{
	session_fini(s);
	session_find(s);
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
	free(x->home);
	if (x->null_fd >= 0)
		close(x->null_fd);
}

/* 1 if "NAME=value" kv is one of session_env_keep. */
static int
session_env_kept(const char *kv)
{
	size_t i, len, klen = strcspn(kv, "=");
	const char *k;

	if (kv[klen] != '=')
		return 0;
	for (i = 0; i < sizeof session_env_keep / sizeof *session_env_keep;
	    i++) {
		k = session_env_keep[i];
		len = strlen(k);
		if (k[len - 1] == '*' ? strncmp(kv, k, len - 1) == 0 :
		    (klen == len && strncmp(kv, k, len) == 0))
			return 1;
	}
	return 0;
}

/*
 * Prepare the user to run as and their HOME, USER, LOGNAME and SHELL: the
 * session's uid (with the session's gid or the user's primary group) and
 * the user's groups when drop is set, else ourselves. Returns 0 or ERR_*.
 */
static int
session_exec_user(const struct session *s, const char *what, int drop,
    struct session_exec *x)
{
	struct passwd *pw;
	uid_t uid = drop ? (uid_t)s->uid : geteuid();
	int n;

	if ((pw = getpwuid(uid)) == NULL) {
		if (drop) {
			log_warn("%s: uid %ld has no passwd entry", what,
			    s->uid);
			return ERR_NOTFOUND;
		}
		/* Ourselves without an entry (a container): keep ours. */
		session_env_set(x, "HOME", getenv("HOME"));
		session_env_set(x, "USER", getenv("USER"));
		session_env_set(x, "LOGNAME", getenv("LOGNAME"));
		session_env_set(x, "SHELL", getenv("SHELL"));
		return 0;
	}
	session_env_set(x, "HOME", pw->pw_dir);
	session_env_set(x, "USER", pw->pw_name);
	session_env_set(x, "LOGNAME", pw->pw_name);
	session_env_set(x, "SHELL", pw->pw_shell != NULL &&
	    *pw->pw_shell != '\0' ? pw->pw_shell : "/bin/sh");
	if (!drop)
		return 0;
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
	return 0;
}

/*
 * Prepare the child's identity, environment and descriptors. NSS lookups,
 * allocation and opening /dev/null happen here, in the parent, because
 * the server has threads and the child of a threaded process may only
 * make async-signal-safe calls. Returns 0 or ERR_* (x is to be freed
 * either way).
 */
static int
session_exec_prepare(const struct session *s, const char *what,
    char *const argv[], char *const env[], struct session_exec *x)
{
	long max;
	char **e;
	int r;

	memset(x, 0, sizeof *x);
	x->argv = argv;
	x->null_fd = -1;
	x->pass_fd = -1;
	x->envp = xcalloc(1, sizeof *x->envp);
	/* A clean environment: nothing of ours but the few kept names. */
	for (e = environ; *e != NULL; e++)
		if (session_env_kept(*e))
			session_env_put(x, xstrdup(*e));
	if (getenv("PATH") == NULL)
		session_env_set(x, "PATH", SESSION_PATH);
	/* Never root unless the session is root's (uid 0: no switch). */
	if ((r = session_exec_user(s, what, geteuid() == 0 && s->uid > 0,
	    x)) != 0)
		return r;
	session_env_set(x, "DISPLAY", s->display);
	session_env_set(x, "XAUTHORITY", s->xauthority);
	session_env_set(x, "XDG_RUNTIME_DIR", s->runtime_dir);
	session_env_set(x, "DBUS_SESSION_BUS_ADDRESS", s->dbus);
	/* A GTK program (the CM) on a Wayland desk finds the compositor. */
	session_env_set(x, "WAYLAND_DISPLAY", s->wayland);
	for (; env != NULL && *env != NULL; env++)
		session_env_put(x, xstrdup(*env));
	if ((x->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		log_warn("%s: /dev/null: %s", what, strerror(errno));
		return ERR_IO;
	}
	max = sysconf(_SC_OPEN_MAX);
	x->max_fd = max > 0 && max < (1L << 20) ? (int)max : (1 << 20);
	return 0;
}

/*
 * In the child: make tty the controlling terminal of a new session and
 * stdin, stdout and stderr, with SIGPIPE back to its default (the server
 * ignores it, and a shell's pipelines need it). Returns 0 or -1.
 */
static int
session_child_tty(int tty)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	if (setsid() < 0 || ioctl(tty, TIOCSCTTY, 0) != 0 ||
	    dup2(tty, 0) < 0 || dup2(tty, 1) < 0 || dup2(tty, 2) < 0 ||
	    sigaction(SIGPIPE, &sa, NULL) != 0)
		return -1;
	return 0;
}

/* In the child: drop to the prepared user and exec (signal-safe calls). */
static void
session_child(const struct session_exec *x)
{
	struct sigaction sa;
	struct rlimit rl;
	sigset_t none;
	int fd, first, sig;

	/* A terminal's shell gets the pty as its controlling terminal and
	 * stdio; anything else reads /dev/null (dup2 clears close-on-exec). */
	if (x->tty >= 0) {
		if (session_child_tty(x->tty) != 0)
			_exit(126);
	} else if (dup2(x->null_fd, STDIN_FILENO) < 0)
		_exit(126);
	/* The one descriptor passed on becomes 3 (without close-on-exec). */
	if (x->pass_fd >= 0 && (x->pass_fd == SESSION_PASS_FD ?
	    fcntl(x->pass_fd, F_SETFD, 0) : dup2(x->pass_fd,
	    SESSION_PASS_FD)) < 0)
		_exit(126);
	/* Leave every other descriptor of the server behind (sockets,
	 * listeners, the X connection), however high it is numbered. */
	first = x->pass_fd >= 0 ? SESSION_PASS_FD + 1 : 3;
	if (close_range(first, ~0U, 0) != 0)
		for (fd = first; fd < x->max_fd; fd++)
			close(fd);
	/* Signals the server ignores (SIGPIPE) would stay ignored. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (session_nofile > 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur > session_nofile) {
		rl.rlim_cur = session_nofile;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (x->drop) {
		if (setgroups((size_t)x->ngroups, x->groups) != 0 ||
		    setgid(x->gid) != 0 || setuid(x->uid) != 0)
			_exit(126);
		/* Be sure root cannot be regained. */
		if (setuid(0) == 0)
			_exit(126);
	}
	/* As the user: a home on a root-squashed share opens for them. */
	if (x->home != NULL && chdir(x->home) != 0 && chdir("/") != 0)
		_exit(126);
	execve(x->path, x->argv, x->envp);
	_exit(127);
}

/*
 * Prepare what a program on a terminal needs besides session_spawn's: its
 * user's home to start in, and the terminal owned by that user (so that
 * programs reopening /dev/tty, like ssh and sudo, can). Returns 0 or ERR_IO.
 */
static int
session_exec_tty(struct session_exec *x, const char *what)
{
	struct passwd *pw;

	if ((pw = getpwuid(x->drop ? x->uid : geteuid())) != NULL)
		x->home = xstrdup(pw->pw_dir);
	if (x->drop && fchown(x->tty, x->uid, (gid_t)-1) != 0) {
		log_warn("%s: cannot give the terminal to uid %ld: %s", what,
		    (long)x->uid, strerror(errno));
		return ERR_IO;
	}
	return 0;
}

/* Start path with argv as the session's user, on tty if it is not -1, with
 * fd as its descriptor 3 if it is not -1. */
static int
session_spawn_exec(const struct session *s, const char *what,
    const char *path, char *const argv[], char *const env[], int tty,
    int fd, pid_t *pid)
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
	x.path = path;
	x.tty = tty;
	x.pass_fd = fd;
	if (tty >= 0 && (r = session_exec_tty(&x, what)) != 0)
		goto out;
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

/* Start argv as the session's user. */
int
session_spawn(const struct session *s, const char *what, char *const argv[],
    char *const env[], pid_t *pid)
{
	return session_spawn_exec(s, what, argv[0], argv, env, -1, -1, pid);
}

/* Start argv as the session's user with fd as its descriptor 3. */
int
session_spawn_fd(const struct session *s, const char *what,
    char *const argv[], char *const env[], int fd, pid_t *pid)
{
	return session_spawn_exec(s, what, argv[0], argv, env, -1, fd, pid);
}

/* Start path as the session's user on a terminal. */
int
session_spawn_tty(const struct session *s, const char *what,
    const char *path, char *const argv[], char *const env[], int tty,
    pid_t *pid)
{
	return session_spawn_exec(s, what, path, argv, env, tty, -1, pid);
}
