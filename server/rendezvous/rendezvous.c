/*
 * rendezvous.c: the module's front (PROTOCOL.md §13): start and stop, the
 * registration state, and the datagrams from hbbs, sorted into answers to
 * our registration (rdv_reg.c) and pushes that ask for the host. A push is
 * answered directly (rdv_punch.c) when it can be, else through a relay
 * (rdv_relay.c).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/dns.h>
#include <sodium.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "server/rendezvous/rdv_int.h"

#define RDV_DEDUP_MS		100	/* repeats of one push ignored */
#define RDV_UUID_MAX		128	/* longest relay uuid we accept */

/* Pack a message for hbbs or hbbr; see rdv_int.h. */
int
rdv_pack_msg(const Hbb__RendezvousMessage *m, int framed, uint8_t **out,
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

/* 1 if this push repeats the previous one within 100 ms (§13.3 step 1). */
static int
rdv_push_repeat(struct rdv *r, enum rdv_push kind, ProtobufCBinaryData addr)
{
	uint64_t now = mono_ms();
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
rdv_recv_push(struct rdv *r, enum rdv_push kind, ProtobufCBinaryData addr,
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
	if (rdv_push_repeat(r, kind, addr))
		return 0;
	if (!r->have_srv)
		return ERR_STATE;
	if (kind == PUSH_PUNCH_HOLE && !relay_only)
		return rdv_punch_start(r, kind, addr, relay);
	if (kind == PUSH_FETCH_LOCAL && r->srv.ss_family == AF_INET &&
	    addr.len <= 16)
		return rdv_punch_start(r, kind, addr, relay);
	return rdv_relay_start(r, kind, addr, relay, uuid, secure);
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
		rdv_reg_recv_peer_response(r, m->register_peer_response);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK_RESPONSE:
		rdv_reg_recv_pk_response(r, m->register_pk_response);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_CONFIGURE_UPDATE:
		/* Only used upstream when no server is configured. */
		log_debug("rendezvous: ConfigUpdate ignored");
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE:
		rv = rdv_recv_push(r, PUSH_PUNCH_HOLE,
		    m->punch_hole->socket_addr, m->punch_hole->relay_server,
		    NULL, 1, m->punch_hole->nat_type ==
		    HBB__NAT_TYPE__SYMMETRIC || m->punch_hole->force_relay);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_FETCH_LOCAL_ADDR:
		rv = rdv_recv_push(r, PUSH_FETCH_LOCAL,
		    m->fetch_local_addr->socket_addr,
		    m->fetch_local_addr->relay_server, NULL, 1, 0);
		break;
	case HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY:
		rv = rdv_recv_push(r, PUSH_REQUEST_RELAY,
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

/*
 * Checks the server and relay options and sets r's hbbs host and port.
 * Returns 0, or ERR_INVAL with *cause.
 */
static int
rdv_new_servers(struct rdv *r, const struct rdv_conf *conf, int is_default,
    char **cause)
{
	const char *server;
	char h[RDV_HOST_MAX];
	int p;

	server = is_default ? RDV_DEFAULT_SERVER : conf->server;
	if (rdv_addr_split(server, RDV_PORT, r->host, &r->port) != 0) {
		xasprintf(cause, "custom-rendezvous-server: bad address '%s'",
		    server);
		return ERR_INVAL;
	}
	if (conf->relay != NULL && *conf->relay != '\0' &&
	    rdv_addr_split(conf->relay, RDV_RELAY_PORT, h, &p) != 0) {
		xasprintf(cause, "relay-server: bad address '%s'",
		    conf->relay);
		return ERR_INVAL;
	}
	return 0;
}

/*
 * Uses dns, or makes r's own resolver when it is NULL. Returns 0, or
 * ERR_IO with *cause.
 */
static int
rdv_new_dns(struct rdv *r, struct evdns_base *dns, char **cause)
{
	if ((r->dns = dns) != NULL)
		return 0;
	r->dns = evdns_base_new(r->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (r->dns == NULL)
		r->dns = evdns_base_new(r->base, 0);
	if (r->dns == NULL) {
		xasprintf(cause, "cannot start the DNS resolver");
		return ERR_IO;
	}
	r->own_dns = 1;
	return 0;
}

/* Copies the identity, key, version and timing from conf into r. */
static void
rdv_new_copy(struct rdv *r, const struct rdv_conf *conf, int is_default)
{
	const char *key;

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
}

/* Start registering; see rendezvous.h. */
int
rdv_new(struct rdv **out, struct event_base *base, struct evdns_base *dns,
    const struct rdv_conf *conf, rdv_stream_cb *cb, void *arg,
    char **cause)
{
	struct rdv *r;
	int is_default, rv;

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
	r = xcalloc(1, sizeof *r);
	r->fd = -1;
	r->base = base;
	r->cb = cb;
	r->cb_arg = arg;
	if ((rv = rdv_new_servers(r, conf, is_default, cause)) != 0 ||
	    (rv = rdv_new_dns(r, dns, cause)) != 0) {
		free(r);
		return rv;
	}
	rdv_new_copy(r, conf, is_default);
	if (rdv_reg_start(r) != 0) {
		xasprintf(cause, "cannot start the registration timer");
		rdv_free(r);
		return ERR_IO;
	}
	*out = r;
	return 0;
}

/* Stop and free; see rendezvous.h. */
void
rdv_free(struct rdv *r)
{
	if (r == NULL)
		return;
	rdv_relay_stop(r);
	rdv_punch_stop(r);
	rdv_reg_stop(r);
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
