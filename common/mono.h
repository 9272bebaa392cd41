/*
 * mono.h: the monotonic clock, the one every timer, rate limit and
 * timeout in cdesk measures with (never the wall clock, which jumps).
 */
#ifndef CDESK_MONO_H
#define CDESK_MONO_H

#include <sys/time.h>

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC (an arbitrary start; only differences
 * mean anything). */
uint64_t	mono_ms(void);
/* Microseconds of CLOCK_MONOTONIC. */
uint64_t	mono_us(void);
/* Milliseconds since the Unix epoch (the wall clock): only for times
 * another party reads (protocol timestamps, TOTP steps, records of when),
 * never to measure an interval here. */
int64_t		unix_ms(void);
/* ms milliseconds as a timeval (what a libevent timer takes). */
struct timeval	mono_tv_ms(uint64_t ms);
/* The time from now to deadline (in mono_us() microseconds) as a
 * timeval; zero once it has passed. */
struct timeval	mono_tv_until_us(uint64_t deadline);

#endif
