/*
 * rendezvous.h: access by ID (PROTOCOL.md §13). Registers the host with
 * hbbs over UDP, answers hbbs's PunchHole, FetchLocalAddr and RequestRelay
 * by opening a relayed TCP stream through hbbr, and hands every resulting
 * peer stream to the connection layer through a callback. Runs on the
 * caller's libevent loop and never blocks it.
 *
 * The registration state is queryable (rdv_state): "registered",
 * "connecting" or "error: TEXT", which the server answers to `cdesk
 * --status` and the main window over the IPC (StatusGet).
 */
#ifndef CDESK_RENDEZVOUS_H
#define CDESK_RENDEZVOUS_H

#include <sys/socket.h>
#include <stdint.h>

struct event_base;
struct evdns_base;
struct cfg;
struct store;

#define RDV_PORT		21116	/* hbbs, when the option has no port */
#define RDV_RELAY_PORT		21117	/* hbbr, when the relay has no port */
#define RDV_DEFAULT_SERVER	"rs-ny.rustdesk.com"	/* empty option */
#define RDV_DEFAULT_KEY	"OeVuKk5nlHiXp+APNn0Y3pC1Iwpwn44JGqrQCsWqmBw="
#define RDV_SERIAL		3	/* RegisterPeer.serial (config serial) */

/*
 * A peer stream, connected and ready for the host side of the handshake
 * (sstream_hs_host_*). The callee takes ownership of fd (non-blocking, TCP)
 * and must close it. secure is 1 when the handshake must be run: always,
 * except for a client-initiated relay whose RequestRelay.secure was false
 * (the client holds no key for us); upstream's create_tcp_connection then
 * skips the key exchange and the session is plaintext. peer is the
 * client's address as hbbs reported it (borrowed for the call). Called from
 * the event loop; may call rdv_free() only through event_base_once.
 */
typedef void	rdv_stream_cb(void *arg, int fd, int secure,
		    const struct sockaddr *peer, socklen_t peerlen);

/* What the module needs; every string is copied by rdv_new. */
struct rdv_conf {
	const char	*server;	/* custom-rendezvous-server; "" = default */
	const char	*relay;		/* relay-server; "" = the one hbbs names */
	const char	*key;		/* key option; "" = RDV_DEFAULT_KEY only
					 * with the default server */
	const char	*id;		/* host ID */
	const uint8_t	*uuid;		/* machine uuid bytes (borrowed) */
	size_t		 uuid_len;
	const uint8_t	*pk;		/* Ed25519 public key, 32 bytes */
	const char	*version;	/* sent in RelayResponse; NULL/"" =
					 * CDESK_VERSION */
	/* Timing in ms, 0 = upstream's value (tests shorten them). */
	int		 tick_ms;	/* 1000 */
	int		 reg_interval_ms;	/* 15000 (REG_INTERVAL) */
	int		 reg_timeout_ms;	/* 3000 */
};

enum rdv_state {
	RDV_CONNECTING = 0,	/* no answer yet, or the server went away */
	RDV_REGISTERED,		/* key confirmed and registration current */
	RDV_ERROR,		/* hbbs refused us; see the text */
};

struct rdv;

/*
 * Fills conf from the options custom-rendezvous-server, relay-server and
 * key of c and the ID, uuid and key of st. Pointers in conf are borrowed
 * from c and st and valid while they are unchanged.
 */
void	rdv_conf_from(struct rdv_conf *conf, const struct cfg *c,
	    const struct store *st);

/*
 * Starts registering on base. dns may be NULL (the module then makes its
 * own evdns_base from /etc/resolv.conf). cb/arg receive peer streams.
 * Returns 0 and *out (caller frees with rdv_free), or ERR_INVAL for a bad
 * server or relay option (with *cause, caller frees), or ERR_IO.
 */
int	rdv_new(struct rdv **out, struct event_base *base,
	    struct evdns_base *dns, const struct rdv_conf *conf,
	    rdv_stream_cb *cb, void *arg, char **cause);
/* Stops, closes every socket, removes the status file; NULL is a no-op. */
void	rdv_free(struct rdv *);

/*
 * Current registration state; *text (may be NULL) receives "registered",
 * "connecting" or "error: ..." (borrowed, valid until the next loop pass).
 */
enum rdv_state	rdv_state(const struct rdv *, const char **text);

/*
 * The connection layer saw a client send an empty PublicKey (it could not
 * verify our key, §2.3): re-send RegisterPk on the next tick.
 */
void	rdv_key_unconfirmed(struct rdv *);

/* ---- for tests and fuzzing ---- */

/*
 * Processes one UDP datagram as if it came from hbbs (registration answers
 * and pushes). Returns 0, or a negative ERR_* for bytes that are dropped.
 */
int	rdv_udp_input(struct rdv *, const uint8_t *p, size_t n);

#endif
