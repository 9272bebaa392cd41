/*
 * sstream.c: length-prefix framing plus secretbox with sequence-number
 * nonces (PROTOCOL.md §2.4), and both sides of the key exchange (§2.3).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/log.h"
#include "common/sstream.h"
#include "common/xmalloc.h"

#define SSTREAM_NONCE_LEN	crypto_secretbox_NONCEBYTES	/* 24 */
#define SSTREAM_SIGN_LEN	crypto_sign_BYTES		/* 64 */
#define SSTREAM_SEALED_KEY_LEN	(crypto_box_MACBYTES + SSTREAM_KEY_LEN)
/* First size of the receive buffer; it grows with the frames, sstream_trim
 * gives it back. */
#define SSTREAM_RBUF_MIN	4096

struct sstream {
	size_t		 max;		/* largest plaintext payload accepted */
	uint8_t		*key;		/* sodium_malloc, NULL in plaintext mode */
	uint64_t	 send_seq;	/* last sequence number sent */
	uint64_t	 recv_seq;	/* last sequence number received */
	uint8_t		*rbuf;		/* plaintext of the last frame opened */
	size_t		 rcap;
};

/* Lives in sodium_malloc memory: it holds the ephemeral secret key. */
struct sstream_hs {
	uint8_t		 eph_pk[SSTREAM_BOX_PK_LEN];
	uint8_t		 eph_sk[SSTREAM_BOX_SK_LEN];
};

/* Initialize libsodium once; it cannot work without it. */
static void
sstream_sodium_init(void)
{
	if (sodium_init() < 0)
		fatal("sodium_init failed");
}

/* Write the nonce of sequence number seq: u64 LE then 16 zero bytes. */
static void
sstream_nonce(uint8_t nonce[SSTREAM_NONCE_LEN], uint64_t seq)
{
	size_t i;

	memset(nonce, 0, SSTREAM_NONCE_LEN);
	for (i = 0; i < 8; i++)
		nonce[i] = (uint8_t)(seq >> (8 * i));
}

/* Make a new plaintext stream; never NULL. */
struct sstream *
sstream_new(size_t max_frame)
{
	struct sstream *s;

	sstream_sodium_init();
	s = xcalloc(1, sizeof *s);
	sstream_set_max(s, max_frame);
	s->rcap = SSTREAM_RBUF_MIN;
	s->rbuf = xmalloc(s->rcap);
	return s;
}

/* Wipe the key and free the stream. */
void
sstream_free(struct sstream *s)
{
	if (s == NULL)
		return;
	if (s->key != NULL)
		sodium_free(s->key);	/* wipes */
	if (s->rbuf != NULL) {
		sodium_memzero(s->rbuf, s->rcap);
		free(s->rbuf);
	}
	free(s);
}

/* Change the frame cap; anything over the format's limit means the limit. */
void
sstream_set_max(struct sstream *s, size_t max_frame)
{
	s->max = max_frame > CODEC_LEN_MAX ? CODEC_LEN_MAX : max_frame;
}

/* Return the frame cap. */
size_t
sstream_get_max(const struct sstream *s)
{
	return s->max;
}

/* Install a session key into guarded memory and restart both counters. */
void
sstream_set_key(struct sstream *s, const uint8_t key[SSTREAM_KEY_LEN])
{
	if (s->key == NULL &&
	    (s->key = sodium_malloc(SSTREAM_KEY_LEN)) == NULL)
		fatal("sodium_malloc failed");
	memcpy(s->key, key, SSTREAM_KEY_LEN);
	s->send_seq = 0;
	s->recv_seq = 0;
}

/* 1 once a key is installed. */
int
sstream_encrypted(const struct sstream *s)
{
	return s->key != NULL;
}

/* Size of the frame sstream_seal() makes for n payload bytes, or 0. */
size_t
sstream_frame_len(const struct sstream *s, size_t n)
{
	size_t wire;

	if (n > CODEC_LEN_MAX)
		return 0;
	wire = n + (s->key != NULL ? SSTREAM_MAC_LEN : 0);
	if (wire > CODEC_LEN_MAX)
		return 0;
	if (wire <= 0x3F)
		return 1 + wire;
	if (wire <= 0x3FFF)
		return 2 + wire;
	if (wire <= 0x3FFFFF)
		return 3 + wire;
	return 4 + wire;
}

/* Frame (and encrypt) p into out; returns the frame length or ERR_TOOBIG. */
int
sstream_seal(struct sstream *s, const uint8_t *p, size_t n, uint8_t *out,
    size_t outlen)
{
	uint8_t nonce[SSTREAM_NONCE_LEN];
	size_t flen, h, wire;

	if ((flen = sstream_frame_len(s, n)) == 0 || outlen < flen)
		return ERR_TOOBIG;
	wire = n + (s->key != NULL ? SSTREAM_MAC_LEN : 0);
	h = codec_hdr_encode(out, wire);
	if (s->key != NULL) {
		/* libsodium allows p and out + h to overlap. */
		sstream_nonce(nonce, ++s->send_seq);
		crypto_secretbox_easy(out + h, p, n, nonce, s->key);
	} else if (n > 0)
		memmove(out + h, p, n);
	return (int)flen;
}

/* Make room for n plaintext bytes in the receive buffer. */
static int
sstream_reserve(struct sstream *s, size_t n)
{
	uint8_t *p;
	size_t cap;

	if (n <= s->rcap)
		return 0;
	cap = s->rcap * 2 > s->rcap ? s->rcap * 2 : n;
	if (cap < n)
		cap = n;
	if (cap > s->max && s->max >= n)
		cap = s->max;
	/* Fresh memory rather than realloc, so old plaintext is wiped. */
	if ((p = malloc(cap)) == NULL)
		return ERR_NOMEM;
	sodium_memzero(s->rbuf, s->rcap);
	free(s->rbuf);
	s->rbuf = p;
	s->rcap = cap;
	return 0;
}

/* Shrink the receive buffer back to its first size when it grew past keep. */
void
sstream_trim(struct sstream *s, size_t keep)
{
	uint8_t *p;

	if (s->rcap <= keep || (p = malloc(SSTREAM_RBUF_MIN)) == NULL)
		return;
	sodium_memzero(s->rbuf, s->rcap);
	free(s->rbuf);
	s->rbuf = p;
	s->rcap = SSTREAM_RBUF_MIN;
}

/* The frame at the head of (in, n): 1 with its header length *h and
 * wire length *len (a whole frame, within the caps), 0 while incomplete,
 * or an error. */
static int
sstream_frame(const struct sstream *s, const uint8_t *in, size_t n,
    size_t *h, size_t *len)
{
	size_t cap = s->max + (s->key != NULL ? SSTREAM_MAC_LEN : 0);
	int r;

	if ((r = codec_hdr_decode(in, n, cap, h, len)) <= 0)
		return r;
	if (n - *h < *len)
		return 0;
	/* Plaintext, or upstream's pass-through of tiny payloads. */
	if (s->key == NULL || *len <= 1)
		return *len > s->max ? ERR_TOOBIG : 1;
	return *len < SSTREAM_MAC_LEN ? ERR_CRYPTO : 1;
}

/* Take one frame from (in, n); see sstream.h for the outcomes. */
int
sstream_open(struct sstream *s, const uint8_t *in, size_t n,
    const uint8_t **msg, size_t *msglen)
{
	uint8_t nonce[SSTREAM_NONCE_LEN];
	size_t h, len;
	int r;

	*msg = NULL;
	*msglen = 0;
	if ((r = sstream_frame(s, in, n, &h, &len)) <= 0)
		return r;
	if (s->key == NULL || len <= 1) {
		if ((r = sstream_reserve(s, len)) != 0)
			return r;
		if (len > 0)
			memcpy(s->rbuf, in + h, len);
		*msg = s->rbuf;
		*msglen = len;
		return (int)(h + len);
	}
	if ((r = sstream_reserve(s, len - SSTREAM_MAC_LEN)) != 0)
		return r;
	sstream_nonce(nonce, ++s->recv_seq);
	if (crypto_secretbox_open_easy(s->rbuf, in + h, len, nonce,
	    s->key) != 0)
		return ERR_CRYPTO;
	*msg = s->rbuf;
	*msglen = len - SSTREAM_MAC_LEN;
	return (int)(h + len);
}

/* Take one frame from (in, n), opened into out; see sstream.h. */
int
sstream_open_into(struct sstream *s, const uint8_t *in, size_t n,
    uint8_t *out, uint8_t **msg, size_t *msglen)
{
	uint8_t nonce[SSTREAM_NONCE_LEN];
	size_t h, len;
	int r;

	*msg = NULL;
	*msglen = 0;
	if ((r = sstream_frame(s, in, n, &h, &len)) <= 0)
		return r;
	if (s->key == NULL || len <= 1) {
		if (out != in && len > 0)
			memcpy(out + h, in + h, len);
		*msg = out + h;
		*msglen = len;
		return (int)(h + len);
	}
	sstream_nonce(nonce, ++s->recv_seq);
	/* In place, the plaintext lies over its own ciphertext: libsodium's
	 * move for overlapping buffers is then one of no distance. */
	if (crypto_secretbox_open_detached(out + h + SSTREAM_MAC_LEN,
	    in + h + SSTREAM_MAC_LEN, in + h, len - SSTREAM_MAC_LEN, nonce,
	    s->key) != 0)
		return ERR_CRYPTO;
	*msg = out + h + SSTREAM_MAC_LEN;
	*msglen = len - SSTREAM_MAC_LEN;
	return (int)(h + len);
}

/* Pack m and frame it for s into a new buffer; caller frees *out. */
int
sstream_pack_msg(struct sstream *s, const Hbb__Message *m, uint8_t **out,
    size_t *outlen)
{
	uint8_t *buf;
	size_t n, flen;
	int r;

	*out = NULL;
	*outlen = 0;
	n = hbb__message__get_packed_size(m);
	if ((flen = sstream_frame_len(s, n)) == 0)
		return ERR_TOOBIG;
	/* Pack at the tail and seal in place: no second buffer. */
	buf = xmalloc(flen);
	hbb__message__pack(m, buf + flen - n);
	if ((r = sstream_seal(s, buf + flen - n, n, buf, flen)) < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	*outlen = flen;
	return 0;
}

/* Pack m into a new buffer (caller frees); never fails for our messages. */
static void
sstream_pack_plain(const Hbb__Message *m, uint8_t **out, size_t *outlen)
{
	size_t n = hbb__message__get_packed_size(m);

	*out = xmalloc(n > 0 ? n : 1);
	*outlen = hbb__message__pack(m, *out);
}

/* ---- key exchange, host side ---- */

/* Start the host side with the given ephemeral pair. */
int
sstream_hs_host_start_with(const char *id,
    const uint8_t sign_sk[SSTREAM_SIGN_SK_LEN],
    const uint8_t eph_pk[SSTREAM_BOX_PK_LEN],
    const uint8_t eph_sk[SSTREAM_BOX_SK_LEN], struct sstream_hs **hsp,
    uint8_t **msg, size_t *msglen)
{
	Hbb__IdPk idpk = HBB__ID_PK__INIT;
	Hbb__SignedId sid = HBB__SIGNED_ID__INIT;
	Hbb__Message m = HBB__MESSAGE__INIT;
	struct sstream_hs *hs;
	uint8_t *signed_buf;
	size_t n;

	*hsp = NULL;
	*msg = NULL;
	*msglen = 0;
	sstream_sodium_init();
	if ((hs = sodium_malloc(sizeof *hs)) == NULL)
		return ERR_NOMEM;
	memcpy(hs->eph_pk, eph_pk, sizeof hs->eph_pk);
	memcpy(hs->eph_sk, eph_sk, sizeof hs->eph_sk);

	/* Combined mode: the signature, then the IdPk it signs. */
	idpk.id = (char *)id;
	idpk.pk.data = hs->eph_pk;
	idpk.pk.len = sizeof hs->eph_pk;
	n = hbb__id_pk__get_packed_size(&idpk);
	signed_buf = xmalloc(SSTREAM_SIGN_LEN + n);
	hbb__id_pk__pack(&idpk, signed_buf + SSTREAM_SIGN_LEN);
	if (crypto_sign_detached(signed_buf, NULL, signed_buf +
	    SSTREAM_SIGN_LEN, n, sign_sk) != 0) {
		free(signed_buf);
		sodium_free(hs);
		return ERR_CRYPTO;
	}
	sid.id.data = signed_buf;
	sid.id.len = SSTREAM_SIGN_LEN + n;
	m.union_case = HBB__MESSAGE__UNION_SIGNED_ID;
	m.signed_id = &sid;
	sstream_pack_plain(&m, msg, msglen);
	free(signed_buf);
	*hsp = hs;
	return 0;
}

/* Start the host side with a fresh ephemeral pair. */
int
sstream_hs_host_start(const char *id,
    const uint8_t sign_sk[SSTREAM_SIGN_SK_LEN], struct sstream_hs **hs,
    uint8_t **msg, size_t *msglen)
{
	uint8_t pk[SSTREAM_BOX_PK_LEN], sk[SSTREAM_BOX_SK_LEN];
	int r;

	sstream_sodium_init();
	crypto_box_keypair(pk, sk);
	r = sstream_hs_host_start_with(id, sign_sk, pk, sk, hs, msg, msglen);
	sodium_memzero(sk, sizeof sk);
	return r;
}

/* Open the client's sealed session key and install it into s. */
static int
sstream_hs_host_key(struct sstream_hs *hs, struct sstream *s,
    const Hbb__PublicKey *pk)
{
	uint8_t nonce[crypto_box_NONCEBYTES];
	uint8_t *key;
	int r = 0;

	if (pk->asymmetric_value.len != SSTREAM_BOX_PK_LEN ||
	    pk->symmetric_value.len != SSTREAM_SEALED_KEY_LEN)
		return ERR_CRYPTO;
	if ((key = sodium_malloc(SSTREAM_KEY_LEN)) == NULL)
		return ERR_NOMEM;
	memset(nonce, 0, sizeof nonce);
	if (crypto_box_open_easy(key, pk->symmetric_value.data,
	    pk->symmetric_value.len, nonce, pk->asymmetric_value.data,
	    hs->eph_sk) != 0)
		r = ERR_CRYPTO;
	else
		sstream_set_key(s, key);
	sodium_free(key);
	return r;
}

/* Act on the client's first payload; see sstream.h. */
int
sstream_hs_host_finish(struct sstream_hs *hs, struct sstream *s,
    const uint8_t *payload, size_t len, int *unverified)
{
	Hbb__Message *m;
	int r = 0;

	*unverified = 0;
	if (len == 0)
		return 0;		/* the client has no key: plaintext */
	if ((m = hbb__message__unpack(NULL, len, payload)) == NULL)
		return ERR_PROTO;
	if (m->union_case == HBB__MESSAGE__UNION_PUBLIC_KEY &&
	    m->public_key != NULL) {
		if (m->public_key->asymmetric_value.len == 0)
			*unverified = 1;
		else if ((r = sstream_hs_host_key(hs, s, m->public_key)) == 0)
			r = 1;
	}
	/* Any other message is consumed and ignored, as upstream. */
	hbb__message__free_unpacked(m, NULL);
	return r;
}

/* Free the host handshake state, wiping the ephemeral secret key. */
void
sstream_hs_free(struct sstream_hs *hs)
{
	if (hs != NULL)
		sodium_free(hs);
}

/* ---- key exchange, client side (test peer) ---- */

/*
 * Verify a SignedId blob with host_pk and decode the IdPk inside. Returns 0
 * with the host's ephemeral key in eph_pk when the signature holds, the id
 * is expect_id and the key is 32 bytes; ERR_CRYPTO for a bad signature or
 * key, ERR_DENIED for another id.
 */
static int
sstream_hs_client_verify(const uint8_t *sm, size_t smlen,
    const uint8_t *host_pk, const char *expect_id,
    uint8_t eph_pk[SSTREAM_BOX_PK_LEN])
{
	Hbb__IdPk *idpk;
	int r = 0;

	if (smlen < SSTREAM_SIGN_LEN || crypto_sign_verify_detached(sm,
	    sm + SSTREAM_SIGN_LEN, smlen - SSTREAM_SIGN_LEN, host_pk) != 0)
		return ERR_CRYPTO;
	if ((idpk = hbb__id_pk__unpack(NULL, smlen - SSTREAM_SIGN_LEN,
	    sm + SSTREAM_SIGN_LEN)) == NULL)
		return ERR_CRYPTO;
	if (idpk->pk.len != SSTREAM_BOX_PK_LEN)
		r = ERR_CRYPTO;
	else if (expect_id == NULL || idpk->id == NULL ||
	    strcmp(idpk->id, expect_id) != 0)
		r = ERR_DENIED;
	else
		memcpy(eph_pk, idpk->pk.data, SSTREAM_BOX_PK_LEN);
	hbb__id_pk__free_unpacked(idpk, NULL);
	return r;
}

/* Client handshake with a given ephemeral pair and session key. */
int
sstream_hs_client_with(struct sstream *s, const uint8_t *payload, size_t len,
    const uint8_t *host_pk, const char *expect_id,
    const uint8_t eph_pk[SSTREAM_BOX_PK_LEN],
    const uint8_t eph_sk[SSTREAM_BOX_SK_LEN],
    const uint8_t key[SSTREAM_KEY_LEN], uint8_t **reply, size_t *reply_len)
{
	Hbb__Message *m, out = HBB__MESSAGE__INIT;
	Hbb__PublicKey pk = HBB__PUBLIC_KEY__INIT;
	uint8_t nonce[crypto_box_NONCEBYTES];
	uint8_t host_eph[SSTREAM_BOX_PK_LEN];
	uint8_t sealed[SSTREAM_SEALED_KEY_LEN];
	int r;

	*reply = NULL;
	*reply_len = 0;
	if (host_pk == NULL)
		return 0;		/* empty reply: plaintext */
	sstream_sodium_init();
	if ((m = hbb__message__unpack(NULL, len, payload)) == NULL)
		return ERR_PROTO;
	if (m->union_case != HBB__MESSAGE__UNION_SIGNED_ID ||
	    m->signed_id == NULL) {
		hbb__message__free_unpacked(m, NULL);
		return 0;		/* not a SignedId: empty reply */
	}
	r = sstream_hs_client_verify(m->signed_id->id.data,
	    m->signed_id->id.len, host_pk, expect_id, host_eph);
	hbb__message__free_unpacked(m, NULL);
	if (r == ERR_DENIED)
		return 0;		/* another id: empty reply */

	out.union_case = HBB__MESSAGE__UNION_PUBLIC_KEY;
	out.public_key = &pk;
	memset(nonce, 0, sizeof nonce);
	if (r == 0 && crypto_box_easy(sealed, key, SSTREAM_KEY_LEN, nonce,
	    host_eph, eph_sk) != 0)
		r = ERR_CRYPTO;		/* a weak ephemeral key */
	if (r != 0) {
		/* Bad signature or key: an empty PublicKey, as the stock
		 * client. */
		sstream_pack_plain(&out, reply, reply_len);
		return 0;
	}
	pk.asymmetric_value.data = (uint8_t *)eph_pk;
	pk.asymmetric_value.len = SSTREAM_BOX_PK_LEN;
	pk.symmetric_value.data = sealed;
	pk.symmetric_value.len = sizeof sealed;
	sstream_pack_plain(&out, reply, reply_len);
	sstream_set_key(s, key);
	return 1;
}

/* Client handshake with a fresh ephemeral pair and session key. */
int
sstream_hs_client(struct sstream *s, const uint8_t *payload, size_t len,
    const uint8_t *host_pk, const char *expect_id, uint8_t **reply,
    size_t *reply_len)
{
	uint8_t pk[SSTREAM_BOX_PK_LEN], sk[SSTREAM_BOX_SK_LEN];
	uint8_t key[SSTREAM_KEY_LEN];
	int r;

	sstream_sodium_init();
	crypto_box_keypair(pk, sk);
	crypto_secretbox_keygen(key);
	r = sstream_hs_client_with(s, payload, len, host_pk, expect_id, pk,
	    sk, key, reply, reply_len);
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(key, sizeof key);
	return r;
}
