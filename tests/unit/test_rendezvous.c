/*
 * test_rendezvous.c: rendezvous.proto and AddrMangle against
 * vectors/rendezvous.json, then the registration state machine
 * (server/rendezvous/rdv_reg.c) and the relayed, punched and LAN paths
 * (rdv_relay.c, rdv_punch.c) against tests/bin/hbbs_double.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/log.h"
#include "message.pb-c.h"
#include "rendezvous.pb-c.h"
#include "server/rendezvous/rdv_addr.h"
#include "server/rendezvous/rendezvous.h"
#include "tests/tst.h"

int	main(void);

static char	*vec;

/* Milliseconds on the monotonic clock. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Packs m, framed or not, and compares with the hex of the vector. */
static void
check_packed(const Hbb__RendezvousMessage *m, int framed, const char *hex)
{
	uint8_t *want, *got, hdr[CODEC_HDR_MAX];
	size_t wn, n, h = 0;

	want = tst_unhex(hex, &wn);
	n = hbb__rendezvous_message__get_packed_size(m);
	if (framed)
		h = codec_hdr_encode(hdr, n);
	ASSERT_INT_EQ(h + n, wn);
	got = malloc(h + n);
	memcpy(got, hdr, h);
	hbb__rendezvous_message__pack(m, got + h);
	ASSERT_MEM_EQ(got, want, wn);
	free(got);
	free(want);
}

/* The four message vectors of rendezvous.json. */
static void
test_message_vectors(void)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT, *u;
	Hbb__RegisterPeer rp = HBB__REGISTER_PEER__INIT;
	Hbb__RegisterPk pk = HBB__REGISTER_PK__INIT;
	Hbb__RelayResponse rr = HBB__RELAY_RESPONSE__INIT;
	Hbb__RequestRelay rq = HBB__REQUEST_RELAY__INIT;
	char *hex, *f;
	uint8_t *b, *pkb, *sa;
	size_t n, pkn, san;

	rp.id = (char *)"123456789";
	rp.serial = RDV_SERIAL;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PEER;
	m.register_peer = &rp;
	hex = tst_json_str(vec, "udp_register_peer", "datagram_hex");
	check_packed(&m, 0, hex);
	free(hex);

	f = tst_json_str(vec, "udp_register_pk", "pk");
	pkb = tst_unhex(f, &pkn);
	free(f);
	pk.id = (char *)"123456789";
	pk.uuid.data = (uint8_t *)"0123456789abcdef0123456789abcdef";
	pk.uuid.len = 32;
	pk.pk.data = pkb;
	pk.pk.len = pkn;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK;
	m.register_pk = &pk;
	hex = tst_json_str(vec, "udp_register_pk", "datagram_hex");
	check_packed(&m, 0, hex);
	/* And back: the datagram unpacks to the same fields. */
	b = tst_unhex(hex, &n);
	u = hbb__rendezvous_message__unpack(NULL, n, b);
	ASSERT_TRUE(u != NULL);
	ASSERT_INT_EQ(u->union_case,
	    HBB__RENDEZVOUS_MESSAGE__UNION_REGISTER_PK);
	ASSERT_STR_EQ(u->register_pk->id, "123456789");
	ASSERT_INT_EQ(u->register_pk->pk.len, 32);
	ASSERT_MEM_EQ(u->register_pk->pk.data, pkb, 32);
	hbb__rendezvous_message__free_unpacked(u, NULL);
	free(b);
	free(hex);
	free(pkb);

	f = tst_json_str(vec, "tcp_relay_response_to_hbbs", "socket_addr");
	sa = tst_unhex(f, &san);
	free(f);
	rr.socket_addr.data = sa;
	rr.socket_addr.len = san;
	rr.uuid = (char *)"5b4c1d8e-2f0a-4e3b-9c7d-6a1b2c3d4e5f";
	rr.relay_server = (char *)"relay.example.com:21117";
	rr.union_case = HBB__RELAY_RESPONSE__UNION_ID;
	rr.id = (char *)"123456789";
	rr.version = (char *)"1.4.9";
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_RELAY_RESPONSE;
	m.relay_response = &rr;
	hex = tst_json_str(vec, "tcp_relay_response_to_hbbs", "message_hex");
	check_packed(&m, 0, hex);
	free(hex);
	hex = tst_json_str(vec, "tcp_relay_response_to_hbbs", "frame_hex");
	check_packed(&m, 1, hex);
	free(hex);
	free(sa);

	rq.uuid = (char *)"5b4c1d8e-2f0a-4e3b-9c7d-6a1b2c3d4e5f";
	rq.licence_key = (char *)RDV_DEFAULT_KEY;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY;
	m.request_relay = &rq;
	hex = tst_json_str(vec, "tcp_request_relay_to_hbbr", "message_hex");
	check_packed(&m, 0, hex);
	free(hex);
	hex = tst_json_str(vec, "tcp_request_relay_to_hbbr", "frame_hex");
	check_packed(&m, 1, hex);
	free(hex);
}

/* AddrMangle v4 vectors both ways, v6, and bad lengths. */
static void
test_addr_mangle(void)
{
	const char *ips[] = { "192.168.16.32", "203.0.113.7", "10.0.0.1" };
	const int ports[] = { 21116, 50000, 21118 };
	const uint32_t tms[] = { 305419896u, 2596069104u, 0 };
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t out[RDV_ADDR_MAX], *want, junk[17] = { 0 };
	const char *p;
	char *hex, str[80];
	size_t wn;
	int i, n;

	p = vec;
	for (i = 0; i < 3; i++) {
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		inet_pton(AF_INET, ips[i], &sin.sin_addr);
		sin.sin_port = htons((uint16_t)ports[i]);
		n = rdv_addr_mangle((struct sockaddr *)&sin, tms[i], out);
		p = strstr(p, "\"mangled_hex\"");
		ASSERT_TRUE(p != NULL);
		hex = tst_json_str(p, NULL, "mangled_hex");
		p++;
		want = tst_unhex(hex, &wn);
		ASSERT_INT_EQ(n, wn);
		ASSERT_MEM_EQ(out, want, wn);
		ASSERT_INT_EQ(rdv_addr_unmangle(want, wn, &ss, &sl), 0);
		ASSERT_INT_EQ(sl, sizeof sin);
		ASSERT_MEM_EQ(&ss, &sin, sizeof sin);
		free(want);
		free(hex);
	}
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	sin6.sin6_port = htons(8080);
	n = rdv_addr_mangle((struct sockaddr *)&sin6, 1234, out);
	hex = tst_json_str(vec, "addr_mangle_v6", "mangled_hex");
	want = tst_unhex(hex, &wn);
	ASSERT_INT_EQ(n, wn);
	ASSERT_MEM_EQ(out, want, wn);
	ASSERT_INT_EQ(rdv_addr_unmangle(want, wn, &ss, &sl), 0);
	rdv_addr_str((struct sockaddr *)&ss, str, sizeof str);
	ASSERT_STR_EQ(str, "[2001:db8::1]:8080");
	free(want);
	free(hex);
	/* A v4-mapped address mangles as IPv4. */
	inet_pton(AF_INET6, "::ffff:10.0.0.1", &sin6.sin6_addr);
	sin6.sin6_port = htons(21118);
	n = rdv_addr_mangle((struct sockaddr *)&sin6, 0, out);
	ASSERT_INT_EQ(rdv_addr_unmangle(out, (size_t)n, &ss, &sl), 0);
	rdv_addr_str((struct sockaddr *)&ss, str, sizeof str);
	ASSERT_STR_EQ(str, "10.0.0.1:21118");
	ASSERT_INT_EQ(rdv_addr_unmangle(junk, 17, &ss, &sl), ERR_INVAL);
	ASSERT_INT_EQ(rdv_addr_unmangle(junk, 0, &ss, &sl), 0);
}

/* host[:port] parsing of the server options. */
static void
test_addr_split(void)
{
	char h[RDV_HOST_MAX];
	int port;

	ASSERT_INT_EQ(rdv_addr_split("hbbs.example.com", 21116, h, &port), 0);
	ASSERT_STR_EQ(h, "hbbs.example.com");
	ASSERT_INT_EQ(port, 21116);
	ASSERT_INT_EQ(rdv_addr_split("10.1.2.3:4000", 21116, h, &port), 0);
	ASSERT_STR_EQ(h, "10.1.2.3");
	ASSERT_INT_EQ(port, 4000);
	ASSERT_INT_EQ(rdv_addr_split("[::1]:21200", 21116, h, &port), 0);
	ASSERT_STR_EQ(h, "::1");
	ASSERT_INT_EQ(port, 21200);
	ASSERT_INT_EQ(rdv_addr_split("fe80::1", 21117, h, &port), 0);
	ASSERT_STR_EQ(h, "fe80::1");
	ASSERT_INT_EQ(port, 21117);
	ASSERT_INT_EQ(rdv_addr_split("", 1, h, &port), ERR_INVAL);
	ASSERT_INT_EQ(rdv_addr_split("h:0", 1, h, &port), ERR_INVAL);
	ASSERT_INT_EQ(rdv_addr_split("h:70000", 1, h, &port), ERR_INVAL);
	ASSERT_INT_EQ(rdv_addr_split("h:12x", 1, h, &port), ERR_INVAL);
	ASSERT_INT_EQ(rdv_addr_split("[::1", 1, h, &port), ERR_INVAL);
	ASSERT_INT_EQ(rdv_addr_split("a b", 1, h, &port), ERR_INVAL);
	ASSERT_INT_EQ(rdv_addr_split("a\x1b[2J", 1, h, &port), ERR_INVAL);
}

/* ---- the double ---- */

struct dbl {
	pid_t		 pid;
	int		 out;		/* its stdout */
	char		 log[65536];	/* everything it printed */
	size_t		 len;
	int		 port, relay;
	uint8_t		 pk[32];
};

static struct event_base	*base;

/* Appends what the double printed since the last call. */
static void
dbl_poll(struct dbl *d)
{
	ssize_t n;

	while (d->len < sizeof d->log - 1 &&
	    (n = read(d->out, d->log + d->len, sizeof d->log - 1 - d->len)) > 0)
		d->len += (size_t)n;
	d->log[d->len] = '\0';
}

/* Runs the loop until pred(arg) or ms pass; returns 1 if pred held. */
static int
run_until(int (*pred)(void *), void *arg, double ms)
{
	struct timeval tv = { 0, 10000 };
	double end = now_ms() + ms;

	while (now_ms() < end) {
		if (pred(arg))
			return 1;
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return pred(arg);
}

/* Starts the double with extra arguments; waits for READY. */
static void
dbl_start(struct dbl *d, const char *opt, const char *optarg)
{
	const char *b = getenv("B") ? getenv("B") : "build";
	char path[512], *k, *r;
	int fds[2];
	double end = now_ms() + 5000;
	size_t n;
	uint8_t *raw;

	memset(d, 0, sizeof *d);
	snprintf(path, sizeof path, "%s/tests/bin/hbbs_double", b);
	ASSERT_INT_EQ(pipe(fds), 0);
	if ((d->pid = fork()) == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		if (opt != NULL)
			execl(path, path, "-p", "0", opt, optarg, (char *)NULL);
		else
			execl(path, path, "-p", "0", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	d->out = fds[0];
	fcntl(d->out, F_SETFL, O_NONBLOCK);
	while ((r = strstr(d->log, "READY ")) == NULL && now_ms() < end) {
		usleep(10000);
		dbl_poll(d);
	}
	ASSERT_TRUE(r != NULL);
	ASSERT_INT_EQ(sscanf(r, "READY %d %d", &d->port, &d->relay), 2);
	k = strstr(d->log, "KEY ");
	ASSERT_TRUE(k != NULL);
	k += 4;
	n = strcspn(k, "\n");
	raw = malloc(64);
	ASSERT_INT_EQ(sodium_base642bin(raw, 64, k, n, NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL), 0);
	ASSERT_INT_EQ(n, 32);
	memcpy(d->pk, raw, 32);
	free(raw);
}

/* Stops the double and reaps it. */
static void
dbl_stop(struct dbl *d)
{
	int st;

	kill(d->pid, SIGTERM);
	waitpid(d->pid, &st, 0);
	close(d->out);
}

/* Counts occurrences of s in what the double printed. */
static int
dbl_count(struct dbl *d, const char *s)
{
	const char *p = d->log;
	int n = 0;

	dbl_poll(d);
	while ((p = strstr(p, s)) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* ---- the host under test ---- */

struct host {
	struct rdv	*rdv;
	uint8_t		 pk[32], sk[64];
	char		 dir[64];
	atomic_int	 stream_fd;	/* handed by the module, or -1 */
	int		 secure;
	char		 peer[80];
};

/* The stream callback: keep the fd for the test. */
static void
host_stream_cb(void *arg, int fd, int secure, const struct sockaddr *sa,
    socklen_t len)
{
	struct host *h = arg;

	(void)len;
	h->secure = secure;
	rdv_addr_str(sa, h->peer, sizeof h->peer);
	atomic_store(&h->stream_fd, fd);
}

/* Starts the module against the double; fast timing if fast. */
static void
host_start(struct host *h, struct dbl *d, const char *id, int fast)
{
	struct rdv_conf c;
	char server[64], *cause = NULL;

	memset(h, 0, sizeof *h);
	atomic_store(&h->stream_fd, -1);
	crypto_sign_keypair(h->pk, h->sk);
	snprintf(h->dir, sizeof h->dir, "/tmp/rdvtest.XXXXXX");
	ASSERT_TRUE(mkdtemp(h->dir) != NULL);
	snprintf(server, sizeof server, "127.0.0.1:%d", d->port);
	memset(&c, 0, sizeof c);
	c.server = server;
	c.key = "";
	c.id = id;
	c.uuid = (const uint8_t *)"machine-uuid-1";
	c.uuid_len = 14;
	c.pk = h->pk;
	if (fast) {
		c.tick_ms = 50;
		c.reg_interval_ms = 1000;
		c.reg_timeout_ms = 200;
	}
	ASSERT_INT_EQ(rdv_new(&h->rdv, base, NULL, &c, host_stream_cb, h,
	    &cause), 0);
	ASSERT_TRUE(cause == NULL);
}

/* Stops the module. */
static void
host_stop(struct host *h)
{
	char path[128];

	rdv_free(h->rdv);
	snprintf(path, sizeof path, "%s", h->dir);
	rmdir(path);
	if (atomic_load(&h->stream_fd) != -1)
		close(atomic_load(&h->stream_fd));
}

/* Predicate: registered. */
static int
is_registered(void *arg)
{
	return rdv_state(((struct host *)arg)->rdv, NULL) == RDV_REGISTERED;
}

/* Predicate: not registered. */
static int
not_registered(void *arg)
{
	return !is_registered(arg);
}

/* Predicate: in the error state. */
static int
is_error(void *arg)
{
	return rdv_state(((struct host *)arg)->rdv, NULL) == RDV_ERROR;
}

/* Registration with upstream timing: time to registered, state text. */
static void
test_register(void)
{
	struct dbl d;
	struct host h;
	const char *st;
	double t0, t;

	dbl_start(&d, NULL, NULL);
	t0 = now_ms();
	host_start(&h, &d, "123456789", 0);
	(void)rdv_state(h.rdv, &st);
	ASSERT_STR_EQ(st, "connecting");
	ASSERT_TRUE(run_until(is_registered, &h, 5000));
	t = now_ms() - t0;
	fprintf(stderr, "    time to registered: %.2f ms\n", t);
	(void)rdv_state(h.rdv, &st);
	ASSERT_STR_EQ(st, "registered");
	ASSERT_INT_EQ(dbl_count(&d, "register_pk 123456789 result=0"), 1);
	host_stop(&h);
	dbl_stop(&d);
}

/* Predicate that never holds: run_until() then just runs the loop. */
static int
never(void *arg)
{
	(void)arg;
	return 0;
}

struct count_wait {
	struct dbl	*d;
	const char	*s;
	int		 n;
};

/* Predicate: the double printed w->s at least w->n times. */
static int
count_reached(void *arg)
{
	struct count_wait *w = arg;

	return dbl_count(w->d, w->s) >= w->n;
}

/* Server goes away and comes back; request_pk; key re-confirmation. */
static void
test_restart(void)
{
	struct dbl d;
	struct host h;
	struct count_wait w;
	const char *st;
	double t0, t;

	dbl_start(&d, NULL, NULL);
	host_start(&h, &d, "123456789", 1);
	ASSERT_TRUE(run_until(is_registered, &h, 3000));
	/* A RegisterPeer cycle with a known key: no request_pk. */
	(void)run_until(never, NULL, 1300);
	ASSERT_TRUE(is_registered(&h));
	ASSERT_TRUE(dbl_count(&d, "register_peer 123456789 request_pk=0")
	    >= 1);

	/* hbbs goes away: after two misses the state is "connecting". */
	kill(d.pid, SIGUSR1);
	ASSERT_TRUE(run_until(not_registered, &h, 5000));
	(void)rdv_state(h.rdv, &st);
	ASSERT_STR_EQ(st, "connecting");
	(void)run_until(never, NULL, 1500);
	ASSERT_TRUE(not_registered(&h));
	/* It comes back without memory: RegisterPeer gets request_pk, the
	 * host sends RegisterPk at once, within one cycle (+ one timeout). */
	kill(d.pid, SIGUSR2);
	t0 = now_ms();
	ASSERT_TRUE(run_until(is_registered, &h, 1000 + 200 + 300));
	t = now_ms() - t0;
	fprintf(stderr, "    re-registered %.0f ms after hbbs came back "
	    "(cycle 1000 ms)\n", t);
	ASSERT_TRUE(dbl_count(&d, "register_peer 123456789 request_pk=1")
	    >= 1);
	ASSERT_INT_EQ(dbl_count(&d, "register_pk 123456789 result=0"), 2);

	/* A client could not verify us: RegisterPk on the next tick. */
	rdv_key_unconfirmed(h.rdv);
	w.d = &d;
	w.s = "register_pk 123456789 result=0";
	w.n = 3;
	ASSERT_TRUE(run_until(count_reached, &w, 400));
	ASSERT_TRUE(is_registered(&h));
	host_stop(&h);
	dbl_stop(&d);
}

/* hbbs binds the ID to another machine: reported, the ID is kept. */
static void
test_conflict(void)
{
	struct dbl d;
	struct host h;
	const char *text;

	dbl_start(&d, "-c", "123456789");
	host_start(&h, &d, "123456789", 1);
	ASSERT_TRUE(run_until(is_error, &h, 3000));
	(void)rdv_state(h.rdv, &text);
	ASSERT_TRUE(strstr(text, "UUID_MISMATCH") != NULL);
	ASSERT_TRUE(strstr(text, "123456789") != NULL);
	ASSERT_TRUE(strncmp(text, "error: ", 7) == 0);
	/* It keeps asking once per cycle, with the same ID. */
	(void)run_until(never, NULL, 1300);
	ASSERT_TRUE(dbl_count(&d, "register_pk 123456789 result=2") >= 2);
	ASSERT_INT_EQ(dbl_count(&d, "register_pk 123456789 result=0"), 0);
	host_stop(&h);
	dbl_stop(&d);
}

/* ---- a client dialling the ID through the double ---- */

struct client {
	struct dbl	*d;
	const char	*id;
	const uint8_t	*host_pk;
	int		 client_relay;	/* send RequestRelay, not PunchHole */
	int		 punchable;	/* nat_type ASYMMETRIC: no relay */
	atomic_int	 done;		/* 1 ok, -1 failed */
	char		 why[128];
};

/* Writes all of (p, n) to a blocking socket. */
static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, b, n)) <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Sends one framed RendezvousMessage. */
static int
send_msg(int fd, const Hbb__RendezvousMessage *m)
{
	uint8_t hdr[CODEC_HDR_MAX], buf[1024];
	size_t n = hbb__rendezvous_message__get_packed_size(m), h;

	h = codec_hdr_encode(hdr, n);
	if (h + n > sizeof buf)
		return -1;
	memcpy(buf, hdr, h);
	hbb__rendezvous_message__pack(m, buf + h);
	return write_all(fd, buf, h + n);
}

/* Reads one framed RendezvousMessage (blocking, with SO_RCVTIMEO). */
static Hbb__RendezvousMessage *
recv_msg(int fd)
{
	uint8_t buf[4096];
	const uint8_t *pl;
	size_t have = 0, pn;
	ssize_t r;
	int used;

	for (;;) {
		used = codec_frame(buf, have, sizeof buf, &pl, &pn);
		if (used > 0)
			return hbb__rendezvous_message__unpack(NULL, pn, pl);
		if (used < 0 || have == sizeof buf)
			return NULL;
		if ((r = read(fd, buf + have, sizeof buf - have)) <= 0)
			return NULL;
		have += (size_t)r;
	}
}

/* TCP to 127.0.0.1:port with a 5 s receive timeout. */
static int
dial(int port)
{
	struct sockaddr_in sin;
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Verifies RelayResponse.pk: hbbs-signed IdPk{id, host key}. */
static int
check_signed_pk(struct client *c, const ProtobufCBinaryData *pk)
{
	uint8_t msg[256];
	unsigned long long mlen;
	Hbb__IdPk *ip;
	int ok;

	if (pk->len < crypto_sign_BYTES || pk->len > sizeof msg ||
	    crypto_sign_open(msg, &mlen, pk->data, pk->len, c->d->pk) != 0)
		return 0;
	if ((ip = hbb__id_pk__unpack(NULL, (size_t)mlen, msg)) == NULL)
		return 0;
	ok = strcmp(ip->id, c->id) == 0 && ip->pk.len == 32 &&
	    memcmp(ip->pk.data, c->host_pk, 32) == 0;
	hbb__id_pk__free_unpacked(ip, NULL);
	return ok;
}

/* The client: ask hbbs, join the relay, exchange a greeting. */
static void *
client_main(void *arg)
{
	struct client *c = arg;
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT, *a = NULL;
	Hbb__PunchHoleRequest phr = HBB__PUNCH_HOLE_REQUEST__INIT;
	Hbb__RequestRelay rq = HBB__REQUEST_RELAY__INIT;
	char uuid[140], relay[64], buf[32];
	int fd = -1, rfd = -1, rc = -1;
	ssize_t n;

	snprintf(relay, sizeof relay, "127.0.0.1:%d", c->d->relay);
	if ((fd = dial(c->d->port)) == -1) {
		snprintf(c->why, sizeof c->why, "cannot reach hbbs");
		goto out;
	}
	if (c->client_relay) {
		rq.id = (char *)c->id;
		rq.uuid = (char *)"client-chosen-uuid";
		rq.relay_server = relay;
		rq.secure = 0;
		m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY;
		m.request_relay = &rq;
	} else {
		phr.id = (char *)c->id;
		phr.nat_type = c->punchable ? HBB__NAT_TYPE__ASYMMETRIC :
		    HBB__NAT_TYPE__SYMMETRIC;
		phr.version = (char *)"1.4.9";
		m.union_case =
		    HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_REQUEST;
		m.punch_hole_request = &phr;
	}
	if (send_msg(fd, &m) != 0 || (a = recv_msg(fd)) == NULL) {
		snprintf(c->why, sizeof c->why, "no answer from hbbs");
		goto out;
	}
	if (a->union_case ==
	    HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_RESPONSE) {
		/* Punched or LAN: dial the address hbbs gave us. */
		struct sockaddr_storage ss;
		socklen_t sl;

		if (a->punch_hole_response->socket_addr.len == 0 ||
		    !check_signed_pk(c, &a->punch_hole_response->pk) ||
		    rdv_addr_unmangle(a->punch_hole_response->socket_addr.data,
		    a->punch_hole_response->socket_addr.len, &ss, &sl) != 0) {
			snprintf(c->why, sizeof c->why, "bad PunchHoleResponse");
			goto out;
		}
		rfd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(rfd, (struct sockaddr *)&ss, sl) != 0) {
			snprintf(c->why, sizeof c->why, "cannot reach host");
			goto out;
		}
		goto greet;
	}
	if (a->union_case != HBB__RENDEZVOUS_MESSAGE__UNION_RELAY_RESPONSE) {
		snprintf(c->why, sizeof c->why, "no RelayResponse");
		goto out;
	}
	if (c->client_relay)
		snprintf(uuid, sizeof uuid, "%s", rq.uuid);
	else {
		if (a->relay_response->union_case !=
		    HBB__RELAY_RESPONSE__UNION_PK ||
		    !check_signed_pk(c, &a->relay_response->pk)) {
			snprintf(c->why, sizeof c->why, "bad signed pk");
			goto out;
		}
		if (*a->relay_response->uuid == '\0' ||
		    strcmp(a->relay_response->relay_server, relay) != 0) {
			snprintf(c->why, sizeof c->why, "bad uuid/relay");
			goto out;
		}
		snprintf(uuid, sizeof uuid, "%s", a->relay_response->uuid);
	}
	if ((rfd = dial(c->d->relay)) == -1) {
		snprintf(c->why, sizeof c->why, "cannot reach hbbr");
		goto out;
	}
	memset(&rq, 0, sizeof rq);
	hbb__request_relay__init(&rq);
	rq.uuid = uuid;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY;
	m.request_relay = &rq;
	if (send_msg(rfd, &m) != 0)
		goto out;
greet:
	if (write_all(rfd, "from-client", 11) != 0)
		goto out;
	n = read(rfd, buf, 9);
	if (n != 9 || memcmp(buf, "from-host", 9) != 0) {
		snprintf(c->why, sizeof c->why, "no greeting via relay");
		goto out;
	}
	rc = 1;
out:
	if (a != NULL)
		hbb__rendezvous_message__free_unpacked(a, NULL);
	if (fd != -1)
		close(fd);
	if (rfd != -1)
		close(rfd);
	atomic_store(&c->done, rc);
	return NULL;
}

/* Predicate: the host got a stream. */
static int
have_stream(void *arg)
{
	return atomic_load(&((struct host *)arg)->stream_fd) != -1;
}

/* Predicate: the client finished. */
static int
client_done(void *arg)
{
	return atomic_load(&((struct client *)arg)->done) != 0;
}

/*
 * A client dials the ID: the host's stream (relayed, punched or LAN, as
 * the double's log line `expect` shows) reaches it.
 */
static void
dial_case(const char *opt, int client_relay, int punchable,
    const char *expect)
{
	struct dbl d;
	struct host h;
	struct client c;
	pthread_t th;
	char buf[16];
	int fd, fl;

	dbl_start(&d, opt, NULL);
	host_start(&h, &d, "123456789", 1);
	ASSERT_TRUE(run_until(is_registered, &h, 3000));
	memset(&c, 0, sizeof c);
	c.d = &d;
	c.id = "123456789";
	c.host_pk = h.pk;
	c.client_relay = client_relay;
	c.punchable = punchable;
	ASSERT_INT_EQ(pthread_create(&th, NULL, client_main, &c), 0);
	ASSERT_TRUE(run_until(have_stream, &h, 5000));
	fd = atomic_load(&h.stream_fd);
	ASSERT_INT_EQ(h.secure, client_relay ? 0 : 1);
	ASSERT_TRUE(h.peer[0] != '\0');
	ASSERT_TRUE(strncmp(h.peer, "127.0.0.1:", 10) == 0);
	/* The stream must be the relayed socket: bytes pass both ways. */
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	ASSERT_INT_EQ(write_all(fd, "from-host", 9), 0);
	ASSERT_INT_EQ(read(fd, buf, 11), 11);
	ASSERT_MEM_EQ(buf, "from-client", 11);
	ASSERT_TRUE(run_until(client_done, &c, 5000));
	pthread_join(th, NULL);
	if (atomic_load(&c.done) != 1)
		TST_FAIL("client: %s", c.why);
	ASSERT_INT_EQ(dbl_count(&d, expect), 1);
	if (strstr(expect, "relay") != NULL)
		ASSERT_INT_EQ(dbl_count(&d, "relay_paired"), 1);
	else
		ASSERT_INT_EQ(dbl_count(&d, "relay_"), 0);
	host_stop(&h);
	dbl_stop(&d);
}

/* Relay for symmetric NATs and client requests; punch; LAN. */
static void
test_dial(void)
{
	dial_case(NULL, 0, 0, "relay_response version=" CDESK_VERSION);
	dial_case(NULL, 1, 0, "relay_response version=" CDESK_VERSION);
	dial_case(NULL, 0, 1, "punch_hole_sent version=" CDESK_VERSION);
	dial_case("-l", 0, 1, "local_addr version=" CDESK_VERSION);
}

/* Garbage and unexpected datagrams are dropped without harm. */
static void
test_bad_input(void)
{
	struct dbl d;
	struct host h;
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__PunchHole ph = HBB__PUNCH_HOLE__INIT;
	uint8_t junk[] = { 0x4a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
	uint8_t buf[256], addr[20] = { 0 };
	size_t n;

	dbl_start(&d, NULL, NULL);
	host_start(&h, &d, "123456789", 1);
	ASSERT_TRUE(run_until(is_registered, &h, 3000));
	ASSERT_INT_EQ(rdv_udp_input(h.rdv, junk, sizeof junk), ERR_PROTO);
	/* A 17-byte address is invalid. */
	ph.socket_addr.data = addr;
	ph.socket_addr.len = 17;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE;
	m.punch_hole = &ph;
	n = hbb__rendezvous_message__pack(&m, buf);
	ASSERT_INT_EQ(rdv_udp_input(h.rdv, buf, n), ERR_PROTO);
	ASSERT_TRUE(is_registered(&h));
	host_stop(&h);
	dbl_stop(&d);
}

/* Runs every test. */
int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		return 1;
	log_set_level(getenv("RDV_DEBUG") ? LOG_DEBUG : LOG_WARN);
	vec = tst_vector("rendezvous.json");
	base = event_base_new();
	TST_RUN(test_message_vectors);
	TST_RUN(test_addr_mangle);
	TST_RUN(test_addr_split);
	TST_RUN(test_register);
	TST_RUN(test_restart);
	TST_RUN(test_conflict);
	TST_RUN(test_dial);
	TST_RUN(test_bad_input);
	event_base_free(base);
	free(vec);
	return 0;
}
