/*
 * bench_sstream.c: throughput of sstream_seal + sstream_open against raw
 * crypto_secretbox_easy + crypto_secretbox_open_easy on the same payloads.
 * Run by hand, not by make check:
 *	build/tests/bin/bench_sstream [payload_bytes [seconds_per_round]]
 * Prints MB/s (10^6 payload bytes per second) of both and their ratio; the
 * best of three alternating rounds counts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/codec.h"
#include "common/sstream.h"

int main(int, char **);

static volatile uint8_t sink;

/* Seconds on the monotonic clock. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Raw secretbox seal+open (seal_only: seal) for secs; returns MB/s. */
static double
bench_raw(const uint8_t *p, size_t n, double secs, int seal_only)
{
	uint8_t key[crypto_secretbox_KEYBYTES];
	uint8_t nonce[crypto_secretbox_NONCEBYTES];
	uint8_t *c = malloc(n + crypto_secretbox_MACBYTES), *m = malloc(n);
	uint64_t seq = 0, iters = 0;
	double t0 = now(), t;

	randombytes_buf(key, sizeof key);
	memset(nonce, 0, sizeof nonce);
	do {
		int k;

		for (k = 0; k < 16; k++) {
			seq++;
			memcpy(nonce, &seq, sizeof seq);
			crypto_secretbox_easy(c, p, n, nonce, key);
			if (!seal_only && crypto_secretbox_open_easy(m, c,
			    n + crypto_secretbox_MACBYTES, nonce, key) != 0)
				abort();
			iters++;
		}
		t = now() - t0;
	} while (t < secs);
	sink ^= c[0] ^ (seal_only ? 0 : m[0]);
	free(c);
	free(m);
	return (double)n * (double)iters / t / 1e6;
}

/* sstream seal+open (seal_only: seal) for secs; returns MB/s. */
static double
bench_sstream(const uint8_t *p, size_t n, double secs, int seal_only)
{
	struct sstream *tx = sstream_new(n), *rx = sstream_new(n);
	uint8_t key[SSTREAM_KEY_LEN], *frame;
	const uint8_t *msg = NULL;
	size_t flen, mlen;
	uint64_t iters = 0;
	double t0, t;

	randombytes_buf(key, sizeof key);
	sstream_set_key(tx, key);
	sstream_set_key(rx, key);
	flen = sstream_frame_len(tx, n);
	frame = malloc(flen);
	t0 = now();
	do {
		int k;

		for (k = 0; k < 16; k++) {
			if (sstream_seal(tx, p, n, frame, flen) != (int)flen)
				abort();
			if (!seal_only && sstream_open(rx, frame, flen, &msg,
			    &mlen) != (int)flen)
				abort();
			iters++;
		}
		t = now() - t0;
	} while (t < secs);
	sink ^= frame[0] ^ (msg != NULL ? msg[0] : 0);
	free(frame);
	sstream_free(tx);
	sstream_free(rx);
	return (double)n * (double)iters / t / 1e6;
}

/* Run alternating rounds and print the best of each. */
int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 64 * 1024;
	double secs = argc > 2 ? strtod(argv[2], NULL) : 0.5;
	double raw = 0, ours = 0, raw_s = 0, ours_s = 0, v;
	uint8_t *p;
	int round;

	if (sodium_init() < 0 || n == 0 || n > CODEC_LEN_MAX - 16)
		return 1;
	p = malloc(n);
	randombytes_buf(p, n);
	for (round = 0; round < 3; round++) {
		if ((v = bench_raw(p, n, secs, 0)) > raw)
			raw = v;
		if ((v = bench_sstream(p, n, secs, 0)) > ours)
			ours = v;
		if ((v = bench_raw(p, n, secs, 1)) > raw_s)
			raw_s = v;
		if ((v = bench_sstream(p, n, secs, 1)) > ours_s)
			ours_s = v;
	}
	printf("payload %zu bytes, best of 3 rounds of %.2f s\n", n, secs);
	printf("seal+open  raw secretbox %8.1f MB/s  sstream %8.1f MB/s  "
	    "ratio %.3f\n", raw, ours, ours / raw);
	printf("seal only  raw secretbox %8.1f MB/s  sstream %8.1f MB/s  "
	    "ratio %.3f\n", raw_s, ours_s, ours_s / raw_s);
	free(p);
	return 0;
}
