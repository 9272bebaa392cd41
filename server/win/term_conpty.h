/*
 * term_conpty.h: the one part of the Windows terminals (term_conpty.c)
 * that cdesk.c calls: the program started in each pseudoconsole, which
 * runs the session user's shell on the console's own handles.
 */
#ifndef CDESK_TERM_CONPTY_H
#define CDESK_TERM_CONPTY_H

/* argv[1] of that program: `cdesk.exe --term-shell`, nothing else. */
#define TERM_CONPTY_VERB	"--term-shell"

/* Run the shell on this process's console; returns its exit code. */
int	 term_conpty_shell_main(void);

#endif
