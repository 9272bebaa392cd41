/*
 * ipc_event.c: libevent adapter for the IPC server: the listener, one
 * bufferevent per peer, the Hello exchange, the uid check and deferred
 * teardown (tmux server_client_lost, STYLE.md §7).
 */
#include <sys/queue.h>

#include <errno.h>
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
#include "ipc/ipc_event.h"

struct ipc_peer {
	struct ipc_server	*srv;		/* borrowed */
	struct bufferevent	*bev;		/* owned */
	long			 uid;
	long			 pid;
	char			 role[16];
	int			 hello;		/* Hello seen */
	int			 dead;
	int			 flush_close;	/* close once output drains */
	TAILQ_ENTRY(ipc_peer)	 entry;
};

struct ipc_server {
	struct event_base	*base;		/* borrowed */
	const struct ipc_server_cb *cb;		/* borrowed */
	void			*arg;		/* borrowed */
	char			*path;		/* owned */
	intptr_t		 lfd;
	struct event		*lev;		/* owned */
	struct event		*retry;		/* owned: EMFILE pause */
	long			 session_uid;
	struct log_ratelimit	 rl;
	TAILQ_HEAD(, ipc_peer)	 peers;
};

static void	ipc_peer_read_cb(struct bufferevent *, void *);
static void	ipc_peer_write_cb(struct bufferevent *, void *);
static void	ipc_peer_event_cb(struct bufferevent *, short, void *);

/* Free a peer's memory (runs from the loop after ipc_peer_close). */
static void
ipc_peer_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_peer *p = arg;

	(void)fd;
	(void)what;
	free(p);
}

/* Tear a peer down now and free it from the loop later. */
void
ipc_peer_close(struct ipc_peer *p)
{
	struct ipc_server *s = p->srv;
	int attached = p->hello;

	if (p->dead)
		return;
	p->dead = 1;
	TAILQ_REMOVE(&s->peers, p, entry);
	bufferevent_free(p->bev);
	p->bev = NULL;
	if (attached && s->cb->lost != NULL)
		s->cb->lost(p, s->arg);
	/* Callbacks up the stack may still hold p: free it later. */
	if (event_base_once(s->base, -1, EV_TIMEOUT, ipc_peer_free_cb, p,
	    NULL) != 0)
		fatal("event_base_once failed");
}

/* Queue one message for a peer. */
int
ipc_peer_send(struct ipc_peer *p, const Ipc__Data *d)
{
	uint8_t *frame;
	size_t len;
	int r;

	if (p->dead || p->flush_close)
		return ERR_STATE;
	if ((r = ipc_pack(d, &frame, &len)) != 0)
		return r;
	r = bufferevent_write(p->bev, frame, len);
	free(frame);
	if (r != 0)
		return ERR_NOMEM;
	if (evbuffer_get_length(bufferevent_get_output(p->bev)) >
	    IPC_OUTQ_MAX) {
		log_warn("ipc peer pid %ld: output stuck, dropping", p->pid);
		ipc_peer_close(p);
		return ERR_TOOBIG;
	}
	return 0;
}

/* Answer a Hello; a version mismatch closes once the answer is out. */
static void
ipc_peer_hello(struct ipc_peer *p, const Ipc__Data *d)
{
	Ipc__Data out = IPC__DATA__INIT;
	Ipc__Hello hello = IPC__HELLO__INIT;

	hello.version = IPC_VERSION;
	hello.role = (char *)"server";
	out.union_case = IPC__DATA__UNION_HELLO;
	out.hello = &hello;
	if (ipc_peer_send(p, &out) != 0)
		return;
	if (d->hello->version != IPC_VERSION) {
		log_warn("ipc peer pid %ld: version %u, want %u", p->pid,
		    d->hello->version, IPC_VERSION);
		p->flush_close = 1;
		bufferevent_disable(p->bev, EV_READ);
		return;
	}
	snprintf(p->role, sizeof p->role, "%s",
	    d->hello->role != NULL ? d->hello->role : "");
	p->hello = 1;
	log_debug("ipc peer pid %ld uid %ld: attached as '%s'", p->pid,
	    p->uid, p->role);
	if (p->srv->cb->attach != NULL)
		p->srv->cb->attach(p, p->srv->arg);
}

/* Decode every complete frame in the input and dispatch it. */
static void
ipc_peer_read_cb(struct bufferevent *bev, void *arg)
{
	struct ipc_peer *p = arg;
	struct ipc_server *s = p->srv;
	struct evbuffer *in = bufferevent_get_input(bev);
	Ipc__Data *d;
	size_t n;
	int r;

	while (!p->dead && !p->flush_close &&
	    (n = evbuffer_get_length(in)) > 0) {
		r = ipc_decode(evbuffer_pullup(in, -1), n, &d);
		if (r == 0)
			break;
		if (r < 0) {
			log_warn_r(r, "ipc peer pid %ld: bad frame", p->pid);
			ipc_peer_close(p);
			return;
		}
		evbuffer_drain(in, (size_t)r);
		if (!p->hello) {
			if (d->union_case != IPC__DATA__UNION_HELLO) {
				log_warn("ipc peer pid %ld: %s before hello",
				    p->pid, ipc_data_name(d->union_case));
				ipc_data_free(d);
				ipc_peer_close(p);
				return;
			}
			ipc_peer_hello(p, d);
		} else if (d->union_case == IPC__DATA__UNION_HELLO) {
			log_warn("ipc peer pid %ld: second hello", p->pid);
			ipc_data_free(d);
			ipc_peer_close(p);
			return;
		} else if (s->cb->recv != NULL)
			s->cb->recv(p, d, s->arg);
		/* recv may have closed p (then freed later) or not. */
		ipc_data_free(d);
	}
}

/* Output drained: finish a close that waited for it. */
static void
ipc_peer_write_cb(struct bufferevent *bev, void *arg)
{
	struct ipc_peer *p = arg;

	/* Deferred callbacks may run for an earlier drain: look first. */
	if (p->flush_close &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		ipc_peer_close(p);
}

/* EOF or an error on the socket. */
static void
ipc_peer_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ipc_peer *p = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		ipc_peer_close(p);
}

/* Resume accepting after an EMFILE pause. */
static void
ipc_server_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_server *s = arg;

	(void)fd;
	(void)what;
	event_add(s->lev, NULL);
}

/* Accept every pending client, dropping those the uid rule refuses. */
static void
ipc_server_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_server *s = arg;
	struct timeval tv = { 1, 0 };
	struct ipc_cred cred;
	struct ipc_peer *p;
	intptr_t h;
	int r;

	(void)fd;
	(void)what;
	for (;;) {
		r = ipc_transport_native.accept(s->lfd, &h, &cred);
		if (r == ERR_TIMEOUT)
			return;
		if (r != 0) {
			/* Out of descriptors: stop for a second (tmux). */
			log_warn("ipc accept: %s", strerror(errno));
			event_del(s->lev);
			evtimer_add(s->retry, &tv);
			return;
		}
		if (!ipc_peer_allowed(cred.uid, (long)geteuid(),
		    s->session_uid)) {
			if (log_ratelimit_ok(&s->rl, 5, 3))
				log_warn("ipc: refused pid %ld uid %ld",
				    cred.pid, cred.uid);
			ipc_transport_native.close(h, NULL);
			continue;
		}
		p = xcalloc(1, sizeof *p);
		p->srv = s;
		p->uid = cred.uid;
		p->pid = cred.pid;
		p->bev = bufferevent_socket_new(s->base, (evutil_socket_t)h,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (p->bev == NULL) {
			ipc_transport_native.close(h, NULL);
			free(p);
			continue;
		}
		/* Stop reading while one oversized frame would sit there. */
		bufferevent_setwatermark(p->bev, EV_READ, 0,
		    IPC_FRAME_MAX + CODEC_HDR_MAX);
		bufferevent_setcb(p->bev, ipc_peer_read_cb, ipc_peer_write_cb,
		    ipc_peer_event_cb, p);
		bufferevent_enable(p->bev, EV_READ | EV_WRITE);
		TAILQ_INSERT_TAIL(&s->peers, p, entry);
	}
}

/* Create the listener. */
int
ipc_server_new(struct ipc_server **out, struct event_base *base,
    const char *dir, const struct ipc_server_cb *cb, void *arg, char **cause)
{
	struct ipc_server *s;
	int r;

	*out = NULL;
	*cause = NULL;
	s = xcalloc(1, sizeof *s);
	s->base = base;
	s->cb = cb;
	s->arg = arg;
	s->lfd = -1;
	s->session_uid = IPC_UID_NONE;
	TAILQ_INIT(&s->peers);
	if ((s->path = ipc_socket_path(dir)) == NULL) {
		xasprintf(cause, "%s: folder name too long for a socket", dir);
		free(s);
		return ERR_INVAL;
	}
	if ((r = ipc_transport_native.listen(s->path, &s->lfd, cause)) != 0) {
		free(s->path);
		free(s);
		return r;
	}
	s->lev = event_new(base,
	    (evutil_socket_t)ipc_transport_native.watch(s->lfd),
	    EV_READ | EV_PERSIST, ipc_server_accept_cb, s);
	s->retry = evtimer_new(base, ipc_server_retry_cb, s);
	if (s->lev == NULL || s->retry == NULL || event_add(s->lev, NULL)) {
		xasprintf(cause, "libevent: cannot watch the IPC socket");
		ipc_server_free(s);
		return ERR_NOMEM;
	}
	*out = s;
	return 0;
}

/* Close everything without calling back. */
void
ipc_server_free(struct ipc_server *s)
{
	struct ipc_peer *p;

	if (s == NULL)
		return;
	while ((p = TAILQ_FIRST(&s->peers)) != NULL) {
		TAILQ_REMOVE(&s->peers, p, entry);
		bufferevent_free(p->bev);
		free(p);
	}
	if (s->lev != NULL)
		event_free(s->lev);
	if (s->retry != NULL)
		event_free(s->retry);
	if (s->lfd != -1)
		ipc_transport_native.close(s->lfd, s->path);
	free(s->path);
	free(s);
}

/* Set the shared session's uid for the accept check. */
void
ipc_server_set_session_uid(struct ipc_server *s, long uid)
{
	struct ipc_peer *p, *next;

	s->session_uid = uid;
	/* A peer let in as the old session's user is trusted no more. */
	for (p = TAILQ_FIRST(&s->peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (ipc_peer_allowed(p->uid, (long)geteuid(), uid))
			continue;
		log_info("ipc: dropping pid %ld uid %ld: not the shared "
		    "session's user any more", p->pid, p->uid);
		ipc_peer_close(p);
	}
}

/* Count attached peers of a role. */
int
ipc_server_count(const struct ipc_server *s, const char *role)
{
	const struct ipc_peer *p;
	int n = 0;

	TAILQ_FOREACH(p, &s->peers, entry)
		if (p->hello && (role == NULL || strcmp(p->role, role) == 0))
			n++;
	return n;
}

/* Send to every attached peer of a role. */
void
ipc_server_broadcast(struct ipc_server *s, const char *role,
    const Ipc__Data *d)
{
	struct ipc_peer *p, *next;

	/* A send may close (unlink) p; walk with a saved next. */
	for (p = TAILQ_FIRST(&s->peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (p->hello && (role == NULL || strcmp(p->role, role) == 0))
			ipc_peer_send(p, d);
	}
}

/* Accessors. */
long
ipc_peer_uid(const struct ipc_peer *p)
{
	return p->uid;
}

/* The peer's process id from SO_PEERCRED. */
long
ipc_peer_pid(const struct ipc_peer *p)
{
	return p->pid;
}

/* The role the peer named in its Hello. */
const char *
ipc_peer_role(const struct ipc_peer *p)
{
	return p->role;
}
