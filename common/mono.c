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

/* Milliseconds since the Unix epoch. */
int64_t
unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
