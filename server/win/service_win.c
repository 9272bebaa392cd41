/*
 * service_win.c: cdesk --server under the Windows service manager. The
 * manager starts cdesk.exe --server (cdesk.wxs: LocalSystem, automatic)
 * and expects StartServiceCtrlDispatcher at once; the host then runs in
 * the service's thread, and a Stop or Shutdown from the manager becomes
 * the SIGTERM the host already stops on (libevent's signal event),
 * answered once the host is down (service_ctrl). Run
 * from a console the dispatcher fails at once and the host runs as it
 * does on Linux. The service logs to a file (service_log_file).
 */
#include <signal.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "server/server.h"
#include "server/win/service_win.h"

static const struct cfg_paths	*service_paths;
static int			 service_verbose;
static int			 service_rc;
static HANDLE			 service_done;	/* set: host stopped */
static LONG volatile		 service_stopping; /* a Stop came */
static LONG volatile		 service_gave_up;  /* it stopped waiting */
static ULONGLONG volatile	 service_stop_at;  /* when, GetTickCount64 */
static SERVICE_STATUS_HANDLE	 service_handle;

/* Tells the manager the service's state. */
static void
service_report(DWORD state, DWORD code)
{
	SERVICE_STATUS st;

	memset(&st, 0, sizeof st);
	st.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	st.dwCurrentState = state;
	st.dwControlsAccepted = state == SERVICE_RUNNING ?
	    SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
	st.dwWin32ExitCode = code;
	/* Stopping closes every connection and joins the encoders. */
	st.dwWaitHint = state == SERVICE_RUNNING ? 0 : 30000;
	SetServiceStatus(service_handle, &st);
}

/* The host has stopped: say so (the dispatcher returns then). */
static void
service_stopped(void)
{
	service_report(SERVICE_STOPPED, service_rc == 0 ? NO_ERROR :
	    ERROR_SERVICE_SPECIFIC_ERROR);
}

/* The manager's controls: Stop and Shutdown stop the host. */
static DWORD WINAPI
service_ctrl(DWORD ctl, DWORD type, LPVOID data, LPVOID ctx)
{
	(void)type;
	(void)data;
	(void)ctx;
	switch (ctl) {
	case SERVICE_CONTROL_STOP:
	case SERVICE_CONTROL_SHUTDOWN:
		service_stop_at = GetTickCount64();
		InterlockedExchange(&service_stopping, 1);
		service_report(SERVICE_STOP_PENDING, NO_ERROR);
		raise(SIGTERM);
		/*
		 * Answer only once the host is down and says STOPPED: the
		 * dispatcher then returns in the main thread, which ends
		 * the process. Whoever stopped us (an uninstall) deletes
		 * cdesk.exe next, and wine's msiexec does so without
		 * waiting for the STOPPED state.
		 */
		if (WaitForSingleObject(service_done, SERVICE_WIN_STOP_MS) !=
		    WAIT_OBJECT_0) {
			/* Taking too long: service_run says STOPPED then. */
			InterlockedExchange(&service_gave_up, 1);
			if (WaitForSingleObject(service_done, 0) !=
			    WAIT_OBJECT_0)
				return NO_ERROR;
		}
		service_stopped();
		return NO_ERROR;
	case SERVICE_CONTROL_INTERROGATE:
		return NO_ERROR;
	}
	return ERROR_CALL_NOT_IMPLEMENTED;
}

/*
 * A service has no stderr: its log goes to cdesk.log in the state folder
 * (ProgramData's cdesk for LocalSystem, made 0700 as the store makes it),
 * rotated by size. Run from a console the host logs to stderr.
 */
static void
service_log_file(void)
{
	char *path, *cause = NULL;

	mkdir(service_paths->state_dir, 0700);
	xasprintf(&path, "%s/%s", service_paths->state_dir,
	    SERVICE_WIN_LOG);
	if (log_to_file(path, SERVICE_WIN_LOG_MAX, SERVICE_WIN_LOG_KEEP,
	    &cause) != 0)
		free(cause);	/* nowhere to say so: stderr it is */
	free(path);
}

/* The service's thread: the host, from running to stopped. */
static void WINAPI
service_run(DWORD argc, LPSTR *argv)
{
	(void)argc;
	(void)argv;
	service_handle = RegisterServiceCtrlHandlerExA(SERVICE_WIN_NAME,
	    service_ctrl, NULL);
	if (service_handle == NULL) {
		service_rc = 1;
		return;
	}
	service_report(SERVICE_RUNNING, NO_ERROR);
	service_log_file();
	service_rc = server_main(service_paths, service_verbose);
	/* Everything is closed: a Stop waiting for it answers now; a host
	 * that ended by itself says so here. */
	/* How long the host took is what decides whether the Stop above
	 * answered in time: worth a line. */
	if (InterlockedCompareExchange(&service_stopping, 0, 0))
		log_info("service: host down %llu ms after the Stop",
		    (unsigned long long)(GetTickCount64() - service_stop_at));
	SetEvent(service_done);
	if (!InterlockedCompareExchange(&service_stopping, 0, 0) ||
	    InterlockedCompareExchange(&service_gave_up, 0, 0))
		service_stopped();
}

/* See service_win.h. */
int
service_win_main(const struct cfg_paths *paths, int verbose)
{
	SERVICE_TABLE_ENTRYA table[] = {
		{ (char *)SERVICE_WIN_NAME, service_run },
		{ NULL, NULL },
	};

	service_paths = paths;
	service_verbose = verbose;
	if ((service_done = CreateEventA(NULL, TRUE, FALSE, NULL)) == NULL)
		return 1;
	if (StartServiceCtrlDispatcherA(table))
		return service_rc;
	if (GetLastError() == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
		return server_main(paths, verbose);
	log_error("service manager: StartServiceCtrlDispatcher failed "
	    "(error %lu)", GetLastError());
	return 1;
}
