/*
 * bench_copy: the references of the file-transfer benchmark
 * (tests/bench/files.sh): a file copied over a loopback TCP connection in
 * 128 KiB chunks, plain or each chunk sealed with crypto_secretbox_easy
 * (the cipher of the encrypted path, with a 4-byte length in front) and
 * opened on the other side, read from FILE and written to OUT. One
 * process sends, another receives, as the peer and the host do.
 *
 *   bench_copy tcp|box FILE OUT [sync]
 *
 * Prints "COPY mode=... bytes=N seconds=S mb_s=X cpu_ms_mb=C" (S from the
 * first byte sent to the last written, with sync after an fdatasync of
 * OUT; C the CPU of both processes per MB).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define CHUNK	(128 * 1024)

int main(int, char **);

static uint8_t key[crypto_secretbox_KEYBYTES];

/* Monotonic seconds. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Write all of (p, n); exits on failure. */
static void
put_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) <= 0) {
			perror("write");
			exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Read exactly n bytes; 0, or -1 at EOF. */
static int
get_all(int fd, uint8_t *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, p, n)) <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The sender: FILE in chunks, sealed when box. */
static void
sender(int s, const char *file, int box)
{
	static uint8_t buf[CHUNK], out[CHUNK + 64];
	uint8_t nonce[crypto_secretbox_NONCEBYTES];
	uint32_t len;
	ssize_t n;
	int fd = open(file, O_RDONLY);

	memset(nonce, 0, sizeof nonce);
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (!box) {
			put_all(s, buf, (size_t)n);
			continue;
		}
		sodium_increment(nonce, sizeof nonce);
		crypto_secretbox_easy(out + 4, buf, (size_t)n, nonce, key);
		len = (uint32_t)n + crypto_secretbox_MACBYTES;
		memcpy(out, &len, 4);
		put_all(s, out, len + 4);
	}
	close(fd);
}

/* The receiver: what arrives, opened when box, written to OUT. */
static uint64_t
receiver(int s, const char *outpath, int box, int sync)
{
	static uint8_t buf[CHUNK + 64], plain[CHUNK];
	uint8_t nonce[crypto_secretbox_NONCEBYTES];
	uint64_t total = 0;
	uint32_t len;
	ssize_t n;
	int fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	memset(nonce, 0, sizeof nonce);
	for (;;) {
		if (!box) {
			if ((n = read(s, buf, CHUNK)) <= 0)
				break;
			put_all(fd, buf, (size_t)n);
			total += (uint64_t)n;
			continue;
		}
		if (get_all(s, (uint8_t *)&len, 4) != 0 || len > sizeof buf ||
		    len < crypto_secretbox_MACBYTES || get_all(s, buf, len) != 0)
			break;
		sodium_increment(nonce, sizeof nonce);
		if (crypto_secretbox_open_easy(plain, buf, len, nonce, key) != 0) {
			fprintf(stderr, "bad box\n");
			exit(1);
		}
		put_all(fd, plain, len - crypto_secretbox_MACBYTES);
		total += len - crypto_secretbox_MACBYTES;
	}
	if (sync)
		fdatasync(fd);
	close(fd);
	return total;
}

/* Copy FILE to OUT through loopback TCP, one process on each end. */
int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct rusage ru, rc;
	socklen_t salen = sizeof sa;
	double t0, t;
	uint64_t total;
	pid_t pid;
	int l, s, box;

	if (argc < 4 || sodium_init() < 0) {
		fprintf(stderr, "usage: bench_copy tcp|box FILE OUT [sync]\n");
		return 2;
	}
	box = strcmp(argv[1], "box") == 0;
	randombytes_buf(key, sizeof key);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &salen) != 0)
		return 1;
	if ((pid = fork()) == 0) {
		close(l);
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0)
			_exit(1);
		sender(s, argv[2], box);
		close(s);
		_exit(0);
	}
	s = accept(l, NULL, NULL);
	t0 = now();
	total = receiver(s, argv[3], box, argc > 4);
	t = now() - t0;
	waitpid(pid, NULL, 0);
	getrusage(RUSAGE_SELF, &ru);
	getrusage(RUSAGE_CHILDREN, &rc);
	printf("COPY mode=%s%s bytes=%llu seconds=%.3f mb_s=%.1f "
	    "cpu_ms_mb=%.2f\n", argv[1], argc > 4 ? "+sync" : "",
	    (unsigned long long)total, t, (double)total / 1e6 / t,
	    (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + rc.ru_utime.tv_sec +
	    rc.ru_stime.tv_sec) * 1e3 / ((double)total / 1048576) +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec + rc.ru_utime.tv_usec +
	    rc.ru_stime.tv_usec) / 1e3 / ((double)total / 1048576));
	return 0;
}
