/*
 * svc_term.c: terminals (svc_term.h): the session user's shells on
 * terminals (term_pty.h: a PTY, or a Windows pseudoconsole), the sets a
 * service id names, reading with back-pressure, the output kept for a
 * reattach, and reaping.
 *
 * Teardown of a set is deferred to the tick: a send may close the
 * connection, which detaches, while a callback of this file is running.
 */
#include <sys/queue.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <sodium.h>
#include <zstd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "server/svc/svc_term.h"
#include "server/svc/term_pty.h"

#define TERM_SETS_MAX		100	/* MAX_SERVICES upstream */
#define TERM_PER_SET_MAX	32	/* shells of one set */
#define TERM_HIST		8192	/* replayed on reattach, as upstream */
#define TERM_READ_MAX		16384	/* one read of a PTY */
#define TERM_COMPRESS_MIN	512	/* larger output is compressed */
#define TERM_ZSTD_LEVEL		3	/* COMPRESS_LEVEL upstream */
#define TERM_BACKLOG_HIGH	(256 * 1024)	/* stop reading above */
#define TERM_BACKLOG_LOW	(64 * 1024)	/* read again below */
#define TERM_IDLE_BUDGET	(64 * 1024)	/* per tick, nobody watching */
#define TERM_TICK_MS		30	/* upstream reads every 30 ms */
#define TERM_INPUT_MAX		(1024 * 1024)	/* typed, not yet read */
#define TERM_EMPTY_IDLE_MS	(2ULL * 3600 * 1000)	/* empty, persistent */
#define TERM_KILL_GRACE_MS	1000	/* hang-up, then kill */
#define TERM_HOUSE_S		60	/* empty sets are checked this often */
#define TERM_SIZE_MAX		1000	/* rows and columns */

struct term_set;

/* One shell on a PTY. */
struct term {
	int32_t			 id;
	struct term_proc	*proc;		/* owned; NULL once reaped */
	uint32_t		 shown_pid;	/* TerminalOpened.pid */
	evutil_socket_t		 fd;		/* term_pty.h; -1 once closed */
	struct event		*rd;		/* owned */
	struct event		*wr;		/* owned */
	struct evbuffer		*in;		/* owned: typed, not written */
	unsigned		 rows, cols;
	int			 active;	/* opened by the attached one */
	int			 paused;	/* unread: backlog or budget */
	int			 eof;		/* the master said EOF or EIO */
	int			 ended;		/* reaped and read: to report */
	int			 code;		/* exit code once reaped */
	int			 winch;		/* redraw step: 1, 2; 0 none */
	int			 warned;	/* input dropped once, logged */
	size_t			 budget;	/* unwatched: left this tick */
	uint8_t			 carry[4];	/* unfinished UTF-8 sequence */
	size_t			 ncarry;
	uint8_t			 hist[TERM_HIST]; /* the last output, a ring */
	size_t			 hist_start, hist_len;
	int			 hist_cut;	/* older output was dropped */
	struct term_set		*set;		/* borrowed */
	TAILQ_ENTRY(term)	 entry;
};
TAILQ_HEAD(term_list, term);

/* The terminals of one service id. */
struct term_set {
	char			*id;		/* owned */
	char			*log_id;	/* owned, escaped */
	int			 persistent;
	int			 attached;
	struct svc_sink		 sink;		/* if attached; ctx borrowed */
	int			 sync;		/* name live ids at next open */
	int			 doomed;	/* freed at the next tick */
	uint64_t		 last_ms;	/* last action or detach */
	struct term_list	 terms;
	size_t			 n;
	struct svc_term		*st;		/* borrowed */
	TAILQ_ENTRY(term_set)	 entry;
};

/* A hung-up shell not reaped yet. */
struct term_zombie {
	struct term_proc	*proc;		/* owned */
	uint64_t		 kill_ms;	/* SIGKILL from then on */
	TAILQ_ENTRY(term_zombie) entry;
};

struct svc_term {
	struct event_base	*base;		/* borrowed */
	struct event		*sigchld;	/* owned: term_pty_watch */
	struct event		*tick;		/* owned: 30 ms, while needed */
	struct event		*house;		/* owned: while anything waits */
	ZSTD_CCtx		*zc;		/* owned */
	uint8_t			 rbuf[4 + TERM_READ_MAX]; /* carry + a read */
	TAILQ_HEAD(, term_set)	 sets;
	size_t			 nsets;
	TAILQ_HEAD(, term_zombie) zombies;
};

static void	term_read_cb(evutil_socket_t, short, void *);
static void	term_write_cb(evutil_socket_t, short, void *);
static void	term_house_arm(struct svc_term *);

/* Where to split output so that no UTF-8 sequence is cut (as upstream). */
size_t
svc_term_utf8_split(const uint8_t *p, size_t n)
{
	size_t i, start = n > 3 ? n - 3 : 0, need;
	uint8_t b;

	for (i = n; i > start; i--) {
		b = p[i - 1];
		if (b < 0x80)
			return n;
		if ((b & 0xc0) == 0x80)
			continue;
		if ((b & 0xe0) == 0xc0)
			need = 2;
		else if ((b & 0xf0) == 0xe0)
			need = 3;
		else if ((b & 0xf8) == 0xf0)
			need = 4;
		else
			return n;
		return n - (i - 1) >= need ? n : i - 1;
	}
	return n;
}

/* Start the 30 ms tick unless it runs. */
static void
term_arm(struct svc_term *st)
{
	struct timeval tv = { 0, TERM_TICK_MS * 1000 };

	if (!evtimer_pending(st->tick, NULL))
		evtimer_add(st->tick, &tv);
}

/* 1 if t's output goes to a peer now. */
static int
term_streaming(const struct term *t)
{
	return t->set->attached && t->active && !t->set->doomed;
}

/* The attached peer's control backlog (0 when none is attached). */
static size_t
term_backlog(const struct term_set *s)
{
	return s->attached ? s->sink.backlog(s->sink.ctx, SVC_Q_CONTROL) : 0;
}

/* Send r (borrowed) to the attached peer, if any. */
static void
term_send(struct term_set *s, Hbb__TerminalResponse *r)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	struct msgbuf *b;

	if (!s->attached || s->doomed)
		return;
	m.union_case = HBB__MESSAGE__UNION_TERMINAL_RESPONSE;
	m.terminal_response = r;
	b = msgbuf_pack(&m);
	s->sink.send(s->sink.ctx, b, SVC_Q_CONTROL);
	msgbuf_unref(b);
}

/* Send TerminalResponse.error for terminal id. */
static void
term_send_error(struct term_set *s, int32_t id, const char *text)
{
	Hbb__TerminalResponse r = HBB__TERMINAL_RESPONSE__INIT;
	Hbb__TerminalError e = HBB__TERMINAL_ERROR__INIT;

	e.terminal_id = id;
	e.message = (char *)text;
	r.union_case = HBB__TERMINAL_RESPONSE__UNION_ERROR;
	r.error = &e;
	term_send(s, &r);
}

/* Send TerminalResponse.closed for terminal id. */
static void
term_send_closed(struct term_set *s, int32_t id, int code)
{
	Hbb__TerminalResponse r = HBB__TERMINAL_RESPONSE__INIT;
	Hbb__TerminalClosed c = HBB__TERMINAL_CLOSED__INIT;

	c.terminal_id = id;
	c.exit_code = code;
	r.union_case = HBB__TERMINAL_RESPONSE__UNION_CLOSED;
	r.closed = &c;
	term_send(s, &r);
}

/*
 * Send TerminalResponse.opened for t; the first open after an attach also
 * names the set's other live terminals (persistent_sessions).
 */
static void
term_send_opened(struct term *t, const char *text, int replay)
{
	struct term_set *s = t->set;
	Hbb__TerminalResponse r = HBB__TERMINAL_RESPONSE__INIT;
	Hbb__TerminalOpened o = HBB__TERMINAL_OPENED__INIT;
	int32_t *ids = NULL;
	struct term *x;
	size_t n = 0;

	o.terminal_id = t->id;
	o.success = 1;
	o.message = (char *)text;
	o.pid = t->shown_pid;
	o.service_id = s->id;
	o.replay_terminal_output = replay;
	if (s->sync) {
		ids = xcalloc(s->n, sizeof *ids);
		TAILQ_FOREACH(x, &s->terms, entry)
			if (x != t)
				ids[n++] = x->id;
		o.persistent_sessions = ids;
		o.n_persistent_sessions = n;
		s->sync = 0;
	}
	r.union_case = HBB__TERMINAL_RESPONSE__UNION_OPENED;
	r.opened = &o;
	term_send(s, &r);
	free(ids);
}

/* Send output of t, zstd-compressed when over 512 bytes and smaller so. */
static void
term_send_data(struct term *t, const uint8_t *p, size_t n)
{
	struct svc_term *st = t->set->st;
	Hbb__TerminalResponse r = HBB__TERMINAL_RESPONSE__INIT;
	Hbb__TerminalData d = HBB__TERMINAL_DATA__INIT;
	uint8_t *z = NULL;
	size_t zcap, zn;

	d.terminal_id = t->id;
	d.data.data = (uint8_t *)p;
	d.data.len = n;
	if (n > TERM_COMPRESS_MIN) {
		zcap = ZSTD_compressBound(n);
		z = xmalloc(zcap);
		zn = ZSTD_compressCCtx(st->zc, z, zcap, p, n, TERM_ZSTD_LEVEL);
		if (!ZSTD_isError(zn) && zn < n) {
			d.data.data = z;
			d.data.len = zn;
			d.compressed = 1;
		}
	}
	r.union_case = HBB__TERMINAL_RESPONSE__UNION_DATA;
	r.data = &d;
	term_send(t->set, &r);
	free(z);
}

/* Keep the last TERM_HIST bytes of t's output. */
static void
term_hist_add(struct term *t, const uint8_t *p, size_t n)
{
	size_t pos, first;

	if (n >= TERM_HIST) {
		memcpy(t->hist, p + n - TERM_HIST, TERM_HIST);
		t->hist_cut |= n > TERM_HIST || t->hist_len > 0;
		t->hist_start = 0;
		t->hist_len = TERM_HIST;
		return;
	}
	pos = (t->hist_start + t->hist_len) % TERM_HIST;
	first = n < TERM_HIST - pos ? n : TERM_HIST - pos;
	memcpy(t->hist + pos, p, first);
	memcpy(t->hist, p + first, n - first);
	t->hist_len += n;
	if (t->hist_len > TERM_HIST) {
		t->hist_start = (t->hist_start + t->hist_len - TERM_HIST) %
		    TERM_HIST;
		t->hist_len = TERM_HIST;
		t->hist_cut = 1;
	}
}

/*
 * Copy the kept output into out (TERM_HIST bytes) and return its length.
 * When older output was dropped, it starts at a line (or, in one long
 * line, at a character), as upstream's replay does.
 */
static size_t
term_hist_get(const struct term *t, uint8_t *out)
{
	size_t first = TERM_HIST - t->hist_start, skip = 0, i;

	if (first > t->hist_len)
		first = t->hist_len;
	memcpy(out, t->hist + t->hist_start, first);
	memcpy(out + first, t->hist, t->hist_len - first);
	if (!t->hist_cut)
		return t->hist_len;
	for (i = 0; i < t->hist_len; i++)
		if (out[i] == '\n') {
			skip = i + 1;
			break;
		}
	if (i == t->hist_len)
		while (skip < 3 && skip < t->hist_len &&
		    (out[skip] & 0xc0) == 0x80)
			skip++;
	memmove(out, out + skip, t->hist_len - skip);
	return t->hist_len - skip;
}

/* Stop reading t until the tick says so. */
static void
term_pause(struct term *t)
{
	if (t->paused)
		return;
	t->paused = 1;
	event_del(t->rd);
	term_arm(t->set->st);
}

/* Read t again. */
static void
term_resume(struct term *t)
{
	if (!t->paused)
		return;
	t->paused = 0;
	if (!t->eof && t->fd >= 0)
		event_add(t->rd, NULL);
}

/*
 * Hand n bytes read from t (at rbuf + 4 of the service) to the peer,
 * after the unfinished UTF-8 sequence kept from last time.
 */
static void
term_output(struct term *t, size_t n)
{
	uint8_t *p = t->set->st->rbuf + 4 - t->ncarry;
	size_t len = t->ncarry + n, cut;

	memcpy(p, t->carry, t->ncarry);
	cut = svc_term_utf8_split(p, len);
	t->ncarry = len - cut;
	memcpy(t->carry, p + cut, t->ncarry);
	if (cut > 0)
		term_send_data(t, p, cut);
}

/* Send what is left of an unfinished UTF-8 sequence as it is. */
static void
term_flush_carry(struct term *t)
{
	if (t->ncarry > 0 && term_streaming(t))
		term_send_data(t, t->carry, t->ncarry);
	t->ncarry = 0;
}

/* Read once from t; returns the count, 0 at EOF/EIO, -1 for nothing. */
static ssize_t
term_read_once(struct term *t)
{
	struct svc_term *st = t->set->st;
	ssize_t n;

	n = term_pty_read(t->fd, st->rbuf + 4, TERM_READ_MAX);
	if (n <= 0)
		return n;
	term_hist_add(t, st->rbuf + 4, (size_t)n);
	if (term_streaming(t))
		term_output(t, (size_t)n);
	else {
		t->ncarry = 0;
		t->budget = (size_t)n < t->budget ? t->budget - (size_t)n : 0;
	}
	return n;
}

/* Close t's PTY and its events (a shell still holding it is hung up). */
static void
term_close_pty(struct term *t)
{
	if (t->rd != NULL)
		event_free(t->rd);
	if (t->wr != NULL)
		event_free(t->wr);
	t->rd = t->wr = NULL;
	if (t->fd >= 0)
		term_pty_close(t->fd);
	t->fd = -1;
	evbuffer_drain(t->in, evbuffer_get_length(t->in));
}

/* Take t out of its set and hang its shell up; t is freed. */
static void
term_remove(struct term *t)
{
	struct term_set *s = t->set;
	struct term_zombie *z;

	TAILQ_REMOVE(&s->terms, t, entry);
	s->n--;
	term_close_pty(t);
	evbuffer_free(t->in);
	if (t->proc != NULL) {
		/* Hung up, then killed after a grace. */
		term_pty_hangup(t->proc);
		z = xcalloc(1, sizeof *z);
		z->proc = t->proc;
		z->kill_ms = mono_ms() + TERM_KILL_GRACE_MS;
		TAILQ_INSERT_TAIL(&s->st->zombies, z, entry);
		term_house_arm(s->st);
	}
	free(t);
}

/*
 * t's shell was reaped and its output read: report it closed and drop it,
 * or, with nobody attached, keep it to report at the next attach.
 */
static void
term_ended(struct term *t)
{
	struct term_set *s = t->set;

	term_flush_carry(t);
	term_close_pty(t);
	t->ended = 1;
	log_info("terminal %s/%d: shell exited (%d)", s->log_id, t->id,
	    t->code);
	if (!s->attached || s->doomed)
		return;
	term_send_closed(s, t->id, t->code);
	term_remove(t);
}

/* The PTY of t has output, or says its last holder closed it. */
static void
term_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct term *t = arg;
	ssize_t n;

	(void)fd;
	(void)what;
	if (t->set->doomed)
		return;
	if ((n = term_read_once(t)) < 0)
		return;
	if (n == 0) {
		t->eof = 1;
		event_del(t->rd);
		if (t->proc == NULL)
			term_ended(t);
		return;
	}
	if (term_streaming(t) ? term_backlog(t->set) > TERM_BACKLOG_HIGH :
	    t->budget == 0)
		term_pause(t);
}

/* The PTY of t takes input. */
static void
term_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct term *t = arg;

	(void)what;
	if (term_pty_write(fd, t->in) != 0)
		evbuffer_drain(t->in, evbuffer_get_length(t->in));
	if (evbuffer_get_length(t->in) == 0)
		event_del(t->wr);
}

/* t's shell was reaped: read what it left, then end it. */
static void
term_reaped(struct term *t, int code)
{
	int i;

	term_pty_free(t->proc);
	t->proc = NULL;
	t->code = code;
	/* A background job may still hold the PTY: read a bounded
	 * amount, then hang it up. */
	for (i = 0; i < 8 && t->fd >= 0 && !t->eof; i++)
		if (term_read_once(t) <= 0)
			break;
	term_ended(t);
}

/* A shell may have ended (term_pty_watch): reap ours. */
static void
term_sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	struct svc_term *st = arg;
	struct term_set *s;
	struct term *t, *tn;
	struct term_zombie *z, *zn;
	int code;

	(void)sig;
	(void)what;
	TAILQ_FOREACH(s, &st->sets, entry) {
		for (t = TAILQ_FIRST(&s->terms); t != NULL; t = tn) {
			tn = TAILQ_NEXT(t, entry);
			if (t->proc != NULL &&
			    term_pty_reap(t->proc, &code) == 1)
				term_reaped(t, code);
		}
	}
	for (z = TAILQ_FIRST(&st->zombies); z != NULL; z = zn) {
		zn = TAILQ_NEXT(z, entry);
		if (term_pty_reap(z->proc, &code) != 0) {
			TAILQ_REMOVE(&st->zombies, z, entry);
			term_pty_free(z->proc);
			free(z);
		}
	}
}

/* Free a set and hang up its shells. */
static void
term_set_free(struct term_set *s)
{
	struct term *t;

	while ((t = TAILQ_FIRST(&s->terms)) != NULL)
		term_remove(t);
	TAILQ_REMOVE(&s->st->sets, s, entry);
	s->st->nsets--;
	log_info("terminal %s: closed", s->log_id);
	free(s->id);
	free(s->log_id);
	free(s);
}

/* Shrink t by a row, then restore it, so a full-screen program redraws. */
static void
term_winch(struct term *t)
{
	unsigned rows = t->rows;

	if (t->winch == 1)
		rows = t->rows > 2 ? t->rows - 1 : t->rows + 1;
	if (t->fd >= 0)
		term_pty_resize(t->proc, t->fd, rows, t->cols);
	t->winch = t->winch == 1 ? 2 : 0;
}

/*
 * The tick: free doomed sets, refill the budgets, resume terminals whose
 * peer drained, and step redraws; again in 30 ms while anything waits.
 */
static void
term_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_term *st = arg;
	struct term_set *s, *sn;
	struct term *t;
	int again = 0;

	(void)fd;
	(void)what;
	for (s = TAILQ_FIRST(&st->sets); s != NULL; s = sn) {
		sn = TAILQ_NEXT(s, entry);
		if (s->doomed) {
			term_set_free(s);
			continue;
		}
		TAILQ_FOREACH(t, &s->terms, entry) {
			t->budget = TERM_IDLE_BUDGET;
			if (t->winch != 0)
				term_winch(t);
			if (t->paused && (!term_streaming(t) ||
			    term_backlog(s) < TERM_BACKLOG_LOW))
				term_resume(t);
			again |= t->paused || t->winch != 0;
		}
	}
	if (again)
		term_arm(st);
}

/*
 * Start the housekeeping timer if something waits for it: every second
 * while a hung-up shell is not reaped, every minute while a persistent set
 * is empty and detached. An idle service sets no timer.
 */
static void
term_house_arm(struct svc_term *st)
{
	struct timeval tv = { TERM_HOUSE_S, 0 };
	struct term_set *s;
	int need = 0;

	if (!TAILQ_EMPTY(&st->zombies))
		tv.tv_sec = 1;
	TAILQ_FOREACH(s, &st->sets, entry)
		need |= s->persistent && !s->attached && s->n == 0;
	if (!need && TAILQ_EMPTY(&st->zombies))
		return;
	if (evtimer_pending(st->house, NULL))
		evtimer_del(st->house);
	evtimer_add(st->house, &tv);
}

/* Kill shells past their grace, drop long-empty sets. */
static void
term_house_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_term *st = arg;
	struct term_set *s, *sn;
	struct term_zombie *z;
	uint64_t now = mono_ms();

	(void)fd;
	(void)what;
	TAILQ_FOREACH(z, &st->zombies, entry)
		if (now >= z->kill_ms)
			term_pty_kill(z->proc);
	for (s = TAILQ_FIRST(&st->sets); s != NULL; s = sn) {
		sn = TAILQ_NEXT(s, entry);
		if (s->persistent && !s->attached && s->n == 0 &&
		    now - s->last_ms > TERM_EMPTY_IDLE_MS)
			term_set_free(s);
	}
	term_house_arm(st);
}

/* Start the service. */
int
svc_term_new(struct event_base *base, struct svc_term **out)
{
	struct svc_term *st;

	*out = NULL;
	st = xcalloc(1, sizeof *st);
	st->base = base;
	TAILQ_INIT(&st->sets);
	TAILQ_INIT(&st->zombies);
	if (!term_pty_supported()) {
		free(st);
		return ERR_UNSUPP;
	}
	st->zc = ZSTD_createCCtx();
	st->tick = evtimer_new(base, term_tick_cb, st);
	st->house = evtimer_new(base, term_house_cb, st);
	if (st->zc == NULL || st->tick == NULL || st->house == NULL ||
	    term_pty_watch(base, term_sigchld_cb, st, &st->sigchld) != 0) {
		svc_term_free(st);
		return ERR_IO;
	}
	*out = st;
	return 0;
}

/* Wait up to the grace for our hung-up shells, then kill what is left. */
static void
term_reap_all(struct svc_term *st)
{
	struct term_zombie *z;
	struct timespec ms10 = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 20 && !TAILQ_EMPTY(&st->zombies); i++) {
		nanosleep(&ms10, NULL);
		term_sigchld_cb(-1, 0, st);
	}
	while ((z = TAILQ_FIRST(&st->zombies)) != NULL) {
		term_pty_kill(z->proc);
		term_pty_wait(z->proc);
		TAILQ_REMOVE(&st->zombies, z, entry);
		term_pty_free(z->proc);
		free(z);
	}
}

/* Hang up every shell and free. */
void
svc_term_free(struct svc_term *st)
{
	if (st == NULL)
		return;
	while (!TAILQ_EMPTY(&st->sets))
		term_set_free(TAILQ_FIRST(&st->sets));
	term_reap_all(st);
	if (st->sigchld != NULL)
		event_free(st->sigchld);
	if (st->tick != NULL)
		event_free(st->tick);
	if (st->house != NULL)
		event_free(st->house);
	ZSTD_freeCCtx(st->zc);
	free(st);
}

/* A new service id, as upstream makes them: "ts_" and a UUID v4. */
static char *
term_new_id(void)
{
	uint8_t u[16];
	char *s;

	randombytes_buf(u, sizeof u);
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	xasprintf(&s, "ts_%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return s;
}

/* The live set named id, or NULL. */
static struct term_set *
term_set_find(struct svc_term *st, const char *id)
{
	struct term_set *s;

	TAILQ_FOREACH(s, &st->sets, entry)
		if (!s->doomed && strcmp(s->id, id) == 0)
			return s;
	return NULL;
}

/* The set conn_id is attached to, or NULL. */
static struct term_set *
term_set_of(struct svc_term *st, uint32_t conn_id)
{
	struct term_set *s;

	TAILQ_FOREACH(s, &st->sets, entry)
		if (!s->doomed && s->attached && s->sink.conn_id == conn_id)
			return s;
	return NULL;
}

/* Attach a peer to a set (svc_term.h). */
int
svc_term_attach(struct svc_term *st, const struct svc_sink *sink,
    const char *service_id, int persistent, const char **id, char **cause)
{
	struct term_set *s = NULL;
	struct term *t, *tn;

	*id = NULL;
	*cause = NULL;
	if (service_id != NULL && *service_id != '\0')
		s = term_set_find(st, service_id);
	if (s == NULL) {
		if (st->nsets >= TERM_SETS_MAX) {
			xasprintf(cause, "Maximum number of terminal services "
			    "(%d) reached", TERM_SETS_MAX);
			return ERR_TOOBIG;
		}
		s = xcalloc(1, sizeof *s);
		s->id = service_id != NULL && *service_id != '\0' ?
		    xstrdup(service_id) : term_new_id();
		s->log_id = log_escape(s->id, 64);
		s->st = st;
		TAILQ_INIT(&s->terms);
		TAILQ_INSERT_TAIL(&st->sets, s, entry);
		st->nsets++;
	} else if (s->attached)
		log_info("terminal %s: conn %u takes it from conn %u",
		    s->log_id, sink->conn_id, s->sink.conn_id);
	s->sink = *sink;
	s->attached = 1;
	s->persistent = persistent;
	s->sync = 1;
	s->last_ms = mono_ms();
	log_info("terminal %s: conn %u attached (%zu shells, %s)", s->log_id,
	    sink->conn_id, s->n, persistent ? "persistent" : "not persistent");
	for (t = TAILQ_FIRST(&s->terms); t != NULL; t = tn) {
		tn = TAILQ_NEXT(t, entry);
		t->active = 0;
		if (t->ended) {
			term_send_closed(s, t->id, t->code);
			term_remove(t);
		}
	}
	*id = s->id;
	return 0;
}

/* Detach conn_id; a set that is not persistent goes with it. */
void
svc_term_detach(struct svc_term *st, uint32_t conn_id)
{
	struct term_set *s;
	struct term *t;

	if ((s = term_set_of(st, conn_id)) == NULL)
		return;
	s->attached = 0;
	s->last_ms = mono_ms();
	TAILQ_FOREACH(t, &s->terms, entry) {
		t->active = 0;
		t->ncarry = 0;
	}
	log_info("terminal %s: conn %u detached", s->log_id, conn_id);
	if (!s->persistent)
		s->doomed = 1;
	/* A doomed set goes at the tick; a kept one's shells read on. */
	term_arm(st);
	term_house_arm(st);
}

/* Make conn_id's set persistent or not. */
void
svc_term_persistent(struct svc_term *st, uint32_t conn_id, int on)
{
	struct term_set *s;

	if ((s = term_set_of(st, conn_id)) != NULL)
		s->persistent = on;
}

/* The terminal id of set s, or NULL. */
static struct term *
term_find(struct term_set *s, int32_t id)
{
	struct term *t;

	TAILQ_FOREACH(t, &s->terms, entry)
		if (t->id == id)
			return t;
	return NULL;
}

/* Open a new terminal id in s; returns it or NULL with *cause. */
static struct term *
term_new(struct term_set *s, int32_t id, unsigned rows, unsigned cols,
    char **cause)
{
	struct svc_term *st = s->st;
	struct term_proc *proc;
	struct term *t;
	evutil_socket_t m;
	uint32_t pid;

	rows = rows == 0 ? 24 : rows > TERM_SIZE_MAX ? TERM_SIZE_MAX : rows;
	cols = cols == 0 ? 80 : cols > TERM_SIZE_MAX ? TERM_SIZE_MAX : cols;
	if (term_pty_start(rows, cols, &m, &proc, &pid, cause) != 0)
		return NULL;
	t = xcalloc(1, sizeof *t);
	t->id = id;
	t->proc = proc;
	t->shown_pid = pid;
	t->fd = m;
	t->rows = rows;
	t->cols = cols;
	t->active = 1;
	t->budget = TERM_IDLE_BUDGET;
	t->set = s;
	t->in = evbuffer_new();
	t->rd = event_new(st->base, m, EV_READ | EV_PERSIST, term_read_cb, t);
	t->wr = event_new(st->base, m, EV_WRITE | EV_PERSIST, term_write_cb,
	    t);
	if (t->in == NULL || t->rd == NULL || t->wr == NULL)
		fatal("libevent: no memory for a terminal");
	event_add(t->rd, NULL);
	TAILQ_INSERT_TAIL(&s->terms, t, entry);
	s->n++;
	log_info("terminal %s/%d: shell pid %ld, %ux%u", s->log_id, id,
	    (long)pid, cols, rows);
	return t;
}

/* The peer opens t again (a reattach): replay, then a redraw. */
static void
term_reopen(struct term *t)
{
	uint8_t buf[TERM_HIST];
	size_t n = term_hist_get(t, buf);

	t->active = 1;
	term_send_opened(t, n > 0 ?
	    "Reconnected to existing terminal with pending output" :
	    "Reconnected to existing terminal", n > 0);
	if (n > 0)
		term_send_data(t, buf, n);
	if (t->ended) {
		term_send_closed(t->set, t->id, t->code);
		term_remove(t);
		return;
	}
	t->winch = 1;
	term_arm(t->set->st);
}

/* TerminalAction.open. */
static void
term_open(struct term_set *s, const Hbb__OpenTerminal *o)
{
	struct term *t = term_find(s, o->terminal_id), *x;
	char *cause = NULL, *text;

	/* A client attaching again may number its first terminal anew:
	 * it gets the lowest live one (as upstream remaps). */
	if (t == NULL && s->sync && !TAILQ_EMPTY(&s->terms)) {
		TAILQ_FOREACH(x, &s->terms, entry)
			if (t == NULL || x->id < t->id)
				t = x;
		log_info("terminal %s/%d: reopened as %d", s->log_id, t->id,
		    o->terminal_id);
		t->id = o->terminal_id;
	}
	if (t != NULL) {
		term_reopen(t);
		return;
	}
	if (s->n >= TERM_PER_SET_MAX)
		xasprintf(&cause, "at most %d terminals", TERM_PER_SET_MAX);
	else if ((t = term_new(s, o->terminal_id, o->rows, o->cols,
	    &cause)) != NULL) {
		term_send_opened(t, "Terminal opened", 0);
		return;
	}
	log_warn("terminal %s/%d: %s", s->log_id, o->terminal_id, cause);
	xasprintf(&text, "Failed to handle action: %s", cause);
	term_send_error(s, o->terminal_id, text);
	free(text);
	free(cause);
}

/* TerminalAction.data: queue the bytes for the shell (bounded). */
static void
term_data(struct term_set *s, const Hbb__TerminalData *d)
{
	struct term *t = term_find(s, d->terminal_id);

	if (t == NULL || t->fd < 0 || d->data.len == 0)
		return;
	if (evbuffer_get_length(t->in) + d->data.len > TERM_INPUT_MAX) {
		if (!t->warned)
			log_warn("terminal %s/%d: the shell does not read its "
			    "input; dropping what is typed", s->log_id, t->id);
		t->warned = 1;
		return;
	}
	evbuffer_add(t->in, d->data.data, d->data.len);
	event_add(t->wr, NULL);
}

/* TerminalAction.resize. */
static void
term_resize(struct term_set *s, const Hbb__ResizeTerminal *r)
{
	struct term *t = term_find(s, r->terminal_id);

	if (t == NULL || r->rows == 0 || r->cols == 0)
		return;
	t->rows = r->rows > TERM_SIZE_MAX ? TERM_SIZE_MAX : r->rows;
	t->cols = r->cols > TERM_SIZE_MAX ? TERM_SIZE_MAX : r->cols;
	t->winch = 2;	/* to the new size now */
	term_winch(t);
}

/* TerminalAction.close: hang the shell up; -1 says it was killed. */
static void
term_close(struct term_set *s, const Hbb__CloseTerminal *c)
{
	struct term *t = term_find(s, c->terminal_id);

	if (t == NULL)
		return;
	log_info("terminal %s/%d: closed by the peer", s->log_id, t->id);
	term_send_closed(s, t->id, t->proc != NULL ? -1 : 0);
	term_remove(t);
}

/* Act on a TerminalAction of conn_id. */
int
svc_term_action(struct svc_term *st, uint32_t conn_id,
    const Hbb__TerminalAction *a)
{
	struct term_set *s;

	if ((s = term_set_of(st, conn_id)) == NULL)
		return ERR_NOTFOUND;
	s->last_ms = mono_ms();
	switch (a->union_case) {
	case HBB__TERMINAL_ACTION__UNION_OPEN:
		term_open(s, a->open);
		break;
	case HBB__TERMINAL_ACTION__UNION_DATA:
		term_data(s, a->data);
		break;
	case HBB__TERMINAL_ACTION__UNION_RESIZE:
		term_resize(s, a->resize);
		break;
	case HBB__TERMINAL_ACTION__UNION_CLOSE:
		term_close(s, a->close);
		break;
	default:
		break;
	}
	return 0;
}
