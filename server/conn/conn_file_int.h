/*
 * conn_file_int.h: what conn_file.c (the requests, the helper's replies,
 * the permission) and conn_fstream.c (the bytes of a transfer's files,
 * which the server reads or writes itself on the descriptor the helper
 * passed) share. Nothing else includes it.
 */
#ifndef CDESK_CONN_FILE_INT_H
#define CDESK_CONN_FILE_INT_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "ipc.pb-c.h"
#include "server/fio.h"

struct conn;
struct srv;

TAILQ_HEAD(conn_fops, fio_op);

/* A transfer the helper has not ended yet. */
struct conn_fjob {
	int32_t			 id;
	int			 read;		/* a download */
	int32_t			 file_num;	/* its file in progress */
	int			 cancelled;	/* the peer cancelled it */
	struct conn		*c;		/* borrowed: the owner */
	/* The file whose bytes the server moves (conn_fstream.c). */
	struct fio_q		*q;		/* owned, or NULL */
	int32_t			 sfile;		/* its file_num */
	int			 sskip;		/* upload: drop sfile's blocks */
	int			 opening;	/* upload: asked for sfile */
	int			 ending;	/* upload: flushing sfile */
	int			 err;		/* upload: a write failed */
	int			 eof;		/* download: the last block went */
	uint64_t		 off;		/* next offset read or written */
	uint64_t		 moved;		/* file bytes moved */
	int			 inflight;	/* download: read, not sent */
	struct conn_fops	 ready;		/* download: blocks read */
	size_t			 wbytes;	/* upload: bytes queued */
	/* The job's progress, for the CM's file log. */
	char			*path;		/* owned */
	uint64_t		 total;
	uint64_t		 base;		/* moved before this file */
	uint64_t		 log_ms;
	uint64_t		 log_bytes;
	uint64_t		 speed;
	TAILQ_ENTRY(conn_fjob)	 entry;
};

/* The file-transfer state of a connection (struct conn's files). */
struct conn_files {
	char			*dir;		/* the login's folder, owned */
	int			 hidden;
	int			 reads;		/* downloads running */
	int			 njobs;
	int			 held;		/* reading the peer is held */
	size_t			 wbytes;	/* upload bytes queued */
	/* An upload message that waits for the job's file (gate). */
	struct conn_fjob	*gate;		/* borrowed, or NULL */
	uint8_t			*gate_msg;	/* owned */
	size_t			 gate_len;
	uint8_t			*mbuf;		/* a packed block */
	size_t			 mcap;
	TAILQ_HEAD(, conn_fjob)	 jobs;
};

/* conn_file.c */
/* The tracked transfer id of c (read: a download), or NULL. */
struct conn_fjob *conn_file_job(struct conn *, int32_t id, int read);
/* Passes a packed message (p, n) to the helper. Returns 0 or ERR_*. */
int	conn_file_forward_raw(struct conn *, const uint8_t *p, size_t n,
	    int login);
/* Seals a packed message for the peer. 0, or -1 when c failed. */
int	conn_file_seal(struct conn *, const ProtobufCBinaryData *m);
/* Seals the packed message at m (room bytes free before it) in place
 * and hands it to the output by reference: 1 when taken (done frees it
 * once written), 0 when the caller must use conn_file_seal, -1 when c
 * failed. */
int	conn_file_seal_ref(struct conn *, uint8_t *m, size_t n, size_t room,
	    evbuffer_ref_cleanup_cb done, void *arg);
/* A log record: the CM's file log, the audit log. */
void	conn_file_log(struct srv *, struct conn *, int32_t conn_id,
	    const Ipc__FsLog *l);

/* conn_fstream.c */
/* Frames block data at buf + head (len bytes, FIO_HEAD free before and
 * FIO_TAIL after) as the packed Message{file_response{block}} protobuf-c
 * would make, in place; returns its start, its length in *n. */
uint8_t	*conn_fs_block_frame(uint8_t *buf, size_t head, size_t len,
	    int32_t id, int32_t file_num, int compressed, size_t *n);
/* The bytes before a block's data, at most. */
#define CONN_FS_HDR_MAX	48
/* A packed Message that is a file block exactly as conn_fs_block_frame
 * frames one: 1 with its fields and the data at p + *off (*len bytes);
 * else 0 (protobuf-c unpacks it). */
int	conn_fs_block_parse(const uint8_t *p, size_t n, int32_t *id,
	    int32_t *file_num, size_t *off, size_t *len, int *compressed);
/* The helper passed file st of job j with descriptor fd (taken; -1 with
 * skip). */
void	conn_fs_start(struct conn_fjob *, const Ipc__FsStream *st, int fd);
/* Stops j's file: its descriptor closes once the I/O on it returned. */
void	conn_fs_stop(struct conn_fjob *);
/* Sends the download blocks that are ready while the output has room,
 * and reads more. */
void	conn_fs_pump(struct conn *);
/* An upload FileResponse (p, n packed): blocks are written here, the rest
 * goes to the helper, each after what came before it is through. */
void	conn_fs_upload(struct conn *, const uint8_t *p, size_t n);
/* Holds or resumes reading the peer for the uploads of c. */
void	conn_fs_hold(struct conn *);
/* Drops the message waiting at the gate (the jobs are ending). */
void	conn_fs_ungate(struct conn *);
/* Takes the message that waited at the gate once it is open (gate NULL),
 * then resumes the peer: the caller is done with its state. */
void	conn_fs_release(struct conn *);

#endif
