/*
 * svc_audio.c: captured samples -> Opus -> AudioFrame for every sink.
 *
 * The capture backend (svc_audio_int.h: audio_pulse.c, or WASAPI on
 * Windows) runs a thread of its own and hands it samples; 10 ms of float
 * samples are gathered there, encoded, and the packed messages queued.
 * The main loop is woken with event_active() and fans the frames out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <opus.h>
#include <sodium.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "server/svc/svc_audio.h"
#include "server/svc/svc_audio_int.h"
#include "server/svc/svc_subs.h"

#define AUDIO_PACKET_MAX	4000	/* libopus' recommended maximum */
#define AUDIO_RETRY_SEC		1	/* first retry after a failure */
#define AUDIO_IDLE_AFTER	SVC_AUDIO_SILENCE_FRAMES

static int	audio_start(struct svc_audio *);
static void	audio_stop(struct svc_audio *);
static void	audio_retry_later(struct svc_audio *);

void
audio_log_failure(struct svc_audio *a, const char *what, const char *why)
{
	pthread_mutex_lock(&a->mu);
	/* Retried while it stays broken: say it once, until it works. */
	if (!a->fail_logged)
		log_warn("audio: %s: %s (retrying, backing off to %d s)",
		    what, why, AUDIO_RETRY_MAX_SEC);
	else
		log_debug("audio: %s: %s", what, why);
	a->fail_logged = 1;
	pthread_mutex_unlock(&a->mu);
}

void
audio_fail(struct svc_audio *a, const char *what, const char *why)
{
	audio_log_failure(a, what, why);
	pthread_mutex_lock(&a->mu);
	a->failed = 1;
	pthread_mutex_unlock(&a->mu);
	event_active(a->ev_wake, EV_READ, 0);
}

void
audio_ready(struct svc_audio *a)
{
	pthread_mutex_lock(&a->mu);
	a->ready = 1;
	a->fail_logged = 0;
	pthread_mutex_unlock(&a->mu);
}

void
audio_latency(struct svc_audio *a, uint32_t us)
{
	pthread_mutex_lock(&a->mu);
	a->stats.latency_us = us;
	pthread_mutex_unlock(&a->mu);
}

void
audio_flush(struct svc_audio *a)
{
	if (a->queued)
		event_active(a->ev_wake, EV_READ, 0);
	a->queued = 0;
}

/* Encode the gathered 10 ms and queue it (the capture thread). */
static void
audio_encode(struct svc_audio *a, struct audio_be *be)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__AudioFrame af = HBB__AUDIO_FRAME__INIT;
	uint8_t pkt[AUDIO_PACKET_MAX];
	struct msgbuf *b, *old = NULL;
	struct timespec cpu;
	size_t i;
	int n, zero = 1;

	for (i = 0; i < SVC_AUDIO_FRAME * SVC_AUDIO_CHANNELS; i++) {
		if (a->pcm[i] != 0.0f) {
			zero = 0;
			break;
		}
	}
	a->silent_run = zero ? a->silent_run + 1 : 0;
	if ((a->silent_run == AUDIO_IDLE_AFTER && !a->idle_frag) ||
	    (!zero && a->idle_frag)) {
		a->idle_frag = !a->idle_frag;
		a->impl->idle(be, a->idle_frag);
	}
	if (a->silent_run > SVC_AUDIO_SILENCE_FRAMES) {
		pthread_mutex_lock(&a->mu);
		a->stats.silent++;
		pthread_mutex_unlock(&a->mu);
		return;
	}
	n = opus_encode_float(a->enc, a->pcm, SVC_AUDIO_FRAME, pkt,
	    sizeof pkt);
	if (n < 0) {
		log_warn("audio: opus_encode_float: %s", opus_strerror(n));
		return;
	}
	af.data.data = pkt;
	af.data.len = (size_t)n;
	m.union_case = HBB__MESSAGE__UNION_AUDIO_FRAME;
	m.audio_frame = &af;
	b = msgbuf_pack(&m);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	pthread_mutex_lock(&a->mu);
	if (a->qlen == SVC_AUDIO_QUEUE_MAX) {
		/* The loop is over a second behind: drop the oldest. */
		old = a->q[a->qhead];
		a->qhead = (a->qhead + 1) % SVC_AUDIO_QUEUE_MAX;
		a->qlen--;
		a->stats.dropped++;
	}
	a->q[(a->qhead + a->qlen) % SVC_AUDIO_QUEUE_MAX] = b;
	a->qlen++;
	a->stats.frames++;
	a->stats.bytes += (uint64_t)n;
	a->run_cpu_ns = (uint64_t)cpu.tv_sec * 1000000000ULL +
	    (uint64_t)cpu.tv_nsec;
	pthread_mutex_unlock(&a->mu);
	msgbuf_unref(old);
	a->queued = 1;
}

void
audio_pcm(struct svc_audio *a, struct audio_be *be, const void *data,
    size_t n)
{
	const uint8_t *p = data;
	size_t take;

	while (n > 0) {
		take = AUDIO_FRAME_BYTES - a->pcm_bytes;
		if (take > n)
			take = n;
		if (p != NULL)
			memcpy((uint8_t *)a->pcm + a->pcm_bytes, p, take);
		else
			memset((uint8_t *)a->pcm + a->pcm_bytes, 0, take);
		a->pcm_bytes += take;
		n -= take;
		if (p != NULL)
			p += take;
		if (a->pcm_bytes == AUDIO_FRAME_BYTES) {
			audio_encode(a, be);
			a->pcm_bytes = 0;
		}
	}
}

/* One frame on its way to every sink. */
struct audio_walk {
	struct msgbuf	*frame;		/* borrowed */
	uint64_t	 sent, dropped;
};

/* Hand one frame to one sink unless its control queue is backed up. */
static void
audio_send_one(void *entry, void *arg)
{
	struct svc_sub *sub = entry;
	struct audio_walk *w = arg;
	struct svc_sink *s = &sub->sink;

	if (s->backlog(s->ctx, SVC_Q_CONTROL) > SVC_AUDIO_BACKLOG_MAX) {
		w->dropped++;
		return;
	}
	s->send(s->ctx, w->frame, SVC_Q_AUDIO);
	w->sent++;
}

/* Hand queued frames to every sink (main loop). */
static void
audio_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_audio *a = arg;
	struct msgbuf *frames[SVC_AUDIO_QUEUE_MAX];
	struct audio_walk w = { NULL, 0, 0 };
	size_t n = 0, i;
	int failed;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&a->mu);
	while (a->qlen > 0) {
		frames[n++] = a->q[a->qhead];
		a->qhead = (a->qhead + 1) % SVC_AUDIO_QUEUE_MAX;
		a->qlen--;
	}
	failed = a->failed;
	a->failed = 0;
	pthread_mutex_unlock(&a->mu);

	for (i = 0; i < n; i++) {
		/* A send may unsubscribe its sink (svc_subs_each allows it). */
		w.frame = frames[i];
		svc_subs_each(&a->subs, audio_send_one, &w);
		msgbuf_unref(frames[i]);
	}
	pthread_mutex_lock(&a->mu);
	a->stats.sent += w.sent;
	a->stats.dropped += w.dropped;
	pthread_mutex_unlock(&a->mu);

	if (failed && a->be != NULL) {
		audio_stop(a);
		if (svc_subs_count(&a->subs) > 0)
			audio_retry_later(a);
	}
}

/*
 * Schedules the next attempt to open the stream (main loop). The delay
 * doubles with every failure in a row, up to AUDIO_RETRY_MAX_SEC, and
 * starts again from AUDIO_RETRY_SEC once a stream has recorded: a host
 * without PulseAudio does not try (and wake) every second.
 */
static void
audio_retry_later(struct svc_audio *a)
{
	struct timeval tv = { 0, 0 };
	int ready;

	pthread_mutex_lock(&a->mu);
	ready = a->ready;
	a->ready = 0;
	pthread_mutex_unlock(&a->mu);
	if (ready || a->retry_sec < AUDIO_RETRY_SEC)
		a->retry_sec = AUDIO_RETRY_SEC;
	tv.tv_sec = a->retry_sec;
	evtimer_add(a->ev_retry, &tv);
	log_debug("audio: next attempt in %d s", a->retry_sec);
	a->retry_sec = a->retry_sec * 2 > AUDIO_RETRY_MAX_SEC ?
	    AUDIO_RETRY_MAX_SEC : a->retry_sec * 2;
}

/* Reopen the stream after a failure if anyone still listens. */
static void
audio_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_audio *a = arg;

	(void)fd;
	(void)what;
	if (svc_subs_count(&a->subs) > 0 && a->be == NULL &&
	    audio_start(a) != 0)
		audio_retry_later(a);
}

/* Start capturing (the backend's thread hands samples from now on). */
static int
audio_start(struct svc_audio *a)
{
	int err;

	/* No sound server to record (svc_audio_set_server ""): none. */
	if (a->server != NULL && *a->server == '\0')
		return 0;
	a->enc = opus_encoder_create(SVC_AUDIO_RATE, SVC_AUDIO_CHANNELS,
	    OPUS_APPLICATION_RESTRICTED_LOWDELAY, &err);
	if (a->enc == NULL) {
		log_error("audio: opus_encoder_create: %s",
		    opus_strerror(err));
		return ERR_CODEC;
	}
	a->pcm_bytes = 0;
	a->silent_run = 0;
	a->idle_frag = 0;
	a->queued = 0;
	a->run_cpu_ns = 0;
	a->started_us = mono_us();
	if (a->impl->start(a, &a->be) != 0) {
		audio_stop(a);
		return ERR_IO;
	}
	pthread_mutex_lock(&a->mu);
	a->stats.starts++;
	pthread_mutex_unlock(&a->mu);
	return 0;
}

/* Stop the capture, joining its thread; drop queued frames. */
static void
audio_stop(struct svc_audio *a)
{
	size_t i;

	if (a->be != NULL) {
		a->impl->stop(a->be);
		a->be = NULL;
		pthread_mutex_lock(&a->mu);
		a->stats.cpu_ns += a->run_cpu_ns;
		a->stats.run_ns += (mono_us() - a->started_us) * 1000;
		a->run_cpu_ns = 0;
		pthread_mutex_unlock(&a->mu);
	}
	if (a->enc != NULL) {
		opus_encoder_destroy(a->enc);
		a->enc = NULL;
	}
	pthread_mutex_lock(&a->mu);
	for (i = 0; i < a->qlen; i++)
		msgbuf_unref(a->q[(a->qhead + i) % SVC_AUDIO_QUEUE_MAX]);
	a->qhead = a->qlen = 0;
	a->failed = 0;
	pthread_mutex_unlock(&a->mu);
}

/* Create the idle service. */
int
svc_audio_new(struct event_base *base, const char *source,
    struct svc_audio **out)
{
	struct svc_audio *a;
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__AudioFormat fmt = HBB__AUDIO_FORMAT__INIT;
	const char *why = NULL;
	int r;

	*out = NULL;
	/* A machine that can never capture offers no audio at all. */
	if ((r = audio_pulse.probe(&why)) != 0) {
		log_debug("audio: %s: %s", audio_pulse.name, why);
		return r;
	}
	a = xcalloc(1, sizeof *a);
	a->base = base;
	a->impl = &audio_pulse;
	a->source = xstrdup(source != NULL ? source : "");
	svc_subs_init(&a->subs, sizeof(struct svc_sub));
	pthread_mutex_init(&a->mu, NULL);
	a->ev_wake = event_new(base, -1, 0, audio_wake_cb, a);
	a->ev_retry = evtimer_new(base, audio_retry_cb, a);
	if (a->ev_wake == NULL || a->ev_retry == NULL) {
		svc_audio_free(a);
		return ERR_NOMEM;
	}
	fmt.sample_rate = SVC_AUDIO_RATE;
	fmt.channels = SVC_AUDIO_CHANNELS;
	misc.union_case = HBB__MISC__UNION_AUDIO_FORMAT;
	misc.audio_format = &fmt;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	a->fmt_msg = msgbuf_pack(&m);
	*out = a;
	return 0;
}

/* Stop and free. */
void
svc_audio_free(struct svc_audio *a)
{
	if (a == NULL)
		return;
	audio_stop(a);
	if (a->ev_wake != NULL)
		event_free(a->ev_wake);
	if (a->ev_retry != NULL)
		event_free(a->ev_retry);
	msgbuf_unref(a->fmt_msg);
	pthread_mutex_destroy(&a->mu);
	svc_subs_fini(&a->subs);
	free(a->source);
	free(a->server);
	free(a->server_user);
	sodium_memzero(a->cookie, sizeof a->cookie);
	free(a);
}

/* Add a sink, send it the format, start capture if it is the first. */
int
svc_audio_subscribe(struct svc_audio *a, const struct svc_sink *sink)
{
	int r;

	svc_subs_add(&a->subs, sink, NULL);
	sink->send(sink->ctx, a->fmt_msg, SVC_Q_CONTROL);
	log_debug("conn %u: audio subscribed", sink->conn_id);
	if (a->be == NULL && !evtimer_pending(a->ev_retry, NULL)) {
		r = audio_start(a);
		if (r == ERR_CODEC)
			return r;
		if (r != 0)
			audio_retry_later(a);
	}
	return 0;
}

/* Remove a sink; stop capture after the last. */
void
svc_audio_unsubscribe(struct svc_audio *a, uint32_t conn_id)
{
	if (svc_subs_del(&a->subs, conn_id))
		log_debug("conn %u: audio unsubscribed", conn_id);
	if (svc_subs_count(&a->subs) == 0) {
		evtimer_del(a->ev_retry);
		audio_stop(a);
	}
}

/* Number of sinks. */
size_t
svc_audio_count(const struct svc_audio *a)
{
	return svc_subs_count(&a->subs);
}

/* Whether the stream is open. */
int
svc_audio_running(const struct svc_audio *a)
{
	return a->be != NULL;
}

/* Change the source, restarting a running stream. */
int
svc_audio_set_source(struct svc_audio *a, const char *source)
{
	if (source == NULL)
		source = "";
	if (a->source != NULL && strcmp(a->source, source) == 0)
		return 0;
	free(a->source);
	a->source = xstrdup(source);
	if (a->be != NULL) {
		audio_stop(a);
		if (audio_start(a) != 0)
			audio_retry_later(a);
	}
	return 1;
}

/* 1 when two strings (or NULLs) are equal. */
static int
audio_streq(const char *x, const char *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return strcmp(x, y) == 0;
}

/* Record from another PulseAudio server, restarting a running stream. */
int
svc_audio_set_server(struct svc_audio *a, const char *server,
    const uint8_t *cookie, size_t cookie_len, const char *user)
{
	uint8_t c[SVC_AUDIO_COOKIE_LEN];
	int running;

	if (cookie_len > sizeof c)
		return ERR_INVAL;
	memset(c, 0, sizeof c);
	if (cookie_len > 0)
		memcpy(c, cookie, cookie_len);
	if (audio_streq(server, a->server) &&
	    audio_streq(user, a->server_user) &&
	    cookie_len == a->cookie_len &&
	    sodium_memcmp(c, a->cookie, sizeof c) == 0) {
		sodium_memzero(c, sizeof c);
		return 0;
	}
	/* The capture thread reads these: it is stopped first. */
	running = svc_subs_count(&a->subs) > 0;
	evtimer_del(a->ev_retry);
	audio_stop(a);
	if (server != NULL && *server == '\0')
		log_info("audio: no sound server to record");
	else
		log_info("audio: recording from %s%s%s", server != NULL ?
		    server : "the default PulseAudio server", user != NULL ?
		    ", run by " : "", user != NULL ? user : "");
	free(a->server);
	free(a->server_user);
	a->server = server != NULL ? xstrdup(server) : NULL;
	a->server_user = user != NULL ? xstrdup(user) : NULL;
	memcpy(a->cookie, c, sizeof c);
	a->cookie_len = cookie_len;
	sodium_memzero(c, sizeof c);
	/* A new server: a fresh start, not the old one's back-off. */
	a->retry_sec = 0;
	if (running && audio_start(a) != 0)
		audio_retry_later(a);
	return 0;
}

/* Snapshot the counters. */
void
svc_audio_get_stats(struct svc_audio *a, struct svc_audio_stats *st)
{
	pthread_mutex_lock(&a->mu);
	*st = a->stats;
	st->cpu_ns += a->run_cpu_ns;
	pthread_mutex_unlock(&a->mu);
	if (a->be != NULL)
		st->run_ns += (mono_us() - a->started_us) * 1000;
}

/* The sound server recorded from, for a playback stream on the same desk. */
void
svc_audio_get_server(struct svc_audio *a, const char **server,
    const uint8_t **cookie, size_t *cookie_len, const char **user)
{
	*server = a->server;
	*cookie = a->cookie_len > 0 ? a->cookie : NULL;
	*cookie_len = a->cookie_len;
	*user = a->server_user;
}
