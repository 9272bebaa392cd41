/* cm.h: the --cm mode, the connection manager window (no GTK types here). */
#ifndef CDESK_CM_H
#define CDESK_CM_H

struct cfg_paths;

/*
 * Runs the connection manager until its window closes: connects to the
 * server's IPC socket found by ipc_find_dir() ($CDESK_IPC_DIR, set by the
 * server that starts us, else paths->run_dir, else /run/cdesk), shows one
 * page per connection, and reconnects when the server restarts. argv[0]
 * is used for GTK; the other arguments are ignored. Returns the process
 * exit status.
 *
 * The person at the desk always knows (HOST.md §3.3). The server starts
 * the CM for every session, and the window:
 * - comes up once the server has replayed its connections, with a
 *   waiting request's page if there is one, else a session's;
 * - for a new authorized session, shows its page (marks it, if a
 *   request's page is on show) and minimizes 3 s later, unless a request
 *   waits, the window has focus or the local pointer is on it;
 * - for a peer's chat line, comes up (restored if minimized) with that
 *   page, and stays up; if the local user is at the window (focus or
 *   pointer) the page is only marked in the sidebar;
 * - for a request, comes up with its page and stays above other windows
 *   until it is answered; Accept minimizes it when no other request
 *   waits (let in otherwise, e.g. by a password after all, it counts as
 *   a new session);
 * - never takes keyboard focus by itself, not even for a request: a
 *   remote peer's injected keys (Enter on Accept) would reach it (HOST.md
 *   §3.4). Requests and chat set the urgency hint instead;
 * - cannot be closed away while a session runs or waits: closing asks
 *   Minimize (the default, also on Escape) or Disconnect, which ends every
 *   session and closes the window;
 * - is never shown when the admin hides the CM: approve-mode password,
 *   verification-method use-permanent-password and allow-hide-cm Y, all
 *   three set in the admin's file (locked; the user's own file cannot
 *   hide it). An ended session's page is then dropped at once.
 * When the last connection is gone the window hides and the CM quits 6 s
 * later unless another arrives; the same when the server goes away. A CM
 * the server started for a connection that ended before it attached
 * quits after the same grace. A page kept for an unanswered chat (HOST.md
 * §3.1 Disconnected) counts until the user closes the window.
 */
int	cm_main(int argc, char **argv, const struct cfg_paths *paths);

#endif
