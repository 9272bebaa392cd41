/*
 * fio.h: the server's file I/O threads. A transfer's bytes are read from
 * or written to a descriptor the file helper opened as the session's user
 * (server/fsh.c passes it); a read, a write or a flush on a slow disk or
 * NFS must not hold up the event loop, so they run here, on a few threads
 * of their own. Each descriptor has a queue (fio_q) whose operations run
 * one at a time in order; finished operations come back to the loop
 * through the callback given to fio_new. zstd runs here too (download
 * blocks are compressed, upload blocks inflated, PROTOCOL.md §1.6).
 */
#ifndef CDESK_FIO_H
#define CDESK_FIO_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct fio;
struct fio_q;

#define FIO_BLOCK	(128 * 1024)	/* file data per block (§10) */
/* Room a read leaves before its data (head) and after it, for the
 * caller's framing: a block goes out without another copy. */
#define FIO_HEAD	48
#define FIO_TAIL	16
/* A queue's writes start their writeback (Linux) each time this many
 * bytes more were written since the last start. */
#define FIO_KICK_STEP	(8u * 1024 * 1024)
/* Largest block an upload may inflate to (the stock client: 128 KiB). */
#define FIO_INFLATE_MAX	(8 * 1024 * 1024)

enum fio_kind {
	FIO_READ,	/* up to FIO_BLOCK at off, to buf + head; zstd when
			   it helps */
	FIO_WRITE,	/* buf (zstd when compressed) where the last ended */
	FIO_SYNC,	/* fdatasync */
};

struct fio_op {
	enum fio_kind		 kind;
	uint64_t		 off;
	uint8_t			*buf;		/* owned */
	size_t			 cap;
	size_t			 head;		/* data at buf + head */
	size_t			 len;		/* bytes of data that count */
	size_t			 raw;		/* file bytes read or written */
	int			 compressed;	/* buf holds zstd */
	int			 err;		/* 0 or an errno */
	struct fio_q		*q;		/* borrowed */
	TAILQ_ENTRY(fio_op)	 entry;
};

/* An operation is done (err, raw, len, buf set); op is the callee's. */
typedef void	(*fio_done_cb)(struct fio_op *, void *owner);

/* Threads and their way back to the loop of base. NULL when they could
 * not start. */
struct fio	*fio_new(struct event_base *base, fio_done_cb cb);
/* Waits for running operations, closes every queue's descriptor. */
void		 fio_free(struct fio *);
/* A queue for fd (taken) whose operations report to owner; its writes
 * go one after another from off (an inflated size is known only there). */
struct fio_q	*fio_q_new(struct fio *, int fd, void *owner, int nocompress,
		    uint64_t off);
/* Drops what q has not started, closes its descriptor once the running
 * operation returned and frees q; nothing of q is reported any more. */
void		 fio_q_close(struct fio_q *);
/* Operations of q not yet reported. */
size_t		 fio_q_pending(const struct fio_q *);
/* A write of buf (len bytes, from bufcache_malloc: taken), no copy. */
struct fio_op	*fio_op_wrap(uint8_t *buf, size_t len);
/* A new operation with room for cap bytes. */
struct fio_op	*fio_op_new(struct fio *, enum fio_kind, size_t cap);
void		 fio_op_free(struct fio *, struct fio_op *);
/* Queues op on q (taken). */
void		 fio_submit(struct fio_q *, struct fio_op *);
/* 1 if fd is a regular file open for writing (write) or reading. */
int		 fio_fd_ok(int fd, int write);
/* Closes a descriptor that no queue took. */
void		 fio_fd_close(int fd);

#endif
