/*
 * ui.h: the main window mode (`cdesk` with no mode); no toolkit types
 * here. Two implementations: GTK (ui_app.c) and, on Windows, native Win32
 * (ui/win/ui_win32.c, `cdesk.exe` with no mode); both on ui_core.c.
 */
#ifndef CDESK_UI_H
#define CDESK_UI_H

struct cfg_paths;

/*
 * Runs the main window until it closes: shows this host's ID, one-time
 * password (show, copy, refresh), the permanent password, approve mode,
 * verification method, direct access and port, rendezvous server and key,
 * the service status and the two-factor section, all read from and
 * written to the running server over the IPC socket (on Windows the named
 * pipe) ipc_find_dir() picks ($CDESK_IPC_DIR, else paths->run_dir, else
 * /run/cdesk when the installed service runs).
 * Returns the process exit status.
 */
int	ui_main(int argc, char **argv, const struct cfg_paths *paths);

#endif
