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
#include "cm/cm_core.h"
#include "cm/cm_page.h"
#include "cm/cm_window.h"
#include "ipc/ipc_glib.h"
#include "gui/gui_res.h"

struct cm_app {
	GtkApplication		*app;
	CmWindow		*win;		/* owned by app */
	struct ipc_client	*ipc;		/* owned */
	char			*dir;		/* owned */
	GHashTable		*pages;		/* conn id -> CmPage, borrowed */
	struct cm_guard		 guard;		/* actions asked about */
	guint			 retry_id;
	guint			 quit_id;
	guint			 minimize_id;
	gboolean		 had_pages;
	struct cm_opts		 opts;		/* what the options say */
	gboolean		 replaying;	/* Hello to first Options */
	char			*notice;	/* owned: the desk notice */
	int			 accepted;	/* last conn we accepted */
};

static void	cm_connect(struct cm_app *);

/* Carry out an action the guard let through. */
static void
cm_do(struct cm_app *a, const struct cm_action *act)
{
	CmPage *page = g_hash_table_lookup(a->pages,
	    GINT_TO_POINTER(act->conn_id));

	if (a->ipc == NULL || cm_core_do(a->ipc, act) != 0)
		return;
	if (act->kind == CM_ACT_ACCEPT)
		a->accepted = act->conn_id;
	else if (act->kind == CM_ACT_CHAT && page != NULL)
		cm_page_add_chat(page, act->text, TRUE);
}

/* Queue an action and ask the server when a peer last clicked. */
static void
cm_guard(struct cm_app *a, enum cm_kind kind, int conn_id, const char *text,
    gboolean enabled)
{
	if (a->ipc != NULL)
		cm_guard_ask(&a->guard, a->ipc, kind, conn_id, text, enabled,
		    g_get_monotonic_time());
}

/* The server's answer: act unless a peer clicked just before us. */
static void
cm_recv_click_time(struct cm_app *a, const Ipc__ClickTime *m)
{
	struct cm_action *act;
	CmPage *page;
	int pass;

	act = cm_guard_answer(&a->guard, m, g_get_monotonic_time(), &pass);
	if (act == NULL)
		return;
	if (pass)
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
		if (cm_page_is_live(value) && a->ipc != NULL)
			cm_core_close(a->ipc, GPOINTER_TO_INT(key));
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

	if (a->opts.hidden || a->replaying)
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
	if (a->opts.hidden)
		gtk_widget_hide(GTK_WIDGET(a->win));
	g_hash_table_iter_init(&it, a->pages);
	while (g_hash_table_iter_next(&it, &key, &value))
		if (page == NULL || cm_page_is_pending(value))
			page = value;
	if (page == NULL && a->notice != NULL && !a->opts.hidden) {
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

/* Ask for the options the CM follows (cm_core_options). */
static void
cm_ask_approve_mode(struct cm_app *a)
{
	if (a->ipc != NULL)
		cm_core_ask_options(a->ipc);
}


/*
 * The answer: Accept and the permission toggles on every page, whether
 * the admin hides the CM, and the end of the replay.
 */
static void
cm_recv_options(struct cm_app *a, const Ipc__Options *m)
{
	GHashTableIter it;
	gpointer key, value;
	gboolean was_hidden = a->opts.hidden;

	cm_core_options(m, &a->opts);
	g_hash_table_iter_init(&it, a->pages);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		cm_page_set_can_accept(value, !a->opts.password_only);
		cm_page_set_perm_change(value, !a->opts.perm_locked);
	}
	if (a->replaying)
		cm_replayed(a);
	else if (a->opts.hidden && !was_hidden)
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
	cm_page_set_can_accept(page, !a->opts.password_only);
	cm_page_set_perm_change(page, !a->opts.perm_locked);
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
		if (!was && !a->opts.hidden && !a->replaying)
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
		if (a->opts.hidden) {
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
	cm_guard_clear(&a->guard);
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
	if (!a->had_pages && !a->opts.hidden)
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
	cm_guard_init(&a.guard);
	a.app = gtk_application_new("org.cdesk.ConnectionManager",
	    G_APPLICATION_NON_UNIQUE);
	g_signal_connect(a.app, "activate", G_CALLBACK(cm_activate_cb), &a);
	status = g_application_run(G_APPLICATION(a.app), 1, args);
	g_clear_handle_id(&a.retry_id, g_source_remove);
	g_clear_handle_id(&a.quit_id, g_source_remove);
	g_clear_handle_id(&a.minimize_id, g_source_remove);
	ipc_client_free(a.ipc);
	cm_guard_clear(&a.guard);
	g_hash_table_unref(a.pages);
	g_object_unref(a.app);
	g_free(a.notice);
	g_free(a.dir);
	return status;
}
