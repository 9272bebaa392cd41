/*
 * aplay.c: Opus packets -> a bounded float buffer -> a PulseAudio
 * playback stream.
 *
 * The buffer is shared with libpulse's thread under the threaded
 * mainloop's own lock: aplay_push appends and writes what the stream
 * takes at once; the stream's write callback takes the rest as the sink
 * plays on.
 */
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <opus.h>
#include <pulse/pulseaudio.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/media/aplay.h"

/* The sink's own buffer we ask for: low delay, a few packets deep. */
#define APLAY_TARGET_MS		60
/* The longest Opus packet decodes to 120 ms. */
#define APLAY_DECODE_MS		120

struct aplay {
	uint32_t	 rate;
	uint32_t	 channels;
	char		*user;		/* owned; NULL: any */
	int		 cookie_fd;	/* the cookie libpulse reads; -1 */
	OpusDecoder	*dec;		/* owned; the caller's thread */
	float		*pcm;		/* owned: one decoded packet */
	size_t		 pcm_max;	/* samples per channel in pcm */

	pa_threaded_mainloop *ml;	/* owned */
	pa_context	*ctx;		/* owned */
	pa_stream	*st;		/* owned; NULL until the context is up */

	/* Under ml's lock. */
	float		*ring;		/* owned: interleaved samples */
	size_t		 cap;		/* samples (not frames) in ring */
	size_t		 head, len;
	struct aplay_stats stats;
};

/* A rate and channel count an Opus decoder and the client both take. */
int
aplay_format_ok(uint32_t rate, uint32_t channels)
{
	switch (rate) {
	case 8000: case 12000: case 16000: case 24000: case 48000:
		return channels == 1 || channels == 2;
	default:
		return 0;
	}
}

/* Hand the stream what it takes from the buffer (ml's lock held). */
static void
aplay_flush(struct aplay *a)
{
	size_t room, n, first;

	if (a->st == NULL || pa_stream_get_state(a->st) != PA_STREAM_READY)
		return;
	room = pa_stream_writable_size(a->st);
	if (room == (size_t)-1)
		return;
	/* Whole sample frames only. */
	room = room / (4 * a->channels) * a->channels;
	n = a->len < room ? a->len : room;
	while (n > 0) {
		first = a->cap - a->head;
		if (first > n)
			first = n;
		if (pa_stream_write(a->st, a->ring + a->head,
		    first * sizeof(float), NULL, 0, PA_SEEK_RELATIVE) < 0)
			return;
		a->head = (a->head + first) % a->cap;
		a->len -= first;
		a->stats.played += first / a->channels;
		n -= first;
	}
}

/* The sink wants more (ml's thread). */
static void
aplay_write_cb(pa_stream *s, size_t nbytes, void *arg)
{
	(void)s;
	(void)nbytes;
	aplay_flush(arg);
}

/* The playback stream changed state (ml's thread). */
static void
aplay_stream_state_cb(pa_stream *s, void *arg)
{
	struct aplay *a = arg;

	switch (pa_stream_get_state(s)) {
	case PA_STREAM_READY:
		a->stats.ready = 1;
		log_info("voice: playing on %s",
		    pa_stream_get_device_name(s) != NULL ?
		    pa_stream_get_device_name(s) : "?");
		aplay_flush(a);
		break;
	case PA_STREAM_FAILED:
		a->stats.failed = 1;
		log_warn("voice: playback stream failed: %s",
		    pa_strerror(pa_context_errno(a->ctx)));
		break;
	default:
		break;
	}
}

/* Open the playback stream on the default sink (ml's thread). */
static void
aplay_stream_open(struct aplay *a)
{
	pa_sample_spec ss;
	pa_buffer_attr attr;

	ss.format = PA_SAMPLE_FLOAT32LE;
	ss.rate = a->rate;
	ss.channels = (uint8_t)a->channels;
	if ((a->st = pa_stream_new(a->ctx, "voice call", &ss, NULL)) == NULL) {
		a->stats.failed = 1;
		log_warn("voice: pa_stream_new: %s",
		    pa_strerror(pa_context_errno(a->ctx)));
		return;
	}
	pa_stream_set_state_callback(a->st, aplay_stream_state_cb, a);
	pa_stream_set_write_callback(a->st, aplay_write_cb, a);
	memset(&attr, 0xff, sizeof attr);
	attr.tlength = (uint32_t)(a->rate * a->channels * 4 *
	    APLAY_TARGET_MS / 1000);
	if (pa_stream_connect_playback(a->st, NULL, &attr,
	    PA_STREAM_ADJUST_LATENCY, NULL, NULL) < 0) {
		a->stats.failed = 1;
		log_warn("voice: pa_stream_connect_playback: %s",
		    pa_strerror(pa_context_errno(a->ctx)));
	}
}

/* Play only into the session user's own server (ml's thread). */
static void
aplay_server_info_cb(pa_context *c, const pa_server_info *i, void *arg)
{
	struct aplay *a = arg;

	(void)c;
	if (i == NULL || i->user_name == NULL ||
	    strcmp(i->user_name, a->user) != 0) {
		a->stats.failed = 1;
		log_warn("voice: the PulseAudio server does not run as %s: "
		    "nothing played", a->user);
		return;
	}
	aplay_stream_open(a);
}

/* The context changed state (ml's thread). */
static void
aplay_context_state_cb(pa_context *c, void *arg)
{
	struct aplay *a = arg;
	pa_operation *o;

	switch (pa_context_get_state(c)) {
	case PA_CONTEXT_READY:
		if (a->user == NULL) {
			aplay_stream_open(a);
			break;
		}
		o = pa_context_get_server_info(c, aplay_server_info_cb, a);
		if (o != NULL)
			pa_operation_unref(o);
		break;
	case PA_CONTEXT_FAILED:
	case PA_CONTEXT_TERMINATED:
		if (!a->stats.failed)
			log_warn("voice: PulseAudio: %s",
			    pa_strerror(pa_context_errno(c)));
		a->stats.failed = 1;
		break;
	default:
		break;
	}
}

/*
 * The session user's cookie, read by our caller, reaches libpulse through
 * a memfd: libpulse must not open a path in that user's home as root.
 */
static void
aplay_cookie(struct aplay *a, const struct aplay_target *t)
{
	uint8_t buf[256];
	char path[64];

	if (t->server == NULL)
		return;
	memset(buf, 0, sizeof buf);
	if (t->cookie != NULL)
		memcpy(buf, t->cookie, t->cookie_len < sizeof buf ?
		    t->cookie_len : sizeof buf);
	a->cookie_fd = memfd_create("cdesk-voice-cookie", MFD_CLOEXEC);
	if (a->cookie_fd >= 0 && write(a->cookie_fd, buf, sizeof buf) !=
	    (ssize_t)sizeof buf) {
		close(a->cookie_fd);
		a->cookie_fd = -1;
	}
	explicit_bzero(buf, sizeof buf);
	if (a->cookie_fd < 0)
		return;
	snprintf(path, sizeof path, "/proc/self/fd/%d", a->cookie_fd);
	if (pa_context_load_cookie_from_file(a->ctx, path) < 0)
		log_warn("voice: cookie: %s",
		    pa_strerror(pa_context_errno(a->ctx)));
}

/* Connect the context on its own thread. */
static int
aplay_connect(struct aplay *a, const struct aplay_target *t)
{
	pa_proplist *pl;

	if ((a->ml = pa_threaded_mainloop_new()) == NULL)
		return ERR_IO;
	pl = pa_proplist_new();
	pa_proplist_sets(pl, PA_PROP_APPLICATION_NAME, "cdesk");
	pa_proplist_sets(pl, PA_PROP_MEDIA_ROLE, "phone");
	a->ctx = pa_context_new_with_proplist(
	    pa_threaded_mainloop_get_api(a->ml), "cdesk voice call", pl);
	pa_proplist_free(pl);
	if (a->ctx == NULL)
		return ERR_IO;
	pa_context_set_state_callback(a->ctx, aplay_context_state_cb, a);
	aplay_cookie(a, t);
	if (pa_context_connect(a->ctx, t->server, PA_CONTEXT_NOAUTOSPAWN,
	    NULL) < 0) {
		log_warn("voice: no PulseAudio server: %s",
		    pa_strerror(pa_context_errno(a->ctx)));
		return ERR_IO;
	}
	if (pa_threaded_mainloop_start(a->ml) < 0)
		return ERR_IO;
	return 0;
}

/* Start playing. */
int
aplay_new(const struct aplay_target *t, uint32_t rate, uint32_t channels,
    struct aplay **out)
{
	struct aplay *a;
	int err, r;

	*out = NULL;
	if (!aplay_format_ok(rate, channels))
		return ERR_INVAL;
	if (t->server != NULL && *t->server == '\0')
		return ERR_IO;
	a = xcalloc(1, sizeof *a);
	a->rate = rate;
	a->channels = channels;
	a->cookie_fd = -1;
	a->user = t->user != NULL ? xstrdup(t->user) : NULL;
	a->pcm_max = (size_t)rate * APLAY_DECODE_MS / 1000;
	a->pcm = xcalloc(a->pcm_max * channels, sizeof *a->pcm);
	a->cap = (size_t)rate * channels * APLAY_BUFFER_MS / 1000;
	a->ring = xcalloc(a->cap, sizeof *a->ring);
	a->dec = opus_decoder_create((opus_int32)rate, (int)channels, &err);
	if (a->dec == NULL) {
		log_warn("voice: opus_decoder_create: %s", opus_strerror(err));
		aplay_free(a);
		return ERR_CODEC;
	}
	if ((r = aplay_connect(a, t)) != 0) {
		aplay_free(a);
		return r;
	}
	*out = a;
	return 0;
}

/* Decode one packet into the buffer and write what the sink takes. */
int
aplay_push(struct aplay *a, const uint8_t *p, size_t n)
{
	size_t samples, tail, i;
	int got, r = 0;

	if (n == 0 || n > APLAY_PACKET_MAX) {
		pa_threaded_mainloop_lock(a->ml);
		a->stats.bad++;
		pa_threaded_mainloop_unlock(a->ml);
		return ERR_PROTO;
	}
	got = opus_decode_float(a->dec, p, (opus_int32)n, a->pcm,
	    (int)a->pcm_max, 0);
	pa_threaded_mainloop_lock(a->ml);
	if (got < 0) {
		a->stats.bad++;
		r = ERR_PROTO;
		goto out;
	}
	samples = (size_t)got * a->channels;
	if (a->len + samples > a->cap) {
		a->stats.dropped++;
		r = ERR_TOOBIG;
		goto out;
	}
	tail = (a->head + a->len) % a->cap;
	for (i = 0; i < samples; i++)
		a->ring[(tail + i) % a->cap] = a->pcm[i];
	a->len += samples;
	a->stats.packets++;
	aplay_flush(a);
 out:
	pa_threaded_mainloop_unlock(a->ml);
	return r;
}

/* Copy the counters. */
void
aplay_get_stats(struct aplay *a, struct aplay_stats *st)
{
	pa_threaded_mainloop_lock(a->ml);
	*st = a->stats;
	pa_threaded_mainloop_unlock(a->ml);
}

/* Stop and free. */
void
aplay_free(struct aplay *a)
{
	if (a == NULL)
		return;
	if (a->ml != NULL) {
		pa_threaded_mainloop_lock(a->ml);
		if (a->st != NULL) {
			pa_stream_set_write_callback(a->st, NULL, NULL);
			pa_stream_set_state_callback(a->st, NULL, NULL);
			pa_stream_disconnect(a->st);
			pa_stream_unref(a->st);
		}
		if (a->ctx != NULL) {
			pa_context_set_state_callback(a->ctx, NULL, NULL);
			pa_context_disconnect(a->ctx);
			pa_context_unref(a->ctx);
		}
		pa_threaded_mainloop_unlock(a->ml);
		pa_threaded_mainloop_stop(a->ml);
		pa_threaded_mainloop_free(a->ml);
	} else if (a->ctx != NULL)
		pa_context_unref(a->ctx);
	if (a->dec != NULL)
		opus_decoder_destroy(a->dec);
	if (a->cookie_fd >= 0)
		close(a->cookie_fd);
	free(a->ring);
	free(a->pcm);
	free(a->user);
	free(a);
}
