/*
 * fuzz_dest.c: libFuzzer target for destination lists (common/dest.c):
 * option tunnel-destinations (an admin's text) matched against the host
 * and port a peer's PortForward names (untrusted) and the address it
 * resolved to.
 *
 * Input: 2 bytes port (big-endian, so 0 and values over 65535 occur after
 * the sign trick below), 1 byte address kind (0 none, 1 IPv4 + 4 bytes,
 * 2 IPv6 + 16 bytes, 3 IPv4-mapped IPv6 + 4 bytes), then the list, a
 * newline, and the host. Checks: an entry dest_entry_ok refuses never
 * matches, so a list with no valid entry admits nothing unless it is
 * blank; "*" alone admits everything.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dest.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Fill ss from the address bytes at *p; returns NULL for none. */
static const struct sockaddr *
fuzz_addr(const uint8_t **p, size_t *n, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	uint8_t kind;

	memset(ss, 0, sizeof *ss);
	if (*n < 1)
		return NULL;
	kind = (*p)[0] & 3;
	(*p)++;
	(*n)--;
	if (kind == 0 || *n < (kind == 2 ? 16u : 4u))
		return NULL;
	if (kind == 1) {
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, *p, 4);
		*p += 4;
		*n -= 4;
	} else {
		s6->sin6_family = AF_INET6;
		if (kind == 2)
			memcpy(&s6->sin6_addr, *p, 16);
		else {
			s6->sin6_addr.s6_addr[10] = 0xff;
			s6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&s6->sin6_addr.s6_addr[12], *p, 4);
		}
		*p += kind == 2 ? 16 : 4;
		*n -= kind == 2 ? 16 : 4;
	}
	return (const struct sockaddr *)ss;
}

/* 1 if some comma-separated entry of list is valid. */
static int
fuzz_any_valid(const char *list)
{
	const char *p = list, *comma;
	size_t len;

	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (dest_entry_ok(p, len))
			return 1;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* Match one destination against one list. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	const struct sockaddr *sa;
	const uint8_t *p = data;
	size_t n = size;
	char *text, *host;
	int port, ok;

	if (n < 2)
		return 0;
	port = (p[0] << 8) | p[1];
	/* Ports a peer can send: also 0, negative and too large. */
	if (port >= 0xff00)
		port = -(port - 0xff00) * 1000;
	p += 2;
	n -= 2;
	sa = fuzz_addr(&p, &n, &ss);
	text = malloc(n + 1);
	memcpy(text, p, n);
	text[n] = '\0';
	if ((host = strchr(text, '\n')) != NULL)
		*host++ = '\0';
	else
		host = text + n;
	ok = dest_allowed(text, host, port, sa);
	if (ok && !fuzz_any_valid(text) && strspn(text, " \t") != strlen(text))
		abort();
	if (port >= 1 && port <= 65535 && !dest_allowed("*", host, port, sa))
		abort();
	free(text);
	return 0;
}
