/*
 * ui_tfa.c: the main window's two-factor section (ui_tfa.h). The QR code
 * of the otpauth:// URI is made by libqrencode and drawn with cairo,
 * black modules on white with the four-module quiet zone scanners want.
 */
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "ui/ui_core.h"
#include "ui/ui_tfa.h"

#define UI_TFA_QUIET	4	/* modules of white around the code */
#define UI_TFA_DIGITS	6

struct _UiTfa {
	GtkBox		 parent;
	GtkLabel	*state_label;
	GtkWidget	*setup_button;
	GtkWidget	*disable_button;
	GtkWidget	*secret_box;
	GtkWidget	*qr_area;
	GtkLabel	*secret_label;
	GtkEntry	*code_entry;
	GtkWidget	*enable_button;
	GtkLabel	*error_label;
	GtkWidget	*trusted_box;
	GtkListBox	*trusted_list;
	QRcode		*qr;		/* owned: the shown secret's code */
};

G_DEFINE_TYPE(UiTfa, ui_tfa, GTK_TYPE_BOX)

enum { SIG_SETUP, SIG_ENABLE, SIG_DISABLE, SIG_UNTRUST, SIG_N };
static guint ui_tfa_signals[SIG_N];

/* 1 if the entry holds exactly six digits. */
static gboolean
ui_tfa_code_ready(UiTfa *self)
{
	const char *t = gtk_entry_get_text(self->code_entry);

	return strlen(t) == UI_TFA_DIGITS &&
	    strspn(t, "0123456789") == UI_TFA_DIGITS;
}

/* "Set up…": ask the server for a new secret. */
static void
ui_tfa_setup_cb(GtkButton *b, UiTfa *self)
{
	(void)b;
	g_signal_emit(self, ui_tfa_signals[SIG_SETUP], 0);
}

/* "Turn off". */
static void
ui_tfa_disable_cb(GtkButton *b, UiTfa *self)
{
	(void)b;
	g_signal_emit(self, ui_tfa_signals[SIG_DISABLE], 0);
}

/* "Remove" of one trusted device: its key rides on the button. */
static void
ui_tfa_untrust_cb(GtkButton *b, UiTfa *self)
{
	g_signal_emit(self, ui_tfa_signals[SIG_UNTRUST], 0,
	    g_object_get_data(G_OBJECT(b), "tfa-key"));
}

/* "Remove all". */
static void
ui_tfa_untrust_all_cb(GtkButton *b, UiTfa *self)
{
	(void)b;
	g_signal_emit(self, ui_tfa_signals[SIG_UNTRUST], 0, "");
}

/* The code changed: Enable only with six digits. */
static void
ui_tfa_code_changed_cb(GtkEditable *e, UiTfa *self)
{
	(void)e;
	gtk_widget_set_sensitive(self->enable_button, ui_tfa_code_ready(self));
	gtk_label_set_text(self->error_label, "");
}

/* "Enable" (or Enter in the code box): send the code. */
static void
ui_tfa_enable_cb(GtkWidget *w, UiTfa *self)
{
	(void)w;
	if (!ui_tfa_code_ready(self))
		return;
	g_signal_emit(self, ui_tfa_signals[SIG_ENABLE], 0,
	    gtk_entry_get_text(self->code_entry));
}

/* Draw the QR code, scaled to whole pixels per module and centred. */
static gboolean
ui_tfa_draw_cb(GtkWidget *w, cairo_t *cr, UiTfa *self)
{
	int side, mod, n, x, y, off;

	side = MIN(gtk_widget_get_allocated_width(w),
	    gtk_widget_get_allocated_height(w));
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	if (self->qr == NULL)
		return TRUE;
	n = self->qr->width + 2 * UI_TFA_QUIET;
	if ((mod = side / n) < 1)
		mod = 1;
	off = (side - mod * n) / 2 + mod * UI_TFA_QUIET;
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (y = 0; y < self->qr->width; y++)
		for (x = 0; x < self->qr->width; x++)
			if (self->qr->data[y * self->qr->width + x] & 1)
				cairo_rectangle(cr, off + x * mod,
				    off + y * mod, mod, mod);
	cairo_fill(cr);
	return TRUE;
}

/* Forget the shown secret and hide it. */
static void
ui_tfa_hide_secret(UiTfa *self)
{
	g_clear_pointer(&self->qr, QRcode_free);
	gtk_label_set_text(self->secret_label, "");
	gtk_entry_set_text(self->code_entry, "");
	gtk_widget_hide(self->secret_box);
}

/* Free the QR code. */
static void
ui_tfa_finalize(GObject *obj)
{
	UiTfa *self = UI_TFA(obj);

	g_clear_pointer(&self->qr, QRcode_free);
	G_OBJECT_CLASS(ui_tfa_parent_class)->finalize(obj);
}

/* Bind the template and declare the signals. */
static void
ui_tfa_class_init(UiTfaClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	oc->finalize = ui_tfa_finalize;
	gtk_widget_class_set_template_from_resource(wc,
	    "/org/cdesk/gui/ui_tfa.ui");
	gtk_widget_class_bind_template_child(wc, UiTfa, state_label);
	gtk_widget_class_bind_template_child(wc, UiTfa, setup_button);
	gtk_widget_class_bind_template_child(wc, UiTfa, disable_button);
	gtk_widget_class_bind_template_child(wc, UiTfa, secret_box);
	gtk_widget_class_bind_template_child(wc, UiTfa, qr_area);
	gtk_widget_class_bind_template_child(wc, UiTfa, secret_label);
	gtk_widget_class_bind_template_child(wc, UiTfa, code_entry);
	gtk_widget_class_bind_template_child(wc, UiTfa, enable_button);
	gtk_widget_class_bind_template_child(wc, UiTfa, error_label);
	gtk_widget_class_bind_template_child(wc, UiTfa, trusted_box);
	gtk_widget_class_bind_template_child(wc, UiTfa, trusted_list);
	gtk_widget_class_bind_template_callback(wc, ui_tfa_untrust_all_cb);
	gtk_widget_class_bind_template_callback(wc, ui_tfa_setup_cb);
	gtk_widget_class_bind_template_callback(wc, ui_tfa_disable_cb);
	gtk_widget_class_bind_template_callback(wc, ui_tfa_code_changed_cb);
	gtk_widget_class_bind_template_callback(wc, ui_tfa_enable_cb);
	gtk_widget_class_bind_template_callback(wc, ui_tfa_draw_cb);
	ui_tfa_signals[SIG_SETUP] = g_signal_new("tfa-setup",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 0);
	ui_tfa_signals[SIG_ENABLE] = g_signal_new("tfa-enable",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 1, G_TYPE_STRING);
	ui_tfa_signals[SIG_DISABLE] = g_signal_new("tfa-disable",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 0);
	ui_tfa_signals[SIG_UNTRUST] = g_signal_new("tfa-untrust",
	    G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 1, G_TYPE_STRING);
}

/* Build from the template. */
static void
ui_tfa_init(UiTfa *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

/* A new two-factor section. */
UiTfa *
ui_tfa_new(void)
{
	return g_object_new(UI_TYPE_TFA, NULL);
}

/* Show whether 2FA is on. */
void
ui_tfa_set_state(UiTfa *self, gboolean enabled, unsigned trusted)
{
	char *text = ui_core_tfa_text(enabled, trusted);

	gtk_label_set_text(self->state_label, text);
	free(text);
	gtk_widget_set_sensitive(self->disable_button, enabled);
}

/* One row of the list: what the device is, and its Remove button. */
static GtkWidget *
ui_tfa_device_row(UiTfa *self, const struct ui_tfa_device *d)
{
	char *text = ui_core_device_text(d->id, d->name, d->platform,
	    d->time_ms);
	g_autofree char *an = NULL;
	GtkWidget *box, *label, *button;

	box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	label = gtk_label_new(text);
	free(text);
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
	gtk_widget_set_hexpand(label, TRUE);
	button = gtk_button_new_with_label("Remove");
	gtk_widget_set_tooltip_text(button, "Forget this device: it asks "
	    "for the code again");
	an = g_strdup_printf("Remove trusted device %s", *d->id ? d->id :
	    d->key);
	atk_object_set_name(gtk_widget_get_accessible(button), an);
	g_object_set_data_full(G_OBJECT(button), "tfa-key",
	    g_strdup(d->key), g_free);
	g_signal_connect(button, "clicked", G_CALLBACK(ui_tfa_untrust_cb),
	    self);
	gtk_box_pack_start(GTK_BOX(box), label, TRUE, TRUE, 0);
	gtk_box_pack_start(GTK_BOX(box), button, FALSE, FALSE, 0);
	gtk_widget_show_all(box);
	return box;
}

/* Replace the list of trusted devices. */
void
ui_tfa_set_devices(UiTfa *self, const struct ui_tfa_device *d, size_t n)
{
	GList *rows, *l;
	size_t i;

	rows = gtk_container_get_children(GTK_CONTAINER(self->trusted_list));
	for (l = rows; l != NULL; l = l->next)
		gtk_widget_destroy(GTK_WIDGET(l->data));
	g_list_free(rows);
	for (i = 0; i < n; i++)
		gtk_list_box_insert(self->trusted_list,
		    ui_tfa_device_row(self, &d[i]), -1);
	gtk_widget_set_visible(self->trusted_box, n > 0);
}

/* Show a drawn secret: QR code, text and the code box. */
void
ui_tfa_show_secret(UiTfa *self, const char *uri, const char *secret)
{
	g_clear_pointer(&self->qr, QRcode_free);
	self->qr = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	gtk_label_set_text(self->secret_label, secret);
	gtk_entry_set_text(self->code_entry, "");
	gtk_label_set_text(self->error_label, self->qr != NULL ? "" :
	    "The QR code could not be made: type the secret instead.");
	gtk_widget_show(self->secret_box);
	gtk_widget_queue_draw(self->qr_area);
	gtk_widget_grab_focus(GTK_WIDGET(self->code_entry));
}

/* The outcome of enabling. */
void
ui_tfa_enable_done(UiTfa *self, gboolean ok, const char *text)
{
	if (ok) {
		ui_tfa_hide_secret(self);
		return;
	}
	gtk_label_set_text(self->error_label, text);
}
