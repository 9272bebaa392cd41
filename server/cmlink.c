/*
 * cmlink.c: the server's connection-manager link: connection state for the
 * CM, replay on attach, CM spawning in the shared session, and the checks
 * on what a CM or main window may ask (STYLE.md §6.4: a table of variant,
 * allowed role, handler).
 */
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "common/err.h"
#include "common/log.h"
#include "common/perm.h"
#include "common/xmalloc.h"
#include "ipc/ipc.h"
#include "ipc/ipc_event.h"
#include "server/cmlink.h"
#include "server/session.h"
#include "server/sysinfo.h"

#define CMLINK_CHAT_KEEP	50	/* chat lines replayed to a new CM */
#define CMLINK_CONNS_MAX	256	/* connections the CM is told about */
#define CMLINK_RESPAWN_S	5	/* at most one CM restart this often */
#define CMLINK_NOTICE_S		60	/* at most one CM per minute for a
					   desk notice */
#define CMLINK_INPUT_GUARD_MS	1000	/* CM clicks refused after peer input */

/* The IPC takes the session's uid as is. */
_Static_assert(SESSION_UID_NONE == IPC_UID_NONE, "session uid none");

struct cmlink_chat_line {
	char				*text;		/* owned */
	int				 local;
	TAILQ_ENTRY(cmlink_chat_line)	 entry;
};

struct cmlink_conn {
	int				 id;
	char				*peer_id;	/* owned */
	char				*peer_log;	/* owned: escaped */
	char				*peer_name;	/* owned */
	char				*address;	/* owned */
	char				*port_forward;	/* owned */
	enum cmlink_mode		 mode;
	int				 encrypted;
	int				 authorized;
	int				 auth_sent;	/* Authorize passed on */
	unsigned			 perms;
	int64_t				 start_time;
	int				 unanswered;	/* peer chat, no reply */
	int				 closing;	/* the CM asked to end it */
	int				 voice;		/* Ipc__VoiceCallState__State */
	int				 nchat;
	TAILQ_HEAD(, cmlink_chat_line)	 chat;
	TAILQ_ENTRY(cmlink_conn)	 entry;
};

struct cmlink {
	struct event_base		*base;		/* borrowed */
	const struct cmlink_actions	*act;		/* borrowed */
	void				*ctx;		/* borrowed */
	char				*run_dir;	/* owned */
	struct ipc_server		*srv;		/* owned */
	struct event			*sigchld;	/* owned */
	char				**cm_argv;	/* owned, NULL: default */
	pid_t				 cm_pid;	/* spawned CM, or 0 */
	int				 cm_attached;	/* cm_pid attached */
	int				 respawn;	/* cm_pid quit early */
	time_t				 respawned;	/* last respawn */
	int				 click_only;	/* see header */
	char				*notice;	/* owned: desk notice */
	time_t				 notice_started; /* a CM for it */
	struct session			 session;	/* the shared one */
	int				 nconns;
	int				 full_said;	/* the cap was logged */
	TAILQ_HEAD(, cmlink_conn)	 conns;
};

static void	cmlink_send_notice(struct cmlink *, struct ipc_peer *);

/* Find a connection by id. */
static struct cmlink_conn *
cmlink_find(const struct cmlink *l, int id)
{
	struct cmlink_conn *c;

	TAILQ_FOREACH(c, &l->conns, entry)
		if (c->id == id)
			return c;
	return NULL;
}

/* Free one connection's state. */
static void
cmlink_conn_free(struct cmlink_conn *c)
{
	struct cmlink_chat_line *line;

	while ((line = TAILQ_FIRST(&c->chat)) != NULL) {
		TAILQ_REMOVE(&c->chat, line, entry);
		free(line->text);
		free(line);
	}
	free(c->peer_id);
	free(c->peer_log);
	free(c->peer_name);
	free(c->address);
	free(c->port_forward);
	free(c);
}

/* Fill a Login message from state (strings borrowed from c). */
static void
cmlink_fill_login(const struct cmlink_conn *c, Ipc__Login *m)
{
	int p;

	ipc__login__init(m);
	m->conn_id = c->id;
	m->peer_id = c->peer_id;
	m->peer_name = c->peer_name;
	m->address = c->address;
	m->port_forward = c->port_forward;
	m->mode = (Ipc__ConnMode)c->mode;
	m->encrypted = c->encrypted;
	m->authorized = c->authorized;
	for (p = 0; p < PERM_MAX; p++)
		perm_login_set(m, (enum perm)p, (c->perms & PERM_BIT(p)) != 0);
	m->start_time = c->start_time;
}

/* Send d to every attached CM. */
static void
cmlink_to_cms(struct cmlink *l, const Ipc__Data *d)
{
	ipc_server_broadcast(l->srv, "cm", d);
}

/* Send one connection's Login to one peer, or to every CM (p NULL). */
static void
cmlink_send_login(struct cmlink *l, struct ipc_peer *p,
    const struct cmlink_conn *c)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__Login m;

	cmlink_fill_login(c, &m);
	d.union_case = IPC__DATA__UNION_LOGIN;
	d.login = &m;
	if (p != NULL)
		ipc_peer_send(p, &d);
	else
		cmlink_to_cms(l, &d);
}

/* Send a ChatMessage to one peer or every CM. */
static void
cmlink_send_chat(struct cmlink *l, struct ipc_peer *p, int id,
    const char *text, int local)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__ChatMessage m = IPC__CHAT_MESSAGE__INIT;

	m.conn_id = id;
	m.text = (char *)text;
	m.local = local;
	d.union_case = IPC__DATA__UNION_CHAT;
	d.chat = &m;
	if (p != NULL)
		ipc_peer_send(p, &d);
	else
		cmlink_to_cms(l, &d);
}

/* Send a connection's voice-call state to one peer or every CM. */
static void
cmlink_send_voice(struct cmlink *l, struct ipc_peer *p,
    const struct cmlink_conn *c)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__VoiceCallState m = IPC__VOICE_CALL_STATE__INIT;

	m.conn_id = c->id;
	m.state = (Ipc__VoiceCallState__State)c->voice;
	d.union_case = IPC__DATA__UNION_VOICE_CALL_STATE;
	d.voice_call_state = &m;
	if (p != NULL)
		ipc_peer_send(p, &d);
	else
		cmlink_to_cms(l, &d);
}

/* Keep a chat line for replay, dropping the oldest past the cap. */
static void
cmlink_keep_chat(struct cmlink_conn *c, const char *text, int local)
{
	struct cmlink_chat_line *line;

	if (c->nchat >= CMLINK_CHAT_KEEP) {
		line = TAILQ_FIRST(&c->chat);
		TAILQ_REMOVE(&c->chat, line, entry);
		free(line->text);
		free(line);
		c->nchat--;
	}
	line = xcalloc(1, sizeof *line);
	line->text = xstrdup(text);
	line->local = local;
	TAILQ_INSERT_TAIL(&c->chat, line, entry);
	c->nchat++;
}

/* Start a CM unless one runs or is starting. */
static void
cmlink_spawn(struct cmlink *l)
{
	char *def[3] = { NULL, (char *)"--cm", NULL }, **argv;
	char *env[2] = { NULL, NULL };
	pid_t pid;

	/* A CM we started but the server's own SIGCHLD handler reaped. */
	if (l->cm_pid > 0 && kill(l->cm_pid, 0) != 0 && errno == ESRCH)
		l->cm_pid = 0;
	if (l->cm_pid > 0 || cmlink_cm_count(l) > 0)
		return;
	argv = l->cm_argv;
	if (argv == NULL) {
		def[0] = sysinfo_self_exe();
		argv = def;
	}
	/* So the CM finds this socket. */
	xasprintf(&env[0], "CDESK_IPC_DIR=%s", l->run_dir);
	l->respawn = l->cm_attached = 0;
	if (session_spawn(&l->session, "cm", argv, env, &pid) == 0)
		l->cm_pid = pid;
	free(env[0]);
	free(def[0]);
}

/* 1 if a connection the CM must show still runs or waits. */
static int
cmlink_live(const struct cmlink *l)
{
	const struct cmlink_conn *c;

	TAILQ_FOREACH(c, &l->conns, entry)
		if (!c->closing)
			return 1;
	return 0;
}

/*
 * Start the CM again when ours quit by itself (status 0) after it had
 * attached, while a connection it must show runs: its idle quit crossed a
 * new Login. Called when it is reaped and when it detaches, whichever
 * comes last acts. At most once per CMLINK_RESPAWN_S; a CM that was killed
 * or crashed is left alone (the next Login starts one).
 */
static void
cmlink_respawn(struct cmlink *l)
{
	time_t now = time(NULL);

	if (!l->respawn || l->click_only || l->cm_pid > 0 ||
	    cmlink_cm_count(l) > 0)
		return;
	l->respawn = 0;
	if (!cmlink_live(l))
		return;
	if (now - l->respawned < CMLINK_RESPAWN_S) {
		log_warn("cm: quit again while a session runs; not restarted");
		return;
	}
	l->respawned = now;
	log_info("cm: quit while a session runs: starting it again");
	cmlink_spawn(l);
}

#ifndef _WIN32
/* Reap the CM we started (only our own child, by pid). */
static void
cmlink_sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	struct cmlink *l = arg;
	int status;

	(void)sig;
	(void)what;
	if (l->cm_pid <= 0)
		return;
	switch (waitpid(l->cm_pid, &status, WNOHANG)) {
	case 0:
		break;
	case -1:
		/* Someone else reaped it (a server-wide handler). */
		if (errno == ECHILD)
			l->cm_pid = 0;
		break;
	default:
		log_info("cm: pid %ld exited (status %d)", (long)l->cm_pid,
		    status);
		if (l->cm_attached && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			l->respawn = 1;
		l->cm_pid = 0;
		l->cm_attached = 0;
		cmlink_respawn(l);
		break;
	}
}
#endif

/* Reply Result{code, text} to p. */
static void
cmlink_result(struct ipc_peer *p, int code, const char *text)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__Result m = IPC__RESULT__INIT;

	m.code = code;
	m.text = (char *)(text != NULL ? text : "");
	d.union_case = IPC__DATA__UNION_RESULT;
	d.result = &m;
	ipc_peer_send(p, &d);
}

/*
 * Whether a peer's input came too recently for a CM click to be the local
 * user's (HOST.md §3.4, for every kind of input): logs the refusal.
 */
static int
cmlink_guarded(struct cmlink *l, int conn_id, const char *what)
{
	int64_t age;

	if (l->act->input_age_ms == NULL ||
	    (age = l->act->input_age_ms(l->ctx)) < 0 ||
	    age >= CMLINK_INPUT_GUARD_MS)
		return 0;
	/* The admin let peers use the CM (upstream's local option). */
	if (l->act->option_get != NULL && strcmp(l->act->option_get(
	    "allow-remote-cm-modification", l->ctx), "Y") == 0)
		return 0;
	log_warn("cm: %s for conn %d refused: a peer's input %lld ms ago",
	    what, conn_id, (long long)age);
	return 1;
}

/*
 * Whether a main window's change (options, passwords) came too soon after
 * a peer's input to be the local user's: refused, as upstream's window
 * locks its settings, unless remote configuration is allowed
 * (access-mode full, or custom with allow-remote-config-modification).
 * The CLI is not guarded: a peer typing a command is using its keyboard
 * permission. Answers the refusal.
 */
static int
cmlink_ui_guarded(struct cmlink *l, struct ipc_peer *p, const Ipc__Data *d)
{
	const char *mode;
	int64_t age;

	if (strcmp(ipc_peer_role(p), "ui") != 0 ||
	    l->act->input_age_ms == NULL || l->act->option_get == NULL ||
	    (age = l->act->input_age_ms(l->ctx)) < 0 ||
	    age >= CMLINK_INPUT_GUARD_MS)
		return 0;
	mode = l->act->option_get("access-mode", l->ctx);
	if (strcmp(mode, "full") == 0 || (strcmp(mode, "view") != 0 &&
	    strcmp(l->act->option_get("allow-remote-config-modification",
	    l->ctx), "Y") == 0))
		return 0;
	log_warn("ui: pid %ld: %s refused: a peer's input %lld ms ago",
	    ipc_peer_pid(p), ipc_data_name(d->union_case), (long long)age);
	cmlink_result(p, ERR_DENIED, "A remote peer is using this desktop: "
	    "settings are locked (allow-remote-config-modification)");
	return 1;
}

/* CM: Accept, honoured once and only for a waiting connection. */
static int
cmlink_recv_authorize(struct cmlink *l, struct ipc_peer *p,
    const Ipc__Data *d)
{
	struct cmlink_conn *c = cmlink_find(l, d->authorize->conn_id);

	(void)p;
	if (c == NULL || c->authorized || c->auth_sent) {
		log_warn("cm: authorize for conn %d, which is not waiting",
		    d->authorize->conn_id);
		return 0;
	}
	if (l->act->option_get != NULL &&
	    strcmp(l->act->option_get("approve-mode", l->ctx),
	    "password") == 0) {
		log_warn("cm: authorize for conn %d refused: approve-mode is "
		    "password", c->id);
		return 0;
	}
	if (cmlink_guarded(l, c->id, "authorize"))
		return 0;
	c->auth_sent = 1;
	log_info("conn %d peer %s: accepted in the CM", c->id, c->peer_log);
	if (l->act->authorize != NULL)
		l->act->authorize(c->id, l->ctx);
	return 0;
}

/* CM: Dismiss or Disconnect. */
static int
cmlink_recv_close(struct cmlink *l, struct ipc_peer *p, const Ipc__Data *d)
{
	struct cmlink_conn *c = cmlink_find(l, d->close->conn_id);

	(void)p;
	if (c == NULL)
		return 0;	/* already gone: a race, not an attack */
	log_info("conn %d peer %s: closed from the CM", c->id, c->peer_log);
	c->closing = 1;
	if (l->act->close != NULL)
		l->act->close(c->id, l->ctx);
	return 0;
}

/* Whether the CM may switch permissions (option
 * enable-perm-change-in-accept-window); logs a refusal. */
static int
cmlink_perm_change(struct cmlink *l, const struct cmlink_conn *c,
    const Ipc__SwitchPermission *m)
{
	if (l->act->option_get == NULL || strcmp(l->act->option_get(
	    "enable-perm-change-in-accept-window", l->ctx), "N") != 0)
		return 1;
	log_warn("conn %d peer %s: %s %s refused: the accept window may not "
	    "change permissions", c->id, c->peer_log, m->name,
	    m->enabled ? "on" : "off");
	return 0;
}

/* CM: permission toggle. */
static int
cmlink_recv_switch_permission(struct cmlink *l, struct ipc_peer *p,
    const Ipc__Data *d)
{
	const Ipc__SwitchPermission *m = d->switch_permission;
	struct cmlink_conn *c = cmlink_find(l, m->conn_id);
	char by[64];
	int perm;

	if (c == NULL)
		return 0;
	/* Option enable-perm-change-in-accept-window N: the toggles are
	 * shown, not used (HOST.md §3.4); the server is the one to refuse. */
	if ((m->enabled && cmlink_guarded(l, c->id, m->name)) ||
	    !cmlink_perm_change(l, c, m)) {
		/* The guard lets switching off through; after a refusal
		 * every CM shows the permission as it still is. */
		Ipc__SwitchPermission off = *m;
		Ipc__Data od = *d;

		perm = perm_find(m->name);
		off.enabled = perm >= 0 && (c->perms & PERM_BIT(perm));
		od.switch_permission = &off;
		cmlink_to_cms(l, &od);
		return 0;
	}
	if ((perm = perm_find(m->name)) >= 0) {
		if (m->enabled)
			c->perms |= PERM_BIT(perm);
		else
			c->perms &= ~PERM_BIT(perm);
	}
	log_info("conn %d peer %s: %s %s from the CM", c->id, c->peer_log,
	    m->name, m->enabled ? "on" : "off");
	snprintf(by, sizeof by, "cm pid %ld uid %ld", ipc_peer_pid(p),
	    ipc_peer_uid(p));
	if (l->act->switch_permission != NULL)
		l->act->switch_permission(c->id, m->name, m->enabled, by,
		    l->ctx);
	/* Other CMs (there may be two for a moment) follow. */
	cmlink_to_cms(l, d);
	return 0;
}

/* CM: the local user wrote to the peer. */
static int
cmlink_recv_chat(struct cmlink *l, struct ipc_peer *p, const Ipc__Data *d)
{
	struct cmlink_conn *c = cmlink_find(l, d->chat->conn_id);

	(void)p;
	if (c == NULL || !c->authorized)
		return 0;
	cmlink_keep_chat(c, d->chat->text, 1);
	c->unanswered = 0;
	if (l->act->chat != NULL)
		l->act->chat(c->id, d->chat->text, l->ctx);
	return 0;
}

/* CM: answer to a voice call; only an INCOMING one is answered. */
static int
cmlink_recv_voice(struct cmlink *l, struct ipc_peer *p, const Ipc__Data *d)
{
	struct cmlink_conn *c = cmlink_find(l,
	    d->voice_call_response->conn_id);

	(void)p;
	/* A peer must not take its own call by clicking Accept. */
	if (c != NULL && d->voice_call_response->accepted &&
	    cmlink_guarded(l, c->id, "voice call accept"))
		return 0;
	if (c != NULL && c->voice == IPC__VOICE_CALL_STATE__STATE__INCOMING &&
	    l->act->voice_call_response != NULL)
		l->act->voice_call_response(c->id,
		    d->voice_call_response->accepted, l->ctx);
	return 0;
}

/* CM: hang up a running voice call. */
static int
cmlink_recv_hang_up(struct cmlink *l, struct ipc_peer *p,
    const Ipc__Data *d)
{
	struct cmlink_conn *c = cmlink_find(l,
	    d->voice_call_hang_up->conn_id);

	(void)p;
	if (c != NULL && c->voice != IPC__VOICE_CALL_STATE__STATE__IDLE &&
	    l->act->voice_call_hang_up != NULL)
		l->act->voice_call_hang_up(c->id, l->ctx);
	return 0;
}

/* CM: when did a peer last click (HOST.md §3.4)? */
static int
cmlink_recv_click_time(struct cmlink *l, struct ipc_peer *p,
    const Ipc__Data *d)
{
	Ipc__Data out = IPC__DATA__INIT;
	Ipc__ClickTime m = IPC__CLICK_TIME__INIT;

	m.conn_id = d->click_time->conn_id;
	m.since_ms = l->act->click_age_ms != NULL ?
	    l->act->click_age_ms(l->ctx) : -1;
	out.union_case = IPC__DATA__UNION_CLICK_TIME;
	out.click_time = &m;
	ipc_peer_send(p, &out);
	return 0;
}

/* Collects options for an Options reply. */
struct cmlink_opts {
	struct cmlink		*l;	/* borrowed */
	Ipc__OptionEntry	*e;	/* owned array */
	Ipc__OptionEntry	**pe;	/* owned array */
	char			**vals;	/* owned copies, 3 per entry */
	size_t			 n;
	size_t			 cap;
};

/* Add one option, and the admin's file that locks it, to the reply. */
static void
cmlink_opts_add(const char *key, const char *value, void *arg)
{
	struct cmlink_opts *o = arg;
	struct cmlink *l = o->l;
	const char *by = NULL;
	char **v;

	if (o->n == o->cap)
		return;
	if (l->act->option_locked != NULL)
		by = l->act->option_locked(key, l->ctx);
	v = &o->vals[3 * o->n];
	v[0] = xstrdup(key);
	v[1] = xstrdup(value != NULL ? value : "");
	v[2] = xstrndup(by != NULL ? by : "", IPC_TEXT_MAX);
	ipc__option_entry__init(&o->e[o->n]);
	o->e[o->n].key = v[0];
	o->e[o->n].value = v[1];
	o->e[o->n].locked_by = v[2];
	o->pe[o->n] = &o->e[o->n];
	o->n++;
}

/* UI/CLI: read options. */
static int
cmlink_recv_options_get(struct cmlink *l, struct ipc_peer *p,
    const Ipc__Data *d)
{
	struct cmlink_opts o;
	Ipc__Data out = IPC__DATA__INIT;
	Ipc__Options m = IPC__OPTIONS__INIT;
	size_t i;

	o.l = l;
	o.cap = IPC_OPTIONS_MAX;
	o.n = 0;
	o.e = xcalloc(o.cap, sizeof *o.e);
	o.pe = xcalloc(o.cap, sizeof *o.pe);
	o.vals = xcalloc(3 * o.cap, sizeof *o.vals);
	if (d->options_get->n_keys == 0 && l->act->options_each != NULL)
		l->act->options_each(cmlink_opts_add, &o, l->ctx);
	for (i = 0; i < d->options_get->n_keys && l->act->option_get; i++)
		cmlink_opts_add(d->options_get->keys[i],
		    l->act->option_get(d->options_get->keys[i], l->ctx), &o);
	m.options = o.pe;
	m.n_options = o.n;
	out.union_case = IPC__DATA__UNION_OPTIONS;
	out.options = &m;
	ipc_peer_send(p, &out);
	for (i = 0; i < 3 * o.n; i++)
		free(o.vals[i]);
	free(o.vals);
	free(o.pe);
	free(o.e);
	return 0;
}

/* UI/CLI: set options, stopping at the first refusal. */
static int
cmlink_recv_options_set(struct cmlink *l, struct ipc_peer *p,
    const Ipc__Data *d)
{
	char *cause = NULL;
	size_t i;
	int r = ERR_UNSUPP;

	for (i = 0; i < d->options_set->n_options && l->act->option_set; i++) {
		r = l->act->option_set(d->options_set->options[i]->key,
		    d->options_set->options[i]->value, &cause, l->ctx);
		if (r != 0)
			break;
	}
	if (d->options_set->n_options == 0)
		r = 0;
	cmlink_result(p, r, cause != NULL ? cause : err_str(r));
	free(cause);
	return 0;
}

/* UI/CLI: status. */
static int
cmlink_recv_status_get(struct cmlink *l, struct ipc_peer *p,
    const Ipc__Data *d)
{
	struct cmlink_status st;
	Ipc__Data out = IPC__DATA__INIT;
	Ipc__Status m = IPC__STATUS__INIT;

	(void)d;
	memset(&st, 0, sizeof st);
	if (l->act->status != NULL)
		l->act->status(&st, l->ctx);
	m.rendezvous = (char *)(st.rendezvous ? st.rendezvous : "");
	m.id = (char *)(st.id ? st.id : "");
	m.temp_password = (char *)(st.temp_password ? st.temp_password : "");
	m.direct_port = st.direct_port;
	m.connections = st.connections;
	m.version = (char *)CDESK_VERSION;
	m.desk_notice = (char *)(st.desk_notice ? st.desk_notice : "");
	out.union_case = IPC__DATA__UNION_STATUS;
	out.status = &m;
	ipc_peer_send(p, &out);
	return 0;
}

/* UI/CLI: new one-time password. */
static int
cmlink_recv_refresh(struct cmlink *l, struct ipc_peer *p, const Ipc__Data *d)
{
	int r = ERR_UNSUPP;

	(void)d;
	if (l->act->refresh_temp_password != NULL)
		r = l->act->refresh_temp_password(l->ctx);
	cmlink_result(p, r, err_str(r));
	return 0;
}

/* UI/CLI: set the permanent password. */
static int
cmlink_recv_set_password(struct cmlink *l, struct ipc_peer *p,
    const Ipc__Data *d)
{
	char *cause = NULL;
	int r = ERR_UNSUPP;

	if (l->act->set_permanent_password != NULL)
		r = l->act->set_permanent_password(
		    d->set_permanent_password->password, &cause, l->ctx);
	cmlink_result(p, r, cause != NULL ? cause : err_str(r));
	free(cause);
	/* The decoded copy is freed by the caller: wipe the secret now. */
	sodium_memzero(d->set_permanent_password->password,
	    strlen(d->set_permanent_password->password));
	return 0;
}

/* Send a TwoFaState from st. */
static void
cmlink_send_tfa(struct ipc_peer *p, const struct cmlink_tfa *st)
{
	Ipc__Data out = IPC__DATA__INIT;
	Ipc__TwoFaState m = IPC__TWO_FA_STATE__INIT;
	Ipc__TrustedDevice dev[STORE_TRUSTED_MAX], *devp[STORE_TRUSTED_MAX];
	size_t i;

	m.enabled = st->enabled;
	m.pending = st->pending;
	m.uri = (char *)st->uri;
	m.secret = (char *)st->secret;
	m.trusted_devices = st->trusted;
	for (i = 0; i < st->ndevices && i < STORE_TRUSTED_MAX; i++) {
		ipc__trusted_device__init(&dev[i]);
		dev[i].key = (char *)st->devices[i].key;
		dev[i].id = (char *)st->devices[i].id;
		dev[i].name = (char *)st->devices[i].name;
		dev[i].platform = (char *)st->devices[i].platform;
		dev[i].time_ms = st->devices[i].time_ms;
		devp[i] = &dev[i];
	}
	m.n_devices = i;
	m.devices = devp;
	out.union_case = IPC__DATA__UNION_TWO_FA_STATE;
	out.two_fa_state = &m;
	ipc_peer_send(p, &out);
}

/* UI/CLI: 2FA requests (HOST.md §4.6). */
static int
cmlink_recv_tfa(struct cmlink *l, struct ipc_peer *p, const Ipc__Data *d)
{
	struct cmlink_tfa st;
	char *cause = NULL;
	int r = ERR_UNSUPP;

	memset(&st, 0, sizeof st);
	switch (d->union_case) {
	case IPC__DATA__UNION_TWO_FA_SETUP:
		if (l->act->tfa_setup != NULL &&
		    (r = l->act->tfa_setup(&st, &cause, l->ctx)) == 0) {
			cmlink_send_tfa(p, &st);
			sodium_memzero(&st, sizeof st);
			return 0;
		}
		break;
	case IPC__DATA__UNION_TWO_FA_GET:
		if (l->act->tfa_state != NULL) {
			l->act->tfa_state(&st, l->ctx);
			cmlink_send_tfa(p, &st);
			return 0;
		}
		break;
	case IPC__DATA__UNION_TWO_FA_ENABLE:
		if (l->act->tfa_enable != NULL)
			r = l->act->tfa_enable(d->two_fa_enable->code, &cause,
			    l->ctx);
		break;
	case IPC__DATA__UNION_TWO_FA_UNTRUST:
		if (l->act->tfa_untrust != NULL)
			r = l->act->tfa_untrust(d->two_fa_untrust->which,
			    d->two_fa_untrust->all, &cause, l->ctx);
		break;
	default:
		if (l->act->tfa_disable != NULL)
			r = l->act->tfa_disable(&cause, l->ctx);
		break;
	}
	cmlink_result(p, r, cause != NULL ? cause : err_str(r));
	free(cause);
	return 0;
}

#define CMLINK_CM	0x1	/* allowed from role "cm" */
#define CMLINK_UI	0x2	/* allowed from "ui" and "cli" (and the CM) */

/* What each role may send; anything else drops the peer (monitor.c). */
static const struct {
	Ipc__Data__UnionCase	 type;
	int			 roles;
	int			(*fn)(struct cmlink *, struct ipc_peer *,
				    const Ipc__Data *);
} cmlink_table[] = {
	{ IPC__DATA__UNION_AUTHORIZE, CMLINK_CM, cmlink_recv_authorize },
	{ IPC__DATA__UNION_CLOSE, CMLINK_CM, cmlink_recv_close },
	{ IPC__DATA__UNION_SWITCH_PERMISSION, CMLINK_CM,
	    cmlink_recv_switch_permission },
	{ IPC__DATA__UNION_CHAT, CMLINK_CM, cmlink_recv_chat },
	{ IPC__DATA__UNION_VOICE_CALL_RESPONSE, CMLINK_CM, cmlink_recv_voice },
	{ IPC__DATA__UNION_VOICE_CALL_HANG_UP, CMLINK_CM, cmlink_recv_hang_up },
	{ IPC__DATA__UNION_CLICK_TIME, CMLINK_CM, cmlink_recv_click_time },
	{ IPC__DATA__UNION_OPTIONS_GET, CMLINK_CM | CMLINK_UI,
	    cmlink_recv_options_get },
	{ IPC__DATA__UNION_OPTIONS_SET, CMLINK_UI, cmlink_recv_options_set },
	{ IPC__DATA__UNION_STATUS_GET, CMLINK_CM | CMLINK_UI,
	    cmlink_recv_status_get },
	{ IPC__DATA__UNION_REFRESH_TEMP_PASSWORD, CMLINK_UI,
	    cmlink_recv_refresh },
	{ IPC__DATA__UNION_SET_PERMANENT_PASSWORD, CMLINK_UI,
	    cmlink_recv_set_password },
	{ IPC__DATA__UNION_TWO_FA_SETUP, CMLINK_UI, cmlink_recv_tfa },
	{ IPC__DATA__UNION_TWO_FA_ENABLE, CMLINK_UI, cmlink_recv_tfa },
	{ IPC__DATA__UNION_TWO_FA_DISABLE, CMLINK_UI, cmlink_recv_tfa },
	{ IPC__DATA__UNION_TWO_FA_GET, CMLINK_UI, cmlink_recv_tfa },
	{ IPC__DATA__UNION_TWO_FA_UNTRUST, CMLINK_UI, cmlink_recv_tfa },
};

/* Role bits of a peer. */
static int
cmlink_role(const struct ipc_peer *p)
{
	const char *r = ipc_peer_role(p);

	if (strcmp(r, "cm") == 0)
		return CMLINK_CM;
	if (strcmp(r, "ui") == 0 || strcmp(r, "cli") == 0)
		return CMLINK_UI;
	return 0;
}

/* Dispatch one message by the table. */
static void
cmlink_ipc_recv(struct ipc_peer *p, const Ipc__Data *d, void *arg)
{
	struct cmlink *l = arg;
	size_t i;

	for (i = 0; i < sizeof cmlink_table / sizeof *cmlink_table; i++) {
		if (cmlink_table[i].type != d->union_case)
			continue;
		if ((cmlink_table[i].roles & cmlink_role(p)) == 0)
			break;
		if (cmlink_table[i].roles != CMLINK_UI ||
		    !cmlink_ui_guarded(l, p, d))
			cmlink_table[i].fn(l, p, d);
		return;
	}
	log_warn("cm: pid %ld ('%s') sent %s: not allowed, dropping it",
	    ipc_peer_pid(p), ipc_peer_role(p), ipc_data_name(d->union_case));
	ipc_peer_close(p);
}

/* A CM attached: give it every connection's full state. */
static void
cmlink_ipc_attach(struct ipc_peer *p, void *arg)
{
	struct cmlink *l = arg;
	struct cmlink_conn *c;
	struct cmlink_chat_line *line;

	if (cmlink_role(p) == 0) {
		log_warn("ipc: pid %ld: unknown role '%s'", ipc_peer_pid(p),
		    ipc_peer_role(p));
		ipc_peer_close(p);
		return;
	}
	if (cmlink_role(p) != CMLINK_CM)
		return;
	log_info("cm: attached (pid %ld uid %ld)", ipc_peer_pid(p),
	    ipc_peer_uid(p));
	if (l->cm_pid > 0 && ipc_peer_pid(p) == (long)l->cm_pid)
		l->cm_attached = 1;
	l->respawn = 0;
	TAILQ_FOREACH(c, &l->conns, entry) {
		cmlink_send_login(l, p, c);
		TAILQ_FOREACH(line, &c->chat, entry)
			cmlink_send_chat(l, p, c->id, line->text, line->local);
		if (c->voice != IPC__VOICE_CALL_STATE__STATE__IDLE)
			cmlink_send_voice(l, p, c);
	}
	if (l->notice != NULL)
		cmlink_send_notice(l, p);
}

/* A peer left: when the last CM goes, pending approvals become dismissals. */
static void
cmlink_ipc_lost(struct ipc_peer *p, void *arg)
{
	struct cmlink *l = arg;
	struct cmlink_conn *c, *next;

	if (cmlink_role(p) != CMLINK_CM)
		return;
	log_info("cm: detached (pid %ld)", ipc_peer_pid(p));
#ifdef _WIN32
	/* No SIGCHLD here: the CM we started going is the end of it as far
	 * as we know (a Windows pid is soon reused: never signal it later). */
	if (l->cm_pid > 0 && ipc_peer_pid(p) == (long)l->cm_pid)
		l->cm_pid = l->cm_attached = 0;
#endif
	/* p is no longer counted here. */
	if (cmlink_cm_count(l) > 0)
		return;
	for (c = TAILQ_FIRST(&l->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->authorized || c->auth_sent)
			continue;
		log_info("conn %d peer %s: CM gone while waiting: dismissed",
		    c->id, c->peer_log);
		c->closing = 1;
		/* The close action may call cmlink_closed(c): next stays. */
		if (l->act->close != NULL)
			l->act->close(c->id, l->ctx);
	}
	cmlink_respawn(l);
}

static const struct ipc_server_cb cmlink_ipc_cb = {
	.attach = cmlink_ipc_attach,
	.recv = cmlink_ipc_recv,
	.lost = cmlink_ipc_lost,
};

/* Create the link and its listener. */
int
cmlink_new(struct cmlink **out, struct event_base *base, const char *run_dir,
    const struct cmlink_actions *actions, void *ctx, char **cause)
{
	struct cmlink *l;
	int r;

	*out = NULL;
	l = xcalloc(1, sizeof *l);
	l->base = base;
	l->act = actions;
	l->ctx = ctx;
	l->run_dir = xstrdup(run_dir);
	session_init(&l->session);
	TAILQ_INIT(&l->conns);
	if ((r = ipc_server_new(&l->srv, base, run_dir, &cmlink_ipc_cb, l,
	    cause)) != 0) {
		free(l->run_dir);
		free(l);
		return r;
	}
#ifndef _WIN32
	/* Windows has no SIGCHLD: its CM counts as gone when it detaches
	 * (cmlink_ipc_lost) or when kill(pid, 0) says so (cmlink_spawn). */
	l->sigchld = evsignal_new(base, SIGCHLD, cmlink_sigchld_cb, l);
	if (l->sigchld == NULL || event_add(l->sigchld, NULL) != 0) {
		xasprintf(cause, "libevent: cannot watch SIGCHLD");
		cmlink_free(l);
		return ERR_NOMEM;
	}
#endif
	*out = l;
	return 0;
}

/* Free everything; a CM we started keeps running on its own. */
void
cmlink_free(struct cmlink *l)
{
	struct cmlink_conn *c;
	char **a;

	if (l == NULL)
		return;
	/* The sessions it shows end with us: the CM we started goes too,
	 * not left on the desk saying the server is gone (a CM the user
	 * started by hand is not ours and stays). The server's SIGCHLD
	 * handling reaps it. */
#ifdef _WIN32
	/* Only while it is attached is that pid surely still our CM. */
	if (!l->cm_attached)
		l->cm_pid = 0;
#endif
	if (l->cm_pid > 0 && kill(l->cm_pid, SIGTERM) == 0)
		log_debug("cm: pid %ld told to end", (long)l->cm_pid);
	ipc_server_free(l->srv);
	if (l->sigchld != NULL)
		event_free(l->sigchld);
	while ((c = TAILQ_FIRST(&l->conns)) != NULL) {
		TAILQ_REMOVE(&l->conns, c, entry);
		cmlink_conn_free(c);
	}
	for (a = l->cm_argv; a != NULL && *a != NULL; a++)
		free(*a);
	free(l->cm_argv);
	free(l->run_dir);
	free(l->notice);
	session_fini(&l->session);
	free(l);
}

/* Record the shared session. */
void
cmlink_set_session(struct cmlink *l, const struct session *s)
{
	long old = l->session.uid;

	session_copy(&l->session, s);
	ipc_server_set_session_uid(l->srv, s->uid);
	/* The CM we started is on the old user's desk: it goes (reaped by
	 * cmlink_sigchld_cb), and the next one starts as the new user. */
	if (old != s->uid && l->cm_pid > 0) {
		log_info("cm: the session changed: stopping the CM of uid %ld "
		    "(pid %ld)", old, (long)l->cm_pid);
		kill(l->cm_pid, SIGTERM);
#ifdef _WIN32
		l->cm_pid = 0;		/* nothing reaps it here */
#endif
	}
}

/* Tell the CMs (or one: p) about the desk. */
static void
cmlink_send_notice(struct cmlink *l, struct ipc_peer *p)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__DeskNotice m = IPC__DESK_NOTICE__INIT;

	m.text = l->notice != NULL ? l->notice : (char *)"";
	d.union_case = IPC__DATA__UNION_DESK_NOTICE;
	d.desk_notice = &m;
	if (p != NULL)
		ipc_peer_send(p, &d);
	else
		cmlink_to_cms(l, &d);
}

/* What the person at the desk should know about it. */
void
cmlink_set_notice(struct cmlink *l, const char *text, int start)
{
	time_t now = time(NULL);

	if (text != NULL && *text == '\0')
		text = NULL;
	if (text == NULL ? l->notice != NULL : l->notice == NULL ||
	    strcmp(text, l->notice) != 0) {
		free(l->notice);
		l->notice = text != NULL ? xstrdup(text) : NULL;
		cmlink_send_notice(l, NULL);
	}
	if (!start || text == NULL || l->click_only ||
	    now - l->notice_started < CMLINK_NOTICE_S)
		return;
	l->notice_started = now;
	log_info("cm: starting one to tell the desk: %s", text);
	cmlink_spawn(l);
}

/* Start a CM only for a click (tests whose screen must stay bare). */
void
cmlink_set_click_only(struct cmlink *l, int on)
{
	l->click_only = on != 0;
}

/* Replace the CM command. */
void
cmlink_set_cm_command(struct cmlink *l, char *const argv[])
{
	size_t n = 0, i;
	char **a;

	for (a = l->cm_argv; a != NULL && *a != NULL; a++)
		free(*a);
	free(l->cm_argv);
	l->cm_argv = NULL;
	if (argv == NULL || argv[0] == NULL)
		return;
	while (argv[n] != NULL)
		n++;
	l->cm_argv = xcalloc(n + 1, sizeof *l->cm_argv);
	for (i = 0; i < n; i++)
		l->cm_argv[i] = xstrdup(argv[i]);
}

/* Store or update a connection and tell the CMs. */
void
cmlink_login(struct cmlink *l, const struct cmlink_login *in)
{
	struct cmlink_conn *c;

	if (in->conn_id <= 0)
		return;
	if ((c = cmlink_find(l, in->conn_id)) == NULL) {
		if (l->nconns >= CMLINK_CONNS_MAX) {
			/* Once while full: a crowd would fill the log. */
			if (!l->full_said)
				log_warn("conn %d: too many connections for "
				    "the CM (%d): later ones are not shown",
				    in->conn_id, CMLINK_CONNS_MAX);
			l->full_said = 1;
			return;
		}
		l->full_said = 0;
		c = xcalloc(1, sizeof *c);
		c->id = in->conn_id;
		TAILQ_INIT(&c->chat);
		c->start_time = in->start_time ? in->start_time :
		    (int64_t)time(NULL);
		TAILQ_INSERT_TAIL(&l->conns, c, entry);
		l->nconns++;
	}
	/* Peer strings are bounded here so a Login always packs. */
	free(c->peer_id);
	c->peer_id = xstrndup(in->peer_id ? in->peer_id : "", IPC_NAME_MAX);
	free(c->peer_log);
	c->peer_log = log_escape(c->peer_id, 64);
	free(c->peer_name);
	c->peer_name = xstrndup(in->peer_name ? in->peer_name : "",
	    IPC_NAME_MAX);
	free(c->address);
	c->address = xstrndup(in->address ? in->address : "", IPC_NAME_MAX);
	free(c->port_forward);
	c->port_forward = xstrndup(in->port_forward ? in->port_forward : "",
	    IPC_NAME_MAX);
	c->mode = in->mode <= CMLINK_CAMERA ? in->mode : CMLINK_REMOTE;
	c->encrypted = in->encrypted != 0;
	/* Once authorized, a connection never goes back to waiting. */
	c->authorized = c->authorized || in->authorized;
	c->perms = in->perms;
	cmlink_send_login(l, NULL, c);
	/* The person at the desk sees every session, not only requests. */
	if (!c->authorized || !l->click_only)
		cmlink_spawn(l);
}

/* The peer wrote to the local user. */
void
cmlink_chat(struct cmlink *l, int conn_id, const char *text)
{
	struct cmlink_conn *c = cmlink_find(l, conn_id);
	char *t;

	if (c == NULL || text == NULL || *text == '\0')
		return;
	t = xstrndup(text, IPC_TEXT_MAX);
	cmlink_keep_chat(c, t, 0);
	c->unanswered = 1;
	cmlink_send_chat(l, NULL, conn_id, t, 0);
	free(t);
}

/* A connection's voice call changed state: tell every CM. */
void
cmlink_voice(struct cmlink *l, int conn_id, int state)
{
	struct cmlink_conn *c = cmlink_find(l, conn_id);

	if (c == NULL || state < IPC__VOICE_CALL_STATE__STATE__IDLE ||
	    state > IPC__VOICE_CALL_STATE__STATE__ACTIVE)
		return;
	c->voice = state;
	cmlink_send_voice(l, NULL, c);
}

/* Pass a file-transfer job's progress on. */
void
cmlink_file_log(struct cmlink *l, const struct cmlink_file_log *f)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__FileTransferLog m = IPC__FILE_TRANSFER_LOG__INIT;
	char *path, *err;

	if (cmlink_find(l, f->conn_id) == NULL)
		return;
	path = xstrndup(f->path ? f->path : "", IPC_TEXT_MAX);
	err = xstrndup(f->error ? f->error : "", IPC_TEXT_MAX);
	m.conn_id = f->conn_id;
	m.job_id = f->job_id;
	m.path = path;
	m.is_remote = f->is_remote != 0;
	m.total_size = f->total_size;
	m.finished_size = f->finished_size <= f->total_size ?
	    f->finished_size : f->total_size;
	m.state = f->state >= 0 && f->state <= 3 ?
	    (Ipc__FileTransferLog__State)f->state :
	    IPC__FILE_TRANSFER_LOG__STATE__ERROR;
	m.error = err;
	m.speed = f->state == 0 ? f->speed : 0;
	d.union_case = IPC__DATA__UNION_FILE_TRANSFER_LOG;
	d.file_transfer_log = &m;
	cmlink_to_cms(l, &d);
	free(path);
	free(err);
}

/* A connection ended. */
void
cmlink_closed(struct cmlink *l, int conn_id)
{
	struct cmlink_conn *c = cmlink_find(l, conn_id);
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__Close cl = IPC__CLOSE__INIT;
	Ipc__Disconnected dc = IPC__DISCONNECTED__INIT;

	if (c == NULL)
		return;
	if (c->unanswered) {
		dc.conn_id = conn_id;
		d.union_case = IPC__DATA__UNION_DISCONNECTED;
		d.disconnected = &dc;
	} else {
		cl.conn_id = conn_id;
		d.union_case = IPC__DATA__UNION_CLOSE;
		d.close = &cl;
	}
	cmlink_to_cms(l, &d);
	TAILQ_REMOVE(&l->conns, c, entry);
	l->nconns--;
	cmlink_conn_free(c);
}

/* Number of attached CMs. */
int
cmlink_cm_count(const struct cmlink *l)
{
	return ipc_server_count(l->srv, "cm");
}

/* Whether a CM can be there to click: see cmlink.h. */
int
cmlink_clickable(const struct cmlink *l)
{
	(void)l;
	return 1;
}

/* Number of attached main windows. */
int
cmlink_ui_count(const struct cmlink *l)
{
	return ipc_server_count(l->srv, "ui");
}
