/*
 * svc_audio.c: PulseAudio capture -> Opus -> AudioFrame for every sink.
 *
 * libpulse's threaded mainloop runs the stream; its read callback gathers
 * 10 ms of float samples, encodes them and queues the packed message. The
 * main loop is woken with event_active() and fans the frames out.
 */
#include <sys/mman.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <opus.h>
#include <pulse/pulseaudio.h>
#include <sodium.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "server/svc/svc_audio.h"
#include "server/svc/svc_subs.h"

#define AUDIO_FRAME_BYTES	(SVC_AUDIO_FRAME * SVC_AUDIO_CHANNELS * 4)
#define AUDIO_PACKET_MAX	4000	/* libopus' recommended maximum */
#define AUDIO_RETRY_SEC		1	/* first retry after a failure */
#define AUDIO_RETRY_MAX_SEC	60	/* the retries back off to this */
/*
 * Pulse's fragments once the silence gate closed: 10 wake-ups a second
 * instead of 100 (they were most of a still screen's CPU: 1.1 % of a core
 * with a viewer, 0.04 % without PulseAudio), and the main loop is woken
 * once a fragment. Sound that returns is late by up to one such fragment,
 * once; then fragments are 10 ms again.
 */
#define AUDIO_IDLE_FRAG_MS	100
#define AUDIO_IDLE_AFTER	SVC_AUDIO_SILENCE_FRAMES

struct svc_audio {
	struct event_base *base;	/* borrowed */
	char		*source;	/* owned; "" = default sink's monitor */
	/* Whose PulseAudio server (svc_audio_set_server). */
	char		*server;	/* owned; NULL: libpulse's default */
	char		*server_user;	/* owned; NULL: any */
	uint8_t		 cookie[SVC_AUDIO_COOKIE_LEN];
	size_t		 cookie_len;	/* 0: none */
	int		 cookie_fd;	/* the cookie libpulse reads; -1 */
	struct event	*ev_wake;	/* owned: frames queued or stream failed */
	struct event	*ev_retry;	/* owned: reopen after a failure */
	int		 retry_sec;	/* the next retry's delay */
	struct msgbuf	*fmt_msg;	/* owned: Misc{audio_format} */

	struct svc_subs	 subs;		/* of struct svc_sub: nothing more */

	/* Capture; the Pulse objects belong to ml's thread while it runs. */
	pa_threaded_mainloop *ml;	/* owned; NULL when stopped */
	pa_context	*ctx;		/* owned */
	pa_stream	*st;		/* owned */
	OpusEncoder	*enc;		/* owned; used on ml's thread only */
	float		 pcm[SVC_AUDIO_FRAME * SVC_AUDIO_CHANNELS];
	size_t		 pcm_bytes;	/* bytes gathered in pcm */
	uint32_t	 silent_run;	/* consecutive all-zero frames */
	int		 idle_frag;	/* long fragments asked for */
	int		 queued;	/* frames queued in this callback */
	uint64_t	 started_us;	/* mono_us() at the start of this run */

	/* Shared with ml's thread, under mu. */
	pthread_mutex_t	 mu;
	struct msgbuf	*q[SVC_AUDIO_QUEUE_MAX];	/* owned references */
	size_t		 qhead, qlen;
	int		 failed;
	int		 fail_logged;	/* this run of failures was logged */
	int		 ready;		/* a stream was recording since */
	uint64_t	 run_cpu_ns;	/* the thread's CPU time this run */
	struct svc_audio_stats stats;	/* cpu_ns/run_ns: finished runs */
};

static int	audio_start(struct svc_audio *);
static void	audio_stop(struct svc_audio *);
static void	audio_retry_later(struct svc_audio *);

/* Tell the main loop the stream broke (ml's thread). */
static void
audio_fail(struct svc_audio *a, const char *what)
{
	pthread_mutex_lock(&a->mu);
	/* Retried while it stays broken: say it once, until it works. */
	if (!a->fail_logged)
		log_warn("audio: %s: %s (retrying, backing off to %d s)",
		    what, pa_strerror(pa_context_errno(a->ctx)),
		    AUDIO_RETRY_MAX_SEC);
	else
		log_debug("audio: %s: %s", what,
		    pa_strerror(pa_context_errno(a->ctx)));
	a->fail_logged = 1;
	a->failed = 1;
	pthread_mutex_unlock(&a->mu);
	event_active(a->ev_wake, EV_READ, 0);
}

/* Asks Pulse for fragments of ms each (ml's thread). */
static void
audio_fragments(struct svc_audio *a, pa_stream *s, unsigned ms)
{
	pa_buffer_attr attr;
	pa_operation *o;

	memset(&attr, 0xff, sizeof attr);
	attr.fragsize = AUDIO_FRAME_BYTES * (ms / 10);
	if ((o = pa_stream_set_buffer_attr(s, &attr, NULL, NULL)) != NULL)
		pa_operation_unref(o);
	a->idle_frag = ms > 10;
	log_debug("audio: %u ms fragments", ms);
}

/* Encode the gathered 10 ms and queue it (ml's thread). */
static void
audio_encode(struct svc_audio *a, pa_stream *s)
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
	if (a->silent_run == AUDIO_IDLE_AFTER && !a->idle_frag)
		audio_fragments(a, s, AUDIO_IDLE_FRAG_MS);
	else if (!zero && a->idle_frag)
		audio_fragments(a, s, 10);
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

/* Samples arrived (ml's thread): gather them into 10 ms frames. */
static void
audio_read_cb(pa_stream *s, size_t nbytes, void *arg)
{
	struct svc_audio *a = arg;
	const uint8_t *p;
	const void *data;
	size_t n, take;
	const pa_timing_info *ti;
	pa_usec_t lat;

	(void)nbytes;
	while (pa_stream_readable_size(s) > 0) {
		if (pa_stream_peek(s, &data, &n) < 0 || n == 0)
			break;
		p = data;
		while (n > 0) {
			take = AUDIO_FRAME_BYTES - a->pcm_bytes;
			if (take > n)
				take = n;
			/* data NULL is a hole in the stream: silence. */
			if (p != NULL)
				memcpy((uint8_t *)a->pcm + a->pcm_bytes, p,
				    take);
			else
				memset((uint8_t *)a->pcm + a->pcm_bytes, 0,
				    take);
			a->pcm_bytes += take;
			n -= take;
			if (p != NULL)
				p += take;
			if (a->pcm_bytes == AUDIO_FRAME_BYTES) {
				audio_encode(a, s);
				a->pcm_bytes = 0;
			}
		}
		pa_stream_drop(s);
	}
	/* One wake-up of the main loop for what this fragment gave. */
	if (a->queued)
		event_active(a->ev_wake, EV_READ, 0);
	a->queued = 0;
	/* Capture latency: what the source holds plus what waits for us. */
	if ((ti = pa_stream_get_timing_info(s)) != NULL) {
		lat = ti->source_usec + pa_bytes_to_usec(
		    pa_stream_readable_size(s), pa_stream_get_sample_spec(s)) +
		    pa_bytes_to_usec(a->pcm_bytes, pa_stream_get_sample_spec(s));
		pthread_mutex_lock(&a->mu);
		a->stats.latency_us = (uint32_t)lat;
		pthread_mutex_unlock(&a->mu);
	}
}

/* The record stream changed state (ml's thread). */
static void
audio_stream_state_cb(pa_stream *s, void *arg)
{
	struct svc_audio *a = arg;

	switch (pa_stream_get_state(s)) {
	case PA_STREAM_READY:
		log_info("audio: recording %s",
		    pa_stream_get_device_name(s) ? pa_stream_get_device_name(s) :
		    "?");
		pthread_mutex_lock(&a->mu);
		a->ready = 1;
		a->fail_logged = 0;
		pthread_mutex_unlock(&a->mu);
		break;
	case PA_STREAM_FAILED:
		audio_fail(a, "record stream failed");
		break;
	default:
		break;
	}
}

/* Open the record stream on a ready context (ml's thread). */
static void
audio_stream_open(struct svc_audio *a, pa_context *c)
{
	pa_sample_spec ss;
	pa_buffer_attr attr;
	const char *dev;

	ss.format = PA_SAMPLE_FLOAT32LE;
	ss.rate = SVC_AUDIO_RATE;
	ss.channels = SVC_AUDIO_CHANNELS;
	if ((a->st = pa_stream_new(c, "desktop audio", &ss, NULL)) == NULL) {
		audio_fail(a, "pa_stream_new");
		return;
	}
	pa_stream_set_state_callback(a->st, audio_stream_state_cb, a);
	pa_stream_set_read_callback(a->st, audio_read_cb, a);
	/* Ask for 10 ms fragments: low delay, one Opus frame each. */
	memset(&attr, 0xff, sizeof attr);
	attr.fragsize = AUDIO_FRAME_BYTES;
	dev = a->source[0] != '\0' ? a->source : "@DEFAULT_MONITOR@";
	if (pa_stream_connect_record(a->st, dev, &attr,
	    PA_STREAM_ADJUST_LATENCY | PA_STREAM_AUTO_TIMING_UPDATE) < 0)
		audio_fail(a, "pa_stream_connect_record");
}

/*
 * The server says whom it runs as (ml's thread): record only from the
 * session user's own. A path in a folder of that user's could be swapped
 * for another user's socket between our check and libpulse's connect.
 */
static void
audio_server_info_cb(pa_context *c, const pa_server_info *i, void *arg)
{
	struct svc_audio *a = arg;

	if (i == NULL) {
		audio_fail(a, "server info");
		return;
	}
	if (i->user_name == NULL || strcmp(i->user_name, a->server_user) != 0) {
		log_warn("audio: the PulseAudio server at %s runs as %s, not "
		    "%s: not recorded", a->server, i->user_name != NULL ?
		    i->user_name : "?", a->server_user);
		pa_context_disconnect(c);
		return;
	}
	audio_stream_open(a, c);
}

/* The context changed state (ml's thread): open the stream when ready. */
static void
audio_context_state_cb(pa_context *c, void *arg)
{
	struct svc_audio *a = arg;
	pa_operation *op;

	switch (pa_context_get_state(c)) {
	case PA_CONTEXT_READY:
		break;
	case PA_CONTEXT_FAILED:
		audio_fail(a, "cannot reach the PulseAudio server");
		return;
	case PA_CONTEXT_TERMINATED:
	default:
		return;
	}
	if (a->server_user == NULL) {
		audio_stream_open(a, c);
		return;
	}
	if ((op = pa_context_get_server_info(c, audio_server_info_cb,
	    a)) == NULL) {
		audio_fail(a, "server info");
		return;
	}
	pa_operation_unref(op);
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

	if (failed && a->ml != NULL) {
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
	if (svc_subs_count(&a->subs) > 0 && a->ml == NULL &&
	    audio_start(a) != 0)
		audio_retry_later(a);
}

/*
 * Hands libpulse the session user's cookie (read by the caller, as root:
 * libpulse must never open a path in that user's home itself) through a
 * memfd it reads by its /proc name. Without one, an all-zero cookie: a
 * root server must not make or read a cookie of its own.
 */
static void
audio_cookie(struct svc_audio *a)
{
	char path[64];

	if (a->server == NULL)
		return;
	if (a->cookie_fd < 0) {
		a->cookie_fd = memfd_create("cdesk-pulse-cookie", MFD_CLOEXEC);
		if (a->cookie_fd >= 0 && write(a->cookie_fd, a->cookie,
		    sizeof a->cookie) != (ssize_t)sizeof a->cookie) {
			close(a->cookie_fd);
			a->cookie_fd = -1;
		}
		if (a->cookie_fd < 0) {
			log_warn("audio: no cookie for %s", a->server);
			return;
		}
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", a->cookie_fd);
	if (pa_context_load_cookie_from_file(a->ctx, path) < 0)
		log_warn("audio: cookie for %s: %s", a->server,
		    pa_strerror(pa_context_errno(a->ctx)));
}

/* Open the Pulse context (the stream follows when it is ready). */
static int
audio_start(struct svc_audio *a)
{
	pa_proplist *pl;
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
	a->run_cpu_ns = 0;
	if ((a->ml = pa_threaded_mainloop_new()) == NULL)
		goto fail;
	pl = pa_proplist_new();
	pa_proplist_sets(pl, PA_PROP_APPLICATION_NAME, "cdesk");
	pa_proplist_sets(pl, PA_PROP_MEDIA_ROLE, "production");
	a->ctx = pa_context_new_with_proplist(
	    pa_threaded_mainloop_get_api(a->ml), "cdesk", pl);
	pa_proplist_free(pl);
	if (a->ctx == NULL)
		goto fail;
	pa_context_set_state_callback(a->ctx, audio_context_state_cb, a);
	audio_cookie(a);
	if (pa_context_connect(a->ctx, a->server, PA_CONTEXT_NOAUTOSPAWN,
	    NULL) < 0) {
		/* The state callback may have said so already. */
		pthread_mutex_lock(&a->mu);
		if (!a->failed && !a->fail_logged)
			log_warn("audio: no PulseAudio server: %s (retrying, "
			    "backing off to %d s)",
			    pa_strerror(pa_context_errno(a->ctx)),
			    AUDIO_RETRY_MAX_SEC);
		a->fail_logged = 1;
		pthread_mutex_unlock(&a->mu);
		goto fail;
	}
	if (pa_threaded_mainloop_start(a->ml) < 0)
		goto fail;
	a->started_us = mono_us();
	pthread_mutex_lock(&a->mu);
	a->stats.starts++;
	pthread_mutex_unlock(&a->mu);
	return 0;
 fail:
	audio_stop(a);
	return ERR_IO;
}

/* Close the stream and join libpulse's thread; drop queued frames. */
static void
audio_stop(struct svc_audio *a)
{
	size_t i;

	if (a->ml != NULL) {
		pa_threaded_mainloop_lock(a->ml);
		if (a->st != NULL) {
			pa_stream_set_read_callback(a->st, NULL, NULL);
			pa_stream_set_state_callback(a->st, NULL, NULL);
			pa_stream_disconnect(a->st);
			pa_stream_unref(a->st);
			a->st = NULL;
		}
		if (a->ctx != NULL) {
			pa_context_set_state_callback(a->ctx, NULL, NULL);
			pa_context_disconnect(a->ctx);
			pa_context_unref(a->ctx);
			a->ctx = NULL;
		}
		pa_threaded_mainloop_unlock(a->ml);
		pa_threaded_mainloop_stop(a->ml);
		pa_threaded_mainloop_free(a->ml);
		a->ml = NULL;
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
	if (a->cookie_fd >= 0)
		close(a->cookie_fd);
	a->cookie_fd = -1;
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

	*out = NULL;
	a = xcalloc(1, sizeof *a);
	a->base = base;
	a->source = xstrdup(source);
	a->cookie_fd = -1;
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
	if (a->ml == NULL && !evtimer_pending(a->ev_retry, NULL)) {
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
	return a->ml != NULL;
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
	if (a->ml != NULL) {
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
	/* libpulse's thread reads these: it is stopped first. */
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
	if (a->ml != NULL)
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
