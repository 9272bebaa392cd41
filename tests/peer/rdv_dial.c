/* rdv_dial.c: reach a host by ID through hbbs/hbbr (see rdv_dial.h). */
#include <sys/socket.h>
#include <netdb.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/codec.h"
#include "message.pb-c.h"
#include "rendezvous.pb-c.h"
#include "server/rendezvous/rdv_addr.h"
#include "tests/peer/peer.h"
#include "tests/peer/rdv_dial.h"

/* TCP to "host:port" (default port def) with a receive timeout. */
static int
dial_tcp(const char *hp, int def, int timeout_ms)
{
	struct addrinfo hints, *ai, *a;
	struct timeval tv;
	char host[RDV_HOST_MAX], ports[16];
	int port, fd = -1;

	if (rdv_addr_split(hp, def, host, &port) != 0)
		return -1;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ports, sizeof ports, "%d", port);
	if (getaddrinfo(host, ports, &hints, &ai) != 0)
		return -1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	for (a = ai; a != NULL; a = a->ai_next) {
		if ((fd = socket(a->ai_family, SOCK_STREAM, 0)) == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Sends one framed RendezvousMessage; 0 or -1. */
static int
send_rm(int fd, const Hbb__RendezvousMessage *m)
{
	uint8_t hdr[CODEC_HDR_MAX], *buf;
	size_t n = hbb__rendezvous_message__get_packed_size(m), h, off = 0;
	ssize_t w;
	int rc = 0;

	h = codec_hdr_encode(hdr, n);
	buf = malloc(h + n + 1);
	if (buf == NULL)
		return -1;
	memcpy(buf, hdr, h);
	hbb__rendezvous_message__pack(m, buf + h);
	while (off < h + n) {
		if ((w = write(fd, buf + off, h + n - off)) <= 0) {
			rc = -1;
			break;
		}
		off += (size_t)w;
	}
	free(buf);
	return rc;
}

/* Reads exactly one frame byte by byte (nothing past it is consumed). */
static Hbb__RendezvousMessage *
recv_rm(int fd)
{
	uint8_t buf[8192];
	const uint8_t *pl;
	size_t have = 0, pn;
	int used;

	for (;;) {
		used = codec_frame(buf, have, sizeof buf, &pl, &pn);
		if (used > 0)
			return hbb__rendezvous_message__unpack(NULL, pn, pl);
		if (used < 0 || have == sizeof buf)
			return NULL;
		if (read(fd, buf + have, 1) != 1)
			return NULL;
		have++;
	}
}

/* Verifies the hbbs-signed IdPk; on success copies the host key. */
static int
verify_pk(const ProtobufCBinaryData *pk, const char *key_b64, const char *id,
    uint8_t host_pk[32])
{
	uint8_t rs_pk[64], msg[512];
	unsigned long long mlen;
	size_t kl;
	Hbb__IdPk *ip;
	int ok;

	if (key_b64 == NULL || sodium_base642bin(rs_pk, sizeof rs_pk,
	    key_b64, strlen(key_b64), NULL, &kl, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || kl != 32)
		return 0;
	if (pk->len < crypto_sign_BYTES || pk->len > sizeof msg ||
	    crypto_sign_open(msg, &mlen, pk->data, pk->len, rs_pk) != 0)
		return 0;
	if ((ip = hbb__id_pk__unpack(NULL, (size_t)mlen, msg)) == NULL)
		return 0;
	ok = strcmp(ip->id, id) == 0 && ip->pk.len == 32;
	if (ok)
		memcpy(host_pk, ip->pk.data, 32);
	hbb__id_pk__free_unpacked(ip, NULL);
	return ok;
}

/* Dial id through hbbs and hbbr; see rdv_dial.h. */
struct pconn *
rdv_dial(const char *rdv, const char *key_b64, const char *id, int punch,
    int timeout_ms)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT, *a = NULL;
	Hbb__PunchHoleRequest phr = HBB__PUNCH_HOLE_REQUEST__INIT;
	Hbb__RequestRelay rq = HBB__REQUEST_RELAY__INIT;
	struct pconn *pc = NULL;
	uint8_t host_pk[32];
	char relay[RDV_HOST_MAX + 16], uuid[256];
	int fd, rfd = -1, have_pk, r;

	if ((fd = dial_tcp(rdv, 21116, timeout_ms)) == -1) {
		printf("ERROR cannot reach hbbs %s\n", rdv);
		return NULL;
	}
	phr.id = (char *)id;
	/* SYMMETRIC asks for a relay, as a client behind such a NAT does. */
	phr.nat_type = punch ? HBB__NAT_TYPE__ASYMMETRIC :
	    HBB__NAT_TYPE__SYMMETRIC;
	phr.licence_key = (char *)(key_b64 != NULL ? key_b64 : "");
	phr.version = (char *)"1.4.9";
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_REQUEST;
	m.punch_hole_request = &phr;
	if (send_rm(fd, &m) != 0 || (a = recv_rm(fd)) == NULL) {
		printf("ERROR no answer from hbbs\n");
		goto out;
	}
	if (a->union_case ==
	    HBB__RENDEZVOUS_MESSAGE__UNION_PUNCH_HOLE_RESPONSE) {
		Hbb__PunchHoleResponse *ph = a->punch_hole_response;
		struct sockaddr_storage ss;
		socklen_t sl;
		char hp[80];

		/* An empty address is how hbbs says "failure". */
		if (ph->socket_addr.len == 0) {
			printf("ERROR hbbs failure %d\n", (int)ph->failure);
			goto out;
		}
		have_pk = verify_pk(&ph->pk, key_b64, id, host_pk);
		if (rdv_addr_unmangle(ph->socket_addr.data,
		    ph->socket_addr.len, &ss, &sl) != 0) {
			printf("ERROR bad address from hbbs\n");
			goto out;
		}
		rdv_addr_str((struct sockaddr *)&ss, hp, sizeof hp);
		if ((rfd = dial_tcp(hp, 0, timeout_ms)) == -1) {
			printf("ERROR cannot reach host %s\n", hp);
			goto out;
		}
		printf("PATH direct\n");
		goto handshake;
	}
	if (a->union_case != HBB__RENDEZVOUS_MESSAGE__UNION_RELAY_RESPONSE ||
	    *a->relay_response->uuid == '\0') {
		printf("ERROR unexpected answer %d from hbbs\n",
		    (int)a->union_case);
		goto out;
	}
	have_pk = a->relay_response->union_case ==
	    HBB__RELAY_RESPONSE__UNION_PK && verify_pk(&a->relay_response->pk,
	    key_b64, id, host_pk);
	snprintf(relay, sizeof relay, "%s", a->relay_response->relay_server);
	snprintf(uuid, sizeof uuid, "%s", a->relay_response->uuid);
	if ((rfd = dial_tcp(relay, 21117, timeout_ms)) == -1) {
		printf("ERROR cannot reach hbbr %s\n", relay);
		goto out;
	}
	rq.uuid = uuid;
	rq.licence_key = phr.licence_key;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_REQUEST_RELAY;
	m.request_relay = &rq;
	if (send_rm(rfd, &m) != 0) {
		printf("ERROR cannot write to hbbr\n");
		goto out;
	}
	printf("PATH relay\n");
handshake:
	pc = pc_from_fd(rfd);
	rfd = -1;
	r = pc_handshake(pc, have_pk ? host_pk : NULL, id);
	if (r < 0) {
		printf("ERROR handshake failed\n");
		pc_free(pc);
		pc = NULL;
		goto out;
	}
	printf("HANDSHAKE %s\n", r == 1 ? "encrypted" : "plain");
	fflush(stdout);
out:
	if (a != NULL)
		hbb__rendezvous_message__free_unpacked(a, NULL);
	close(fd);
	if (rfd != -1)
		close(rfd);
	return pc;
}
