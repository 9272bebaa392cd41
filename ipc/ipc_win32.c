/*
 * ipc_win32.c: the named-pipe transport for Windows. The pipe's DACL lets
 * in SYSTEM and the session's user only (win32_instance); each accepted
 * client is then identified by its terminal session id (struct
 * ipc_cred.uid), which the server compares with the session being shared,
 * as ipc_peer_allowed() does with uids on Unix. Linked into cdesk.exe
 * (make win); its handles are pipes, which libevent (ipc_event.c) cannot
 * wait on yet, so the Windows host has no working IPC server so far.
 */
#ifndef _WIN32
#error "ipc_win32.c is for Windows builds only"
#endif

#include <windows.h>
#include <sddl.h>
#include <wtsapi32.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc_transport.h"

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

/*
 * A listener is the pipe name plus the instance waiting for the next
 * client, with the overlapped connect in flight.
 */
struct win32_listener {
	char		 name[MAX_PATH];
	HANDLE		 pending;	/* instance not yet connected */
	OVERLAPPED	 ov;
	int		 connecting;	/* ConnectNamedPipe in flight */
};

/* Map a path's last component onto a pipe name. */
static int
win32_pipe_name(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	const char *bs = strrchr(path, '\\');

	if (bs != NULL && (base == NULL || bs > base))
		base = bs;
	base = base != NULL ? base + 1 : path;
	if (*base == '\0')
		return W_ERR_INVAL;
	if ((size_t)snprintf(out, len, "%s%s", PIPE_PREFIX, base) >= len)
		return W_ERR_INVAL;
	return 0;
}

/* Set *cause to a copy of msg plus the Windows error code. */
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

/*
 * The string SID of token's user into out (len bytes); 0 or -1.
 */
static int
win32_token_sid(HANDLE token, char *out, size_t len)
{
	union {
		TOKEN_USER	tu;
		char		buf[256];
	} u;
	DWORD n;
	char *str = NULL;
	int r = -1;

	if (GetTokenInformation(token, TokenUser, &u, sizeof u, &n) &&
	    ConvertSidToStringSidA(u.tu.User.Sid, &str)) {
		if ((size_t)snprintf(out, len, "%s", str) < len)
			r = 0;
		LocalFree(str);
	}
	return r;
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
 * server still checks each client's session (struct ipc_cred.uid).
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

/* Start waiting for a client on the pending instance. */
static int
win32_arm(struct win32_listener *l)
{
	HANDLE ev = l->ov.hEvent;

	if (ev == NULL && (ev = CreateEventA(NULL, TRUE, FALSE, NULL)) == NULL)
		return W_ERR_IO;
	memset(&l->ov, 0, sizeof l->ov);
	l->ov.hEvent = ev;
	if (ConnectNamedPipe(l->pending, &l->ov))
		return 0;
	switch (GetLastError()) {
	case ERROR_IO_PENDING:
		l->connecting = 1;
		return 0;
	case ERROR_PIPE_CONNECTED:
		SetEvent(l->ov.hEvent);
		return 0;
	default:
		return W_ERR_IO;
	}
}

/* Create the pipe; a live first instance elsewhere means another server. */
static int
win32_listen(const char *path, intptr_t *h, char **cause)
{
	struct win32_listener *l;

	*h = 0;
	if (cause != NULL)
		*cause = NULL;
	if ((l = calloc(1, sizeof *l)) == NULL)
		return W_ERR_NOMEM;
	if (win32_pipe_name(path, l->name, sizeof l->name) != 0) {
		free(l);
		return W_ERR_INVAL;
	}
	l->pending = win32_instance(l->name, 1);
	if (l->pending == INVALID_HANDLE_VALUE) {
		int busy = GetLastError() == ERROR_ACCESS_DENIED;

		win32_cause(cause, l->name);
		free(l);
		return busy ? W_ERR_STATE : W_ERR_IO;
	}
	if (win32_arm(l) != 0) {
		win32_cause(cause, "ConnectNamedPipe");
		CloseHandle(l->pending);
		free(l);
		return W_ERR_IO;
	}
	*h = (intptr_t)l;
	return 0;
}

/* Hand over a connected instance (if any) and arm a fresh one. */
static int
win32_accept(intptr_t lh, intptr_t *h, struct ipc_cred *cred)
{
	struct win32_listener *l = (struct win32_listener *)lh;
	ULONG sid = 0, pid = 0;
	DWORD unused;
	HANDLE got;

	*h = 0;
	cred->uid = -1;
	cred->pid = -1;
	if (WaitForSingleObject(l->ov.hEvent, 0) != WAIT_OBJECT_0)
		return W_ERR_TIMEOUT;
	if (l->connecting &&
	    !GetOverlappedResult(l->pending, &l->ov, &unused, FALSE)) {
		/* The client left before we looked; reuse the instance. */
		DisconnectNamedPipe(l->pending);
		l->connecting = 0;
		ResetEvent(l->ov.hEvent);
		return win32_arm(l) == 0 ? W_ERR_TIMEOUT : W_ERR_IO;
	}
	got = l->pending;
	l->connecting = 0;
	ResetEvent(l->ov.hEvent);
	if (!GetNamedPipeClientSessionId(got, &sid) ||
	    !GetNamedPipeClientProcessId(got, &pid)) {
		CloseHandle(got);
		got = INVALID_HANDLE_VALUE;
	}
	l->pending = win32_instance(l->name, 0);
	if (l->pending == INVALID_HANDLE_VALUE || win32_arm(l) != 0) {
		if (got != INVALID_HANDLE_VALUE)
			CloseHandle(got);
		return W_ERR_IO;
	}
	if (got == INVALID_HANDLE_VALUE)
		return W_ERR_DENIED;
	cred->uid = (long)sid;
	cred->pid = (long)pid;
	*h = (intptr_t)got;
	return 0;
}

/* Open the pipe as a client, waiting briefly while every instance is busy. */
static int
win32_connect(const char *path, intptr_t *h)
{
	char name[MAX_PATH];
	HANDLE p;

	*h = 0;
	if (win32_pipe_name(path, name, sizeof name) != 0)
		return W_ERR_INVAL;
	for (;;) {
		p = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
		    OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
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
	*h = (intptr_t)p;
	return 0;
}

/*
 * Who serves a pipe we opened: its terminal session id and process id
 * (the service runs in session 0, as uid 0 is root on Unix).
 */
static int
win32_server_cred(intptr_t h, struct ipc_cred *cred)
{
	ULONG sid = 0, pid = 0;

	cred->uid = -1;
	cred->pid = -1;
	if (!GetNamedPipeServerSessionId((HANDLE)h, &sid) ||
	    !GetNamedPipeServerProcessId((HANDLE)h, &pid))
		return W_ERR_IO;
	cred->uid = (long)sid;
	cred->pid = (long)pid;
	return 0;
}

/* Close a channel (a HANDLE) or a listener (path given). */
static void
win32_close(intptr_t h, const char *path)
{
	struct win32_listener *l;

	if (h == 0)
		return;
	if (path == NULL) {
		CloseHandle((HANDLE)h);
		return;
	}
	l = (struct win32_listener *)h;
	if (l->connecting)
		CancelIo(l->pending);
	CloseHandle(l->pending);
	if (l->ov.hEvent != NULL)
		CloseHandle(l->ov.hEvent);
	free(l);
}

const struct ipc_transport ipc_transport_win32 = {
	.name = "win32",
	.listen = win32_listen,
	.accept = win32_accept,
	.connect = win32_connect,
	.server_cred = win32_server_cred,
	.close = win32_close,
};
