/*
 * dest.h: lists of network destinations, as option tunnel-destinations
 * holds them (README.md "Options"): which host and port a TCP tunnel may
 * reach. A list is comma-separated entries, spaces around them allowed:
 *
 *	ENTRY = HOST[:PORTS]
 *	HOST  = * | IPv4[/bits] | [IPv6[/bits]] | name (letters, digits,
 *		'-', '.', '_', with the globs * and ?)
 *	PORTS = * | port | first-last
 *
 * A name matches the host a peer asked for (without case); an address or
 * prefix matches the address the host name resolved to. The empty list
 * admits every destination, as upstream does.
 */
#ifndef CDESK_DEST_H
#define CDESK_DEST_H

#include <stddef.h>
#include <sys/socket.h>

/* 1 if the len bytes at s (not NUL-terminated) are one valid entry. */
int	dest_entry_ok(const char *s, size_t len);
/*
 * 1 if list admits port on host (the peer's text, borrowed) reached at
 * the resolved address sa (borrowed), else 0. Entries that are not valid
 * never match.
 */
int	dest_allowed(const char *list, const char *host, int port,
	    const struct sockaddr *sa);

#endif
