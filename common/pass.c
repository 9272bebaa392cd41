/* pass.c: the password proof of PROTOCOL.md §3.2-3.3 and one-time passwords. */
#include <string.h>

#include <sodium.h>

#include "common/log.h"
#include "common/pass.h"

/* Digits of a numeric one-time password (upstream NUM_CHARS). */
#define PASS_DIGITS	"0123456789"

/* SHA-256 of a || b, where a is n bytes and b a string. */
static void
pass_sha256_2(const uint8_t *a, size_t n, const char *b,
    uint8_t out[PASS_HASH_LEN])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, a, n);
	crypto_hash_sha256_update(&st, (const uint8_t *)b, strlen(b));
	crypto_hash_sha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

/* h1 = SHA256(password || salt). */
void
pass_h1(const char *password, const char *salt, uint8_t h1[PASS_HASH_LEN])
{
	pass_sha256_2((const uint8_t *)password, strlen(password), salt, h1);
}

/* proof = SHA256(h1 || challenge). */
void
pass_proof(const uint8_t h1[PASS_HASH_LEN], const char *challenge,
    uint8_t proof[PASS_HASH_LEN])
{
	pass_sha256_2(h1, PASS_HASH_LEN, challenge, proof);
}

/* Compare proof with SHA256(h1 || challenge) in constant time. */
int
pass_check_h1(const uint8_t h1[PASS_HASH_LEN], const char *challenge,
    const uint8_t *proof, size_t len)
{
	uint8_t want[PASS_HASH_LEN];
	int ok;

	if (proof == NULL || len != PASS_HASH_LEN)
		return 0;
	pass_proof(h1, challenge, want);
	ok = crypto_verify_32(want, proof) == 0;
	sodium_memzero(want, sizeof want);
	return ok;
}

/* Check proof against a plaintext password (the one-time password). */
int
pass_check_plain(const char *password, const char *salt,
    const char *challenge, const uint8_t *proof, size_t len)
{
	uint8_t h1[PASS_HASH_LEN];
	int ok;

	pass_h1(password, salt, h1);
	ok = pass_check_h1(h1, challenge, proof, len);
	sodium_memzero(h1, sizeof h1);
	return ok;
}

/* Fill out with len unbiased random characters and a NUL. */
void
pass_random(char *out, size_t len, int numeric)
{
	const char *set = numeric ? PASS_DIGITS : PASS_ALPHABET;
	uint32_t n = (uint32_t)strlen(set);
	size_t i;

	if (sodium_init() < 0)
		fatal("sodium_init failed");
	for (i = 0; i < len; i++)
		out[i] = set[randombytes_uniform(n)];
	out[len] = '\0';
}
