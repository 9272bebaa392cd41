/*
 * fuzz_rendezvous.c: libFuzzer target for everything the host parses from
 * rendezvous servers. The first byte picks the path:
 *	0	one UDP datagram into rdv_udp_input (registration answers and
 *		pushes, which may start relay jobs towards a closed port)
 *	1	a TCP byte stream: length-prefix frames, each a
 *		RendezvousMessage (what hbbs and hbbr send on TCP)
 *	other	AddrMangle decoding and host[:port] parsing
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/codec.h"
#include "common/log.h"
#include "rendezvous.pb-c.h"
#include "server/rendezvous/rdv_addr.h"
#include "server/rendezvous/rendezvous.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct event_base	*base;
static struct rdv		*rdv;

/* Frees the shared module at exit so leak checkers see a clean heap. */
static void
fuzz_cleanup(void)
{
	rdv_free(rdv);
	event_base_free(base);
}

/* The stream callback: close what a relay job hands over. */
static void
fuzz_stream_cb(void *arg, int fd, int secure, const struct sockaddr *sa,
    socklen_t len)
{
	(void)arg;
	(void)secure;
	(void)sa;
	(void)len;
	close(fd);
}

/* Makes one module registering with a closed loopback port. */
static void
fuzz_init(void)
{
	static const uint8_t pk[32] = { 1 };
	struct rdv_conf c;
	char *cause = NULL;

	log_set_level(LOG_PANIC);
	base = event_base_new();
	memset(&c, 0, sizeof c);
	c.server = "127.0.0.1:1";
	c.relay = "127.0.0.1:2";
	c.id = "123456789";
	c.uuid = (const uint8_t *)"fuzz";
	c.uuid_len = 4;
	c.pk = pk;
	if (rdv_new(&rdv, base, NULL, &c, fuzz_stream_cb, NULL, &cause) != 0)
		abort();
	atexit(fuzz_cleanup);
}

/* One input; see the header comment. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Hbb__RendezvousMessage *m;
	struct sockaddr_storage ss;
	socklen_t sl;
	const uint8_t *pl;
	size_t pn;
	char host[RDV_HOST_MAX], *s;
	int port, used;

	if (base == NULL)
		fuzz_init();
	if (size == 0)
		return 0;
	switch (data[0]) {
	case 0:
		(void)rdv_udp_input(rdv, data + 1, size - 1);
		/* Let relay jobs fail against the closed ports. */
		event_base_loop(base, EVLOOP_NONBLOCK);
		break;
	case 1:
		data++;
		size--;
		while ((used = codec_frame(data, size, 64 * 1024, &pl,
		    &pn)) > 0) {
			m = hbb__rendezvous_message__unpack(NULL, pn, pl);
			if (m != NULL)
				hbb__rendezvous_message__free_unpacked(m,
				    NULL);
			data += used;
			size -= (size_t)used;
		}
		break;
	default:
		(void)rdv_addr_unmangle(data + 1, size - 1, &ss, &sl);
		s = strndup((const char *)data + 1, size - 1);
		if (s != NULL)
			(void)rdv_addr_split(s, 21116, host, &port);
		free(s);
		break;
	}
	return 0;
}
