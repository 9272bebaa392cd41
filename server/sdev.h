/*
 * sdev.h: an sd-bus connection on a libevent loop. sd-bus says which
 * events its fd waits for and until when (an absolute CLOCK_MONOTONIC
 * time); after each sd_bus_process the owner re-arms its two events from
 * that, and runs sd_bus_process again when either fires.
 */
#ifndef CDESK_SDEV_H
#define CDESK_SDEV_H

#include <systemd/sd-bus.h>

#include <event2/event.h>

/*
 * Points io (made by the caller, re-assigned here with cb and arg) at the
 * bus's fd for what sd-bus waits for now (read if it cannot say), and
 * timer (an evtimer) at its timeout, if it has one.
 */
void	sdev_arm(sd_bus *bus, struct event_base *base, struct event *io,
	    struct event *timer, event_callback_fn cb, void *arg);

#endif
