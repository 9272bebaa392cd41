/* pass.h: password hashing and one-time passwords (PROTOCOL.md §3). */
#ifndef CDESK_PASS_H
#define CDESK_PASS_H

#include <stddef.h>
#include <stdint.h>

#define PASS_HASH_LEN	32
/* The alphabet of salts, challenges and one-time passwords. */
#define PASS_ALPHABET	"23456789abcdefghijkmnpqrstuvwxyz"
#define PASS_SALT_LEN	32
#define PASS_CHALLENGE_LEN 6

/* h1 = SHA256(password || salt). */
void	pass_h1(const char *password, const char *salt,
	    uint8_t h1[PASS_HASH_LEN]);
/* proof = SHA256(h1 || challenge). */
void	pass_proof(const uint8_t h1[PASS_HASH_LEN], const char *challenge,
	    uint8_t proof[PASS_HASH_LEN]);
/*
 * 1 if proof (len bytes) equals SHA256(h1 || challenge), else 0 (also for
 * len != PASS_HASH_LEN or a NULL proof); constant time.
 */
int	pass_check_h1(const uint8_t h1[PASS_HASH_LEN], const char *challenge,
	    const uint8_t *proof, size_t len);
/* 1 if proof matches a plaintext password (the one-time password). */
int	pass_check_plain(const char *password, const char *salt,
	    const char *challenge, const uint8_t *proof, size_t len);
/*
 * Fills out with len uniformly random characters and a NUL; out must hold
 * len + 1 bytes. The characters come from PASS_ALPHABET, or from the digits
 * 0-9 when numeric (as upstream's numeric one-time password does).
 */
void	pass_random(char *out, size_t len, int numeric);

#endif
