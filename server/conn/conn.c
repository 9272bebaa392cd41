/*
 * conn.c: one peer connection, from accept to close: the transport (the
 * outbound queues, framing, timers) and the state machine.
 *
 * States: HANDSHAKE (secure streams only: SignedId out, PublicKey in) ->
 * LOGIN (Hash out, TestDelay cycle, LoginRequest in, throttled password
 * check decided by login.c) -> AUTHORIZED (PeerInfo out, services). Every
 * frame is bounded by the stream's cap (small before login) and every
 * message is checked against the state (conn_dispatch); a bad one closes
 * this connection only. The LoginRequest is handled in conn_login.c, the
 * authorized session's handlers live in conn_session.c, permissions and
 * services in conn_perm.c, file transfer in conn_file.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#include "common/mono.h"
#include "common/pass.h"
#include "common/perm.h"
#include "common/sstream.h"
#include "common/store.h"
#include "common/xmalloc.h"
#include "server/bufcache.h"
#include "server/cmlink.h"
#include "server/conn/conn_int.h"
#include "server/rendezvous/rendezvous.h"
#include "server/srv.h"
#include "server/svc/svc.h"
#include "server/svc/svc_audio.h"
#include "server/svc/svc_clip.h"
#include "server/svc/svc_cursor.h"
#include "server/svc/svc_video.h"
#include "server/svc/svc_input.h"
#include "server/conn/throttle.h"

#define CONN_OUT_HIGH		(256 * 1024)	/* refill output below this */
/* One read or write syscall moves at most this much (libevent's default,
 * 16 KiB, is 64 calls and loop turns per MB of a file transfer). Reads
 * get it only after the login: before, a peer sends little. */
#define CONN_IO_MAX		(256 * 1024)
#define CONN_HS_TIMEOUT_MS	18000		/* CONNECT_TIMEOUT upstream */
#define CONN_STALL_VIDEO_MS	12000		/* blocked write, remote sessions */
#define CONN_STALL_OTHER_MS	120000		/* file transfer, terminal, ... */
#define CONN_AUDIO_MAX_AGE_MS	1000		/* stale audio is dropped */
#define CONN_CLOSE_DELAY_MS	1000		/* let a last error reach the peer */
#define CONN_LOGIN_MAX		(1024u * 1024)	/* a LoginRequest with an avatar */
#define CONN_READ_MAX		(1024 * 1024)	/* one read of a frame's rest */
#define CONN_BIG_FRAME		(16 * 1024)	/* conn_recv_part's, at least */
#define CONN_HEAD_READ		64	/* the head of a frame after a big one */

static void	conn_flush(struct conn *);

/* The connection's number. */
uint32_t
conn_id(const struct conn *c)
{
	return c->id;
}

/* Monotonic seconds. */
long
conn_now_s(void)
{
	return (long)(mono_ms() / 1000);
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
	bufcache_free(c->rx_part);
	free(c->peer);
	free(c->scope);
	free(c->my_id);
	free(c->my_name);
	free(c->version);
	free(c->platform);
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
	if (c->closer != NULL)
		event_free(c->closer);
	c->closer = NULL;
	TAILQ_REMOVE(&srv->conns, c, entry);
	conn_tick_stop(c);
	conn_tick_leave(srv);
	conn_opts_closed(c);
	conn_ctl_closed(c);
	conn_voice_close(c);
	conn_term_close(c);
	conn_tunnel_close(c);
	if (c->sub_clip)
		svc_clip_unsubscribe(srv->clip, c->id);
	if (c->sub_audio)
		svc_audio_unsubscribe(srv->audio, c->id);
	if (c->video_displays != 0)
		svc_video_unsubscribe(srv->video, c->id, -1);
	if (c->sub_cursor != 0)
		svc_cursor_unsubscribe(srv->cursor, c->id);
	c->video_displays = c->sub_cursor = 0;
	if (c->blocking && --srv->input_blockers == 0)
		svc_input_block(srv->input, 0);
	c->blocking = 0;
	/* Nothing a peer pressed may stay down after it leaves. */
	if (srv->input != NULL && c->state == CONN_AUTHORIZED)
		svc_input_release_all(srv->input, c->id);
	c->sub_clip = c->sub_audio = 0;
	if (c->cm_known && srv->cm != NULL)
		cmlink_closed(srv->cm, (int)c->id);
	if (c->session != NULL) {
		c->session->live--;
		c->session->last_seen = conn_now_s();
		c->session = NULL;
	}
	conn_file_close(c);
	/* Upstream draws a new one-time password after every session. */
	if (c->state == CONN_AUTHORIZED) {
		conn_audit_session(c, 0, why);
		srv_otp_rotate(srv);
	}
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
void
conn_enqueue(struct conn *c, struct msgbuf *b, enum svc_queue q)
{
	struct conn_qitem *it;

	if (c->dead || c->raw)
		return;
	it = xmalloc(sizeof *it);
	it->b = msgbuf_ref(b);
	it->t_ms = mono_ms();
	it->audio = q == SVC_Q_AUDIO;
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
void
conn_send(struct conn *c, const Hbb__Message *m)
{
	struct msgbuf *b = msgbuf_pack(m);

	conn_enqueue(c, b, SVC_Q_CONTROL);
	msgbuf_unref(b);
}

/* Wrap a Misc in a Message and queue it on the control queue. */
void
conn_send_misc(struct conn *c, Hbb__Misc *misc)
{
	Hbb__Message m = HBB__MESSAGE__INIT;

	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = misc;
	conn_send(c, &m);
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
	uint64_t now = mono_ms();
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
	conn_enqueue(ctx, b, q);
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
void
conn_refuse(struct conn *c, const char *reason)
{
	Hbb__Misc misc = HBB__MISC__INIT;
	struct timeval tv = { 0, CONN_CLOSE_DELAY_MS * 1000 };

	misc.union_case = HBB__MISC__UNION_CLOSE_REASON;
	misc.close_reason = (char *)reason;
	conn_send_misc(c, &misc);
	c->closing = 1;
	evtimer_add(c->closer, &tv);
	log_info("conn %u peer %s: refused (%s)", c->id, c->peer, reason);
}

/* Send LoginResponse{error}. With close, the connection closes ~1 s later
 * (time for the text to reach the client), as upstream does. */
void
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
	if (c->video_displays != 0)
		td.target_bitrate = (uint32_t)svc_video_target_kbps(
		    c->srv->video);
	m.union_case = HBB__MESSAGE__UNION_TEST_DELAY;
	m.test_delay = &td;
	conn_send_now(c, &m);
	c->probe_out = 1;
	c->probe_ms = mono_ms();
}

/* Once a second (conn_tick.c): idle close, write stall close, probe. */
void
conn_tick(struct conn *c)
{
	uint64_t now = mono_ms();
	uint64_t stall;

	if (c->dead)
		return;
	if (c->state == CONN_HANDSHAKE) {
		if (now - c->start_ms > CONN_HS_TIMEOUT_MS)
			conn_close(c, "no key exchange within 18 s");
		return;
	}
	if (c->pending && !c->closing && now - c->pending_ms >
	    (uint64_t)cfg_int(c->srv->cfg, "approve-timeout") * 1000) {
		c->pending = 0;
		conn_refuse(c, "Timeout");
		return;
	}
	if (conn_opts_tick(c))
		return;
	if (now - c->last_recv_ms > (uint64_t)c->srv->idle_timeout * 1000) {
		conn_close(c, "Timeout");
		return;
	}
	stall = c->kind == LOGIN_KIND_REMOTE || c->kind == LOGIN_KIND_CAMERA ?
	    CONN_STALL_VIDEO_MS : CONN_STALL_OTHER_MS;
	/* Stalled: our output or, when the socket took it all, a probe
	 * (a tunnel sends none once raw). */
	if ((evbuffer_get_length(bufferevent_get_output(c->bev)) > 0 &&
	    now - c->last_drain_ms > stall) || (c->state == CONN_AUTHORIZED &&
	    !c->raw && c->probe_out && now - c->probe_ms > stall)) {
		conn_close(c, "peer stopped reading");
		return;
	}
	if (!c->probe_out)
		conn_send_probe(c);
}

/* Number of live connections. */
unsigned
conn_count(struct srv *srv)
{
	struct conn *c;
	unsigned n = 0;

	TAILQ_FOREACH(c, &srv->conns, entry)
		n++;
	return n;
}

/* The live connection with this id, or NULL. */
struct conn *
conn_find(struct srv *srv, uint32_t id)
{
	struct conn *c;

	TAILQ_FOREACH(c, &srv->conns, entry)
		if (c->id == id && !c->dead)
			return c;
	return NULL;
}

/* Start the session: whitelist, Hash, disabled permissions, probe. */
static void
conn_open_session(struct conn *c)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Hash h = HBB__HASH__INIT;
	size_t i;

	c->state = CONN_LOGIN;
	/* Flutter clients may send an avatar as a data: URI (issue 13). */
	sstream_set_max(c->ss, CONN_LOGIN_MAX);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CONN_LOGIN_MAX + 16);
	if (!conn_opts_admit(c))	/* whitelist, main window */
		return;
	pass_random(c->challenge, PASS_CHALLENGE_LEN, 0);
	h.salt = (char *)store_salt(c->srv->store);
	h.challenge = c->challenge;
	m.union_case = HBB__MESSAGE__UNION_HASH;
	m.hash = &h;
	conn_send(c, &m);

	for (i = 0; i < PERM_MAX; i++)
		if (!c->perm[i])
			conn_send_permission(c, (enum perm)i);
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
	c->encrypted = r == 1;
	if (r == 1)
		log_info("conn %u: encrypted session", c->id);
	else {
		/* Upstream re-registers its key when a client could not
		 * verify it (PROTOCOL.md §2.3). */
		if (unverified && c->srv->rdv != NULL)
			rdv_key_unconfirmed(c->srv->rdv);
		log_warn("conn %u: peer %s, session NOT encrypted", c->id,
		    unverified ? "could not verify our key" :
		    "did not offer a key");
		srv_cfg_refresh(c->srv);
		if (cfg_bool(c->srv->cfg, "refuse-unencrypted")) {
			conn_refuse(c, "This host refuses unencrypted sessions");
			return;
		}
	}
	conn_open_session(c);
}

/* Authorize: send PeerInfo and enter the session. */
void
conn_authorize(struct conn *c, const char *how, const char *otp)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__LoginResponse lr = HBB__LOGIN_RESPONSE__INIT;
	Hbb__PeerInfo pi = HBB__PEER_INFO__INIT;
	struct srv_session *s;
	int r;

	if (!conn_tunnel_ready(c, how, otp))
		return;		/* the destination first (PROTOCOL.md §12) */
	if ((r = conn_peerinfo(c->srv, &pi)) != 0)
		log_warn_r(r, "conn %u: no displays for PeerInfo", c->id);
	lr.union_case = HBB__LOGIN_RESPONSE__UNION_PEER_INFO;
	lr.peer_info = &pi;
	m.union_case = HBB__MESSAGE__UNION_LOGIN_RESPONSE;
	m.login_response = &lr;
	conn_send(c, &m);
	conn_peerinfo_free(&pi);

	c->state = CONN_AUTHORIZED;
	c->pending = 0;
	conn_opts_start(c);
	conn_cm_login(c, 1);
	sstream_set_max(c->ss, CONN_FRAME_MAX);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CONN_FRAME_MAX + 16);
	bufferevent_set_max_single_read(c->bev, CONN_IO_MAX);

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
	conn_audit_session(c, 1, how);
	conn_update_services(c);
	conn_term_start(c);
	conn_tunnel_start(c);
	conn_file_login(c);
}

/* The local user accepted: only a connection that waits counts. */
void
conn_accept(struct conn *c)
{
	if (c->dead || c->closing || c->state != CONN_LOGIN || !c->pending) {
		log_warn("conn %u: accept ignored: not waiting for a click",
		    c->id);
		return;
	}
	conn_authorize(c, "accepted by the local user", NULL);
}

/* The local user dismissed or disconnected the connection. */
void
conn_dismiss(struct conn *c)
{
	if (c->dead || c->closing)
		return;
	c->pending = 0;
	conn_refuse(c, "Closed manually by the peer");
}

/* Send the local user's chat line to the peer. */
void
conn_chat(struct conn *c, const char *text)
{
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__ChatMessage cm = HBB__CHAT_MESSAGE__INIT;

	if (c->dead || c->state != CONN_AUTHORIZED)
		return;
	cm.text = (char *)text;
	misc.union_case = HBB__MISC__UNION_CHAT_MESSAGE;
	misc.chat_message = &cm;
	conn_send_misc(c, &misc);
}

/* TestDelay: echo the client's own probes; our probe's echo is an RTT. */
static void
conn_recv_test_delay(struct conn *c, const Hbb__Message *m)
{
	Hbb__Message echo = HBB__MESSAGE__INIT;

	if (m->test_delay->from_client) {
		echo.union_case = HBB__MESSAGE__UNION_TEST_DELAY;
		echo.test_delay = m->test_delay;
		conn_send(c, &echo);
		return;
	}
	if (!c->probe_out)
		return;
	c->probe_out = 0;
	conn_tunnel_echoed(c);
	c->last_delay = (uint32_t)(mono_ms() - c->probe_ms);
	if (c->video_displays != 0)
		svc_video_rtt(c->srv->video, c->id, (int)c->last_delay);
	log_trace("conn %u: rtt %u ms", c->id, c->last_delay);
}

/* An empty message, or a member newer than us: ignored (§1.5). */
static void
conn_recv_nothing(struct conn *c, const Hbb__Message *m)
{
	(void)c;
	(void)m;
}

/* The client is closing (accepted even before login): close at once. */
static void
conn_recv_close_reason(struct conn *c, const Hbb__Message *m)
{
	(void)m;
	conn_close(c, "peer closed the session");
}

/* A message this host does not serve (yet): ignored. */
static void
conn_recv_other(struct conn *c, const Hbb__Message *m)
{
	log_debug("conn %u: message %d ignored", c->id, (int)m->union_case);
}

/* Handles one peer message; the message is freed after it returns. */
typedef void (*conn_handler)(struct conn *, const Hbb__Message *);

/* Which message may come in which state, and who handles it. */
struct conn_dispatch {
	Hbb__Message__UnionCase	 type;
	int			 misc;	/* with type Misc: its case, 0 any */
	enum conn_state		 state;	/* lowest state allowed */
	const char		*early;	/* why it closes before that state */
	conn_handler		 handler;
};

/*
 * The peer's messages (STYLE.md §6.4). The first matching row counts; a
 * message before its lowest state closes the connection with one line.
 */
static const struct conn_dispatch conn_dispatch[] = {
	{ HBB__MESSAGE__UNION__NOT_SET, 0, CONN_LOGIN,
	    "message before login", conn_recv_nothing },
	{ HBB__MESSAGE__UNION_TEST_DELAY, 0, CONN_LOGIN,
	    "message before login", conn_recv_test_delay },
	{ HBB__MESSAGE__UNION_LOGIN_REQUEST, 0, CONN_LOGIN,
	    "message before login", conn_recv_login },
	{ HBB__MESSAGE__UNION_AUTH_2FA, 0, CONN_LOGIN,
	    "message before login", conn_recv_2fa },
	{ HBB__MESSAGE__UNION_MISC, HBB__MISC__UNION_CLOSE_REASON, CONN_LOGIN,
	    "misc before login", conn_recv_close_reason },
	{ HBB__MESSAGE__UNION_MISC, HBB__MISC__UNION_AUDIO_FORMAT,
	    CONN_AUTHORIZED, "misc before login", conn_recv_voice_format },
	{ HBB__MESSAGE__UNION_MISC, 0, CONN_AUTHORIZED,
	    "misc before login", conn_recv_misc },
	{ HBB__MESSAGE__UNION_MOUSE_EVENT, 0, CONN_AUTHORIZED,
	    "input before login", conn_recv_input },
	{ HBB__MESSAGE__UNION_KEY_EVENT, 0, CONN_AUTHORIZED,
	    "input before login", conn_recv_input },
	{ HBB__MESSAGE__UNION_POINTER_DEVICE_EVENT, 0, CONN_AUTHORIZED,
	    "input before login", conn_recv_input },
	{ HBB__MESSAGE__UNION_CLIPBOARD, 0, CONN_AUTHORIZED,
	    "message before login", conn_recv_clipboard },
	{ HBB__MESSAGE__UNION_MULTI_CLIPBOARDS, 0, CONN_AUTHORIZED,
	    "message before login", conn_recv_clipboard },
	{ HBB__MESSAGE__UNION_TERMINAL_ACTION, 0, CONN_AUTHORIZED,
	    "message before login", conn_recv_terminal },
	{ HBB__MESSAGE__UNION_SCREENSHOT_REQUEST, 0, CONN_AUTHORIZED,
	    "message before login", conn_recv_screenshot },
	{ HBB__MESSAGE__UNION_FILE_ACTION, 0, CONN_AUTHORIZED,
	    "message before login", conn_recv_file },
	{ HBB__MESSAGE__UNION_FILE_RESPONSE, 0, CONN_AUTHORIZED,
	    "message before login", conn_recv_file },
	{ HBB__MESSAGE__UNION_VOICE_CALL_REQUEST, 0, CONN_AUTHORIZED,
	    "message before login", conn_recv_voice_request },
	{ HBB__MESSAGE__UNION_AUDIO_FRAME, 0, CONN_AUTHORIZED,
	    "message before login", conn_recv_audio_frame },
};

/* Any other message: after login only, then ignored. */
static const struct conn_dispatch conn_dispatch_other = {
	HBB__MESSAGE__UNION__NOT_SET, 0, CONN_AUTHORIZED,
	"message before login", conn_recv_other
};

/* The row of conn_dispatch for m. */
static const struct conn_dispatch *
conn_dispatch_find(const Hbb__Message *m)
{
	const struct conn_dispatch *d;
	size_t i;

	for (i = 0; i < sizeof conn_dispatch / sizeof conn_dispatch[0]; i++) {
		d = &conn_dispatch[i];
		if (d->type != m->union_case)
			continue;
		if (d->misc != 0 && (int)m->misc->union_case != d->misc)
			continue;
		return d;
	}
	return &conn_dispatch_other;
}

/* Dispatch one decrypted payload by state (STYLE.md §6.4). */
static void
conn_recv(struct conn *c, const uint8_t *p, size_t n)
{
	const struct conn_dispatch *d;
	Hbb__Message *m;
	int r;

	if (c->state == CONN_HANDSHAKE) {
		conn_recv_handshake(c, p, n);
		return;
	}
	if ((r = conn_bound_check(p, n)) != 0) {
		conn_fail(c, r, r == ERR_TOOBIG ? "message too big" :
		    "unparsable message");
		return;
	}
	sstream_trim(c->ss, CONN_RBUF_KEEP);
	if (c->session != NULL)
		c->session->last_seen = conn_now_s();
	/* An upload's data goes to the file code (conn_file.c). */
	if (c->state == CONN_AUTHORIZED && conn_recv_file_raw(c, p, n))
		return;
	if ((m = hbb__message__unpack(NULL, n, p)) == NULL) {
		conn_fail(c, ERR_PROTO, "unparsable message");
		return;
	}
	d = conn_dispatch_find(m);
	if (c->state < d->state)
		conn_fail(c, ERR_STATE, d->early);
	else
		d->handler(c, m);
	hbb__message__free_unpacked(m, NULL);
}

/*
 * Read up to want more bytes of a frame straight from the socket: libevent
 * reads 4 KiB at a time, a round of the loop each. Returns the bytes read,
 * 0 when none are ready, -1 when the connection closed.
 */
static ssize_t
conn_read_more(struct conn *c, struct evbuffer *in, size_t want)
{
	struct evbuffer_iovec iov;
	ssize_t got;

	want = want < CONN_READ_MAX ? want : CONN_READ_MAX;
	/* The bufferevent keeps its input's end frozen between reads. */
	evbuffer_unfreeze(in, 0);
	if (evbuffer_reserve_space(in, (ev_ssize_t)want, &iov, 1) < 1) {
		evbuffer_freeze(in, 0);
		return 0;
	}
	got = read(bufferevent_getfd(c->bev), iov.iov_base, want);
	iov.iov_len = got > 0 ? (size_t)got : 0;
	evbuffer_commit_space(in, &iov, 1);
	evbuffer_freeze(in, 0);
	if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c, got == 0 ? "peer disconnected" : strerror(errno));
		return -1;
	}
	return got > 0 ? got : 0;
}

/*
 * A large frame (a file block, when a transfer runs) is read into a buffer
 * of its own (c->rx_part): what the bufferevent read already, then the
 * rest straight from the socket, and opened there. The upload code hands
 * that buffer to its I/O thread (conn_fs_take): the data is copied once,
 * by the kernel, rather than into the bufferevent, out to the stream's
 * buffer and out again by protobuf-c. 1 when the frame was handled, 0
 * while it is incomplete, -1 when c failed.
 */
static int
conn_recv_part(struct conn *c, struct evbuffer *in)
{
	uint8_t *buf = c->rx_part, *msg, *outer = c->rx_own;
	size_t len = c->rx_part_len, k, msglen, outer_len = c->rx_own_len;
	ssize_t got;
	int r;

	k = evbuffer_get_length(in);
	k = k < len - c->rx_part_have ? k : len - c->rx_part_have;
	if (k > 0 && evbuffer_remove(in, buf + c->rx_part_have, k) >= 0)
		c->rx_part_have += k;
	while (c->rx_part_have < len) {
		got = read(bufferevent_getfd(c->bev), buf + c->rx_part_have,
		    len - c->rx_part_have);
		if (got > 0) {
			c->rx_part_have += (size_t)got;
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EAGAIN)
			return 0;
		conn_close(c, got == 0 ? "peer disconnected" : strerror(errno));
		return -1;
	}
	c->rx_part = NULL;
	if ((r = sstream_open_into(c->ss, buf, len, buf, &msg, &msglen)) <= 0) {
		bufcache_free(buf);
		conn_fail(c, r < 0 ? r : ERR_PROTO, "bad frame");
		return -1;
	}
	c->last_recv_ms = mono_ms();
	/* A nested read (conn_read_hold) keeps the outer frame's buffer. */
	c->rx_own = buf;
	c->rx_own_len = len;
	if (!c->closing)
		conn_recv(c, msg, msglen);
	bufcache_free(c->rx_own);
	c->rx_own = outer;
	c->rx_own_len = outer_len;
	return 1;
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
	int r, big = 0;

	while (!c->dead && c->raw < 2) {
		if ((n = evbuffer_get_length(in)) == 0) {
			/* After a large frame the next one is often there
			 * already: its head is read now, not after a round of
			 * the loop (an upload's blocks: 2 reads each). */
			if (!big || c->read_held || c->ctrl_bytes >
			    CONN_OUT_HIGH || conn_read_more(c, in,
			    CONN_HEAD_READ) <= 0)
				break;
			big = 0;
			continue;
		}
		if (c->discard) {
			evbuffer_drain(in, n);
			break;
		}
		if (c->ctrl_bytes > CONN_OUT_HIGH || c->read_held) {
			/* The peer does not read our replies (or an upload
			 * waits for the file helper): stop reading its
			 * requests until conn_write_cb drains them. */
			bufferevent_disable(bev, EV_READ);
			break;
		}
		if (c->rx_part != NULL) {
			if (conn_recv_part(c, in) <= 0)
				return;
			big = 1;
			continue;
		}
		p = evbuffer_pullup(in, n < CODEC_HDR_MAX ? (ev_ssize_t)n :
		    CODEC_HDR_MAX);
		r = codec_hdr_decode(p, n < CODEC_HDR_MAX ? n : CODEC_HDR_MAX,
		    sstream_get_max(c->ss), &hl, &pl);
		if (r == ERR_TOOBIG && c->state == CONN_LOGIN) {
			/* Say why rather than close in silence; read and
			 * drop the rest so that the peer sees the answer. */
			c->discard = 1;
			conn_login_error(c, "Login request too large", 1);
			evbuffer_drain(in, n);
			break;
		}
		if (r < 0) {
			conn_fail(c, r, "bad frame");
			return;
		}
		if (r > 0 && pl >= CONN_BIG_FRAME && c->files != NULL &&
		    c->state == CONN_AUTHORIZED) {
			if ((c->rx_part = bufcache_malloc(hl + pl)) == NULL)
				fatal("out of memory");
			c->rx_part_len = hl + pl;
			c->rx_part_have = 0;
			continue;
		}
		if ((r == 0 || n < hl + pl) && conn_read_more(c, in, r == 0 ?
		    CODEC_HDR_MAX : hl + pl - n) <= 0)
			break;
		if (r == 0 || n < hl + pl)
			continue;
		p = evbuffer_pullup(in, (ev_ssize_t)(hl + pl));
		if ((r = sstream_open(c->ss, p, hl + pl, &msg, &msglen)) < 0) {
			conn_fail(c, r, "bad frame");
			return;
		}
		c->last_recv_ms = mono_ms();
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
	c->last_drain_ms = mono_ms();
	conn_flush(c);
	conn_file_pump(c);
	if (!c->dead && c->ctrl_bytes <= CONN_OUT_HIGH && !c->read_held &&
	    (bufferevent_get_enabled(c->bev) & EV_READ) == 0) {
		bufferevent_enable(c->bev, EV_READ);
		conn_read_cb(c->bev, c);
	}
}

/* Stop or resume reading the peer (an upload waits for the helper). */
void
conn_read_hold(struct conn *c, int hold)
{
	if (c->dead || c->read_held == hold)
		return;
	c->read_held = hold;
	if (hold)
		bufferevent_disable(c->bev, EV_READ);
	else
		conn_write_cb(c->bev, c);
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

/* The sink through which services reach this connection. */
static void
conn_sink(struct conn *c, struct svc_sink *sink)
{
	sink->ctx = c;
	sink->conn_id = c->id;
	sink->send = conn_sink_send;
	sink->backlog = conn_sink_backlog;
}

/* Start serving a peer on fd. */
struct conn *
conn_new(struct srv *srv, int fd, const struct sockaddr *sa, socklen_t salen,
    enum conn_via via)
{
	struct conn *c;
	uint8_t *first = NULL;
	size_t firstlen = 0;
	int r, one = 1;

	if (!conn_gate_admit(srv, sa) ||
	    evutil_make_socket_nonblocking(fd) != 0) {
		close(fd);
		return NULL;
	}
	/*
	 * No Nagle (upstream sets nodelay on each stream it connects, the
	 * relayed and punched ones; our relay path did too): a picture
	 * written while the client still holds back its ACK of the last one
	 * (delayed ACK: it sends nothing back but the TestDelay echo) would
	 * wait for that ACK. On typing, the picture after each probe
	 * arrived 9 ms late.
	 */
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
	c = xcalloc(1, sizeof *c);
	c->id = ++srv->next_conn_id;
	c->srv = srv;
	c->via = via;
	c->peer = xstrdup("-");
	TAILQ_INIT(&c->ctrl);
	TAILQ_INIT(&c->video);
	if ((size_t)salen > sizeof c->sa)
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
	c->start_ms = c->last_recv_ms = c->last_drain_ms = mono_ms();
	c->ss = sstream_new(CODEC_PRELOGIN_MAX);
	for (r = 0; r < PERM_MAX; r++)
		c->perm[r] = perm_option_on(srv->cfg, perm_get(r)->option);
	/* No option in the login means "VP9 only" (PROTOCOL.md §7.1). */
	enc_caps_from_proto(NULL, &c->vprefs.caps);
	conn_sink(c, &c->sink);
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
	bufferevent_set_max_single_write(c->bev, CONN_IO_MAX);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->closer = evtimer_new(srv->base, conn_closer_cb, c);
	conn_tick_join(c);
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
		conn_enqueue(c, b, SVC_Q_CONTROL);
		msgbuf_unref(b);
		free(first);
	}
	return c;
}
