/*
 * svc_term.h: terminals (PROTOCOL.md §11, HOST.md §5.8): login shells of
 * the desktop session's user on PTYs, grouped in sets named by a service
 * id. A terminal connection attaches to one set (a new one, or the one
 * its service id names) and drives it with TerminalAction; output comes
 * back as TerminalResponse through its sink. A persistent set outlives
 * its connection: its shells keep running, their last 8 KiB of output
 * kept for a client that attaches again.
 *
 * Output is bounded: a shell is read only while its connection's backlog
 * is low (detached or not yet reopened: at most 64 KiB per 30 ms), so a
 * shell printing without end blocks on its terminal, not in our memory.
 * Main loop only.
 */
#ifndef CDESK_SVC_TERM_H
#define CDESK_SVC_TERM_H

#include <stddef.h>
#include <stdint.h>

#include "message.pb-c.h"
#include "server/svc/svc.h"

struct event_base;
struct svc_term;

/* Starts the service on base (borrowed). Returns 0 or ERR_IO. */
int	 svc_term_new(struct event_base *base, struct svc_term **out);
/* Hangs up every shell and frees; NULL does nothing. */
void	 svc_term_free(struct svc_term *);
/*
 * Attaches sink (copied; its ctx borrowed until svc_term_detach) to the
 * set named service_id, or to a new set when service_id is empty or
 * unknown (a new set gets service_id, or "ts_" and a random UUID when it
 * is empty), persistent or not. A set attached to another connection
 * leaves it. Every terminal waits for the peer's open; shells that ended
 * while detached are reported closed at once. Returns 0 with *id (the
 * set's id, borrowed until detach), or ERR_TOOBIG with *cause (caller
 * frees) when 100 sets exist.
 */
int	 svc_term_attach(struct svc_term *, const struct svc_sink *sink,
	    const char *service_id, int persistent, const char **id,
	    char **cause);
/*
 * Detaches conn_id; a set that is not persistent goes with it (its shells
 * are hung up). Nothing happens for a conn_id not attached.
 */
void	 svc_term_detach(struct svc_term *, uint32_t conn_id);
/* Makes conn_id's set persistent or not (Misc.option). */
void	 svc_term_persistent(struct svc_term *, uint32_t conn_id, int on);
/*
 * Acts on a TerminalAction (borrowed) of conn_id: open, data, resize or
 * close; answers through the sink. Returns 0, or ERR_NOTFOUND when
 * conn_id is not attached (the caller answers).
 */
int	 svc_term_action(struct svc_term *, uint32_t conn_id,
	    const Hbb__TerminalAction *a);
/*
 * Where to split n bytes of output so no UTF-8 sequence is cut: n, or the
 * offset of an unfinished sequence at the end (at most 3 bytes held).
 */
size_t	 svc_term_utf8_split(const uint8_t *p, size_t n);

#endif
