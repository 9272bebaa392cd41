/*
 * tunnel.c: the test peer as the stock client's TCP tunnel (PROTOCOL.md
 * §12): LoginRequest.port_forward with no option; after PeerInfo the
 * stream is raw. The host's first TestDelay probe is held back and
 * answered only after PeerInfo, in the same write as the early bytes, so
 * the host must take the echo as a frame and what follows as raw bytes
 * (with "echo": probes are answered at once, as the stock client does
 * before PeerInfo, and the early bytes go alone).
 *
 * Prints the login outcome (PEERINFO displays=<n> | ERROR <text> | CLOSED
 * <reason>), then EOF <ms> when the host closes within 5 s after an
 * error; with byte counts STALLED written=<n> (stall: how much the host
 * and the destination took while nothing was read back) and TUNNEL ok
 * bytes=<n> ms=<t> | TUNNEL mismatch at <n> | TUNNEL short <n> of <m>.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/xmalloc.h"
#include "tests/peer/tunnel.h"

#define TUN_CHUNK	16384
#define TUN_STALL_MS	2000	/* no write for this long: stalled */
#define TUN_QUIET_MS	30000	/* no progress for this long: give up */

/* The destination the login asks for. */
struct tun_login {
	Hbb__PortForward	 pf;
	const char		*host;
	int			 port;
};

/* Both byte streams and how far each got. */
struct tun_run {
	uint64_t	 tx, rx;	/* generator states */
	size_t		 total;		/* bytes to send in all */
	size_t		 sent, got;
	int		 stall;		/* write without reading first */
	int		 echo;		/* probes answered during the login */
};

/* LoginRequest.port_forward, without an option as the client sends it. */
static void
tun_fill(Hbb__LoginRequest *lr, void *arg)
{
	struct tun_login *tl = arg;

	hbb__port_forward__init(&tl->pf);
	tl->pf.host = (char *)tl->host;
	tl->pf.port = tl->port;
	lr->union_case = HBB__LOGIN_REQUEST__UNION_PORT_FORWARD;
	lr->port_forward = &tl->pf;
	lr->option = NULL;
}

/* The next byte of a deterministic stream (xorshift). */
static uint8_t
tun_byte(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint8_t)(*s >> 24);
}

/* After an error: wait up to 5 s for the host to close. */
static void
tun_wait_close(struct pconn *pc)
{
	double t0 = pc_now_ms();
	Hbb__Message *m;
	int eof = 0;

	while (!eof && pc_now_ms() - t0 < 5000)
		if ((m = pc_recv(pc, 500, &eof)) != NULL)
			hbb__message__free_unpacked(m, NULL);
	if (eof)
		printf("EOF %.0f\n", pc_now_ms() - t0);
	else
		printf("OPEN\n");
}

/* The held probe's echo as a frame, then early bytes: one write. */
static int
tun_send_early(struct pconn *pc, struct tun_run *tr, size_t early)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__TestDelay td = HBB__TEST_DELAY__INIT;
	size_t n, h, i;
	uint8_t *buf;
	int r;

	m.union_case = HBB__MESSAGE__UNION_TEST_DELAY;
	m.test_delay = &td;
	n = tr->echo ? 0 : hbb__message__get_packed_size(&m);
	buf = xmalloc(CODEC_HDR_MAX + n + early);
	h = 0;
	if (!tr->echo) {
		h = codec_hdr_encode(buf, n);
		hbb__message__pack(&m, buf + h);
	}
	for (i = 0; i < early; i++)
		buf[h + n + i] = tun_byte(&tr->tx);
	r = pc_send_raw(pc, buf, h + n + early);
	tr->sent = early;
	free(buf);
	return r;
}

/* Send what the socket takes now; returns 1 if anything went. */
static int
tun_write(int fd, struct tun_run *tr)
{
	uint8_t buf[TUN_CHUNK];
	uint64_t s = tr->tx;
	size_t n = tr->total - tr->sent, i;
	ssize_t w;

	if (n > sizeof buf)
		n = sizeof buf;
	for (i = 0; i < n; i++)
		buf[i] = tun_byte(&s);
	if (n == 0 || (w = send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL)) <= 0)
		return 0;
	/* Advance the stream by what really went. */
	for (i = 0; i < (size_t)w; i++)
		(void)tun_byte(&tr->tx);
	tr->sent += (size_t)w;
	return 1;
}

/* Take what came back; -1 on a wrong byte, 0 at EOF, 1 otherwise. */
static int
tun_read(int fd, struct tun_run *tr)
{
	uint8_t buf[TUN_CHUNK];
	ssize_t n, i;

	if ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) < 0)
		return errno == EAGAIN || errno == EINTR ? 1 : 0;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++, tr->got++)
		if (buf[i] != tun_byte(&tr->rx))
			return -1;
	return 1;
}

/* Stall mode: write without reading until the host stops taking bytes. */
static void
tun_stall(int fd, struct tun_run *tr)
{
	double last = pc_now_ms();
	struct pollfd p = { fd, POLLOUT, 0 };

	while (tr->sent < tr->total && pc_now_ms() - last < TUN_STALL_MS) {
		if (poll(&p, 1, 100) > 0 && tun_write(fd, tr))
			last = pc_now_ms();
	}
	printf("STALLED written=%zu\n", tr->sent);
	fflush(stdout);
}

/* Push the bytes and check the echo. */
static void
tun_echo(struct pconn *pc, struct tun_run *tr)
{
	int fd = pc_fd(pc), r = 1;
	double t0 = pc_now_ms(), last = t0;

	if (tr->stall)
		tun_stall(fd, tr);
	while (tr->got < tr->total && pc_now_ms() - last < TUN_QUIET_MS) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (tr->sent < tr->total)
			p.events |= POLLOUT;
		if (poll(&p, 1, 500) <= 0)
			continue;
		if ((p.revents & POLLOUT) && tun_write(fd, tr))
			last = pc_now_ms();
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			size_t before = tr->got;

			if ((r = tun_read(fd, tr)) <= 0)
				break;
			if (tr->got > before)
				last = pc_now_ms();
		}
	}
	if (r < 0)
		printf("TUNNEL mismatch at %zu\n", tr->got);
	else if (tr->got < tr->total)
		printf("TUNNEL short %zu of %zu\n", tr->got, tr->total);
	else
		printf("TUNNEL ok bytes=%zu ms=%.0f\n", tr->got,
		    pc_now_ms() - t0);
}

/* The tunnel session. */
int
peer_tunnel(struct pconn *pc, const char *username, const char *password,
    int timeout_ms, int argc, char **argv)
{
	struct tun_login tl;
	struct tun_run tr;
	Hbb__Message *m;
	size_t early;

	if (argc < 2)
		return 2;
	memset(&tl, 0, sizeof tl);
	memset(&tr, 0, sizeof tr);
	tl.host = argv[0];
	tl.port = atoi(argv[1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pc_set_login_fill(pc, tun_fill, &tl);
	tr.echo = argc > 4 && strcmp(argv[4], "echo") == 0;
	pc_set_echo(pc, tr.echo);
	m = pc_login(pc, username, password, timeout_ms);
	if (m == NULL || m->union_case != HBB__MESSAGE__UNION_LOGIN_RESPONSE ||
	    m->login_response->union_case !=
	    HBB__LOGIN_RESPONSE__UNION_PEER_INFO) {
		if (m == NULL)
			printf("EOF\n");
		else if (m->union_case == HBB__MESSAGE__UNION_MISC)
			printf("CLOSED %s\n", m->misc->close_reason);
		else
			printf("ERROR %s\n", m->login_response->error);
		if (m != NULL) {
			hbb__message__free_unpacked(m, NULL);
			tun_wait_close(pc);
		}
		pc_free(pc);
		return 0;
	}
	printf("PEERINFO displays=%zu\n",
	    m->login_response->peer_info->n_displays);
	hbb__message__free_unpacked(m, NULL);
	if (argc >= 4) {
		early = (size_t)atol(argv[2]);
		tr.total = early + (size_t)atol(argv[3]);
		tr.stall = argc > 4 && strcmp(argv[4], "stall") == 0;
		tr.tx = tr.rx = 0x9e3779b97f4a7c15ULL;
		if (tun_send_early(pc, &tr, early) == 0)
			tun_echo(pc, &tr);
		else
			printf("TUNNEL short 0 of %zu\n", tr.total);
	}
	pc_free(pc);
	return 0;
}
