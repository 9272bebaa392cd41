/*
 * cm_window.c: the connection manager's window: showing itself without
 * taking focus, minimizing unless the local user is at it, and its close
 * confirmation.
 */
#include "cm/cm_window.h"

/* The close dialog's answer that minimizes instead. */
#define CM_WINDOW_RESPONSE_MINIMIZE	1

struct _CmWindow {
	GtkApplicationWindow	 parent;
	GtkStack		*pages;
	GtkWidget		*empty_label;	/* shown only with no pages */
	int			 npages;
	GtkWidget		*status_bar;
	GtkLabel		*status_label;
	GtkWidget		*desk_bar;	/* why the desk cannot be
						   shared (Wayland) */
	GtkLabel		*desk_label;
	gboolean		 confirmed;	/* closing was confirmed */
	gboolean		 iconified;	/* the window manager says so */
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

/*
 * Closing while sessions run or wait: the window may not go away while
 * someone is connected (HOST.md §3.3), so ask whether to minimize it or
 * to end every session; anything but Disconnect minimizes.
 */
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
	    "This window stays while someone is connected. Minimize it, or "
	    "end every session and refuse every waiting request.");
	gtk_dialog_add_buttons(GTK_DIALOG(dialog), "_Minimize",
	    CM_WINDOW_RESPONSE_MINIMIZE, n == 1 ? "_Disconnect" :
	    "_Disconnect All", GTK_RESPONSE_ACCEPT, NULL);
	gtk_dialog_set_default_response(GTK_DIALOG(dialog),
	    CM_WINDOW_RESPONSE_MINIMIZE);
	answer = gtk_dialog_run(GTK_DIALOG(dialog));
	gtk_widget_destroy(dialog);
	if (answer != GTK_RESPONSE_ACCEPT) {
		gtk_window_iconify(GTK_WINDOW(self));
		return TRUE;
	}
	self->confirmed = TRUE;
	g_signal_emit(self, cm_window_sig_disconnect_all, 0);
	return FALSE;
}

/* Follow the window manager's minimized state. */
static gboolean
cm_window_state_cb(GtkWidget *w, GdkEventWindowState *ev, CmWindow *self)
{
	(void)w;
	self->iconified = (ev->new_window_state &
	    GDK_WINDOW_STATE_ICONIFIED) != 0;
	return FALSE;
}

/* Focused at last: the urgency hint has done its work. */
static void
cm_window_active_cb(GObject *obj, GParamSpec *pspec, CmWindow *self)
{
	(void)obj;
	(void)pspec;
	if (gtk_window_is_active(GTK_WINDOW(self)))
		gtk_window_set_urgency_hint(GTK_WINDOW(self), FALSE);
}

/* A page came to the front: its mark has done its work. */
static void
cm_window_visible_cb(GObject *obj, GParamSpec *pspec, CmWindow *self)
{
	GtkWidget *w = gtk_stack_get_visible_child(self->pages);

	(void)obj;
	(void)pspec;
	if (w != NULL && CM_IS_PAGE(w))
		gtk_container_child_set(GTK_CONTAINER(self->pages), w,
		    "needs-attention", FALSE, NULL);
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
	gtk_widget_class_bind_template_child(wc, CmWindow, desk_bar);
	gtk_widget_class_bind_template_child(wc, CmWindow, desk_label);
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
	g_signal_connect(self, "window-state-event",
	    G_CALLBACK(cm_window_state_cb), self);
	g_signal_connect(self, "notify::is-active",
	    G_CALLBACK(cm_window_active_cb), self);
	g_signal_connect(self->pages, "notify::visible-child",
	    G_CALLBACK(cm_window_visible_cb), self);
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

/* Mark a page in the sidebar until it is shown. */
void
cm_window_flag_page(CmWindow *self, CmPage *page)
{
	if (GTK_WIDGET(page) != gtk_stack_get_visible_child(self->pages))
		gtk_container_child_set(GTK_CONTAINER(self->pages),
		    GTK_WIDGET(page), "needs-attention", TRUE, NULL);
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

/* Show or hide the server's word about the desk itself. */
void
cm_window_set_notice(CmWindow *self, const char *text)
{
	if (text == NULL) {
		gtk_widget_hide(self->desk_bar);
		return;
	}
	gtk_label_set_text(self->desk_label, text);
	gtk_widget_show(self->desk_bar);
}

/*
 * Show the window without taking keyboard focus: shown if hidden; if
 * minimized, withdrawn and mapped again where it was, so the window
 * manager sees a new window that asks not to be focused
 * (_NET_WM_USER_TIME 0) instead of a restore it may focus; then raised.
 */
void
cm_window_reveal(CmWindow *self, gboolean urgent)
{
	GtkWindow *w = GTK_WINDOW(self);
	GdkWindow *gw;
	int x, y;

	gtk_window_set_focus_on_map(w, FALSE);
	if (self->iconified && gtk_widget_get_visible(GTK_WIDGET(self))) {
		gtk_window_get_position(w, &x, &y);
		gtk_widget_hide(GTK_WIDGET(self));
		gtk_window_move(w, x, y);
	}
	if (!gtk_widget_get_visible(GTK_WIDGET(self))) {
		/* Unmapped, this only forgets to map it minimized again. */
		gtk_window_deiconify(w);
		self->iconified = FALSE;
	}
	gtk_widget_show(GTK_WIDGET(self));
	if ((gw = gtk_widget_get_window(GTK_WIDGET(self))) != NULL)
		gdk_window_raise(gw);
	if (urgent && !gtk_window_is_active(w))
		gtk_window_set_urgency_hint(w, TRUE);
}

/* Keep the window over others (a request waits) or stop. */
void
cm_window_set_above(CmWindow *self, gboolean above)
{
	gtk_window_set_keep_above(GTK_WINDOW(self), above);
}

/* Ask the window manager to minimize the window. */
void
cm_window_minimize(CmWindow *self)
{
	if (gtk_widget_get_visible(GTK_WIDGET(self)))
		gtk_window_iconify(GTK_WINDOW(self));
}

/* The local user is at the window: it has focus or the pointer is on it. */
gboolean
cm_window_in_use(CmWindow *self)
{
	GdkWindow *w = gtk_widget_get_window(GTK_WIDGET(self));
	GdkSeat *seat;
	GdkDevice *ptr;
	int x, y;

	if (w == NULL || !gtk_widget_get_visible(GTK_WIDGET(self)))
		return FALSE;
	if (gtk_window_is_active(GTK_WINDOW(self)))
		return TRUE;
	seat = gdk_display_get_default_seat(gdk_window_get_display(w));
	if (seat == NULL || (ptr = gdk_seat_get_pointer(seat)) == NULL)
		return FALSE;
	gdk_window_get_device_position(w, ptr, &x, &y, NULL);
	return x >= 0 && y >= 0 && x < gdk_window_get_width(w) &&
	    y < gdk_window_get_height(w);
}

/* The page on show, or NULL. */
CmPage *
cm_window_visible_page(CmWindow *self)
{
	GtkWidget *w = gtk_stack_get_visible_child(self->pages);

	return w != NULL && CM_IS_PAGE(w) ? CM_PAGE(w) : NULL;
}
