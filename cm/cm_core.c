/*
 * cm_core.c: the connection manager's toolkit-free logic (cm/cm_core.h):
 * the messages a user's action becomes, the click-time guard and the
 * options the CM reads. Both front ends call it, so the rules of HOST.md
 * §3.3-3.4 are written once.
 */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "cm/cm_core.h"

/* Start empty. */
void
cm_guard_init(struct cm_guard *g)
{
	g->head = NULL;
	g->tail = &g->head;
}

/* Free one action. */
void
cm_action_free(struct cm_action *a)
{
	if (a == NULL)
		return;
	free(a->text);
	free(a);
}

/* Drop every queued action. */
void
cm_guard_clear(struct cm_guard *g)
{
	struct cm_action *a;

	while ((a = g->head) != NULL) {
		g->head = a->next;
		cm_action_free(a);
	}
	g->tail = &g->head;
}

/* Queue an action and ask the server when a peer last clicked. */
int
cm_guard_ask(struct cm_guard *g, struct ipc_client *c, enum cm_kind kind,
    int conn_id, const char *text, int enabled, int64_t now)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__ClickTime ct = IPC__CLICK_TIME__INIT;
	struct cm_action *a;
	int r;

	ct.conn_id = conn_id;
	d.union_case = IPC__DATA__UNION_CLICK_TIME;
	d.click_time = &ct;
	if ((r = ipc_client_send(c, &d)) != 0)
		return r;
	a = xcalloc(1, sizeof *a);
	a->kind = kind;
	a->conn_id = conn_id;
	a->text = text != NULL ? xstrdup(text) : NULL;
	a->enabled = enabled;
	a->t_local = now;
	*g->tail = a;
	g->tail = &a->next;
	return 0;
}

/*
 * The answer for the oldest action: it passes unless a peer's injected
 * click (since_ms ago) came within CM_CLICK_GAP_MS before ours, which
 * would make ours the peer's own doing (HOST.md §3.4).
 */
struct cm_action *
cm_guard_answer(struct cm_guard *g, const Ipc__ClickTime *m, int64_t now,
    int *pass)
{
	struct cm_action *a = g->head;
	int64_t since_click;

	*pass = 0;
	if (a == NULL)
		return NULL;
	g->head = a->next;
	if (g->head == NULL)
		g->tail = &g->head;
	a->next = NULL;
	since_click = (now - a->t_local) / 1000;
	*pass = m->since_ms < 0 || m->since_ms > since_click + CM_CLICK_GAP_MS;
	return a;
}

/* Send a message with only a conn id (Authorize or Close). */
static int
cm_core_send_conn(struct ipc_client *c, Ipc__Data__UnionCase t, int id)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__Authorize au = IPC__AUTHORIZE__INIT;
	Ipc__Close cl = IPC__CLOSE__INIT;

	d.union_case = t;
	if (t == IPC__DATA__UNION_AUTHORIZE) {
		au.conn_id = id;
		d.authorize = &au;
	} else {
		cl.conn_id = id;
		d.close = &cl;
	}
	return ipc_client_send(c, &d);
}

/* Close conn_id. */
int
cm_core_close(struct ipc_client *c, int conn_id)
{
	return cm_core_send_conn(c, IPC__DATA__UNION_CLOSE, conn_id);
}

/* Carry out an action the guard let through. */
int
cm_core_do(struct ipc_client *c, const struct cm_action *a)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__SwitchPermission sp = IPC__SWITCH_PERMISSION__INIT;
	Ipc__ChatMessage ch = IPC__CHAT_MESSAGE__INIT;
	Ipc__VoiceCallResponse vr = IPC__VOICE_CALL_RESPONSE__INIT;
	Ipc__VoiceCallHangUp vh = IPC__VOICE_CALL_HANG_UP__INIT;

	switch (a->kind) {
	case CM_ACT_ACCEPT:
		return cm_core_send_conn(c, IPC__DATA__UNION_AUTHORIZE,
		    a->conn_id);
	case CM_ACT_DISMISS:
	case CM_ACT_DISCONNECT:
		return cm_core_close(c, a->conn_id);
	case CM_ACT_PERMISSION:
		sp.conn_id = a->conn_id;
		sp.name = a->text;
		sp.enabled = a->enabled;
		d.union_case = IPC__DATA__UNION_SWITCH_PERMISSION;
		d.switch_permission = &sp;
		break;
	case CM_ACT_CHAT:
		ch.conn_id = a->conn_id;
		ch.text = a->text;
		d.union_case = IPC__DATA__UNION_CHAT;
		d.chat = &ch;
		break;
	case CM_ACT_VOICE_ANSWER:
		vr.conn_id = a->conn_id;
		vr.accepted = a->enabled;
		d.union_case = IPC__DATA__UNION_VOICE_CALL_RESPONSE;
		d.voice_call_response = &vr;
		break;
	case CM_ACT_VOICE_HANG_UP:
		vh.conn_id = a->conn_id;
		d.union_case = IPC__DATA__UNION_VOICE_CALL_HANG_UP;
		d.voice_call_hang_up = &vh;
		break;
	}
	return ipc_client_send(c, &d);
}

/*
 * Ask for approve-mode (Accept is hidden in password mode), the options
 * that let the admin hide the CM, and whether the permission toggles may
 * be used.
 */
int
cm_core_ask_options(struct ipc_client *c)
{
	static char *keys[] = { (char *)"approve-mode",
	    (char *)"verification-method", (char *)"allow-hide-cm",
	    (char *)"enable-perm-change-in-accept-window" };
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__OptionsGet m = IPC__OPTIONS_GET__INIT;

	m.keys = keys;
	m.n_keys = sizeof keys / sizeof *keys;
	d.union_case = IPC__DATA__UNION_OPTIONS_GET;
	d.options_get = &m;
	return ipc_client_send(c, &d);
}

/* 1 if the admin's file sets key to want (HOST.md §3.3: hide CM). */
static int
cm_core_admin_says(const Ipc__Options *m, const char *key, const char *want)
{
	size_t i;

	for (i = 0; i < m->n_options; i++)
		if (strcmp(m->options[i]->key, key) == 0)
			return strcmp(m->options[i]->value, want) == 0 &&
			    m->options[i]->locked_by != NULL &&
			    *m->options[i]->locked_by != '\0';
	return 0;
}

/*
 * The answer: Accept and the permission toggles, and whether the admin
 * hides the CM (only password-only, permanent-password-only and
 * allow-hide-cm, all three in the admin's file).
 */
void
cm_core_options(const Ipc__Options *m, struct cm_opts *o)
{
	size_t i;

	for (i = 0; i < m->n_options; i++) {
		if (strcmp(m->options[i]->key, "approve-mode") == 0)
			o->password_only = strcmp(m->options[i]->value,
			    "password") == 0;
		if (strcmp(m->options[i]->key,
		    "enable-perm-change-in-accept-window") == 0)
			o->perm_locked = strcmp(m->options[i]->value,
			    "N") == 0;
	}
	o->hidden = cm_core_admin_says(m, "approve-mode", "password") &&
	    cm_core_admin_says(m, "verification-method",
	    "use-permanent-password") &&
	    cm_core_admin_says(m, "allow-hide-cm", "Y");
}

/* Human name of a session mode. */
const char *
cm_core_mode_text(int mode)
{
	switch (mode) {
	case IPC__CONN_MODE__MODE_FILE_TRANSFER:
		return "File transfer";
	case IPC__CONN_MODE__MODE_PORT_FORWARD:
		return "Port forwarding";
	case IPC__CONN_MODE__MODE_TERMINAL:
		return "Terminal";
	case IPC__CONN_MODE__MODE_CAMERA:
		return "Camera";
	default:
		return "Remote control";
	}
}
