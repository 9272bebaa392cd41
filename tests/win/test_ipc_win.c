/*
 * test_ipc_win.c: the named-pipe transport (ipc/ipc_win32.c), run under
 * wine by tests/integration/win.sh (built by make win). A listener on a
 * fresh path is found by probe, refuses a second server, and its pipe's
 * DACL admits SYSTEM and our own user only; a client is accepted with our
 * uid and pid on both sides; bytes cross the pumps both ways in chunks
 * larger than the pipe's buffer; what the server wrote before it closed
 * still reaches the client, then the end; a client that leaves is an end
 * for the server; a closed listener is gone.
 */
#include <windows.h>
#include <aclapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc_transport.h"
#include "tests/tst.h"

#undef send
#undef recv
#undef select

#define BIG	(300 * 1024)

/* A fresh socket path under the temporary folder. */
static void
tmp_path(char *out, size_t len)
{
	char tmp[MAX_PATH];

	ASSERT_TRUE(GetTempPathA(sizeof tmp, tmp) > 0);
	snprintf(out, len, "%scdesk-test-%lu-%lu/cdesk.sock", tmp,
	    (unsigned long)GetCurrentProcessId(),
	    (unsigned long)GetTickCount());
}

/* Wait until socket s is readable; 1, or 0 after 10 s. */
static int
readable(SOCKET s)
{
	struct timeval tv = { 10, 0 };
	fd_set r;

	FD_ZERO(&r);
	FD_SET(s, &r);
	return select(0, &r, NULL, NULL, &tv) == 1;
}

/* Receive exactly n bytes (blocking socket); the count got. */
static size_t
recv_all(SOCKET s, unsigned char *buf, size_t n)
{
	size_t have = 0;
	int got;

	while (have < n && readable(s) &&
	    (got = recv(s, (char *)buf + have, (int)(n - have), 0)) > 0)
		have += (size_t)got;
	return have;
}

/* 1 when the next read of s is the end (0 bytes, or a reset). */
static int
at_end(SOCKET s)
{
	char c;

	return readable(s) && recv(s, &c, 1, 0) <= 0;
}

/* The bytes a side sends: a pattern that shows any lost or moved byte. */
static void
fill(unsigned char *buf, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)((i * 131 + seed) ^ (i >> 9));
}

struct writer {
	SOCKET		 s;
	const unsigned char *p;
	size_t		 n;
	int		 ok;
};

/* A thread that sends all of its buffer (blocking). */
static DWORD WINAPI
writer_run(void *arg)
{
	struct writer *w = arg;
	size_t off = 0;
	int got;

	while (off < w->n && (got = send(w->s, (const char *)w->p + off,
	    (int)(w->n - off), 0)) > 0)
		off += (size_t)got;
	w->ok = off == w->n;
	return 0;
}

/* Send buf on s from a thread while the other side reads it into got. */
static void
cross(SOCKET from, SOCKET to, const unsigned char *buf, unsigned char *got,
    size_t n)
{
	struct writer w = { from, buf, n, 0 };
	HANDLE t = CreateThread(NULL, 0, writer_run, &w, 0, NULL);

	ASSERT_TRUE(t != NULL);
	ASSERT_INT_EQ(recv_all(to, got, n), n);
	ASSERT_INT_EQ(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
	CloseHandle(t);
	ASSERT_TRUE(w.ok);
	ASSERT_MEM_EQ(buf, got, n);
}

/*
 * The pipe's DACL: SYSTEM and our own user, nobody else. Returns the
 * pipe handle it opened to look (caller closes).
 */
static HANDLE
check_dacl(const char *path)
{
	union {
		TOKEN_USER	tu;
		char		buf[256];
	} u;
	char name[MAX_PATH];
	PSECURITY_DESCRIPTOR sd = NULL;
	ACCESS_ALLOWED_ACE *ace;
	HANDLE p, tok;
	DWORD len, i;
	PACL dacl = NULL;
	int sys = 0, self = 0;

	ASSERT_INT_EQ(ipc_win32_pipe_name(path, name, sizeof name), 0);
	ASSERT_TRUE(strncmp(name, "\\\\.\\pipe\\cdesk\\", 15) == 0);
	ASSERT_TRUE(WaitNamedPipeA(name, 5000));
	p = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
	    OPEN_EXISTING, SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
	    NULL);
	ASSERT_TRUE(p != INVALID_HANDLE_VALUE);
	ASSERT_INT_EQ(GetSecurityInfo(p, SE_KERNEL_OBJECT,
	    DACL_SECURITY_INFORMATION, NULL, NULL, &dacl, NULL, &sd),
	    ERROR_SUCCESS);
	ASSERT_TRUE(dacl != NULL);
	ASSERT_TRUE(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok));
	ASSERT_TRUE(GetTokenInformation(tok, TokenUser, &u, sizeof u, &len));
	CloseHandle(tok);
	ASSERT_INT_EQ(dacl->AceCount, 2);
	for (i = 0; i < dacl->AceCount; i++) {
		ASSERT_TRUE(GetAce(dacl, i, (void **)&ace));
		ASSERT_INT_EQ(ace->Header.AceType, ACCESS_ALLOWED_ACE_TYPE);
		if (IsWellKnownSid(&ace->SidStart, WinLocalSystemSid))
			sys = 1;
		else if (EqualSid(&ace->SidStart, u.tu.User.Sid))
			self = 1;
	}
	ASSERT_TRUE(sys && self);
	printf("pipe %s: DACL SYSTEM + our user, %u entries\n",
	    name + 9, (unsigned)dacl->AceCount);
	LocalFree(sd);
	return p;
}

/* A raw client of the pipe (no pump of its own), waiting for an instance. */
static HANDLE
raw_client(const char *path)
{
	char name[MAX_PATH];
	HANDLE p;
	int i;

	ASSERT_INT_EQ(ipc_win32_pipe_name(path, name, sizeof name), 0);
	for (i = 0; i < 100; i++) {
		p = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
		    OPEN_EXISTING, 0, NULL);
		if (p != INVALID_HANDLE_VALUE)
			return p;
		ASSERT_INT_EQ(GetLastError(), ERROR_PIPE_BUSY);
		WaitNamedPipeA(name, 100);
	}
	ASSERT_TRUE(0);
	return INVALID_HANDLE_VALUE;
}

/* Wait (5 s at most) for the pumps of closed clients to end. */
static void
pumps_settle(void)
{
	int i;

	for (i = 0; i < 500 && ipc_win32_pumps() != 0; i++)
		Sleep(10);
	ASSERT_INT_EQ(ipc_win32_pumps(), 0);
}

/*
 * More clients at once than IPC_WIN32_PUMPS_MAX: the ones over the cap
 * find their pipe closed (a read ends), the others are served, and once
 * they leave a new client is served again.
 */
static void
check_pump_cap(intptr_t lh, const char *path)
{
	static HANDLE raw[IPC_WIN32_PUMPS_MAX + 4];
	struct ipc_cred cred;
	intptr_t s;
	char byte;
	DWORD n;
	int i, got = 0;

	pumps_settle();
	for (i = 0; i < IPC_WIN32_PUMPS_MAX + 4; i++)
		raw[i] = raw_client(path);
	for (i = IPC_WIN32_PUMPS_MAX; i < IPC_WIN32_PUMPS_MAX + 4; i++)
		ASSERT_TRUE(!ReadFile(raw[i], &byte, 1, &n, NULL));
	while (got < IPC_WIN32_PUMPS_MAX) {
		ASSERT_TRUE(readable((SOCKET)ipc_transport_win32.watch(lh)));
		while (ipc_transport_win32.accept(lh, &s, &cred) == 0) {
			closesocket((SOCKET)s);
			got++;
		}
	}
	ASSERT_INT_EQ(got, IPC_WIN32_PUMPS_MAX);
	for (i = 0; i < IPC_WIN32_PUMPS_MAX + 4; i++)
		CloseHandle(raw[i]);
	printf("%d clients at once: %d served, 4 dropped\n",
	    IPC_WIN32_PUMPS_MAX + 4, got);
}

/* Connect a client and accept it; returns both ends. */
static void
pair(intptr_t lh, const char *path, SOCKET *client, SOCKET *server)
{
	struct ipc_cred cred;
	intptr_t c, s;

	ASSERT_INT_EQ(ipc_transport_win32.connect(path, &c), 0);
	ASSERT_INT_EQ(ipc_transport_win32.server_cred(c, &cred), 0);
	ASSERT_INT_EQ(cred.uid, geteuid());
	ASSERT_INT_EQ(cred.pid, GetCurrentProcessId());
	ASSERT_TRUE(readable((SOCKET)ipc_transport_win32.watch(lh)));
	ASSERT_INT_EQ(ipc_transport_win32.accept(lh, &s, &cred), 0);
	ASSERT_INT_EQ(cred.uid, geteuid());
	ASSERT_INT_EQ(cred.pid, GetCurrentProcessId());
	*client = (SOCKET)c;
	*server = (SOCKET)s;
}

int
main(void)
{
	static unsigned char a[BIG], b[BIG];
	struct ipc_cred cred;
	char path[MAX_PATH], *cause = NULL;
	intptr_t lh, lh2, h;
	HANDLE p;
	SOCKET c, s;

	tmp_path(path, sizeof path);
	ASSERT_INT_EQ(ipc_transport_win32.probe(path), 0);
	ASSERT_INT_EQ(ipc_transport_win32.connect(path, &h), -11);
	ASSERT_INT_EQ(ipc_transport_win32.listen(path, &lh, &cause), 0);
	ASSERT_INT_EQ(ipc_transport_win32.probe(path), 1);
	ASSERT_INT_EQ(ipc_transport_win32.listen(path, &lh2, &cause), -12);
	free(cause);
	p = check_dacl(path);
	/* The raw client that looked is accepted; its leaving is the end. */
	ASSERT_TRUE(readable((SOCKET)ipc_transport_win32.watch(lh)));
	ASSERT_INT_EQ(ipc_transport_win32.accept(lh, &h, &cred), 0);
	ASSERT_INT_EQ(cred.uid, geteuid());
	CloseHandle(p);
	ASSERT_TRUE(at_end((SOCKET)h));
	closesocket((SOCKET)h);
	ASSERT_INT_EQ(ipc_transport_win32.accept(lh, &h, &cred), -13);

	pair(lh, path, &c, &s);
	fill(a, BIG, 1);
	cross(c, s, a, b, BIG);
	fill(a, BIG, 2);
	cross(s, c, a, b, BIG);
	printf("%d bytes each way through the pumps\n", BIG);
	/* The server writes and closes at once: all of it still arrives. */
	fill(a, 50000, 3);
	ASSERT_INT_EQ(send(s, (const char *)a, 50000, 0), 50000);
	closesocket(s);
	ASSERT_INT_EQ(recv_all(c, b, 50000), 50000);
	ASSERT_MEM_EQ(a, b, 50000);
	ASSERT_TRUE(at_end(c));
	ipc_transport_win32.close((intptr_t)c, NULL);

	/* A client that leaves is an end for the server. */
	pair(lh, path, &c, &s);
	ipc_transport_win32.close((intptr_t)c, NULL);
	ASSERT_TRUE(at_end(s));
	closesocket(s);

	check_pump_cap(lh, path);
	pumps_settle();
	pair(lh, path, &c, &s);
	ipc_transport_win32.close((intptr_t)c, NULL);
	ASSERT_TRUE(at_end(s));
	closesocket(s);

	ipc_transport_win32.close(lh, path);
	ASSERT_INT_EQ(ipc_transport_win32.probe(path), 0);
	printf("ok\n");
	return 0;
}
