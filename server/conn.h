/*
 * conn.h: one peer connection (ARCHITECTURE.md "The connection"): key
 * exchange on relayed/punched streams, Hash, TestDelay, login with
 * throttling, then the authorized session. One connection type, two ways in.
 */
#ifndef CDESK_CONN_H
#define CDESK_CONN_H

#include <stdint.h>
#include <sys/socket.h>

struct conn;
struct srv;

/* How the stream reached us. */
enum conn_via {
	CONN_VIA_DIRECT,	/* direct IP listener: plaintext (PROTOCOL.md §2.5) */
	CONN_VIA_SECURE,	/* relay or hole punch: host handshake first */
};

/*
 * Starts serving a peer on fd (takes ownership; non-blocking is set here).
 * sa is the peer's address (copied). Returns the connection, owned by the
 * server's list until it closes, or NULL (fd closed) on failure.
 */
struct conn	*conn_new(struct srv *, int fd, const struct sockaddr *sa,
		    socklen_t salen, enum conn_via via);
/*
 * Tears the connection down now (one log line with why) and frees it later
 * from the event loop; callbacks check the dead flag. Safe to call twice.
 */
void		 conn_close(struct conn *, const char *why);
/* Fills sink with the callbacks through which services reach c. */
struct svc_sink;
void		 conn_sink(struct conn *, struct svc_sink *sink);
/* The connection's number, for logs. */
uint32_t	 conn_id(const struct conn *);

#endif
