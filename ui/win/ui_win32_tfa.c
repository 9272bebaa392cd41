/*
 * ui_win32_tfa.c: the two-factor section of the Windows main window
 * (ui_win32_tfa.h). The requests and the texts are ui/ui_core.c's, as
 * for the GTK section; the devices' keys (what forgetting one sends) stay
 * here, a list line's item data being its index.
 */
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "gui/win/wctl.h"
#include "ui/win/ui_win32.h"
#include "ui/win/ui_win32_tfa.h"

#define TFA_DEV_MAX	64

struct ui_wtfa {
	HWND	 hwnd;			/* the main window */
	char	*keys[TFA_DEV_MAX];	/* owned: the devices' keys */
	size_t	 n;
};

/* The secret's rows. */
static const int ui_wtfa_secret_ids[] = {
	UI_ID_TFA_SECRET_LABEL, UI_ID_TFA_SECRET, UI_ID_TFA_URI_LABEL,
	UI_ID_TFA_URI, UI_ID_TFA_CODE_LABEL, UI_ID_TFA_CODE,
	UI_ID_TFA_ENABLE, UI_ID_TFA_NOTE,
};
/* The devices' rows. */
static const int ui_wtfa_device_ids[] = {
	UI_ID_TFA_DEVICES_LABEL, UI_ID_TFA_DEVICES, UI_ID_TFA_REMOVE,
	UI_ID_TFA_REMOVE_ALL,
};

/* Show or hide ids[0..n); each shown one enabled. */
static void
ui_wtfa_show(struct ui_wtfa *t, const int *ids, size_t n, int on)
{
	size_t i;

	for (i = 0; i < n; i++)
		wctl_show(t->hwnd, ids[i], on, on);
}

/* Enable is for six digits only. */
static void
ui_wtfa_code_changed(struct ui_wtfa *t)
{
	char *code = wctl_get(t->hwnd, UI_ID_TFA_CODE);

	EnableWindow(GetDlgItem(t->hwnd, UI_ID_TFA_ENABLE),
	    strlen(code) == 6 && strspn(code, "0123456789") == 6);
	free(code);
	wctl_set(t->hwnd, UI_ID_TFA_NOTE, "");
}

/* Forget the shown secret and hide its rows. */
static void
ui_wtfa_hide_secret(struct ui_wtfa *t)
{
	wctl_set(t->hwnd, UI_ID_TFA_SECRET, "");
	wctl_set(t->hwnd, UI_ID_TFA_URI, "");
	wctl_set(t->hwnd, UI_ID_TFA_CODE, "");
	ui_wtfa_show(t, ui_wtfa_secret_ids, sizeof ui_wtfa_secret_ids /
	    sizeof *ui_wtfa_secret_ids, 0);
}

/* The section's controls, each label right before what it names. */
struct ui_wtfa *
ui_wtfa_new(HWND parent, HFONT font, int y)
{
	const DWORD button = BS_PUSHBUTTON | WS_TABSTOP;
	struct ui_wtfa *t = xcalloc(1, sizeof *t);

	t->hwnd = parent;
	wctl_add(parent, font, L"STATIC", L"Two-factor", 0, UI_ID_TFA_LABEL,
	    8, y + 4, UI_WIN_COL - 12, 16);
	wctl_add(parent, font, L"STATIC", L"", SS_NOPREFIX, UI_ID_TFA_STATE,
	    UI_WIN_COL, y + 4, 190, 32);
	wctl_add(parent, font, L"BUTTON", L"Set up", button, UI_ID_TFA_SETUP,
	    356, y, 76, 24);
	wctl_add(parent, font, L"BUTTON", L"Turn off", button,
	    UI_ID_TFA_DISABLE, 436, y, 76, 24);
	wctl_add(parent, font, L"STATIC", L"Secret", 0,
	    UI_ID_TFA_SECRET_LABEL, 8, y + 36, UI_WIN_COL - 12, 16);
	wctl_add(parent, font, L"STATIC", L"", SS_NOPREFIX, UI_ID_TFA_SECRET,
	    UI_WIN_COL, y + 36, 352, 16);
	wctl_add(parent, font, L"STATIC", L"Authenticator URI", 0,
	    UI_ID_TFA_URI_LABEL, 8, y + 58, UI_WIN_COL - 12, 16);
	wctl_add(parent, font, L"EDIT", L"", ES_MULTILINE | ES_READONLY |
	    WS_TABSTOP, UI_ID_TFA_URI, UI_WIN_COL, y + 56, 352, 36);
	wctl_add(parent, font, L"STATIC", L"Code", 0, UI_ID_TFA_CODE_LABEL,
	    8, y + 102, UI_WIN_COL - 12, 16);
	wctl_add(parent, font, L"EDIT", L"", ES_NUMBER | WS_TABSTOP,
	    UI_ID_TFA_CODE, UI_WIN_COL, y + 98, 100, 24);
	SendDlgItemMessageW(parent, UI_ID_TFA_CODE, EM_SETLIMITTEXT, 6, 0);
	wctl_add(parent, font, L"BUTTON", L"Enable", button,
	    UI_ID_TFA_ENABLE, UI_WIN_COL + 108, y + 98, 76, 24);
	wctl_add(parent, font, L"STATIC", L"", SS_NOPREFIX, UI_ID_TFA_NOTE,
	    UI_WIN_COL + 192, y + 102, 160, 32);
	wctl_add(parent, font, L"STATIC", L"Trusted devices", 0,
	    UI_ID_TFA_DEVICES_LABEL, 8, y + 136, UI_WIN_COL - 12, 16);
	wctl_add(parent, font, L"LISTBOX", L"", WS_VSCROLL | WS_TABSTOP,
	    UI_ID_TFA_DEVICES, UI_WIN_COL, y + 134, 352, 60);
	wctl_add(parent, font, L"BUTTON", L"Remove", button,
	    UI_ID_TFA_REMOVE, UI_WIN_COL, y + 198, 76, 24);
	wctl_add(parent, font, L"BUTTON", L"Remove all", button,
	    UI_ID_TFA_REMOVE_ALL, UI_WIN_COL + 80, y + 198, 76, 24);
	wctl_set(parent, UI_ID_TFA_STATE, "");
	EnableWindow(GetDlgItem(parent, UI_ID_TFA_DISABLE), FALSE);
	ui_wtfa_hide_secret(t);
	ui_wtfa_show(t, ui_wtfa_device_ids, sizeof ui_wtfa_device_ids /
	    sizeof *ui_wtfa_device_ids, 0);
	return t;
}

/* Forget the devices' keys. */
static void
ui_wtfa_clear(struct ui_wtfa *t)
{
	while (t->n > 0)
		free(t->keys[--t->n]);
}

void
ui_wtfa_free(struct ui_wtfa *t)
{
	if (t == NULL)
		return;
	ui_wtfa_clear(t);
	free(t);
}

/* Refill the devices' list. */
static void
ui_wtfa_devices(struct ui_wtfa *t, const Ipc__TwoFaState *st)
{
	HWND lb = GetDlgItem(t->hwnd, UI_ID_TFA_DEVICES);
	const Ipc__TrustedDevice *d;
	wchar_t *ws;
	size_t i;
	char *s;

	/* The same devices (the periodic re-read): keep the choice. */
	for (i = 0; i < t->n && i < st->n_devices; i++)
		if (strcmp(t->keys[i], st->devices[i]->key) != 0)
			break;
	if (i == t->n && i == st->n_devices)
		return;
	ui_wtfa_clear(t);
	SendMessageW(lb, LB_RESETCONTENT, 0, 0);
	for (; t->n < st->n_devices && t->n < TFA_DEV_MAX; t->n++) {
		d = st->devices[t->n];
		t->keys[t->n] = xstrdup(d->key);
		s = ui_core_device_text(d->id, d->name, d->platform,
		    d->time_ms);
		ws = wctl_wide(s);
		SendMessageW(lb, LB_ADDSTRING, 0, (LPARAM)ws);
		free(ws);
		free(s);
	}
	ui_wtfa_show(t, ui_wtfa_device_ids, sizeof ui_wtfa_device_ids /
	    sizeof *ui_wtfa_device_ids, t->n > 0);
}

/* The server's 2FA state. */
void
ui_wtfa_state(struct ui_wtfa *t, const Ipc__TwoFaState *st)
{
	char *s = ui_core_tfa_text(st->enabled, st->trusted_devices);

	wctl_set(t->hwnd, UI_ID_TFA_STATE, s);
	free(s);
	EnableWindow(GetDlgItem(t->hwnd, UI_ID_TFA_DISABLE), st->enabled);
	if (*st->secret != '\0') {
		ui_wtfa_show(t, ui_wtfa_secret_ids,
		    sizeof ui_wtfa_secret_ids / sizeof *ui_wtfa_secret_ids, 1);
		wctl_set(t->hwnd, UI_ID_TFA_SECRET, st->secret);
		wctl_set(t->hwnd, UI_ID_TFA_URI, st->uri);
		wctl_set(t->hwnd, UI_ID_TFA_CODE, "");
		ui_wtfa_code_changed(t);
	}
	ui_wtfa_devices(t, st);
}

/* Enabling or disabling answered. */
void
ui_wtfa_done(struct ui_wtfa *t, int ok, const char *text)
{
	if (ok)
		ui_wtfa_hide_secret(t);
	else
		wctl_set(t->hwnd, UI_ID_TFA_NOTE, text);
}

/* Send the typed code (six digits only, as Enable's state says). */
static void
ui_wtfa_enable(struct ui_wtfa *t, struct ui_core *core)
{
	char *code = wctl_get(t->hwnd, UI_ID_TFA_CODE);

	if (IsWindowEnabled(GetDlgItem(t->hwnd, UI_ID_TFA_ENABLE)))
		ui_core_tfa_enable(core, code);
	free(code);
}

/* Forget the chosen device. */
static void
ui_wtfa_remove(struct ui_wtfa *t, struct ui_core *core)
{
	LRESULT i = SendDlgItemMessageW(t->hwnd, UI_ID_TFA_DEVICES,
	    LB_GETCURSEL, 0, 0);

	if (i >= 0 && (size_t)i < t->n)
		ui_core_tfa_untrust(core, t->keys[i]);
}

/* A command of the section's controls. */
int
ui_wtfa_command(struct ui_wtfa *t, struct ui_core *core, int id, int code)
{
	if (id == UI_ID_TFA_CODE) {
		if (code == EN_CHANGE)
			ui_wtfa_code_changed(t);
		return 1;
	}
	if (id < UI_ID_TFA_LABEL || id > UI_ID_TFA_REMOVE_ALL)
		return 0;
	if (code != BN_CLICKED)
		return 1;
	if (id == UI_ID_TFA_SETUP)
		ui_core_tfa_setup(core);
	else if (id == UI_ID_TFA_DISABLE)
		ui_core_tfa_disable(core);
	else if (id == UI_ID_TFA_ENABLE)
		ui_wtfa_enable(t, core);
	else if (id == UI_ID_TFA_REMOVE)
		ui_wtfa_remove(t, core);
	else if (id == UI_ID_TFA_REMOVE_ALL)
		ui_core_tfa_untrust(core, "");
	return 1;
}
