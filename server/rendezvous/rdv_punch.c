/*
 * rdv_punch.c: punched and LAN connections (PROTOCOL.md §13.3 step 4,
 * §13.4).
 *
 * A direct job connects to hbbs over TCP from a reusable port L, listens on
 * L, punches our NAT towards the client (PunchHole only), tells hbbs our
 * address (PunchHoleSent or LocalAddr) and accepts the client on L. A
 * failure before hbbs is told falls back to a relay (rdv_relay.c).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>
#include <sodium.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/rendezvous/rdv_int.h"

enum direct_step {
	DIRECT_CONNECT,		/* TCP to hbbs from a reusable port L */
	DIRECT_PUNCH,		/* 30 ms connect from L towards the client */
	DIRECT_NOTE,		/* writing PunchHoleSent / LocalAddr */
	DIRECT_ACCEPT,		/* listening on L for the client */
};

/* A punched or LAN connection (§13.3 step 4, §13.4). */
struct rdv_direct {
	struct rdv		*r;		/* borrowed owner */
	struct rdv_direct	*prev, *next;
	enum rdv_push		 kind;		/* PUNCH_HOLE or FETCH_LOCAL */
	enum direct_step	 step;
	int			 fd;		/* to hbbs */
	int			 pfd;		/* punch towards the client */
	int			 lfd;		/* listener on L */
	struct event		*ev;		/* owned; on fd, pfd or lfd */
	uint8_t			 addr[RDV_ADDR_MAX];	/* as hbbs sent it */
	size_t			 addr_len;
	char			*relay;		/* relay hbbs named (owned) */
	struct sockaddr_storage	 local;		/* L */
	socklen_t		 locallen;
	struct sockaddr_storage	 peer;		/* client address */
	socklen_t		 peerlen;
	uint8_t			*note;		/* owned frame for hbbs */
	size_t			 note_len;
	size_t			 off;
	char			 tag[96];
};

static void	punch_cb(evutil_socket_t, short, void *);

/* Frees a direct job and closes its sockets. */
static void
punch_free(struct rdv_direct *d)
{
	struct rdv *r;

	if (d == NULL)
		return;
	r = d->r;
	if (d->ev != NULL)
		event_free(d->ev);
	if (d->fd != -1)
		close(d->fd);
	if (d->pfd != -1)
		close(d->pfd);
	if (d->lfd != -1)
		close(d->lfd);
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		r->directs = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	r->ndirects--;
	free(d->relay);
	free(d->note);
	free(d);
}

/*
 * The direct way failed before hbbs heard from us: answer with a relay
 * instead (upstream's fallback), then free d.
 */
static void
punch_fallback(struct rdv_direct *d, const char *what, int e)
{
	struct rdv *r = d->r;
	ProtobufCBinaryData addr;
	uint8_t copy[RDV_ADDR_MAX];
	enum rdv_push kind = d->kind;
	char *relay = d->relay;

	log_info("rendezvous: %s: %s%s%s; using the relay", d->tag, what,
	    e ? ": " : "", e ? strerror(e) : "");
	memcpy(copy, d->addr, d->addr_len);
	addr.data = copy;
	addr.len = d->addr_len;
	d->relay = NULL;
	punch_free(d);
	(void)rdv_relay_start(r, kind, addr, relay, NULL, 1);
	free(relay);
}

/* A TCP socket with SO_REUSEADDR and SO_REUSEPORT, bound to sa. */
static int
punch_socket(const struct sockaddr *sa, socklen_t len)
{
	int fd, one = 1;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ==
	    -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)
	    == -1 || bind(fd, sa, len) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Points d's event at fd for what, with a timeout in ms (0: none). */
static int
punch_wait(struct rdv_direct *d, int fd, short what, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (d->ev != NULL)
		event_free(d->ev);
	d->ev = event_new(d->r->base, fd, what | EV_PERSIST, punch_cb, d);
	if (d->ev == NULL || event_add(d->ev, ms > 0 ? &tv : NULL) != 0)
		return -1;
	return 0;
}

/* Builds PunchHoleSent or LocalAddr now that L is known. */
static void
punch_build_note(struct rdv_direct *d)
{
	struct rdv *r = d->r;
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__PunchHoleSent ps = HBB__PUNCH_HOLE_SENT__INIT;
	Hbb__LocalAddr la = HBB__LOCAL_ADDR__INIT;
	uint8_t peer[RDV_ADDR_MAX], local[RDV_ADDR_MAX];
	char relay[RDV_HOST_MAX + 16];
	int pn, ln;
	uint32_t tm = randombytes_random();

	rdv_relay_string(r, d->relay, relay, sizeof relay);
	if (d->kind == PUSH_PUNCH_HOLE) {
		ps.socket_addr.data = d->addr;
		ps.socket_addr.len = d->addr_len;
		ps.id = r->id;
		ps.relay_server = relay;
		ps.nat_type = HBB__NAT_TYPE__UNKNOWN_NAT;
		ps.version = r->version;
		m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_SENT;
		m.punch_hole_sent = &ps;
	} else {
		/* The client address decoded and encoded again. */
		pn = rdv_addr_mangle((struct sockaddr *)&d->peer, tm, peer);
		ln = rdv_addr_mangle((struct sockaddr *)&d->local, tm, local);
		la.socket_addr.data = peer;
		la.socket_addr.len = pn > 0 ? (size_t)pn : 0;
		la.local_addr.data = local;
		la.local_addr.len = ln > 0 ? (size_t)ln : 0;
		la.relay_server = relay;
		la.id = r->id;
		la.version = r->version;
		m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_LOCAL_ADDR;
		m.local_addr = &la;
	}
	(void)rdv_pack_msg(&m, 1, &d->note, &d->note_len);
}

/* The note is out: close the hbbs connection and wait for the client. */
static void
punch_accept(struct rdv_direct *d)
{
	char l[80];

	close(d->fd);
	d->fd = -1;
	d->step = DIRECT_ACCEPT;
	rdv_addr_str((struct sockaddr *)&d->local, l, sizeof l);
	log_debug("rendezvous: %s: waiting on %s", d->tag, l);
	if (punch_wait(d, d->lfd, EV_READ, RDV_CONNECT_TIMEOUT_MS) != 0)
		punch_free(d);
}

/* Goes on to write the note to hbbs. */
static void
punch_to_note(struct rdv_direct *d)
{
	d->step = DIRECT_NOTE;
	if (punch_wait(d, d->fd, EV_WRITE, RDV_CONNECT_TIMEOUT_MS) != 0)
		punch_fallback(d, "event", 0);
}

/*
 * DIRECT_CONNECT: hbbs answered (or not). Learn L, build the note, listen
 * on L and, for PunchHole, punch towards the client from L.
 */
static void
punch_connected(struct rdv_direct *d, int fd, short what)
{
	socklen_t sl = sizeof(int);
	int err = 0;

	if (what & EV_TIMEOUT) {
		punch_fallback(d, "hbbs timed out", 0);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
	    err != 0) {
		punch_fallback(d, "cannot reach hbbs", err);
		return;
	}
	d->locallen = sizeof d->local;
	if (getsockname(d->fd, (struct sockaddr *)&d->local,
	    &d->locallen) == -1) {
		punch_fallback(d, "getsockname", errno);
		return;
	}
	punch_build_note(d);
	if (d->note == NULL) {
		punch_fallback(d, "message too big", 0);
		return;
	}
	/* Listen on L before hbbs hears of it: the client may be quick. */
	if ((d->lfd = punch_socket((struct sockaddr *)&d->local,
	    d->locallen)) == -1 || listen(d->lfd, 1) == -1) {
		punch_fallback(d, "cannot listen", errno);
		return;
	}
	if (d->kind == PUSH_PUNCH_HOLE &&
	    (d->pfd = punch_socket((struct sockaddr *)&d->local,
	    d->locallen)) != -1) {
		/* Opens our NAT towards the client; the result does not
		 * matter, and the socket must be gone before the client's
		 * SYN arrives. */
		(void)connect(d->pfd, (struct sockaddr *)&d->peer,
		    d->peerlen);
		d->step = DIRECT_PUNCH;
		if (punch_wait(d, d->pfd, EV_WRITE, 30) != 0)
			punch_fallback(d, "event", 0);
		return;
	}
	punch_to_note(d);
}

/* DIRECT_NOTE: writes PunchHoleSent or LocalAddr to hbbs. */
static void
punch_send_note(struct rdv_direct *d, int fd, short what)
{
	ssize_t n;

	if (what & EV_TIMEOUT) {
		punch_fallback(d, "hbbs timed out", 0);
		return;
	}
	while (d->off < d->note_len) {
		n = send(fd, d->note + d->off, d->note_len - d->off,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			punch_fallback(d, "write to hbbs", errno);
			return;
		}
		d->off += (size_t)n;
	}
	punch_accept(d);
}

/* DIRECT_ACCEPT: the client connected to L (or did not come). */
static void
punch_accepted(struct rdv_direct *d, int fd, short what)
{
	struct rdv *r = d->r;
	struct sockaddr_storage ss;
	socklen_t sl;
	int nfd;

	if (what & EV_TIMEOUT) {
		log_info("rendezvous: %s: the client did not come", d->tag);
		punch_free(d);
		return;
	}
	sl = sizeof ss;
	nfd = accept4(fd, (struct sockaddr *)&ss, &sl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (nfd == -1) {
		if (errno == EAGAIN || errno == EINTR ||
		    errno == ECONNABORTED)
			return;
		log_warn("rendezvous: %s: accept: %s", d->tag,
		    strerror(errno));
		punch_free(d);
		return;
	}
	log_info("rendezvous: %s: client connected", d->tag);
	if (r->cb != NULL)
		r->cb(r->cb_arg, nfd, 1, (struct sockaddr *)&ss, sl);
	else
		close(nfd);
	punch_free(d);
}

/* Drives a direct job: connect, punch, note, accept. */
static void
punch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rdv_direct *d = arg;

	switch (d->step) {
	case DIRECT_CONNECT:
		punch_connected(d, fd, what);
		return;
	case DIRECT_PUNCH:
		close(d->pfd);
		d->pfd = -1;
		punch_to_note(d);
		return;
	case DIRECT_NOTE:
		punch_send_note(d, fd, what);
		return;
	case DIRECT_ACCEPT:
		punch_accepted(d, fd, what);
		return;
	}
}

/*
 * Makes and links a direct job for a push. Returns 0 and *out, or
 * ERR_PROTO for an address that does not decode.
 */
static int
punch_new(struct rdv *r, struct rdv_direct **out, enum rdv_push kind,
    ProtobufCBinaryData addr, const char *named_relay)
{
	struct rdv_direct *d;
	char peer[80];

	*out = NULL;
	d = xcalloc(1, sizeof *d);
	d->r = r;
	d->fd = d->pfd = d->lfd = -1;
	d->kind = kind;
	memcpy(d->addr, addr.data, addr.len);
	d->addr_len = addr.len;
	d->relay = xstrdup(named_relay != NULL ? named_relay : "");
	if (rdv_addr_unmangle(addr.data, addr.len, &d->peer,
	    &d->peerlen) != 0) {
		free(d->relay);
		free(d);
		return ERR_PROTO;
	}
	rdv_addr_str((struct sockaddr *)&d->peer, peer, sizeof peer);
	snprintf(d->tag, sizeof d->tag, "%s for %s", kind == PUSH_PUNCH_HOLE ?
	    "punch" : "LAN", peer);
	d->next = r->directs;
	if (r->directs != NULL)
		r->directs->prev = d;
	r->directs = d;
	r->ndirects++;
	*out = d;
	return 0;
}

/*
 * Answer PunchHole or FetchLocalAddr directly; see rdv_int.h. Tell hbbs
 * our address from a reusable port L, then accept the client on L.
 */
int
rdv_punch_start(struct rdv *r, enum rdv_push kind, ProtobufCBinaryData addr,
    const char *named_relay)
{
	struct rdv_direct *d;
	struct sockaddr_storage any;
	int rv;

	if (r->ndirects >= RDV_JOBS_MAX) {
		if (log_ratelimit_ok(&r->rl, 60, 5))
			log_warn("rendezvous: too many pending punches; "
			    "request dropped");
		return ERR_TOOBIG;
	}
	if ((rv = punch_new(r, &d, kind, addr, named_relay)) != 0)
		return rv;
	log_info("rendezvous: %s requested", d->tag);

	memset(&any, 0, sizeof any);
	any.ss_family = r->srv.ss_family;
	d->step = DIRECT_CONNECT;
	if ((d->fd = punch_socket((struct sockaddr *)&any, r->srvlen)) == -1) {
		punch_fallback(d, "socket", errno);
		return 0;
	}
	if (connect(d->fd, (struct sockaddr *)&r->srv, r->srvlen) == -1 &&
	    errno != EINPROGRESS) {
		punch_fallback(d, "cannot reach hbbs", errno);
		return 0;
	}
	if (punch_wait(d, d->fd, EV_WRITE, RDV_CONNECT_TIMEOUT_MS) != 0)
		punch_fallback(d, "event", 0);
	return 0;
}

/* Free every direct job; see rdv_int.h. */
void
rdv_punch_stop(struct rdv *r)
{
	while (r->directs != NULL)
		punch_free(r->directs);
}
