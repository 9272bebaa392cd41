/*
 * term_pty.c: terminals on POSIX (term_pty.h): a PTY with the session
 * user's login shell on it, started through session_spawn_tty (so never
 * as root for another user's desktop), reaped by pid on SIGCHLD.
 */
#include <sys/ioctl.h>
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
#include <termios.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/session.h"
#include "server/svc/term_pty.h"

#define TERM_TYPE		"xterm-256color"
#define TERM_NO_USER		"no desktop session user to run it as"

struct term_proc {
	pid_t			 pid;
};

/* A PTY is always there. */
int
term_pty_supported(void)
{
	return 1;
}

/* SIGCHLD says a shell may have ended. */
int
term_pty_watch(struct event_base *base, event_callback_fn cb, void *arg,
    struct event **out)
{
	*out = evsignal_new(base, SIGCHLD, cb, arg);
	if (*out == NULL || event_add(*out, NULL) != 0) {
		if (*out != NULL)
			event_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* The login shell of uid: its passwd entry's, else bash, zsh or sh. */
static void
term_shell(uid_t uid, char *out, size_t len)
{
	static const char *const fallback[] = {
		"/bin/bash", "/bin/zsh", "/bin/sh",
	};
	struct passwd *pw;
	size_t i;

	if ((pw = getpwuid(uid)) != NULL && pw->pw_shell != NULL &&
	    pw->pw_shell[0] == '/' && access(pw->pw_shell, X_OK) == 0) {
		snprintf(out, len, "%s", pw->pw_shell);
		return;
	}
	for (i = 0; i < sizeof fallback / sizeof fallback[0]; i++)
		if (access(fallback[i], X_OK) == 0)
			break;
	snprintf(out, len, "%s", fallback[i < 2 ? i : 2]);
}

/*
 * 1 if the session is a desktop root owns. As root, session_current()
 * names root itself when no X display tells whose desktop it is; a root
 * shell needs root's own desktop, not the lack of one (until the session
 * comes from logind, ARCHITECTURE.md "Whose desktop").
 */
static int
term_root_desktop(const struct session *s)
{
	struct stat st;
	char path[64];

	if (s->display == NULL || s->display[0] != ':')
		return 0;
	snprintf(path, sizeof path, "/tmp/.X11-unix/X%d",
	    atoi(s->display + 1));
	return stat(path, &st) == 0 && st.st_uid == 0;
}

/* Open a PTY of rows x cols: returns the master, with the slave in *sl. */
static int
term_openpty(unsigned rows, unsigned cols, int *sl)
{
	struct winsize ws;
	char name[64];
	int m;

	*sl = -1;
	if ((m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return -1;
	if (grantpt(m) != 0 || unlockpt(m) != 0 ||
	    ptsname_r(m, name, sizeof name) != 0 ||
	    (*sl = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		close(m);
		return -1;
	}
	memset(&ws, 0, sizeof ws);
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	ioctl(m, TIOCSWINSZ, &ws);
	return m;
}

/*
 * Start the session user's login shell on a new PTY (pid in *pid, the
 * master returned), or return -1 with *cause (caller frees).
 */
static int
term_start_shell(unsigned rows, unsigned cols, pid_t *pid, char **cause)
{
	struct session sess;
	char shell[256], argv0[260], env_shell[270];
	char *argv[2] = { argv0, NULL };
	char *env[3] = { (char *)"TERM=" TERM_TYPE, env_shell, NULL };
	const char *base;
	int m, sl, r;

	if ((m = term_openpty(rows, cols, &sl)) < 0) {
		xasprintf(cause, "Failed to open PTY: %s", strerror(errno));
		return -1;
	}
	session_init(&sess);
	session_current(&sess);
	if (geteuid() == 0 && sess.uid == 0 && !term_root_desktop(&sess)) {
		close(m);
		close(sl);
		session_fini(&sess);
		xasprintf(cause, "Failed to spawn command: %s", TERM_NO_USER);
		return -1;
	}
	term_shell(geteuid() == 0 && sess.uid > 0 ? (uid_t)sess.uid :
	    geteuid(), shell, sizeof shell);
	base = strrchr(shell, '/') != NULL ? strrchr(shell, '/') + 1 : shell;
	/* A login shell, as login(1) starts it. */
	snprintf(argv0, sizeof argv0, "-%s", base);
	snprintf(env_shell, sizeof env_shell, "SHELL=%s", shell);
	r = session_spawn_tty(&sess, "terminal", shell, argv, env, sl, pid);
	close(sl);
	session_fini(&sess);
	if (r != 0) {
		close(m);
		xasprintf(cause, "Failed to spawn command: %s",
		    r == ERR_DENIED ? TERM_NO_USER : err_str(r));
		return -1;
	}
	if (fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK) != 0)
		log_warn("terminal: PTY not non-blocking: %s", strerror(errno));
	return m;
}

/* Start the session user's login shell on a new PTY (term_pty.h). */
int
term_pty_start(unsigned rows, unsigned cols, evutil_socket_t *fd,
    struct term_proc **proc, uint32_t *pid, char **cause)
{
	pid_t p;
	int m;

	*proc = NULL;
	if ((m = term_start_shell(rows, cols, &p, cause)) < 0)
		return -1;
	*proc = xcalloc(1, sizeof **proc);
	(*proc)->pid = p;
	*pid = (uint32_t)p;
	*fd = m;
	return 0;
}

/* Read output of the PTY. */
ssize_t
term_pty_read(evutil_socket_t fd, void *buf, size_t len)
{
	ssize_t n;

	n = read(fd, buf, len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	return n < 0 ? 0 : n;
}

/* Write typed input to the PTY. */
int
term_pty_write(evutil_socket_t fd, struct evbuffer *in)
{
	if (evbuffer_write(in, fd) < 0 && errno != EAGAIN && errno != EINTR)
		return -1;
	return 0;
}

/* TIOCSWINSZ: the shell's foreground gets SIGWINCH. */
void
term_pty_resize(struct term_proc *p, evutil_socket_t fd, unsigned rows,
    unsigned cols)
{
	struct winsize ws;

	(void)p;
	memset(&ws, 0, sizeof ws);
	ws.ws_col = (unsigned short)cols;
	ws.ws_row = (unsigned short)rows;
	ioctl(fd, TIOCSWINSZ, &ws);
}

/* Close the master: the hang-up reaches the shell's foreground. */
void
term_pty_close(evutil_socket_t fd)
{
	close(fd);
}

/* Exit code of a wait status: upstream reports 1 for a signal. */
static int
term_exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Reap by pid only: other children are not ours. */
int
term_pty_reap(struct term_proc *p, int *code)
{
	int status = 0;
	pid_t r;

	r = waitpid(p->pid, &status, WNOHANG);
	if (r == 0)
		return 0;
	if (r != p->pid)
		return -1;
	*code = term_exit_code(status);
	return 1;
}

/* The hang-up already sent SIGHUP to its foreground; the shell gets its
 * own. */
void
term_pty_hangup(struct term_proc *p)
{
	kill(p->pid, SIGHUP);
}

void
term_pty_kill(struct term_proc *p)
{
	kill(p->pid, SIGKILL);
}

void
term_pty_wait(struct term_proc *p)
{
	while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
		;
}

void
term_pty_free(struct term_proc *p)
{
	free(p);
}
