/*
 * conn_opts.c: what the host's options do to one connection beyond its
 * permissions (HOST.md §4.2, §5.11): who may reach Hash (whitelist,
 * allow-only-conn-window-open), the idle disconnect of a remote
 * session (allow-auto-disconnect, auto-disconnect-timeout), the wake
 * lock while sessions are live (keep-awake-during-incoming-sessions) and
 * the video's adaptive bitrate (enable-abr).
 */
#include <stdlib.h>

#include "common/config.h"
#include "common/log.h"
#include "common/mono.h"
#include "server/awake.h"
#include "server/cmlink.h"
#include "server/conn/conn_int.h"
#include "server/srv.h"
#include "server/svc/svc_video.h"

#define CONN_OPTS_MINUTE_MS	60000

/*
 * Length of one minute of auto-disconnect-timeout: a minute, or for a
 * test CDESK_TEST_AUTO_DISCONNECT_MS milliseconds.
 */
static uint64_t
conn_opts_minute_ms(void)
{
	static uint64_t ms;
	const char *s;
	long v;

	if (ms == 0) {
		ms = CONN_OPTS_MINUTE_MS;
		if ((s = getenv("CDESK_TEST_AUTO_DISCONNECT_MS")) != NULL &&
		    (v = strtol(s, NULL, 10)) > 0)
			ms = (uint64_t)v;
	}
	return ms;
}

/* The wake lock follows the live sessions and the option. */
static void
conn_opts_awake(struct srv *srv)
{
	int want = srv->authed > 0 &&
	    cfg_bool(srv->cfg, "keep-awake-during-incoming-sessions");

	if (srv->awake == NULL) {
		if (!want)
			return;
		srv->awake = awake_new(srv->base);
	}
	awake_want(srv->awake, want);
}

/*
 * Whether a new connection may go on to Hash (HOST.md §4.2): its address
 * must pass option whitelist ("Your ip is blocked by the peer"), and with
 * option allow-only-conn-window-open the main window must be open
 * (attached to the IPC: "The main window is not open"). A connection
 * that may not is told why and closed.
 */
int
conn_opts_admit(struct conn *c)
{
	struct srv *srv = c->srv;
	const char *wl = cfg_get(srv->cfg, "whitelist");

	if (*wl != '\0' && !login_ip_allowed(wl,
	    (const struct sockaddr *)&c->sa)) {
		conn_login_error(c, "Your ip is blocked by the peer", 1);
		return 0;
	}
	if (!cfg_bool(srv->cfg, "allow-only-conn-window-open") ||
	    (srv->cm != NULL && cmlink_ui_count(srv->cm) > 0))
		return 1;
	conn_login_error(c, "The main window is not open", 1);
	return 0;
}

/*
 * The session was authorized: a remote session latches its idle
 * disconnect (upstream reads the options once, at this point), and the
 * wake lock counts it.
 */
void
conn_opts_start(struct conn *c)
{
	struct srv *srv = c->srv;
	long min;

	srv->authed++;
	c->active_ms = mono_ms();
	c->auto_disconnect_ms = 0;
	if (c->kind == LOGIN_KIND_REMOTE &&
	    cfg_bool(srv->cfg, "allow-auto-disconnect")) {
		if ((min = cfg_int(srv->cfg, "auto-disconnect-timeout")) <= 0)
			min = 10;
		c->auto_disconnect_ms = (uint64_t)min * conn_opts_minute_ms();
	}
	conn_opts_awake(srv);
	/* Read at each session's start, as upstream's QoS does. */
	if (srv->video != NULL && c->kind == LOGIN_KIND_REMOTE)
		svc_video_set_abr(srv->video, cfg_bool(srv->cfg, "enable-abr"));
}

/* The peer did something (input, chat, a refresh): the idle clock restarts. */
void
conn_opts_active(struct conn *c)
{
	c->active_ms = mono_ms();
}

/*
 * Once a second: an authorized remote session idle for longer than its
 * auto-disconnect time is told "Connection failed due to inactivity" and
 * closed; a change of the wake-lock option takes effect. Returns 1 when
 * the connection is closing now.
 */
int
conn_opts_tick(struct conn *c)
{
	if (c->state != CONN_AUTHORIZED || c->closing)
		return 0;
	conn_opts_awake(c->srv);
	if (c->auto_disconnect_ms == 0 ||
	    mono_ms() - c->active_ms <= c->auto_disconnect_ms)
		return 0;
	log_info("conn %u peer %s: idle for %llu s: auto disconnect", c->id,
	    c->peer, (unsigned long long)(mono_ms() - c->active_ms) / 1000);
	conn_refuse(c, "Connection failed due to inactivity");
	return 1;
}

/* The connection is closing: an authorized one leaves the wake lock. */
void
conn_opts_closed(struct conn *c)
{
	if (c->state != CONN_AUTHORIZED)
		return;
	c->srv->authed--;
	conn_opts_awake(c->srv);
}
