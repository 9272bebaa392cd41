/*
 * test_login.c: the login policy (server/conn/login.c). login_decide is
 * run on every combination of the dimensions below; expect() says what
 * should happen, rule by rule as HOST.md §4.2 lists them, written apart
 * from login.c. The same for an Auth2FA's code (login_decide_2fa). Then
 * the helpers: the IP whitelist, the username forms,
 * the ID whitelist's globs, scopes and version numbers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/pass.h"
#include "server/conn/login.h"
#include "tests/tst.h"

int main(void);

#define SALT		"8fm2kq9wz3xc7vbn4hj6tdr5yp2sa9ke"
#define CHALLENGE	"q4w7e2"
#define OTP_PW		"k7mpq2"
#define PERM_PW		"Secret-42"
#define RECENT_PW	"x9x9x9"
#define WRONG_PW	"nope-nope"
#define HOST_ID		"987654321"
#define PEER_ID		"123456789"
#define TH_ID_TEXT	"Please try 1 minute later"
#define TH_PW_TEXT	"Too many wrong attempts"

/* The dimensions, each with its number of values (the last member). */
enum t_approve { A_DEFAULT, A_BOTH, A_PASSWORD, A_CLICK, A_N };
enum t_method { M_DEFAULT, M_TEMPORARY, M_PERMANENT, M_BOTH, M_N };
enum t_pw { PW_EMPTY, PW_OTP, PW_PERM, PW_RECENT, PW_WRONG, PW_N };
enum t_wl { WL_NONE, WL_HIT, WL_MISS, WL_N };
enum t_th { TH_NONE, TH_ID, TH_PW, TH_N };
enum t_user { U_HOST, U_ADDR, U_OTHER, U_N };
#define KIND_N	5

static const char *const approve_modes[A_N] = {
	"", "both", "password", "click",
};
static const char *const methods[M_N] = {
	"", "use-temporary-password", "use-permanent-password",
	"use-both-passwords",
};
static const char *const whitelists[WL_N] = {
	"", "555*, 1234*", "555*,9*",
};
static const char *const usernames[U_N] = {
	HOST_ID, "192.0.2.1:21118", "555555555",
};
/*
 * Refusals by session kind: [kind][enabled]; NULL: the host serves it, and
 * the rules after the kind decide (HOST.md §5.8, §5.9).
 */
static const char *const kind_refusals[KIND_N][2] = {
	[LOGIN_KIND_REMOTE] = { NULL, NULL },
	[LOGIN_KIND_FILE] = { "No permission of file transfer", NULL },
	[LOGIN_KIND_PORT_FORWARD] = { "No permission of IP tunneling", NULL },
	[LOGIN_KIND_CAMERA] = { "No permission of viewing camera",
	    "Viewing the camera is not supported by this host" },
	[LOGIN_KIND_TERMINAL] = { "No permission of terminal", NULL },
};

/* What the session on the screen refuses: [desk][kind], NULL: nothing. */
#define DESK_N		5
#define NO_DESK		"The host has no desktop session to share: " \
	"nobody is logged in on its screen"
#define WAYLAND		"Unsupported display server type wayland, x11 " \
	"expected"
#define FILE_GREETER	"File transfer is not available on the login screen"
#define TERM_GREETER	"Terminal is not available on the login screen"
static const char *const desk_refusals[DESK_N][KIND_N] = {
	[LOGIN_DESK_USER] = { NULL },
	[LOGIN_DESK_GREETER] = {
		[LOGIN_KIND_FILE] = FILE_GREETER,
		[LOGIN_KIND_TERMINAL] = TERM_GREETER,
	},
	[LOGIN_DESK_WAYLAND] = { [LOGIN_KIND_REMOTE] = WAYLAND },
	[LOGIN_DESK_WAYLAND_GREETER] = {
		[LOGIN_KIND_REMOTE] = "Wayland login screen is not supported",
		[LOGIN_KIND_FILE] = FILE_GREETER,
		[LOGIN_KIND_TERMINAL] = TERM_GREETER,
	},
	[LOGIN_DESK_NONE] = {
		[LOGIN_KIND_REMOTE] = NO_DESK,
		[LOGIN_KIND_FILE] = NO_DESK,
		[LOGIN_KIND_TERMINAL] = NO_DESK,
	},
};

/* One combination. */
struct tcase {
	int		 scope_changed;
	enum t_wl	 wl;
	enum t_th	 th;
	enum login_kind	 kind;
	int		 enabled;	/* the kinds' enable-* options */
	enum t_user	 user;
	enum t_approve	 approve;
	enum t_method	 method;
	int		 otp_set;
	int		 h1_set;
	int		 recent;	/* a recent session of this peer */
	enum t_pw	 pw;
	int		 cm;
	int		 new_version;	/* 1.2.0 or later */
	enum login_desk	 desk;
	int		 tfa;		/* 2FA on */
	int		 trusted;	/* the device is trusted */
	int		 recent_tfa;	/* the recent session passed 2FA */
};

/* The proofs a client sends for each password (PW_EMPTY: none). */
static uint8_t proofs[PW_N][PASS_HASH_LEN];
static uint8_t perm_h1[PASS_HASH_LEN];

/* Compute the proofs once. */
static void
setup_proofs(void)
{
	static const char *const pws[PW_N] = {
		"", OTP_PW, PERM_PW, RECENT_PW, WRONG_PW,
	};
	uint8_t h1[PASS_HASH_LEN];
	int i;

	for (i = 1; i < PW_N; i++) {
		pass_h1(pws[i], SALT, h1);
		pass_proof(h1, CHALLENGE, proofs[i]);
	}
	pass_h1(PERM_PW, SALT, perm_h1);
}

/* Fill a verdict. */
static void
set(struct login_verdict *e, enum login_action action, const char *text)
{
	e->action = action;
	e->text = text;
}

/* Wait for a click, or the stock refusal when no CM is there. */
static void
wait_or_nobody(const struct tcase *t, const char *text,
    struct login_verdict *e)
{
	if (t->cm)
		set(e, LOGIN_WAIT, text);
	else
		set(e, LOGIN_NOBODY, "Closed manually by the peer");
}

/*
 * What should happen, one rule after another (HOST.md §4.2), before the
 * session on the screen has its say.
 */
static void
expect_settings(const struct tcase *t, struct login_verdict *e)
{
	int otp_usable = t->otp_set && t->method != M_PERMANENT;
	int perm_usable = t->h1_set && t->method != M_TEMPORARY;
	int password_only = t->approve == A_PASSWORD;
	int click_only = t->approve == A_CLICK;

	memset(e, 0, sizeof *e);
	if (t->scope_changed)
		set(e, LOGIN_REFUSE, "Connection not allowed");
	else if (t->wl != WL_NONE && t->th == TH_ID)
		set(e, LOGIN_REFUSE, TH_ID_TEXT);
	else if (t->wl == WL_MISS) {
		set(e, LOGIN_REFUSE, "Your ID is blocked by the peer");
		e->flags = LOGIN_F_FAIL_ID;
	} else if (t->kind != LOGIN_KIND_REMOTE &&
	    desk_refusals[t->desk][t->kind] != NULL)
		set(e, LOGIN_REFUSE, desk_refusals[t->desk][t->kind]);
	else if (kind_refusals[t->kind][t->enabled] != NULL)
		set(e, LOGIN_REFUSE, kind_refusals[t->kind][t->enabled]);
	else if (t->user == U_OTHER)
		set(e, LOGIN_REFUSE, "Offline");
	else if (click_only ||
	    (!password_only && !otp_usable && !perm_usable))
		wait_or_nobody(t, t->new_version ? "No Password Access" : NULL,
		    e);
	else if (t->pw == PW_EMPTY && password_only)
		set(e, LOGIN_RETRY, "Empty Password");
	else if (t->pw == PW_EMPTY)
		wait_or_nobody(t, NULL, e);
	else if (t->th == TH_PW)	/* before the recent session too */
		set(e, LOGIN_REFUSE, TH_PW_TEXT);
	else if (t->pw == PW_RECENT && t->recent) {
		set(e, LOGIN_ACCEPT, NULL);
		e->how = LOGIN_BY_RECENT;
	} else if (t->pw == PW_OTP && otp_usable) {
		set(e, LOGIN_ACCEPT, NULL);
		e->how = LOGIN_BY_OTP;
		e->flags = LOGIN_F_CLEAR;
	} else if (t->pw == PW_PERM && perm_usable) {
		set(e, LOGIN_ACCEPT, NULL);
		e->how = LOGIN_BY_PERMANENT;
		e->flags = LOGIN_F_CLEAR;
	} else {
		e->flags = LOGIN_F_FAIL_PW;
		if (otp_usable)
			e->flags |= LOGIN_F_FAIL_OTP;
		if (!password_only && t->cm)
			set(e, LOGIN_WAIT, "Wrong Password");
		else
			set(e, LOGIN_RETRY, "Wrong Password");
	}
}

/*
 * What should happen: with 2FA on, a login that would be let in asks for
 * the code instead, unless the device is trusted or the recent session
 * passed 2FA (PROTOCOL.md §3.10). Remote control of a desk that cannot be
 * shared is refused wherever it would be let in, ask for a code or wait
 * for a click, but a wrong password only hears so.
 */
static void
expect(const struct tcase *t, struct login_verdict *e)
{
	const char *why = desk_refusals[t->desk][LOGIN_KIND_REMOTE];

	expect_settings(t, e);
	if (e->action == LOGIN_ACCEPT && t->tfa && !t->trusted &&
	    !t->recent_tfa)
		set(e, LOGIN_2FA, "2FA Required");	/* .how stays */
	if (t->kind != LOGIN_KIND_REMOTE || why == NULL)
		return;
	if (e->action == LOGIN_ACCEPT || e->action == LOGIN_2FA ||
	    e->action == LOGIN_NOBODY) {
		set(e, LOGIN_REFUSE, why);
		e->how = LOGIN_BY_NONE;
	} else if (e->action == LOGIN_WAIT && (e->flags & LOGIN_F_FAIL_PW))
		set(e, LOGIN_RETRY, "Wrong Password");
	else if (e->action == LOGIN_WAIT)
		set(e, LOGIN_REFUSE, why);
}

/* Run login_decide on one combination. */
static void
decide(const struct tcase *t, struct login_verdict *v)
{
	struct login_request rq;
	struct login_settings st;
	struct login_secrets sec;
	struct login_throttle th;

	memset(&rq, 0, sizeof rq);
	rq.kind = t->kind;
	rq.my_id = PEER_ID;
	rq.username = usernames[t->user];
	rq.password = t->pw == PW_EMPTY ? NULL : proofs[t->pw];
	rq.password_len = t->pw == PW_EMPTY ? 0 : PASS_HASH_LEN;
	rq.version = login_version_number(t->new_version ? "1.2.0" :
	    "1.1.9");
	rq.scope_changed = t->scope_changed;
	rq.trusted = t->trusted;

	memset(&st, 0, sizeof st);
	st.approve_mode = approve_modes[t->approve];
	st.method = methods[t->method];
	st.id_whitelist = whitelists[t->wl];
	st.host_id = HOST_ID;
	st.enable_file_transfer = st.enable_camera = t->enabled;
	st.enable_terminal = st.enable_tunnel = t->enabled;
	st.have_cm = t->cm;
	st.desk = t->desk;
	st.tfa = t->tfa;

	sec.challenge = CHALLENGE;
	sec.salt = SALT;
	sec.otp = t->otp_set ? OTP_PW : "";
	sec.h1 = t->h1_set ? perm_h1 : NULL;
	sec.recent_otp = t->recent ? RECENT_PW : NULL;
	sec.recent_tfa = t->recent_tfa;

	th.id = t->th == TH_ID ? TH_ID_TEXT : NULL;
	th.password = t->th == TH_PW ? TH_PW_TEXT : NULL;

	memset(v, 0xa5, sizeof *v);	/* login_decide must fill it all */
	login_decide(&rq, &st, &sec, &th, v);
}

/* Print a combination that went wrong and fail. */
static void
mismatch(const struct tcase *t, const struct login_verdict *v,
    const struct login_verdict *e)
{
	fprintf(stderr, "scope_changed %d wl %d th %d kind %d enabled %d "
	    "user %d approve '%s' method '%s' otp %d h1 %d recent %d pw %d "
	    "cm %d new_version %d desk %d tfa %d trusted %d recent_tfa %d\n",
	    t->scope_changed, t->wl, t->th, t->kind, t->enabled, t->user,
	    approve_modes[t->approve], methods[t->method], t->otp_set,
	    t->h1_set, t->recent, t->pw, t->cm, t->new_version, t->desk,
	    t->tfa, t->trusted, t->recent_tfa);
	fprintf(stderr, "got action %d how %d flags %#x text '%s'\n",
	    v->action, v->how, v->flags, v->text ? v->text : "(null)");
	TST_FAIL("expected action %d how %d flags %#x text '%s'", e->action,
	    e->how, e->flags, e->text ? e->text : "(null)");
}

/*
 * The 2FA dimension: {on, trusted device, recent session passed 2FA}.
 * Off with both facts set checks that they mean nothing then; on, with
 * neither and each alone (both at once is in the examples: the 6th value
 * would add a sixth to the run time for one OR).
 */
#define TFA_N	5
static const int tfa_cases[TFA_N][3] = {
	{ 0, 0, 0 }, { 0, 1, 1 }, { 1, 0, 0 }, { 1, 1, 0 }, { 1, 0, 1 },
};

/* Every combination of the dimensions against expect(). */
static void
test_decide_all(void)
{
	struct tcase t;
	struct login_verdict v, e;
	long n = 0, seen[6] = { 0 };
	int text_ok, k, d, f;

	setup_proofs();
	memset(&t, 0, sizeof t);
	for (t.scope_changed = 0; t.scope_changed < 2; t.scope_changed++)
	for (t.wl = 0; t.wl < WL_N; t.wl++)
	for (t.th = 0; t.th < TH_N; t.th++)
	for (k = 0; k < KIND_N; k++)
	for (t.enabled = 0; t.enabled < 2; t.enabled++)
	for (t.user = 0; t.user < U_N; t.user++)
	for (t.approve = 0; t.approve < A_N; t.approve++)
	for (t.method = 0; t.method < M_N; t.method++)
	for (t.otp_set = 0; t.otp_set < 2; t.otp_set++)
	for (t.h1_set = 0; t.h1_set < 2; t.h1_set++)
	for (t.recent = 0; t.recent < 2; t.recent++)
	for (t.pw = 0; t.pw < PW_N; t.pw++)
	for (t.cm = 0; t.cm < 2; t.cm++)
	for (t.new_version = 0; t.new_version < 2; t.new_version++)
	for (d = 0; d < DESK_N; d++)
	for (f = 0; f < TFA_N; f++) {
		t.tfa = tfa_cases[f][0];
		t.trusted = tfa_cases[f][1];
		t.recent_tfa = tfa_cases[f][2];
		t.kind = (enum login_kind)k;
		t.desk = (enum login_desk)d;
		decide(&t, &v);
		expect(&t, &e);
		text_ok = (v.text == NULL && e.text == NULL) ||
		    (v.text != NULL && e.text != NULL &&
		    strcmp(v.text, e.text) == 0);
		if (v.action != e.action || v.how != e.how ||
		    v.flags != e.flags || !text_ok)
			mismatch(&t, &v, &e);
		seen[v.action]++;
		n++;
	}
	ASSERT_INT_EQ(n, 2L * WL_N * TH_N * KIND_N * 2 * U_N * A_N * M_N *
	    2 * 2 * 2 * PW_N * 2 * 2 * DESK_N * TFA_N);
	/* Every verdict occurs. */
	for (k = 0; k < 6; k++)
		ASSERT_TRUE(seen[k] > 0);
}

/* A few combinations spelled out, as a check on expect() itself. */
static void
test_decide_examples(void)
{
	static const struct {
		struct tcase		t;
		enum login_action	action;
		enum login_how		how;
		const char		*text;
	} ex[] = {
		/* The defaults: both modes, both passwords, a CM. */
		{ { .pw = PW_OTP, .otp_set = 1, .cm = 1 }, LOGIN_ACCEPT,
		    LOGIN_BY_OTP, NULL },
		{ { .pw = PW_PERM, .h1_set = 1, .cm = 1 }, LOGIN_ACCEPT,
		    LOGIN_BY_PERMANENT, NULL },
		{ { .pw = PW_WRONG, .otp_set = 1, .cm = 1 }, LOGIN_WAIT,
		    LOGIN_BY_NONE, "Wrong Password" },
		{ { .pw = PW_WRONG, .otp_set = 1, .approve = A_PASSWORD },
		    LOGIN_RETRY, LOGIN_BY_NONE, "Wrong Password" },
		{ { .pw = PW_EMPTY, .otp_set = 1, .approve = A_PASSWORD },
		    LOGIN_RETRY, LOGIN_BY_NONE, "Empty Password" },
		{ { .pw = PW_EMPTY, .otp_set = 1, .cm = 1 }, LOGIN_WAIT,
		    LOGIN_BY_NONE, NULL },
		/* The permanent password while only the OTP counts. */
		{ { .pw = PW_PERM, .h1_set = 1, .otp_set = 1,
		    .method = M_TEMPORARY }, LOGIN_RETRY, LOGIN_BY_NONE,
		    "Wrong Password" },
		{ { .pw = PW_OTP, .otp_set = 1, .approve = A_CLICK,
		    .new_version = 1 }, LOGIN_NOBODY, LOGIN_BY_NONE,
		    "Closed manually by the peer" },
		{ { .pw = PW_OTP, .otp_set = 1, .approve = A_CLICK, .cm = 1,
		    .new_version = 1 }, LOGIN_WAIT, LOGIN_BY_NONE,
		    "No Password Access" },
		{ { .pw = PW_RECENT, .recent = 1, .approve = A_PASSWORD },
		    LOGIN_ACCEPT, LOGIN_BY_RECENT, NULL },
		{ { .pw = PW_OTP, .otp_set = 1, .th = TH_PW }, LOGIN_REFUSE,
		    LOGIN_BY_NONE, TH_PW_TEXT },
		{ { .pw = PW_OTP, .otp_set = 1, .wl = WL_MISS }, LOGIN_REFUSE,
		    LOGIN_BY_NONE, "Your ID is blocked by the peer" },
		{ { .pw = PW_OTP, .otp_set = 1, .kind = LOGIN_KIND_FILE },
		    LOGIN_REFUSE, LOGIN_BY_NONE,
		    "No permission of file transfer" },
		/* Terminal and tunnel: served when enabled, by password. */
		{ { .pw = PW_OTP, .otp_set = 1, .kind = LOGIN_KIND_TERMINAL,
		    .enabled = 1 }, LOGIN_ACCEPT, LOGIN_BY_OTP, NULL },
		{ { .pw = PW_PERM, .h1_set = 1, .enabled = 1,
		    .kind = LOGIN_KIND_PORT_FORWARD }, LOGIN_ACCEPT,
		    LOGIN_BY_PERMANENT, NULL },
		{ { .pw = PW_WRONG, .otp_set = 1, .cm = 1, .enabled = 1,
		    .kind = LOGIN_KIND_TERMINAL }, LOGIN_WAIT, LOGIN_BY_NONE,
		    "Wrong Password" },
		{ { .pw = PW_OTP, .otp_set = 1, .enabled = 1,
		    .kind = LOGIN_KIND_PORT_FORWARD, .user = U_OTHER },
		    LOGIN_REFUSE, LOGIN_BY_NONE, "Offline" },
		{ { .pw = PW_OTP, .otp_set = 1, .kind = LOGIN_KIND_TERMINAL },
		    LOGIN_REFUSE, LOGIN_BY_NONE, "No permission of terminal" },
		{ { .pw = PW_OTP, .otp_set = 1,
		    .kind = LOGIN_KIND_PORT_FORWARD }, LOGIN_REFUSE,
		    LOGIN_BY_NONE, "No permission of IP tunneling" },
		/* File transfer, enabled: the passwords decide as for
		 * remote control. */
		{ { .pw = PW_OTP, .otp_set = 1, .kind = LOGIN_KIND_FILE,
		    .enabled = 1 }, LOGIN_ACCEPT, LOGIN_BY_OTP, NULL },
		{ { .pw = PW_WRONG, .h1_set = 1, .kind = LOGIN_KIND_FILE,
		    .enabled = 1, .cm = 1 }, LOGIN_WAIT, LOGIN_BY_NONE,
		    "Wrong Password" },
		{ { .pw = PW_PERM, .h1_set = 1, .kind = LOGIN_KIND_FILE,
		    .enabled = 1, .user = U_OTHER }, LOGIN_REFUSE,
		    LOGIN_BY_NONE, "Offline" },
		{ { .pw = PW_OTP, .otp_set = 1, .user = U_OTHER },
		    LOGIN_REFUSE, LOGIN_BY_NONE, "Offline" },
		/* The session on the screen. */
		{ { .pw = PW_OTP, .otp_set = 1, .desk = LOGIN_DESK_GREETER },
		    LOGIN_ACCEPT, LOGIN_BY_OTP, NULL },
		{ { .pw = PW_OTP, .otp_set = 1, .desk = LOGIN_DESK_GREETER,
		    .kind = LOGIN_KIND_FILE, .enabled = 1 }, LOGIN_REFUSE,
		    LOGIN_BY_NONE, FILE_GREETER },
		{ { .pw = PW_OTP, .otp_set = 1, .desk = LOGIN_DESK_GREETER,
		    .kind = LOGIN_KIND_TERMINAL }, LOGIN_REFUSE,
		    LOGIN_BY_NONE, TERM_GREETER },
		{ { .pw = PW_OTP, .otp_set = 1, .desk = LOGIN_DESK_WAYLAND },
		    LOGIN_REFUSE, LOGIN_BY_NONE, WAYLAND },
		/* Files need no display: a Wayland desk serves them. */
		{ { .pw = PW_OTP, .otp_set = 1, .desk = LOGIN_DESK_WAYLAND,
		    .kind = LOGIN_KIND_FILE, .enabled = 1 }, LOGIN_ACCEPT,
		    LOGIN_BY_OTP, NULL },
		{ { .pw = PW_WRONG, .otp_set = 1, .cm = 1,
		    .desk = LOGIN_DESK_WAYLAND }, LOGIN_RETRY, LOGIN_BY_NONE,
		    "Wrong Password" },
		{ { .pw = PW_OTP, .otp_set = 1, .desk = LOGIN_DESK_NONE },
		    LOGIN_REFUSE, LOGIN_BY_NONE, NO_DESK },
		{ { .pw = PW_EMPTY, .otp_set = 1, .cm = 1,
		    .desk = LOGIN_DESK_NONE }, LOGIN_REFUSE, LOGIN_BY_NONE,
		    NO_DESK },
		{ { .pw = PW_OTP, .otp_set = 1, .approve = A_CLICK,
		    .desk = LOGIN_DESK_NONE }, LOGIN_REFUSE, LOGIN_BY_NONE,
		    NO_DESK },
		{ { .pw = PW_EMPTY, .otp_set = 1, .approve = A_PASSWORD,
		    .desk = LOGIN_DESK_NONE }, LOGIN_RETRY, LOGIN_BY_NONE,
		    "Empty Password" },
		/* 2FA: a right password asks for the code. */
		{ { .pw = PW_OTP, .otp_set = 1, .tfa = 1 }, LOGIN_2FA,
		    LOGIN_BY_OTP, "2FA Required" },
		{ { .pw = PW_PERM, .h1_set = 1, .tfa = 1,
		    .approve = A_PASSWORD }, LOGIN_2FA, LOGIN_BY_PERMANENT,
		    "2FA Required" },
		{ { .pw = PW_OTP, .otp_set = 1, .tfa = 1, .trusted = 1 },
		    LOGIN_ACCEPT, LOGIN_BY_OTP, NULL },
		{ { .pw = PW_PERM, .h1_set = 1, .tfa = 1, .trusted = 1,
		    .recent_tfa = 1 }, LOGIN_ACCEPT, LOGIN_BY_PERMANENT, NULL },
		{ { .pw = PW_RECENT, .recent = 1, .tfa = 1, .recent_tfa = 1,
		    .approve = A_PASSWORD }, LOGIN_ACCEPT, LOGIN_BY_RECENT,
		    NULL },
		{ { .pw = PW_RECENT, .recent = 1, .tfa = 1,
		    .approve = A_PASSWORD }, LOGIN_2FA, LOGIN_BY_RECENT,
		    "2FA Required" },
		/* ... a wrong one, or none, never gets that far. */
		{ { .pw = PW_WRONG, .otp_set = 1, .tfa = 1,
		    .approve = A_PASSWORD }, LOGIN_RETRY, LOGIN_BY_NONE,
		    "Wrong Password" },
		{ { .pw = PW_WRONG, .otp_set = 1, .tfa = 1, .recent_tfa = 1,
		    .cm = 1 }, LOGIN_WAIT, LOGIN_BY_NONE, "Wrong Password" },
		{ { .pw = PW_EMPTY, .otp_set = 1, .tfa = 1, .cm = 1 },
		    LOGIN_WAIT, LOGIN_BY_NONE, NULL },
		{ { .pw = PW_OTP, .otp_set = 1, .tfa = 1,
		    .desk = LOGIN_DESK_WAYLAND }, LOGIN_REFUSE, LOGIN_BY_NONE,
		    WAYLAND },
	};
	struct login_verdict v;
	size_t i;

	setup_proofs();
	for (i = 0; i < sizeof ex / sizeof ex[0]; i++) {
		decide(&ex[i].t, &v);
		ASSERT_INT_EQ(v.action, ex[i].action);
		ASSERT_INT_EQ(v.how, ex[i].how);
		if (ex[i].text == NULL)
			ASSERT_TRUE(v.text == NULL);
		else
			ASSERT_STR_EQ(v.text, ex[i].text);
	}
}

/* What an Auth2FA should do, written apart from login_decide_2fa. */
static int
expect_2fa(const struct login_2fa *in, struct login_verdict *e)
{
	memset(e, 0, sizeof *e);
	if (!in->awaiting)
		return 0;
	if (in->throttle != NULL)
		set(e, LOGIN_REFUSE, in->throttle);
	else if (!in->code_ok) {
		set(e, LOGIN_RETRY, "Wrong 2FA Code");
		e->flags = LOGIN_F_FAIL_2FA;
	} else {
		set(e, LOGIN_ACCEPT, NULL);
		e->flags = LOGIN_F_CLEAR_2FA;
		if (in->hwid && in->trust_on)
			e->flags |= LOGIN_F_TRUST;
	}
	return 1;
}

/* Every Auth2FA case against expect_2fa, and a few spelled out. */
static void
test_decide_2fa(void)
{
	struct login_2fa in;
	struct login_verdict v, e;
	int th, r, n = 0;

	memset(&in, 0, sizeof in);
	for (in.awaiting = 0; in.awaiting < 2; in.awaiting++)
	for (th = 0; th < 2; th++)
	for (in.code_ok = 0; in.code_ok < 2; in.code_ok++)
	for (in.hwid = 0; in.hwid < 2; in.hwid++)
	for (in.trust_on = 0; in.trust_on < 2; in.trust_on++) {
		in.throttle = th ? TH_PW_TEXT : NULL;
		memset(&v, 0xa5, sizeof v);
		r = login_decide_2fa(&in, &v);
		ASSERT_INT_EQ(r, expect_2fa(&in, &e));
		if (r == 0)
			continue;
		ASSERT_INT_EQ(v.action, e.action);
		ASSERT_INT_EQ(v.how, LOGIN_BY_NONE);
		ASSERT_INT_EQ(v.flags, e.flags);
		if (e.text == NULL)
			ASSERT_TRUE(v.text == NULL);
		else
			ASSERT_STR_EQ(v.text, e.text);
		n++;
	}
	ASSERT_INT_EQ(n, 16);
	/* A wrong code while throttled hears the throttle, counts nothing. */
	in.awaiting = 1;
	in.throttle = "Please try 1 minute later";
	in.code_ok = 0;
	ASSERT_INT_EQ(login_decide_2fa(&in, &v), 1);
	ASSERT_INT_EQ(v.action, LOGIN_REFUSE);
	ASSERT_STR_EQ(v.text, "Please try 1 minute later");
	ASSERT_INT_EQ(v.flags, 0);
	in.throttle = NULL;
	ASSERT_INT_EQ(login_decide_2fa(&in, &v), 1);
	ASSERT_STR_EQ(v.text, "Wrong 2FA Code");
}

/* The username: our ID, or an address of direct access. */
static void
test_usernames(void)
{
	static const struct {
		const char	*username;
		int		 ok;
	} u[] = {
		{ HOST_ID, 1 }, { "192.0.2.1", 1 }, { "192.0.2.1:21118", 1 },
		{ "2001:db8::1", 1 }, { "[2001:db8::1]:21118", 1 },
		{ "host.example:21118", 1 }, { "host-1:1", 1 },
		{ "[2001:db8::1]", 1 }, { "[2001:db8::1]:0", 0 },
		{ "[nope]:1", 0 }, { "host.example", 0 }, { "host:", 0 },
		{ ":21118", 0 }, { "host_1:21118", 0 }, { "host:12a", 0 },
		{ "", 0 }, { "98765432", 0 },
	};
	struct login_request rq;
	struct login_settings st;
	struct login_secrets sec = { CHALLENGE, SALT, "", NULL, NULL, 0 };
	struct login_throttle th = { NULL, NULL };
	struct login_verdict v;
	size_t i;

	memset(&rq, 0, sizeof rq);
	memset(&st, 0, sizeof st);
	rq.my_id = PEER_ID;
	st.approve_mode = "click";
	st.method = "";
	st.id_whitelist = "";
	st.host_id = HOST_ID;
	st.have_cm = 1;
	for (i = 0; i < sizeof u / sizeof u[0]; i++) {
		rq.username = u[i].username;
		login_decide(&rq, &st, &sec, &th, &v);
		if (u[i].ok)
			ASSERT_INT_EQ(v.action, LOGIN_WAIT);
		else {
			ASSERT_INT_EQ(v.action, LOGIN_REFUSE);
			ASSERT_STR_EQ(v.text, "Offline");
		}
	}
}

/* The ID whitelist: globs, no case, the ID with or without "@server". */
static void
test_id_whitelist(void)
{
	static const struct {
		const char	*list;
		const char	*my_id;
		int		 ok;
	} w[] = {
		{ "123456789", "123456789", 1 },
		{ " 1*9 ", "123456789", 1 },
		{ "abc*", "ABCdef", 1 },
		{ "123456789", "123456789@rs.example", 1 },
		{ "*@rs.example", "123456789@rs.example", 1 },
		{ "12345678", "123456789", 0 },
		{ ",,", "123456789", 0 },
		{ "1?3", "123", 1 },
		{ "1?3", "1234", 0 },
	};
	struct login_request rq;
	struct login_settings st;
	struct login_secrets sec = { CHALLENGE, SALT, "", NULL, NULL, 0 };
	struct login_throttle th = { NULL, NULL };
	struct login_verdict v;
	size_t i;

	memset(&rq, 0, sizeof rq);
	memset(&st, 0, sizeof st);
	rq.username = HOST_ID;
	st.approve_mode = "click";
	st.method = "";
	st.host_id = HOST_ID;
	st.have_cm = 1;
	for (i = 0; i < sizeof w / sizeof w[0]; i++) {
		rq.my_id = w[i].my_id;
		st.id_whitelist = w[i].list;
		login_decide(&rq, &st, &sec, &th, &v);
		ASSERT_INT_EQ(v.action, w[i].ok ? LOGIN_WAIT : LOGIN_REFUSE);
		ASSERT_INT_EQ(v.flags, w[i].ok ? 0 : LOGIN_F_FAIL_ID);
	}
}

/* The IP whitelist: addresses, prefixes, v4-mapped, everyone. */
static void
test_ip_whitelist(void)
{
	static const struct {
		const char	*list;
		const char	*addr;
		int		 ok;
	} w[] = {
		{ "192.0.2.7", "192.0.2.7", 1 },
		{ "192.0.2.7", "192.0.2.8", 0 },
		{ "192.0.2.0/24", "192.0.2.200", 1 },
		{ "192.0.2.0/24", "192.0.3.1", 0 },
		{ "10.0.0.1, 192.0.2.0/24", "::ffff:192.0.2.9", 1 },
		{ " 10.0.0.1 ,\t192.0.2.9 ", "192.0.2.9", 1 },
		{ "0.0.0.0", "2001:db8::1", 1 },
		{ "0.0.0.0", "203.0.113.5", 1 },
		{ "2001:db8::/32", "2001:db8:1::5", 1 },
		{ "2001:db8::/32", "2001:db9::5", 0 },
		{ "2001:db8::/32", "192.0.2.1", 0 },
		{ "192.0.2.0/33", "192.0.2.1", 0 },
		{ "192.0.2.0/0", "203.0.113.5", 1 },
		{ "nonsense", "192.0.2.1", 0 },
		{ "", "192.0.2.1", 0 },
	};
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	size_t i;

	for (i = 0; i < sizeof w / sizeof w[0]; i++) {
		memset(&ss, 0, sizeof ss);
		if (strchr(w[i].addr, ':') != NULL) {
			s6->sin6_family = AF_INET6;
			ASSERT_INT_EQ(inet_pton(AF_INET6, w[i].addr,
			    &s6->sin6_addr), 1);
		} else {
			s4->sin_family = AF_INET;
			ASSERT_INT_EQ(inet_pton(AF_INET, w[i].addr,
			    &s4->sin_addr), 1);
		}
		if (login_ip_allowed(w[i].list, (struct sockaddr *)&ss) !=
		    w[i].ok)
			TST_FAIL("whitelist '%s' address %s: expected %d",
			    w[i].list, w[i].addr, w[i].ok);
	}
}

/* Scopes and kinds of each session type. */
static void
test_scope(void)
{
	Hbb__LoginRequest lr = HBB__LOGIN_REQUEST__INIT;
	Hbb__FileTransfer ft = HBB__FILE_TRANSFER__INIT;
	Hbb__PortForward pf = HBB__PORT_FORWARD__INIT;
	Hbb__ViewCamera vc = HBB__VIEW_CAMERA__INIT;
	Hbb__Terminal te = HBB__TERMINAL__INIT;
	enum login_kind kind;
	char *s;

	lr.my_id = (char *)PEER_ID;
	s = login_scope(&lr, &kind);
	ASSERT_INT_EQ(kind, LOGIN_KIND_REMOTE);
	ASSERT_STR_EQ(s, "remote|" PEER_ID);
	free(s);

	ft.dir = (char *)"/tmp";
	ft.show_hidden = 1;
	lr.union_case = HBB__LOGIN_REQUEST__UNION_FILE_TRANSFER;
	lr.file_transfer = &ft;
	s = login_scope(&lr, &kind);
	ASSERT_INT_EQ(kind, LOGIN_KIND_FILE);
	ASSERT_STR_EQ(s, "file|" PEER_ID "|/tmp|1");
	free(s);

	pf.host = (char *)"db.example";
	pf.port = 5432;
	lr.union_case = HBB__LOGIN_REQUEST__UNION_PORT_FORWARD;
	lr.port_forward = &pf;
	s = login_scope(&lr, &kind);
	ASSERT_INT_EQ(kind, LOGIN_KIND_PORT_FORWARD);
	ASSERT_STR_EQ(s, "pf|" PEER_ID "|db.example|5432");
	free(s);

	lr.union_case = HBB__LOGIN_REQUEST__UNION_VIEW_CAMERA;
	lr.view_camera = &vc;
	s = login_scope(&lr, &kind);
	ASSERT_INT_EQ(kind, LOGIN_KIND_CAMERA);
	ASSERT_STR_EQ(s, "camera|" PEER_ID);
	free(s);

	te.service_id = (char *)"tty7";
	lr.union_case = HBB__LOGIN_REQUEST__UNION_TERMINAL;
	lr.terminal = &te;
	s = login_scope(&lr, &kind);
	ASSERT_INT_EQ(kind, LOGIN_KIND_TERMINAL);
	ASSERT_STR_EQ(s, "terminal|" PEER_ID "|tty7");
	free(s);
}

/* Version numbers as upstream computes them, and the names of "how". */
static void
test_version_and_names(void)
{
	ASSERT_INT_EQ(login_version_number("1.2.0"), 1002000);
	ASSERT_INT_EQ(login_version_number("1.2.3"), 1002030);
	ASSERT_INT_EQ(login_version_number("1.1.9"), 1001090);
	ASSERT_INT_EQ(login_version_number("1.2.3-2"), 1002032);
	ASSERT_INT_EQ(login_version_number("1.4"), 1040);
	ASSERT_INT_EQ(login_version_number(""), 0);
	/* A peer's absurd version wraps instead of overflowing (UBSan). */
	(void)login_version_number("9223372036854775807.9223372036854775807-"
	    "9223372036854775807");
	(void)login_version_number("4000000000000000000.7777");
	ASSERT_STR_EQ(login_how_name(LOGIN_BY_OTP), "one-time password");
	ASSERT_STR_EQ(login_how_name(LOGIN_BY_PERMANENT),
	    "permanent password");
	ASSERT_STR_EQ(login_how_name(LOGIN_BY_RECENT), "recent session");
}

/* Runs the tests. */
int
main(void)
{
	TST_RUN(test_decide_all);
	TST_RUN(test_decide_examples);
	TST_RUN(test_decide_2fa);
	TST_RUN(test_usernames);
	TST_RUN(test_id_whitelist);
	TST_RUN(test_ip_whitelist);
	TST_RUN(test_scope);
	TST_RUN(test_version_and_names);
	return 0;
}
