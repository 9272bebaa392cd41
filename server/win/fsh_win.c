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
 * FSH_WIN_WAIT_MS; then the listener is closed. The event loop never
 * waits for that call (1.9 s under wine on a loaded machine, mostly wine
 * starting a process): the listener and every caller are events of the
 * loop (struct fsh_link), and fsh.c queues requests meanwhile. Each
 * caller has FSH_WIN_SAY_MS to say the key, on its own: a wrong key or
 * silence drops that caller only, and the listener waits on for the
 * right one; a helper that exited ends the wait at the next tick.
 * Callers beyond FSH_WIN_CALLERS push out the oldest, so a local program
 * that calls and says nothing cannot keep the helper out.
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

#include <event2/event.h>
#include <event2/util.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "server/fsh_os.h"
#include "server/session.h"

#define FSH_WIN_KEY	16		/* random bytes of the key */
#define FSH_WIN_WAIT_MS	15000		/* for the helper to call */
#define FSH_WIN_SAY_MS	3000		/* for a caller to say the key */
#define FSH_WIN_TICK_MS	100		/* the wait's deadline, the pid */
#define FSH_WIN_CALLERS	4		/* heard at once */

struct fsh_link;

/* A connection to the listener that has not said the key yet. */
struct fsh_win_caller {
	struct fsh_link	*l;		/* borrowed: whose */
	int		 fd;		/* -1: a free slot */
	struct event	*ev;		/* owned: fd readable, or its time */
	uint64_t	 since;		/* mono ms, accepted */
	size_t		 have;		/* bytes of got */
	char		 got[FSH_WIN_KEY * 2];
};

/* The wait for one helper's call (fsh_os.h). */
struct fsh_link {
	struct event_base	*base;		/* borrowed */
	fsh_link_cb		 cb;
	void			*arg;		/* borrowed */
	int			 lfd;		/* the listener */
	struct event		*lev;		/* owned: lfd readable */
	struct event		*tick;		/* owned: every TICK_MS */
	int			 paused;	/* lev off until the tick */
	pid_t			 pid;
	uint64_t		 t0;		/* mono ms, started */
	char			 key[FSH_WIN_KEY * 2 + 1];
	struct fsh_win_caller	 callers[FSH_WIN_CALLERS];
};

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

/* Hang up on caller k (why: logged when not NULL); its slot is free. */
static void
fsh_win_drop(struct fsh_win_caller *k, const char *why)
{
	if (k->fd < 0)
		return;
	if (why != NULL)
		log_warn("helper: a caller %s: refused", why);
	event_free(k->ev);
	k->ev = NULL;
	close(k->fd);
	k->fd = -1;
	k->have = 0;
	sodium_memzero(k->got, sizeof k->got);
}

/* The wait is over: fd (taken) is the helper's channel, or -1. Nothing
 * of l is touched after cb, which may free it. */
static void
fsh_win_done(struct fsh_link *l, int fd)
{
	if (fd >= 0) {
		log_info("helper: pid %ld called after %llu ms", (long)l->pid,
		    (unsigned long long)(mono_ms() - l->t0));
		fsh_sockbuf(fd);
	}
	l->cb(fd, l->arg);
}

/* Caller k said something, or its time ran out: the whole key ends the
 * wait, anything else (or nothing) drops k alone. */
static void
fsh_win_caller_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fsh_win_caller *k = arg;
	struct fsh_link *l = k->l;
	size_t n = strlen(l->key);
	struct timeval tv;
	uint64_t left;
	int got;

	if (what & EV_TIMEOUT) {
		fsh_win_drop(k, "said nothing");
		return;
	}
	got = recv(fd, k->got + k->have, n - k->have, 0);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		got = 0;
	else if (got <= 0) {
		fsh_win_drop(k, "hung up");
		return;
	}
	k->have += (size_t)got;
	if (k->have < n) {
		/* The rest within the caller's own time. */
		left = k->since + FSH_WIN_SAY_MS - mono_ms();
		if (left > FSH_WIN_SAY_MS)
			left = 0;
		tv = mono_tv_ms(left);
		event_add(k->ev, &tv);
		return;
	}
	if (sodium_memcmp(k->got, l->key, n) != 0) {
		fsh_win_drop(k, "without the key");
		return;
	}
	/* Ours now: out of the slot without closing it. */
	event_free(k->ev);
	k->ev = NULL;
	k->fd = -1;
	fsh_win_done(l, (int)fd);
}

/* A free slot for a new caller: the oldest is hung up on when none is. */
static struct fsh_win_caller *
fsh_win_slot(struct fsh_link *l)
{
	struct fsh_win_caller *k, *old = NULL;

	for (k = l->callers; k < l->callers + FSH_WIN_CALLERS; k++) {
		if (k->fd < 0)
			return k;
		if (old == NULL || k->since < old->since)
			old = k;
	}
	fsh_win_drop(old, "was pushed out by a newer one");
	return old;
}

/* Someone called the listener: hear what it says (fsh_win_caller_cb). */
static void
fsh_win_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct fsh_link *l = arg;
	struct timeval tv = { FSH_WIN_SAY_MS / 1000,
	    (FSH_WIN_SAY_MS % 1000) * 1000 };
	struct fsh_win_caller *k;
	int fd;

	(void)what;
	if ((fd = accept(lfd, NULL, NULL)) < 0) {
		/* Out of descriptors: not again until the tick, rather than
		 * spin on a listener that stays readable. */
		if (errno == EMFILE || errno == ENFILE) {
			event_del(l->lev);
			l->paused = 1;
		}
		return;
	}
	evutil_make_socket_nonblocking(fd);
	k = fsh_win_slot(l);
	k->ev = event_new(l->base, fd, EV_READ, fsh_win_caller_cb, k);
	if (k->ev == NULL || event_add(k->ev, &tv) != 0) {
		if (k->ev != NULL)
			event_free(k->ev);
		k->ev = NULL;
		close(fd);
		return;
	}
	k->fd = fd;
	k->since = mono_ms();
	k->have = 0;
}

/* Every FSH_WIN_TICK_MS: the wait ends when its time is up or the
 * helper exited (it will not call then); a paused listener listens
 * again. */
static void
fsh_win_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fsh_link *l = arg;

	(void)fd;
	(void)what;
	if (l->paused && event_add(l->lev, NULL) == 0)
		l->paused = 0;
	if (mono_ms() - l->t0 >= FSH_WIN_WAIT_MS)
		log_warn("helper: pid %ld did not call within %d ms",
		    (long)l->pid, FSH_WIN_WAIT_MS);
	else if (kill(l->pid, 0) != 0)
		log_warn("helper: pid %ld exited before it called",
		    (long)l->pid);
	else
		return;
	fsh_win_done(l, -1);
}

/* Stop waiting: the listener, every caller, the key. */
void
fsh_os_link_free(struct fsh_link *l)
{
	int i;

	if (l == NULL)
		return;
	for (i = 0; i < FSH_WIN_CALLERS; i++)
		fsh_win_drop(&l->callers[i], NULL);
	if (l->lev != NULL)
		event_free(l->lev);
	if (l->tick != NULL)
		event_free(l->tick);
	if (l->lfd >= 0)
		close(l->lfd);
	sodium_memzero(l->key, sizeof l->key);
	free(l);
}

/* A wait for pid's call on listener lfd (taken) with key; NULL when the
 * loop cannot watch it. */
static struct fsh_link *
fsh_win_link_new(struct event_base *base, int lfd, const char *key,
    pid_t pid, fsh_link_cb cb, void *arg)
{
	struct timeval tick = { 0, FSH_WIN_TICK_MS * 1000 };
	struct fsh_link *l = xcalloc(1, sizeof *l);
	int i;

	l->base = base;
	l->cb = cb;
	l->arg = arg;
	l->lfd = lfd;
	l->pid = pid;
	l->t0 = mono_ms();
	snprintf(l->key, sizeof l->key, "%s", key);
	for (i = 0; i < FSH_WIN_CALLERS; i++) {
		l->callers[i].l = l;
		l->callers[i].fd = -1;
	}
	evutil_make_socket_nonblocking(lfd);
	l->lev = event_new(base, lfd, EV_READ | EV_PERSIST, fsh_win_accept_cb,
	    l);
	l->tick = event_new(base, -1, EV_PERSIST, fsh_win_tick_cb, l);
	if (l->lev == NULL || l->tick == NULL || event_add(l->lev, NULL) != 0 ||
	    event_add(l->tick, &tick) != 0) {
		fsh_os_link_free(l);
		return NULL;
	}
	return l;
}

/* Start the helper and wait for its call on the loop (see the top of
 * this file). */
int
fsh_os_spawn(const struct session *s, char *const argv[],
    struct event_base *base, fsh_link_cb cb, void *arg, int *fd,
    struct fsh_link **link, pid_t *pid)
{
	unsigned char raw[FSH_WIN_KEY];
	char key[FSH_WIN_KEY * 2 + 1], eport[48], ekey[64];
	char *env[3] = { eport, ekey, NULL };
	unsigned port;
	int lfd, r;

	*fd = -1;
	*link = NULL;
	if ((lfd = fsh_win_listen(&port)) < 0) {
		log_warn("helper: no loopback listener (%d)",
		    WSAGetLastError());
		return ERR_IO;
	}
	log_debug("helper: its call awaited on port %u", port);
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(key, sizeof key, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	snprintf(eport, sizeof eport, "CDESK_HELPER_PORT=%u", port);
	snprintf(ekey, sizeof ekey, "CDESK_HELPER_KEY=%s", key);
	r = session_spawn(s, "helper", argv, env, pid);
	sodium_memzero(ekey, sizeof ekey);
	if (r == 0 && (*link = fsh_win_link_new(base, lfd, key, *pid, cb,
	    arg)) == NULL) {
		log_warn("helper: cannot wait for its call");
		kill(*pid, SIGKILL);
		r = ERR_IO;
	} else if (r != 0)
		close(lfd);
	sodium_memzero(key, sizeof key);
	return r;
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
