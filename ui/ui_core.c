/*
 * ui_core.c: the main window's IPC logic for both front ends (ui_core.h):
 * one client with role "ui", the requests each action sends, and the
 * server's answers turned into the view's calls. The window's own timer
 * calls ui_core_poll once a second; that both asks for the status (the
 * one-time password and the rendezvous state change without notice) and
 * reconnects when the server went away.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "ui/ui_core.h"

const char *const ui_core_keys[UI_K_N] = {
	"approve-mode", "verification-method", "direct-server",
	"direct-access-port", "custom-rendezvous-server", "key",
};

static const struct ui_choice ui_core_approve[UI_CHOICES] = {
	{ "both", "", "Password or click" },
	{ "password", "password", "Password only" },
	{ "click", "click", "Click only" },
};
static const struct ui_choice ui_core_verify[UI_CHOICES] = {
	{ "use-both-passwords", "", "One-time or permanent password" },
	{ "use-temporary-password", "use-temporary-password",
	    "One-time password only" },
	{ "use-permanent-password", "use-permanent-password",
	    "Permanent password only" },
};

struct ui_core {
	struct ipc_client		*ipc;	/* owned; NULL: away */
	char				*dir;	/* owned */
	const struct ui_core_view	*v;	/* borrowed */
	void				*arg;	/* borrowed */
	/* A 2FA Result is due: 1 enable or disable, 2 forgetting a
	 * trusted device. */
	int				 tfa_wait;
	unsigned			 polls;	/* ui_core_poll calls */
};

static void	ui_core_connect(struct ui_core *);

/* Send a message if connected (a failed write reports lost itself). */
static void
ui_core_send(struct ui_core *c, Ipc__Data *d)
{
	if (c->ipc != NULL)
		ipc_client_send(c->ipc, d);
}

/* Ask for the options the window shows. */
static void
ui_core_get_options(struct ui_core *c)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__OptionsGet m = IPC__OPTIONS_GET__INIT;

	m.keys = (char **)ui_core_keys;
	m.n_keys = UI_K_N;
	d.union_case = IPC__DATA__UNION_OPTIONS_GET;
	d.options_get = &m;
	ui_core_send(c, &d);
}

/* Ask for the 2FA state (only a window with the section shows it). */
void
ui_core_tfa_get(struct ui_core *c)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__TwoFaGet m = IPC__TWO_FA_GET__INIT;

	if (c->v->tfa_state == NULL)
		return;
	d.union_case = IPC__DATA__UNION_TWO_FA_GET;
	d.two_fa_get = &m;
	ui_core_send(c, &d);
}

/* Status, or a reconnect attempt; every UI_CORE_TFA_EVERY calls the 2FA
 * state too. */
void
ui_core_poll(struct ui_core *c)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__StatusGet m = IPC__STATUS_GET__INIT;

	if (c->ipc == NULL) {
		ui_core_connect(c);
		return;
	}
	d.union_case = IPC__DATA__UNION_STATUS_GET;
	d.status_get = &m;
	ui_core_send(c, &d);
	/* A device a peer just trusted, or 2FA turned off from the command
	 * line: nothing else tells the window. */
	if (++c->polls % UI_CORE_TFA_EVERY == 0)
		ui_core_tfa_get(c);
}

/* Set one option. */
void
ui_core_option(struct ui_core *c, const char *key, const char *value)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__OptionsSet m = IPC__OPTIONS_SET__INIT;
	Ipc__OptionEntry e = IPC__OPTION_ENTRY__INIT, *pe = &e;

	e.key = (char *)key;
	e.value = (char *)value;
	m.options = &pe;
	m.n_options = 1;
	d.union_case = IPC__DATA__UNION_OPTIONS_SET;
	d.options_set = &m;
	ui_core_send(c, &d);
}

/* A new one-time password, shown at once by a status request. */
void
ui_core_refresh(struct ui_core *c)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__RefreshTempPassword m = IPC__REFRESH_TEMP_PASSWORD__INIT;

	d.union_case = IPC__DATA__UNION_REFRESH_TEMP_PASSWORD;
	d.refresh_temp_password = &m;
	ui_core_send(c, &d);
	ui_core_poll(c);
}

/* Set the permanent password. */
void
ui_core_password(struct ui_core *c, const char *pw)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__SetPermanentPassword m = IPC__SET_PERMANENT_PASSWORD__INIT;

	m.password = (char *)pw;
	d.union_case = IPC__DATA__UNION_SET_PERMANENT_PASSWORD;
	d.set_permanent_password = &m;
	ui_core_send(c, &d);
}

/* 2FA: draw a secret. */
void
ui_core_tfa_setup(struct ui_core *c)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__TwoFaSetup m = IPC__TWO_FA_SETUP__INIT;

	d.union_case = IPC__DATA__UNION_TWO_FA_SETUP;
	d.two_fa_setup = &m;
	ui_core_send(c, &d);
}

/* 2FA: enable with the typed code. */
void
ui_core_tfa_enable(struct ui_core *c, const char *code)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__TwoFaEnable m = IPC__TWO_FA_ENABLE__INIT;

	m.code = (char *)code;
	d.union_case = IPC__DATA__UNION_TWO_FA_ENABLE;
	d.two_fa_enable = &m;
	c->tfa_wait = 1;
	ui_core_send(c, &d);
}

/* 2FA: turn it off. */
void
ui_core_tfa_disable(struct ui_core *c)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__TwoFaDisable m = IPC__TWO_FA_DISABLE__INIT;

	d.union_case = IPC__DATA__UNION_TWO_FA_DISABLE;
	d.two_fa_disable = &m;
	c->tfa_wait = 1;
	ui_core_send(c, &d);
}

/* 2FA: forget one trusted device (its key), or all (""). */
void
ui_core_tfa_untrust(struct ui_core *c, const char *key)
{
	Ipc__Data d = IPC__DATA__INIT;
	Ipc__TwoFaUntrust m = IPC__TWO_FA_UNTRUST__INIT;

	m.which = (char *)key;
	m.all = *key == '\0';
	d.union_case = IPC__DATA__UNION_TWO_FA_UNTRUST;
	d.two_fa_untrust = &m;
	c->tfa_wait = 2;
	ui_core_send(c, &d);
}

/* A Result: of a 2FA request (the section shows it), or of a setting. */
static void
ui_core_result(struct ui_core *c, const Ipc__Result *r)
{
	if (c->tfa_wait == 2) {
		/* Forgetting a device: said on the message line. */
		c->tfa_wait = 0;
		c->v->message(c->arg, r->code == 0 ?
		    "Trusted device removed." : r->text);
		ui_core_tfa_get(c);
		return;
	}
	if (c->tfa_wait) {
		c->tfa_wait = 0;
		if (c->v->tfa_done != NULL)
			c->v->tfa_done(c->arg, r->code == 0, r->text);
		ui_core_tfa_get(c);
		return;
	}
	c->v->message(c->arg, r->code == 0 ? "Saved." : r->text);
	/* Show what the server has now. */
	ui_core_get_options(c);
}

/* Server messages. */
static void
ui_core_recv(struct ipc_client *ic, const Ipc__Data *d, void *arg)
{
	struct ui_core *c = arg;
	const Ipc__OptionEntry *e;
	size_t i;

	(void)ic;
	switch (d->union_case) {
	case IPC__DATA__UNION_STATUS:
		c->v->status(c->arg, d->status);
		break;
	case IPC__DATA__UNION_OPTIONS:
		for (i = 0; i < d->options->n_options; i++) {
			e = d->options->options[i];
			c->v->option(c->arg, e->key, e->value,
			    e->locked_by != NULL ? e->locked_by : "");
		}
		break;
	case IPC__DATA__UNION_RESULT:
		ui_core_result(c, d->result);
		break;
	case IPC__DATA__UNION_TWO_FA_STATE:
		if (c->v->tfa_state != NULL)
			c->v->tfa_state(c->arg, d->two_fa_state);
		break;
	default:
		break;
	}
}

/* Connected: read everything. */
static void
ui_core_ready(struct ipc_client *ic, void *arg)
{
	struct ui_core *c = arg;

	(void)ic;
	c->v->message(c->arg, NULL);
	c->tfa_wait = 0;
	ui_core_get_options(c);
	ui_core_tfa_get(c);
	ui_core_poll(c);
}

/* Lost the server: say so; the next poll reconnects. */
static void
ui_core_lost(struct ipc_client *ic, int r, void *arg)
{
	struct ui_core *c = arg;

	ipc_client_free(ic);
	c->ipc = NULL;
	c->v->offline(c->arg, r == ERR_STATE ?
	    "The running cdesk server is a different version." :
	    "The cdesk service is not running.");
}

static const struct ipc_client_cb ui_core_ipc_cb = {
	.ready = ui_core_ready,
	.recv = ui_core_recv,
	.lost = ui_core_lost,
};

/* Try to reach the server. */
static void
ui_core_connect(struct ui_core *c)
{
	int r;

	if ((r = ipc_client_new(&c->ipc, c->dir, "ui", &ui_core_ipc_cb,
	    c)) != 0) {
		c->ipc = NULL;
		c->v->offline(c->arg, r == ERR_DENIED ?
		    "Not talking to the cdesk service: it does not let this "
		    "user in, or its socket is not the real service's (the "
		    "reason is on stderr)." :
		    "The cdesk service is not running.");
	}
}

/* A new core, connecting at once. */
int
ui_core_new(struct ui_core **out, const char *dir,
    const struct ui_core_view *view, void *arg)
{
	struct ui_core *c = xcalloc(1, sizeof *c);

	c->dir = xstrdup(dir);
	c->v = view;
	c->arg = arg;
	*out = c;
	ui_core_connect(c);
	return 0;
}

/* Disconnect and free. */
void
ui_core_free(struct ui_core *c)
{
	if (c == NULL)
		return;
	ipc_client_free(c->ipc);
	free(c->dir);
	free(c);
}

/* The choices of option k (UI_K_APPROVE or UI_K_VERIFY). */
const struct ui_choice *
ui_core_choices(int k)
{
	return k == UI_K_APPROVE ? ui_core_approve : ui_core_verify;
}

/* The choice value stands for; anything else is the default. */
int
ui_core_choice(int k, const char *value)
{
	const struct ui_choice *ch = ui_core_choices(k);
	int i;

	for (i = 1; i < UI_CHOICES; i++)
		if (strcmp(value, ch[i].value) == 0)
			return i;
	return 0;
}

/* The service line; then why the desk cannot be shared (Wayland). */
char *
ui_core_status_text(const Ipc__Status *st)
{
	const char *ver = st->version, *rdv = st->rendezvous;
	const char *notice = st->desk_notice;
	char *s;

	xasprintf(&s, "Running (cdesk %s); rendezvous: %s; %u connection%s%s%s",
	    ver != NULL && *ver ? ver : "?",
	    rdv != NULL && *rdv ? rdv : "not configured",
	    st->connections, st->connections == 1 ? "" : "s",
	    notice != NULL && *notice ? "\n" : "",
	    notice != NULL ? notice : "");
	return s;
}

/* The note shown while some setting is locked. */
char *
ui_core_locked_note(const char *file)
{
	char *s;

	xasprintf(&s, "Greyed-out settings are set by the administrator in "
	    "%s and cannot be changed here.", file);
	return s;
}

/* A locked control's tooltip. */
char *
ui_core_locked_tip(const char *file)
{
	char *s;

	xasprintf(&s, "Set by the administrator in %s", file);
	return s;
}

/* Whether 2FA is on, and for how many devices it is skipped. */
char *
ui_core_tfa_text(int enabled, unsigned trusted)
{
	char *s;

	if (!enabled)
		return xstrdup("Two-factor authentication is off");
	xasprintf(&s, "Two-factor authentication is on (%u trusted device%s)",
	    trusted, trusted == 1 ? "" : "s");
	return s;
}

/* One trusted device as the list shows it. */
char *
ui_core_device_text(const char *id, const char *name, const char *platform,
    int64_t time_ms)
{
	time_t t = (time_t)(time_ms / 1000);
	struct tm *tm = localtime(&t);	/* the UI's thread only */
	char when[32], *s;

	if (tm == NULL || strftime(when, sizeof when, "%Y-%m-%d %H:%M",
	    tm) == 0)
		strcpy(when, "?");
	xasprintf(&s, "%s  %s  %s  since %s", *id != '\0' ? id : "?",
	    *name != '\0' ? name : "-", *platform != '\0' ? platform : "-",
	    when);
	return s;
}
