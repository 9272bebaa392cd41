/*
 * ipc_transport.h: the IPC's byte channels behind one table of functions,
 * so the framing and the adapters never see sockets or pipes. Linux uses
 * ipc_transport_unix (ipc_unix.c), Windows ipc_transport_win32
 * (ipc_win32.c). Handles are intptr_t: a file descriptor on Unix; on
 * Windows a channel is a socket that a thread pumps to its pipe, and a
 * listener a pointer of ipc_win32.c. Kept free of protobuf and POSIX
 * types so the Windows file compiles against it alone.
 */
#ifndef CDESK_IPC_TRANSPORT_H
#define CDESK_IPC_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#define IPC_UID_NONE	(-1L)	/* no session uid known */

/* Who is on the other end of an accepted channel. */
struct ipc_cred {
	long	uid;	/* Unix uid; Windows: terminal session id */
	long	pid;
};

struct ipc_transport {
	const char	*name;
	/*
	 * Creates the listening endpoint at path: on Unix the folder is made
	 * or repaired (never world- or group-writable, owned by us), a stale
	 * socket is probed with connect before it is unlinked, and a live one
	 * fails with ERR_STATE. Returns 0 with *h set, or ERR_* with *cause
	 * set (caller frees).
	 */
	int	(*listen)(const char *path, intptr_t *h, char **cause);
	/*
	 * Accepts one pending client, non-blocking. Returns 0 with *h and
	 * *cred set, ERR_TIMEOUT when none is pending, or ERR_IO.
	 */
	int	(*accept)(intptr_t lh, intptr_t *h, struct ipc_cred *cred);
	/*
	 * The socket an event loop waits on (for reading) to learn that
	 * accept() has a client: the listener itself on Unix; on Windows a
	 * socket the listener's thread writes to (pipes are not sockets).
	 */
	intptr_t (*watch)(intptr_t lh);
	/* 1 when a server's endpoint exists at path (live or not), else 0. */
	int	(*probe)(const char *path);
	/* Connects to path (blocking, local). 0 or ERR_NOTFOUND/ERR_IO. */
	int	(*connect)(const char *path, intptr_t *h);
	/*
	 * Who serves a channel we connected (Unix: SO_PEERCRED; Windows:
	 * the pipe server's session and process), for ipc_server_trusted()
	 * before anything is sent. 0 with *cred set, or ERR_IO.
	 */
	int	(*server_cred)(intptr_t h, struct ipc_cred *cred);
	/* Closes a channel or listener; for a listener made by us at path,
	 * removes the socket too (path may be NULL). */
	void	(*close)(intptr_t h, const char *path);
};

extern const struct ipc_transport ipc_transport_unix;
extern const struct ipc_transport ipc_transport_win32;
#ifdef _WIN32
/*
 * The service's run folder, %ProgramData%/cdesk/run as config.c makes it
 * for LocalSystem (static storage).
 */
const char	*ipc_win32_system_dir(void);
/*
 * The pipe's name for a socket path (\\.\pipe\cdesk\ and a hash of the
 * path) into out (len bytes). 0, or -2 (ERR_INVAL) when it does not fit.
 */
int		 ipc_win32_pipe_name(const char *path, char *out, size_t len);
/* Pipe pumps (threads) of this process alive now, and the most at once:
 * a client over the cap is dropped as it connects. */
#define IPC_WIN32_PUMPS_MAX	128
long		 ipc_win32_pumps(void);
#endif
/* This platform's transport, the one ipc.c and ipc_event.c use. */
#ifdef _WIN32
#define ipc_transport_native	ipc_transport_win32
#else
#define ipc_transport_native	ipc_transport_unix
#endif

/*
 * The accept-time rule (HOST.md §1.3, STYLE.md §6.7): a peer is allowed
 * when it is root, runs as our own uid (user mode), or is the uid of the
 * session being shared (session_uid, IPC_UID_NONE when unknown).
 */
int	ipc_peer_allowed(long peer_uid, long self_uid, long session_uid);

/*
 * The client's rule, its mirror: a server is trusted when it runs as root
 * (the installed service) or as the client's own uid (a server the user
 * started). Returns 1 or 0.
 */
int	ipc_server_trusted(long server_uid, long self_uid);

#endif
