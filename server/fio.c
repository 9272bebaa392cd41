/*
 * fio.c: the file I/O threads (fio.h). Queues with work wait on a ready
 * list; a thread takes the first, runs its first operation outside the
 * lock, puts it on the done list and wakes the loop through an eventfd.
 * A queue is on the ready list only while no thread runs one of its
 * operations, so each queue's operations run one after another, in order
 * (writes land in order, a flush comes after the writes before it, the
 * zstd back-off of a download sees its blocks in order). Operations and
 * their buffers (bufcache.c: no fresh mapping per block) are made and
 * freed by the loop's thread only.
 */
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <zstd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "server/bufcache.h"
#include "server/fio.h"

#define FIO_THREADS	2	/* one slow disk does not stop the others */
/* zstd level of download blocks (upstream's COMPRESS_LEVEL). */
#define FIO_ZSTD_LEVEL	3
#define FIO_ZSTD_SKIP_MAX	64	/* blocks (8 MiB) between tries */
#define FIO_WAKE_WRITES	4	/* writes done per wake-up of the loop */

TAILQ_HEAD(fio_ops, fio_op);

struct fio_q {
	struct fio		*io;		/* borrowed */
	int			 fd;		/* owned */
	void			*owner;		/* borrowed */
	struct fio_ops		 ops;		/* not started */
	size_t			 pending;	/* submitted, not reported */
	int			 ready;		/* on io->ready */
	int			 running;	/* a thread runs one of ours */
	int			 closing;	/* fio_q_close: report nothing */
	/* Download blocks of data compressed already (a name the list
	 * misses, random bytes) cost zstd as much as sealing them, for
	 * nothing: after a block that did not shrink the next ones go as
	 * they are, 1, 2, 4, ... up to FIO_ZSTD_SKIP_MAX blocks; one that
	 * shrinks starts it over. The client takes a mix (§1.6). */
	int			 nocompress;
	uint64_t		 wpos;		/* the next write's offset */
	uint64_t		 kicked;	/* writeback started up to here */
	unsigned		 zskip;
	unsigned		 zback;
	TAILQ_ENTRY(fio_q)	 rentry;	/* io->ready */
	TAILQ_ENTRY(fio_q)	 entry;		/* io->queues */
};

/* What one thread keeps. */
struct fio_worker {
	struct fio		*io;
	pthread_t		 tid;
	ZSTD_CCtx		*zc;
	ZSTD_DCtx		*zd;
	uint8_t			*zbuf;		/* a compressed block */
	size_t			 zcap;
	uint8_t			*ibuf;		/* FIO_INFLATE_MAX, lazily */
};

struct fio {
	fio_done_cb		 cb;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	TAILQ_HEAD(, fio_q)	 ready;		/* under mu */
	struct fio_ops		 done;		/* under mu */
	int			 stop;		/* under mu */
	int			 woken;		/* under mu: efd signalled */
	unsigned		 unwoken;	/* under mu: writes done since */
	TAILQ_HEAD(, fio_q)	 queues;	/* the loop's */
	int			 efd;
	struct event		*ev;
	struct fio_worker	 w[FIO_THREADS];
	int			 nw;
};

/* Read up to FIO_BLOCK at op->off into op->buf; compress when it helps. */
static void
fio_read(struct fio_worker *w, struct fio_q *q, struct fio_op *op)
{
	uint8_t *data = op->buf + op->head;
	size_t have = 0, z;
	ssize_t n;

	if (op->cap < op->head + FIO_BLOCK) {
		op->err = EINVAL;
		return;
	}
	while (have < FIO_BLOCK) {
		/* No cast: Windows' off_t has 32 bits (fio_win.h). */
		n = pread(q->fd, data + have, FIO_BLOCK - have,
		    op->off + have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			op->err = errno;
			return;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	op->raw = op->len = have;
	if (have == 0 || q->nocompress)
		return;
	if (q->zskip > 0) {
		q->zskip--;
		return;
	}
	z = ZSTD_compressCCtx(w->zc, w->zbuf, w->zcap, data, have,
	    FIO_ZSTD_LEVEL);
	/* Kept only when it is smaller (§1.6). */
	if (!ZSTD_isError(z) && z < have) {
		memcpy(data, w->zbuf, z);
		op->len = z;
		op->compressed = 1;
		q->zback = 0;
	} else if (q->zback < FIO_ZSTD_SKIP_MAX)
		q->zback = q->zback ? q->zback * 2 : 1;
	q->zskip = q->zback;
}

/*
 * Starts the writeback of what q wrote since the last start, once that
 * is FIO_KICK_STEP. An upload ends in an fdatasync before the helper
 * renames its file; left to the kernel, writeback starts only at that
 * sync (or past the dirty limit, gigabytes away where memory is ample),
 * so the peer waits for the disk to take the whole file after the last
 * block. Started as the blocks come, the disk works while the network
 * does, and the last sync waits for the tail only: a 256 MiB relayed
 * upload here went from
 * 0.57-0.79 to 0.75-0.97 of the reference's speed. The call returns
 * once the pages are submitted; it does not wait for the disk. Windows
 * has no such call: there, the sync does it all.
 */
static void
fio_kick(struct fio_q *q)
{
#ifdef SYNC_FILE_RANGE_WRITE
	if (q->wpos - q->kicked < FIO_KICK_STEP)
		return;
	(void)sync_file_range(q->fd, (off_t)q->kicked,
	    (off_t)(q->wpos - q->kicked), SYNC_FILE_RANGE_WRITE);
	q->kicked = q->wpos;
#else
	(void)q;
#endif
}

/* Write op->len bytes at op->buf + op->head (inflated first when
 * compressed) at q->wpos. */
static void
fio_write(struct fio_worker *w, struct fio_q *q, struct fio_op *op)
{
	const uint8_t *p = op->buf + op->head;
	size_t n = op->len, done = 0;
	ssize_t r;

	if (op->compressed && n > 0) {
		if (w->ibuf == NULL)
			w->ibuf = xmalloc(FIO_INFLATE_MAX);
		n = ZSTD_decompressDCtx(w->zd, w->ibuf, FIO_INFLATE_MAX, p, n);
		if (ZSTD_isError(n)) {
			op->err = EBADMSG;
			return;
		}
		p = w->ibuf;
	}
	while (done < n) {
		r = pwrite(q->fd, p + done, n - done, q->wpos + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			op->err = errno;
			break;
		}
		if (r == 0) {
			op->err = ENOSPC;
			break;
		}
		done += (size_t)r;
	}
	op->raw = done;
	q->wpos += done;
	fio_kick(q);
}

/* One operation, outside the lock. */
static void
fio_run(struct fio_worker *w, struct fio_q *q, struct fio_op *op)
{
	op->err = 0;
	op->raw = 0;
	switch (op->kind) {
	case FIO_READ:
		op->compressed = 0;
		fio_read(w, q, op);
		break;
	case FIO_WRITE:
		fio_write(w, q, op);
		break;
	case FIO_SYNC:
		if (fdatasync(q->fd) != 0)
			op->err = errno;
		break;
	}
}

/* A thread: run the first operation of the first ready queue. */
static void *
fio_thread(void *arg)
{
	struct fio_worker *w = arg;
	struct fio *io = w->io;
	struct fio_q *q;
	struct fio_op *op;
	uint64_t one = 1;

	pthread_mutex_lock(&io->mu);
	for (;;) {
		while (!io->stop && TAILQ_EMPTY(&io->ready))
			pthread_cond_wait(&io->cv, &io->mu);
		if (io->stop)
			break;
		q = TAILQ_FIRST(&io->ready);
		TAILQ_REMOVE(&io->ready, q, rentry);
		q->ready = 0;
		op = TAILQ_FIRST(&q->ops);
		TAILQ_REMOVE(&q->ops, op, entry);
		q->running = 1;
		pthread_mutex_unlock(&io->mu);
		fio_run(w, q, op);
		pthread_mutex_lock(&io->mu);
		q->running = 0;
		TAILQ_INSERT_TAIL(&io->done, op, entry);
		/* The loop drains the whole list at once: one wake-up while
		 * it has not. A write with more of its queue behind it waits
		 * for a few more (the loop only counts them, and resumes
		 * reading the peer well before the queue runs dry). */
		if (!io->woken && (op->kind != FIO_WRITE || op->err != 0 ||
		    TAILQ_EMPTY(&q->ops) || q->closing ||
		    ++io->unwoken >= FIO_WAKE_WRITES)) {
			io->woken = 1;
			io->unwoken = 0;
			if (write(io->efd, &one, sizeof one) < 0 &&
			    errno != EAGAIN)
				log_warn("fio: eventfd: %s", strerror(errno));
		}
		/* More of q: this thread goes on (no wake-up of another,
		 * which would only take turns with it), after the queues
		 * that waited. */
		if (!q->closing && !TAILQ_EMPTY(&q->ops)) {
			TAILQ_INSERT_TAIL(&io->ready, q, rentry);
			q->ready = 1;
		}
	}
	pthread_mutex_unlock(&io->mu);
	return NULL;
}

/* Close q's descriptor and free it (nothing of it is anywhere else). */
static void
fio_q_free(struct fio_q *q)
{
	TAILQ_REMOVE(&q->io->queues, q, entry);
	close(q->fd);
	free(q);
}

/* The loop's side: report what the threads finished. */
static void
fio_done_ev(evutil_socket_t fd, short what, void *arg)
{
	struct fio *io = arg;
	struct fio_ops done;
	struct fio_op *op;
	struct fio_q *q;
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN)
		log_warn("fio: eventfd: %s", strerror(errno));
	TAILQ_INIT(&done);
	pthread_mutex_lock(&io->mu);
	TAILQ_CONCAT(&done, &io->done, entry);
	io->woken = 0;
	io->unwoken = 0;
	pthread_mutex_unlock(&io->mu);
	while ((op = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, op, entry);
		q = op->q;
		q->pending--;
		if (!q->closing) {
			io->cb(op, q->owner);
			continue;
		}
		fio_op_free(io, op);
		if (q->pending == 0)
			fio_q_free(q);
	}
}

/* Start the threads. */
struct fio *
fio_new(struct event_base *base, fio_done_cb cb)
{
	struct fio *io = xcalloc(1, sizeof *io);
	struct fio_worker *w;
	int i;

	io->cb = cb;
	pthread_mutex_init(&io->mu, NULL);
	pthread_cond_init(&io->cv, NULL);
	TAILQ_INIT(&io->ready);
	TAILQ_INIT(&io->done);
	TAILQ_INIT(&io->queues);
	io->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (io->efd < 0 || (io->ev = event_new(base, io->efd,
	    EV_READ | EV_PERSIST, fio_done_ev, io)) == NULL ||
	    event_add(io->ev, NULL) != 0)
		goto fail;
	for (i = 0; i < FIO_THREADS; i++) {
		w = &io->w[i];
		w->io = io;
		w->zc = ZSTD_createCCtx();
		w->zd = ZSTD_createDCtx();
		w->zcap = ZSTD_compressBound(FIO_BLOCK);
		w->zbuf = xmalloc(w->zcap);
		if (w->zc == NULL || w->zd == NULL)
			fatal("zstd");
		if (pthread_create(&w->tid, NULL, fio_thread, w) != 0)
			break;
		io->nw++;
	}
	if (io->nw > 0)
		return io;
	log_warn("fio: no I/O thread");
fail:
	fio_free(io);
	return NULL;
}

/* Stop the threads, close what is left. */
void
fio_free(struct fio *io)
{
	struct fio_op *op;
	struct fio_q *q;
	int i;

	if (io == NULL)
		return;
	pthread_mutex_lock(&io->mu);
	io->stop = 1;
	pthread_cond_broadcast(&io->cv);
	pthread_mutex_unlock(&io->mu);
	for (i = 0; i < io->nw; i++)
		pthread_join(io->w[i].tid, NULL);
	for (i = 0; i < FIO_THREADS; i++) {
		ZSTD_freeCCtx(io->w[i].zc);
		ZSTD_freeDCtx(io->w[i].zd);
		free(io->w[i].zbuf);
		free(io->w[i].ibuf);
	}
	while ((q = TAILQ_FIRST(&io->queues)) != NULL) {
		TAILQ_CONCAT(&io->done, &q->ops, entry);
		fio_q_free(q);
	}
	while ((op = TAILQ_FIRST(&io->done)) != NULL) {
		TAILQ_REMOVE(&io->done, op, entry);
		fio_op_free(io, op);
	}
	if (io->ev != NULL)
		event_free(io->ev);
	if (io->efd >= 0)
		close(io->efd);
	pthread_mutex_destroy(&io->mu);
	pthread_cond_destroy(&io->cv);
	free(io);
}

/* A queue for fd. */
struct fio_q *
fio_q_new(struct fio *io, int fd, void *owner, int nocompress, uint64_t off)
{
	struct fio_q *q = xcalloc(1, sizeof *q);

	q->wpos = q->kicked = off;
	q->io = io;
	q->fd = fd;
	q->owner = owner;
	q->nocompress = nocompress;
	TAILQ_INIT(&q->ops);
	TAILQ_INSERT_TAIL(&io->queues, q, entry);
	return q;
}

/* Drop what has not started; the descriptor goes with the last report. */
void
fio_q_close(struct fio_q *q)
{
	struct fio *io;
	struct fio_ops drop;
	struct fio_op *op;

	if (q == NULL)
		return;
	io = q->io;
	TAILQ_INIT(&drop);
	pthread_mutex_lock(&io->mu);
	TAILQ_CONCAT(&drop, &q->ops, entry);
	if (q->ready) {
		TAILQ_REMOVE(&io->ready, q, rentry);
		q->ready = 0;
	}
	q->closing = 1;
	pthread_mutex_unlock(&io->mu);
	while ((op = TAILQ_FIRST(&drop)) != NULL) {
		TAILQ_REMOVE(&drop, op, entry);
		q->pending--;
		fio_op_free(io, op);
	}
	if (q->pending == 0)
		fio_q_free(q);
}

/* Operations of q in flight. */
size_t
fio_q_pending(const struct fio_q *q)
{
	return q != NULL ? q->pending : 0;
}

/* An operation with a buffer of cap bytes (at least a block's). */
struct fio_op *
fio_op_new(struct fio *io, enum fio_kind kind, size_t cap)
{
	struct fio_op *op = xcalloc(1, sizeof *op);

	(void)io;
	op->kind = kind;
	op->cap = cap > FIO_BLOCK ? cap : FIO_BLOCK;
	if ((op->buf = bufcache_malloc(op->cap)) == NULL)
		fatal("out of memory");
	return op;
}

/* An operation around a buffer of the caller's. */
struct fio_op *
fio_op_wrap(uint8_t *buf, size_t len)
{
	struct fio_op *op = xcalloc(1, sizeof *op);

	op->kind = FIO_WRITE;
	op->buf = buf;
	op->cap = op->len = len;
	return op;
}

/* Free op and its buffer (kept for reuse by bufcache.c). */
void
fio_op_free(struct fio *io, struct fio_op *op)
{
	(void)io;
	if (op == NULL)
		return;
	bufcache_free(op->buf);
	free(op);
}

/* Queue op; a queue with nothing running becomes ready. */
void
fio_submit(struct fio_q *q, struct fio_op *op)
{
	struct fio *io = q->io;

	op->q = q;
	q->pending++;
	pthread_mutex_lock(&io->mu);
	TAILQ_INSERT_TAIL(&q->ops, op, entry);
	if (!q->ready && !q->running) {
		TAILQ_INSERT_TAIL(&io->ready, q, rentry);
		q->ready = 1;
		pthread_cond_signal(&io->cv);
	}
	pthread_mutex_unlock(&io->mu);
}

#ifndef _WIN32
/* A regular file, open the right way (pwrite needs no O_APPEND). On
 * Windows: server/win/fio_win.c. */
int
fio_fd_ok(int fd, int write)
{
	struct stat st;
	int fl, mode;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (fl = fcntl(fd, F_GETFL)) < 0)
		return 0;
	mode = fl & O_ACCMODE;
	if (write)
		return (mode == O_WRONLY || mode == O_RDWR) &&
		    (fl & O_APPEND) == 0;
	return mode == O_RDONLY || mode == O_RDWR;
}
#endif

/* A descriptor nobody took. */
void
fio_fd_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
