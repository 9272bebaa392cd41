/* throttle.c: per-address login failure counters with expiry. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "server/conn/throttle.h"

#define KEY_MAX		64	/* "ffff:...:ffff/64" fits */
#define KEYS_MAX	4	/* address + three IPv6 prefixes */

struct throttle_entry {
	char	 key[KEY_MAX];
	long	 minute;	/* start of the minute of the last failures */
	int	 in_minute;	/* failures in that minute */
	int	 total;		/* failures since the entry was made */
	long	 last;		/* time of the last failure, seconds */
	int	 limit;		/* total beyond which the key is refused */
	const char *error;	/* what to say when the total is exceeded */
};

struct throttle {
	struct throttle_entry	*v;	/* owned */
	size_t			 n, cap;
	long			 expire;	/* seconds after the last failure */
	struct throttle_entry	 over;	/* failures a full table could not
					 * record, from any address */
};

/* Make an empty table. */
struct throttle *
throttle_new(long expire_s)
{
	struct throttle *t = xcalloc(1, sizeof *t);

	t->expire = expire_s;
	return t;
}

/* Free the table; NULL does nothing. */
void
throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t);
}

/*
 * Fill keys with the address and, for IPv6, its /64, /56 and /48 prefixes
 * (IPv4-mapped IPv6 counts as IPv4); return how many, with their limits.
 */
static int
throttle_keys(const struct sockaddr *sa, char keys[KEYS_MAX][KEY_MAX],
    int limits[KEYS_MAX], const char *errors[KEYS_MAX])
{
	static const int bits[] = { 64, 56, 48 };
	static const int plim[] = { 60, 80, 100 };
	static const char *const perr[] = {
		"Too many wrong attempts for IPv6 prefix /64",
		"Too many wrong attempts for IPv6 prefix /56",
		"Too many wrong attempts for IPv6 prefix /48",
	};
	const struct sockaddr_in6 *s6;
	struct in6_addr a;
	char buf[INET6_ADDRSTRLEN];
	int i, n = 0;

	limits[0] = 30;
	errors[0] = "Too many wrong attempts";
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    keys[0], KEY_MAX);
		return 1;
	}
	if (sa->sa_family != AF_INET6) {
		snprintf(keys[0], KEY_MAX, "unknown");
		return 1;
	}
	s6 = (const struct sockaddr_in6 *)sa;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], keys[0],
		    KEY_MAX);
		return 1;
	}
	inet_ntop(AF_INET6, &s6->sin6_addr, keys[0], KEY_MAX);
	n = 1;
	for (i = 0; i < 3; i++) {
		int b;

		memcpy(&a, &s6->sin6_addr, sizeof a);
		for (b = bits[i]; b < 128; b++)
			a.s6_addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
		inet_ntop(AF_INET6, &a, buf, sizeof buf);
		snprintf(keys[n], KEY_MAX, "%s/%d", buf, bits[i]);
		limits[n] = plim[i];
		errors[n] = perr[i];
		n++;
	}
	return n;
}

/* Find the live entry for key, dropping expired ones on the way. */
static struct throttle_entry *
throttle_find(struct throttle *t, const char *key, long now)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct throttle_entry *e = &t->v[i];

		if (now - e->last >= t->expire) {
			t->v[i--] = t->v[--t->n];
			continue;
		}
		if (strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

/* Return the error to send if addr is throttled now, else NULL. */
const char *
throttle_check(struct throttle *t, const struct sockaddr *addr, long now)
{
	char keys[KEYS_MAX][KEY_MAX];
	int limits[KEYS_MAX], i, n;
	const char *errors[KEYS_MAX];
	struct throttle_entry *e;

	n = throttle_keys(addr, keys, limits, errors);
	/* Prefixes first, then the address itself, as upstream orders them. */
	for (i = n - 1; i >= 0; i--) {
		if ((e = throttle_find(t, keys[i], now)) == NULL) {
			/* Unknown to a full table: the shared entry decides. */
			if (i == 0 && t->n >= THROTTLE_MAX_ENTRIES &&
			    now - t->over.last < t->expire &&
			    t->over.total > limits[0])
				return errors[0];
			continue;
		}
		if (e->total > limits[i])
			return errors[i];
		if (i == 0 && now - e->minute < 60 && e->in_minute > 6)
			return "Please try 1 minute later";
	}
	return NULL;
}

/*
 * Make room in a full table: drop the entry idle the longest among those
 * not locked. Returns 0 when every entry is locked (nothing is dropped:
 * many addresses must not flush a locked one).
 */
static int
throttle_evict(struct throttle *t)
{
	size_t j, old = t->n;

	for (j = 0; j < t->n; j++) {
		if (t->v[j].total > t->v[j].limit)
			continue;
		if (old == t->n || t->v[j].last < t->v[old].last)
			old = j;
	}
	if (old == t->n)
		return 0;
	t->v[old] = t->v[--t->n];
	return 1;
}

/* Failures recorded for addr itself (IPv4) or its /64 (IPv6). */
int
throttle_failures(struct throttle *t, const struct sockaddr *addr, long now)
{
	char keys[KEYS_MAX][KEY_MAX];
	int limits[KEYS_MAX];
	const char *errors[KEYS_MAX];
	struct throttle_entry *e;
	int i;

	/* IPv6: the /64, which one host can fill with addresses. */
	i = throttle_keys(addr, keys, limits, errors) > 1 ? 1 : 0;
	return (e = throttle_find(t, keys[i], now)) != NULL ? e->total : 0;
}

/* Count one failure for addr and its prefixes. */
void
throttle_fail(struct throttle *t, const struct sockaddr *addr, long now)
{
	char keys[KEYS_MAX][KEY_MAX];
	int limits[KEYS_MAX], i, n;
	const char *errors[KEYS_MAX];
	struct throttle_entry *e;

	n = throttle_keys(addr, keys, limits, errors);
	for (i = 0; i < n; i++) {
		if ((e = throttle_find(t, keys[i], now)) == NULL &&
		    t->n >= THROTTLE_MAX_ENTRIES && !throttle_evict(t)) {
			/* Full of locked entries: count in the shared one. */
			if (now - t->over.last >= t->expire)
				t->over.total = 0;
			e = &t->over;
		} else if (e == NULL) {
			if (t->n == t->cap) {
				t->cap = t->cap ? t->cap * 2 : 16;
				t->v = xreallocarray(t->v, t->cap,
				    sizeof *t->v);
			}
			e = &t->v[t->n++];
			memset(e, 0, sizeof *e);
			memcpy(e->key, keys[i], KEY_MAX);
			e->limit = limits[i];
		}
		if (e->in_minute == 0 || now - e->minute >= 60) {
			e->minute = now;
			e->in_minute = 0;
		}
		e->in_minute++;
		e->total++;
		e->last = now;
	}
}

/* Forget addr and its prefixes. */
void
throttle_clear(struct throttle *t, const struct sockaddr *addr)
{
	char keys[KEYS_MAX][KEY_MAX];
	int limits[KEYS_MAX], i, n;
	const char *errors[KEYS_MAX];
	size_t j;

	n = throttle_keys(addr, keys, limits, errors);
	for (i = 0; i < n; i++)
		for (j = 0; j < t->n; j++)
			if (strcmp(t->v[j].key, keys[i]) == 0) {
				t->v[j] = t->v[--t->n];
				break;
			}
}
