/* rdv_addr.c: AddrMangle and server-address parsing (PROTOCOL.md §13.8). */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "server/rendezvous/rdv_addr.h"

typedef unsigned __int128 u128;

/* Encodes an IPv4 address given as its four octets and port. */
static int
mangle_v4(const uint8_t oct[4], uint16_t port, uint32_t tm,
    uint8_t out[RDV_ADDR_MAX])
{
	u128 ip, t, v;
	int i, n;

	/* The octets read as a little-endian u32; no wrap-around: the sums
	 * are done in 128 bits exactly as upstream does. */
	ip = (u128)oct[0] | (u128)oct[1] << 8 | (u128)oct[2] << 16 |
	    (u128)oct[3] << 24;
	t = tm;
	v = ((ip + t) << 49) | (t << 17) | ((u128)port + (t & 0xFFFF));
	for (i = 0; i < 16; i++)
		out[i] = (uint8_t)(v >> (8 * i));
	for (n = 16; n > 0 && out[n - 1] == 0; n--)
		;
	return n;
}

/* Mangle sa with tm into out; see rdv_addr.h. */
int
rdv_addr_mangle(const struct sockaddr *sa, uint32_t tm,
    uint8_t out[RDV_ADDR_MAX])
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	uint16_t port;

	if (sa->sa_family == AF_INET) {
		memcpy(&sin, sa, sizeof sin);
		return mangle_v4((const uint8_t *)&sin.sin_addr.s_addr,
		    ntohs(sin.sin_port), tm, out);
	}
	if (sa->sa_family != AF_INET6)
		return ERR_INVAL;
	memcpy(&sin6, sa, sizeof sin6);
	port = ntohs(sin6.sin6_port);
	if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
		return mangle_v4(sin6.sin6_addr.s6_addr + 12, port, tm, out);
	memcpy(out, sin6.sin6_addr.s6_addr, 16);
	out[16] = (uint8_t)(port & 0xFF);
	out[17] = (uint8_t)(port >> 8);
	return RDV_ADDR_MAX;
}

/* Unmangle (p, n) into ss; see rdv_addr.h. */
int
rdv_addr_unmangle(const uint8_t *p, size_t n, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	u128 v = 0, tm;
	uint32_t ip;
	uint16_t port;
	size_t i;

	memset(ss, 0, sizeof *ss);
	*sslen = 0;
	if (n > 16) {
		if (n != RDV_ADDR_MAX)
			return ERR_INVAL;
		memset(&sin6, 0, sizeof sin6);
		sin6.sin6_family = AF_INET6;
		memcpy(sin6.sin6_addr.s6_addr, p, 16);
		sin6.sin6_port = htons((uint16_t)(p[16] | p[17] << 8));
		memcpy(ss, &sin6, sizeof sin6);
		*sslen = sizeof sin6;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (u128)p[i] << (8 * i);
	tm = (v >> 17) & 0xFFFFFFFFu;
	ip = (uint32_t)((v >> 49) - tm);
	port = (uint16_t)((v & 0xFFFFFF) - (tm & 0xFFFF));
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	/* ip holds the octets little-endian: octet 0 in the low byte. */
	((uint8_t *)&sin.sin_addr.s_addr)[0] = (uint8_t)ip;
	((uint8_t *)&sin.sin_addr.s_addr)[1] = (uint8_t)(ip >> 8);
	((uint8_t *)&sin.sin_addr.s_addr)[2] = (uint8_t)(ip >> 16);
	((uint8_t *)&sin.sin_addr.s_addr)[3] = (uint8_t)(ip >> 24);
	sin.sin_port = htons(port);
	memcpy(ss, &sin, sizeof sin);
	*sslen = sizeof sin;
	return 0;
}

/* Split a host[:port] option; see rdv_addr.h. */
int
rdv_addr_split(const char *s, int def_port, char host[RDV_HOST_MAX],
    int *port)
{
	const char *h, *colon = NULL, *e;
	size_t hlen, i;
	long pv;
	char *end;

	host[0] = '\0';
	*port = def_port;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '[') {
		h = s + 1;
		if ((e = strchr(h, ']')) == NULL)
			return ERR_INVAL;
		hlen = (size_t)(e - h);
		if (e[1] == ':')
			colon = e + 1;
		else if (e[1] != '\0')
			return ERR_INVAL;
	} else {
		h = s;
		colon = strrchr(s, ':');
		/* Two colons without brackets: a bare IPv6 literal. */
		if (colon != NULL && strchr(s, ':') != colon)
			colon = NULL;
		hlen = colon != NULL ? (size_t)(colon - s) : strlen(s);
	}
	while (hlen > 0 && isspace((unsigned char)h[hlen - 1]))
		hlen--;
	if (hlen == 0 || hlen >= RDV_HOST_MAX)
		return ERR_INVAL;
	if (colon != NULL) {
		errno = 0;
		pv = strtol(colon + 1, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (end == colon + 1 || *end != '\0' || pv <= 0 || pv > 65535)
			return ERR_INVAL;
		*port = (int)pv;
	}
	/* Host names and address literals only: these reach log lines and
	 * the resolver. */
	for (i = 0; i < hlen; i++)
		if (!isalnum((unsigned char)h[i]) && strchr(".-_:%", h[i]) ==
		    NULL)
			return ERR_INVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	return 0;
}

/* Format sa as text; see rdv_addr.h. */
void
rdv_addr_str(const struct sockaddr *sa, char *out, size_t n)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		memcpy(&sin, sa, sizeof sin);
		inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof ip);
		snprintf(out, n, "%s:%u", ip, ntohs(sin.sin_port));
	} else if (sa->sa_family == AF_INET6) {
		memcpy(&sin6, sa, sizeof sin6);
		inet_ntop(AF_INET6, &sin6.sin6_addr, ip, sizeof ip);
		snprintf(out, n, "[%s]:%u", ip, ntohs(sin6.sin6_port));
	} else
		snprintf(out, n, "(family %d)", sa->sa_family);
}
