/*
 * conn_fstream.c: the bytes of a transfer's files (PROTOCOL.md §10). The
 * file helper, running as the session's user, opens each file (a regular
 * one, never blocking; NAME.download for an upload) and passes its
 * descriptor; from there the server reads or writes that descriptor only,
 * on its I/O threads (server/fio.c), and tells the helper when the file
 * is through (FsRequest.stream_end), which then logs it, renames an
 * upload into place or goes on to the next file. The helper touches every
 * path; the server never names one.
 *
 * Downloads: CONN_FS_WINDOW blocks are read (and zstd'd) ahead; each goes
 * out when the connection's output has room, the empty block ends the
 * file. Uploads: a block of the open file is queued for writing (the peer
 * waits above CONN_FS_WHIGH bytes queued); the first block of another
 * file, and the peer's done, wait (the gate: reading the peer is held)
 * until the file before is flushed and the helper passed the next one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "server/bufcache.h"
#include "server/conn/conn_file_int.h"
#include "server/conn/conn_int.h"
#include "server/fio.h"
#include "server/fsh.h"
#include "server/srv.h"

#define CONN_FS_WINDOW	4		/* download blocks read ahead */
#define CONN_FS_LOW	(1024 * 1024)	/* send blocks below this output */
#define CONN_FS_WHIGH	(4u * 1024 * 1024)	/* upload bytes queued */
#define CONN_FS_WLOW	(1024u * 1024)
#define CONN_FS_LOG_MS	500		/* progress logs per job, at most */

static void	conn_fs_done(struct fio_op *, void *owner);
static void	conn_fs_take(struct conn *, const uint8_t *p, size_t n);

/* The server's I/O threads, started with the first file. */
static struct fio *
conn_fs_io(struct srv *srv)
{
	if (srv->fio == NULL)
		srv->fio = fio_new(srv->base, conn_fs_done);
	return srv->fio;
}

/* Stop j's file; what was queued for it is dropped. */
void
conn_fs_stop(struct conn_fjob *j)
{
	struct conn_files *f = j->c->files;
	struct fio_op *op;

	if (j->q != NULL)
		fio_q_close(j->q);
	j->q = NULL;
	while ((op = TAILQ_FIRST(&j->ready)) != NULL) {
		TAILQ_REMOVE(&j->ready, op, entry);
		fio_op_free(j->c->srv->fio, op);
	}
	if (f != NULL)
		f->wbytes -= j->wbytes;
	j->wbytes = 0;
	j->inflight = 0;
	j->opening = 0;
	j->ending = 0;
}

/* Tell the helper j's file is through (err 0) or failed; stop it. */
static void
conn_fs_end(struct conn_fjob *j, int err)
{
	Ipc__FsRequest r = IPC__FS_REQUEST__INIT;
	Ipc__FsStreamCtl e = IPC__FS_STREAM_CTL__INIT;
	struct conn *c = j->c;

	conn_fs_stop(j);
	e.job_id = j->id;
	e.file_num = j->sfile;
	e.bytes = j->moved;
	e.error = err;
	r.conn_id = (int32_t)c->id;
	r.stream_end = &e;
	/* A helper that is gone ends the job itself (conn_file_lost_cb). */
	if (fsh_pid(c->srv->fsh) != 0)
		fsh_send(c->srv->fsh, &r);
}

/* The job's progress for the CM, at most every CONN_FS_LOG_MS. */
static void
conn_fs_progress(struct conn_fjob *j)
{
	Ipc__FsLog l = IPC__FS_LOG__INIT;
	uint64_t now = mono_ms(), done = j->base + j->moved;

	if (now - j->log_ms < CONN_FS_LOG_MS)
		return;
	if (j->log_ms != 0 && now > j->log_ms && done >= j->log_bytes)
		j->speed = (done - j->log_bytes) * 1000 / (now - j->log_ms);
	j->log_ms = now;
	j->log_bytes = done;
	l.kind = IPC__FS_LOG__KIND__JOB;
	l.job_id = j->id;
	l.path = j->path != NULL ? j->path : (char *)"";
	l.is_remote = j->read != 0;
	l.total_size = j->total;
	l.finished_size = done;
	l.speed = j->speed;
	l.state = IPC__FILE_TRANSFER_LOG__STATE__RUNNING;
	l.error = (char *)"";
	conn_file_log(j->c->srv, j->c, (int32_t)j->c->id, &l);
}

/* The helper passed job j's next file (or said skip). */
void
conn_fs_start(struct conn_fjob *j, const Ipc__FsStream *st, int fd)
{
	struct conn *c = j->c;
	struct fio *io;

	if (j->cancelled || j->q != NULL || j->read == st->write ||
	    (!j->read && !j->opening)) {
		fio_fd_close(fd);
		return;
	}
	j->opening = 0;
	free(j->path);
	j->path = xstrdup(st->path);
	j->total = st->total;
	j->base = st->finished;
	j->sfile = st->file_num;
	j->off = st->offset;
	j->moved = 0;
	j->eof = 0;
	j->sskip = st->skip;
	if (!st->skip) {
		if ((io = conn_fs_io(c->srv)) == NULL ||
		    !fio_fd_ok(fd, st->write)) {
			fio_fd_close(fd);
			j->err = io == NULL ? EIO : EBADF;
			conn_fs_end(j, j->err);
		} else
			j->q = fio_q_new(io, fd, j, st->nocompress,
			    st->offset);
	}
	if (j->read)
		conn_fs_pump(c);
	else if (c->files->gate == j) {
		c->files->gate = NULL;
		conn_fs_release(c);
	}
}

/* Writes v as a varint at p; returns its length. */
static size_t
conn_fs_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return n;
}

/*
 * The bytes before a block's data (len of them) in Message{file_response{
 * block{id, file_num, data, compressed}}}, as protobuf-c packs it (fields
 * in order, defaults left out), into h (CONN_FS_HDR_MAX); returns their
 * length. compressed adds 2 bytes after the data.
 */
static size_t
conn_fs_block_hdr(uint8_t *h, size_t len, int32_t id, int32_t file_num,
    int compressed)
{
	uint8_t f[32], tmp[10];
	size_t fl = 0, hl = 0, bl;

	if (id != 0) {		/* int32: a negative one sign-extended */
		f[fl++] = 0x08;
		fl += conn_fs_varint(f + fl, (uint64_t)(int64_t)id);
	}
	if (file_num != 0) {	/* sint32: zigzag */
		f[fl++] = 0x10;
		fl += conn_fs_varint(f + fl, ((uint32_t)file_num << 1) ^
		    (uint32_t)(file_num >> 31));
	}
	if (len > 0) {
		f[fl++] = 0x1a;
		fl += conn_fs_varint(f + fl, len);
	}
	bl = fl + len + (compressed ? 2 : 0);
	/* Message.file_response (18), then FileResponse.block (2). */
	h[hl++] = 0x92;
	h[hl++] = 0x01;
	hl += conn_fs_varint(h + hl, 1 + conn_fs_varint(tmp, bl) + bl);
	h[hl++] = 0x12;
	hl += conn_fs_varint(h + hl, bl);
	memcpy(h + hl, f, fl);
	return hl + fl;
}

/*
 * Frame the block data at buf + head (len bytes; FIO_HEAD free before it,
 * FIO_TAIL after it) in place. Returns where the message starts; *n its
 * length.
 */
uint8_t *
conn_fs_block_frame(uint8_t *buf, size_t head, size_t len, int32_t id,
    int32_t file_num, int compressed, size_t *n)
{
	uint8_t h[CONN_FS_HDR_MAX];
	size_t hl = conn_fs_block_hdr(h, len, id, file_num, compressed);

	if (compressed) {
		buf[head + len] = 0x20;
		buf[head + len + 1] = 0x01;
	}
	buf += head - hl;
	memcpy(buf, h, hl);
	*n = hl + len + (compressed ? 2 : 0);
	return buf;
}

/* Reads a varint of at most 10 bytes at p[*i] (n bytes); 0 when cut. */
static int
conn_fs_get_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *v)
{
	unsigned k;

	*v = 0;
	for (k = 0; k < 10 && *i < n; k++) {
		*v |= (uint64_t)(p[*i] & 0x7f) << (7 * k);
		if ((p[(*i)++] & 0x80) == 0)
			return 1;
	}
	return 0;
}

/*
 * A packed Message that is a file block exactly as conn_fs_block_hdr
 * packs one (what protobuf-c and the stock client's prost make): 1 with
 * its fields, the data at p + *off (*len bytes, none copied); 0 for
 * anything else, which protobuf-c then unpacks. The header is made again
 * from the fields read and compared byte for byte, so that a message taken
 * here means what protobuf-c would read from it.
 */
int
conn_fs_block_parse(const uint8_t *p, size_t n, int32_t *id,
    int32_t *file_num, size_t *off, size_t *len, int *compressed)
{
	uint8_t h[CONN_FS_HDR_MAX];
	uint64_t v, dlen = 0;
	size_t i = 2, hl;
	uint32_t z;

	*id = *file_num = *compressed = 0;
	if (n < 4 || p[0] != 0x92 || p[1] != 0x01 ||
	    !conn_fs_get_varint(p, n, &i, &v) || i >= n || p[i++] != 0x12 ||
	    !conn_fs_get_varint(p, n, &i, &v))
		return 0;
	if (i < n && p[i] == 0x08) {
		i++;
		if (!conn_fs_get_varint(p, n, &i, &v))
			return 0;
		*id = (int32_t)(uint32_t)v;
	}
	if (i < n && p[i] == 0x10) {
		i++;
		if (!conn_fs_get_varint(p, n, &i, &v))
			return 0;
		z = (uint32_t)v;
		*file_num = (int32_t)((z >> 1) ^ (0u - (z & 1)));
	}
	if (i < n && p[i] == 0x1a) {
		i++;
		if (!conn_fs_get_varint(p, n, &i, &dlen) || dlen > n - i)
			return 0;
	}
	if (n - i - dlen == 2 && p[n - 2] == 0x20 && p[n - 1] == 0x01)
		*compressed = 1;
	else if (n - i != dlen)
		return 0;
	hl = conn_fs_block_hdr(h, (size_t)dlen, *id, *file_num, *compressed);
	if (hl != i || memcmp(h, p, hl) != 0)
		return 0;
	*off = i;
	*len = (size_t)dlen;
	return 1;
}

/* Seal one block of j's file for the peer; -1 when c failed. */
static int
conn_fs_send(struct conn *c, struct conn_fjob *j, const uint8_t *data,
    size_t len, int compressed)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__FileTransferBlock b = HBB__FILE_TRANSFER_BLOCK__INIT;
	struct conn_files *f = c->files;
	ProtobufCBinaryData bin;
	size_t n;

	b.id = j->id;
	b.file_num = j->sfile;
	b.data.data = (uint8_t *)data;
	b.data.len = len;
	b.compressed = compressed != 0;
	fr.union_case = HBB__FILE_RESPONSE__UNION_BLOCK;
	fr.block = &b;
	m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
	m.file_response = &fr;
	n = hbb__message__get_packed_size(&m);
	if (n > f->mcap) {
		free(f->mbuf);
		f->mcap = n;
		f->mbuf = xmalloc(n);
	}
	hbb__message__pack(&m, f->mbuf);
	bin.data = f->mbuf;
	bin.len = n;
	return conn_file_seal(c, &bin);
}

/* The output wrote a block it took by reference: its buffer is free. */
static void
conn_fs_sent(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	fio_op_free(NULL, arg);
}

/* Seal a block read into op (framed in place: no copy); op is taken.
 * -1 when c failed. */
static int
conn_fs_send_op(struct conn *c, struct conn_fjob *j, struct fio_op *op)
{
	ProtobufCBinaryData bin;
	int r;

	bin.data = conn_fs_block_frame(op->buf, op->head, op->len, j->id,
	    j->sfile, op->compressed, &bin.len);
	/* Sealed where it lies, the buffer goes to the output as it is. */
	r = conn_file_seal_ref(c, bin.data, bin.len,
	    (size_t)(bin.data - op->buf), conn_fs_sent, op);
	if (r == 0)
		r = conn_file_seal(c, &bin);
	else if (r == 1)
		return 0;
	fio_op_free(c->srv->fio, op);
	return r;
}

/* 1 while c's output takes more blocks. */
static int
conn_fs_room(struct conn *c)
{
	return !c->dead && c->ctrl_bytes +
	    evbuffer_get_length(bufferevent_get_output(c->bev)) < CONN_FS_LOW;
}

/* Send j's ready blocks while there is room; a short one is the file's
 * last, and the empty block follows it. -1 when c failed. */
static int
conn_fs_pump_job(struct conn *c, struct conn_fjob *j)
{
	struct fio_op *op;
	int last;

	while ((op = TAILQ_FIRST(&j->ready)) != NULL && conn_fs_room(c)) {
		TAILQ_REMOVE(&j->ready, op, entry);
		j->inflight--;
		last = op->raw < FIO_BLOCK;
		j->moved += op->raw;
		if (op->raw > 0) {
			if (conn_fs_send_op(c, j, op) != 0)
				return -1;
		} else
			fio_op_free(c->srv->fio, op);
		if (last && conn_fs_send(c, j, NULL, 0, 0) != 0)
			return -1;
		if (last) {
			j->eof = 1;
			conn_fs_progress(j);
			conn_fs_end(j, 0);
			return 0;
		}
	}
	while (j->q != NULL && j->inflight < CONN_FS_WINDOW) {
		op = fio_op_new(c->srv->fio, FIO_READ,
		    FIO_HEAD + FIO_BLOCK + FIO_TAIL);
		op->head = FIO_HEAD;
		op->off = j->off;
		j->off += FIO_BLOCK;
		j->inflight++;
		fio_submit(j->q, op);
	}
	conn_fs_progress(j);
	return 0;
}

/* Move every download of c on. */
void
conn_fs_pump(struct conn *c)
{
	struct conn_files *f = c->files;
	struct conn_fjob *j;

	if (f == NULL || f->reads == 0 || c->dead)
		return;
	TAILQ_FOREACH(j, &f->jobs, entry)
		if (j->read && (j->q != NULL || !TAILQ_EMPTY(&j->ready)) &&
		    conn_fs_pump_job(c, j) != 0)
			return;
}

/* Hold reading the peer while an upload message waits at the gate, the
 * writes queued are many, or the helper is behind; resume below the low
 * marks. */
void
conn_fs_hold(struct conn *c)
{
	struct conn_files *f = c->files;
	int want;

	if (f == NULL || c->dead)
		return;
	want = f->gate != NULL || f->gate_msg != NULL ||
	    f->wbytes > (f->held ? CONN_FS_WLOW : CONN_FS_WHIGH) ||
	    fsh_backlog(c->srv->fsh) > (f->held ? FSH_LOW : FSH_HIGH);
	if (want == f->held)
		return;
	f->held = want;
	/* May read (and handle) the peer's next messages: callers are done
	 * with their state by now. */
	conn_read_hold(c, want);
}

/* Park message (p, n) until job j's file is ready. */
static void
conn_fs_gate(struct conn *c, struct conn_fjob *j, const uint8_t *p,
    size_t n)
{
	struct conn_files *f = c->files;

	f->gate = j;
	free(f->gate_msg);
	f->gate_msg = xmalloc(n ? n : 1);
	memcpy(f->gate_msg, p, n);
	f->gate_len = n;
}

/* The gate opened (its job's file is ready, or the job ended): take the
 * message that waited, then let the peer go on. */
void
conn_fs_release(struct conn *c)
{
	struct conn_files *f = c->files;
	uint8_t *m;
	size_t n;

	if (f == NULL || f->gate != NULL)
		return;
	if ((m = f->gate_msg) != NULL) {
		n = f->gate_len;
		f->gate_msg = NULL;
		f->gate_len = 0;
		conn_fs_take(c, m, n);
		free(m);
	}
	conn_fs_hold(c);
}

/* Drop what waits at the gate: its jobs are being ended. */
void
conn_fs_ungate(struct conn *c)
{
	struct conn_files *f = c->files;

	if (f == NULL)
		return;
	free(f->gate_msg);
	f->gate_msg = NULL;
	f->gate_len = 0;
	f->gate = NULL;
}

/* Flush j's file; its end goes to the helper when that is done. */
static void
conn_fs_flush(struct conn_fjob *j)
{
	if (j->ending)
		return;
	j->ending = 1;
	fio_submit(j->q, fio_op_new(j->c->srv->fio, FIO_SYNC, 0));
}

/* Ask the helper for file file_num of upload j. */
static void
conn_fs_open(struct conn_fjob *j, int32_t file_num)
{
	Ipc__FsRequest r = IPC__FS_REQUEST__INIT;
	Ipc__FsStreamCtl o = IPC__FS_STREAM_CTL__INIT;
	struct conn *c = j->c;

	j->opening = 1;
	j->sskip = 0;
	j->sfile = file_num;
	o.job_id = j->id;
	o.file_num = file_num;
	r.conn_id = (int32_t)c->id;
	r.open = &o;
	if (fsh_pid(c->srv->fsh) != 0)
		fsh_send(c->srv->fsh, &r);
}

/* A block of upload b->id: written when its file is open, else parked
 * (p, n) until it is. */
static void
conn_fs_block(struct conn *c, Hbb__FileTransferBlock *b, const uint8_t *p,
    size_t n)
{
	struct conn_fjob *j = conn_file_job(c, b->id, 0);
	struct fio_op *op;

	if (j == NULL || j->cancelled || j->err)
		return;
	if (j->sfile == b->file_num && j->sskip)
		return;
	if (j->sfile == b->file_num && j->q != NULL && !j->ending) {
		if (b->data.len == 0)
			return;
		/* The unpacked data goes to the thread as it is. */
		op = fio_op_wrap(b->data.data, b->data.len);
		b->data.data = NULL;
		b->data.len = 0;
		op->compressed = b->compressed;
		j->wbytes += op->len;
		c->files->wbytes += op->len;
		fio_submit(j->q, op);
		return;
	}
	/* Another file (or the first): flush the one before, then ask. */
	if (j->q != NULL)
		conn_fs_flush(j);
	else if (!j->opening)
		conn_fs_open(j, b->file_num);
	conn_fs_gate(c, j, p, n);
}

/*
 * A block for the open file of its job, in the frame buffer the connection
 * read it into (c->rx_own): that buffer goes to the I/O thread as it is,
 * with the data where it lies. 1 when taken; 0 leaves it to protobuf-c.
 */
static int
conn_fs_block_fast(struct conn *c, const uint8_t *p, size_t n)
{
	struct conn_fjob *j;
	struct fio_op *op;
	int32_t id, file_num;
	size_t off, len;
	int compressed;

	if (c->rx_own == NULL || p < c->rx_own ||
	    p + n > c->rx_own + c->rx_own_len ||
	    !conn_fs_block_parse(p, n, &id, &file_num, &off, &len,
	    &compressed) || len == 0 ||
	    (j = conn_file_job(c, id, 0)) == NULL || j->cancelled ||
	    j->err || j->sskip || j->sfile != file_num || j->q == NULL ||
	    j->ending)
		return 0;
	op = fio_op_wrap(c->rx_own, len);
	op->head = (size_t)(p + off - c->rx_own);
	op->cap = c->rx_own_len;
	c->rx_own = NULL;
	op->compressed = compressed;
	j->wbytes += op->len;
	c->files->wbytes += op->len;
	fio_submit(j->q, op);
	return 1;
}

/* One upload message (p, n packed, a FileResponse): in order. */
static void
conn_fs_take(struct conn *c, const uint8_t *p, size_t n)
{
	Hbb__Message *m;
	Hbb__FileResponse *fr;
	struct conn_fjob *j;

	if (conn_fs_block_fast(c, p, n))
		return;
	/* Into reused buffers, which the I/O thread then writes from. */
	m = hbb__message__unpack(&bufcache_pb, n, p);
	if (m == NULL || m->union_case != HBB__MESSAGE__UNION_FILE_RESPONSE) {
		if (m != NULL)
			hbb__message__free_unpacked(m, &bufcache_pb);
		return;
	}
	fr = m->file_response;
	switch (fr->union_case) {
	case HBB__FILE_RESPONSE__UNION_BLOCK:
		conn_fs_block(c, fr->block, p, n);
		break;
	case HBB__FILE_RESPONSE__UNION_DONE:
		/* The last file is flushed and ended before done goes on. */
		j = conn_file_job(c, fr->done->id, 0);
		if (j != NULL && j->q != NULL) {
			conn_fs_flush(j);
			conn_fs_gate(c, j, p, n);
		} else
			conn_file_forward_raw(c, p, n, 0);
		break;
	case HBB__FILE_RESPONSE__UNION_ERROR:
		/* The peer gave up: the partial file stays for a resume. */
		if ((j = conn_file_job(c, fr->error->id, 0)) != NULL)
			conn_fs_stop(j);
		conn_file_forward_raw(c, p, n, 0);
		break;
	default:
		conn_file_forward_raw(c, p, n, 0);
		break;
	}
	hbb__message__free_unpacked(m, &bufcache_pb);
}

/* An upload message of the peer. */
void
conn_fs_upload(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->files->gate_msg != NULL) {
		/* Reading is held while one waits: never reached. */
		log_warn("conn %u: upload message while one waits: dropped",
		    c->id);
		return;
	}
	conn_fs_take(c, p, n);
	conn_fs_hold(c);
}

/* An I/O operation of job owner came back. */
static void
conn_fs_done(struct fio_op *op, void *owner)
{
	struct conn_fjob *j = owner;
	struct conn *c = j->c;
	struct conn_files *f = c->files;
	enum fio_kind kind = op->kind;
	int err = op->err;

	if (kind == FIO_READ) {
		if (err == 0) {
			TAILQ_INSERT_TAIL(&j->ready, op, entry);
			conn_fs_pump(c);
			return;
		}
		fio_op_free(c->srv->fio, op);
		conn_fs_end(j, err);
		return;
	}
	if (kind == FIO_WRITE) {
		j->wbytes -= op->len;
		f->wbytes -= op->len;
		j->moved += op->raw;
	}
	fio_op_free(c->srv->fio, op);
	if (kind == FIO_WRITE && err == 0) {
		conn_fs_progress(j);
		conn_fs_hold(c);
		return;
	}
	/* A write failed (the disk is full: the partial file stays), or
	 * the flush returned: the helper fails the job or renames. */
	j->err = err;
	conn_fs_end(j, err);
	if (f->gate == j) {
		f->gate = NULL;
		conn_fs_release(c);
	} else
		conn_fs_hold(c);
}
