/*
 * test_fio.c: the server's file I/O threads (server/fio.c) on files of
 * their own under /tmp: writes land in order from the queue's offset
 * (zstd blocks inflated), reads come back compressed when that helps and
 * short at the end, a flush that hangs (this file's fdatasync, which the
 * link takes before libc's, waits on a pipe for the "slow" file) holds
 * neither the event loop nor another file's queue, a queue closed while
 * its operation runs reports nothing and closes its descriptor once that
 * operation returned, writeback started every FIO_KICK_STEP bytes
 * written (this file's sync_file_range, taken before libc's, notes each
 * start), and the checks of a passed descriptor.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <event2/event.h>
#include <zstd.h>

#include "server/fio.h"
#include "tests/tst.h"

int main(void);
int fdatasync(int);
int sync_file_range(int, off_t, off_t, unsigned int);

static char base[64];
static struct event_base *evb;
static struct fio *io;
static struct fio_op *done[16];
static int ndone;
static int slow_fd = -1;	/* fdatasync on it waits for gate[0] */
static int gate[2];
static int ticks;
/* The writeback starts fio asked for: offset, length, flags. */
static struct {
	int		fd;
	off_t		off, len;
	unsigned	flags;
} kicks[8];
static int nkicks;

/* The slow disk: fdatasync of slow_fd returns when the test writes to
 * the gate; every other descriptor is flushed for real. */
int
fdatasync(int fd)
{
	char c;

	if (fd == slow_fd && read(gate[0], &c, 1) != 1)
		return -1;
	return (int)syscall(SYS_fdatasync, fd);
}

/* A writeback start: noted, then done for real. Called on an I/O
 * thread; read after the operation's report, which passed fio's lock. */
int
sync_file_range(int fd, off_t off, off_t len, unsigned int flags)
{
	if (nkicks < 8) {
		kicks[nkicks].fd = fd;
		kicks[nkicks].off = off;
		kicks[nkicks].len = len;
		kicks[nkicks].flags = flags;
	}
	nkicks++;
	return (int)syscall(SYS_sync_file_range, fd, off, len, flags);
}

/* Keep what came back, in order. */
static void
done_cb(struct fio_op *op, void *owner)
{
	ASSERT_TRUE(owner == (void *)base);
	ASSERT_TRUE(ndone < 16);
	done[ndone++] = op;
}

/* Counts the loop's turns while an operation hangs. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ticks++;
}

/* Run the loop until n operations came back (or 10 s). */
static void
wait_done(int n)
{
	int i;

	for (i = 0; i < 1000 && ndone < n; i++) {
		event_base_loop(evb, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(10000);
	}
	ASSERT_INT_EQ(ndone, n);
}

/* A new file under base, open with flags. */
static int
tfile(const char *name, int flags)
{
	char path[128];
	int fd;

	snprintf(path, sizeof path, "%s/%s", base, name);
	fd = open(path, flags | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_TRUE(fd >= 0);
	return fd;
}

/* Free what came back. */
static void
done_clear(void)
{
	while (ndone > 0)
		fio_op_free(io, done[--ndone]);
}

/* Writes in order from the offset, a zstd block inflated, a flush. */
static void
test_write(void)
{
	static uint8_t big[100000];
	uint8_t z[1024], back[100010];
	struct fio_op *op;
	struct fio_q *q;
	size_t zn;
	int fd = tfile("w", O_RDWR), i;

	memset(big, 'z', sizeof big);
	ASSERT_INT_EQ(pwrite(fd, "HEAD", 4, 0), 4);
	zn = ZSTD_compress(z, sizeof z, big, sizeof big, 3);
	ASSERT_TRUE(!ZSTD_isError(zn) && zn < sizeof z);
	q = fio_q_new(io, fd, base, 0, 2);
	op = fio_op_new(io, FIO_WRITE, 3);
	memcpy(op->buf, "abc", 3);
	op->len = 3;
	fio_submit(q, op);
	op = fio_op_new(io, FIO_WRITE, zn);
	memcpy(op->buf, z, zn);
	op->len = zn;
	op->compressed = 1;
	fio_submit(q, op);
	op = fio_op_new(io, FIO_WRITE, 5);
	memcpy(op->buf, "defgh", 5);
	op->len = 5;
	fio_submit(q, op);
	fio_submit(q, fio_op_new(io, FIO_SYNC, 0));
	wait_done(4);
	for (i = 0; i < 4; i++)
		ASSERT_INT_EQ(done[i]->err, 0);
	ASSERT_INT_EQ(done[0]->kind, FIO_WRITE);
	ASSERT_INT_EQ(done[1]->raw, sizeof big);
	ASSERT_INT_EQ(done[3]->kind, FIO_SYNC);
	ASSERT_INT_EQ(pread(fd, back, sizeof back, 0), 2 + 3 + sizeof big + 5);
	ASSERT_MEM_EQ(back, "HEabc", 5);
	ASSERT_MEM_EQ(back + 5, big, sizeof big);
	ASSERT_MEM_EQ(back + 5 + sizeof big, "defgh", 5);
	done_clear();
	/* A block that does not inflate fails its write (EBADMSG). */
	op = fio_op_new(io, FIO_WRITE, 4);
	memcpy(op->buf, "junk", 4);
	op->len = 4;
	op->compressed = 1;
	fio_submit(q, op);
	wait_done(1);
	ASSERT_INT_EQ(done[0]->err, EBADMSG);
	done_clear();
	fio_q_close(q);
	ASSERT_INT_EQ(fcntl(fd, F_GETFD), -1);
}

/* Writeback of a long write starts every FIO_KICK_STEP bytes, from the
 * queue's offset (a resumed upload), without waiting for the disk; the
 * tail is left to the flush. */
static void
test_kick(void)
{
	enum { OPS = 10, OPLEN = 2 * 1024 * 1024 };
	static uint8_t back[OPLEN];
	struct fio_op *op;
	struct fio_q *q;
	int fd = tfile("k", O_RDWR), i;

	ASSERT_INT_EQ(FIO_KICK_STEP % OPLEN, 0);
	ASSERT_TRUE((OPS * OPLEN) / FIO_KICK_STEP == 2);
	ASSERT_INT_EQ(pwrite(fd, "abc", 3, 0), 3);
	q = fio_q_new(io, fd, base, 0, 3);
	nkicks = 0;
	for (i = 0; i < OPS; i++) {
		op = fio_op_new(io, FIO_WRITE, OPLEN);
		memset(op->buf, 'a' + i, OPLEN);
		op->len = OPLEN;
		fio_submit(q, op);
	}
	fio_submit(q, fio_op_new(io, FIO_SYNC, 0));
	wait_done(OPS + 1);
	for (i = 0; i <= OPS; i++)
		ASSERT_INT_EQ(done[i]->err, 0);
	ASSERT_INT_EQ(nkicks, 2);
	for (i = 0; i < 2; i++) {
		ASSERT_INT_EQ(kicks[i].fd, fd);
		ASSERT_INT_EQ(kicks[i].off, 3 + (off_t)i * FIO_KICK_STEP);
		ASSERT_INT_EQ(kicks[i].len, FIO_KICK_STEP);
		ASSERT_INT_EQ(kicks[i].flags, SYNC_FILE_RANGE_WRITE);
	}
	for (i = 0; i < OPS; i++) {
		ASSERT_INT_EQ(pread(fd, back, OPLEN, 3 + (off_t)i * OPLEN),
		    OPLEN);
		ASSERT_TRUE(back[0] == 'a' + i && back[OPLEN - 1] == 'a' + i);
	}
	done_clear();
	fio_q_close(q);
}

/* Reads: compressible blocks come zstd'd, the last one short. */
static void
test_read(void)
{
	static uint8_t data[300000], back[FIO_BLOCK];
	struct fio_q *q;
	struct fio_op *op;
	size_t n;
	int fd = tfile("r", O_RDWR), i;

	for (i = 0; i < (int)sizeof data; i++)
		data[i] = (uint8_t)(i / 1000);
	ASSERT_INT_EQ(pwrite(fd, data, sizeof data, 0), sizeof data);
	q = fio_q_new(io, fd, base, 0, 0);
	for (i = 0; i < 4; i++) {
		op = fio_op_new(io, FIO_READ, FIO_HEAD + FIO_BLOCK);
		op->head = FIO_HEAD;
		op->off = (uint64_t)i * FIO_BLOCK;
		fio_submit(q, op);
	}
	wait_done(4);
	ASSERT_INT_EQ(done[0]->raw, FIO_BLOCK);
	ASSERT_INT_EQ(done[2]->raw, sizeof data - 2 * FIO_BLOCK);
	ASSERT_INT_EQ(done[3]->raw, 0);
	for (i = 0; i < 3; i++) {
		ASSERT_TRUE(done[i]->compressed);
		n = ZSTD_decompress(back, sizeof back, done[i]->buf +
		    done[i]->head, done[i]->len);
		ASSERT_INT_EQ(n, done[i]->raw);
		ASSERT_MEM_EQ(back, data + i * FIO_BLOCK, n);
	}
	done_clear();
	fio_q_close(q);
}

/* A flush that hangs: the loop turns and another file's queue is
 * served meanwhile; closing the hung queue reports nothing and closes its
 * descriptor only once the flush returned. */
static void
test_slow(void)
{
	struct timeval ms = { 0, 5000 };
	struct event *tick;
	struct fio_q *slow, *other;
	struct fio_op *op;
	int sfd = tfile("slow", O_RDWR), ofd = tfile("other", O_RDWR), i;

	ASSERT_INT_EQ(pipe(gate), 0);
	slow_fd = sfd;
	tick = event_new(evb, -1, EV_PERSIST, tick_cb, NULL);
	event_add(tick, &ms);
	slow = fio_q_new(io, sfd, base, 0, 0);
	other = fio_q_new(io, ofd, base, 0, 0);
	fio_submit(slow, fio_op_new(io, FIO_SYNC, 0));
	/* Let the slow flush start on a thread, then the other's work. */
	usleep(50000);
	op = fio_op_new(io, FIO_WRITE, 2);
	memcpy(op->buf, "ok", 2);
	op->len = 2;
	fio_submit(other, op);
	fio_submit(other, fio_op_new(io, FIO_SYNC, 0));
	wait_done(2);
	ASSERT_INT_EQ(done[0]->err, 0);
	ASSERT_INT_EQ(done[1]->kind, FIO_SYNC);
	ASSERT_INT_GE(ticks, 2);
	done_clear();
	/* Closed while it hangs: the descriptor stays until it returns. */
	fio_q_close(slow);
	ASSERT_INT_NE(fcntl(sfd, F_GETFD), -1);
	ASSERT_INT_EQ(write(gate[1], "x", 1), 1);
	for (i = 0; i < 1000 && fcntl(sfd, F_GETFD) != -1; i++) {
		event_base_loop(evb, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(10000);
	}
	ASSERT_INT_EQ(fcntl(sfd, F_GETFD), -1);
	ASSERT_INT_EQ(ndone, 0);
	fio_q_close(other);
	slow_fd = -1;
	event_free(tick);
	close(gate[0]);
	close(gate[1]);
}

/* What a passed descriptor must be. */
static void
test_fd_ok(void)
{
	int rd = tfile("ok", O_RDONLY), wr = tfile("ok", O_WRONLY);
	int ap = tfile("ok", O_WRONLY | O_APPEND), p[2];

	ASSERT_TRUE(fio_fd_ok(rd, 0));
	ASSERT_TRUE(!fio_fd_ok(rd, 1));
	ASSERT_TRUE(fio_fd_ok(wr, 1));
	ASSERT_TRUE(!fio_fd_ok(wr, 0));
	ASSERT_TRUE(!fio_fd_ok(ap, 1));
	ASSERT_INT_EQ(pipe(p), 0);
	ASSERT_TRUE(!fio_fd_ok(p[0], 0));
	ASSERT_TRUE(!fio_fd_ok(p[1], 1));
	ASSERT_TRUE(!fio_fd_ok(-1, 0));
	close(rd);
	close(wr);
	close(ap);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	char cmd[96];

	snprintf(base, sizeof base, "/tmp/test_fio.%ld", (long)getpid());
	ASSERT_INT_EQ(mkdir(base, 0700), 0);
	evb = event_base_new();
	io = fio_new(evb, done_cb);
	ASSERT_TRUE(io != NULL);
	TST_RUN(test_write);
	TST_RUN(test_kick);
	TST_RUN(test_read);
	TST_RUN(test_slow);
	TST_RUN(test_fd_ok);
	fio_free(io);
	event_base_free(evb);
	snprintf(cmd, sizeof cmd, "rm -rf %s", base);
	ASSERT_INT_EQ(system(cmd), 0);
	return 0;
}
