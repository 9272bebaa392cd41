/*
 * test_dest.c: destination lists (common/dest.c, option
 * tunnel-destinations): which entries parse, and which destinations a
 * list admits by name, by resolved address and by port; and where the
 * terminal cuts output so no UTF-8 sequence is split
 * (server/svc/svc_term.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/dest.h"
#include "server/svc/svc_term.h"
#include "tests/tst.h"

int main(void);

/* Entries, good and bad. */
static void
test_entries(void)
{
	static const struct {
		const char	*entry;
		int		 ok;
	} e[] = {
		{ "*", 1 }, { "*:*", 1 }, { "*:22", 1 }, { "localhost", 1 },
		{ "localhost:3389", 1 }, { " db.lan:5432 ", 1 },
		{ "*.example.com:1-1024", 1 }, { "db?.lan:*", 1 },
		{ "10.0.0.0/8", 1 }, { "10.0.0.0/8:22", 1 },
		{ "192.168.1.5:80", 1 }, { "0.0.0.0/0:*", 1 },
		{ "[::1]", 1 }, { "[::1]:22", 1 }, { "[2001:db8::/32]:*", 1 },
		{ "", 0 }, { " ", 0 }, { "a b", 0 }, { "host:", 0 },
		{ "host:0", 0 }, { "host:65536", 0 }, { "host:5-1", 0 },
		{ "host:1-", 0 }, { "host:x", 0 }, { "1.2.3", 0 },
		{ "10.0.0.0/33", 0 }, { "256.1.1.1", 0 }, { "::1", 0 },
		{ "[::1", 0 }, { "[::1]x", 0 }, { "[::1/129]", 0 },
		{ "[10.0.0.1]", 0 }, { "host:22:23", 0 }, { "h/st", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof e / sizeof e[0]; i++)
		if (dest_entry_ok(e[i].entry, strlen(e[i].entry)) != e[i].ok)
			TST_FAIL("entry '%s': expected %d", e[i].entry,
			    e[i].ok);
	/* Only the given length counts. */
	ASSERT_INT_EQ(dest_entry_ok("host:22,junk junk", 7), 1);
}

/* A sockaddr for a literal address. */
static const struct sockaddr *
addr(const char *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (strchr(a, ':') != NULL) {
		s6->sin6_family = AF_INET6;
		ASSERT_INT_EQ(inet_pton(AF_INET6, a, &s6->sin6_addr), 1);
	} else {
		s4->sin_family = AF_INET;
		ASSERT_INT_EQ(inet_pton(AF_INET, a, &s4->sin_addr), 1);
	}
	return (const struct sockaddr *)ss;
}

/* Destinations against lists. */
static void
test_allowed(void)
{
	static const struct {
		const char	*list;
		const char	*host;
		int		 port;
		const char	*addr;
		int		 ok;
	} d[] = {
		/* Empty: everything, as upstream. */
		{ "", "anything", 1, "192.0.2.1", 1 },
		{ " ", "anything", 65535, "192.0.2.1", 1 },
		{ "*", "x", 80, "192.0.2.1", 1 },
		{ "*:22", "x", 23, "192.0.2.1", 0 },
		/* A name matches the asked name, whatever it resolved to. */
		{ "localhost:3389", "LocalHost", 3389, "127.0.0.1", 1 },
		{ "localhost:3389", "127.0.0.1", 3389, "127.0.0.1", 0 },
		{ "*.example.com", "db.example.com", 5432, "10.1.1.1", 1 },
		{ "*.example.com", "example.com", 5432, "10.1.1.1", 0 },
		/* An address matches what the name resolved to. */
		{ "127.0.0.0/8:1-1024", "localhost", 22, "127.0.0.1", 1 },
		{ "127.0.0.0/8:1-1024", "localhost", 1025, "127.0.0.1", 0 },
		{ "127.0.0.0/8", "localhost", 22, "::ffff:127.0.0.1", 1 },
		{ "127.0.0.1", "localhost", 22, "::1", 0 },
		{ "[::1]:22", "localhost", 22, "::1", 1 },
		{ "[2001:db8::/32]", "h", 9, "2001:db8:1::5", 1 },
		{ "[2001:db8::/32]", "h", 9, "2001:db9::5", 0 },
		{ "0.0.0.0/0", "h", 9, "203.0.113.7", 1 },
		{ "10.0.0.0/8", "h", 9, NULL, 0 },
		/* Several entries; bad ones never match. */
		{ "bad entry, 10.0.0.0/8:22", "h", 22, "10.9.9.9", 1 },
		{ "bad entry, host:0", "host", 0, NULL, 0 },
		{ "a.lan:1,b.lan:2", "b.lan", 2, NULL, 1 },
		{ "a.lan:1,b.lan:2", "b.lan", 1, NULL, 0 },
		/* Ports a peer may send that no entry holds. */
		{ "*", "h", 0, "192.0.2.1", 0 },
		{ "*", "h", -22, "192.0.2.1", 0 },
		{ "*", "h", 70000, "192.0.2.1", 0 },
	};
	struct sockaddr_storage ss;
	size_t i;

	for (i = 0; i < sizeof d / sizeof d[0]; i++)
		if (dest_allowed(d[i].list, d[i].host, d[i].port,
		    d[i].addr != NULL ? addr(d[i].addr, &ss) : NULL) !=
		    d[i].ok)
			TST_FAIL("list '%s' host %s port %d at %s: expected %d",
			    d[i].list, d[i].host, d[i].port,
			    d[i].addr ? d[i].addr : "-", d[i].ok);
}

/* Output is cut before an unfinished UTF-8 sequence, never inside one. */
static void
test_utf8_split(void)
{
	static const struct {
		const char	*bytes;
		size_t		 n;
		size_t		 cut;
	} u[] = {
		{ "", 0, 0 },
		{ "abc", 3, 3 },
		{ "a\xc3", 2, 1 },			/* 2-byte lead alone */
		{ "a\xc3\xa9", 3, 3 },			/* é whole */
		{ "ab\xe2\x82", 4, 2 },			/* € cut after 2 */
		{ "\xe2\x82\xac", 3, 3 },		/* € whole */
		{ "x\xf0\x9f\x98", 4, 1 },		/* emoji, 3 of 4 */
		{ "\xf0\x9f\x98\x80", 4, 4 },		/* emoji whole */
		{ "\x80\x81\x82", 3, 3 },		/* stray continuation */
		{ "a\xff", 2, 2 },			/* not a lead byte */
		{ "\xf0\x9f", 2, 0 },			/* only a start */
		{ "abcd\xf0", 5, 4 },
	};
	size_t i;

	for (i = 0; i < sizeof u / sizeof u[0]; i++)
		if (svc_term_utf8_split((const uint8_t *)u[i].bytes,
		    u[i].n) != u[i].cut)
			TST_FAIL("case %zu: expected a cut at %zu", i,
			    u[i].cut);
}

/* Runs the tests. */
int
main(void)
{
	TST_RUN(test_entries);
	TST_RUN(test_allowed);
	TST_RUN(test_utf8_split);
	return 0;
}
