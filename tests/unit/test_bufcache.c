/* test_bufcache.c: large buffers kept for reuse (server/bufcache.c). */
#include <stdint.h>
#include <stdlib.h>

#include "server/bufcache.h"
#include "tests/tst.h"

int main(void);

#define BIG	(256 * 1024)

/* A freed large buffer serves the next request it fits (up to half its
 * size), and no request it would waste more than half of or not hold. */
static void
test_reuse(void)
{
	uint8_t *a, *b;

	bufcache_trim();
	a = bufcache_malloc(BIG);
	ASSERT_TRUE(a != NULL);
	a[BIG - 1] = 1;
	bufcache_free(a);
	b = bufcache_malloc(BIG / 2 + 1);
	ASSERT_TRUE(b == a);
	bufcache_free(b);
	b = bufcache_malloc(BIG / 4);
	ASSERT_TRUE(b != a);
	free(b);
	b = bufcache_malloc(BIG * 2);
	ASSERT_TRUE(b != a);
	bufcache_free(b);
	bufcache_trim();
}

/* Small buffers go straight back to glibc; realloc of NULL allocates. */
static void
test_small(void)
{
	uint8_t *a = bufcache_malloc(100), *b;

	ASSERT_TRUE(a != NULL);
	bufcache_free(a);
	b = bufcache_realloc(NULL, 64);
	ASSERT_TRUE(b != NULL);
	b = bufcache_realloc(b, BIG);
	ASSERT_TRUE(b != NULL);
	b[BIG - 1] = 2;
	bufcache_free(b);
	bufcache_free(NULL);
	bufcache_trim();
}

/* At most 32 buffers are kept: of 40 freed, 32 come back. */
static void
test_bounded(void)
{
	void *p[40], *q[40];
	int i, j, again = 0;

	bufcache_trim();
	for (i = 0; i < 40; i++)
		p[i] = bufcache_malloc(BIG);
	for (i = 0; i < 40; i++)
		bufcache_free(p[i]);
	for (i = 0; i < 40; i++)
		q[i] = bufcache_malloc(BIG);
	for (i = 0; i < 40; i++)
		for (j = 0; j < 32; j++)
			again += q[i] == p[j];
	ASSERT_INT_EQ(again, 32);
	for (i = 0; i < 40; i++)
		bufcache_free(q[i]);
	bufcache_trim();
}

/* Run all bufcache tests. */
int
main(void)
{
	TST_RUN(test_reuse);
	TST_RUN(test_small);
	TST_RUN(test_bounded);
	return 0;
}
