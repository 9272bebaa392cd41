/* test_pass.c: the password proof against vectors/login_hash.json and the
 * one-time password generator. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pass.h"
#include "tests/tst.h"

int main(void);

static char *json;

/* h1 and the LoginRequest.password field of the vector. */
static void
test_vector(void)
{
	char *pw = tst_json_str(json, NULL, "password");
	char *salt = tst_json_str(json, NULL, "salt");
	char *ch = tst_json_str(json, NULL, "challenge");
	char *h1hex = tst_json_str(json, NULL, "h1_hex");
	char *prhex = tst_json_str(json, NULL, "password_field_hex");
	uint8_t h1[PASS_HASH_LEN], proof[PASS_HASH_LEN], *want_h1, *want_pr;
	size_t n1, n2;

	ASSERT_TRUE(pw && salt && ch && h1hex && prhex);
	ASSERT_STR_EQ(pw, "Test1234");
	want_h1 = tst_unhex(h1hex, &n1);
	want_pr = tst_unhex(prhex, &n2);
	ASSERT_INT_EQ(n1, PASS_HASH_LEN);
	ASSERT_INT_EQ(n2, PASS_HASH_LEN);
	pass_h1(pw, salt, h1);
	ASSERT_MEM_EQ(h1, want_h1, PASS_HASH_LEN);
	pass_proof(h1, ch, proof);
	ASSERT_MEM_EQ(proof, want_pr, PASS_HASH_LEN);
	ASSERT_INT_EQ(pass_check_h1(h1, ch, want_pr, n2), 1);
	ASSERT_INT_EQ(pass_check_plain(pw, salt, ch, want_pr, n2), 1);
	free(pw);
	free(salt);
	free(ch);
	free(h1hex);
	free(prhex);
	free(want_h1);
	free(want_pr);
}

/* Wrong proofs, wrong lengths and wrong inputs are mismatches. */
static void
test_mismatch(void)
{
	uint8_t h1[PASS_HASH_LEN], proof[PASS_HASH_LEN + 1];
	size_t i;

	pass_h1("secret", "salt", h1);
	pass_proof(h1, "abcdef", proof);
	proof[PASS_HASH_LEN] = 0;
	ASSERT_INT_EQ(pass_check_h1(h1, "abcdef", proof, PASS_HASH_LEN), 1);
	ASSERT_INT_EQ(pass_check_h1(h1, "abcdef", proof, PASS_HASH_LEN - 1),
	    0);
	ASSERT_INT_EQ(pass_check_h1(h1, "abcdef", proof, PASS_HASH_LEN + 1),
	    0);
	ASSERT_INT_EQ(pass_check_h1(h1, "abcdef", proof, 0), 0);
	ASSERT_INT_EQ(pass_check_h1(h1, "abcdef", NULL, 0), 0);
	ASSERT_INT_EQ(pass_check_h1(h1, "abcdeg", proof, PASS_HASH_LEN), 0);
	ASSERT_INT_EQ(pass_check_plain("secret", "salt", "abcdef", proof,
	    PASS_HASH_LEN), 1);
	ASSERT_INT_EQ(pass_check_plain("Secret", "salt", "abcdef", proof,
	    PASS_HASH_LEN), 0);
	ASSERT_INT_EQ(pass_check_plain("secret", "salu", "abcdef", proof,
	    PASS_HASH_LEN), 0);
	ASSERT_INT_EQ(pass_check_plain("secret", "salt", "abcdef", proof,
	    7), 0);
	for (i = 0; i < PASS_HASH_LEN; i++) {
		proof[i] ^= 0x01;
		ASSERT_INT_EQ(pass_check_h1(h1, "abcdef", proof,
		    PASS_HASH_LEN), 0);
		proof[i] ^= 0x01;
	}
	/* Empty strings hash too (an empty proof field is a mismatch). */
	pass_h1("", "", h1);
	pass_proof(h1, "", proof);
	ASSERT_INT_EQ(pass_check_plain("", "", "", proof, PASS_HASH_LEN), 1);
}

/* Length, NUL, alphabet and coverage of pass_random. */
static void
test_random(void)
{
	static const size_t lens[] = { 0, 1, 6, 8, 10, PASS_SALT_LEN };
	char buf[PASS_SALT_LEN + 1], big[4097], other[PASS_SALT_LEN + 1];
	int seen[256];
	size_t i, j;

	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		memset(buf, 'X', sizeof buf);
		pass_random(buf, lens[i], 0);
		ASSERT_INT_EQ(strlen(buf), lens[i]);
		for (j = 0; j < lens[i]; j++)
			ASSERT_TRUE(strchr(PASS_ALPHABET, buf[j]) != NULL);
		memset(buf, 'X', sizeof buf);
		pass_random(buf, lens[i], 1);
		ASSERT_INT_EQ(strlen(buf), lens[i]);
		for (j = 0; j < lens[i]; j++)
			ASSERT_TRUE(buf[j] >= '0' && buf[j] <= '9');
	}
	/* 4096 draws hit every character of the alphabet and no other. */
	memset(seen, 0, sizeof seen);
	pass_random(big, sizeof big - 1, 0);
	for (j = 0; j < sizeof big - 1; j++)
		seen[(unsigned char)big[j]]++;
	for (j = 0; j < 256; j++)
		ASSERT_INT_EQ(seen[j] > 0,
		    j != 0 && strchr(PASS_ALPHABET, (int)j) != NULL);
	/* No character is far from 1/32 (128 expected; loose bounds). */
	for (j = 0; PASS_ALPHABET[j] != '\0'; j++) {
		ASSERT_INT_GE(seen[(unsigned char)PASS_ALPHABET[j]], 50);
		ASSERT_INT_GE(250, seen[(unsigned char)PASS_ALPHABET[j]]);
	}
	memset(seen, 0, sizeof seen);
	pass_random(big, sizeof big - 1, 1);
	for (j = 0; j < sizeof big - 1; j++)
		seen[(unsigned char)big[j]]++;
	for (j = '0'; j <= '9'; j++)
		ASSERT_INT_GE(seen[j], 1);
	/* Two salts differ. */
	pass_random(buf, PASS_SALT_LEN, 0);
	pass_random(other, PASS_SALT_LEN, 0);
	ASSERT_TRUE(strcmp(buf, other) != 0);
	ASSERT_INT_EQ(strlen(PASS_ALPHABET), 32);
}

/* Run every pass test. */
int
main(void)
{
	json = tst_vector("login_hash.json");
	TST_RUN(test_vector);
	TST_RUN(test_mismatch);
	TST_RUN(test_random);
	free(json);
	return 0;
}
