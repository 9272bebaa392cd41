/*
 * cm_app.c: the connection manager application: joins the IPC (GLib
 * adapter) to the window's pages, decides when the window comes up and
 * goes down (HOST.md §3.3, see cm/cm.h), and sends every user action
 * through the click-time guard of HOST.md §3.4 before it reaches the
 * server.
 */
#include <stdlib.h>
#include <string.h>

#include <gtk/gtk.h>

#include "common/config.h"
#include "common/err.h"
#include "common/perm.h"
#include "cm/cm.h"
#include "cm/cm_page.h"
#include "cm/cm_window.h"
#include "ipc/ipc_glib.h"
#include "gui/gui_res.h"

/* A peer's injected click this close before ours voids ours (ms). */
#define CM_CLICK_GAP_MS		120
/* Quit this long after the last connection is gone (ms). */
#define CM_IDLE_QUIT_MS		6000
/* A new authorized session's page shows this long, then minimizes (ms). */
#define CM_MINIMIZE_MS		3000

/* Why the window comes up (HOST.md §3.3). */
enum cm_show {
	CM_SHOW_SESSION,	/* a new authorized session: minimize later */
	CM_SHOW_CHAT,		/* the peer wrote */
	CM_SHOW_REQUEST,	/* a connection waits for a click */
};

enum cm_kind {
	CM_ACT_ACCEPT,
	CM_ACT_DISMISS,
	CM_ACT_DISCONNECT,
	CM_ACT_PERMISSION,
	CM_ACT_CHAT,
	CM_ACT_VOICE_ANSWER,	/* enabled: accepted */
	CM_ACT_VOICE_HANG_UP,
};

/* A user action waiting for the server's ClickTime answer. */
struct cm_action {
	enum cm_kind	 kind;
	int		 conn_id;
	char		*text;		/* permission name or chat (owned) */
	gboolean	 enabled;
	gint64		 t_local;	/* monotonic µs of the click */
};

struct cm_app {
	GtkApplication		*app;
	CmWindow		*win;		/* owned by app */
	struct ipc_client	*ipc;		/* owned */
	char			*dir;		/* owned */
	GHashTable		*pages;		/* conn id -> CmPage, borrowed */
	GQueue			 actions;	/* struct cm_action, owned */
	guint			 retry_id;
	guint			 quit_id;
	guint			 minimize_id;
	gboolean		 had_pages;
	gboolean		 password_only;	/* approve-mode=password */
	gboolean		 perm_locked;	/* no permission toggles */
	gboolean		 replaying;	/* Hello to first Options */
	gboolean		 hidden;	/* the admin hides the CM */
	char			*notice;	/* owned: the desk notice */
	int			 accepted;	/* last conn we accepted */
};

static void	cm_connect(struct cm_app *);

/* Free one action. */
static void
cm_action_free(gpointer p)
{
	struct cm_action *a = p;

	g_free(a->text);
	g_free(a);
}

/* Send a message with only a conn id (Authorize or Close). */
static void
cm_send_conn(struct cm_app *a, Ipc__Data__UnionCase t, int id)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__Authorize au = IPC__AUTHORIZE__INIT;
	Ipc__Close cl = IPC__CLOSE__INIT;

	if (a->ipc == NULL)
		return;
	d.union_case = t;
	if (t == IPC__DATA__UNION_AUTHORIZE) {
		au.conn_id = id;
		d.authorize = &au;
	} else {
		cl.conn_id = id;
		d.close = &cl;
	}
	ipc_client_send(a->ipc, &d);
}

/* Carry out an action the guard let through. */
static void
cm_do(struct cm_app *a, const struct cm_action *act)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__SwitchPermission sp = IPC__SWITCH_PERMISSION__INIT;
	Ipc__ChatMessage ch = IPC__CHAT_MESSAGE__INIT;
	Ipc__VoiceCallResponse vr = IPC__VOICE_CALL_RESPONSE__INIT;
	Ipc__VoiceCallHangUp vh = IPC__VOICE_CALL_HANG_UP__INIT;
	CmPage *page = g_hash_table_lookup(a->pages,
	    GINT_TO_POINTER(act->conn_id));

	switch (act->kind) {
	case CM_ACT_ACCEPT:
		cm_send_conn(a, IPC__DATA__UNION_AUTHORIZE, act->conn_id);
		a->accepted = act->conn_id;
		break;
	case CM_ACT_DISMISS:
	case CM_ACT_DISCONNECT:
		cm_send_conn(a, IPC__DATA__UNION_CLOSE, act->conn_id);
		break;
	case CM_ACT_PERMISSION:
		sp.conn_id = act->conn_id;
		sp.name = act->text;
		sp.enabled = act->enabled;
		d.union_case = IPC__DATA__UNION_SWITCH_PERMISSION;
		d.switch_permission = &sp;
		ipc_client_send(a->ipc, &d);
		break;
	case CM_ACT_CHAT:
		ch.conn_id = act->conn_id;
		ch.text = act->text;
		d.union_case = IPC__DATA__UNION_CHAT;
		d.chat = &ch;
		if (ipc_client_send(a->ipc, &d) == 0 && page != NULL)
			cm_page_add_chat(page, act->text, TRUE);
		break;
	case CM_ACT_VOICE_ANSWER:
		vr.conn_id = act->conn_id;
		vr.accepted = act->enabled;
		d.union_case = IPC__DATA__UNION_VOICE_CALL_RESPONSE;
		d.voice_call_response = &vr;
		ipc_client_send(a->ipc, &d);
		break;
	case CM_ACT_VOICE_HANG_UP:
		vh.conn_id = act->conn_id;
		d.union_case = IPC__DATA__UNION_VOICE_CALL_HANG_UP;
		d.voice_call_hang_up = &vh;
		ipc_client_send(a->ipc, &d);
		break;
	}
}

/* Queue an action and ask the server when a peer last clicked. */
static void
cm_guard(struct cm_app *a, enum cm_kind kind, int conn_id, const char *text,
    gboolean enabled)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__ClickTime ct = IPC__CLICK_TIME__INIT;
	struct cm_action *act;

	if (a->ipc == NULL)
		return;
	act = g_new0(struct cm_action, 1);
	act->kind = kind;
	act->conn_id = conn_id;
	act->text = g_strdup(text);
	act->enabled = enabled;
	act->t_local = g_get_monotonic_time();
	g_queue_push_tail(&a->actions, act);
	ct.conn_id = conn_id;
	d.union_case = IPC__DATA__UNION_CLICK_TIME;
	d.click_time = &ct;
	ipc_client_send(a->ipc, &d);
}

/* The server's answer: act unless a peer clicked just before us. */
static void
cm_recv_click_time(struct cm_app *a, const Ipc__ClickTime *m)
{
	struct cm_action *act = g_queue_pop_head(&a->actions);
	CmPage *page;
	gint64 since_click;

	if (act == NULL)
		return;
	since_click = (g_get_monotonic_time() - act->t_local) / 1000;
	if (m->since_ms < 0 || m->since_ms > since_click + CM_CLICK_GAP_MS)
		cm_do(a, act);
	else {
		page = g_hash_table_lookup(a->pages,
		    GINT_TO_POINTER(act->conn_id));
		g_warning("cm: ignored a click made while a peer was clicking");
		if (page != NULL) {
			if (act->kind == CM_ACT_PERMISSION)
				cm_page_set_permission(page, act->text,
				    !act->enabled);
			cm_page_set_note(page, "Ignored a click made right "
			    "after the remote peer clicked. Try again.");
		}
	}
	cm_action_free(act);
}

/* Page signal handlers: each goes through the guard. */
static void
cm_accept_cb(CmPage *page, struct cm_app *a)
{
	cm_guard(a, CM_ACT_ACCEPT, cm_page_get_conn_id(page), NULL, FALSE);
}

/* Dismiss clicked. */
static void
cm_dismiss_cb(CmPage *page, struct cm_app *a)
{
	cm_guard(a, CM_ACT_DISMISS, cm_page_get_conn_id(page), NULL, FALSE);
}

/* Disconnect clicked. */
static void
cm_disconnect_cb(CmPage *page, struct cm_app *a)
{
	cm_guard(a, CM_ACT_DISCONNECT, cm_page_get_conn_id(page), NULL,
	    FALSE);
}

/* A permission check box flipped. */
static void
cm_permission_cb(CmPage *page, const char *name, gboolean enabled,
    struct cm_app *a)
{
	cm_guard(a, CM_ACT_PERMISSION, cm_page_get_conn_id(page), name,
	    enabled);
}

/* Send chat. */
static void
cm_chat_cb(CmPage *page, const char *text, struct cm_app *a)
{
	cm_guard(a, CM_ACT_CHAT, cm_page_get_conn_id(page), text, FALSE);
}

/* Voice call answered. */
static void
cm_voice_answer_cb(CmPage *page, gboolean accepted, struct cm_app *a)
{
	cm_guard(a, CM_ACT_VOICE_ANSWER, cm_page_get_conn_id(page), NULL,
	    accepted);
}

/* "Stop voice call" clicked. */
static void
cm_voice_hang_up_cb(CmPage *page, struct cm_app *a)
{
	cm_guard(a, CM_ACT_VOICE_HANG_UP, cm_page_get_conn_id(page), NULL,
	    FALSE);
}

/* Closing confirmed: end every live session. */
static void
cm_disconnect_all_cb(CmWindow *win, struct cm_app *a)
{
	GHashTableIter it;
	gpointer key, value;

	(void)win;
	g_hash_table_iter_init(&it, a->pages);
	while (g_hash_table_iter_next(&it, &key, &value))
		if (cm_page_is_live(value))
			cm_send_conn(a, IPC__DATA__UNION_CLOSE,
			    GPOINTER_TO_INT(key));
}

/* Quit once nothing has shown up for a while. */
static gboolean
cm_idle_quit_cb(gpointer data)
{
	struct cm_app *a = data;

	a->quit_id = 0;
	/* A desk notice stays until the local user closes the window. */
	if (g_hash_table_size(a->pages) == 0 && a->notice == NULL)
		gtk_widget_destroy(GTK_WIDGET(a->win));
	return G_SOURCE_REMOVE;
}

/* Quit after the grace unless a connection shows up (HOST.md §3.3). */
static void
cm_schedule_quit(struct cm_app *a)
{
	if (a->quit_id == 0)
		a->quit_id = g_timeout_add(CM_IDLE_QUIT_MS, cm_idle_quit_cb,
		    a);
}

/* 1 if a connection or a voice call waits for a click. */
static gboolean
cm_any_pending(struct cm_app *a)
{
	GHashTableIter it;
	gpointer key, value;

	g_hash_table_iter_init(&it, a->pages);
	while (g_hash_table_iter_next(&it, &key, &value))
		if (cm_page_is_pending(value) || (cm_page_is_live(value) &&
		    cm_page_get_voice(value) == CM_PAGE_VOICE_INCOMING))
			return TRUE;
	return FALSE;
}

/* The new session's page was seen: minimize unless the user is at it. */
static gboolean
cm_minimize_cb(gpointer data)
{
	struct cm_app *a = data;

	a->minimize_id = 0;
	if (!cm_any_pending(a) && !cm_window_in_use(a->win))
		cm_window_minimize(a->win);
	return G_SOURCE_REMOVE;
}

/*
 * Bring the window up for page, never taking focus (cm/cm.h): a request
 * keeps it above others until answered; a chat or a request sets the
 * urgency hint; a new authorized session minimizes after CM_MINIMIZE_MS.
 * Nothing while replaying (cm_replayed decides) or hidden by the admin.
 */
static void
cm_present(struct cm_app *a, CmPage *page, enum cm_show why)
{
	CmPage *on = cm_window_visible_page(a->win);

	if (a->hidden || a->replaying)
		return;
	/* A chat does not turn away the page the local user is at, nor a
	 * new session a waiting request's page: they mark theirs. */
	if (why == CM_SHOW_REQUEST || on == NULL ||
	    (why == CM_SHOW_CHAT && !cm_window_in_use(a->win)) ||
	    (why == CM_SHOW_SESSION && !cm_page_is_pending(on)))
		cm_window_show_page(a->win, page);
	else
		cm_window_flag_page(a->win, page);
	g_clear_handle_id(&a->minimize_id, g_source_remove);
	cm_window_set_above(a->win, cm_any_pending(a));
	cm_window_reveal(a->win, why != CM_SHOW_SESSION);
	if (why == CM_SHOW_SESSION && !cm_any_pending(a))
		a->minimize_id = g_timeout_add(CM_MINIMIZE_MS, cm_minimize_cb,
		    a);
}

/* The server replayed its connections: show them, or quit if none. */
static void
cm_replayed(struct cm_app *a)
{
	GHashTableIter it;
	gpointer key, value;
	CmPage *page = NULL;

	a->replaying = FALSE;
	if (a->hidden)
		gtk_widget_hide(GTK_WIDGET(a->win));
	g_hash_table_iter_init(&it, a->pages);
	while (g_hash_table_iter_next(&it, &key, &value))
		if (page == NULL || cm_page_is_pending(value))
			page = value;
	if (page == NULL && a->notice != NULL && !a->hidden) {
		/* Started to tell the desk something (a Wayland session). */
		cm_window_reveal(a->win, TRUE);
		return;
	}
	if (page == NULL) {
		/* Started for a connection that has gone already. */
		cm_schedule_quit(a);
		return;
	}
	cm_present(a, page, cm_page_is_pending(page) ? CM_SHOW_REQUEST :
	    CM_SHOW_SESSION);
}

/* Remove a page; with the last one the window goes, then the CM. */
static void
cm_drop_page(struct cm_app *a, int id)
{
	CmPage *page = g_hash_table_lookup(a->pages, GINT_TO_POINTER(id));

	if (page == NULL)
		return;
	g_hash_table_remove(a->pages, GINT_TO_POINTER(id));
	cm_window_remove_page(a->win, page);
	cm_window_set_above(a->win, cm_any_pending(a));
	if (g_hash_table_size(a->pages) == 0 && a->had_pages &&
	    a->notice == NULL) {
		g_clear_handle_id(&a->minimize_id, g_source_remove);
		gtk_widget_hide(GTK_WIDGET(a->win));
		cm_schedule_quit(a);
	}
}

/*
 * Ask the server for approve-mode (Accept is hidden in password mode),
 * the options that let the admin hide the CM, and whether the permission
 * toggles may be used.
 */
static void
cm_ask_approve_mode(struct cm_app *a)
{
	static char *keys[] = { (char *)"approve-mode",
	    (char *)"verification-method", (char *)"allow-hide-cm",
	    (char *)"enable-perm-change-in-accept-window" };
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__OptionsGet m = IPC__OPTIONS_GET__INIT;

	if (a->ipc == NULL)
		return;
	m.keys = keys;
	m.n_keys = sizeof keys / sizeof *keys;
	d.union_case = IPC__DATA__UNION_OPTIONS_GET;
	d.options_get = &m;
	ipc_client_send(a->ipc, &d);
}

/* 1 if the admin's file sets key to want (HOST.md §3.3: hide CM). */
static gboolean
cm_admin_says(const Ipc__Options *m, const char *key, const char *want)
{
	size_t i;

	for (i = 0; i < m->n_options; i++)
		if (strcmp(m->options[i]->key, key) == 0)
			return strcmp(m->options[i]->value, want) == 0 &&
			    m->options[i]->locked_by != NULL &&
			    *m->options[i]->locked_by != '\0';
	return FALSE;
}

/*
 * The answer: Accept and the permission toggles on every page, whether
 * the admin hides the CM (only password-only, permanent-password-only and
 * allow-hide-cm, all three in the admin's file), and the end of the
 * replay.
 */
static void
cm_recv_options(struct cm_app *a, const Ipc__Options *m)
{
	GHashTableIter it;
	gpointer key, value;
	gboolean was_hidden = a->hidden;
	size_t i;

	for (i = 0; i < m->n_options; i++) {
		if (strcmp(m->options[i]->key, "approve-mode") == 0)
			a->password_only = strcmp(m->options[i]->value,
			    "password") == 0;
		if (strcmp(m->options[i]->key,
		    "enable-perm-change-in-accept-window") == 0)
			a->perm_locked = strcmp(m->options[i]->value,
			    "N") == 0;
	}
	a->hidden = cm_admin_says(m, "approve-mode", "password") &&
	    cm_admin_says(m, "verification-method",
	    "use-permanent-password") &&
	    cm_admin_says(m, "allow-hide-cm", "Y");
	g_hash_table_iter_init(&it, a->pages);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		cm_page_set_can_accept(value, !a->password_only);
		cm_page_set_perm_change(value, !a->perm_locked);
	}
	if (a->replaying)
		cm_replayed(a);
	else if (a->hidden && !was_hidden)
		gtk_widget_hide(GTK_WIDGET(a->win));
}

/* A page for a new connection, its signals joined to ours. */
static CmPage *
cm_new_page(struct cm_app *a, int id)
{
	CmPage *page = cm_page_new(id);

	g_signal_connect(page, "accept", G_CALLBACK(cm_accept_cb), a);
	g_signal_connect(page, "dismiss", G_CALLBACK(cm_dismiss_cb), a);
	g_signal_connect(page, "disconnect", G_CALLBACK(cm_disconnect_cb), a);
	g_signal_connect(page, "permission-changed",
	    G_CALLBACK(cm_permission_cb), a);
	g_signal_connect(page, "chat-send", G_CALLBACK(cm_chat_cb), a);
	g_signal_connect(page, "voice-answer", G_CALLBACK(cm_voice_answer_cb),
	    a);
	g_signal_connect(page, "voice-hang-up",
	    G_CALLBACK(cm_voice_hang_up_cb), a);
	g_hash_table_insert(a->pages, GINT_TO_POINTER(id), page);
	cm_page_set_can_accept(page, !a->password_only);
	cm_page_set_perm_change(page, !a->perm_locked);
	a->had_pages = TRUE;
	g_clear_handle_id(&a->quit_id, g_source_remove);
	return page;
}

/*
 * A Login: create or update the page, then show it: a request or a new
 * session comes up; a request we accepted lets the window go down at once
 * (HOST.md §3.3 "Accept"), one let in otherwise (a password after all,
 * another CM) counts as a new session.
 */
static void
cm_recv_login(struct cm_app *a, const Ipc__Login *m)
{
	struct cm_page_info in;
	CmPage *page = g_hash_table_lookup(a->pages,
	    GINT_TO_POINTER(m->conn_id));
	gboolean fresh = page == NULL, was_pending;
	int p;

	if (fresh)
		page = cm_new_page(a, m->conn_id);
	was_pending = cm_page_is_pending(page);
	memset(&in, 0, sizeof in);
	in.conn_id = m->conn_id;
	in.peer_id = m->peer_id;
	in.peer_name = m->peer_name;
	in.address = m->address;
	in.port_forward = m->port_forward;
	in.mode = m->mode;
	in.encrypted = m->encrypted;
	in.authorized = m->authorized;
	in.start_time = m->start_time;
	cm_page_set_info(page, &in);
	for (p = 0; p < PERM_MAX; p++)
		cm_page_set_permission(page, perm_get(p)->name,
		    perm_login_get(m, p));
	if (fresh)
		cm_window_add_page(a->win, page);
	else
		cm_window_update_title(a->win, page);
	if (!m->authorized) {
		/* The mode may have changed since: ask again. */
		if (!a->replaying)
			cm_ask_approve_mode(a);
		cm_present(a, page, CM_SHOW_REQUEST);
	} else if (was_pending && m->conn_id == a->accepted) {
		cm_window_set_above(a->win, cm_any_pending(a));
		if (!cm_any_pending(a))
			cm_window_minimize(a->win);
	} else if (fresh || was_pending)
		cm_present(a, page, CM_SHOW_SESSION);
}

/*
 * The server's word about the desk itself (text "": nothing any more): in
 * its own bar, the window brought up for it (without focus) unless the
 * admin hides the CM; while it shows, the CM does not quit by itself.
 */
static void
cm_recv_notice(struct cm_app *a, const Ipc__DeskNotice *m)
{
	gboolean was = a->notice != NULL;

	g_free(a->notice);
	a->notice = *m->text != '\0' ? g_strdup(m->text) : NULL;
	cm_window_set_notice(a->win, a->notice);
	if (a->notice != NULL) {
		g_clear_handle_id(&a->quit_id, g_source_remove);
		if (!was && !a->hidden && !a->replaying)
			cm_window_reveal(a->win, TRUE);
	} else if (was && g_hash_table_size(a->pages) == 0)
		cm_schedule_quit(a);
}

/* Dispatch one message from the server. */
static void
cm_recv_cb(struct ipc_client *c, const Ipc__Data *d, void *arg)
{
	struct cm_app *a = arg;
	CmPage *page = NULL;
	const Ipc__FileTransferLog *f;

	(void)c;
	switch (d->union_case) {
	case IPC__DATA__UNION_LOGIN:
		cm_recv_login(a, d->login);
		return;
	case IPC__DATA__UNION_CLICK_TIME:
		cm_recv_click_time(a, d->click_time);
		return;
	case IPC__DATA__UNION_CLOSE:
		cm_drop_page(a, d->close->conn_id);
		return;
	case IPC__DATA__UNION_OPTIONS:
		cm_recv_options(a, d->options);
		return;
	case IPC__DATA__UNION_DESK_NOTICE:
		cm_recv_notice(a, d->desk_notice);
		return;
	default:
		break;
	}
	switch (d->union_case) {
	case IPC__DATA__UNION_DISCONNECTED:
		/* Kept for its unanswered chat, unless nobody can see it. */
		if (a->hidden) {
			cm_drop_page(a, d->disconnected->conn_id);
			return;
		}
		page = g_hash_table_lookup(a->pages,
		    GINT_TO_POINTER(d->disconnected->conn_id));
		if (page != NULL)
			cm_page_set_ended(page);
		break;
	case IPC__DATA__UNION_SWITCH_PERMISSION:
		page = g_hash_table_lookup(a->pages,
		    GINT_TO_POINTER(d->switch_permission->conn_id));
		if (page != NULL)
			cm_page_set_permission(page,
			    d->switch_permission->name,
			    d->switch_permission->enabled);
		break;
	case IPC__DATA__UNION_CHAT:
		page = g_hash_table_lookup(a->pages,
		    GINT_TO_POINTER(d->chat->conn_id));
		if (page != NULL) {
			cm_page_add_chat(page, d->chat->text, d->chat->local);
			if (!d->chat->local)
				cm_present(a, page, CM_SHOW_CHAT);
		}
		break;
	case IPC__DATA__UNION_FILE_TRANSFER_LOG:
		f = d->file_transfer_log;
		page = g_hash_table_lookup(a->pages,
		    GINT_TO_POINTER(f->conn_id));
		if (page != NULL)
			cm_page_file_log(page, f->job_id, f->path,
			    f->is_remote, f->total_size, f->finished_size,
			    f->speed, f->state, f->error);
		break;
	case IPC__DATA__UNION_CM_ERR:
		page = g_hash_table_lookup(a->pages,
		    GINT_TO_POINTER(d->cm_err->conn_id));
		if (page != NULL)
			cm_page_set_note(page, d->cm_err->text);
		break;
	case IPC__DATA__UNION_VOICE_CALL_STATE:
		page = g_hash_table_lookup(a->pages,
		    GINT_TO_POINTER(d->voice_call_state->conn_id));
		if (page == NULL)
			break;
		cm_page_set_voice(page, (int)d->voice_call_state->state);
		/* A call rings: the window comes up as for a request. */
		if (d->voice_call_state->state ==
		    IPC__VOICE_CALL_STATE__STATE__INCOMING)
			cm_present(a, page, CM_SHOW_REQUEST);
		break;
	default:
		/* Privacy mode has no widgets yet. */
		break;
	}
}

/* Hello answered: the server now replays every connection. */
static void
cm_ready_cb(struct ipc_client *c, void *arg)
{
	struct cm_app *a = arg;

	(void)c;
	cm_window_set_status(a->win, NULL);
	/* The server replays its connections, then answers this. */
	a->replaying = TRUE;
	cm_ask_approve_mode(a);
}

/* Retry the connection. */
static gboolean
cm_retry_cb(gpointer data)
{
	struct cm_app *a = data;

	a->retry_id = 0;
	cm_connect(a);
	return G_SOURCE_REMOVE;
}

/* Drop every page: the server's sessions are gone with it. */
static void
cm_clear_pages(struct cm_app *a)
{
	GHashTableIter it;
	gpointer key, value;

	g_hash_table_iter_init(&it, a->pages);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		cm_window_remove_page(a->win, value);
		g_hash_table_iter_remove(&it);
	}
	g_queue_clear_full(&a->actions, cm_action_free);
}

/* The server went away (or refused us): say so and try again. */
static void
cm_lost_cb(struct ipc_client *c, int r, void *arg)
{
	struct cm_app *a = arg;

	ipc_client_free(c);
	a->ipc = NULL;
	a->replaying = FALSE;
	cm_clear_pages(a);
	/* The sessions went with the server: quit unless it comes back.
	 * Its word about the desk is stale too. */
	if (a->had_pages || a->notice != NULL)
		cm_schedule_quit(a);
	g_clear_pointer(&a->notice, g_free);
	cm_window_set_notice(a->win, NULL);
	cm_window_set_status(a->win, r == ERR_STATE ?
	    "The cdesk server is a different version. Retrying…" :
	    "The cdesk server is not running. Reconnecting…");
	if (a->retry_id == 0)
		a->retry_id = g_timeout_add_seconds(1, cm_retry_cb, a);
}

static const struct ipc_client_cb cm_ipc_cb = {
	.ready = cm_ready_cb,
	.recv = cm_recv_cb,
	.lost = cm_lost_cb,
};

/* Connect to the server, or schedule a retry. */
static void
cm_connect(struct cm_app *a)
{
	if (ipc_client_new(&a->ipc, a->dir, "cm", &cm_ipc_cb, a) == 0)
		return;
	a->ipc = NULL;
	cm_window_set_status(a->win,
	    "The cdesk server is not running. Reconnecting…");
	/* Started by hand before the server: say so. */
	if (!a->had_pages && !a->hidden)
		gtk_widget_show(GTK_WIDGET(a->win));
	a->retry_id = g_timeout_add_seconds(1, cm_retry_cb, a);
}

/* GtkApplication::activate: one window, then connect. */
static void
cm_activate_cb(GtkApplication *app, struct cm_app *a)
{
	if (a->win != NULL) {
		gtk_window_present(GTK_WINDOW(a->win));
		return;
	}
	a->win = cm_window_new(app);
	g_signal_connect(a->win, "disconnect-all",
	    G_CALLBACK(cm_disconnect_all_cb), a);
	/* Shown once the server says what there is (cm_replayed). */
	cm_connect(a);
}

/* Run the connection manager. */
int
cm_main(int argc, char **argv, const struct cfg_paths *paths)
{
	struct cm_app a;
	const char *dir = ipc_find_dir(paths != NULL ? paths->run_dir : NULL);
	char *args[2] = { argc > 0 ? argv[0] : (char *)"cdesk", NULL };
	int status;

	if (dir == NULL) {
		g_printerr("cdesk --cm: no IPC folder known\n");
		return 1;
	}
	gui_res_register();
	memset(&a, 0, sizeof a);
	a.dir = g_strdup(dir);
	a.pages = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_queue_init(&a.actions);
	a.app = gtk_application_new("org.cdesk.ConnectionManager",
	    G_APPLICATION_NON_UNIQUE);
	g_signal_connect(a.app, "activate", G_CALLBACK(cm_activate_cb), &a);
	status = g_application_run(G_APPLICATION(a.app), 1, args);
	g_clear_handle_id(&a.retry_id, g_source_remove);
	g_clear_handle_id(&a.quit_id, g_source_remove);
	g_clear_handle_id(&a.minimize_id, g_source_remove);
	ipc_client_free(a.ipc);
	g_queue_clear_full(&a.actions, cm_action_free);
	g_hash_table_unref(a.pages);
	g_object_unref(a.app);
	g_free(a.notice);
	g_free(a.dir);
	return status;
}
