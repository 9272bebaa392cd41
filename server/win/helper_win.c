/*
 * helper_win.c: the file helper's system calls on Windows (helper_win.h):
 * paths in UTF-8 turned into UTF-16 for the wide Win32 functions, stat and
 * folder listings from what those report, reparse points refused where
 * the Linux helper refuses symbolic links, Win32 errors turned into errno
 * for the helper and back into the system's words for the peer, and the
 * helper's end of its link to the server (fsh_win.c).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "server/win/helper_win.h"

/* 100 ns ticks from 1601 to 1970. */
#define HELPER_WIN_EPOCH	116444736000000000ull

/* The last Win32 error a call here turned into errno, and that errno. */
static DWORD	helper_win_code;
static int	helper_win_errno;

/* Set errno from Win32 error code (kept for helper_win_errtext). */
static int
helper_win_fail(DWORD code)
{
	int e;

	switch (code) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_NAME:
	case ERROR_INVALID_DRIVE:
	case ERROR_BAD_NETPATH:
		e = ENOENT;
		break;
	case ERROR_ACCESS_DENIED:
	case ERROR_SHARING_VIOLATION:
	case ERROR_LOCK_VIOLATION:
	case ERROR_WRITE_PROTECT:
		e = EACCES;
		break;
	case ERROR_ALREADY_EXISTS:
	case ERROR_FILE_EXISTS:
		e = EEXIST;
		break;
	case ERROR_DIR_NOT_EMPTY:
		e = ENOTEMPTY;
		break;
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL:
		e = ENOSPC;
		break;
	case ERROR_DIRECTORY:
		e = ENOTDIR;
		break;
	case ERROR_NOT_SAME_DEVICE:
		e = EXDEV;
		break;
	case ERROR_FILENAME_EXCED_RANGE:
		e = ENAMETOOLONG;
		break;
	case ERROR_TOO_MANY_OPEN_FILES:
		e = EMFILE;
		break;
	default:
		e = EIO;
		break;
	}
	helper_win_code = code;
	helper_win_errno = errno = e;
	return -1;
}

/* A Win32 error that says what errno e means, for one that no Win32 call
 * set (the helper's own checks, the server's fio). */
static DWORD
helper_win_code_of(int e)
{
	switch (e) {
	case ENOENT:		return ERROR_FILE_NOT_FOUND;
	case EACCES:
	case EPERM:		return ERROR_ACCESS_DENIED;
	case EEXIST:		return ERROR_ALREADY_EXISTS;
	case ENOTEMPTY:		return ERROR_DIR_NOT_EMPTY;
	case ENOSPC:		return ERROR_DISK_FULL;
	case ENOTDIR:		return ERROR_DIRECTORY;
	case EMFILE:		return ERROR_TOO_MANY_OPEN_FILES;
	case ENAMETOOLONG:	return ERROR_FILENAME_EXCED_RANGE;
	case ELOOP:		return ERROR_CANT_ACCESS_FILE;
	case EINVAL:		return ERROR_INVALID_PARAMETER;
	default:		return ERROR_GEN_FAILURE;
	}
}

/* "Access is denied. (os error 5)", as upstream prints an io::Error. */
char *
helper_win_errtext(int e)
{
	DWORD code = e == helper_win_errno && helper_win_code != 0 ?
	    helper_win_code : helper_win_code_of(e);
	wchar_t *w = NULL;
	char *s = NULL, *out;
	size_t n;
	int len;

	if (FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER |
	    FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
	    code, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), (wchar_t *)&w, 0,
	    NULL) != 0 && (len = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL,
	    0, NULL, NULL)) > 0) {
		s = xmalloc((size_t)len);
		WideCharToMultiByte(CP_UTF8, 0, w, -1, s, len, NULL, NULL);
		for (n = strlen(s); n > 0 && (s[n - 1] == '\n' ||
		    s[n - 1] == '\r' || s[n - 1] == ' '); n--)
			s[n - 1] = '\0';
	}
	if (w != NULL)
		LocalFree(w);
	xasprintf(&out, "%s (os error %lu)", s != NULL && *s != '\0' ? s :
	    strerror(e), code);
	free(s);
	return out;
}

/* path (UTF-8) as UTF-16, as given; caller frees. NULL with EINVAL when
 * it is not UTF-8. "" is the working folder. */
static wchar_t *
helper_win_utf16(const char *path)
{
	wchar_t *w;
	int n;

	if (*path == '\0')
		path = ".";
	n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL,
	    0);
	if (n <= 0) {
		helper_win_errno = errno = EINVAL;
		helper_win_code = ERROR_INVALID_NAME;
		return NULL;
	}
	w = xcalloc((size_t)n, sizeof *w);
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n);
	return w;
}

/*
 * path (UTF-8) as a UTF-16 path any length may take; caller frees. NULL
 * with errno set (EINVAL: not UTF-8).
 *
 * The Win32 calls refuse a path of MAX_PATH or more unless it starts with
 * \\?\, and that prefix turns off their normalisation. So we normalise
 * first, as they would (GetFullPathNameW: "/" to "\", "." and ".."
 * resolved, repeated separators and a trailing dot or space dropped, a
 * relative path joined to the working folder), and prefix what comes out
 * when it is a drive path (\\?\C:\...) or a UNC path (\\?\UNC\server\
 * share\...). A path that names a device (\\.\CON) or already has the
 * prefix stays as it is. What reaches the system is the same as before
 * for every path under MAX_PATH; the peer's ".." is refused before this
 * (helper_check_name), as on Linux.
 */
static wchar_t *
helper_win_wide(const char *path)
{
	const wchar_t *pre = L"";
	wchar_t *w, *full, *out;
	DWORD n, got, skip = 0;
	size_t np;

	if ((w = helper_win_utf16(path)) == NULL)
		return NULL;
	if (wcsncmp(w, L"\\\\?\\", 4) == 0 ||
	    (n = GetFullPathNameW(w, 0, NULL, NULL)) == 0)
		return w;	/* the call itself says what is wrong */
	full = xcalloc(n, sizeof *full);
	got = GetFullPathNameW(w, n, full, NULL);
	free(w);
	if (got == 0 || got >= n) {
		free(full);
		helper_win_errno = errno = ENAMETOOLONG;
		helper_win_code = ERROR_FILENAME_EXCED_RANGE;
		return NULL;
	}
	/* C:\... and \\server\share\... take the prefix; \\.\ and \\?\
	 * (a device, or a name that was one) stay as they are. */
	if (iswalpha(full[0]) && full[1] == L':' && full[2] == L'\\')
		pre = L"\\\\?\\";
	else if (full[0] == L'\\' && full[1] == L'\\' && full[2] != L'?' &&
	    full[2] != L'.' && full[2] != L'\0') {
		pre = L"\\\\?\\UNC";
		skip = 1;	/* \\?\UNC\server, not \\?\UNC\\server */
	}
	np = wcslen(pre);
	out = xcalloc(np + got + 1, sizeof *out);
	memcpy(out, pre, np * sizeof *out);
	memcpy(out + np, full + skip, (got - skip + 1) * sizeof *out);
	free(full);
	return out;
}

/* Unix seconds of a FILETIME (0 before 1970). */
static time_t
helper_win_time(const FILETIME *ft)
{
	uint64_t t = (uint64_t)ft->dwHighDateTime << 32 | ft->dwLowDateTime;

	return t > HELPER_WIN_EPOCH ?
	    (time_t)((t - HELPER_WIN_EPOCH) / 10000000) : 0;
}

/* Fill st from attributes; link: a reparse point reads as S_IFLNK. */
static void
helper_win_fill(struct helper_stat *st, DWORD attr, DWORD hi, DWORD lo,
    const FILETIME *mtime, int link)
{
	memset(st, 0, sizeof *st);
	if (link && (attr & FILE_ATTRIBUTE_REPARSE_POINT))
		st->st_mode = S_IFLNK;
	else if (attr & FILE_ATTRIBUTE_DIRECTORY)
		st->st_mode = S_IFDIR;
	else if (attr & FILE_ATTRIBUTE_DEVICE)
		st->st_mode = S_IFCHR;
	else
		st->st_mode = S_IFREG;
	st->st_mode |= S_IRUSR | S_IWUSR;
	if (st->st_mode & S_IFREG)
		st->st_size = (uint64_t)hi << 32 | lo;
	st->st_mtime = helper_win_time(mtime);
	st->st_hidden = (attr & FILE_ATTRIBUTE_HIDDEN) != 0;
}

/* stat() of an open handle. */
static int
helper_win_hstat(HANDLE h, struct helper_stat *st, int link)
{
	BY_HANDLE_FILE_INFORMATION fi;
	DWORD type = GetFileType(h);

	if (type != FILE_TYPE_DISK) {
		memset(st, 0, sizeof *st);
		st->st_mode = type == FILE_TYPE_PIPE ? S_IFIFO : S_IFCHR;
		return 0;
	}
	if (!GetFileInformationByHandle(h, &fi))
		return helper_win_fail(GetLastError());
	helper_win_fill(st, fi.dwFileAttributes, fi.nFileSizeHigh,
	    fi.nFileSizeLow, &fi.ftLastWriteTime, link);
	return 0;
}

/* stat(): what path leads to. */
int
helper_stat(const char *path, struct helper_stat *st)
{
	wchar_t *w = helper_win_wide(path);
	HANDLE h;
	int r;

	if (w == NULL)
		return -1;
	h = CreateFileW(w, FILE_READ_ATTRIBUTES, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_FLAG_BACKUP_SEMANTICS, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return helper_win_fail(GetLastError());
	r = helper_win_hstat(h, st, 0);
	CloseHandle(h);
	return r;
}

/* lstat(): path itself; a reparse point is S_IFLNK. */
int
helper_lstat(const char *path, struct helper_stat *st)
{
	WIN32_FILE_ATTRIBUTE_DATA a;
	wchar_t *w = helper_win_wide(path);
	int ok;

	if (w == NULL)
		return -1;
	ok = GetFileAttributesExW(w, GetFileExInfoStandard, &a);
	free(w);
	if (!ok)
		return helper_win_fail(GetLastError());
	helper_win_fill(st, a.dwFileAttributes, a.nFileSizeHigh,
	    a.nFileSizeLow, &a.ftLastWriteTime, 1);
	return 0;
}

/* fstat() of a C runtime descriptor. */
int
helper_fstat(int fd, struct helper_stat *st)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	return helper_win_hstat(h, st, 0);
}

/* 1 if path itself is a reparse point. The handle says so on Windows;
 * wine says it of a Unix symbolic link only by the path. */
static int
helper_win_is_link(const char *path)
{
	struct helper_stat st;

	return helper_lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* open() with CreateFileW (see helper_win.h); a C runtime descriptor. */
int
helper_open(const char *path, int flags, ...)
{
	BY_HANDLE_FILE_INFORMATION fi;
	DWORD access, disp, fl = FILE_ATTRIBUTE_NORMAL;
	wchar_t *w = helper_win_wide(path);
	HANDLE h;
	int fd, acc = flags & (O_RDONLY | O_WRONLY | O_RDWR);

	if (w == NULL)
		return -1;
	access = acc == O_WRONLY ? GENERIC_WRITE : acc == O_RDWR ?
	    GENERIC_READ | GENERIC_WRITE : GENERIC_READ;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		disp = CREATE_NEW;
	else if (flags & O_CREAT)
		disp = OPEN_ALWAYS;	/* truncated below, once checked */
	else
		disp = OPEN_EXISTING;
	if (flags & O_NOFOLLOW)
		fl |= FILE_FLAG_OPEN_REPARSE_POINT;
	h = CreateFileW(w, access, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, disp, fl, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return helper_win_fail(GetLastError());
	if (!GetFileInformationByHandle(h, &fi)) {
		if (GetFileType(h) == FILE_TYPE_DISK) {
			helper_win_fail(GetLastError());
			CloseHandle(h);
			return -1;
		}
	} else if ((flags & O_NOFOLLOW) &&
	    ((fi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) ||
	    helper_win_is_link(path))) {
		CloseHandle(h);
		helper_win_code = 0;
		errno = ELOOP;
		return -1;
	}
	if ((flags & O_TRUNC) && !SetEndOfFile(h)) {
		helper_win_fail(GetLastError());
		CloseHandle(h);
		return -1;
	}
	fd = _open_osfhandle((intptr_t)h, (acc == O_WRONLY ? _O_WRONLY :
	    acc == O_RDWR ? _O_RDWR : _O_RDONLY) | _O_BINARY);
	if (fd < 0) {
		CloseHandle(h);
		errno = EMFILE;
	}
	return fd;
}

/* mkdir(): EEXIST also for what exists as a folder ("C:"). */
int
helper_mkdir(const char *path, mode_t mode)
{
	wchar_t *w = helper_win_wide(path);
	DWORD code, attr;

	(void)mode;
	if (w == NULL)
		return -1;
	if (CreateDirectoryW(w, NULL)) {
		free(w);
		return 0;
	}
	code = GetLastError();
	attr = GetFileAttributesW(w);
	free(w);
	if (attr != INVALID_FILE_ATTRIBUTES)
		code = ERROR_ALREADY_EXISTS;
	return helper_win_fail(code);
}

/* rmdir(). */
int
helper_rmdir(const char *path)
{
	wchar_t *w = helper_win_wide(path);
	int ok;

	if (w == NULL)
		return -1;
	ok = RemoveDirectoryW(w);
	free(w);
	return ok ? 0 : helper_win_fail(GetLastError());
}

/* unlink(): a file, or a link to a folder (a junction), never what it
 * leads to. */
int
helper_unlink(const char *path)
{
	wchar_t *w = helper_win_wide(path);
	DWORD code, attr;
	int ok;

	if (w == NULL)
		return -1;
	ok = DeleteFileW(w);
	if (!ok) {
		code = GetLastError();
		attr = GetFileAttributesW(w);
		if (attr != INVALID_FILE_ATTRIBUTES &&
		    (attr & FILE_ATTRIBUTE_REPARSE_POINT) &&
		    (attr & FILE_ATTRIBUTE_DIRECTORY))
			ok = RemoveDirectoryW(w);
		if (!ok)
			SetLastError(code);
	}
	if (!ok)
		helper_win_fail(GetLastError());
	free(w);
	return ok ? 0 : -1;
}

/* rename(), replacing a file at to as POSIX's does. */
int
helper_rename_path(const char *from, const char *to)
{
	wchar_t *wf = helper_win_wide(from), *wt;
	int ok = 0;

	if (wf == NULL)
		return -1;
	if ((wt = helper_win_wide(to)) != NULL) {
		ok = MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING);
		if (!ok)
			helper_win_fail(GetLastError());
		free(wt);
	}
	free(wf);
	return ok ? 0 : -1;
}

/* chdir(): the working folder takes no \\?\ (nor over MAX_PATH). */
int
helper_chdir(const char *path)
{
	wchar_t *w = helper_win_utf16(path);
	int r;

	if (w == NULL)
		return -1;
	r = SetCurrentDirectoryW(w) ? 0 : helper_win_fail(GetLastError());
	free(w);
	return r;
}

struct helper_dir {
	HANDLE			find;
	WIN32_FIND_DATAW	fd;
	int			first;	/* fd holds an entry not yet read */
	struct helper_dirent	de;
};

/* opendir() with FindFirstFileExW. */
struct helper_dir *
helper_opendir(const char *path)
{
	struct helper_dir *d;
	size_t n = strlen(path);
	char *pat;
	wchar_t *w;

	xasprintf(&pat, "%s%s*", n == 0 ? "." : path, n > 0 &&
	    (path[n - 1] == '\\' || path[n - 1] == '/') ? "" : "\\");
	w = helper_win_wide(pat);
	free(pat);
	if (w == NULL)
		return NULL;
	d = xcalloc(1, sizeof *d);
	d->find = FindFirstFileExW(w, FindExInfoBasic, &d->fd,
	    FindExSearchNameMatch, NULL, FIND_FIRST_EX_LARGE_FETCH);
	free(w);
	if (d->find == INVALID_HANDLE_VALUE) {
		helper_win_fail(GetLastError());
		free(d);
		return NULL;
	}
	d->first = 1;
	return d;
}

/* readdir(): names that are not whole UTF-16 (no UTF-8 for them) are
 * passed over, as the Linux helper passes over names not UTF-8. */
struct helper_dirent *
helper_readdir(struct helper_dir *d)
{
	for (;;) {
		if (!d->first && !FindNextFileW(d->find, &d->fd))
			return NULL;
		d->first = 0;
		if (WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS,
		    d->fd.cFileName, -1, d->de.d_name, sizeof d->de.d_name,
		    NULL, NULL) > 0)
			return &d->de;
	}
}

/* closedir(). */
int
helper_closedir(struct helper_dir *d)
{
	FindClose(d->find);
	free(d);
	return 0;
}

/* utimensat(): the modification time of path itself. */
int
helper_utimensat(int dirfd, const char *path, const struct timespec ts[2],
    int flags)
{
	uint64_t t;
	FILETIME ft;
	wchar_t *w;
	HANDLE h;
	int ok;

	(void)dirfd;
	(void)flags;
	if (ts[1].tv_nsec == UTIME_OMIT)
		return 0;
	if ((w = helper_win_wide(path)) == NULL)
		return -1;
	h = CreateFileW(w, FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return helper_win_fail(GetLastError());
	t = (uint64_t)(ts[1].tv_sec > 0 ? ts[1].tv_sec : 0) * 10000000 +
	    HELPER_WIN_EPOCH;
	ft.dwLowDateTime = (DWORD)t;
	ft.dwHighDateTime = (DWORD)(t >> 32);
	ok = SetFileTime(h, NULL, NULL, &ft);
	CloseHandle(h);
	return ok ? 0 : helper_win_fail(GetLastError());
}

/* The profile folder (USERPROFILE of the user's own environment). */
char *
helper_win_home(void)
{
	wchar_t w[MAX_PATH * 2];
	char *s;
	DWORD n = GetEnvironmentVariableW(L"USERPROFILE", w,
	    sizeof w / sizeof w[0]);
	int len;

	if (n == 0 || n >= sizeof w / sizeof w[0] ||
	    (len = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL,
	    NULL)) <= 0)
		return NULL;
	s = xmalloc((size_t)len);
	WideCharToMultiByte(CP_UTF8, 0, w, -1, s, len, NULL, NULL);
	return s;
}

/* Connect to 127.0.0.1:CDESK_HELPER_PORT and say CDESK_HELPER_KEY, both
 * of which only the server and we know (our environment); then forget
 * the key. */
int
helper_win_connect(void)
{
	struct sockaddr_in sa;
	const char *port = getenv("CDESK_HELPER_PORT");
	const char *key = getenv("CDESK_HELPER_KEY");
	size_t n;
	int fd;

	if (port == NULL || key == NULL || (n = strlen(key)) == 0)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)atoi(port));
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    send(fd, key, n, 0) != (int)n) {
		close(fd);
		return -1;
	}
	SetEnvironmentVariableA("CDESK_HELPER_KEY", NULL);
	_putenv("CDESK_HELPER_KEY=");
	return fd;
}

/* A handle of our own to fd's file for the server to take (it closes
 * ours when it does: DUPLICATE_CLOSE_SOURCE); fd is closed. */
uint64_t
helper_win_lend(int fd)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd), dup = NULL;

	if (h == INVALID_HANDLE_VALUE || !DuplicateHandle(GetCurrentProcess(),
	    h, GetCurrentProcess(), &dup, 0, FALSE, DUPLICATE_SAME_ACCESS))
		dup = NULL;
	close(fd);
	return (uint64_t)(uintptr_t)dup;
}

/* ftruncate() to a 64-bit length. */
int
helper_ftruncate(int fd, int64_t len)
{
	errno_t e = _chsize_s(fd, len);

	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}
