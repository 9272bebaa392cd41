/*
 * cm_fake_server.c: a stand-in for the server around the real cmlink, for
 * the GUI tests. Reads commands on stdin, prints what the CM asked on
 * stdout (one line each):
 *   login ID PEER_ID NAME ADDRESS MODE AUTHORIZED   a connection (pending
 *                                                   when AUTHORIZED is 0)
 *   chat ID TEXT...        the peer writes
 *   file ID JOB PATH TOTAL DONE STATE [SPEED [ERROR...]]
 *                          file-transfer progress
 *   closed ID              the connection ended
 *   click ID MS            a peer clicked MS ms ago (-1: never); ID unused
 *   mode ID [VALUE]        set approve-mode (ID unused)
 *   option ID KEY [VALUE]  set any option (ID unused)
 *   lock ID KEY            the admin's file sets KEY (ID unused)
 *   trust ID               peers trusted both devices, unannounced (as a
 *                          peer's login does; ID unused)
 * Output: READY, AUTHORIZE ID, CLOSE ID, PERM ID NAME 0|1, CHAT ID TEXT,
 * OPTION KEY VALUE, PASSWORD SET, REFRESH, CLICK MS, LOCK KEY, TFA SETUP,
 * TFA ENABLE CODE (only 123456 is right; two trusted devices come with
 * it), TFA DISABLE, TFA UNTRUST KEY [all].
 * Usage: cm_fake_server DIR [CM COMMAND...]
 * CDESK_TEST_SESSION_UID=N pretends the shared session is uid N's.
 * CDESK_TEST_LEAK_FD=N opens descriptor N (past the usual 1024 limit if
 * asked) without close-on-exec: a started CM must not inherit it.
 */
#include <sys/resource.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "ipc/ipc.h"
#include "common/perm.h"
#include "server/cmlink.h"
#include "server/session.h"

int main(int, char **);

#define FAKE_CONNS	16

struct fake_conn {
	char		 peer_id[64];
	char		 name[64];
	char		 addr[64];
	int		 mode;
	int		 used;
};

struct fake {
	struct cmlink		*cm;
	long			 click_age;	/* ms, -1: never */
	struct event_base	*base;
	struct fake_conn	 conns[FAKE_CONNS];
	char			 otp[16];
	char			 opt_keys[16][64];
	char			 opt_vals[16][128];
	int			 nopts;
	char			 locked[64];	/* one locked key, or "" */
	int			 tfa;		/* 2FA on */
	unsigned		 trusted;	/* bits: fake_devices kept */
};

/* The trusted devices a right code brings (as peers would have). */
static const struct store_trusted_info fake_devices[2] = {
	{ "KEYaaaaaaaaa", "111222333", "alice", "Windows", 1700000000000LL },
	{ "KEYbbbbbbbbb", "444555666", "bob", "Linux", 1700000100000LL },
};

/* Tell the CM about conn id with the authorized flag. */
static void
fake_login(struct fake *f, int id, int authorized)
{
	struct fake_conn *c = &f->conns[id];
	struct cmlink_login l;

	memset(&l, 0, sizeof l);
	l.conn_id = id;
	l.peer_id = c->peer_id;
	l.peer_name = c->name;
	l.address = c->addr;
	l.mode = (enum cmlink_mode)c->mode;
	l.encrypted = 1;
	l.authorized = authorized;
	l.perms = PERM_BIT(PERM_KEYBOARD) | PERM_BIT(PERM_CLIPBOARD) | PERM_BIT(PERM_AUDIO) |
	    PERM_BIT(PERM_FILE);
	l.start_time = (int64_t)time(NULL) - (authorized ? 754 : 0);
	cmlink_login(f->cm, &l);
}

/* Accept: the connection is in (as conn.c would do after checking). */
static void
fake_authorize(int id, void *ctx)
{
	struct fake *f = ctx;

	printf("AUTHORIZE %d\n", id);
	if (id > 0 && id < FAKE_CONNS && f->conns[id].used)
		fake_login(f, id, 1);
}

/* Dismiss/disconnect: the connection ends. */
static void
fake_close(int id, void *ctx)
{
	struct fake *f = ctx;

	printf("CLOSE %d\n", id);
	if (id > 0 && id < FAKE_CONNS)
		f->conns[id].used = 0;
	cmlink_closed(f->cm, id);
}

static void
fake_perm(int id, const char *name, int enabled, const char *by,
    void *ctx)
{
	(void)ctx;
	(void)by;
	printf("PERM %d %s %d\n", id, name, enabled);
}

static void
fake_chat(int id, const char *text, void *ctx)
{
	(void)ctx;
	printf("CHAT %d %s\n", id, text);
}

/* Option lookup in the small table. */
static const char *
fake_option_get(const char *key, void *ctx)
{
	struct fake *f = ctx;
	int i;

	for (i = 0; i < f->nopts; i++)
		if (strcmp(f->opt_keys[i], key) == 0)
			return f->opt_vals[i];
	return "";
}

/* The admin's file, for the one key a test locked. */
static const char *
fake_option_locked(const char *key, void *ctx)
{
	struct fake *f = ctx;

	return strcmp(f->locked, key) == 0 ? "/etc/cdesk/cdesk.conf" : NULL;
}

/* Every option in the table. */
static void
fake_options_each(void (*cb)(const char *, const char *, void *), void *arg,
    void *ctx)
{
	struct fake *f = ctx;
	int i;

	for (i = 0; i < f->nopts; i++)
		cb(f->opt_keys[i], f->opt_vals[i], arg);
}

/* Store an option. */
static int
fake_option_set(const char *key, const char *value, char **cause, void *ctx)
{
	struct fake *f = ctx;
	int i;

	(void)cause;
	printf("OPTION %s %s\n", key, value);
	for (i = 0; i < f->nopts; i++)
		if (strcmp(f->opt_keys[i], key) == 0)
			break;
	if (i == f->nopts) {
		if (f->nopts == 16)
			return ERR_TOOBIG;
		f->nopts++;
	}
	snprintf(f->opt_keys[i], sizeof f->opt_keys[i], "%s", key);
	snprintf(f->opt_vals[i], sizeof f->opt_vals[i], "%s", value);
	return 0;
}

static void
fake_status(struct cmlink_status *st, void *ctx)
{
	struct fake *f = ctx;
	int i, n = 0;

	for (i = 0; i < FAKE_CONNS; i++)
		n += f->conns[i].used;
	st->rendezvous = "registered with rs-ny.example.net";
	st->id = "987 654 321";
	st->temp_password = f->otp;
	st->direct_port = 21118;
	st->connections = (unsigned)n;
}

static int
fake_refresh(void *ctx)
{
	struct fake *f = ctx;

	printf("REFRESH\n");
	snprintf(f->otp, sizeof f->otp, "%06ld", (long)(random() % 1000000));
	return 0;
}

static int
fake_password(const char *pw, char **cause, void *ctx)
{
	(void)ctx;
	if (strlen(pw) < 6) {
		*cause = xstrdup("The password needs at least 6 characters.");
		return ERR_INVAL;
	}
	printf("PASSWORD SET\n");
	return 0;
}

/* 2FA state as the test has it. */
static void
fake_tfa_state(struct cmlink_tfa *st, void *ctx)
{
	struct fake *f = ctx;

	size_t i;

	memset(st, 0, sizeof *st);
	st->enabled = f->tfa;
	for (i = 0; i < 2; i++)
		if (f->trusted & (1u << i))
			st->devices[st->ndevices++] = fake_devices[i];
	st->trusted = (unsigned)st->ndevices;
}

/* 2FA: forget a trusted device by key, or all. */
static int
fake_tfa_untrust(const char *which, int all, char **cause, void *ctx)
{
	struct fake *f = ctx;
	size_t i;

	printf("TFA UNTRUST %s%s\n", which, all ? " all" : "");
	if (all) {
		f->trusted = 0;
		return 0;
	}
	for (i = 0; i < 2; i++)
		if ((f->trusted & (1u << i)) &&
		    strcmp(which, fake_devices[i].key) == 0) {
			f->trusted &= ~(1u << i);
			return 0;
		}
	*cause = xstrdup("no such device");
	return ERR_NOTFOUND;
}

/* 2FA setup: always the RFC 6238 test secret. */
static int
fake_tfa_setup(struct cmlink_tfa *st, char **cause, void *ctx)
{
	(void)cause;
	printf("TFA SETUP\n");
	fake_tfa_state(st, ctx);
	st->pending = 1;
	snprintf(st->secret, sizeof st->secret,
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	snprintf(st->uri, sizeof st->uri, "otpauth://totp/RustDesk%%20"
	    "Connection:987654321?secret=%s&issuer=RustDesk%%20Connection",
	    st->secret);
	return 0;
}

/* 2FA enable: 123456 is the right code. */
static int
fake_tfa_enable(const char *code, char **cause, void *ctx)
{
	struct fake *f = ctx;

	printf("TFA ENABLE %s\n", code);
	if (strcmp(code, "123456") != 0) {
		*cause = xstrdup("wrong code");
		return ERR_DENIED;
	}
	f->tfa = 1;
	f->trusted = 3;
	return 0;
}

/* 2FA off. */
static int
fake_tfa_disable(char **cause, void *ctx)
{
	struct fake *f = ctx;

	(void)cause;
	printf("TFA DISABLE\n");
	f->tfa = 0;
	return 0;
}

/* How long ago a peer clicked, as the test set it. */
static int64_t
fake_click_age(void *ctx)
{
	struct fake *f = ctx;

	return f->click_age;
}

static const struct cmlink_actions fake_actions = {
	.authorize = fake_authorize,
	.close = fake_close,
	.switch_permission = fake_perm,
	.chat = fake_chat,
	.click_age_ms = fake_click_age,
	.option_get = fake_option_get,
	.option_locked = fake_option_locked,
	.options_each = fake_options_each,
	.option_set = fake_option_set,
	.status = fake_status,
	.refresh_temp_password = fake_refresh,
	.set_permanent_password = fake_password,
	.tfa_setup = fake_tfa_setup,
	.tfa_enable = fake_tfa_enable,
	.tfa_disable = fake_tfa_disable,
	.tfa_state = fake_tfa_state,
	.tfa_untrust = fake_tfa_untrust,
};

/* Run one command line. */
static void
fake_command(struct fake *f, char *line)
{
	struct cmlink_file_log fl;
	char word[16], a[64], b[64], c[64];
	int id, mode, auth, n = 0;
	unsigned long long total, done, speed = 0;
	int job, state, m = 0;

	if (sscanf(line, "%15s %d%n", word, &id, &n) < 2 || id <= 0 ||
	    id >= FAKE_CONNS) {
		printf("BAD %s\n", line);
		return;
	}
	if (strcmp(word, "login") == 0 && sscanf(line + n,
	    "%63s %63s %63s %d %d", a, b, c, &mode, &auth) == 5) {
		struct fake_conn *fc = &f->conns[id];

		snprintf(fc->peer_id, sizeof fc->peer_id, "%s", a);
		snprintf(fc->name, sizeof fc->name, "%s", b);
		snprintf(fc->addr, sizeof fc->addr, "%s", c);
		fc->mode = mode;
		fc->used = 1;
		fake_login(f, id, auth);
	} else if (strcmp(word, "chat") == 0)
		cmlink_chat(f->cm, id, line + n + (line[n] == ' '));
	else if (strcmp(word, "closed") == 0) {
		f->conns[id].used = 0;
		cmlink_closed(f->cm, id);
	} else if (strcmp(word, "mode") == 0) {
		char *cause = NULL;

		fake_option_set("approve-mode", line + n + (line[n] == ' '),
		    &cause, f);
	} else if (strcmp(word, "option") == 0 &&
	    sscanf(line + n, "%63s", a) == 1) {
		char *cause = NULL, *v = strstr(line + n, a) + strlen(a);

		fake_option_set(a, v + (*v == ' '), &cause, f);
	} else if (strcmp(word, "lock") == 0 &&
	    sscanf(line + n, "%63s", f->locked) == 1) {
		printf("LOCK %s\n", f->locked);
	} else if (strcmp(word, "trust") == 0) {
		f->trusted = 3;
		printf("TRUSTED\n");
	} else if (strcmp(word, "click") == 0) {
		f->click_age = strtol(line + n, NULL, 10);
		printf("CLICK %ld\n", f->click_age);
	} else if (strcmp(word, "file") == 0 && sscanf(line + n,
	    "%d %63s %llu %llu %d %llu%n", &job, a, &total, &done, &state,
	    &speed, &m) >= 5) {
		memset(&fl, 0, sizeof fl);
		fl.conn_id = id;
		fl.job_id = job;
		fl.path = a;
		fl.is_remote = 1;
		fl.total_size = total;
		fl.finished_size = done;
		fl.state = state;
		fl.speed = speed;
		fl.error = m > 0 ? line + n + m + strspn(line + n + m, " ") :
		    "";
		cmlink_file_log(f->cm, &fl);
	} else
		printf("BAD %s\n", line);
}

/* Read command lines from stdin. */
static void
fake_stdin_cb(struct bufferevent *bev, void *arg)
{
	struct fake *f = arg;
	char *line;
	size_t n;

	while ((line = evbuffer_readln(bufferevent_get_input(bev), &n,
	    EVBUFFER_EOL_LF)) != NULL) {
		fake_command(f, line);
		free(line);
	}
}

/* stdin closed: stop. */
static void
fake_stdin_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct fake *f = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		event_base_loopbreak(f->base);
}

/* SIGTERM: stop. */
static void
fake_signal_cb(evutil_socket_t s, short what, void *arg)
{
	(void)s;
	(void)what;
	event_base_loopbreak(arg);
}

int
main(int argc, char **argv)
{
	struct fake f;
	struct session sess;
	struct bufferevent *in;
	struct event *sig;
	char *cause = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: cm_fake_server DIR [CM COMMAND...]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_set_ident("fake");
	memset(&f, 0, sizeof f);
	snprintf(f.otp, sizeof f.otp, "x7k2qp");
	f.click_age = -1;
	fake_option_set("approve-mode", "", &cause, &f);
	fake_option_set("direct-server", "Y", &cause, &f);
	fake_option_set("direct-access-port", "21118", &cause, &f);
	fake_option_set("custom-rendezvous-server", "rs-ny.example.net",
	    &cause, &f);
	if (getenv("CDESK_TEST_LEAK_FD") != NULL) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (dup2(STDERR_FILENO,
		    atoi(getenv("CDESK_TEST_LEAK_FD"))) < 0) {
			fprintf(stderr, "cm_fake_server: cannot open the "
			    "descriptor to leak\n");
			return 1;
		}
	}
	f.base = event_base_new();
	if (cmlink_new(&f.cm, f.base, argv[1], &fake_actions, &f,
	    &cause) != 0) {
		fprintf(stderr, "cm_fake_server: %s\n", cause);
		return 1;
	}
	/* Our environment's session, but as our own user ... */
	session_init(&sess);
	session_current(&sess);
	/* ... unless a test of the CM spawn pretends another user's. */
	sess.uid = getenv("CDESK_TEST_SESSION_UID") ?
	    atol(getenv("CDESK_TEST_SESSION_UID")) : (long)getuid();
	sess.gid = getenv("CDESK_TEST_SESSION_UID") ? -1 : (long)getgid();
	cmlink_set_session(f.cm, &sess);
	session_fini(&sess);
	if (argc > 2)
		cmlink_set_cm_command(f.cm, argv + 2);
	evutil_make_socket_nonblocking(0);
	in = bufferevent_socket_new(f.base, 0, 0);
	bufferevent_setcb(in, fake_stdin_cb, NULL, fake_stdin_event_cb, &f);
	bufferevent_enable(in, EV_READ);
	sig = evsignal_new(f.base, SIGTERM, fake_signal_cb, f.base);
	event_add(sig, NULL);
	printf("READY\n");
	event_base_dispatch(f.base);
	bufferevent_free(in);
	event_free(sig);
	cmlink_free(f.cm);
	event_base_free(f.base);
	return 0;
}
