/*
 * cm_page.c: one connection's page: details, Accept/Dismiss with a guard
 * against clicks in the first moments, permission check boxes, chat and
 * the file-transfer log, and a voice-call bar (HOST.md §3.7): Accept and
 * Dismiss while a peer calls, "Stop voice call" while the call runs.
 */
#include <time.h>

#include "cm/cm_core.h"
#include "cm/cm_page.h"
#include "common/perm.h"

/* Check boxes per row of the permission grid. */
#define CM_PERM_COLUMNS	2

struct _CmPage {
	GtkBox		 parent;
	GtkLabel	*name_label;
	GtkLabel	*id_label;
	GtkLabel	*address_label;
	GtkLabel	*mode_label;
	GtkLabel	*encrypted_label;
	GtkLabel	*elapsed_label;
	GtkLabel	*state_label;
	GtkWidget	*pending_box;
	GtkWidget	*accept_button;
	GtkWidget	*dismiss_button;
	GtkWidget	*active_box;
	GtkWidget	*disconnect_button;
	GtkWidget	*perm_frame;
	GtkGrid		*perm_grid;
	GtkWidget	*perm[PERM_MAX];	/* by row of common/perm.c */
	GtkTextView	*chat_view;
	GtkEntry	*chat_entry;
	GtkWidget	*send_button;
	GtkListBox	*file_list;
	GtkStack	*tabs;
	GHashTable	*jobs;		/* job id -> GtkWidget row (borrowed) */
	int		 conn_id;
	char		*peer_id;	/* owned */
	char		*peer_name;	/* owned */
	gint64		 start_time;
	gboolean	 pending;
	gboolean	 ended;
	gboolean	 quiet;		/* setting check boxes from the server */
	gboolean	 no_accept;	/* approve-mode is password */
	gboolean	 perm_locked;	/* the toggles change nothing */
	guint		 tick_id;	/* elapsed-time timer */
	guint		 guard_id;	/* Accept/Dismiss guard timer */
	GtkWidget	*voice_bar;
	GtkLabel	*voice_label;
	GtkWidget	*voice_accept;
	GtkWidget	*voice_dismiss;
	GtkWidget	*voice_stop;
	int		 voice;		/* CM_PAGE_VOICE_* */
	guint		 voice_guard_id; /* voice Accept/Dismiss guard */
};

G_DEFINE_TYPE(CmPage, cm_page, GTK_TYPE_BOX)

enum {
	SIG_ACCEPT,
	SIG_DISMISS,
	SIG_DISCONNECT,
	SIG_PERMISSION,
	SIG_CHAT,
	SIG_VOICE_ANSWER,
	SIG_VOICE_HANG_UP,
	SIG_N
};
static guint cm_page_signals[SIG_N];

/* Update the "Connected for" label. */
static gboolean
cm_page_tick_cb(gpointer data)
{
	CmPage *self = data;
	gint64 s = (gint64)time(NULL) - self->start_time;
	char buf[64];

	if (s < 0)
		s = 0;
	if (s >= 3600)
		g_snprintf(buf, sizeof buf, "%d:%02d:%02d", (int)(s / 3600),
		    (int)(s / 60 % 60), (int)(s % 60));
	else
		g_snprintf(buf, sizeof buf, "%d:%02d", (int)(s / 60),
		    (int)(s % 60));
	gtk_label_set_text(self->elapsed_label, buf);
	return G_SOURCE_CONTINUE;
}

/* The guard is over: Accept/Dismiss may be clicked. */
static gboolean
cm_page_guard_cb(gpointer data)
{
	CmPage *self = data;

	self->guard_id = 0;
	gtk_widget_set_sensitive(self->accept_button, TRUE);
	gtk_widget_set_sensitive(self->dismiss_button, TRUE);
	return G_SOURCE_REMOVE;
}

/* Accept clicked. */
static void
cm_page_accept_cb(GtkButton *b, CmPage *self)
{
	(void)b;
	if (self->pending && self->guard_id == 0)
		g_signal_emit(self, cm_page_signals[SIG_ACCEPT], 0);
}

/* Dismiss clicked. */
static void
cm_page_dismiss_cb(GtkButton *b, CmPage *self)
{
	(void)b;
	if (self->pending && self->guard_id == 0)
		g_signal_emit(self, cm_page_signals[SIG_DISMISS], 0);
}

/* Disconnect clicked. */
static void
cm_page_disconnect_cb(GtkButton *b, CmPage *self)
{
	(void)b;
	if (!self->ended)
		g_signal_emit(self, cm_page_signals[SIG_DISCONNECT], 0);
}

/* The voice guard is over: the call may be answered. */
static gboolean
cm_page_voice_guard_cb(gpointer data)
{
	CmPage *self = data;

	self->voice_guard_id = 0;
	gtk_widget_set_sensitive(self->voice_accept, TRUE);
	gtk_widget_set_sensitive(self->voice_dismiss, TRUE);
	return G_SOURCE_REMOVE;
}

/* Voice call Accept or Dismiss clicked. */
static void
cm_page_voice_answer_cb(GtkButton *b, CmPage *self)
{
	if (self->voice != CM_PAGE_VOICE_INCOMING ||
	    self->voice_guard_id != 0 || self->ended)
		return;
	g_signal_emit(self, cm_page_signals[SIG_VOICE_ANSWER], 0,
	    GTK_WIDGET(b) == self->voice_accept);
}

/* "Stop voice call" clicked. */
static void
cm_page_voice_stop_cb(GtkButton *b, CmPage *self)
{
	(void)b;
	if (self->voice == CM_PAGE_VOICE_ACTIVE && !self->ended)
		g_signal_emit(self, cm_page_signals[SIG_VOICE_HANG_UP], 0);
}

/* A permission check box changed by the local user. */
static void
cm_page_perm_toggled_cb(GtkToggleButton *t, CmPage *self)
{
	size_t i;

	if (self->quiet)
		return;
	for (i = 0; i < PERM_MAX; i++)
		if (GTK_WIDGET(t) == self->perm[i])
			g_signal_emit(self, cm_page_signals[SIG_PERMISSION], 0,
			    perm_get(i)->name, gtk_toggle_button_get_active(t));
}

/* Send the typed message. */
static void
cm_page_send_cb(GtkWidget *w, CmPage *self)
{
	g_autofree char *text = NULL;

	(void)w;
	text = g_strstrip(g_strdup(gtk_entry_get_text(self->chat_entry)));
	if (*text == '\0' || self->pending || self->ended)
		return;
	g_signal_emit(self, cm_page_signals[SIG_CHAT], 0, text);
	gtk_entry_set_text(self->chat_entry, "");
}

/* Stop timers and drop references. */
static void
cm_page_dispose(GObject *obj)
{
	CmPage *self = CM_PAGE(obj);

	g_clear_handle_id(&self->tick_id, g_source_remove);
	g_clear_handle_id(&self->guard_id, g_source_remove);
	g_clear_handle_id(&self->voice_guard_id, g_source_remove);
	g_clear_pointer(&self->jobs, g_hash_table_unref);
	G_OBJECT_CLASS(cm_page_parent_class)->dispose(obj);
}

/* Free owned strings. */
static void
cm_page_finalize(GObject *obj)
{
	CmPage *self = CM_PAGE(obj);

	g_free(self->peer_id);
	g_free(self->peer_name);
	G_OBJECT_CLASS(cm_page_parent_class)->finalize(obj);
}

/* Bind the template and declare the signals. */
static void
cm_page_class_init(CmPageClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	oc->dispose = cm_page_dispose;
	oc->finalize = cm_page_finalize;
	gtk_widget_class_set_template_from_resource(wc,
	    "/org/cdesk/gui/cm_page.ui");
	gtk_widget_class_bind_template_child(wc, CmPage, name_label);
	gtk_widget_class_bind_template_child(wc, CmPage, id_label);
	gtk_widget_class_bind_template_child(wc, CmPage, address_label);
	gtk_widget_class_bind_template_child(wc, CmPage, mode_label);
	gtk_widget_class_bind_template_child(wc, CmPage, encrypted_label);
	gtk_widget_class_bind_template_child(wc, CmPage, elapsed_label);
	gtk_widget_class_bind_template_child(wc, CmPage, state_label);
	gtk_widget_class_bind_template_child(wc, CmPage, pending_box);
	gtk_widget_class_bind_template_child(wc, CmPage, accept_button);
	gtk_widget_class_bind_template_child(wc, CmPage, dismiss_button);
	gtk_widget_class_bind_template_child(wc, CmPage, active_box);
	gtk_widget_class_bind_template_child(wc, CmPage, disconnect_button);
	gtk_widget_class_bind_template_child(wc, CmPage, perm_frame);
	gtk_widget_class_bind_template_child(wc, CmPage, perm_grid);
	gtk_widget_class_bind_template_child(wc, CmPage, chat_view);
	gtk_widget_class_bind_template_child(wc, CmPage, chat_entry);
	gtk_widget_class_bind_template_child(wc, CmPage, send_button);
	gtk_widget_class_bind_template_child(wc, CmPage, file_list);
	gtk_widget_class_bind_template_child(wc, CmPage, tabs);
	gtk_widget_class_bind_template_callback(wc, cm_page_accept_cb);
	gtk_widget_class_bind_template_callback(wc, cm_page_dismiss_cb);
	gtk_widget_class_bind_template_callback(wc, cm_page_disconnect_cb);
	gtk_widget_class_bind_template_callback(wc, cm_page_send_cb);

	cm_page_signals[SIG_ACCEPT] = g_signal_new("accept",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 0);
	cm_page_signals[SIG_DISMISS] = g_signal_new("dismiss",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 0);
	cm_page_signals[SIG_DISCONNECT] = g_signal_new("disconnect",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 0);
	cm_page_signals[SIG_PERMISSION] = g_signal_new("permission-changed",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
	cm_page_signals[SIG_CHAT] = g_signal_new("chat-send",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 1, G_TYPE_STRING);
	cm_page_signals[SIG_VOICE_ANSWER] = g_signal_new("voice-answer",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
	cm_page_signals[SIG_VOICE_HANG_UP] = g_signal_new("voice-hang-up",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 0);
}

/* A button of the voice bar, named for AT-SPI by what it does. */
static GtkWidget *
cm_page_voice_button(CmPage *self, const char *label, const char *a11y,
    GCallback cb)
{
	GtkWidget *w = gtk_button_new_with_mnemonic(label);
	AtkObject *atk = gtk_widget_get_accessible(w);

	atk_object_set_name(atk, a11y);
	gtk_widget_set_tooltip_text(w, a11y);
	g_signal_connect(w, "clicked", cb, self);
	gtk_box_pack_end(GTK_BOX(self->voice_bar), w, FALSE, FALSE, 0);
	return w;
}

/* The voice-call bar at the top of the page, hidden until a call. */
static void
cm_page_add_voice(CmPage *self)
{
	self->voice_bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	atk_object_set_name(gtk_widget_get_accessible(self->voice_bar),
	    "Voice call");
	self->voice_label = GTK_LABEL(gtk_label_new(""));
	gtk_label_set_xalign(self->voice_label, 0.0);
	gtk_label_set_line_wrap(self->voice_label, TRUE);
	gtk_box_pack_start(GTK_BOX(self->voice_bar),
	    GTK_WIDGET(self->voice_label), TRUE, TRUE, 0);
	self->voice_stop = cm_page_voice_button(self, "_Stop voice call",
	    "Stop voice call", G_CALLBACK(cm_page_voice_stop_cb));
	self->voice_dismiss = cm_page_voice_button(self, "D_ismiss",
	    "Dismiss voice call", G_CALLBACK(cm_page_voice_answer_cb));
	self->voice_accept = cm_page_voice_button(self, "A_ccept",
	    "Accept voice call", G_CALLBACK(cm_page_voice_answer_cb));
	gtk_style_context_add_class(gtk_widget_get_style_context(
	    self->voice_accept), "suggested-action");
	gtk_style_context_add_class(gtk_widget_get_style_context(
	    self->voice_stop), "destructive-action");
	gtk_widget_show_all(self->voice_bar);
	gtk_widget_set_no_show_all(self->voice_bar, TRUE);
	gtk_widget_hide(self->voice_bar);
	gtk_box_pack_start(GTK_BOX(self), self->voice_bar, FALSE, FALSE, 0);
	gtk_box_reorder_child(GTK_BOX(self), self->voice_bar, 0);
}

/* One check box per permission, in the table's order, two to a row. */
static void
cm_page_add_perms(CmPage *self)
{
	const struct perm_info *pi;
	AtkObject *atk;
	GtkWidget *w;
	int i;

	for (i = 0; i < PERM_MAX; i++) {
		pi = perm_get(i);
		w = gtk_check_button_new_with_mnemonic(pi->label);
		gtk_widget_set_tooltip_text(w, pi->tooltip);
		atk = gtk_widget_get_accessible(w);
		atk_object_set_name(atk, pi->a11y);
		atk_object_set_description(atk, pi->tooltip);
		g_signal_connect(w, "toggled",
		    G_CALLBACK(cm_page_perm_toggled_cb), self);
		gtk_grid_attach(self->perm_grid, w, i % CM_PERM_COLUMNS,
		    i / CM_PERM_COLUMNS, 1, 1);
		gtk_widget_show(w);
		self->perm[i] = w;
	}
}

/* Build the widgets from the template and the permission table. */
static void
cm_page_init(CmPage *self)
{
	GtkTextBuffer *b;

	gtk_widget_init_template(GTK_WIDGET(self));
	cm_page_add_perms(self);
	cm_page_add_voice(self);
	self->jobs = g_hash_table_new(g_direct_hash, g_direct_equal);
	b = gtk_text_view_get_buffer(self->chat_view);
	gtk_text_buffer_create_tag(b, "me", "weight", PANGO_WEIGHT_BOLD,
	    NULL);
	gtk_text_buffer_create_tag(b, "peer", "weight", PANGO_WEIGHT_BOLD,
	    "foreground", "#1c71d8", NULL);
	self->tick_id = g_timeout_add_seconds(1, cm_page_tick_cb, self);
}

/* A page for one connection id. */
CmPage *
cm_page_new(int conn_id)
{
	CmPage *self = g_object_new(CM_TYPE_PAGE, NULL);
	g_autofree char *name = g_strdup_printf("Connection %d", conn_id);

	self->conn_id = conn_id;
	atk_object_set_name(gtk_widget_get_accessible(GTK_WIDGET(self)),
	    name);
	return self;
}

/* The connection id this page shows. */
int
cm_page_get_conn_id(CmPage *self)
{
	return self->conn_id;
}

/* Show pending or active controls. */
static void
cm_page_update_state(CmPage *self)
{
	size_t i;

	gtk_widget_set_visible(self->pending_box, self->pending &&
	    !self->ended);
	gtk_widget_set_visible(self->accept_button, !self->no_accept);
	gtk_widget_set_visible(self->active_box, !self->pending &&
	    !self->ended);
	gtk_widget_set_sensitive(self->send_button, !self->pending &&
	    !self->ended);
	gtk_widget_set_sensitive(GTK_WIDGET(self->chat_entry),
	    !self->pending && !self->ended);
	for (i = 0; i < PERM_MAX; i++)
		gtk_widget_set_sensitive(self->perm[i], !self->ended &&
		    !self->perm_locked);
	if (self->ended)
		gtk_label_set_text(self->state_label, "Disconnected.");
	else if (self->pending && self->no_accept)
		gtk_label_set_text(self->state_label,
		    "Wants to connect; only the password lets it in.");
	else if (self->pending)
		gtk_label_set_text(self->state_label,
		    "Wants to connect to this computer.");
	else
		gtk_label_set_text(self->state_label, "Connected.");
}

/* Apply a Login. */
void
cm_page_set_info(CmPage *self, const struct cm_page_info *in)
{
	g_autofree char *addr = NULL;
	gboolean was_pending = self->pending;

	g_free(self->peer_id);
	self->peer_id = g_strdup(in->peer_id);
	g_free(self->peer_name);
	self->peer_name = g_strdup(in->peer_name);
	gtk_label_set_text(self->name_label, *in->peer_name ? in->peer_name :
	    in->peer_id);
	gtk_label_set_text(self->id_label, in->peer_id);
	gtk_label_set_text(self->address_label, in->address);
	if (in->port_forward != NULL && *in->port_forward != '\0') {
		addr = g_strdup_printf("%s (to %s)",
		    cm_core_mode_text(in->mode), in->port_forward);
		gtk_label_set_text(self->mode_label, addr);
	} else
		gtk_label_set_text(self->mode_label,
		    cm_core_mode_text(in->mode));
	gtk_label_set_text(self->encrypted_label, in->encrypted ?
	    "Encrypted" : "Not encrypted");
	self->start_time = in->start_time;
	cm_page_tick_cb(self);
	self->pending = !in->authorized;
	if (self->pending && !was_pending) {
		/* A click landing in the first moments does nothing. */
		gtk_widget_set_sensitive(self->accept_button, FALSE);
		gtk_widget_set_sensitive(self->dismiss_button, FALSE);
		g_clear_handle_id(&self->guard_id, g_source_remove);
		self->guard_id = g_timeout_add(CM_PAGE_GUARD_MS,
		    cm_page_guard_cb, self);
	}
	if (!self->pending)
		g_clear_handle_id(&self->guard_id, g_source_remove);
	cm_page_update_state(self);
}

/* Is the connection waiting for a click? */
gboolean
cm_page_is_pending(CmPage *self)
{
	return self->pending && !self->ended;
}

/* Is the connection still there? */
gboolean
cm_page_is_live(CmPage *self)
{
	return !self->ended;
}

/* Set a check box from the server's state. */
void
cm_page_set_permission(CmPage *self, const char *name, gboolean enabled)
{
	int p;

	if ((p = perm_find(name)) < 0)
		return;
	self->quiet = TRUE;
	gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(self->perm[p]),
	    enabled);
	self->quiet = FALSE;
}

/* Append a chat line and scroll to it. */
void
cm_page_add_chat(CmPage *self, const char *text, gboolean local)
{
	GtkTextBuffer *b = gtk_text_view_get_buffer(self->chat_view);
	GtkTextIter end;
	const char *who = local ? "Me" : (self->peer_name && *self->peer_name ?
	    self->peer_name : self->peer_id);
	g_autofree char *head = g_strdup_printf("%s: ", who ? who : "Peer");
	GtkTextMark *mark;

	gtk_text_buffer_get_end_iter(b, &end);
	gtk_text_buffer_insert_with_tags_by_name(b, &end, head, -1,
	    local ? "me" : "peer", NULL);
	gtk_text_buffer_insert(b, &end, text, -1);
	gtk_text_buffer_insert(b, &end, "\n", -1);
	mark = gtk_text_buffer_create_mark(b, NULL, &end, FALSE);
	gtk_text_view_scroll_mark_onscreen(self->chat_view, mark);
	gtk_text_buffer_delete_mark(b, mark);
	if (!local)
		gtk_stack_set_visible_child_name(self->tabs, "chat");
}

/* Human size. */
static char *
cm_page_size(guint64 n)
{
	return g_format_size(n);
}

/* Show or update one file-transfer job. */
void
cm_page_file_log(CmPage *self, int job_id, const char *path,
    gboolean is_remote, guint64 total, guint64 done, guint64 speed,
    int state, const char *error)
{
	static const char *const states[] = { "", "done", "cancelled",
	    "failed" };
	GtkWidget *row, *box, *label, *bar;
	g_autofree char *t = NULL, *d = NULL, *text = NULL, *s = NULL;
	g_autofree char *rate = NULL;

	row = g_hash_table_lookup(self->jobs, GINT_TO_POINTER(job_id));
	if (row == NULL) {
		box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 3);
		g_object_set(box, "margin", 6, NULL);
		label = gtk_label_new("");
		gtk_label_set_xalign(GTK_LABEL(label), 0);
		gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_MIDDLE);
		bar = gtk_progress_bar_new();
		gtk_container_add(GTK_CONTAINER(box), label);
		gtk_container_add(GTK_CONTAINER(box), bar);
		row = gtk_list_box_row_new();
		gtk_container_add(GTK_CONTAINER(row), box);
		g_object_set_data(G_OBJECT(row), "label", label);
		g_object_set_data(G_OBJECT(row), "bar", bar);
		gtk_widget_show_all(row);
		gtk_list_box_insert(self->file_list, row, -1);
		g_hash_table_insert(self->jobs, GINT_TO_POINTER(job_id), row);
	}
	label = g_object_get_data(G_OBJECT(row), "label");
	bar = g_object_get_data(G_OBJECT(row), "bar");
	t = cm_page_size(total);
	d = cm_page_size(done);
	/* The speed while it runs, as the stock CM shows it. */
	if (state == 0 && speed > 0) {
		s = cm_page_size(speed);
		rate = g_strdup_printf(", %s/s", s);
	}
	text = g_strdup_printf("%s %s — %s of %s%s%s%s%s",
	    is_remote ? "Send" : "Receive", path, d, t, rate ? rate : "",
	    state > 0 && state < 4 ? ", " : "",
	    state > 0 && state < 4 ? states[state] : "",
	    error != NULL && *error ? ": " : "");
	if (error != NULL && *error) {
		g_autofree char *full = g_strconcat(text, error, NULL);

		gtk_label_set_text(GTK_LABEL(label), full);
	} else
		gtk_label_set_text(GTK_LABEL(label), text);
	gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(bar),
	    total ? (double)done / (double)total : (state == 1 ? 1.0 : 0.0));
	atk_object_set_name(gtk_widget_get_accessible(row),
	    gtk_label_get_text(GTK_LABEL(label)));
	gtk_stack_set_visible_child_name(self->tabs, "files");
}

/* Show or hide Accept. */
void
cm_page_set_can_accept(CmPage *self, gboolean can)
{
	self->no_accept = !can;
	cm_page_update_state(self);
}

/* Whether the permission toggles may be used (HOST.md §3.4). */
void
cm_page_set_perm_change(CmPage *self, gboolean can)
{
	self->perm_locked = !can;
	cm_page_update_state(self);
}

/* The session is over. */
void
cm_page_set_ended(CmPage *self)
{
	self->ended = TRUE;
	cm_page_set_voice(self, CM_PAGE_VOICE_IDLE);
	g_clear_handle_id(&self->tick_id, g_source_remove);
	cm_page_update_state(self);
}

/* Show where the voice call stands. */
void
cm_page_set_voice(CmPage *self, int state)
{
	int was = self->voice;

	self->voice = self->ended ? CM_PAGE_VOICE_IDLE : state;
	if (self->voice != CM_PAGE_VOICE_INCOMING)
		g_clear_handle_id(&self->voice_guard_id, g_source_remove);
	gtk_widget_set_visible(self->voice_bar,
	    self->voice != CM_PAGE_VOICE_IDLE);
	gtk_widget_set_visible(self->voice_accept,
	    self->voice == CM_PAGE_VOICE_INCOMING);
	gtk_widget_set_visible(self->voice_dismiss,
	    self->voice == CM_PAGE_VOICE_INCOMING);
	gtk_widget_set_visible(self->voice_stop,
	    self->voice == CM_PAGE_VOICE_ACTIVE);
	if (self->voice == CM_PAGE_VOICE_INCOMING) {
		gtk_label_set_text(self->voice_label,
		    "The remote side asks for a voice call: its microphone "
		    "would play here and this computer's microphone would be "
		    "sent to it.");
		/* As for Accept: no click in the first moments (a call
		 * that rings again keeps its guard). */
		if (was != CM_PAGE_VOICE_INCOMING) {
			gtk_widget_set_sensitive(self->voice_accept, FALSE);
			gtk_widget_set_sensitive(self->voice_dismiss, FALSE);
			self->voice_guard_id = g_timeout_add(CM_PAGE_GUARD_MS,
			    cm_page_voice_guard_cb, self);
		}
	} else if (self->voice == CM_PAGE_VOICE_ACTIVE)
		gtk_label_set_text(self->voice_label, "In a voice call: this "
		    "computer's microphone is sent to the remote side.");
}

/* Where the voice call stands (CM_PAGE_VOICE_*). */
int
cm_page_get_voice(CmPage *self)
{
	return self->voice;
}

/* Show a note in the state line. */
void
cm_page_set_note(CmPage *self, const char *text)
{
	gtk_label_set_text(self->state_label, text);
}

/* Sidebar title. */
char *
cm_page_dup_title(CmPage *self)
{
	if (self->peer_name != NULL && *self->peer_name)
		return g_strdup_printf("%s (%s)", self->peer_name,
		    self->peer_id);
	return g_strdup(self->peer_id ? self->peer_id : "");
}
