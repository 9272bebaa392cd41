/*
 * store.c: the host's state file (ID, uuid, salt, Ed25519 key pair, h1 of
 * the permanent password), INI parsed with inih:
 *
 *	[state]
 *	id = 123456789
 *	uuid = 0f8fad5b-d9cb-469f-a165-70867728950e
 *	salt = <32 characters of PASS_ALPHABET>
 *	sign_sk = <base64 of the 64-byte libsodium secret key>
 *	password_h1 = <base64 of 32 bytes; absent without a password>
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <sodium.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/pass.h"
#include "common/store.h"
#include "common/xmalloc.h"

#define STORE_FILE	"state"
#define STORE_SECTION	"state"
#define STORE_FILE_MAX	8192
#define STORE_ID_MAX	16
#define STORE_UUID_LEN	36
#define STORE_SALT_MIN	6
#define STORE_SALT_MAX	64
#define STORE_PW_MAX	128	/* bytes of a permanent password */
#define STORE_PW_MIN	6	/* characters of a permanent password */

struct store {
	char	*path;			/* state file, or NULL (owned) */
	char	 id[STORE_ID_MAX + 1];
	char	 uuid[STORE_UUID_LEN + 1];
	char	 salt[STORE_SALT_MAX + 1];
	uint8_t	 pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t	*sk;			/* sodium_malloc, 64 bytes (owned) */
	uint8_t	*h1;			/* sodium_malloc, 32 bytes (owned) */
	int	 has_h1;
};

/* Keys of the state file, in the order they are written. */
enum store_key { K_ID, K_UUID, K_SALT, K_SIGN_SK, K_PASSWORD_H1, K_COUNT };
static const char *const store_keys[K_COUNT] = {
	"id", "uuid", "salt", "sign_sk", "password_h1"
};

/* State of one parse of a state text. */
struct store_parse {
	struct store	*s;
	const char	*name;		/* for messages (borrowed) */
	struct cfg_reader rd;
	int		 seen[K_COUNT];
	int		 err_line;
	char		*err;		/* first error (owned) */
};

/* Allocate a store with secret buffers and no values. */
static struct store *
store_alloc(void)
{
	struct store *s = xcalloc(1, sizeof *s);

	s->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	s->h1 = sodium_malloc(PASS_HASH_LEN);
	if (s->sk == NULL || s->h1 == NULL)
		fatal("store: sodium_malloc failed");
	return s;
}

/* Free s, wiping its secrets. */
void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	sodium_free(s->sk);	/* sodium_free wipes */
	sodium_free(s->h1);
	free(s->path);
	free(s);
}

/* Return 1 if id is 6-16 of [A-Za-z0-9_-], starting with a letter, or all
 * digits. */
static int
id_ok(const char *id)
{
	size_t i, n = strlen(id);
	int digits = 1;

	if (n < 6 || n > STORE_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = id[i];

		if (ch < '0' || ch > '9')
			digits = 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return 0;
	}
	return digits || (id[0] >= 'a' && id[0] <= 'z') ||
	    (id[0] >= 'A' && id[0] <= 'Z');
}

/* Return 1 if u is a uuid in text form (8-4-4-4-12 hex digits). */
static int
uuid_ok(const char *u)
{
	size_t i;

	if (strlen(u) != STORE_UUID_LEN)
		return 0;
	for (i = 0; i < STORE_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return 0;
		} else if (!((u[i] >= '0' && u[i] <= '9') ||
		    (u[i] >= 'a' && u[i] <= 'f') ||
		    (u[i] >= 'A' && u[i] <= 'F')))
			return 0;
	}
	return 1;
}

/* Return 1 if salt is 6-64 characters of PASS_ALPHABET. */
static int
salt_ok(const char *salt)
{
	size_t n = strlen(salt);

	return n >= STORE_SALT_MIN && n <= STORE_SALT_MAX &&
	    strspn(salt, PASS_ALPHABET) == n;
}

/* Decode base64 value into exactly len bytes of out; 0 or -1. */
static int
b64_exact(const char *value, uint8_t *out, size_t len)
{
	const char *end;
	size_t n;

	if (sodium_base642bin(out, len, value, strlen(value), NULL, &n, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || n != len || *end != '\0')
		return -1;
	return 0;
}

/* Set s->pk from s->sk; -1 if the secret key's halves disagree. */
static int
sk_check(struct store *s)
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t *sk2;
	int ok;

	if ((sk2 = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL)
		fatal("store: sodium_malloc failed");
	crypto_sign_ed25519_sk_to_seed(seed, s->sk);
	crypto_sign_seed_keypair(pk, sk2, seed);
	sodium_memzero(seed, sizeof seed);
	ok = sodium_memcmp(sk2, s->sk, crypto_sign_SECRETKEYBYTES) == 0;
	sodium_free(sk2);
	if (!ok)
		return -1;
	memcpy(s->pk, pk, sizeof pk);
	return 0;
}

/* Record the first error of a parse as "key 'KEY': msg". */
static int
store_fail(struct store_parse *sp, const char *key, const char *msg)
{
	char *esc;

	if (sp->err == NULL) {
		esc = log_escape(key, 64);
		xasprintf(&sp->err, "key '%s': %s", esc, msg);
		free(esc);
		sp->err_line = sp->rd.lineno;
	}
	return 0;
}

/* inih handler: check and store one key of the state file. */
static int
store_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct store_parse *sp = user;
	struct store *s = sp->s;
	int k;

	if (strcmp(section, STORE_SECTION) != 0)
		return store_fail(sp, name, "outside the [state] section");
	for (k = 0; k < K_COUNT; k++)
		if (strcmp(name, store_keys[k]) == 0)
			break;
	if (k == K_COUNT)
		return store_fail(sp, name, "unknown key");
	if (sp->seen[k])
		return store_fail(sp, name, "set more than once");
	sp->seen[k] = 1;
	switch (k) {
	case K_ID:
		if (!id_ok(value))
			return store_fail(sp, name, "not a valid ID");
		snprintf(s->id, sizeof s->id, "%s", value);
		break;
	case K_UUID:
		if (!uuid_ok(value))
			return store_fail(sp, name, "not a uuid");
		snprintf(s->uuid, sizeof s->uuid, "%s", value);
		break;
	case K_SALT:
		if (!salt_ok(value))
			return store_fail(sp, name, "not a salt (6-64 "
			    "characters of " PASS_ALPHABET ")");
		snprintf(s->salt, sizeof s->salt, "%s", value);
		break;
	case K_SIGN_SK:
		if (b64_exact(value, s->sk, crypto_sign_SECRETKEYBYTES) != 0)
			return store_fail(sp, name, "not base64 of 64 bytes");
		if (sk_check(s) != 0)
			return store_fail(sp, name, "not an Ed25519 secret "
			    "key (its public half does not match)");
		break;
	case K_PASSWORD_H1:
		if (*value == '\0')
			break;
		if (b64_exact(value, s->h1, PASS_HASH_LEN) != 0)
			return store_fail(sp, name, "not base64 of 32 bytes");
		s->has_h1 = 1;
		break;
	}
	return 1;
}

/* Parse state text into a new store; see store.h. */
int
store_parse_string(struct store **out, const char *text, const char *name,
    char **cause)
{
	struct store_parse sp;
	struct store *s;
	int r, k, line;

	*out = NULL;
	*cause = NULL;
	if (sodium_init() < 0) {
		xasprintf(cause, "%s: libsodium failed to start", name);
		return ERR_CRYPTO;
	}
	s = store_alloc();
	memset(&sp, 0, sizeof sp);
	sp.s = s;
	sp.name = name;
	sp.rd.text = text;
	r = ini_parse_stream(cfg_reader_line, &sp.rd, store_handler, &sp);
	line = sp.err != NULL ? sp.err_line : 0;
	if (r < 0)
		xasprintf(cause, "%s: out of memory", name);
	else if (sp.rd.toolong != 0 && (line == 0 || sp.rd.toolong < line) &&
	    (r == 0 || sp.rd.toolong < r))
		xasprintf(cause, "%s:%d: line too long", name, sp.rd.toolong);
	else if (r > 0 && (line == 0 || r < line))
		xasprintf(cause, "%s:%d: expected 'key = value' or a [section]",
		    name, r);
	else if (sp.err != NULL)
		xasprintf(cause, "%s:%d: %s", name, line, sp.err);
	else {
		for (k = 0; k < K_COUNT; k++) {
			if (!sp.seen[k] && k != K_PASSWORD_H1) {
				xasprintf(cause, "%s: key '%s' is missing",
				    name, store_keys[k]);
				break;
			}
		}
	}
	free(sp.err);
	if (*cause != NULL) {
		store_free(s);
		return r < 0 ? ERR_NOMEM : ERR_CONFIG;
	}
	*out = s;
	return 0;
}

/* Write s to its file (no_replace: only if there is none yet). */
static int
store_save(struct store *s, int no_replace, char **cause)
{
	char sk64[sodium_base64_ENCODED_LEN(crypto_sign_SECRETKEYBYTES,
	    sodium_base64_VARIANT_ORIGINAL)];
	char h164[sodium_base64_ENCODED_LEN(PASS_HASH_LEN,
	    sodium_base64_VARIANT_ORIGINAL)];
	char *text;
	size_t cap = 1024;
	int n, r;

	*cause = NULL;
	if (s->path == NULL) {
		*cause = xstrdup("state was not read from a file");
		return ERR_INVAL;
	}
	/* The text holds the secret key: keep it in wiped memory. */
	if ((text = sodium_malloc(cap)) == NULL)
		fatal("store: sodium_malloc failed");
	sodium_bin2base64(sk64, sizeof sk64, s->sk, crypto_sign_SECRETKEYBYTES,
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(h164, sizeof h164, s->h1, PASS_HASH_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(text, cap, "# cdesk state: written by cdesk; keep it "
	    "private (mode 0600).\n[%s]\n%s = %s\n%s = %s\n%s = %s\n"
	    "%s = %s\n%s%s%s%s",
	    STORE_SECTION, store_keys[K_ID], s->id, store_keys[K_UUID],
	    s->uuid, store_keys[K_SALT], s->salt, store_keys[K_SIGN_SK], sk64,
	    s->has_h1 ? store_keys[K_PASSWORD_H1] : "",
	    s->has_h1 ? " = " : "", s->has_h1 ? h164 : "",
	    s->has_h1 ? "\n" : "");
	sodium_memzero(sk64, sizeof sk64);
	sodium_memzero(h164, sizeof h164);
	if (n < 0 || (size_t)n >= cap)
		fatal("store: state text too long");
	r = cfg_write_atomic(s->path, text, (size_t)n, 0600, no_replace, cause);
	sodium_free(text);
	return r;
}

/* Fill s with a new ID, uuid, salt and key pair. */
static void
store_generate(struct store *s)
{
	uint8_t u[16];

	snprintf(s->id, sizeof s->id, "%u",
	    100000000u + randombytes_uniform(900000000u));
	randombytes_buf(u, sizeof u);
	u[6] = (u[6] & 0x0f) | 0x40;	/* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	snprintf(s->uuid, sizeof s->uuid, "%02x%02x%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
	    u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
	    u[13], u[14], u[15]);
	pass_random(s->salt, PASS_SALT_LEN, 0);
	crypto_sign_keypair(s->pk, s->sk);
	s->has_h1 = 0;
}

/*
 * Read the state file path into a new string in wiped memory (caller
 * sodium_frees). ERR_NOTFOUND (no cause) when it does not exist.
 */
static int
store_read(const char *path, char **out, char **cause)
{
	FILE *f;
	char *buf;
	size_t n;
	int r = 0;

	*out = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return ERR_NOTFOUND;
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return ERR_IO;
	}
	if ((buf = sodium_malloc(STORE_FILE_MAX + 1)) == NULL)
		fatal("store: sodium_malloc failed");
	n = fread(buf, 1, STORE_FILE_MAX + 1, f);
	if (ferror(f)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		r = ERR_IO;
	} else if (n > STORE_FILE_MAX) {
		xasprintf(cause, "%s: file too large", path);
		r = ERR_CONFIG;
	} else if (memchr(buf, '\0', n) != NULL) {
		xasprintf(cause, "%s: contains a NUL byte", path);
		r = ERR_CONFIG;
	}
	fclose(f);
	if (r != 0) {
		sodium_free(buf);
		return r;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* Load the state from path into a new store. */
static int
store_load(struct store **out, const char *path, char **cause)
{
	char *text;
	int r;

	*out = NULL;
	if ((r = store_read(path, &text, cause)) != 0)
		return r;
	r = store_parse_string(out, text, path, cause);
	sodium_free(text);
	if (r == 0)
		(*out)->path = xstrdup(path);
	return r;
}

/* Open (or create once) the state in dir. */
int
store_open(struct store **out, const char *dir, char **cause)
{
	struct store *s;
	char *path;
	int r;

	*out = NULL;
	*cause = NULL;
	if (sodium_init() < 0) {
		*cause = xstrdup("libsodium failed to start");
		return ERR_CRYPTO;
	}
	xasprintf(&path, "%s/%s", dir, STORE_FILE);
	if ((r = store_load(out, path, cause)) != ERR_NOTFOUND) {
		free(path);
		return r;
	}
	if ((r = cfg_mkdirs(dir, 0700, cause)) != 0) {
		free(path);
		return r;
	}
	s = store_alloc();
	s->path = path;
	store_generate(s);
	r = store_save(s, 1, cause);
	if (r == ERR_STATE) {
		/* Another process made it first: use that one. */
		free(*cause);
		*cause = NULL;
		store_free(s);
		xasprintf(&path, "%s/%s", dir, STORE_FILE);
		r = store_load(out, path, cause);
		free(path);
		return r;
	}
	if (r != 0) {
		store_free(s);
		return r;
	}
	*out = s;
	return 0;
}

/* Re-read the state file into s; see store.h. */
int
store_reload(struct store *s, char **cause)
{
	struct store *n;
	int r;

	*cause = NULL;
	if (s->path == NULL) {
		*cause = xstrdup("state was not read from a file");
		return ERR_INVAL;
	}
	if ((r = store_load(&n, s->path, cause)) != 0) {
		if (r == ERR_NOTFOUND)
			xasprintf(cause, "%s: %s", s->path, strerror(ENOENT));
		return r;
	}
	/* Copy into s's own buffers so pointers handed out stay valid. */
	memcpy(s->id, n->id, sizeof s->id);
	memcpy(s->uuid, n->uuid, sizeof s->uuid);
	memcpy(s->salt, n->salt, sizeof s->salt);
	memcpy(s->pk, n->pk, sizeof s->pk);
	memcpy(s->sk, n->sk, crypto_sign_SECRETKEYBYTES);
	memcpy(s->h1, n->h1, PASS_HASH_LEN);
	s->has_h1 = n->has_h1;
	store_free(n);	/* wipes n's copies */
	return 0;
}

/* Return the ID. */
const char *
store_id(const struct store *s)
{
	return s->id;
}

/* Return the uuid text. */
const char *
store_uuid(const struct store *s)
{
	return s->uuid;
}

/* Return the salt. */
const char *
store_salt(const struct store *s)
{
	return s->salt;
}

/* Return the 32-byte public key. */
const uint8_t *
store_sign_pk(const struct store *s)
{
	return s->pk;
}

/* Return the 64-byte secret key. */
const uint8_t *
store_sign_sk(const struct store *s)
{
	return s->sk;
}

/* Return h1 of the permanent password, or NULL. */
const uint8_t *
store_password_h1(const struct store *s)
{
	return s->has_h1 ? s->h1 : NULL;
}

/* Return the number of UTF-8 characters in s. */
static size_t
utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Set or remove the permanent password and save. */
int
store_set_password(struct store *s, const char *password, char **cause)
{
	uint8_t *old;
	int old_has, r;

	*cause = NULL;
	if (password != NULL && *password != '\0') {
		if (utf8_len(password) < STORE_PW_MIN) {
			xasprintf(cause, "the password must have at least %d "
			    "characters", STORE_PW_MIN);
			return ERR_INVAL;
		}
		if (strlen(password) > STORE_PW_MAX) {
			xasprintf(cause, "the password must have at most %d "
			    "bytes", STORE_PW_MAX);
			return ERR_INVAL;
		}
	}
	/* Keep the old h1 so a failed save changes nothing. */
	old = s->h1;
	old_has = s->has_h1;
	if ((s->h1 = sodium_malloc(PASS_HASH_LEN)) == NULL)
		fatal("store: sodium_malloc failed");
	if (password != NULL && *password != '\0') {
		pass_h1(password, s->salt, s->h1);
		s->has_h1 = 1;
	} else {
		sodium_memzero(s->h1, PASS_HASH_LEN);
		s->has_h1 = 0;
	}
	if ((r = store_save(s, 0, cause)) != 0) {
		sodium_free(s->h1);
		s->h1 = old;
		s->has_h1 = old_has;
		return r;
	}
	sodium_free(old);
	return 0;
}

/* Change the ID and save. */
int
store_set_id(struct store *s, const char *id, char **cause)
{
	char old[sizeof s->id], *esc;
	int r;

	*cause = NULL;
	if (id == NULL || !id_ok(id)) {
		esc = log_escape(id != NULL ? id : "", 64);
		xasprintf(cause, "'%s' is not a valid ID (6-16 characters of "
		    "A-Z a-z 0-9 _ -, starting with a letter, or all digits)",
		    esc);
		free(esc);
		return ERR_INVAL;
	}
	memcpy(old, s->id, sizeof old);
	snprintf(s->id, sizeof s->id, "%s", id);
	if ((r = store_save(s, 0, cause)) != 0)
		memcpy(s->id, old, sizeof old);
	return r;
}
