/*
 * conn_term.c: a terminal connection (PROTOCOL.md §11, HOST.md §5.8):
 * the service id and persistence its login asked for, its attachment to
 * the terminal service (server/svc/svc_term.c) once authorized, and its
 * TerminalAction messages.
 */
#include <stdlib.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/conn/conn_int.h"
#include "server/srv.h"
#include "server/svc/svc_term.h"

/* What a terminal connection asked for, and where it is attached. */
struct conn_term {
	char	*service_id;	/* owned: the login's, then the set's */
	int	 persistent;	/* option terminal_persistent */
	int	 attached;
};

/* Latch the service id and persistence of a terminal login. */
void
conn_term_latch(struct conn *c, const Hbb__LoginRequest *lr)
{
	struct conn_term *ct;

	if (lr->union_case != HBB__LOGIN_REQUEST__UNION_TERMINAL ||
	    c->term != NULL)
		return;
	ct = xcalloc(1, sizeof *ct);
	ct->service_id = xstrdup(lr->terminal->service_id);
	ct->persistent = lr->option != NULL &&
	    lr->option->terminal_persistent ==
	    HBB__OPTION_MESSAGE__BOOL_OPTION__Yes;
	c->term = ct;
}

/* After PeerInfo: attach to the set the login named (or a new one). */
void
conn_term_start(struct conn *c)
{
	struct conn_term *ct = c->term;
	const char *id;
	char *cause = NULL;
	int r;

	if (ct == NULL || ct->attached || c->srv->term == NULL)
		return;
	r = svc_term_attach(c->srv->term, &c->sink, ct->service_id,
	    ct->persistent, &id, &cause);
	if (r != 0) {
		/* The peer hears of it at its first action, as upstream. */
		log_warn("conn %u peer %s: terminal: %s", c->id, c->peer,
		    cause);
		free(cause);
		return;
	}
	free(ct->service_id);
	ct->service_id = xstrdup(id);
	ct->attached = 1;
}

/* Detach and free (from conn_close). */
void
conn_term_close(struct conn *c)
{
	struct conn_term *ct = c->term;

	if (ct == NULL)
		return;
	if (ct->attached)
		svc_term_detach(c->srv->term, c->id);
	free(ct->service_id);
	free(ct);
	c->term = NULL;
}

/* Misc.option terminal_persistent of an authorized terminal session. */
void
conn_term_persistent(struct conn *c, int on)
{
	struct conn_term *ct = c->term;

	if (ct == NULL)
		return;
	ct->persistent = on;
	if (ct->attached)
		svc_term_persistent(c->srv->term, c->id, on);
}

/* Answer TerminalResponse.error with text (no terminal id). */
static void
conn_term_error(struct conn *c, const char *text)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__TerminalResponse r = HBB__TERMINAL_RESPONSE__INIT;
	Hbb__TerminalError e = HBB__TERMINAL_ERROR__INIT;

	e.message = (char *)text;
	r.union_case = HBB__TERMINAL_RESPONSE__UNION_ERROR;
	r.error = &e;
	m.union_case = HBB__MESSAGE__UNION_TERMINAL_RESPONSE;
	m.terminal_response = &r;
	conn_send(c, &m);
}

/* TerminalAction: only a terminal session's, to its set. */
void
conn_recv_terminal(struct conn *c, const Hbb__Message *m)
{
	struct conn_term *ct = c->term;
	char *text;

	if (c->kind != LOGIN_KIND_TERMINAL || ct == NULL) {
		log_debug("conn %u: terminal action outside a terminal "
		    "session ignored", c->id);
		return;
	}
	if (ct->attached && svc_term_action(c->srv->term, c->id,
	    m->terminal_action) == 0)
		return;
	/* Not attached, or the set was taken by a newer connection. */
	ct->attached = 0;
	xasprintf(&text, "Terminal service %s not found", ct->service_id);
	conn_term_error(c, text);
	free(text);
}
