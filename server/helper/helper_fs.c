/*
 * helper_fs.c: the file helper's work on paths (PROTOCOL.md §10): folder
 * listings (one level, every file below, the empty folders), create,
 * remove and rename, the checks of the names a peer sends with an upload,
 * and the NAME.digest files that make an upload resumable. Error texts
 * are upstream's (hbb_common fs.rs), so the stock client shows what it
 * would show against a RustDesk host.
 *
 * Nothing here opens anything but folders and regular files, and files
 * only without following a symlink and without blocking: a FIFO or a
 * device a peer names is listed, never read.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/utf8.h"
#include "common/xmalloc.h"
#include "ipc/ipc.h"
#include "server/helper/helper_int.h"

/* Folder depth the recursive walks go to, at most. */
#define HELPER_DEPTH_MAX	256
/* Entries one recursive listing may hold (the reply must fit a frame). */
#define HELPER_FILES_MAX	200000
/* A .digest file is a line of JSON; anything larger is not ours. */
#define HELPER_DIGEST_MAX	4096

/* Called by helper_scan for each entry: its name, full path, lstat, and
 * whether it is (or a link leads to) a folder. */
typedef void (*helper_scan_cb)(const char *name, const char *full,
    const struct stat *lst, int is_dir, void *arg);

/* An errno as upstream's io::Error prints it; caller frees. */
char *
helper_errno_text(int e)
{
#ifdef _WIN32
	/* The system's words and the Win32 error number (helper_win.c). */
	return helper_win_errtext(e);
#else
	char *s;

	xasprintf(&s, "%s (os error %d)", strerror(e), e);
	return s;
#endif
}

/* base joined with name; "" is base itself. Caller frees. */
char *
helper_join(const char *base, const char *name)
{
	size_t n = strlen(base);
	char *s;

	if (*name == '\0')
		return xstrdup(base);
	if (n == 0)
		return xstrdup(name);
	xasprintf(&s, "%s%s%s", base, strchr(HELPER_SEPS, base[n - 1]) !=
	    NULL ? "" : (char[]){ HELPER_SEP, '\0' }, name);
	return s;
}

/* The last separator in path. */
char *
helper_last_sep(const char *path)
{
	const char *s, *last = NULL;

	for (s = path; *s != '\0'; s++)
		if (strchr(HELPER_SEPS, *s) != NULL)
			last = s;
	return (char *)last;
}

/*
 * Call cb for each entry of folder path (not "." or ".."; names that are
 * not UTF-8 are skipped, as upstream does, since a protobuf string cannot
 * carry them; dot-files only with hidden). Returns 0, or -1 with *err
 * when the folder cannot be read.
 */
static int
helper_scan(const char *path, int hidden, helper_scan_cb cb, void *arg,
    char **err)
{
	struct dirent *de;
	struct stat lst, st;
	DIR *d;
	char *full;
	int is_dir;

	if ((d = opendir(*path != '\0' ? path : ".")) == NULL) {
		*err = helper_errno_text(errno);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    !utf8_valid(de->d_name) ||
		    (HELPER_DOT_HIDDEN && de->d_name[0] == '.' && !hidden))
			continue;
		full = helper_join(path, de->d_name);
		if (lstat(full, &lst) == 0 &&
		    (hidden || !helper_hidden(de->d_name, &lst))) {
			is_dir = S_ISDIR(lst.st_mode) ||
			    (S_ISLNK(lst.st_mode) && stat(full, &st) == 0 &&
			    S_ISDIR(st.st_mode));
			cb(de->d_name, full, &lst, is_dir, arg);
		}
		free(full);
	}
	closedir(d);
	return 0;
}

/* Seconds of a time, never negative. */
static uint64_t
helper_secs(time_t t)
{
	return t > 0 ? (uint64_t)t : 0;
}

/* Append a new entry to d. */
static Hbb__FileEntry *
helper_entry_add(Hbb__FileDirectory *d, const char *name)
{
	Hbb__FileEntry *e = xcalloc(1, sizeof *e);

	hbb__file_entry__init(e);
	e->name = xstrdup(name);
	d->entries = xreallocarray(d->entries, d->n_entries + 1,
	    sizeof *d->entries);
	d->entries[d->n_entries++] = e;
	return e;
}

/* One entry of a one-level listing, typed as upstream types it. */
static void
helper_list_cb(const char *name, const char *full, const struct stat *lst,
    int is_dir, void *arg)
{
	Hbb__FileEntry *e = helper_entry_add(arg, name);

	(void)full;
	e->is_hidden = helper_hidden(name, lst);
	e->modified_time = helper_secs(lst->st_mtime);
	if (is_dir)
		e->entry_type = S_ISLNK(lst->st_mode) ?
		    HBB__FILE_TYPE__DirLink : HBB__FILE_TYPE__Dir;
	else if (S_ISLNK(lst->st_mode))
		e->entry_type = HBB__FILE_TYPE__FileLink;
	else {
		e->entry_type = HBB__FILE_TYPE__File;
		e->size = (uint64_t)lst->st_size;
	}
}

#ifdef _WIN32
/* "/" on Windows: the drives, as upstream lists them ("C:"). */
static void
helper_list_drives(Hbb__FileDirectory *d)
{
	DWORD drives = GetLogicalDrives();
	char name[3] = "A:";
	int i;

	for (i = 0; i < 26; i++)
		if (drives & (1u << i)) {
			name[0] = (char)('A' + i);
			helper_entry_add(d, name)->entry_type =
			    HBB__FILE_TYPE__DirDrive;
		}
}
#endif

/* List one folder. */
int
helper_list_dir(const char *path, int hidden, Hbb__FileDirectory *d,
    char **err)
{
	*err = NULL;
	d->path = xstrdup(path);
#ifdef _WIN32
	if (strcmp(path, "/") == 0) {
		helper_list_drives(d);
		return 0;
	}
#endif
	return helper_scan(path, hidden, helper_list_cb, d, err);
}

/* Free the entries and the path of d. */
void
helper_dir_clear(Hbb__FileDirectory *d)
{
	size_t i;

	for (i = 0; i < d->n_entries; i++) {
		free(d->entries[i]->name);
		free(d->entries[i]);
	}
	free(d->entries);
	free(d->path);
	d->entries = NULL;
	d->n_entries = 0;
	d->path = NULL;
}

/* The state of a recursive listing. */
struct helper_walk {
	Hbb__FileDirectory	*d;
	const char		*prefix;	/* the folder, relative */
	int			 hidden;
	int			 depth;
	int			 full;		/* HELPER_FILES_MAX reached */
};

/* One entry of a recursive listing: regular files are taken, folders
 * (not links to folders) walked; errors below the top are ignored. */
static void
helper_files_cb(const char *name, const char *full, const struct stat *lst,
    int is_dir, void *arg)
{
	struct helper_walk *w = arg, sub;
	Hbb__FileEntry *e;
	char *rel, *err = NULL;

	if (w->full)
		return;
	rel = helper_join(w->prefix, name);
	if (S_ISREG(lst->st_mode)) {
		if (w->d->n_entries >= HELPER_FILES_MAX)
			w->full = 1;
		else {
			e = helper_entry_add(w->d, rel);
			e->entry_type = HBB__FILE_TYPE__File;
			e->is_hidden = helper_hidden(name, lst);
			e->size = (uint64_t)lst->st_size;
			e->modified_time = helper_secs(lst->st_mtime);
		}
	} else if (is_dir && S_ISDIR(lst->st_mode) &&
	    w->depth < HELPER_DEPTH_MAX) {
		sub = *w;
		sub.prefix = rel;
		sub.depth++;
		helper_scan(full, w->hidden, helper_files_cb, &sub, &err);
		free(err);
		w->full = sub.full;
	}
	free(rel);
}

/* Every regular file below path, or path itself. */
int
helper_list_files(const char *path, int hidden, Hbb__FileDirectory *d,
    char **err)
{
	struct helper_walk w = { d, "", hidden, 0, 0 };
	struct stat st;
	Hbb__FileEntry *e;

	*err = NULL;
	d->path = xstrdup(path);
	if (stat(*path != '\0' ? path : ".", &st) != 0 ||
	    (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
		/* Upstream's word for anything but a folder or a file. */
		*err = xstrdup("Not exists");
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		e = helper_entry_add(d, "");
		e->entry_type = HBB__FILE_TYPE__File;
		e->size = (uint64_t)st.st_size;
		e->modified_time = helper_secs(st.st_mtime);
		return 0;
	}
	if (helper_scan(path, hidden, helper_files_cb, &w, err) != 0)
		return -1;
	if (w.full) {
		xasprintf(err, "file transfer rejected: too many files (more "
		    "than %d)", HELPER_FILES_MAX);
		return -1;
	}
	return 0;
}

/* The state of an empty-folder walk. */
struct helper_empty {
	Hbb__ReadEmptyDirsResponse	*r;
	int				 hidden;
	int				 depth;
	int				 seen;	/* the folder has entries */
};

static void	helper_empty_walk(struct helper_empty *, const char *);

/* One entry of a folder: count it, and walk real folders below. */
static void
helper_empty_cb(const char *name, const char *full, const struct stat *lst,
    int is_dir, void *arg)
{
	struct helper_empty *e = arg, sub;

	(void)name;
	e->seen = 1;
	if (!is_dir || !S_ISDIR(lst->st_mode) || e->depth >= HELPER_DEPTH_MAX)
		return;
	sub = *e;
	sub.depth++;
	helper_empty_walk(&sub, full);
}

/* Walk folder path; record it when it has no entries. */
static void
helper_empty_walk(struct helper_empty *e, const char *path)
{
	Hbb__ReadEmptyDirsResponse *r = e->r;
	Hbb__FileDirectory *d;
	char *err = NULL;

	e->seen = 0;
	if (helper_scan(path, e->hidden, helper_empty_cb, e, &err) != 0 ||
	    e->seen || r->n_empty_dirs >= HELPER_FILES_MAX) {
		free(err);
		return;
	}
	d = xcalloc(1, sizeof *d);
	hbb__file_directory__init(d);
	d->path = xstrdup(path);
	r->empty_dirs = xreallocarray(r->empty_dirs, r->n_empty_dirs + 1,
	    sizeof *r->empty_dirs);
	r->empty_dirs[r->n_empty_dirs++] = d;
}

/* The empty folders below path. */
int
helper_empty_dirs(const char *path, int hidden,
    Hbb__ReadEmptyDirsResponse *r, char **err)
{
	struct helper_empty e = { r, hidden, 0, 0 };
	struct stat st;

	*err = NULL;
	r->path = xstrdup(path);
	if (stat(path, &st) != 0 ||
	    (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
		*err = xstrdup("Not exists");
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		helper_empty_walk(&e, path);
	return 0;
}

/* Free what helper_empty_dirs hung off r. */
void
helper_empty_dirs_clear(Hbb__ReadEmptyDirsResponse *r)
{
	size_t i;

	for (i = 0; i < r->n_empty_dirs; i++) {
		free(r->empty_dirs[i]->path);
		free(r->empty_dirs[i]);
	}
	free(r->empty_dirs);
	free(r->path);
	r->empty_dirs = NULL;
	r->n_empty_dirs = 0;
	r->path = NULL;
}

/* Create path and its missing parents. */
int
helper_create_dir(const char *path, char **err)
{
	struct stat st;
	char *p, *s, c;
	int last;

	*err = NULL;
	if (*path == '\0') {
		*err = xstrdup("directory path cannot be empty");
		return -1;
	}
	p = xstrdup(path);
	for (s = p + 1;; s++) {
		if (*s != '\0' && strchr(HELPER_SEPS, *s) == NULL)
			continue;
		last = *s == '\0';
		c = *s;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && (errno != EEXIST ||
		    stat(p, &st) != 0 || (!S_ISDIR(st.st_mode) && last))) {
			*err = helper_errno_text(errno == 0 ? EEXIST : errno);
			free(p);
			return -1;
		}
		if (last)
			break;
		*s = c;
	}
	free(p);
	return 0;
}

/* Remove one file. */
int
helper_remove_file(const char *path, char **err)
{
	*err = NULL;
	if (*path == '\0') {
		*err = xstrdup("file path cannot be empty");
		return -1;
	}
	if (unlink(path) != 0) {
		*err = helper_errno_text(errno);
		return -1;
	}
	return 0;
}

static void	helper_rmdirs(const char *, int);

/* One entry of a folder being removed: links go, folders are walked;
 * files stay (the client removes them one by one first). */
static void
helper_rmdirs_cb(const char *name, const char *full, const struct stat *lst,
    int is_dir, void *arg)
{
	int depth = *(int *)arg;

	(void)name;
	if (S_ISLNK(lst->st_mode))
		unlink(full);
	else if (is_dir && depth < HELPER_DEPTH_MAX)
		helper_rmdirs(full, depth + 1);
}

/* Remove the folders below path, depth first, then path; errors below
 * the top are ignored, as upstream ignores them. */
static void
helper_rmdirs(const char *path, int depth)
{
	char *err = NULL;

	if (helper_scan(path, 1, helper_rmdirs_cb, &depth, &err) != 0)
		free(err);
	rmdir(path);
}

/* Remove a folder: empty, or with recursive every empty folder below. */
int
helper_remove_dir(const char *path, int recursive, char **err)
{
	int depth = 0;

	*err = NULL;
	if (!recursive) {
		if (rmdir(*path != '\0' ? path : ".") != 0) {
			*err = helper_errno_text(errno);
			return -1;
		}
		return 0;
	}
	if (helper_scan(path, 1, helper_rmdirs_cb, &depth, err) != 0)
		return -1;
	rmdir(path);
	return 0;
}

/* Rename path to new_name in the same folder. */
int
helper_rename(const char *path, const char *new_name, char **err)
{
	struct stat st;
	char *p, *slash, *to;
	size_t n;
	int r = -1;

	*err = NULL;
	if (*path == '\0') {
		*err = xstrdup("path cannot be empty");
		return -1;
	}
	if (*new_name == '\0') {
		*err = xstrdup("new file name cannot be empty");
		return -1;
	}
	if (helper_check_name(new_name, err) != 0)
		return -1;
	if (stat(path, &st) != 0) {
		xasprintf(err, "\"%s\" not exists", path);
		return -1;
	}
	p = xstrdup(path);
	n = strlen(p);
	while (n > 1 && strchr(HELPER_SEPS, p[n - 1]) != NULL)
		p[--n] = '\0';
	if ((slash = helper_last_sep(p)) == NULL)
		to = xstrdup(new_name);
	else {
		slash[1] = '\0';
		xasprintf(&to, "%s%s", p, new_name);
	}
	if (rename(path, to) != 0)
		*err = helper_errno_text(errno);
	else
		r = 0;
	free(to);
	free(p);
	return r;
}

/* One relative name: no ".." component, not absolute. */
int
helper_check_name(const char *name, char **err)
{
	const char *s = name, *e;

	*err = NULL;
	for (;;) {
		e = strpbrk(s, HELPER_SEPS);
		if ((e == NULL ? strcmp(s, "..") == 0 :
		    (e - s == 2 && s[0] == '.' && s[1] == '.'))) {
			*err = xstrdup("path traversal detected in file name");
			return -1;
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
#ifdef _WIN32
	/* A drive ("C:x") or a stream of a file ("x:y"): no relative name. */
	if (strchr(name, ':') != NULL) {
		*err = xstrdup("absolute path detected in file name");
		return -1;
	}
#endif
	if (name[0] != '\0' && strchr(HELPER_SEPS, name[0]) != NULL) {
		*err = xstrdup("absolute path detected in file name");
		return -1;
	}
	return 0;
}

/* No existing component of name below base may be a symlink. */
int
helper_check_components(const char *base, const char *name, char **err)
{
	struct stat st;
	char *cur, *next, *seg, *dup, *save = NULL;
	int r = 0;

	*err = NULL;
	cur = xstrdup(base);
	dup = xstrdup(name);
	for (seg = strtok_r(dup, HELPER_SEPS, &save); seg != NULL;
	    seg = strtok_r(NULL, HELPER_SEPS, &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		next = helper_join(cur, seg);
		free(cur);
		cur = next;
		if (lstat(cur, &st) == 0) {
			if (S_ISLNK(st.st_mode)) {
				*err = xstrdup("symlink path component is not "
				    "allowed");
				r = -1;
				break;
			}
		} else if (errno != ENOENT) {
			char *e = helper_errno_text(errno);

			xasprintf(err, "failed to validate path component "
			    "'%s': %s", cur, e);
			free(e);
			r = -1;
			break;
		}
	}
	free(dup);
	free(cur);
	return r;
}

/* A job's names, as upstream's validate_transfer_file_names plus the
 * symlink check of each against base. */
int
helper_check_names(const char *base, char *const *names, size_t n,
    char **err)
{
	size_t i;

	*err = NULL;
	if (n == 1 && *names[0] == '\0')
		return 0;
	for (i = 0; i < n; i++) {
		if (*names[i] == '\0') {
			*err = xstrdup(
			    "empty file name in multi-file transfer");
			return -1;
		}
		if (helper_check_name(names[i], err) != 0)
			return -1;
	}
	for (i = 0; i < n; i++)
		if (helper_check_components(base, names[i], err) != 0)
			return -1;
	return 0;
}

/* Skip JSON white space. */
static const char *
helper_json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/*
 * Read a JSON string at p into key (truncated to keysz - 1; escapes are
 * skipped over, not decoded: the keys we want have none). Returns the
 * position after it, or NULL.
 */
static const char *
helper_json_str(const char *p, const char *end, char *key, size_t keysz)
{
	size_t n = 0;

	if (p >= end || *p++ != '"')
		return NULL;
	while (p < end && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			if (++p >= end)
				return NULL;
			key[0] = '\0';	/* an escaped key is none of ours */
			n = keysz;
		}
		if (n + 1 < keysz)
			key[n++] = *p;
		p++;
	}
	if (p >= end)
		return NULL;
	if (n < keysz)
		key[n] = '\0';
	return p + 1;
}

/*
 * Read a JSON value at p: an unsigned integer into *v (with *is_num), or
 * skip a string, true, false or null. Returns the position after it, or
 * NULL (objects, arrays, signs, fractions and overflow are refused).
 */
static const char *
helper_json_value(const char *p, const char *end, uint64_t *v, int *is_num)
{
	static const char *const words[] = { "true", "false", "null" };
	char tmp[8];
	size_t i, n;

	*is_num = 0;
	*v = 0;
	if (p < end && *p >= '0' && *p <= '9') {
		if (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9')
			return NULL;
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (*v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
				return NULL;
			*v = *v * 10 + (uint64_t)(*p - '0');
		}
		if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
			return NULL;
		*is_num = 1;
		return p;
	}
	if (p < end && *p == '"')
		return helper_json_str(p, end, tmp, sizeof tmp);
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		n = strlen(words[i]);
		if ((size_t)(end - p) >= n && memcmp(p, words[i], n) == 0)
			return p + n;
	}
	return NULL;
}

/* Parse {"size":N,"modified":M}. */
int
helper_digest_parse(const char *text, size_t len, uint64_t *size,
    uint64_t *modified)
{
	const char *p = text, *end = text + len;
	char key[16];
	uint64_t v;
	int is_num, have_size = 0, have_mod = 0;

	*size = *modified = 0;
	p = helper_json_ws(p, end);
	if (p >= end || *p++ != '{')
		return -1;
	p = helper_json_ws(p, end);
	if (p < end && *p == '}')
		return -1;
	for (;;) {
		p = helper_json_ws(p, end);
		if ((p = helper_json_str(p, end, key, sizeof key)) == NULL)
			return -1;
		p = helper_json_ws(p, end);
		if (p >= end || *p++ != ':')
			return -1;
		p = helper_json_ws(p, end);
		if ((p = helper_json_value(p, end, &v, &is_num)) == NULL)
			return -1;
		if (strcmp(key, "size") == 0) {
			if (!is_num || have_size++)
				return -1;
			*size = v;
		} else if (strcmp(key, "modified") == 0) {
			if (!is_num || have_mod++)
				return -1;
			*modified = v;
		}
		p = helper_json_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p >= end || *p++ != '}')
			return -1;
		break;
	}
	if (helper_json_ws(p, end) != end || !have_size || !have_mod)
		return -1;
	return 0;
}

/* Write path's digest file: {"size":N,"modified":M}. */
int
helper_digest_write(const char *path, uint64_t size, uint64_t modified)
{
	char text[64];
	struct stat st;
	ssize_t w;
	int fd, n, e = 0;

	n = snprintf(text, sizeof text, "{\"size\":%llu,\"modified\":%llu}",
	    (unsigned long long)size, (unsigned long long)modified);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = EINVAL;
	else if ((w = write(fd, text, (size_t)n)) != n)
		e = w < 0 ? errno : ENOSPC;
	close(fd);
	errno = e;
	return e == 0 ? 0 : -1;
}

/* Extensions whose data zstd cannot shrink (upstream's list). */
int
helper_compressed_name(const char *name)
{
	static const char *const exts[] = {
		"xz", "gz", "zip", "7z", "rar", "bz2", "tgz", "png", "jpg",
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	if (dot == NULL)
		return 0;
	for (i = 0; i < sizeof exts / sizeof exts[0]; i++)
		if (strcmp(dot + 1, exts[i]) == 0)
			return 1;
	return 0;
}
