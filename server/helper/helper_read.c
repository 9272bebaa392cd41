/*
 * helper_read.c: downloads (PROTOCOL.md §10, "Download"). A job lists
 * what it sends, then for each file: open it (a regular file, never
 * blocking), send its digest and wait for the peer's confirm (peers from
 * 1.1.10; skip, or an offset to resume at), send it in blocks of up to
 * 128 KiB (zstd when that helps, §1.6) and one empty block, and go on;
 * done, or "skipped" for a single skipped file, ends it. A block is made
 * only when the server has given the connection credit for one.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "server/helper/helper_int.h"

/* Peers from this version on confirm each file (overwrite detection). */
#define HELPER_OD_VERSION	1001100
/* zstd level of blocks (upstream's COMPRESS_LEVEL). */
#define HELPER_ZSTD_LEVEL	3
#define HELPER_ZSTD_SKIP_MAX	64	/* blocks (8 MiB) between tries */

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

/* The file in progress failed: tell the peer and go on (as upstream). */
static void
helper_read_fail(struct helper *h, struct hjob *j, int e, const char *text)
{
	char *err = text != NULL ? xstrdup(text) : helper_errno_text(e);

	helper_send_error(h, j->hc, j->id, err, (int32_t)j->cur, 0);
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
	j->zskip = j->zback = 0;
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
	off_t off;

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
		off = (off_t)c->offset_blk;
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

/* Read up to a block of the file in progress; bytes read, or -1. */
static ssize_t
helper_read_fill(struct helper *h, int fd)
{
	size_t have = 0;
	ssize_t n;

	while (have < HELPER_BLOCK) {
		n = read(fd, h->buf + have, HELPER_BLOCK - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	return (ssize_t)have;
}

/*
 * Whether to try zstd on this block. A block of data that is already
 * compressed (a name the list in helper_compressed_name misses, or random
 * bytes) costs zstd about as much CPU as sealing it does, for nothing: after
 * a block that did not shrink the next ones go as they are, 1, 2, 4, ... up
 * to HELPER_ZSTD_SKIP_MAX blocks, and one that shrinks starts it over. The
 * client takes a mix of compressed and plain blocks (§1.6), so this changes
 * only how often we try.
 */
static int
helper_read_try_zstd(struct hjob *j)
{
	if (j->zskip == 0)
		return 1;
	j->zskip--;
	return 0;
}

/* Account a try: shrank (1) or not (0). */
static void
helper_read_zstd_result(struct hjob *j, int shrank)
{
	if (shrank)
		j->zback = 0;
	else if (j->zback < HELPER_ZSTD_SKIP_MAX)
		j->zback = j->zback ? j->zback * 2 : 1;
	j->zskip = j->zback;
}

/* Send the next block (the empty one at the end of the file). */
static void
helper_read_block(struct helper *h, struct hjob *j)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__FileTransferBlock b = HBB__FILE_TRANSFER_BLOCK__INIT;
	ssize_t n;
	size_t z;

	if ((n = helper_read_fill(h, j->fd)) < 0) {
		helper_read_fail(h, j, errno, NULL);
		return;
	}
	b.id = j->id;
	b.file_num = (int32_t)j->cur;
	b.data.data = h->buf;
	b.data.len = (size_t)n;
	if (n > 0 && !j->nocompress && helper_read_try_zstd(j)) {
		z = ZSTD_compressCCtx(h->zc, h->zbuf, h->zcap, h->buf,
		    (size_t)n, HELPER_ZSTD_LEVEL);
		/* Kept only when it is smaller (§1.6). */
		if (!ZSTD_isError(z) && z < (size_t)n) {
			b.data.data = h->zbuf;
			b.data.len = z;
			b.compressed = 1;
		}
		helper_read_zstd_result(j, b.compressed);
	}
	fr.union_case = HBB__FILE_RESPONSE__UNION_BLOCK;
	fr.block = &b;
	m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
	m.file_response = &fr;
	helper_send(h, j->hc, j->id, &m, HELPER_F_BLOCK);
	j->hc->credit--;
	j->finished += (uint64_t)n;
	j->file_bytes += (uint64_t)n;
	if (n == 0) {
		helper_file_log(h, j, j->cur,
		    IPC__FILE_TRANSFER_LOG__STATE__DONE, NULL);
		helper_read_next(j);
	}
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
		if (hc->credit == 0)
			return 0;
		helper_read_block(h, j);
		return 1;
	case HREAD_WAIT:
		break;
	}
	return 0;
}
