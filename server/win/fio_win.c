/*
 * fio_win.c: the file I/O threads (fio.h) on Windows, where file transfer
 * is not built yet (fsh_win.c): no helper passes a descriptor, so there
 * is nothing to read or write. fio_new gives NULL and the rest is never
 * reached with a queue.
 */
#include <stdlib.h>

#include "common/xmalloc.h"
#include "server/fio.h"

/* No threads: file transfer is not available on Windows yet. */
struct fio *
fio_new(struct event_base *base, fio_done_cb cb)
{
	(void)base;
	(void)cb;
	return NULL;
}

/* Nothing to stop. */
void
fio_free(struct fio *io)
{
	(void)io;
}

/* Never called without threads. */
struct fio_q *
fio_q_new(struct fio *io, int fd, void *owner, int nocompress, uint64_t off)
{
	(void)io;
	(void)fd;
	(void)owner;
	(void)nocompress;
	(void)off;
	return NULL;
}

/* No queue exists. */
void
fio_q_close(struct fio_q *q)
{
	(void)q;
}

/* No queue exists. */
size_t
fio_q_pending(const struct fio_q *q)
{
	(void)q;
	return 0;
}

/* An operation nobody runs (never called without queues). */
struct fio_op *
fio_op_new(struct fio *io, enum fio_kind kind, size_t cap)
{
	struct fio_op *op = fio_op_wrap(xmalloc(cap ? cap : 1), 0);

	(void)io;
	op->kind = kind;
	op->cap = cap;
	return op;
}

/* An operation around buf (never called without queues). */
struct fio_op *
fio_op_wrap(uint8_t *buf, size_t len)
{
	struct fio_op *op = xcalloc(1, sizeof *op);

	op->kind = FIO_WRITE;
	op->buf = buf;
	op->cap = op->len = len;
	return op;
}

/* Frees op. */
void
fio_op_free(struct fio *io, struct fio_op *op)
{
	(void)io;
	if (op != NULL)
		free(op->buf);
	free(op);
}

/* Never reached: no queue to submit to. */
void
fio_submit(struct fio_q *q, struct fio_op *op)
{
	(void)q;
	fio_op_free(NULL, op);
}

/* No descriptor is ever passed. */
int
fio_fd_ok(int fd, int write)
{
	(void)fd;
	(void)write;
	return 0;
}

/* No descriptor is ever passed. */
void
fio_fd_close(int fd)
{
	(void)fd;
}
