/*
 * test_vpace.c: the pacing of a display's grabs (server/svc/vpace.c),
 * with made-up clocks: a source that changes at exactly fps, started out
 * of phase, is grabbed when it changes within a few pictures; a screen
 * that changes all the time gets at most fps * 16/15 pictures a second;
 * a change after a quiet stretch is grabbed at once.
 */
#include "server/svc/vpace.h"
#include "tests/tst.h"

int main(void);

#define FPS	30
#define IVAL	(1000000 / FPS)	/* us between the source's changes */
#define WORK	300		/* us from a change to its grab */

/*
 * A source changing every IVAL, its first change when the slots are
 * `phase` us behind it (the state a source at fps locked into with
 * slots of exactly 1/fps). Returns the wait from change to grab of the
 * n-th change, and checks the waits never grow.
 */
static uint64_t
periodic_wait(uint64_t phase, int n)
{
	struct vpace p;
	uint64_t t0 = 10000000, change, grab = 0, wait = 0, last = 0;
	int k;

	p.tat = t0 + phase + (IVAL - IVAL / VPACE_SLACK) / 2;
	p.due = t0 + phase;
	for (k = 0; k <= n; k++) {
		change = t0 + (uint64_t)k * IVAL;
		grab = change + WORK > p.due ? change + WORK : p.due;
		wait = grab - change;
		ASSERT_TRUE(k == 0 || wait <= last);
		last = wait;
		vpace_grab(&p, grab, FPS);
	}
	return wait;
}

/* Out of phase by up to a whole interval: caught up within 16 pictures. */
static void
test_periodic(void)
{
	uint64_t phase;

	for (phase = 0; phase < IVAL; phase += 1500)
		ASSERT_INT_EQ(periodic_wait(phase, 16), WORK);
	/* And it stays so. */
	ASSERT_INT_EQ(periodic_wait(20000, 300), WORK);
}

/* Always dirty for 10 s: at least fps, at most fps * 16/15 a second. */
static void
test_busy(void)
{
	struct vpace p = { 0, 0 };
	uint64_t t = 5000000, end = t + 10000000;
	int grabs = 0;

	while (t < end) {
		vpace_grab(&p, t, FPS);
		grabs++;
		t = p.due > t + WORK ? p.due : t + WORK;
	}
	ASSERT_TRUE(grabs >= 10 * FPS);
	ASSERT_TRUE(grabs <= 10 * FPS * 16 / 15 + 2);
}

/*
 * A change a slot or more after the last grab is due at once, even after
 * a busy stretch; a quiet stretch banks no credit (the grab after it
 * paces the next as any other); fps 0 (not set yet) is taken as 1.
 */
static void
test_idle(void)
{
	struct vpace p = { 0, 0 };
	uint64_t slot = IVAL - IVAL / VPACE_SLACK, t = 1000000, g = 0;
	int k;

	/* After one grab the next may come half a slot later. */
	vpace_grab(&p, t, FPS);
	ASSERT_INT_EQ(p.due, t + slot - slot / 2);
	/* A busy second: a grab whenever one is allowed. */
	for (k = 0; k < FPS; k++) {
		g = p.due > t + WORK ? p.due : t + WORK;
		vpace_grab(&p, g, FPS);
		t = g;
	}
	ASSERT_TRUE(p.due > g);
	/* Two seconds of nothing, then a change: due at once. */
	t = g + 2000000;
	ASSERT_TRUE(p.due <= t);
	vpace_grab(&p, t, FPS);
	/* ...and the quiet stretch bought no burst: the next is paced. */
	ASSERT_INT_EQ(p.due, t + slot - slot / 2);
	/* A change exactly a slot after the last grab: due at once. */
	t += slot;
	ASSERT_TRUE(p.due <= t);
	vpace_grab(&p, t, 0);
	/* fps 0 (not set yet) is taken as 1. */
	ASSERT_TRUE(p.due > t + 400000 && p.due <= t + 1000000);
}

int
main(void)
{
	test_periodic();
	test_busy();
	test_idle();
	printf("test_vpace: ok\n");
	return 0;
}
