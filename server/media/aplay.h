/*
 * aplay.h: plays a peer's Opus packets on the desk's PulseAudio server (a
 * voice call's client microphone, HOST.md §3.7).
 *
 * The stream is a playback stream on the default sink of the server
 * svc_audio records from (svc_audio_get_server), in the format the peer
 * announced (Misc.audio_format), so its sound comes out where the desk
 * user listens. Packets are decoded on the caller's thread into a
 * bounded buffer (APLAY_BUFFER_MS); libpulse's thread takes from it as
 * the sink plays. A peer sending faster than real time fills the buffer
 * and the excess is dropped and counted, never queued.
 *
 * Every function here is main-loop-only; the Pulse objects live on
 * libpulse's own thread.
 */
#ifndef CDESK_APLAY_H
#define CDESK_APLAY_H

#include <stddef.h>
#include <stdint.h>

struct aplay;

/* Decoded sound held for the sink at most (then packets are dropped). */
#define APLAY_BUFFER_MS		500
/* The largest Opus packet taken (libopus' recommended maximum). */
#define APLAY_PACKET_MAX	4000

/* Where to play (strings and cookie borrowed for the call only). */
struct aplay_target {
	const char	*server;	/* NULL: libpulse's default */
	const uint8_t	*cookie;	/* NULL: none */
	size_t		 cookie_len;
	const char	*user;		/* the server must run as; NULL: any */
};

/* Counters since aplay_new. */
struct aplay_stats {
	uint64_t	 packets;	/* decoded into the buffer */
	uint64_t	 dropped;	/* the buffer was full */
	uint64_t	 bad;		/* not Opus, or too large */
	uint64_t	 played;	/* sample frames handed to Pulse */
	int		 ready;		/* the stream plays */
	int		 failed;	/* the server refused or went away */
};

/* 1 if a peer's AudioFormat is one aplay_new takes (PROTOCOL.md §9.3). */
int	aplay_format_ok(uint32_t rate, uint32_t channels);

/*
 * Starts a playback stream of rate Hz and channels (aplay_format_ok) on
 * t's server; it connects in the background. Returns 0 with *out set,
 * ERR_INVAL for a format Opus cannot decode, ERR_CODEC or ERR_IO.
 */
int	aplay_new(const struct aplay_target *t, uint32_t rate,
	    uint32_t channels, struct aplay **out);
/*
 * Decodes one Opus packet (p, n borrowed) into the buffer. Returns 0,
 * ERR_TOOBIG when the buffer is full (dropped), or ERR_PROTO for a packet
 * that is not Opus (counted, dropped).
 */
int	aplay_push(struct aplay *, const uint8_t *p, size_t n);
/* Copies the counters. */
void	aplay_get_stats(struct aplay *, struct aplay_stats *st);
/* Stops the stream, joins libpulse's thread and frees; NULL does nothing. */
void	aplay_free(struct aplay *);

#endif
