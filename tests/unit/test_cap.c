/*
 * test_cap.c: what the capture backends share (server/media/cap.c): the
 * intersection of two rectangles, empty when they only touch.
 */
#include "server/media/cap.h"
#include "tests/tst.h"

int main(void);

/* Intersects a with b both ways round; checks *want (NULL: none). */
static void
clip_is(struct cap_rect a, struct cap_rect b, const struct cap_rect *want)
{
	struct cap_rect out, back;

	ASSERT_INT_EQ(cap_rect_clip(&a, &b, &out), want != NULL);
	ASSERT_INT_EQ(cap_rect_clip(&b, &a, &back), want != NULL);
	ASSERT_MEM_EQ(&out, &back, sizeof out);
	if (want == NULL) {
		ASSERT_INT_EQ(out.w, 0);
		ASSERT_INT_EQ(out.h, 0);
		return;
	}
	ASSERT_INT_EQ(out.x, want->x);
	ASSERT_INT_EQ(out.y, want->y);
	ASSERT_INT_EQ(out.w, want->w);
	ASSERT_INT_EQ(out.h, want->h);
}

static void
test_clip(void)
{
	struct cap_rect screen = { 0, 0, 1920, 1080 };
	struct cap_rect right = { 1920, 0, 1280, 1024 };
	struct cap_rect left = { -1280, 56, 1280, 1024 };
	struct cap_rect over = { 1900, 1000, 100, 100 };
	struct cap_rect in = { 10, 20, 30, 40 };

	clip_is(screen, in, &in);
	clip_is(screen, over, &(struct cap_rect){ 1900, 1000, 20, 80 });
	clip_is(right, over, &(struct cap_rect){ 1920, 1000, 80, 24 });
	/* Monitors side by side share an edge, not a pixel. */
	clip_is(screen, right, NULL);
	clip_is(screen, left, NULL);
	clip_is(left, over, NULL);
	clip_is(screen, (struct cap_rect){ 5, 5, 0, 10 }, NULL);
}

int
main(void)
{
	TST_RUN(test_clip);
	return 0;
}
