/*
 * files.c: the test peer's file-transfer client. It logs in for a
 * file-transfer session (LoginRequest.file_transfer) and does what the
 * stock client does for each action (PROTOCOL.md §10): downloads write
 * NAME.download next to a NAME.digest and rename when the file is whole,
 * and resume from them; uploads answer the host's digests as the client
 * answers them (resume when the host has an identical partial copy,
 * otherwise overwrite); a folder is removed file by file, then its empty
 * folders; empty folders travel as read_empty_dirs and create.
 *
 *   files ls DIR [hidden]     log in in DIR; print the first listing
 *   files dir PATH [hidden]   log in, then read_dir PATH (NODIR: no answer)
 *   files all PATH            all_files: every file below PATH
 *   files empty PATH          read_empty_dirs
 *   files mkdir PATH | rm PATH | rmdir PATH | rename PATH NEW
 *   files rmtree PATH         all_files, remove_file each, remove_dir
 *   files get REMOTE LOCAL [cut=BYTES] [rate=BYTES/S] [resume] [from=N]
 *                             [sink] (sink: count the bytes, write none)
 *                             [cancel=BYTES] [skip]
 *   files put LOCAL REMOTE [cut=BYTES] [resume] [from=N] [raw]
 *                             [cancel=BYTES] [skip]
 *                             (skip: answer "skip" for a file the other
 *                             side has already, same size and time, as a
 *                             user who chose Skip would)
 *   files evil REMOTE NAME    an upload of one file called NAME (what no
 *                             stock client sends: "..", "/etc/x")
 *   files ... nowait          (last) send the command at once after the
 *                             PeerInfo, not after the first listing
 *
 * Result lines: DIR <path> <n> and ENTRY <type> <size> <name> per entry;
 * OK | ERROR <text>; for transfers LIST <files> <bytes>, DONE <file_num>,
 * ERROR <file_num> <text>, CUT <bytes> (cut= stopped it: the process
 * exits as a client that lost its connection would), RESUME <offset>
 * (a file continues where it stopped), EMPTY <n> (folders made for empty
 * ones), MOVED <bytes>, SPEED <MB/s> over the data, CANCELLED <bytes>
 * (cancel= sent FileAction.cancel after so many bytes and waited 1 s),
 * SKIP <file_num> for each file skipped.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "tests/peer/files.h"
#include "tests/peer/peer.h"

#define FX_BLOCK	(128 * 1024)
/* The two answers of a send_confirm. */
#define FX_OFFSET \
	HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__UNION_OFFSET_BLK
#define FX_SKIP		HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__UNION_SKIP
#define FX_VERSION_OK	1	/* we log in as 1.4.9: digests and resume */

/* One connection and the options of the command. */
struct fx {
	struct pconn	*pc;
	int		 timeout;
	int32_t		 next_id;
	uint64_t	 cut;		/* stop after this many data bytes */
	uint64_t	 cancel;	/* cancel after this many */
	uint64_t	 rate;		/* bytes per second, 0: unlimited */
	int		 resume;
	int		 from;
	int		 raw;		/* never compress */
	int		 sink;		/* get: keep nothing */
	int		 skip;		/* skip identical files */
	int		 windows;	/* PeerInfo.platform is Windows */
	uint64_t	 moved;		/* data bytes this run */
	double		 t0;
};

/* One file of a transfer. */
struct fx_file {
	char		*name;
	uint64_t	 size;
	uint64_t	 mtime;
	uint64_t	 offset;	/* resume from */
};

/* The next FileAction/FileResponse (others dropped), or NULL. */
static Hbb__Message *
fx_recv(struct fx *x, int timeout_ms)
{
	Hbb__Message *m;
	double end = pc_now_ms() + timeout_ms;
	int eof = 0, left;

	for (;;) {
		left = (int)(end - pc_now_ms());
		if ((m = pc_recv(x->pc, left > 0 ? left : 0, &eof)) == NULL) {
			if (eof)
				printf("EOF\n");
			return NULL;
		}
		if (m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE ||
		    m->union_case == HBB__MESSAGE__UNION_FILE_ACTION)
			return m;
		if (m->union_case == HBB__MESSAGE__UNION_MISC &&
		    m->misc->union_case == HBB__MISC__UNION_PERMISSION_INFO &&
		    m->misc->permission_info->permission ==
		    HBB__PERMISSION_INFO__PERMISSION__File)
			printf("PERMISSION file %d\n",
			    (int)m->misc->permission_info->enabled);
		hbb__message__free_unpacked(m, NULL);
		if (left <= 0)
			return NULL;
	}
}

/* Send a FileAction. */
static void
fx_action(struct fx *x, Hbb__FileAction *fa)
{
	Hbb__Message m = HBB__MESSAGE__INIT;

	m.union_case = HBB__MESSAGE__UNION_FILE_ACTION;
	m.file_action = fa;
	pc_send(x->pc, &m);
}

/* Send a FileResponse. */
static void
fx_response(struct fx *x, Hbb__FileResponse *fr)
{
	Hbb__Message m = HBB__MESSAGE__INIT;

	m.union_case = HBB__MESSAGE__UNION_FILE_RESPONSE;
	m.file_response = fr;
	pc_send(x->pc, &m);
}

/* Send FileAction.cancel{id}, let a second pass, say CANCELLED; exits. */
static void
fx_cancel(struct fx *x, int32_t id)
{
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__FileTransferCancel cn = HBB__FILE_TRANSFER_CANCEL__INIT;
	Hbb__Message *m;
	double end;
	int eof = 0;

	cn.id = id;
	fa.union_case = HBB__FILE_ACTION__UNION_CANCEL;
	fa.cancel = &cn;
	fx_action(x, &fa);
	for (end = pc_now_ms() + 1000; !eof && pc_now_ms() < end;)
		if ((m = pc_recv(x->pc, 100, &eof)) != NULL)
			hbb__message__free_unpacked(m, NULL);
	printf("CANCELLED %llu\n", (unsigned long long)x->moved);
	fflush(stdout);
	_exit(0);
}

/* Print a listing. */
static void
fx_print_dir(const Hbb__FileDirectory *d)
{
	static const char *const types[] = {
		"Dir", "?", "DirLink", "DirDrive", "File", "FileLink",
	};
	size_t i;
	int t;

	printf("DIR %s %zu\n", d->path, d->n_entries);
	for (i = 0; i < d->n_entries; i++) {
		t = (int)d->entries[i]->entry_type;
		printf("ENTRY %s %llu %s%s\n",
		    t >= 0 && t <= 5 ? types[t] : "?",
		    (unsigned long long)d->entries[i]->size,
		    d->entries[i]->name, d->entries[i]->is_hidden ? " hidden" :
		    "");
	}
}

/* Log in for a file-transfer session in dir; wait for the first listing
 * (wait set), printed when show is set. Returns 0 or -1. */
static int
fx_login(struct fx *x, const char *user, const char *pw, const char *dir,
    int hidden, int show, int wait)
{
	Hbb__Message *m;

	pc_set_file_transfer(x->pc, dir, hidden);
	m = pc_login(x->pc, user, pw, x->timeout);
	if (m == NULL) {
		printf("EOF\n");
		return -1;
	}
	if (m->union_case != HBB__MESSAGE__UNION_LOGIN_RESPONSE ||
	    m->login_response->union_case !=
	    HBB__LOGIN_RESPONSE__UNION_PEER_INFO) {
		if (m->union_case == HBB__MESSAGE__UNION_LOGIN_RESPONSE)
			printf("LOGINERROR %s\n", m->login_response->error);
		else
			printf("CLOSED\n");
		hbb__message__free_unpacked(m, NULL);
		return -1;
	}
	x->windows = strcmp(m->login_response->peer_info->platform,
	    "Windows") == 0;
	hbb__message__free_unpacked(m, NULL);
	/* The first listing follows the PeerInfo. */
	while (wait && (m = fx_recv(x, x->timeout)) != NULL) {
		if (m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE &&
		    m->file_response->union_case ==
		    HBB__FILE_RESPONSE__UNION_DIR) {
			if (show)
				fx_print_dir(m->file_response->dir);
			hbb__message__free_unpacked(m, NULL);
			return 0;
		}
		hbb__message__free_unpacked(m, NULL);
	}
	if (!wait)
		return 0;
	printf("NOLISTING\n");
	return show ? -1 : 0;
}

/* Wait for done or error of job id: print OK or ERROR (with the file
 * number for a transfer); 0 if done. */
static int
fx_wait_result(struct fx *x, int32_t id, int transfer)
{
	Hbb__Message *m;
	Hbb__FileResponse *fr;
	int r = -1;

	while ((m = fx_recv(x, x->timeout)) != NULL) {
		fr = m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE ?
		    m->file_response : NULL;
		if (fr != NULL && fr->union_case ==
		    HBB__FILE_RESPONSE__UNION_DONE && fr->done->id == id) {
			printf("OK\n");
			r = 0;
		} else if (fr != NULL && fr->union_case ==
		    HBB__FILE_RESPONSE__UNION_ERROR && fr->error->id == id) {
			if (transfer)
				printf("ERROR %d %s\n", fr->error->file_num,
				    fr->error->error);
			else
				printf("ERROR %s\n", fr->error->error);
			r = 1;
		}
		hbb__message__free_unpacked(m, NULL);
		if (r >= 0)
			return r;
	}
	printf("TIMEOUT\n");
	return -1;
}

/* read_dir: print the listing, or NODIR when none comes in 3 s. */
static int
fx_dir(struct fx *x, const char *path, int hidden)
{
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__ReadDir rd = HBB__READ_DIR__INIT;
	Hbb__Message *m;

	rd.path = (char *)path;
	rd.include_hidden = hidden;
	fa.union_case = HBB__FILE_ACTION__UNION_READ_DIR;
	fa.read_dir = &rd;
	fx_action(x, &fa);
	while ((m = fx_recv(x, 3000)) != NULL) {
		if (m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE &&
		    m->file_response->union_case ==
		    HBB__FILE_RESPONSE__UNION_DIR) {
			fx_print_dir(m->file_response->dir);
			hbb__message__free_unpacked(m, NULL);
			return 0;
		}
		hbb__message__free_unpacked(m, NULL);
	}
	printf("NODIR\n");
	return 0;
}

/* all_files (print) or read_empty_dirs. Returns the reply or NULL. */
static Hbb__Message *
fx_list(struct fx *x, const char *path, int empty)
{
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__ReadAllFiles af = HBB__READ_ALL_FILES__INIT;
	Hbb__ReadEmptyDirs re = HBB__READ_EMPTY_DIRS__INIT;
	Hbb__Message *m;
	int32_t id = x->next_id++;
	int want;

	if (empty) {
		re.path = (char *)path;
		re.include_hidden = 1;
		fa.union_case = HBB__FILE_ACTION__UNION_READ_EMPTY_DIRS;
		fa.read_empty_dirs = &re;
		want = HBB__FILE_RESPONSE__UNION_EMPTY_DIRS;
	} else {
		af.id = id;
		af.path = (char *)path;
		af.include_hidden = 1;
		fa.union_case = HBB__FILE_ACTION__UNION_ALL_FILES;
		fa.all_files = &af;
		want = HBB__FILE_RESPONSE__UNION_DIR;
	}
	fx_action(x, &fa);
	while ((m = fx_recv(x, empty ? 3000 : x->timeout)) != NULL) {
		if (m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE &&
		    (int)m->file_response->union_case == want)
			return m;
		if (m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE &&
		    m->file_response->union_case ==
		    HBB__FILE_RESPONSE__UNION_ERROR) {
			printf("ERROR %s\n", m->file_response->error->error);
			hbb__message__free_unpacked(m, NULL);
			return NULL;
		}
		hbb__message__free_unpacked(m, NULL);
	}
	return NULL;
}

/* One of create, remove_file, remove_dir, rename; prints OK or ERROR. */
static int
fx_op(struct fx *x, const char *op, const char *path, const char *arg,
    int32_t file_num)
{
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__FileDirCreate cr = HBB__FILE_DIR_CREATE__INIT;
	Hbb__FileRemoveFile rf = HBB__FILE_REMOVE_FILE__INIT;
	Hbb__FileRemoveDir rd = HBB__FILE_REMOVE_DIR__INIT;
	Hbb__FileRename rn = HBB__FILE_RENAME__INIT;
	int32_t id = x->next_id++;

	if (strcmp(op, "mkdir") == 0) {
		cr.id = id;
		cr.path = (char *)path;
		fa.union_case = HBB__FILE_ACTION__UNION_CREATE;
		fa.create = &cr;
	} else if (strcmp(op, "rm") == 0) {
		rf.id = id;
		rf.path = (char *)path;
		rf.file_num = file_num;
		fa.union_case = HBB__FILE_ACTION__UNION_REMOVE_FILE;
		fa.remove_file = &rf;
	} else if (strcmp(op, "rmdir") == 0) {
		rd.id = id;
		rd.path = (char *)path;
		rd.recursive = arg != NULL;
		fa.union_case = HBB__FILE_ACTION__UNION_REMOVE_DIR;
		fa.remove_dir = &rd;
	} else {
		rn.id = id;
		rn.path = (char *)path;
		rn.new_name = (char *)arg;
		fa.union_case = HBB__FILE_ACTION__UNION_RENAME;
		fa.rename = &rn;
	}
	fx_action(x, &fa);
	return fx_wait_result(x, id, 0);
}

/* The stock client's folder removal: each file, then the folders. */
static int
fx_rmtree(struct fx *x, const char *path)
{
	Hbb__Message *m = fx_list(x, path, 0);
	Hbb__FileDirectory *d;
	char *p;
	size_t i;
	int bad = 0;

	if (m == NULL)
		return 1;
	d = m->file_response->dir;
	for (i = 0; i < d->n_entries; i++) {
		xasprintf(&p, "%s/%s", path, d->entries[i]->name);
		bad |= fx_op(x, "rm", p, NULL, (int32_t)i) != 0;
		free(p);
	}
	hbb__message__free_unpacked(m, NULL);
	bad |= fx_op(x, "rmdir", path, "recursive", 0) != 0;
	printf(bad ? "TREE ERROR\n" : "TREE OK\n");
	return 0;
}

/* Make path's parent folders. */
static void
fx_mkparents(const char *path)
{
	char *p = xstrdup(path), *s;

	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	free(p);
}

/* base joined with name ("" is base). Caller frees. */
static char *
fx_join(const char *base, const char *name)
{
	char *s;

	if (*name == '\0')
		return xstrdup(base);
	xasprintf(&s, "%s/%s", base, name);
	return s;
}

/* Parse {"size":N,"modified":M} loosely (our own digest files). */
static int
fx_digest_read(const char *path, uint64_t *size, uint64_t *mod)
{
	char text[256];
	const char *s, *mo;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	if ((s = strstr(text, "\"size\":")) == NULL ||
	    (mo = strstr(text, "\"modified\":")) == NULL)
		return -1;
	*size = strtoull(s + 7, NULL, 10);
	*mod = strtoull(mo + 11, NULL, 10);
	return 0;
}

/* Wait as long as rate= asks for what moved so far. */
static void
fx_pace(struct fx *x)
{
	double due;

	if (x->rate == 0)
		return;
	due = x->t0 + (double)x->moved * 1000.0 / (double)x->rate;
	if (due > pc_now_ms())
		usleep((useconds_t)((due - pc_now_ms()) * 1000));
}

/* Free a list of n files. */
static void
fx_files_free(struct fx_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(files[i].name);
	free(files);
}

/* The download's state. */
struct fx_get {
	const char	*local;
	struct fx_file	*files;
	size_t		 n;
	long		 open;		/* file being written, or -1 */
	int		 fd;
	uint64_t	*dsize, *dmtime;
};

/* Finish the open file: rename NAME.download, set its time. */
static void
fx_get_close(struct fx_get *g)
{
	char *path, *dl, *dg;
	struct timeval tv[2];

	if (g->open < 0)
		return;
	close(g->fd);
	path = fx_join(g->local, g->files[g->open].name);
	xasprintf(&dl, "%s.download", path);
	xasprintf(&dg, "%s.digest", path);
	rename(dl, path);
	unlink(dg);
	tv[0].tv_sec = tv[1].tv_sec = (time_t)g->dmtime[g->open];
	tv[0].tv_usec = tv[1].tv_usec = 0;
	utimes(path, tv);
	free(path);
	free(dl);
	free(dg);
	g->open = -1;
}

/* The host's digest of file i: resume, or overwrite; send the confirm. */
static void
fx_get_digest(struct fx *x, struct fx_get *g, const Hbb__FileTransferDigest *d)
{
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__FileTransferSendConfirmRequest c =
	    HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__INIT;
	char *path, *dl, *dg;
	uint64_t size, mod;
	struct stat st;

	if (d->file_num < 0 || (size_t)d->file_num >= g->n)
		return;
	g->dsize[d->file_num] = d->file_size;
	g->dmtime[d->file_num] = d->last_modified;
	path = fx_join(g->local, g->files[d->file_num].name);
	xasprintf(&dl, "%s.download", path);
	xasprintf(&dg, "%s.digest", path);
	c.id = d->id;
	c.file_num = d->file_num;
	c.union_case = FX_OFFSET;
	if (x->skip && stat(path, &st) == 0 &&
	    (uint64_t)st.st_size == d->file_size &&
	    (uint64_t)st.st_mtime == d->last_modified) {
		c.union_case = FX_SKIP;
		c.skip = 1;
		printf("SKIP %d\n", d->file_num);
	} else if (x->resume && fx_digest_read(dg, &size, &mod) == 0 &&
	    size == d->file_size && mod == d->last_modified &&
	    stat(dl, &st) == 0 && st.st_size > 0) {
		c.offset_blk = (uint32_t)st.st_size;
		g->files[d->file_num].offset = (uint64_t)st.st_size;
		printf("RESUME %llu\n", (unsigned long long)st.st_size);
	}
	fa.union_case = HBB__FILE_ACTION__UNION_SEND_CONFIRM;
	fa.send_confirm = &c;
	fx_action(x, &fa);
	free(path);
	free(dl);
	free(dg);
}

/* Write a block of file b->file_num; -1 when cut= was reached. */
static int
fx_get_block(struct fx *x, struct fx_get *g, const Hbb__FileTransferBlock *b)
{
	static uint8_t out[8 << 20];
	const uint8_t *data = b->data.data;
	size_t n = b->data.len;
	char *path, *dl, *dg, text[96];
	int fd;

	if (b->file_num < 0 || (size_t)b->file_num >= g->n)
		return 0;
	if (x->sink) {
		n = b->compressed ? ZSTD_decompress(out, sizeof out, data, n) :
		    n;
		x->moved += ZSTD_isError(n) ? 0 : n;
		return 0;
	}
	if (b->file_num != g->open) {
		fx_get_close(g);
		path = fx_join(g->local, g->files[b->file_num].name);
		xasprintf(&dl, "%s.download", path);
		xasprintf(&dg, "%s.digest", path);
		fx_mkparents(dl);
		if (g->files[b->file_num].offset > 0) {
			fd = open(dl, O_WRONLY);
			lseek(fd, (off_t)g->files[b->file_num].offset,
			    SEEK_SET);
		} else {
			fd = open(dl, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			snprintf(text, sizeof text,
			    "{\"size\":%llu,\"modified\":%llu}",
			    (unsigned long long)g->dsize[b->file_num],
			    (unsigned long long)g->dmtime[b->file_num]);
			/* As the stock client: what the file will be. */
			if (fd >= 0) {
				int dfd = open(dg, O_WRONLY | O_CREAT | O_TRUNC,
				    0644);

				if (dfd >= 0 &&
				    write(dfd, text, strlen(text)) < 0)
					perror("digest");
				if (dfd >= 0)
					close(dfd);
			}
		}
		free(path);
		free(dl);
		free(dg);
		if (fd < 0) {
			printf("LOCALERROR %s\n", strerror(errno));
			exit(1);
		}
		g->fd = fd;
		g->open = b->file_num;
	}
	if (b->compressed) {
		n = ZSTD_decompress(out, sizeof out, data, n);
		if (ZSTD_isError(n)) {
			printf("BADBLOCK\n");
			exit(1);
		}
		data = out;
	}
	if (x->cut > 0 && x->moved + n >= x->cut) {
		n = (size_t)(x->cut - x->moved);
		if (write(g->fd, data, n) != (ssize_t)n)
			perror("write");
		x->moved += n;
		printf("CUT %llu\n", (unsigned long long)x->moved);
		fflush(stdout);
		return -1;
	}
	if (write(g->fd, data, n) != (ssize_t)n) {
		printf("LOCALERROR %s\n", strerror(errno));
		exit(1);
	}
	x->moved += n;
	fx_pace(x);
	if (x->cancel > 0 && x->moved >= x->cancel)
		fx_cancel(x, b->id);
	return 0;
}

/* Take the listing of a download. */
static void
fx_get_list(struct fx *x, struct fx_get *g, const Hbb__FileDirectory *d)
{
	uint64_t total = 0;
	size_t i;
	char *s;

	g->n = d->n_entries;
	g->files = xcalloc(g->n + 1, sizeof *g->files);
	g->dsize = xcalloc(g->n + 1, sizeof *g->dsize);
	g->dmtime = xcalloc(g->n + 1, sizeof *g->dmtime);
	for (i = 0; i < g->n; i++) {
		g->files[i].name = xstrdup(d->entries[i]->name);
		/* A Windows host names files below with '\\', which the stock
		 * client turns into '/' (transform_windows_path). */
		for (s = g->files[i].name; x->windows && *s != '\0'; s++)
			if (*s == '\\')
				*s = '/';
		g->files[i].size = d->entries[i]->size;
		g->files[i].mtime = d->entries[i]->modified_time;
		g->dsize[i] = d->entries[i]->size;
		g->dmtime[i] = d->entries[i]->modified_time;
		total += d->entries[i]->size;
	}
	printf("LIST %zu %llu\n", g->n, (unsigned long long)total);
}

/* Make local folders for the remote empty ones below remote. */
static void
fx_get_empty(struct fx *x, const char *remote, const char *local)
{
	Hbb__Message *m = fx_list(x, remote, 1);
	Hbb__ReadEmptyDirsResponse *r;
	size_t i, n = strlen(remote);
	char *p, *s;

	if (m == NULL) {
		printf("EMPTY 0\n");
		return;
	}
	r = m->file_response->empty_dirs;
	for (i = 0; i < r->n_empty_dirs; i++) {
		if (strncmp(r->empty_dirs[i]->path, remote, n) != 0)
			continue;
		xasprintf(&p, "%s%s/", local, r->empty_dirs[i]->path + n);
		for (s = p + strlen(local); x->windows && *s != '\0'; s++)
			if (*s == '\\')
				*s = '/';
		fx_mkparents(p);
		free(p);
	}
	printf("EMPTY %zu\n", r->n_empty_dirs);
	hbb__message__free_unpacked(m, NULL);
}

/* Download remote to local. */
static int
fx_get(struct fx *x, const char *remote, const char *local)
{
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__FileTransferSendRequest s = HBB__FILE_TRANSFER_SEND_REQUEST__INIT;
	struct fx_get g = { local, NULL, 0, -1, -1, NULL, NULL };
	Hbb__FileResponse *fr;
	Hbb__Message *m;
	int32_t id = x->next_id++;
	int end = 0;

	s.id = id;
	s.path = (char *)remote;
	s.include_hidden = 1;
	s.file_num = x->from;
	fa.union_case = HBB__FILE_ACTION__UNION_SEND;
	fa.send = &s;
	fx_action(x, &fa);
	x->t0 = pc_now_ms();
	while (!end && (m = fx_recv(x, x->timeout)) != NULL) {
		fr = m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE ?
		    m->file_response : NULL;
		if (fr == NULL)
			;
		else if (fr->union_case == HBB__FILE_RESPONSE__UNION_DIR &&
		    fr->dir->id == id)
			fx_get_list(x, &g, fr->dir);
		else if (fr->union_case == HBB__FILE_RESPONSE__UNION_DIGEST &&
		    fr->digest->id == id)
			fx_get_digest(x, &g, fr->digest);
		else if (fr->union_case == HBB__FILE_RESPONSE__UNION_BLOCK &&
		    fr->block->id == id) {
			if (fx_get_block(x, &g, fr->block) != 0)
				_exit(0);	/* cut: the connection drops */
		} else if (fr->union_case == HBB__FILE_RESPONSE__UNION_DONE &&
		    fr->done->id == id) {
			fx_get_close(&g);
			printf("MOVED %llu\nDONE %d\n",
			    (unsigned long long)x->moved, fr->done->file_num);
			end = 1;
		} else if (fr->union_case == HBB__FILE_RESPONSE__UNION_ERROR &&
		    fr->error->id == id) {
			printf("ERROR %d %s\n", fr->error->file_num,
			    fr->error->error);
			end = 2;
		}
		hbb__message__free_unpacked(m, NULL);
	}
	if (end == 0)
		printf("TIMEOUT\n");
	if (end == 1) {
		printf("SPEED %.1f\n", (double)x->moved / 1e3 /
		    (pc_now_ms() - x->t0 + 1e-3));
		if (g.n != 1 || *g.files[0].name != '\0')
			fx_get_empty(x, remote, local);
	}
	fx_files_free(g.files, g.n);
	free(g.dsize);
	free(g.dmtime);
	return 0;
}

/* The upload's state. */
struct fx_put {
	struct fx_file	*files;
	size_t		 n;
	char		**empty;	/* relative empty folders */
	size_t		 nempty;
	uint64_t	 total;
};

/* Add the files below dir/rel (and its empty folders) to p. */
static void
fx_put_walk(struct fx_put *p, const char *dir, const char *rel)
{
	struct dirent *de;
	struct stat st;
	char *full, *r;
	DIR *d;
	int any = 0;

	full = fx_join(dir, rel);
	if ((d = opendir(full)) == NULL) {
		free(full);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		any = 1;
		r = *rel ? NULL : xstrdup(de->d_name);
		if (r == NULL)
			xasprintf(&r, "%s/%s", rel, de->d_name);
		free(full);
		full = fx_join(dir, r);
		if (lstat(full, &st) != 0)
			st.st_mode = 0;
		if (S_ISDIR(st.st_mode))
			fx_put_walk(p, dir, r);
		else if (S_ISREG(st.st_mode)) {
			p->files = xreallocarray(p->files, p->n + 1,
			    sizeof *p->files);
			memset(&p->files[p->n], 0, sizeof p->files[p->n]);
			p->files[p->n].name = xstrdup(r);
			p->files[p->n].size = (uint64_t)st.st_size;
			p->files[p->n].mtime = (uint64_t)st.st_mtime;
			p->total += (uint64_t)st.st_size;
			p->n++;
		}
		free(r);
	}
	closedir(d);
	free(full);
	if (!any && *rel != '\0') {
		p->empty = xreallocarray(p->empty, p->nempty + 1,
		    sizeof *p->empty);
		p->empty[p->nempty++] = xstrdup(rel);
	}
}

/* Send FileResponse.digest of file i (as the client's read job does). */
static void
fx_put_digest(struct fx *x, int32_t id, int32_t i, const struct fx_file *f)
{
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__FileTransferDigest d = HBB__FILE_TRANSFER_DIGEST__INIT;

	d.id = id;
	d.file_num = i;
	d.last_modified = f->mtime;
	d.file_size = f->size;
	d.is_resume = x->resume;
	fr.union_case = HBB__FILE_RESPONSE__UNION_DIGEST;
	fr.digest = &d;
	fx_response(x, &fr);
}

/*
 * Wait for the host's answer to a digest: its confirm (offset, or skip
 * as -2), or its digest, which we answer (resume if identical and
 * partial, else overwrite). Returns the offset, -2 skip, -1 error.
 */
static int64_t
fx_put_confirm(struct fx *x, int32_t id, int32_t i)
{
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__FileTransferSendConfirmRequest c =
	    HBB__FILE_TRANSFER_SEND_CONFIRM_REQUEST__INIT;
	Hbb__Message *m;
	int64_t off = -1;

	while (off == -1 && (m = fx_recv(x, x->timeout)) != NULL) {
		if (m->union_case == HBB__MESSAGE__UNION_FILE_ACTION &&
		    m->file_action->union_case ==
		    HBB__FILE_ACTION__UNION_SEND_CONFIRM &&
		    m->file_action->send_confirm->id == id)
			off = m->file_action->send_confirm->union_case ==
			    FX_SKIP ? -2 :
			    (int64_t)m->file_action->send_confirm->offset_blk;
		else if (m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE &&
		    m->file_response->union_case ==
		    HBB__FILE_RESPONSE__UNION_DIGEST &&
		    m->file_response->digest->id == id) {
			Hbb__FileTransferDigest *d = m->file_response->digest;

			off = d->is_identical && x->resume &&
			    d->transferred_size > 0 ?
			    (int64_t)d->transferred_size : 0;
			if (off > 0)
				printf("RESUME %lld\n", (long long)off);
			c.id = id;
			c.file_num = i;
			c.union_case =
			    FX_OFFSET;
			c.offset_blk = (uint32_t)off;
			if (x->skip && d->is_identical &&
			    d->transferred_size == 0) {
				c.union_case =
				    FX_SKIP;
				c.skip = 1;
				off = -2;
				printf("SKIP %d\n", i);
			}
			fa.union_case = HBB__FILE_ACTION__UNION_SEND_CONFIRM;
			fa.send_confirm = &c;
			fx_action(x, &fa);
		} else if (m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE &&
		    m->file_response->union_case ==
		    HBB__FILE_RESPONSE__UNION_ERROR) {
			printf("ERROR %d %s\n",
			    m->file_response->error->file_num,
			    m->file_response->error->error);
			hbb__message__free_unpacked(m, NULL);
			return -3;
		}
		hbb__message__free_unpacked(m, NULL);
	}
	return off;
}

/* A host error while blocks go out (the permission, a full disk). */
static int
fx_put_poll(struct fx *x)
{
	Hbb__Message *m;
	int bad = 0;

	while ((m = pc_recv(x->pc, 0, &bad)) != NULL) {
		if (m->union_case == HBB__MESSAGE__UNION_FILE_RESPONSE &&
		    m->file_response->union_case ==
		    HBB__FILE_RESPONSE__UNION_ERROR) {
			printf("ERROR %d %s\n",
			    m->file_response->error->file_num,
			    m->file_response->error->error);
			bad = 1;
		}
		hbb__message__free_unpacked(m, NULL);
		if (bad)
			break;
	}
	return bad;
}

/* Send file i from its offset in blocks, then the empty block. Returns
 * 0, -1 on a host error, 1 when cut= was reached. */
static int
fx_put_file(struct fx *x, const char *local, int32_t id, int32_t i,
    const struct fx_file *f, uint64_t off)
{
	static uint8_t buf[FX_BLOCK], z[FX_BLOCK + 1024];
	static ZSTD_CCtx *zc;	/* kept: a fresh one per block is cleared
				   each time (ZSTD_compress), same bytes */
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__FileTransferBlock b = HBB__FILE_TRANSFER_BLOCK__INIT;
	char *path = fx_join(local, f->name);
	const char *dot;
	ssize_t n;
	size_t zn;
	int fd, pack;

	if (zc == NULL && (zc = ZSTD_createCCtx()) == NULL)
		fatal("zstd");
	fd = open(path, O_RDONLY);
	dot = strrchr(path, '.');
	pack = !x->raw && (dot == NULL || (strcmp(dot, ".gz") != 0 &&
	    strcmp(dot, ".zip") != 0 && strcmp(dot, ".png") != 0));
	free(path);
	if (fd < 0 || lseek(fd, (off_t)off, SEEK_SET) < 0)
		return -1;
	b.id = id;
	b.file_num = i;
	fr.union_case = HBB__FILE_RESPONSE__UNION_BLOCK;
	fr.block = &b;
	do {
		if ((n = read(fd, buf, sizeof buf)) < 0)
			n = 0;
		if (x->cut > 0 && x->moved + (uint64_t)n >= x->cut)
			n = (ssize_t)(x->cut - x->moved);
		b.data.data = buf;
		b.data.len = (size_t)n;
		b.compressed = 0;
		zn = n > 0 && pack ? ZSTD_compressCCtx(zc, z, sizeof z, buf,
		    (size_t)n, 3) : 0;
		if (n > 0 && pack && !ZSTD_isError(zn) && zn < (size_t)n) {
			b.data.data = z;
			b.data.len = zn;
			b.compressed = 1;
		}
		fx_response(x, &fr);
		x->moved += (uint64_t)n;
		if (x->cancel > 0 && x->moved >= x->cancel) {
			close(fd);
			fx_cancel(x, id);
		}
		if (x->cut > 0 && x->moved >= x->cut) {
			close(fd);
			return 1;
		}
		if (fx_put_poll(x)) {
			close(fd);
			return -1;
		}
	} while (n > 0);
	close(fd);
	return 0;
}

/* Upload local (a file or a folder) to remote. */
static int
fx_put(struct fx *x, const char *local, const char *remote)
{
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__FileTransferReceiveRequest r =
	    HBB__FILE_TRANSFER_RECEIVE_REQUEST__INIT;
	Hbb__FileResponse fr = HBB__FILE_RESPONSE__INIT;
	Hbb__FileTransferDone dn = HBB__FILE_TRANSFER_DONE__INIT;
	Hbb__FileEntry *ents, **ptrs;
	struct fx_put p = { NULL, 0, NULL, 0, 0 };
	struct stat st;
	int32_t id = x->next_id++, i;
	int64_t off;
	size_t k;
	char *rp;
	int rv;

	if (stat(local, &st) != 0) {
		printf("LOCALERROR %s\n", strerror(errno));
		return 1;
	}
	if (S_ISDIR(st.st_mode))
		fx_put_walk(&p, local, "");
	else {
		p.files = xcalloc(1, sizeof *p.files);
		p.files[0].name = xstrdup("");
		p.files[0].size = (uint64_t)st.st_size;
		p.files[0].mtime = (uint64_t)st.st_mtime;
		p.total = p.files[0].size;
		p.n = 1;
	}
	ents = xcalloc(p.n + 1, sizeof *ents);
	ptrs = xcalloc(p.n + 1, sizeof *ptrs);
	for (k = 0; k < p.n; k++) {
		hbb__file_entry__init(&ents[k]);
		ents[k].entry_type = HBB__FILE_TYPE__File;
		ents[k].name = p.files[k].name;
		ents[k].size = p.files[k].size;
		ents[k].modified_time = p.files[k].mtime;
		ptrs[k] = &ents[k];
	}
	r.id = id;
	r.path = (char *)remote;
	r.files = ptrs;
	r.n_files = p.n;
	r.file_num = x->from;
	r.total_size = p.total;
	fa.union_case = HBB__FILE_ACTION__UNION_RECEIVE;
	fa.receive = &r;
	fx_action(x, &fa);
	printf("LIST %zu %llu\n", p.n, (unsigned long long)p.total);
	x->t0 = pc_now_ms();
	for (i = x->from; (size_t)i < p.n; i++) {
		fx_put_digest(x, id, i, &p.files[i]);
		if ((off = fx_put_confirm(x, id, i)) == -2)
			continue;
		if (off < 0) {
			if (off == -1)
				printf("TIMEOUT\n");
			goto out;
		}
		rv = fx_put_file(x, local, id, i, &p.files[i], (uint64_t)off);
		if (rv == 1) {
			printf("CUT %llu\n", (unsigned long long)x->moved);
			fflush(stdout);
			_exit(0);	/* the connection drops */
		}
		if (rv < 0)
			goto out;
	}
	dn.id = id;
	dn.file_num = (int32_t)p.n;
	fr.union_case = HBB__FILE_RESPONSE__UNION_DONE;
	fr.done = &dn;
	fx_response(x, &fr);
	if (fx_wait_result(x, id, 1) == 0)
		printf("DONE %zu\nSPEED %.1f\n", p.n, (double)x->moved / 1e3 /
		    (pc_now_ms() - x->t0 + 1e-3));
	for (k = 0; k < p.nempty; k++) {
		xasprintf(&rp, "%s/%s", remote, p.empty[k]);
		fx_op(x, "mkdir", rp, NULL, 0);
		free(rp);
	}
	printf("EMPTY %zu\n", p.nempty);
out:
	for (k = 0; k < p.nempty; k++)
		free(p.empty[k]);
	free(p.empty);
	fx_files_free(p.files, p.n);
	free(ents);
	free(ptrs);
	return 0;
}

/* An upload of one file whose name no stock client would send. */
static int
fx_evil(struct fx *x, const char *remote, const char *name)
{
	Hbb__FileAction fa = HBB__FILE_ACTION__INIT;
	Hbb__FileTransferReceiveRequest r =
	    HBB__FILE_TRANSFER_RECEIVE_REQUEST__INIT;
	Hbb__FileEntry e = HBB__FILE_ENTRY__INIT, *ep[2] = { &e, &e };
	Hbb__FileEntry blank = HBB__FILE_ENTRY__INIT;

	e.name = (char *)name;
	e.size = 5;
	blank.name = (char *)"ok.txt";
	ep[1] = &blank;
	r.id = x->next_id;
	r.path = (char *)remote;
	r.files = ep;
	r.n_files = 2;
	r.total_size = 5;
	fa.union_case = HBB__FILE_ACTION__UNION_RECEIVE;
	fa.receive = &r;
	fx_action(x, &fa);
	fx_put_digest(x, r.id, 0, &(struct fx_file){ NULL, 5, 0, 0 });
	return fx_wait_result(x, r.id, 0) < 0;
}

/* Take name=value options after the arguments. */
static void
fx_options(struct fx *x, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "cut=", 4) == 0)
			x->cut = strtoull(argv[i] + 4, NULL, 10);
		else if (strncmp(argv[i], "cancel=", 7) == 0)
			x->cancel = strtoull(argv[i] + 7, NULL, 10);
		else if (strncmp(argv[i], "rate=", 5) == 0)
			x->rate = strtoull(argv[i] + 5, NULL, 10);
		else if (strncmp(argv[i], "from=", 5) == 0)
			x->from = atoi(argv[i] + 5);
		else if (strcmp(argv[i], "resume") == 0)
			x->resume = 1;
		else if (strcmp(argv[i], "raw") == 0)
			x->raw = 1;
		else if (strcmp(argv[i], "sink") == 0)
			x->sink = 1;
		else if (strcmp(argv[i], "skip") == 0)
			x->skip = 1;
	}
}

/* Run one files subcommand. */
int
files_main(int argc, char **argv, struct pconn *(*dial)(void),
    const char *user, const char *pw, int timeout_ms)
{
	struct fx x;
	const char *cmd;
	int r, hidden, wait = 1;

	memset(&x, 0, sizeof x);
	x.timeout = timeout_ms;
	x.next_id = 1;
	if (argc > 2 && strcmp(argv[argc - 1], "nowait") == 0) {
		wait = 0;
		argc--;
	}
	if (argc < 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	cmd = argv[0];
	hidden = argc > 2 && strcmp(argv[2], "hidden") == 0;
	if ((x.pc = dial()) == NULL)
		return 1;
	if (fx_login(&x, user, pw, strcmp(cmd, "ls") == 0 ? argv[1] : "",
	    hidden, strcmp(cmd, "ls") == 0, wait) != 0) {
		pc_free(x.pc);
		return 0;
	}
	r = 0;
	if (strcmp(cmd, "dir") == 0)
		r = fx_dir(&x, argv[1], hidden);
	else if (strcmp(cmd, "all") == 0 || strcmp(cmd, "empty") == 0) {
		Hbb__Message *m = fx_list(&x, argv[1], cmd[0] == 'e');

		if (m != NULL && cmd[0] == 'a')
			fx_print_dir(m->file_response->dir);
		else if (m != NULL)
			printf("EMPTY %zu\n",
			    m->file_response->empty_dirs->n_empty_dirs);
		if (m != NULL)
			hbb__message__free_unpacked(m, NULL);
	} else if (strcmp(cmd, "mkdir") == 0 || strcmp(cmd, "rm") == 0 ||
	    strcmp(cmd, "rmdir") == 0)
		fx_op(&x, cmd, argv[1], NULL, 0);
	else if (strcmp(cmd, "rename") == 0 && argc >= 3)
		fx_op(&x, cmd, argv[1], argv[2], 0);
	else if (strcmp(cmd, "rmtree") == 0)
		r = fx_rmtree(&x, argv[1]);
	else if (strcmp(cmd, "get") == 0 && argc >= 3) {
		fx_options(&x, argc - 3, argv + 3);
		r = fx_get(&x, argv[1], argv[2]);
	} else if (strcmp(cmd, "put") == 0 && argc >= 3) {
		fx_options(&x, argc - 3, argv + 3);
		r = fx_put(&x, argv[1], argv[2]);
	} else if (strcmp(cmd, "evil") == 0 && argc >= 3)
		r = fx_evil(&x, argv[1], argv[2]);
	else if (strcmp(cmd, "ls") != 0)
		r = 2;
	pc_free(x.pc);
	return r;
}
