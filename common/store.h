/*
 * store.h: the host's state: ID, Ed25519 key pair, uuid, salt and the
 * permanent password's h1. One file, <state_dir>/state, mode 0600, written
 * to a temporary name, fsynced and renamed. No plaintext password is ever
 * stored; the secret key and h1 live in sodium_malloc memory.
 */
#ifndef CDESK_STORE_H
#define CDESK_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/*
 * Opens the state in dir, creating dir (0700) and the state on first use:
 * a random 9-digit ID, a key pair, a uuid and a 32-character salt, made
 * once and kept. Returns 0 or ERR_* with *cause (caller frees).
 */
int		 store_open(struct store **out, const char *dir, char **cause);
void		 store_free(struct store *);

const char	*store_id(const struct store *);	/* 9 digits */
const char	*store_uuid(const struct store *);	/* text */
const char	*store_salt(const struct store *);
const uint8_t	*store_sign_pk(const struct store *);	/* 32 bytes */
const uint8_t	*store_sign_sk(const struct store *);	/* 64 bytes */
/* h1 of the permanent password (32 bytes), or NULL when none is set. */
const uint8_t	*store_password_h1(const struct store *);

/*
 * Sets the permanent password (h1 with the stored salt) and saves; "" or
 * NULL removes it. Refuses passwords shorter than 6 characters.
 */
int		 store_set_password(struct store *, const char *password,
		    char **cause);
/* Changes the ID (6-16 characters, [A-Za-z0-9_-], starting with a letter
 * or all digits) and saves. */
int		 store_set_id(struct store *, const char *id, char **cause);

#endif
