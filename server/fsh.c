/*
 * fsh.c: the server's side of the file helper (fsh.h): starting it in the
 * desktop session, the socketpair and its frames, reaping it, and noticing
 * when it is gone.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "ipc/ipc.h"
#include "server/fsh.h"
#include "server/session.h"

#define FSH_REAP_MAX	8	/* helpers gone but not yet reaped */
#define FSH_READ_MAX	(1024 * 1024)	/* one read of a frame's rest */

struct fsh {
	struct event_base	*base;		/* borrowed */
	const struct fsh_cb	*cb;		/* borrowed */
	void			*arg;		/* borrowed */
	struct session		 session;	/* whose user it runs as */
	struct bufferevent	*bev;		/* owned: the channel or NULL */
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

/* Take one reply frame; a bad one stops the helper. */
static void
fsh_recv(struct fsh *f, const Ipc__Data *d)
{
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
	if (f->cb->reply != NULL)
		f->cb->reply(d->fs_reply, f->arg);
}

/*
 * Read up to want more bytes of a frame straight from the socket (libevent
 * reads 4 KiB at a time). Returns the bytes read, else 0 (EOF and errors
 * reach fsh_event_cb through libevent).
 */
static size_t
fsh_read_more(struct bufferevent *bev, struct evbuffer *in, size_t want)
{
	struct evbuffer_iovec iov;
	ssize_t got;

	want = want < FSH_READ_MAX ? want : FSH_READ_MAX;
	/* The bufferevent keeps its input's end frozen between reads. */
	evbuffer_unfreeze(in, 0);
	if (evbuffer_reserve_space(in, (ev_ssize_t)want, &iov, 1) < 1) {
		evbuffer_freeze(in, 0);
		return 0;
	}
	got = read(bufferevent_getfd(bev), iov.iov_base, want);
	iov.iov_len = got > 0 ? (size_t)got : 0;
	evbuffer_commit_space(in, &iov, 1);
	evbuffer_freeze(in, 0);
	return got > 0 ? (size_t)got : 0;
}

/* Read every whole frame the helper sent. */
static void
fsh_read_cb(struct bufferevent *bev, void *arg)
{
	struct fsh *f = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	Ipc__Data *d;
	uint8_t *p;
	size_t n, hl, pl;
	int r;

	while (f->bev == bev && (n = evbuffer_get_length(in)) > 0) {
		p = evbuffer_pullup(in, n < CODEC_HDR_MAX ? (ev_ssize_t)n :
		    CODEC_HDR_MAX);
		r = codec_hdr_decode(p, n < CODEC_HDR_MAX ? n : CODEC_HDR_MAX,
		    IPC_FS_FRAME_MAX, &hl, &pl);
		if (r == 0 || (r > 0 && n < hl + pl)) {
			if (fsh_read_more(bev, in, r == 0 ? CODEC_HDR_MAX :
			    hl + pl - n) > 0)
				continue;
			return;
		}
		if (r > 0) {
			p = evbuffer_pullup(in, (ev_ssize_t)(hl + pl));
			r = ipc_decode_max(p, hl + pl, IPC_FS_FRAME_MAX, &d);
		}
		if (r <= 0) {
			log_warn_r(r < 0 ? r : ERR_PROTO,
			    "helper: bad frame");
			fsh_stop(f, "the file helper sent a bad frame");
			return;
		}
		evbuffer_drain(in, (size_t)r);
		fsh_recv(f, d);
		ipc_data_free(d);
	}
}

/* The queue to the helper fell below FSH_LOW. */
static void
fsh_write_cb(struct bufferevent *bev, void *arg)
{
	struct fsh *f = arg;

	(void)bev;
	if (f->cb->drained != NULL)
		f->cb->drained(f->arg);
}

/* EOF or an error on the channel: the helper is gone. */
static void
fsh_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		fsh_stop(arg, "the file helper exited");
}

/* Drop the channel and the process; the owner hears why, later. */
static void
fsh_stop(struct fsh *f, const char *why)
{
	struct timeval zero = { 0, 0 };

	if (f->bev == NULL)
		return;
	log_warn("helper: pid %ld: %s", (long)f->pid, why);
	bufferevent_free(f->bev);
	f->bev = NULL;
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

/* Path of this executable (caller frees). */
static char *
fsh_self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n;

	if ((n = readlink("/proc/self/exe", buf, sizeof buf - 1)) <= 0)
		return xstrdup("cdesk");
	buf[n] = '\0';
	return xstrdup(buf);
}

/* Start a helper in the session with one end of a new socketpair. */
static int
fsh_spawn(struct fsh *f)
{
	char *argv[4] = { NULL, (char *)"--helper", NULL, NULL };
	int sv[2], r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warn("helper: socketpair: %s", strerror(errno));
		return ERR_IO;
	}
	argv[0] = fsh_self_exe();
	if (log_get_level() >= LOG_DEBUG)
		argv[2] = (char *)"-v";
	r = session_spawn_fd(&f->session, "helper", argv, NULL, sv[1], &pid);
	free(argv[0]);
	close(sv[1]);
	if (r != 0) {
		close(sv[0]);
		return r;
	}
	evutil_make_socket_nonblocking(sv[0]);
	f->bev = bufferevent_socket_new(f->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	if (f->bev == NULL) {
		close(sv[0]);
		kill(pid, SIGKILL);
		fsh_reap_later(f, pid);
		return ERR_IO;
	}
	f->pid = pid;
	f->hello = 0;
	bufferevent_setcb(f->bev, fsh_read_cb, fsh_write_cb, fsh_event_cb, f);
	bufferevent_setwatermark(f->bev, EV_READ, 0,
	    IPC_FS_FRAME_MAX + CODEC_HDR_MAX);
	bufferevent_setwatermark(f->bev, EV_WRITE, FSH_LOW, 0);
	bufferevent_enable(f->bev, EV_READ | EV_WRITE);
	return 0;
}

/* A manager with no helper yet. */
struct fsh *
fsh_new(struct event_base *base, const struct fsh_cb *cb, void *arg)
{
	struct fsh *f = xcalloc(1, sizeof *f);

	f->base = base;
	f->cb = cb;
	f->arg = arg;
	session_init(&f->session);
	f->sigchld = evsignal_new(base, SIGCHLD, fsh_sigchld_cb, f);
	f->notify = evtimer_new(base, fsh_notify_cb, f);
	if (f->sigchld == NULL || f->notify == NULL ||
	    event_add(f->sigchld, NULL) != 0)
		fatal("libevent: cannot watch SIGCHLD");
	return f;
}

/* Stop the helper and free; wait a moment for it to leave. */
void
fsh_free(struct fsh *f)
{
	int i, left;

	if (f == NULL)
		return;
	if (f->bev != NULL) {
		/* EOF: the helper drops its jobs and exits. */
		bufferevent_free(f->bev);
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
		fsh_stop(f, "the desktop session changed");
}

/* Queue a request, starting the helper first when none runs. */
int
fsh_send(struct fsh *f, const Ipc__FsRequest *r)
{
	Ipc__Data d = IPC__DATA__INIT;
	struct evbuffer_iovec iov;
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
	if (f->bev == NULL && (e = fsh_spawn(f)) != 0)
		return e;
	/* Packed straight into the output: blocks are copied once here. */
	if (evbuffer_reserve_space(bufferevent_get_output(f->bev),
	    (ev_ssize_t)(hl + body), &iov, 1) < 1)
		return ERR_NOMEM;
	memcpy(iov.iov_base, hdr, hl);
	ipc__data__pack(&d, (uint8_t *)iov.iov_base + hl);
	iov.iov_len = hl + body;
	evbuffer_commit_space(bufferevent_get_output(f->bev), &iov, 1);
	return 0;
}

/* Bytes waiting to go to the helper. */
size_t
fsh_backlog(const struct fsh *f)
{
	return f != NULL && f->bev != NULL ?
	    evbuffer_get_length(bufferevent_get_output(f->bev)) : 0;
}

/* The helper's pid, or 0. */
long
fsh_pid(const struct fsh *f)
{
	return f != NULL ? (long)f->pid : 0;
}
