/*
 * lan.c: LAN discovery answers (lan.h), on the server's loop: one UDP
 * socket, one datagram read per readable event, one answer per ping.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#ifndef _WIN32
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#endif
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/config.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/store.h"
#include "common/xmalloc.h"
#include "message.pb-c.h"
#include "rendezvous.pb-c.h"
#include "server/lan.h"
#include "server/srv.h"
#include "server/sysinfo.h"

#define LAN_DGRAM_MAX	2048

struct lan {
	struct srv	*srv;		/* borrowed */
	int		 fd;
	struct event	*ev;		/* owned */
	uint64_t	 second;	/* start of the counting second, ms */
	int		 answers;	/* answers in it */
	int		 refused;	/* ... logged once per second */
};

/* 1 for a source LAN discovery answers: private, link-local, loopback. */
int
lan_source_ok(const struct sockaddr_in *sin)
{
	uint32_t a = ntohl(sin->sin_addr.s_addr);

	return (a >> 24) == 10 || (a >> 24) == 127 ||
	    (a >> 20) == (172u << 4 | 1) || (a >> 16) == (192u << 8 | 168) ||
	    (a >> 16) == (169u << 8 | 254);
}

/* The MAC address of the interface we reach peer from, or "". */
static void
lan_mac(const struct sockaddr_in *peer, char *out, size_t len)
{
#ifdef _WIN32
	/* No getifaddrs: the answer goes without a MAC address. */
	(void)peer;
	(void)len;
	*out = '\0';
#else
	struct sockaddr_in local;
	socklen_t sl = sizeof local;
	struct ifaddrs *ifs, *i, *j;
	const struct sockaddr_ll *ll;
	int fd;

	*out = '\0';
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (connect(fd, (const struct sockaddr *)peer, sizeof *peer) != 0 ||
	    getsockname(fd, (struct sockaddr *)&local, &sl) != 0 ||
	    getifaddrs(&ifs) != 0) {
		close(fd);
		return;
	}
	close(fd);
	for (i = ifs; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr !=
		    local.sin_addr.s_addr)
			continue;
		for (j = ifs; j != NULL; j = j->ifa_next) {
			if (j->ifa_addr == NULL ||
			    j->ifa_addr->sa_family != AF_PACKET ||
			    strcmp(j->ifa_name, i->ifa_name) != 0)
				continue;
			ll = (const struct sockaddr_ll *)j->ifa_addr;
			if (ll->sll_halen == 6)
				snprintf(out, len,
				    "%02x:%02x:%02x:%02x:%02x:%02x",
				    ll->sll_addr[0], ll->sll_addr[1],
				    ll->sll_addr[2], ll->sll_addr[3],
				    ll->sll_addr[4], ll->sll_addr[5]);
			break;
		}
		break;
	}
	freeifaddrs(ifs);
#endif
}

/* Whether one more answer fits in this second; logs the first refusal. */
static int
lan_budget(struct lan *l)
{
	uint64_t now = mono_ms();

	if (now - l->second >= 1000) {
		l->second = now;
		l->answers = l->refused = 0;
	}
	if (l->answers < LAN_ANSWERS_PER_S) {
		l->answers++;
		return 1;
	}
	if (!l->refused++)
		log_warn("lan discovery: more than %d pings a second; the "
		    "rest go unanswered", LAN_ANSWERS_PER_S);
	return 0;
}

/* Answer a ping from peer with who we are. */
static void
lan_pong(struct lan *l, const struct sockaddr_in *peer)
{
	Hbb__RendezvousMessage m = HBB__RENDEZVOUS_MESSAGE__INIT;
	Hbb__PeerDiscovery pd = HBB__PEER_DISCOVERY__INIT;
	Hbb__PeerInfo pi = HBB__PEER_INFO__INIT;
	uint8_t buf[LAN_DGRAM_MAX];
	char mac[32];
	size_t n;

	sysinfo_peerinfo(l->srv->sysinfo, &pi);
	lan_mac(peer, mac, sizeof mac);
	pd.cmd = (char *)"pong";
	pd.mac = mac;
	pd.id = (char *)store_id(l->srv->store);
	pd.username = pi.username != NULL ? pi.username : (char *)"";
	/* As upstream: "localhost" tells the client nothing. */
	pd.hostname = pi.hostname == NULL ||
	    strcmp(pi.hostname, "localhost") == 0 ? (char *)"unknown" :
	    pi.hostname;
	pd.platform = pi.platform;
	m.union_case = HBB__RENDEZVOUS_MESSAGE__UNION_PEER_DISCOVERY;
	m.peer_discovery = &pd;
	if ((n = hbb__rendezvous_message__get_packed_size(&m)) > sizeof buf)
		return;
	hbb__rendezvous_message__pack(&m, buf);
	if (sendto(l->fd, buf, n, 0, (const struct sockaddr *)peer,
	    sizeof *peer) < 0)
		log_debug("lan discovery: answer to %s: %s",
		    inet_ntoa(peer->sin_addr), strerror(errno));
}

/* A datagram: a ping from the LAN gets a pong. */
static void
lan_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lan *l = arg;
	struct sockaddr_in peer;
	socklen_t sl = sizeof peer;
	Hbb__RendezvousMessage *m;
	uint8_t buf[LAN_DGRAM_MAX];
	ssize_t n;

	(void)what;
	if ((n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer,
	    &sl)) <= 0 || peer.sin_family != AF_INET)
		return;
	if ((m = hbb__rendezvous_message__unpack(NULL, (size_t)n,
	    buf)) == NULL)
		return;
	if (m->union_case == HBB__RENDEZVOUS_MESSAGE__UNION_PEER_DISCOVERY &&
	    strcmp(m->peer_discovery->cmd, "ping") == 0 &&
	    strcmp(m->peer_discovery->id, store_id(l->srv->store)) != 0 &&
	    cfg_bool(l->srv->cfg, "enable-lan-discovery") &&
	    lan_source_ok(&peer) && lan_budget(l))
		lan_pong(l, &peer);
	hbb__rendezvous_message__free_unpacked(m, NULL);
}

/* Start answering when the option is on. */
struct lan *
lan_start(struct srv *srv)
{
	struct sockaddr_in sin;
	struct lan *l;
	const char *s;
	int fd, port = LAN_PORT;

	if (!cfg_bool(srv->cfg, "enable-lan-discovery") ||
	    cfg_bool(srv->cfg, "stop-service"))
		return NULL;
	if ((s = getenv("CDESK_TEST_LAN_PORT")) != NULL && atoi(s) > 0)
		port = atoi(s);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		log_warn("lan discovery: UDP port %d: %s; not answering", port,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	l = xcalloc(1, sizeof *l);
	l->srv = srv;
	l->fd = fd;
	l->ev = event_new(srv->base, fd, EV_READ | EV_PERSIST, lan_read_cb, l);
	event_add(l->ev, NULL);
	log_info("lan discovery: answering on UDP port %d", port);
	return l;
}

/* Stop answering. */
void
lan_free(struct lan *l)
{
	if (l == NULL)
		return;
	event_free(l->ev);
	close(l->fd);
	free(l);
}
