/*
 * test_cmlink.c: the server's CM link against a scripted CM in a child
 * process: state replay on attach, Authorize only for a waiting connection
 * and only once, role checks, permission and chat both ways, and pending
 * connections dismissed when the CM goes; the main window's 2FA requests.
 * Then the CM spawning: for an
 * authorized session as for a waiting one (only waiting ones with
 * click_only), again after our CM quit by itself while a session runs
 * (once per few seconds), not after it was killed.
 */
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/log.h"
#include "ipc/ipc.h"
#include "common/perm.h"
#include "server/cmlink.h"
#include "server/session.h"
#include "tests/tst.h"

int main(int, char **);

static char dir[256];
static char self_exe[512];

/* What the fake server saw. */
struct seen {
	int	authorized[8];
	int	closed[8];
	int	perm_keyboard;
	char	chat[64];
	int	voice_yes, voice_no, hang_ups;
};

static struct cmlink *link_;

static void	spin(struct event_base *, int);

static void
act_authorize(int id, void *ctx)
{
	struct seen *s = ctx;
	struct cmlink_login l = { .conn_id = id, .peer_id = "111",
	    .authorized = 1, .perms = PERM_BIT(PERM_KEYBOARD) };

	s->authorized[id]++;
	/* As conn.c does: tell the CM the connection is in. */
	cmlink_login(link_, &l);
}

static void
act_close(int id, void *ctx)
{
	struct seen *s = ctx;

	s->closed[id]++;
	cmlink_closed(link_, id);
}

static void
act_perm(int id, const char *name, int enabled, const char *by, void *ctx)
{
	struct seen *s = ctx;

	(void)id;
	/* The audit log names the CM that switched it. */
	if (strncmp(by, "cm pid ", 7) != 0 || strstr(by, " uid ") == NULL)
		s->perm_keyboard = 3;
	else if (strcmp(name, "keyboard") == 0)
		s->perm_keyboard = enabled ? 1 : 2;
}

static void
act_chat(int id, const char *text, void *ctx)
{
	struct seen *s = ctx;

	(void)id;
	snprintf(s->chat, sizeof s->chat, "%s", text);
}

/* As conn_voice.c: an answer or a hang-up ends the ringing or the call. */
static void
act_voice(int id, int accepted, void *ctx)
{
	struct seen *s = ctx;

	if (accepted)
		s->voice_yes++;
	else
		s->voice_no++;
	cmlink_voice(link_, id, accepted ? IPC__VOICE_CALL_STATE__STATE__ACTIVE :
	    IPC__VOICE_CALL_STATE__STATE__IDLE);
}

static void
act_hang_up(int id, void *ctx)
{
	struct seen *s = ctx;

	s->hang_ups++;
	cmlink_voice(link_, id, IPC__VOICE_CALL_STATE__STATE__IDLE);
}

static const char *
act_option_get(const char *key, void *ctx)
{
	(void)ctx;
	return strcmp(key, "approve-mode") == 0 ? "both" : "";
}

/* Milliseconds since a peer's input, as the fake server reports it. */
static int64_t input_age = -1;

static int64_t
act_input_age(void *ctx)
{
	(void)ctx;
	return input_age;
}

/* 2FA as the fake server has it: 123456 is the right code. */
static int tfa_on;

static void
act_tfa_state(struct cmlink_tfa *st, void *ctx)
{
	(void)ctx;
	memset(st, 0, sizeof *st);
	st->enabled = tfa_on;
	st->trusted = 2;
}

static int
act_tfa_setup(struct cmlink_tfa *st, char **cause, void *ctx)
{
	(void)cause;
	act_tfa_state(st, ctx);
	st->pending = 1;
	snprintf(st->secret, sizeof st->secret, "MFRGG");
	snprintf(st->uri, sizeof st->uri, "otpauth://totp/x");
	return 0;
}

static int
act_tfa_enable(const char *code, char **cause, void *ctx)
{
	(void)ctx;
	if (strcmp(code, "123456") != 0) {
		*cause = strdup("wrong code");
		return ERR_DENIED;
	}
	tfa_on = 1;
	return 0;
}

static const struct cmlink_actions acts = {
	.authorize = act_authorize,
	.close = act_close,
	.switch_permission = act_perm,
	.chat = act_chat,
	.voice_call_response = act_voice,
	.voice_call_hang_up = act_hang_up,
	.option_get = act_option_get,
	.input_age_ms = act_input_age,
	.tfa_state = act_tfa_state,
	.tfa_setup = act_tfa_setup,
	.tfa_enable = act_tfa_enable,
};

/* Child side: a blocking client. */
static int cfd = -1;
static uint8_t cbuf[IPC_FRAME_MAX + 8];
static size_t chave;

/* Send one message or exit. */
static void
c_send(Ipc__Data *d)
{
	uint8_t *f;
	size_t n;

	if (ipc_pack(d, &f, &n) != 0 || write(cfd, f, n) != (ssize_t)n)
		_exit(20);
	free(f);
}

/* Next message within 2 s (NULL on EOF or timeout). */
static Ipc__Data *
c_recv(void)
{
	struct pollfd pfd = { .fd = cfd, .events = POLLIN };
	Ipc__Data *d;
	ssize_t got;
	int r;

	for (;;) {
		if ((r = ipc_decode(cbuf, chave, &d)) < 0)
			_exit(21);
		if (r > 0) {
			memmove(cbuf, cbuf + r, chave - (size_t)r);
			chave -= (size_t)r;
			return d;
		}
		if (poll(&pfd, 1, 2000) <= 0)
			return NULL;
		if ((got = read(cfd, cbuf + chave, sizeof cbuf - chave)) <= 0)
			return NULL;
		chave += (size_t)got;
	}
}

/* Connect with a role and check the Hello answer. */
static void
c_connect(const char *role)
{
	Ipc__Data d = IPC__DATA__INIT, *r;
	Ipc__Hello h = IPC__HELLO__INIT;
	char *path = ipc_socket_path(dir);
	intptr_t fd;

	if (ipc_transport_unix.connect(path, &fd) != 0)
		_exit(22);
	free(path);
	cfd = (int)fd;
	chave = 0;
	h.version = IPC_VERSION;
	h.role = (char *)role;
	d.union_case = IPC__DATA__UNION_HELLO;
	d.hello = &h;
	c_send(&d);
	if ((r = c_recv()) == NULL || r->union_case != IPC__DATA__UNION_HELLO)
		_exit(23);
	ipc_data_free(r);
}

/* Expect a message of a type for a conn (or exit with code). */
static Ipc__Data *
c_expect(Ipc__Data__UnionCase t, int code)
{
	Ipc__Data *d = c_recv();

	if (d == NULL || d->union_case != t) {
		fprintf(stderr, "child: want %s, got %s\n", ipc_data_name(t),
		    d ? ipc_data_name(d->union_case) : "nothing");
		_exit(code);
	}
	return d;
}

/* Send a message with just a conn id. */
static void
c_send_conn(Ipc__Data__UnionCase t, int id)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__Authorize a = IPC__AUTHORIZE__INIT;

	/* Authorize and Close share the {conn_id} layout. */
	a.conn_id = id;
	d.union_case = t;
	d.authorize = &a;
	c_send(&d);
}

/* Send a 2FA request of type t (code: TwoFaEnable's). */
static void
c_tfa(Ipc__Data__UnionCase t, const char *code)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__TwoFaGet g = IPC__TWO_FA_GET__INIT;
	Ipc__TwoFaSetup su = IPC__TWO_FA_SETUP__INIT;
	Ipc__TwoFaEnable en = IPC__TWO_FA_ENABLE__INIT;
	Ipc__TwoFaDisable di = IPC__TWO_FA_DISABLE__INIT;

	d.union_case = t;
	d.two_fa_get = &g;
	if (t == IPC__DATA__UNION_TWO_FA_SETUP)
		d.two_fa_setup = &su;
	else if (t == IPC__DATA__UNION_TWO_FA_ENABLE) {
		en.code = (char *)code;
		d.two_fa_enable = &en;
	} else if (t == IPC__DATA__UNION_TWO_FA_DISABLE)
		d.two_fa_disable = &di;
	c_send(&d);
}

/* The scripted CM. */
static int
child_cm(void)
{
	Ipc__Data d = IPC__DATA__INIT, *r;
	Ipc__SwitchPermission sp = IPC__SWITCH_PERMISSION__INIT;
	Ipc__ChatMessage ch = IPC__CHAT_MESSAGE__INIT;

	/* The main window's 2FA: state, setup, a wrong and a right code;
	 * no tfa_disable action: refused, the peer stays. */
	c_connect("ui");
	c_tfa(IPC__DATA__UNION_TWO_FA_GET, NULL);
	r = c_expect(IPC__DATA__UNION_TWO_FA_STATE, 60);
	if (r->two_fa_state->enabled || r->two_fa_state->trusted_devices != 2 ||
	    *r->two_fa_state->secret != '\0')
		_exit(61);
	ipc_data_free(r);
	c_tfa(IPC__DATA__UNION_TWO_FA_SETUP, NULL);
	r = c_expect(IPC__DATA__UNION_TWO_FA_STATE, 62);
	if (strcmp(r->two_fa_state->secret, "MFRGG") != 0 ||
	    !r->two_fa_state->pending)
		_exit(63);
	ipc_data_free(r);
	c_tfa(IPC__DATA__UNION_TWO_FA_ENABLE, "111111");
	r = c_expect(IPC__DATA__UNION_RESULT, 64);
	if (r->result->code != ERR_DENIED ||
	    strcmp(r->result->text, "wrong code") != 0)
		_exit(65);
	ipc_data_free(r);
	c_tfa(IPC__DATA__UNION_TWO_FA_ENABLE, "123456");
	r = c_expect(IPC__DATA__UNION_RESULT, 66);
	if (r->result->code != 0)
		_exit(67);
	ipc_data_free(r);
	c_tfa(IPC__DATA__UNION_TWO_FA_DISABLE, NULL);
	r = c_expect(IPC__DATA__UNION_RESULT, 68);
	if (r->result->code != ERR_UNSUPP)
		_exit(69);
	ipc_data_free(r);
	close(cfd);

	/* A UI may not authorize: it is dropped. */
	c_connect("ui");
	c_send_conn(IPC__DATA__UNION_AUTHORIZE, 1);
	if (c_recv() != NULL)
		_exit(30);
	close(cfd);

	c_connect("cm");
	/* Replay: conn 1 waiting, conn 2 active with a chat line. */
	r = c_expect(IPC__DATA__UNION_LOGIN, 31);
	if (r->login->conn_id != 1 || r->login->authorized ||
	    strcmp(r->login->peer_name, "alice") != 0)
		_exit(32);
	ipc_data_free(r);
	r = c_expect(IPC__DATA__UNION_LOGIN, 33);
	if (r->login->conn_id != 2 || !r->login->authorized ||
	    !r->login->keyboard)
		_exit(34);
	ipc_data_free(r);
	r = c_expect(IPC__DATA__UNION_CHAT, 35);
	if (strcmp(r->chat->text, "hello host") != 0 || r->chat->local)
		_exit(36);
	ipc_data_free(r);

	/* Accept conn 2 (already in): ignored. Accept conn 1 twice. */
	c_send_conn(IPC__DATA__UNION_AUTHORIZE, 2);
	c_send_conn(IPC__DATA__UNION_AUTHORIZE, 1);
	c_send_conn(IPC__DATA__UNION_AUTHORIZE, 1);
	r = c_expect(IPC__DATA__UNION_LOGIN, 37);
	if (r->login->conn_id != 1 || !r->login->authorized)
		_exit(38);
	ipc_data_free(r);

	sp.conn_id = 2;
	sp.name = (char *)"keyboard";
	sp.enabled = 0;
	d.union_case = IPC__DATA__UNION_SWITCH_PERMISSION;
	d.switch_permission = &sp;
	c_send(&d);
	r = c_expect(IPC__DATA__UNION_SWITCH_PERMISSION, 39);
	ipc_data_free(r);
	ch.conn_id = 2;
	ch.text = (char *)"hi peer";
	d.union_case = IPC__DATA__UNION_CHAT;
	d.chat = &ch;
	c_send(&d);
	/* Dismiss conn 3 (pending): Close comes back. */
	r = c_expect(IPC__DATA__UNION_LOGIN, 40);
	if (r->login->conn_id != 3)
		_exit(41);
	ipc_data_free(r);
	c_send_conn(IPC__DATA__UNION_CLOSE, 3);
	r = c_expect(IPC__DATA__UNION_CLOSE, 42);
	ipc_data_free(r);
	/* Leave with conn 4 pending: the server dismisses it. */
	r = c_expect(IPC__DATA__UNION_LOGIN, 43);
	if (r->login->conn_id != 4)
		_exit(44);
	ipc_data_free(r);
	close(cfd);
	return 0;
}

/* The CM of test_guard: clicks right after a peer's input, then later. */
static int
child_guard(void)
{
	Ipc__Data d = IPC__DATA__INIT, *r;
	Ipc__SwitchPermission sp = IPC__SWITCH_PERMISSION__INIT;

	c_connect("cm");
	r = c_expect(IPC__DATA__UNION_LOGIN, 50);
	ipc_data_free(r);
	r = c_expect(IPC__DATA__UNION_LOGIN, 51);
	ipc_data_free(r);
	/* Within the guard: Accept and a grant are refused; the grant comes
	 * back as the permission still is (off). */
	c_send_conn(IPC__DATA__UNION_AUTHORIZE, 1);
	sp.conn_id = 2;
	sp.name = (char *)"clipboard";
	sp.enabled = 1;
	d.union_case = IPC__DATA__UNION_SWITCH_PERMISSION;
	d.switch_permission = &sp;
	c_send(&d);
	r = c_expect(IPC__DATA__UNION_SWITCH_PERMISSION, 52);
	if (r->switch_permission->enabled ||
	    strcmp(r->switch_permission->name, "clipboard") != 0)
		_exit(53);
	ipc_data_free(r);
	/* Switching off works whatever the peer does. */
	sp.name = (char *)"keyboard";
	sp.enabled = 0;
	c_send(&d);
	r = c_expect(IPC__DATA__UNION_SWITCH_PERMISSION, 57);
	ipc_data_free(r);
	/* The server's go: the input is old now. Accept works. */
	r = c_expect(IPC__DATA__UNION_LOGIN, 54);
	ipc_data_free(r);
	c_send_conn(IPC__DATA__UNION_AUTHORIZE, 1);
	r = c_expect(IPC__DATA__UNION_LOGIN, 55);
	if (r->login->conn_id != 1 || !r->login->authorized)
		_exit(56);
	ipc_data_free(r);
	close(cfd);
	return 0;
}

/* Send VoiceCallResponse or (accepted -1) VoiceCallHangUp for conn 1. */
static void
c_voice(int accepted)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__VoiceCallResponse vr = IPC__VOICE_CALL_RESPONSE__INIT;
	Ipc__VoiceCallHangUp vh = IPC__VOICE_CALL_HANG_UP__INIT;

	if (accepted < 0) {
		vh.conn_id = 1;
		d.union_case = IPC__DATA__UNION_VOICE_CALL_HANG_UP;
		d.voice_call_hang_up = &vh;
	} else {
		vr.conn_id = 1;
		vr.accepted = accepted;
		d.union_case = IPC__DATA__UNION_VOICE_CALL_RESPONSE;
		d.voice_call_response = &vr;
	}
	c_send(&d);
}

/* Expect conn 1's voice state to be state. */
static void
c_expect_voice(int state, int code)
{
	Ipc__Data *r = c_expect(IPC__DATA__UNION_VOICE_CALL_STATE, code);

	if (r->voice_call_state->conn_id != 1 ||
	    (int)r->voice_call_state->state != state)
		_exit(code + 1);
	ipc_data_free(r);
}

/* The CM of test_voice. */
static int
child_voice(void)
{
	Ipc__Data d = IPC__DATA__INIT, *r;
	Ipc__ChatMessage ch = IPC__CHAT_MESSAGE__INIT;

	c_connect("cm");
	/* Replayed: the session, then its ringing call. */
	r = c_expect(IPC__DATA__UNION_LOGIN, 70);
	ipc_data_free(r);
	c_expect_voice(IPC__VOICE_CALL_STATE__STATE__INCOMING, 71);
	/* Accept right after a peer's input: refused. Dismiss counts. */
	c_voice(1);
	c_voice(0);
	c_expect_voice(IPC__VOICE_CALL_STATE__STATE__IDLE, 73);
	/* Nothing rings now: an answer and a hang-up are ignored. */
	c_voice(0);
	c_voice(-1);
	ch.conn_id = 1;
	ch.text = (char *)"sync";
	d.union_case = IPC__DATA__UNION_CHAT;
	d.chat = &ch;
	c_send(&d);
	/* A running call hung up here. */
	c_expect_voice(IPC__VOICE_CALL_STATE__STATE__ACTIVE, 75);
	c_voice(1);
	c_voice(-1);
	c_expect_voice(IPC__VOICE_CALL_STATE__STATE__IDLE, 77);
	close(cfd);
	return 0;
}

/* Voice calls: replay, the guard, answers only while a call rings. */
static void
test_voice(void)
{
	struct event_base *base = event_base_new();
	struct seen seen;
	struct cmlink_login l1 = { .conn_id = 1, .peer_id = "111",
	    .mode = CMLINK_REMOTE, .authorized = 1 };
	char *cause = NULL;
	char *no_cm[] = { (char *)"/bin/true", NULL };
	int status, i;
	pid_t pid;

	memset(&seen, 0, sizeof seen);
	ASSERT_INT_EQ(cmlink_new(&link_, base, dir, &acts, &seen, &cause), 0);
	cmlink_set_cm_command(link_, no_cm);
	cmlink_login(link_, &l1);
	cmlink_voice(link_, 1, IPC__VOICE_CALL_STATE__STATE__INCOMING);
	input_age = 30;
	if ((pid = fork()) == 0)
		_exit(child_voice());
	for (i = 0; i < 300 && seen.chat[0] == '\0'; i++)
		spin(base, 10);
	ASSERT_STR_EQ(seen.chat, "sync");
	ASSERT_INT_EQ(seen.voice_yes, 0);
	ASSERT_INT_EQ(seen.voice_no, 1);
	ASSERT_INT_EQ(seen.hang_ups, 0);
	input_age = -1;
	cmlink_voice(link_, 1, IPC__VOICE_CALL_STATE__STATE__ACTIVE);
	for (i = 0; i < 300 && seen.hang_ups == 0; i++)
		spin(base, 10);
	/* The accept while ACTIVE was not passed on. */
	ASSERT_INT_EQ(seen.voice_yes, 0);
	ASSERT_INT_EQ(seen.hang_ups, 1);
	for (i = 0; i < 300 && waitpid(pid, &status, WNOHANG) == 0; i++)
		spin(base, 10);
	ASSERT_INT_EQ(WEXITSTATUS(status), 0);
	spin(base, 50);
	cmlink_free(link_);
	event_base_free(base);
}

/* Run the loop for ms milliseconds. */
static void
spin(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/*
 * The CM that cmlink starts in test_cmlink_spawn (this program again): it
 * attaches, notes its start in DIR/../spawned, and quits (how "quit") or
 * dies by SIGKILL.
 */
static int
child_spawned(const char *how)
{
	char path[300];
	FILE *f;
	Ipc__Data *r;

	snprintf(dir, sizeof dir, "%s", getenv("CDESK_IPC_DIR"));
	c_connect("cm");
	if ((r = c_recv()) != NULL)
		ipc_data_free(r);
	snprintf(path, sizeof path, "%s/../spawned", dir);
	if ((f = fopen(path, "a")) == NULL)
		return 50;
	fprintf(f, "%s\n", how);
	fclose(f);
	if (strcmp(how, "quit") != 0)
		kill(getpid(), SIGKILL);
	close(cfd);
	return 0;
}

/* Lines in DIR/../spawned. */
static int
spawned_count(void)
{
	char path[300], line[64];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/../spawned", dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		n++;
	fclose(f);
	return n;
}

/* Run the loop until n CMs were started, or 3 s. */
static void
spin_until_spawned(struct event_base *base, int n)
{
	int i;

	for (i = 0; i < 300 && spawned_count() < n; i++) {
		struct timeval tv = { 0, 10000 };

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

/* Which connections start a CM, and when it is started again. */
static void
test_cmlink_spawn(void)
{
	struct event_base *base = event_base_new();
	struct seen seen;
	struct cmlink_login l1 = { .conn_id = 1, .peer_id = "111",
	    .authorized = 1 };
	struct cmlink_login l2 = { .conn_id = 2, .peer_id = "222",
	    .authorized = 1 };
	struct cmlink_login l3 = { .conn_id = 3, .peer_id = "333" };
	char *quit[] = { self_exe, (char *)"--cm-child", (char *)"quit",
	    NULL };
	char *crash[] = { self_exe, (char *)"--cm-child", (char *)"crash",
	    NULL };
	char *cause = NULL;
	struct timeval tv = { 0, 500000 };
	struct session sess;

	memset(&seen, 0, sizeof seen);
	ASSERT_INT_EQ(cmlink_new(&link_, base, dir, &acts, &seen, &cause), 0);
	/* Our own session (as root, root's: a session must be known). */
	session_init(&sess);
	sess.uid = (long)geteuid();
	sess.gid = (long)getegid();
	cmlink_set_session(link_, &sess);
	session_fini(&sess);
	cmlink_set_cm_command(link_, quit);
	/* click_only: an authorized session starts nothing ... */
	cmlink_set_click_only(link_, 1);
	cmlink_login(link_, &l1);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	ASSERT_INT_EQ(spawned_count(), 0);
	/* ... a waiting one does (it quits: no respawn, nothing runs once
	 * conn 3 was dismissed). */
	cmlink_login(link_, &l3);
	spin_until_spawned(base, 1);
	ASSERT_INT_EQ(spawned_count(), 1);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	ASSERT_INT_EQ(seen.closed[3], 1);

	/* Every session starts one; ours quits while conn 1 runs: started
	 * again, once (then the rate limit holds). */
	cmlink_set_click_only(link_, 0);
	cmlink_login(link_, &l1);
	spin_until_spawned(base, 3);
	ASSERT_INT_EQ(spawned_count(), 3);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	ASSERT_INT_EQ(spawned_count(), 3);
	ASSERT_INT_EQ(cmlink_cm_count(link_), 0);

	/* A CM that is killed is not started again; the next login is. */
	cmlink_set_cm_command(link_, crash);
	cmlink_login(link_, &l2);
	spin_until_spawned(base, 4);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	ASSERT_INT_EQ(spawned_count(), 4);
	cmlink_free(link_);
	event_base_free(base);
}

/* The whole exchange. */
static void
test_cmlink(void)
{
	struct event_base *base = event_base_new();
	struct seen seen;
	struct cmlink_login l1 = { .conn_id = 1, .peer_id = "111",
	    .peer_name = "alice", .address = "192.0.2.1:1",
	    .mode = CMLINK_REMOTE, .encrypted = 1 };
	struct cmlink_login l2 = { .conn_id = 2, .peer_id = "222",
	    .peer_name = "bob", .address = "192.0.2.2:2",
	    .mode = CMLINK_FILE_TRANSFER, .authorized = 1,
	    .perms = PERM_BIT(PERM_KEYBOARD) | PERM_BIT(PERM_CLIPBOARD) };
	struct cmlink_login l3 = { .conn_id = 3, .peer_id = "333" };
	struct cmlink_login l4 = { .conn_id = 4, .peer_id = "444" };
	char *cause = NULL;
	char *no_cm[] = { (char *)"/bin/true", NULL };
	int status, i;
	pid_t pid;

	memset(&seen, 0, sizeof seen);
	ASSERT_INT_EQ(cmlink_new(&link_, base, dir, &acts, &seen, &cause), 0);
	/* The spawned "CM" is /bin/true: it exits without attaching. */
	cmlink_set_cm_command(link_, no_cm);
	cmlink_login(link_, &l1);
	cmlink_login(link_, &l2);
	cmlink_chat(link_, 2, "hello host");
	spin(base, 100);

	if ((pid = fork()) == 0)
		_exit(child_cm());
	for (i = 0; i < 300 && seen.perm_keyboard == 0; i++)
		spin(base, 10);
	ASSERT_INT_EQ(seen.authorized[1], 1);
	ASSERT_INT_EQ(seen.authorized[2], 0);
	ASSERT_INT_EQ(seen.perm_keyboard, 2);
	for (i = 0; i < 300 && seen.chat[0] == '\0'; i++)
		spin(base, 10);
	ASSERT_STR_EQ(seen.chat, "hi peer");
	cmlink_login(link_, &l3);
	for (i = 0; i < 300 && seen.closed[3] == 0; i++)
		spin(base, 10);
	ASSERT_INT_EQ(seen.closed[3], 1);
	cmlink_login(link_, &l4);
	for (i = 0; i < 300 && seen.closed[4] == 0; i++)
		spin(base, 10);
	/* The CM left with conn 4 waiting: dismissed; conn 2 lives on. */
	ASSERT_INT_EQ(seen.closed[4], 1);
	ASSERT_INT_EQ(seen.closed[2], 0);
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_INT_EQ(WEXITSTATUS(status), 0);
	ASSERT_INT_EQ(cmlink_cm_count(link_), 0);
	spin(base, 50);
	cmlink_free(link_);
	event_base_free(base);
}

/* Accept and grants are refused shortly after any peer input. */
static void
test_guard(void)
{
	struct event_base *base = event_base_new();
	struct seen seen;
	struct cmlink_login l1 = { .conn_id = 1, .peer_id = "111",
	    .mode = CMLINK_REMOTE };
	struct cmlink_login l2 = { .conn_id = 2, .peer_id = "222",
	    .mode = CMLINK_REMOTE, .authorized = 1,
	    .perms = PERM_BIT(PERM_KEYBOARD) };
	struct cmlink_login l3 = { .conn_id = 3, .peer_id = "333" };
	char *cause = NULL;
	char *no_cm[] = { (char *)"/bin/true", NULL };
	int status, i;
	pid_t pid;

	memset(&seen, 0, sizeof seen);
	ASSERT_INT_EQ(cmlink_new(&link_, base, dir, &acts, &seen, &cause), 0);
	cmlink_set_cm_command(link_, no_cm);
	cmlink_login(link_, &l1);
	cmlink_login(link_, &l2);
	input_age = 30;		/* a mouse move 30 ms ago */
	if ((pid = fork()) == 0)
		_exit(child_guard());
	for (i = 0; i < 300 && seen.perm_keyboard == 0; i++)
		spin(base, 10);
	ASSERT_INT_EQ(seen.perm_keyboard, 2);
	ASSERT_INT_EQ(seen.authorized[1], 0);
	input_age = 5000;
	cmlink_login(link_, &l3);
	for (i = 0; i < 300 && seen.authorized[1] == 0; i++)
		spin(base, 10);
	ASSERT_INT_EQ(seen.authorized[1], 1);
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_INT_EQ(WEXITSTATUS(status), 0);
	input_age = -1;
	spin(base, 50);
	cmlink_free(link_);
	event_base_free(base);
}

/* The CM for test_notice: the notice at attach, then its end. */
static int
child_notice(void)
{
	Ipc__Data *r;

	c_connect("cm");
	r = c_expect(IPC__DATA__UNION_DESK_NOTICE, 60);
	if (strcmp(r->desk_notice->text, "Wayland here") != 0)
		_exit(61);
	ipc_data_free(r);
	r = c_expect(IPC__DATA__UNION_DESK_NOTICE, 62);
	if (*r->desk_notice->text != '\0')
		_exit(63);
	ipc_data_free(r);
	close(cfd);
	return 0;
}

/*
 * The desk notice: a CM gets it when it attaches and when it ends; with
 * start, a CM is started for it, at most once a minute, never in
 * click-only mode.
 */
static void
test_notice(void)
{
	struct event_base *base = event_base_new();
	struct seen seen;
	char *quit[] = { self_exe, (char *)"--cm-child", (char *)"quit",
	    NULL };
	char *cause = NULL;
	struct session sess;
	int status, i, before;
	pid_t pid, w = 0;

	memset(&seen, 0, sizeof seen);
	ASSERT_INT_EQ(cmlink_new(&link_, base, dir, &acts, &seen, &cause), 0);
	session_init(&sess);
	sess.uid = (long)geteuid();
	sess.gid = (long)getegid();
	cmlink_set_session(link_, &sess);
	session_fini(&sess);
	cmlink_set_cm_command(link_, quit);
	before = spawned_count();
	/* Without start: said, nothing started. */
	cmlink_set_notice(link_, "Wayland here", 0);
	if ((pid = fork()) == 0)
		_exit(child_notice());
	for (i = 0; i < 300 && cmlink_cm_count(link_) == 0; i++)
		spin(base, 10);
	ASSERT_INT_EQ(cmlink_cm_count(link_), 1);
	spin(base, 50);
	cmlink_set_notice(link_, "", 0);
	/* The loop sends it: wait for the child while it runs. */
	for (i = 0; i < 300 && (w = waitpid(pid, &status, WNOHANG)) == 0;
	    i++)
		spin(base, 10);
	ASSERT_INT_EQ(w, pid);
	ASSERT_INT_EQ(WEXITSTATUS(status), 0);
	spin(base, 100);
	ASSERT_INT_EQ(spawned_count(), before);
	/* Click-only: never started for a notice. */
	cmlink_set_click_only(link_, 1);
	cmlink_set_notice(link_, "Wayland here", 1);
	spin(base, 300);
	ASSERT_INT_EQ(spawned_count(), before);
	/* With start: one CM; asked again at once, none more. */
	cmlink_set_click_only(link_, 0);
	cmlink_set_notice(link_, "Wayland here", 1);
	spin_until_spawned(base, before + 1);
	ASSERT_INT_EQ(spawned_count(), before + 1);
	for (i = 0; i < 300 && cmlink_cm_count(link_) > 0; i++)
		spin(base, 10);
	cmlink_set_notice(link_, "Wayland, still", 1);
	spin(base, 300);
	ASSERT_INT_EQ(spawned_count(), before + 1);
	cmlink_free(link_);
	event_base_free(base);
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/test_cmlink.XXXXXX";
	char path[300];
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "--cm-child") == 0)
		return child_spawned(argv[2]);
	if ((n = readlink("/proc/self/exe", self_exe,
	    sizeof self_exe - 1)) <= 0)
		TST_FAIL("readlink");
	self_exe[n] = '\0';
	log_set_level(getenv("V") ? LOG_DEBUG : LOG_ERROR);
	if (mkdtemp(tmpl) == NULL)
		TST_FAIL("mkdtemp");
	snprintf(dir, sizeof dir, "%s/run", tmpl);
	TST_RUN(test_cmlink);
	TST_RUN(test_cmlink_spawn);
	TST_RUN(test_guard);
	TST_RUN(test_notice);
	TST_RUN(test_voice);
	rmdir(dir);
	snprintf(path, sizeof path, "%s/spawned", tmpl);
	unlink(path);
	rmdir(tmpl);
	return 0;
}
