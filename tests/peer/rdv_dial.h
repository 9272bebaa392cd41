/*
 * rdv_dial.h: the test peer dials a host by ID through hbbs and hbbr, as
 * the stock client does for a relay (PROTOCOL.md §13.3, §13.5, §2.3).
 */
#ifndef CDESK_RDV_DIAL_H
#define CDESK_RDV_DIAL_H

struct pconn;

/*
 * Sends PunchHoleRequest{id} to hbbs at rdv ("host:port") saying our NAT
 * is SYMMETRIC (the host relays) or, with punch, ASYMMETRIC (the host may
 * punch). Waits for the RelayResponse or PunchHoleResponse, verifies its
 * pk (hbbs-signed IdPk) with key_b64 (the rendezvous server's public key,
 * base64) and that it names id, joins the relay with the uuid or dials the
 * address given, and runs the client side of the key exchange with
 * the verified host key (none if verification failed: then the client
 * continues unencrypted, as the stock client does). Prints one line,
 * "HANDSHAKE encrypted" or "HANDSHAKE plain" (after "PATH relay" or
 * "PATH direct"). Returns the connection
 * (caller frees with pc_free) or NULL after printing why.
 */
struct pconn	*rdv_dial(const char *rdv, const char *key_b64, const char *id,
		    int punch, int timeout_ms);

#endif
