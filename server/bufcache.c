/*
 * bufcache.c: large buffers kept for reuse (bufcache.h). glibc serves
 * every allocation of 128 kB or more with a mapping of its own once the
 * mmap threshold is fixed there (server/media/vpx_mem.c does, to find
 * libvpx's buffers): such a buffer costs a page fault per page to fill
 * and, when freed, an munmap with a TLB shootdown on every CPU. A file
 * block (128 KiB) crossed four of them in the server, which made the
 * shootdowns most of a transfer's time. Here up to BUFCACHE_SLOTS freed
 * buffers (BUFCACHE_BYTES in all) wait for the next request they fit,
 * and go back to glibc after BUFCACHE_AGE_MS unused. Thread-safe.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/mono.h"
#include "server/bufcache.h"

#define BUFCACHE_MIN		(64 * 1024)	/* smaller: glibc's heap */
#define BUFCACHE_SLOTS		32
#define BUFCACHE_BYTES		(16 * 1024 * 1024)
#define BUFCACHE_AGE_MS		2000
#define BUFCACHE_SLACK		(16 * 1024)	/* glibc's header, pages */

/* A buffer kept: its usable size, when it was freed. */
struct bufcache_slot {
	void		*p;
	size_t		 size;
	uint64_t	 t_ms;
};

static pthread_mutex_t bufcache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct bufcache_slot bufcache_slot[BUFCACHE_SLOTS];
static size_t bufcache_n;
static size_t bufcache_bytes;

/* Take slot i out (locked); returns its buffer. */
static void *
bufcache_take(size_t i)
{
	void *p = bufcache_slot[i].p;

	bufcache_bytes -= bufcache_slot[i].size;
	bufcache_slot[i] = bufcache_slot[--bufcache_n];
	return p;
}

/* Move the buffers unused since before now - age into old (locked);
 * returns how many. */
static size_t
bufcache_expire(uint64_t now, uint64_t age, void **old)
{
	size_t i = 0, n = 0;

	while (i < bufcache_n)
		if (now - bufcache_slot[i].t_ms >= age)
			old[n++] = bufcache_take(i);
		else
			i++;
	return n;
}

/* A kept buffer of at least n bytes (and about 2n at most), else a new
 * one. */
void *
bufcache_malloc(size_t n)
{
	void *p = NULL;
	size_t i, best = SIZE_MAX;

	if (n < BUFCACHE_MIN)
		return malloc(n);
	pthread_mutex_lock(&bufcache_mu);
	for (i = 0; i < bufcache_n; i++)
		if (bufcache_slot[i].size >= n &&
		    bufcache_slot[i].size <= 2 * n + BUFCACHE_SLACK &&
		    (best == SIZE_MAX ||
		    bufcache_slot[i].size < bufcache_slot[best].size))
			best = i;
	if (best != SIZE_MAX)
		p = bufcache_take(best);
	pthread_mutex_unlock(&bufcache_mu);
	return p != NULL ? p : malloc(n);
}

/* Grow or shrink p (glibc's own realloc: every buffer is glibc's). */
void *
bufcache_realloc(void *p, size_t n)
{
	if (p == NULL)
		return bufcache_malloc(n);
	return realloc(p, n);
}

/* Keep a large buffer for later, or free it; drop the stale ones. */
void
bufcache_free(void *p)
{
	void *old[BUFCACHE_SLOTS];
	uint64_t now;
	size_t size, i, n;

	if (p == NULL)
		return;
	if ((size = malloc_usable_size(p)) < BUFCACHE_MIN) {
		free(p);
		return;
	}
	now = mono_ms();
	pthread_mutex_lock(&bufcache_mu);
	n = bufcache_expire(now, BUFCACHE_AGE_MS, old);
	if (bufcache_n < BUFCACHE_SLOTS &&
	    bufcache_bytes + size <= BUFCACHE_BYTES) {
		bufcache_slot[bufcache_n].p = p;
		bufcache_slot[bufcache_n].size = size;
		bufcache_slot[bufcache_n].t_ms = now;
		bufcache_n++;
		bufcache_bytes += size;
		p = NULL;
	}
	pthread_mutex_unlock(&bufcache_mu);
	for (i = 0; i < n; i++)
		free(old[i]);
	free(p);
}

/* Free every kept buffer. */
void
bufcache_trim(void)
{
	void *old[BUFCACHE_SLOTS];
	size_t i, n;

	pthread_mutex_lock(&bufcache_mu);
	n = bufcache_expire(0, 0, old);
	pthread_mutex_unlock(&bufcache_mu);
	for (i = 0; i < n; i++)
		free(old[i]);
}

/* bufcache_pb's alloc. */
static void *
bufcache_pb_alloc(void *data, size_t n)
{
	(void)data;
	return bufcache_malloc(n);
}

/* bufcache_pb's free. */
static void
bufcache_pb_free(void *data, void *p)
{
	(void)data;
	bufcache_free(p);
}

ProtobufCAllocator bufcache_pb = { bufcache_pb_alloc, bufcache_pb_free, NULL };
