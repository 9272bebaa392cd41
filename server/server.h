/* server.h: the --server mode's entry point. */
#ifndef CDESK_SERVER_H
#define CDESK_SERVER_H

#include "common/config.h"

/*
 * Runs the host until SIGTERM/SIGINT: loads config and state from paths,
 * listens, serves peers. verbose raises the log level. Returns the process
 * exit status.
 */
int	server_main(const struct cfg_paths *paths, int verbose);

#endif
