/*
 * ipc_echo.c: a tiny IPC server and client for the uid test.
 *   ipc_echo serve DIR [SESSION_UID]   listen in DIR, answer StatusGet,
 *                                      print READY; run until killed
 *   ipc_echo request DIR               ask for Status; exit 0 on an
 *                                      answer, 3 when refused (by the
 *                                      server, or the server by us: the
 *                                      reason is printed), 1 else
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/err.h"
#include "common/log.h"
#include "ipc/ipc.h"
#include "ipc/ipc_event.h"

int main(int, char **);

/* Answer StatusGet with a fixed Status. */
static void
echo_recv(struct ipc_peer *p, const Ipc__Data *d, void *arg)
{
	Ipc__Data out = IPC__DATA__INIT;
	Ipc__Status st = IPC__STATUS__INIT;

	(void)arg;
	if (d->union_case != IPC__DATA__UNION_STATUS_GET)
		return;
	st.id = (char *)"123123123";
	out.union_case = IPC__DATA__UNION_STATUS;
	out.status = &st;
	ipc_peer_send(p, &out);
}

static const struct ipc_server_cb echo_cb = { .recv = echo_recv };

/* Stop the loop on a signal. */
static void
echo_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

/* Serve until SIGTERM. */
static int
echo_serve(const char *dir, long session_uid)
{
	struct event_base *base = event_base_new();
	struct event *sig = evsignal_new(base, SIGTERM, echo_signal_cb, base);
	struct ipc_server *s;
	char *cause = NULL;
	int r;

	if ((r = ipc_server_new(&s, base, dir, &echo_cb, NULL, &cause)) != 0) {
		fprintf(stderr, "ipc_echo: %s\n", cause);
		free(cause);
		return 1;
	}
	ipc_server_set_session_uid(s, session_uid);
	event_add(sig, NULL);
	printf("READY\n");
	fflush(stdout);
	event_base_dispatch(base);
	ipc_server_free(s);
	event_free(sig);
	event_base_free(base);
	return 0;
}

/* One StatusGet. */
static int
echo_request(const char *dir)
{
	Ipc__Data req = IPC__DATA__INIT, *reply;
	Ipc__StatusGet sg = IPC__STATUS_GET__INIT;
	char *cause = NULL;
	int r;

	req.union_case = IPC__DATA__UNION_STATUS_GET;
	req.status_get = &sg;
	if ((r = ipc_request(dir, "cli", &req, &reply, 3000, &cause)) != 0) {
		printf("request: %s: %s\n", err_str(r),
		    cause != NULL ? cause : "");
		free(cause);
		return r == ERR_DENIED ? 3 : 1;
	}
	printf("status id %s\n", reply->status->id);
	ipc_data_free(reply);
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 3 && strcmp(argv[1], "serve") == 0)
		return echo_serve(argv[2], argc > 3 ? atol(argv[3]) :
		    IPC_UID_NONE);
	if (argc == 3 && strcmp(argv[1], "request") == 0)
		return echo_request(argv[2]);
	fprintf(stderr, "usage: ipc_echo serve DIR [UID] | request DIR\n");
	return 2;
}
