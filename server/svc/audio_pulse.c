/*
 * audio_pulse.c: the audio service's PulseAudio backend (svc_audio_int.h):
 * a record stream on the default sink's monitor (or the audio-input
 * source) of the chosen server, run by libpulse's threaded mainloop,
 * whose read callback hands the samples to the service.
 */
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pulse/pulseaudio.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/svc/svc_audio_int.h"

/*
 * Pulse's fragments once the silence gate closed: 10 wake-ups a second
 * instead of 100 (they were most of a still screen's CPU: 1.1 % of a core
 * with a viewer, 0.04 % without PulseAudio), and the main loop is woken
 * once a fragment. Sound that returns is late by up to one such fragment,
 * once; then fragments are 10 ms again.
 */
#define AUDIO_IDLE_FRAG_MS	100

struct audio_be {
	struct svc_audio	*a;		/* borrowed */
	pa_threaded_mainloop	*ml;		/* owned */
	pa_context		*ctx;		/* owned */
	pa_stream		*st;		/* owned */
	int			 cookie_fd;	/* the cookie libpulse reads; -1 */
};

/* Tell the service the stream broke (ml's thread). */
static void
pulse_fail(struct audio_be *be, const char *what)
{
	audio_fail(be->a, what, pa_strerror(pa_context_errno(be->ctx)));
}

/* Asks Pulse for fragments of ms each (ml's thread). */
static void
pulse_fragments(pa_stream *s, unsigned ms)
{
	pa_buffer_attr attr;
	pa_operation *o;

	memset(&attr, 0xff, sizeof attr);
	attr.fragsize = AUDIO_FRAME_BYTES * (ms / 10);
	if ((o = pa_stream_set_buffer_attr(s, &attr, NULL, NULL)) != NULL)
		pa_operation_unref(o);
	log_debug("audio: %u ms fragments", ms);
}

/* The silence gate closed or opened (ml's thread). */
static void
pulse_idle(struct audio_be *be, int on)
{
	if (be->st != NULL)
		pulse_fragments(be->st, on ? AUDIO_IDLE_FRAG_MS : 10);
}

/* Samples arrived (ml's thread): hand them to the service. */
static void
pulse_read_cb(pa_stream *s, size_t nbytes, void *arg)
{
	struct audio_be *be = arg;
	const void *data;
	size_t n;
	const pa_timing_info *ti;
	pa_usec_t lat;

	(void)nbytes;
	while (pa_stream_readable_size(s) > 0) {
		if (pa_stream_peek(s, &data, &n) < 0 || n == 0)
			break;
		/* data NULL is a hole in the stream: silence. */
		audio_pcm(be->a, be, data, n);
		pa_stream_drop(s);
	}
	/* One wake-up of the main loop for what this fragment gave. */
	audio_flush(be->a);
	/* Capture latency: what the source holds plus what waits for us. */
	if ((ti = pa_stream_get_timing_info(s)) != NULL) {
		lat = ti->source_usec + pa_bytes_to_usec(
		    pa_stream_readable_size(s), pa_stream_get_sample_spec(s)) +
		    pa_bytes_to_usec(be->a->pcm_bytes,
		    pa_stream_get_sample_spec(s));
		audio_latency(be->a, (uint32_t)lat);
	}
}

/* The record stream changed state (ml's thread). */
static void
pulse_stream_state_cb(pa_stream *s, void *arg)
{
	struct audio_be *be = arg;

	switch (pa_stream_get_state(s)) {
	case PA_STREAM_READY:
		log_info("audio: recording %s",
		    pa_stream_get_device_name(s) ? pa_stream_get_device_name(s) :
		    "?");
		audio_ready(be->a);
		break;
	case PA_STREAM_FAILED:
		pulse_fail(be, "record stream failed");
		break;
	default:
		break;
	}
}

/* Open the record stream on a ready context (ml's thread). */
static void
pulse_stream_open(struct audio_be *be, pa_context *c)
{
	pa_sample_spec ss;
	pa_buffer_attr attr;
	const char *dev;

	ss.format = PA_SAMPLE_FLOAT32LE;
	ss.rate = SVC_AUDIO_RATE;
	ss.channels = SVC_AUDIO_CHANNELS;
	if ((be->st = pa_stream_new(c, "desktop audio", &ss, NULL)) == NULL) {
		pulse_fail(be, "pa_stream_new");
		return;
	}
	pa_stream_set_state_callback(be->st, pulse_stream_state_cb, be);
	pa_stream_set_read_callback(be->st, pulse_read_cb, be);
	/* Ask for 10 ms fragments: low delay, one Opus frame each. */
	memset(&attr, 0xff, sizeof attr);
	attr.fragsize = AUDIO_FRAME_BYTES;
	dev = be->a->source[0] != '\0' ? be->a->source : "@DEFAULT_MONITOR@";
	if (pa_stream_connect_record(be->st, dev, &attr,
	    PA_STREAM_ADJUST_LATENCY | PA_STREAM_AUTO_TIMING_UPDATE) < 0)
		pulse_fail(be, "pa_stream_connect_record");
}

/*
 * The server says whom it runs as (ml's thread): record only from the
 * session user's own. A path in a folder of that user's could be swapped
 * for another user's socket between our check and libpulse's connect.
 */
static void
pulse_server_info_cb(pa_context *c, const pa_server_info *i, void *arg)
{
	struct audio_be *be = arg;
	struct svc_audio *a = be->a;

	if (i == NULL) {
		pulse_fail(be, "server info");
		return;
	}
	if (i->user_name == NULL || strcmp(i->user_name, a->server_user) != 0) {
		log_warn("audio: the PulseAudio server at %s runs as %s, not "
		    "%s: not recorded", a->server, i->user_name != NULL ?
		    i->user_name : "?", a->server_user);
		pa_context_disconnect(c);
		return;
	}
	pulse_stream_open(be, c);
}

/* The context changed state (ml's thread): open the stream when ready. */
static void
pulse_context_state_cb(pa_context *c, void *arg)
{
	struct audio_be *be = arg;
	pa_operation *op;

	switch (pa_context_get_state(c)) {
	case PA_CONTEXT_READY:
		break;
	case PA_CONTEXT_FAILED:
		pulse_fail(be, "cannot reach the PulseAudio server");
		return;
	case PA_CONTEXT_TERMINATED:
	default:
		return;
	}
	if (be->a->server_user == NULL) {
		pulse_stream_open(be, c);
		return;
	}
	if ((op = pa_context_get_server_info(c, pulse_server_info_cb,
	    be)) == NULL) {
		pulse_fail(be, "server info");
		return;
	}
	pa_operation_unref(op);
}

/*
 * Hands libpulse the session user's cookie (read by the caller, as root:
 * libpulse must never open a path in that user's home itself) through a
 * memfd it reads by its /proc name. Without one, an all-zero cookie: a
 * root server must not make or read a cookie of its own.
 */
static void
pulse_cookie(struct audio_be *be)
{
	struct svc_audio *a = be->a;
	char path[64];

	if (a->server == NULL)
		return;
	be->cookie_fd = memfd_create("cdesk-pulse-cookie", MFD_CLOEXEC);
	if (be->cookie_fd >= 0 && write(be->cookie_fd, a->cookie,
	    sizeof a->cookie) != (ssize_t)sizeof a->cookie) {
		close(be->cookie_fd);
		be->cookie_fd = -1;
	}
	if (be->cookie_fd < 0) {
		log_warn("audio: no cookie for %s", a->server);
		return;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", be->cookie_fd);
	if (pa_context_load_cookie_from_file(be->ctx, path) < 0)
		log_warn("audio: cookie for %s: %s", a->server,
		    pa_strerror(pa_context_errno(be->ctx)));
}

/* Close the stream and join libpulse's thread. */
static void
pulse_stop(struct audio_be *be)
{
	if (be == NULL)
		return;
	if (be->ml != NULL) {
		pa_threaded_mainloop_lock(be->ml);
		if (be->st != NULL) {
			pa_stream_set_read_callback(be->st, NULL, NULL);
			pa_stream_set_state_callback(be->st, NULL, NULL);
			pa_stream_disconnect(be->st);
			pa_stream_unref(be->st);
		}
		if (be->ctx != NULL) {
			pa_context_set_state_callback(be->ctx, NULL, NULL);
			pa_context_disconnect(be->ctx);
			pa_context_unref(be->ctx);
		}
		pa_threaded_mainloop_unlock(be->ml);
		pa_threaded_mainloop_stop(be->ml);
		pa_threaded_mainloop_free(be->ml);
	}
	if (be->cookie_fd >= 0)
		close(be->cookie_fd);
	free(be);
}

/* Open the Pulse context (the stream follows when it is ready). */
static int
pulse_start(struct svc_audio *a, struct audio_be **bep)
{
	struct audio_be *be;
	pa_proplist *pl;

	*bep = NULL;
	be = xcalloc(1, sizeof *be);
	be->a = a;
	be->cookie_fd = -1;
	if ((be->ml = pa_threaded_mainloop_new()) == NULL)
		goto fail;
	pl = pa_proplist_new();
	pa_proplist_sets(pl, PA_PROP_APPLICATION_NAME, "cdesk");
	pa_proplist_sets(pl, PA_PROP_MEDIA_ROLE, "production");
	be->ctx = pa_context_new_with_proplist(
	    pa_threaded_mainloop_get_api(be->ml), "cdesk", pl);
	pa_proplist_free(pl);
	if (be->ctx == NULL)
		goto fail;
	pa_context_set_state_callback(be->ctx, pulse_context_state_cb, be);
	pulse_cookie(be);
	if (pa_context_connect(be->ctx, a->server, PA_CONTEXT_NOAUTOSPAWN,
	    NULL) < 0) {
		/* The state callback may have said so already. */
		audio_log_failure(a, "no PulseAudio server",
		    pa_strerror(pa_context_errno(be->ctx)));
		goto fail;
	}
	if (pa_threaded_mainloop_start(be->ml) < 0)
		goto fail;
	*bep = be;
	return 0;
fail:
	pulse_stop(be);
	return ERR_IO;
}

/* PulseAudio may come later: a server is looked for at each start. */
static int
pulse_probe(const char **why)
{
	*why = NULL;
	return 0;
}

const struct audio_impl audio_pulse = {
	.name = "pulseaudio",
	.probe = pulse_probe,
	.start = pulse_start,
	.stop = pulse_stop,
	.idle = pulse_idle,
};
