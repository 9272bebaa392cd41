/* service_win.h: cdesk --server as a Windows service (service_win.c). */
#ifndef CDESK_SERVICE_WIN_H
#define CDESK_SERVICE_WIN_H

#include "common/config.h"

/* The name the installer registers the service under (cdesk.wxs). */
#define SERVICE_WIN_NAME	"cdesk"

/*
 * Runs the host: as the service "cdesk" when the service manager started
 * this process (it then stops on the manager's Stop or Shutdown), else
 * as server_main() does from a console. Returns the exit status.
 */
int	service_win_main(const struct cfg_paths *paths, int verbose);

#endif
