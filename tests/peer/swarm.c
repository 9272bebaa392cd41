/*
 * swarm.c: many sessions from one process, for the load benchmarks and
 * their short versions in make check (tests/bench/load.sh,
 * tests/integration/load.sh, tests/integration/junk.sh).
 *
 *   swarm N SECS T   N remote-control sessions logged in by T threads,
 *                    thread t from source address 127.0.1.(t+1) (the host
 *                    caps connections not logged in per address), each
 *                    login timed from connect to PeerInfo; then all are
 *                    kept alive answering TestDelay for SECS. Prints
 *                    LOGINS ok=.. of N p50= p99= max= rate=, HELD n, and
 *                    at the end ALIVE n of N.
 *   view N SECS      N viewers; after each has its first picture, the
 *                    longest gap between two pictures over SECS. Prints
 *                    VIEW n=.. frames=.. fps=.. maxgap=..ms worst=..ms.
 *   junk C SECS      C hostile clients, client c from 127.0.2.(c+1), each
 *                    connecting again and again for SECS and sending
 *                    garbage: random bytes, half a frame and silence,
 *                    unparsable frames, or a frame header promising more
 *                    than the host takes. Prints JUNK conns=.. closed=..
 *   stall SECS       one session with a small receive buffer that reads
 *                    nothing for SECS, then drains: STALL closed=1 when
 *                    the host had hung up, else STALL closed=0.
 *
 * One thread (epoll) reads every logged-in session; the login threads hand
 * sessions to it once logged in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "common/codec.h"
#include "common/xmalloc.h"
#include "tests/peer/peer.h"

struct sw_sess {
	struct pconn	*pc;
	int		 ok;		/* logged in and not closed since */
	double		 login_ms;
	uint64_t	 frames;
	double		 last_frame;	/* ms of the last picture, 0 none */
	double		 max_gap;
};

struct swarm {
	const char	*host;
	int		 port;
	const char	*user;
	const char	*pass;
	int		 n;		/* sessions */
	int		 threads;	/* login threads */
	int		 epfd;
	struct sw_sess	*s;
	volatile int	 stop;
	int		 viewers;	/* count frames and gaps */
	double		 measure_from;	/* gaps count from here */
};

/* A blocking TCP connection to host:port from source address src. */
static struct pconn *
sw_connect(const struct swarm *sw, const char *src)
{
	struct sockaddr_in sa, from;
	struct timeval tv = { 10, 0 };
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)sw->port);
	if (inet_pton(AF_INET, sw->host, &sa.sin_addr) != 1)
		return NULL;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (src != NULL) {
		memset(&from, 0, sizeof from);
		from.sin_family = AF_INET;
		inet_pton(AF_INET, src, &from.sin_addr);
		if (bind(fd, (struct sockaddr *)&from, sizeof from) != 0) {
			close(fd);
			return NULL;
		}
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return NULL;
	}
	return pc_from_fd(fd);
}

/* The source address of login thread or hostile client t. */
static void
sw_src(const struct swarm *sw, int net, int t, char *out, size_t len)
{
	if (strncmp(sw->host, "127.", 4) == 0)
		snprintf(out, len, "127.0.%d.%d", net, t % 250 + 1);
	else
		*out = '\0';
}

struct sw_login_arg {
	struct swarm	*sw;
	int		 t;
};

/* Login thread: sessions t, t+T, t+2T, ... in turn. */
static void *
sw_login_thread(void *arg)
{
	struct sw_login_arg *a = arg;
	struct swarm *sw = a->sw;
	struct epoll_event ev;
	struct sw_sess *s;
	Hbb__Message *m;
	char src[32];
	double t0;
	int i;

	sw_src(sw, 1, a->t, src, sizeof src);
	for (i = a->t; i < sw->n; i += sw->threads) {
		s = &sw->s[i];
		t0 = pc_now_ms();
		if ((s->pc = sw_connect(sw, *src ? src : NULL)) == NULL)
			continue;
		m = pc_login(s->pc, sw->user, sw->pass, 10000);
		s->login_ms = pc_now_ms() - t0;
		s->ok = m != NULL &&
		    m->union_case == HBB__MESSAGE__UNION_LOGIN_RESPONSE &&
		    m->login_response->union_case ==
		    HBB__LOGIN_RESPONSE__UNION_PEER_INFO;
		if (m != NULL)
			hbb__message__free_unpacked(m, NULL);
		if (!s->ok)
			continue;
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN;
		ev.data.ptr = s;
		epoll_ctl(sw->epfd, EPOLL_CTL_ADD, pc_fd(s->pc), &ev);
	}
	return NULL;
}

/* Reader thread: drains every logged-in session, answering probes. */
static void *
sw_reader_thread(void *arg)
{
	struct swarm *sw = arg;
	struct epoll_event evs[256];
	struct sw_sess *s;
	Hbb__Message *m;
	double now;
	int i, n, eof;

	while (!sw->stop) {
		n = epoll_wait(sw->epfd, evs, 256, 100);
		for (i = 0; i < n; i++) {
			s = evs[i].data.ptr;
			while ((m = pc_recv_nb(s->pc, &eof)) != NULL) {
				if (sw->viewers && m->union_case ==
				    HBB__MESSAGE__UNION_VIDEO_FRAME) {
					now = pc_now_ms();
					if (s->last_frame > 0 &&
					    now > sw->measure_from &&
					    now - s->last_frame > s->max_gap)
						s->max_gap = now - s->last_frame;
					s->last_frame = now;
					s->frames++;
				}
				hbb__message__free_unpacked(m, NULL);
			}
			if (eof) {
				s->ok = 0;
				epoll_ctl(sw->epfd, EPOLL_CTL_DEL, pc_fd(s->pc),
				    NULL);
			}
		}
	}
	return NULL;
}

/* Sort helper for doubles. */
static int
sw_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Logs n sessions in over sw->threads threads; prints LOGINS. */
static int
sw_login_all(struct swarm *sw)
{
	struct sw_login_arg *a;
	pthread_t *th;
	double *ms, t0 = pc_now_ms(), t;
	int i, ok = 0;

	a = xcalloc((size_t)sw->threads, sizeof *a);
	th = xcalloc((size_t)sw->threads, sizeof *th);
	for (i = 0; i < sw->threads; i++) {
		a[i].sw = sw;
		a[i].t = i;
		pthread_create(&th[i], NULL, sw_login_thread, &a[i]);
	}
	for (i = 0; i < sw->threads; i++)
		pthread_join(th[i], NULL);
	t = (pc_now_ms() - t0) / 1000;
	ms = xcalloc((size_t)sw->n, sizeof *ms);
	for (i = 0; i < sw->n; i++) {
		ms[i] = sw->s[i].pc != NULL ? sw->s[i].login_ms : 1e9;
		ok += sw->s[i].ok;
	}
	qsort(ms, (size_t)sw->n, sizeof *ms, sw_cmp);
	printf("LOGINS ok=%d of %d p50=%.1fms p99=%.1fms max=%.1fms "
	    "in %.1fs rate=%.0f/s\n", ok, sw->n, ms[sw->n / 2],
	    ms[(sw->n * 99) / 100], ms[sw->n - 1], t, sw->n / t);
	fflush(stdout);
	free(ms);
	free(a);
	free(th);
	return ok;
}

/* Sleeps until pc_now_ms() reaches until. */
static void
sw_sleep_until(double until)
{
	double left;

	while ((left = until - pc_now_ms()) > 0)
		usleep(left > 100 ? 100000 : (useconds_t)(left * 1000));
}

/* swarm N SECS T and view N SECS. */
static int
sw_sessions(struct swarm *sw, double secs)
{
	pthread_t reader;
	double worst = 0, minfps = 1e9, fps, t0;
	uint64_t frames = 0;
	int i, held, alive = 0;

	sw->s = xcalloc((size_t)sw->n, sizeof *sw->s);
	if ((sw->epfd = epoll_create1(0)) < 0)
		return 1;
	pthread_create(&reader, NULL, sw_reader_thread, sw);
	held = sw_login_all(sw);
	printf("HELD %d\n", held);
	fflush(stdout);
	if (sw->viewers) {
		/* Gaps count once every viewer had its first picture. */
		t0 = pc_now_ms();
		for (i = 0; i < sw->n && pc_now_ms() - t0 < 30000; i++)
			while (sw->s[i].ok && sw->s[i].frames == 0 &&
			    pc_now_ms() - t0 < 30000)
				usleep(10000);
		sw->measure_from = pc_now_ms();
		printf("STREAMING\n");
		fflush(stdout);
	}
	t0 = pc_now_ms();
	sw_sleep_until(t0 + secs * 1000);
	sw->stop = 1;
	pthread_join(reader, NULL);
	for (i = 0; i < sw->n; i++) {
		alive += sw->s[i].ok;
		frames += sw->s[i].frames;
		if (sw->s[i].max_gap > worst)
			worst = sw->s[i].max_gap;
		fps = sw->s[i].frames / secs;
		if (fps < minfps)
			minfps = fps;
	}
	printf("ALIVE %d of %d\n", alive, sw->n);
	if (sw->viewers)
		printf("VIEW n=%d frames=%llu minfps=%.1f maxgap=%.0fms\n",
		    sw->n, (unsigned long long)frames, minfps, worst);
	for (i = 0; i < sw->n; i++)
		pc_free(sw->s[i].pc);
	free(sw->s);
	close(sw->epfd);
	return 0;
}

struct sw_junk {
	struct swarm	*sw;
	int		 c;
	double		 until;
	unsigned	 conns, closed;
};

/* Sends one kind of garbage on a fresh connection and waits a little. */
static void
sw_junk_one(struct sw_junk *j, struct pconn *pc, unsigned kind)
{
	uint8_t buf[4096], hdr[CODEC_HDR_MAX];
	Hbb__Message *m;
	size_t n, h;
	double t0;
	int eof = 0;

	randombytes_buf(buf, sizeof buf);
	n = 64 + randombytes_uniform(sizeof buf - 64);
	switch (kind % 4) {
	case 0:		/* bytes, no framing */
		pc_send_raw(pc, buf, n);
		break;
	case 1:		/* half a frame, then nothing */
		h = codec_hdr_encode(hdr, n);
		pc_send_raw(pc, hdr, h);
		pc_send_raw(pc, buf, n / 2);
		break;
	case 2:		/* whole frames that do not parse */
		pc_send_payload(pc, buf, n);
		pc_send_payload(pc, buf + 1, n - 1);
		break;
	default:	/* a header promising more than any frame may be */
		h = codec_hdr_encode(hdr, 64u << 20);
		pc_send_raw(pc, hdr, h);
		pc_send_raw(pc, buf, n);
		break;
	}
	/* Up to a second: counted as closed when the host hangs up. */
	t0 = pc_now_ms();
	while (!eof && pc_now_ms() - t0 < 1000 && pc_now_ms() < j->until)
		if ((m = pc_recv(pc, 100, &eof)) != NULL)
			hbb__message__free_unpacked(m, NULL);
	j->closed += eof;
}

/* Hostile client c: connect, garbage, repeat until the deadline. */
static void *
sw_junk_thread(void *arg)
{
	struct sw_junk *j = arg;
	struct pconn *pc;
	char src[32];
	unsigned kind = (unsigned)j->c;

	sw_src(j->sw, 2, j->c, src, sizeof src);
	while (pc_now_ms() < j->until) {
		if ((pc = sw_connect(j->sw, *src ? src : NULL)) == NULL) {
			usleep(10000);
			continue;
		}
		j->conns++;
		sw_junk_one(j, pc, kind++);
		pc_free(pc);
	}
	return NULL;
}

/* junk C SECS. */
static int
sw_junk_all(struct swarm *sw, int c, double secs)
{
	struct sw_junk *j = xcalloc((size_t)c, sizeof *j);
	pthread_t *th = xcalloc((size_t)c, sizeof *th);
	double until = pc_now_ms() + secs * 1000;
	unsigned conns = 0, closed = 0;
	int i;

	for (i = 0; i < c; i++) {
		j[i].sw = sw;
		j[i].c = i;
		j[i].until = until;
		pthread_create(&th[i], NULL, sw_junk_thread, &j[i]);
	}
	for (i = 0; i < c; i++) {
		pthread_join(th[i], NULL);
		conns += j[i].conns;
		closed += j[i].closed;
	}
	printf("JUNK clients=%d conns=%u closed=%u\n", c, conns, closed);
	free(j);
	free(th);
	return 0;
}

/* stall SECS: log in, read nothing for SECS, then see if the host left. */
static int
sw_stall(struct swarm *sw, double secs)
{
	struct pconn *pc;
	Hbb__Message *m;
	double t0;
	int small = 4096, eof = 0, ok;	/* small: the receive buffer */

	if ((pc = sw_connect(sw, NULL)) == NULL)
		return 1;
	setsockopt(pc_fd(pc), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	m = pc_login(pc, sw->user, sw->pass, 10000);
	ok = m != NULL && m->union_case == HBB__MESSAGE__UNION_LOGIN_RESPONSE &&
	    m->login_response->union_case ==
	    HBB__LOGIN_RESPONSE__UNION_PEER_INFO;
	if (m != NULL)
		hbb__message__free_unpacked(m, NULL);
	printf("STALLING %s\n", ok ? "logged-in" : "refused");
	sw_sleep_until(pc_now_ms() + secs * 1000);
	pc_set_echo(pc, 0);
	small = 1 << 20;
	setsockopt(pc_fd(pc), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	t0 = pc_now_ms();
	while (!eof && pc_now_ms() - t0 < 10000)
		if ((m = pc_recv(pc, 100, &eof)) != NULL)
			hbb__message__free_unpacked(m, NULL);
	printf("STALL closed=%d\n", eof);
	pc_free(pc);
	return 0;
}

/* The swarm commands; argv[0] is the command. */
int
peer_swarm(const char *host, int port, const char *user, const char *pass,
    int argc, char **argv)
{
	struct swarm sw;

	memset(&sw, 0, sizeof sw);
	sw.host = host;
	sw.port = port;
	sw.user = user;
	sw.pass = pass;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[0], "swarm") == 0 && argc == 4) {
		sw.n = atoi(argv[1]);
		sw.threads = atoi(argv[3]);
		if (sw.n < 1 || sw.threads < 1)
			return 2;
		return sw_sessions(&sw, atof(argv[2]));
	}
	if (strcmp(argv[0], "view") == 0 && argc == 3) {
		sw.n = atoi(argv[1]);
		sw.threads = sw.n < 8 ? sw.n : 8;
		sw.viewers = 1;
		if (sw.n < 1)
			return 2;
		return sw_sessions(&sw, atof(argv[2]));
	}
	if (strcmp(argv[0], "stall") == 0 && argc == 2)
		return sw_stall(&sw, atof(argv[1]));
	if (strcmp(argv[0], "junk") == 0 && argc == 3)
		return sw_junk_all(&sw, atoi(argv[1]), atof(argv[2]));
	return 2;
}
