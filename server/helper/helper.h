/*
 * helper.h: the file helper (`cdesk --helper`), a process the server
 * starts in the desktop session with the session user's uid, groups, home
 * and environment (server/fsh.c, session_spawn_fd). It serves the peers'
 * file requests (PROTOCOL.md §10) on the socket it inherits, so every path
 * a peer names is touched with that user's rights, never with the
 * server's (ARCHITECTURE.md "The file helper"). It links no GTK and none
 * of the server's objects: only common/, ipc/ and its own folder.
 */
#ifndef CDESK_HELPER_H
#define CDESK_HELPER_H

/*
 * Serves requests on fd (a connected stream socket, taken) until the
 * server closes it; on Windows, where nothing is inherited, fd is unused
 * and the helper calls the server (helper_win_connect). verbose raises the log level as -v does. Returns the
 * process exit status: 0 when the server went away, 1 on a broken channel.
 */
int	helper_main(int fd, int verbose);

#endif
