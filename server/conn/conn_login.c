/*
 * conn_login.c: a connection's LoginRequest (PROTOCOL.md §3.4, HOST.md
 * §4.2): the scope and the peer's details latched from the first one, the
 * inputs gathered for login_decide() (login.c, a pure function) and its
 * verdict applied: throttles, a click to wait for, an error or the session.
 * Also the recent sessions a reconnecting peer may reuse. A right
 * password with 2FA on goes on in conn_2fa.c.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/config.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/perm.h"
#include "common/store.h"
#include "common/xmalloc.h"
#include "server/cmlink.h"
#include "server/conn/conn_int.h"
#include "server/conn/login.h"
#include "server/conn/throttle.h"
#include "server/srv.h"

#define CONN_SESSION_REUSE_S	30		/* recent-session window */
#define CONN_OTP_TRIES		6		/* wrong passwords per address */

/* The remembered session for this login triple, if recent; else NULL. */
struct srv_session *
conn_find_session(struct conn *c)
{
	struct srv_session *s, *next;
	long now = conn_now_s();

	for (s = TAILQ_FIRST(&c->srv->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->live == 0 && now - s->last_seen > CONN_SESSION_REUSE_S) {
			TAILQ_REMOVE(&c->srv->sessions, s, entry);
			free(s->my_id);
			free(s->my_name);
			sodium_memzero(s->otp, sizeof s->otp);
			free(s);
			continue;
		}
		if (s->session_id == c->session_id &&
		    strcmp(s->my_id, c->my_id) == 0 &&
		    strcmp(s->my_name, c->my_name) == 0)
			return s;
	}
	return NULL;
}

/* Wait for the local user's click (PROTOCOL.md §3.8). */
static void
conn_wait_click(struct conn *c, const char *error)
{
	c->pending = 1;
	c->pending_ms = mono_ms();
	conn_cm_login(c, 0);
	if (error != NULL)
		conn_login_error(c, error, 0);
	log_info("conn %u peer %s: waiting for the local user", c->id,
	    c->peer);
}

/*
 * Latch the scope and the peer's details from the first LoginRequest.
 * Returns 1 if lr asks for another scope than the latched one, else 0.
 */
static int
conn_latch(struct conn *c, const Hbb__LoginRequest *lr)
{
	enum login_kind kind;
	char *scope = login_scope(lr, &kind);
	int changed;

	if (c->latched) {
		changed = strcmp(scope, c->scope) != 0;
		free(scope);
		return changed;
	}
	c->latched = 1;
	c->kind = kind;
	c->scope = scope;
	c->my_id = xstrdup(lr->my_id);
	c->my_name = xstrdup(lr->my_name);
	c->session_id = lr->session_id;
	c->version = xstrdup(lr->version);
	c->peer_version = login_version_number(lr->version);
	c->platform = xstrdup(lr->my_platform);
	free(c->peer);
	c->peer = log_escape(*lr->my_id ? lr->my_id : "-", 64);
	conn_term_latch(c, lr);
	conn_tunnel_latch(c, lr);
	conn_file_latch(c, lr);
	return 0;
}

/* Do what the login policy decided: bookkeeping first, then the action. */
static void
conn_login_apply(struct conn *c, const struct login_verdict *v)
{
	struct srv *srv = c->srv;
	const struct sockaddr *sa = (const struct sockaddr *)&c->sa;
	char otp[sizeof srv->otp];

	if (v->flags & LOGIN_F_FAIL_ID)
		throttle_fail(srv->throttle_id, sa, conn_now_s());
	if (v->flags & LOGIN_F_FAIL_PW)
		throttle_fail(srv->throttle, sa, conn_now_s());
	if (v->flags & LOGIN_F_FAIL_OTP)
		srv_otp_failed(srv);
	if (v->flags & LOGIN_F_CLEAR) {
		throttle_clear(srv->throttle, sa);
		throttle_clear(srv->throttle_id, sa);
	}
	switch (v->action) {
	case LOGIN_ACCEPT:
		if (v->how == LOGIN_BY_OTP) {
			srv->otp_failures = 0;
			memcpy(otp, srv->otp, sizeof otp);
		}
		conn_authorize(c, login_how_name(v->how),
		    v->how == LOGIN_BY_OTP ? otp : NULL);
		break;
	case LOGIN_WAIT:
		conn_wait_click(c, v->text);
		break;
	case LOGIN_RETRY:
		conn_login_error(c, v->text, 0);
		break;
	case LOGIN_REFUSE:
		conn_login_error(c, v->text, 1);
		srv_desk_refused(srv, v->text);
		break;
	case LOGIN_NOBODY:
		conn_refuse(c, v->text);
		break;
	case LOGIN_2FA:
		conn_2fa_ask(c, v);
		break;
	}
}

/* LoginRequest before authorization (PROTOCOL.md §3.4, HOST.md §4.2). */
void
conn_recv_login(struct conn *c, const Hbb__Message *m)
{
	const Hbb__LoginRequest *lr = m->login_request;
	struct srv *srv = c->srv;
	const struct cfg *cfg = srv->cfg;
	const struct sockaddr *sa = (const struct sockaddr *)&c->sa;
	struct login_request rq;
	struct login_settings st;
	struct login_secrets sec;
	struct login_throttle th;
	struct login_verdict v;
	struct srv_session *s;
	size_t tfa_len;

	/* After authorization further LoginRequests are ignored. */
	if (c->state != CONN_LOGIN)
		return;
	/* A new request starts over: a code asked for is no longer due. */
	c->awaiting_2fa = 0;
	memset(&rq, 0, sizeof rq);
	if ((rq.scope_changed = conn_latch(c, lr)) == 0)
		conn_apply_options(c, lr->option);
	rq.kind = c->kind;
	rq.my_id = lr->my_id;
	rq.username = lr->username;
	rq.password = lr->password.data;
	rq.password_len = lr->password.len;
	rq.version = login_version_number(lr->version);
	rq.trusted = !rq.scope_changed && conn_2fa_trusted(c, lr);

	memset(&st, 0, sizeof st);
	st.approve_mode = cfg_get(cfg, "approve-mode");
	st.method = cfg_get(cfg, "verification-method");
	st.id_whitelist = cfg_get(cfg, "id-whitelist");
	st.host_id = store_id(srv->store);
	st.enable_file_transfer = perm_option_on(cfg, "enable-file-transfer");
	st.enable_camera = perm_option_on(cfg, "enable-camera");
	st.enable_terminal = perm_option_on(cfg, "enable-terminal");
	st.enable_tunnel = perm_option_on(cfg, "enable-tunnel");
	st.have_cm = srv->cm != NULL && cmlink_clickable(srv->cm);
	st.desk = (enum login_desk)srv->desk_login;
	st.tfa = store_totp(srv->store, &tfa_len) != NULL;

	s = lr->password.len > 0 ? conn_find_session(c) : NULL;
	sec.challenge = c->challenge;
	sec.salt = store_salt(srv->store);
	/* The one-time password's tries are counted per address: one that
	 * used them up no longer gets it checked (nor can it rotate it). */
	sec.otp = throttle_failures(srv->throttle, sa, conn_now_s()) >=
	    CONN_OTP_TRIES ? "" : srv->otp;
	sec.h1 = store_password_h1(srv->store);
	sec.recent_otp = s != NULL && s->otp[0] != '\0' ? s->otp : NULL;
	sec.recent_tfa = s != NULL && s->tfa;

	th.id = *st.id_whitelist != '\0' ?
	    throttle_check(srv->throttle_id, sa, conn_now_s()) : NULL;
	th.password = throttle_check(srv->throttle, sa, conn_now_s());

	login_decide(&rq, &st, &sec, &th, &v);
	if (v.action == LOGIN_ACCEPT && st.tfa && rq.trusted)
		log_info("conn %u peer %s: 2FA skipped: a trusted device",
		    c->id, c->peer);
	conn_login_apply(c, &v);
}
