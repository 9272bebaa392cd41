/*
 * conn_tick.c: the connections' once-a-second work (conn_tick: timeouts,
 * the TestDelay probe) run from one server-wide timer, and the probe's
 * direct write.
 *
 * Upstream probes every session every second (PROTOCOL.md §5). With a
 * timer of its own per connection, 1000 idle sessions woke the loop about
 * 1000 times a second and each probe cost two epoll_ctl calls (the
 * bufferevent arms its write event, then disarms it after the write) on
 * top of the write itself: 5.4 % of a core with nothing on screen. Here
 * one timer runs the connections whose second is up, so their probes go
 * out together and their echoes come back together; a probe that finds
 * nothing queued goes straight to the socket. The timer is set for the
 * first connection due, rounded up to a multiple of CONN_TICK_SLOT_MS: a
 * tick is late by at most one slot, many connections wake the loop at
 * most once a slot, and one connection once a second (a timer firing
 * every slot woke a still screen's server ten times a second for it).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/log.h"
#include "common/mono.h"
#include "common/sstream.h"
#include "server/conn/conn_int.h"
#include "server/srv.h"

#define CONN_TICK_MS		1000	/* each connection's period */
#define CONN_TICK_SLOT_MS	100	/* how often the timer looks */
#define CONN_NOW_MAX		512	/* a direct write's largest frame */

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL		0	/* no SIGPIPE to suppress (Windows) */
#endif

/* Sets the timer for the first connection due, on the slot grid. */
static void
conn_tick_arm(struct srv *srv)
{
	const struct conn *c = TAILQ_FIRST(&srv->conn_ticks);
	struct timeval tv;
	uint64_t due;

	if (c == NULL || srv->conn_tick == NULL)
		return;
	due = (c->next_tick_ms + CONN_TICK_SLOT_MS - 1) / CONN_TICK_SLOT_MS *
	    CONN_TICK_SLOT_MS * 1000;
	tv = mono_tv_until_us(due);
	evtimer_add(srv->conn_tick, &tv);
}

/*
 * The timer: the connections whose second is up get their tick. The list
 * is in the order of next_tick_ms (each entry goes to the tail a second
 * from now), so a pass looks only at those due. A tick may close its
 * connection or another: conn_close takes it off the list at once.
 */
static void
conn_tick_all_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv *srv = arg;
	struct conn *c;
	uint64_t now = mono_ms();

	(void)fd;
	(void)what;
	while ((c = TAILQ_FIRST(&srv->conn_ticks)) != NULL &&
	    c->next_tick_ms <= now) {
		TAILQ_REMOVE(&srv->conn_ticks, c, tick_entry);
		c->next_tick_ms = now + CONN_TICK_MS;
		TAILQ_INSERT_TAIL(&srv->conn_ticks, c, tick_entry);
		conn_tick(c);
	}
	conn_tick_arm(srv);
}

/* A new connection: its first tick a second from now. */
void
conn_tick_join(struct conn *c)
{
	struct srv *srv = c->srv;

	if (srv->conn_tick == NULL) {
		/* No connection: the list is empty (conn_tick_leave). */
		TAILQ_INIT(&srv->conn_ticks);
		srv->conn_tick = evtimer_new(srv->base, conn_tick_all_cb, srv);
		if (srv->conn_tick == NULL)
			fatal("event_new failed");
	}
	c->next_tick_ms = mono_ms() + CONN_TICK_MS;
	TAILQ_INSERT_TAIL(&srv->conn_ticks, c, tick_entry);
	c->ticking = 1;
	/* A set timer is due no later than this one, the list's last. */
	if (!evtimer_pending(srv->conn_tick, NULL))
		conn_tick_arm(srv);
}

/* No more ticks for c (closed, or a raw tunnel with a timer of its own). */
void
conn_tick_stop(struct conn *c)
{
	if (c->ticking)
		TAILQ_REMOVE(&c->srv->conn_ticks, c, tick_entry);
	c->ticking = 0;
}

/* A connection left the server's list: the last one stops the timer. */
void
conn_tick_leave(struct srv *srv)
{
	if (TAILQ_EMPTY(&srv->conns) && srv->conn_tick != NULL) {
		event_free(srv->conn_tick);
		srv->conn_tick = NULL;
	}
}

/*
 * Sends m now when nothing else waits: sealed on the stack and written to
 * the socket without arming the bufferevent's write event. What the
 * socket does not take (or everything, after an error, which the
 * bufferevent then meets itself) goes to the output as usual. Otherwise
 * (something queued, a large message) m is queued like any other.
 */
void
conn_send_now(struct conn *c, const Hbb__Message *m)
{
	struct evbuffer *out;
	uint8_t msg[CONN_NOW_MAX], frame[CONN_NOW_MAX + 64];
	size_t len, flen;
	ssize_t n;
	int r;

	if (c->dead || c->raw)
		return;
	out = bufferevent_get_output(c->bev);
	len = hbb__message__get_packed_size(m);
	flen = len <= CONN_NOW_MAX ? sstream_frame_len(c->ss, len) : 0;
	if (evbuffer_get_length(out) != 0 || !TAILQ_EMPTY(&c->ctrl) ||
	    !TAILQ_EMPTY(&c->video) || flen == 0 || flen > sizeof frame) {
		conn_send(c, m);
		return;
	}
	hbb__message__pack(m, msg);
	if ((r = sstream_seal(c->ss, msg, len, frame, flen)) < 0) {
		conn_send(c, m);	/* nothing sealed: the queue says why */
		return;
	}
	n = send(bufferevent_getfd(c->bev), (const void *)frame, (size_t)r,
	    MSG_NOSIGNAL);
	if (n == r) {
		c->last_drain_ms = mono_ms();
		return;
	}
	if (n < 0)
		n = 0;
	evbuffer_add(out, frame + n, (size_t)(r - n));
}
