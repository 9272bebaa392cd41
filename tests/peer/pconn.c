/* pconn.c: the test peer's blocking client connection. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/codec.h"
#include "common/pass.h"
#include "common/sstream.h"
#include "common/xmalloc.h"
#include "tests/peer/peer.h"

#define PC_RECV_ROOM	(256 * 1024)	/* free space for each recv */

struct pconn {
	int		 fd;
	struct sstream	*ss;		/* owned */
	uint8_t		*buf;		/* owned: [off, len) not yet framed */
	size_t		 off, len, cap;
	int		 echo;		/* answer TestDelay probes */
	char		 salt[64];
	char		 challenge[16];
	uint64_t	 session_id;
	int		 prefer;	/* SupportedDecoding.prefer; 0 auto */
	int		 i444;		/* prefer_chroma I444 (true colour) */
	pc_login_fill	*fill;		/* changes each LoginRequest, or NULL */
	void		*fill_arg;
	int		 fps;		/* OptionMessage.custom_fps; 0 unset */
	int		 kind;		/* LoginRequest.union; 0 remote */
	const char	*ft_dir;	/* file-transfer login, or NULL */
	int		 ft_hidden;
	unsigned	 perms_off;	/* PermissionInfo off before login */
};

/* Monotonic milliseconds. */
double
pc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Wrap a connected socket. */
struct pconn *
pc_from_fd(int fd)
{
	struct pconn *pc = xcalloc(1, sizeof *pc);
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	pc->fd = fd;
	pc->ss = sstream_new(CODEC_DEFAULT_MAX);
	pc->cap = 4 * PC_RECV_ROOM;
	pc->buf = xmalloc(pc->cap);
	pc->echo = 1;
	randombytes_buf(&pc->session_id, sizeof pc->session_id);
	return pc;
}

/* Connect to host:port. */
struct pconn *
pc_connect(const char *host, int port, int timeout_ms)
{
	struct addrinfo hints, *ai, *a;
	char ports[16];
	int fd = -1, e;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ports, sizeof ports, "%d", port);
	if ((e = getaddrinfo(host, ports, &hints, &ai)) != 0) {
		fprintf(stderr, "peer: %s: %s\n", host, gai_strerror(e));
		return NULL;
	}
	for (a = ai; a != NULL; a = a->ai_next) {
		struct timeval tv = { timeout_ms / 1000,
		    (timeout_ms % 1000) * 1000 };

		if ((fd = socket(a->ai_family, SOCK_STREAM, 0)) < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		fprintf(stderr, "peer: connect %s:%d: %s\n", host, port,
		    strerror(errno));
		return NULL;
	}
	return pc_from_fd(fd);
}

/* Close and free. */
void
pc_free(struct pconn *pc)
{
	if (pc == NULL)
		return;
	close(pc->fd);
	sstream_free(pc->ss);
	free(pc->buf);
	free(pc);
}

/* The socket. */
int
pc_fd(const struct pconn *pc)
{
	return pc->fd;
}

/* Prefer a codec by name in the next LoginRequest; 0 on success. */
int
pc_set_codec(struct pconn *pc, const char *name)
{
	static const struct {
		const char	*name;
		int		 prefer;
	} t[] = {
		{ "vp9", HBB__SUPPORTED_DECODING__PREFER_CODEC__VP9 },
		{ "vp8", HBB__SUPPORTED_DECODING__PREFER_CODEC__VP8 },
		{ "av1", HBB__SUPPORTED_DECODING__PREFER_CODEC__AV1 },
		{ "h264", HBB__SUPPORTED_DECODING__PREFER_CODEC__H264 },
		{ "h265", HBB__SUPPORTED_DECODING__PREFER_CODEC__H265 },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(t[i].name, name) == 0) {
			pc->prefer = t[i].prefer;
			return 0;
		}
	return -1;
}

/* Let fn change each LoginRequest before it is sent. */
void
pc_set_login_fill(struct pconn *pc, pc_login_fill *fn, void *arg)
{
	pc->fill = fn;
	pc->fill_arg = arg;
}

/* Ask for a frame rate (OptionMessage.custom_fps) at login. */
void
pc_set_fps(struct pconn *pc, int fps)
{
	pc->fps = fps;
}

/* Turn the TestDelay echo on or off. */
void
pc_set_echo(struct pconn *pc, int on)
{
	pc->echo = on;
}

/* Log in for a file-transfer session next time. */
void
pc_set_file_transfer(struct pconn *pc, const char *dir, int show_hidden)
{
	pc->ft_dir = dir;
	pc->ft_hidden = show_hidden;
}

/* Salt of the last Hash. */
const char *
pc_salt(const struct pconn *pc)
{
	return pc->salt;
}

/* Challenge of the last Hash. */
const char *
pc_challenge(const struct pconn *pc)
{
	return pc->challenge;
}

/* Write all of (p, n). */
static int
pc_write(struct pconn *pc, const void *p, size_t n)
{
	const uint8_t *q = p;

	while (n > 0) {
		ssize_t w = send(pc->fd, q, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Send raw bytes. */
int
pc_send_raw(struct pconn *pc, const void *p, size_t n)
{
	return pc_write(pc, p, n);
}

/* Frame (and encrypt) a payload and send it. */
int
pc_send_payload(struct pconn *pc, const uint8_t *p, size_t n)
{
	size_t flen = sstream_frame_len(pc->ss, n);
	uint8_t *out = xmalloc(flen);
	int r;

	r = sstream_seal(pc->ss, p, n, out, flen);
	if (r > 0)
		r = pc_write(pc, out, (size_t)r);
	free(out);
	return r < 0 ? -1 : 0;
}

/* Send a message: packed at the end of its frame and sealed in place. */
int
pc_send(struct pconn *pc, const Hbb__Message *m)
{
	size_t n = hbb__message__get_packed_size(m);
	size_t flen = sstream_frame_len(pc->ss, n);
	uint8_t *out = xmalloc(flen);
	int r;

	hbb__message__pack(m, out + flen - n);
	r = sstream_seal(pc->ss, out + flen - n, n, out, flen);
	if (r > 0)
		r = pc_write(pc, out, (size_t)r);
	free(out);
	return r < 0 ? -1 : 0;
}

/* A TestDelay from the client, which the host echoes: a round-trip marker
 * (the event loops print PONG N). */
int
pc_ping(struct pconn *pc, int n)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__TestDelay td = HBB__TEST_DELAY__INIT;

	td.from_client = 1;
	td.time = n;
	m.union_case = HBB__MESSAGE__UNION_TEST_DELAY;
	m.test_delay = &td;
	return pc_send(pc, &m);
}

/*
 * Read one payload within timeout_ms: 1 with *msg (borrowed: it lies in
 * the receive buffer until the next read) and *n, or 0 on EOF (*eof) /
 * timeout / error. Bytes are decoded where they landed: a frame is not
 * moved unless the buffer's end is near (file blocks are 128 KiB).
 */
static int
pc_recv_frame(struct pconn *pc, int timeout_ms, const uint8_t **msg,
    size_t *n, int *eof)
{
	double deadline = pc_now_ms() + timeout_ms;
	uint8_t *in;
	int r;

	*eof = 0;
	for (;;) {
		struct pollfd pfd = { pc->fd, POLLIN, 0 };
		int left = (int)(deadline - pc_now_ms());
		ssize_t got;

		/* Opened in place (as the stock client, no copy out). */
		r = sstream_open_into(pc->ss, pc->buf + pc->off,
		    pc->len - pc->off, pc->buf + pc->off, &in, n);
		*msg = in;
		if (r < 0) {
			fprintf(stderr, "peer: bad frame from host\n");
			return 0;
		}
		if (r > 0) {
			pc->off += (size_t)r;
			if (pc->off == pc->len)
				pc->off = pc->len = 0;
			return 1;
		}
		if (left <= 0)
			return 0;
		if (poll(&pfd, 1, left) <= 0)
			continue;
		if (pc->cap - pc->len < PC_RECV_ROOM && pc->off > 0) {
			memmove(pc->buf, pc->buf + pc->off, pc->len - pc->off);
			pc->len -= pc->off;
			pc->off = 0;
		}
		if (pc->cap - pc->len < PC_RECV_ROOM) {
			pc->cap *= 2;
			pc->buf = xreallocarray(pc->buf, pc->cap, 1);
		}
		got = recv(pc->fd, pc->buf + pc->len, pc->cap - pc->len, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			*eof = 1;
			return 0;
		}
		pc->len += (size_t)got;
	}
}

/*
 * Read one payload within timeout_ms. Returns a malloc'd copy (caller
 * frees) with *n, or NULL on EOF (*eof) / timeout / error.
 */
static uint8_t *
pc_recv_payload(struct pconn *pc, int timeout_ms, size_t *n, int *eof)
{
	const uint8_t *msg;
	uint8_t *copy;

	if (!pc_recv_frame(pc, timeout_ms, &msg, n, eof))
		return NULL;
	copy = xmalloc(*n ? *n : 1);
	if (*n)
		memcpy(copy, msg, *n);
	return copy;
}

/* Read the next non-probe message, echoing probes. */
Hbb__Message *
pc_recv(struct pconn *pc, int timeout_ms, int *eof)
{
	double deadline = pc_now_ms() + timeout_ms;
	const uint8_t *p;
	Hbb__Message *m;
	size_t n;

	for (;;) {
		int left = (int)(deadline - pc_now_ms());

		if (left < 0)
			left = 0;
		if (!pc_recv_frame(pc, left, &p, &n, eof))
			return NULL;
		/* protobuf-c wants a non-NULL pointer even for nothing. */
		m = hbb__message__unpack(NULL, n, n ? p : (const uint8_t *)"");
		if (m == NULL) {
			fprintf(stderr, "peer: unparsable message\n");
			return NULL;
		}
		if (m->union_case == HBB__MESSAGE__UNION_HASH) {
			snprintf(pc->salt, sizeof pc->salt, "%s", m->hash->salt);
			snprintf(pc->challenge, sizeof pc->challenge, "%s",
			    m->hash->challenge);
		}
		if (m->union_case == HBB__MESSAGE__UNION_TEST_DELAY &&
		    !m->test_delay->from_client) {
			if (pc->echo)
				pc_send(pc, m);
			hbb__message__free_unpacked(m, NULL);
			continue;
		}
		return m;
	}
}

/* Key exchange, client side. */
int
pc_handshake(struct pconn *pc, const uint8_t *host_pk, const char *host_id)
{
	uint8_t *p, *reply = NULL;
	size_t n, rlen = 0;
	int eof, r;

	if ((p = pc_recv_payload(pc, 20000, &n, &eof)) == NULL)
		return -1;
	r = sstream_hs_client(pc->ss, p, n, host_pk, host_id, &reply, &rlen);
	free(p);
	if (r < 0)
		return r;
	/* The reply is sent before the key takes effect for our sends: the
	 * stream installs it after building the reply, so frame it plain. */
	{
		uint8_t hdr[CODEC_HDR_MAX];
		size_t h = codec_hdr_encode(hdr, rlen);

		if (pc_write(pc, hdr, h) != 0 ||
		    (rlen > 0 && pc_write(pc, reply, rlen) != 0))
			r = -1;
	}
	free(reply);
	return r;
}

size_t pc_avatar_len;

/* Log in for another kind of session: "file", "terminal" or "remote". */
int
pc_set_kind(struct pconn *pc, const char *kind)
{
	if (strcmp(kind, "file") == 0)
		pc->kind = HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER;
	else if (strcmp(kind, "terminal") == 0)
		pc->kind = HBB__LOGIN_REQUEST__UNION_TERMINAL;
	else if (strcmp(kind, "remote") == 0)
		pc->kind = 0;
	else
		return -1;
	return 0;
}

/*
 * What this peer decodes, as the stock client says it (client.rs
 * supported_decodings): VP9 and VP8 always, the preferred codec too, VP9
 * and AV1 in 4:4:4 (libavcodec decodes VP9 profile 1, dav1d AV1's High
 * profile), and the chroma it asks for.
 */
void
pc_decoding(const struct pconn *pc, Hbb__SupportedDecoding *dec,
    Hbb__CodecAbility *i444)
{
	dec->ability_vp9 = 1;
	dec->ability_vp8 = 1;
	if (pc->prefer != 0) {
		/* Decode the preferred codec too, and ask for it. */
		dec->prefer = pc->prefer;
		dec->ability_av1 = pc->prefer ==
		    HBB__SUPPORTED_DECODING__PREFER_CODEC__AV1;
		dec->ability_h264 = pc->prefer ==
		    HBB__SUPPORTED_DECODING__PREFER_CODEC__H264;
		dec->ability_h265 = pc->prefer ==
		    HBB__SUPPORTED_DECODING__PREFER_CODEC__H265;
	}
	i444->vp9 = 1;
	/* The stock client decodes AV1 in 4:4:4 too (libaom). */
	i444->av1 = dec->ability_av1;
	dec->i444 = i444;
	dec->prefer_chroma = pc->i444 ? HBB__CHROMA__I444 : HBB__CHROMA__I420;
}

/* Ask for 4:4:4 (true colour) from the next login or pc_send_decoding. */
void
pc_set_i444(struct pconn *pc, int on)
{
	pc->i444 = on != 0;
}

/*
 * Sends Misc.option{supported_decoding} as the client does when the user
 * toggles true colour (client.rs update_supported_decodings). 0 or -1.
 */
int
pc_send_decoding(struct pconn *pc)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__OptionMessage o = HBB__OPTION_MESSAGE__INIT;
	Hbb__SupportedDecoding dec = HBB__SUPPORTED_DECODING__INIT;
	Hbb__CodecAbility i444 = HBB__CODEC_ABILITY__INIT;

	pc_decoding(pc, &dec, &i444);
	o.supported_decoding = &dec;
	misc.union_case = HBB__MISC__UNION_OPTION;
	misc.option = &o;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	return pc_send(pc, &m);
}

/* Build and send a LoginRequest. */
static int
pc_send_login(struct pconn *pc, const char *username, const char *password)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__LoginRequest lr = HBB__LOGIN_REQUEST__INIT;
	Hbb__OptionMessage opt = HBB__OPTION_MESSAGE__INIT;
	Hbb__SupportedDecoding dec = HBB__SUPPORTED_DECODING__INIT;
	Hbb__CodecAbility i444 = HBB__CODEC_ABILITY__INIT;
	Hbb__FileTransfer ft = HBB__FILE_TRANSFER__INIT;
	Hbb__Terminal term = HBB__TERMINAL__INIT;
	uint8_t h1[PASS_HASH_LEN], proof[PASS_HASH_LEN];
	int r;

	pc_decoding(pc, &dec, &i444);
	opt.supported_decoding = &dec;
	opt.custom_fps = pc->fps;
	lr.username = (char *)username;
	if (password != NULL && *password != '\0') {
		pass_h1(password, pc->salt, h1);
		pass_proof(h1, pc->challenge, proof);
		lr.password.data = proof;
		lr.password.len = sizeof proof;
	}
	lr.my_id = (char *)"987654321";
	lr.my_name = (char *)"test-peer";
	lr.option = &opt;
	lr.session_id = pc->session_id;
	lr.version = (char *)"1.4.9";
	lr.my_platform = (char *)"Linux";
	if (pc_avatar_len > 0) {
		/* A flutter client's avatar: a data: URI in the request. */
		lr.avatar = xmalloc(pc_avatar_len + 1);
		memset(lr.avatar, 'Q', pc_avatar_len);
		memcpy(lr.avatar, "data:image/png;base64,", 22);
		lr.avatar[pc_avatar_len] = '\0';
	}
	lr.union_case = pc->kind;
	if (pc->ft_dir != NULL) {
		/* The stock client sends no options with this kind. */
		ft.dir = (char *)pc->ft_dir;
		ft.show_hidden = pc->ft_hidden;
		lr.union_case = HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER;
		lr.file_transfer = &ft;
		lr.option = NULL;
	} else if (pc->kind == HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER) {
		ft.dir = (char *)"/";
		lr.file_transfer = &ft;
	} else if (pc->kind == HBB__LOGIN_REQUEST__UNION_TERMINAL) {
		term.service_id = (char *)"";
		lr.terminal = &term;
	}
	m.union_case = HBB__MESSAGE__UNION_LOGIN_REQUEST;
	m.login_request = &lr;
	if (pc->fill != NULL)
		pc->fill(&lr, pc->fill_arg);
	r = pc_send(pc, &m);
	if (lr.avatar != (char *)protobuf_c_empty_string)
		free(lr.avatar);
	return r;
}

/* Wait for the message that decides a login. */
static Hbb__Message *
pc_login_outcome(struct pconn *pc, int timeout_ms)
{
	double deadline = pc_now_ms() + timeout_ms;
	Hbb__Message *m;
	int eof;

	while ((m = pc_recv(pc, (int)(deadline - pc_now_ms()), &eof)) != NULL) {
		if (m->union_case == HBB__MESSAGE__UNION_LOGIN_RESPONSE)
			return m;
		if (m->union_case == HBB__MESSAGE__UNION_MISC &&
		    m->misc->union_case == HBB__MISC__UNION_CLOSE_REASON)
			return m;
		if (m->union_case == HBB__MESSAGE__UNION_MISC &&
		    m->misc->union_case == HBB__MISC__UNION_PERMISSION_INFO &&
		    m->misc->permission_info->permission < 32 &&
		    !m->misc->permission_info->enabled)
			pc->perms_off |= 1u << m->misc->permission_info->permission;
		hbb__message__free_unpacked(m, NULL);
		if (pc_now_ms() > deadline)
			break;
	}
	return NULL;
}

/* Log in on a fresh connection. */
Hbb__Message *
pc_login(struct pconn *pc, const char *username, const char *password,
    int timeout_ms)
{
	Hbb__Message *m;
	int eof;

	while ((m = pc_recv(pc, timeout_ms, &eof)) != NULL) {
		int is_hash = m->union_case == HBB__MESSAGE__UNION_HASH;
		int is_err = m->union_case == HBB__MESSAGE__UNION_LOGIN_RESPONSE;

		if (is_err)
			return m;
		hbb__message__free_unpacked(m, NULL);
		if (is_hash)
			break;
	}
	if (m == NULL)
		return NULL;
	if (pc_send_login(pc, username, password) != 0)
		return NULL;
	return pc_login_outcome(pc, timeout_ms);
}

/* Retry a login on the same connection. */
Hbb__Message *
pc_login_again(struct pconn *pc, const char *username, const char *password,
    int timeout_ms)
{
	if (pc_send_login(pc, username, password) != 0)
		return NULL;
	return pc_login_outcome(pc, timeout_ms);
}

/* Permissions the host said were off before the login's outcome (bit =
 * PermissionInfo.permission). */
unsigned
pc_perms_off(const struct pconn *pc)
{
	return pc->perms_off;
}

/*
 * Non-blocking: takes what the socket holds and returns the next whole
 * message (echoing probes as pc_recv does), or NULL when none is complete
 * yet; *eof is set when the host closed or sent a bad frame.
 */
Hbb__Message *
pc_recv_nb(struct pconn *pc, int *eof)
{
	const uint8_t *msg;
	size_t msglen;
	Hbb__Message *m;
	ssize_t got;
	int r;

	*eof = 0;
	for (;;) {
		r = sstream_open(pc->ss, pc->buf, pc->len, &msg, &msglen);
		if (r < 0) {
			*eof = 1;
			return NULL;
		}
		if (r > 0) {
			m = hbb__message__unpack(NULL, msglen, msg);
			memmove(pc->buf, pc->buf + r, pc->len - (size_t)r);
			pc->len -= (size_t)r;
			if (m == NULL) {
				*eof = 1;
				return NULL;
			}
			if (m->union_case == HBB__MESSAGE__UNION_TEST_DELAY &&
			    !m->test_delay->from_client) {
				if (pc->echo)
					pc_send(pc, m);
				hbb__message__free_unpacked(m, NULL);
				continue;
			}
			return m;
		}
		if (pc->len == pc->cap) {
			pc->cap *= 2;
			pc->buf = xreallocarray(pc->buf, pc->cap, 1);
		}
		got = recv(pc->fd, pc->buf + pc->len, pc->cap - pc->len,
		    MSG_DONTWAIT);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return NULL;
		if (got <= 0) {
			*eof = 1;
			return NULL;
		}
		pc->len += (size_t)got;
	}
}
