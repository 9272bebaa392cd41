/*
 * conn_gate.c: the door before login. Connections that have not logged in
 * are capped per address (/32, IPv6 /64) and in total; the excess is
 * closed at once, so one address can fill neither the server nor the
 * CM's list, and a real client from elsewhere still gets in.
 */
#include <string.h>

#include <netinet/in.h>

#include "common/log.h"
#include "common/mono.h"
#include "server/conn/conn_int.h"
#include "server/srv.h"

#define CONN_GATE_PER_ADDR	8	/* not logged in, from one prefix */
#define CONN_GATE_TOTAL		128	/* not logged in, from anywhere */
#define CONN_GATE_LOG_MS	1000	/* one line a second for refusals */

/* The address's prefix for counting: 4 bytes of IPv4, 8 of IPv6. */
static size_t
conn_gate_prefix(const struct sockaddr *sa, uint8_t out[8])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	const uint8_t *a;

	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	if (memcmp(a, mapped, sizeof mapped) == 0) {
		memcpy(out, a + 12, 4);
		return 4;
	}
	memcpy(out, a, 8);
	return 8;
}

/* May a new connection from sa come in? Logs refusals once a second. */
int
conn_gate_admit(struct srv *srv, const struct sockaddr *sa)
{
	static uint64_t last_log;
	static unsigned refused;
	struct conn *c;
	uint8_t want[8], have[8];
	size_t wn, hn;
	unsigned total = 0, same = 0;
	uint64_t now;

	wn = conn_gate_prefix(sa, want);
	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (c->state == CONN_AUTHORIZED)
			continue;
		total++;
		hn = conn_gate_prefix((const struct sockaddr *)&c->sa, have);
		if (wn != 0 && hn == wn && memcmp(want, have, wn) == 0)
			same++;
	}
	if (same < CONN_GATE_PER_ADDR && total < CONN_GATE_TOTAL)
		return 1;
	refused++;
	now = mono_ms();
	if (last_log == 0 || now - last_log >= CONN_GATE_LOG_MS) {
		log_warn("refused %u connection(s) not logged in over the "
		    "limit (%u from one address, %u in all)", refused,
		    CONN_GATE_PER_ADDR, CONN_GATE_TOTAL);
		last_log = now;
		refused = 0;
	}
	return 0;
}
