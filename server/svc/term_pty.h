/*
 * term_pty.h: the platform part of terminals (svc_term.c): start the
 * session user's shell on a new terminal, hand the loop one non-blocking
 * descriptor carrying the shell's output one way and its input the other,
 * resize, hang up, reap. POSIX (term_pty.c): a PTY master, SIGCHLD and
 * waitpid. Windows (server/win/term_conpty.c): a pseudoconsole whose
 * pipes threads pump through a socket pair, so the loop's reading is the
 * back-pressure on both as a PTY's is. Main loop only.
 */
#ifndef CDESK_TERM_PTY_H
#define CDESK_TERM_PTY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>

struct evbuffer;
/* A started shell: its process (and on Windows its pseudoconsole). */
struct term_proc;

/* 1 when terminals can be had here (Windows: ConPTY exists), else 0. */
int	 term_pty_supported(void);
/*
 * Watch for ended shells: *out (caller frees) runs cb(-1, 0, arg) after a
 * shell may have ended (POSIX: SIGCHLD), then term_pty_reap says which.
 * Returns 0 or -1.
 */
int	 term_pty_watch(struct event_base *base, event_callback_fn cb,
	    void *arg, struct event **out);
/*
 * Start the session user's shell on a terminal of rows x cols. Returns 0
 * with *fd (the loop's end: read output, write input; non-blocking),
 * *proc (caller frees with term_pty_free) and *pid (TerminalOpened.pid),
 * or -1 with *cause (caller frees; upstream's texts: "Failed to open
 * PTY: ...", "Failed to spawn command: ...").
 */
int	 term_pty_start(unsigned rows, unsigned cols, evutil_socket_t *fd,
	    struct term_proc **proc, uint32_t *pid, char **cause);
/* Read output: the count, 0 at the end (EOF, EIO), -1 for nothing now. */
ssize_t	 term_pty_read(evutil_socket_t fd, void *buf, size_t len);
/* Write what in holds; returns 0, or -1 when the shell is gone. */
int	 term_pty_write(evutil_socket_t fd, struct evbuffer *in);
/* Tell the shell its size (fd is the loop's end). */
void	 term_pty_resize(struct term_proc *, evutil_socket_t fd,
	    unsigned rows, unsigned cols);
/* Close the loop's end (a shell still holding a PTY is hung up). */
void	 term_pty_close(evutil_socket_t fd);
/*
 * 1 when the shell ended and all its output reached fd (*code: its exit
 * code, 1 for a signal as upstream), 0 while it runs, -1 when it cannot
 * be waited for (gone already).
 */
int	 term_pty_reap(struct term_proc *, int *code);
/* Ask the shell to end (SIGHUP; Windows: its process tree ends). */
void	 term_pty_hangup(struct term_proc *);
/* End it by force (SIGKILL). */
void	 term_pty_kill(struct term_proc *);
/* Wait until it ended (after term_pty_kill; bounded on Windows). */
void	 term_pty_wait(struct term_proc *);
/* Free; NULL does nothing. The shell must have been reaped or waited. */
void	 term_pty_free(struct term_proc *);

#endif
