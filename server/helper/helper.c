/*
 * helper.c: the file helper's process (helper.h): the channel to the
 * server (Data frames, IPC_FS_FRAME_MAX), one state per peer connection,
 * and the dispatch of the peer's FileAction and FileResponse messages
 * that the server relays (PROTOCOL.md §10, HOST.md §2.4). One thread, one
 * poll loop: requests are served as they come. A file's bytes do not pass
 * here: the helper opens each file of a transfer as the user and passes
 * the descriptor to the server (SCM_RIGHTS, beside an FsStream frame),
 * which reads or writes it and says when it is done; names, digests,
 * renames and removals stay here.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "ipc/ipc.h"
#include "server/helper/helper.h"
#include "server/helper/helper_int.h"

#define HELPER_READ_CHUNK	(256 * 1024)

/* Make room for n more bytes at the end of b. */
static void
helper_buf_reserve(struct hbuf *b, size_t n)
{
	if (b->off > 0 && (b->off == b->len || b->cap - b->len < n)) {
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->cap - b->len >= n)
		return;
	while (b->cap - b->len < n)
		b->cap = b->cap ? b->cap * 2 : 65536;
	b->p = xreallocarray(b->p, b->cap, 1);
}

/* Frame d onto the queue to the server. */
static void
helper_queue(struct helper *h, const Ipc__Data *d)
{
	uint8_t hdr[CODEC_HDR_MAX];
	size_t body = ipc__data__get_packed_size(d), hl;

	if (body > IPC_FS_FRAME_MAX ||
	    (hl = codec_hdr_encode(hdr, body)) == 0) {
		log_warn("a reply of %zu bytes is too large, dropped",
		    body);
		return;
	}
	helper_buf_reserve(&h->out, hl + body);
	memcpy(h->out.p + h->out.len, hdr, hl);
	ipc__data__pack(d, h->out.p + h->out.len + hl);
	h->out.len += hl + body;
	h->queued += hl + body;
}

/* Queue an FsReply with message m (may be NULL) and flags. */
void
helper_send(struct helper *h, struct hconn *hc, int32_t job_id,
    const Hbb__Message *m, unsigned flags)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__FsReply r = IPC__FS_REPLY__INIT;
	size_t n;

	r.conn_id = hc->id;
	r.job_id = job_id;
	r.end = (flags & HELPER_F_END) != 0;
	if (m != NULL) {
		/* One buffer for every message, grown as needed. */
		n = hbb__message__get_packed_size(m);
		if (n > h->mcap) {
			free(h->mbuf);
			h->mcap = n;
			h->mbuf = xmalloc(n);
		}
		hbb__message__pack(m, h->mbuf);
		r.message.data = h->mbuf;
		r.message.len = n;
	}
	d.union_case = IPC__DATA__UNION_FS_REPLY;
	d.fs_reply = &r;
	helper_queue(h, &d);
}

/* 1 if one more descriptor may be queued. */
int
helper_fds_room(const struct helper *h)
{
	return h->nfds < HELPER_FDS_MAX;
}

/* Queue an FsStream with its descriptor (helper_flush passes it). */
void
helper_send_stream(struct helper *h, struct hjob *j, int32_t file_num,
    int write, uint64_t offset, int fd)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__FsReply r = IPC__FS_REPLY__INIT;
	Ipc__FsStream st = IPC__FS_STREAM__INIT;

	st.file_num = file_num;
	st.write = write != 0;
	st.offset = offset;
	st.nocompress = j->nocompress != 0;
	st.skip = fd < 0;
	st.path = j->path;
	st.total = j->total;
	st.finished = j->finished;
	r.conn_id = j->hc->id;
	r.job_id = j->id;
	r.stream = &st;
	d.union_case = IPC__DATA__UNION_FS_REPLY;
	d.fs_reply = &r;
#ifdef _WIN32
	/* Nothing rides beside a frame: the frame names a handle of ours,
	 * which the server moves into itself (helper_win.h). */
	if (fd >= 0) {
		st.handle = helper_win_lend(fd);
		fd = -1;
	}
#endif
	if (fd >= 0 && h->nfds == HELPER_FDS_MAX) {
		/* Callers check helper_fds_room; never reached. */
		close(fd);
		fd = -1;
		st.skip = 1;
	}
	if (fd >= 0) {
		h->fds[h->nfds].fd = fd;
		h->fds[h->nfds++].at = h->queued;
	}
	helper_queue(h, &d);
}

/* Queue FileResponse.error{id, text, file_num}. */
void
helper_send_error(struct helper *h, struct hconn *hc, int32_t id,
    const char *text, int32_t file_num, unsigned flags)
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
	helper_send(h, hc, id, &m, flags);
}

/* Queue FileResponse.done{id, file_num}. */
void
helper_send_done(struct helper *h, struct hconn *hc, int32_t id,
    int32_t file_num, unsigned flags)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__FileTransferDone dn = HBB__FILE_TRANSFER_DONE__INIT;

	dn.id = id;
	dn.file_num = file_num;
	fr.union_case = HBB__FILE_RESPONSE__UNION_DONE;
	fr.done = &dn;
	m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
	m.file_response = &fr;
	helper_send(h, hc, id, &m, flags);
}

/* Queue a log record for the server. */
void
helper_send_log(struct helper *h, struct hconn *hc, Ipc__FsLog *l,
    unsigned flags)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__FsReply r = IPC__FS_REPLY__INIT;

	r.conn_id = hc->id;
	r.job_id = l->job_id;
	r.end = (flags & HELPER_F_END) != 0;
	r.log = l;
	d.union_case = IPC__DATA__UNION_FS_REPLY;
	d.fs_reply = &r;
	helper_queue(h, &d);
}

/* Report a job's progress or end. */
void
helper_job_log(struct helper *h, struct hjob *j, int state, const char *err,
    int force)
{
	Ipc__FsLog l = IPC__FS_LOG__INIT;
	uint64_t now = mono_ms();

	if (state == IPC__FILE_TRANSFER_LOG__STATE__RUNNING && !force &&
	    now - j->log_ms < HELPER_LOG_MS)
		return;
	if (now > j->log_ms && j->log_ms != 0 && j->finished >= j->log_bytes)
		j->speed = (j->finished - j->log_bytes) * 1000 /
		    (now - j->log_ms);
	j->log_ms = now;
	j->log_bytes = j->finished;
	l.kind = IPC__FS_LOG__KIND__JOB;
	l.job_id = j->id;
	l.path = j->path;
	l.is_remote = j->kind == HJOB_READ;
	l.total_size = j->total;
	l.finished_size = j->finished;
	l.speed = state == IPC__FILE_TRANSFER_LOG__STATE__RUNNING ?
	    j->speed : 0;
	l.state = (Ipc__FileTransferLog__State)state;
	l.error = (char *)(err != NULL ? err : "");
	helper_send_log(h, j->hc, &l,
	    state == IPC__FILE_TRANSFER_LOG__STATE__RUNNING ? 0 : HELPER_F_END);
}

/* Report one file of a job. */
void
helper_file_log(struct helper *h, struct hjob *j, size_t idx, int state,
    const char *err)
{
	Ipc__FsLog l = IPC__FS_LOG__INIT;
	char *path = helper_join(j->path, j->files[idx].name);

	l.kind = IPC__FS_LOG__KIND__FILE;
	l.job_id = j->id;
	l.path = path;
	l.is_remote = j->kind == HJOB_READ;
	l.total_size = j->files[idx].size;
	l.finished_size = j->file_bytes;
	l.state = (Ipc__FileTransferLog__State)state;
	l.error = (char *)(err != NULL ? err : "");
	helper_send_log(h, j->hc, &l, 0);
	free(path);
}

/* Report a file operation. */
static void
helper_op_log(struct helper *h, struct hconn *hc, int32_t id, const char *op,
    const char *path, const char *new_name, const char *err)
{
	Ipc__FsLog l = IPC__FS_LOG__INIT;

	l.kind = IPC__FS_LOG__KIND__OP;
	l.job_id = id;
	l.op = (char *)op;
	l.path = (char *)path;
	l.new_name = (char *)(new_name != NULL ? new_name : "");
	l.state = err != NULL ? IPC__FILE_TRANSFER_LOG__STATE__ERROR :
	    IPC__FILE_TRANSFER_LOG__STATE__DONE;
	l.error = (char *)(err != NULL ? err : "");
	helper_send_log(h, hc, &l, 0);
}

/* A new job, last in hc's list. */
struct hjob *
helper_job_new(struct hconn *hc, enum hjob_kind kind, int32_t id,
    const char *path)
{
	struct hjob *j = xcalloc(1, sizeof *j);

	j->kind = kind;
	j->id = id;
	j->hc = hc;
	j->path = xstrdup(path);
	j->fd = -1;
	j->open = SIZE_MAX;
	TAILQ_INSERT_TAIL(&hc->jobs, j, entry);
	return j;
}

/* Unlink and free a job. */
void
helper_job_free(struct hjob *j)
{
	size_t i;

	TAILQ_REMOVE(&j->hc->jobs, j, entry);
	if (j->fd >= 0)
		close(j->fd);
	for (i = 0; i < j->nfiles; i++)
		free(j->files[i].name);
	free(j->files);
	free(j->path);
	free(j);
}

/* The job of hc with id and kind. */
struct hjob *
helper_job_find(struct hconn *hc, int32_t id, enum hjob_kind kind)
{
	struct hjob *j;

	TAILQ_FOREACH(j, &hc->jobs, entry)
		if (j->id == id && j->kind == kind)
			return j;
	return NULL;
}

/* The state of connection id, made when create is set. */
static struct hconn *
helper_conn(struct helper *h, int32_t id, int create)
{
	struct hconn *hc;

	TAILQ_FOREACH(hc, &h->conns, entry)
		if (hc->id == id)
			return hc;
	if (!create)
		return NULL;
	hc = xcalloc(1, sizeof *hc);
	hc->id = id;
	TAILQ_INIT(&hc->jobs);
	TAILQ_INSERT_TAIL(&h->conns, hc, entry);
	return hc;
}

/*
 * Drop every job of hc. With stop (the file permission went off) the peer
 * is told stop for each transfer and hc stays; else the connection is
 * gone: partial uploads stay for a resume and hc is freed.
 */
static void
helper_conn_close(struct helper *h, struct hconn *hc, const char *stop)
{
	struct hjob *j;
	const char *why = *stop != '\0' ? stop : "interrupted";
	int32_t fnum;

	while ((j = TAILQ_FIRST(&hc->jobs)) != NULL) {
		fnum = (int32_t)(j->kind == HJOB_READ ? j->cur :
		    (j->open != SIZE_MAX ? j->open : 0));
		if (*stop != '\0')
			helper_send_error(h, hc, j->id, stop, fnum, 0);
		if (j->kind == HJOB_READ ? j->fd >= 0 ||
		    j->state == HREAD_STREAM : j->open != SIZE_MAX)
			helper_file_log(h, j, (size_t)fnum,
			    IPC__FILE_TRANSFER_LOG__STATE__ERROR, why);
		helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__ERROR, why,
		    1);
		helper_job_free(j);
	}
	if (*stop == '\0') {
		TAILQ_REMOVE(&h->conns, hc, entry);
		free(hc);
	}
}

/* Send a listing, unless it would not fit a frame (then log it). */
static void
helper_send_dir(struct helper *h, struct hconn *hc, Hbb__FileDirectory *d)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;

	fr.union_case = HBB__FILE_RESPONSE__UNION_DIR;
	fr.dir = d;
	m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
	m.file_response = &fr;
	if (hbb__message__get_packed_size(&m) + 1024 > IPC_FS_FRAME_MAX) {
		log_warn("listing of %s too large", d->path);
		if (d->id != 0)
			helper_send_error(h, hc, d->id, "file transfer "
			    "rejected: too many files", -1, 0);
		return;
	}
	helper_send(h, hc, 0, &m, 0);
}

/* read_dir; with login, a path that is no folder means home (§10). */
static void
helper_read_dir(struct helper *h, struct hconn *hc, const Hbb__ReadDir *rd,
    int login)
{
	Hbb__FileDirectory d = HBB__FILE_DIRECTORY__INIT;
	const char *path = rd->path;
	struct stat st;
	char *err = NULL;

	if (*path == '\0' || (login && (stat(path, &st) != 0 ||
	    !S_ISDIR(st.st_mode))))
		path = h->home;
	/* Upstream answers nothing when a folder cannot be read. */
	if (helper_list_dir(path, rd->include_hidden, &d, &err) == 0)
		helper_send_dir(h, hc, &d);
	else
		log_info("conn %d: read_dir: %s", hc->id, err);
	free(err);
	helper_dir_clear(&d);
}

/* all_files: every file below a path, or error{id, err, -1}. */
static void
helper_all_files(struct helper *h, struct hconn *hc,
    const Hbb__ReadAllFiles *a)
{
	Hbb__FileDirectory d = HBB__FILE_DIRECTORY__INIT;
	char *err = NULL;

	if (helper_list_files(a->path, a->include_hidden, &d, &err) == 0) {
		d.id = a->id;
		helper_send_dir(h, hc, &d);
	} else
		helper_send_error(h, hc, a->id, err, -1, 0);
	free(err);
	helper_dir_clear(&d);
}

/* read_empty_dirs: the empty folders below a path; nothing on error. */
static void
helper_read_empty(struct helper *h, struct hconn *hc,
    const Hbb__ReadEmptyDirs *re)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__ReadEmptyDirsResponse r = HBB__READ_EMPTY_DIRS_RESPONSE__INIT;
	char *err = NULL;

	if (helper_empty_dirs(re->path, re->include_hidden, &r, &err) == 0) {
		fr.union_case = HBB__FILE_RESPONSE__UNION_EMPTY_DIRS;
		fr.empty_dirs = &r;
		m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
		m.file_response = &fr;
		helper_send(h, hc, 0, &m, 0);
	}
	free(err);
	helper_empty_dirs_clear(&r);
}

/* create, remove_file, remove_dir, rename: done or error, and a log. */
static void
helper_op(struct helper *h, struct hconn *hc, const Hbb__FileAction *fa)
{
	const char *op, *path, *new_name = NULL;
	int32_t id, file_num = 0;
	char *err = NULL;
	int r;

	switch (fa->union_case) {
	case HBB__FILE_ACTION__UNION_CREATE:
		op = "create_dir";
		id = fa->create->id;
		path = fa->create->path;
		r = helper_create_dir(path, &err);
		break;
	case HBB__FILE_ACTION__UNION_REMOVE_FILE:
		op = "remove_file";
		id = fa->remove_file->id;
		path = fa->remove_file->path;
		file_num = fa->remove_file->file_num;
		r = helper_remove_file(path, &err);
		break;
	case HBB__FILE_ACTION__UNION_REMOVE_DIR:
		op = "remove_dir";
		id = fa->remove_dir->id;
		path = fa->remove_dir->path;
		r = helper_remove_dir(path, fa->remove_dir->recursive, &err);
		break;
	default:
		op = "rename";
		id = fa->rename->id;
		path = fa->rename->path;
		new_name = fa->rename->new_name;
		r = helper_rename(path, new_name, &err);
		break;
	}
	if (r == 0)
		helper_send_done(h, hc, id, file_num, 0);
	else
		helper_send_error(h, hc, id, err, file_num, 0);
	helper_op_log(h, hc, id, op, path, new_name, err);
	free(err);
}

/* cancel: drops a transfer of either direction. */
static void
helper_cancel(struct helper *h, struct hconn *hc, int32_t id)
{
	struct hjob *j;

	if ((j = helper_job_find(hc, id, HJOB_WRITE)) != NULL)
		helper_write_cancel(h, j);
	if ((j = helper_job_find(hc, id, HJOB_READ)) != NULL) {
		if (j->fd >= 0 || j->state == HREAD_STREAM)
			helper_file_log(h, j, j->cur,
			    IPC__FILE_TRANSFER_LOG__STATE__CANCELLED, NULL);
		helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__CANCELLED,
		    NULL, 1);
		helper_job_free(j);
	}
}

/* One FileAction of a peer. */
static void
helper_action(struct helper *h, struct hconn *hc, const Hbb__FileAction *fa,
    int login)
{
	const Hbb__FileTransferSendConfirmRequest *sc;
	struct hjob *j;

	switch (fa->union_case) {
	case HBB__FILE_ACTION__UNION_READ_DIR:
		helper_read_dir(h, hc, fa->read_dir, login);
		break;
	case HBB__FILE_ACTION__UNION_ALL_FILES:
		helper_all_files(h, hc, fa->all_files);
		break;
	case HBB__FILE_ACTION__UNION_READ_EMPTY_DIRS:
		helper_read_empty(h, hc, fa->read_empty_dirs);
		break;
	case HBB__FILE_ACTION__UNION_CREATE:
	case HBB__FILE_ACTION__UNION_REMOVE_FILE:
	case HBB__FILE_ACTION__UNION_REMOVE_DIR:
	case HBB__FILE_ACTION__UNION_RENAME:
		helper_op(h, hc, fa);
		break;
	case HBB__FILE_ACTION__UNION_SEND:
		helper_read_start(h, hc, fa->send);
		break;
	case HBB__FILE_ACTION__UNION_RECEIVE:
		helper_write_start(h, hc, fa->receive);
		break;
	case HBB__FILE_ACTION__UNION_CANCEL:
		helper_cancel(h, hc, fa->cancel->id);
		break;
	case HBB__FILE_ACTION__UNION_SEND_CONFIRM:
		sc = fa->send_confirm;
		if ((j = helper_job_find(hc, sc->id, HJOB_READ)) != NULL)
			helper_read_confirm(h, j, sc);
		else if ((j = helper_job_find(hc, sc->id, HJOB_WRITE)) != NULL)
			helper_write_confirm(h, j, sc);
		break;
	default:
		break;
	}
}

/* The server's stream_end or open of a transfer's file. */
static void
helper_stream_ctl(struct helper *h, struct hconn *hc, const Ipc__FsRequest *r)
{
	struct hjob *j;

	if (r->stream_end != NULL) {
		if ((j = helper_job_find(hc, r->stream_end->job_id,
		    HJOB_READ)) != NULL)
			helper_read_end(h, j, r->stream_end);
		else if ((j = helper_job_find(hc, r->stream_end->job_id,
		    HJOB_WRITE)) != NULL)
			helper_write_end(h, j, r->stream_end);
	}
	if (r->open != NULL &&
	    (j = helper_job_find(hc, r->open->job_id, HJOB_WRITE)) != NULL)
		helper_write_open_req(h, j, r->open);
}

/* One request of the server. */
static void
helper_request(struct helper *h, const Ipc__FsRequest *r)
{
	struct hconn *hc;
	Hbb__Message *m;

	if ((hc = helper_conn(h, r->conn_id, !r->close)) == NULL)
		return;
	if (r->peer_version != 0)
		hc->peer_version = r->peer_version;
	if (r->close) {
		helper_conn_close(h, hc, r->stop_error != NULL ?
		    r->stop_error : "");
		return;
	}
	helper_stream_ctl(h, hc, r);
	if (r->message.len == 0)
		return;
	if ((m = hbb__message__unpack(NULL, r->message.len,
	    r->message.data)) == NULL) {
		log_warn("conn %d: unparsable message", hc->id);
		return;
	}
	if (m->union_case == HBB__MESSAGE__UNION_FILE_ACTION)
		helper_action(h, hc, m->file_action, r->login);
	else if (m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE)
		helper_write_response(h, hc, m->file_response);
	hbb__message__free_unpacked(m, NULL);
}

/* Read what the server sent and serve every whole frame. Returns 0, 1 at
 * EOF, or -1 on a broken channel. */
static int
helper_read(struct helper *h)
{
	Ipc__Data *d;
	ssize_t got;
	int r;

	helper_buf_reserve(&h->in, HELPER_READ_CHUNK);
	got = read(h->fd, h->in.p + h->in.len, h->in.cap - h->in.len);
	if (got < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (got == 0)
		return 1;
	h->in.len += (size_t)got;
	while ((r = ipc_decode_max(h->in.p + h->in.off, h->in.len - h->in.off,
	    IPC_FS_FRAME_MAX, &d)) > 0) {
		h->in.off += (size_t)r;
		if (d->union_case == IPC__DATA__UNION_FS_REQUEST)
			helper_request(h, d->fs_request);
		ipc_data_free(d);
	}
	if (r < 0) {
		log_warn_r(r, "bad frame from the server");
		return -1;
	}
	return 0;
}

/* Write n queued bytes; the first carries fd when fd >= 0 (never on
 * Windows: helper_send_stream). */
static ssize_t
helper_write_fd(struct helper *h, size_t n, int fd)
{
#ifdef _WIN32
	(void)fd;
	return write(h->fd, h->out.p + h->out.off, n);
#else
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { h->out.p + h->out.off, n };
	struct msghdr mh;
	struct cmsghdr *cm;

	if (fd < 0)
		return write(h->fd, iov.iov_base, n);
	memset(&mh, 0, sizeof mh);
	memset(&u, 0, sizeof u);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof u.buf;
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(h->fd, &mh, MSG_NOSIGNAL);
#endif
}

/* Write what is queued, each descriptor with the first byte of its
 * frame (the server takes them in order); 0, or -1 when the server is
 * gone. */
static int
helper_flush(struct helper *h)
{
	size_t n;
	ssize_t w;
	int fd;

	while (h->out.off < h->out.len) {
		n = h->out.len - h->out.off;
		fd = -1;
		if (h->nfds > 0 && h->fds[0].at == h->sent)
			fd = h->fds[0].fd;
		/* Stop before the next frame with a descriptor. */
		if (h->nfds > (fd >= 0 ? 1u : 0u) &&
		    h->fds[fd >= 0].at - h->sent < n)
			n = (size_t)(h->fds[fd >= 0].at - h->sent);
		w = helper_write_fd(h, n, fd);
		if (w < 0)
			return errno == EINTR || errno == EAGAIN ? 0 : -1;
		if (fd >= 0) {
			close(fd);
			memmove(h->fds, h->fds + 1, --h->nfds * sizeof h->fds[0]);
		}
		h->out.off += (size_t)w;
		h->sent += (uint64_t)w;
	}
	h->out.off = h->out.len = 0;
	return 0;
}

/* Move downloads on (digests, descriptors), a round over the connections
 * at a time, while the queue to the server is short. Returns 1 when it
 * stopped for the queue with more to do, 0 when everything waits. */
static int
helper_work(struct helper *h)
{
	struct hconn *hc;
	int progress = 1;

	while (progress && h->out.len - h->out.off < HELPER_OUT_HIGH) {
		progress = 0;
		TAILQ_FOREACH(hc, &h->conns, entry)
			progress |= helper_read_step(h, hc);
	}
	return progress;
}

/* Say who we are, so the server knows the channel works. */
static void
helper_hello(struct helper *h)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__Hello hello = IPC__HELLO__INIT;

	hello.version = IPC_VERSION;
	hello.role = (char *)"helper";
	d.union_case = IPC__DATA__UNION_HELLO;
	d.hello = &hello;
	helper_queue(h, &d);
}

/* Set up: the user's home (and the working folder there). */
static void
helper_init(struct helper *h, int fd)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	memset(h, 0, sizeof *h);
	h->fd = fd;
	TAILQ_INIT(&h->conns);
#ifdef _WIN32
	/* The profile folder, as upstream's home on Windows. */
	(void)pw;
	if ((h->home = helper_win_home()) == NULL)
		h->home = xstrdup("C:\\");
	(void)home;
#else
	if ((home == NULL || *home != '/') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	h->home = xstrdup(home != NULL && *home == '/' ? home : "/");
#endif
	if (chdir(h->home) != 0)
		log_warn("cannot enter %s", h->home);
}

/* Free everything. */
static void
helper_fini(struct helper *h)
{
	struct hconn *hc;

	while ((hc = TAILQ_FIRST(&h->conns)) != NULL)
		helper_conn_close(h, hc, "");
	while (h->nfds > 0)
		close(h->fds[--h->nfds].fd);
	free(h->mbuf);
	free(h->in.p);
	free(h->out.p);
	free(h->home);
	close(h->fd);
}

/* Serve the server until it goes away. */
int
helper_main(int fd, int verbose)
{
	struct helper h;
	struct pollfd pfd;
	int r = 0, more = 0;

	log_set_ident("helper");
	log_set_level(verbose > 1 ? LOG_TRACE : verbose ? LOG_DEBUG :
	    LOG_INFO);
#ifdef _WIN32
	/* No descriptor is inherited here: we call the server (fsh_win.c). */
	if ((fd = helper_win_connect()) < 0) {
		log_error("cannot reach the server");
		return 1;
	}
#else
	signal(SIGPIPE, SIG_IGN);
#endif
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		log_error("descriptor %d is not the server's", fd);
		return 1;
	}
	umask(022);
	helper_init(&h, fd);
	log_debug("uid %ld, home %s", (long)getuid(), h.home);
	helper_hello(&h);
	for (;;) {
		if (helper_flush(&h) != 0) {
			r = -1;
			break;
		}
		/* Blocks still to make once the queue went out: no sleep. */
		more = more && h.out.len - h.out.off < HELPER_OUT_HIGH;
		pfd.fd = fd;
		pfd.events = POLLIN | (h.out.len > h.out.off ? POLLOUT : 0);
		pfd.revents = 0;
		if (poll(&pfd, 1, more ? 0 : -1) < 0 && errno != EINTR) {
			r = -1;
			break;
		}
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    (r = helper_read(&h)) != 0)
			break;
		more = helper_work(&h);
	}
	helper_fini(&h);
	return r < 0 ? 1 : 0;
}
