/*
 * conn_2fa.c: two-factor logins (PROTOCOL.md §3.10, HOST.md §4.6). After
 * a right password login_decide() says LOGIN_2FA when a TOTP secret is
 * set: the peer hears "2FA Required" (with enable_trusted_devices), the CM
 * shows the connection waiting, and an Auth2FA with the right code (or a
 * click) lets it in. Wrong codes count in their own throttle, with the
 * password's limits; a right code from a device the peer asked us to
 * trust lets that device skip the code for 90 days (common/store.c).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/config.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/store.h"
#include "common/totp.h"
#include "common/xmalloc.h"
#include "server/conn/conn_int.h"
#include "server/conn/login.h"
#include "server/conn/throttle.h"
#include "server/srv.h"

/* How a login that passed 2FA was let in, for the log and the audit. */
static const char *
conn_2fa_how(enum login_how how)
{
	switch (how) {
	case LOGIN_BY_OTP:
		return "one-time password and 2FA code";
	case LOGIN_BY_PERMANENT:
		return "permanent password and 2FA code";
	case LOGIN_BY_RECENT:
		return "recent session and 2FA code";
	case LOGIN_BY_NONE:
		break;
	}
	return "2FA code";
}

/* 1 if the LoginRequest's hwid names a trusted device (and they are on). */
int
conn_2fa_trusted(struct conn *c, const Hbb__LoginRequest *lr)
{
	struct srv *srv = c->srv;
	size_t len;

	if (lr->hwid.len == 0 || store_totp(srv->store, &len) == NULL ||
	    !cfg_bool(srv->cfg, "enable-trusted-devices"))
		return 0;
	return store_trusted_match(srv->store, lr->hwid.data, lr->hwid.len,
	    lr->my_id, lr->my_name, lr->my_platform, unix_ms());
}

/* The password was right and 2FA is on: ask for the code. */
void
conn_2fa_ask(struct conn *c, const struct login_verdict *v)
{
	struct srv *srv = c->srv;
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__LoginResponse lr = HBB__LOGIN_RESPONSE__INIT;

	c->awaiting_2fa = 1;
	c->tfa_how = v->how;
	sodium_memzero(c->tfa_otp, sizeof c->tfa_otp);
	if (v->how == LOGIN_BY_OTP) {
		/* Remembered for the recent session once the code is in. */
		srv->otp_failures = 0;
		memcpy(c->tfa_otp, srv->otp, sizeof c->tfa_otp);
	}
	lr.union_case = HBB__LOGIN_RESPONSE__UNION_ERROR;
	lr.error = (char *)v->text;
	lr.enable_trusted_devices = cfg_bool(srv->cfg,
	    "enable-trusted-devices");
	m.union_case = HBB__MESSAGE__UNION_LOGIN_RESPONSE;
	m.login_response = &lr;
	conn_send(c, &m);
	/* The local user may let it in meanwhile, as upstream's CM can; the
	 * approve timeout ends the wait. */
	c->pending = 1;
	c->pending_ms = mono_ms();
	conn_cm_login(c, 0);
	log_info("conn %u peer %s: password right (%s), waiting for the 2FA "
	    "code", c->id, c->peer, login_how_name(v->how));
}

/* Remember that this login triple passed 2FA (a recent session). */
static void
conn_2fa_session(struct conn *c)
{
	struct srv_session *s;

	if ((s = conn_find_session(c)) == NULL) {
		s = xcalloc(1, sizeof *s);
		s->my_id = xstrdup(c->my_id);
		s->my_name = xstrdup(c->my_name);
		s->session_id = c->session_id;
		TAILQ_INSERT_TAIL(&c->srv->sessions, s, entry);
	}
	s->last_seen = conn_now_s();
	s->tfa = 1;
}

/* Remember the peer's device as trusted (LOGIN_F_TRUST). */
static void
conn_2fa_trust(struct conn *c, const Hbb__Auth2FA *a)
{
	char *cause = NULL;
	int r;

	r = store_trusted_add(c->srv->store, a->hwid.data, a->hwid.len,
	    c->my_id, c->my_name, c->platform, unix_ms(), &cause);
	if (r != 0)
		log_warn("conn %u peer %s: trusted device not saved: %s",
		    c->id, c->peer, cause);
	else
		log_info("conn %u peer %s: device trusted for 90 days", c->id,
		    c->peer);
	free(cause);
}

/* Auth2FA (PROTOCOL.md §3.10): the code the peer typed. */
void
conn_recv_2fa(struct conn *c, const Hbb__Message *m)
{
	const Hbb__Auth2FA *a = m->auth_2fa;
	struct srv *srv = c->srv;
	const struct sockaddr *sa = (const struct sockaddr *)&c->sa;
	struct login_2fa in;
	struct login_verdict v;
	const uint8_t *secret;
	size_t len;
	char otp[sizeof c->tfa_otp];

	memset(&in, 0, sizeof in);
	in.awaiting = c->awaiting_2fa && c->state == CONN_LOGIN &&
	    !c->closing;
	in.throttle = throttle_check(srv->throttle_2fa, sa, conn_now_s());
	secret = store_totp(srv->store, &len);
	in.code_ok = in.awaiting && in.throttle == NULL && secret != NULL &&
	    totp_check(secret, len, a->code, unix_ms() / 1000);
	in.hwid = a->hwid.len > 0;
	in.trust_on = cfg_bool(srv->cfg, "enable-trusted-devices");
	if (!login_decide_2fa(&in, &v)) {
		log_debug("conn %u: Auth2FA ignored: no code asked for", c->id);
		return;
	}
	if (v.flags & LOGIN_F_FAIL_2FA)
		throttle_fail(srv->throttle_2fa, sa, conn_now_s());
	if (v.flags & LOGIN_F_CLEAR_2FA)
		throttle_clear(srv->throttle_2fa, sa);
	if (v.flags & LOGIN_F_TRUST)
		conn_2fa_trust(c, a);
	switch (v.action) {
	case LOGIN_ACCEPT:
		c->awaiting_2fa = 0;
		conn_2fa_session(c);
		memcpy(otp, c->tfa_otp, sizeof otp);
		sodium_memzero(c->tfa_otp, sizeof c->tfa_otp);
		conn_authorize(c, conn_2fa_how(c->tfa_how),
		    c->tfa_how == LOGIN_BY_OTP ? otp : NULL);
		sodium_memzero(otp, sizeof otp);
		break;
	case LOGIN_RETRY:
		conn_login_error(c, v.text, 0);
		break;
	default:
		c->awaiting_2fa = 0;
		conn_login_error(c, v.text, 1);
		break;
	}
}
