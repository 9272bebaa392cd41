/*
 * login.c: the login policy (login.h). Nothing here touches a connection,
 * a throttle or the log: the verdict says what the caller is to do.
 */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/pass.h"
#include "common/xmalloc.h"
#include "server/conn/login.h"

/* The stock refusal when nobody can click (upstream's text). */
#define LOGIN_NOBODY_TEXT	"Closed manually by the peer"
/* A session that has no desk to share (HOST.md §1.1, issue 11). */
#define LOGIN_NO_DESK_TEXT	"The host has no desktop session to share: " \
	"nobody is logged in on its screen"
/* Upstream's texts for a Wayland session and a Wayland login screen; the
 * stock client links its X11 help to the first ("x11 expected"). */
#define LOGIN_WAYLAND_TEXT	"Unsupported display server type wayland, " \
	"x11 expected"
#define LOGIN_WAYLAND_GREETER_TEXT "Wayland login screen is not supported"
/* Upstream's texts for 2FA (client.rs: the client shows a code box). */
#define LOGIN_2FA_TEXT		"2FA Required"
#define LOGIN_2FA_WRONG_TEXT	"Wrong 2FA Code"
/* Peers from this version on are told why they wait (PROTOCOL.md §3.8). */
#define LOGIN_WAIT_TEXT_VERSION	1002000

/* 1 if sa matches one entry of the IP/CIDR list (entries trimmed). */
int
login_ip_allowed(const char *list, const struct sockaddr *sa)
{
	uint8_t ip[16], net[16];
	int fam, len;
	char *dup, *tok, *save = NULL, *slash;
	int ok = 0;

	if (sa->sa_family == AF_INET) {
		memcpy(ip, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		fam = AF_INET;
		len = 4;
	} else {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			memcpy(ip, &a6->s6_addr[12], 4);
			fam = AF_INET;
			len = 4;
		} else {
			memcpy(ip, a6, 16);
			fam = AF_INET6;
			len = 16;
		}
	}
	dup = xstrdup(list);
	for (tok = strtok_r(dup, ",", &save); tok != NULL && !ok;
	    tok = strtok_r(NULL, ",", &save)) {
		int bits, efam, b;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		tok[strcspn(tok, " \t")] = '\0';
		if (strcmp(tok, "0.0.0.0") == 0) {
			ok = 1;
			break;
		}
		if ((slash = strchr(tok, '/')) != NULL)
			*slash++ = '\0';
		efam = strchr(tok, ':') != NULL ? AF_INET6 : AF_INET;
		if (efam != fam || inet_pton(efam, tok, net) != 1)
			continue;
		bits = slash != NULL ? atoi(slash) : len * 8;
		if (bits < 0 || bits > len * 8)
			continue;
		for (b = 0; b < bits; b++)
			if ((ip[b / 8] ^ net[b / 8]) & (0x80 >> (b % 8)))
				break;
		ok = b == bits;
	}
	free(dup);
	return ok;
}

/* 1 if s is an IP literal, optionally with a port, or a host:port. */
static int
login_is_addr(const char *s)
{
	uint8_t tmp[16];
	char buf[300];
	const char *colon;
	size_t i;

	if (strlen(s) >= sizeof buf)
		return 0;
	if (inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1)
		return 1;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (e == NULL || (size_t)(e - s - 1) >= sizeof buf)
			return 0;
		memcpy(buf, s + 1, (size_t)(e - s - 1));
		buf[e - s - 1] = '\0';
		return inet_pton(AF_INET6, buf, tmp) == 1 &&
		    (e[1] == '\0' || (e[1] == ':' && atoi(e + 2) > 0));
	}
	if ((colon = strrchr(s, ':')) == NULL || colon == s)
		return 0;
	for (i = 1; colon[i] != '\0'; i++)
		if (colon[i] < '0' || colon[i] > '9')
			return 0;
	if (i == 1)
		return 0;
	for (i = 0; s + i < colon; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			return 0;
	}
	return 1;
}

/* 1 if my_id matches the id-whitelist (globs, case-insensitive). */
static int
login_id_allowed(const char *list, const char *my_id)
{
	char *dup, *tok, *save = NULL, *at, *bare;
	int ok = 0;

	bare = xstrdup(my_id);
	if ((at = strchr(bare, '@')) != NULL)
		*at = '\0';
	dup = xstrdup(list);
	for (tok = strtok_r(dup, ",", &save); tok != NULL && !ok;
	    tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		tok[strcspn(tok, " \t")] = '\0';
		if (*tok == '\0')
			continue;
		ok = fnmatch(tok, my_id, FNM_CASEFOLD) == 0 ||
		    fnmatch(tok, bare, FNM_CASEFOLD) == 0;
	}
	free(dup);
	free(bare);
	return ok;
}

/* The scope string of a LoginRequest: kind and kind-specific fields. */
char *
login_scope(const Hbb__LoginRequest *lr, enum login_kind *kind)
{
	char *s;

	switch (lr->union_case) {
	case HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER:
		*kind = LOGIN_KIND_FILE;
		xasprintf(&s, "file|%s|%s|%d", lr->my_id,
		    lr->file_transfer->dir, lr->file_transfer->show_hidden);
		break;
	case HBB__LOGIN_REQUEST__UNION_PORT_FORWARD:
		*kind = LOGIN_KIND_PORT_FORWARD;
		xasprintf(&s, "pf|%s|%s|%d", lr->my_id, lr->port_forward->host,
		    lr->port_forward->port);
		break;
	case HBB__LOGIN_REQUEST__UNION_VIEW_CAMERA:
		*kind = LOGIN_KIND_CAMERA;
		xasprintf(&s, "camera|%s", lr->my_id);
		break;
	case HBB__LOGIN_REQUEST__UNION_TERMINAL:
		*kind = LOGIN_KIND_TERMINAL;
		xasprintf(&s, "terminal|%s|%s", lr->my_id,
		    lr->terminal->service_id);
		break;
	default:
		*kind = LOGIN_KIND_REMOTE;
		xasprintf(&s, "remote|%s", lr->my_id);
		break;
	}
	return s;
}

/*
 * RustDesk's get_version_number (PROTOCOL.md §14): "1.2.3" -> 1002030. The
 * string is the peer's: the sums wrap as upstream's integers do in a
 * release build, in unsigned arithmetic (a signed overflow is undefined;
 * fuzz_conn found one).
 */
long
login_version_number(const char *v)
{
	unsigned long n = 0, last = 0, x;
	const char *p = v;
	char *end;

	while (*p != '\0' && *p != '-') {
		x = (unsigned long)strtol(p, &end, 10);
		if (end == p)
			x = 0;
		n = n * 1000 + x;
		last = x;
		p = end;
		while (*p != '\0' && *p != '.' && *p != '-')
			p++;
		if (*p == '.')
			p++;
	}
	n += last * 9;
	if (*p == '-')
		n += (unsigned long)strtol(p + 1, NULL, 10);
	return (long)n;
}

/* Set the action and text of *v. */
static void
login_set(struct login_verdict *v, enum login_action action,
    const char *text)
{
	v->action = action;
	v->text = text;
}

/* Wait for a click, or refuse at once when there is no CM to click in. */
static void
login_wait(const struct login_settings *st, const char *text,
    struct login_verdict *v)
{
	if (st->have_cm)
		login_set(v, LOGIN_WAIT, text);
	else
		login_set(v, LOGIN_NOBODY, LOGIN_NOBODY_TEXT);
}

/* The refusal of a session kind this host does not serve, or NULL. */
static const char *
login_kind_refusal(enum login_kind kind, const struct login_settings *st)
{
	switch (kind) {
	case LOGIN_KIND_REMOTE:
		break;
	case LOGIN_KIND_FILE:
		/* Served through the session's file helper (conn_file.c). */
		return st->enable_file_transfer ? NULL :
		    "No permission of file transfer";
	case LOGIN_KIND_CAMERA:
		return st->enable_camera ?
		    "Viewing the camera is not supported by this host" :
		    "No permission of viewing camera";
	case LOGIN_KIND_TERMINAL:
		return st->enable_terminal ? NULL : "No permission of terminal";
	case LOGIN_KIND_PORT_FORWARD:
		return st->enable_tunnel ? NULL :
		    "No permission of IP tunneling";
	}
	return NULL;
}

/* Why the session on the screen refuses a kind of session, or NULL. */
const char *
login_desk_refusal(enum login_kind kind, enum login_desk desk)
{
	int greeter = desk == LOGIN_DESK_GREETER ||
	    desk == LOGIN_DESK_WAYLAND_GREETER;

	switch (kind) {
	case LOGIN_KIND_REMOTE:
		if (desk == LOGIN_DESK_WAYLAND)
			return LOGIN_WAYLAND_TEXT;
		if (desk == LOGIN_DESK_WAYLAND_GREETER)
			return LOGIN_WAYLAND_GREETER_TEXT;
		break;
	case LOGIN_KIND_FILE:
		if (greeter)
			return "File transfer is not available on the login "
			    "screen";
		break;
	case LOGIN_KIND_TERMINAL:
		if (greeter)
			return "Terminal is not available on the login screen";
		break;
	default:
		return NULL;
	}
	return desk == LOGIN_DESK_NONE ? LOGIN_NO_DESK_TEXT : NULL;
}

/*
 * The checks before any password (HOST.md §4.2 step 3): the latched scope,
 * the ID whitelist, the session kind and the username. Returns 1 with *v
 * set when one refuses, else 0.
 */
static int
login_gate(const struct login_request *rq, const struct login_settings *st,
    const struct login_throttle *th, struct login_verdict *v)
{
	const char *why;

	if (rq->scope_changed) {
		login_set(v, LOGIN_REFUSE, "Connection not allowed");
		return 1;
	}
	if (*st->id_whitelist != '\0') {
		if (th->id != NULL) {
			login_set(v, LOGIN_REFUSE, th->id);
			return 1;
		}
		if (!login_id_allowed(st->id_whitelist, rq->my_id)) {
			v->flags |= LOGIN_F_FAIL_ID;
			login_set(v, LOGIN_REFUSE,
			    "Your ID is blocked by the peer");
			return 1;
		}
	}
	if (rq->kind != LOGIN_KIND_REMOTE &&
	    (why = login_desk_refusal(rq->kind, st->desk)) != NULL) {
		login_set(v, LOGIN_REFUSE, why);
		return 1;
	}
	if ((why = login_kind_refusal(rq->kind, st)) != NULL) {
		login_set(v, LOGIN_REFUSE, why);
		return 1;
	}
	if (strcmp(rq->username, st->host_id) != 0 &&
	    !login_is_addr(rq->username)) {
		login_set(v, LOGIN_REFUSE, "Offline");
		return 1;
	}
	return 0;
}

/* What the passwords and the approve mode say (HOST.md §4.2 step 4). */
static void
login_verdict(const struct login_request *rq,
    const struct login_settings *st, const struct login_secrets *sec,
    const struct login_throttle *th, struct login_verdict *v)
{
	const uint8_t *pw = rq->password;
	size_t len = rq->password_len;
	int only_pw, tmp_on, perm_on;

	memset(v, 0, sizeof *v);
	if (login_gate(rq, st, th, v))
		return;
	only_pw = strcmp(st->approve_mode, "password") == 0;
	tmp_on = strcmp(st->method, "use-permanent-password") != 0 &&
	    *sec->otp != '\0';
	perm_on = strcmp(st->method, "use-temporary-password") != 0 &&
	    sec->h1 != NULL;
	if (strcmp(st->approve_mode, "click") == 0 ||
	    (!only_pw && !tmp_on && !perm_on)) {
		login_wait(st, rq->version >= LOGIN_WAIT_TEXT_VERSION ?
		    "No Password Access" : NULL, v);
		return;
	}
	if (len == 0) {
		/* The client shows its own password box; the local user may
		 * accept meanwhile (not in password mode). */
		if (only_pw)
			login_set(v, LOGIN_RETRY, "Empty Password");
		else
			login_wait(st, NULL, v);
		return;
	}
	if (th->password != NULL) {
		login_set(v, LOGIN_REFUSE, th->password);
		return;
	}
	/* Recent-session reuse only after the throttle (PROTOCOL.md §3.4). */
	if (len > 0 && sec->recent_otp != NULL && pass_check_plain(
	    sec->recent_otp, sec->salt, sec->challenge, pw, len)) {
		login_set(v, LOGIN_ACCEPT, NULL);
		v->how = LOGIN_BY_RECENT;
		return;
	}
	if (tmp_on && pass_check_plain(sec->otp, sec->salt, sec->challenge,
	    pw, len))
		v->how = LOGIN_BY_OTP;
	else if (perm_on && pass_check_h1(sec->h1, sec->challenge, pw, len))
		v->how = LOGIN_BY_PERMANENT;
	if (v->how != LOGIN_BY_NONE) {
		v->flags |= LOGIN_F_CLEAR;
		login_set(v, LOGIN_ACCEPT, NULL);
		return;
	}
	v->flags |= LOGIN_F_FAIL_PW | (tmp_on ? LOGIN_F_FAIL_OTP : 0);
	/* Show the (unauthorized) request: a click may still let it in. */
	if (!only_pw && st->have_cm)
		login_set(v, LOGIN_WAIT, "Wrong Password");
	else
		login_set(v, LOGIN_RETRY, "Wrong Password");
}

/*
 * What to do with a LoginRequest. Remote control of a desk that cannot be
 * shared is refused where it would be let in or wait for a click, as
 * upstream refuses an unsupported display server after the password: a
 * wrong password still only hears so.
 */
void
login_decide(const struct login_request *rq, const struct login_settings *st,
    const struct login_secrets *sec, const struct login_throttle *th,
    struct login_verdict *v)
{
	const char *why;

	login_verdict(rq, st, sec, th, v);
	/* A right password still needs the code, unless the device is
	 * trusted or this peer's recent session passed 2FA (§3.10). */
	if (v->action == LOGIN_ACCEPT && st->tfa && !rq->trusted &&
	    !sec->recent_tfa)
		login_set(v, LOGIN_2FA, LOGIN_2FA_TEXT);
	if (rq->kind != LOGIN_KIND_REMOTE ||
	    (why = login_desk_refusal(rq->kind, st->desk)) == NULL)
		return;
	switch (v->action) {
	case LOGIN_ACCEPT:
	case LOGIN_2FA:
	case LOGIN_NOBODY:
		login_set(v, LOGIN_REFUSE, why);
		v->how = LOGIN_BY_NONE;
		break;
	case LOGIN_WAIT:
		if (v->flags & LOGIN_F_FAIL_PW)
			login_set(v, LOGIN_RETRY, "Wrong Password");
		else
			login_set(v, LOGIN_REFUSE, why);
		break;
	default:
		break;
	}
}

/* What to do with an Auth2FA (PROTOCOL.md §3.10, HOST.md §4.6). */
int
login_decide_2fa(const struct login_2fa *in, struct login_verdict *v)
{
	memset(v, 0, sizeof *v);
	/* A code may come after a click let the peer in: ignored. */
	if (!in->awaiting)
		return 0;
	if (in->throttle != NULL)
		login_set(v, LOGIN_REFUSE, in->throttle);
	else if (in->code_ok) {
		login_set(v, LOGIN_ACCEPT, NULL);
		v->flags = LOGIN_F_CLEAR_2FA |
		    (in->hwid && in->trust_on ? LOGIN_F_TRUST : 0);
	} else {
		login_set(v, LOGIN_RETRY, LOGIN_2FA_WRONG_TEXT);
		v->flags = LOGIN_F_FAIL_2FA;
	}
	return 1;
}

/* How a login was accepted, for the log. */
const char *
login_how_name(enum login_how how)
{
	switch (how) {
	case LOGIN_BY_OTP:
		return "one-time password";
	case LOGIN_BY_PERMANENT:
		return "permanent password";
	case LOGIN_BY_RECENT:
		return "recent session";
	case LOGIN_BY_NONE:
		break;
	}
	return "-";
}
