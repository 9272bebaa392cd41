/*
 * vpx_mem.c: gives back the pages of a libvpx VP9 encoder that hold
 * nothing but zeros, and its token buffer between pictures.
 *
 * libvpx (1.12, as every release since VP9 came out) allocates for the
 * worst case and clears what it allocates: vpx_calloc() and the frame
 * buffers memset every byte, so all of it is resident from the start and
 * the memsets are most of the time vpx_codec_enc_init() and the first
 * picture take. At 1920x1080 that is 98 MB of token buffer (room for 16
 * bytes of token for every pixel of all three planes), and 4.7 MB for
 * each of a dozen picture buffers, several of which a realtime one-pass
 * encode never uses (scaled sources, the alt-ref buffer). A typing
 * picture writes a few pages of tokens, a full-screen one a few MB.
 *
 * A page of an anonymous private mapping given back (MADV_DONTNEED) reads
 * as zero again, exactly as libvpx expects; only pages written later are
 * resident again. So after the encoder opened, and after its first
 * picture, the pages of its allocations that are still all zero go back;
 * and whenever the encoder is idle, the token buffer goes back whole (its
 * tokens are dead between two vpx_codec_encode() calls) along with pages
 * that became zero.
 *
 * Which allocations are the encoder's: those large enough to be chunks of
 * their own (glibc's mmap threshold) made during vpx_codec_enc_init() or
 * the first picture, i.e. in address ranges that were not mapped before
 * the call (/proc/self/maps before and after), that carry the header of
 * vpx_memalign() (the address malloc() returned, stored just before the
 * one handed out). Their headers are read through /proc/self/mem, which
 * fails rather than faults if another thread unmaps something meanwhile.
 * A lock keeps two encoders from opening or starting at once. The token
 * buffer is the one of its exact size. If anything differs (a newer
 * libvpx, another malloc) nothing is found and nothing changes.
 */
#include <sys/mman.h>

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "server/media/vpx_mem.h"

#define VPXMEM_TOKEN_SIZE	16	/* sizeof (TOKENEXTRA) on LP64 */
#define VPXMEM_MMAPPED		0x2	/* glibc's IS_MMAPPED chunk bit */
#define VPXMEM_CHUNKS_MAX	256
/*
 * glibc raises its mmap threshold to the size of each mmapped chunk freed
 * (up to 32 MB): after one encoder closed, the next one's 4.7 MB picture
 * buffers would come from an arena, where their zero pages cannot be told
 * apart. A fixed threshold (glibc's own initial one) keeps every
 * allocation of 128 kB or more a mapping of its own, given back whole
 * when freed. (1 MB held 8 MB more in an open encoder: its allocations
 * between 128 kB and 1 MB then came from an arena.)
 */
#define VPXMEM_MMAP_THRESHOLD	(128 * 1024)

/* Address ranges [lo, hi) of anonymous writable mappings. */
struct vpxmem_maps {
	uintptr_t	(*r)[2];
	size_t		 n, cap;
};

/* The encoder's own large allocations (page-aligned payloads). */
struct vpxmem {
	struct vpxmem_maps before;	/* during begin .. end */
	/* Each: the chunk's start, its payload's first whole page, its end. */
	uintptr_t	 chunk[VPXMEM_CHUNKS_MAX][3];
	size_t		 nchunk;
	uintptr_t	 tok[2];	/* the token buffer; 0, 0 if unknown */
	size_t		 tok_size;	/* what it is when found */
};

static pthread_mutex_t vpxmem_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t vpxmem_once = PTHREAD_ONCE_INIT;

/* Fixes glibc's mmap threshold (once). */
static void
vpxmem_threshold(void)
{
	if (mallopt(M_MMAP_THRESHOLD, VPXMEM_MMAP_THRESHOLD) != 1)
		log_debug("libvpx: mallopt(M_MMAP_THRESHOLD) refused");
}

/* Reads the process's anonymous read-write mappings; 0 or -1. */
static int
vpxmem_read_maps(struct vpxmem_maps *m)
{
	char line[512];
	unsigned long lo, hi, ino;
	char perm[8];
	int path;
	FILE *f;

	m->n = 0;
	if ((f = fopen("/proc/self/maps", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		path = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %lu %n", &lo, &hi, perm,
		    &ino, &path) < 4 || strcmp(perm, "rw-p") != 0 || ino != 0)
			continue;
		if (path > 0 && line[path] != '\n' && line[path] != '\0')
			continue;	/* [heap], [stack]: not mmap chunks */
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 64;
			m->r = xreallocarray(m->r, m->cap, sizeof *m->r);
		}
		m->r[m->n][0] = lo;
		m->r[m->n][1] = hi;
		m->n++;
	}
	fclose(f);
	return 0;
}

/* Where [lo, lo + len) meets a mapping of the list: that mapping's end,
 * or 0 if it meets none. */
static uintptr_t
vpxmem_was_mapped(const struct vpxmem_maps *m, uintptr_t lo, size_t len)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (lo < m->r[i][1] && lo + len > m->r[i][0])
			return m->r[i][1];
	return 0;
}

/* The page size. */
static uintptr_t
vpxmem_pg(void)
{
	return (uintptr_t)sysconf(_SC_PAGESIZE);
}

/*
 * Gives back the pages of [lo, hi) that are resident and all zero. They
 * are read through memfd, so a range another thread unmapped meanwhile
 * fails the read instead of faulting.
 */
static size_t
vpxmem_zero_pages(int memfd, uintptr_t lo, uintptr_t hi)
{
	static const uint64_t zero[512];
	uint64_t page[512];
	uintptr_t pg = vpxmem_pg(), p, run = 0;
	unsigned char *vec;
	size_t n, i, freed = 0;

	if (hi <= lo || pg > sizeof zero)
		return 0;
	n = (hi - lo) / pg;
	vec = xmalloc(n + 1);
	if (mincore((void *)lo, hi - lo, vec) != 0) {
		free(vec);
		return 0;
	}
	for (i = 0; i <= n; i++) {
		p = lo + i * pg;
		if (i < n && (vec[i] & 1) &&
		    pread(memfd, page, pg, (off_t)p) == (ssize_t)pg &&
		    memcmp(page, zero, pg) == 0) {
			if (run == 0)
				run = p;
			continue;
		}
		if (run != 0 && madvise((void *)run, p - run,
		    MADV_DONTNEED) == 0)
			freed += p - run;
		run = 0;
	}
	free(vec);
	return freed;
}

/*
 * Gives back a recorded chunk's pages: the token buffer's all (it is zero
 * after the encoder opened, and dead between pictures), the others' that
 * are all zero. Returns the bytes given back.
 */
static size_t
vpxmem_give_back(const struct vpxmem *m, int memfd, const uintptr_t *c)
{
	if (c[1] != m->tok[0])
		return vpxmem_zero_pages(memfd, c[1], c[2]);
	if (madvise((void *)c[1], c[2] - c[1], MADV_DONTNEED) != 0)
		return 0;
	return c[2] - c[1];
}

/*
 * The length of the mmapped vpx_memalign chunk at p, read through memfd;
 * 0 if there is none (or it ends past hi).
 */
static size_t
vpxmem_chunk(int memfd, uintptr_t p, uintptr_t hi)
{
	uint64_t h[4];
	size_t len;

	if (pread(memfd, h, sizeof h, (off_t)p) != (ssize_t)sizeof h)
		return 0;
	/* An mmapped chunk: prev_size 0, the size with IS_MMAPPED; malloc
	 * returned p + 16, vpx_memalign handed out p + 32 and kept p + 16
	 * just before it. */
	len = (size_t)(h[1] & ~(uint64_t)7);
	if (h[0] != 0 || (h[1] & 7) != VPXMEM_MMAPPED || len == 0 ||
	    len % vpxmem_pg() != 0 || len > hi - p || h[3] != p + 16)
		return 0;
	return len;
}

/*
 * Records the vpx_memalign chunks that lie side by side from lo (a new
 * mapping) up to hi; the one of the token buffer's size becomes m->tok.
 */
static void
vpxmem_walk(struct vpxmem *m, int memfd, uintptr_t lo, uintptr_t hi)
{
	uintptr_t p, pg = vpxmem_pg();
	size_t len;

	for (p = lo; p + pg <= hi; p += len) {
		if ((len = vpxmem_chunk(memfd, p, hi)) == 0)
			return;
		if (vpxmem_was_mapped(&m->before, p, len) != 0 ||
		    m->nchunk == VPXMEM_CHUNKS_MAX)
			continue;
		/* The payload's whole pages (the header page stays). */
		m->chunk[m->nchunk][0] = p;
		m->chunk[m->nchunk][1] = p + pg;
		m->chunk[m->nchunk][2] = p + len;
		if (m->tok[0] == 0 && m->tok_size > 0 && len >= m->tok_size &&
		    len <= m->tok_size + 2 * pg) {
			m->tok[0] = p + pg;
			m->tok[1] = p + len;
		}
		m->nchunk++;
	}
}

/* A record for one encoder (width x height: its token buffer's size). */
struct vpxmem *
vpxmem_new(int width, int height)
{
	struct vpxmem *m = xcalloc(1, sizeof *m);

	pthread_once(&vpxmem_once, vpxmem_threshold);
	m->tok_size = (size_t)((width + 15) / 16) *
	    (size_t)((height + 15) / 16) * (16 * 16 * 3 + 4) *
	    VPXMEM_TOKEN_SIZE;
	return m;
}

/* Frees a record; NULL does nothing. */
void
vpxmem_free(struct vpxmem *m)
{
	if (m == NULL)
		return;
	free(m->before.r);
	free(m);
}

/*
 * Another encoder whose library allocates as vpx_memalign does (libvpx's
 * VP8 and libaom through libavcodec) opens or starts: not while an
 * encoder here is between begin and end, or its allocations would be
 * taken for that encoder's (and their zero pages given back while it
 * writes them).
 */
void
vpxmem_lock(void)
{
	pthread_mutex_lock(&vpxmem_mu);
}

/* Ends vpxmem_lock. */
void
vpxmem_unlock(void)
{
	pthread_mutex_unlock(&vpxmem_mu);
}

/* Before a call that allocates: takes the lock, notes what is mapped. */
void
vpxmem_begin(struct vpxmem *m)
{
	pthread_mutex_lock(&vpxmem_mu);
	if (vpxmem_read_maps(&m->before) != 0)
		m->before.n = 0;
}

/*
 * After it (ok: it succeeded): records the encoder's new chunks and drops
 * the lock. Nothing is given back yet: the first picture should not wait
 * for it (nor fault the token buffer in again); vpxmem_trim does.
 */
void
vpxmem_end(struct vpxmem *m, int ok)
{
	struct vpxmem_maps after = { NULL, 0, 0 };
	size_t i, n0 = m->nchunk;
	uintptr_t lo, hi, end;
	int memfd;

	if (ok && m->before.n > 0 && vpxmem_read_maps(&after) == 0 &&
	    (memfd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC)) >= 0) {
		for (i = 0; i < after.n; i++) {
			/* Skip what was mapped before at the start of this
			 * mapping; new chunks follow it side by side. */
			lo = after.r[i][0];
			hi = after.r[i][1];
			while (lo < hi &&
			    (end = vpxmem_was_mapped(&m->before, lo, 1)) != 0)
				lo = end;
			if (lo < hi)
				vpxmem_walk(m, memfd, lo, hi);
		}
		close(memfd);
		log_debug("libvpx: %zu new allocations", m->nchunk - n0);
	}
	free(after.r);
	m->before.n = 0;
	pthread_mutex_unlock(&vpxmem_mu);
}

/*
 * Between two encodes, on the encoder's thread: gives back its token
 * buffer whole and the pages of its allocations that are all zero now.
 * NULL does nothing.
 */
void
vpxmem_trim(struct vpxmem *m)
{
	uintptr_t *c;
	size_t i, freed = 0;
	uint64_t t0 = mono_us();
	int memfd;

	if (m == NULL || m->nchunk == 0 ||
	    (memfd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC)) < 0)
		return;
	for (i = 0; i < m->nchunk; i++) {
		c = m->chunk[i];
		/* Still the same allocation (libvpx keeps them until it
		 * closes, but check rather than trust). */
		if (vpxmem_chunk(memfd, c[0], c[2]) != c[2] - c[0])
			continue;
		freed += vpxmem_give_back(m, memfd, c);
	}
	close(memfd);
	log_debug("libvpx: %zu kB given back in %llu us", freed / 1024,
	    (unsigned long long)(mono_us() - t0));
}
