/*
 * test_sstream.c: the secure stream against vectors/secretbox_frame.json
 * and vectors/handshake.json, plus caps, pass-through and round trips.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/sstream.h"
#include "tests/tst.h"

int main(void);

static char *sb_json;		/* secretbox_frame.json */
static char *hs_json;		/* handshake.json */

/* Hex value of key (after start) in json, decoded; caller frees. */
static uint8_t *
vec(const char *js, const char *start, const char *key, size_t *n)
{
	char *hex = tst_json_str(js, start, key);
	uint8_t *out;

	if (hex == NULL)
		TST_FAIL("vector %s not found", key);
	out = tst_unhex(hex, n);
	free(hex);
	return out;
}

/* As vec() but the value must be exactly n bytes. */
static uint8_t *
vec_n(const char *js, const char *start, const char *key, size_t n)
{
	size_t got;
	uint8_t *out = vec(js, start, key, &got);

	ASSERT_INT_EQ(got, n);
	return out;
}

/* Seal p with s and compare with the expected frame. */
static void
seal_eq(struct sstream *s, const uint8_t *p, size_t n, const uint8_t *want,
    size_t wlen)
{
	uint8_t *out;
	size_t flen = sstream_frame_len(s, n);

	ASSERT_INT_EQ(flen, wlen);
	out = malloc(flen);
	ASSERT_INT_EQ(sstream_seal(s, p, n, out, flen), wlen);
	ASSERT_MEM_EQ(out, want, wlen);
	free(out);
}

/* Open one whole frame with s and compare with the expected plaintext. */
static void
open_eq(struct sstream *s, const uint8_t *f, size_t fn, const uint8_t *want,
    size_t wlen)
{
	const uint8_t *msg;
	uint8_t *exact = malloc(fn);
	size_t mlen, i;

	memcpy(exact, f, fn);
	/* Every proper prefix is "need more" and touches nothing. */
	for (i = 0; i < fn; i++)
		ASSERT_INT_EQ(sstream_open(s, exact, i, &msg, &mlen), 0);
	ASSERT_INT_EQ(sstream_open(s, exact, fn, &msg, &mlen), fn);
	ASSERT_INT_EQ(mlen, wlen);
	ASSERT_TRUE(msg != NULL);
	if (wlen > 0)
		ASSERT_MEM_EQ(msg, want, wlen);
	free(exact);
}

/* The host's frames 1 and 2 seal to the vector bytes; the client's opens. */
static void
test_secretbox_vectors(void)
{
	struct sstream *host = sstream_new(CODEC_DEFAULT_MAX);
	struct sstream *peer = sstream_new(CODEC_DEFAULT_MAX);
	uint8_t *key, *p1, *f1, *p2, *f2, *pc, *fc;
	size_t p1n, f1n, p2n, f2n, pcn, fcn;

	key = vec_n(sb_json, NULL, "key_hex", SSTREAM_KEY_LEN);
	p1 = vec(sb_json, "\"seq\": 1", "plaintext_hex", &p1n);
	f1 = vec(sb_json, "\"seq\": 1", "frame_hex", &f1n);
	p2 = vec(sb_json, "\"seq\": 2", "plaintext_hex", &p2n);
	f2 = vec(sb_json, "\"seq\": 2", "frame_hex", &f2n);
	pc = vec(sb_json, "client -> host", "plaintext_hex", &pcn);
	fc = vec(sb_json, "client -> host", "frame_hex", &fcn);

	ASSERT_INT_EQ(sstream_encrypted(host), 0);
	sstream_set_key(host, key);
	sstream_set_key(peer, key);
	ASSERT_INT_EQ(sstream_encrypted(host), 1);
	seal_eq(host, p1, p1n, f1, f1n);
	seal_eq(host, p2, p2n, f2, f2n);
	open_eq(host, fc, fcn, pc, pcn);
	/* The client's side of the same frames. */
	open_eq(peer, f1, f1n, p1, p1n);
	open_eq(peer, f2, f2n, p2, p2n);
	seal_eq(peer, pc, pcn, fc, fcn);

	free(key);
	free(p1);
	free(f1);
	free(p2);
	free(f2);
	free(pc);
	free(fc);
	sstream_free(host);
	sstream_free(peer);
}

/* Tiny payloads pass through without advancing the receive counter. */
static void
test_passthrough(void)
{
	static const uint8_t empty[] = { 0x00 };
	static const uint8_t one[] = { 0x04, 0x2a };
	struct sstream *s = sstream_new(CODEC_DEFAULT_MAX);
	uint8_t *key, *pc, *fc;
	size_t pcn, fcn;

	key = vec_n(sb_json, NULL, "key_hex", SSTREAM_KEY_LEN);
	pc = vec(sb_json, "client -> host", "plaintext_hex", &pcn);
	fc = vec(sb_json, "client -> host", "frame_hex", &fcn);
	sstream_set_key(s, key);
	open_eq(s, empty, sizeof empty, NULL, 0);
	open_eq(s, one, sizeof one, one + 1, 1);
	open_eq(s, empty, sizeof empty, NULL, 0);
	/* Still sequence number 1. */
	open_eq(s, fc, fcn, pc, pcn);
	free(key);
	free(pc);
	free(fc);
	sstream_free(s);
}

/* Any changed byte, a replay or a short ciphertext fails ERR_CRYPTO. */
static void
test_tamper(void)
{
	struct sstream *s;
	const uint8_t *msg;
	uint8_t *key, *fc, *bad;
	static const uint8_t shortf[] = { 0x08, 0x01, 0x02 };
	size_t fcn, i, mlen;

	key = vec_n(sb_json, NULL, "key_hex", SSTREAM_KEY_LEN);
	fc = vec(sb_json, "client -> host", "frame_hex", &fcn);
	bad = malloc(fcn);
	for (i = 1; i < fcn; i++) {
		s = sstream_new(CODEC_DEFAULT_MAX);
		sstream_set_key(s, key);
		memcpy(bad, fc, fcn);
		bad[i] ^= 0x01;
		ASSERT_INT_EQ(sstream_open(s, bad, fcn, &msg, &mlen),
		    ERR_CRYPTO);
		sstream_free(s);
	}
	/* A replay: the second copy needs nonce 2. */
	s = sstream_new(CODEC_DEFAULT_MAX);
	sstream_set_key(s, key);
	ASSERT_INT_EQ(sstream_open(s, fc, fcn, &msg, &mlen), fcn);
	ASSERT_INT_EQ(sstream_open(s, fc, fcn, &msg, &mlen), ERR_CRYPTO);
	sstream_free(s);
	/* 2 to 15 bytes cannot hold a tag. */
	s = sstream_new(CODEC_DEFAULT_MAX);
	sstream_set_key(s, key);
	ASSERT_INT_EQ(sstream_open(s, shortf, sizeof shortf, &msg, &mlen),
	    ERR_CRYPTO);
	sstream_free(s);
	free(bad);
	free(key);
	free(fc);
}

/* The cap is checked from the header, before the body arrives. */
static void
test_cap(void)
{
	static const uint8_t giant[] = { 0xff, 0xff, 0xff, 0xff };
	uint8_t key[SSTREAM_KEY_LEN], hdr[CODEC_HDR_MAX];
	struct sstream *s = sstream_new(64 * 1024);
	const uint8_t *msg;
	size_t mlen, h;

	ASSERT_INT_EQ(sstream_get_max(s), 64 * 1024);
	ASSERT_INT_EQ(sstream_open(s, giant, sizeof giant, &msg, &mlen),
	    ERR_TOOBIG);
	ASSERT_TRUE(msg == NULL && mlen == 0);
	/* Plaintext: exactly the cap is fine (need more), one more is not. */
	h = codec_hdr_encode(hdr, 64 * 1024);
	ASSERT_INT_EQ(sstream_open(s, hdr, h, &msg, &mlen), 0);
	h = codec_hdr_encode(hdr, 64 * 1024 + 1);
	ASSERT_INT_EQ(sstream_open(s, hdr, h, &msg, &mlen), ERR_TOOBIG);
	/* With a key the cap counts plaintext: the tag is extra. */
	memset(key, 7, sizeof key);
	sstream_set_key(s, key);
	h = codec_hdr_encode(hdr, 64 * 1024 + SSTREAM_MAC_LEN);
	ASSERT_INT_EQ(sstream_open(s, hdr, h, &msg, &mlen), 0);
	h = codec_hdr_encode(hdr, 64 * 1024 + SSTREAM_MAC_LEN + 1);
	ASSERT_INT_EQ(sstream_open(s, hdr, h, &msg, &mlen), ERR_TOOBIG);
	ASSERT_INT_EQ(sstream_open(s, giant, sizeof giant, &msg, &mlen),
	    ERR_TOOBIG);
	/* Raising the cap lets it through to "need more". */
	sstream_set_max(s, CODEC_LEN_MAX);
	ASSERT_INT_EQ(sstream_open(s, giant, sizeof giant, &msg, &mlen), 0);
	sstream_set_max(s, SIZE_MAX);
	ASSERT_INT_EQ(sstream_get_max(s), CODEC_LEN_MAX);
	sstream_free(s);
}

/* Round trips of many sizes; the receive buffer is reused. */
static void
test_roundtrip(void)
{
	static const size_t sizes[] = { 0, 1, 2, 15, 16, 47, 48, 63, 64, 200,
	    4095, 4096, 4097, 16383, 16384, 70000, 65536, 65536, 100 };
	struct sstream *a = sstream_new(1 << 20), *b = sstream_new(1 << 20);
	uint8_t key[SSTREAM_KEY_LEN], *p, *frame;
	const uint8_t *msg, *last = NULL;
	size_t i, n, flen, mlen;
	int r, k;

	randombytes_buf(key, sizeof key);
	for (k = 0; k < 2; k++) {
		if (k == 1) {
			sstream_set_key(a, key);
			sstream_set_key(b, key);
		}
		for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			n = sizes[i];
			p = malloc(n ? n : 1);
			randombytes_buf(p, n);
			flen = sstream_frame_len(a, n);
			ASSERT_INT_EQ(flen, n + (k ? SSTREAM_MAC_LEN : 0) +
			    (n + (k ? 16 : 0) <= 0x3F ? 1 :
			    n + (k ? 16 : 0) <= 0x3FFF ? 2 : 3));
			frame = malloc(flen);
			/* Too small an output buffer is refused. */
			ASSERT_INT_EQ(sstream_seal(a, p, n, frame, flen - 1),
			    ERR_TOOBIG);
			ASSERT_INT_EQ(sstream_seal(a, p, n, frame, flen), flen);
			r = sstream_open(b, frame, flen, &msg, &mlen);
			ASSERT_INT_EQ(r, flen);
			ASSERT_INT_EQ(mlen, n);
			ASSERT_MEM_EQ(msg, p, n);
			/* Same size again: the same buffer. */
			if (i > 0 && sizes[i] == sizes[i - 1])
				ASSERT_TRUE(msg == last);
			last = msg;
			free(frame);
			free(p);
		}
	}
	sstream_free(a);
	sstream_free(b);
}

/* Two frames back to back in one buffer come out one at a time. */
static void
test_two_frames(void)
{
	struct sstream *a = sstream_new(4096), *b = sstream_new(4096);
	static const uint8_t p1[] = "first", p2[] = "second frame";
	uint8_t key[SSTREAM_KEY_LEN], buf[128];
	const uint8_t *msg;
	size_t mlen, off;
	int r1, r2, r;

	memset(key, 0x11, sizeof key);
	sstream_set_key(a, key);
	sstream_set_key(b, key);
	r1 = sstream_seal(a, p1, sizeof p1, buf, sizeof buf);
	ASSERT_INT_GE(r1, 1);
	r2 = sstream_seal(a, p2, sizeof p2, buf + r1, sizeof buf - r1);
	ASSERT_INT_GE(r2, 1);
	r = sstream_open(b, buf, (size_t)(r1 + r2), &msg, &mlen);
	ASSERT_INT_EQ(r, r1);
	ASSERT_INT_EQ(mlen, sizeof p1);
	ASSERT_MEM_EQ(msg, p1, sizeof p1);
	off = (size_t)r;
	r = sstream_open(b, buf + off, (size_t)(r1 + r2) - off, &msg, &mlen);
	ASSERT_INT_EQ(r, r2);
	ASSERT_MEM_EQ(msg, p2, sizeof p2);
	sstream_free(a);
	sstream_free(b);
}

/* Sealing in place: the payload already sits at the tail of out. */
static void
test_seal_inplace(void)
{
	struct sstream *a = sstream_new(4096), *b = sstream_new(4096);
	uint8_t key[SSTREAM_KEY_LEN], p[300], buf[400];
	const uint8_t *msg;
	size_t n = sizeof p, flen, mlen;
	int k;

	memset(key, 0x22, sizeof key);
	randombytes_buf(p, sizeof p);
	for (k = 0; k < 2; k++) {
		if (k == 1) {
			sstream_set_key(a, key);
			sstream_set_key(b, key);
		}
		flen = sstream_frame_len(a, n);
		memcpy(buf + flen - n, p, n);
		ASSERT_INT_EQ(sstream_seal(a, buf + flen - n, n, buf, flen),
		    flen);
		ASSERT_INT_EQ(sstream_open(b, buf, flen, &msg, &mlen), flen);
		ASSERT_INT_EQ(mlen, n);
		ASSERT_MEM_EQ(msg, p, n);
	}
	sstream_free(a);
	sstream_free(b);
}

/*
 * Opening into a buffer of the caller's (in place, or another) gives the
 * same payload as sstream_open, at its offset in the frame; the counters
 * of every way stay in step, a frame cut short waits, a tampered one
 * fails.
 */
static void
test_open_into(void)
{
	static const size_t sizes[] = { 0, 1, 2, 16, 300, 70000, 131072 + 17 };
	struct sstream *a = sstream_new(1 << 20), *b = sstream_new(1 << 20);
	uint8_t key[SSTREAM_KEY_LEN], *p, *frame, *other, *msg;
	const uint8_t *cmsg;
	size_t i, n, flen, mlen;
	int k;

	randombytes_buf(key, sizeof key);
	for (k = 0; k < 2; k++) {
		if (k == 1) {
			sstream_set_key(a, key);
			sstream_set_key(b, key);
		}
		for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			n = sizes[i];
			p = malloc(n ? n : 1);
			randombytes_buf(p, n);
			flen = sstream_frame_len(a, n);
			frame = malloc(flen);
			ASSERT_INT_EQ(sstream_seal(a, p, n, frame, flen), flen);
			other = malloc(flen);
			ASSERT_INT_EQ(sstream_open_into(b, frame, flen - 1,
			    frame, &msg, &mlen), 0);
			/* Into another buffer, the frame left as it was. */
			ASSERT_INT_EQ(sstream_open_into(b, frame, flen, other,
			    &msg, &mlen), flen);
			ASSERT_INT_EQ(mlen, n);
			ASSERT_TRUE(msg >= other && msg + mlen == other + flen);
			ASSERT_MEM_EQ(msg, p, n);
			free(other);
			ASSERT_INT_EQ(sstream_seal(a, p, n, frame, flen), flen);
			/* In place. */
			ASSERT_INT_EQ(sstream_open_into(b, frame, flen, frame,
			    &msg, &mlen), flen);
			ASSERT_INT_EQ(mlen, n);
			ASSERT_TRUE(msg >= frame && msg + mlen == frame + flen);
			ASSERT_MEM_EQ(msg, p, n);
			/* The next frame by the copying way: in step. */
			ASSERT_INT_EQ(sstream_seal(a, p, n, frame, flen), flen);
			ASSERT_INT_EQ(sstream_open(b, frame, flen, &cmsg,
			    &mlen), flen);
			ASSERT_MEM_EQ(cmsg, p, n);
			free(frame);
			free(p);
		}
	}
	/* A flipped byte of the ciphertext. */
	n = 1000;
	p = calloc(1, n);
	flen = sstream_frame_len(a, n);
	frame = malloc(flen);
	ASSERT_INT_EQ(sstream_seal(a, p, n, frame, flen), flen);
	frame[flen - 5] ^= 1;
	ASSERT_INT_EQ(sstream_open_into(b, frame, flen, frame, &msg, &mlen),
	    ERR_CRYPTO);
	free(frame);
	free(p);
	sstream_free(a);
	sstream_free(b);
}

/* sstream_pack_msg frames (and seals) a Message that unpacks again. */
static void
test_pack_msg(void)
{
	Hbb__Message m = HBB__MESSAGE__INIT, *got;
	Hbb__TestDelay td = HBB__TEST_DELAY__INIT;
	struct sstream *a = sstream_new(4096), *b = sstream_new(4096);
	uint8_t key[SSTREAM_KEY_LEN], *out;
	const uint8_t *msg;
	size_t outlen, mlen;
	int k;

	memset(key, 0x33, sizeof key);
	td.target_bitrate = 1200;
	m.union_case = HBB__MESSAGE__UNION_TEST_DELAY;
	m.test_delay = &td;
	for (k = 0; k < 3; k++) {
		if (k == 1) {
			sstream_set_key(a, key);
			sstream_set_key(b, key);
		}
		ASSERT_INT_EQ(sstream_pack_msg(a, &m, &out, &outlen), 0);
		ASSERT_INT_EQ(outlen, sstream_frame_len(a,
		    hbb__message__get_packed_size(&m)));
		ASSERT_INT_EQ(sstream_open(b, out, outlen, &msg, &mlen),
		    outlen);
		got = hbb__message__unpack(NULL, mlen, msg);
		ASSERT_TRUE(got != NULL);
		ASSERT_INT_EQ(got->union_case, HBB__MESSAGE__UNION_TEST_DELAY);
		ASSERT_INT_EQ(got->test_delay->target_bitrate, 1200);
		hbb__message__free_unpacked(got, NULL);
		free(out);
	}
	sstream_free(a);
	sstream_free(b);
}

/* The host's first message, with the vector's ephemeral pair. */
static void
host_start_vec(struct sstream_hs **hs, uint8_t **msg, size_t *msglen)
{
	uint8_t *sk, *epk, *esk;

	sk = vec_n(hs_json, "\"host\"", "ed25519_sk64_hex (seed||pk, "
	    "libsodium layout)", SSTREAM_SIGN_SK_LEN);
	epk = vec_n(hs_json, "\"host\"", "ephemeral_box_pk_hex",
	    SSTREAM_BOX_PK_LEN);
	esk = vec_n(hs_json, "\"host\"", "ephemeral_box_sk_hex",
	    SSTREAM_BOX_SK_LEN);
	ASSERT_INT_EQ(sstream_hs_host_start_with("123456789", sk, epk, esk,
	    hs, msg, msglen), 0);
	ASSERT_TRUE(*hs != NULL && *msg != NULL);
	free(sk);
	free(epk);
	free(esk);
}

/* Host start produces the vector's SignedId message and frame. */
static void
test_hs_host_start(void)
{
	struct sstream *s = sstream_new(CODEC_PRELOGIN_MAX);
	struct sstream_hs *hs;
	uint8_t *msg, *wmsg, *wframe;
	size_t msglen, wn, fn;

	host_start_vec(&hs, &msg, &msglen);
	wmsg = vec(hs_json, "\"host\"", "message_signed_id_hex", &wn);
	wframe = vec(hs_json, "\"host\"", "frame_signed_id_hex", &fn);
	ASSERT_INT_EQ(msglen, wn);
	ASSERT_MEM_EQ(msg, wmsg, wn);
	seal_eq(s, msg, msglen, wframe, fn);
	free(msg);
	free(wmsg);
	free(wframe);
	sstream_hs_free(hs);
	sstream_free(s);
}

/* Host finish with the vector's PublicKey installs the vector's key. */
static void
test_hs_host_finish(void)
{
	struct sstream *s = sstream_new(CODEC_PRELOGIN_MAX);
	struct sstream *peer = sstream_new(CODEC_PRELOGIN_MAX);
	struct sstream_hs *hs;
	uint8_t *msg, *pk, *key, *p1, *f1, *pc, *fc;
	size_t msglen, pkn, p1n, f1n, pcn, fcn;
	int unverified = -1;

	host_start_vec(&hs, &msg, &msglen);
	pk = vec(hs_json, "\"client\"", "message_public_key_hex", &pkn);
	ASSERT_INT_EQ(sstream_hs_host_finish(hs, s, pk, pkn, &unverified), 1);
	ASSERT_INT_EQ(unverified, 0);
	ASSERT_INT_EQ(sstream_encrypted(s), 1);

	/* The installed key is symmetric_key_hex: check both ways. */
	key = vec_n(hs_json, "\"client\"", "symmetric_key_hex",
	    SSTREAM_KEY_LEN);
	sstream_set_key(peer, key);
	p1 = vec(sb_json, "\"seq\": 1", "plaintext_hex", &p1n);
	f1 = vec(sb_json, "\"seq\": 1", "frame_hex", &f1n);
	pc = vec(sb_json, "client -> host", "plaintext_hex", &pcn);
	fc = vec(sb_json, "client -> host", "frame_hex", &fcn);
	seal_eq(s, p1, p1n, f1, f1n);
	open_eq(peer, f1, f1n, p1, p1n);
	seal_eq(peer, pc, pcn, fc, fcn);
	open_eq(s, fc, fcn, pc, pcn);

	free(msg);
	free(pk);
	free(key);
	free(p1);
	free(f1);
	free(pc);
	free(fc);
	sstream_hs_free(hs);
	sstream_free(s);
	sstream_free(peer);
}

/* Run host finish on hex input; returns its result, *enc the mode after. */
static int
host_finish_hex(const char *hex, int *unverified, int *enc)
{
	struct sstream *s = sstream_new(CODEC_PRELOGIN_MAX);
	struct sstream_hs *hs;
	uint8_t *msg, *in;
	size_t msglen, n;
	int r;

	host_start_vec(&hs, &msg, &msglen);
	in = tst_unhex(hex, &n);
	r = sstream_hs_host_finish(hs, s, in, n, unverified);
	*enc = sstream_encrypted(s);
	free(in);
	free(msg);
	sstream_hs_free(hs);
	sstream_free(s);
	return r;
}

/* Host finish: the plaintext and closing rows of PROTOCOL.md §2.3. */
static void
test_hs_host_finish_variants(void)
{
	char *pkhex, *bad;
	size_t len;
	int unv, enc;

	/* Empty PublicKey ("2200"): plaintext, unverified. */
	ASSERT_INT_EQ(host_finish_hex("2200", &unv, &enc), 0);
	ASSERT_INT_EQ(unv, 1);
	ASSERT_INT_EQ(enc, 0);
	/* The empty frame "00" carries an empty payload: plaintext. */
	ASSERT_INT_EQ(host_finish_hex("", &unv, &enc), 0);
	ASSERT_INT_EQ(unv, 0);
	ASSERT_INT_EQ(enc, 0);
	/* Another message (TestDelay): consumed, plaintext. */
	ASSERT_INT_EQ(host_finish_hex("2a0320b009", &unv, &enc), 0);
	ASSERT_INT_EQ(unv, 0);
	ASSERT_INT_EQ(enc, 0);
	/* Bytes that do not parse: close. */
	ASSERT_INT_EQ(host_finish_hex("ffffffff", &unv, &enc), ERR_PROTO);
	ASSERT_INT_EQ(host_finish_hex("22", &unv, &enc), ERR_PROTO);
	/* PublicKey with a 31-byte asymmetric_value: close. */
	ASSERT_INT_EQ(host_finish_hex("22210a1f"
	    "00000000000000000000000000000000000000000000000000000000000000",
	    &unv, &enc), ERR_CRYPTO);
	ASSERT_INT_EQ(enc, 0);

	pkhex = tst_json_str(hs_json, "\"client\"", "message_public_key_hex");
	ASSERT_TRUE(pkhex != NULL);
	len = strlen(pkhex);
	/* A changed byte of the sealed key: close. */
	bad = strdup(pkhex);
	bad[len - 1] = bad[len - 1] == '0' ? '1' : '0';
	ASSERT_INT_EQ(host_finish_hex(bad, &unv, &enc), ERR_CRYPTO);
	ASSERT_INT_EQ(enc, 0);
	/* A changed client key: the box does not open. */
	strcpy(bad, pkhex);
	bad[10] = bad[10] == '0' ? '1' : '0';
	ASSERT_INT_EQ(host_finish_hex(bad, &unv, &enc), ERR_CRYPTO);
	/* A sealed key one byte short (47 bytes): close. */
	strcpy(bad, pkhex);
	bad[3] = '3';				/* message length 0x53 */
	bad[74] = '2';				/* symmetric_value length 0x2f */
	bad[75] = 'f';
	bad[len - 2] = '\0';
	ASSERT_INT_EQ(host_finish_hex(bad, &unv, &enc), ERR_CRYPTO);
	free(bad);
	free(pkhex);
}

/* The client checks the vector SignedId and replies with the vector key. */
static void
test_hs_client_vector(void)
{
	struct sstream *c = sstream_new(CODEC_PRELOGIN_MAX);
	uint8_t *sid, *hpk, *epk, *esk, *key, *want, *reply;
	uint8_t *pc, *fc;
	size_t sidn, wn, rn, pcn, fcn;

	sid = vec(hs_json, "\"host\"", "message_signed_id_hex", &sidn);
	hpk = vec_n(hs_json, "\"host\"", "ed25519_pk_hex (sent in "
	    "RegisterPk.pk)", SSTREAM_SIGN_PK_LEN);
	epk = vec_n(hs_json, "\"client\"", "ephemeral_box_pk_hex",
	    SSTREAM_BOX_PK_LEN);
	esk = vec_n(hs_json, "\"client\"", "ephemeral_box_sk_hex",
	    SSTREAM_BOX_SK_LEN);
	key = vec_n(hs_json, "\"client\"", "symmetric_key_hex",
	    SSTREAM_KEY_LEN);
	want = vec(hs_json, "\"client\"", "message_public_key_hex", &wn);
	ASSERT_INT_EQ(sstream_hs_client_with(c, sid, sidn, hpk, "123456789",
	    epk, esk, key, &reply, &rn), 1);
	ASSERT_INT_EQ(rn, wn);
	ASSERT_MEM_EQ(reply, want, wn);
	ASSERT_INT_EQ(sstream_encrypted(c), 1);
	/* The client's first frame uses nonce 1 with that key. */
	pc = vec(sb_json, "client -> host", "plaintext_hex", &pcn);
	fc = vec(sb_json, "client -> host", "frame_hex", &fcn);
	seal_eq(c, pc, pcn, fc, fcn);
	free(reply);

	/* With random values it still verifies and installs a key. */
	sstream_free(c);
	c = sstream_new(CODEC_PRELOGIN_MAX);
	ASSERT_INT_EQ(sstream_hs_client(c, sid, sidn, hpk, "123456789",
	    &reply, &rn), 1);
	ASSERT_INT_EQ(rn, wn);
	ASSERT_INT_EQ(sstream_encrypted(c), 1);
	free(reply);

	free(sid);
	free(hpk);
	free(epk);
	free(esk);
	free(key);
	free(want);
	free(pc);
	free(fc);
	sstream_free(c);
}

/* Client fallbacks: no key, other message, wrong id, bad signature. */
static void
test_hs_client_fallbacks(void)
{
	static const uint8_t empty_pk[] = { 0x22, 0x00 };
	struct sstream *c = sstream_new(CODEC_PRELOGIN_MAX);
	uint8_t *sid, *hpk, *hbbs_pk, *reply;
	size_t sidn, rn, i;

	sid = vec(hs_json, "\"host\"", "message_signed_id_hex", &sidn);
	hpk = vec_n(hs_json, "\"host\"", "ed25519_pk_hex (sent in "
	    "RegisterPk.pk)", SSTREAM_SIGN_PK_LEN);
	hbbs_pk = vec_n(hs_json, "\"hbbs\"", "ed25519_pk_hex",
	    SSTREAM_SIGN_PK_LEN);

	/* No key from hbbs: an empty frame. */
	ASSERT_INT_EQ(sstream_hs_client(c, sid, sidn, NULL, "123456789",
	    &reply, &rn), 0);
	ASSERT_INT_EQ(rn, 0);
	free(reply);
	/* Not a SignedId: an empty frame. */
	ASSERT_INT_EQ(sstream_hs_client(c, empty_pk, sizeof empty_pk, hpk,
	    "123456789", &reply, &rn), 0);
	ASSERT_INT_EQ(rn, 0);
	free(reply);
	/* Another id: an empty frame. */
	ASSERT_INT_EQ(sstream_hs_client(c, sid, sidn, hpk, "987654321",
	    &reply, &rn), 0);
	ASSERT_INT_EQ(rn, 0);
	free(reply);
	/* Unparsable: an error. */
	ASSERT_INT_EQ(sstream_hs_client(c, (const uint8_t *)"\xff\xff", 2,
	    hpk, "123456789", &reply, &rn), ERR_PROTO);
	ASSERT_TRUE(reply == NULL && rn == 0);
	/* The wrong signing key: an empty PublicKey. */
	ASSERT_INT_EQ(sstream_hs_client(c, sid, sidn, hbbs_pk, "123456789",
	    &reply, &rn), 0);
	ASSERT_INT_EQ(rn, sizeof empty_pk);
	ASSERT_MEM_EQ(reply, empty_pk, rn);
	free(reply);
	/* A tampered signature or IdPk (every byte after the headers). */
	for (i = 4; i < sidn; i++) {
		sid[i] ^= 0x80;
		ASSERT_INT_EQ(sstream_hs_client(c, sid, sidn, hpk,
		    "123456789", &reply, &rn), 0);
		ASSERT_INT_EQ(rn, sizeof empty_pk);
		ASSERT_MEM_EQ(reply, empty_pk, rn);
		free(reply);
		sid[i] ^= 0x80;
	}
	ASSERT_INT_EQ(sstream_encrypted(c), 0);
	free(sid);
	free(hpk);
	free(hbbs_pk);
	sstream_free(c);
}

/* Both sides with fresh keys talk to each other, frames framed as usual. */
static void
test_hs_roundtrip(void)
{
	struct sstream *host = sstream_new(CODEC_PRELOGIN_MAX);
	struct sstream *cli = sstream_new(CODEC_PRELOGIN_MAX);
	uint8_t pk[SSTREAM_SIGN_PK_LEN], sk[SSTREAM_SIGN_SK_LEN];
	uint8_t *msg, *reply, buf[256];
	const uint8_t *got;
	struct sstream_hs *hs;
	size_t msglen, rn, glen, h;
	int unv, r, i;

	crypto_sign_keypair(pk, sk);
	ASSERT_INT_EQ(sstream_hs_host_start("1234", sk, &hs, &msg, &msglen), 0);
	/* Through the framing, as on the wire. */
	r = sstream_seal(host, msg, msglen, buf, sizeof buf);
	ASSERT_INT_GE(r, 1);
	ASSERT_INT_EQ(sstream_open(cli, buf, (size_t)r, &got, &glen), r);
	ASSERT_INT_EQ(sstream_hs_client(cli, got, glen, pk, "1234", &reply,
	    &rn), 1);
	/* The key is on already: the reply is framed in plaintext by hand. */
	ASSERT_INT_EQ(sstream_encrypted(cli), 1);
	h = codec_hdr_encode(buf, rn);
	memcpy(buf + h, reply, rn);
	r = (int)(h + rn);
	ASSERT_INT_EQ(sstream_open(host, buf, (size_t)r, &got, &glen), r);
	ASSERT_INT_EQ(sstream_hs_host_finish(hs, host, got, glen, &unv), 1);
	for (i = 0; i < 5; i++) {
		r = sstream_seal(host, (const uint8_t *)"hash", 4, buf,
		    sizeof buf);
		ASSERT_INT_EQ(sstream_open(cli, buf, (size_t)r, &got, &glen),
		    r);
		ASSERT_MEM_EQ(got, "hash", 4);
		r = sstream_seal(cli, (const uint8_t *)"login", 5, buf,
		    sizeof buf);
		ASSERT_INT_EQ(sstream_open(host, buf, (size_t)r, &got, &glen),
		    r);
		ASSERT_MEM_EQ(got, "login", 5);
	}
	free(msg);
	free(reply);
	sstream_hs_free(hs);
	sstream_hs_free(NULL);
	sstream_free(host);
	sstream_free(cli);
	sstream_free(NULL);
}

/* Run every sstream test. */
int
main(void)
{
	sb_json = tst_vector("secretbox_frame.json");
	hs_json = tst_vector("handshake.json");
	TST_RUN(test_secretbox_vectors);
	TST_RUN(test_passthrough);
	TST_RUN(test_tamper);
	TST_RUN(test_cap);
	TST_RUN(test_roundtrip);
	TST_RUN(test_two_frames);
	TST_RUN(test_seal_inplace);
	TST_RUN(test_open_into);
	TST_RUN(test_pack_msg);
	TST_RUN(test_hs_host_start);
	TST_RUN(test_hs_host_finish);
	TST_RUN(test_hs_host_finish_variants);
	TST_RUN(test_hs_client_vector);
	TST_RUN(test_hs_client_fallbacks);
	TST_RUN(test_hs_roundtrip);
	free(sb_json);
	free(hs_json);
	return 0;
}
