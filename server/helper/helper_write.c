/*
 * helper_write.c: uploads (PROTOCOL.md §10, "Upload"). The peer lists
 * the files (names checked as upstream checks them), asks with a digest
 * per file whether the host has it (answered with the host's digest, a
 * resumable partial copy, or "go"), and sends blocks, which the server
 * writes to the descriptor it asks for here (helper_write_open_req). Each
 * file is written to NAME.download next to a NAME.digest that records
 * what it will be; when the next file starts or the job is done, the
 * server flushes it and says so, and it is renamed to NAME and given its
 * time, and the digest removed.
 * An interrupted upload leaves NAME.download and NAME.digest for a resume,
 * never a partial NAME.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "server/helper/helper_int.h"

#define HELPER_OD_VERSION	1001100

/* NAME.download or NAME.digest of file idx; caller frees. */
static char *
helper_write_aside(const struct hjob *j, size_t idx, const char *suffix)
{
	char *path = helper_join(j->path, j->files[idx].name), *s;

	xasprintf(&s, "%s.%s", path, suffix);
	free(path);
	return s;
}

/* Start an upload: check the names and make the job. */
void
helper_write_start(struct helper *h, struct hconn *hc,
    const Hbb__FileTransferReceiveRequest *r)
{
	struct hjob *j;
	char **names, *err = NULL;
	size_t i;

	if ((j = helper_job_find(hc, r->id, HJOB_WRITE)) != NULL)
		helper_job_free(j);
	j = helper_job_new(hc, HJOB_WRITE, r->id, r->path);
	names = xcalloc(r->n_files ? r->n_files : 1, sizeof *names);
	for (i = 0; i < r->n_files; i++)
		names[i] = r->files[i]->name;
	if (helper_check_names(r->path, names, r->n_files, &err) != 0) {
		free(names);
		helper_send_error(h, hc, r->id, err, r->file_num, 0);
		helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__ERROR, err,
		    1);
		helper_job_free(j);
		free(err);
		return;
	}
	free(names);
	j->files = xcalloc(r->n_files ? r->n_files : 1, sizeof *j->files);
	j->nfiles = r->n_files;
	for (i = 0; i < r->n_files; i++) {
		j->files[i].name = xstrdup(r->files[i]->name);
		j->files[i].size = r->files[i]->size;
		j->files[i].mtime = r->files[i]->modified_time;
		j->files[i].dsize = r->files[i]->size;
		j->files[i].dmtime = r->files[i]->modified_time;
		/* A resumed job: the files before file_num are there. */
		if ((int32_t)i < r->file_num)
			j->finished += r->files[i]->size;
	}
	j->total = r->total_size;
	j->od = hc->peer_version >= HELPER_OD_VERSION;
	helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__RUNNING, NULL, 1);
}

/* The upload failed: tell the peer (unless it told us), log, drop the
 * job. The partial file stays for a resume. */
static void
helper_write_fail(struct helper *h, struct hjob *j, const char *err,
    int32_t file_num)
{
	helper_send_error(h, j->hc, j->id, err, file_num, 0);
	if (j->open != SIZE_MAX)
		helper_file_log(h, j, j->open,
		    IPC__FILE_TRANSFER_LOG__STATE__ERROR, err);
	helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__ERROR, err, 1);
	helper_job_free(j);
}

/* The same for an errno. */
static void
helper_write_fail_errno(struct helper *h, struct hjob *j, int e,
    int32_t file_num)
{
	char *err = helper_errno_text(e);

	helper_write_fail(h, j, err, file_num);
	free(err);
}

/* Reply FileAction.send_confirm{id, file_num, offset_blk: 0}: go. */
static void
helper_write_go(struct helper *h, struct hjob *j, int32_t file_num)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__FileTransferSendConfirmRequest c =
	    HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__INIT;

	c.id = j->id;
	c.file_num = file_num;
	c.union_case =
	    HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__UNION_OFFSET_BLK;
	c.offset_blk = 0;
	fa.union_case = HBB__FILE_ACTION__UNION_SEND_CONFIRM;
	fa.send_confirm = &c;
	m.union_case = HBB__MESSAGE__UNION_FILE_ACTION;
	m.file_action = &fa;
	helper_send(h, j->hc, j->id, &m, 0);
}

/* Reply a digest of ours to the peer's (is_upload set). */
static void
helper_write_digest_reply(struct helper *h, struct hjob *j,
    Hbb__FileTransferDigest *dg)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;

	dg->id = j->id;
	dg->is_upload = 1;
	fr.union_case = HBB__FILE_RESPONSE__UNION_DIGEST;
	fr.digest = dg;
	m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
	m.file_response = &fr;
	helper_send(h, j->hc, j->id, &m, 0);
}

/*
 * 1 and the partial size in *have when NAME.download and NAME.digest of
 * file idx are a resumable copy of what the peer's digest describes.
 */
static int
helper_write_resumable(struct hjob *j, size_t idx,
    const Hbb__FileTransferDigest *d, uint64_t *have)
{
	char *dl = helper_write_aside(j, idx, "download");
	char *dg = helper_write_aside(j, idx, "digest");
	char text[512];
	struct stat st;
	uint64_t size, mod;
	ssize_t n = -1;
	int fd, ok = 0;

	fd = open(dg, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = read(fd, text, sizeof text);
	if (fd >= 0)
		close(fd);
	if (n > 0 && helper_digest_parse(text, (size_t)n, &size, &mod) == 0 &&
	    size == d->file_size && mod == d->last_modified &&
	    lstat(dl, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		*have = (uint64_t)st.st_size;
		ok = 1;
	}
	free(dl);
	free(dg);
	return ok;
}

/* The peer's digest of file d->file_num: does the host have it? */
static void
helper_write_digest(struct helper *h, struct hjob *j,
    const Hbb__FileTransferDigest *d)
{
	Hbb__FileTransferDigest r = HBB__FILE_TRANSFER_DIGEST__INIT;
	struct hfile *f;
	struct stat st;
	uint64_t have;
	size_t idx;
	char *path;

	if (d->file_num < 0 || (size_t)d->file_num >= j->nfiles)
		return;
	idx = (size_t)d->file_num;
	f = &j->files[idx];
	f->dsize = d->file_size;
	f->dmtime = d->last_modified;
	r.file_num = d->file_num;
	if (d->is_resume && helper_write_resumable(j, idx, d, &have)) {
		r.last_modified = d->last_modified;
		r.file_size = d->file_size;
		r.is_identical = 1;
		r.transferred_size = have;
		helper_write_digest_reply(h, j, &r);
		return;
	}
	path = helper_join(j->path, f->name);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		r.last_modified = st.st_mtime > 0 ? (uint64_t)st.st_mtime : 0;
		r.file_size = (uint64_t)st.st_size;
		r.is_identical = r.last_modified == d->last_modified &&
		    r.file_size == d->file_size;
		helper_write_digest_reply(h, j, &r);
	} else
		helper_write_go(h, j, d->file_num);
	free(path);
}

/* The peer confirms a file: skip it, or continue it at an offset. */
void
helper_write_confirm(struct helper *h, struct hjob *j,
    const Hbb__FileTransferSendConfirmRequest *c)
{
	struct hfile *f;
	char *dl, *dg;

	if (c->file_num < 0 || (size_t)c->file_num >= j->nfiles)
		return;
	f = &j->files[c->file_num];
	if (c->union_case ==
	    HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__UNION_OFFSET_BLK) {
		f->resume = c->offset_blk;
		return;
	}
	if (c->union_case !=
	    HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__UNION_SKIP || !c->skip)
		return;
	f->skip = 1;
	if (j->open == (size_t)c->file_num) {
		if (j->fd >= 0)
			close(j->fd);
		j->fd = -1;
		j->open = SIZE_MAX;
		dl = helper_write_aside(j, (size_t)c->file_num, "download");
		dg = helper_write_aside(j, (size_t)c->file_num, "digest");
		unlink(dl);
		unlink(dg);
		free(dl);
		free(dg);
	}
	helper_file_log(h, j, (size_t)c->file_num,
	    IPC__FILE_TRANSFER_LOG__STATE__CANCELLED, "skipped");
}

/* Make the folders above path (errors show when the file is opened). */
static void
helper_write_parents(const char *path)
{
	char *p = xstrdup(path), *slash, *err = NULL;
	struct stat st;

	if ((slash = helper_last_sep(p)) != NULL && slash != p) {
		*slash = '\0';
		if (stat(p, &st) != 0)
			helper_create_dir(p, &err);
	}
	free(err);
	free(p);
}

/*
 * Open NAME.download of file idx: from scratch, or at the offset the peer
 * confirmed for a resume. Returns 0, or -1 with the job failed and freed.
 */
static int
helper_write_open(struct helper *h, struct hjob *j, size_t idx)
{
	struct hfile *f = &j->files[idx];
	struct stat st;
	char *dl = NULL, *dg = NULL, *err = NULL;
	int fd = -1, e;

	if (helper_check_components(j->path, f->name, &err) != 0) {
		helper_write_fail(h, j, err, (int32_t)idx);
		free(err);
		return -1;
	}
	dl = helper_write_aside(j, idx, "download");
	dg = helper_write_aside(j, idx, "digest");
	helper_write_parents(dl);
	/* A resume continues the partial file the peer was told about. */
	if (f->resume > 0)
		fd = open(dl, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	else {
		unlink(dg);
		fd = open(dl, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC, 0666);
	}
	if (fd < 0) {
		e = errno;
		goto fail;
	}
	e = fstat(fd, &st) != 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
	if (e == 0 && f->resume > 0 && (ftruncate(fd, (int64_t)f->resume) != 0 ||
	    lseek(fd, (int64_t)f->resume, SEEK_SET) < 0))
		e = errno;
	if (e == 0 && f->resume == 0 && helper_digest_write(dg, f->dsize,
	    f->dmtime) != 0)
		e = errno;
	if (e != 0) {
		close(fd);
		goto fail;
	}
	j->fd = fd;
	j->open = idx;
	j->file_bytes = f->resume;
	j->finished += f->resume;
	free(dl);
	free(dg);
	return 0;
fail:
	free(dl);
	free(dg);
	helper_write_fail_errno(h, j, e, (int32_t)idx);
	return -1;
}

/*
 * Finish the open file, which the server flushed and closed: rename
 * NAME.download to NAME, give it the peer's time, drop NAME.digest.
 * Returns 0, or -1 with the job failed and freed (NAME.download stays).
 */
static int
helper_write_close(struct helper *h, struct hjob *j)
{
	struct timespec ts[2];
	size_t idx = j->open;
	char *dl, *dg, *path;
	int r = 0, e = 0;

	path = helper_join(j->path, j->files[idx].name);
	dl = helper_write_aside(j, idx, "download");
	dg = helper_write_aside(j, idx, "digest");
	if (rename(dl, path) != 0) {
		e = errno;
		r = -1;
	} else {
		ts[0].tv_nsec = UTIME_OMIT;
		ts[1].tv_sec = (time_t)j->files[idx].mtime;
		ts[1].tv_nsec = 0;
		utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
		unlink(dg);
		helper_file_log(h, j, idx, IPC__FILE_TRANSFER_LOG__STATE__DONE,
		    NULL);
		j->open = SIZE_MAX;
	}
	free(path);
	free(dl);
	free(dg);
	if (r != 0)
		helper_write_fail_errno(h, j, e, (int32_t)idx);
	return r;
}

/* The server wants file o->file_num of the upload: open it and pass it
 * (or say skip for a file the peer skipped). */
void
helper_write_open_req(struct helper *h, struct hjob *j,
    const Ipc__FsStreamCtl *o)
{
	size_t idx;

	if (o->file_num < 0 || (size_t)o->file_num >= j->nfiles) {
		helper_write_fail(h, j, "Wrong file number", o->file_num);
		return;
	}
	idx = (size_t)o->file_num;
	if (j->files[idx].skip) {
		helper_send_stream(h, j, o->file_num, 1, 0, -1);
		return;
	}
	if (j->open != SIZE_MAX && j->open != idx) {
		/* The server ends a file before it asks for the next. */
		helper_write_fail(h, j, "file order", o->file_num);
		return;
	}
	if (!helper_fds_room(h)) {
		helper_write_fail_errno(h, j, EMFILE, o->file_num);
		return;
	}
	if (helper_write_open(h, j, idx) != 0)
		return;
	helper_send_stream(h, j, o->file_num, 1, j->files[idx].resume, j->fd);
	j->fd = -1;
}

/* The server stopped writing the open file: flushed and closed (error
 * 0: finish it under its name) or failed (the partial file stays). */
void
helper_write_end(struct helper *h, struct hjob *j, const Ipc__FsStreamCtl *e)
{
	if (j->open == SIZE_MAX || e->file_num != (int32_t)j->open)
		return;
	j->finished += e->bytes;
	j->file_bytes += e->bytes;
	if (e->error == EBADMSG) {
		/* A block that did not inflate (fio.c). */
		helper_write_fail(h, j, "bad compressed block", e->file_num);
		return;
	}
	if (e->error != 0) {
		helper_write_fail_errno(h, j, e->error, e->file_num);
		return;
	}
	if (helper_write_close(h, j) == 0)
		helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__RUNNING,
		    NULL, 0);
}

/* The peer sent everything (and the server ended the last file before
 * it passed this on): answer done. A file still open was not flushed. */
static void
helper_write_done(struct helper *h, struct hjob *j, int32_t file_num)
{
	if (j->open != SIZE_MAX) {
		helper_write_fail(h, j, "file not finished", file_num);
		return;
	}
	helper_send_done(h, j->hc, j->id, file_num, 0);
	helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__DONE, NULL, 1);
	helper_job_free(j);
}

/* Cancel an upload: the partial file goes too. */
void
helper_write_cancel(struct helper *h, struct hjob *j)
{
	char *dl, *dg;

	if (j->open != SIZE_MAX) {
		if (j->fd >= 0)
			close(j->fd);
		j->fd = -1;
		dl = helper_write_aside(j, j->open, "download");
		dg = helper_write_aside(j, j->open, "digest");
		unlink(dl);
		unlink(dg);
		free(dl);
		free(dg);
		helper_file_log(h, j, j->open,
		    IPC__FILE_TRANSFER_LOG__STATE__CANCELLED, NULL);
	}
	helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__CANCELLED, NULL,
	    1);
	helper_job_free(j);
}

/* The peer's side of an upload. */
void
helper_write_response(struct helper *h, struct hconn *hc,
    const Hbb__FileResponse *fr)
{
	struct hjob *j;
	int32_t id;

	switch (fr->union_case) {
	case HBB__FILE_RESPONSE__UNION_DIGEST:
		id = fr->digest->id;
		break;
	case HBB__FILE_RESPONSE__UNION_DONE:
		id = fr->done->id;
		break;
	case HBB__FILE_RESPONSE__UNION_ERROR:
		id = fr->error->id;
		break;
	default:
		return;
	}
	if ((j = helper_job_find(hc, id, HJOB_WRITE)) == NULL)
		return;
	switch (fr->union_case) {
	case HBB__FILE_RESPONSE__UNION_DIGEST:
		helper_write_digest(h, j, fr->digest);
		break;
	case HBB__FILE_RESPONSE__UNION_DONE:
		helper_write_done(h, j, fr->done->file_num);
		break;
	default:
		/* The peer gave up: echo its error (as upstream). */
		helper_write_fail(h, j, fr->error->error, fr->error->file_num);
		break;
	}
}
