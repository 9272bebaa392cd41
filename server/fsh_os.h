/*
 * fsh_os.h: what server/fsh.c needs of the system to link the file helper,
 * for fsh.c and its Windows counterpart server/win/fsh_win.c only. On
 * Linux the channel is a socketpair whose end the helper inherits and a
 * file goes as a descriptor beside its frame (SCM_RIGHTS); on Windows the
 * channel is a loopback TCP connection the helper opens and proves with a
 * key only it was given (awaited on the loop, not by blocking it), and a file goes as a handle value in its frame,
 * which the server moves out of the helper's process.
 */
#ifndef CDESK_FSH_OS_H
#define CDESK_FSH_OS_H

#include <sys/types.h>

#include "ipc.pb-c.h"

struct event_base;
struct fsh_link;
struct session;

/*
 * How a link that was not made at once ends: fd is our end of the channel
 * (taken: a stream socket), or -1 when the helper did not call within its
 * time or exited first. Called once, from the loop, never from inside
 * fsh_os_spawn; the callee frees the link (fsh_os_link_free), which it
 * may do inside the call.
 */
typedef void (*fsh_link_cb)(int fd, void *arg);

/* Widens a socket's buffers (fsh.c). */
void	fsh_sockbuf(int fd);
/*
 * Starts argv (borrowed) as `cdesk --helper` in session s, linked to us;
 * *pid the helper's. The link is made at once (Linux: *fd our end of the
 * channel, *link NULL), or later (Windows: *fd -1, *link the wait, owned
 * by the caller, which reports through cb with arg, both borrowed, from
 * base's loop). Never waits. Returns 0, or ERR_DENIED, ERR_IO as
 * session_spawn.
 */
int	fsh_os_spawn(const struct session *s, char *const argv[],
	    struct event_base *base, fsh_link_cb cb, void *arg, int *fd,
	    struct fsh_link **link, pid_t *pid);
/* Stops waiting for the helper's call; cb is not called. NULL is fine;
 * the helper is the caller's to stop. */
void	fsh_os_link_free(struct fsh_link *);
#ifdef _WIN32
/*
 * Moves the file handle st names out of helper pid into this process as
 * a C runtime descriptor (caller closes). Returns it, or -1 when pid has
 * no such handle or it is no disk file.
 */
int	fsh_os_take(pid_t pid, const Ipc__FsStream *st);
#endif

#endif
