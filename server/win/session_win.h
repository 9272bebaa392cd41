/*
 * session_win.h: what session_win.c lends the rest of server/win/ for
 * starting programs in the desktop session beyond session_spawn: the
 * terminal's shell (term_conpty.c) needs its own flags and an extended
 * STARTUPINFO (the pseudoconsole).
 */
#ifndef CDESK_SESSION_WIN_H
#define CDESK_SESSION_WIN_H

#include "server/session.h"

/* Append arg to the command line *cl (grown; caller frees), quoted as
 * CommandLineToArgvW reads it back. */
void	 session_win_quote(char **cl, const char *arg);
/*
 * Start the command line cl (app: its program) in session s as
 * session_spawn does: as the service with the session user's token and
 * their environment, otherwise as ourselves; both plus env
 * ("NAME=value", NULL-terminated). flags go to CreateProcess (with
 * EXTENDED_STARTUPINFO_PRESENT si may be a STARTUPINFOEXA); an unset
 * desktop is the interactive one. Returns 0 with *pi (caller closes its
 * handles), ERR_DENIED when nobody is logged in, or ERR_IO.
 */
int	 session_win_start(const struct session *s, const char *what,
	    const char *app, const char *cl, char *const env[], DWORD flags,
	    STARTUPINFOA *si, PROCESS_INFORMATION *pi);

#endif
