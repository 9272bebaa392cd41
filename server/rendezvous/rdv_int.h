/*
 * rdv_int.h: what the files of the rendezvous module share (not for
 * callers outside server/rendezvous/). rendezvous.c holds the public API
 * and sorts hbbs's datagrams; rdv_reg.c registers over UDP (PROTOCOL.md
 * §13.2); rdv_relay.c opens relayed streams through hbbr (§13.5);
 * rdv_punch.c answers PunchHole and FetchLocalAddr directly (§13.3 step 4,
 * §13.4), falling back to a relay.
 */
#ifndef CDESK_RDV_INT_H
#define CDESK_RDV_INT_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "rendezvous.pb-c.h"
#include "server/rendezvous/rdv_addr.h"
#include "server/rendezvous/rendezvous.h"

#define RDV_CONNECT_TIMEOUT_MS	18000	/* CONNECT_TIMEOUT */
#define RDV_JOBS_MAX		32	/* concurrent relay (or direct) jobs */

/* A push from hbbs that asks for the host. */
enum rdv_push {
	PUSH_PUNCH_HOLE = 1,
	PUSH_FETCH_LOCAL,
	PUSH_REQUEST_RELAY,
};

struct rdv_job;		/* rdv_relay.c */
struct rdv_direct;	/* rdv_punch.c */

struct rdv {
	struct event_base	*base;		/* borrowed */
	struct evdns_base	*dns;		/* owned if own_dns */
	int			 own_dns;
	rdv_stream_cb		*cb;
	void			*cb_arg;

	char			 host[RDV_HOST_MAX];	/* hbbs */
	int			 port;
	char			*relay;		/* relay-server value or NULL */
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
	int			 outstanding;	/* a request awaits an answer */
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

/* rendezvous.c */

/*
 * Packs m into a new buffer (*out, caller frees), with the length prefix
 * when framed (TCP). Returns 0, or ERR_TOOBIG with *out NULL.
 */
int	rdv_pack_msg(const Hbb__RendezvousMessage *m, int framed,
	    uint8_t **out, size_t *outlen);

/* rdv_reg.c */

/*
 * Starts the registration timer and the first lookup of hbbs. Returns 0,
 * or ERR_IO when the timer cannot start (rdv_free then cleans up).
 */
int	rdv_reg_start(struct rdv *);
/* Cancels the lookup, closes the UDP socket and stops the timer. */
void	rdv_reg_stop(struct rdv *);
/* Handles RegisterPkResponse (§13.2); m is borrowed. */
void	rdv_reg_recv_pk_response(struct rdv *,
	    const Hbb__RegisterPkResponse *m);
/* Handles RegisterPeerResponse (§13.2); m is borrowed. */
void	rdv_reg_recv_peer_response(struct rdv *,
	    const Hbb__RegisterPeerResponse *m);

/* rdv_relay.c */

/*
 * Answers a push with a relay (§13.5): RelayResponse to hbbs, then
 * RequestRelay to hbbr, whose stream goes to the callback. addr is the
 * client's mangled address, named_relay what hbbs named (may be NULL),
 * uuid and secure count only for PUSH_REQUEST_RELAY; all borrowed.
 * Returns 0 (the job runs on), or ERR_TOOBIG, ERR_PROTO, ERR_INVAL or
 * ERR_IO when no job is left running.
 */
int	rdv_relay_start(struct rdv *, enum rdv_push kind,
	    ProtobufCBinaryData addr, const char *named_relay,
	    const char *uuid, int secure);
/*
 * Formats the relay a job would use ("host:port", "[v6]:port", or "" for
 * a bad relay-server option) into out (size n).
 */
void	rdv_relay_string(struct rdv *, const char *named, char *out,
	    size_t n);
/* Frees every relay job, closing its sockets. */
void	rdv_relay_stop(struct rdv *);

/* rdv_punch.c */

/*
 * Answers PunchHole (kind PUSH_PUNCH_HOLE) or FetchLocalAddr
 * (PUSH_FETCH_LOCAL) directly; early failures fall back to
 * rdv_relay_start. Arguments as there. Returns 0, or ERR_TOOBIG or
 * ERR_PROTO when nothing was started.
 */
int	rdv_punch_start(struct rdv *, enum rdv_push kind,
	    ProtobufCBinaryData addr, const char *named_relay);
/* Frees every direct job, closing its sockets. */
void	rdv_punch_stop(struct rdv *);

#endif
