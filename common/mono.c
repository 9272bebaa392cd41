/* mono.c: the monotonic clock (mono.h). */
#include <time.h>

#include "common/mono.h"

/* Microseconds of CLOCK_MONOTONIC. */
uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t
mono_ms(void)
{
	return mono_us() / 1000;
}

/* See mono.h. */
struct timeval
mono_tv_ms(uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (long)(ms % 1000) * 1000;
	return tv;
}

/* See mono.h. */
struct timeval
mono_tv_until_us(uint64_t deadline)
{
	uint64_t now = mono_us(), left = deadline > now ? deadline - now : 0;
	struct timeval tv;

	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (long)(left % 1000000);
	return tv;
}

/* Milliseconds since the Unix epoch. */
int64_t
unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
