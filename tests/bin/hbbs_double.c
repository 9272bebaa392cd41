/*
 * hbbs_double.c: a small stand-in for RustDesk's hbbs and hbbr, for tests
 * only (PROTOCOL.md §13). Listens on loopback:
 *
 *	UDP  PORT	registration (RegisterPk, RegisterPeer with request_pk)
 *	TCP  PORT	clients (PunchHoleRequest, RequestRelay) and hosts
 *			(RelayResponse, PunchHoleSent, LocalAddr)
 *	TCP  RELAY	hbbr: pairs two connections by uuid and copies bytes
 *
 * Usage: hbbs_double [-p PORT] [-r RELAY] [-k KEY] [-c ID] [-l]
 *	-p, -r	ports (0 = any free one; RELAY defaults to PORT + 1)
 *	-k	licence key: clients and relays must present it
 *	-c ID	pretend ID is bound to another machine (UUID_MISMATCH)
 *	-l	answer PunchHoleRequest with FetchLocalAddr (same LAN)
 *
 * Prints "KEY <base64 Ed25519 public key>", then "READY <port> <relay>",
 * then one "EVENT ..." line per thing that happened. Signals: USR1 takes
 * hbbs down (sockets closed, registrations forgotten), USR2 brings it back
 * on the same ports, HUP drops the newest relay pair, ALRM toggles "stale
 * key" mode (hbbs signs a wrong host key, as when it holds an old one),
 * TERM/INT exit.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <sodium.h>

#include "common/codec.h"
#include "common/xmalloc.h"
#include "message.pb-c.h"
#include "rendezvous.pb-c.h"
#include "server/rendezvous/rdv_addr.h"

#define PEERS_MAX	64
#define INPUT_MAX	(64 * 1024)	/* unframed bytes we hold */
#define OFFLINE_S	30
#define SPLICE_CAP	(1024 * 1024)	/* relay: bytes a pipe holds */

struct peer {
	char			 id[64];
	uint8_t			 uuid[128];
	size_t			 uuid_len;
	uint8_t			 pk[32];
	int			 has_pk;
	struct sockaddr_storage	 addr;
	socklen_t		 alen;
	time_t			 last;
};

/* A TCP connection to the hbbs port (client or host) or to hbbr. */
struct tconn {
	struct bufferevent	*bev;
	struct sockaddr_storage	 addr;
	socklen_t		 alen;
	int			 relay;		/* on the hbbr port */
	int			 pending;	/* client awaiting an answer */
	char			 uuid[130];	/* hbbr: after RequestRelay */
	int			 got_req;
	struct tconn		*partner;	/* hbbr: paired connection */
	unsigned long		 paired_seq;
	/* hbbr, once both sides' buffers are empty: the kernel moves the
	 * bytes (splice through a pipe), as a relay on another machine
	 * would cost this one nothing; see relay_splice(). */
	int			 spliced;
	int			 pipe[2];	/* bytes from here to partner */
	size_t			 inpipe;
	struct event		*rev;		/* our fd readable */
	struct event		*wev;		/* the partner's fd writable */
	struct tconn		*prev, *next;
};

static struct event_base	*base;
static int			 port, relay_port;
static const char		*licence = "";
static const char		*conflict_id;
static int			 local_mode;
static uint8_t			 sign_pk[32], sign_sk[64];
static struct peer		 peers[PEERS_MAX];
static int			 npeers;
static int			 udp_fd = -1;
static struct event		*udp_ev;
static struct evconnlistener	*hbbs_lst, *hbbr_lst;
static struct tconn		*conns;
static unsigned long		 pair_seq;
static int			 stale_key;

int	main(int, char **);

/* Prints an event line (stdout is line-buffered). */
static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Finds a registered peer by ID. */
static struct peer *
peer_find(const char *id)
{
	int i;

	for (i = 0; i < npeers; i++)
		if (strcmp(peers[i].id, id) == 0)
			return &peers[i];
	return NULL;
}

/* 1 when two socket addresses have the same IP and port. */
static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	char x[80], y[80];

	rdv_addr_str((const struct sockaddr *)a, x, sizeof x);
	rdv_addr_str((const struct sockaddr *)b, y, sizeof y);
	return strcmp(x, y) == 0;
}

/* Packs m (framed when tcp) into a new buffer; caller frees. */
static uint8_t *
pack(const Hbb__RendezvousMessage *m, int tcp, size_t *len)
{
	uint8_t hdr[CODEC_HDR_MAX], *out;
	size_t n = hbb__rendezvous_message__get_packed_size(m), h = 0;

	if (tcp)
		h = codec_hdr_encode(hdr, n);
	out = xmalloc(h + n + 1);
	memcpy(out, hdr, h);
	hbb__rendezvous_message__pack(m, out + h);
	*len = h + n;
	return out;
}

/* Sends m over UDP to addr. */
static void
udp_send(const Hbb__RendezvousMessage *m, const struct sockaddr_storage *a,
    socklen_t alen)
{
	uint8_t *b;
	size_t n;

	b = pack(m, 0, &n);
	if (udp_fd != -1)
		(void)sendto(udp_fd, b, n, 0, (const struct sockaddr *)a, alen);
	free(b);
}

/* Sends m framed on a TCP connection. */
static void
tcp_send(struct tconn *c, const Hbb__RendezvousMessage *m)
{
	uint8_t *b;
	size_t n;

	b = pack(m, 1, &n);
	bufferevent_write(c->bev, b, n);
	free(b);
}

/* hbbs-signed IdPk of a host (64-byte signature ‖ IdPk); caller frees. */
static uint8_t *
signed_idpk(const struct peer *p, size_t *len)
{
	Hbb__IdPk ip = HBB__ID_PK__INIT;
	uint8_t *msg, *out, pk[32];
	size_t n;
	unsigned long long sl;


	memcpy(pk, p->pk, sizeof pk);
	if (stale_key)
		pk[0] ^= 0xFF;
	ip.id = (char *)p->id;
	ip.pk.data = pk;
	ip.pk.len = sizeof pk;
	n = hbb__id_pk__get_packed_size(&ip);
	msg = xmalloc(n + 1);
	hbb__id_pk__pack(&ip, msg);
	out = xmalloc(n + crypto_sign_BYTES);
	crypto_sign(out, &sl, msg, n, sign_sk);
	free(msg);
	*len = (size_t)sl;
	return out;
}

/* Answers RegisterPeer and RegisterPk like hbbs (simplified). */
static void
udp_handle(const Hbb__RendezvousMessage *m, const struct sockaddr_storage *a,
    socklen_t alen)
{
	Hbb__RendezvousMessage out = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__RegisterPeerResponse rpr = HBB__REGISTER_PEER_RESPONSE__INIT;
	Hbb__RegisterPkResponse rpk = HBB__REGISTER_PK_RESPONSE__INIT;
	const Hbb__RegisterPk *pk;
	struct peer *p;
	const char *id;

	switch (m->union_case) {
	case HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PEER:
		id = m->register_peer->id;
		p = peer_find(id);
		rpr.request_pk = p == NULL || !p->has_pk ||
		    !same_addr(&p->addr, a);
		if (p != NULL && !rpr.request_pk)
			p->last = time(NULL);
		say("EVENT register_peer %s request_pk=%d", id,
		    (int)rpr.request_pk);
		out.union_case =
		    HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PEER_RESPONSE;
		out.register_peer_response = &rpr;
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK:
		pk = m->register_pk;
		p = peer_find(pk->id);
		if (strlen(pk->id) < 6 || strlen(pk->id) >= sizeof p->id ||
		    pk->uuid.len > sizeof p->uuid || pk->pk.len != 32)
			rpk.result =
			    HBB__REGISTER_PK_RESPONSE__RESULT__UUID_MISMATCH;
		else if (conflict_id != NULL &&
		    strcmp(conflict_id, pk->id) == 0)
			rpk.result =
			    HBB__REGISTER_PK_RESPONSE__RESULT__UUID_MISMATCH;
		else if (p != NULL && (p->uuid_len != pk->uuid.len ||
		    memcmp(p->uuid, pk->uuid.data, pk->uuid.len) != 0))
			rpk.result =
			    HBB__REGISTER_PK_RESPONSE__RESULT__UUID_MISMATCH;
		else if (p == NULL && npeers == PEERS_MAX)
			rpk.result =
			    HBB__REGISTER_PK_RESPONSE__RESULT__SERVER_ERROR;
		else {
			if (p == NULL) {
				p = &peers[npeers++];
				memset(p, 0, sizeof *p);
				snprintf(p->id, sizeof p->id, "%s", pk->id);
				memcpy(p->uuid, pk->uuid.data, pk->uuid.len);
				p->uuid_len = pk->uuid.len;
			}
			memcpy(p->pk, pk->pk.data, 32);
			p->has_pk = 1;
			memcpy(&p->addr, a, alen);
			p->alen = alen;
			p->last = time(NULL);
			rpk.result = HBB__REGISTER_PK_RESPONSE__RESULT__OK;
		}
		say("EVENT register_pk %s result=%d", pk->id,
		    (int)rpk.result);
		out.union_case =
		    HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK_RESPONSE;
		out.register_pk_response = &rpk;
		break;
	default:
		say("EVENT udp_other %d", (int)m->union_case);
		return;
	}
	udp_send(&out, a, alen);
}

/* Reads datagrams on the hbbs UDP port. */
static void
udp_cb(evutil_socket_t fd, short what, void *arg)
{
	Hbb__RendezvousMessage *m;
	struct sockaddr_storage a;
	socklen_t alen = sizeof a;
	uint8_t buf[2048];
	ssize_t n;

	(void)what;
	(void)arg;
	n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&a, &alen);
	if (n <= 0)
		return;
	if ((m = hbb__rendezvous_message__unpack(NULL, (size_t)n, buf)) ==
	    NULL) {
		say("EVENT udp_bad");
		return;
	}
	udp_handle(m, &a, alen);
	hbb__rendezvous_message__free_unpacked(m, NULL);
}

/* Unlinks and frees a connection (and, for hbbr, its partner). */
static void
tconn_free(struct tconn *c)
{
	struct tconn *p = c->partner;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->spliced) {
		event_free(c->rev);
		event_free(c->wev);
		close(c->pipe[0]);
		close(c->pipe[1]);
	}
	bufferevent_free(c->bev);
	free(c);
	if (p != NULL) {
		p->partner = NULL;
		tconn_free(p);
	}
}

/* Finds the pending client connection with address a. */
static struct tconn *
pending_find(const struct sockaddr_storage *a)
{
	struct tconn *c;

	for (c = conns; c != NULL; c = c->next)
		if (!c->relay && c->pending && same_addr(&c->addr, a))
			return c;
	return NULL;
}

/* Answers a client with PunchHoleResponse{failure}. */
static void
punch_fail(struct tconn *c, int failure)
{
	Hbb__RendezvousMessage out = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__PunchHoleResponse r = HBB__PUNCH_HOLE_RESPONSE__INIT;

	r.failure = failure;
	out.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_RESPONSE;
	out.punch_hole_response = &r;
	tcp_send(c, &out);
}

/* Looks up an online host for a client request; answers failures. */
static struct peer *
client_target(struct tconn *c, const char *id, const char *key)
{
	struct peer *p;

	if (*licence != '\0' && strcmp(key, licence) != 0) {
		punch_fail(c, HBB__PUNCH_HOLE_RESPONSE__FAILURE__LICENSE_MISMATCH);
		return NULL;
	}
	if ((p = peer_find(id)) == NULL || !p->has_pk) {
		punch_fail(c, HBB__PUNCH_HOLE_RESPONSE__FAILURE__ID_NOT_EXIST);
		return NULL;
	}
	if (time(NULL) - p->last > OFFLINE_S) {
		punch_fail(c, HBB__PUNCH_HOLE_RESPONSE__FAILURE__OFFLINE);
		return NULL;
	}
	return p;
}

/* Handles one framed message on the hbbs TCP port. Returns -1 to close. */
static int
hbbs_msg(struct tconn *c, const Hbb__RendezvousMessage *m)
{
	Hbb__RendezvousMessage out = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__PunchHole ph = HBB__PUNCH_HOLE__INIT;
	Hbb__FetchLocalAddr fl = HBB__FETCH_LOCAL_ADDR__INIT;
	Hbb__RequestRelay rq;
	Hbb__RelayResponse rr;
	Hbb__PunchHoleResponse phr = HBB__PUNCH_HOLE_RESPONSE__INIT;
	struct sockaddr_storage a;
	socklen_t alen;
	struct tconn *cl;
	struct peer *p;
	uint8_t mangled[RDV_ADDR_MAX], *spk = NULL;
	char relay[64];
	size_t spk_len = 0;
	int n;

	snprintf(relay, sizeof relay, "127.0.0.1:%d", relay_port);
	n = rdv_addr_mangle((struct sockaddr *)&c->addr,
	    (uint32_t)time(NULL), mangled);
	switch (m->union_case) {
	case HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_REQUEST:
		say("EVENT punch_hole_request %s", m->punch_hole_request->id);
		if ((p = client_target(c, m->punch_hole_request->id,
		    m->punch_hole_request->licence_key)) == NULL)
			return 0;
		c->pending = 1;
		if (local_mode) {
			fl.socket_addr.data = mangled;
			fl.socket_addr.len = (size_t)n;
			fl.relay_server = relay;
			out.union_case =
			    HBB__RENDEZVOUS_MESSAGE__UNION_FETCH_LOCAL_ADDR;
			out.fetch_local_addr = &fl;
		} else {
			ph.socket_addr.data = mangled;
			ph.socket_addr.len = (size_t)n;
			ph.relay_server = relay;
			ph.nat_type = m->punch_hole_request->nat_type;
			ph.force_relay = m->punch_hole_request->force_relay;
			out.union_case =
			    HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE;
			out.punch_hole = &ph;
		}
		udp_send(&out, &p->addr, p->alen);
		return 0;
	case HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY:
		say("EVENT request_relay %s", m->request_relay->id);
		if ((p = client_target(c, m->request_relay->id,
		    m->request_relay->licence_key)) == NULL)
			return 0;
		c->pending = 1;
		rq = *m->request_relay;
		rq.socket_addr.data = mangled;
		rq.socket_addr.len = (size_t)n;
		if (*rq.relay_server == '\0')
			rq.relay_server = relay;
		out.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY;
		out.request_relay = &rq;
		udp_send(&out, &p->addr, p->alen);
		return 0;
	case HBB__RENDEZVOUS_MESSAGE__UNION_RELAY_RESPONSE:
		rr = *m->relay_response;
		say("EVENT relay_response version=%s uuid=%s", rr.version,
		    rr.uuid);
		if (rdv_addr_unmangle(rr.socket_addr.data, rr.socket_addr.len,
		    &a, &alen) != 0 || (cl = pending_find(&a)) == NULL)
			return -1;
		rr.socket_addr.len = 0;
		if (rr.union_case == HBB__RELAY_RESPONSE__UNION_ID) {
			p = peer_find(rr.id);
			if (p != NULL && *rr.version != '\0')
				spk = signed_idpk(p, &spk_len);
			rr.union_case = HBB__RELAY_RESPONSE__UNION_PK;
			rr.pk.data = spk;
			rr.pk.len = spk_len;
		}
		out.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_RELAY_RESPONSE;
		out.relay_response = &rr;
		tcp_send(cl, &out);
		cl->pending = 0;
		free(spk);
		return -1;	/* one message per host connection */
	case HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_SENT:
	case HBB__RENDEZVOUS_MESSAGE__UNION_LOCAL_ADDR:
		if (m->union_case ==
		    HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_SENT) {
			say("EVENT punch_hole_sent version=%s",
			    m->punch_hole_sent->version);
			rdv_addr_unmangle(m->punch_hole_sent->socket_addr.data,
			    m->punch_hole_sent->socket_addr.len, &a, &alen);
			p = peer_find(m->punch_hole_sent->id);
			phr.socket_addr.data = mangled;
			phr.socket_addr.len = (size_t)n;
			phr.union_case =
			    HBB__PUNCH_HOLE_RESPONSE__UNION_NAT_TYPE;
			phr.nat_type = m->punch_hole_sent->nat_type;
			if (p != NULL && *m->punch_hole_sent->version != '\0')
				spk = signed_idpk(p, &spk_len);
		} else {
			say("EVENT local_addr version=%s",
			    m->local_addr->version);
			rdv_addr_unmangle(m->local_addr->socket_addr.data,
			    m->local_addr->socket_addr.len, &a, &alen);
			p = peer_find(m->local_addr->id);
			phr.socket_addr = m->local_addr->local_addr;
			phr.union_case =
			    HBB__PUNCH_HOLE_RESPONSE__UNION_IS_LOCAL;
			phr.is_local = 1;
			if (p != NULL && *m->local_addr->version != '\0')
				spk = signed_idpk(p, &spk_len);
		}
		phr.pk.data = spk;
		phr.pk.len = spk_len;
		phr.relay_server = relay;
		if ((cl = pending_find(&a)) != NULL) {
			out.union_case =
			    HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_RESPONSE;
			out.punch_hole_response = &phr;
			tcp_send(cl, &out);
			cl->pending = 0;
		}
		free(spk);
		return -1;
	default:
		say("EVENT tcp_other %d", (int)m->union_case);
		return -1;
	}
}

/*
 * Move what c's peer sent to c's partner, kernel to kernel, as far as the
 * pipe and the partner's socket take it; then wait for whichever of the
 * two is the limit (back-pressure both ways, a pipe's worth at most in
 * flight). EOF or an error on either side closes the pair, as hbbr does.
 */
static void
relay_pump(evutil_socket_t fd, short what, void *arg)
{
	struct tconn *c = arg;
	int in = bufferevent_getfd(c->bev);
	int out = bufferevent_getfd(c->partner->bev);
	int moved, eof = 0;
	ssize_t n;

	(void)fd;
	(void)what;
	do {
		moved = 0;
		if (c->inpipe < SPLICE_CAP) {
			n = splice(in, NULL, c->pipe[1], NULL,
			    SPLICE_CAP - c->inpipe,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n == 0)
				eof = 1;
			else if (n > 0) {
				c->inpipe += (size_t)n;
				moved = 1;
			} else if (errno != EAGAIN && errno != EINTR)
				eof = 1;
		}
		if (c->inpipe > 0) {
			n = splice(c->pipe[0], NULL, out, NULL, c->inpipe,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				c->inpipe -= (size_t)n;
				moved = 1;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR)
				eof = 1;
		}
	} while (moved && !eof);
	if (eof) {
		say("EVENT relay_closed %s", c->uuid);
		tconn_free(c);
		return;
	}
	if (c->inpipe < SPLICE_CAP)
		event_add(c->rev, NULL);
	else
		event_del(c->rev);
	if (c->inpipe > 0)
		event_add(c->wev, NULL);
	else
		event_del(c->wev);
}

/* Switch c (and its partner) to splice once neither has bytes in its
 * bufferevent (bytes sent before pairing go first, in order). */
static void
relay_splice(struct tconn *c)
{
	struct tconn *o = c->partner, *x;
	int i;

	if (o == NULL || c->spliced ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) != 0 ||
	    evbuffer_get_length(bufferevent_get_output(o->bev)) != 0 ||
	    evbuffer_get_length(bufferevent_get_input(c->bev)) != 0 ||
	    evbuffer_get_length(bufferevent_get_input(o->bev)) != 0)
		return;
	if (pipe2(c->pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		return;			/* stays on bufferevents */
	if (pipe2(o->pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
		close(c->pipe[0]);
		close(c->pipe[1]);
		return;
	}
	for (i = 0, x = c; i < 2; i++, x = x->partner) {
		(void)fcntl(x->pipe[0], F_SETPIPE_SZ, SPLICE_CAP);
		bufferevent_disable(x->bev, EV_READ | EV_WRITE);
		x->rev = event_new(base, bufferevent_getfd(x->bev), EV_READ,
		    relay_pump, x);
		x->wev = event_new(base, bufferevent_getfd(x->partner->bev),
		    EV_WRITE, relay_pump, x);
		x->spliced = 1;
		event_add(x->rev, NULL);
	}
}

/* A relay connection's output drained: maybe time to splice. */
static void
tconn_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	relay_splice(arg);
}

/* Pairs an hbbr connection with a waiting one of the same uuid. */
static void
hbbr_pair(struct tconn *c)
{
	struct tconn *o;

	for (o = conns; o != NULL; o = o->next)
		if (o != c && o->relay && o->got_req && o->partner == NULL &&
		    strcmp(o->uuid, c->uuid) == 0)
			break;
	if (o == NULL) {
		say("EVENT relay_wait %s", c->uuid);
		return;
	}
	c->partner = o;
	o->partner = c;
	c->paired_seq = o->paired_seq = ++pair_seq;
	/* Bytes sent before the partner arrived are delivered now. */
	evbuffer_add_buffer(bufferevent_get_output(o->bev),
	    bufferevent_get_input(c->bev));
	evbuffer_add_buffer(bufferevent_get_output(c->bev),
	    bufferevent_get_input(o->bev));
	say("EVENT relay_paired %s", c->uuid);
	relay_splice(c);
}

/* Reads a TCP connection: frames before pairing, raw bytes after. */
static void
tconn_read_cb(struct bufferevent *bev, void *arg)
{
	struct tconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	Hbb__RendezvousMessage *m;
	const uint8_t *payload;
	size_t plen, n;
	int used, rv;

	if (c->partner != NULL) {
		evbuffer_add_buffer(bufferevent_get_output(c->partner->bev),
		    in);
		return;
	}
	if (c->relay && c->got_req)
		return;		/* waiting for the partner; keep bytes */
	for (;;) {
		n = evbuffer_get_length(in);
		if (n > INPUT_MAX) {
			tconn_free(c);
			return;
		}
		used = codec_frame(evbuffer_pullup(in, -1), n, INPUT_MAX,
		    &payload, &plen);
		if (used == 0)
			return;
		if (used < 0) {
			tconn_free(c);
			return;
		}
		m = hbb__rendezvous_message__unpack(NULL, plen, payload);
		evbuffer_drain(in, (size_t)used);
		if (m == NULL) {
			tconn_free(c);
			return;
		}
		if (c->relay) {
			rv = -1;
			if (m->union_case ==
			    HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY &&
			    strlen(m->request_relay->uuid) < sizeof c->uuid &&
			    *m->request_relay->uuid != '\0' &&
			    (*licence == '\0' || strcmp(licence,
			    m->request_relay->licence_key) == 0)) {
				snprintf(c->uuid, sizeof c->uuid, "%s",
				    m->request_relay->uuid);
				c->got_req = 1;
				rv = 0;
			}
			hbb__rendezvous_message__free_unpacked(m, NULL);
			if (rv != 0) {
				say("EVENT relay_refused");
				tconn_free(c);
				return;
			}
			hbbr_pair(c);
			return;
		}
		rv = hbbs_msg(c, m);
		hbb__rendezvous_message__free_unpacked(m, NULL);
		if (rv != 0) {
			tconn_free(c);
			return;
		}
	}
}

/* EOF or error: close the connection (and its relay partner). */
static void
tconn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct tconn *c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (c->relay && c->partner != NULL)
			say("EVENT relay_closed %s", c->uuid);
		tconn_free(c);
	}
}

/* Accepts a TCP connection on either port. */
static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int len, void *arg)
{
	struct tconn *c = xcalloc(1, sizeof *c);

	(void)l;
	c->relay = arg != NULL;
	memcpy(&c->addr, sa, (size_t)len);
	c->alen = (socklen_t)len;
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, tconn_read_cb, arg != NULL ?
	    tconn_write_cb : NULL, tconn_event_cb, c);
	/* A relay moves bulk data (the file bench): not 4 KiB a turn. */
	if (c->relay) {
		bufferevent_set_max_single_read(c->bev, 256 * 1024);
		bufferevent_set_max_single_write(c->bev, 1024 * 1024);
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = conns;
	if (conns != NULL)
		conns->prev = c;
	conns = c;
}

/* Makes a TCP listener on 127.0.0.1:*p (0 = pick; *p gets the port). */
static struct evconnlistener *
listen_tcp(int *p, void *arg)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	struct evconnlistener *l;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)*p);
	l = evconnlistener_new_bind(base, accept_cb, arg,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	    (struct sockaddr *)&sin, sizeof sin);
	if (l == NULL)
		return NULL;
	getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &sl);
	*p = ntohs(sin.sin_port);
	return l;
}

static int	hbbs_open(void);

/* Opens the hbbs UDP and TCP sockets on port (0 = pick one). */
static int
hbbs_up(void)
{
	int tries, want = port;

	for (tries = 0; tries < 50; tries++) {
		port = want;
		if (hbbs_open() == 0)
			return 0;
		if (want != 0)
			break;
		/* A free TCP port whose UDP twin is taken: pick again. */
	}
	return -1;
}

/* One attempt of hbbs_up(). */
static int
hbbs_open(void)
{
	struct sockaddr_in sin;

	if ((hbbs_lst = listen_tcp(&port, NULL)) == NULL)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (udp_fd == -1 ||
	    bind(udp_fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		if (udp_fd != -1)
			close(udp_fd);
		udp_fd = -1;
		evconnlistener_free(hbbs_lst);
		hbbs_lst = NULL;
		return -1;
	}
	udp_ev = event_new(base, udp_fd, EV_READ | EV_PERSIST, udp_cb, NULL);
	event_add(udp_ev, NULL);
	return 0;
}

/* Closes hbbs (not hbbr) and forgets every registration. */
static void
hbbs_down(void)
{
	struct tconn *c, *n;

	if (udp_ev != NULL)
		event_free(udp_ev);
	udp_ev = NULL;
	if (udp_fd != -1)
		close(udp_fd);
	udp_fd = -1;
	if (hbbs_lst != NULL)
		evconnlistener_free(hbbs_lst);
	hbbs_lst = NULL;
	for (c = conns; c != NULL; c = n) {
		n = c->next;
		if (!c->relay) {
			tconn_free(c);
			n = conns;	/* the list changed */
		}
	}
	npeers = 0;
}

/* Signal handler on the loop: down, up, drop a relay, or quit. */
static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct tconn *c, *newest = NULL;

	(void)what;
	(void)arg;
	switch (sig) {
	case SIGUSR1:
		hbbs_down();
		say("EVENT down");
		break;
	case SIGUSR2:
		if (hbbs_lst == NULL && hbbs_up() != 0) {
			say("EVENT up_failed %s", strerror(errno));
			break;
		}
		say("EVENT up");
		break;
	case SIGALRM:
		stale_key = !stale_key;
		say("EVENT stale_key %d", stale_key);
		break;
	case SIGHUP:
		for (c = conns; c != NULL; c = c->next)
			if (c->relay && c->partner != NULL && (newest == NULL ||
			    c->paired_seq > newest->paired_seq))
				newest = c;
		if (newest != NULL) {
			say("EVENT relay_dropped %s", newest->uuid);
			tconn_free(newest);
		}
		break;
	default:
		event_base_loopbreak(base);
		break;
	}
}

/* Parses options, opens the ports, runs until TERM. */
int
main(int argc, char **argv)
{
	struct event *sigs[6];
	int sigv[6] = { SIGUSR1, SIGUSR2, SIGHUP, SIGALRM, SIGTERM, SIGINT };
	char b64[64];
	int ch, i;

	/* Blocks of 128 KiB one after another: from the heap, kept, not
	 * mapped or trimmed afresh each (page faults were most of the
	 * bench's peer and relay time). */
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	setvbuf(stdout, NULL, _IOLBF, 0);
	relay_port = -1;
	while ((ch = getopt(argc, argv, "p:r:k:c:l")) != -1) {
		switch (ch) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'r':
			relay_port = atoi(optarg);
			break;
		case 'k':
			licence = optarg;
			break;
		case 'c':
			conflict_id = optarg;
			break;
		case 'l':
			local_mode = 1;
			break;
		default:
			fprintf(stderr, "usage: hbbs_double [-p port] "
			    "[-r relay] [-k key] [-c id] [-l]\n");
			return 2;
		}
	}
	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	crypto_sign_keypair(sign_pk, sign_sk);
	base = event_base_new();
	if (hbbs_up() != 0) {
		fprintf(stderr, "hbbs_double: port %d: %s\n", port,
		    strerror(errno));
		return 1;
	}
	if (relay_port < 0) {
		/* hbbs port + 1 as upstream, else any free port. */
		relay_port = port + 1;
		if ((hbbr_lst = listen_tcp(&relay_port, (void *)1)) == NULL)
			relay_port = 0;
	}
	if (hbbr_lst == NULL &&
	    (hbbr_lst = listen_tcp(&relay_port, (void *)1)) == NULL) {
		fprintf(stderr, "hbbs_double: relay port %d: %s\n",
		    relay_port, strerror(errno));
		return 1;
	}
	for (i = 0; i < 6; i++) {
		sigs[i] = evsignal_new(base, sigv[i], signal_cb, NULL);
		event_add(sigs[i], NULL);
	}
	sodium_bin2base64(b64, sizeof b64, sign_pk, sizeof sign_pk,
	    sodium_base64_VARIANT_ORIGINAL);
	say("KEY %s", b64);
	say("READY %d %d", port, relay_port);
	event_base_dispatch(base);

	hbbs_down();
	while (conns != NULL)
		tconn_free(conns);
	evconnlistener_free(hbbr_lst);
	for (i = 0; i < 6; i++)
		event_free(sigs[i]);
	event_base_free(base);
	return 0;
}
