/*
 * session_watch.c: the session source (server/session.h) on a loop, for
 * the session tests. Prints the session at start and at each change, one
 * line each, then "-" for what is not known:
 *   SESSION uid=N name=S class=S type=S display=S xpid=N id=S seat=S
 *           leader=N how=S xauthority=S runtime=S dbus=S
 * Usage: session_watch [-v] [once]
 *   once: print session_current() and exit; otherwise run until stdin
 *   reaches end of file or SIGTERM. Log lines go to stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "server/session.h"

int main(int, char **);

/* s, or "-" for NULL. */
static const char *
watch_str(const char *s)
{
	return s != NULL ? s : "-";
}

/* Print one SESSION line. */
static void
watch_print(const struct session *s)
{
	printf("SESSION uid=%ld name=%s class=%s type=%s display=%s xpid=%ld "
	    "id=%s seat=%s leader=%ld how=%s xauthority=%s runtime=%s "
	    "dbus=%s\n", s->uid, watch_str(s->name),
	    session_class_name(s->class), session_type_name(s->type),
	    watch_str(s->display), s->xpid, watch_str(s->id),
	    watch_str(s->seat), s->leader,
	    s->how == SESSION_HOW_LOGIND ? "logind" :
	    s->how == SESSION_HOW_XPEER ? "xpeer" : "none",
	    watch_str(s->xauthority), watch_str(s->runtime_dir),
	    watch_str(s->dbus));
	fflush(stdout);
}

/* The session changed. */
static void
watch_changed_cb(const struct session *now, void *arg)
{
	(void)arg;
	watch_print(now);
}

/* stdin readable: stop at end of file. */
static void
watch_stdin_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[256];

	(void)what;
	if (read(fd, buf, sizeof buf) <= 0)
		event_base_loopbreak(arg);
}

/* SIGTERM: stop. */
static void
watch_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

int
main(int argc, char **argv)
{
	struct session_source *src;
	struct event_base *base;
	struct event *in, *sig;
	struct session s;
	int i, once = 0;

	log_set_ident("session_watch");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			log_set_level(LOG_DEBUG);
		else if (strcmp(argv[i], "once") == 0)
			once = 1;
		else {
			fprintf(stderr, "usage: session_watch [-v] [once]\n");
			return 2;
		}
	}
	if (once) {
		session_init(&s);
		session_current(&s);
		watch_print(&s);
		session_fini(&s);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	src = session_source_new(base, watch_changed_cb, NULL);
	watch_print(session_source_get(src));
	in = event_new(base, 0, EV_READ | EV_PERSIST, watch_stdin_cb, base);
	sig = evsignal_new(base, SIGTERM, watch_signal_cb, base);
	event_add(in, NULL);
	event_add(sig, NULL);
	event_base_dispatch(base);
	event_free(in);
	event_free(sig);
	session_source_free(src);
	event_base_free(base);
	return 0;
}
