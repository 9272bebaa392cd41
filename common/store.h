/*
 * store.h: the host's state: ID, Ed25519 key pair, uuid, salt, the
 * permanent password's h1, the 2FA secret and the trusted devices. One
 * file, <state_dir>/state, mode 0600, written to a temporary name,
 * fsynced and renamed. No plaintext password is ever stored; the secret
 * key, h1 and the 2FA secrets live in sodium_malloc memory.
 */
#ifndef CDESK_STORE_H
#define CDESK_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/*
 * Opens the state in dir, creating dir (0700, parents 0755) and the state
 * on first use: a random 9-digit ID, a key pair, a random (v4) uuid and a
 * 32-character salt, made once and kept (if two processes race, both end
 * with the first one written). A state file that does not parse is an
 * error (ERR_CONFIG, *cause "FILE:LINE: key 'KEY': what is wrong"), never
 * silently replaced. Returns 0 or ERR_* with *cause (caller frees).
 */
int		 store_open(struct store **out, const char *dir, char **cause);
/* Frees s and wipes its secrets; NULL does nothing. */
void		 store_free(struct store *);
/*
 * Re-reads the state file (e.g. after `cdesk --password` changed it while
 * a server runs). On error s is unchanged. Pointers from the getters stay
 * valid (their contents change; store_password_h1 may turn NULL or
 * non-NULL). Returns 0 or ERR_* with *cause (caller frees).
 */
int		 store_reload(struct store *, char **cause);
/*
 * For tests and fuzzing: parses state text (named name in messages) into
 * a new store that has no file (store_set_* then fail with ERR_INVAL).
 * Same rules and errors as store_open.
 */
int		 store_parse_string(struct store **out, const char *text,
		    const char *name, char **cause);

/*
 * Getters: every result is borrowed, valid until s is freed; contents
 * change with store_set_* and store_reload.
 */
/* The ID: 9 digits as made here, or what store_set_id set. */
const char	*store_id(const struct store *);
const char	*store_uuid(const struct store *);	/* 36-char v4 text */
const char	*store_salt(const struct store *);	/* PASS_ALPHABET */
const uint8_t	*store_sign_pk(const struct store *);	/* 32 bytes */
const uint8_t	*store_sign_sk(const struct store *);	/* 64 bytes */
/* h1 of the permanent password (32 bytes), or NULL when none is set. */
const uint8_t	*store_password_h1(const struct store *);

/*
 * Sets the permanent password (h1 = SHA256(password || salt), PROTOCOL.md
 * 3.5) and saves; "" or NULL removes it. Refuses (ERR_INVAL) passwords
 * shorter than 6 characters or longer than 128 bytes. On any error s is
 * unchanged. Returns 0 or ERR_* with *cause (caller frees).
 */
int		 store_set_password(struct store *, const char *password,
		    char **cause);
/* Changes the ID (6-16 characters, [A-Za-z0-9_-], starting with a letter
 * or all digits) and saves. Returns 0 or ERR_* with *cause; on error s is
 * unchanged. */
int		 store_set_id(struct store *, const char *id, char **cause);

/*
 * Two-factor authentication (HOST.md §4.6). The enabled secret, and one
 * drawn by store_totp_setup that waits for a right code: borrowed, *len
 * set; NULL (and *len 0) when there is none.
 */
const uint8_t	*store_totp(const struct store *, size_t *len);
const uint8_t	*store_totp_pending(const struct store *, size_t *len);
/* Draws a new pending secret (the enabled one stays) and saves. */
int		 store_totp_setup(struct store *, char **cause);
/*
 * Enables 2FA with the pending secret if code is right at Unix time now
 * (ERR_DENIED otherwise, ERR_STATE when nothing is pending); forgets the
 * trusted devices. 0 or ERR_* with *cause.
 */
int		 store_totp_enable(struct store *, const char *code,
		    int64_t now, char **cause);
/* Turns 2FA off and forgets the trusted devices. 0 or ERR_* with *cause. */
int		 store_totp_disable(struct store *, char **cause);

#define STORE_TRUSTED_MAX	16	/* the oldest goes beyond this */
/*
 * Trusted devices: a device that passed 2FA with LoginRequest.hwid skips
 * it for 90 days while its id, name and platform stay the same (matched by
 * hashes; the hwid itself is not kept). Setting a permanent password
 * forgets them all.
 */
int		 store_trusted_match(const struct store *,
		    const uint8_t *hwid, size_t n, const char *id,
		    const char *name, const char *platform, int64_t now_ms);
int		 store_trusted_add(struct store *, const uint8_t *hwid,
		    size_t n, const char *id, const char *name,
		    const char *platform, int64_t now_ms, char **cause);
size_t		 store_trusted_count(const struct store *, int64_t now_ms);

#define STORE_TRUSTED_KEY_LEN	12	/* characters of a device's key */
/* One trusted device as the host's user sees it (upstream's list). */
struct store_trusted_info {
	char	 key[STORE_TRUSTED_KEY_LEN + 1];	/* names it, from H(hwid) */
	/* Cut to fit one line of the state file (store.c). */
	char	 id[25];		/* the peer's ID, "" if unknown */
	char	 name[65];		/* its user name */
	char	 platform[17];
	int64_t	 time_ms;		/* trusted at, Unix ms */
};
/* Fills out with up to max devices younger than 90 days; how many. */
size_t		 store_trusted_list(const struct store *, int64_t now_ms,
		    struct store_trusted_info *out, size_t max);
/* Forgets the devices whose key or peer ID is which (ERR_NOTFOUND: none). */
int		 store_trusted_remove(struct store *, const char *which,
		    char **cause);
int		 store_trusted_clear(struct store *, char **cause);

#endif
