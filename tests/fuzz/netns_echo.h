/*
 * netns_echo.h: a network of fuzz_conn's own, included by that target
 * only. A tunnel login makes the server connect where the input says;
 * on the machine's network that may be anywhere (on one CI machine every
 * address answered through a proxy, slower under load: the campaign saw
 * a connection outlive its peer's EOF while the proxy's side was still
 * open). So the process moves into a network namespace of its own, with
 * only loopback, where every address but 127.0.0.1:9 is refused at once
 * and 127.0.0.1:9 is an echo server run by the fuzzer's own event loop:
 * the tunnel's raw mode is reached, and every input ends the same way
 * whatever the machine's load.
 *
 * Without the right to a namespace (not root), the caller lists
 * 127.0.0.1:9 as the only tunnel destination, so nothing leaves the
 * machine, and the echo server starts only if port 9 can be had.
 */
#ifndef NETNS_ECHO_H
#define NETNS_ECHO_H

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#define ECHO_PORT	9
#define ECHO_MAX	8		/* open echo connections at most */
#define ECHO_HIGH	(256 * 1024)	/* held before reading stops */

static struct event		*echo_listen_ev;
static struct bufferevent	*echo_conns[ECHO_MAX];

/* Move into a new network namespace with loopback up. 0 or -1. */
static int
netns_private(void)
{
	struct ifreq ifr;
	int s, r;

	if (unshare(CLONE_NEWNET) != 0)
		return -1;
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	r = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return r == 0 ? 0 : -1;
}

static void
echo_free(int i)
{
	bufferevent_free(echo_conns[i]);
	echo_conns[i] = NULL;
}

/* Send back what came; stop reading while ECHO_HIGH is unsent. */
static void
echo_read_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	evbuffer_add_buffer(bufferevent_get_output(bev),
	    bufferevent_get_input(bev));
	if (evbuffer_get_length(bufferevent_get_output(bev)) >= ECHO_HIGH)
		bufferevent_disable(bev, EV_READ);
}

static void
echo_write_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_enable(bev, EV_READ);
}

/* The tunnel closed or failed: close our side too. */
static void
echo_event_cb(struct bufferevent *bev, short what, void *arg)
{
	int i;

	(void)arg;
	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) == 0)
		return;
	for (i = 0; i < ECHO_MAX; i++)
		if (echo_conns[i] == bev)
			echo_free(i);
}

static void
echo_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct event_base *base = arg;
	int fd, i;

	(void)what;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < ECHO_MAX && echo_conns[i] != NULL; i++)
			;
		if (i == ECHO_MAX) {
			close(fd);
			continue;
		}
		echo_conns[i] = bufferevent_socket_new(base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
		bufferevent_setcb(echo_conns[i], echo_read_cb, echo_write_cb,
		    echo_event_cb, NULL);
		bufferevent_setwatermark(echo_conns[i], EV_WRITE, ECHO_HIGH / 2,
		    0);
		bufferevent_enable(echo_conns[i], EV_READ | EV_WRITE);
	}
}

/* Listen on 127.0.0.1:ECHO_PORT on base. 0, or -1 when the port is not ours. */
static int
echo_start(struct event_base *base)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(ECHO_PORT);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(fd, 8) != 0) {
		close(fd);
		return -1;
	}
	echo_listen_ev = event_new(base, fd, EV_READ | EV_PERSIST,
	    echo_accept_cb, base);
	event_add(echo_listen_ev, NULL);
	return 0;
}

/* Close every echo connection (the input is over). */
static void
echo_reset(void)
{
	int i;

	for (i = 0; i < ECHO_MAX; i++)
		if (echo_conns[i] != NULL)
			echo_free(i);
}

/* Events the echo server keeps between inputs (its listener). */
static int
echo_events(void)
{
	return echo_listen_ev != NULL;
}

static void
echo_stop(void)
{
	echo_reset();
	if (echo_listen_ev != NULL) {
		close(event_get_fd(echo_listen_ev));
		event_free(echo_listen_ev);
		echo_listen_ev = NULL;
	}
}

#endif
