/* tunnel.h: the test peer's TCP tunnel (tests/peer/tunnel.c). */
#ifndef CDESK_PEER_TUNNEL_H
#define CDESK_PEER_TUNNEL_H

#include "tests/peer/peer.h"

/*
 * "tunnel HOST PORT [EARLY TOTAL [stall|echo]]": log in for a port
 * forward to HOST:PORT on pc (taken) as the stock client does; with counts,
 * push EARLY bytes at once after PeerInfo, then TOTAL more, through an
 * echoing destination, and check that the same bytes come back. Returns
 * the exit status.
 */
int	peer_tunnel(struct pconn *pc, const char *username,
	    const char *password, int timeout_ms, int argc, char **argv);

#endif
