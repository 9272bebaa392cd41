/* test_store.c: state creation, reload, modes, password, corruption. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/err.h"
#include "common/pass.h"
#include "common/store.h"
#include "common/totp.h"
#include "tests/tst.h"

int main(void);

static char tmpdir[256];

/* Write text to path. */
static void
put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ASSERT_TRUE(f != NULL);
	fputs(text, f);
	fclose(f);
}

/* Return the content of path in a new string. */
static char *
get_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 8192);
	size_t n;

	ASSERT_TRUE(f != NULL);
	n = fread(buf, 1, 8191, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* First open creates; reopening gives the same identity; modes. */
static void
test_create_reopen(void)
{
	struct store *s, *s2;
	char dir[300], path[320], *cause = NULL;
	struct stat st;
	uint8_t msg[3] = { 1, 2, 3 }, sig[crypto_sign_BYTES];
	size_t i;

	snprintf(dir, sizeof dir, "%s/sub/state", tmpdir);
	ASSERT_INT_EQ(store_open(&s, dir, &cause), 0);
	ASSERT_TRUE(cause == NULL);
	ASSERT_INT_EQ(strlen(store_id(s)), 9);
	ASSERT_TRUE(store_id(s)[0] >= '1' && store_id(s)[0] <= '9');
	for (i = 0; i < 9; i++)
		ASSERT_TRUE(store_id(s)[i] >= '0' && store_id(s)[i] <= '9');
	ASSERT_INT_EQ(strlen(store_uuid(s)), 36);
	ASSERT_TRUE(store_uuid(s)[14] == '4');	/* version 4 */
	ASSERT_INT_EQ(strlen(store_salt(s)), PASS_SALT_LEN);
	ASSERT_INT_EQ(strspn(store_salt(s), PASS_ALPHABET), PASS_SALT_LEN);
	ASSERT_TRUE(store_password_h1(s) == NULL);
	/* The key pair works. */
	crypto_sign_detached(sig, NULL, msg, sizeof msg, store_sign_sk(s));
	ASSERT_INT_EQ(crypto_sign_verify_detached(sig, msg, sizeof msg,
	    store_sign_pk(s)), 0);

	snprintf(path, sizeof path, "%s/state", dir);
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 0777, 0600);
	ASSERT_INT_EQ(stat(dir, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 0777, 0700);

	ASSERT_INT_EQ(store_open(&s2, dir, &cause), 0);
	ASSERT_STR_EQ(store_id(s2), store_id(s));
	ASSERT_STR_EQ(store_uuid(s2), store_uuid(s));
	ASSERT_STR_EQ(store_salt(s2), store_salt(s));
	ASSERT_MEM_EQ(store_sign_pk(s2), store_sign_pk(s), 32);
	ASSERT_MEM_EQ(store_sign_sk(s2), store_sign_sk(s), 64);
	store_free(s2);
	store_free(s);
	store_free(NULL);
}

/* Passwords: h1 = SHA256(pw || salt), persisted, removable, no plaintext. */
static void
test_password(void)
{
	struct store *s, *s2;
	char dir[300], path[320], *cause = NULL, *text;
	uint8_t want[32];
	struct stat st;

	snprintf(dir, sizeof dir, "%s/sub/state", tmpdir);
	snprintf(path, sizeof path, "%s/state", dir);
	ASSERT_INT_EQ(store_open(&s, dir, &cause), 0);

	ASSERT_INT_EQ(store_set_password(s, "12345", &cause), ERR_INVAL);
	ASSERT_TRUE(strstr(cause, "at least 6") != NULL);
	free(cause);
	/* Six characters, not six bytes: five two-byte letters are short. */
	ASSERT_INT_EQ(store_set_password(s, "\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9", &cause), ERR_INVAL);
	free(cause);
	ASSERT_TRUE(store_password_h1(s) == NULL);

	ASSERT_INT_EQ(store_set_password(s, "Secret-pw-42", &cause), 0);
	pass_h1("Secret-pw-42", store_salt(s), want);
	ASSERT_TRUE(store_password_h1(s) != NULL);
	ASSERT_MEM_EQ(store_password_h1(s), want, 32);
	{
		/* h1 by hand: SHA256("Secret-pw-42" || salt). */
		char buf[200];
		uint8_t h[32];

		snprintf(buf, sizeof buf, "Secret-pw-42%s", store_salt(s));
		crypto_hash_sha256(h, (const unsigned char *)buf,
		    strlen(buf));
		ASSERT_MEM_EQ(h, want, 32);
	}
	text = get_file(path);
	ASSERT_TRUE(strstr(text, "Secret-pw-42") == NULL);
	ASSERT_TRUE(strstr(text, "password_h1 = ") != NULL);
	free(text);
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 0777, 0600);

	ASSERT_INT_EQ(store_open(&s2, dir, &cause), 0);
	ASSERT_TRUE(store_password_h1(s2) != NULL);
	ASSERT_MEM_EQ(store_password_h1(s2), want, 32);
	ASSERT_STR_EQ(store_id(s2), store_id(s));
	store_free(s2);

	/* Another process removes it; a reload sees that. */
	ASSERT_INT_EQ(store_open(&s2, dir, &cause), 0);
	ASSERT_INT_EQ(store_set_password(s2, "", &cause), 0);
	store_free(s2);
	ASSERT_TRUE(store_password_h1(s) != NULL);
	ASSERT_INT_EQ(store_reload(s, &cause), 0);
	ASSERT_TRUE(store_password_h1(s) == NULL);
	ASSERT_INT_EQ(store_set_password(s, "Secret-pw-42", &cause), 0);

	ASSERT_INT_EQ(store_set_password(s, "", &cause), 0);
	ASSERT_TRUE(store_password_h1(s) == NULL);
	ASSERT_INT_EQ(store_open(&s2, dir, &cause), 0);
	ASSERT_TRUE(store_password_h1(s2) == NULL);
	store_free(s2);
	ASSERT_INT_EQ(store_set_password(s, "another1", &cause), 0);
	ASSERT_INT_EQ(store_set_password(s, NULL, &cause), 0);
	ASSERT_TRUE(store_password_h1(s) == NULL);
	store_free(s);
}

/* store_set_id checks and persists. */
static void
test_set_id(void)
{
	struct store *s, *s2;
	char dir[300], *cause = NULL, old[20];

	snprintf(dir, sizeof dir, "%s/sub/state", tmpdir);
	ASSERT_INT_EQ(store_open(&s, dir, &cause), 0);
	snprintf(old, sizeof old, "%s", store_id(s));
	ASSERT_INT_EQ(store_set_id(s, "1abc", &cause), ERR_INVAL);
	free(cause);
	ASSERT_INT_EQ(store_set_id(s, "1abcdef", &cause), ERR_INVAL);
	free(cause);
	ASSERT_INT_EQ(store_set_id(s, "abc de", &cause), ERR_INVAL);
	free(cause);
	ASSERT_STR_EQ(store_id(s), old);
	ASSERT_INT_EQ(store_set_id(s, "my-host_1", &cause), 0);
	ASSERT_INT_EQ(store_open(&s2, dir, &cause), 0);
	ASSERT_STR_EQ(store_id(s2), "my-host_1");
	store_free(s2);
	ASSERT_INT_EQ(store_set_id(s, old, &cause), 0);
	store_free(s);
}

/* Replace the line starting with key in text by line (NULL drops it). */
static char *
edit_line(const char *text, const char *key, const char *line)
{
	char *out = calloc(1, strlen(text) + 300);
	const char *p = text, *eol;

	while (*p != '\0') {
		eol = strchr(p, '\n');
		if (strncmp(p, key, strlen(key)) == 0) {
			if (line != NULL) {
				strcat(out, line);
				strcat(out, "\n");
			}
		} else
			strncat(out, p, (size_t)(eol - p + 1));
		p = eol + 1;
	}
	return out;
}

/* Corrupt state is an error naming file, line and key; never replaced. */
static void
test_corrupt(void)
{
	static const char *const cases[][3] = {
		{ "id", "id = 12", ":3: key 'id': not a valid ID" },
		{ "uuid", "uuid = xyz", ":4: key 'uuid': not a uuid" },
		{ "salt", "salt = 0000000", ":5: key 'salt': not a salt" },
		{ "sign_sk", "sign_sk = AAAA", ":6: key 'sign_sk': not base64" },
		{ "sign_sk", NULL, "key 'sign_sk' is missing" },
		{ "id", "id = 123456789\nid = 123456789", ":4: key 'id': set "
		    "more than once" },
		{ "uuid", "color = blue", ":4: key 'color': unknown key" },
		{ "uuid", "garbage", ":4: expected" },
	};
	struct store *s, *keep;
	char dir[300], path[320], *cause = NULL, *good, *bad, *after;
	char id[20];
	size_t i;

	snprintf(dir, sizeof dir, "%s/sub/state", tmpdir);
	snprintf(path, sizeof path, "%s/state", dir);
	ASSERT_INT_EQ(store_open(&keep, dir, &cause), 0);
	snprintf(id, sizeof id, "%s", store_id(keep));
	good = get_file(path);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bad = edit_line(good, cases[i][0], cases[i][1]);
		put_file(path, bad);
		ASSERT_INT_EQ(store_open(&s, dir, &cause), ERR_CONFIG);
		ASSERT_TRUE(s == NULL);
		if (strstr(cause, path) == NULL ||
		    strstr(cause, cases[i][2]) == NULL)
			TST_FAIL("case %zu: cause '%s' lacks '%s'", i, cause,
			    cases[i][2]);
		free(cause);
		/* A reload fails the same way and changes nothing. */
		ASSERT_INT_EQ(store_reload(keep, &cause), ERR_CONFIG);
		free(cause);
		ASSERT_STR_EQ(store_id(keep), id);
		after = get_file(path);
		ASSERT_STR_EQ(after, bad);	/* left alone */
		free(after);
		free(bad);
	}
	/* A secret key whose public half does not match. */
	{
		char *p;

		bad = strdup(good);
		p = strstr(bad, "sign_sk = ") + strlen("sign_sk = ") + 50;
		*p = *p == 'A' ? 'B' : 'A';
		put_file(path, bad);
		ASSERT_INT_EQ(store_open(&s, dir, &cause), ERR_CONFIG);
		ASSERT_TRUE(strstr(cause, "key 'sign_sk'") != NULL);
		free(cause);
		free(bad);
	}
	put_file(path, good);
	ASSERT_INT_EQ(store_open(&s, dir, &cause), 0);
	store_free(s);
	ASSERT_INT_EQ(store_reload(keep, &cause), 0);
	ASSERT_STR_EQ(store_id(keep), id);
	store_free(keep);
	free(good);
}

/* Processes that create the state at once all end with the same ID. */
static void
test_race(void)
{
	char dir[300], id[4][20];
	int fds[4][2], i, status;
	pid_t pid[4];
	ssize_t n;

	snprintf(dir, sizeof dir, "%s/race", tmpdir);
	for (i = 0; i < 4; i++) {
		ASSERT_INT_EQ(pipe(fds[i]), 0);
		if ((pid[i] = fork()) == 0) {
			struct store *s;
			char *cause = NULL;

			close(fds[i][0]);
			if (store_open(&s, dir, &cause) != 0)
				_exit(1);
			n = write(fds[i][1], store_id(s), strlen(store_id(s)));
			store_free(s);
			_exit(n > 0 ? 0 : 1);
		}
		ASSERT_TRUE(pid[i] > 0);
		close(fds[i][1]);
	}
	for (i = 0; i < 4; i++) {
		n = read(fds[i][0], id[i], sizeof id[i] - 1);
		ASSERT_TRUE(n > 0);
		id[i][n] = '\0';
		close(fds[i][0]);
		ASSERT_INT_EQ(waitpid(pid[i], &status, 0), pid[i]);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		ASSERT_STR_EQ(id[i], id[0]);
	}
}

/* store_parse_string needs no file, and cannot save. */
static void
test_parse_string(void)
{
	struct store *s;
	char *cause = NULL;

	ASSERT_INT_EQ(store_parse_string(&s, "", "x", &cause), ERR_CONFIG);
	ASSERT_TRUE(strstr(cause, "key 'id' is missing") != NULL);
	free(cause);
	ASSERT_INT_EQ(store_parse_string(&s, "[state]\nid = 123456\n"
	    "uuid = 0f8fad5b-d9cb-469f-a165-70867728950e\n"
	    "salt = abcdef\n"
	    /* the key pair of seed 00 01 02 ... 1f */
	    "sign_sk = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8DoQe/884Qv"
	    "h1w3RjnS8CZZ+TWMJulDV8d3IZkElUxuA==\n", "x", &cause), 0);
	ASSERT_STR_EQ(store_id(s), "123456");
	ASSERT_INT_EQ(store_set_password(s, "abcdefg", &cause), ERR_INVAL);
	free(cause);
	store_free(s);
}

/*
 * 2FA: a drawn secret waits for a right code, is then enabled and kept
 * across a reopen; trusted devices match on all four facts, expire after
 * 90 days, go with a new password and with 2FA off.
 */
static void
test_totp(void)
{
	struct store *s, *s2;
	char dir[300], path[320], *cause = NULL, *text, code[TOTP_DIGITS + 1];
	const uint8_t *sec;
	uint8_t pend[TOTP_SECRET_MAX], hw[32];
	size_t len, plen, i;
	int64_t now = 1700000000, ms = now * 1000LL;
	const int64_t day = 24LL * 3600 * 1000;

	snprintf(dir, sizeof dir, "%s/totp", tmpdir);
	snprintf(path, sizeof path, "%s/state", dir);
	ASSERT_INT_EQ(store_open(&s, dir, &cause), 0);
	ASSERT_TRUE(store_totp(s, &len) == NULL && len == 0);
	ASSERT_INT_EQ(store_totp_enable(s, "123456", now, &cause), ERR_STATE);
	free(cause);
	ASSERT_INT_EQ(store_totp_setup(s, &cause), 0);
	ASSERT_TRUE(store_totp(s, &len) == NULL);
	ASSERT_TRUE((sec = store_totp_pending(s, &plen)) != NULL);
	ASSERT_INT_EQ(plen, TOTP_SECRET_LEN);
	memcpy(pend, sec, plen);
	/* A wrong code changes nothing; the right one enables. */
	totp_code(pend, plen, now + 120, code);
	ASSERT_INT_EQ(store_totp_enable(s, code, now, &cause), ERR_DENIED);
	ASSERT_TRUE(strstr(cause, "wrong code") != NULL);
	free(cause);
	ASSERT_TRUE(store_totp(s, &len) == NULL);
	totp_code(pend, plen, now, code);
	ASSERT_INT_EQ(store_totp_enable(s, code, now, &cause), 0);
	ASSERT_TRUE((sec = store_totp(s, &len)) != NULL);
	ASSERT_INT_EQ(len, TOTP_SECRET_LEN);
	ASSERT_MEM_EQ(sec, pend, len);
	ASSERT_TRUE(store_totp_pending(s, &plen) == NULL);

	/* Trusted devices. */
	memset(hw, 7, sizeof hw);
	ASSERT_INT_EQ(store_trusted_match(s, hw, 32, "1", "n", "Linux", ms),
	    0);
	ASSERT_INT_EQ(store_trusted_add(s, hw, 32, "1", "n", "Linux", ms,
	    &cause), 0);
	ASSERT_INT_EQ(store_trusted_match(s, hw, 32, "1", "n", "Linux", ms),
	    1);
	ASSERT_INT_EQ(store_trusted_match(s, hw, 31, "1", "n", "Linux", ms),
	    0);
	ASSERT_INT_EQ(store_trusted_match(s, hw, 32, "2", "n", "Linux", ms),
	    0);
	ASSERT_INT_EQ(store_trusted_match(s, hw, 32, "1", "m", "Linux", ms),
	    0);
	ASSERT_INT_EQ(store_trusted_match(s, hw, 32, "1", "n", "Windows", ms),
	    0);
	ASSERT_INT_EQ(store_trusted_match(s, hw, 0, "1", "n", "Linux", ms), 0);
	ASSERT_INT_EQ(store_trusted_match(s, hw, 32, "1", "n", "Linux",
	    ms + 89 * day), 1);
	ASSERT_INT_EQ(store_trusted_match(s, hw, 32, "1", "n", "Linux",
	    ms + 91 * day), 0);
	ASSERT_INT_EQ(store_trusted_count(s, ms), 1);

	/* Kept in the file: secret in base32, the hwid as a hash only. */
	text = get_file(path);
	ASSERT_TRUE(strstr(text, "\ntotp = ") != NULL);
	ASSERT_TRUE(strstr(text, "totp_pending") == NULL);
	ASSERT_TRUE(strstr(text, "\ntrusted_device = ") != NULL);
	ASSERT_TRUE(strstr(text, "Linux") == NULL);
	free(text);
	ASSERT_INT_EQ(store_open(&s2, dir, &cause), 0);
	ASSERT_TRUE((sec = store_totp(s2, &len)) != NULL);
	ASSERT_MEM_EQ(sec, pend, len);
	ASSERT_INT_EQ(store_trusted_match(s2, hw, 32, "1", "n", "Linux", ms),
	    1);
	store_free(s2);

	/* At most STORE_TRUSTED_MAX: the oldest goes. */
	for (i = 0; i < STORE_TRUSTED_MAX; i++) {
		hw[0] = (uint8_t)(100 + i);
		ASSERT_INT_EQ(store_trusted_add(s, hw, 32, "1", "n", "Linux",
		    ms + (int64_t)i, &cause), 0);
	}
	ASSERT_INT_EQ(store_trusted_count(s, ms), STORE_TRUSTED_MAX);
	hw[0] = 7;
	ASSERT_INT_EQ(store_trusted_match(s, hw, 32, "1", "n", "Linux", ms),
	    0);
	ASSERT_INT_EQ(store_reload(s, &cause), 0);
	ASSERT_INT_EQ(store_trusted_count(s, ms), STORE_TRUSTED_MAX);

	/* A new permanent password forgets them; disabling clears all. */
	ASSERT_INT_EQ(store_set_password(s, "Secret-42", &cause), 0);
	ASSERT_INT_EQ(store_trusted_count(s, ms), 0);
	ASSERT_INT_EQ(store_trusted_add(s, hw, 32, "1", "n", "Linux", ms,
	    &cause), 0);
	ASSERT_INT_EQ(store_totp_setup(s, &cause), 0);
	ASSERT_TRUE(store_totp(s, &len) != NULL);	/* still on */
	ASSERT_INT_EQ(store_totp_disable(s, &cause), 0);
	ASSERT_TRUE(store_totp(s, &len) == NULL);
	ASSERT_TRUE(store_totp_pending(s, &plen) == NULL);
	ASSERT_INT_EQ(store_trusted_count(s, ms), 0);
	ASSERT_INT_EQ(store_reload(s, &cause), 0);
	ASSERT_TRUE(store_totp(s, &len) == NULL);
	store_free(s);

	/* Bad values are refused with the key's name. */
	ASSERT_INT_EQ(store_parse_string(&s, "[state]\nid = 123456789\n"
	    "uuid = 0f8fad5b-d9cb-469f-a165-70867728950e\n"
	    "salt = 23456789abcdefgh\ntotp = 1NOTBASE32\n", "t", &cause),
	    ERR_CONFIG);
	ASSERT_TRUE(strstr(cause, "key 'totp'") != NULL);
	free(cause);
	ASSERT_INT_EQ(store_parse_string(&s, "[state]\ntrusted_device = a b c"
	    "\n", "t", &cause), ERR_CONFIG);
	ASSERT_TRUE(strstr(cause, "key 'trusted_device'") != NULL);
	free(cause);
}

/*
 * The list the host's user sees (upstream's trusted devices dialog): id,
 * name, platform and time, kept across a reopen; one removed by its key or
 * by its peer ID, the others kept; a line of an older file (hashes only)
 * still matches and lists without a name.
 */
static void
test_trusted_list(void)
{
	struct store *s;
	struct store_trusted_info l[STORE_TRUSTED_MAX];
	char dir[300], *cause = NULL, name[200];
	uint8_t hw[32];
	int64_t ms = 1700000000000LL;

	snprintf(dir, sizeof dir, "%s/trusted", tmpdir);
	ASSERT_INT_EQ(store_open(&s, dir, &cause), 0);
	memset(hw, 1, sizeof hw);
	ASSERT_INT_EQ(store_trusted_add(s, hw, 32, "123456789", "Ann B",
	    "Windows", ms, &cause), 0);
	hw[0] = 2;
	/* A long name is cut at a character, not inside one. */
	memset(name, 'x', sizeof name);
	memcpy(name + 63, "\xc3\xa9", 2);
	name[199] = '\0';
	ASSERT_INT_EQ(store_trusted_add(s, hw, 32, "987654321", name,
	    "Linux", ms + 5, &cause), 0);
	hw[0] = 3;
	ASSERT_INT_EQ(store_trusted_add(s, hw, 32, "555", "", "Mac OS",
	    ms + 9, &cause), 0);
	ASSERT_INT_EQ(store_reload(s, &cause), 0);
	ASSERT_INT_EQ(store_trusted_list(s, ms, l, STORE_TRUSTED_MAX), 3);
	ASSERT_STR_EQ(l[0].id, "123456789");
	ASSERT_STR_EQ(l[0].name, "Ann B");
	ASSERT_STR_EQ(l[0].platform, "Windows");
	ASSERT_INT_EQ(l[0].time_ms, ms);
	ASSERT_INT_EQ(strlen(l[0].key), STORE_TRUSTED_KEY_LEN);
	ASSERT_INT_EQ(strlen(l[1].name), 63);
	ASSERT_STR_EQ(l[2].name, "");
	ASSERT_STR_EQ(l[2].platform, "Mac OS");
	/* By key, by peer ID; an unknown one changes nothing. */
	ASSERT_INT_EQ(store_trusted_remove(s, l[1].key, &cause), 0);
	ASSERT_INT_EQ(store_trusted_remove(s, "555", &cause), 0);
	ASSERT_INT_EQ(store_trusted_remove(s, "555", &cause), ERR_NOTFOUND);
	ASSERT_TRUE(strstr(cause, "555") != NULL);
	free(cause);
	ASSERT_INT_EQ(store_reload(s, &cause), 0);
	ASSERT_INT_EQ(store_trusted_list(s, ms, l, STORE_TRUSTED_MAX), 1);
	ASSERT_STR_EQ(l[0].id, "123456789");
	hw[0] = 1;
	ASSERT_INT_EQ(store_trusted_match(s, hw, 32, "123456789", "Ann B",
	    "Windows", ms), 1);
	store_free(s);
	/* An older line: hashes only. */
	ASSERT_INT_EQ(store_parse_string(&s, "[state]\nid = 123456789\n"
	    "uuid = 0f8fad5b-d9cb-469f-a165-70867728950e\n"
	    "salt = 23456789abcdefgh\n"
	    "sign_sk = AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8DoQe/884Qv"
	    "h1w3RjnS8CZZ+TWMJulDV8d3IZkElUxuA==\ntrusted_device = "
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 1700000000000 "
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "t", &cause), 0);
	ASSERT_INT_EQ(store_trusted_list(s, ms, l, STORE_TRUSTED_MAX), 1);
	ASSERT_STR_EQ(l[0].id, "");
	ASSERT_STR_EQ(l[0].key, "AAAAAAAAAAAA");
	store_free(s);
	/* Shown fields that are not base64, or of no device, are refused. */
	ASSERT_INT_EQ(store_parse_string(&s, "[state]\ntrusted_device = "
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 1 "
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "trusted_shown = AAAAAAAAAAAA !! - -\n", "t", &cause), ERR_CONFIG);
	ASSERT_TRUE(strstr(cause, "trusted_shown") != NULL);
	free(cause);
	ASSERT_INT_EQ(store_parse_string(&s, "[state]\n"
	    "trusted_shown = AAAAAAAAAAAA MTIz - -\n", "t", &cause),
	    ERR_CONFIG);
	free(cause);
}

/* Run every store test in a temporary folder. */
int
main(void)
{
	const char *base = getenv("WORK") != NULL ? getenv("WORK") : "/tmp";
	char cmd[400];

	snprintf(tmpdir, sizeof tmpdir, "%s/test_store.XXXXXX", base);
	ASSERT_TRUE(mkdtemp(tmpdir) != NULL);
	TST_RUN(test_create_reopen);
	TST_RUN(test_password);
	TST_RUN(test_set_id);
	TST_RUN(test_corrupt);
	TST_RUN(test_race);
	TST_RUN(test_parse_string);
	TST_RUN(test_totp);
	TST_RUN(test_trusted_list);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : 1;
}
