/*
 * files.h: the test peer's file-transfer client (files.c), the `files`
 * command of tests/peer/main.c.
 */
#ifndef CDESK_PEER_FILES_H
#define CDESK_PEER_FILES_H

struct pconn;

/*
 * Runs `files SUBCOMMAND ARGS...` (argv[0] is the subcommand) on a new
 * connection from dial, logging in with username and password. Prints
 * its result lines on stdout; returns the exit status (0: the exchange
 * completed, whatever its result; 1: it could not; 2: usage).
 */
int	files_main(int argc, char **argv, struct pconn *(*dial)(void),
	    const char *username, const char *password, int timeout_ms);

#endif
