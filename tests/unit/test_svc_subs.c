/*
 * test_svc_subs.c: the services' subscriber set: add, replace, find,
 * count, order, and removal from inside a walk.
 */
#include "server/svc/svc_subs.h"
#include "tests/tst.h"

int main(void);

/* A service's entry: the head plus its own state. */
struct tsub {
	struct svc_sub	 sub;
	int		 val;
};

/* What a walk saw, and what it removes on the way. */
struct twalk {
	struct svc_subs	*set;
	uint32_t	 seen[16];
	int		 nseen;
	uint32_t	 del_at;	/* on this conn_id ... */
	uint32_t	 del[4];	/* ... remove these (0 ends) */
	struct svc_subs	*inner;		/* walk again inside; may be NULL */
};

/* A sink that is only a key: the set never calls it. */
static struct svc_sink
tsink(uint32_t conn_id, void *ctx)
{
	struct svc_sink s;

	memset(&s, 0, sizeof s);
	s.ctx = ctx;
	s.conn_id = conn_id;
	return s;
}

/* Adds conn_id with a value; asserts whether it was new. */
static struct tsub *
tadd(struct svc_subs *set, uint32_t conn_id, int val, int want_added)
{
	struct svc_sink s = tsink(conn_id, set);
	struct tsub *e;
	int added = -1;

	e = svc_subs_add(set, &s, &added);
	ASSERT_TRUE(e != NULL);
	ASSERT_INT_EQ(added, want_added);
	ASSERT_INT_EQ(e->sub.sink.conn_id, conn_id);
	if (added)
		ASSERT_INT_EQ(e->val, 0);	/* new entries are zeroed */
	e->val = val;
	return e;
}

/* The conn_ids of the live entries, in order, as "1 2 3". */
static const char *
torder(const struct svc_subs *set)
{
	static char buf[256];
	const struct tsub *e;
	size_t len = 0;

	buf[0] = '\0';
	SVC_SUBS_FOREACH(e, set)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%u",
		    len > 0 ? " " : "", e->sub.sink.conn_id);
	return buf;
}

/* svc_subs_each callback: records, removes, maybe walks again. */
static void
twalk_cb(void *entry, void *arg)
{
	struct tsub *e = entry;
	struct twalk *w = arg;
	struct twalk inner;
	size_t i;

	ASSERT_TRUE(w->nseen < 16);
	w->seen[w->nseen++] = e->sub.sink.conn_id;
	if (e->sub.sink.conn_id != w->del_at)
		return;
	for (i = 0; i < 4 && w->del[i] != 0; i++)
		ASSERT_INT_EQ(svc_subs_del(w->set, w->del[i]), 1);
	/* Removed entries are gone for find and count at once. */
	for (i = 0; i < 4 && w->del[i] != 0; i++)
		ASSERT_TRUE(svc_subs_find(w->set, w->del[i]) == NULL);
	if (w->inner != NULL) {
		memset(&inner, 0, sizeof inner);
		inner.set = w->inner;
		svc_subs_each(w->inner, twalk_cb, &inner);
		/* The nested walk skips what the outer one removed. */
		for (i = 0; i < (size_t)inner.nseen; i++)
			ASSERT_TRUE(inner.seen[i] != w->del[0]);
	}
}

/* Add, replace, find, count, delete, in conn_id order. */
static void
test_basic(void)
{
	struct svc_subs set;
	struct svc_sink s;
	struct tsub *e;
	int other;

	svc_subs_init(&set, sizeof(struct tsub));
	ASSERT_INT_EQ(svc_subs_count(&set), 0);
	ASSERT_TRUE(svc_subs_find(&set, 1) == NULL);
	ASSERT_TRUE(svc_subs_next(&set, NULL) == NULL);
	ASSERT_INT_EQ(svc_subs_del(&set, 1), 0);
	tadd(&set, 5, 50, 1);
	tadd(&set, 1, 10, 1);
	tadd(&set, 9, 90, 1);
	/* Growing past the first allocation keeps every entry. */
	tadd(&set, 3, 30, 1);
	tadd(&set, 7, 70, 1);
	ASSERT_INT_EQ(svc_subs_count(&set), 5);
	ASSERT_STR_EQ(torder(&set), "1 3 5 7 9");
	e = svc_subs_find(&set, 9);
	ASSERT_TRUE(e != NULL);
	ASSERT_INT_EQ(e->val, 90);
	/* Adding a known conn_id replaces its sink, keeps its state and
	 * its place. */
	s = tsink(9, &other);
	e = svc_subs_add(&set, &s, NULL);
	ASSERT_TRUE(e->sub.sink.ctx == &other);
	ASSERT_INT_EQ(e->val, 90);
	ASSERT_INT_EQ(svc_subs_count(&set), 5);
	ASSERT_STR_EQ(torder(&set), "1 3 5 7 9");
	/* Deleting keeps the others' order. */
	ASSERT_INT_EQ(svc_subs_del(&set, 1), 1);
	ASSERT_INT_EQ(svc_subs_del(&set, 1), 0);
	ASSERT_TRUE(svc_subs_find(&set, 1) == NULL);
	ASSERT_INT_EQ(svc_subs_count(&set), 4);
	ASSERT_STR_EQ(torder(&set), "3 5 7 9");
	ASSERT_INT_EQ(((struct tsub *)svc_subs_find(&set, 7))->val, 70);
	ASSERT_TRUE(svc_subs_find(&set, 4) == NULL);
	ASSERT_TRUE(svc_subs_find(&set, 10) == NULL);
	/* A removed conn_id comes back as a new, zeroed entry in its
	 * place. */
	tadd(&set, 1, 11, 1);
	ASSERT_STR_EQ(torder(&set), "1 3 5 7 9");
	ASSERT_INT_EQ(((struct tsub *)svc_subs_find(&set, 1))->val, 11);
	svc_subs_fini(&set);
	ASSERT_INT_EQ(svc_subs_count(&set), 0);
	/* The set can be used again after fini. */
	tadd(&set, 2, 20, 1);
	ASSERT_INT_EQ(svc_subs_count(&set), 1);
	svc_subs_fini(&set);
}

/* A walk sees entries in order; removal inside it skips and compacts. */
static void
test_del_in_walk(void)
{
	struct svc_subs set;
	struct twalk w;
	struct tsub *e;

	svc_subs_init(&set, sizeof(struct tsub));
	tadd(&set, 1, 1, 1);
	tadd(&set, 2, 2, 1);
	tadd(&set, 3, 3, 1);
	tadd(&set, 4, 4, 1);
	tadd(&set, 5, 5, 1);

	/* A plain walk. */
	memset(&w, 0, sizeof w);
	w.set = &set;
	svc_subs_each(&set, twalk_cb, &w);
	ASSERT_INT_EQ(w.nseen, 5);
	ASSERT_INT_EQ(w.seen[0], 1);
	ASSERT_INT_EQ(w.seen[4], 5);

	/* At 2, remove itself, one already seen (1) and one ahead (4). */
	memset(&w, 0, sizeof w);
	w.set = &set;
	w.del_at = 2;
	w.del[0] = 4;
	w.del[1] = 2;
	w.del[2] = 1;
	svc_subs_each(&set, twalk_cb, &w);
	ASSERT_INT_EQ(w.nseen, 4);	/* 1 2 3 5: 4 skipped */
	ASSERT_INT_EQ(w.seen[2], 3);
	ASSERT_INT_EQ(w.seen[3], 5);
	ASSERT_INT_EQ(svc_subs_count(&set), 2);
	ASSERT_STR_EQ(torder(&set), "3 5");
	/* After the walk the removed entries left the array: adding works
	 * and lands in conn_id order. */
	tadd(&set, 4, 44, 1);
	ASSERT_STR_EQ(torder(&set), "3 4 5");
	e = svc_subs_find(&set, 5);
	ASSERT_INT_EQ(e->val, 5);

	/* Nested walks: removal inside the inner one is compacted only when
	 * the outer walk ends. */
	memset(&w, 0, sizeof w);
	w.set = &set;
	w.del_at = 3;
	w.del[0] = 5;
	w.inner = &set;
	svc_subs_each(&set, twalk_cb, &w);
	ASSERT_INT_EQ(w.nseen, 2);	/* 3 4 */
	ASSERT_INT_EQ(w.seen[1], 4);
	ASSERT_STR_EQ(torder(&set), "3 4");
	ASSERT_INT_EQ(svc_subs_count(&set), 2);

	/* Removing everything from inside a walk empties the set. */
	memset(&w, 0, sizeof w);
	w.set = &set;
	w.del_at = 3;
	w.del[0] = 3;
	w.del[1] = 4;
	svc_subs_each(&set, twalk_cb, &w);
	ASSERT_INT_EQ(w.nseen, 1);
	ASSERT_INT_EQ(svc_subs_count(&set), 0);
	ASSERT_TRUE(svc_subs_next(&set, NULL) == NULL);
	svc_subs_fini(&set);
}

/* Run all subscriber set tests. */
int
main(void)
{
	TST_RUN(test_basic);
	TST_RUN(test_del_in_walk);
	return 0;
}
