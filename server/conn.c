/*
 * conn.c: one peer connection, from accept to close.
 *
 * States: HANDSHAKE (secure streams only: SignedId out, PublicKey in) ->
 * LOGIN (Hash out, TestDelay cycle, LoginRequest in, throttled password
 * check) -> AUTHORIZED (PeerInfo out, services). Every frame is bounded by
 * the stream's cap (small before login) and every message is checked
 * against the state; a bad one closes this connection only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>
#include <sodium.h>

#include "common/codec.h"
#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/pass.h"
#include "common/sstream.h"
#include "common/store.h"
#include "common/xmalloc.h"
#include "server/conn.h"
#include "server/srv.h"
#include "server/svc.h"
#include "server/sysinfo.h"
#include "server/throttle.h"

#define CONN_OUT_HIGH		(256 * 1024)	/* refill output below this */
#define CONN_HS_TIMEOUT_MS	18000		/* CONNECT_TIMEOUT upstream */
#define CONN_STALL_VIDEO_MS	12000		/* blocked write, remote sessions */
#define CONN_STALL_OTHER_MS	120000		/* file transfer, terminal, ... */
#define CONN_AUDIO_MAX_AGE_MS	1000		/* stale audio is dropped */
#define CONN_SESSION_REUSE_S	30		/* recent-session window */
#define CONN_CLOSE_DELAY_MS	1000		/* let a last error reach the peer */

enum conn_state {
	CONN_HANDSHAKE,
	CONN_LOGIN,
	CONN_AUTHORIZED,
};

/* The kind of session, latched by the first LoginRequest. */
enum conn_kind {
	CONN_KIND_REMOTE,
	CONN_KIND_FILE,
	CONN_KIND_PORT_FORWARD,
	CONN_KIND_CAMERA,
	CONN_KIND_TERMINAL,
};

struct conn_qitem {
	struct msgbuf			*b;	/* one reference owned */
	uint64_t			 t_ms;	/* enqueue time */
	int				 audio;	/* droppable when stale */
	TAILQ_ENTRY(conn_qitem)		 entry;
};
TAILQ_HEAD(conn_queue, conn_qitem);

struct conn {
	uint32_t		 id;
	struct srv		*srv;		/* borrowed */
	struct bufferevent	*bev;		/* owned, closes the fd */
	struct sstream		*ss;		/* owned */
	struct sstream_hs	*hs;		/* owned while in HANDSHAKE */
	struct event		*tick;		/* owned: 1 s TestDelay/idle timer */
	struct event		*closer;	/* owned: delayed close */
	enum conn_state		 state;
	enum conn_via		 via;
	int			 dead;
	int			 closing;	/* a final message is on its way */
	struct sockaddr_storage	 sa;
	char			 addr[INET6_ADDRSTRLEN + 8];
	char			 challenge[PASS_CHALLENGE_LEN + 1];
	char			*peer;		/* owned: escaped my_id, or "-" */

	/* Login scope, latched by the first LoginRequest. */
	int			 latched;
	enum conn_kind		 kind;
	char			*scope;		/* owned */
	char			*my_id;		/* owned, raw */
	char			*my_name;	/* owned, raw */
	uint64_t		 session_id;
	struct srv_session	*session;	/* borrowed; live count held */

	/* Timers and TestDelay. */
	uint64_t		 start_ms;
	uint64_t		 last_recv_ms;
	uint64_t		 last_drain_ms;	/* output last fell low */
	int			 probe_out;
	uint64_t		 probe_ms;
	uint32_t		 last_delay;

	/* Outbound queues: control is always written before video. */
	struct conn_queue	 ctrl;
	struct conn_queue	 video;
	size_t			 ctrl_bytes;
	size_t			 video_bytes;

	TAILQ_ENTRY(conn)	 entry;
};

static void	conn_flush(struct conn *);
static void	conn_tick_cb(evutil_socket_t, short, void *);

/* The connection's number. */
uint32_t
conn_id(const struct conn *c)
{
	return c->id;
}

/* Monotonic seconds. */
static long
conn_now_s(void)
{
	return (long)(srv_now_ms() / 1000);
}

/* Wall-clock seconds, for the calendar minutes of the throttle. */
static long
conn_wall_s(void)
{
	return (long)time(NULL);
}

/* Free a queue and its references. */
static void
conn_queue_clear(struct conn_queue *q)
{
	struct conn_qitem *it;

	while ((it = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, it, entry);
		msgbuf_unref(it->b);
		free(it);
	}
}

/* Free a dead connection; runs from the loop after conn_close. */
static void
conn_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	conn_queue_clear(&c->ctrl);
	conn_queue_clear(&c->video);
	sstream_free(c->ss);
	sstream_hs_free(c->hs);
	free(c->peer);
	free(c->scope);
	free(c->my_id);
	free(c->my_name);
	free(c);
}

/* Tear down now, free later. */
void
conn_close(struct conn *c, const char *why)
{
	struct srv *srv = c->srv;
	struct timeval zero = { 0, 0 };

	if (c->dead)
		return;
	c->dead = 1;
	log_info("conn %u peer %s: closed (%s)", c->id, c->peer, why);
	if (c->bev != NULL)
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	if (c->tick != NULL)
		event_free(c->tick);
	if (c->closer != NULL)
		event_free(c->closer);
	c->tick = c->closer = NULL;
	TAILQ_REMOVE(&srv->conns, c, entry);
	if (c->session != NULL) {
		c->session->live--;
		c->session->last_seen = conn_now_s();
		c->session = NULL;
	}
	/* Upstream draws a new one-time password after every session. */
	if (c->state == CONN_AUTHORIZED)
		srv_otp_rotate(srv);
	if (event_base_once(srv->base, -1, EV_TIMEOUT, conn_free_cb, c,
	    &zero) != 0)
		fatal("event_base_once failed");
}

/* Close after a failure of ours or the peer's, naming the error. */
static void
conn_fail(struct conn *c, int r, const char *what)
{
	char why[160];

	snprintf(why, sizeof why, "%s: %s", what, err_str(r));
	conn_close(c, why);
}

/* Queue a packed message on q (takes a reference) and write what fits. */
static void
conn_enqueue(struct conn *c, struct msgbuf *b, enum svc_queue q, int audio)
{
	struct conn_qitem *it;

	if (c->dead)
		return;
	it = xmalloc(sizeof *it);
	it->b = msgbuf_ref(b);
	it->t_ms = srv_now_ms();
	it->audio = audio;
	if (q == SVC_Q_VIDEO) {
		TAILQ_INSERT_TAIL(&c->video, it, entry);
		c->video_bytes += b->len;
	} else {
		TAILQ_INSERT_TAIL(&c->ctrl, it, entry);
		c->ctrl_bytes += b->len;
	}
	conn_flush(c);
}

/* Pack and queue a control message. */
static void
conn_send(struct conn *c, const Hbb__Message *m)
{
	struct msgbuf *b = msgbuf_pack(m);

	conn_enqueue(c, b, SVC_Q_CONTROL, 0);
	msgbuf_unref(b);
}

/*
 * Move queued messages into the socket's output while it is below the
 * high mark: control first, then video. Each frame is sealed as it is
 * written, so the nonce order is the write order.
 */
static void
conn_flush(struct conn *c)
{
	struct evbuffer *out;
	struct conn_qitem *it;
	struct evbuffer_iovec iov;
	uint64_t now = srv_now_ms();
	size_t flen;
	int r;

	if (c->dead)
		return;
	out = bufferevent_get_output(c->bev);
	while (evbuffer_get_length(out) < CONN_OUT_HIGH) {
		if ((it = TAILQ_FIRST(&c->ctrl)) != NULL) {
			TAILQ_REMOVE(&c->ctrl, it, entry);
			c->ctrl_bytes -= it->b->len;
		} else if ((it = TAILQ_FIRST(&c->video)) != NULL) {
			TAILQ_REMOVE(&c->video, it, entry);
			c->video_bytes -= it->b->len;
		} else
			break;
		if (it->audio && now - it->t_ms > CONN_AUDIO_MAX_AGE_MS) {
			msgbuf_unref(it->b);
			free(it);
			continue;
		}
		flen = sstream_frame_len(c->ss, it->b->len);
		if (flen == 0 || evbuffer_reserve_space(out, (ev_ssize_t)flen,
		    &iov, 1) < 1) {
			msgbuf_unref(it->b);
			free(it);
			conn_fail(c, ERR_TOOBIG, "write");
			return;
		}
		r = sstream_seal(c->ss, it->b->data, it->b->len,
		    iov.iov_base, flen);
		msgbuf_unref(it->b);
		free(it);
		if (r < 0) {
			conn_fail(c, r, "seal");
			return;
		}
		iov.iov_len = (size_t)r;
		evbuffer_commit_space(out, &iov, 1);
	}
}

/* Service sink: queue a shared message. */
static void
conn_sink_send(void *ctx, struct msgbuf *b, enum svc_queue q)
{
	conn_enqueue(ctx, b, q, 0);
}

/* Service sink: bytes waiting in queue q (queued plus in the socket). */
static size_t
conn_sink_backlog(void *ctx, enum svc_queue q)
{
	struct conn *c = ctx;
	size_t out = c->dead ? 0 :
	    evbuffer_get_length(bufferevent_get_output(c->bev));

	return (q == SVC_Q_VIDEO ? c->video_bytes : c->ctrl_bytes) + out;
}

/* Send a Misc message with close_reason and close once it is written. */
static void
conn_refuse(struct conn *c, const char *reason)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	struct timeval tv = { 0, CONN_CLOSE_DELAY_MS * 1000 };

	misc.union_case = HBB__MISC__UNION_CLOSE_REASON;
	misc.close_reason = (char *)reason;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	conn_send(c, &m);
	c->closing = 1;
	evtimer_add(c->closer, &tv);
	log_info("conn %u peer %s: refused (%s)", c->id, c->peer, reason);
}

/* Send LoginResponse{error}. With close, the connection closes ~1 s later
 * (time for the text to reach the client), as upstream does. */
static void
conn_login_error(struct conn *c, const char *text, int close)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__LoginResponse lr = HBB__LOGIN_RESPONSE__INIT;
	struct timeval tv = { 0, CONN_CLOSE_DELAY_MS * 1000 };

	lr.union_case = HBB__LOGIN_RESPONSE__UNION_ERROR;
	lr.error = (char *)text;
	m.union_case = HBB__MESSAGE__UNION_LOGIN_RESPONSE;
	m.login_response = &lr;
	conn_send(c, &m);
	log_info("conn %u peer %s: login refused: %s", c->id, c->peer, text);
	if (close) {
		c->closing = 1;
		evtimer_add(c->closer, &tv);
	}
}

/* The delayed close fires. */
static void
conn_closer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_close(arg, "closed after refusal");
}

/* Send TestDelay probe; the echo measures the round trip (PROTOCOL.md §5). */
static void
conn_send_probe(struct conn *c)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__TestDelay td = HBB__TEST_DELAY__INIT;

	td.last_delay = c->last_delay;
	m.union_case = HBB__MESSAGE__UNION_TEST_DELAY;
	m.test_delay = &td;
	conn_send(c, &m);
	c->probe_out = 1;
	c->probe_ms = srv_now_ms();
}

/* The once-a-second timer: idle close, write stall close, probe. */
static void
conn_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	uint64_t now = srv_now_ms();
	uint64_t stall;

	(void)fd;
	(void)what;
	if (c->dead)
		return;
	if (c->state == CONN_HANDSHAKE) {
		if (now - c->start_ms > CONN_HS_TIMEOUT_MS)
			conn_close(c, "no key exchange within 18 s");
		return;
	}
	if (now - c->last_recv_ms > (uint64_t)c->srv->idle_timeout * 1000) {
		conn_close(c, "Timeout");
		return;
	}
	stall = c->kind == CONN_KIND_REMOTE || c->kind == CONN_KIND_CAMERA ?
	    CONN_STALL_VIDEO_MS : CONN_STALL_OTHER_MS;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0 &&
	    now - c->last_drain_ms > stall) {
		conn_close(c, "peer stopped reading");
		return;
	}
	if (!c->probe_out)
		conn_send_probe(c);
}

/* 1 if addr matches one entry of the IP/CIDR list (entries trimmed). */
static int
conn_whitelisted(const char *list, const struct sockaddr *sa)
{
	uint8_t ip[16], net[16];
	int fam, len;
	char *dup, *tok, *save = NULL, *slash;
	int ok = 0;

	if (sa->sa_family == AF_INET) {
		memcpy(ip, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		fam = AF_INET;
		len = 4;
	} else {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			memcpy(ip, &a6->s6_addr[12], 4);
			fam = AF_INET;
			len = 4;
		} else {
			memcpy(ip, a6, 16);
			fam = AF_INET6;
			len = 16;
		}
	}
	dup = xstrdup(list);
	for (tok = strtok_r(dup, ",", &save); tok != NULL && !ok;
	    tok = strtok_r(NULL, ",", &save)) {
		int bits, efam, b;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		tok[strcspn(tok, " \t")] = '\0';
		if (strcmp(tok, "0.0.0.0") == 0) {
			ok = 1;
			break;
		}
		if ((slash = strchr(tok, '/')) != NULL)
			*slash++ = '\0';
		efam = strchr(tok, ':') != NULL ? AF_INET6 : AF_INET;
		if (efam != fam || inet_pton(efam, tok, net) != 1)
			continue;
		bits = slash != NULL ? atoi(slash) : len * 8;
		if (bits < 0 || bits > len * 8)
			continue;
		for (b = 0; b < bits; b++)
			if ((ip[b / 8] ^ net[b / 8]) & (0x80 >> (b % 8)))
				break;
		ok = b == bits;
	}
	free(dup);
	return ok;
}

/* Start the session: whitelist, Hash, disabled permissions, probe. */
static void
conn_open_session(struct conn *c)
{
	static const struct {
		const char	*option;
		int		 perm;
	} perms[] = {
		{ "enable-keyboard", HBB__PERMISSION_INFO__PERMISSION__Keyboard },
		{ "enable-clipboard", HBB__PERMISSION_INFO__PERMISSION__Clipboard },
		{ "enable-audio", HBB__PERMISSION_INFO__PERMISSION__Audio },
		{ "enable-file-transfer", HBB__PERMISSION_INFO__PERMISSION__File },
		{ "enable-remote-restart", HBB__PERMISSION_INFO__PERMISSION__Restart },
		{ "enable-record-session", HBB__PERMISSION_INFO__PERMISSION__Recording },
		{ "enable-block-input", HBB__PERMISSION_INFO__PERMISSION__BlockInput },
		{ "enable-privacy-mode", HBB__PERMISSION_INFO__PERMISSION__PrivacyMode },
	};
	const struct cfg *cfg = c->srv->cfg;
	const char *wl = cfg_get(cfg, "whitelist");
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Hash h = HBB__HASH__INIT;
	size_t i;

	c->state = CONN_LOGIN;
	if (*wl != '\0' && !conn_whitelisted(wl,
	    (const struct sockaddr *)&c->sa)) {
		conn_login_error(c, "Your ip is blocked by the peer", 1);
		return;
	}
	pass_random(c->challenge, PASS_CHALLENGE_LEN, 0);
	h.salt = (char *)store_salt(c->srv->store);
	h.challenge = c->challenge;
	m.union_case = HBB__MESSAGE__UNION_HASH;
	m.hash = &h;
	conn_send(c, &m);

	for (i = 0; i < sizeof perms / sizeof perms[0]; i++) {
		Hbb__Message pm = HBB__MESSAGE__INIT;
		Hbb__Misc misc = HBB__MISC__INIT;
		Hbb__PermissionInfo pi = HBB__PERMISSION_INFO__INIT;

		if (cfg_bool(cfg, perms[i].option))
			continue;
		pi.permission = perms[i].perm;
		pi.enabled = 0;
		misc.union_case = HBB__MISC__UNION_PERMISSION_INFO;
		misc.permission_info = &pi;
		pm.union_case = HBB__MESSAGE__UNION_MISC;
		pm.misc = &misc;
		conn_send(c, &pm);
	}
	conn_send_probe(c);
}

/* Host side of the key exchange: the client's first frame. */
static void
conn_recv_handshake(struct conn *c, const uint8_t *p, size_t n)
{
	int unverified = 0, r;

	r = sstream_hs_host_finish(c->hs, c->ss, p, n, &unverified);
	sstream_hs_free(c->hs);
	c->hs = NULL;
	if (r < 0) {
		conn_fail(c, r, "key exchange");
		return;
	}
	if (r == 1)
		log_info("conn %u: encrypted session", c->id);
	else
		log_warn("conn %u: peer %s, session NOT encrypted", c->id,
		    unverified ? "could not verify our key" :
		    "did not offer a key");
	conn_open_session(c);
}

/* 1 if s is an IP literal, optionally with a port, or a host:port. */
static int
conn_is_addr(const char *s)
{
	uint8_t tmp[16];
	char buf[300];
	const char *colon;
	size_t i;

	if (strlen(s) >= sizeof buf)
		return 0;
	if (inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1)
		return 1;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (e == NULL || (size_t)(e - s - 1) >= sizeof buf)
			return 0;
		memcpy(buf, s + 1, (size_t)(e - s - 1));
		buf[e - s - 1] = '\0';
		return inet_pton(AF_INET6, buf, tmp) == 1 &&
		    (e[1] == '\0' || (e[1] == ':' && atoi(e + 2) > 0));
	}
	if ((colon = strrchr(s, ':')) == NULL || colon == s)
		return 0;
	for (i = 1; colon[i] != '\0'; i++)
		if (colon[i] < '0' || colon[i] > '9')
			return 0;
	if (i == 1)
		return 0;
	for (i = 0; s + i < colon; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			return 0;
	}
	return 1;
}

/* 1 if my_id matches the id-whitelist (globs, case-insensitive). */
static int
conn_id_allowed(const char *list, const char *my_id)
{
	char *dup, *tok, *save = NULL, *at, *bare;
	int ok = 0;

	bare = xstrdup(my_id);
	if ((at = strchr(bare, '@')) != NULL)
		*at = '\0';
	dup = xstrdup(list);
	for (tok = strtok_r(dup, ",", &save); tok != NULL && !ok;
	    tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		tok[strcspn(tok, " \t")] = '\0';
		if (*tok == '\0')
			continue;
		ok = fnmatch(tok, my_id, FNM_CASEFOLD) == 0 ||
		    fnmatch(tok, bare, FNM_CASEFOLD) == 0;
	}
	free(dup);
	free(bare);
	return ok;
}

/* The scope string of a LoginRequest: kind and kind-specific fields. */
static char *
conn_scope(const Hbb__LoginRequest *lr, enum conn_kind *kind)
{
	char *s;

	switch (lr->union_case) {
	case HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER:
		*kind = CONN_KIND_FILE;
		xasprintf(&s, "file|%s|%s|%d", lr->my_id,
		    lr->file_transfer->dir, lr->file_transfer->show_hidden);
		break;
	case HBB__LOGIN_REQUEST__UNION_PORT_FORWARD:
		*kind = CONN_KIND_PORT_FORWARD;
		xasprintf(&s, "pf|%s|%s|%d", lr->my_id, lr->port_forward->host,
		    lr->port_forward->port);
		break;
	case HBB__LOGIN_REQUEST__UNION_VIEW_CAMERA:
		*kind = CONN_KIND_CAMERA;
		xasprintf(&s, "camera|%s", lr->my_id);
		break;
	case HBB__LOGIN_REQUEST__UNION_TERMINAL:
		*kind = CONN_KIND_TERMINAL;
		xasprintf(&s, "terminal|%s|%s", lr->my_id,
		    lr->terminal->service_id);
		break;
	default:
		*kind = CONN_KIND_REMOTE;
		xasprintf(&s, "remote|%s", lr->my_id);
		break;
	}
	return s;
}

/* The remembered session for this login triple, if recent; else NULL. */
static struct srv_session *
conn_find_session(struct conn *c)
{
	struct srv_session *s, *next;
	long now = conn_now_s();

	for (s = TAILQ_FIRST(&c->srv->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->live == 0 && now - s->last_seen > CONN_SESSION_REUSE_S) {
			TAILQ_REMOVE(&c->srv->sessions, s, entry);
			free(s->my_id);
			free(s->my_name);
			sodium_memzero(s->otp, sizeof s->otp);
			free(s);
			continue;
		}
		if (s->session_id == c->session_id &&
		    strcmp(s->my_id, c->my_id) == 0 &&
		    strcmp(s->my_name, c->my_name) == 0)
			return s;
	}
	return NULL;
}

/* Authorize: send PeerInfo and enter the session. */
static void
conn_authorize(struct conn *c, const char *how, const char *otp)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__LoginResponse lr = HBB__LOGIN_RESPONSE__INIT;
	Hbb__PeerInfo pi = HBB__PEER_INFO__INIT;
	struct srv_session *s;
	int r;

	if ((r = sysinfo_peerinfo(c->srv->sysinfo, &pi)) != 0)
		log_warn_r(r, "conn %u: no displays for PeerInfo", c->id);
	lr.union_case = HBB__LOGIN_RESPONSE__UNION_PEER_INFO;
	lr.peer_info = &pi;
	m.union_case = HBB__MESSAGE__UNION_LOGIN_RESPONSE;
	m.login_response = &lr;
	conn_send(c, &m);
	sysinfo_peerinfo_free(&pi);

	c->state = CONN_AUTHORIZED;
	sstream_set_max(c->ss, CODEC_DEFAULT_MAX);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CODEC_DEFAULT_MAX + 16);

	/* Remember one-time-password logins so a reconnect within 30 s
	 * works after the password rotated (PROTOCOL.md §3.4). */
	if (otp != NULL) {
		if ((s = conn_find_session(c)) == NULL) {
			s = xcalloc(1, sizeof *s);
			s->my_id = xstrdup(c->my_id);
			s->my_name = xstrdup(c->my_name);
			s->session_id = c->session_id;
			TAILQ_INSERT_TAIL(&c->srv->sessions, s, entry);
		}
		snprintf(s->otp, sizeof s->otp, "%s", otp);
	} else
		s = conn_find_session(c);
	if (s != NULL) {
		s->live++;
		c->session = s;
	}
	log_info("conn %u peer %s: login ok (%s)", c->id, c->peer, how);
}

/* LoginRequest before authorization (PROTOCOL.md §3.4, HOST.md §4.2). */
static void
conn_recv_login(struct conn *c, const Hbb__LoginRequest *lr)
{
	struct srv *srv = c->srv;
	const struct cfg *cfg = srv->cfg;
	const struct sockaddr *sa = (const struct sockaddr *)&c->sa;
	const char *approve, *method, *idwl, *why;
	const uint8_t *h1;
	enum conn_kind kind;
	char *scope;
	int tmp_on, perm_on, valid, ok_tmp = 0, ok_perm = 0;
	struct srv_session *s;

	scope = conn_scope(lr, &kind);
	if (c->latched && strcmp(scope, c->scope) != 0) {
		free(scope);
		conn_login_error(c, "Connection not allowed", 1);
		return;
	}
	if (!c->latched) {
		c->latched = 1;
		c->kind = kind;
		c->scope = scope;
		c->my_id = xstrdup(lr->my_id);
		c->my_name = xstrdup(lr->my_name);
		c->session_id = lr->session_id;
		free(c->peer);
		c->peer = log_escape(*lr->my_id ? lr->my_id : "-", 64);
	} else
		free(scope);

	idwl = cfg_get(cfg, "id-whitelist");
	if (*idwl != '\0') {
		if ((why = throttle_check(srv->throttle_id, sa,
		    conn_wall_s())) != NULL) {
			conn_login_error(c, why, 1);
			return;
		}
		if (!conn_id_allowed(idwl, lr->my_id)) {
			throttle_fail(srv->throttle_id, sa, conn_wall_s());
			conn_login_error(c, "Your ID is blocked by the peer", 1);
			return;
		}
	}
	switch (c->kind) {
	case CONN_KIND_REMOTE:
		break;
	case CONN_KIND_FILE:
		conn_login_error(c, cfg_bool(cfg, "enable-file-transfer") ?
		    "File transfer is not supported by this host yet" :
		    "No permission of file transfer", 1);
		return;
	case CONN_KIND_CAMERA:
		conn_login_error(c, cfg_bool(cfg, "enable-camera") ?
		    "Viewing the camera is not supported by this host" :
		    "No permission of viewing camera", 1);
		return;
	case CONN_KIND_TERMINAL:
		conn_login_error(c, cfg_bool(cfg, "enable-terminal") ?
		    "Terminal is not supported by this host yet" :
		    "No permission of terminal", 1);
		return;
	case CONN_KIND_PORT_FORWARD:
		conn_login_error(c, cfg_bool(cfg, "enable-tunnel") ?
		    "IP tunneling is not supported by this host yet" :
		    "No permission of IP tunneling", 1);
		return;
	}
	if (strcmp(lr->username, store_id(srv->store)) != 0 &&
	    !conn_is_addr(lr->username)) {
		conn_login_error(c, "Offline", 1);
		return;
	}

	approve = cfg_get(cfg, "approve-mode");
	method = cfg_get(cfg, "verification-method");
	tmp_on = strcmp(method, "use-permanent-password") != 0;
	perm_on = strcmp(method, "use-temporary-password") != 0;
	h1 = store_password_h1(srv->store);
	valid = (tmp_on && srv->otp[0] != '\0') || (perm_on && h1 != NULL);

	/*
	 * Nobody can click yet (the connection manager comes later), so every
	 * path that would wait for a click gets the stock refusal at once.
	 */
	if (strcmp(approve, "click") == 0 ||
	    (strcmp(approve, "password") != 0 && !valid)) {
		conn_refuse(c, "Closed manually by the peer");
		return;
	}
	if (lr->password.len > 0 && (s = conn_find_session(c)) != NULL &&
	    pass_check_plain(s->otp, store_salt(srv->store), c->challenge,
	    lr->password.data, lr->password.len)) {
		conn_authorize(c, "recent session", NULL);
		return;
	}
	if (lr->password.len == 0) {
		if (strcmp(approve, "password") == 0)
			conn_login_error(c, "Empty Password", 0);
		else
			conn_refuse(c, "Closed manually by the peer");
		return;
	}
	if ((why = throttle_check(srv->throttle, sa, conn_wall_s())) != NULL) {
		conn_login_error(c, why, 1);
		return;
	}
	if (tmp_on && srv->otp[0] != '\0')
		ok_tmp = pass_check_plain(srv->otp, store_salt(srv->store),
		    c->challenge, lr->password.data, lr->password.len);
	if (!ok_tmp && perm_on && h1 != NULL)
		ok_perm = pass_check_h1(h1, c->challenge, lr->password.data,
		    lr->password.len);
	if (ok_tmp || ok_perm) {
		char otp[sizeof srv->otp];

		throttle_clear(srv->throttle, sa);
		throttle_clear(srv->throttle_id, sa);
		if (ok_tmp) {
			srv->otp_failures = 0;
			memcpy(otp, srv->otp, sizeof otp);
		}
		conn_authorize(c, ok_tmp ? "one-time password" :
		    "permanent password", ok_tmp ? otp : NULL);
		return;
	}
	throttle_fail(srv->throttle, sa, conn_wall_s());
	if (tmp_on && srv->otp[0] != '\0')
		srv_otp_failed(srv);
	conn_login_error(c, "Wrong Password", 0);
}

/* TestDelay: echo the client's own probes; our probe's echo is an RTT. */
static void
conn_recv_test_delay(struct conn *c, const Hbb__TestDelay *td)
{
	Hbb__Message m = HBB__MESSAGE__INIT;

	if (td->from_client) {
		m.union_case = HBB__MESSAGE__UNION_TEST_DELAY;
		m.test_delay = (Hbb__TestDelay *)td;
		conn_send(c, &m);
		return;
	}
	if (!c->probe_out)
		return;
	c->probe_out = 0;
	c->last_delay = (uint32_t)(srv_now_ms() - c->probe_ms);
	log_trace("conn %u: rtt %u ms", c->id, c->last_delay);
}

/* Dispatch one decrypted payload by state (STYLE.md §6.4). */
static void
conn_recv(struct conn *c, const uint8_t *p, size_t n)
{
	Hbb__Message *m;

	if (c->state == CONN_HANDSHAKE) {
		conn_recv_handshake(c, p, n);
		return;
	}
	if ((m = hbb__message__unpack(NULL, n, p)) == NULL) {
		conn_fail(c, ERR_PROTO, "unparsable message");
		return;
	}
	if (c->session != NULL)
		c->session->last_seen = conn_now_s();
	switch (m->union_case) {
	case HBB__MESSAGE__UNION__NOT_SET:
		/* Empty, or a member newer than us: ignored (§1.5). */
		break;
	case HBB__MESSAGE__UNION_TEST_DELAY:
		conn_recv_test_delay(c, m->test_delay);
		break;
	case HBB__MESSAGE__UNION_LOGIN_REQUEST:
		/* After authorization further LoginRequests are ignored. */
		if (c->state == CONN_LOGIN && !c->closing)
			conn_recv_login(c, m->login_request);
		break;
	case HBB__MESSAGE__UNION_MISC:
		if (m->misc->union_case == HBB__MISC__UNION_CLOSE_REASON) {
			conn_close(c, "peer closed the session");
			break;
		}
		if (c->state != CONN_AUTHORIZED) {
			conn_fail(c, ERR_STATE, "misc before login");
			break;
		}
		log_debug("conn %u: misc %d ignored", c->id,
		    (int)m->misc->union_case);
		break;
	default:
		if (c->state != CONN_AUTHORIZED) {
			conn_fail(c, ERR_STATE, "message before login");
			break;
		}
		log_debug("conn %u: message %d ignored", c->id,
		    (int)m->union_case);
		break;
	}
	hbb__message__free_unpacked(m, NULL);
}

/* Read: take whole frames while there are any. */
static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	const uint8_t *msg;
	uint8_t *p;
	size_t n, hl, pl, msglen;
	int r;

	while (!c->dead) {
		if ((n = evbuffer_get_length(in)) == 0)
			break;
		if (c->ctrl_bytes > CONN_OUT_HIGH) {
			/* The peer does not read our replies: stop reading
			 * its requests until conn_write_cb drains them. */
			bufferevent_disable(bev, EV_READ);
			break;
		}
		p = evbuffer_pullup(in, n < CODEC_HDR_MAX ? (ev_ssize_t)n :
		    CODEC_HDR_MAX);
		r = codec_hdr_decode(p, n < CODEC_HDR_MAX ? n : CODEC_HDR_MAX,
		    sstream_get_max(c->ss), &hl, &pl);
		if (r < 0) {
			conn_fail(c, r, "bad frame");
			return;
		}
		if (r == 0 || n < hl + pl)
			break;
		p = evbuffer_pullup(in, (ev_ssize_t)(hl + pl));
		if ((r = sstream_open(c->ss, p, hl + pl, &msg, &msglen)) < 0) {
			conn_fail(c, r, "bad frame");
			return;
		}
		c->last_recv_ms = srv_now_ms();
		evbuffer_drain(in, (size_t)r);
		if (!c->closing)
			conn_recv(c, msg, msglen);
	}
}

/* Write: the output fell below the low mark; refill it. */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->dead)
		return;
	c->last_drain_ms = srv_now_ms();
	conn_flush(c);
	if (!c->dead && c->ctrl_bytes <= CONN_OUT_HIGH &&
	    (bufferevent_get_enabled(c->bev) & EV_READ) == 0) {
		bufferevent_enable(c->bev, EV_READ);
		conn_read_cb(c->bev, c);
	}
}

/* EOF or socket error. */
static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->dead)
		return;
	if (what & BEV_EVENT_EOF)
		conn_close(c, "peer disconnected");
	else if (what & BEV_EVENT_ERROR)
		conn_close(c, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
}

/* Start serving a peer on fd. */
struct conn *
conn_new(struct srv *srv, int fd, const struct sockaddr *sa, socklen_t salen,
    enum conn_via via)
{
	struct conn *c;
	struct timeval second = { 1, 0 };
	uint8_t *first = NULL;
	size_t firstlen = 0;
	int r;

	if (evutil_make_socket_nonblocking(fd) != 0) {
		close(fd);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->id = ++srv->next_conn_id;
	c->srv = srv;
	c->via = via;
	c->peer = xstrdup("-");
	TAILQ_INIT(&c->ctrl);
	TAILQ_INIT(&c->video);
	if (salen > sizeof c->sa)
		salen = sizeof c->sa;
	memcpy(&c->sa, sa, salen);
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    c->addr, sizeof c->addr);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, c->addr,
		    sizeof c->addr);
	else
		snprintf(c->addr, sizeof c->addr, "local");
	c->start_ms = c->last_recv_ms = c->last_drain_ms = srv_now_ms();
	c->ss = sstream_new(CODEC_PRELOGIN_MAX);
	c->bev = bufferevent_socket_new(srv->base, fd,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (c->bev == NULL) {
		close(fd);
		sstream_free(c->ss);
		free(c->peer);
		free(c);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CODEC_PRELOGIN_MAX + 16);
	bufferevent_setwatermark(c->bev, EV_WRITE, CONN_OUT_HIGH / 2, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->tick = event_new(srv->base, -1, EV_PERSIST, conn_tick_cb, c);
	c->closer = evtimer_new(srv->base, conn_closer_cb, c);
	evtimer_add(c->tick, &second);
	log_info("conn %u: accepted from %s (%s)", c->id, c->addr,
	    via == CONN_VIA_DIRECT ? "direct, unencrypted" : "relay/punch");

	if (via == CONN_VIA_DIRECT) {
		conn_open_session(c);
		return c;
	}
	c->state = CONN_HANDSHAKE;
	if ((r = sstream_hs_host_start(store_id(srv->store),
	    store_sign_sk(srv->store), &c->hs, &first, &firstlen)) != 0) {
		conn_fail(c, r, "key exchange");
		return NULL;
	}
	{
		struct msgbuf *b = msgbuf_new(firstlen);

		memcpy(b->data, first, firstlen);
		conn_enqueue(c, b, SVC_Q_CONTROL, 0);
		msgbuf_unref(b);
		free(first);
	}
	return c;
}

/* The sink through which services reach this connection. */
void
conn_sink(struct conn *c, struct svc_sink *sink)
{
	sink->ctx = c;
	sink->conn_id = c->id;
	sink->send = conn_sink_send;
	sink->backlog = conn_sink_backlog;
}
