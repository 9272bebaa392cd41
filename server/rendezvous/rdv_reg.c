/*
 * rdv_reg.c: registration with hbbs over UDP (PROTOCOL.md §13.2).
 *
 * One connected UDP socket carries RegisterPk and RegisterPeer and
 * receives hbbs's answers and pushes (handed to rdv_udp_input); a timer
 * resolves the server, notices lost answers and sends what is due. The
 * registration state is kept here for rdv_state.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/dns.h>
#include <event2/util.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "server/rendezvous/rdv_int.h"

#define RDV_RESOLVE_MIN_MS	60000	/* re-resolve at most this often */
#define RDV_RESOLVE_MISSES	4	/* misses before re-resolving */
#define RDV_SLOW_MISSES		2	/* misses before "connecting" */
#define RDV_NOT_DEPLOYED_MS	30000
#define RDV_DGRAM_MAX		2048	/* largest datagram we read */

/* Changes the registration state; logs it when it changes. */
static void
reg_set_state(struct rdv *r, enum rdv_state st, const char *text)
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
static void __attribute__((format(__printf__, 2, 3)))
reg_set_error(struct rdv *r, const char *fmt, ...)
{
	char msg[300], text[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(text, sizeof text, "error: %s", msg);
	reg_set_state(r, RDV_ERROR, text);
}

/* Sends RegisterPk or RegisterPeer, whichever is due. */
static void
reg_send(struct rdv *r)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RegisterPk pk = HBB__REGISTER_PK__INIT;
	Hbb__RegisterPeer rp = HBB__REGISTER_PEER__INIT;
	uint8_t *buf;
	size_t len;
	uint64_t now = mono_ms();

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
	if (rdv_pack_msg(&m, 0, &buf, &len) != 0)
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
reg_udp_close(struct rdv *r)
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
reg_udp_cb(evutil_socket_t fd, short what, void *arg)
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
reg_udp_open(struct rdv *r)
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
	r->ev_udp = event_new(r->base, fd, EV_READ | EV_PERSIST, reg_udp_cb,
	    r);
	if (r->ev_udp == NULL || event_add(r->ev_udp, NULL) != 0) {
		reg_udp_close(r);
		return ERR_IO;
	}
	return 0;
}

/* The address to register with: the first IPv4 one, else the first IPv6. */
static struct evutil_addrinfo *
reg_pick_addr(struct evutil_addrinfo *res)
{
	struct evutil_addrinfo *ai, *pick = NULL;

	/* Prefer IPv4, as upstream's registration socket does. */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			return ai;
		if (pick == NULL && ai->ai_family == AF_INET6)
			pick = ai;
	}
	return pick;
}

/* The server name resolved (or failed); open the socket and register. */
static void
reg_resolved_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct rdv *r = arg;
	struct evutil_addrinfo *pick;
	uint64_t now;
	int back;

	if (result == EVUTIL_EAI_CANCEL)
		return;		/* rdv_free is running */
	r->resolving = 0;
	r->dns_req = NULL;
	now = mono_ms();
	r->last_resolve = now;
	if (result != 0 || res == NULL) {
		r->resolve_fails++;
		back = r->resolve_fails < 6 ? 1000 << r->resolve_fails :
		    RDV_RESOLVE_MIN_MS;
		r->next_resolve = now + (uint64_t)back;
		reg_set_error(r, "cannot resolve %s: %s", r->host,
		    evutil_gai_strerror(result));
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	pick = reg_pick_addr(res);
	if (pick == NULL || pick->ai_addrlen > sizeof r->srv) {
		evutil_freeaddrinfo(res);
		r->next_resolve = now + RDV_RESOLVE_MIN_MS;
		reg_set_error(r, "no usable address for %s", r->host);
		return;
	}
	r->resolve_fails = 0;
	memcpy(&r->srv, pick->ai_addr, pick->ai_addrlen);
	r->srvlen = (socklen_t)pick->ai_addrlen;
	evutil_freeaddrinfo(res);
	reg_udp_close(r);
	if (reg_udp_open(r) != 0) {
		r->next_resolve = now + 5000;
		reg_set_error(r, "cannot open a UDP socket to %s: %s",
		    r->host, strerror(errno));
		return;
	}
	r->have_srv = 1;
	r->misses = 0;
	reg_send(r);
}

/* Starts a (non-blocking) lookup of the server name. */
static void
reg_resolve(struct rdv *r)
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
	    reg_resolved_cb, r);
	if (r->resolving)
		r->dns_req = req;
}

/*
 * The answer to the last request did not come in time: count a miss, back
 * off, and look the server up again after several. Returns 1 when the
 * socket was closed for that lookup.
 */
static int
reg_missed(struct rdv *r, uint64_t now)
{
	uint64_t wait;

	r->outstanding = 0;
	r->misses++;
	log_debug("rendezvous: no answer from %s:%d (%d)", r->host,
	    r->port, r->misses);
	if (r->misses >= RDV_SLOW_MISSES && r->state != RDV_ERROR)
		reg_set_state(r, RDV_CONNECTING, "connecting");
	/* Back off, but never wait longer than one cycle. */
	wait = (uint64_t)r->timeout_ms * (uint64_t)(r->misses - 1);
	if (wait > (uint64_t)(r->interval_ms - r->timeout_ms))
		wait = (uint64_t)(r->interval_ms - r->timeout_ms);
	r->next_send = now + wait;
	if (r->misses >= RDV_RESOLVE_MISSES &&
	    now - r->last_resolve >= RDV_RESOLVE_MIN_MS) {
		/* The server may have moved: look it up again and rebind
		 * the socket. */
		reg_udp_close(r);
		r->have_srv = 0;
		reg_resolve(r);
		return 1;
	}
	return 0;
}

/* The 1 s tick: resolve, detect lost answers, send what is due. */
static void
reg_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rdv *r = arg;
	uint64_t now = mono_ms();

	(void)fd;
	(void)what;
	if (!r->have_srv) {
		if (!r->resolving && now >= r->next_resolve)
			reg_resolve(r);
		return;
	}
	if (r->outstanding &&
	    now - r->sent_at >= (uint64_t)r->timeout_ms &&
	    reg_missed(r, now))
		return;
	if (!r->outstanding && now >= r->next_send)
		reg_send(r);
}

/* A registration answer arrived: reset the miss counter. */
static void
reg_answered(struct rdv *r, uint64_t next)
{
	uint64_t now = mono_ms();

	r->outstanding = 0;
	r->misses = 0;
	r->next_send = now + next;
}

/* Handle RegisterPkResponse; see rdv_int.h. */
void
rdv_reg_recv_pk_response(struct rdv *r, const Hbb__RegisterPkResponse *m)
{
	uint64_t next = (uint64_t)r->interval_ms;

	switch (m->result) {
	case HBB__REGISTER_PK_RESPONSE__RESULT__OK:
		r->key_confirmed = 1;
		reg_set_state(r, RDV_REGISTERED, "registered");
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__UUID_MISMATCH:
		/* Upstream takes a new random ID here; we keep the ID the
		 * admin chose and say so instead. */
		reg_set_error(r, "ID %s is registered to another machine at "
		    "%s (UUID_MISMATCH); choose another ID", r->id, r->host);
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__ID_EXISTS:
		reg_set_error(r, "ID %s is already in use at %s (ID_EXISTS); "
		    "choose another ID", r->id, r->host);
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__TOO_FREQUENT:
		log_warn("rendezvous: %s says registering too often "
		    "(TOO_FREQUENT); waiting one cycle", r->host);
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__INVALID_ID_FORMAT:
		reg_set_error(r, "%s refuses ID %s (INVALID_ID_FORMAT)",
		    r->host, r->id);
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__NOT_SUPPORT:
		reg_set_error(r, "%s does not support key registration "
		    "(NOT_SUPPORT)", r->host);
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__SERVER_ERROR:
		reg_set_error(r, "%s reports a server error (SERVER_ERROR)",
		    r->host);
		break;
	case HBB__REGISTER_PK_RESPONSE__RESULT__NOT_DEPLOYED:
		reg_set_error(r, "this device must be deployed at %s first "
		    "(NOT_DEPLOYED)", r->host);
		next = RDV_NOT_DEPLOYED_MS;
		break;
	default:
		reg_set_error(r, "%s refused the key (result %d)", r->host,
		    (int)m->result);
		break;
	}
	reg_answered(r, next);
}

/* Handle RegisterPeerResponse (request_pk: "send RegisterPk now"). */
void
rdv_reg_recv_peer_response(struct rdv *r, const Hbb__RegisterPeerResponse *m)
{
	reg_answered(r, (uint64_t)r->interval_ms);
	if (m->request_pk) {
		log_debug("rendezvous: %s asks for our key", r->host);
		r->key_confirmed = 0;
		reg_send(r);
		return;
	}
	if (r->key_confirmed)
		reg_set_state(r, RDV_REGISTERED, "registered");
}

/* Start the timer and the first lookup; see rdv_int.h. */
int
rdv_reg_start(struct rdv *r)
{
	struct timeval tv;

	r->state = RDV_CONNECTING;
	snprintf(r->text, sizeof r->text, "connecting");
	tv = mono_tv_ms((uint64_t)r->tick_ms);
	r->ev_tick = event_new(r->base, -1, EV_PERSIST, reg_tick_cb, r);
	if (r->ev_tick == NULL || event_add(r->ev_tick, &tv) != 0)
		return ERR_IO;
	log_info("rendezvous: registering ID %s with %s:%d", r->id, r->host,
	    r->port);
	reg_resolve(r);
	return 0;
}

/* Stop registering; see rdv_int.h. */
void
rdv_reg_stop(struct rdv *r)
{
	if (r->resolving && r->dns_req != NULL)
		evdns_getaddrinfo_cancel(r->dns_req);
	reg_udp_close(r);
	if (r->ev_tick != NULL) {
		event_free(r->ev_tick);
		r->ev_tick = NULL;
	}
}
