/*
 * fsh.c: the server's side of the file helper (fsh.h): starting it in the
 * desktop session, the socketpair and its frames, reaping it, and noticing
 * when it is gone. On Windows the channel is made and a file's handle
 * taken by server/win/fsh_win.c (fsh_os.h); the frames are the same.
 *
 * A helper is idle (none runs), linking (started, its channel not made
 * yet: on Windows it has to call us back, which takes seconds) or up.
 * The loop never waits for the link: requests queue meanwhile (up to
 * FSH_LINK_MAX bytes) and go once it is made; a helper that never links
 * hands each back (fsh_cb.unsent). The Linux link is made at once, so
 * it goes from idle to up inside fsh_send, as it always did.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "ipc/ipc.h"
#include "server/bufcache.h"
#include "server/fsh.h"
#include "server/fsh_os.h"
#include "server/session.h"
#include "server/sysinfo.h"

#define FSH_REAP_MAX	8	/* helpers gone but not yet reaped */
#define FSH_IN_MIN	(1024 * 1024)	/* room for each read, at least */
#define FSH_IN_KEEP	(4096 * 1024)	/* a larger input is freed empty */
#define FSH_CHUNK	(1024 * 1024)	/* an output chunk (frames whole) */
#define FSH_SPARE	2		/* empty chunks kept */
#define FSH_IOV		16		/* chunks per writev */
#define FSH_FDS_MAX	64		/* descriptors received, not taken */
/* Requests queued while the helper links: past this, refused. */
#define FSH_LINK_MAX	(4u * 1024 * 1024)
/* The socketpair's buffers: 8 blocks in flight each way (root may set
 * them above net.core.wmem_max). */
#define FSH_SOCKBUF	(1024 * 1024)

/* Bytes [off, len) of p wait for the helper; a frame never straddles. */
struct fsh_chunk {
	TAILQ_ENTRY(fsh_chunk)	 entry;
	size_t			 off;
	size_t			 len;
	size_t			 cap;
	uint8_t			 p[];
};
TAILQ_HEAD(fsh_chunks, fsh_chunk);

/* Where the helper is (see the top). */
enum fsh_state {
	FSH_IDLE,
	FSH_LINKING,
	FSH_UP,
};

/*
 * The channel is read and written here, not through a bufferevent: a
 * frame (a 128 KiB file block) is read in one piece into a buffer that
 * stays, unpacked where it lies, and requests are packed into 1 MiB
 * chunks that are kept, so a transfer allocates nothing per block.
 */
struct fsh {
	struct event_base	*base;		/* borrowed */
	const struct fsh_cb	*cb;		/* borrowed */
	void			*arg;		/* borrowed */
	struct session		 session;	/* whose user it runs as */
	enum fsh_state		 state;
	struct fsh_link		*link;		/* owned: linking, or NULL */
	int			 fd;		/* the channel (up), or -1 */
	struct event		*rev;		/* owned: fd readable */
	struct event		*wev;		/* owned: fd writable */
	unsigned		 gen;		/* counts channels */
	uint8_t			*in;		/* what the helper sent */
	size_t			 in_off;	/* [in_off, in_len) unread */
	size_t			 in_len;
	size_t			 in_cap;
	int			 fds[FSH_FDS_MAX]; /* passed, in order */
	size_t			 nfds;
	struct fsh_chunks	 out;		/* to the helper */
	struct fsh_chunks	 spare;
	size_t			 nspare;
	size_t			 backlog;	/* bytes in out */
	pid_t			 pid;		/* the running helper, or 0 */
	int			 hello;		/* it said Hello */
	pid_t			 reap[FSH_REAP_MAX]; /* to waitpid for */
	struct event		*sigchld;	/* owned */
	struct event		*notify;	/* owned: deferred lost */
	const char		*why;		/* for notify */
};

static void	fsh_stop(struct fsh *, const char *why);

/* Reap every helper of ours that exited. */
static void
fsh_sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	struct fsh *f = arg;
	int i, status;
	pid_t r;

	(void)sig;
	(void)what;
	for (i = 0; i < FSH_REAP_MAX; i++) {
		if (f->reap[i] <= 0)
			continue;
		r = waitpid(f->reap[i], &status, WNOHANG);
		if (r == 0)
			continue;
		if (r > 0)
			log_info("helper: pid %ld exited (status %d)",
			    (long)f->reap[i], status);
		f->reap[i] = 0;
	}
}

/* Remember pid for reaping (the oldest is dropped when full). */
static void
fsh_reap_later(struct fsh *f, pid_t pid)
{
	int i;

	for (i = 0; i < FSH_REAP_MAX; i++)
		if (f->reap[i] <= 0) {
			f->reap[i] = pid;
			return;
		}
	memmove(f->reap, f->reap + 1, sizeof f->reap - sizeof f->reap[0]);
	f->reap[FSH_REAP_MAX - 1] = pid;
}

/* Tell the owner the helper is gone (from the loop). */
static void
fsh_notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fsh *f = arg;

	(void)fd;
	(void)what;
	if (f->cb->lost != NULL)
		f->cb->lost(f->why, f->arg);
}

/* Take one reply frame; a bad one stops the helper. An FsStream takes
 * the oldest descriptor the helper passed (it goes with the frame's first
 * byte, so it is here by the time the frame is whole). */
static void
fsh_recv(struct fsh *f, const Ipc__Data *d)
{
	int fd = -1;

	if (!f->hello) {
		if (d->union_case != IPC__DATA__UNION_HELLO ||
		    d->hello->version != IPC_VERSION) {
			fsh_stop(f, "the file helper is not ours");
			return;
		}
		f->hello = 1;
		log_debug("helper: pid %ld ready", (long)f->pid);
		return;
	}
	if (d->union_case != IPC__DATA__UNION_FS_REPLY) {
		fsh_stop(f, "the file helper sent something else");
		return;
	}
	if (d->fs_reply->stream != NULL && !d->fs_reply->stream->skip) {
#ifdef _WIN32
		/* Nothing rides beside a frame here: the frame names the
		 * helper's handle, moved into ours now (fsh_os.h). */
		if ((fd = fsh_os_take(f->pid, d->fs_reply->stream)) >= 0)
			f->fds[f->nfds++] = fd;
#endif
		if (f->nfds == 0) {
			fsh_stop(f, "the file helper passed no descriptor");
			return;
		}
		fd = f->fds[0];
		memmove(f->fds, f->fds + 1, --f->nfds * sizeof f->fds[0]);
	}
	if (f->cb->reply != NULL)
		f->cb->reply(d->fs_reply, fd, f->arg);
	else if (fd >= 0)
		close(fd);
}

/* Close every descriptor passed and not taken. */
static void
fsh_fds_close(struct fsh *f)
{
	while (f->nfds > 0)
		close(f->fds[--f->nfds]);
}

#ifndef _WIN32
/* Read into buf; descriptors passed with the bytes join f->fds. Returns
 * what read(2) would, or -1 with EPROTO for descriptors we cannot keep. */
static ssize_t
fsh_recvmsg(struct fsh *f, int fd, uint8_t *buf, size_t len)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(4 * sizeof(int))];
	} u;
	struct iovec iov = { buf, len };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t got;
	size_t i, n;
	int bad = 0, x;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof u.buf;
	if ((got = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) < 0)
		return got;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&x, CMSG_DATA(cm) + i * sizeof(int), sizeof x);
			if (f->nfds < FSH_FDS_MAX)
				f->fds[f->nfds++] = x;
			else {
				close(x);
				bad = 1;
			}
		}
	}
	if (bad || (mh.msg_flags & MSG_CTRUNC)) {
		errno = EPROTO;
		return -1;
	}
	return got;
}
#else
/* Windows: only bytes come (a file's handle is named in its frame). */
static ssize_t
fsh_recvmsg(struct fsh *f, int fd, uint8_t *buf, size_t len)
{
	(void)f;
	return recv(fd, buf, len, 0);
}
#endif

/* Free the input buffer and every output chunk. */
static void
fsh_bufs_free(struct fsh *f)
{
	struct fsh_chunk *k;

	free(f->in);
	f->in = NULL;
	f->in_off = f->in_len = f->in_cap = 0;
	while ((k = TAILQ_FIRST(&f->out)) != NULL) {
		TAILQ_REMOVE(&f->out, k, entry);
		free(k);
	}
	while ((k = TAILQ_FIRST(&f->spare)) != NULL) {
		TAILQ_REMOVE(&f->spare, k, entry);
		free(k);
	}
	f->nspare = 0;
	f->backlog = 0;
}

/*
 * Make room at the end of the input for the rest of the frame in front
 * (and at least FSH_IN_MIN): the whole frame lands in one piece, read
 * straight from the socket, and is unpacked where it lies.
 */
static void
fsh_in_reserve(struct fsh *f)
{
	size_t have = f->in_len - f->in_off, want = FSH_IN_MIN, hl, pl;

	if (codec_hdr_decode(f->in + f->in_off, have, IPC_FS_FRAME_MAX, &hl,
	    &pl) > 0 && hl + pl > have + want)
		want = hl + pl - have;
	if (f->in_cap - f->in_len >= want)
		return;
	if (f->in_off > 0) {
		memmove(f->in, f->in + f->in_off, have);
		f->in_off = 0;
		f->in_len = have;
	}
	if (f->in_cap - f->in_len < want) {
		f->in_cap = f->in_len + want;
		f->in = xreallocarray(f->in, f->in_cap, 1);
	}
}

/* One whole frame at the front of the input, checked like any IPC input
 * (ipc_check). Returns the bytes it took, 0 for more, or ERR_PROTO. */
static int
fsh_decode(struct fsh *f, Ipc__Data **out)
{
	const uint8_t *body;
	Ipc__Data *d;
	size_t len;
	int r;

	*out = NULL;
	if ((r = codec_frame(f->in + f->in_off, f->in_len - f->in_off,
	    IPC_FS_FRAME_MAX, &body, &len)) <= 0)
		return r;
	/* protobuf-c wants a non-NULL pointer even for an empty body. */
	d = ipc__data__unpack(&bufcache_pb, len, len ? body : (const uint8_t *)"");
	if (d == NULL)
		return ERR_PROTO;
	if (ipc_check(d) != 0) {
		ipc__data__free_unpacked(d, &bufcache_pb);
		return ERR_PROTO;
	}
	*out = d;
	return r;
}

/* Read what the helper sent and take every whole frame. */
static void
fsh_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fsh *f = arg;
	unsigned gen = f->gen;
	Ipc__Data *d;
	ssize_t got;
	int r;

	(void)what;
	fsh_in_reserve(f);
	got = fsh_recvmsg(f, fd, f->in + f->in_len, f->in_cap - f->in_len);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got <= 0) {
		fsh_stop(f, "the file helper exited");
		return;
	}
	f->in_len += (size_t)got;
	while ((r = fsh_decode(f, &d)) > 0) {
		f->in_off += (size_t)r;
		fsh_recv(f, d);
		ipc__data__free_unpacked(d, &bufcache_pb);
		/* The helper was stopped (and maybe started again). */
		if (f->gen != gen)
			return;
	}
	if (r < 0) {
		log_warn_r(r, "helper: bad frame");
		fsh_stop(f, "the file helper sent a bad frame");
		return;
	}
	if (f->in_off == f->in_len) {
		f->in_off = f->in_len = 0;
		/* A long listing passed: give its room back. */
		if (f->in_cap > FSH_IN_KEEP) {
			free(f->in);
			f->in = NULL;
			f->in_cap = 0;
		}
	}
}

/* Room for n more bytes at the end of the queue to the helper: in the
 * last chunk, a spare one or a new one (larger frames get their own). */
static struct fsh_chunk *
fsh_out_room(struct fsh *f, size_t n)
{
	struct fsh_chunk *k = TAILQ_LAST(&f->out, fsh_chunks);
	size_t cap;

	if (k != NULL && k->cap - k->len >= n)
		return k;
	if (n <= FSH_CHUNK && (k = TAILQ_FIRST(&f->spare)) != NULL) {
		TAILQ_REMOVE(&f->spare, k, entry);
		f->nspare--;
	} else {
		cap = n > FSH_CHUNK ? n : FSH_CHUNK;
		k = xmalloc(sizeof *k + cap);
		k->cap = cap;
	}
	k->off = k->len = 0;
	TAILQ_INSERT_TAIL(&f->out, k, entry);
	return k;
}

/* n bytes went out: drop them from the front of the queue. */
static void
fsh_out_drain(struct fsh *f, size_t n)
{
	struct fsh_chunk *k;
	size_t m;

	f->backlog -= n;
	while (n > 0 && (k = TAILQ_FIRST(&f->out)) != NULL) {
		m = k->len - k->off < n ? k->len - k->off : n;
		k->off += m;
		n -= m;
		if (k->off < k->len)
			break;
		TAILQ_REMOVE(&f->out, k, entry);
		if (k->cap == FSH_CHUNK && f->nspare < FSH_SPARE) {
			TAILQ_INSERT_TAIL(&f->spare, k, entry);
			f->nspare++;
		} else
			free(k);
	}
}

/* The helper can take more: write what is queued, in one writev a time
 * while it takes it; below FSH_LOW tell the owner. */
static void
fsh_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fsh *f = arg;
	struct iovec iov[FSH_IOV];
	struct fsh_chunk *k;
	ssize_t w;
	int n;

	(void)what;
	while (f->backlog > 0) {
		n = 0;
		TAILQ_FOREACH(k, &f->out, entry) {
			if (n == FSH_IOV)
				break;
			iov[n].iov_base = k->p + k->off;
			iov[n++].iov_len = k->len - k->off;
		}
		if ((w = writev(fd, iov, n)) < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) {
			fsh_stop(f, "the file helper exited");
			return;
		}
		fsh_out_drain(f, (size_t)w);
	}
	if (f->backlog > 0)
		event_add(f->wev, NULL);
	if (f->backlog < FSH_LOW && f->cb->drained != NULL)
		f->cb->drained(f->arg);
}

/* Close the channel (its events, its socket) or the wait for it, and
 * the buffers. */
static void
fsh_close(struct fsh *f)
{
	if (f->rev != NULL)
		event_free(f->rev);
	if (f->wev != NULL)
		event_free(f->wev);
	f->rev = f->wev = NULL;
	fsh_os_link_free(f->link);
	f->link = NULL;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->state = FSH_IDLE;
	f->gen++;
	fsh_bufs_free(f);
	fsh_fds_close(f);
}

/* Drop the channel and the process; the owner hears why, later. */
static void
fsh_stop(struct fsh *f, const char *why)
{
	struct timeval zero = { 0, 0 };

	if (f->state == FSH_IDLE)
		return;
	log_warn("helper: pid %ld: %s", (long)f->pid, why);
	fsh_close(f);
	if (f->pid > 0) {
		/* EOF ends it; a helper that misbehaved gets no choice. */
		kill(f->pid, SIGKILL);
		fsh_reap_later(f, f->pid);
		fsh_sigchld_cb(SIGCHLD, 0, f);
	}
	f->pid = 0;
	f->hello = 0;
	f->why = why;
	evtimer_add(f->notify, &zero);
}

/* Widen a socket's buffers to FSH_SOCKBUF (as root past the system's
 * cap): fewer turns of each side's loop per block. */
void
fsh_sockbuf(int fd)
{
	int n = FSH_SOCKBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &n, sizeof n) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof n);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &n, sizeof n) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &n, sizeof n);
}

#ifndef _WIN32
/* Start a helper in the session with one end of a new socketpair: linked
 * at once (no fsh_link here). */
int
fsh_os_spawn(const struct session *s, char *const argv[],
    struct event_base *base, fsh_link_cb cb, void *arg, int *fd,
    struct fsh_link **link, pid_t *pid)
{
	int sv[2], r;

	(void)base;
	(void)cb;
	(void)arg;
	*fd = -1;
	*link = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warn("helper: socketpair: %s", strerror(errno));
		return ERR_IO;
	}
	fsh_sockbuf(sv[0]);
	fsh_sockbuf(sv[1]);
	r = session_spawn_fd(s, "helper", argv, NULL, sv[1], pid);
	close(sv[1]);
	if (r != 0) {
		close(sv[0]);
		return r;
	}
	*fd = sv[0];
	return 0;
}

/* Linux never waits for a link: nothing to free. */
void
fsh_os_link_free(struct fsh_link *l)
{
	(void)l;
}
#endif

/* Kill the helper and forget it (it is reaped later); idle again. */
static void
fsh_kill(struct fsh *f)
{
	kill(f->pid, SIGKILL);
	fsh_reap_later(f, f->pid);
	f->pid = 0;
	f->state = FSH_IDLE;
}

/* The channel fd (taken) is made: watch it, and write what queued while
 * the helper linked. Returns 0, or ERR_IO with the helper killed. */
static int
fsh_attach(struct fsh *f, int fd)
{
	evutil_make_socket_nonblocking(fd);
	f->rev = event_new(f->base, fd, EV_READ | EV_PERSIST, fsh_read_cb, f);
	f->wev = event_new(f->base, fd, EV_WRITE, fsh_write_cb, f);
	if (f->rev == NULL || f->wev == NULL || event_add(f->rev, NULL) != 0) {
		if (f->rev != NULL)
			event_free(f->rev);
		if (f->wev != NULL)
			event_free(f->wev);
		f->rev = f->wev = NULL;
		close(fd);
		fsh_kill(f);
		return ERR_IO;
	}
	f->fd = fd;
	f->gen++;
	f->state = FSH_UP;
	if (f->backlog > 0)
		event_add(f->wev, NULL);
	return 0;
}

/* Hand every queued request back (e: why it never went), oldest first;
 * the queue is taken off first, since the owner may send again (and
 * start another helper) from the callback. */
static void
fsh_unsend(struct fsh *f, int e)
{
	struct fsh_chunks q;
	struct fsh_chunk *k;
	const uint8_t *body;
	Ipc__Data *d;
	size_t len;
	int r;

	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &f->out, entry);
	f->backlog = 0;
	while ((k = TAILQ_FIRST(&q)) != NULL) {
		/* Our own frames, whole: they unpack. */
		while ((r = codec_frame(k->p + k->off, k->len - k->off,
		    IPC_FS_FRAME_MAX, &body, &len)) > 0) {
			k->off += (size_t)r;
			d = ipc__data__unpack(NULL, len, len ? body :
			    (const uint8_t *)"");
			if (d != NULL && d->union_case ==
			    IPC__DATA__UNION_FS_REQUEST &&
			    f->cb->unsent != NULL)
				f->cb->unsent(d->fs_request, e, f->arg);
			if (d != NULL)
				ipc__data__free_unpacked(d, NULL);
		}
		TAILQ_REMOVE(&q, k, entry);
		free(k);
	}
}

/* The helper's call came (fd, taken) or never will (-1): up, or idle
 * with what queued handed back (fsh_os_spawn's cb). */
static void
fsh_linked_cb(int fd, void *arg)
{
	struct fsh *f = arg;

	fsh_os_link_free(f->link);
	f->link = NULL;
	if (fd >= 0 && fsh_attach(f, fd) == 0)
		return;
	if (fd < 0)
		fsh_kill(f);
	fsh_unsend(f, ERR_IO);
}

/* Start a helper in the session, linked to us now or later
 * (fsh_os_spawn). */
static int
fsh_spawn(struct fsh *f)
{
	char *argv[4] = { NULL, (char *)"--helper", NULL, NULL };
	int fd, r;
	pid_t pid;

	argv[0] = sysinfo_self_exe();
	if (log_get_level() >= LOG_DEBUG)
		argv[2] = (char *)"-v";
	r = fsh_os_spawn(&f->session, argv, f->base, fsh_linked_cb, f, &fd,
	    &f->link, &pid);
	free(argv[0]);
	if (r != 0)
		return r;
	f->pid = pid;
	f->hello = 0;
	if (fd < 0) {
		f->state = FSH_LINKING;
		return 0;
	}
	return fsh_attach(f, fd);
}

/* A manager with no helper yet. */
struct fsh *
fsh_new(struct event_base *base, const struct fsh_cb *cb, void *arg)
{
	struct fsh *f = xcalloc(1, sizeof *f);

	f->base = base;
	f->cb = cb;
	f->arg = arg;
	f->fd = -1;
	TAILQ_INIT(&f->out);
	TAILQ_INIT(&f->spare);
	session_init(&f->session);
#ifndef _WIN32
	f->sigchld = evsignal_new(base, SIGCHLD, fsh_sigchld_cb, f);
	if (f->sigchld == NULL || event_add(f->sigchld, NULL) != 0)
		fatal("libevent: cannot watch SIGCHLD");
#endif
	/* Windows has no SIGCHLD (nor zombies): fsh_stop and fsh_free look
	 * whether the helper left. */
	f->notify = evtimer_new(base, fsh_notify_cb, f);
	if (f->notify == NULL)
		fatal("libevent: no timer");
	return f;
}

/* Stop the helper and free; wait a moment for it to leave. */
void
fsh_free(struct fsh *f)
{
	int i, left;

	if (f == NULL)
		return;
	if (f->state != FSH_IDLE) {
		/* EOF (or no call taken): the helper drops its jobs and
		 * exits. */
		fsh_close(f);
		fsh_reap_later(f, f->pid);
	}
	for (i = 0; i < 50; i++) {
		fsh_sigchld_cb(SIGCHLD, 0, f);
		for (left = 0; left < FSH_REAP_MAX && f->reap[left] <= 0;
		    left++)
			;
		if (left == FSH_REAP_MAX)
			break;
		usleep(10000);
	}
	for (i = 0; i < FSH_REAP_MAX; i++)
		if (f->reap[i] > 0) {
			kill(f->reap[i], SIGKILL);
			waitpid(f->reap[i], NULL, 0);
		}
	if (f->sigchld != NULL)
		event_free(f->sigchld);
	event_free(f->notify);
	session_fini(&f->session);
	free(f);
}

/* Set whose session the helper serves. */
void
fsh_set_session(struct fsh *f, const struct session *s)
{
	int same;

	if (f == NULL)
		return;
	same = f->session.uid == s->uid;
	session_copy(&f->session, s);
	if (!same)
		fsh_stop(f, FSH_WHY_SESSION);
}

/* Queue a request, starting the helper first when none runs. */
int
fsh_send(struct fsh *f, const Ipc__FsRequest *r)
{
	Ipc__Data d = IPC__DATA__INIT;
	struct fsh_chunk *k;
	uint8_t hdr[CODEC_HDR_MAX];
	size_t body, hl;
	int e;

	if (f == NULL)
		return ERR_UNSUPP;
	d.union_case = IPC__DATA__UNION_FS_REQUEST;
	d.fs_request = (Ipc__FsRequest *)r;
	body = ipc__data__get_packed_size(&d);
	if (body > IPC_FS_FRAME_MAX || (hl = codec_hdr_encode(hdr, body)) == 0)
		return ERR_TOOBIG;
	if (f->state == FSH_IDLE && (e = fsh_spawn(f)) != 0)
		return e;
	/* Bounded while the helper links (the first always fits). */
	if (f->state == FSH_LINKING && f->backlog > 0 &&
	    f->backlog + hl + body > FSH_LINK_MAX)
		return ERR_IO;
	/* Packed straight into the queue: blocks are copied once here. */
	k = fsh_out_room(f, hl + body);
	memcpy(k->p + k->len, hdr, hl);
	ipc__data__pack(&d, k->p + k->len + hl);
	k->len += hl + body;
	f->backlog += hl + body;
	if (f->state == FSH_UP)
		event_add(f->wev, NULL);
	return 0;
}

/* Bytes waiting to go to the helper. */
size_t
fsh_backlog(const struct fsh *f)
{
	return f != NULL ? f->backlog : 0;
}

/* The helper's pid, or 0. */
long
fsh_pid(const struct fsh *f)
{
	return f != NULL ? (long)f->pid : 0;
}
