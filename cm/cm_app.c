/*
 * cm_app.c: the connection manager application: joins the IPC (GLib
 * adapter) to the window's pages. Every user action goes through the
 * click-time guard of HOST.md §3.4 before it reaches the server.
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

enum cm_kind {
	CM_ACT_ACCEPT,
	CM_ACT_DISMISS,
	CM_ACT_DISCONNECT,
	CM_ACT_PERMISSION,
	CM_ACT_CHAT,
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
	gboolean		 had_pages;
	gboolean		 password_only;	/* approve-mode=password */
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
	CmPage *page = g_hash_table_lookup(a->pages,
	    GINT_TO_POINTER(act->conn_id));

	switch (act->kind) {
	case CM_ACT_ACCEPT:
		cm_send_conn(a, IPC__DATA__UNION_AUTHORIZE, act->conn_id);
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
	if (g_hash_table_size(a->pages) == 0)
		gtk_widget_destroy(GTK_WIDGET(a->win));
	return G_SOURCE_REMOVE;
}

/* Remove a page. */
static void
cm_drop_page(struct cm_app *a, int id)
{
	CmPage *page = g_hash_table_lookup(a->pages, GINT_TO_POINTER(id));

	if (page == NULL)
		return;
	g_hash_table_remove(a->pages, GINT_TO_POINTER(id));
	cm_window_remove_page(a->win, page);
	if (g_hash_table_size(a->pages) == 0 && a->had_pages &&
	    a->quit_id == 0)
		a->quit_id = g_timeout_add(CM_IDLE_QUIT_MS, cm_idle_quit_cb,
		    a);
}

/* Ask the server for approve-mode (Accept is hidden in password mode). */
static void
cm_ask_approve_mode(struct cm_app *a)
{
	static char *keys[] = { (char *)"approve-mode" };
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__OptionsGet m = IPC__OPTIONS_GET__INIT;

	if (a->ipc == NULL)
		return;
	m.keys = keys;
	m.n_keys = 1;
	d.union_case = IPC__DATA__UNION_OPTIONS_GET;
	d.options_get = &m;
	ipc_client_send(a->ipc, &d);
}

/* The answer: apply it to every page. */
static void
cm_recv_options(struct cm_app *a, const Ipc__Options *m)
{
	GHashTableIter it;
	gpointer key, value;
	size_t i;

	for (i = 0; i < m->n_options; i++)
		if (strcmp(m->options[i]->key, "approve-mode") == 0)
			a->password_only = strcmp(m->options[i]->value,
			    "password") == 0;
	g_hash_table_iter_init(&it, a->pages);
	while (g_hash_table_iter_next(&it, &key, &value))
		cm_page_set_can_accept(value, !a->password_only);
}

/* A Login: create or update the page. */
static void
cm_recv_login(struct cm_app *a, const Ipc__Login *m)
{
	struct cm_page_info in;
	CmPage *page = g_hash_table_lookup(a->pages,
	    GINT_TO_POINTER(m->conn_id));
	gboolean fresh = page == NULL;
	int p;

	if (fresh) {
		page = cm_page_new(m->conn_id);
		g_signal_connect(page, "accept", G_CALLBACK(cm_accept_cb), a);
		g_signal_connect(page, "dismiss", G_CALLBACK(cm_dismiss_cb), a);
		g_signal_connect(page, "disconnect",
		    G_CALLBACK(cm_disconnect_cb), a);
		g_signal_connect(page, "permission-changed",
		    G_CALLBACK(cm_permission_cb), a);
		g_signal_connect(page, "chat-send", G_CALLBACK(cm_chat_cb), a);
		g_hash_table_insert(a->pages, GINT_TO_POINTER(m->conn_id),
		    page);
		cm_page_set_can_accept(page, !a->password_only);
		a->had_pages = TRUE;
		g_clear_handle_id(&a->quit_id, g_source_remove);
	}
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
		cm_ask_approve_mode(a);
		/* A request: bring it up, but never take keyboard focus. */
		cm_window_show_page(a->win, page);
		gtk_widget_show(GTK_WIDGET(a->win));
	}
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
	default:
		break;
	}
	switch (d->union_case) {
	case IPC__DATA__UNION_DISCONNECTED:
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
				cm_window_show_page(a->win, page);
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
	default:
		/* Voice calls and privacy mode have no widgets yet. */
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
	cm_clear_pages(a);
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
	gtk_widget_show(GTK_WIDGET(a->win));
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
	ipc_client_free(a.ipc);
	g_queue_clear_full(&a.actions, cm_action_free);
	g_hash_table_unref(a.pages);
	g_object_unref(a.app);
	g_free(a.dir);
	return status;
}
