/* svc_subs.c: the subscriber set shared by the services (svc_subs.h). */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "server/svc/svc_subs.h"

/* Entry i of the array. */
static struct svc_sub *
svc_subs_at(const struct svc_subs *s, size_t i)
{
	return (struct svc_sub *)(void *)(s->v + i * s->size);
}

/* Set up an empty set; see svc_subs.h. */
void
svc_subs_init(struct svc_subs *s, size_t size)
{
	if (size < sizeof(struct svc_sub))
		fatal("svc_subs_init: entry of %zu bytes", size);
	memset(s, 0, sizeof *s);
	s->size = size;
}

/* Free the entries; see svc_subs.h. */
void
svc_subs_fini(struct svc_subs *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
	s->ndead = 0;
}

/*
 * Find conn_id's entry, dead or alive; its index in *idx. The entries are
 * kept in conn_id order (see svc_subs_add), so this is a binary search:
 * with a thousand viewers each round-trip sample looks one up. Without
 * one, *idx is where conn_id would go.
 */
static struct svc_sub *
svc_subs_lookup(const struct svc_subs *s, uint32_t conn_id, size_t *idx)
{
	size_t lo = 0, hi = s->n, mid;
	uint32_t id;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		id = svc_subs_at(s, mid)->sink.conn_id;
		if (id == conn_id) {
			*idx = mid;
			return svc_subs_at(s, mid);
		}
		if (id < conn_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*idx = lo;
	return NULL;
}

/* Add or refresh an entry; see svc_subs.h. */
void *
svc_subs_add(struct svc_subs *s, const struct svc_sink *sink, int *added)
{
	struct svc_sub *e;
	size_t i;

	if (s->walking)
		fatal("svc_subs_add: called during a walk");
	if (added != NULL)
		*added = 0;
	if ((e = svc_subs_lookup(s, sink->conn_id, &i)) != NULL &&
	    !e->dead) {
		e->sink = *sink;
		return e;
	}
	/* Outside a walk no entry is dead, so this is a new one, at i in
	 * conn_id order (the end, for a connection newer than the rest). */
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		s->v = xreallocarray(s->v, s->cap, s->size);
	}
	memmove(s->v + (i + 1) * s->size, s->v + i * s->size,
	    (s->n - i) * s->size);
	s->n++;
	e = svc_subs_at(s, i);
	memset(e, 0, s->size);
	e->sink = *sink;
	if (added != NULL)
		*added = 1;
	return e;
}

/* The live entry of conn_id; see svc_subs.h. */
void *
svc_subs_find(const struct svc_subs *s, uint32_t conn_id)
{
	struct svc_sub *e;
	size_t i;

	e = svc_subs_lookup(s, conn_id, &i);
	return e != NULL && !e->dead ? e : NULL;
}

/* Remove entry i at once, keeping the order of the others. */
static void
svc_subs_remove_at(struct svc_subs *s, size_t i)
{
	memmove(s->v + i * s->size, s->v + (i + 1) * s->size,
	    (s->n - i - 1) * s->size);
	s->n--;
}

/* Remove conn_id's entry; see svc_subs.h. */
int
svc_subs_del(struct svc_subs *s, uint32_t conn_id)
{
	struct svc_sub *e;
	size_t i;

	if ((e = svc_subs_lookup(s, conn_id, &i)) == NULL || e->dead)
		return 0;
	if (s->walking) {
		/* The walk holds a pointer into the array: mark only. */
		e->dead = 1;
		s->ndead++;
	} else
		svc_subs_remove_at(s, i);
	return 1;
}

/* Number of live entries. */
size_t
svc_subs_count(const struct svc_subs *s)
{
	return s->n - (size_t)s->ndead;
}

/* Call fn for every live entry; see svc_subs.h. */
void
svc_subs_each(struct svc_subs *s, svc_subs_fn *fn, void *arg)
{
	struct svc_sub *e;
	size_t i;

	s->walking++;
	for (i = 0; i < s->n; i++) {
		e = svc_subs_at(s, i);
		if (!e->dead)
			fn(e, arg);
	}
	if (--s->walking > 0 || s->ndead == 0)
		return;
	for (i = s->n; i-- > 0;)
		if (svc_subs_at(s, i)->dead)
			svc_subs_remove_at(s, i);
	s->ndead = 0;
}

/* The live entry after prev; see svc_subs.h. */
void *
svc_subs_next(const struct svc_subs *s, const void *prev)
{
	size_t i = 0;

	if (prev != NULL)
		i = (size_t)((const unsigned char *)prev - s->v) / s->size + 1;
	for (; i < s->n; i++)
		if (!svc_subs_at(s, i)->dead)
			return svc_subs_at(s, i);
	return NULL;
}
