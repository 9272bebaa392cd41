/*
 * fio_win.c: positioned reads and writes and the flush of server/fio.c on
 * Windows (fio_win.h), and fio_fd_ok there: the descriptors fio gets are
 * C runtime descriptors around file handles the file helper opened as the
 * session's user (fsh_win.c moved them into this process).
 */
#include <stdlib.h>

#include "server/fio.h"
#include "server/win/fio_win.h"

/* Writes and reads go in pieces of at most this (a DWORD count). */
#define FIO_WIN_MAX	(1u << 30)

/* errno for a failed ReadFile, WriteFile or FlushFileBuffers. */
static int
fio_win_errno(DWORD code)
{
	switch (code) {
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL:
		errno = ENOSPC;
		break;
	case ERROR_ACCESS_DENIED:
	case ERROR_LOCK_VIOLATION:
		errno = EACCES;
		break;
	case ERROR_INVALID_HANDLE:
		errno = EBADF;
		break;
	default:
		errno = EIO;
		break;
	}
	return -1;
}

/* An OVERLAPPED that says offset off (the handle is not overlapped: the
 * call waits, and only the offset counts). */
static void
fio_win_at(OVERLAPPED *ov, uint64_t off)
{
	memset(ov, 0, sizeof *ov);
	ov->Offset = (DWORD)off;
	ov->OffsetHigh = (DWORD)(off >> 32);
}

/* pread(): 0 at the end of the file. */
ssize_t
fio_win_pread(int fd, void *buf, size_t n, uint64_t off)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	OVERLAPPED ov;
	DWORD got = 0;

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	fio_win_at(&ov, off);
	if (!ReadFile(h, buf, (DWORD)(n > FIO_WIN_MAX ? FIO_WIN_MAX : n), &got,
	    &ov))
		return GetLastError() == ERROR_HANDLE_EOF ? 0 :
		    fio_win_errno(GetLastError());
	return (ssize_t)got;
}

/* pwrite(). */
ssize_t
fio_win_pwrite(int fd, const void *buf, size_t n, uint64_t off)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	OVERLAPPED ov;
	DWORD put = 0;

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	fio_win_at(&ov, off);
	if (!WriteFile(h, buf, (DWORD)(n > FIO_WIN_MAX ? FIO_WIN_MAX : n),
	    &put, &ov))
		return fio_win_errno(GetLastError());
	return (ssize_t)put;
}

/* fdatasync(): what was written reaches the disk. */
int
fio_win_sync(int fd)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	return FlushFileBuffers(h) ? 0 : fio_win_errno(GetLastError());
}

/* A file on a disk, not a folder. Its access cannot be asked of a handle
 * cheaply: a read of a file open for writing only fails (EBADF), and
 * the transfer with it. */
int
fio_fd_ok(int fd, int write)
{
	BY_HANDLE_FILE_INFORMATION fi;
	HANDLE h = fd >= 0 ? (HANDLE)_get_osfhandle(fd) : INVALID_HANDLE_VALUE;

	(void)write;
	return h != INVALID_HANDLE_VALUE && GetFileType(h) == FILE_TYPE_DISK &&
	    GetFileInformationByHandle(h, &fi) &&
	    !(fi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY);
}
