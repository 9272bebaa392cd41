/*
 * adec.c: decodes the host's Opus frames as a client does and reports the
 * loudest tone, so a test can tell which sound reached the peer.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <opus.h>

#include "tests/peer/adec.h"

#define ADEC_RATE	48000
#define ADEC_WIN	4800		/* 100 ms of samples */
#define ADEC_FRAME_MAX	5760		/* 120 ms: Opus' longest */
#define ADEC_EVERY	50

static OpusDecoder	*adec;
static float		 adec_left[ADEC_WIN];	/* a ring */
static size_t		 adec_pos;
static unsigned long	 adec_frames;

/* Goertzel's power of frequency hz in the ring, oldest sample first. */
static double
adec_power(double hz)
{
	double k = 2 * cos(2 * M_PI * hz / ADEC_RATE), s1 = 0, s2 = 0, s;
	size_t i;

	for (i = 0; i < ADEC_WIN; i++) {
		s = adec_left[(adec_pos + i) % ADEC_WIN] + k * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	return s1 * s1 + s2 * s2 - k * s1 * s2;
}

/* Prints the loudest tone of the ring and its level. */
static void
adec_report(void)
{
	double best = -1, best_hz = 0, p, sum = 0;
	int hz;
	size_t i;

	for (i = 0; i < ADEC_WIN; i++)
		sum += (double)adec_left[i] * adec_left[i];
	for (hz = 100; hz <= 2000; hz += 10) {
		if ((p = adec_power(hz)) > best) {
			best = p;
			best_hz = hz;
		}
	}
	printf("TONE %d %d\n", (int)best_hz,
	    (int)(1000 * sqrt(sum / ADEC_WIN)));
	fflush(stdout);
}

/* Decode one frame into the ring; report every ADEC_EVERY frames. */
void
adec_frame(const Hbb__AudioFrame *af)
{
	static float pcm[ADEC_FRAME_MAX * 2];
	int err, n, i;

	if (adec == NULL &&
	    (adec = opus_decoder_create(ADEC_RATE, 2, &err)) == NULL) {
		printf("TONE error %s\n", opus_strerror(err));
		return;
	}
	n = opus_decode_float(adec, af->data.data, (opus_int32)af->data.len,
	    pcm, ADEC_FRAME_MAX, 0);
	if (n < 0) {
		printf("TONE error %s\n", opus_strerror(n));
		return;
	}
	for (i = 0; i < n; i++) {
		adec_left[adec_pos] = pcm[2 * i];
		adec_pos = (adec_pos + 1) % ADEC_WIN;
	}
	if (++adec_frames % ADEC_EVERY == 0)
		adec_report();
}
