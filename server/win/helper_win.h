/*
 * helper_win.h: the file helper (server/helper/) on Windows. The Windows
 * build includes this file in every server/helper/ file after
 * common/compat_win.h (packaging/win/win.mk, with _FILE_OFFSET_BITS=64),
 * so the helper's POSIX calls on paths reach the functions of
 * server/win/helper_win.c instead of the C runtime's: those take UTF-8,
 * call the wide (UTF-16) Win32 functions, and keep the helper's rules.
 *
 * What stands in for the Linux helper's O_NOFOLLOW and lstat: a junction or
 * a symbolic link (a reparse point) reads as S_IFLNK from lstat, as does
 * any reparse point, and an open with O_NOFOLLOW opens the reparse point
 * itself (FILE_FLAG_OPEN_REPARSE_POINT) and is refused with ELOOP when it
 * is one (GetFileInformationByHandle), so a name a peer sends never leads
 * the helper through one; files are opened to share deletion, so an
 * upload's NAME.download can be renamed while the server still holds it.
 */
#ifndef CDESK_HELPER_WIN_H
#define CDESK_HELPER_WIN_H

#include <dirent.h>
#include <fcntl.h>
#include <io.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What helper_stat fills: the fields the helper reads. */
struct helper_stat {
	mode_t		 st_mode;	/* S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR */
	uint64_t	 st_size;
	time_t		 st_mtime;	/* Unix seconds */
	int		 st_hidden;	/* FILE_ATTRIBUTE_HIDDEN */
};
#undef stat
#undef lstat
#undef fstat
#define stat		helper_stat
#define lstat		helper_lstat
#define fstat		helper_fstat
int	helper_stat(const char *, struct helper_stat *);
int	helper_lstat(const char *, struct helper_stat *);
int	helper_fstat(int, struct helper_stat *);

#define S_IFLNK		0xA000
#undef S_ISLNK
#define S_ISLNK(m)	(((m) & S_IFMT) == S_IFLNK)

/* open(): O_NOFOLLOW refuses a reparse point (ELOOP). */
#undef O_NOFOLLOW
#define O_NOFOLLOW	0x08000000
#undef open
#define open		helper_open
int	helper_open(const char *, int, ...);

#undef mkdir
#define mkdir		helper_mkdir
#define rmdir		helper_rmdir
#define unlink		helper_unlink
#undef rename
#define rename		helper_rename_path
#define chdir		helper_chdir
int	helper_mkdir(const char *, mode_t);
int	helper_rmdir(const char *);
int	helper_unlink(const char *);
int	helper_rename_path(const char *, const char *);
int	helper_chdir(const char *);

/* A folder's entries, names in UTF-8 (FindFirstFileW). */
struct helper_dirent {
	char	d_name[MAX_PATH * 3 + 1];
};
struct helper_dir;
#define DIR		struct helper_dir
#define dirent		helper_dirent
#define opendir		helper_opendir
#define readdir		helper_readdir
#define closedir	helper_closedir
struct helper_dir	*helper_opendir(const char *);
struct helper_dirent	*helper_readdir(struct helper_dir *);
int			 helper_closedir(struct helper_dir *);

/* utimensat() of the modification time (ts[1]) only. */
#define AT_FDCWD		(-100)
#define AT_SYMLINK_NOFOLLOW	0x100
#define UTIME_OMIT		((1l << 30) - 2l)
#define utimensat	helper_utimensat
int	helper_utimensat(int, const char *, const struct timespec[2], int);

/* lseek() and ftruncate() with 64-bit offsets (the C runtime's off_t has
 * 32 bits): files over 4 GiB. */
#undef lseek
#undef ftruncate
#define lseek		_lseeki64
#define ftruncate	helper_ftruncate
int	helper_ftruncate(int, int64_t);

/* The session user's profile folder (UTF-8; caller frees), or NULL. */
char	*helper_win_home(void);
/* Connects to the server that started us (fsh_win.c); the socket or -1. */
int	 helper_win_connect(void);
/* Hands the file under descriptor fd (taken) to the server: a handle of
 * our own it moves into itself. Returns its value, or 0. */
uint64_t helper_win_lend(int fd);
/* What the system says of errno e (the last Win32 error behind it when
 * that is what set it), as upstream's io::Error prints it; caller frees. */
char	*helper_win_errtext(int e);

#endif
