/*
 * totp.h: time-based one-time codes for two-factor logins (PROTOCOL.md
 * §3.10, HOST.md §4.6), with upstream's parameters: RFC 6238 over
 * HMAC-SHA1, 6 digits, a 30 s step, one step of skew either way, a 20-byte
 * secret shown as unpadded RFC 4648 base32, and an otpauth:// URI with
 * issuer "RustDesk Connection" and the host's ID as the account name.
 *
 * libsodium has no SHA-1 and nothing else common/ links has one, so a
 * small SHA-1 and HMAC live here (RFC 3174, RFC 2104), checked against
 * the RFC 2202 and RFC 6238 vectors in tests/unit/test_totp.c. SHA-1 is
 * used only inside HMAC, where its collisions do not matter.
 */
#ifndef CDESK_TOTP_H
#define CDESK_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SHA1_LEN	20
#define TOTP_SECRET_LEN	20	/* bytes of a secret we draw */
#define TOTP_SECRET_MAX	64	/* bytes of a secret we accept */
#define TOTP_B32_MAX	((TOTP_SECRET_MAX * 8 + 4) / 5)	/* its base32 */
#define TOTP_DIGITS	6
#define TOTP_STEP	30	/* seconds */
#define TOTP_SKEW	1	/* steps either way */
#define TOTP_ISSUER	"RustDesk Connection"

/* out = SHA-1(p[0..n)). */
void	totp_sha1(const uint8_t *p, size_t n, uint8_t out[TOTP_SHA1_LEN]);
/* out = HMAC-SHA1(key, msg). */
void	totp_hmac_sha1(const uint8_t *key, size_t klen, const uint8_t *msg,
	    size_t n, uint8_t out[TOTP_SHA1_LEN]);
/* The RFC 4226 code of counter (digits 1-9), as a number. */
uint32_t totp_hotp(const uint8_t *secret, size_t len, uint64_t counter,
	    int digits);
/* The code at Unix time now, as TOTP_DIGITS digits and a NUL in out. */
void	totp_code(const uint8_t *secret, size_t len, int64_t now,
	    char out[TOTP_DIGITS + 1]);
/*
 * 1 if code is the code of now's step or of TOTP_SKEW steps either side,
 * else 0. Every step is compared, in constant time, whatever matches.
 */
int	totp_check(const uint8_t *secret, size_t len, const char *code,
	    int64_t now);
/* Fills secret with TOTP_SECRET_LEN random bytes. */
void	totp_generate(uint8_t secret[TOTP_SECRET_LEN]);
/*
 * Unpadded base32 (RFC 4648) of p into out (cap bytes, with the NUL).
 * Returns the length, or -1 if out is too small.
 */
int	totp_b32_encode(const uint8_t *p, size_t n, char *out, size_t cap);
/*
 * Decodes base32 s (upper or lower case, '=' padding, spaces ignored)
 * into out (cap bytes). Returns the byte count, or -1 on a bad character,
 * leftover bits that are not zero, or too little room.
 */
int	totp_b32_decode(const char *s, uint8_t *out, size_t cap);
/*
 * The otpauth:// URI an authenticator app scans, as upstream shows it:
 * otpauth://totp/ISSUER:ACCOUNT?secret=B32&issuer=ISSUER, both names
 * percent-encoded. Caller frees.
 */
char	*totp_uri(const uint8_t *secret, size_t len, const char *account);

#endif
