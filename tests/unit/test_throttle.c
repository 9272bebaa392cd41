/* test_throttle.c: login failure throttling with a fake clock. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "server/conn/throttle.h"
#include "tests/tst.h"

int main(void);

/* An IPv4 socket address. */
static struct sockaddr_in
v4(const char *ip)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof s);
	s.sin_family = AF_INET;
	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

/* An IPv6 socket address. */
static struct sockaddr_in6
v6(const char *ip)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof s);
	s.sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip, &s.sin6_addr);
	return s;
}

/* Seven failures in one minute, then refusal until the next minute. */
static void
test_minute(void)
{
	struct throttle *t = throttle_new(THROTTLE_EXPIRE_S);
	struct sockaddr_in a = v4("192.0.2.1"), b = v4("192.0.2.2");
	const struct sockaddr *sa = (const struct sockaddr *)&a;
	long now = 600000;	/* the start of a calendar minute */
	int i;

	for (i = 0; i < 7; i++) {
		ASSERT_TRUE(throttle_check(t, sa, now) == NULL);
		throttle_fail(t, sa, now);
	}
	ASSERT_STR_EQ(throttle_check(t, sa, now), "Please try 1 minute later");
	ASSERT_TRUE(throttle_check(t, (const struct sockaddr *)&b, now) == NULL);
	ASSERT_TRUE(throttle_check(t, sa, now + 60) == NULL);
	throttle_clear(t, sa);
	ASSERT_TRUE(throttle_check(t, sa, now) == NULL);
	throttle_free(t);
}

/* 31 failures in total lock the address until the entry expires. */
static void
test_total_and_expiry(void)
{
	struct throttle *t = throttle_new(THROTTLE_EXPIRE_S);
	struct sockaddr_in a = v4("192.0.2.1");
	const struct sockaddr *sa = (const struct sockaddr *)&a;
	long now = 600000;
	int i;

	for (i = 0; i < 31; i++) {
		ASSERT_TRUE(throttle_check(t, sa, now) == NULL);
		throttle_fail(t, sa, now);
		now += i % 5 == 4 ? 60 : 1;	/* stay under 7 a minute */
	}
	now += 120;
	ASSERT_STR_EQ(throttle_check(t, sa, now), "Too many wrong attempts");
	ASSERT_STR_EQ(throttle_check(t, sa, now + THROTTLE_EXPIRE_S - 200),
	    "Too many wrong attempts");
	ASSERT_TRUE(throttle_check(t, sa, now + THROTTLE_EXPIRE_S) == NULL);
	throttle_free(t);
}

/* IPv6 prefixes are counted too; v4-mapped addresses count as IPv4. */
static void
test_ipv6(void)
{
	struct throttle *t = throttle_new(THROTTLE_EXPIRE_S);
	struct sockaddr_in6 x, m = v6("::ffff:192.0.2.9");
	struct sockaddr_in a = v4("192.0.2.9");
	long now = 600000;
	char ip[64];
	int i;

	for (i = 0; i < 61; i++) {
		snprintf(ip, sizeof ip, "2001:db8:0:1::%x", i + 1);
		x = v6(ip);
		throttle_fail(t, (const struct sockaddr *)&x, now + i * 60);
	}
	x = v6("2001:db8:0:1::ffff");
	ASSERT_STR_EQ(throttle_check(t, (const struct sockaddr *)&x,
	    now + 61 * 60), "Too many wrong attempts for IPv6 prefix /64");
	x = v6("2001:db8:0:2::1");
	ASSERT_TRUE(throttle_check(t, (const struct sockaddr *)&x,
	    now + 61 * 60) == NULL);

	for (i = 0; i < 7; i++)
		throttle_fail(t, (const struct sockaddr *)&m, now);
	ASSERT_STR_EQ(throttle_check(t, (const struct sockaddr *)&a, now),
	    "Please try 1 minute later");
	throttle_free(t);
}

/* The table stays bounded under a flood of addresses. */
static void
test_bounded(void)
{
	struct throttle *t = throttle_new(THROTTLE_EXPIRE_S);
	struct sockaddr_in a;
	char ip[32];
	int i;

	for (i = 0; i < THROTTLE_MAX_ENTRIES + 500; i++) {
		snprintf(ip, sizeof ip, "10.%d.%d.%d", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		a = v4(ip);
		throttle_fail(t, (const struct sockaddr *)&a, 1000 + i / 100);
	}
	a = v4("10.0.0.0");
	/* The oldest was evicted. */
	ASSERT_TRUE(throttle_check(t, (const struct sockaddr *)&a, 2000) ==
	    NULL);
	throttle_free(t);
}

/* Many addresses cannot flush a locked one; a table full of locked
 * entries refuses unknown addresses once their shared count is over. */
static void
test_no_flush(void)
{
	struct throttle *t = throttle_new(THROTTLE_EXPIRE_S);
	struct sockaddr_in a, victim = v4("192.0.2.77");
	char ip[32];
	int i, j;

	for (i = 0; i < 31; i++)
		throttle_fail(t, (const struct sockaddr *)&victim, 1000 + i * 60);
	ASSERT_TRUE(throttle_check(t, (const struct sockaddr *)&victim,
	    3000) != NULL);
	ASSERT_INT_EQ(throttle_failures(t, (const struct sockaddr *)&victim,
	    3000), 31);
	for (i = 0; i < THROTTLE_MAX_ENTRIES + 500; i++) {
		snprintf(ip, sizeof ip, "10.%d.%d.%d", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		a = v4(ip);
		throttle_fail(t, (const struct sockaddr *)&a, 3000);
	}
	ASSERT_TRUE(throttle_check(t, (const struct sockaddr *)&victim,
	    3001) != NULL);
	throttle_free(t);

	/* Every entry locked: the excess counts together. */
	t = throttle_new(THROTTLE_EXPIRE_S);
	for (i = 0; i < THROTTLE_MAX_ENTRIES; i++) {
		snprintf(ip, sizeof ip, "10.%d.%d.%d", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		a = v4(ip);
		for (j = 0; j < 31; j++)
			throttle_fail(t, (const struct sockaddr *)&a,
			    100000 + j * 60);
	}
	a = v4("198.51.100.1");
	ASSERT_TRUE(throttle_check(t, (const struct sockaddr *)&a, 102000) ==
	    NULL);
	for (i = 0; i < 31; i++) {
		snprintf(ip, sizeof ip, "198.51.100.%d", i + 2);
		a = v4(ip);
		throttle_fail(t, (const struct sockaddr *)&a, 102000 + i);
	}
	a = v4("198.51.100.200");
	ASSERT_TRUE(throttle_check(t, (const struct sockaddr *)&a, 102100) !=
	    NULL);
	throttle_free(t);
}

/* Run all throttle tests. */
int
main(void)
{
	TST_RUN(test_minute);
	TST_RUN(test_total_and_expiry);
	TST_RUN(test_ipv6);
	TST_RUN(test_bounded);
	TST_RUN(test_no_flush);
	return 0;
}
