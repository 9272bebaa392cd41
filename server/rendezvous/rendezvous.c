/*
 * rendezvous.c: registration with hbbs over UDP (PROTOCOL.md §13.2) and
 * relayed peer streams through hbbr (§13.3-§13.5).
 *
 * One connected UDP socket carries the registration and receives hbbs's
 * pushes; a timer drives the state machine. Each push that asks for the
 * host becomes a job: a short TCP connection to hbbs carrying
 * RelayResponse, then a TCP connection to hbbr carrying RequestRelay, whose
 * socket is handed to the connection layer. Punched and LAN connections
 * are answered with a relay too (the client accepts a relay for every
 * request; see the report in the header comment of rdv_push).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <sodium.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "rendezvous.pb-c.h"
#include "server/rendezvous/rdv_addr.h"
#include "server/rendezvous/rendezvous.h"

#define RDV_CONNECT_TIMEOUT_MS	18000	/* CONNECT_TIMEOUT */
#define RDV_DEDUP_MS		100	/* repeats of one push ignored */
#define RDV_RESOLVE_MIN_MS	60000	/* re-resolve at most this often */
#define RDV_RESOLVE_MISSES	4	/* misses before re-resolving */
#define RDV_SLOW_MISSES		2	/* misses before "connecting" */
#define RDV_NOT_DEPLOYED_MS	30000
#define RDV_JOBS_MAX		32	/* concurrent relay jobs */
#define RDV_DGRAM_MAX		2048	/* largest datagram we read */
#define RDV_UUID_MAX		128	/* longest relay uuid we accept */

enum rdv_push {
	PUSH_PUNCH_HOLE = 1,
	PUSH_FETCH_LOCAL,
	PUSH_REQUEST_RELAY,
};

enum job_step {
	JOB_HBBS,		/* writing RelayResponse to hbbs */
	JOB_RESOLVE,		/* resolving the relay */
	JOB_RELAY,		/* writing RequestRelay to hbbr */
};

struct rdv_job {
	struct rdv		*r;		/* borrowed owner */
	struct rdv_job		*prev, *next;
	enum job_step		 step;
	int			 fd;
	struct event		*ev;		/* owned; write readiness */
	uint8_t			*note;		/* owned frame for hbbs */
	size_t			 note_len;
	uint8_t			*req;		/* owned frame for hbbr */
	size_t			 req_len;
	size_t			 off;		/* bytes of the frame written */
	char			 relay_host[RDV_HOST_MAX];
	int			 relay_port;
	struct evdns_getaddrinfo_request *dns_req;
	int			 resolving;
	struct sockaddr_storage	 peer;		/* client address */
	socklen_t		 peerlen;
	int			 secure;
	char			 tag[128];	/* for log lines */
};

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

struct rdv {
	struct event_base	*base;		/* borrowed */
	struct evdns_base	*dns;		/* owned if own_dns */
	int			 own_dns;
	rdv_stream_cb		*cb;
	void			*cb_arg;

	char			 host[RDV_HOST_MAX];	/* hbbs */
	int			 port;
	char			*relay;		/* relay-server option or NULL */
	char			*key;		/* licence key sent to hbbr */
	char			*id;
	uint8_t			*uuid;
	size_t			 uuid_len;
	uint8_t			 pk[32];
	char			*version;
	int			 tick_ms, interval_ms, timeout_ms;

	int			 fd;		/* UDP, connected to hbbs */
	struct event		*ev_udp;
	struct event		*ev_tick;
	struct sockaddr_storage	 srv;
	socklen_t		 srvlen;
	int			 have_srv;
	struct evdns_getaddrinfo_request *dns_req;
	int			 resolving;
	int			 resolve_fails;
	uint64_t		 next_resolve;
	uint64_t		 last_resolve;

	int			 key_confirmed;
	int			 outstanding;	/* a request awaits its answer */
	uint64_t		 sent_at;
	uint64_t		 next_send;
	int			 misses;

	enum rdv_state		 state;
	char			 text[320];

	int			 last_kind;	/* dedup of pushes */
	uint8_t			 last_addr[RDV_ADDR_MAX];
	size_t			 last_addr_len;
	uint64_t		 last_at;

	struct rdv_job		*jobs;
	int			 njobs;
	struct rdv_direct	*directs;
	int			 ndirects;
	struct log_ratelimit	 rl;
};

static void	rdv_tick_cb(evutil_socket_t, short, void *);
static void	job_free(struct rdv_job *);
static void	job_resolve(struct rdv_job *);
static int	start_relay(struct rdv *, enum rdv_push, ProtobufCBinaryData,
		    const char *, const char *, int);
static void	direct_free(struct rdv_direct *);

/* Milliseconds on the monotonic clock. */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Changes the registration state; logs it when it changes. */
static void
set_state(struct rdv *r, enum rdv_state st, const char *text)
{
	if (r->state == st && strcmp(r->text, text) == 0)
		return;
	r->state = st;
	snprintf(r->text, sizeof r->text, "%s", text);
	if (st == RDV_ERROR)
		log_error("rendezvous: %s", text);
	else
		log_info("rendezvous: %s (%s:%d, ID %s)", text, r->host,
		    r->port, r->id);
}

/* Sets RDV_ERROR with a formatted reason. */
static void __attribute__((format(printf, 2, 3)))
set_error(struct rdv *r, const char *fmt, ...)
{
	char msg[300], text[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(text, sizeof text, "error: %s", msg);
	set_state(r, RDV_ERROR, text);
}

/* Packs m into a new buffer, optionally framed for TCP; caller frees. */
static int
pack_msg(const Hbb__RendezvousMessage *m, int framed, uint8_t **out,
    size_t *outlen)
{
	uint8_t hdr[CODEC_HDR_MAX];
	size_t n, h = 0;

	*out = NULL;
	*outlen = 0;
	n = hbb__rendezvous_message__get_packed_size(m);
	if (framed && (h = codec_hdr_encode(hdr, n)) == 0)
		return ERR_TOOBIG;
	*out = xmalloc(h + n + 1);
	memcpy(*out, hdr, h);
	hbb__rendezvous_message__pack(m, *out + h);
	*outlen = h + n;
	return 0;
}

/* Sends RegisterPk or RegisterPeer, whichever is due. */
static void
send_register(struct rdv *r)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RegisterPk pk = HBB__REGISTER_PK__INIT;
	Hbb__RegisterPeer rp = HBB__REGISTER_PEER__INIT;
	uint8_t *buf;
	size_t len;
	uint64_t now = now_ms();

	if (!r->have_srv || r->fd == -1)
		return;
	if (!r->key_confirmed) {
		pk.id = r->id;
		pk.uuid.data = r->uuid;
		pk.uuid.len = r->uuid_len;
		pk.pk.data = r->pk;
		pk.pk.len = sizeof r->pk;
		m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK;
		m.register_pk = &pk;
	} else {
		rp.id = r->id;
		rp.serial = RDV_SERIAL;
		m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PEER;
		m.register_peer = &rp;
	}
	if (pack_msg(&m, 0, &buf, &len) != 0)
		return;
	if (send(r->fd, buf, len, 0) == -1)
		log_debug("rendezvous: send to %s:%d: %s", r->host, r->port,
		    strerror(errno));
	else
		log_debug("rendezvous: sent %s", r->key_confirmed ?
		    "RegisterPeer" : "RegisterPk");
	free(buf);
	/* A failed send counts as a miss when the timeout expires. */
	r->outstanding = 1;
	r->sent_at = now;
}

/* Closes the UDP socket (before a rebind or at teardown). */
static void
udp_close(struct rdv *r)
{
	if (r->ev_udp != NULL) {
		event_free(r->ev_udp);
		r->ev_udp = NULL;
	}
	if (r->fd != -1) {
		close(r->fd);
		r->fd = -1;
	}
	r->outstanding = 0;
}

/* Reads every waiting datagram from hbbs. */
static void
rdv_udp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rdv *r = arg;
	uint8_t buf[RDV_DGRAM_MAX];
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < 64; i++) {
		n = recv(fd, buf, sizeof buf, MSG_TRUNC);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_debug("rendezvous: recv: %s",
				    strerror(errno));
			if (errno == EINTR)
				continue;
			return;
		}
		if ((size_t)n > sizeof buf) {
			if (log_ratelimit_ok(&r->rl, 60, 5))
				log_warn("rendezvous: oversized datagram "
				    "(%zd bytes) dropped", n);
			continue;
		}
		(void)rdv_udp_input(r, buf, (size_t)n);
		/* The socket may have been rebound by a handler. */
		if (r->fd != fd)
			return;
	}
}

/* Opens the UDP socket towards the resolved server. */
static int
udp_open(struct rdv *r)
{
	int fd;

	fd = socket(r->srv.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return ERR_IO;
	/* Connected: the kernel drops datagrams from anyone but hbbs. */
	if (connect(fd, (struct sockaddr *)&r->srv, r->srvlen) == -1) {
		close(fd);
		return ERR_IO;
	}
	r->fd = fd;
	r->ev_udp = event_new(r->base, fd, EV_READ | EV_PERSIST, rdv_udp_cb,
	    r);
	if (r->ev_udp == NULL || event_add(r->ev_udp, NULL) != 0) {
		udp_close(r);
		return ERR_IO;
	}
	return 0;
}

/* The server name resolved (or failed); open the socket and register. */
static void
rdv_resolved_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct rdv *r = arg;
	struct evutil_addrinfo *ai, *pick = NULL;
	uint64_t now;
	int r2, back;

	if (result == EVUTIL_EAI_CANCEL)
		return;		/* rdv_free is running */
	r->resolving = 0;
	r->dns_req = NULL;
	now = now_ms();
	r->last_resolve = now;
	if (result != 0 || res == NULL) {
		r->resolve_fails++;
		back = r->resolve_fails < 6 ? 1000 << r->resolve_fails :
		    RDV_RESOLVE_MIN_MS;
		r->next_resolve = now + (uint64_t)back;
		set_error(r, "cannot resolve %s: %s", r->host,
		    evutil_gai_strerror(result));
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	/* Prefer IPv4, as upstream's registration socket does. */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			pick = ai;
			break;
		}
		if (pick == NULL && ai->ai_family == AF_INET6)
			pick = ai;
	}
	if (pick == NULL || pick->ai_addrlen > sizeof r->srv) {
		evutil_freeaddrinfo(res);
		r->next_resolve = now + RDV_RESOLVE_MIN_MS;
		set_error(r, "no usable address for %s", r->host);
		return;
	}
	r->resolve_fails = 0;
	memcpy(&r->srv, pick->ai_addr, pick->ai_addrlen);
	r->srvlen = (socklen_t)pick->ai_addrlen;
	evutil_freeaddrinfo(res);
	udp_close(r);
	if ((r2 = udp_open(r)) != 0) {
		r->next_resolve = now + 5000;
		set_error(r, "cannot open a UDP socket to %s: %s", r->host,
		    strerror(errno));
		return;
	}
	r->have_srv = 1;
	r->misses = 0;
	send_register(r);
}

/* Starts a (non-blocking) lookup of the server name. */
static void
start_resolve(struct rdv *r)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	char port[16];

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	snprintf(port, sizeof port, "%d", r->port);
	r->resolving = 1;
	/* The callback may run before evdns_getaddrinfo returns (numeric
	 * hosts); keep the handle only while the lookup is pending. */
	req = evdns_getaddrinfo(r->dns, r->host, port, &hints,
	    rdv_resolved_cb, r);
	if (r->resolving)
		r->dns_req = req;
}

/* The 1 s tick: resolve, detect lost answers, send what is due. */
static void
rdv_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rdv *r = arg;
	uint64_t now = now_ms();
	uint64_t wait;

	(void)fd;
	(void)what;
	if (!r->have_srv) {
		if (!r->resolving && now >= r->next_resolve)
			start_resolve(r);
		return;
	}
	if (r->outstanding &&
	    now - r->sent_at >= (uint64_t)r->timeout_ms) {
		r->outstanding = 0;
		r->misses++;
		log_debug("rendezvous: no answer from %s:%d (%d)", r->host,
		    r->port, r->misses);
		if (r->misses >= RDV_SLOW_MISSES && r->state != RDV_ERROR)
			set_state(r, RDV_CONNECTING, "connecting");
		/* Back off, but never wait longer than one cycle. */
		wait = (uint64_t)r->timeout_ms * (uint64_t)(r->misses - 1);
		if (wait > (uint64_t)(r->interval_ms - r->timeout_ms))
			wait = (uint64_t)(r->interval_ms - r->timeout_ms);
		r->next_send = now + wait;
		if (r->misses >= RDV_RESOLVE_MISSES &&
		    now - r->last_resolve >= RDV_RESOLVE_MIN_MS) {
			/* The server may have moved: look it up again and
			 * rebind the socket. */
			udp_close(r);
			r->have_srv = 0;
			start_resolve(r);
			return;
		}
	}
	if (!r->outstanding && now >= r->next_send)
		send_register(r);
}

/* A registration answer arrived: reset the miss counter. */
static void
answered(struct rdv *r, uint64_t next)
{
	uint64_t now = now_ms();

	r->outstanding = 0;
	r->misses = 0;
	r->next_send = now + next;
}

/* Handles RegisterPkResponse (§13.2). */
static void
recv_register_pk_response(struct rdv *r, const Hbb__RegisterPkResponse *m)
{
	uint64_t next = (uint64_t)r->interval_ms;

	switch (m->result) {
	case HBB__REGISTER_PK_RESPONSE__RESULT__OK:
		r->key_confirmed = 1;
		set_state(r, RDV_REGISTERED, "registered");
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__UUID_MISMATCH:
		/* Upstream takes a new random ID here; we keep the ID the
		 * admin chose and say so instead. */
		set_error(r, "ID %s is registered to another machine at %s "
		    "(UUID_MISMATCH); choose another ID", r->id, r->host);
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__ID_EXISTS:
		set_error(r, "ID %s is already in use at %s (ID_EXISTS); "
		    "choose another ID", r->id, r->host);
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__TOO_FREQUENT:
		log_warn("rendezvous: %s says registering too often "
		    "(TOO_FREQUENT); waiting one cycle", r->host);
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__INVALID_ID_FORMAT:
		set_error(r, "%s refuses ID %s (INVALID_ID_FORMAT)", r->host,
		    r->id);
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__NOT_SUPPORT:
		set_error(r, "%s does not support key registration "
		    "(NOT_SUPPORT)", r->host);
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__SERVER_ERROR:
		set_error(r, "%s reports a server error (SERVER_ERROR)",
		    r->host);
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__NOT_DEPLOYED:
		set_error(r, "this device must be deployed at %s first "
		    "(NOT_DEPLOYED)", r->host);
		next = RDV_NOT_DEPLOYED_MS;
		break;
	default:
		set_error(r, "%s refused the key (result %d)", r->host,
		    (int)m->result);
		break;
	}
	answered(r, next);
}

/* Handles RegisterPeerResponse: request_pk means "send RegisterPk now". */
static void
recv_register_peer_response(struct rdv *r,
    const Hbb__RegisterPeerResponse *m)
{
	answered(r, (uint64_t)r->interval_ms);
	if (m->request_pk) {
		log_debug("rendezvous: %s asks for our key", r->host);
		r->key_confirmed = 0;
		send_register(r);
		return;
	}
	if (r->key_confirmed)
		set_state(r, RDV_REGISTERED, "registered");
}

/* Frees a job, closing its socket unless it was handed over. */
static void
job_free(struct rdv_job *j)
{
	struct rdv *r;

	if (j == NULL)
		return;
	r = j->r;
	if (j->resolving && j->dns_req != NULL)
		evdns_getaddrinfo_cancel(j->dns_req);
	if (j->ev != NULL)
		event_free(j->ev);
	if (j->fd != -1)
		close(j->fd);
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		r->jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	r->njobs--;
	free(j->note);
	free(j->req);
	free(j);
}

/* Logs why a job failed and frees it. */
static void
job_fail(struct rdv_job *j, const char *what, int e)
{
	log_warn("rendezvous: relay %s: %s%s%s", j->tag, what,
	    e ? ": " : "", e ? strerror(e) : "");
	job_free(j);
}

/* Writable socket: finish the connect, write the frame, move on. */
static void
job_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rdv_job *j = arg;
	struct rdv *r = j->r;
	const uint8_t *p = j->step == JOB_HBBS ? j->note : j->req;
	size_t len = j->step == JOB_HBBS ? j->note_len : j->req_len;
	socklen_t sl = sizeof(int);
	int err = 0, nfd;
	ssize_t n;

	if (what & EV_TIMEOUT) {
		job_fail(j, j->step == JOB_HBBS ? "hbbs timed out" :
		    "hbbr timed out", 0);
		return;
	}
	if (j->off == 0 && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
	    &sl) == -1 || err != 0)) {
		job_fail(j, j->step == JOB_HBBS ? "cannot reach hbbs" :
		    "cannot reach hbbr", err ? err : errno);
		return;
	}
	while (j->off < len) {
		n = send(fd, p + j->off, len - j->off, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			job_fail(j, "write", errno);
			return;
		}
		j->off += (size_t)n;
	}
	event_free(j->ev);
	j->ev = NULL;
	if (j->step == JOB_HBBS) {
		/* hbbs reads one message per connection and closes it. */
		close(j->fd);
		j->fd = -1;
		j->off = 0;
		job_resolve(j);
		return;
	}
	/* The stream is ready: hbbr pairs it with the client's. */
	nfd = j->fd;
	j->fd = -1;
	log_info("rendezvous: relay %s: connected to %s:%d", j->tag,
	    j->relay_host, j->relay_port);
	if (r->cb != NULL)
		r->cb(r->cb_arg, nfd, j->secure, (struct sockaddr *)&j->peer,
		    j->peerlen);
	else
		close(nfd);
	job_free(j);
}

/* Starts a non-blocking TCP connect to sa; the job waits for writability. */
static int
job_connect(struct rdv_job *j, const struct sockaddr *sa, socklen_t len)
{
	struct timeval tv = { RDV_CONNECT_TIMEOUT_MS / 1000, 0 };
	int fd, one = 1;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return errno;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, sa, len) == -1 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return e;
	}
	j->fd = fd;
	j->off = 0;
	j->ev = event_new(j->r->base, fd, EV_WRITE | EV_PERSIST, job_io_cb,
	    j);
	if (j->ev == NULL || event_add(j->ev, &tv) != 0) {
		if (j->ev != NULL)
			event_free(j->ev);
		j->ev = NULL;
		close(fd);
		j->fd = -1;
		return EIO;
	}
	return 0;
}

/* The relay name resolved: connect to it. */
static void
job_resolved_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct rdv_job *j = arg;
	struct evutil_addrinfo *ai;
	int e = 0;

	if (result == EVUTIL_EAI_CANCEL)
		return;		/* job_free is running */
	j->resolving = 0;
	j->dns_req = NULL;
	if (result != 0 || res == NULL) {
		log_warn("rendezvous: relay %s: cannot resolve %s: %s",
		    j->tag, j->relay_host, evutil_gai_strerror(result));
		if (res != NULL)
			evutil_freeaddrinfo(res);
		job_free(j);
		return;
	}
	j->step = JOB_RELAY;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if ((e = job_connect(j, ai->ai_addr,
		    (socklen_t)ai->ai_addrlen)) == 0)
			break;
	}
	evutil_freeaddrinfo(res);
	if (j->ev == NULL)
		job_fail(j, "cannot connect to hbbr", e);
}

/* Looks up the relay server of a job. */
static void
job_resolve(struct rdv_job *j)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	char port[16];

	j->step = JOB_RESOLVE;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(port, sizeof port, "%d", j->relay_port);
	j->resolving = 1;
	req = evdns_getaddrinfo(j->r->dns, j->relay_host, port, &hints,
	    job_resolved_cb, j);
	/* If the callback already ran it may have freed j: only a pending
	 * lookup returns non-NULL, and then j is still alive. */
	if (req != NULL)
		j->dns_req = req;
}

/* Random UUID v4 text, as upstream's host-initiated relay uses. */
static void
make_uuid(char out[37])
{
	uint8_t b[16];

	randombytes_buf(b, sizeof b);
	b[6] = (uint8_t)((b[6] & 0x0F) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Picks the relay: option, else what hbbs named, else hbbs port + 1. */
static int
pick_relay(struct rdv *r, const char *named, char host[RDV_HOST_MAX],
    int *port)
{
	if (r->relay != NULL && *r->relay != '\0')
		return rdv_addr_split(r->relay, RDV_RELAY_PORT, host, port);
	if (named != NULL && *named != '\0' &&
	    rdv_addr_split(named, RDV_RELAY_PORT, host, port) == 0)
		return 0;
	snprintf(host, RDV_HOST_MAX, "%s", r->host);
	*port = r->port + 1;
	return 0;
}

/* Formats the relay we will use as "host:port" ("[v6]:port"). */
static void
relay_string(struct rdv *r, const char *named, char *out, size_t n)
{
	char host[RDV_HOST_MAX];
	int port;

	if (pick_relay(r, named, host, &port) != 0) {
		snprintf(out, n, "%s", "");
		return;
	}
	if (strchr(host, ':') != NULL)
		snprintf(out, n, "[%s]:%d", host, port);
	else
		snprintf(out, n, "%s:%d", host, port);
}

/*
 * Answers one push from hbbs with a relay (§13.5). For PunchHole and
 * FetchLocalAddr the host initiates (its own uuid; hbbs swaps our ID for
 * our signed key and forwards the answer to the waiting client); for
 * RequestRelay the client chose uuid and relay. TCP hole punching and LAN
 * LocalAddr are not attempted: the relay reaches every client.
 */
static int
start_relay(struct rdv *r, enum rdv_push kind, ProtobufCBinaryData addr,
    const char *named_relay, const char *uuid, int secure)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RelayResponse rr = HBB__RELAY_RESPONSE__INIT;
	Hbb__RequestRelay rq = HBB__REQUEST_RELAY__INIT;
	struct rdv_job *j;
	char myuuid[37], relay_str[RDV_HOST_MAX + 16], peer[80], *esc;
	int rv;

	if (r->njobs >= RDV_JOBS_MAX) {
		if (log_ratelimit_ok(&r->rl, 60, 5))
			log_warn("rendezvous: too many pending relays; "
			    "request dropped");
		return ERR_TOOBIG;
	}
	j = xcalloc(1, sizeof *j);
	j->r = r;
	j->fd = -1;
	if (rdv_addr_unmangle(addr.data, addr.len, &j->peer,
	    &j->peerlen) != 0) {
		free(j);
		return ERR_PROTO;
	}
	if (pick_relay(r, named_relay, j->relay_host, &j->relay_port) != 0) {
		free(j);
		return ERR_INVAL;
	}
	relay_string(r, named_relay, relay_str, sizeof relay_str);
	if (kind != PUSH_REQUEST_RELAY) {
		make_uuid(myuuid);
		uuid = myuuid;
		secure = 1;
	}
	j->secure = secure;
	rdv_addr_str((struct sockaddr *)&j->peer, peer, sizeof peer);
	esc = log_escape(uuid, 8);	/* uuid may come from a client */
	snprintf(j->tag, sizeof j->tag, "%s for %s", esc, peer);
	free(esc);

	rr.socket_addr = addr;
	rr.version = r->version;
	if (kind != PUSH_REQUEST_RELAY) {
		rr.uuid = (char *)uuid;
		rr.relay_server = relay_str;
		rr.union_case = HBB__RELAY_RESPONSE__UNION_ID;
		rr.id = r->id;
	}
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_RELAY_RESPONSE;
	m.relay_response = &rr;
	if ((rv = pack_msg(&m, 1, &j->note, &j->note_len)) != 0) {
		free(j);
		return rv;
	}
	rq.uuid = (char *)uuid;
	rq.licence_key = r->key;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY;
	m.request_relay = &rq;
	if ((rv = pack_msg(&m, 1, &j->req, &j->req_len)) != 0) {
		free(j->note);
		free(j);
		return rv;
	}
	j->next = r->jobs;
	if (r->jobs != NULL)
		r->jobs->prev = j;
	r->jobs = j;
	r->njobs++;
	log_info("rendezvous: relay %s requested (%s)", j->tag,
	    kind == PUSH_REQUEST_RELAY ? "client" : "host");
	j->step = JOB_HBBS;
	if ((rv = job_connect(j, (struct sockaddr *)&r->srv,
	    r->srvlen)) != 0) {
		job_fail(j, "cannot connect to hbbs", rv);
		return ERR_IO;
	}
	return 0;
}

/* Frees a direct job and closes its sockets. */
static void
direct_free(struct rdv_direct *d)
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
direct_fallback(struct rdv_direct *d, const char *what, int e)
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
	direct_free(d);
	(void)start_relay(r, kind, addr, relay, NULL, 1);
	free(relay);
}

/* A TCP socket with SO_REUSEADDR and SO_REUSEPORT, bound to sa. */
static int
reuse_socket(const struct sockaddr *sa, socklen_t len)
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

static void	direct_cb(evutil_socket_t, short, void *);

/* Points d's event at fd for what, with a timeout in ms (0: none). */
static int
direct_wait(struct rdv_direct *d, int fd, short what, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (d->ev != NULL)
		event_free(d->ev);
	d->ev = event_new(d->r->base, fd, what | EV_PERSIST, direct_cb, d);
	if (d->ev == NULL || event_add(d->ev, ms > 0 ? &tv : NULL) != 0)
		return -1;
	return 0;
}

/* Builds PunchHoleSent or LocalAddr now that L is known. */
static void
direct_build_note(struct rdv_direct *d)
{
	struct rdv *r = d->r;
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__PunchHoleSent ps = HBB__PUNCH_HOLE_SENT__INIT;
	Hbb__LocalAddr la = HBB__LOCAL_ADDR__INIT;
	uint8_t peer[RDV_ADDR_MAX], local[RDV_ADDR_MAX];
	char relay[RDV_HOST_MAX + 16];
	int pn, ln;
	uint32_t tm = randombytes_random();

	relay_string(r, d->relay, relay, sizeof relay);
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
	(void)pack_msg(&m, 1, &d->note, &d->note_len);
}

/* The note is out: close the hbbs connection and wait for the client. */
static void
direct_accept(struct rdv_direct *d)
{
	char l[80];

	close(d->fd);
	d->fd = -1;
	d->step = DIRECT_ACCEPT;
	rdv_addr_str((struct sockaddr *)&d->local, l, sizeof l);
	log_debug("rendezvous: %s: waiting on %s", d->tag, l);
	if (direct_wait(d, d->lfd, EV_READ, RDV_CONNECT_TIMEOUT_MS) != 0)
		direct_free(d);
}

/* Drives a direct job: connect, punch, note, accept. */
static void
direct_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rdv_direct *d = arg;
	struct rdv *r = d->r;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(int);
	int err = 0, nfd;
	ssize_t n;

	switch (d->step) {
	case DIRECT_CONNECT:
		if (what & EV_TIMEOUT) {
			direct_fallback(d, "hbbs timed out", 0);
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
		    err != 0) {
			direct_fallback(d, "cannot reach hbbs", err);
			return;
		}
		d->locallen = sizeof d->local;
		if (getsockname(d->fd, (struct sockaddr *)&d->local,
		    &d->locallen) == -1) {
			direct_fallback(d, "getsockname", errno);
			return;
		}
		direct_build_note(d);
		if (d->note == NULL) {
			direct_fallback(d, "message too big", 0);
			return;
		}
		/* Listen on L before hbbs hears of it: the client may be
		 * quick. */
		if ((d->lfd = reuse_socket((struct sockaddr *)&d->local,
		    d->locallen)) == -1 || listen(d->lfd, 1) == -1) {
			direct_fallback(d, "cannot listen", errno);
			return;
		}
		if (d->kind == PUSH_PUNCH_HOLE &&
		    (d->pfd = reuse_socket((struct sockaddr *)&d->local,
		    d->locallen)) != -1) {
			/* Opens our NAT towards the client; the result does
			 * not matter, and the socket must be gone before the
			 * client's SYN arrives. */
			(void)connect(d->pfd, (struct sockaddr *)&d->peer,
			    d->peerlen);
			d->step = DIRECT_PUNCH;
			if (direct_wait(d, d->pfd, EV_WRITE, 30) != 0)
				direct_fallback(d, "event", 0);
			return;
		}
		d->step = DIRECT_NOTE;
		if (direct_wait(d, d->fd, EV_WRITE, RDV_CONNECT_TIMEOUT_MS) != 0)
			direct_fallback(d, "event", 0);
		return;
	case DIRECT_PUNCH:
		close(d->pfd);
		d->pfd = -1;
		d->step = DIRECT_NOTE;
		if (direct_wait(d, d->fd, EV_WRITE, RDV_CONNECT_TIMEOUT_MS) != 0)
			direct_fallback(d, "event", 0);
		return;
	case DIRECT_NOTE:
		if (what & EV_TIMEOUT) {
			direct_fallback(d, "hbbs timed out", 0);
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
				direct_fallback(d, "write to hbbs", errno);
				return;
			}
			d->off += (size_t)n;
		}
		direct_accept(d);
		return;
	case DIRECT_ACCEPT:
		if (what & EV_TIMEOUT) {
			log_info("rendezvous: %s: the client did not come",
			    d->tag);
			direct_free(d);
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
			direct_free(d);
			return;
		}
		log_info("rendezvous: %s: client connected", d->tag);
		if (r->cb != NULL)
			r->cb(r->cb_arg, nfd, 1, (struct sockaddr *)&ss, sl);
		else
			close(nfd);
		direct_free(d);
		return;
	}
}

/*
 * Answers PunchHole (TCP hole punch, §13.3 step 4) or FetchLocalAddr
 * (§13.4): tell hbbs our address from a reusable port L, then accept the
 * client on L. Failures before hbbs is told fall back to a relay.
 */
static int
start_direct(struct rdv *r, enum rdv_push kind, ProtobufCBinaryData addr,
    const char *named_relay)
{
	struct rdv_direct *d;
	struct sockaddr_storage any;
	char peer[80];
	int e;

	if (r->ndirects >= RDV_JOBS_MAX) {
		if (log_ratelimit_ok(&r->rl, 60, 5))
			log_warn("rendezvous: too many pending punches; "
			    "request dropped");
		return ERR_TOOBIG;
	}
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
	log_info("rendezvous: %s requested", d->tag);

	memset(&any, 0, sizeof any);
	any.ss_family = r->srv.ss_family;
	d->step = DIRECT_CONNECT;
	if ((d->fd = reuse_socket((struct sockaddr *)&any, r->srvlen)) == -1) {
		direct_fallback(d, "socket", errno);
		return 0;
	}
	if (connect(d->fd, (struct sockaddr *)&r->srv, r->srvlen) == -1 &&
	    errno != EINPROGRESS) {
		e = errno;
		direct_fallback(d, "cannot reach hbbs", e);
		return 0;
	}
	if (direct_wait(d, d->fd, EV_WRITE, RDV_CONNECT_TIMEOUT_MS) != 0)
		direct_fallback(d, "event", 0);
	return 0;
}

/* 1 if this push repeats the previous one within 100 ms (§13.3 step 1). */
static int
is_repeat(struct rdv *r, enum rdv_push kind, ProtobufCBinaryData addr)
{
	uint64_t now = now_ms();
	int rep;

	if (addr.len > RDV_ADDR_MAX)
		return 0;
	rep = r->last_kind == (int)kind && r->last_addr_len == addr.len &&
	    (addr.len == 0 || memcmp(r->last_addr, addr.data, addr.len) == 0)
	    && now - r->last_at < RDV_DEDUP_MS;
	r->last_kind = (int)kind;
	r->last_addr_len = addr.len;
	if (addr.len > 0)
		memcpy(r->last_addr, addr.data, addr.len);
	r->last_at = now;
	return rep;
}

/*
 * Checks and acts on a push asking for the host. A PunchHole is punched
 * unless a side is behind a symmetric NAT or the client forces a relay
 * (§13.3 step 2); a FetchLocalAddr is answered with LocalAddr while hbbs
 * is reached over IPv4 (§13.4); everything else is relayed.
 */
static int
recv_push(struct rdv *r, enum rdv_push kind, ProtobufCBinaryData addr,
    const char *relay, const char *uuid, int secure, int relay_only)
{
	if (addr.len == 0 || addr.len > RDV_ADDR_MAX ||
	    (addr.len > 16 && addr.len != RDV_ADDR_MAX))
		return ERR_PROTO;
	if (relay != NULL && strlen(relay) >= RDV_HOST_MAX)
		return ERR_PROTO;
	if (kind == PUSH_REQUEST_RELAY && (uuid == NULL || *uuid == '\0' ||
	    strlen(uuid) > RDV_UUID_MAX))
		return ERR_PROTO;
	if (is_repeat(r, kind, addr))
		return 0;
	if (!r->have_srv)
		return ERR_STATE;
	if (kind == PUSH_PUNCH_HOLE && !relay_only)
		return start_direct(r, kind, addr, relay);
	if (kind == PUSH_FETCH_LOCAL && r->srv.ss_family == AF_INET &&
	    addr.len <= 16)
		return start_direct(r, kind, addr, relay);
	return start_relay(r, kind, addr, relay, uuid, secure);
}

/* Process one datagram from hbbs; see rendezvous.h. */
int
rdv_udp_input(struct rdv *r, const uint8_t *p, size_t n)
{
	Hbb__RendezvousMessage *m;
	int rv = 0;

	if ((m = hbb__rendezvous_message__unpack(NULL, n, p)) == NULL) {
		if (log_ratelimit_ok(&r->rl, 60, 5))
			log_warn("rendezvous: unparsable datagram (%zu "
			    "bytes) from hbbs", n);
		return ERR_PROTO;
	}
	switch (m->union_case) {
	case HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PEER_RESPONSE:
		recv_register_peer_response(r, m->register_peer_response);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK_RESPONSE:
		recv_register_pk_response(r, m->register_pk_response);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_CONFIGURE_UPDATE:
		/* Only used upstream when no server is configured. */
		log_debug("rendezvous: ConfigUpdate ignored");
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE:
		rv = recv_push(r, PUSH_PUNCH_HOLE,
		    m->punch_hole->socket_addr, m->punch_hole->relay_server,
		    NULL, 1, m->punch_hole->nat_type ==
		    HBB__NAT_TYPE__SYMMETRIC || m->punch_hole->force_relay);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_FETCH_LOCAL_ADDR:
		rv = recv_push(r, PUSH_FETCH_LOCAL,
		    m->fetch_local_addr->socket_addr,
		    m->fetch_local_addr->relay_server, NULL, 1, 0);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY:
		rv = recv_push(r, PUSH_REQUEST_RELAY,
		    m->request_relay->socket_addr,
		    m->request_relay->relay_server, m->request_relay->uuid,
		    m->request_relay->secure, 1);
		break;
	default:
		if (log_ratelimit_ok(&r->rl, 60, 5))
			log_debug("rendezvous: message %d from hbbs ignored",
			    (int)m->union_case);
		rv = ERR_PROTO;
		break;
	}
	if (rv != 0 && rv != ERR_STATE && log_ratelimit_ok(&r->rl, 60, 5))
		log_warn_r(rv, "rendezvous: push from hbbs dropped");
	hbb__rendezvous_message__free_unpacked(m, NULL);
	return rv;
}

/* Start registering; see rendezvous.h. */
int
rdv_new(struct rdv **out, struct event_base *base, struct evdns_base *dns,
    const struct rdv_conf *conf, rdv_stream_cb *cb, void *arg,
    char **cause)
{
	struct rdv *r;
	struct timeval tv;
	const char *server, *key;
	char h[RDV_HOST_MAX];
	int p, is_default;

	*out = NULL;
	*cause = NULL;
	if (conf->id == NULL || *conf->id == '\0' || conf->pk == NULL) {
		xasprintf(cause, "no host ID or key");
		return ERR_INVAL;
	}
	if (sodium_init() < 0) {
		xasprintf(cause, "libsodium failed to start");
		return ERR_CRYPTO;
	}
	is_default = conf->server == NULL || *conf->server == '\0';
	server = is_default ? RDV_DEFAULT_SERVER : conf->server;
	r = xcalloc(1, sizeof *r);
	r->fd = -1;
	if (rdv_addr_split(server, RDV_PORT, r->host, &r->port) != 0) {
		xasprintf(cause, "custom-rendezvous-server: bad address '%s'",
		    server);
		free(r);
		return ERR_INVAL;
	}
	if (conf->relay != NULL && *conf->relay != '\0' &&
	    rdv_addr_split(conf->relay, RDV_RELAY_PORT, h, &p) != 0) {
		xasprintf(cause, "relay-server: bad address '%s'",
		    conf->relay);
		free(r);
		return ERR_INVAL;
	}
	r->base = base;
	r->cb = cb;
	r->cb_arg = arg;
	if ((r->dns = dns) == NULL) {
		r->dns = evdns_base_new(base,
		    EVDNS_BASE_INITIALIZE_NAMESERVERS);
		if (r->dns == NULL)
			r->dns = evdns_base_new(base, 0);
		if (r->dns == NULL) {
			xasprintf(cause, "cannot start the DNS resolver");
			free(r);
			return ERR_IO;
		}
		r->own_dns = 1;
	}
	key = conf->key != NULL ? conf->key : "";
	if (*key == '\0' && is_default)
		key = RDV_DEFAULT_KEY;
	r->relay = conf->relay != NULL && *conf->relay != '\0' ?
	    xstrdup(conf->relay) : NULL;
	r->key = xstrdup(key);
	r->id = xstrdup(conf->id);
	r->uuid_len = conf->uuid_len;
	r->uuid = xmemdup(conf->uuid_len ? (const void *)conf->uuid : "",
	    conf->uuid_len ? conf->uuid_len : 1);
	memcpy(r->pk, conf->pk, sizeof r->pk);
	r->version = xstrdup(conf->version != NULL && *conf->version != '\0' ?
	    conf->version : CDESK_VERSION);
	r->tick_ms = conf->tick_ms > 0 ? conf->tick_ms : 1000;
	r->interval_ms = conf->reg_interval_ms > 0 ? conf->reg_interval_ms :
	    15000;
	r->timeout_ms = conf->reg_timeout_ms > 0 ? conf->reg_timeout_ms : 3000;
	if (r->timeout_ms > r->interval_ms)
		r->timeout_ms = r->interval_ms;
	r->state = RDV_CONNECTING;
	snprintf(r->text, sizeof r->text, "connecting");

	tv.tv_sec = r->tick_ms / 1000;
	tv.tv_usec = (r->tick_ms % 1000) * 1000;
	r->ev_tick = event_new(base, -1, EV_PERSIST, rdv_tick_cb, r);
	if (r->ev_tick == NULL || event_add(r->ev_tick, &tv) != 0) {
		xasprintf(cause, "cannot start the registration timer");
		rdv_free(r);
		return ERR_IO;
	}
	log_info("rendezvous: registering ID %s with %s:%d", r->id, r->host,
	    r->port);
	start_resolve(r);
	*out = r;
	return 0;
}

/* Stop and free; see rendezvous.h. */
void
rdv_free(struct rdv *r)
{

	if (r == NULL)
		return;
	while (r->jobs != NULL)
		job_free(r->jobs);
	while (r->directs != NULL)
		direct_free(r->directs);
	if (r->resolving && r->dns_req != NULL)
		evdns_getaddrinfo_cancel(r->dns_req);
	udp_close(r);
	if (r->ev_tick != NULL)
		event_free(r->ev_tick);
	if (r->own_dns)
		evdns_base_free(r->dns, 0);
	free(r->relay);
	free(r->key);
	free(r->id);
	free(r->uuid);
	free(r->version);
	free(r);
}

/* Current state; see rendezvous.h. */
enum rdv_state
rdv_state(const struct rdv *r, const char **text)
{
	if (text != NULL)
		*text = r->text;
	return r->state;
}

/* Re-send RegisterPk on the next tick; see rendezvous.h. */
void
rdv_key_unconfirmed(struct rdv *r)
{
	if (!r->key_confirmed)
		return;
	log_info("rendezvous: a client could not verify our key; "
	    "registering it again");
	r->key_confirmed = 0;
	if (!r->outstanding)
		r->next_send = 0;
}
