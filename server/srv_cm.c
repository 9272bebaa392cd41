/*
 * srv_cm.c: the server's answers to the connection manager and the main
 * window (struct cmlink_actions), and starting the CM link.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/store.h"
#include "common/totp.h"
#include "common/xmalloc.h"
#include "server/cmlink.h"
#include "server/conn/conn.h"
#include "server/rendezvous/rendezvous.h"
#include "server/session.h"
#include "server/srv.h"
#include "server/svc/svc_input.h"

/* The local user accepted a waiting connection. */
static void
srv_cm_authorize(int conn_id, void *ctx)
{
	struct conn *c = conn_find(ctx, (uint32_t)conn_id);

	if (c != NULL)
		conn_accept(c);
}

/* The local user dismissed or disconnected a connection. */
static void
srv_cm_close(int conn_id, void *ctx)
{
	struct conn *c = conn_find(ctx, (uint32_t)conn_id);

	if (c != NULL)
		conn_dismiss(c);
}

/* The local user switched a permission. */
static void
srv_cm_switch_permission(int conn_id, const char *name, int enabled,
    const char *by, void *ctx)
{
	struct conn *c = conn_find(ctx, (uint32_t)conn_id);

	if (c != NULL && conn_set_permission(c, name, enabled, by) != 0)
		log_warn("cm: unknown permission for conn %d", conn_id);
}

/* The local user wrote to a peer. */
static void
srv_cm_chat(int conn_id, const char *text, void *ctx)
{
	struct conn *c = conn_find(ctx, (uint32_t)conn_id);

	if (c != NULL)
		conn_chat(c, text);
}

/* The local user answered a voice call. */
static void
srv_cm_voice_call_response(int conn_id, int accepted, void *ctx)
{
	struct conn *c = conn_find(ctx, (uint32_t)conn_id);

	if (c != NULL)
		conn_voice_answer(c, accepted);
}

/* The local user hung up a voice call. */
static void
srv_cm_voice_call_hang_up(int conn_id, void *ctx)
{
	struct conn *c = conn_find(ctx, (uint32_t)conn_id);

	if (c != NULL)
		conn_voice_hang_up(c);
}

/* Milliseconds since a peer's last injected click, for the CM's guard. */
static int64_t
srv_cm_click_age_ms(void *ctx)
{
	struct srv *srv = ctx;
	struct timespec ts;
	int64_t last, now;

	if (srv->input == NULL ||
	    (last = svc_input_last_click_ms(srv->input)) == 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return now > last ? now - last : 0;
}

/* Milliseconds since a peer's last injected input of any kind, or -1. */
static int64_t
srv_cm_input_age_ms(void *ctx)
{
	struct srv *srv = ctx;
	struct timespec ts;
	int64_t last, now;

	if (srv->input == NULL ||
	    (last = svc_input_last_input_ms(srv->input)) == 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return now > last ? now - last : 0;
}

/*
 * Effective value of an option, re-reading the files first if one changed
 * (root's `cdesk --option` edits the admin's file, then asks us).
 */
static const char *
srv_cm_option_get(const char *key, void *ctx)
{
	struct srv *srv = ctx;

	srv_cfg_refresh(srv);
	return cfg_get(srv->cfg, key);
}

/* The admin's file that locks key, or NULL (no reload: see option_get). */
static const char *
srv_cm_option_locked(const char *key, void *ctx)
{
	struct srv *srv = ctx;

	return cfg_locked(srv->cfg, key);
}

struct srv_cm_each {
	void	(*cb)(const char *, const char *, void *);
	void	*arg;
};

/* Adapter from cfg_each to the CM's callback. */
static void
srv_cm_each_cb(const char *key, const char *value, int is_set, void *arg)
{
	struct srv_cm_each *e = arg;

	(void)is_set;
	e->cb(key, value, e->arg);
}

/* Every option with its effective value. */
static void
srv_cm_options_each(void (*cb)(const char *, const char *, void *),
    void *arg, void *ctx)
{
	struct srv *srv = ctx;
	struct srv_cm_each e = { cb, arg };

	srv_cfg_refresh(srv);
	cfg_each(srv->cfg, srv_cm_each_cb, &e);
}

/*
 * Set an option in the user's file and take it at once; a key the admin's
 * file sets is refused, naming that file (the root service never writes
 * the admin's file).
 */
static int
srv_cm_option_set(const char *key, const char *value, char **cause,
    void *ctx)
{
	struct srv *srv = ctx;
	const char *by;
	int r;

	*cause = NULL;
	if (!cfg_known(key)) {
		xasprintf(cause, "unknown option '%s'", key);
		return ERR_INVAL;
	}
	/* It names whom the server runs a desktop as: the admin's alone. */
	if (strcmp(key, "headless-user") == 0) {
		xasprintf(cause, "option headless-user is set only in the "
		    "config file, by the administrator");
		return ERR_DENIED;
	}
	if (*value != '\0' && (r = cfg_check(key, value, cause)) != 0)
		return r;
	srv_cfg_refresh(srv);
	if ((by = cfg_locked(srv->cfg, key)) != NULL) {
		xasprintf(cause, "option '%s' is set by the administrator in "
		    "%s and cannot be changed here", key, by);
		log_info("option %s: change over the IPC refused (set in %s)",
		    key, by);
		return ERR_DENIED;
	}
	if ((r = cfg_set_file_mode(srv->paths->conf, key, value,
	    srv->paths->conf_mode, cause)) != 0) {
		log_warn("option %s not changed: %s", key, *cause != NULL ?
		    *cause : err_str(r));
		return r;
	}
	log_info("option %s changed through the IPC", key);
	srv_cfg_refresh(srv);
	return 0;
}

/* What the main window shows. */
static void
srv_cm_status(struct cmlink_status *st, void *ctx)
{
	struct srv *srv = ctx;
	const char *text = "off";

	memset(st, 0, sizeof *st);
	if (srv->rdv != NULL)
		rdv_state(srv->rdv, &text);
	st->rendezvous = text;
	st->id = store_id(srv->store);
	st->temp_password = srv->otp;
	st->direct_port = srv->direct_port;
	st->connections = conn_count(srv);
	st->desk_notice = srv_desk_notice(srv);
}

/* Draw a new one-time password. */
static int
srv_cm_refresh_temp_password(void *ctx)
{
	srv_otp_rotate(ctx);
	return 0;
}

/* Set the permanent password. */
static int
srv_cm_set_permanent_password(const char *pw, char **cause, void *ctx)
{
	struct srv *srv = ctx;
	int r;

	if ((r = store_set_password(srv->store, pw, cause)) == 0)
		log_info("permanent password %s through the IPC",
		    *pw ? "changed" : "removed");
	else
		log_warn("permanent password not changed: %s",
		    *cause != NULL ? *cause : err_str(r));
	return r;
}

/* Fill st from the store: on, pending, trusted devices. */
static void
srv_cm_tfa_state(struct cmlink_tfa *st, void *ctx)
{
	struct srv *srv = ctx;
	size_t len;

	memset(st, 0, sizeof *st);
	st->enabled = store_totp(srv->store, &len) != NULL;
	st->pending = store_totp_pending(srv->store, &len) != NULL;
	st->trusted = (unsigned)store_trusted_count(srv->store,
	    (int64_t)time(NULL) * 1000);
	st->ndevices = store_trusted_list(srv->store,
	    (int64_t)time(NULL) * 1000, st->devices, STORE_TRUSTED_MAX);
}

/* 2FA: draw a secret to confirm; its URI and base32 go to the asker. */
static int
srv_cm_tfa_setup(struct cmlink_tfa *st, char **cause, void *ctx)
{
	struct srv *srv = ctx;
	const uint8_t *sec;
	size_t len;
	char *uri;
	int r;

	if ((r = store_totp_setup(srv->store, cause)) != 0)
		return r;
	srv_cm_tfa_state(st, ctx);
	sec = store_totp_pending(srv->store, &len);
	totp_b32_encode(sec, len, st->secret, sizeof st->secret);
	uri = totp_uri(sec, len, store_id(srv->store));
	snprintf(st->uri, sizeof st->uri, "%s", uri);
	sodium_memzero(uri, strlen(uri));
	free(uri);
	log_info("2FA: a new secret waits for its first code");
	return 0;
}

/* 2FA: enable the drawn secret once its code is right. */
static int
srv_cm_tfa_enable(const char *code, char **cause, void *ctx)
{
	struct srv *srv = ctx;
	int r;

	r = store_totp_enable(srv->store, code, (int64_t)time(NULL), cause);
	if (r == 0)
		log_info("2FA enabled through the IPC");
	else
		log_info("2FA not enabled: %s", *cause);
	return r;
}

/* 2FA: turn it off and forget the trusted devices. */
static int
srv_cm_tfa_disable(char **cause, void *ctx)
{
	struct srv *srv = ctx;
	int r;

	if ((r = store_totp_disable(srv->store, cause)) == 0)
		log_info("2FA disabled through the IPC");
	return r;
}

/* 2FA: forget one trusted device (its key or peer ID) or all. */
static int
srv_cm_tfa_untrust(const char *which, int all, char **cause, void *ctx)
{
	struct srv *srv = ctx;
	int r;

	r = all ? store_trusted_clear(srv->store, cause) :
	    store_trusted_remove(srv->store, which, cause);
	if (r == 0)
		log_info("2FA: %s forgotten through the IPC", all ?
		    "every trusted device" : "a trusted device");
	return r;
}

static const struct cmlink_actions srv_cm_actions = {
	.authorize = srv_cm_authorize,
	.close = srv_cm_close,
	.switch_permission = srv_cm_switch_permission,
	.chat = srv_cm_chat,
	.voice_call_response = srv_cm_voice_call_response,
	.voice_call_hang_up = srv_cm_voice_call_hang_up,
	.click_age_ms = srv_cm_click_age_ms,
	.input_age_ms = srv_cm_input_age_ms,
	.option_get = srv_cm_option_get,
	.option_locked = srv_cm_option_locked,
	.options_each = srv_cm_options_each,
	.option_set = srv_cm_option_set,
	.status = srv_cm_status,
	.refresh_temp_password = srv_cm_refresh_temp_password,
	.set_permanent_password = srv_cm_set_permanent_password,
	.tfa_setup = srv_cm_tfa_setup,
	.tfa_enable = srv_cm_tfa_enable,
	.tfa_disable = srv_cm_tfa_disable,
	.tfa_state = srv_cm_tfa_state,
	.tfa_untrust = srv_cm_tfa_untrust,
};

/*
 * Start the CM link on the run folder and tell it whose session we share
 * (the session source's, else session_current()).
 */
int
srv_cm_start(struct srv *srv)
{
	struct session sess;
	const char *v;
	char *cause = NULL;
	int r;

	if ((r = cmlink_new(&srv->cm, srv->base, srv->paths->run_dir,
	    &srv_cm_actions, srv, &cause)) != 0) {
		log_error("connection manager link: %s",
		    cause ? cause : err_str(r));
		free(cause);
		return r;
	}
	/* The test harness keeps a CM off the screen its video and input
	 * tests look at (tests/lib.sh); never set in a real install. */
	if ((v = getenv("CDESK_TEST_CM_CLICK_ONLY")) != NULL && *v != '\0')
		cmlink_set_click_only(srv->cm, 1);
	if (srv->desk != NULL) {
		cmlink_set_session(srv->cm, session_source_get(srv->desk));
		cmlink_set_notice(srv->cm, srv_desk_notice(srv), 0);
		return 0;
	}
	session_init(&sess);
	session_current(&sess);
	cmlink_set_session(srv->cm, &sess);
	session_fini(&sess);
	return 0;
}
