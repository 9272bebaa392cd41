/* cm.h: the --cm mode, the connection manager window (no GTK types here). */
#ifndef CDESK_CM_H
#define CDESK_CM_H

struct cfg_paths;

/*
 * Runs the connection manager until its window closes: connects to the
 * server's IPC socket found by ipc_find_dir() ($CDESK_IPC_DIR, set by the
 * server that starts us, else paths->run_dir, else /run/cdesk), shows one
 * page per connection, and reconnects when the server restarts. argv[0] is used for GTK; the other arguments
 * are ignored. Returns the process exit status.
 */
int	cm_main(int argc, char **argv, const struct cfg_paths *paths);

#endif
