/*
 * ui_app.c: the main window application on GTK: the window (ui_window.c)
 * and its two-factor section (ui_tfa.c) wired to the IPC logic both main
 * windows share (ui_core.c), with a one-second timer for its poll.
 */
#include <stdlib.h>
#include <string.h>

#include <gtk/gtk.h>

#include "common/config.h"
#include "ipc/ipc_glib.h"
#include "gui/gui_res.h"
#include "ui/ui.h"
#include "ui/ui_core.h"
#include "ui/ui_window.h"

struct ui_app {
	GtkApplication		*app;
	UiWindow		*win;		/* owned by app */
	struct ui_core		*core;		/* owned */
	char			*dir;		/* owned */
	guint			 poll_id;
};

/* Once a second: status, or a reconnect attempt. */
static gboolean
ui_poll_cb(gpointer data)
{
	struct ui_app *a = data;

	ui_core_poll(a->core);
	return G_SOURCE_CONTINUE;
}

/* Window: set an option. */
static void
ui_option_cb(UiWindow *w, const char *key, const char *value,
    struct ui_app *a)
{
	(void)w;
	ui_core_option(a->core, key, value);
}

/* Window: new one-time password. */
static void
ui_refresh_cb(UiWindow *w, struct ui_app *a)
{
	(void)w;
	ui_core_refresh(a->core);
}

/* Window: set the permanent password. */
static void
ui_password_cb(UiWindow *w, const char *pw, struct ui_app *a)
{
	(void)w;
	ui_core_password(a->core, pw);
}

/* 2FA section: draw a secret. */
static void
ui_tfa_setup_cb(UiTfa *t, struct ui_app *a)
{
	(void)t;
	ui_core_tfa_setup(a->core);
}

/* 2FA section: enable with the typed code. */
static void
ui_tfa_enable_cb(UiTfa *t, const char *code, struct ui_app *a)
{
	(void)t;
	ui_core_tfa_enable(a->core, code);
}

/* 2FA section: turn it off. */
static void
ui_tfa_disable_cb(UiTfa *t, struct ui_app *a)
{
	(void)t;
	ui_core_tfa_disable(a->core);
}

/* 2FA section: forget one trusted device (its key), or all (""). */
static void
ui_tfa_untrust_cb(UiTfa *t, const char *key, struct ui_app *a)
{
	(void)t;
	ui_core_tfa_untrust(a->core, key);
}

/* Core: the server's status. */
static void
ui_view_status(void *arg, const Ipc__Status *st)
{
	struct ui_app *a = arg;
	char *text = ui_core_status_text(st);

	ui_window_set_status(a->win, st->id, st->temp_password, text);
	free(text);
}

/* Core: one option. */
static void
ui_view_option(void *arg, const char *key, const char *value,
    const char *locked_by)
{
	struct ui_app *a = arg;

	ui_window_set_option(a->win, key, value, locked_by);
}

/* Core: the last change's outcome. */
static void
ui_view_message(void *arg, const char *text)
{
	struct ui_app *a = arg;

	ui_window_set_message(a->win, text);
}

/* Core: the server is away. */
static void
ui_view_offline(void *arg, const char *why)
{
	struct ui_app *a = arg;

	ui_window_set_offline(a->win, why);
}

/* Core: a TwoFaState: the secret if one was drawn, on or off, devices. */
static void
ui_view_tfa_state(void *arg, const Ipc__TwoFaState *st)
{
	struct ui_app *a = arg;
	struct ui_tfa_device dev[64];
	size_t i;

	if (*st->secret != '\0')
		ui_tfa_show_secret(ui_window_tfa(a->win), st->uri, st->secret);
	ui_tfa_set_state(ui_window_tfa(a->win), st->enabled,
	    st->trusted_devices);
	for (i = 0; i < st->n_devices && i < G_N_ELEMENTS(dev); i++) {
		dev[i].key = st->devices[i]->key;
		dev[i].id = st->devices[i]->id;
		dev[i].name = st->devices[i]->name;
		dev[i].platform = st->devices[i]->platform;
		dev[i].time_ms = st->devices[i]->time_ms;
	}
	ui_tfa_set_devices(ui_window_tfa(a->win), dev, i);
}

/* Core: enabling or disabling 2FA answered. */
static void
ui_view_tfa_done(void *arg, int ok, const char *text)
{
	struct ui_app *a = arg;

	ui_tfa_enable_done(ui_window_tfa(a->win), ok, text);
}

static const struct ui_core_view ui_view = {
	.status = ui_view_status,
	.option = ui_view_option,
	.message = ui_view_message,
	.offline = ui_view_offline,
	.tfa_state = ui_view_tfa_state,
	.tfa_done = ui_view_tfa_done,
};

/* GtkApplication::activate. */
static void
ui_activate_cb(GtkApplication *app, struct ui_app *a)
{
	if (a->win != NULL) {
		gtk_window_present(GTK_WINDOW(a->win));
		return;
	}
	a->win = ui_window_new(app);
	g_signal_connect(a->win, "option-set", G_CALLBACK(ui_option_cb), a);
	g_signal_connect(a->win, "refresh-password",
	    G_CALLBACK(ui_refresh_cb), a);
	g_signal_connect(a->win, "set-password", G_CALLBACK(ui_password_cb),
	    a);
	g_signal_connect(ui_window_tfa(a->win), "tfa-setup",
	    G_CALLBACK(ui_tfa_setup_cb), a);
	g_signal_connect(ui_window_tfa(a->win), "tfa-enable",
	    G_CALLBACK(ui_tfa_enable_cb), a);
	g_signal_connect(ui_window_tfa(a->win), "tfa-disable",
	    G_CALLBACK(ui_tfa_disable_cb), a);
	g_signal_connect(ui_window_tfa(a->win), "tfa-untrust",
	    G_CALLBACK(ui_tfa_untrust_cb), a);
	gtk_widget_show(GTK_WIDGET(a->win));
	ui_core_new(&a->core, a->dir, &ui_view, a);
	a->poll_id = g_timeout_add_seconds(1, ui_poll_cb, a);
}

/* Run the main window. */
int
ui_main(int argc, char **argv, const struct cfg_paths *paths)
{
	struct ui_app a;
	const char *dir = ipc_find_dir(paths != NULL ? paths->run_dir : NULL);
	char *args[2] = { argc > 0 ? argv[0] : (char *)"cdesk", NULL };
	int status;

	if (dir == NULL) {
		g_printerr("cdesk: no IPC folder known\n");
		return 1;
	}
	gui_res_register();
	memset(&a, 0, sizeof a);
	a.dir = g_strdup(dir);
	a.app = gtk_application_new("org.cdesk.Main",
	    G_APPLICATION_NON_UNIQUE);
	g_signal_connect(a.app, "activate", G_CALLBACK(ui_activate_cb), &a);
	status = g_application_run(G_APPLICATION(a.app), 1, args);
	g_clear_handle_id(&a.poll_id, g_source_remove);
	ui_core_free(a.core);
	g_object_unref(a.app);
	g_free(a.dir);
	return status;
}
