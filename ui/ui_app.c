/*
 * ui_app.c: the main window application: polls the server's status every
 * second over the IPC and turns the window's signals into option,
 * password and 2FA requests.
 */
#include <stdlib.h>
#include <string.h>

#include <gtk/gtk.h>

#include "common/config.h"
#include "common/err.h"
#include "ipc/ipc_glib.h"
#include "gui/gui_res.h"
#include "ui/ui.h"
#include "ui/ui_window.h"

/* Options the window shows. */
static const char *const ui_keys[] = {
	"approve-mode", "verification-method", "direct-server",
	"direct-access-port", "custom-rendezvous-server", "key",
};

struct ui_app {
	GtkApplication		*app;
	UiWindow		*win;		/* owned by app */
	struct ipc_client	*ipc;		/* owned */
	char			*dir;		/* owned */
	guint			 poll_id;
	/* A 2FA Result is due: 1 enable or disable, 2 forgetting a
	 * trusted device. */
	int			 tfa_wait;
};

static void	ui_connect(struct ui_app *);

/* Send a message if connected. */
static void
ui_send(struct ui_app *a, Ipc__Data *d)
{
	if (a->ipc != NULL)
		ipc_client_send(a->ipc, d);
}

/* Ask for the options the window shows. */
static void
ui_get_options(struct ui_app *a)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__OptionsGet m = IPC__OPTIONS_GET__INIT;

	m.keys = (char **)ui_keys;
	m.n_keys = G_N_ELEMENTS(ui_keys);
	d.union_case = IPC__DATA__UNION_OPTIONS_GET;
	d.options_get = &m;
	ui_send(a, &d);
}

/* Once a second: status, or a reconnect attempt. */
static gboolean
ui_poll_cb(gpointer data)
{
	struct ui_app *a = data;
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__StatusGet m = IPC__STATUS_GET__INIT;

	if (a->ipc == NULL) {
		ui_connect(a);
		return G_SOURCE_CONTINUE;
	}
	d.union_case = IPC__DATA__UNION_STATUS_GET;
	d.status_get = &m;
	ui_send(a, &d);
	return G_SOURCE_CONTINUE;
}

/* Window: set an option. */
static void
ui_option_cb(UiWindow *w, const char *key, const char *value,
    struct ui_app *a)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__OptionsSet m = IPC__OPTIONS_SET__INIT;
	Ipc__OptionEntry e = IPC__OPTION_ENTRY__INIT, *pe = &e;

	(void)w;
	e.key = (char *)key;
	e.value = (char *)value;
	m.options = &pe;
	m.n_options = 1;
	d.union_case = IPC__DATA__UNION_OPTIONS_SET;
	d.options_set = &m;
	ui_send(a, &d);
}

/* Window: new one-time password. */
static void
ui_refresh_cb(UiWindow *w, struct ui_app *a)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__RefreshTempPassword m = IPC__REFRESH_TEMP_PASSWORD__INIT;

	(void)w;
	d.union_case = IPC__DATA__UNION_REFRESH_TEMP_PASSWORD;
	d.refresh_temp_password = &m;
	ui_send(a, &d);
	ui_poll_cb(a);
}

/* Window: set the permanent password. */
static void
ui_password_cb(UiWindow *w, const char *pw, struct ui_app *a)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__SetPermanentPassword m = IPC__SET_PERMANENT_PASSWORD__INIT;

	(void)w;
	m.password = (char *)pw;
	d.union_case = IPC__DATA__UNION_SET_PERMANENT_PASSWORD;
	d.set_permanent_password = &m;
	ui_send(a, &d);
}

/* Ask for the 2FA state. */
static void
ui_tfa_get(struct ui_app *a)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__TwoFaGet m = IPC__TWO_FA_GET__INIT;

	d.union_case = IPC__DATA__UNION_TWO_FA_GET;
	d.two_fa_get = &m;
	ui_send(a, &d);
}

/* 2FA section: draw a secret. */
static void
ui_tfa_setup_cb(UiTfa *t, struct ui_app *a)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__TwoFaSetup m = IPC__TWO_FA_SETUP__INIT;

	(void)t;
	d.union_case = IPC__DATA__UNION_TWO_FA_SETUP;
	d.two_fa_setup = &m;
	ui_send(a, &d);
}

/* 2FA section: enable with the typed code. */
static void
ui_tfa_enable_cb(UiTfa *t, const char *code, struct ui_app *a)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__TwoFaEnable m = IPC__TWO_FA_ENABLE__INIT;

	(void)t;
	m.code = (char *)code;
	d.union_case = IPC__DATA__UNION_TWO_FA_ENABLE;
	d.two_fa_enable = &m;
	a->tfa_wait = 1;
	ui_send(a, &d);
}

/* 2FA section: turn it off. */
static void
ui_tfa_disable_cb(UiTfa *t, struct ui_app *a)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__TwoFaDisable m = IPC__TWO_FA_DISABLE__INIT;

	(void)t;
	d.union_case = IPC__DATA__UNION_TWO_FA_DISABLE;
	d.two_fa_disable = &m;
	a->tfa_wait = 1;
	ui_send(a, &d);
}

/* 2FA section: forget one trusted device (its key), or all (""). */
static void
ui_tfa_untrust_cb(UiTfa *t, const char *key, struct ui_app *a)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__TwoFaUntrust m = IPC__TWO_FA_UNTRUST__INIT;

	(void)t;
	m.which = (char *)key;
	m.all = *key == '\0';
	d.union_case = IPC__DATA__UNION_TWO_FA_UNTRUST;
	d.two_fa_untrust = &m;
	a->tfa_wait = 2;
	ui_send(a, &d);
}

/* A TwoFaState: the secret if one was drawn, on or off, the devices. */
static void
ui_recv_tfa(struct ui_app *a, const Ipc__TwoFaState *st)
{
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

/* A Result: of a 2FA request (the section shows it), or of a setting. */
static void
ui_recv_result(struct ui_app *a, const Ipc__Result *r)
{
	if (a->tfa_wait == 2) {
		/* Forgetting a device: said on the message line. */
		a->tfa_wait = 0;
		ui_window_set_message(a->win, r->code == 0 ?
		    "Trusted device removed." : r->text);
		ui_tfa_get(a);
		return;
	}
	if (a->tfa_wait) {
		a->tfa_wait = 0;
		ui_tfa_enable_done(ui_window_tfa(a->win), r->code == 0,
		    r->text);
		ui_tfa_get(a);
		return;
	}
	ui_window_set_message(a->win, r->code == 0 ? "Saved." : r->text);
	/* Show what the server has now. */
	ui_get_options(a);
}

/* Server messages. */
static void
ui_recv_cb(struct ipc_client *c, const Ipc__Data *d, void *arg)
{
	struct ui_app *a = arg;
	size_t i;

	(void)c;
	switch (d->union_case) {
	case IPC__DATA__UNION_STATUS:
		ui_window_set_status(a->win, d->status->id,
		    d->status->temp_password, d->status->rendezvous,
		    d->status->connections, d->status->version,
		    d->status->desk_notice);
		break;
	case IPC__DATA__UNION_OPTIONS:
		for (i = 0; i < d->options->n_options; i++)
			ui_window_set_option(a->win,
			    d->options->options[i]->key,
			    d->options->options[i]->value,
			    d->options->options[i]->locked_by);
		break;
	case IPC__DATA__UNION_RESULT:
		ui_recv_result(a, d->result);
		break;
	case IPC__DATA__UNION_TWO_FA_STATE:
		ui_recv_tfa(a, d->two_fa_state);
		break;
	default:
		break;
	}
}

/* Connected: read everything. */
static void
ui_ready_cb(struct ipc_client *c, void *arg)
{
	struct ui_app *a = arg;

	(void)c;
	ui_window_set_message(a->win, NULL);
	a->tfa_wait = 0;
	ui_get_options(a);
	ui_tfa_get(a);
	ui_poll_cb(a);
}

/* Lost the server: show it; the poll timer reconnects. */
static void
ui_lost_cb(struct ipc_client *c, int r, void *arg)
{
	struct ui_app *a = arg;

	ipc_client_free(c);
	a->ipc = NULL;
	ui_window_set_offline(a->win, r == ERR_STATE ?
	    "The running cdesk server is a different version." :
	    "The cdesk service is not running.");
}

static const struct ipc_client_cb ui_ipc_cb = {
	.ready = ui_ready_cb,
	.recv = ui_recv_cb,
	.lost = ui_lost_cb,
};

/* Try to reach the server. */
static void
ui_connect(struct ui_app *a)
{
	int r;

	if ((r = ipc_client_new(&a->ipc, a->dir, "ui", &ui_ipc_cb, a)) != 0) {
		a->ipc = NULL;
		ui_window_set_offline(a->win, r == ERR_DENIED ?
		    "Not talking to the cdesk service: it does not let this "
		    "user in, or its socket is not the real service's (the "
		    "reason is on stderr)." :
		    "The cdesk service is not running.");
	}
}

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
	ui_connect(a);
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
	ipc_client_free(a.ipc);
	g_object_unref(a.app);
	g_free(a.dir);
	return status;
}
