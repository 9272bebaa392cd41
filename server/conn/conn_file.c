/*
 * conn_file.c: a connection's file transfer (PROTOCOL.md §10, HOST.md
 * §5.10). The server touches no path a peer names: each FileAction (and
 * each FileResponse of an upload) is checked against the permission and
 * passed to the file helper of the desktop session (server/fsh.c), which
 * does the work as that user and answers with messages this file queues
 * for the peer unchanged; for the files of a transfer it passes an open
 * descriptor, whose bytes conn_fstream.c moves. What stays here: the
 * `file` permission (off stops the running transfers), the transfers in
 * flight (so a helper that dies costs each of them a clear error), and
 * the CM's file log and the audit records the helper's logs turn into.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/perm.h"
#include "common/sstream.h"
#include "common/xmalloc.h"
#include "server/audit.h"
#include "server/bufcache.h"
#include "server/cmlink.h"
#include "server/conn/conn_file_int.h"
#include "server/conn/conn_int.h"
#include "server/fio.h"
#include "server/fsh.h"
#include "server/srv.h"

#define CONN_FILE_LOW		(1024 * 1024)	/* seal straight below this */
#define CONN_FILE_JOBS_MAX	64		/* transfers at once */
/* The texts a peer sees (upstream's where upstream has one). */
#define CONN_FILE_DENIED	"No permission of file transfer"
#define CONN_FILE_ONE_WAY	"one-way-file-transfer-tip"
#define CONN_FILE_LOST		"connection manager error: the file helper " \
				"stopped"
#define CONN_FILE_SESSION	"connection manager error: the desktop " \
				"session changed"
#define CONN_FILE_NO_HELPER	"connection manager error: no file helper " \
				"for this desktop session"
#define CONN_FILE_TOO_MANY	"too many file transfers at once"

/* c's file state, made on first use. */
static struct conn_files *
conn_files(struct conn *c)
{
	if (c->files == NULL) {
		c->files = xcalloc(1, sizeof *c->files);
		TAILQ_INIT(&c->files->jobs);
	}
	return c->files;
}

/* Tell the peer FileResponse.error{id, text, file_num}. */
static void
conn_file_error(struct conn *c, int32_t id, const char *text,
    int32_t file_num)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__FileTransferError e = HBB__FILE_TRANSFER_ERROR__INIT;

	e.id = id;
	e.error = (char *)text;
	e.file_num = file_num;
	fr.union_case = HBB__FILE_RESPONSE__UNION_ERROR;
	fr.error = &e;
	m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
	m.file_response = &fr;
	conn_send(c, &m);
}

/* The id a FileAction carries (read_dir and read_empty_dirs: none, -1). */
static int32_t
conn_file_action_id(const Hbb__FileAction *fa, int *modifies)
{
	*modifies = 1;
	switch (fa->union_case) {
	case HBB__FILE_ACTION__UNION_SEND:
		return fa->send->id;
	case HBB__FILE_ACTION__UNION_REMOVE_FILE:
		return fa->remove_file->id;
	case HBB__FILE_ACTION__UNION_RENAME:
		return fa->rename->id;
	case HBB__FILE_ACTION__UNION_CREATE:
		return fa->create->id;
	case HBB__FILE_ACTION__UNION_REMOVE_DIR:
		return fa->remove_dir->id;
	default:
		break;
	}
	*modifies = 0;
	switch (fa->union_case) {
	case HBB__FILE_ACTION__UNION_RECEIVE:
		return fa->receive->id;
	case HBB__FILE_ACTION__UNION_ALL_FILES:
		return fa->all_files->id;
	case HBB__FILE_ACTION__UNION_CANCEL:
		return fa->cancel->id;
	case HBB__FILE_ACTION__UNION_SEND_CONFIRM:
		return fa->send_confirm->id;
	default:
		return -1;
	}
}

/* 1 if the peer may touch files now (the option and its permission). */
static int
conn_file_allowed(struct conn *c)
{
	return c->perm[PERM_FILE] &&
	    cfg_bool(c->srv->cfg, "enable-file-transfer");
}

/* Pass a packed message (p, n) to the helper. Returns 0 or ERR_*. */
int
conn_file_forward_raw(struct conn *c, const uint8_t *p, size_t n, int login)
{
	Ipc__FsRequest r = IPC__FS_REQUEST__INIT;
	int e;

	r.conn_id = (int32_t)c->id;
	r.peer_version = c->peer_version;
	r.login = login != 0;
	r.message.data = (uint8_t *)p;
	r.message.len = n;
	if ((e = fsh_send(c->srv->fsh, &r)) != 0)
		log_warn_r(e, "conn %u: file helper", c->id);
	return e;
}

/* Pass m (may be NULL) to the helper. Returns 0 or ERR_*. */
static int
conn_file_forward(struct conn *c, const Hbb__Message *m, int login)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	int e;

	if (m != NULL) {
		n = hbb__message__get_packed_size(m);
		buf = xmalloc(n ? n : 1);
		hbb__message__pack(m, buf);
	}
	e = conn_file_forward_raw(c, buf, n, login);
	free(buf);
	return e;
}

/* Remember a transfer until the helper ends it. */
static void
conn_file_track(struct conn *c, int32_t id, int read)
{
	struct conn_files *f = conn_files(c);
	struct conn_fjob *j = xcalloc(1, sizeof *j);

	j->id = id;
	j->read = read;
	j->c = c;
	j->sfile = -1;
	TAILQ_INIT(&j->ready);
	TAILQ_INSERT_TAIL(&f->jobs, j, entry);
	f->njobs++;
	f->reads += read;
}

/* When no connection moves files any more, the buffers kept for their
 * blocks go back (bufcache.c). */
static void
conn_file_idle(struct srv *srv)
{
	struct conn *c;

	TAILQ_FOREACH(c, &srv->conns, entry)
		if (c->files != NULL && c->files->njobs > 0)
			return;
	bufcache_trim();
}

/* Forget transfer id (the helper ended it); 0 if it was not known. */
static int
conn_file_untrack(struct conn *c, int32_t id)
{
	struct conn_files *f = c->files;
	struct conn_fjob *j;

	if (f == NULL)
		return 0;
	TAILQ_FOREACH(j, &f->jobs, entry)
		if (j->id == id)
			break;
	if (j == NULL)
		return 0;
	conn_fs_stop(j);
	if (f->gate == j)
		f->gate = NULL;	/* its message goes on (conn_fs_release) */
	TAILQ_REMOVE(&f->jobs, j, entry);
	f->njobs--;
	f->reads -= j->read;
	free(j->path);
	free(j);
	if (f->njobs == 0)
		conn_file_idle(c->srv);
	return 1;
}

/* The transfer id of c (read: a download), or NULL. */
struct conn_fjob *
conn_file_job(struct conn *c, int32_t id, int read)
{
	struct conn_fjob *j;

	if (c->files == NULL)
		return NULL;
	TAILQ_FOREACH(j, &c->files->jobs, entry)
		if (j->id == id && j->read == read)
			return j;
	return NULL;
}

/* The output drained: more download blocks may go. */
void
conn_file_pump(struct conn *c)
{
	conn_fs_pump(c);
}

/* The peer cancels transfer id: its file stops here at once (the
 * helper, told next, removes a partial upload). */
static void
conn_file_cancel(struct conn *c, int32_t id)
{
	struct conn_fjob *j;
	int read;

	for (read = 0; read < 2; read++)
		if ((j = conn_file_job(c, id, read)) != NULL) {
			j->cancelled = 1;
			conn_fs_stop(j);
		}
}

/* The helper did not take fa (e: fsh_send's why): the peer hears so, and
 * a transfer is forgotten. */
static void
conn_file_unsent(struct conn *c, const Hbb__FileAction *fa, int e)
{
	int32_t id;
	int modifies;

	id = conn_file_action_id(fa, &modifies);
	if (fa->union_case == HBB__FILE_ACTION__UNION_SEND ||
	    fa->union_case == HBB__FILE_ACTION__UNION_RECEIVE)
		conn_file_untrack(c, id);
	if (id >= 0)
		conn_file_error(c, id, e == ERR_TOOBIG ?
		    "request too large" : CONN_FILE_NO_HELPER, 0);
}

/* A FileAction: check it, remember transfers, pass it on. */
static void
conn_file_action(struct conn *c, const Hbb__Message *m)
{
	const Hbb__FileAction *fa = m->file_action;
	struct conn_files *f = conn_files(c);
	int32_t id;
	int modifies, transfer, e;

	id = conn_file_action_id(fa, &modifies);
	if (!conn_file_allowed(c)) {
		if (id >= 0)
			conn_file_error(c, id, CONN_FILE_DENIED, 0);
		return;
	}
	if (modifies && cfg_bool(c->srv->cfg, "one-way-file-transfer")) {
		conn_file_error(c, id, CONN_FILE_ONE_WAY, 0);
		return;
	}
	transfer = fa->union_case == HBB__FILE_ACTION__UNION_SEND ||
	    fa->union_case == HBB__FILE_ACTION__UNION_RECEIVE;
	if (transfer && f->njobs >= CONN_FILE_JOBS_MAX) {
		conn_file_error(c, id, CONN_FILE_TOO_MANY, 0);
		return;
	}
	if (transfer) {
		conn_file_untrack(c, id);
		conn_file_track(c, id,
		    fa->union_case == HBB__FILE_ACTION__UNION_SEND);
	}
	if (fa->union_case == HBB__FILE_ACTION__UNION_CANCEL)
		conn_file_cancel(c, id);
	if ((e = conn_file_forward(c, m, 0)) != 0)
		conn_file_unsent(c, fa, e);
}

/* Upload data (p, n packed) for a job the helper knows; nothing without
 * one (conn_fstream.c writes the blocks, the rest goes to the helper). */
static void
conn_file_upload(struct conn *c, const uint8_t *p, size_t n)
{
	struct conn_files *f = c->files;

	if ((c->kind != LOGIN_KIND_FILE && c->kind != LOGIN_KIND_REMOTE) ||
	    f == NULL || f->njobs == 0 || !conn_file_allowed(c))
		return;
	conn_fs_upload(c, p, n);
}

/* A Message that is only a FileResponse: an upload's, parsed once in
 * conn_fstream.c. */
int
conn_recv_file_raw(struct conn *c, const uint8_t *p, size_t n)
{
	uint64_t len = 0;
	size_t i;

	/* Field 18 (file_response), length-delimited, and nothing after. */
	if (n < 3 || p[0] != 0x92 || p[1] != 0x01)
		return 0;
	for (i = 2; i < n && i < 12; i++) {
		len |= (uint64_t)(p[i] & 0x7f) << (7 * (i - 2));
		if ((p[i] & 0x80) == 0)
			break;
	}
	if (i >= n || i >= 12 || len != n - i - 1)
		return 0;
	conn_file_upload(c, p, n);
	return 1;
}

/* The peer's FileAction or FileResponse (uploads), in any session that
 * may move files. */
void
conn_recv_file(struct conn *c, const Hbb__Message *m)
{
	uint8_t *buf;
	size_t n;

	if (c->kind != LOGIN_KIND_FILE && c->kind != LOGIN_KIND_REMOTE)
		return;
	if (m->union_case == HBB__MESSAGE__UNION_FILE_ACTION) {
		conn_file_action(c, m);
		return;
	}
	n = hbb__message__get_packed_size(m);
	buf = xmalloc(n ? n : 1);
	hbb__message__pack(m, buf);
	conn_file_upload(c, buf, n);
	free(buf);
}

/* Keep the folder of a file-transfer login for the first listing. */
void
conn_file_latch(struct conn *c, const Hbb__LoginRequest *lr)
{
	struct conn_files *f;

	if (lr->union_case != HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER)
		return;
	f = conn_files(c);
	free(f->dir);
	f->dir = xstrdup(lr->file_transfer->dir);
	f->hidden = lr->file_transfer->show_hidden;
}

/* A file-transfer session starts with a listing of its folder (or the
 * user's home when it is none). */
void
conn_file_login(struct conn *c)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__ReadDir rd = HBB__READ_DIR__INIT;
	struct conn_files *f = c->files;

	if (c->kind != LOGIN_KIND_FILE || f == NULL || !conn_file_allowed(c))
		return;
	rd.path = f->dir;
	rd.include_hidden = f->hidden;
	fa.union_case = HBB__FILE_ACTION__UNION_READ_DIR;
	fa.read_dir = &rd;
	m.union_case = HBB__MESSAGE__UNION_FILE_ACTION;
	m.file_action = &fa;
	conn_file_forward(c, &m, 1);
}

/* The file permission changed: off stops every running transfer. */
void
conn_file_permission(struct conn *c)
{
	Ipc__FsRequest r = IPC__FS_REQUEST__INIT;
	struct conn_files *f = c->files;
	struct conn_fjob *j;

	if (c->perm[PERM_FILE] || f == NULL || f->njobs == 0 ||
	    fsh_pid(c->srv->fsh) == 0)
		return;
	/* No more bytes move; the helper tells the peer for each (after the
	 * blocks sent) and ends them; their ends untrack them here. */
	TAILQ_FOREACH(j, &f->jobs, entry) {
		j->cancelled = 1;
		conn_fs_stop(j);
	}
	r.conn_id = (int32_t)c->id;
	r.close = 1;
	r.stop_error = (char *)CONN_FILE_DENIED;
	fsh_send(c->srv->fsh, &r);
	conn_fs_ungate(c);
	conn_fs_hold(c);
}

/* The connection ends: the helper drops its jobs (uploads stay partial,
 * for a resume). */
void
conn_file_close(struct conn *c)
{
	Ipc__FsRequest r = IPC__FS_REQUEST__INIT;
	struct conn_files *f = c->files;
	struct conn_fjob *j;

	if (f == NULL)
		return;
	if (fsh_pid(c->srv->fsh) != 0) {
		r.conn_id = (int32_t)c->id;
		r.close = 1;
		fsh_send(c->srv->fsh, &r);
	}
	while ((j = TAILQ_FIRST(&f->jobs)) != NULL) {
		conn_fs_stop(j);
		TAILQ_REMOVE(&f->jobs, j, entry);
		free(j->path);
		free(j);
	}
	free(f->gate_msg);
	free(f->mbuf);
	free(f->dir);
	free(f);
	c->files = NULL;
}

/* A helper's log record: the CM's file log, the audit log. */
void
conn_file_log(struct srv *srv, struct conn *c, int32_t conn_id,
    const Ipc__FsLog *l)
{
	struct cmlink_file_log fl;
	struct conn_fjob *j;

	if (l->kind == IPC__FS_LOG__KIND__FILE && c != NULL &&
	    c->files != NULL)
		TAILQ_FOREACH(j, &c->files->jobs, entry)
			if (j->id == l->job_id)
				j->file_num++;
	if (l->kind != IPC__FS_LOG__KIND__JOB ||
	    l->state != IPC__FILE_TRANSFER_LOG__STATE__RUNNING)
		conn_audit_file(srv, c, conn_id, l);
	if (l->kind != IPC__FS_LOG__KIND__JOB || srv->cm == NULL || c == NULL)
		return;
	memset(&fl, 0, sizeof fl);
	fl.conn_id = conn_id;
	fl.job_id = l->job_id;
	fl.path = l->path;
	fl.is_remote = l->is_remote;
	fl.total_size = l->total_size;
	fl.finished_size = l->finished_size;
	fl.speed = l->speed;
	fl.state = (int)l->state;
	fl.error = l->error;
	cmlink_file_log(srv->cm, &fl);
}

/* The first bytes of a Message whose union is file_action (17) or
 * file_response (18): the only messages a helper may have us send. */
static int
conn_file_msg_ok(const ProtobufCBinaryData *b)
{
	return b->len >= 2 && (b->data[0] == 0x8a || b->data[0] == 0x92) &&
	    b->data[1] == 0x01;
}

/*
 * Send a message of the helper: sealed straight into the socket's output
 * when nothing waits before it there (no copy to a queue: a download
 * block is copied once here), else queued behind what waits. The output
 * stays bounded: blocks go only while it has room (conn_fs_pump). Returns
 * 0, or -1 when the connection failed.
 */
int
conn_file_seal(struct conn *c, const ProtobufCBinaryData *m)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_iovec iov;
	struct msgbuf *b;
	size_t flen;
	int r;

	if (c->dead || c->raw)
		return -1;
	if (!TAILQ_EMPTY(&c->ctrl) || !TAILQ_EMPTY(&c->video) ||
	    evbuffer_get_length(out) >= CONN_FILE_LOW) {
		b = msgbuf_new(m->len);
		memcpy(b->data, m->data, m->len);
		conn_enqueue(c, b, SVC_Q_CONTROL);
		msgbuf_unref(b);
		return c->dead ? -1 : 0;
	}
	flen = sstream_frame_len(c->ss, m->len);
	if (flen == 0 || evbuffer_reserve_space(out, (ev_ssize_t)flen,
	    &iov, 1) < 1) {
		conn_close(c, "write: a file message too large");
		return -1;
	}
	if ((r = sstream_seal(c->ss, m->data, m->len, iov.iov_base,
	    flen)) < 0) {
		conn_close(c, "seal failed");
		return -1;
	}
	iov.iov_len = (size_t)r;
	evbuffer_commit_space(out, &iov, 1);
	return 0;
}

/*
 * Seal the packed message at m (n bytes, room bytes free before it) where
 * it lies and give the output that buffer by reference: no copy but the
 * encryption's (none at all in plaintext), when nothing waits before it
 * there. 1 when the output took it (done(data, len, arg) frees it once
 * written), 0 when the caller seals it with conn_file_seal, -1 when c
 * failed.
 */
int
conn_file_seal_ref(struct conn *c, uint8_t *m, size_t n, size_t room,
    evbuffer_ref_cleanup_cb done, void *arg)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t flen;
	int r;

	if (c->dead || c->raw)
		return -1;
	if (!TAILQ_EMPTY(&c->ctrl) || !TAILQ_EMPTY(&c->video) ||
	    evbuffer_get_length(out) >= CONN_FILE_LOW ||
	    (flen = sstream_frame_len(c->ss, n)) == 0 || flen - n > room)
		return 0;
	/* libsodium seals over the plaintext; in plaintext mode the move
	 * is one of no distance. */
	if ((r = sstream_seal(c->ss, m, n, m - (flen - n), flen)) < 0) {
		conn_close(c, "seal failed");
		return -1;
	}
	if (evbuffer_add_reference(out, m - (flen - n), (size_t)r, done,
	    arg) != 0) {
		conn_close(c, "write: out of memory");
		return -1;
	}
	return 1;
}

/* A reply of the helper: a file's descriptor, or a message to queue, a
 * log, a job's end. */
static void
conn_file_reply_cb(const Ipc__FsReply *r, int fd, void *arg)
{
	struct srv *srv = arg;
	struct conn *c = conn_find(srv, (uint32_t)r->conn_id);
	struct conn_fjob *j;

	if (r->log != NULL)
		conn_file_log(srv, c, r->conn_id, r->log);
	if (c == NULL || c->files == NULL || c->dead) {
		fio_fd_close(fd);
		return;
	}
	if (r->stream != NULL) {
		if ((j = conn_file_job(c, r->job_id, !r->stream->write)) !=
		    NULL)
			conn_fs_start(j, r->stream, fd);
		else
			fio_fd_close(fd);
		return;
	}
	if (r->message.len > 0) {
		if (!conn_file_msg_ok(&r->message)) {
			log_warn("conn %u: the file helper sent a message "
			    "that is not a file message: dropped", c->id);
			return;
		}
		if (conn_file_seal(c, &r->message) != 0)
			return;
	}
	if (r->end)
		conn_file_untrack(c, r->job_id);
	conn_fs_pump(c);
	if (!c->dead && c->files != NULL)
		conn_fs_release(c);
}

/* The helper is gone: every transfer in flight fails, visibly (saying
 * so when the desktop's user changed). */
static void
conn_file_lost_cb(const char *why, void *arg)
{
	struct srv *srv = arg;
	struct conn *c, *next;
	struct conn_fjob *j;
	const char *text = strcmp(why, FSH_WHY_SESSION) == 0 ?
	    CONN_FILE_SESSION : CONN_FILE_LOST;

	/* Resuming a peer may close a connection: walk with a saved next. */
	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->dead || c->files == NULL)
			continue;
		while ((j = TAILQ_FIRST(&c->files->jobs)) != NULL) {
			log_info("conn %u: file job %d: %s", c->id, j->id, why);
			conn_file_error(c, j->id, text, j->file_num);
			conn_file_untrack(c, j->id);
		}
		conn_fs_ungate(c);
		conn_fs_hold(c);
	}
}

/* The helper caught up: paused uploads go on. */
static void
conn_file_drained_cb(void *arg)
{
	struct srv *srv = arg;
	struct conn *c, *next;

	/* Reading may close a connection: walk with a saved next. */
	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (!c->dead && c->files != NULL && c->files->held)
			conn_fs_hold(c);
	}
}

/* A request the helper never got (it did not link): a peer's FileAction
 * fails as when the helper cannot start (conn_file_action); the rest
 * (the first listing, a job's control) went unanswered then too. */
static void
conn_file_unsent_cb(const Ipc__FsRequest *r, int e, void *arg)
{
	struct srv *srv = arg;
	struct conn *c = conn_find(srv, (uint32_t)r->conn_id);
	Hbb__Message *m;

	if (c == NULL || c->dead || c->files == NULL || r->login ||
	    r->message.len == 0)
		return;
	m = hbb__message__unpack(NULL, r->message.len, r->message.data);
	if (m == NULL)
		return;
	if (m->union_case == HBB__MESSAGE__UNION_FILE_ACTION) {
		log_warn_r(e, "conn %u: file helper", c->id);
		conn_file_unsent(c, m->file_action, e);
	}
	hbb__message__free_unpacked(m, NULL);
}

static const struct fsh_cb conn_file_cb = {
	.reply = conn_file_reply_cb,
	.lost = conn_file_lost_cb,
	.drained = conn_file_drained_cb,
	.unsent = conn_file_unsent_cb,
};

/* The file helper's link for every connection of srv. */
struct fsh *
conn_file_helper(struct srv *srv)
{
	return fsh_new(srv->base, &conn_file_cb, srv);
}
