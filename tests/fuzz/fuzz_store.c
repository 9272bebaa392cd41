/*
 * fuzz_store.c: libFuzzer target for the state file parser
 * (store_parse_string). An accepted state must be self-consistent.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/err.h"
#include "common/store.h"
#include "sodium_heap.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Parse (data, size) as a state file. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *s;
	char *text, *cause = NULL;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	int r;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	r = store_parse_string(&s, text, "fuzz", &cause);
	if ((r == 0) != (s != NULL) || (r == 0) != (cause == NULL))
		abort();
	if (r == 0) {
		/* The public key is the one of the secret key. */
		crypto_sign_ed25519_sk_to_pk(pk, store_sign_sk(s));
		if (memcmp(pk, store_sign_pk(s), sizeof pk) != 0 ||
		    strlen(store_id(s)) < 6 || strlen(store_uuid(s)) != 36)
			abort();
	}
	free(cause);
	store_free(s);
	free(text);
	return 0;
}
