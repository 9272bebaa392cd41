/*
 * fio_win.h: the positioned I/O server/fio.c does, on Windows, where the
 * C runtime has none. The Windows build includes it in fio.c (win.mk;
 * the offsets are 64-bit, where the C runtime's off_t has 32 bits);
 * server/win/fio_win.c implements it on the handle beneath a C runtime
 * descriptor (ReadFile and WriteFile at an offset, FlushFileBuffers).
 */
#ifndef CDESK_FIO_WIN_H
#define CDESK_FIO_WIN_H

#include <stdint.h>
#include <sys/types.h>

/* pread(2), pwrite(2), fdatasync(2) of a descriptor of a disk file. */
#define pread		fio_win_pread
#define pwrite		fio_win_pwrite
#define fdatasync	fio_win_sync
ssize_t	fio_win_pread(int, void *, size_t, uint64_t);
ssize_t	fio_win_pwrite(int, const void *, size_t, uint64_t);
int	fio_win_sync(int);

#endif
