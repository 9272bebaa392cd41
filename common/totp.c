/*
 * totp.c: SHA-1, HMAC-SHA1, RFC 4226/6238 codes, base32 and the otpauth://
 * URI (totp.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/log.h"
#include "common/totp.h"
#include "common/xmalloc.h"

#define SHA1_BLOCK	64

/* SHA-1's running state. */
struct sha1 {
	uint32_t	h[5];
	uint8_t		buf[SHA1_BLOCK];
	size_t		used;		/* bytes in buf */
	uint64_t	total;		/* bytes hashed */
};

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Rotate x left by n bits. */
static uint32_t
rol32(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

/* Start a SHA-1 computation. */
static void
sha1_init(struct sha1 *s)
{
	s->h[0] = 0x67452301;
	s->h[1] = 0xefcdab89;
	s->h[2] = 0x98badcfe;
	s->h[3] = 0x10325476;
	s->h[4] = 0xc3d2e1f0;
	s->used = 0;
	s->total = 0;
}

/* Mix one 64-byte block into the state (RFC 3174 §6.1). */
static void
sha1_block(struct sha1 *s, const uint8_t *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0];
	b = s->h[1];
	c = s->h[2];
	d = s->h[3];
	e = s->h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol32(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol32(b, 30);
		b = a;
		a = t;
	}
	s->h[0] += a;
	s->h[1] += b;
	s->h[2] += c;
	s->h[3] += d;
	s->h[4] += e;
	sodium_memzero(w, sizeof w);
}

/* Hash n more bytes. */
static void
sha1_update(struct sha1 *s, const uint8_t *p, size_t n)
{
	size_t take;

	s->total += n;
	while (n > 0) {
		take = SHA1_BLOCK - s->used;
		if (take > n)
			take = n;
		memcpy(s->buf + s->used, p, take);
		s->used += take;
		p += take;
		n -= take;
		if (s->used == SHA1_BLOCK) {
			sha1_block(s, s->buf);
			s->used = 0;
		}
	}
}

/* Pad, finish and write the digest; wipes the state. */
static void
sha1_final(struct sha1 *s, uint8_t out[TOTP_SHA1_LEN])
{
	uint64_t bits = s->total * 8;
	uint8_t pad = 0x80, zero = 0, len[8];
	int i;

	sha1_update(s, &pad, 1);
	while (s->used != SHA1_BLOCK - 8)
		sha1_update(s, &zero, 1);
	for (i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_update(s, len, 8);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
	sodium_memzero(s, sizeof *s);
}

/* out = SHA-1 of p. */
void
totp_sha1(const uint8_t *p, size_t n, uint8_t out[TOTP_SHA1_LEN])
{
	struct sha1 s;

	sha1_init(&s);
	sha1_update(&s, p, n);
	sha1_final(&s, out);
}

/* out = HMAC-SHA1(key, msg) (RFC 2104). */
void
totp_hmac_sha1(const uint8_t *key, size_t klen, const uint8_t *msg,
    size_t n, uint8_t out[TOTP_SHA1_LEN])
{
	uint8_t k[SHA1_BLOCK], pad[SHA1_BLOCK], inner[TOTP_SHA1_LEN];
	struct sha1 s;
	size_t i;

	memset(k, 0, sizeof k);
	if (klen > SHA1_BLOCK)
		totp_sha1(key, klen, k);
	else if (klen > 0)
		memcpy(k, key, klen);
	for (i = 0; i < SHA1_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	sha1_init(&s);
	sha1_update(&s, pad, sizeof pad);
	sha1_update(&s, msg, n);
	sha1_final(&s, inner);
	for (i = 0; i < SHA1_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	sha1_init(&s);
	sha1_update(&s, pad, sizeof pad);
	sha1_update(&s, inner, sizeof inner);
	sha1_final(&s, out);
	sodium_memzero(k, sizeof k);
	sodium_memzero(pad, sizeof pad);
	sodium_memzero(inner, sizeof inner);
}

/* The RFC 4226 code of counter: dynamic truncation, modulo 10^digits. */
uint32_t
totp_hotp(const uint8_t *secret, size_t len, uint64_t counter, int digits)
{
	uint8_t msg[8], mac[TOTP_SHA1_LEN];
	uint32_t bin, mod = 1;
	int i, off;

	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)(counter >> (56 - 8 * i));
	totp_hmac_sha1(secret, len, msg, sizeof msg, mac);
	off = mac[TOTP_SHA1_LEN - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 |
	    (uint32_t)mac[off + 1] << 16 | (uint32_t)mac[off + 2] << 8 |
	    mac[off + 3];
	sodium_memzero(mac, sizeof mac);
	for (i = 0; i < digits && i < 9; i++)
		mod *= 10;
	return bin % mod;
}

/* The code of the step that holds Unix time now. */
void
totp_code(const uint8_t *secret, size_t len, int64_t now,
    char out[TOTP_DIGITS + 1])
{
	uint64_t step = now > 0 ? (uint64_t)now / TOTP_STEP : 0;

	snprintf(out, TOTP_DIGITS + 1, "%0*u", TOTP_DIGITS,
	    (unsigned)totp_hotp(secret, len, step, TOTP_DIGITS));
}

/* 1 if code matches now's step or a neighbour within the skew. */
int
totp_check(const uint8_t *secret, size_t len, const char *code, int64_t now)
{
	char want[TOTP_DIGITS + 1];
	uint64_t step = now > 0 ? (uint64_t)now / TOTP_STEP : 0;
	int i, ok = 0;

	if (code == NULL || strlen(code) != TOTP_DIGITS)
		return 0;
	for (i = -TOTP_SKEW; i <= TOTP_SKEW; i++) {
		if (i < 0 && step < (uint64_t)-i)
			continue;
		snprintf(want, sizeof want, "%0*u", TOTP_DIGITS,
		    (unsigned)totp_hotp(secret, len,
		    step + (uint64_t)(int64_t)i, TOTP_DIGITS));
		ok |= sodium_memcmp(want, code, TOTP_DIGITS) == 0;
	}
	sodium_memzero(want, sizeof want);
	return ok;
}

/* Draw a new secret. */
void
totp_generate(uint8_t secret[TOTP_SECRET_LEN])
{
	if (sodium_init() < 0)
		fatal("totp: libsodium failed to start");
	randombytes_buf(secret, TOTP_SECRET_LEN);
}

/* Unpadded base32 of p into out. */
int
totp_b32_encode(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t need = (n * 8 + 4) / 5, i, o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (cap < need + 1)
		return -1;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return (int)o;
}

/* Decode base32 s into out. */
int
totp_b32_decode(const char *s, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0, v, pad = 0;
	char ch;

	for (; *s != '\0'; s++) {
		ch = *s;
		if (ch == ' ' || ch == '-')
			continue;
		if (ch == '=') {
			pad = 1;
			continue;
		}
		if (pad)
			return -1;	/* data after the padding */
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= '2' && ch <= '7')
			v = ch - '2' + 26;
		else
			return -1;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
		acc &= (1u << bits) - 1;
	}
	if (bits >= 5 || acc != 0)
		return -1;	/* not the end of whole bytes */
	return (int)o;
}

/* Append s percent-encoded (RFC 3986 unreserved kept) to out at *o. */
static void
uri_encode(char *out, size_t *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char ch;

	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '~')
			out[(*o)++] = (char)ch;
		else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[ch >> 4];
			out[(*o)++] = hex[ch & 15];
		}
	}
}

/* The otpauth:// URI of secret for account. */
char *
totp_uri(const uint8_t *secret, size_t len, const char *account)
{
	char b32[TOTP_B32_MAX + 1], *out;
	size_t cap, o = 0;

	if (len > TOTP_SECRET_MAX)
		len = TOTP_SECRET_MAX;
	totp_b32_encode(secret, len, b32, sizeof b32);
	cap = 64 + 6 * sizeof TOTP_ISSUER + 3 * strlen(account) + strlen(b32);
	out = xmalloc(cap);
	memcpy(out, "otpauth://totp/", 15);
	o = 15;
	uri_encode(out, &o, TOTP_ISSUER);
	out[o++] = ':';
	uri_encode(out, &o, account);
	memcpy(out + o, "?secret=", 8);
	o += 8;
	memcpy(out + o, b32, strlen(b32));
	o += strlen(b32);
	memcpy(out + o, "&issuer=", 8);
	o += 8;
	uri_encode(out, &o, TOTP_ISSUER);
	out[o] = '\0';
	sodium_memzero(b32, sizeof b32);
	return out;
}
