/*
 * fuzz_sstream.c: libFuzzer target for the secure stream. The first byte
 * picks the mode: open frames in plaintext or with a key (in a loop until
 * "need more" or an error), the host's handshake finish, or the client's
 * handshake; the rest is the peer's bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/sstream.h"
#include "sodium_heap.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The keys of vectors/handshake.json, so seeds from it get past crypto. */
static const uint8_t fz_key[SSTREAM_KEY_LEN] = {
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
	0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
	0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
	0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
};
static const uint8_t fz_sign_seed[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};
static const uint8_t fz_eph_sk[SSTREAM_BOX_SK_LEN] = {
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
	0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
};
static volatile uint8_t fz_sink;

/* Derived from the seeds above once, not per input: the key pairs do not
 * depend on the input and deriving them cost more than the code tested. */
static uint8_t fz_sign_pk[SSTREAM_SIGN_PK_LEN];
static uint8_t fz_sign_sk[SSTREAM_SIGN_SK_LEN];
static uint8_t fz_eph_pk[SSTREAM_BOX_PK_LEN];
static int fz_keys_made;

static void
fz_make_keys(void)
{
	if (fz_keys_made)
		return;
	crypto_sign_seed_keypair(fz_sign_pk, fz_sign_sk, fz_sign_seed);
	crypto_scalarmult_base(fz_eph_pk, fz_eph_sk);
	fz_keys_made = 1;
}

/* Open frames off (p, n) until need more or an error. */
static void
fz_open_loop(struct sstream *s, const uint8_t *p, size_t n)
{
	const uint8_t *msg;
	size_t mlen;
	int r;

	while ((r = sstream_open(s, p, n, &msg, &mlen)) > 0) {
		if ((size_t)r > n || msg == NULL || mlen > sstream_get_max(s))
			abort();
		/* Touch the plaintext so ASan checks the buffer. */
		if (mlen > 0)
			fz_sink ^= msg[0] ^ msg[mlen - 1];
		p += r;
		n -= (size_t)r;
	}
	if (r < ERR_MIN)
		abort();
}

/* Run the host's handshake finish on (p, n). */
static void
fz_host_finish(struct sstream *s, const uint8_t *p, size_t n)
{
	struct sstream_hs *hs;
	uint8_t *msg;
	size_t msglen;
	int r, unv;

	if (sstream_hs_host_start_with("123456789", fz_sign_sk, fz_eph_pk,
	    fz_eph_sk, &hs, &msg, &msglen) != 0)
		abort();
	r = sstream_hs_host_finish(hs, s, p, n, &unv);
	if (r > 1 || r < ERR_MIN || (r == 1) != sstream_encrypted(s))
		abort();
	free(msg);
	sstream_hs_free(hs);
}

/* Run the client's handshake on (p, n). */
static void
fz_client(struct sstream *s, const uint8_t *p, size_t n)
{
	uint8_t *reply;
	size_t rlen;
	int r;

	r = sstream_hs_client(s, p, n, fz_sign_pk, "123456789", &reply, &rlen);
	if (r > 1 || r < ERR_MIN || (r < 0 && reply != NULL))
		abort();
	free(reply);
}

/* One input: mode byte, then peer bytes. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sstream *s;

	if (size == 0)
		return 0;
	fz_make_keys();
	s = sstream_new((data[0] & 0x10) ? CODEC_PRELOGIN_MAX : 256);
	switch (data[0] & 3) {
	case 0:
		fz_open_loop(s, data + 1, size - 1);
		break;
	case 1:
		sstream_set_key(s, fz_key);
		fz_open_loop(s, data + 1, size - 1);
		break;
	case 2:
		fz_host_finish(s, data + 1, size - 1);
		break;
	default:
		fz_client(s, data + 1, size - 1);
		break;
	}
	sstream_free(s);
	return 0;
}
