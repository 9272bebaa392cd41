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
 *	totp = <base32 of the 2FA secret; absent while 2FA is off>
 *	totp_pending = <base32 of a secret drawn, not yet confirmed>
 *	trusted_device = <H(hwid)> <Unix ms> <H(id NUL name NUL platform)>
 *	trusted_shown = <key> <B(id)> <B(name)> <B(platform)>
 *
 * where H is SHA-256 and B the bytes themselves (cut to what
 * struct store_trusted_info holds, "-" when empty), both in unpadded
 * URL-safe base64; trusted_device may come up to STORE_TRUSTED_MAX times
 * (HOST.md §4.6), each followed by its trusted_shown (key: the start of
 * its H(hwid), store_trusted_key). The shown fields are what the host's
 * user picks a device to forget by, as in upstream's list; they sit on a
 * line of their own because inih reads lines of at most 200 bytes. A
 * device without one (an older file) matches as before and is listed
 * without a name.
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
#include "common/totp.h"
#include "common/xmalloc.h"

#define STORE_FILE	"state"
#define STORE_SECTION	"state"
#define STORE_FILE_MAX	16384
#define STORE_ID_MAX	16
#define STORE_UUID_LEN	36
#define STORE_SALT_MIN	6
#define STORE_SALT_MAX	64
#define STORE_PW_MAX	128	/* bytes of a permanent password */
#define STORE_PW_MIN	6	/* characters of a permanent password */
#define STORE_SAVE_MAX	12288	/* bytes of the text we write */
#define STORE_TRUSTED_MS (90LL * 24 * 3600 * 1000)	/* as upstream */

/* A device that passed 2FA and asked to be trusted. */
struct store_trusted {
	uint8_t	 hwid[crypto_hash_sha256_BYTES];	/* H(hwid) */
	uint8_t	 who[crypto_hash_sha256_BYTES];	/* H(id, name, platform) */
	int64_t	 time_ms;			/* when, Unix ms */
	/* What the user is shown (matching uses the hashes). */
	char	 id[sizeof ((struct store_trusted_info *)0)->id];
	char	 name[sizeof ((struct store_trusted_info *)0)->name];
	char	 platform[sizeof ((struct store_trusted_info *)0)->platform];
};

struct store {
	char	*path;			/* state file, or NULL (owned) */
	char	 id[STORE_ID_MAX + 1];
	char	 uuid[STORE_UUID_LEN + 1];
	char	 salt[STORE_SALT_MAX + 1];
	uint8_t	 pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t	*sk;			/* sodium_malloc, 64 bytes (owned) */
	uint8_t	*h1;			/* sodium_malloc, 32 bytes (owned) */
	int	 has_h1;
	uint8_t	*totp;			/* sodium_malloc, TOTP_SECRET_MAX */
	size_t	 totp_len;		/* 0: 2FA off */
	uint8_t	*pending;		/* sodium_malloc, TOTP_SECRET_MAX */
	size_t	 pending_len;		/* 0: none drawn */
	struct store_trusted trusted[STORE_TRUSTED_MAX];
	size_t	 ntrusted;
};

/* Keys of the state file, in the order they are written. */
enum store_key {
	K_ID, K_UUID, K_SALT, K_SIGN_SK, K_PASSWORD_H1, K_TOTP, K_TOTP_PENDING,
	K_TRUSTED, K_TRUSTED_SHOWN, K_COUNT
};
static const char *const store_keys[K_COUNT] = {
	"id", "uuid", "salt", "sign_sk", "password_h1", "totp", "totp_pending",
	"trusted_device", "trusted_shown"
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
	s->totp = sodium_malloc(TOTP_SECRET_MAX);
	s->pending = sodium_malloc(TOTP_SECRET_MAX);
	if (s->sk == NULL || s->h1 == NULL || s->totp == NULL ||
	    s->pending == NULL)
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
	sodium_free(s->totp);
	sodium_free(s->pending);
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

/* Parse a 2FA secret (base32) into the enabled or the pending slot. */
static int
store_parse_totp(struct store_parse *sp, const char *name, const char *value,
    int enabled)
{
	struct store *s = sp->s;
	uint8_t *to = enabled ? s->totp : s->pending;
	int n;

	if (*value == '\0')
		return 1;
	n = totp_b32_decode(value, to, TOTP_SECRET_MAX);
	if (n < 10)
		return store_fail(sp, name, "not base32 of a secret of "
		    "10-64 bytes");
	if (enabled)
		s->totp_len = (size_t)n;
	else
		s->pending_len = (size_t)n;
	return 1;
}

/* Decode unpadded URL-safe base64 of a SHA-256 into out; 0 or -1. */
static int
b64_hash(const char *value, size_t len, uint8_t *out)
{
	const char *end;
	size_t n;

	if (sodium_base642bin(out, crypto_hash_sha256_BYTES, value, len, NULL,
	    &n, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != crypto_hash_sha256_BYTES || end != value + len)
		return -1;
	return 0;
}

/*
 * Decodes one shown field of a trusted_shown line (len bytes at b64; "-"
 * is empty) into out (size bytes, NUL-terminated, no NUL inside). -1 if
 * it is not base64 of at most size - 1 bytes.
 */
static int
b64_text(const char *b64, size_t len, char *out, size_t size)
{
	const char *end;
	size_t n;

	out[0] = '\0';
	if (len == 1 && *b64 == '-')
		return 0;
	if (sodium_base642bin((unsigned char *)out, size - 1, b64, len, NULL,
	    &n, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != b64 + len || memchr(out, '\0', n) != NULL)
		return -1;
	out[n] = '\0';
	return 0;
}

static void	store_trusted_key(const struct store_trusted *, char *,
		    size_t);

/* Parse one trusted_shown line: "key B(id) B(name) B(platform)". */
static int
store_parse_shown(struct store_parse *sp, const char *name, const char *v)
{
	struct store *s = sp->s;
	struct store_trusted *t = NULL;
	char key[STORE_TRUSTED_KEY_LEN + 1];
	const char *a, *b, *c;
	size_t i;

	if ((a = strchr(v, ' ')) == NULL || (b = strchr(a + 1, ' ')) == NULL ||
	    (c = strchr(b + 1, ' ')) == NULL || strchr(c + 1, ' ') != NULL)
		return store_fail(sp, name, "expected 'KEY ID NAME PLATFORM'");
	for (i = 0; i < s->ntrusted && t == NULL; i++) {
		store_trusted_key(&s->trusted[i], key, sizeof key);
		if ((size_t)(a - v) == strlen(key) &&
		    memcmp(v, key, strlen(key)) == 0)
			t = &s->trusted[i];
	}
	if (t == NULL)
		return store_fail(sp, name, "no trusted_device before it "
		    "has that key");
	if (b64_text(a + 1, (size_t)(b - a - 1), t->id, sizeof t->id) != 0 ||
	    b64_text(b + 1, (size_t)(c - b - 1), t->name, sizeof t->name) != 0 ||
	    b64_text(c + 1, strlen(c + 1), t->platform,
	    sizeof t->platform) != 0)
		return store_fail(sp, name, "expected 'KEY ID NAME PLATFORM' "
		    "in base64");
	return 1;
}

/* Parse one trusted_device line: "H(hwid) ms H(who)". */
static int
store_parse_trusted(struct store_parse *sp, const char *name,
    const char *value)
{
	struct store *s = sp->s;
	struct store_trusted *t;
	const char *sp1, *sp2;
	char *end;
	long long ms;

	if (s->ntrusted == STORE_TRUSTED_MAX)
		return store_fail(sp, name, "more trusted devices than the "
		    "limit");
	t = &s->trusted[s->ntrusted];
	memset(t, 0, sizeof *t);
	if ((sp1 = strchr(value, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL)
		return store_fail(sp, name, "expected 'HASH TIME HASH'");
	ms = strtoll(sp1 + 1, &end, 10);
	if (end != sp2 || ms < 0 ||
	    b64_hash(value, (size_t)(sp1 - value), t->hwid) != 0 ||
	    b64_hash(sp2 + 1, strlen(sp2 + 1), t->who) != 0)
		return store_fail(sp, name, "expected 'HASH TIME HASH'");
	t->time_ms = ms;
	s->ntrusted++;
	return 1;
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
	if (sp->seen[k] && k != K_TRUSTED && k != K_TRUSTED_SHOWN)
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
	case K_TOTP:
	case K_TOTP_PENDING:
		return store_parse_totp(sp, name, value, k == K_TOTP);
	case K_TRUSTED:
		return store_parse_trusted(sp, name, value);
	case K_TRUSTED_SHOWN:
		return store_parse_shown(sp, name, value);
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
			if (!sp.seen[k] && k < K_PASSWORD_H1) {
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

/* Append "key = value\n" to text (cap STORE_SAVE_MAX) at *n. */
static void
store_put(char *text, size_t *n, const char *key, const char *value)
{
	int w;

	w = snprintf(text + *n, STORE_SAVE_MAX - *n, "%s = %s\n", key, value);
	if (w < 0 || (size_t)w >= STORE_SAVE_MAX - *n)
		fatal("store: state text too long");
	*n += (size_t)w;
}

/* Put "key B(id) B(name) B(platform)" of t in line (size bytes). */
static void
store_put_shown(char *line, size_t size, const struct store_trusted *t)
{
	const char *f[3] = { t->id, t->name, t->platform };
	char b[sodium_base64_ENCODED_LEN(sizeof t->name,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	size_t i, n;

	store_trusted_key(t, line, size);
	for (i = 0; i < 3; i++) {
		if (*f[i] == '\0')
			snprintf(b, sizeof b, "-");
		else
			sodium_bin2base64(b, sizeof b,
			    (const unsigned char *)f[i], strlen(f[i]),
			    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		n = strlen(line);
		snprintf(line + n, size - n, " %s", b);
	}
}

/* Append the 2FA secrets and the trusted devices to text at *n. */
static void
store_put_totp(const struct store *s, char *text, size_t *n)
{
	char b32[TOTP_B32_MAX + 1], line[400];
	char h1[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING)], h2[sizeof h1];
	size_t i;

	if (s->totp_len > 0) {
		totp_b32_encode(s->totp, s->totp_len, b32, sizeof b32);
		store_put(text, n, store_keys[K_TOTP], b32);
	}
	if (s->pending_len > 0) {
		totp_b32_encode(s->pending, s->pending_len, b32, sizeof b32);
		store_put(text, n, store_keys[K_TOTP_PENDING], b32);
	}
	sodium_memzero(b32, sizeof b32);
	for (i = 0; i < s->ntrusted; i++) {
		sodium_bin2base64(h1, sizeof h1, s->trusted[i].hwid,
		    crypto_hash_sha256_BYTES,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		sodium_bin2base64(h2, sizeof h2, s->trusted[i].who,
		    crypto_hash_sha256_BYTES,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		snprintf(line, sizeof line, "%s %lld %s", h1,
		    (long long)s->trusted[i].time_ms, h2);
		store_put(text, n, store_keys[K_TRUSTED], line);
		store_put_shown(line, sizeof line, &s->trusted[i]);
		store_put(text, n, store_keys[K_TRUSTED_SHOWN], line);
	}
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
	size_t n = 0;
	int r;

	*cause = NULL;
	if (s->path == NULL) {
		*cause = xstrdup("state was not read from a file");
		return ERR_INVAL;
	}
	/* The text holds the secret key: keep it in wiped memory. */
	if ((text = sodium_malloc(STORE_SAVE_MAX)) == NULL)
		fatal("store: sodium_malloc failed");
	sodium_bin2base64(sk64, sizeof sk64, s->sk, crypto_sign_SECRETKEYBYTES,
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(h164, sizeof h164, s->h1, PASS_HASH_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	n = (size_t)snprintf(text, STORE_SAVE_MAX, "# cdesk state: written "
	    "by cdesk; keep it private (mode 0600).\n[%s]\n", STORE_SECTION);
	store_put(text, &n, store_keys[K_ID], s->id);
	store_put(text, &n, store_keys[K_UUID], s->uuid);
	store_put(text, &n, store_keys[K_SALT], s->salt);
	store_put(text, &n, store_keys[K_SIGN_SK], sk64);
	if (s->has_h1)
		store_put(text, &n, store_keys[K_PASSWORD_H1], h164);
	store_put_totp(s, text, &n);
	sodium_memzero(sk64, sizeof sk64);
	sodium_memzero(h164, sizeof h164);
	r = cfg_write_atomic(s->path, text, n, 0600, no_replace, cause);
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
	memcpy(s->totp, n->totp, TOTP_SECRET_MAX);
	s->totp_len = n->totp_len;
	memcpy(s->pending, n->pending, TOTP_SECRET_MAX);
	s->pending_len = n->pending_len;
	memcpy(s->trusted, n->trusted, sizeof s->trusted);
	s->ntrusted = n->ntrusted;
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
	size_t old_ntrusted = s->ntrusted;
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
	/* A new password forgets the trusted devices, as upstream. */
	s->ntrusted = 0;
	if ((r = store_save(s, 0, cause)) != 0) {
		sodium_free(s->h1);
		s->h1 = old;
		s->has_h1 = old_has;
		s->ntrusted = old_ntrusted;
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

/* Return the 2FA secret, or NULL while 2FA is off. */
const uint8_t *
store_totp(const struct store *s, size_t *len)
{
	*len = s->totp_len;
	return s->totp_len > 0 ? s->totp : NULL;
}

/* Return the secret waiting for its first code, or NULL. */
const uint8_t *
store_totp_pending(const struct store *s, size_t *len)
{
	*len = s->pending_len;
	return s->pending_len > 0 ? s->pending : NULL;
}

/*
 * Save s after a 2FA change; on failure put back the old enabled and
 * pending secrets and trusted devices from the copy in old.
 */
static int
store_save_totp(struct store *s, struct store *old, char **cause)
{
	int r;

	if ((r = store_save(s, 0, cause)) != 0) {
		memcpy(s->totp, old->totp, TOTP_SECRET_MAX);
		s->totp_len = old->totp_len;
		memcpy(s->pending, old->pending, TOTP_SECRET_MAX);
		s->pending_len = old->pending_len;
		memcpy(s->trusted, old->trusted, sizeof s->trusted);
		s->ntrusted = old->ntrusted;
	}
	store_free(old);
	return r;
}

/* A copy of s's 2FA state (wiped memory), for store_save_totp. */
static struct store *
store_totp_copy(const struct store *s)
{
	struct store *old = store_alloc();

	memcpy(old->totp, s->totp, TOTP_SECRET_MAX);
	old->totp_len = s->totp_len;
	memcpy(old->pending, s->pending, TOTP_SECRET_MAX);
	old->pending_len = s->pending_len;
	memcpy(old->trusted, s->trusted, sizeof s->trusted);
	old->ntrusted = s->ntrusted;
	return old;
}

/* Draw a new pending secret and save. */
int
store_totp_setup(struct store *s, char **cause)
{
	struct store *old = store_totp_copy(s);

	*cause = NULL;
	totp_generate(s->pending);
	s->pending_len = TOTP_SECRET_LEN;
	return store_save_totp(s, old, cause);
}

/* Enable 2FA with the pending secret once code is right. */
int
store_totp_enable(struct store *s, const char *code, int64_t now,
    char **cause)
{
	struct store *old;

	*cause = NULL;
	if (s->pending_len == 0) {
		*cause = xstrdup("no secret to confirm: set up 2FA first");
		return ERR_STATE;
	}
	if (!totp_check(s->pending, s->pending_len, code, now)) {
		*cause = xstrdup("wrong code: check the code and that the "
		    "clocks of this computer and of the authenticator are "
		    "right");
		return ERR_DENIED;
	}
	old = store_totp_copy(s);
	memcpy(s->totp, s->pending, TOTP_SECRET_MAX);
	s->totp_len = s->pending_len;
	sodium_memzero(s->pending, TOTP_SECRET_MAX);
	s->pending_len = 0;
	s->ntrusted = 0;
	return store_save_totp(s, old, cause);
}

/* Turn 2FA off: no secret, none pending, no trusted device. */
int
store_totp_disable(struct store *s, char **cause)
{
	struct store *old = store_totp_copy(s);

	*cause = NULL;
	sodium_memzero(s->totp, TOTP_SECRET_MAX);
	sodium_memzero(s->pending, TOTP_SECRET_MAX);
	s->totp_len = s->pending_len = 0;
	s->ntrusted = 0;
	return store_save_totp(s, old, cause);
}

/* H(hwid) and H(id NUL name NUL platform) of a device. */
static void
store_trusted_hash(const uint8_t *hwid, size_t n, const char *id,
    const char *name, const char *platform, struct store_trusted *t)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256(t->hwid, hwid, n);
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)id, strlen(id) + 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)name,
	    strlen(name) + 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)platform,
	    strlen(platform));
	crypto_hash_sha256_final(&st, t->who);
}

/* 1 if a trusted device younger than 90 days matches all four. */
int
store_trusted_match(const struct store *s, const uint8_t *hwid, size_t n,
    const char *id, const char *name, const char *platform, int64_t now_ms)
{
	struct store_trusted want;
	size_t i;
	int ok = 0;

	if (n == 0)
		return 0;
	store_trusted_hash(hwid, n, id, name, platform, &want);
	for (i = 0; i < s->ntrusted; i++) {
		if (s->trusted[i].time_ms + STORE_TRUSTED_MS < now_ms)
			continue;
		if (sodium_memcmp(s->trusted[i].hwid, want.hwid,
		    sizeof want.hwid) == 0 && sodium_memcmp(s->trusted[i].who,
		    want.who, sizeof want.who) == 0)
			ok = 1;
	}
	return ok;
}

/* Copies src into dst (size bytes), cut at a UTF-8 character boundary. */
static void
store_cut(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Remember a device; the same hwid replaces its entry, the oldest goes. */
int
store_trusted_add(struct store *s, const uint8_t *hwid, size_t n,
    const char *id, const char *name, const char *platform, int64_t now_ms,
    char **cause)
{
	struct store *old;
	struct store_trusted t;
	size_t i, j;

	*cause = NULL;
	if (n == 0) {
		*cause = xstrdup("no device id");
		return ERR_INVAL;
	}
	old = store_totp_copy(s);
	memset(&t, 0, sizeof t);
	store_trusted_hash(hwid, n, id, name, platform, &t);
	t.time_ms = now_ms;
	store_cut(t.id, sizeof t.id, id);
	store_cut(t.name, sizeof t.name, name);
	store_cut(t.platform, sizeof t.platform, platform);
	/* Drop this hwid's old entry and the expired ones. */
	for (i = j = 0; i < s->ntrusted; i++) {
		if (memcmp(s->trusted[i].hwid, t.hwid, sizeof t.hwid) == 0 ||
		    s->trusted[i].time_ms + STORE_TRUSTED_MS < now_ms)
			continue;
		s->trusted[j++] = s->trusted[i];
	}
	s->ntrusted = j;
	if (s->ntrusted == STORE_TRUSTED_MAX) {
		memmove(&s->trusted[0], &s->trusted[1],
		    (STORE_TRUSTED_MAX - 1) * sizeof s->trusted[0]);
		s->ntrusted--;
	}
	s->trusted[s->ntrusted++] = t;
	return store_save_totp(s, old, cause);
}

/* Number of trusted devices younger than 90 days. */
size_t
store_trusted_count(const struct store *s, int64_t now_ms)
{
	size_t i, n = 0;

	for (i = 0; i < s->ntrusted; i++)
		if (s->trusted[i].time_ms + STORE_TRUSTED_MS >= now_ms)
			n++;
	return n;
}

/* The key the user names a device by: the start of its H(hwid). */
static void
store_trusted_key(const struct store_trusted *t, char *key, size_t size)
{
	char b[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	sodium_bin2base64(b, sizeof b, t->hwid, sizeof t->hwid,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(key, size, "%.*s", STORE_TRUSTED_KEY_LEN, b);
}

/* The trusted devices younger than 90 days, oldest first. */
size_t
store_trusted_list(const struct store *s, int64_t now_ms,
    struct store_trusted_info *out, size_t max)
{
	const struct store_trusted *t;
	size_t i, n = 0;

	for (i = 0; i < s->ntrusted && n < max; i++) {
		t = &s->trusted[i];
		if (t->time_ms + STORE_TRUSTED_MS < now_ms)
			continue;
		memset(&out[n], 0, sizeof out[n]);
		store_trusted_key(t, out[n].key, sizeof out[n].key);
		memcpy(out[n].id, t->id, sizeof t->id);
		memcpy(out[n].name, t->name, sizeof t->name);
		memcpy(out[n].platform, t->platform, sizeof t->platform);
		out[n].time_ms = t->time_ms;
		n++;
	}
	return n;
}

/* Forget the devices whose key or peer ID is which, and save. */
int
store_trusted_remove(struct store *s, const char *which, char **cause)
{
	struct store *old;
	char key[STORE_TRUSTED_KEY_LEN + 1];
	size_t i, j;

	*cause = NULL;
	old = store_totp_copy(s);
	for (i = j = 0; i < s->ntrusted; i++) {
		store_trusted_key(&s->trusted[i], key, sizeof key);
		if (*which != '\0' && (strcmp(which, key) == 0 ||
		    strcmp(which, s->trusted[i].id) == 0))
			continue;
		s->trusted[j++] = s->trusted[i];
	}
	if (j == s->ntrusted) {
		store_free(old);
		xasprintf(cause, "no trusted device '%s' (see cdesk --2fa "
		    "trusted)", which);
		return ERR_NOTFOUND;
	}
	s->ntrusted = j;
	return store_save_totp(s, old, cause);
}

/* Forget every trusted device and save. */
int
store_trusted_clear(struct store *s, char **cause)
{
	struct store *old = store_totp_copy(s);

	*cause = NULL;
	s->ntrusted = 0;
	return store_save_totp(s, old, cause);
}
