/*
 * rdv_addr.h: AddrMangle, the encoding of socket addresses inside
 * rendezvous messages (PROTOCOL.md §13.8), and host[:port] parsing for the
 * rendezvous and relay server options.
 */
#ifndef CDESK_RDV_ADDR_H
#define CDESK_RDV_ADDR_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define RDV_ADDR_MAX	18	/* longest mangled address (IPv6) */
#define RDV_HOST_MAX	256	/* longest host name accepted in an option */

/*
 * Mangles sa (AF_INET, or AF_INET6; an IPv4-mapped IPv6 address is encoded
 * as IPv4) with the 32-bit value tm into out. Returns the encoded length
 * (IPv4: at most 16 bytes, trailing zeros removed; IPv6: 18), or ERR_INVAL
 * for another family.
 */
int	rdv_addr_mangle(const struct sockaddr *sa, uint32_t tm,
	    uint8_t out[RDV_ADDR_MAX]);

/*
 * Decodes n bytes of mangled address into *ss and *sslen (cleared first).
 * Up to 16 bytes decode as IPv4 (an empty input gives 0.0.0.0:0, as
 * upstream); exactly 18 as IPv6. Returns 0, or ERR_INVAL for any other
 * length.
 */
int	rdv_addr_unmangle(const uint8_t *p, size_t n,
	    struct sockaddr_storage *ss, socklen_t *sslen);

/*
 * Splits "host", "host:port", "[v6]" or "[v6]:port" into host (NUL
 * terminated, at most RDV_HOST_MAX - 1 bytes) and *port, which is
 * def_port when none is given. Returns 0, or ERR_INVAL for an empty host,
 * a bad port or an oversized name.
 */
int	rdv_addr_split(const char *s, int def_port, char host[RDV_HOST_MAX],
	    int *port);

/* Formats sa as "a.b.c.d:port" or "[v6]:port" into out (size n). */
void	rdv_addr_str(const struct sockaddr *sa, char *out, size_t n);

#endif
