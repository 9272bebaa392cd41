/*
 * rdv_relay.c: relayed peer streams through hbbr (PROTOCOL.md §13.5).
 *
 * Each push answered with a relay becomes a job: a short TCP connection to
 * hbbs carrying RelayResponse, then a TCP connection to hbbr carrying
 * RequestRelay, whose socket is handed to the connection layer.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <sodium.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/rendezvous/rdv_int.h"

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

static void	relay_resolve(struct rdv_job *);

/* Frees a job, closing its socket unless it was handed over. */
static void
relay_free(struct rdv_job *j)
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
relay_fail(struct rdv_job *j, const char *what, int e)
{
	log_warn("rendezvous: relay %s: %s%s%s", j->tag, what,
	    e ? ": " : "", e ? strerror(e) : "");
	relay_free(j);
}

/* The frame is out: go on to hbbr, or hand hbbr's stream over. */
static void
relay_written(struct rdv_job *j)
{
	struct rdv *r = j->r;
	int nfd;

	event_free(j->ev);
	j->ev = NULL;
	if (j->step == JOB_HBBS) {
		/* hbbs reads one message per connection and closes it. */
		close(j->fd);
		j->fd = -1;
		j->off = 0;
		relay_resolve(j);
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
	relay_free(j);
}

/* Writable socket: finish the connect, write the frame, move on. */
static void
relay_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rdv_job *j = arg;
	const uint8_t *p = j->step == JOB_HBBS ? j->note : j->req;
	size_t len = j->step == JOB_HBBS ? j->note_len : j->req_len;
	socklen_t sl = sizeof(int);
	int err = 0;
	ssize_t n;

	if (what & EV_TIMEOUT) {
		relay_fail(j, j->step == JOB_HBBS ? "hbbs timed out" :
		    "hbbr timed out", 0);
		return;
	}
	if (j->off == 0 && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
	    &sl) == -1 || err != 0)) {
		relay_fail(j, j->step == JOB_HBBS ? "cannot reach hbbs" :
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
			relay_fail(j, "write", errno);
			return;
		}
		j->off += (size_t)n;
	}
	relay_written(j);
}

/* Starts a non-blocking TCP connect to sa; the job waits for writability. */
static int
relay_connect(struct rdv_job *j, const struct sockaddr *sa, socklen_t len)
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
	j->ev = event_new(j->r->base, fd, EV_WRITE | EV_PERSIST, relay_io_cb,
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
relay_resolved_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct rdv_job *j = arg;
	struct evutil_addrinfo *ai;
	int e = 0;

	if (result == EVUTIL_EAI_CANCEL)
		return;		/* relay_free is running */
	j->resolving = 0;
	j->dns_req = NULL;
	if (result != 0 || res == NULL) {
		log_warn("rendezvous: relay %s: cannot resolve %s: %s",
		    j->tag, j->relay_host, evutil_gai_strerror(result));
		if (res != NULL)
			evutil_freeaddrinfo(res);
		relay_free(j);
		return;
	}
	j->step = JOB_RELAY;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if ((e = relay_connect(j, ai->ai_addr,
		    (socklen_t)ai->ai_addrlen)) == 0)
			break;
	}
	evutil_freeaddrinfo(res);
	if (j->ev == NULL)
		relay_fail(j, "cannot connect to hbbr", e);
}

/* Looks up the relay server of a job. */
static void
relay_resolve(struct rdv_job *j)
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
	    relay_resolved_cb, j);
	/* If the callback already ran it may have freed j: only a pending
	 * lookup returns non-NULL, and then j is still alive. */
	if (req != NULL)
		j->dns_req = req;
}

/* Random UUID v4 text, as upstream's host-initiated relay uses. */
static void
relay_make_uuid(char out[37])
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
relay_pick(struct rdv *r, const char *named, char host[RDV_HOST_MAX],
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

/* Format the relay we will use; see rdv_int.h. */
void
rdv_relay_string(struct rdv *r, const char *named, char *out, size_t n)
{
	char host[RDV_HOST_MAX];
	int port;

	if (relay_pick(r, named, host, &port) != 0) {
		snprintf(out, n, "%s", "");
		return;
	}
	if (strchr(host, ':') != NULL)
		snprintf(out, n, "[%s]:%d", host, port);
	else
		snprintf(out, n, "%s:%d", host, port);
}

/*
 * Packs the job's two frames: RelayResponse for hbbs (for a host-initiated
 * relay with our uuid, ID and relay) and RequestRelay for hbbr.
 */
static int
relay_pack(struct rdv_job *j, enum rdv_push kind, ProtobufCBinaryData addr,
    const char *named_relay, const char *uuid)
{
	struct rdv *r = j->r;
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RelayResponse rr = HBB__RELAY_RESPONSE__INIT;
	Hbb__RequestRelay rq = HBB__REQUEST_RELAY__INIT;
	char relay_str[RDV_HOST_MAX + 16];
	int rv;

	rdv_relay_string(r, named_relay, relay_str, sizeof relay_str);
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
	if ((rv = rdv_pack_msg(&m, 1, &j->note, &j->note_len)) != 0)
		return rv;
	rq.uuid = (char *)uuid;
	rq.licence_key = r->key;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY;
	m.request_relay = &rq;
	if ((rv = rdv_pack_msg(&m, 1, &j->req, &j->req_len)) != 0) {
		free(j->note);
		j->note = NULL;
		return rv;
	}
	return 0;
}

/*
 * Makes an unlinked job for a push: the client's address, the relay, the
 * uuid (ours for a host-initiated relay) and both frames. Returns 0 and
 * *out, or a negative ERR_*.
 */
static int
relay_new(struct rdv *r, struct rdv_job **out, enum rdv_push kind,
    ProtobufCBinaryData addr, const char *named_relay, const char *uuid,
    int secure)
{
	struct rdv_job *j;
	char myuuid[37], peer[80], *esc;
	int rv;

	*out = NULL;
	j = xcalloc(1, sizeof *j);
	j->r = r;
	j->fd = -1;
	if (rdv_addr_unmangle(addr.data, addr.len, &j->peer,
	    &j->peerlen) != 0) {
		free(j);
		return ERR_PROTO;
	}
	if (relay_pick(r, named_relay, j->relay_host, &j->relay_port) != 0) {
		free(j);
		return ERR_INVAL;
	}
	if (kind != PUSH_REQUEST_RELAY) {
		relay_make_uuid(myuuid);
		uuid = myuuid;
		secure = 1;
	}
	j->secure = secure;
	rdv_addr_str((struct sockaddr *)&j->peer, peer, sizeof peer);
	esc = log_escape(uuid, 8);	/* uuid may come from a client */
	snprintf(j->tag, sizeof j->tag, "%s for %s", esc, peer);
	free(esc);
	if ((rv = relay_pack(j, kind, addr, named_relay, uuid)) != 0) {
		free(j);
		return rv;
	}
	*out = j;
	return 0;
}

/*
 * Answer a push with a relay; see rdv_int.h. For PunchHole and
 * FetchLocalAddr (after a failed direct attempt) the host initiates: its
 * own uuid, and hbbs swaps our ID for our signed key and forwards the
 * answer to the waiting client. For RequestRelay the client chose uuid and
 * relay.
 */
int
rdv_relay_start(struct rdv *r, enum rdv_push kind, ProtobufCBinaryData addr,
    const char *named_relay, const char *uuid, int secure)
{
	struct rdv_job *j;
	int rv;

	if (r->njobs >= RDV_JOBS_MAX) {
		if (log_ratelimit_ok(&r->rl, 60, 5))
			log_warn("rendezvous: too many pending relays; "
			    "request dropped");
		return ERR_TOOBIG;
	}
	if ((rv = relay_new(r, &j, kind, addr, named_relay, uuid,
	    secure)) != 0)
		return rv;
	j->next = r->jobs;
	if (r->jobs != NULL)
		r->jobs->prev = j;
	r->jobs = j;
	r->njobs++;
	log_info("rendezvous: relay %s requested (%s)", j->tag,
	    kind == PUSH_REQUEST_RELAY ? "client" : "host");
	j->step = JOB_HBBS;
	if ((rv = relay_connect(j, (struct sockaddr *)&r->srv,
	    r->srvlen)) != 0) {
		relay_fail(j, "cannot connect to hbbs", rv);
		return ERR_IO;
	}
	return 0;
}

/* Free every relay job; see rdv_int.h. */
void
rdv_relay_stop(struct rdv *r)
{
	while (r->jobs != NULL)
		relay_free(r->jobs);
}
