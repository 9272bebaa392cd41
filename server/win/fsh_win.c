/*
 * fsh_win.c: what server/fsh.c needs of Windows to link the file helper
 * (fsh_os.h). The helper runs in the desktop user's session as that user
 * (session_spawn: CreateProcessAsUser with the session's token as the
 * service, CreateProcess when we run as a user ourselves, as under wine),
 * so every path a peer names is touched with the user's rights only.
 *
 * The channel is a loopback TCP connection, because libevent watches
 * sockets only on Windows and fsh.c's frames then run unchanged: we listen
 * on 127.0.0.1 on a port of the system's choosing (SO_EXCLUSIVEADDRUSE:
 * no one can take it over), give the port and a random key to the helper
 * in its environment (which only the user and administrators can read),
 * and take the first connection that says the key within
 * FSH_WIN_WAIT_MS; then the listener is closed. The event loop waits for
 * that call, once per helper started (logged; 1.9 s under wine on a
 * loaded machine, mostly wine starting a process): to be made a state of
 * fsh.c's, as the Linux link, which does not wait.
 * A caller without the key is dropped; one that says nothing holds the
 * wait up to FSH_WIN_WAIT_MS, which only a local program can do.
 *
 * A file goes as a handle of the helper's (FsStream.handle): we move it
 * into our process (DuplicateHandle with DUPLICATE_CLOSE_SOURCE, which
 * PROCESS_DUP_HANDLE on the helper allows us, LocalSystem or the same
 * user) and wrap it in a C runtime descriptor for fio. A helper can name
 * only handles it has, so it can give us nothing its user could not open.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "server/fsh_os.h"
#include "server/session.h"

#define FSH_WIN_KEY	16		/* random bytes of the key */
#define FSH_WIN_WAIT_MS	15000		/* for the helper to call */

/* A listener on 127.0.0.1; its port in *port. -1 when none. */
static int
fsh_win_listen(unsigned *port)
{
	struct sockaddr_in sa;
	int fd, len = sizeof sa;
	BOOL on = TRUE;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, &on, sizeof on);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Read exactly n bytes from fd before deadline (mono ms). 0 or -1. */
static int
fsh_win_read_key(int fd, char *buf, size_t n, uint64_t deadline)
{
	struct pollfd p;
	size_t have = 0;
	uint64_t now;
	int got;

	while (have < n) {
		if ((now = mono_ms()) >= deadline)
			return -1;
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			return -1;
		if ((got = recv(fd, buf + have, n - have, 0)) <= 0)
			return -1;
		have += (size_t)got;
	}
	return 0;
}

/* The first connection to lfd that says key, before the deadline. */
static int
fsh_win_accept(int lfd, const char *key, pid_t pid)
{
	uint64_t deadline = mono_ms() + FSH_WIN_WAIT_MS, now;
	char got[FSH_WIN_KEY * 2 + 1];
	struct pollfd p;
	int fd;

	while ((now = mono_ms()) < deadline) {
		p.fd = lfd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			break;
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			continue;
		if (fsh_win_read_key(fd, got, strlen(key), deadline) == 0 &&
		    sodium_memcmp(got, key, strlen(key)) == 0)
			return fd;
		log_warn("helper: a caller without the key was refused");
		close(fd);
		/* A helper that died will not call. */
		if (kill(pid, 0) != 0)
			break;
	}
	return -1;
}

/* Start the helper and take its call (see the top of this file). */
int
fsh_os_spawn(const struct session *s, char *const argv[], int *fd,
    pid_t *pid)
{
	unsigned char raw[FSH_WIN_KEY];
	char key[FSH_WIN_KEY * 2 + 1], eport[48], ekey[64];
	char *env[3] = { eport, ekey, NULL };
	uint64_t t0 = mono_ms();
	unsigned port;
	int lfd, r;

	*fd = -1;
	if ((lfd = fsh_win_listen(&port)) < 0) {
		log_warn("helper: no loopback listener (%d)",
		    WSAGetLastError());
		return ERR_IO;
	}
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(key, sizeof key, raw, sizeof raw);
	snprintf(eport, sizeof eport, "CDESK_HELPER_PORT=%u", port);
	snprintf(ekey, sizeof ekey, "CDESK_HELPER_KEY=%s", key);
	r = session_spawn(s, "helper", argv, env, pid);
	sodium_memzero(ekey, sizeof ekey);
	if (r != 0) {
		close(lfd);
		sodium_memzero(key, sizeof key);
		return r;
	}
	*fd = fsh_win_accept(lfd, key, *pid);
	close(lfd);
	sodium_memzero(key, sizeof key);
	if (*fd < 0) {
		log_warn("helper: pid %ld did not call", (long)*pid);
		kill(*pid, SIGKILL);
		return ERR_IO;
	}
	/* The loop waited this long (the Linux link does not wait). */
	log_info("helper: pid %ld called after %llu ms", (long)*pid,
	    (unsigned long long)(mono_ms() - t0));
	fsh_sockbuf(*fd);
	return 0;
}

/* Move the helper's handle into our process (see the top). */
int
fsh_os_take(pid_t pid, const Ipc__FsStream *st)
{
	HANDLE proc, h = NULL;
	int fd, ok;

	/* Handles are 32-bit values, even in 64-bit processes. */
	if (st->handle == 0 || st->handle > UINT32_MAX)
		return -1;
	if ((proc = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)pid)) ==
	    NULL)
		return -1;
	ok = DuplicateHandle(proc, (HANDLE)(uintptr_t)st->handle,
	    GetCurrentProcess(), &h, 0, FALSE, DUPLICATE_SAME_ACCESS |
	    DUPLICATE_CLOSE_SOURCE);
	CloseHandle(proc);
	if (!ok)
		return -1;
	if (GetFileType(h) != FILE_TYPE_DISK ||
	    (fd = _open_osfhandle((intptr_t)h, (st->write ? _O_WRONLY :
	    _O_RDONLY) | _O_BINARY)) < 0) {
		CloseHandle(h);
		return -1;
	}
	return fd;
}
