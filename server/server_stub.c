/*
 * server_stub.c: TEMPORARY, only on the wt-cfg branch so cdesk links before
 * server/ lands. Delete it when merging the real server_main.
 */
#include <stdio.h>

#include "server/server.h"

/* Say that this build has no server. */
int
server_main(const struct cfg_paths *paths, int verbose)
{
	(void)paths;
	(void)verbose;
	fprintf(stderr, "cdesk: --server is not in this build yet\n");
	return 1;
}
