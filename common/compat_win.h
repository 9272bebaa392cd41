/*
 * compat_win.h: the POSIX that cdesk's portable code uses, on Windows
 * (mingw-w64). The Windows build (make win) includes this file first in
 * every translation unit (-include) and puts common/compat_win/ on the
 * include path, where the POSIX headers Windows lacks (<sys/socket.h>,
 * <poll.h>, <pwd.h>, ...) are one-line stand-ins for this file. The code
 * of compat_win.c implements what is declared here; nothing else of the
 * tree needs an #ifdef for these.
 *
 * Sockets: Winsock sockets are not C runtime descriptors, so close, read,
 * write and the socket calls below go through wrappers that tell them
 * apart and that map WSAGetLastError() onto errno, so that the callers'
 * errno tests (EINPROGRESS, EAGAIN, ...) hold.
 */
#ifndef CDESK_COMPAT_WIN_H
#define CDESK_COMPAT_WIN_H

#ifndef _WIN32
#error "compat_win.h is for Windows builds only"
#endif

#ifndef _WIN32_WINNT
#define _WIN32_WINNT	0x0A00		/* Windows 10 */
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef _POSIX_THREAD_SAFE_FUNCTIONS
#define _POSIX_THREAD_SAFE_FUNCTIONS	200112L	/* gmtime_r, localtime_r */
#endif
#ifndef __USE_MINGW_ANSI_STDIO
#define __USE_MINGW_ANSI_STDIO	1	/* C99 printf: %zu, %lld, %hhx */
#endif

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* format(__printf__, ...) checks the C99 printf mingw links (above), not
 * msvcrt's. */
#define __printf__	__gnu_printf__

/* ---- identity: Windows has no uids; see compat_win.c ---- */
typedef int	uid_t;
typedef int	gid_t;
struct passwd {
	char	*pw_name;
	char	*pw_dir;
	char	*pw_shell;
	uid_t	 pw_uid;
	gid_t	 pw_gid;
};
/* 0 when the process runs as LocalSystem (the service), else 1000. */
uid_t		 compat_geteuid(void);
#define geteuid		compat_geteuid
#define getuid		compat_geteuid
#define getgid()	((gid_t)0)
/* The account of the process: its name and profile folder. */
struct passwd	*getpwuid(uid_t);
struct passwd	*getpwnam(const char *);

/* ---- files ---- */
#define O_CLOEXEC	0		/* handles are not inherited */
#define O_DIRECTORY	0x10000000	/* open() of a folder fails */
#define O_NOFOLLOW	0
#define O_NOCTTY	0
#define O_NONBLOCK	0x20000000	/* fcntl() of a socket only */
#define S_ISLNK(m)	0
#define S_ISSOCK(m)	0
#ifndef S_IRWXG
#define S_IRWXG		0070
#define S_IRWXO		0007
#endif
/* stat() with st_mtim (nanoseconds) and st_uid, as POSIX has them. */
struct compat_stat {
	dev_t		 st_dev;
	ino_t		 st_ino;
	mode_t		 st_mode;
	short		 st_nlink;
	uid_t		 st_uid;
	gid_t		 st_gid;
	off_t		 st_size;
	struct timespec	 st_mtim;
};
int		 compat_stat(const char *, struct compat_stat *);
int		 compat_fstat(int, struct compat_stat *);
#define stat		compat_stat
#define fstat		compat_fstat
#define lstat		compat_stat
#define fsync		_commit
/* mkdir(path, mode): the mode is for the ACLs (compat_win.c). */
int		 compat_mkdir(const char *, mode_t);
#define mkdir		compat_mkdir
int		 fchmod(int, mode_t);
int		 mkostemp(char *, int);
/* link(): a hard link (CreateHardLink), failing with EEXIST. */
int		 link(const char *, const char *);
/* rename() that replaces an existing target, as POSIX's does. */
int		 compat_rename(const char *, const char *);
#define rename		compat_rename
int		 compat_open(const char *, int, ...);
#define open		compat_open
char		*strndup(const char *, size_t);
char		*strsep(char **, const char *);
#define explicit_bzero(p, n)	SecureZeroMemory((p), (n))
/* glibc's malloc_trim: gives free heap memory back (_heapmin). */
int		 malloc_trim(size_t);
/*
 * getrlimit()/setrlimit() for RLIMIT_NOFILE only: Windows has no limit on
 * sockets to raise, so the limit reads as already high enough.
 */
#define RLIMIT_NOFILE	7
typedef unsigned long	rlim_t;
struct rlimit {
	rlim_t	rlim_cur;
	rlim_t	rlim_max;
};
static inline int
getrlimit(int what, struct rlimit *rl)
{
	(void)what;
	rl->rlim_cur = rl->rlim_max = 1UL << 20;
	return 0;
}
static inline int
setrlimit(int what, const struct rlimit *rl)
{
	(void)what;
	(void)rl;
	return 0;
}

/* malloc_usable_size(): the CRT's _msize tells the same (bufcache.c). */
#include <malloc.h>
#define malloc_usable_size(p)	_msize(p)
/* mallopt(): glibc's tuning of when malloc maps; the CRT has none. */
#define M_TRIM_THRESHOLD	(-1)
#define M_MMAP_THRESHOLD	(-3)
static inline int
mallopt(int param, int value)
{
	(void)param;
	(void)value;
	return 1;
}

/* readlink(): Windows programs see no symbolic links; /proc/self/exe
 * names this program (GetModuleFileName), as it does on Linux. */
ssize_t		 readlink(const char *, char *, size_t);
char		*realpath(const char *, char *);

/* ---- fnmatch ---- */
#define FNM_NOMATCH	1
#define FNM_CASEFOLD	0x10
int		 fnmatch(const char *, const char *, int);

/* ---- descriptors: C runtime files, pipes and sockets ---- */
int		 compat_close(int);
#define close		compat_close
int		 compat_read(int, void *, unsigned int);
#define read		compat_read
int		 compat_write(int, const void *, unsigned int);
#define write		compat_write
int		 compat_pipe(int[2]);
#define pipe		compat_pipe
/*
 * eventfd(): a UDP socket on the loopback connected to itself, so that
 * poll() waits on it: each write is one datagram that one read takes (a
 * counter coalesces writes; here extra reads find more, harmlessly).
 */
#define EFD_CLOEXEC	0
#define EFD_NONBLOCK	0
int		 eventfd(unsigned int, int);

/* ---- poll: Winsock's struct pollfd and POLL* bits; sockets only ---- */
typedef unsigned long	nfds_t;
int		 compat_poll(struct pollfd *, nfds_t, int);
#define poll		compat_poll
int		 ppoll(struct pollfd *, nfds_t, const struct timespec *,
		    const void *);

/* ---- sockets ---- */
#define SOCK_CLOEXEC	0
#define SOCK_NONBLOCK	0x40000000	/* socket(): made non-blocking */
#define MSG_NOSIGNAL	0
/* recv(MSG_TRUNC): a datagram longer than the buffer returns more than
 * the buffer's size (here: its size + 1), so callers see it was cut. */
#define MSG_TRUNC	0x40000000
#define SO_REUSEPORT	SO_REUSEADDR
#define MSG_DONTWAIT	0
#ifndef SHUT_RD
#define SHUT_RD		SD_RECEIVE
#define SHUT_WR		SD_SEND
#define SHUT_RDWR	SD_BOTH
#endif
int		 compat_socket(int, int, int);
#define socket		compat_socket
int		 compat_connect(int, const struct sockaddr *, int);
#define connect		compat_connect
int		 compat_bind(int, const struct sockaddr *, int);
#define bind		compat_bind
int		 compat_listen(int, int);
#define listen		compat_listen
int		 compat_accept(int, struct sockaddr *, int *);
#define accept		compat_accept
int		 compat_accept4(int, struct sockaddr *, int *, int);
#define accept4		compat_accept4
int		 compat_send(int, const void *, size_t, int);
#define send		compat_send
int		 compat_recv(int, void *, size_t, int);
#define recv		compat_recv
int		 compat_sendto(int, const void *, size_t, int,
		    const struct sockaddr *, int);
#define sendto		compat_sendto
int		 compat_recvfrom(int, void *, size_t, int, struct sockaddr *,
		    int *);
#define recvfrom	compat_recvfrom
/* SO_*BUFFORCE: Linux lets root pass the system's cap; here the plain
 * options are all there is. */
#define SO_SNDBUFFORCE	SO_SNDBUF
#define SO_RCVBUFFORCE	SO_RCVBUF
/* writev() of a socket (one WSASend) or a C runtime descriptor (one write
 * per piece, stopping at a short one). */
struct iovec {
	void	*iov_base;
	size_t	 iov_len;
};
ssize_t		 writev(int, const struct iovec *, int);
int		 compat_setsockopt(int, int, int, const void *, int);
#define setsockopt	compat_setsockopt
int		 compat_getsockopt(int, int, int, void *, int *);
#define getsockopt	compat_getsockopt
int		 compat_getsockname(int, struct sockaddr *, int *);
#define getsockname	compat_getsockname
int		 compat_getpeername(int, struct sockaddr *, int *);
#define getpeername	compat_getpeername
int		 compat_shutdown(int, int);
#define shutdown	compat_shutdown
/* fcntl(fd, F_GETFL/F_SETFL, O_NONBLOCK) on a socket. */
#define F_GETFL		3
#define F_SETFL		4
#define F_GETFD		1
#define F_SETFD		2
#define FD_CLOEXEC	1
int		 fcntl(int, int, ...);

/* ---- signals and processes ---- */
/* Windows has no fork: it fails with ENOSYS and callers fall back. */
pid_t		 fork(void);
pid_t		 waitpid(pid_t, int *, int);
#define WNOHANG		1
#define WIFEXITED(s)	(((s) & 0x7f) == 0)
#define WEXITSTATUS(s)	(((s) >> 8) & 0xff)
#define WIFSIGNALED(s)	(((s) & 0x7f) != 0)
#define WTERMSIG(s)	((s) & 0x7f)
int		 kill(pid_t, int);

/* ---- libevent ---- */
/* evthread_use_pthreads(): Windows threads are what libevent has here. */
#define evthread_use_pthreads	evthread_use_windows_threads
#ifndef SIGHUP
#define SIGHUP		1
#endif
#ifndef SIGPIPE
#define SIGPIPE		13
#endif
/* A child's exit is not a signal here: watching it fails (cmlink.c does
 * not watch on Windows; its CM counts as gone when it detaches). */
#ifndef SIGCHLD
#define SIGCHLD		17
#endif
#ifndef SIGKILL
#define SIGKILL		9
#endif

/* ---- the console (cdesk --password -) ---- */
#define ECHO		0x0008
#define TCSAFLUSH	2
typedef unsigned long	tcflag_t;
struct termios {
	tcflag_t	 c_lflag;	/* ECHO only */
};
int		 tcgetattr(int, struct termios *);
int		 tcsetattr(int, int, const struct termios *);

/* Starts Winsock; called by the first socket call, harmless twice. */
void		 compat_init(void);

#endif
