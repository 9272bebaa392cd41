/*
 * lan.h: answering RustDesk's LAN discovery (HOST.md §7.4, option
 * enable-lan-discovery): a client on the same network broadcasts
 * RendezvousMessage.peer_discovery{cmd "ping"} to UDP port 21119 and lists
 * the hosts that answer "pong" with their ID, hostname, desktop user,
 * platform and MAC address. cdesk answers only pings from private,
 * link-local and loopback addresses (never the open internet, where the
 * answer would tell strangers who sits here and make us a UDP amplifier),
 * and at most LAN_ANSWERS_PER_S a second.
 */
#ifndef CDESK_LAN_H
#define CDESK_LAN_H

struct srv;
struct lan;
struct sockaddr_in;

#define LAN_PORT		21119	/* RENDEZVOUS_PORT + 3 upstream */
#define LAN_ANSWERS_PER_S	20

/*
 * Starts answering on UDP port LAN_PORT (or CDESK_TEST_LAN_PORT for
 * tests) of every IPv4 address when the option is on; srv is borrowed and
 * must outlive it. Returns NULL (logged) when off or the port is taken.
 * The option is read again for every ping, so turning it off takes effect
 * at once; turning it on, at the next start.
 */
struct lan	*lan_start(struct srv *);
/* Stops answering and frees; NULL is fine. */
void		 lan_free(struct lan *);
/* 1 if a ping from sin is answered: 10/8, 172.16/12, 192.168/16,
 * 169.254/16 (link-local) and 127/8; 0 for any other address. */
int		 lan_source_ok(const struct sockaddr_in *sin);

#endif
