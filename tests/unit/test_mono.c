/*
 * test_mono.c: the monotonic clock's helpers (common/mono.c): it never
 * goes back, milliseconds agree with microseconds, and the timevals the
 * timers take come out right for a delay and for a deadline.
 */
#include "common/mono.h"
#include "tests/tst.h"

int main(void);

static void
test_clock(void)
{
	uint64_t a = mono_us(), m = mono_ms(), b = mono_us();

	ASSERT_TRUE(b >= a);
	ASSERT_TRUE(m >= a / 1000 && m <= b / 1000);
	ASSERT_TRUE(unix_ms() > 1600000000000LL);	/* after 2020 */
}

static void
test_tv(void)
{
	struct timeval tv;

	tv = mono_tv_ms(0);
	ASSERT_TRUE(tv.tv_sec == 0 && tv.tv_usec == 0);
	tv = mono_tv_ms(1500);
	ASSERT_TRUE(tv.tv_sec == 1 && tv.tv_usec == 500000);
	tv = mono_tv_ms(999);
	ASSERT_TRUE(tv.tv_sec == 0 && tv.tv_usec == 999000);
	/* A deadline passed, or now: no wait. */
	tv = mono_tv_until_us(0);
	ASSERT_TRUE(tv.tv_sec == 0 && tv.tv_usec == 0);
	tv = mono_tv_until_us(mono_us());
	ASSERT_TRUE(tv.tv_sec == 0 && tv.tv_usec == 0);
	/* 2.5 s ahead: at most that, and not much less. */
	tv = mono_tv_until_us(mono_us() + 2500000);
	ASSERT_INT_EQ(tv.tv_sec, 2);
	ASSERT_TRUE(tv.tv_usec > 400000 && tv.tv_usec <= 500000);
}

int
main(void)
{
	TST_RUN(test_clock);
	TST_RUN(test_tv);
	return 0;
}
