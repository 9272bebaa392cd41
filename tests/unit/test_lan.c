/*
 * test_lan.c: which addresses LAN discovery answers (server/lan.h): the
 * private, link-local and loopback ranges, nothing on the open internet,
 * with the edges of each range.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "server/lan.h"
#include "tests/tst.h"

int main(void);

/* lan_source_ok for a dotted address. */
static int
ok(const char *a)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, a, &sin.sin_addr) != 1)
		TST_FAIL("bad address %s", a);
	return lan_source_ok(&sin);
}

/* Private, link-local and loopback in; everything else out. */
static void
test_sources(void)
{
	static const char *const in[] = { "10.0.0.1", "10.255.255.255",
	    "172.16.0.1", "172.31.255.254", "192.168.0.1", "192.168.255.9",
	    "169.254.1.2", "127.0.0.1", "127.8.9.10" };
	static const char *const out[] = { "8.8.8.8", "9.255.255.255",
	    "11.0.0.1", "172.15.255.255", "172.32.0.1", "192.167.1.1",
	    "192.169.0.1", "169.253.1.1", "169.255.0.1", "100.64.0.1",
	    "0.0.0.0", "255.255.255.255", "224.0.0.1", "128.0.0.1" };
	size_t i;

	for (i = 0; i < sizeof in / sizeof in[0]; i++)
		ASSERT_INT_EQ(ok(in[i]), 1);
	for (i = 0; i < sizeof out / sizeof out[0]; i++)
		ASSERT_INT_EQ(ok(out[i]), 0);
}

/* Runs the tests. */
int
main(void)
{
	TST_RUN(test_sources);
	return 0;
}
