/*
 * conn_tunnel.c: TCP tunnels (PROTOCOL.md §12, HOST.md §5.9). A
 * port-forward login connects to its destination, on the loop, before
 * the host answers with PeerInfo (3 s, as upstream, and upstream's text
 * when it fails or option tunnel-destinations does not list it). After
 * PeerInfo nothing framed goes out; once no TestDelay probe is unanswered
 * the peer stream turns raw (no frames, no encryption) and bytes are
 * copied both ways, at most 256 KiB buffered per direction, until a side
 * closes (what it sent is delivered first, unless 30 s pass without a
 * byte moving) or an hour passes without traffic.
 *
 * States: NEW -> RESOLVING -> CONNECTING (one address after another) ->
 * CONNECTED (login finishes: PeerInfo) -> WAIT_ECHO -> RAW.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "common/config.h"
#include "common/dest.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "server/conn/conn_int.h"
#include "server/srv.h"

#define TUN_CONNECT_MS	3000		/* upstream's connect timeout */
#define TUN_IDLE_MS	(3600 * 1000ULL) /* H1 upstream */
#define TUN_CHECK_S	60		/* idle check period */
#define TUN_LINGER_S	30		/* to deliver the rest after a close */
#define TUN_HIGH	(256 * 1024)	/* buffered per direction */
#define TUN_RDP_PORT	3389

enum tun_state {
	TUN_NEW,
	TUN_RESOLVING,
	TUN_CONNECTING,
	TUN_FAILED,
	TUN_CONNECTED,
	TUN_WAIT_ECHO,
	TUN_RAW,
};

/* The tunnel of a port-forward connection. */
struct conn_tunnel {
	struct conn			*c;		/* borrowed: owns us */
	enum tun_state			 state;
	char				*host;		/* owned: to resolve */
	int				 port;
	char				*label;		/* owned: peer text */
	char				*log;		/* owned: escaped */
	const char			*how;		/* static: the login */
	char				 otp[16];	/* its password */
	int				 have_otp;
	int				 denied;	/* one was unlisted */
	int				 err;		/* last connect errno */
	struct evdns_getaddrinfo_request *req;		/* while resolving */
	struct evutil_addrinfo		*ai;		/* owned */
	struct evutil_addrinfo		*next;		/* in ai: to try next */
	struct bufferevent		*bev;		/* owned: destination */
	struct event			*timer;		/* owned */
	uint64_t			 last_ms;	/* last byte */
	uint64_t			 up, down;	/* bytes copied */
	int				 peer_eof, dest_eof;
};

static void	tun_try_next(struct conn_tunnel *);
static void	tun_dest_event_cb(struct bufferevent *, short, void *);

/* Latch the destination of a port-forward login (RDP/0 and "" as upstream). */
void
conn_tunnel_latch(struct conn *c, const Hbb__LoginRequest *lr)
{
	const Hbb__PortForward *pf;
	struct conn_tunnel *t;
	const char *host;
	size_t len;

	if (lr->union_case != HBB__LOGIN_REQUEST__UNION_PORT_FORWARD ||
	    c->tunnel != NULL)
		return;
	pf = lr->port_forward;
	t = xcalloc(1, sizeof *t);
	t->c = c;
	if (strcmp(pf->host, "RDP") == 0 && pf->port == 0) {
		t->host = xstrdup("localhost");
		t->port = TUN_RDP_PORT;
		t->label = xstrdup("RDP");
	} else {
		host = *pf->host != '\0' ? pf->host : "localhost";
		t->port = pf->port;
		xasprintf(&t->label, "%s:%d", host, (int)pf->port);
		/* "[::1]" names the address ::1. */
		len = strlen(host);
		if (len > 2 && host[0] == '[' && host[len - 1] == ']')
			t->host = xstrndup(host + 1, len - 2);
		else
			t->host = xstrdup(host);
	}
	t->log = log_escape(t->label, 300);
	c->tunnel = t;
}

/* The connection's resolver, made at the first tunnel. */
static struct evdns_base *
tun_dns(struct srv *srv)
{
	if (srv->dns != NULL)
		return srv->dns;
	srv->dns = evdns_base_new(srv->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (srv->dns == NULL && (srv->dns = evdns_base_new(srv->base,
	    0)) != NULL)
		evdns_base_load_hosts(srv->dns, NULL);
	return srv->dns;
}

/* The destination cannot be had: upstream's login error, then close. */
static void
tun_fail(struct conn_tunnel *t, const char *why)
{
	struct conn *c = t->c;
	char *text;

	t->state = TUN_FAILED;
	evtimer_del(t->timer);
	if (t->bev != NULL)
		bufferevent_free(t->bev);
	t->bev = NULL;
	log_info("conn %u peer %s: tunnel to %s: %s", c->id, c->peer, t->log,
	    why);
	xasprintf(&text, "Failed to access remote %s. Please make sure it is "
	    "reachable/open.", t->label);
	conn_login_error(c, text, 1);
	free(text);
}

/* The connect deadline (3 s) passed. */
static void
tun_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_tunnel *t = arg;

	(void)fd;
	(void)what;
	if (t->state < TUN_FAILED)
		tun_fail(t, "timed out");
}

/* Connected: finish the login that waited for it. */
static void
tun_connected(struct conn_tunnel *t)
{
	int one = 1;

	t->state = TUN_CONNECTED;
	evtimer_del(t->timer);
	if (t->c->closing)
		return;		/* refused or dismissed meanwhile */
	setsockopt(bufferevent_getfd(t->bev), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof one);
	log_info("conn %u peer %s: tunnel to %s connected", t->c->id,
	    t->c->peer, t->log);
	/* What the destination says first waits (bounded) for raw mode. */
	bufferevent_setcb(t->bev, NULL, NULL, tun_dest_event_cb, t);
	bufferevent_setwatermark(t->bev, EV_READ, 0, TUN_HIGH);
	bufferevent_setwatermark(t->bev, EV_WRITE, TUN_HIGH / 2, 0);
	bufferevent_enable(t->bev, EV_READ | EV_WRITE);
	conn_authorize(t->c, t->how, t->have_otp ? t->otp : NULL);
}

/* The connect attempt ended: connected, or on to the next address. */
static void
tun_connect_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn_tunnel *t = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		tun_connected(t);
		return;
	}
	t->err = EVUTIL_SOCKET_ERROR();
	bufferevent_free(t->bev);
	t->bev = NULL;
	tun_try_next(t);
}

/* Try the next resolved address the destination list admits. */
static void
tun_try_next(struct conn_tunnel *t)
{
	struct srv *srv = t->c->srv;
	const char *list = cfg_get(srv->cfg, "tunnel-destinations");
	struct evutil_addrinfo *ai;
	char why[160];

	t->state = TUN_CONNECTING;
	while ((ai = t->next) != NULL) {
		t->next = ai->ai_next;
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (!dest_allowed(list, t->host, t->port, ai->ai_addr)) {
			t->denied = 1;
			continue;
		}
		t->bev = bufferevent_socket_new(srv->base, -1,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (t->bev == NULL)
			break;
		bufferevent_setcb(t->bev, NULL, NULL, tun_connect_cb, t);
		if (bufferevent_socket_connect(t->bev, ai->ai_addr,
		    (int)ai->ai_addrlen) == 0)
			return;
		t->err = EVUTIL_SOCKET_ERROR();
		bufferevent_free(t->bev);
		t->bev = NULL;
	}
	if (t->err != 0)
		snprintf(why, sizeof why, "%s",
		    evutil_socket_error_to_string(t->err));
	else
		snprintf(why, sizeof why, "%s", t->denied ?
		    "not in option tunnel-destinations" : "no address");
	tun_fail(t, why);
}

/* The destination's name resolved (or not). */
static void
tun_resolved_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct conn_tunnel *t = arg;

	if (result == EVUTIL_EAI_CANCEL)
		return;		/* conn_tunnel_close is running or ran */
	t->req = NULL;
	if (t->state != TUN_RESOLVING) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	if (result != 0 || res == NULL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		tun_fail(t, evutil_gai_strerror(result));
		return;
	}
	t->ai = t->next = res;
	tun_try_next(t);
}

/* Look the destination up, then connect (both on the loop). */
static void
tun_resolve(struct conn_tunnel *t)
{
	struct srv *srv = t->c->srv;
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	struct timeval tv = { TUN_CONNECT_MS / 1000,
	    (TUN_CONNECT_MS % 1000) * 1000 };
	char port[16];

	t->state = TUN_RESOLVING;
	t->timer = evtimer_new(srv->base, tun_deadline_cb, t);
	evtimer_add(t->timer, &tv);
	if (t->port <= 0 || t->port > 65535 || strlen(t->host) > 253) {
		tun_fail(t, "no such port or host");
		return;
	}
	if (tun_dns(srv) == NULL) {
		tun_fail(t, "no DNS resolver");
		return;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(port, sizeof port, "%d", t->port);
	req = evdns_getaddrinfo(srv->dns, t->host, port, &hints,
	    tun_resolved_cb, t);
	/* A numeric host answers at once, before this returns. */
	if (req != NULL && t->state == TUN_RESOLVING)
		t->req = req;
}

/*
 * 1 when the login may finish (no tunnel, or its destination connected);
 * else 0, the first time starting the connection, after which the tunnel
 * calls conn_authorize itself (how is static; otp is copied).
 */
int
conn_tunnel_ready(struct conn *c, const char *how, const char *otp)
{
	struct conn_tunnel *t = c->tunnel;

	if (t == NULL || t->state >= TUN_CONNECTED)
		return 1;
	if (t->state != TUN_NEW)
		return 0;
	t->how = how;
	if (otp != NULL) {
		snprintf(t->otp, sizeof t->otp, "%s", otp);
		t->have_otp = 1;
	}
	tun_resolve(t);
	return 0;
}

/* Move what src has read to dst's output, as far as dst has room. */
static size_t
tun_pump(struct bufferevent *src, struct bufferevent *dst)
{
	struct evbuffer *in = bufferevent_get_input(src);
	struct evbuffer *out = bufferevent_get_output(dst);
	size_t have = evbuffer_get_length(in), used = evbuffer_get_length(out);
	size_t n;

	if (used >= TUN_HIGH || have == 0)
		return 0;
	n = have < TUN_HIGH - used ? have : TUN_HIGH - used;
	evbuffer_remove_buffer(in, out, n);
	return n;
}

/* Copy both ways; close once a side ended and its bytes were delivered. */
static void
tun_run(struct conn_tunnel *t)
{
	struct conn *c = t->c;
	size_t n;

	if (t->state != TUN_RAW || c->dead)
		return;
	if ((n = tun_pump(c->bev, t->bev)) > 0) {
		t->up += n;
		t->last_ms = mono_ms();
	}
	if ((n = tun_pump(t->bev, c->bev)) > 0) {
		t->down += n;
		t->last_ms = mono_ms();
	}
	if (t->dest_eof && evbuffer_get_length(bufferevent_get_input(t->bev)) ==
	    0 && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_close(c, "tunnel destination closed");
	else if (t->peer_eof &&
	    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0 &&
	    evbuffer_get_length(bufferevent_get_output(t->bev)) == 0)
		conn_close(c, "peer closed the tunnel");
}

/* Either stream has bytes or room. */
static void
tun_io_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	tun_run(arg);
}

/* End of file or an error on the peer's stream (ours is c->bev). */
static void
tun_event(struct conn_tunnel *t, int peer, short what)
{
	char why[160];

	if (t->c->dead)
		return;
	if (what & BEV_EVENT_EOF) {
		if (!t->peer_eof && !t->dest_eof && t->state == TUN_RAW) {
			/* The other side may take the rest, but not forever. */
			struct timeval tv = { TUN_LINGER_S, 0 };

			evtimer_add(t->timer, &tv);
		}
		if (peer)
			t->peer_eof = 1;
		else
			t->dest_eof = 1;
		tun_run(t);
		return;
	}
	if ((what & BEV_EVENT_ERROR) == 0)
		return;
	snprintf(why, sizeof why, "%s: %s", peer ? "peer" : "destination",
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	if (t->state == TUN_RAW)
		conn_close(t->c, why);
	else if (!peer)
		t->dest_eof = 1;	/* ends the tunnel once it is raw */
}

/* Events of the peer's stream in raw mode. */
static void
tun_peer_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	tun_event(arg, 1, what);
}

/* Events of the destination. */
static void
tun_dest_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	tun_event(arg, 0, what);
}

/* Every minute: an hour without a byte either way closes; so do
 * TUN_LINGER_S without a byte after one side closed (the other is not
 * taking the rest). */
static void
tun_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_tunnel *t = arg;
	struct timeval tv = { TUN_CHECK_S, 0 };

	(void)fd;
	(void)what;
	if (t->peer_eof || t->dest_eof) {
		if (mono_ms() - t->last_ms >= TUN_LINGER_S * 1000ULL) {
			conn_close(t->c, t->peer_eof ? "the destination did "
			    "not take what the peer sent before closing" :
			    "the peer did not take what the destination sent "
			    "before closing");
			return;
		}
		tv.tv_sec = TUN_LINGER_S;	/* still moving: again soon */
	}
	if (mono_ms() - t->last_ms > TUN_IDLE_MS) {
		conn_close(t->c, "Timeout");
		return;
	}
	evtimer_add(t->timer, &tv);
}

/* No probe is unanswered: the peer stream is the tunnel's from here. */
static void
tun_raw(struct conn_tunnel *t)
{
	struct conn *c = t->c;
	struct timeval tv = { TUN_CHECK_S, 0 };

	c->raw = 2;
	t->state = TUN_RAW;
	/* Framed bytes still queued would land amid raw ones. */
	if (!TAILQ_EMPTY(&c->ctrl) || !TAILQ_EMPTY(&c->video)) {
		conn_close(c, "peer stopped reading");
		return;
	}
	conn_tick_stop(c);
	event_free(t->timer);
	t->timer = evtimer_new(c->srv->base, tun_idle_cb, t);
	evtimer_add(t->timer, &tv);
	t->last_ms = mono_ms();
	bufferevent_setcb(c->bev, tun_io_cb, tun_io_cb, tun_peer_event_cb, t);
	bufferevent_setwatermark(c->bev, EV_READ, 0, TUN_HIGH);
	bufferevent_setwatermark(c->bev, EV_WRITE, TUN_HIGH / 2, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(t->bev, tun_io_cb, tun_io_cb, tun_dest_event_cb, t);
	log_info("conn %u peer %s: tunnel to %s open", c->id, c->peer,
	    t->log);
	/* Bytes the peer sent before (its early data) go first. */
	tun_run(t);
}

/* PeerInfo is out: nothing framed follows; raw once no probe is out. */
void
conn_tunnel_start(struct conn *c)
{
	struct conn_tunnel *t = c->tunnel;

	if (t == NULL || t->state != TUN_CONNECTED)
		return;
	c->raw = 1;
	t->state = TUN_WAIT_ECHO;
	if (!c->probe_out)
		tun_raw(t);
	else
		log_debug("conn %u: tunnel waits for the probe's echo", c->id);
}

/* The last probe was answered. */
void
conn_tunnel_echoed(struct conn *c)
{
	if (c->tunnel != NULL && c->tunnel->state == TUN_WAIT_ECHO)
		tun_raw(c->tunnel);
}

/* Free the tunnel (from conn_close). */
void
conn_tunnel_close(struct conn *c)
{
	struct conn_tunnel *t = c->tunnel;

	if (t == NULL)
		return;
	if (t->state == TUN_RAW)
		log_info("conn %u peer %s: tunnel to %s closed (%llu bytes up, "
		    "%llu down)", c->id, c->peer, t->log,
		    (unsigned long long)t->up, (unsigned long long)t->down);
	/*
	 * The peer's stream outlives t until conn_free_cb: a callback of it
	 * already queued (tun_dest_event_cb closing the connection inside
	 * one loop pass) must not find t (fuzz_conn found it).
	 */
	if (c->bev != NULL) {
		bufferevent_data_cb rcb;

		bufferevent_getcb(c->bev, &rcb, NULL, NULL, NULL);
		if (rcb == tun_io_cb)
			bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	}
	/* The callback runs later with EVUTIL_EAI_CANCEL and ignores t. */
	if (t->req != NULL)
		evdns_getaddrinfo_cancel(t->req);
	if (t->ai != NULL)
		evutil_freeaddrinfo(t->ai);
	if (t->bev != NULL)
		bufferevent_free(t->bev);
	if (t->timer != NULL)
		event_free(t->timer);
	free(t->host);
	free(t->label);
	free(t->log);
	free(t);
	c->tunnel = NULL;
}
