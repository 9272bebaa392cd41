/*
 * dest.c: destination lists (dest.h): parsing one entry into its host and
 * port range, and matching a destination against a list.
 */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/dest.h"

#define DEST_NAME_MAX	253

/* The kinds of HOST an entry has. */
enum dest_kind {
	DEST_ANY,	/* "*" */
	DEST_NAME,	/* a host name pattern */
	DEST_NET,	/* an address with a prefix length */
};

/* One parsed entry. */
struct dest_entry {
	enum dest_kind	 kind;
	char		 name[DEST_NAME_MAX + 1];
	int		 family;	/* AF_INET or AF_INET6 (DEST_NET) */
	unsigned char	 addr[16];
	int		 bits;
	long		 first, last;	/* the port range */
};

/* Parse a decimal in [min, max] from exactly the len bytes at s. */
static int
dest_number(const char *s, size_t len, long min, long max, long *out)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 6)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return 0;
	*out = v;
	return 1;
}

/* Parse PORTS ("*", "N" or "N-M") from the len bytes at s. */
static int
dest_ports(const char *s, size_t len, struct dest_entry *e)
{
	const char *dash;

	if (len == 1 && s[0] == '*') {
		e->first = 1;
		e->last = 65535;
		return 1;
	}
	if ((dash = memchr(s, '-', len)) == NULL) {
		if (!dest_number(s, len, 1, 65535, &e->first))
			return 0;
		e->last = e->first;
		return 1;
	}
	return dest_number(s, (size_t)(dash - s), 1, 65535, &e->first) &&
	    dest_number(dash + 1, len - (size_t)(dash - s) - 1, 1, 65535,
	    &e->last) && e->first <= e->last;
}

/* Parse an address with an optional "/bits" from the len bytes at s. */
static int
dest_net(const char *s, size_t len, int family, struct dest_entry *e)
{
	char buf[64];
	const char *slash = memchr(s, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - s) : len;
	int max = family == AF_INET ? 32 : 128;
	long bits = max;

	if (alen == 0 || alen >= sizeof buf)
		return 0;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(family, buf, e->addr) != 1)
		return 0;
	if (slash != NULL && !dest_number(slash + 1, len - alen - 1, 0, max,
	    &bits))
		return 0;
	e->kind = DEST_NET;
	e->family = family;
	e->bits = (int)bits;
	return 1;
}

/* Parse a host name pattern from the len bytes at s. */
static int
dest_name(const char *s, size_t len, struct dest_entry *e)
{
	size_t i;

	if (len == 0 || len > DEST_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '*' || ch == '?'))
			return 0;
	}
	memcpy(e->name, s, len);
	e->name[len] = '\0';
	e->kind = DEST_NAME;
	return 1;
}

/* Parse the HOST part (the len bytes at s) of an entry. */
static int
dest_host(const char *s, size_t len, struct dest_entry *e)
{
	unsigned char tmp[16];
	char buf[16];
	size_t i;

	if (len == 1 && s[0] == '*') {
		e->kind = DEST_ANY;
		return 1;
	}
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']')
		return dest_net(s + 1, len - 2, AF_INET6, e);
	/* Dotted digits are an address (or a bad one), never a name. */
	for (i = 0; i < len && strchr("0123456789./", s[i]) != NULL &&
	    s[i] != '\0'; i++)
		;
	if (i == len) {
		if (len >= sizeof buf)
			return 0;
		memcpy(buf, s, len);
		buf[len] = '\0';
		buf[strcspn(buf, "/")] = '\0';
		if (inet_pton(AF_INET, buf, tmp) != 1)
			return 0;
		return dest_net(s, len, AF_INET, e);
	}
	return dest_name(s, len, e);
}

/* Parse one entry (spaces around it allowed); 1 if it is valid. */
static int
dest_parse(const char *s, size_t len, struct dest_entry *e)
{
	const char *colon;
	size_t hlen;

	memset(e, 0, sizeof *e);
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
		return 0;
	if (s[0] == '[') {
		if ((colon = memchr(s, ']', len)) == NULL)
			return 0;
		colon++;
		if (colon < s + len && *colon != ':')
			return 0;
	} else
		colon = memchr(s, ':', len);
	if (colon == NULL || colon == s + len) {
		hlen = len;
		e->first = 1;
		e->last = 65535;
	} else {
		hlen = (size_t)(colon - s);
		if (!dest_ports(colon + 1, len - hlen - 1, e))
			return 0;
	}
	return dest_host(s, hlen, e);
}

/* 1 if the len bytes at s are one valid entry. */
int
dest_entry_ok(const char *s, size_t len)
{
	struct dest_entry e;

	return dest_parse(s, len, &e);
}

/* 1 if sa lies in the entry's network (v4-mapped v6 counts as v4). */
static int
dest_net_match(const struct dest_entry *e, const struct sockaddr *sa)
{
	const unsigned char *ip;
	int family, b;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		ip = (const unsigned char *)
		    &((const struct sockaddr_in *)sa)->sin_addr;
		family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;

		family = AF_INET6;
		ip = a6->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			ip = a6->s6_addr + 12;
		}
	} else
		return 0;
	if (family != e->family)
		return 0;
	for (b = 0; b < e->bits; b++)
		if ((ip[b / 8] ^ e->addr[b / 8]) & (0x80 >> (b % 8)))
			return 0;
	return 1;
}

/* 1 if list admits host:port at sa. */
int
dest_allowed(const char *list, const char *host, int port,
    const struct sockaddr *sa)
{
	struct dest_entry e;
	const char *p = list, *comma;
	size_t len;

	if (strspn(list, " \t") == strlen(list))
		return 1;
	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (dest_parse(p, len, &e) && port >= e.first &&
		    port <= e.last) {
			if (e.kind == DEST_ANY)
				return 1;
			if (e.kind == DEST_NAME && strlen(host) <=
			    DEST_NAME_MAX &&
			    fnmatch(e.name, host, FNM_CASEFOLD) == 0)
				return 1;
			if (e.kind == DEST_NET && dest_net_match(&e, sa))
				return 1;
		}
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}
