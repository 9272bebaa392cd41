/*
 * ipc_win32.c: the named-pipe transport for Windows. The pipe's DACL lets
 * in SYSTEM and the session's user only (win32_instance); each accepted
 * client is then identified by its token (win32_client_uid) and each
 * server a client reaches by its process's token or, when that cannot be
 * opened (a service seen by a user), by the pipe's owner
 * (win32_server_uid), the way SO_PEERCRED serves both sides on Unix.
 *
 * libevent (ipc_event.c) and the blocking client (ipc_request) wait on
 * sockets, and a pipe handle is not one. So every pipe connection is
 * joined to one end of a loopback socket pair by a thread of its own
 * (win32_pump_run), and the other end is the channel the rest of the IPC
 * sees; closing either side ends the other. The listener's thread
 * (win32_accept_run) waits for clients, identifies each one, and queues
 * its socket and credentials for accept(); a byte on a second socket
 * pair, which the event loop watches (ipc_transport.watch), says one is
 * there.
 *
 * The pipe's name comes from the whole path (a hash of it), so a server
 * with --config DIR and the installed service never share a pipe.
 */
#ifndef _WIN32
#error "ipc_win32.c is for Windows builds only"
#endif

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>
#include <wtsapi32.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/util.h>

#include "ipc/ipc_transport.h"

/*
 * This file speaks Winsock itself (SOCKET handles, WSAEventSelect), not
 * the POSIX layer of common/compat_win.h that the rest of the tree sees.
 */
#undef send
#undef recv
#undef select

/* Error codes of common/err.h, repeated here to keep this file alone. */
#define W_ERR_NOMEM	-1
#define W_ERR_INVAL	-2
#define W_ERR_IO	-9
#define W_ERR_NOTFOUND	-11
#define W_ERR_STATE	-12
#define W_ERR_TIMEOUT	-13
#define W_ERR_DENIED	-15

#define PIPE_PREFIX	"\\\\.\\pipe\\cdesk\\"
#define PIPE_BUF_SIZE	(64 * 1024)
/* What a pump moves in one go, each way. */
#define PUMP_CHUNK	(64 * 1024)
/* Pumps alive at once (IPC_WIN32_PUMPS_MAX): the pipe admits only SYSTEM
 * and the session's user, but one of their programs looping on connect
 * must not make the server start threads without end. */
static volatile LONG	win32_pumps;

long
ipc_win32_pumps(void)
{
	return InterlockedCompareExchange(&win32_pumps, 0, 0);
}
/* uid of a token that is neither SYSTEM, nor ours, nor the session's. */
#define W_UID_OTHER	(-1L)

/* A client the listener's thread accepted, waiting for accept(). */
struct win32_ready {
	SOCKET			 sock;
	struct ipc_cred		 cred;
	struct win32_ready	*next;
};

/* The listener: its thread, the queue it fills and the byte that says so. */
struct win32_listener {
	char			 name[MAX_PATH];
	HANDLE			 pending;	/* instance not yet connected */
	HANDLE			 thread;
	HANDLE			 stop;		/* set: the thread ends */
	SOCKET			 note[2];	/* [0] watched, [1] written */
	CRITICAL_SECTION	 lock;		/* guards the queue */
	struct win32_ready	*head;
	struct win32_ready	**tail;
};

/* One pipe connection and its end of the socket pair (the pump's). */
struct win32_pump {
	HANDLE	pipe;
	SOCKET	sock;
};

/* A channel this process connected, with who serves it (server_cred). */
struct win32_conn {
	SOCKET			 sock;
	struct ipc_cred		 cred;
	struct win32_conn	*next;
};

static CRITICAL_SECTION		 win32_conns_lock;
static INIT_ONCE		 win32_conns_once = INIT_ONCE_STATIC_INIT;
static struct win32_conn	*win32_conns;

/*
 * The pipe name for path: a 64-bit FNV-1a hash of the path with case and
 * '/' against '\' ignored, as Windows ignores them in the folder's name.
 */
int
ipc_win32_pipe_name(const char *path, char *out, size_t len)
{
	unsigned long long h = 0xcbf29ce484222325ULL;
	const char *p;
	int c;

	if (*path == '\0')
		return W_ERR_INVAL;
	for (p = path; *p != '\0'; p++) {
		c = *p == '\\' ? '/' : (unsigned char)*p;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ (unsigned)c) * 0x100000001b3ULL;
	}
	if ((size_t)snprintf(out, len, "%s%016llx", PIPE_PREFIX, h) >= len)
		return W_ERR_INVAL;
	return 0;
}

/* Set *cause to a copy of what plus the Windows error code. */
static void
win32_cause(char **cause, const char *what)
{
	char tmp[256];

	if (cause == NULL)
		return;
	snprintf(tmp, sizeof tmp, "%s: error %lu", what,
	    (unsigned long)GetLastError());
	*cause = _strdup(tmp);
}

/* The user SID of token into u (len bytes); 0 or -1. */
static int
win32_token_user(HANDLE token, TOKEN_USER *u, DWORD len)
{
	DWORD n;

	return GetTokenInformation(token, TokenUser, u, len, &n) ? 0 : -1;
}

/* The string SID of token's user into out (len bytes); 0 or -1. */
static int
win32_token_sid(HANDLE token, char *out, size_t len)
{
	union {
		TOKEN_USER	tu;
		char		buf[256];
	} u;
	char *str = NULL;
	int r = -1;

	if (win32_token_user(token, &u.tu, sizeof u) == 0 &&
	    ConvertSidToStringSidA(u.tu.User.Sid, &str)) {
		if ((size_t)snprintf(out, len, "%s", str) < len)
			r = 0;
		LocalFree(str);
	}
	return r;
}

/*
 * The uid a SID stands for here: 0 for SYSTEM (root's number), ours
 * (geteuid()) for our own user, else W_UID_OTHER.
 */
static long
win32_sid_uid(PSID sid)
{
	union {
		TOKEN_USER	tu;
		char		buf[256];
	} u;
	HANDLE self;
	long uid = W_UID_OTHER;

	if (IsWellKnownSid(sid, WinLocalSystemSid))
		return 0;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &self))
		return W_UID_OTHER;
	if (win32_token_user(self, &u.tu, sizeof u) == 0 &&
	    EqualSid(sid, u.tu.User.Sid))
		uid = (long)geteuid();
	CloseHandle(self);
	return uid;
}

/*
 * The user the pipe admits besides SYSTEM, as a string SID: run as
 * LocalSystem (the service), the user logged in at the console session
 * now; otherwise ourselves (a host the user started). 0 or -1 (nobody
 * logged in: only SYSTEM is admitted).
 */
static int
win32_session_sid(char *out, size_t len)
{
	HANDLE token = NULL, user = NULL;
	int r = -1;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
		return -1;
	if (win32_token_sid(token, out, len) == 0 &&
	    strcmp(out, "S-1-5-18") != 0)
		r = 0;				/* not SYSTEM: ourselves */
	else if (WTSQueryUserToken(WTSGetActiveConsoleSessionId(), &user)) {
		r = win32_token_sid(user, out, len);
		CloseHandle(user);
	}
	CloseHandle(token);
	return r;
}

/*
 * Create one pipe instance; the first one may not exist already. Each
 * instance gets a DACL of its own, made when it is created, so a new
 * console user is admitted from the next instance on: SYSTEM and the
 * session's user (win32_session_sid), full access, nobody else. The
 * client's token is still checked on accept (win32_client_uid).
 */
static HANDLE
win32_instance(const char *name, int first)
{
	SECURITY_ATTRIBUTES sa;
	PSECURITY_DESCRIPTOR sd = NULL;
	HANDLE h;
	DWORD mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
	char sid[192], sddl[256];

	if (win32_session_sid(sid, sizeof sid) == 0)
		snprintf(sddl, sizeof sddl, "D:P(A;;GA;;;SY)(A;;GA;;;%s)", sid);
	else
		snprintf(sddl, sizeof sddl, "D:P(A;;GA;;;SY)");
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl,
	    SDDL_REVISION_1, &sd, NULL))
		return INVALID_HANDLE_VALUE;
	sa.nLength = sizeof sa;
	sa.lpSecurityDescriptor = sd;
	sa.bInheritHandle = FALSE;
	if (first)
		mode |= FILE_FLAG_FIRST_PIPE_INSTANCE;
	h = CreateNamedPipeA(name, mode, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE |
	    PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, PIPE_UNLIMITED_INSTANCES,
	    PIPE_BUF_SIZE, PIPE_BUF_SIZE, 0, &sa);
	LocalFree(sd);
	return h;
}

/*
 * Who a connected client is, as the accept rule (ipc_peer_allowed) wants
 * it: 0 for SYSTEM, our uid for our own user, the terminal session id for
 * the user logged in to that session (session_win.c gives the shared
 * session's uid as its id; session 0 has no user of that kind), else
 * W_UID_OTHER. The token is the client's own, seen by impersonating it
 * at the identification level it allowed (win32_connect).
 */
static long
win32_client_uid(HANDLE pipe)
{
	union {
		TOKEN_USER	tu;
		char		buf[256];
	} c, s;
	HANDLE tok = NULL, user = NULL;
	ULONG sess = 0;
	long uid = W_UID_OTHER;

	if (!ImpersonateNamedPipeClient(pipe))
		return W_UID_OTHER;
	if (!OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &tok))
		tok = NULL;
	/* Going on as someone else is not an option. */
	if (!RevertToSelf())
		abort();
	if (tok == NULL)
		return W_UID_OTHER;
	if (win32_token_user(tok, &c.tu, sizeof c) != 0)
		goto out;
	if ((uid = win32_sid_uid(c.tu.User.Sid)) != W_UID_OTHER)
		goto out;
	if (!GetNamedPipeClientSessionId(pipe, &sess) || sess == 0 ||
	    !WTSQueryUserToken(sess, &user))
		goto out;
	if (win32_token_user(user, &s.tu, sizeof s) == 0 &&
	    EqualSid(c.tu.User.Sid, s.tu.User.Sid))
		uid = (long)sess;
	CloseHandle(user);
 out:
	CloseHandle(tok);
	return uid;
}

/*
 * Who serves a pipe we opened, as ipc_server_trusted() wants it: 0 for
 * SYSTEM, our uid for ourselves, else W_UID_OTHER. The server process's
 * token when we may open it; a user may not open the service's, and then
 * the pipe's owner tells, which only the account that made the pipe (or
 * an administrator) can be: SYSTEM or Administrators count as root.
 */
static long
win32_server_uid(HANDLE pipe, long *pid)
{
	union {
		TOKEN_USER	tu;
		char		buf[256];
	} u;
	PSECURITY_DESCRIPTOR sd = NULL;
	PSID owner = NULL;
	HANDLE proc, tok;
	ULONG spid = 0;
	long uid = W_UID_OTHER;

	*pid = -1;
	if (!GetNamedPipeServerProcessId(pipe, &spid))
		return W_UID_OTHER;
	*pid = (long)spid;
	if ((proc = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
	    spid)) != NULL) {
		if (OpenProcessToken(proc, TOKEN_QUERY, &tok)) {
			if (win32_token_user(tok, &u.tu, sizeof u) == 0)
				uid = win32_sid_uid(u.tu.User.Sid);
			CloseHandle(tok);
			CloseHandle(proc);
			return uid;
		}
		CloseHandle(proc);
	}
	if (GetSecurityInfo(pipe, SE_KERNEL_OBJECT,
	    OWNER_SECURITY_INFORMATION, &owner, NULL, NULL, NULL,
	    &sd) != ERROR_SUCCESS)
		return W_UID_OTHER;
	if (IsWellKnownSid(owner, WinBuiltinAdministratorsSid))
		uid = 0;
	else
		uid = win32_sid_uid(owner);
	LocalFree(sd);
	return uid;
}

/* Send all of (p, n) on a non-blocking socket; 0 or -1. */
static int
win32_sock_send(SOCKET s, const char *p, DWORD n)
{
	fd_set w, e;
	int got;

	while (n > 0) {
		if ((got = send(s, p, (int)n, 0)) > 0) {
			p += got;
			n -= (DWORD)got;
			continue;
		}
		if (got == 0 || WSAGetLastError() != WSAEWOULDBLOCK)
			return -1;
		FD_ZERO(&w);
		FD_ZERO(&e);
		FD_SET(s, &w);
		FD_SET(s, &e);
		if (select(0, NULL, &w, &e, NULL) != 1 || FD_ISSET(s, &e))
			return -1;
	}
	return 0;
}

/* Write all of (p, n) to the pipe, waiting for it; 0 or -1. */
static int
win32_pipe_write(HANDLE pipe, HANDLE ev, const char *p, DWORD n)
{
	OVERLAPPED ov;
	DWORD done;

	while (n > 0) {
		memset(&ov, 0, sizeof ov);
		ov.hEvent = ev;
		if (!WriteFile(pipe, p, n, NULL, &ov) &&
		    GetLastError() != ERROR_IO_PENDING)
			return -1;
		if (!GetOverlappedResult(pipe, &ov, &done, TRUE) || done == 0)
			return -1;
		p += done;
		n -= done;
	}
	return 0;
}

/*
 * Move what the socket holds into the pipe. Returns 1 while both are
 * open, 0 when the socket was closed or either side failed.
 */
static int
win32_pump_drain(struct win32_pump *p, HANDLE wev, char *buf)
{
	int got;

	for (;;) {
		got = recv(p->sock, buf, PUMP_CHUNK, 0);
		if (got == 0)
			return 0;
		if (got < 0)
			return WSAGetLastError() == WSAEWOULDBLOCK;
		if (win32_pipe_write(p->pipe, wev, buf, (DWORD)got) != 0)
			return 0;
	}
}

/*
 * The pump's thread: pipe to socket and socket to pipe until either side
 * ends, then close both, so the other side sees the end too. The pipe is
 * closed, not disconnected: what was written into it can still be read.
 */
static DWORD WINAPI
win32_pump_run(void *arg)
{
	struct win32_pump *p = arg;
	OVERLAPPED ov;
	WSANETWORKEVENTS ne;
	HANDLE ev[2], wev;
	char *in, *out;
	DWORD n, w;
	int open = 1, reading = 0;

	memset(&ov, 0, sizeof ov);
	in = malloc(PUMP_CHUNK);
	out = malloc(PUMP_CHUNK);
	ev[0] = ov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
	ev[1] = WSACreateEvent();
	wev = CreateEventA(NULL, TRUE, FALSE, NULL);
	if (in == NULL || out == NULL || ev[0] == NULL || wev == NULL ||
	    ev[1] == WSA_INVALID_EVENT ||
	    WSAEventSelect(p->sock, ev[1], FD_READ | FD_CLOSE) != 0)
		open = 0;
	while (open) {
		if (!reading) {
			if (!ReadFile(p->pipe, in, PUMP_CHUNK, NULL, &ov) &&
			    GetLastError() != ERROR_IO_PENDING)
				break;
			reading = 1;
		}
		w = WaitForMultipleObjects(2, ev, FALSE, INFINITE);
		if (w == WAIT_OBJECT_0) {
			reading = 0;
			/* No bytes from a byte-mode pipe is its end (wine
			 * says so for a client that closed). */
			open = GetOverlappedResult(p->pipe, &ov, &n, FALSE) &&
			    n > 0 && win32_sock_send(p->sock, in, n) == 0;
		} else if (w == WAIT_OBJECT_0 + 1) {
			WSAEnumNetworkEvents(p->sock, ev[1], &ne);
			open = win32_pump_drain(p, wev, out);
		} else
			open = 0;
	}
	if (reading) {
		CancelIoEx(p->pipe, &ov);
		GetOverlappedResult(p->pipe, &ov, &n, TRUE);
	}
	closesocket(p->sock);
	CloseHandle(p->pipe);
	if (ev[0] != NULL)
		CloseHandle(ev[0]);
	if (ev[1] != WSA_INVALID_EVENT)
		WSACloseEvent(ev[1]);
	if (wev != NULL)
		CloseHandle(wev);
	free(in);
	free(out);
	free(p);
	InterlockedDecrement(&win32_pumps);
	return 0;
}

/*
 * Join pipe to a new socket pair; the pump takes the pipe and one end,
 * *sock gets the other. 0, or -1 with the pipe closed.
 */
static int
win32_pump_start(HANDLE pipe, SOCKET *sock)
{
	struct win32_pump *p;
	evutil_socket_t fds[2];
	HANDLE t;

	*sock = INVALID_SOCKET;
	if (InterlockedIncrement(&win32_pumps) > IPC_WIN32_PUMPS_MAX ||
	    (p = calloc(1, sizeof *p)) == NULL) {
		InterlockedDecrement(&win32_pumps);
		CloseHandle(pipe);
		return -1;
	}
	if (evutil_socketpair(AF_INET, SOCK_STREAM, 0, fds) != 0) {
		InterlockedDecrement(&win32_pumps);
		CloseHandle(pipe);
		free(p);
		return -1;
	}
	p->pipe = pipe;
	p->sock = (SOCKET)fds[0];
	if ((t = CreateThread(NULL, 0, win32_pump_run, p, 0, NULL)) == NULL) {
		closesocket((SOCKET)fds[0]);
		closesocket((SOCKET)fds[1]);
		InterlockedDecrement(&win32_pumps);
		CloseHandle(pipe);
		free(p);
		return -1;
	}
	CloseHandle(t);
	*sock = (SOCKET)fds[1];
	return 0;
}

/* Identify a connected client, pump it, queue it and say so. */
static void
win32_admit(struct win32_listener *l, HANDLE pipe)
{
	struct win32_ready *r;
	ULONG pid = 0;

	if ((r = calloc(1, sizeof *r)) == NULL) {
		CloseHandle(pipe);
		return;
	}
	/* Refused ones are queued too: ipc_event.c refuses and logs. */
	r->cred.uid = win32_client_uid(pipe);
	r->cred.pid = GetNamedPipeClientProcessId(pipe, &pid) ?
	    (long)pid : -1;
	if (win32_pump_start(pipe, &r->sock) != 0) {
		free(r);
		return;
	}
	EnterCriticalSection(&l->lock);
	*l->tail = r;
	l->tail = &r->next;
	LeaveCriticalSection(&l->lock);
	send(l->note[1], "c", 1, 0);
}

/*
 * Wait for a client on the pending instance. Returns 1 when one is
 * connected, 0 when it failed (the instance is dropped), -1 on stop.
 */
static int
win32_wait_client(struct win32_listener *l, HANDLE ev)
{
	OVERLAPPED ov;
	HANDLE both[2] = { ev, l->stop };
	DWORD n;

	memset(&ov, 0, sizeof ov);
	ov.hEvent = ev;
	if (ConnectNamedPipe(l->pending, &ov) ||
	    GetLastError() == ERROR_PIPE_CONNECTED)
		return 1;
	if (GetLastError() == ERROR_IO_PENDING) {
		if (WaitForMultipleObjects(2, both, FALSE, INFINITE) !=
		    WAIT_OBJECT_0) {
			CancelIoEx(l->pending, &ov);
			GetOverlappedResult(l->pending, &ov, &n, TRUE);
			return -1;
		}
		if (GetOverlappedResult(l->pending, &ov, &n, FALSE))
			return 1;
	}
	/* A client that came and went, or a broken instance: a new one. */
	CloseHandle(l->pending);
	l->pending = INVALID_HANDLE_VALUE;
	return 0;
}

/* The listener's thread: one connected instance after another. */
static DWORD WINAPI
win32_accept_run(void *arg)
{
	struct win32_listener *l = arg;
	HANDLE ev, got;
	int r;

	if ((ev = CreateEventA(NULL, TRUE, FALSE, NULL)) == NULL)
		return 1;
	for (;;) {
		if (l->pending == INVALID_HANDLE_VALUE &&
		    (l->pending = win32_instance(l->name, 0)) ==
		    INVALID_HANDLE_VALUE) {
			/* Out of something: try again in a second. */
			if (WaitForSingleObject(l->stop, 1000) == WAIT_OBJECT_0)
				break;
			continue;
		}
		if ((r = win32_wait_client(l, ev)) < 0)
			break;
		if (r == 0)
			continue;
		got = l->pending;
		l->pending = INVALID_HANDLE_VALUE;
		win32_admit(l, got);
	}
	CloseHandle(ev);
	return 0;
}

/* Make the folder holding path, as ipc_unix.c does for its socket. */
static void
win32_mkdir_parent(const char *path)
{
	char dir[MAX_PATH], *a, *b;

	if ((size_t)snprintf(dir, sizeof dir, "%s", path) >= sizeof dir)
		return;
	a = strrchr(dir, '/');
	b = strrchr(dir, '\\');
	if (b != NULL && (a == NULL || b > a))
		a = b;
	if (a == NULL || a == dir)
		return;
	*a = '\0';
	CreateDirectoryA(dir, NULL);	/* inherits its parent's ACL */
}

static int	win32_probe(const char *);

/* Free a listener whose thread is not running (or never ran). */
static void
win32_listener_free(struct win32_listener *l)
{
	struct win32_ready *r;

	while ((r = l->head) != NULL) {
		l->head = r->next;
		closesocket(r->sock);
		free(r);
	}
	if (l->pending != INVALID_HANDLE_VALUE)
		CloseHandle(l->pending);
	if (l->note[0] != INVALID_SOCKET)
		closesocket(l->note[0]);
	if (l->note[1] != INVALID_SOCKET)
		closesocket(l->note[1]);
	if (l->stop != NULL)
		CloseHandle(l->stop);
	DeleteCriticalSection(&l->lock);
	free(l);
}

/* Create the pipe; a live first instance elsewhere means another server. */
static int
win32_listen(const char *path, intptr_t *h, char **cause)
{
	struct win32_listener *l;
	evutil_socket_t fds[2];
	u_long on = 1;

	*h = 0;
	if (cause != NULL)
		*cause = NULL;
	compat_init();
	if ((l = calloc(1, sizeof *l)) == NULL)
		return W_ERR_NOMEM;
	InitializeCriticalSection(&l->lock);
	l->tail = &l->head;
	l->pending = INVALID_HANDLE_VALUE;
	l->note[0] = l->note[1] = INVALID_SOCKET;
	if (ipc_win32_pipe_name(path, l->name, sizeof l->name) != 0) {
		win32_listener_free(l);
		return W_ERR_INVAL;
	}
	win32_mkdir_parent(path);
	/*
	 * A pipe vanishes with its last handle, so one that is there has a
	 * live server. Asked first, as wine lets a second first instance be
	 * made; Windows refuses it (ERROR_ACCESS_DENIED, below).
	 */
	if (win32_probe(path)) {
		if (cause != NULL)
			*cause = _strdup("another server is listening");
		win32_listener_free(l);
		return W_ERR_STATE;
	}
	l->pending = win32_instance(l->name, 1);
	if (l->pending == INVALID_HANDLE_VALUE) {
		int busy = GetLastError() == ERROR_ACCESS_DENIED;

		win32_cause(cause, l->name);
		win32_listener_free(l);
		return busy ? W_ERR_STATE : W_ERR_IO;
	}
	if (evutil_socketpair(AF_INET, SOCK_STREAM, 0, fds) != 0) {
		win32_cause(cause, "socket pair");
		win32_listener_free(l);
		return W_ERR_IO;
	}
	l->note[0] = (SOCKET)fds[0];
	l->note[1] = (SOCKET)fds[1];
	if (ioctlsocket(l->note[0], FIONBIO, &on) != 0 ||
	    (l->stop = CreateEventA(NULL, TRUE, FALSE, NULL)) == NULL ||
	    (l->thread = CreateThread(NULL, 0, win32_accept_run, l, 0,
	    NULL)) == NULL) {
		win32_cause(cause, "listener thread");
		win32_listener_free(l);
		return W_ERR_IO;
	}
	*h = (intptr_t)l;
	return 0;
}

/* Hand over one client the thread accepted, if any. */
static int
win32_accept(intptr_t lh, intptr_t *h, struct ipc_cred *cred)
{
	struct win32_listener *l = (struct win32_listener *)lh;
	struct win32_ready *r;
	char buf[64];

	*h = 0;
	cred->uid = -1;
	cred->pid = -1;
	/* The notes are only a wake-up: the queue is what counts. */
	while (recv(l->note[0], buf, sizeof buf, 0) > 0)
		;
	EnterCriticalSection(&l->lock);
	if ((r = l->head) != NULL && (l->head = r->next) == NULL)
		l->tail = &l->head;
	LeaveCriticalSection(&l->lock);
	if (r == NULL)
		return W_ERR_TIMEOUT;
	*cred = r->cred;
	*h = (intptr_t)r->sock;
	free(r);
	return 0;
}

/* The socket the event loop watches for a listener: its note socket. */
static intptr_t
win32_watch(intptr_t lh)
{
	return (intptr_t)((struct win32_listener *)lh)->note[0];
}

/* Whether a server's pipe exists for path (busy or not). */
static int
win32_probe(const char *path)
{
	char name[MAX_PATH];

	if (ipc_win32_pipe_name(path, name, sizeof name) != 0)
		return 0;
	return WaitNamedPipeA(name, 1) ||
	    GetLastError() != ERROR_FILE_NOT_FOUND;
}

/* Set up the list of connected channels once. */
static BOOL CALLBACK
win32_conns_init(PINIT_ONCE once, void *arg, void **ctx)
{
	(void)once;
	(void)arg;
	(void)ctx;
	InitializeCriticalSection(&win32_conns_lock);
	return TRUE;
}

/*
 * Open the pipe as a client, waiting briefly while every instance is
 * busy, allowing the server to identify us but not to act as us. Who
 * serves it is found now, kept for server_cred(), and the channel is a
 * socket pumped to the pipe.
 */
static int
win32_connect(const char *path, intptr_t *h)
{
	struct win32_conn *c;
	char name[MAX_PATH];
	HANDLE p;
	SOCKET s;

	*h = 0;
	compat_init();
	InitOnceExecuteOnce(&win32_conns_once, win32_conns_init, NULL, NULL);
	if (ipc_win32_pipe_name(path, name, sizeof name) != 0)
		return W_ERR_INVAL;
	for (;;) {
		p = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
		    OPEN_EXISTING, FILE_FLAG_OVERLAPPED |
		    SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
		if (p != INVALID_HANDLE_VALUE)
			break;
		switch (GetLastError()) {
		case ERROR_FILE_NOT_FOUND:
			return W_ERR_NOTFOUND;
		case ERROR_ACCESS_DENIED:
			return W_ERR_DENIED;
		case ERROR_PIPE_BUSY:
			if (!WaitNamedPipeA(name, 1000))
				return W_ERR_TIMEOUT;
			continue;
		default:
			return W_ERR_IO;
		}
	}
	if ((c = calloc(1, sizeof *c)) == NULL) {
		CloseHandle(p);
		return W_ERR_NOMEM;
	}
	c->cred.uid = win32_server_uid(p, &c->cred.pid);
	if (win32_pump_start(p, &s) != 0) {
		free(c);
		return W_ERR_IO;
	}
	c->sock = s;
	EnterCriticalSection(&win32_conns_lock);
	c->next = win32_conns;
	win32_conns = c;
	LeaveCriticalSection(&win32_conns_lock);
	*h = (intptr_t)s;
	return 0;
}

/*
 * Who serves a channel we connected: the uid win32_server_uid found (0
 * for SYSTEM, ours, or W_UID_OTHER) and the server's process id.
 */
static int
win32_server_cred(intptr_t h, struct ipc_cred *cred)
{
	struct win32_conn *c;
	int r = W_ERR_IO;

	cred->uid = -1;
	cred->pid = -1;
	InitOnceExecuteOnce(&win32_conns_once, win32_conns_init, NULL, NULL);
	EnterCriticalSection(&win32_conns_lock);
	for (c = win32_conns; c != NULL; c = c->next)
		if (c->sock == (SOCKET)h) {
			*cred = c->cred;
			r = 0;
			break;
		}
	LeaveCriticalSection(&win32_conns_lock);
	return r;
}

/* Forget a connected channel (if it is one of ours). */
static void
win32_conn_forget(SOCKET s)
{
	struct win32_conn **pp, *c;

	InitOnceExecuteOnce(&win32_conns_once, win32_conns_init, NULL, NULL);
	EnterCriticalSection(&win32_conns_lock);
	for (pp = &win32_conns; (c = *pp) != NULL; pp = &c->next)
		if (c->sock == s) {
			*pp = c->next;
			free(c);
			break;
		}
	LeaveCriticalSection(&win32_conns_lock);
}

/*
 * Close a channel (a socket: its pump then closes the pipe) or a
 * listener (path given): its thread is stopped first.
 */
static void
win32_close(intptr_t h, const char *path)
{
	struct win32_listener *l;

	if (h == 0)
		return;
	if (path == NULL) {
		win32_conn_forget((SOCKET)h);
		closesocket((SOCKET)h);
		return;
	}
	l = (struct win32_listener *)h;
	SetEvent(l->stop);
	WaitForSingleObject(l->thread, INFINITE);
	CloseHandle(l->thread);
	win32_listener_free(l);
}

/* See ipc_transport.h. */
const char *
ipc_win32_system_dir(void)
{
	static char dir[MAX_PATH];
	const char *base = getenv("ProgramData");
	char *s;

	snprintf(dir, sizeof dir, "%s/cdesk/run",
	    base != NULL && *base != '\0' ? base : "C:/ProgramData");
	for (s = dir; *s != '\0'; s++)
		if (*s == '\\')
			*s = '/';
	return dir;
}

const struct ipc_transport ipc_transport_win32 = {
	.name = "win32",
	.listen = win32_listen,
	.accept = win32_accept,
	.watch = win32_watch,
	.probe = win32_probe,
	.connect = win32_connect,
	.server_cred = win32_server_cred,
	.close = win32_close,
};
