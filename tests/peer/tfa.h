/*
 * tfa.h: the test peer's two-factor login (tfa.c), the `tfa` command of
 * tests/peer/main.c.
 */
#ifndef CDESK_PEER_TFA_H
#define CDESK_PEER_TFA_H

struct pconn;

/*
 * Logs in on pc (taken) with user and password, then answers each code
 * request with the next of argv's steps (tfa.c). Returns 0 when the
 * exchange completed, 2 on a step that cannot be made.
 */
int	peer_tfa(struct pconn *pc, const char *user, const char *pass,
	    int timeout_ms, int argc, char **argv);

#endif
