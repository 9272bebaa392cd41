/*
 * fuzz_conn.c: libFuzzer target for the server's peer-message path: frame
 * decoding, the key exchange and dispatch by state (server/conn.c).
 *
 * One struct srv per process, built as server_main() does (a store in a
 * temporary folder, permanent password "fuzz-pass-1"); per input one
 * connection over a socketpair, fed the input through the event loop, then
 * closed. Nothing may outlive the input: no connection, no event.
 *
 * Input: one selector byte, then the bytes the peer sends; FUZZ_RECONNECT
 * in them ends one connection and starts the next (at most 4).
 *   bit 0	  the stream came by relay/punch (host key exchange first)
 *   bit 1	  act as a client: read the host's Hash (on a relayed stream
 *		  first answer its SignedId with a valid PublicKey, then seal
 *		  every frame of the input), and replace each FUZZ_PERM_PROOF
 *		  or FUZZ_OTP_PROOF in the input with the valid proof for the
 *		  permanent or one-time password
 *   bits 2-3 host configuration (fuzz_cfg_text)
 *   bit 4	  the peer's address is IPv6 (IPv4-mapped with configuration 3)
 *   bits 5-7 write chunk size: 0 all at once, k: 4^(k-1) bytes (at least
 *		  1/256 of the input)
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <sodium.h>

#include "common/codec.h"
#include "common/config.h"
#include "common/log.h"
#include "common/pass.h"
#include "common/sstream.h"
#include "common/store.h"
#include "server/conn/conn.h"
#include "server/srv.h"
#include "server/sysinfo.h"
#include "server/conn/throttle.h"
#include "common/mono.h"
#include "netns_echo.h"
#include "sodium_heap.h"

#define FUZZ_PERM_PASS	"fuzz-pass-1"
#define FUZZ_OTP	"fz7k2m"
#define FUZZ_HOST_ID	"fuzzhost"
/* Placeholders (exactly PASS_HASH_LEN bytes) the client mode rewrites. */
#define FUZZ_PERM_PROOF	"<<cdesk-fuzz-permanent-proof-->>"
#define FUZZ_OTP_PROOF	"<<cdesk-fuzz-one-time-proof--->>"
#define FUZZ_MAX_INPUT	(256 * 1024)
/* Separates the sessions of one input (a reconnect). */
#define FUZZ_RECONNECT	"<<cdesk-fuzz-reconnect>>"
#define FUZZ_SESSIONS_MAX 4
#define FUZZ_QUIET_MAX	64	/* loop passes per chunk at most */
#define FUZZ_CLOSE_MAX	256	/* loop passes for the close, then... */
#define FUZZ_CLOSE_MS	2000	/* ...1 ms naps up to this long in all */

#define SEL_SECURE	0x01
#define SEL_CLIENT	0x02
#define SEL_CFG(s)	(((s) >> 2) & 3)
#define SEL_IPV6	0x10
#define SEL_CHUNK(s)	(((s) >> 5) & 7)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

/*
 * LeakSanitizer: sysinfo_new() opens libx265 once to probe it, and x265
 * keeps a process-wide allocation from that for good (not ours to free).
 */
const char *
__lsan_default_suppressions(void)
{
	return "leak:libx265\n";
}

/* Keep the suppression list out of the log's last line (tests/fuzz/run.sh). */
const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}

/* The four host configurations of selector bits 2-3. */
static const char *fuzz_cfg_text[4] = {
	"[options]\n"
	"direct-server = Y\n"
	"verification-method = use-permanent-password\n",

	"[options]\n"
	"direct-server = Y\n"
	"approve-mode = password\n"
	"enable-keyboard = N\n"
	"enable-clipboard = N\n"
	"enable-audio = N\n",

	"[options]\n"
	"direct-server = Y\n"
	"whitelist = 10.0.0.0/8,2001:db8::/32,192.168.1.1\n"
	"id-whitelist = fuzz*,12345?789\n"
	"enable-file-transfer = N\n"
	"enable-tunnel = Y\n"
	"tunnel-destinations = 127.0.0.1:9\n",

	"[options]\n"
	"direct-server = Y\n"
	"whitelist = 172.16.0.0/12\n"
	"approve-mode = click\n",
};

static struct srv	 fuzz_srv;
static struct cfg	*fuzz_cfgs[4];
static struct cfg_paths	 fuzz_paths;
static char		 fuzz_dir[64];
static int		 fuzz_ready;

/* Remove one entry of the temporary folder (nftw callback). */
static int
fuzz_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Free the process-wide server at exit. */
static void
fuzz_fini(void)
{
	int i;

	fuzz_srv.cfg = NULL;
	for (i = 0; i < 4; i++)
		cfg_free(fuzz_cfgs[i]);
	sysinfo_free(fuzz_srv.sysinfo);
	evdns_base_free(fuzz_srv.dns, 0);
	echo_stop();
	throttle_free(fuzz_srv.throttle);
	throttle_free(fuzz_srv.throttle_id);
	throttle_free(fuzz_srv.throttle_2fa);
	store_free(fuzz_srv.store);
	event_base_free(fuzz_srv.base);
	cfg_paths_fini(&fuzz_paths);
	nftw(fuzz_dir, fuzz_rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* Build the server root once per process, as server_main() does. */
static void
fuzz_init(void)
{
	char *cause = NULL;
	int i, devnull, own_net;

	signal(SIGPIPE, SIG_IGN);
	own_net = netns_private() == 0;	/* netns_echo.h: why */
	log_set_ident("fuzz_conn");
	/* FUZZ_CONN_LOG=1 shows the connection's log when replaying. */
	log_set_level(getenv("FUZZ_CONN_LOG") != NULL ? LOG_DEBUG : LOG_ERROR);
	if (sodium_init() < 0)
		abort();
	/* A rotated one-time password is printed on stdout: not ours. */
	if ((devnull = open("/dev/null", O_WRONLY)) >= 0) {
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/fuzz_conn.XXXXXX");
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	if (cfg_paths_init(&fuzz_paths, fuzz_dir, &cause) != 0)
		goto fail;

	memset(&fuzz_srv, 0, sizeof fuzz_srv);
	fuzz_srv.paths = &fuzz_paths;
	TAILQ_INIT(&fuzz_srv.conns);
	TAILQ_INIT(&fuzz_srv.sessions);
	for (i = 0; i < 4; i++) {
		fuzz_cfgs[i] = cfg_new();
		if (cfg_parse_string(fuzz_cfgs[i], fuzz_cfg_text[i], "fuzz",
		    &cause, NULL) != 0)
			goto fail;
		/* On the machine's network no tunnel may leave it. */
		if (!own_net && *cfg_get(fuzz_cfgs[i], "tunnel-destinations") ==
		    '\0' && cfg_set(fuzz_cfgs[i], "tunnel-destinations",
		    "127.0.0.1:9", &cause) != 0)
			goto fail;
	}
	if (store_open(&fuzz_srv.store, fuzz_dir, &cause) != 0 ||
	    store_set_id(fuzz_srv.store, FUZZ_HOST_ID, &cause) != 0 ||
	    store_set_password(fuzz_srv.store, FUZZ_PERM_PASS, &cause) != 0)
		goto fail;
	if ((fuzz_srv.base = event_base_new()) == NULL)
		abort();
	/* A tunnel's lookup stays on this machine: no name servers, so a
	 * name waits until its connection ends; 127.0.0.1:9 is the only
	 * address that answers (netns_echo.h) and config 2 lists only it.
	 * No terminal service: a terminal login is answered "not found" and
	 * starts no shell. */
	if ((fuzz_srv.dns = evdns_base_new(fuzz_srv.base, 0)) == NULL)
		abort();
	echo_start(fuzz_srv.base);	/* 127.0.0.1:9 answers, if ours */
	fuzz_srv.sysinfo = sysinfo_new();
	fuzz_ready = 1;
	atexit(fuzz_fini);
	return;

fail:
	fprintf(stderr, "fuzz_conn: setup: %s\n", cause ? cause : "?");
	abort();
}

/* Forget the recent one-time-password sessions. */
static void
fuzz_forget_sessions(void)
{
	struct srv_session *s;

	while ((s = TAILQ_FIRST(&fuzz_srv.sessions)) != NULL) {
		TAILQ_REMOVE(&fuzz_srv.sessions, s, entry);
		free(s->my_id);
		free(s->my_name);
		free(s);
	}
}

/* Reset what one input may have changed in the server root. */
static void
fuzz_reset(unsigned sel)
{
	struct srv *srv = &fuzz_srv;

	throttle_free(srv->throttle);
	throttle_free(srv->throttle_id);
	throttle_free(srv->throttle_2fa);
	/* As server.c makes them; a missing one (2FA's) crashed the first
	 * Auth2FA the fuzzer sent. */
	srv->throttle = throttle_new(THROTTLE_EXPIRE_S);
	srv->throttle_id = throttle_new(THROTTLE_EXPIRE_ID_S);
	srv->throttle_2fa = throttle_new(THROTTLE_EXPIRE_S);
	srv->cfg = fuzz_cfgs[SEL_CFG(sel)];
	srv->idle_timeout = (int)cfg_int(srv->cfg, "idle-timeout");
	srv->otp_failures = 0;
	memset(srv->otp, 0, sizeof srv->otp);
	if (strcmp(cfg_get(srv->cfg, "verification-method"),
	    "use-permanent-password") != 0)
		memcpy(srv->otp, FUZZ_OTP, sizeof FUZZ_OTP);
}

/* Read what the host wrote: discard it, or with acc append it (64 KiB). */
static size_t
fuzz_drain(int fd, uint8_t **acc, size_t *acclen)
{
	uint8_t tmp[16384];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, tmp, sizeof tmp)) > 0) {
		total += (size_t)n;
		if (acc != NULL && *acclen < 65536) {
			*acc = realloc(*acc, *acclen + (size_t)n);
			memcpy(*acc + *acclen, tmp, (size_t)n);
			*acclen += (size_t)n;
		}
	}
	return total;
}

/* Bytes fd has sent that its peer has not read yet. */
static int
fuzz_unread(int fd)
{
	int n = 0;

	if (ioctl(fd, SIOCOUTQ, &n) != 0)
		return 0;
	return n;
}

/* Run the loop until the host has read everything and stopped writing. */
static void
fuzz_settle(int fd, uint8_t **acc, size_t *acclen)
{
	int i, quiet = 0;

	for (i = 0; i < FUZZ_QUIET_MAX && quiet < 2; i++) {
		event_base_loop(fuzz_srv.base, EVLOOP_NONBLOCK);
		if (TAILQ_EMPTY(&fuzz_srv.conns))
			break;
		if (fuzz_drain(fd, acc, acclen) == 0 && fuzz_unread(fd) == 0)
			quiet++;
		else
			quiet = 0;
	}
}

/* Write all of (p, n) to fd in chunks, settling the loop after each. */
static void
fuzz_write(int fd, const uint8_t *p, size_t n, size_t chunk)
{
	size_t off = 0, len;
	ssize_t w;
	int stuck = 0;

	while (off < n && !TAILQ_EMPTY(&fuzz_srv.conns) && stuck < 8) {
		len = n - off < chunk ? n - off : chunk;
		if ((w = write(fd, p + off, len)) > 0) {
			off += (size_t)w;
			stuck = 0;
		} else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		else
			stuck++;	/* the host stopped reading */
		fuzz_settle(fd, NULL, NULL);
	}
}

/*
 * Take the next whole frame the host sent from acc (with *off), opened by
 * the client stream cs. Returns 1 with the payload, 0 if none yet, -1 bad.
 */
static int
fuzz_next_frame(struct sstream *cs, const uint8_t *acc, size_t acclen,
    size_t *off, const uint8_t **msg, size_t *msglen)
{
	int r;

	if (*off >= acclen)
		return 0;
	r = sstream_open(cs, acc + *off, acclen - *off, msg, msglen);
	if (r <= 0)
		return r < 0 ? -1 : 0;
	*off += (size_t)r;
	return 1;
}

/*
 * Client mode, up to the Hash: answer the SignedId on a relayed stream,
 * then read the Hash and compute both proofs. Returns 1 with the proofs
 * set, else 0 (the host never sent a Hash).
 */
static int
fuzz_client_start(int fd, struct sstream *cs, int secure,
    uint8_t perm[PASS_HASH_LEN], uint8_t otp[PASS_HASH_LEN])
{
	uint8_t *acc = NULL, *reply = NULL, hdr[CODEC_HDR_MAX];
	uint8_t h1[PASS_HASH_LEN];
	size_t acclen = 0, off = 0, msglen, replylen = 0, hl;
	const uint8_t *msg;
	Hbb__Message *m;
	int r = 0, tries, got = 0, answered = !secure;

	for (tries = 0; tries < 8 && !got; tries++) {
		fuzz_settle(fd, &acc, &acclen);
		while (!got && (r = fuzz_next_frame(cs, acc, acclen, &off,
		    &msg, &msglen)) == 1) {
			if (!answered) {
				answered = 1;
				if (sstream_hs_client(cs, msg, msglen,
				    store_sign_pk(fuzz_srv.store),
				    store_id(fuzz_srv.store), &reply,
				    &replylen) < 0)
					goto out;
				hl = codec_hdr_encode(hdr, replylen);
				if (write(fd, hdr, hl) != (ssize_t)hl ||
				    (replylen > 0 && write(fd, reply,
				    replylen) != (ssize_t)replylen))
					goto out;
				free(reply);
				reply = NULL;
				continue;
			}
			if ((m = hbb__message__unpack(NULL, msglen,
			    msg)) == NULL)
				goto out;
			if (m->union_case == HBB__MESSAGE__UNION_HASH) {
				pass_h1(FUZZ_PERM_PASS, m->hash->salt, h1);
				pass_proof(h1, m->hash->challenge, perm);
				pass_h1(FUZZ_OTP, m->hash->salt, h1);
				pass_proof(h1, m->hash->challenge, otp);
				got = 1;
			}
			hbb__message__free_unpacked(m, NULL);
		}
		if (r < 0 || TAILQ_EMPTY(&fuzz_srv.conns))
			break;
	}
out:
	free(reply);
	free(acc);
	return got;
}

/* Replace every placeholder in (p, n) by its proof. */
static void
fuzz_put_proofs(uint8_t *p, size_t n, const uint8_t perm[PASS_HASH_LEN],
    const uint8_t otp[PASS_HASH_LEN])
{
	size_t i;

	for (i = 0; i + PASS_HASH_LEN <= n; i++) {
		if (memcmp(p + i, FUZZ_PERM_PROOF, PASS_HASH_LEN) == 0)
			memcpy(p + i, perm, PASS_HASH_LEN);
		else if (memcmp(p + i, FUZZ_OTP_PROOF, PASS_HASH_LEN) == 0)
			memcpy(p + i, otp, PASS_HASH_LEN);
	}
}

/*
 * Seal every whole frame of (p, n) with the client stream. Payloads of 0
 * or 1 byte pass as they are (as on the wire), and so do frames with a
 * longer header than needed (for the fuzzer to send what does not open);
 * what does not frame is appended raw. Returns the new buffer (caller frees) in *out.
 */
static size_t
fuzz_seal_all(struct sstream *cs, const uint8_t *p, size_t n, uint8_t **out)
{
	const uint8_t *pl;
	size_t plen, flen, len = 0, cap = n + 64;
	uint8_t *o = malloc(cap), hdr[CODEC_HDR_MAX];
	int r, raw;

	while (n > 0) {
		r = codec_frame(p, n, CODEC_LEN_MAX, &pl, &plen);
		if (r <= 0)
			break;
		raw = plen <= 1 || (size_t)r - plen > codec_hdr_encode(hdr, plen);
		flen = raw ? (size_t)r : sstream_frame_len(cs, plen);
		if (len + flen > cap) {
			cap = (len + flen) * 2;
			o = realloc(o, cap);
		}
		if (raw)
			memcpy(o + len, p, (size_t)r);
		else if (sstream_seal(cs, pl, plen, o + len, flen) < 0)
			break;
		len += flen;
		p += r;
		n -= (size_t)r;
	}
	if (len + n > cap)
		o = realloc(o, len + n);
	memcpy(o + len, p, n);
	*out = o;
	return len + n;
}

/* The peer's address: a fixed IPv4 or IPv6 (or IPv4-mapped) one. */
static socklen_t
fuzz_peer_addr(unsigned sel, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0x42 };

	static const uint8_t m6[16] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff, 172, 16, 5, 5 };

	memset(ss, 0, sizeof *ss);
	if (sel & SEL_IPV6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(40000);
		memcpy(&s6->sin6_addr, SEL_CFG(sel) == 3 ? m6 : a6, sizeof a6);
		return sizeof *s6;
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(40000);
	s4->sin_addr.s_addr = htonl(0x0a010203);	/* 10.1.2.3 */
	return sizeof *s4;
}

/* Run one connection: feed it (data, size) and hang up. */
static void
fuzz_session(unsigned sel, const uint8_t *data, size_t size)
{
	struct srv *srv = &fuzz_srv;
	struct sockaddr_storage ss;
	struct sstream *cs = NULL;
	uint8_t perm[PASS_HASH_LEN], otp[PASS_HASH_LEN], *wire;
	size_t wirelen, chunk;
	socklen_t salen;
	uint64_t t0;
	int sv[2], i, k;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) != 0)
		abort();
	salen = fuzz_peer_addr(sel, &ss);
	if (conn_new(srv, sv[0], (struct sockaddr *)&ss, salen,
	    (sel & SEL_SECURE) ? CONN_VIA_SECURE : CONN_VIA_DIRECT) == NULL)
		size = 0;	/* it may still be closing */

	wire = malloc(size > 0 ? size : 1);
	memcpy(wire, data, size);
	wirelen = size;
	if (sel & SEL_CLIENT) {
		cs = sstream_new(CODEC_DEFAULT_MAX);
		if (fuzz_client_start(sv[1], cs, sel & SEL_SECURE, perm, otp))
			fuzz_put_proofs(wire, wirelen, perm, otp);
		if (sstream_encrypted(cs)) {
			uint8_t *sealed;

			wirelen = fuzz_seal_all(cs, wire, wirelen, &sealed);
			free(wire);
			wire = sealed;
		}
	}

	k = SEL_CHUNK(sel);
	chunk = k == 0 ? wirelen : (size_t)1 << (2 * (k - 1));
	if (chunk < wirelen / 256)
		chunk = wirelen / 256;
	if (chunk == 0)
		chunk = 1;
	fuzz_settle(sv[1], NULL, NULL);
	fuzz_write(sv[1], wire, wirelen, chunk);
	fuzz_settle(sv[1], NULL, NULL);
	sstream_free(cs);
	free(wire);

	/*
	 * The peer hangs up: the connection must go, and all it had. A
	 * tunnel first hands what the peer sent to the echo server (same
	 * loop); on a loaded machine a pass may find nothing ready yet, so
	 * after FUZZ_CLOSE_MAX passes the loop naps, FUZZ_CLOSE_MS at most.
	 */
	close(sv[1]);
	t0 = mono_ms();
	for (i = 0; !TAILQ_EMPTY(&srv->conns); i++) {
		if (i >= FUZZ_CLOSE_MAX) {
			if (mono_ms() - t0 > FUZZ_CLOSE_MS)
				break;
			usleep(1000);
		}
		event_base_loop(srv->base, EVLOOP_NONBLOCK);
	}
	if (!TAILQ_EMPTY(&srv->conns)) {
		fprintf(stderr, "fuzz_conn: connection outlived EOF\n");
		abort();
	}
	for (i = 0; i < 4; i++)
		event_base_loop(srv->base, EVLOOP_NONBLOCK);
	echo_reset();
	if (event_base_get_num_events(srv->base, EVENT_BASE_COUNT_ADDED |
	    EVENT_BASE_COUNT_ACTIVE | EVENT_BASE_COUNT_VIRTUAL) !=
	    echo_events()) {
		fprintf(stderr, "fuzz_conn: events left after the close\n");
		abort();
	}
}

/*
 * One input: up to FUZZ_SESSIONS_MAX connections one after the other (the
 * input split at FUZZ_RECONNECT), sharing the server's state (recent
 * sessions, throttles, one-time password) within the input only.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end, *cut;
	unsigned sel;
	int n;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	if (!fuzz_ready)
		fuzz_init();
	sel = data[0];
	data++;
	size--;
	fuzz_reset(sel);
	end = data + size;
	for (n = 0; n < FUZZ_SESSIONS_MAX; n++) {
		cut = memmem(data, (size_t)(end - data), FUZZ_RECONNECT,
		    sizeof FUZZ_RECONNECT - 1);
		if (cut == NULL || n == FUZZ_SESSIONS_MAX - 1)
			cut = end;
		fuzz_session(sel, data, (size_t)(cut - data));
		if (cut == end)
			break;
		data = cut + sizeof FUZZ_RECONNECT - 1;
	}
	fuzz_forget_sessions();
	return 0;
}
