/* service_win.h: cdesk --server as a Windows service (service_win.c). */
#ifndef CDESK_SERVICE_WIN_H
#define CDESK_SERVICE_WIN_H

#include "common/config.h"

/* The name the installer registers the service under (cdesk.wxs). */
#define SERVICE_WIN_NAME	"cdesk"
/* The service's log in its state folder: 4 MiB, then rotated, 4 kept. */
#define SERVICE_WIN_LOG		"cdesk.log"
#define SERVICE_WIN_LOG_MAX	(4u * 1024 * 1024)
#define SERVICE_WIN_LOG_KEEP	4
/*
 * How long a Stop waits for the host before it answers anyway (the host
 * then says STOPPED itself when it is down). Under this of the manager's
 * patience: wine's services.exe gives a control 10 s to be answered and
 * then fails the caller's ControlService (net stop exits 1); Windows
 * asks handlers to return well inside 30 s.
 */
#define SERVICE_WIN_STOP_MS	8000

/*
 * Runs the host: as the service "cdesk" when the service manager started
 * this process (it then stops on the manager's Stop or Shutdown, and
 * logs to SERVICE_WIN_LOG), else as server_main() does from a console.
 * Returns the exit status.
 */
int	service_win_main(const struct cfg_paths *paths, int verbose);

#endif
