/*
 * helper_read.c: downloads (PROTOCOL.md §10, "Download"). A job lists
 * what it sends, then for each file: open it (a regular file, never
 * blocking), send its digest and wait for the peer's confirm (peers from
 * 1.1.10; skip, or an offset to resume at), pass it to the server, which
 * sends it in blocks (server/conn/conn_fstream.c) and says when it is
 * through, and go on; done, or "skipped" for a single skipped file, ends
 * it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "server/helper/helper_int.h"

/* Peers from this version on confirm each file (overwrite detection). */
#define HELPER_OD_VERSION	1001100

/* Start a download: list what goes, reply the listing, make the job. */
void
helper_read_start(struct helper *h, struct hconn *hc,
    const Hbb__FileTransferSendRequest *s)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__FileDirectory d = HBB__FILE_DIRECTORY__INIT;
	struct hjob *j;
	char *err = NULL;
	size_t i;

	if (s->file_type == HBB__FILE_TRANSFER_SEND_REQUEST__FILE_TYPE__Printer)
		return;
	if ((j = helper_job_find(hc, s->id, HJOB_READ)) != NULL)
		helper_job_free(j);
	j = helper_job_new(hc, HJOB_READ, s->id, s->path);
	if (helper_list_files(s->path, s->include_hidden, &d, &err) != 0) {
		helper_send_error(h, hc, s->id, err, 0, 0);
		helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__ERROR, err,
		    1);
		helper_job_free(j);
		free(err);
		helper_dir_clear(&d);
		return;
	}
	d.id = s->id;
	fr.union_case = HBB__FILE_RESPONSE__UNION_DIR;
	fr.dir = &d;
	m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
	m.file_response = &fr;
	helper_send(h, hc, s->id, &m, 0);
	j->files = xcalloc(d.n_entries ? d.n_entries : 1, sizeof *j->files);
	j->nfiles = d.n_entries;
	for (i = 0; i < d.n_entries; i++) {
		j->files[i].name = xstrdup(d.entries[i]->name);
		j->files[i].size = d.entries[i]->size;
		j->files[i].mtime = d.entries[i]->modified_time;
		j->total += d.entries[i]->size;
	}
	/* A resumed job starts at the file it stopped in. */
	j->cur = s->file_num > 0 ? (size_t)s->file_num : 0;
	if (j->cur > j->nfiles)
		j->cur = j->nfiles;
	j->od = hc->peer_version >= HELPER_OD_VERSION;
	j->state = HREAD_OPEN;
	log_debug("conn %d: job %d sends %zu files from %s", hc->id, j->id,
	    j->nfiles, j->path);
	helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__RUNNING, NULL, 1);
	helper_dir_clear(&d);
}

/* Close the file in progress and move to the next one. */
static void
helper_read_next(struct hjob *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	j->cur++;
	j->file_bytes = 0;
	j->state = HREAD_OPEN;
}

/*
 * The file in progress failed: tell the peer and go on (as upstream).
 * The error carries the number of the file after it: upstream's job
 * steps past the failed file before it reports, and the stock client
 * shows what it is given.
 */
static void
helper_read_fail(struct helper *h, struct hjob *j, int e, const char *text)
{
	char *err = text != NULL ? xstrdup(text) : helper_errno_text(e);

	helper_send_error(h, j->hc, j->id, err, (int32_t)j->cur + 1, 0);
	helper_file_log(h, j, j->cur, IPC__FILE_TRANSFER_LOG__STATE__ERROR,
	    err);
	free(err);
	helper_read_next(j);
}

/* Every file went: done, or "skipped" when the only file was skipped. */
static void
helper_read_finish(struct helper *h, struct hjob *j)
{
	if (j->nfiles == 1 && j->skipped) {
		helper_send_error(h, j->hc, j->id, "skipped", (int32_t)j->cur,
		    0);
		helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__CANCELLED,
		    "skipped", 1);
	} else {
		helper_send_done(h, j->hc, j->id, (int32_t)j->cur, 0);
		helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__DONE, NULL,
		    1);
	}
	helper_job_free(j);
}

/* Open the next file; with overwrite detection, send its digest. */
static void
helper_read_open(struct helper *h, struct hjob *j)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__FileTransferDigest dg = HBB__FILE_TRANSFER_DIGEST__INIT;
	struct hfile *f = &j->files[j->cur];
	struct stat st;
	char *path;
	int fd;

	path = helper_join(j->path, f->name);
	/* Never blocks, even if a FIFO took the file's place meanwhile. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	j->nocompress = helper_compressed_name(path);
	free(path);
	if (fd < 0) {
		helper_read_fail(h, j, errno, NULL);
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		helper_read_fail(h, j, 0, "not a regular file");
		return;
	}
	j->fd = fd;
	j->file_bytes = 0;
	if (!j->od) {
		j->state = HREAD_SEND;
		return;
	}
	dg.id = j->id;
	dg.file_num = (int32_t)j->cur;
	dg.last_modified = st.st_mtime > 0 ? (uint64_t)st.st_mtime : 0;
	dg.file_size = (uint64_t)st.st_size;
	fr.union_case = HBB__FILE_RESPONSE__UNION_DIGEST;
	fr.digest = &dg;
	m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
	m.file_response = &fr;
	helper_send(h, j->hc, j->id, &m, 0);
	j->state = HREAD_WAIT;
}

/* The peer's answer to a digest: skip the file or send it from offset. */
void
helper_read_confirm(struct helper *h, struct hjob *j,
    const Hbb__FileTransferSendConfirmRequest *c)
{
	int64_t off;

	log_debug("conn %d: job %d: confirm of file %d (%d), waiting for %zu",
	    j->hc->id, j->id, c->file_num, (int)c->union_case, j->cur);
	if (j->state != HREAD_WAIT || c->file_num != (int32_t)j->cur)
		return;
	switch (c->union_case) {
	case HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__UNION_SKIP:
		if (!c->skip) {
			j->skipped = 0;
			j->state = HREAD_SEND;
			break;
		}
		helper_file_log(h, j, j->cur,
		    IPC__FILE_TRANSFER_LOG__STATE__CANCELLED, "skipped");
		j->finished += j->files[j->cur].size;
		j->skipped = 1;
		helper_read_next(j);
		break;
	case HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__UNION_OFFSET_BLK:
		/* A byte offset, despite the name (§10). */
		off = (int64_t)c->offset_blk;
		if (off > 0 && lseek(j->fd, off, SEEK_SET) == off) {
			j->finished += (uint64_t)off;
			j->file_bytes = (uint64_t)off;
		}
		j->skipped = 0;
		j->state = HREAD_SEND;
		break;
	default:
		break;
	}
}

/* The confirmed file goes to the server, which sends its blocks (from
 * the offset a resume asked for) and answers with stream_end. */
static void
helper_read_pass(struct helper *h, struct hjob *j)
{
	helper_send_stream(h, j, (int32_t)j->cur, 0, j->file_bytes, j->fd);
	j->fd = -1;
	j->state = HREAD_STREAM;
}

/* The server sent the file (or failed to read it): log it, go on. */
void
helper_read_end(struct helper *h, struct hjob *j, const Ipc__FsStreamCtl *e)
{
	if (j->state != HREAD_STREAM || e->file_num != (int32_t)j->cur)
		return;
	j->finished += e->bytes;
	j->file_bytes += e->bytes;
	if (e->error != 0) {
		helper_read_fail(h, j, e->error, NULL);
		return;
	}
	helper_file_log(h, j, j->cur, IPC__FILE_TRANSFER_LOG__STATE__DONE,
	    NULL);
	helper_read_next(j);
	helper_job_log(h, j, IPC__FILE_TRANSFER_LOG__STATE__RUNNING, NULL, 0);
}

/* One step of hc's first download (upstream sends one job at a time). */
int
helper_read_step(struct helper *h, struct hconn *hc)
{
	struct hjob *j;

	TAILQ_FOREACH(j, &hc->jobs, entry)
		if (j->kind == HJOB_READ)
			break;
	if (j == NULL)
		return 0;
	switch (j->state) {
	case HREAD_OPEN:
		if (j->cur >= j->nfiles)
			helper_read_finish(h, j);
		else
			helper_read_open(h, j);
		return 1;
	case HREAD_SEND:
		if (!helper_fds_room(h))
			return 0;
		helper_read_pass(h, j);
		return 1;
	case HREAD_WAIT:
	case HREAD_STREAM:
		break;
	}
	return 0;
}
