/*
 * fsh_os.h: what server/fsh.c needs of the system to link the file helper,
 * for fsh.c and its Windows counterpart server/win/fsh_win.c only. On
 * Linux the channel is a socketpair whose end the helper inherits and a
 * file goes as a descriptor beside its frame (SCM_RIGHTS); on Windows the
 * channel is a loopback TCP connection the helper opens and proves with a
 * key only it was given, and a file goes as a handle value in its frame,
 * which the server moves out of the helper's process.
 */
#ifndef CDESK_FSH_OS_H
#define CDESK_FSH_OS_H

#include <sys/types.h>

#include "ipc.pb-c.h"

struct session;

/* Widens a socket's buffers (fsh.c). */
void	fsh_sockbuf(int fd);
/*
 * Starts argv (borrowed) as `cdesk --helper` in session s, linked to us:
 * *fd is our end of the channel (a stream socket, blocking), *pid the
 * helper's. Returns 0, or ERR_DENIED, ERR_IO as session_spawn.
 */
int	fsh_os_spawn(const struct session *s, char *const argv[], int *fd,
	    pid_t *pid);
#ifdef _WIN32
/*
 * Moves the file handle st names out of helper pid into this process as
 * a C runtime descriptor (caller closes). Returns it, or -1 when pid has
 * no such handle or it is no disk file.
 */
int	fsh_os_take(pid_t pid, const Ipc__FsStream *st);
#endif

#endif
