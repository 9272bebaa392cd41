/*
 * cm_window.c: the connection manager's window and its close
 * confirmation.
 */
#include "cm/cm_window.h"

struct _CmWindow {
	GtkApplicationWindow	 parent;
	GtkStack		*pages;
	GtkWidget		*empty_label;	/* shown only with no pages */
	int			 npages;
	GtkWidget		*status_bar;
	GtkLabel		*status_label;
	gboolean		 confirmed;	/* closing was confirmed */
};

G_DEFINE_TYPE(CmWindow, cm_window, GTK_TYPE_APPLICATION_WINDOW)

static guint cm_window_sig_disconnect_all;

/* Count one page if its session is live. */
static void
cm_window_count_cb(GtkWidget *w, gpointer data)
{
	int *n = data;

	if (CM_IS_PAGE(w) && cm_page_is_live(CM_PAGE(w)))
		(*n)++;
}

/* Number of live sessions. */
int
cm_window_live_count(CmWindow *self)
{
	int n = 0;

	gtk_container_foreach(GTK_CONTAINER(self->pages), cm_window_count_cb,
	    &n);
	return n;
}

/* Closing: ask first while sessions run (HOST.md §3.3). */
static gboolean
cm_window_delete_cb(GtkWidget *w, GdkEvent *ev, CmWindow *self)
{
	GtkWidget *dialog;
	int n, answer;

	(void)w;
	(void)ev;
	if (self->confirmed || (n = cm_window_live_count(self)) == 0)
		return FALSE;
	dialog = gtk_message_dialog_new(GTK_WINDOW(self), GTK_DIALOG_MODAL |
	    GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_QUESTION,
	    GTK_BUTTONS_NONE, n == 1 ? "Disconnect the session?" :
	    "Disconnect all %d sessions?", n);
	gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(dialog),
	    "Closing this window ends every session and refuses every "
	    "waiting request.");
	gtk_dialog_add_buttons(GTK_DIALOG(dialog), "_Cancel",
	    GTK_RESPONSE_CANCEL, n == 1 ? "_Disconnect" : "_Disconnect All",
	    GTK_RESPONSE_ACCEPT, NULL);
	gtk_dialog_set_default_response(GTK_DIALOG(dialog),
	    GTK_RESPONSE_CANCEL);
	answer = gtk_dialog_run(GTK_DIALOG(dialog));
	gtk_widget_destroy(dialog);
	if (answer != GTK_RESPONSE_ACCEPT)
		return TRUE;
	self->confirmed = TRUE;
	g_signal_emit(self, cm_window_sig_disconnect_all, 0);
	return FALSE;
}

/* Bind the template. */
static void
cm_window_class_init(CmWindowClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	gtk_widget_class_set_template_from_resource(wc,
	    "/org/cdesk/gui/cm_window.ui");
	gtk_widget_class_bind_template_child(wc, CmWindow, pages);
	gtk_widget_class_bind_template_child(wc, CmWindow, empty_label);
	gtk_widget_class_bind_template_child(wc, CmWindow, status_bar);
	gtk_widget_class_bind_template_child(wc, CmWindow, status_label);
	gtk_widget_class_bind_template_callback(wc, cm_window_delete_cb);
	cm_window_sig_disconnect_all = g_signal_new("disconnect-all",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 0);
}

/* Build from the template. */
static void
cm_window_init(CmWindow *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

/* A new window for app. */
CmWindow *
cm_window_new(GtkApplication *app)
{
	return g_object_new(CM_TYPE_WINDOW, "application", app, NULL);
}

/* Add a connection's page. */
void
cm_window_add_page(CmWindow *self, CmPage *page)
{
	g_autofree char *name = g_strdup_printf("conn%d",
	    cm_page_get_conn_id(page));
	g_autofree char *title = cm_page_dup_title(page);

	gtk_stack_add_titled(self->pages, GTK_WIDGET(page), name, title);
	/* A hidden stack child is skipped: the first page takes over. */
	if (self->npages++ == 0) {
		gtk_widget_hide(self->empty_label);
		gtk_stack_set_visible_child(self->pages, GTK_WIDGET(page));
	}
}

/* Remove a connection's page. */
void
cm_window_remove_page(CmWindow *self, CmPage *page)
{
	gtk_container_remove(GTK_CONTAINER(self->pages), GTK_WIDGET(page));
	if (--self->npages == 0)
		gtk_widget_show(self->empty_label);
}

/* Bring a page to the front. */
void
cm_window_show_page(CmWindow *self, CmPage *page)
{
	gtk_stack_set_visible_child(self->pages, GTK_WIDGET(page));
}

/* Refresh a page's sidebar title. */
void
cm_window_update_title(CmWindow *self, CmPage *page)
{
	g_autofree char *title = cm_page_dup_title(page);

	gtk_container_child_set(GTK_CONTAINER(self->pages), GTK_WIDGET(page),
	    "title", title, NULL);
}

/* Show or hide the warning bar. */
void
cm_window_set_status(CmWindow *self, const char *text)
{
	if (text == NULL) {
		gtk_widget_hide(self->status_bar);
		return;
	}
	gtk_label_set_text(self->status_label, text);
	gtk_widget_show(self->status_bar);
}
