/*
 * awake.c: the wake lock (awake.h). One asynchronous Inhibit call to
 * logind per taking: its own bus connection, watched on the loop until
 * the reply, then closed; the reply's descriptor (a pipe logind watches)
 * is the lock itself.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-bus.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "server/awake.h"
#include "server/sdev.h"

#define AWAKE_TIMEOUT_US	(5 * 1000 * 1000)

struct awake {
	struct event_base	*base;		/* borrowed */
	int			 want;
	int			 failed;	/* until want goes to 0 */
	int			 fd;		/* the inhibitor, or -1 */
	sd_bus			*bus;		/* owned while a call runs */
	sd_bus_slot		*call;		/* owned: the call */
	struct event		*io;		/* owned: the bus's fd */
	struct event		*timer;		/* owned: sd-bus's timeout */
	int			 done;		/* the reply came */
};

static void	awake_io_cb(evutil_socket_t, short, void *);

/* A wake lock not held yet. */
struct awake *
awake_new(struct event_base *base)
{
	struct awake *a = xcalloc(1, sizeof *a);

	a->base = base;
	a->fd = -1;
	return a;
}

/* Ends the call in flight, if any. */
static void
awake_end_call(struct awake *a)
{
	if (a->io != NULL)
		event_free(a->io);
	if (a->timer != NULL)
		event_free(a->timer);
	a->io = a->timer = NULL;
	a->call = sd_bus_slot_unref(a->call);
	a->bus = sd_bus_flush_close_unref(a->bus);
	a->done = 0;
}

/* Gives the lock back. */
static void
awake_release(struct awake *a)
{
	if (a->fd < 0)
		return;
	close(a->fd);
	a->fd = -1;
	log_info("wake lock released");
}

/* Releases the lock if held and frees. */
void
awake_free(struct awake *a)
{
	if (a == NULL)
		return;
	awake_end_call(a);
	awake_release(a);
	free(a);
}

/* Inhibit's reply: keep the descriptor while the lock is still wanted. */
static int
awake_reply_cb(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct awake *a = arg;
	const sd_bus_error *e;
	int fd, r;

	(void)ret;
	a->done = 1;
	if (sd_bus_message_is_method_error(m, NULL)) {
		e = sd_bus_message_get_error(m);
		log_warn("wake lock: logind refused: %s", e != NULL &&
		    e->message != NULL ? e->message : "unknown error");
		a->failed = 1;
		return 0;
	}
	if ((r = sd_bus_message_read(m, "h", &fd)) < 0 ||
	    (fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		log_warn("wake lock: bad reply from logind: %s",
		    strerror(r < 0 ? -r : errno));
		a->failed = 1;
		return 0;
	}
	a->fd = fd;
	log_info("wake lock taken (logind inhibitor idle:sleep)");
	if (!a->want)
		awake_release(a);
	return 0;
}

/* Watches the bus for what sd-bus waits for next. */
static void
awake_arm(struct awake *a)
{
	sdev_arm(a->bus, a->base, a->io, a->timer, awake_io_cb, a);
}

/* The bus is ready or timed out: run sd-bus until the reply. */
static void
awake_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct awake *a = arg;
	int r;

	(void)fd;
	(void)what;
	while ((r = sd_bus_process(a->bus, NULL)) > 0 && !a->done)
		;
	if (r < 0 && !a->done) {
		log_warn("wake lock: system bus: %s", strerror(-r));
		a->failed = 1;
		a->done = 1;
	}
	if (a->done)
		awake_end_call(a);
	else
		awake_arm(a);
}

/* Asks logind for the inhibitor, without waiting for it. */
static void
awake_take(struct awake *a)
{
	int r;

	if ((r = sd_bus_open_system(&a->bus)) < 0 ||
	    (r = sd_bus_set_method_call_timeout(a->bus,
	    AWAKE_TIMEOUT_US)) < 0 ||
	    (r = sd_bus_call_method_async(a->bus, &a->call,
	    "org.freedesktop.login1", "/org/freedesktop/login1",
	    "org.freedesktop.login1.Manager", "Inhibit", awake_reply_cb, a,
	    "ssss", "idle:sleep", "cdesk", "A remote session is in progress",
	    "block")) < 0) {
		log_warn("wake lock: system bus: %s", strerror(-r));
		a->failed = 1;
		awake_end_call(a);
		return;
	}
	a->io = event_new(a->base, -1, 0, awake_io_cb, a);
	a->timer = evtimer_new(a->base, awake_io_cb, a);
	awake_arm(a);
}

/* Takes the lock or gives it back. */
void
awake_want(struct awake *a, int want)
{
	want = want != 0;
	if (want == a->want)
		return;
	a->want = want;
	if (!want) {
		a->failed = 0;
		awake_release(a);
		return;
	}
	if (a->fd < 0 && a->bus == NULL && !a->failed)
		awake_take(a);
}

/* 1 while the inhibitor is held. */
int
awake_held(const struct awake *a)
{
	return a != NULL && a->fd >= 0;
}
