/*
 * ui_window.c: the main window: ID, one-time password, permanent password,
 * approval and verification settings, direct access, rendezvous server,
 * and the two-factor section (ui_tfa.c).
 * A setting the admin's file locks is shown read-only, with a note.
 */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_core.h"
#include "ui/ui_tfa.h"
#include "ui/ui_window.h"

/* The settings the window shows (index into UiWindow.locked). */
enum { K_APPROVE = UI_K_APPROVE, K_VERIFY = UI_K_VERIFY,
    K_DIRECT = UI_K_DIRECT, K_PORT = UI_K_PORT, K_RDV = UI_K_RDV,
    K_KEY = UI_K_KEY, K_N = UI_K_N };

struct _UiWindow {
	GtkApplicationWindow	 parent;
	GtkLabel		*id_label;
	GtkLabel		*otp_label;
	GtkToggleButton		*show_button;
	GtkWidget		*copy_button;
	GtkWidget		*refresh_button;
	GtkEntry		*perm_entry;
	GtkComboBoxText		*approve_combo;
	GtkComboBoxText		*verify_combo;
	GtkSwitch		*direct_switch;
	GtkSpinButton		*port_spin;
	GtkEntry		*rdv_entry;
	GtkEntry		*key_entry;
	GtkWidget		*apply_button;
	GtkLabel		*status_label;
	GtkLabel		*locked_label;
	UiTfa			*tfa;		/* the two-factor section */
	char			*locked[K_N];	/* owned: locking file, or NULL */
	char			*otp;		/* owned */
	char			*message;	/* owned: last change's result */
	char			*state;		/* owned: service line */
	gboolean		 quiet;		/* setting from the server */
};

G_DEFINE_TYPE(UiWindow, ui_window, GTK_TYPE_APPLICATION_WINDOW)

enum { SIG_OPTION, SIG_REFRESH, SIG_PASSWORD, SIG_N };
static guint ui_window_signals[SIG_N];

/* Show the one-time password or dots. */
static void
ui_window_update_otp(UiWindow *self)
{
	const char *p = self->otp != NULL ? self->otp : "";

	if (*p == '\0')
		gtk_label_set_text(self->otp_label, "—");
	else if (gtk_toggle_button_get_active(self->show_button))
		gtk_label_set_text(self->otp_label, p);
	else
		gtk_label_set_text(self->otp_label, "••••••");
}

/* Show/hide toggled. */
static void
ui_window_show_cb(GtkToggleButton *b, UiWindow *self)
{
	(void)b;
	ui_window_update_otp(self);
}

/* Copy the one-time password to the clipboard. */
static void
ui_window_copy_cb(GtkButton *b, UiWindow *self)
{
	(void)b;
	if (self->otp == NULL || *self->otp == '\0')
		return;
	gtk_clipboard_set_text(gtk_widget_get_clipboard(GTK_WIDGET(self),
	    GDK_SELECTION_CLIPBOARD), self->otp, -1);
	ui_window_set_message(self, "One-time password copied.");
}

/* Ask for a new one-time password. */
static void
ui_window_refresh_cb(GtkButton *b, UiWindow *self)
{
	(void)b;
	g_signal_emit(self, ui_window_signals[SIG_REFRESH], 0);
}

/* Set the permanent password from the entry, then clear it. */
static void
ui_window_set_password_cb(GtkWidget *w, UiWindow *self)
{
	const char *pw = gtk_entry_get_text(self->perm_entry);

	(void)w;
	if (*pw == '\0')
		return;
	g_signal_emit(self, ui_window_signals[SIG_PASSWORD], 0, pw);
	gtk_entry_set_text(self->perm_entry, "");
}

/* A combo box changed: approve-mode or verification-method. */
static void
ui_window_combo_cb(GtkComboBox *combo, UiWindow *self)
{
	int k = combo == GTK_COMBO_BOX(self->approve_combo) ? K_APPROVE :
	    K_VERIFY;
	int i = gtk_combo_box_get_active(combo);

	if (self->quiet || i < 0 || i >= UI_CHOICES)
		return;
	/* The default is stored as unset, as upstream. */
	g_signal_emit(self, ui_window_signals[SIG_OPTION], 0, ui_core_keys[k],
	    ui_core_choices(k)[i].value);
}

/* The port can be changed while direct access is on and it is not locked. */
static void
ui_window_update_port(UiWindow *self)
{
	gtk_widget_set_sensitive(GTK_WIDGET(self->port_spin),
	    gtk_switch_get_active(self->direct_switch) &&
	    self->locked[K_PORT] == NULL);
}

/* The control showing setting k. */
static GtkWidget *
ui_window_widget(UiWindow *self, int k)
{
	switch (k) {
	case K_APPROVE:	return GTK_WIDGET(self->approve_combo);
	case K_VERIFY:	return GTK_WIDGET(self->verify_combo);
	case K_DIRECT:	return GTK_WIDGET(self->direct_switch);
	case K_PORT:	return GTK_WIDGET(self->port_spin);
	case K_RDV:	return GTK_WIDGET(self->rdv_entry);
	default:	return GTK_WIDGET(self->key_entry);
	}
}

/* Make locked settings read-only, say where they are set, show the note. */
static void
ui_window_update_locks(UiWindow *self)
{
	char *tip = NULL, *note;
	const char *file = NULL;
	int k;

	for (k = 0; k < K_N; k++) {
		if (self->locked[k] != NULL) {
			file = self->locked[k];
			tip = ui_core_locked_tip(self->locked[k]);
		}
		if (k != K_PORT)
			gtk_widget_set_sensitive(ui_window_widget(self, k),
			    self->locked[k] == NULL);
		gtk_widget_set_tooltip_text(ui_window_widget(self, k), tip);
		free(tip);
		tip = NULL;
	}
	ui_window_update_port(self);
	gtk_widget_set_sensitive(self->apply_button,
	    self->locked[K_RDV] == NULL || self->locked[K_KEY] == NULL);
	if (file != NULL) {
		note = ui_core_locked_note(file);
		gtk_label_set_text(self->locked_label, note);
		free(note);
	}
	gtk_widget_set_visible(GTK_WIDGET(self->locked_label), file != NULL);
}

/* Direct access switched. */
static void
ui_window_direct_cb(GObject *o, GParamSpec *ps, UiWindow *self)
{
	(void)o;
	(void)ps;
	ui_window_update_port(self);
	if (self->quiet)
		return;
	g_signal_emit(self, ui_window_signals[SIG_OPTION], 0, "direct-server",
	    gtk_switch_get_active(self->direct_switch) ? "Y" : "");
}

/* Port changed. */
static void
ui_window_port_cb(GtkSpinButton *s, UiWindow *self)
{
	g_autofree char *v = NULL;

	if (self->quiet)
		return;
	v = g_strdup_printf("%d", gtk_spin_button_get_value_as_int(s));
	g_signal_emit(self, ui_window_signals[SIG_OPTION], 0,
	    "direct-access-port", v);
}

/* Apply the rendezvous server and key (those the admin has not locked). */
static void
ui_window_apply_cb(GtkButton *b, UiWindow *self)
{
	(void)b;
	if (self->locked[K_RDV] == NULL)
		g_signal_emit(self, ui_window_signals[SIG_OPTION], 0,
		    "custom-rendezvous-server",
		    gtk_entry_get_text(self->rdv_entry));
	if (self->locked[K_KEY] == NULL)
		g_signal_emit(self, ui_window_signals[SIG_OPTION], 0, "key",
		    gtk_entry_get_text(self->key_entry));
}

/* Redraw the service line from state and message. */
static void
ui_window_update_status(UiWindow *self)
{
	g_autofree char *text = g_strdup_printf("%s%s%s",
	    self->state ? self->state : "",
	    self->message ? "\n" : "", self->message ? self->message : "");

	gtk_label_set_text(self->status_label, text);
}

/* Free owned strings. */
static void
ui_window_finalize(GObject *obj)
{
	UiWindow *self = UI_WINDOW(obj);
	int k;

	for (k = 0; k < K_N; k++)
		g_free(self->locked[k]);
	if (self->otp != NULL)
		memset(self->otp, 0, strlen(self->otp));
	g_free(self->otp);
	g_free(self->message);
	g_free(self->state);
	G_OBJECT_CLASS(ui_window_parent_class)->finalize(obj);
}

/* Bind the template and declare the signals. */
static void
ui_window_class_init(UiWindowClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	oc->finalize = ui_window_finalize;
	gtk_widget_class_set_template_from_resource(wc,
	    "/org/cdesk/gui/ui_window.ui");
	gtk_widget_class_bind_template_child(wc, UiWindow, id_label);
	gtk_widget_class_bind_template_child(wc, UiWindow, otp_label);
	gtk_widget_class_bind_template_child(wc, UiWindow, show_button);
	gtk_widget_class_bind_template_child(wc, UiWindow, copy_button);
	gtk_widget_class_bind_template_child(wc, UiWindow, refresh_button);
	gtk_widget_class_bind_template_child(wc, UiWindow, perm_entry);
	gtk_widget_class_bind_template_child(wc, UiWindow, approve_combo);
	gtk_widget_class_bind_template_child(wc, UiWindow, verify_combo);
	gtk_widget_class_bind_template_child(wc, UiWindow, direct_switch);
	gtk_widget_class_bind_template_child(wc, UiWindow, port_spin);
	gtk_widget_class_bind_template_child(wc, UiWindow, rdv_entry);
	gtk_widget_class_bind_template_child(wc, UiWindow, key_entry);
	gtk_widget_class_bind_template_child(wc, UiWindow, apply_button);
	gtk_widget_class_bind_template_child(wc, UiWindow, status_label);
	gtk_widget_class_bind_template_child(wc, UiWindow, locked_label);
	gtk_widget_class_bind_template_child(wc, UiWindow, tfa);
	gtk_widget_class_bind_template_callback(wc, ui_window_show_cb);
	gtk_widget_class_bind_template_callback(wc, ui_window_copy_cb);
	gtk_widget_class_bind_template_callback(wc, ui_window_refresh_cb);
	gtk_widget_class_bind_template_callback(wc, ui_window_set_password_cb);
	gtk_widget_class_bind_template_callback(wc, ui_window_combo_cb);
	gtk_widget_class_bind_template_callback(wc, ui_window_direct_cb);
	gtk_widget_class_bind_template_callback(wc, ui_window_port_cb);
	gtk_widget_class_bind_template_callback(wc, ui_window_apply_cb);
	ui_window_signals[SIG_OPTION] = g_signal_new("option-set",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
	ui_window_signals[SIG_REFRESH] = g_signal_new("refresh-password",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 0);
	ui_window_signals[SIG_PASSWORD] = g_signal_new("set-password",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 1, G_TYPE_STRING);
}

/* Build from the template. */
static void
ui_window_init(UiWindow *self)
{
	g_type_ensure(UI_TYPE_TFA);
	gtk_widget_init_template(GTK_WIDGET(self));
	self->quiet = TRUE;
	gtk_combo_box_set_active_id(GTK_COMBO_BOX(self->approve_combo),
	    ui_core_choices(K_APPROVE)[0].id);
	gtk_combo_box_set_active_id(GTK_COMBO_BOX(self->verify_combo),
	    ui_core_choices(K_VERIFY)[0].id);
	ui_window_update_port(self);
	self->quiet = FALSE;
	ui_window_update_otp(self);
}

/* A new main window. */
UiWindow *
ui_window_new(GtkApplication *app)
{
	return g_object_new(UI_TYPE_WINDOW, "application", app, NULL);
}

/* Show the server's status. */
void
ui_window_set_status(UiWindow *self, const char *id, const char *otp,
    const char *state)
{
	gtk_widget_set_sensitive(gtk_bin_get_child(GTK_BIN(self)), TRUE);
	gtk_label_set_text(self->id_label, id && *id ? id : "—");
	if (self->otp != NULL)
		memset(self->otp, 0, strlen(self->otp));
	g_free(self->otp);
	self->otp = g_strdup(otp ? otp : "");
	ui_window_update_otp(self);
	g_free(self->state);
	self->state = g_strdup(state);
	ui_window_update_status(self);
}

/* Show one option's value, and whether the admin's file locks it. */
void
ui_window_set_option(UiWindow *self, const char *key, const char *value,
    const char *locked_by)
{
	int k;

	self->quiet = TRUE;
	if (strcmp(key, "approve-mode") == 0)
		gtk_combo_box_set_active_id(GTK_COMBO_BOX(self->approve_combo),
		    ui_core_choices(K_APPROVE)[ui_core_choice(K_APPROVE,
		    value)].id);
	else if (strcmp(key, "verification-method") == 0)
		gtk_combo_box_set_active_id(GTK_COMBO_BOX(self->verify_combo),
		    ui_core_choices(K_VERIFY)[ui_core_choice(K_VERIFY,
		    value)].id);
	else if (strcmp(key, "direct-server") == 0)
		gtk_switch_set_active(self->direct_switch,
		    g_ascii_strcasecmp(value, "Y") == 0);
	else if (strcmp(key, "direct-access-port") == 0 && *value)
		gtk_spin_button_set_value(self->port_spin,
		    g_ascii_strtod(value, NULL));
	else if (strcmp(key, "custom-rendezvous-server") == 0)
		gtk_entry_set_text(self->rdv_entry, value);
	else if (strcmp(key, "key") == 0)
		gtk_entry_set_text(self->key_entry, value);
	for (k = 0; k < K_N; k++) {
		if (strcmp(key, ui_core_keys[k]) != 0)
			continue;
		g_free(self->locked[k]);
		self->locked[k] = locked_by != NULL && *locked_by != '\0' ?
		    g_strdup(locked_by) : NULL;
		ui_window_update_locks(self);
	}
	self->quiet = FALSE;
}

/* The server is unreachable. */
void
ui_window_set_offline(UiWindow *self, const char *why)
{
	g_free(self->state);
	self->state = g_strdup(why);
	gtk_label_set_text(self->id_label, "—");
	g_free(self->otp);
	self->otp = NULL;
	ui_window_update_otp(self);
	ui_window_update_status(self);
}

/* The two-factor section (owned by the window). */
UiTfa *
ui_window_tfa(UiWindow *self)
{
	return self->tfa;
}

/* Show the result of the last change. */
void
ui_window_set_message(UiWindow *self, const char *text)
{
	g_free(self->message);
	self->message = g_strdup(text);
	ui_window_update_status(self);
}
