/*
 * svc_audio.h: the audio service (PROTOCOL.md §9.3, HOST.md §5.4).
 *
 * Records a PulseAudio source (the default sink's monitor unless the
 * audio-input option names one; on Windows what the default render device
 * plays, WASAPI loopback: svc_audio_int.h has the backends) as 48 kHz
 * stereo float, encodes 10 ms Opus frames (application restricted low
 * delay) and sends each as an AudioFrame on every subscriber's control
 * queue. A new subscriber first gets Misc{audio_format{48000, 2}}. The
 * capture stream is open only while some sink is subscribed. After SVC_AUDIO_SILENCE_FRAMES all-zero frames
 * nothing is sent until sound returns.
 *
 * Threads: capture and Opus run on the backend's thread (libpulse's);
 * frames reach the main loop through a bounded locked queue and event_active(), so
 * the caller must have called evthread_use_pthreads() before creating base.
 * Every function here is main-loop-only.
 *
 * Permission checks are the caller's: subscribe only peers with the Audio
 * permission that have not set disable_audio; unsubscribe at once when
 * either changes.
 */
#ifndef CDESK_SVC_AUDIO_H
#define CDESK_SVC_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "server/svc/svc.h"

struct event_base;
struct svc_audio;

#define SVC_AUDIO_RATE		48000
#define SVC_AUDIO_CHANNELS	2
#define SVC_AUDIO_FRAME		480	/* samples per channel: 10 ms */
/*
 * Half a second of digital silence closes the gate. Upstream waits 800
 * frames (8 s), but every silent frame costs a message on every
 * subscriber: 1000 sessions arriving on a quiet desktop took 65 % of a
 * core for those 8 s. The client plays nothing for a missing frame, so a
 * short tail (the decoder's fade-out) loses nothing.
 */
#define SVC_AUDIO_SILENCE_FRAMES 50

/* Frames are not queued to a sink whose control backlog is above this. */
#define SVC_AUDIO_BACKLOG_MAX	(256u * 1024)
/* Frames waiting for the main loop (1 s); older ones are dropped. */
#define SVC_AUDIO_QUEUE_MAX	100

/* Counters since svc_audio_new (a snapshot, for logs and tests). */
struct svc_audio_stats {
	uint64_t	 frames;	/* Opus frames encoded and queued */
	uint64_t	 silent;	/* frames held back by the silence gate */
	uint64_t	 dropped;	/* frames dropped: queue full or backlog */
	uint64_t	 sent;		/* frame deliveries to sinks */
	uint64_t	 bytes;		/* Opus bytes encoded */
	uint64_t	 cpu_ns;	/* CPU time of the capture thread */
	uint64_t	 run_ns;	/* wall time the capture has run */
	uint32_t	 latency_us;	/* last capture latency Pulse reported */
	uint32_t	 starts;	/* times the stream was opened */
};

/*
 * Creates the service, idle until the first subscriber. base is borrowed
 * and must outlive it; source (the audio-input option; NULL or "" = the
 * default sink's monitor) is copied. Returns 0 and sets *out, or ERR_NOMEM,
 * or ERR_UNSUPP where capture can never work (the backend's probe:
 * Windows without WASAPI loopback; the reason is logged at debug).
 */
int	svc_audio_new(struct event_base *base, const char *source,
	    struct svc_audio **out);
/* Stops capture (joining libpulse's thread) and frees; NULL does nothing. */
void	svc_audio_free(struct svc_audio *);

/*
 * Subscribes a sink (borrowed until svc_audio_unsubscribe): it gets the
 * AudioFormat message at once, then frames. The first subscriber opens the
 * Pulse stream (asynchronously; a missing server is retried every second
 * while subscribed). Subscribing a conn_id again replaces its sink.
 * Returns 0, or ERR_CODEC if the Opus encoder cannot be created.
 */
int	svc_audio_subscribe(struct svc_audio *, const struct svc_sink *sink);
/* Removes a sink at once; the last one closes the Pulse stream. */
void	svc_audio_unsubscribe(struct svc_audio *, uint32_t conn_id);
/* Number of subscribed sinks. */
size_t	svc_audio_count(const struct svc_audio *);
/* 1 while the Pulse stream is open (or being opened). */
int	svc_audio_running(const struct svc_audio *);

/*
 * Changes the recorded source (NULL or "" = default sink's monitor),
 * restarting the stream if it runs. Returns 1 if it changed, 0 if it was
 * the source already (nothing restarted).
 */
int	svc_audio_set_source(struct svc_audio *, const char *source);

/* PulseAudio's cookie length (its native protocol's auth). */
#define SVC_AUDIO_COOKIE_LEN	256
/*
 * Records from the PulseAudio (or PipeWire-pulse) server at server
 * ("unix:/run/user/1000/pulse/native"; NULL: libpulse's default, from our
 * own environment; "": none, nothing is recorded), presenting cookie (cookie_len bytes, at most
 * SVC_AUDIO_COOKIE_LEN; 0: an all-zero cookie), and recording only when the
 * server says it runs as user (NULL: any). Everything is copied; a running
 * stream restarts on the new server, a retry waiting starts at once. The
 * same settings again change nothing. Returns 0, or ERR_INVAL.
 */
int	svc_audio_set_server(struct svc_audio *, const char *server,
	    const uint8_t *cookie, size_t cookie_len, const char *user);

/*
 * The server svc_audio_set_server last chose (for a voice call's playback
 * on the same desk): *server (NULL: libpulse's default; "": none), the
 * cookie (NULL when none) and *user, all borrowed until the next
 * svc_audio_set_server or svc_audio_free.
 */
void	svc_audio_get_server(struct svc_audio *, const char **server,
	    const uint8_t **cookie, size_t *cookie_len, const char **user);

/* Copies the counters into *st. */
void	svc_audio_get_stats(struct svc_audio *, struct svc_audio_stats *st);

#endif
