/*
 * test_conn_backlog.c: a peer that sends requests without reading the
 * replies must be throttled by the connection (reading pauses), not
 * buffered without bound; once it reads, every reply arrives.
 */
#include <sys/socket.h>

#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "common/config.h"
#include "common/log.h"
#include "common/store.h"
#include "server/conn/conn.h"
#include "server/srv.h"
#include "tests/tst.h"

#define FLOOD_BYTES	(20u * 1024 * 1024)
#define FLOOD_MAX	(8u * 1024 * 1024)	/* what the host may take */

int main(void);

/* Remove one entry of the temporary folder (nftw callback). */
static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Flood TestDelay requests without reading, then read every echo. */
static void
test_flood(void)
{
	/* Message{test_delay: {time: 1, from_client: true}}, framed. */
	static const uint8_t frame[7] = { 6 << 2, 0x2a, 0x04, 0x08, 0x01,
	    0x10, 0x01 };
	struct srv srv;
	struct sockaddr_in sin;
	char dir[] = "/tmp/test_conn_backlog.XXXXXX", *cause = NULL;
	uint8_t buf[7 * 1024], rb[65536];
	size_t i, sent = 0, got = 0;
	ssize_t n;
	int sv[2], stuck = 0, quiet = 0;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	memset(&srv, 0, sizeof srv);
	TAILQ_INIT(&srv.conns);
	TAILQ_INIT(&srv.sessions);
	srv.cfg = cfg_new();
	srv.idle_timeout = 30;
	ASSERT_INT_EQ(store_open(&srv.store, dir, &cause), 0);
	ASSERT_TRUE((srv.base = event_base_new()) != NULL);

	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
	    0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0xc0000201);
	ASSERT_TRUE(conn_new(&srv, sv[0], (struct sockaddr *)&sin, sizeof sin,
	    CONN_VIA_DIRECT) != NULL);

	for (i = 0; i < sizeof buf; i += sizeof frame)
		memcpy(buf + i, frame, sizeof frame);
	while (sent < FLOOD_BYTES && stuck < 50) {
		if ((n = write(sv[1], buf, sizeof buf)) > 0) {
			sent += (size_t)n;
			stuck = 0;
		} else {
			ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
			stuck++;
		}
		event_base_loop(srv.base, EVLOOP_NONBLOCK);
	}
	printf("host took %zu KiB before it stopped reading\n", sent / 1024);
	ASSERT_TRUE(sent < FLOOD_MAX);
	/* Whole frames only, so every request gets its echo. */
	sent -= sent % sizeof frame;

	/* Now read: reading resumes and every echo arrives. */
	while (quiet < 100) {
		event_base_loop(srv.base, EVLOOP_NONBLOCK);
		if ((n = read(sv[1], rb, sizeof rb)) > 0) {
			got += (size_t)n;
			quiet = 0;
		} else
			quiet++;
	}
	ASSERT_TRUE(!TAILQ_EMPTY(&srv.conns));
	/* Hash, permission notices and our probe come first. */
	ASSERT_INT_GE(got, sent);
	ASSERT_TRUE(got - sent < 1024);

	close(sv[1]);
	for (i = 0; i < 100 && !TAILQ_EMPTY(&srv.conns); i++)
		event_base_loop(srv.base, EVLOOP_NONBLOCK);
	ASSERT_TRUE(TAILQ_EMPTY(&srv.conns));
	event_base_loop(srv.base, EVLOOP_NONBLOCK);
	store_free(srv.store);
	cfg_free(srv.cfg);
	event_base_free(srv.base);
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* Run the test. */
int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_ERROR);
	if (sodium_init() < 0)
		return 1;
	TST_RUN(test_flood);
	return 0;
}
