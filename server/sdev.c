/* sdev.c: an sd-bus connection on a libevent loop (sdev.h). */
#include <poll.h>
#include <stdint.h>

#include "common/mono.h"
#include "server/sdev.h"

/* See sdev.h. */
void
sdev_arm(sd_bus *bus, struct event_base *base, struct event *io,
    struct event *timer, event_callback_fn cb, void *arg)
{
	struct timeval tv;
	uint64_t until;
	short what = 0;
	int ev;

	/* Unsure what it waits for: read, where a broken bus shows. */
	if ((ev = sd_bus_get_events(bus)) < 0)
		ev = POLLIN;
	if (ev & POLLIN)
		what |= EV_READ;
	if (ev & POLLOUT)
		what |= EV_WRITE;
	event_del(io);
	event_assign(io, base, sd_bus_get_fd(bus), what, cb, arg);
	event_add(io, NULL);
	evtimer_del(timer);
	if (sd_bus_get_timeout(bus, &until) < 0 || until == UINT64_MAX)
		return;
	tv = mono_tv_until_us(until);
	evtimer_add(timer, &tv);
}
