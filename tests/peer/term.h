/* term.h: the test peer's terminal session (tests/peer/term.c). */
#ifndef CDESK_PEER_TERM_H
#define CDESK_PEER_TERM_H

#include "tests/peer/peer.h"

/*
 * "term OUT [SERVICE_ID|- [persistent]]": log in for a terminal session on
 * pc (taken) as the stock client does, then act on stdin lines and report
 * events on stdout; each terminal's output is appended to OUT.<id>.
 * Returns the exit status.
 */
int	peer_term(struct pconn *pc, const char *username,
	    const char *password, int timeout_ms, int argc, char **argv);

#endif
