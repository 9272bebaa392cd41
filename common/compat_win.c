/*
 * compat_win.c: the POSIX functions compat_win.h declares, on Win32 and
 * Winsock (make win only; the Linux build leaves this file out).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>

#include <sddl.h>

#include "common/compat_win.h"

/* SYSTEM, Administrators and the owner, inherited by what is inside. */
#define COMPAT_SDDL	"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;OW)"
#define COMPAT_POLL_MAX	64

/* The real functions, under the names the macros above took. */
#undef close
#undef read
#undef write
#undef pipe
#undef open
#undef rename
#undef mkdir
#undef poll
#undef socket
#undef connect
#undef bind
#undef listen
#undef accept
#undef send
#undef recv
#undef sendto
#undef recvfrom
#undef setsockopt
#undef getsockopt
#undef getsockname
#undef getpeername
#undef shutdown
#undef stat
#undef fstat

static INIT_ONCE compat_once = INIT_ONCE_STATIC_INIT;

/* Starts Winsock 2.2 (once per process). */
static BOOL CALLBACK
compat_init_cb(PINIT_ONCE once, PVOID arg, PVOID *ctx)
{
	WSADATA wd;

	(void)once;
	(void)arg;
	(void)ctx;
	WSAStartup(MAKEWORD(2, 2), &wd);
	return TRUE;
}

/* Starts Winsock; see compat_win.h. */
void
compat_init(void)
{
	InitOnceExecuteOnce(&compat_once, compat_init_cb, NULL, NULL);
}

/* Winsock is started before main: libevent makes sockets of its own
 * (event_base_new) without asking us. */
__attribute__((constructor)) static void
compat_start(void)
{
	compat_init();
}

/* Sets errno from the last Winsock error (connecting: EINPROGRESS for a
 * connect that would block, as POSIX says). Returns -1. */
static int
compat_wsa_errno(int connecting)
{
	switch (WSAGetLastError()) {
	case WSAEWOULDBLOCK:
		errno = connecting ? EINPROGRESS : EAGAIN;
		break;
	case WSAEINPROGRESS:
		errno = EINPROGRESS;
		break;
	case WSAEALREADY:
		errno = EALREADY;
		break;
	case WSAEINTR:
		errno = EINTR;
		break;
	case WSAECONNREFUSED:
		errno = ECONNREFUSED;
		break;
	case WSAECONNRESET:
		errno = ECONNRESET;
		break;
	case WSAECONNABORTED:
		errno = ECONNABORTED;
		break;
	case WSAEADDRINUSE:
		errno = EADDRINUSE;
		break;
	case WSAEADDRNOTAVAIL:
		errno = EADDRNOTAVAIL;
		break;
	case WSAETIMEDOUT:
		errno = ETIMEDOUT;
		break;
	case WSAENETUNREACH:
	case WSAENETDOWN:
		errno = ENETUNREACH;
		break;
	case WSAEHOSTUNREACH:
		errno = EHOSTUNREACH;
		break;
	case WSAENOTCONN:
		errno = ENOTCONN;
		break;
	case WSAEISCONN:
		errno = EISCONN;
		break;
	case WSAEMFILE:
		errno = EMFILE;
		break;
	case WSAEMSGSIZE:
		errno = EMSGSIZE;
		break;
	case WSAEACCES:
		errno = EACCES;
		break;
	case WSAEAFNOSUPPORT:
		errno = EAFNOSUPPORT;
		break;
	case WSAENOTSOCK:
		errno = EBADF;
		break;
	default:
		errno = EIO;
		break;
	}
	return -1;
}

/* Whether fd is a Winsock socket rather than a C runtime descriptor. */
static int
compat_is_socket(int fd)
{
	int type, len = sizeof type;

	if (fd < 0)
		return 0;
	compat_init();
	return getsockopt((SOCKET)fd, SOL_SOCKET, SO_TYPE, (char *)&type,
	    &len) == 0;
}

/* ---- identity ---- */

/* 0 (root's number) for LocalSystem, 1000 for anyone else. */
uid_t
compat_geteuid(void)
{
	static int known = -1;
	HANDLE tok;
	union {
		TOKEN_USER	tu;
		char		buf[256];
	} u;
	DWORD len;

	if (known != -1)
		return known;
	known = 1000;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return known;
	if (GetTokenInformation(tok, TokenUser, &u, sizeof u, &len) &&
	    IsWellKnownSid(u.tu.User.Sid, WinLocalSystemSid))
		known = 0;
	CloseHandle(tok);
	return known;
}

/* The process's account: user name and profile folder (USERPROFILE),
 * with '\' turned into '/'. */
struct passwd *
getpwuid(uid_t uid)
{
	static char name[256], dir[MAX_PATH];
	static struct passwd pw;
	DWORD n = sizeof name;
	const char *p;
	char *s;

	if (!GetUserNameA(name, &n))
		snprintf(name, sizeof name, "user");
	if ((p = getenv("USERPROFILE")) == NULL)
		return NULL;
	snprintf(dir, sizeof dir, "%s", p);
	for (s = dir; *s != '\0'; s++)
		if (*s == '\\')
			*s = '/';
	pw.pw_name = name;
	pw.pw_dir = dir;
	pw.pw_shell = (char *)"cmd.exe";
	pw.pw_uid = uid;
	pw.pw_gid = 0;
	return &pw;
}

/* The process's account when name is its user name, else NULL. */
struct passwd *
getpwnam(const char *name)
{
	struct passwd *pw = getpwuid(compat_geteuid());

	if (pw == NULL || strcasecmp(pw->pw_name, name) != 0)
		return NULL;
	return pw;
}

/* ---- files ---- */

/*
 * A folder for mode: 0700 (the state folder) gets a DACL of its own that
 * admits only SYSTEM, Administrators and the owner, as a 0700 folder on
 * Linux admits only its owner and root; other modes inherit.
 */
int
compat_mkdir(const char *path, mode_t mode)
{
	SECURITY_ATTRIBUTES sa;
	PSECURITY_DESCRIPTOR sd = NULL;
	int ok;

	memset(&sa, 0, sizeof sa);
	sa.nLength = sizeof sa;
	if ((mode & 077) == 0 &&
	    ConvertStringSecurityDescriptorToSecurityDescriptorA(COMPAT_SDDL,
	    SDDL_REVISION_1, &sd, NULL))
		sa.lpSecurityDescriptor = sd;
	ok = CreateDirectoryA(path, &sa);
	if (sd != NULL)
		LocalFree(sd);
	if (ok)
		return 0;
	/* "C:" and the like exist without CreateDirectory saying so. */
	errno = GetLastError() == ERROR_ALREADY_EXISTS ||
	    (GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES &&
	    (GetFileAttributesA(path) & FILE_ATTRIBUTE_DIRECTORY)) ? EEXIST :
	    ENOENT;
	return -1;
}

/* Files take their folder's ACL (compat_mkdir): nothing to change. */
int
fchmod(int fd, mode_t mode)
{
	(void)mode;
	if (_get_osfhandle(fd) == -1) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

/* Makes and opens a new file from template (its XXXXXX replaced). */
int
mkostemp(char *template, int flags)
{
	size_t n = strlen(template);
	int fd, tries;

	if (n < 6 || strcmp(template + n - 6, "XXXXXX") != 0) {
		errno = EINVAL;
		return -1;
	}
	for (tries = 0; tries < 100; tries++) {
		snprintf(template + n - 6, 7, "%06x",
		    (unsigned)(rand() ^ (int)GetTickCount()) & 0xffffff);
		fd = _open(template, _O_RDWR | _O_CREAT | _O_EXCL | _O_BINARY |
		    flags, _S_IREAD | _S_IWRITE);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* A hard link; EEXIST when to exists. */
int
link(const char *from, const char *to)
{
	if (CreateHardLinkA(to, from, NULL))
		return 0;
	errno = GetLastError() == ERROR_ALREADY_EXISTS ? EEXIST : EIO;
	return -1;
}

/* Renames, replacing an existing target. */
int
compat_rename(const char *from, const char *to)
{
	if (MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING |
	    MOVEFILE_WRITE_THROUGH))
		return 0;
	errno = GetLastError() == ERROR_ACCESS_DENIED ? EACCES : ENOENT;
	return -1;
}

/* open() in binary mode; a folder (O_DIRECTORY) cannot be opened. */
int
compat_open(const char *path, int flags, ...)
{
	va_list ap;
	int mode = 0;

	if (flags & O_DIRECTORY) {
		errno = EISDIR;
		return -1;
	}
	flags &= ~O_NONBLOCK;
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	return _open(path, flags | _O_BINARY, mode ? _S_IREAD | _S_IWRITE :
	    0);
}

/* A copy of at most n bytes of s. */
char *
strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* See compat_win.h. */
int
malloc_trim(size_t pad)
{
	(void)pad;
	return _heapmin() == 0;
}

/* See compat_win.h. */
ssize_t
readlink(const char *path, char *buf, size_t len)
{
	DWORD n;

	if (strcmp(path, "/proc/self/exe") != 0) {
		errno = EINVAL;
		return -1;
	}
	if ((n = GetModuleFileNameA(NULL, buf, (DWORD)len)) == 0 ||
	    n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return (ssize_t)n;
}

/* Splits *sp at the first of delim (see strsep(3)). */
char *
strsep(char **sp, const char *delim)
{
	char *s = *sp, *e;

	if (s == NULL)
		return NULL;
	if ((e = strpbrk(s, delim)) != NULL) {
		*e = '\0';
		*sp = e + 1;
	} else
		*sp = NULL;
	return s;
}

/* Fills the POSIX-shaped stat from the C runtime's (st_ino: 0, st_uid:
 * the process's own). Of the mode only the owner's bits are real: who
 * else may read or write is the ACL's business (compat_mkdir), so the
 * group and other bits stay 0. */
static void
compat_stat_fill(struct compat_stat *st, const struct _stat64 *w)
{
	memset(st, 0, sizeof *st);
	st->st_dev = w->st_dev;
	st->st_mode = w->st_mode & ~(mode_t)077;
	st->st_nlink = w->st_nlink;
	st->st_uid = compat_geteuid();
	st->st_size = (off_t)w->st_size;
	st->st_mtim.tv_sec = (time_t)w->st_mtime;
}

/* stat(); see compat_win.h. */
int
compat_stat(const char *path, struct compat_stat *st)
{
	struct _stat64 w;

	if (_stat64(path, &w) != 0)
		return -1;
	compat_stat_fill(st, &w);
	return 0;
}

/* fstat(); see compat_win.h. */
int
compat_fstat(int fd, struct compat_stat *st)
{
	struct _stat64 w;

	if (_fstat64(fd, &w) != 0)
		return -1;
	compat_stat_fill(st, &w);
	return 0;
}

/* The absolute path of path (no symbolic links to resolve here). */
char *
realpath(const char *path, char *out)
{
	char buf[MAX_PATH];

	if (GetFullPathNameA(path, sizeof buf, buf, NULL) == 0 ||
	    GetFileAttributesA(buf) == INVALID_FILE_ATTRIBUTES) {
		errno = ENOENT;
		return NULL;
	}
	if (out == NULL)
		return _strdup(buf);
	snprintf(out, MAX_PATH, "%s", buf);
	return out;
}

/* ---- fnmatch ---- */

/* One character of a pattern against one of the string. */
static int
fnm_eq(char p, char s, int flags)
{
	if (flags & FNM_CASEFOLD)
		return tolower((unsigned char)p) == tolower((unsigned char)s);
	return p == s;
}

/* Whether the bracket expression at *pp matches c; moves *pp past it.
 * Returns -1 when it is not closed (then '[' is an ordinary character). */
static int
fnm_bracket(const char **pp, char c, int flags)
{
	const char *p = *pp + 1;
	int neg = 0, hit = 0;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	do {
		if (*p == '\0')
			return -1;
		if (p[1] == '-' && p[2] != ']' && p[2] != '\0') {
			char lo = p[0], hi = p[2];

			if (flags & FNM_CASEFOLD) {
				c = (char)tolower((unsigned char)c);
				lo = (char)tolower((unsigned char)lo);
				hi = (char)tolower((unsigned char)hi);
			}
			if (c >= lo && c <= hi)
				hit = 1;
			p += 3;
		} else {
			if (fnm_eq(*p, c, flags))
				hit = 1;
			p++;
		}
	} while (*p != ']');
	*pp = p + 1;
	return hit != neg;
}

/* Shell pattern match (*, ?, [...], \ escapes); 0 or FNM_NOMATCH. */
int
fnmatch(const char *pat, const char *s, int flags)
{
	const char *star = NULL, *sback = NULL, *q;
	int b;

	for (;;) {
		if (*pat == '*') {
			while (*pat == '*')
				pat++;
			star = pat;
			sback = s;
			continue;
		}
		if (*s == '\0')
			return *pat == '\0' ? 0 : FNM_NOMATCH;
		q = pat;
		if (*pat == '?')
			b = 1, q++;
		else if (*pat == '[' && (b = fnm_bracket(&q, *s, flags)) >= 0)
			;
		else {
			if (*q == '\\' && q[1] != '\0')
				q++;
			b = *q != '\0' && fnm_eq(*q, *s, flags);
			q++;
		}
		if (b) {
			pat = q;
			s++;
			continue;
		}
		if (star == NULL)
			return FNM_NOMATCH;
		pat = star;
		s = ++sback;
	}
}

/* ---- descriptors ---- */

/* Closes a socket or a C runtime descriptor. */
int
compat_close(int fd)
{
	if (compat_is_socket(fd))
		return closesocket((SOCKET)fd) == 0 ? 0 : compat_wsa_errno(0);
	return _close(fd);
}

/* read() of a socket or a C runtime descriptor. */
int
compat_read(int fd, void *buf, unsigned int n)
{
	int r;

	if (!compat_is_socket(fd))
		return _read(fd, buf, n);
	if ((r = recv((SOCKET)fd, buf, (int)n, 0)) == SOCKET_ERROR)
		return compat_wsa_errno(0);
	return r;
}

/* write() of a socket or a C runtime descriptor. */
int
compat_write(int fd, const void *buf, unsigned int n)
{
	int r;

	if (!compat_is_socket(fd))
		return _write(fd, buf, n);
	if ((r = send((SOCKET)fd, buf, (int)n, 0)) == SOCKET_ERROR)
		return compat_wsa_errno(0);
	return r;
}

/* writev(); see compat_win.h. */
ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	WSABUF b[16];
	DWORD sent = 0;
	ssize_t done = 0;
	int i, w;

	if (n < 0 || n > 16) {
		errno = EINVAL;
		return -1;
	}
	if (compat_is_socket(fd)) {
		for (i = 0; i < n; i++) {
			b[i].buf = iov[i].iov_base;
			b[i].len = (ULONG)iov[i].iov_len;
		}
		if (WSASend((SOCKET)fd, b, (DWORD)n, &sent, 0, NULL,
		    NULL) != 0)
			return compat_wsa_errno(0);
		return (ssize_t)sent;
	}
	for (i = 0; i < n; i++) {
		if ((w = _write(fd, iov[i].iov_base,
		    (unsigned)iov[i].iov_len)) < 0)
			return done > 0 ? done : -1;
		done += w;
		if ((size_t)w < iov[i].iov_len)
			break;
	}
	return done;
}

/* An anonymous pipe of C runtime descriptors, binary. */
int
compat_pipe(int fds[2])
{
	return _pipe(fds, 65536, _O_BINARY | _O_NOINHERIT);
}

/* See compat_win.h: a loopback UDP socket connected to itself. */
int
eventfd(unsigned int initval, int flags)
{
	struct sockaddr_in sin;
	int len = sizeof sin;
	u_long on = 1;
	SOCKET s;

	(void)initval;
	(void)flags;
	compat_init();
	if ((s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)) == INVALID_SOCKET)
		return compat_wsa_errno(0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) != 0 ||
	    connect(s, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    ioctlsocket(s, FIONBIO, &on) != 0) {
		compat_wsa_errno(0);
		closesocket(s);
		return -1;
	}
	return (int)s;
}

/* ---- poll ---- */

/* poll() of sockets; entries with a negative fd are skipped (WSAPoll
 * would fail on them). */
int
compat_poll(struct pollfd *pfd, nfds_t n, int timeout_ms)
{
	WSAPOLLFD w[COMPAT_POLL_MAX];
	nfds_t i, live = 0;
	int r;

	compat_init();
	for (i = 0; i < n; i++) {
		pfd[i].revents = 0;
		if ((int)pfd[i].fd < 0)
			continue;
		if (live == COMPAT_POLL_MAX) {
			errno = EINVAL;
			return -1;
		}
		w[live] = pfd[i];
		live++;
	}
	if (live == 0) {
		Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
		return 0;
	}
	if ((r = WSAPoll(w, (ULONG)live, timeout_ms)) == SOCKET_ERROR)
		return compat_wsa_errno(0);
	for (i = 0, live = 0; i < n; i++)
		if ((int)pfd[i].fd >= 0)
			pfd[i].revents = w[live++].revents;
	return r;
}

/* ppoll() without the signal mask (Windows has none to swap). */
int
ppoll(struct pollfd *pfd, nfds_t n, const struct timespec *ts,
    const void *sigmask)
{
	int ms = -1;

	(void)sigmask;
	if (ts != NULL)
		ms = (int)(ts->tv_sec * 1000 + (ts->tv_nsec + 999999) /
		    1000000);
	return compat_poll(pfd, n, ms);
}

/* ---- sockets ---- */

/* socket(); SOCK_NONBLOCK sets FIONBIO. */
int
compat_socket(int domain, int type, int proto)
{
	u_long on = 1;
	SOCKET s;

	compat_init();
	s = socket(domain, type & ~SOCK_NONBLOCK, proto);
	if (s == INVALID_SOCKET)
		return compat_wsa_errno(0);
	if ((type & SOCK_NONBLOCK) && ioctlsocket(s, FIONBIO, &on) != 0) {
		compat_wsa_errno(0);
		closesocket(s);
		return -1;
	}
	return (int)s;
}

/* connect(); a non-blocking one in progress fails with EINPROGRESS. */
int
compat_connect(int fd, const struct sockaddr *sa, int len)
{
	if (connect((SOCKET)fd, sa, len) != 0)
		return compat_wsa_errno(1);
	return 0;
}

/* bind(). */
int
compat_bind(int fd, const struct sockaddr *sa, int len)
{
	return bind((SOCKET)fd, sa, len) == 0 ? 0 : compat_wsa_errno(0);
}

/* listen(). */
int
compat_listen(int fd, int backlog)
{
	return listen((SOCKET)fd, backlog) == 0 ? 0 : compat_wsa_errno(0);
}

/* accept(). */
int
compat_accept(int fd, struct sockaddr *sa, int *len)
{
	SOCKET s = accept((SOCKET)fd, sa, len);

	return s == INVALID_SOCKET ? compat_wsa_errno(0) : (int)s;
}

/* accept4(); SOCK_NONBLOCK sets FIONBIO on the new socket. */
int
compat_accept4(int fd, struct sockaddr *sa, int *len, int flags)
{
	u_long on = 1;
	int s;

	if ((s = compat_accept(fd, sa, len)) < 0)
		return -1;
	if ((flags & SOCK_NONBLOCK) &&
	    ioctlsocket((SOCKET)s, FIONBIO, &on) != 0) {
		compat_wsa_errno(0);
		closesocket((SOCKET)s);
		return -1;
	}
	return s;
}

/* send(). */
int
compat_send(int fd, const void *buf, size_t n, int flags)
{
	int r = send((SOCKET)fd, buf, (int)n, flags);

	return r == SOCKET_ERROR ? compat_wsa_errno(0) : r;
}

/* recv(); MSG_TRUNC as compat_win.h says. */
int
compat_recv(int fd, void *buf, size_t n, int flags)
{
	int r = recv((SOCKET)fd, buf, (int)n, flags & ~MSG_TRUNC);

	if (r == SOCKET_ERROR && WSAGetLastError() == WSAEMSGSIZE)
		return (flags & MSG_TRUNC) ? (int)n + 1 : (int)n;
	return r == SOCKET_ERROR ? compat_wsa_errno(0) : r;
}

/* sendto(). */
int
compat_sendto(int fd, const void *buf, size_t n, int flags,
    const struct sockaddr *sa, int len)
{
	int r = sendto((SOCKET)fd, buf, (int)n, flags, sa, len);

	return r == SOCKET_ERROR ? compat_wsa_errno(0) : r;
}

/* recvfrom(); a datagram cut short (WSAEMSGSIZE) returns what fitted, as
 * POSIX does (MSG_TRUNC: see compat_win.h). */
int
compat_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *sa,
    int *len)
{
	int r = recvfrom((SOCKET)fd, buf, (int)n, flags & ~MSG_TRUNC, sa,
	    len);

	if (r == SOCKET_ERROR && WSAGetLastError() == WSAEMSGSIZE)
		return (flags & MSG_TRUNC) ? (int)n + 1 : (int)n;
	return r == SOCKET_ERROR ? compat_wsa_errno(0) : r;
}

/* setsockopt(). */
int
compat_setsockopt(int fd, int level, int name, const void *v, int len)
{
	if (setsockopt((SOCKET)fd, level, name, v, len) != 0)
		return compat_wsa_errno(0);
	return 0;
}

/* getsockopt(); SO_ERROR's value is mapped onto errno numbers. */
int
compat_getsockopt(int fd, int level, int name, void *v, int *len)
{
	int *e = v;

	if (getsockopt((SOCKET)fd, level, name, v, len) != 0)
		return compat_wsa_errno(0);
	if (level == SOL_SOCKET && name == SO_ERROR && *e != 0) {
		int saved = errno;

		WSASetLastError(*e);
		compat_wsa_errno(0);
		*e = errno;
		errno = saved;
	}
	return 0;
}

/* getsockname(). */
int
compat_getsockname(int fd, struct sockaddr *sa, int *len)
{
	if (getsockname((SOCKET)fd, sa, len) != 0)
		return compat_wsa_errno(0);
	return 0;
}

/* getpeername(). */
int
compat_getpeername(int fd, struct sockaddr *sa, int *len)
{
	if (getpeername((SOCKET)fd, sa, len) != 0)
		return compat_wsa_errno(0);
	return 0;
}

/* shutdown(). */
int
compat_shutdown(int fd, int how)
{
	return shutdown((SOCKET)fd, how) == 0 ? 0 : compat_wsa_errno(0);
}

/* fcntl(): O_NONBLOCK of a socket (F_GETFL cannot read it back: 0);
 * FD_CLOEXEC is the default (handles are not inherited). */
int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	u_long on;
	int arg = 0;

	if (cmd == F_SETFL || cmd == F_SETFD) {
		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
	}
	switch (cmd) {
	case F_GETFL:
	case F_GETFD:
		return 0;
	case F_SETFD:
		return 0;
	case F_SETFL:
		if (!compat_is_socket(fd))
			return 0;
		on = (arg & O_NONBLOCK) ? 1 : 0;
		if (ioctlsocket((SOCKET)fd, FIONBIO, &on) != 0)
			return compat_wsa_errno(0);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

/* ---- processes ---- */

/* Windows has no fork (see compat_win.h). */
pid_t
fork(void)
{
	errno = ENOSYS;
	return -1;
}

/* Opens process pid for what access asks; NULL with errno ESRCH. */
static HANDLE
compat_process(pid_t pid, DWORD access)
{
	HANDLE h;

	if ((h = OpenProcess(access, FALSE, (DWORD)pid)) == NULL)
		errno = ESRCH;
	return h;
}

/*
 * waitpid() of a process started by CreateProcess (session_spawn): its
 * exit code is the status's exit status. WNOHANG returns 0 while it
 * runs. A process that is gone fails with ECHILD.
 */
pid_t
waitpid(pid_t pid, int *status, int options)
{
	HANDLE h;
	DWORD code = 0;

	if ((h = compat_process(pid, SYNCHRONIZE |
	    PROCESS_QUERY_LIMITED_INFORMATION)) == NULL) {
		errno = ECHILD;
		return -1;
	}
	if (WaitForSingleObject(h, (options & WNOHANG) ? 0 : INFINITE) !=
	    WAIT_OBJECT_0) {
		CloseHandle(h);
		return 0;
	}
	GetExitCodeProcess(h, &code);
	CloseHandle(h);
	if (status != NULL)
		*status = (int)((code & 0xff) << 8);
	return pid;
}

/* kill(): 0 tests that pid runs; any other signal terminates it. */
int
kill(pid_t pid, int sig)
{
	HANDLE h;
	DWORD code = 0;
	int r = 0;

	if ((h = compat_process(pid, PROCESS_TERMINATE |
	    PROCESS_QUERY_LIMITED_INFORMATION)) == NULL)
		return -1;
	if (sig == 0) {
		if (!GetExitCodeProcess(h, &code) || code != STILL_ACTIVE) {
			errno = ESRCH;
			r = -1;
		}
	} else if (!TerminateProcess(h, 128 + (UINT)sig)) {
		errno = EPERM;
		r = -1;
	}
	CloseHandle(h);
	return r;
}

/* ---- the console ---- */

/* Reads whether the console echoes input (ECHO in c_lflag). */
int
tcgetattr(int fd, struct termios *t)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	DWORD mode;

	if (h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode)) {
		errno = ENOTTY;
		return -1;
	}
	t->c_lflag = (mode & ENABLE_ECHO_INPUT) ? ECHO : 0;
	return 0;
}

/* Turns console echo on or off as c_lflag says. */
int
tcsetattr(int fd, int how, const struct termios *t)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	DWORD mode;

	(void)how;
	if (h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode)) {
		errno = ENOTTY;
		return -1;
	}
	if (t->c_lflag & ECHO)
		mode |= ENABLE_ECHO_INPUT;
	else
		mode &= ~(DWORD)ENABLE_ECHO_INPUT;
	return SetConsoleMode(h, mode) ? 0 : -1;
}
