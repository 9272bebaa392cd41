/*
 * svc_audio_int.h: between the audio service (svc_audio.c: subscribers,
 * the Opus encoder, the silence gate, the queue to the main loop, retries)
 * and its capture backend (audio_pulse.c: a PulseAudio monitor source;
 * server/win/audio_wasapi.c: WASAPI loopback of the default render
 * device; server/win/platform.h names the one of the Windows build).
 *
 * A backend captures on a thread of its own and hands the service 48 kHz
 * stereo float samples there (audio_pcm), then wakes the main loop once
 * for what it handed (audio_flush). Only svc_audio.c and the backends
 * include this file.
 */
#ifndef CDESK_SVC_AUDIO_INT_H
#define CDESK_SVC_AUDIO_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <opus.h>

#include "server/svc/svc_audio.h"
#include "server/svc/svc_subs.h"

#define AUDIO_FRAME_BYTES	(SVC_AUDIO_FRAME * SVC_AUDIO_CHANNELS * 4)
#define AUDIO_RETRY_MAX_SEC	60	/* the retries back off to this */

struct event;
struct audio_be;

struct audio_impl {
	const char	*name;
	/*
	 * Whether this machine can capture at all (svc_audio_new): 0, or
	 * ERR_UNSUPP with *why (a static text, for the log) when it never
	 * will, so that no audio service is offered.
	 */
	int	(*probe)(const char **why);
	/*
	 * Starts capturing what a names (a->source, a->server, a->cookie,
	 * a->server_user; read now, they stay until stop) on a thread of the
	 * backend's. Returns 0 and *bep, or ERR_IO (said through
	 * audio_log_failure). Main loop.
	 */
	int	(*start)(struct svc_audio *a, struct audio_be **bep);
	/* Stops capturing and joins the thread; frees be. Main loop. */
	void	(*stop)(struct audio_be *be);
	/* Capture thread, from audio_pcm: the silence gate closed (on 1) or
	 * opened (0): a backend may wake less often while it is closed. */
	void	(*idle)(struct audio_be *be, int on);
};

extern const struct audio_impl audio_pulse;

struct svc_audio {
	struct event_base *base;	/* borrowed */
	const struct audio_impl *impl;
	char		*source;	/* owned; "" = the default */
	/* Whose PulseAudio server (svc_audio_set_server). */
	char		*server;	/* owned; NULL: libpulse's default */
	char		*server_user;	/* owned; NULL: any */
	uint8_t		 cookie[SVC_AUDIO_COOKIE_LEN];
	size_t		 cookie_len;	/* 0: none */
	struct event	*ev_wake;	/* owned: frames queued or stream failed */
	struct event	*ev_retry;	/* owned: reopen after a failure */
	int		 retry_sec;	/* the next retry's delay */
	struct msgbuf	*fmt_msg;	/* owned: Misc{audio_format} */

	struct svc_subs	 subs;		/* of struct svc_sub: nothing more */

	/* Capture; be belongs to the backend's thread while it runs. */
	struct audio_be	*be;		/* owned; NULL when stopped */
	OpusEncoder	*enc;		/* owned; used on the capture thread */
	float		 pcm[SVC_AUDIO_FRAME * SVC_AUDIO_CHANNELS];
	size_t		 pcm_bytes;	/* bytes gathered in pcm */
	uint32_t	 silent_run;	/* consecutive all-zero frames */
	int		 idle_frag;	/* the backend was told idle */
	int		 queued;	/* frames queued since audio_flush */
	uint64_t	 started_us;	/* mono_us() at the start of this run */

	/* Shared with the capture thread, under mu. */
	pthread_mutex_t	 mu;
	struct msgbuf	*q[SVC_AUDIO_QUEUE_MAX];	/* owned references */
	size_t		 qhead, qlen;
	int		 failed;
	int		 fail_logged;	/* this run of failures was logged */
	int		 ready;		/* a stream was recording since */
	uint64_t	 run_cpu_ns;	/* the thread's CPU time this run */
	struct svc_audio_stats stats;	/* cpu_ns/run_ns: finished runs */
};

/*
 * Capture thread: n bytes of interleaved float samples (p NULL: that
 * much silence) for the 10 ms frames; each full one is encoded and
 * queued. be is the one start made (a->be may not be set yet).
 */
void	audio_pcm(struct svc_audio *a, struct audio_be *be, const void *p,
	    size_t n);
/* Capture thread: wakes the main loop if audio_pcm queued frames. */
void	audio_flush(struct svc_audio *a);
/* Capture thread: recording works (a later failure is said again). */
void	audio_ready(struct svc_audio *a);
/* Capture thread: the capture latency now, for the stats. */
void	audio_latency(struct svc_audio *a, uint32_t us);
/* Says "audio: what: why" once a run of failures (later ones at
 * debug). Any thread. */
void	audio_log_failure(struct svc_audio *a, const char *what,
	    const char *why);
/* Capture thread: the capture broke (said once as above); the main loop
 * stops it and retries while anyone listens. */
void	audio_fail(struct svc_audio *a, const char *what, const char *why);

#endif
