/*
 * sstream.h: the secure stream of a peer connection (PROTOCOL.md §2.3-2.4):
 * length-prefix framing plus, once a session key is installed, secretbox on
 * every frame with sequence-number nonces. Also both sides of the key
 * exchange (the host side for relayed/punched connections; the client side
 * for the test peer).
 *
 * The stream does no I/O: callers feed it bytes and write what it returns.
 */
#ifndef CDESK_SSTREAM_H
#define CDESK_SSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "message.pb-c.h"

#define SSTREAM_KEY_LEN		32	/* secretbox key */
#define SSTREAM_MAC_LEN		16	/* secretbox tag */
#define SSTREAM_SIGN_PK_LEN	32	/* Ed25519 public key */
#define SSTREAM_SIGN_SK_LEN	64	/* Ed25519 secret key, libsodium layout */
#define SSTREAM_BOX_PK_LEN	32	/* Curve25519 public key */
#define SSTREAM_BOX_SK_LEN	32	/* Curve25519 secret key */

struct sstream;

/*
 * New stream in plaintext mode accepting frames of at most max_frame
 * payload bytes (plaintext bytes: with a key, the frame on the wire may be
 * SSTREAM_MAC_LEN longer; values over CODEC_LEN_MAX mean CODEC_LEN_MAX).
 * Caller frees with sstream_free(). Never NULL.
 */
struct sstream	*sstream_new(size_t max_frame);
/* Wipes the key and frees; NULL does nothing. */
void		 sstream_free(struct sstream *);
/* Changes the frame cap (e.g. raised after login). */
void		 sstream_set_max(struct sstream *, size_t max_frame);
size_t		 sstream_get_max(const struct sstream *);
/* Gives the receive buffer back once a frame made it larger than keep
 * bytes; the last frame opened is no longer readable after this. */
void		 sstream_trim(struct sstream *, size_t keep);
/* Installs the session key (copied into guarded memory); both counters
 * restart at 0, so the next frame each way uses nonce 1. */
void		 sstream_set_key(struct sstream *, const uint8_t key[SSTREAM_KEY_LEN]);
/* 1 once a key is installed. */
int		 sstream_encrypted(const struct sstream *);

/*
 * Size of the frame (header + optional MAC + payload) that sstream_seal()
 * makes for a payload of n bytes, or 0 if too big for the format.
 */
size_t		 sstream_frame_len(const struct sstream *, size_t n);
/*
 * Frames (and, with a key, encrypts) payload p of n bytes into out, which
 * must hold sstream_frame_len(n) bytes. Advances the send counter. Returns
 * the frame length, or ERR_TOOBIG (format limit, or outlen too small). The
 * cap of sstream_set_max() applies to receiving only. p may lie inside out
 * (e.g. at out + sstream_frame_len(n) - n: sealing in place).
 */
int		 sstream_seal(struct sstream *, const uint8_t *p, size_t n,
		    uint8_t *out, size_t outlen);
/*
 * Takes one frame from the start of (in, n). Returns 0 when more bytes are
 * needed, a negative ERR_* when the stream is bad (oversized frame:
 * ERR_TOOBIG, decided from the header alone before the body arrives; failed
 * decryption: ERR_CRYPTO; ERR_NOMEM) and the connection must close, or the
 * number of input bytes consumed. On success *msg and *msglen hold the
 * plaintext payload in memory owned by the stream (also in plaintext mode,
 * so the caller may drain its input at once), valid until the next
 * sstream_open() or sstream_free() (borrowed); *msg is never NULL then.
 * Payloads of length 0 or 1 pass through unencrypted and do not advance
 * the receive counter, as upstream. The buffer grows to the largest frame
 * seen (at most max_frame) and is reused: no allocation per frame.
 */
int		 sstream_open(struct sstream *, const uint8_t *in, size_t n,
		    const uint8_t **msg, size_t *msglen);

/*
 * As sstream_open(), but the payload goes to out (room for n bytes; out
 * may be in itself: opened in place), at the offset it has in the frame:
 * *msg points into out, lives as long as the caller's buffer, and no
 * byte is copied but by the decryption (or one copy in plaintext mode
 * when out is not in). For bulk data (file blocks), where the copies
 * into the stream's buffer cost as much as the socket read.
 */
int		 sstream_open_into(struct sstream *, const uint8_t *in,
		    size_t n, uint8_t *out, uint8_t **msg, size_t *msglen);

/*
 * Packs a Message into a new framed (and, with a key, encrypted) buffer
 * for s (caller frees *out); advances the send counter like
 * sstream_seal(). Convenience for small control messages. Returns 0 or
 * ERR_TOOBIG.
 */
int		 sstream_pack_msg(struct sstream *, const Hbb__Message *,
		    uint8_t **out, size_t *outlen);

/* ---- key exchange, host side ---- */

/*
 * Host handshake state: a fresh Curve25519 pair per connection. Returns a
 * new state (caller frees with sstream_hs_free) and, in *msg, the serialized
 * Message{signed_id} to send first (caller frees): a SignedId whose id is
 * crypto_sign(IdPk{id, ephemeral pk}) under sign_sk.
 */
struct sstream_hs;
int		 sstream_hs_host_start(const char *id,
		    const uint8_t sign_sk[SSTREAM_SIGN_SK_LEN],
		    struct sstream_hs **hs, uint8_t **msg, size_t *msglen);
/* As above with a given ephemeral pair, for test vectors. */
int		 sstream_hs_host_start_with(const char *id,
		    const uint8_t sign_sk[SSTREAM_SIGN_SK_LEN],
		    const uint8_t eph_pk[SSTREAM_BOX_PK_LEN],
		    const uint8_t eph_sk[SSTREAM_BOX_SK_LEN],
		    struct sstream_hs **hs, uint8_t **msg, size_t *msglen);
/*
 * Host: act on the client's first frame (payload, already unframed), per
 * PROTOCOL.md §2.3. Returns 1 when a session key was installed into s, 0
 * when the session continues unencrypted (empty frame, empty PublicKey, or
 * any other Message: *unverified is set to 1 for an empty PublicKey), or a
 * negative ERR_* when the connection must close (unparsable bytes:
 * ERR_PROTO; a PublicKey of bad length, a sealed key that does not open to
 * 32 bytes: ERR_CRYPTO).
 */
int		 sstream_hs_host_finish(struct sstream_hs *, struct sstream *,
		    const uint8_t *payload, size_t len, int *unverified);
void		 sstream_hs_free(struct sstream_hs *);

/* ---- key exchange, client side (test peer) ---- */

/*
 * Client: given the host's first payload (Message{signed_id}) and the
 * host's Ed25519 public key (from hbbs), verify the signature and that the
 * signed id equals expect_id; on success make a random session key, install
 * it into s after building the reply, and return in *reply the serialized
 * Message{public_key} to send (caller frees); returns 1. The reply goes
 * out in plaintext: frame it with codec_hdr_encode(), not sstream_seal(),
 * which would already encrypt it. If host_pk is NULL, the payload is
 * another kind of Message, or the signed id is not expect_id, it replies
 * with an empty frame payload (*reply NULL, *reply_len 0) and returns 0. A bad signature (or a signed IdPk that does
 * not parse or whose key is not 32 bytes) yields an empty PublicKey reply
 * and returns 0 as the stock client does. Negative ERR_* (ERR_PROTO) only
 * for a payload that is not a Message.
 */
int		 sstream_hs_client(struct sstream *, const uint8_t *payload,
		    size_t len, const uint8_t *host_pk, const char *expect_id,
		    uint8_t **reply, size_t *reply_len);
/* As above with a given ephemeral pair and session key, for test vectors. */
int		 sstream_hs_client_with(struct sstream *, const uint8_t *payload,
		    size_t len, const uint8_t *host_pk, const char *expect_id,
		    const uint8_t eph_pk[SSTREAM_BOX_PK_LEN],
		    const uint8_t eph_sk[SSTREAM_BOX_SK_LEN],
		    const uint8_t key[SSTREAM_KEY_LEN],
		    uint8_t **reply, size_t *reply_len);

#endif
