/*
 * ui_win32.c: the main window on Windows (`cdesk.exe` with no mode, what
 * the installer's Start menu entry opens), a native Win32 window in place
 * of the GTK one (ui/ui.h says what it shows; the IPC logic is
 * ui/ui_core.c, shared with GTK). It talks to the server over the named
 * pipe with the message-loop adapter (ipc/ipc_wmsg.c) and polls the
 * status once a second, as the GTK window does.
 * Options the admin's file locks are disabled, with the note saying
 * where they are set. The two-factor section is ui_win32_tfa.c.
 */
#include <winsock2.h>
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"
#include "common/xmalloc.h"
#include "gui/win/wctl.h"
#include "ipc/ipc.h"
#include "ui/ui.h"
#include "ui/ui_core.h"
#include "ui/win/ui_win32.h"
#include "ui/win/ui_win32_tfa.h"

#define T_POLL		1	/* status, or reconnect: every second */

#define UI_W		520	/* client area */
#define UI_H		610
#define UI_TFA_Y	380	/* the two-factor section's top */

struct ui_win {
	HWND		 hwnd;
	HFONT		 font;
	struct ui_core	*core;		/* owned */
	struct ui_wtfa	*tfa;		/* owned: two-factor section */
	const char	*dir;		/* borrowed */
	char		*otp;		/* owned, wiped when replaced */
	char		*state;		/* owned: the service line */
	char		*message;	/* owned: last change's result */
	char		*port;		/* owned: the server's port */
	char		*locked[UI_K_N];	/* owned: locking file */
};

/* Replace *p with a copy of s. */
static void
ui_win_dup(char **p, const char *s)
{
	free(*p);
	*p = s != NULL ? xstrdup(s) : NULL;
}

/* Show the one-time password, dots, or a dash when there is none. */
static void
ui_win_update_otp(struct ui_win *w)
{
	int shown = IsDlgButtonChecked(w->hwnd, UI_ID_SHOW) == BST_CHECKED;

	if (w->otp == NULL || *w->otp == '\0')
		SetDlgItemTextW(w->hwnd, UI_ID_OTP, L"\x2014");
	else if (shown)
		wctl_set(w->hwnd, UI_ID_OTP, w->otp);
	else
		SetDlgItemTextW(w->hwnd, UI_ID_OTP,
		    L"\x2022\x2022\x2022\x2022\x2022\x2022");
}

/* Forget the one-time password (wiped: it lets people in). */
static void
ui_win_set_otp(struct ui_win *w, const char *otp)
{
	if (w->otp != NULL)
		SecureZeroMemory(w->otp, strlen(w->otp));
	ui_win_dup(&w->otp, otp);
	ui_win_update_otp(w);
}

/* Redraw the service line from state and message. */
static void
ui_win_update_status(struct ui_win *w)
{
	char *s;

	xasprintf(&s, "%s%s%s", w->state != NULL ? w->state : "",
	    w->message != NULL ? "\n" : "",
	    w->message != NULL ? w->message : "");
	wctl_set(w->hwnd, UI_ID_STATUS, s);
	free(s);
}

/* The control showing option k. */
static int
ui_win_ctl_of(int k)
{
	static const int ids[UI_K_N] = {
		[UI_K_APPROVE] = UI_ID_APPROVE, [UI_K_VERIFY] = UI_ID_VERIFY,
		[UI_K_DIRECT] = UI_ID_DIRECT, [UI_K_PORT] = UI_ID_PORT,
		[UI_K_RDV] = UI_ID_RDV, [UI_K_KEY] = UI_ID_KEY,
	};

	return ids[k];
}

/* Disable what the admin locks (the port also while direct access is
 * off), and say in the note which file sets it. */
static void
ui_win_update_locks(struct ui_win *w)
{
	const char *file = NULL;
	char *note;
	int k, direct;

	direct = IsDlgButtonChecked(w->hwnd, UI_ID_DIRECT) == BST_CHECKED;
	for (k = 0; k < UI_K_N; k++) {
		if (w->locked[k] != NULL)
			file = w->locked[k];
		EnableWindow(GetDlgItem(w->hwnd, ui_win_ctl_of(k)),
		    w->locked[k] == NULL && (k != UI_K_PORT || direct));
	}
	EnableWindow(GetDlgItem(w->hwnd, UI_ID_APPLY),
	    w->locked[UI_K_RDV] == NULL || w->locked[UI_K_KEY] == NULL);
	note = file != NULL ? ui_core_locked_note(file) : NULL;
	wctl_set(w->hwnd, UI_ID_LOCKED, note);
	free(note);
}

/* Core: the server's status. */
static void
ui_win_status(void *arg, const Ipc__Status *st)
{
	struct ui_win *w = arg;

	wctl_set(w->hwnd, UI_ID_ID, *st->id != '\0' ? st->id : "\xe2\x80\x94");
	ui_win_set_otp(w, st->temp_password);
	free(w->state);
	w->state = ui_core_status_text(st);
	ui_win_update_status(w);
}

/* Core: one option's value and lock, shown without sending anything
 * (CB_SETCURSEL and BM_SETCHECK notify nobody; the edit boxes are read
 * only on Apply or on leaving the port). */
static void
ui_win_option(void *arg, const char *key, const char *value,
    const char *locked_by)
{
	struct ui_win *w = arg;
	int k;

	for (k = 0; k < UI_K_N; k++)
		if (strcmp(key, ui_core_keys[k]) == 0)
			break;
	if (k == UI_K_N)
		return;
	if (k == UI_K_APPROVE || k == UI_K_VERIFY)
		SendDlgItemMessageW(w->hwnd, ui_win_ctl_of(k), CB_SETCURSEL,
		    (WPARAM)ui_core_choice(k, value), 0);
	else if (k == UI_K_DIRECT)
		CheckDlgButton(w->hwnd, UI_ID_DIRECT,
		    _stricmp(value, "Y") == 0 ? BST_CHECKED : BST_UNCHECKED);
	else if (k == UI_K_PORT && *value != '\0') {
		ui_win_dup(&w->port, value);
		wctl_set(w->hwnd, UI_ID_PORT, value);
	} else if (k == UI_K_RDV || k == UI_K_KEY)
		wctl_set(w->hwnd, ui_win_ctl_of(k), value);
	ui_win_dup(&w->locked[k], *locked_by != '\0' ? locked_by : NULL);
	ui_win_update_locks(w);
}

/* Core: the last change's outcome (NULL: clear). */
static void
ui_win_message(void *arg, const char *text)
{
	struct ui_win *w = arg;

	ui_win_dup(&w->message, text);
	ui_win_update_status(w);
}

/* Core: the server is away. */
static void
ui_win_offline(void *arg, const char *why)
{
	struct ui_win *w = arg;

	ui_win_dup(&w->state, why);
	SetDlgItemTextW(w->hwnd, UI_ID_ID, L"\x2014");
	ui_win_set_otp(w, NULL);
	ui_win_update_status(w);
}

/* Core: the 2FA state. */
static void
ui_win_tfa_state(void *arg, const Ipc__TwoFaState *st)
{
	struct ui_win *w = arg;

	ui_wtfa_state(w->tfa, st);
}

/* Core: enabling or disabling 2FA answered. */
static void
ui_win_tfa_done(void *arg, int ok, const char *text)
{
	struct ui_win *w = arg;

	ui_wtfa_done(w->tfa, ok, text);
}

static const struct ui_core_view ui_win_view = {
	.status = ui_win_status,
	.option = ui_win_option,
	.message = ui_win_message,
	.offline = ui_win_offline,
	.tfa_state = ui_win_tfa_state,
	.tfa_done = ui_win_tfa_done,
};

/* Copy the one-time password to the clipboard. */
static void
ui_win_copy(struct ui_win *w)
{
	wchar_t *ws;
	size_t n;
	HGLOBAL g;
	void *p;
	int ok = 0;

	if (w->otp == NULL || *w->otp == '\0')
		return;
	ws = wctl_wide(w->otp);
	n = (wcslen(ws) + 1) * sizeof *ws;
	if ((g = GlobalAlloc(GMEM_MOVEABLE, n)) != NULL &&
	    (p = GlobalLock(g)) != NULL) {
		memcpy(p, ws, n);
		GlobalUnlock(g);
		if (OpenClipboard(w->hwnd)) {
			EmptyClipboard();
			if (SetClipboardData(CF_UNICODETEXT, g) != NULL) {
				g = NULL;	/* the clipboard's now */
				ok = 1;
			}
			CloseClipboard();
		}
	}
	if (g != NULL)
		GlobalFree(g);
	SecureZeroMemory(ws, n);
	free(ws);
	ui_win_message(w, ok ? "One-time password copied." :
	    "Could not copy to the clipboard.");
}

/* Set the permanent password from its box, then empty the box. */
static void
ui_win_password(struct ui_win *w)
{
	char *pw = wctl_get(w->hwnd, UI_ID_PERM);

	if (*pw != '\0')
		ui_core_password(w->core, pw);
	SecureZeroMemory(pw, strlen(pw));
	free(pw);
	SetDlgItemTextW(w->hwnd, UI_ID_PERM, L"");
}

/* The port box, if it differs from what the server has. */
static void
ui_win_port(struct ui_win *w)
{
	char *v = wctl_get(w->hwnd, UI_ID_PORT);

	if (*v != '\0' && (w->port == NULL || strcmp(v, w->port) != 0))
		ui_core_option(w->core, "direct-access-port", v);
	free(v);
}

/* Apply the rendezvous server and key (those the admin has not locked). */
static void
ui_win_apply(struct ui_win *w)
{
	int k;
	char *v;

	for (k = UI_K_RDV; k <= UI_K_KEY; k++) {
		if (w->locked[k] != NULL)
			continue;
		v = wctl_get(w->hwnd, ui_win_ctl_of(k));
		ui_core_option(w->core, ui_core_keys[k], v);
		free(v);
	}
}

/* A combo's choice made. */
static void
ui_win_choice(struct ui_win *w, int k)
{
	LRESULT i = SendDlgItemMessageW(w->hwnd, ui_win_ctl_of(k),
	    CB_GETCURSEL, 0, 0);

	if (i >= 0 && i < UI_CHOICES)
		ui_core_option(w->core, ui_core_keys[k],
		    ui_core_choices(k)[i].value);
}

/* Enter: the button of the box that has the focus. */
static void
ui_win_enter(struct ui_win *w)
{
	int id = GetDlgCtrlID(GetFocus());

	if (id == UI_ID_PERM)
		ui_win_password(w);
	else if (id == UI_ID_PORT)
		ui_win_port(w);
	else if (id == UI_ID_RDV || id == UI_ID_KEY)
		ui_win_apply(w);
	else if (id == UI_ID_TFA_CODE)
		ui_wtfa_command(w->tfa, w->core, UI_ID_TFA_ENABLE, BN_CLICKED);
}

/* WM_COMMAND from a control. */
static void
ui_win_command(struct ui_win *w, int id, int code)
{
	if (ui_wtfa_command(w->tfa, w->core, id, code))
		return;
	if (id == UI_ID_APPROVE || id == UI_ID_VERIFY) {
		if (code == CBN_SELCHANGE)
			ui_win_choice(w, id == UI_ID_APPROVE ? UI_K_APPROVE :
			    UI_K_VERIFY);
	} else if (id == UI_ID_PORT) {
		if (code == EN_KILLFOCUS)
			ui_win_port(w);
	} else if (code != BN_CLICKED)
		return;
	else if (id == UI_ID_SHOW)
		ui_win_update_otp(w);
	else if (id == UI_ID_COPY)
		ui_win_copy(w);
	else if (id == UI_ID_REFRESH)
		ui_core_refresh(w->core);
	else if (id == UI_ID_PERM_SET)
		ui_win_password(w);
	else if (id == UI_ID_DIRECT) {
		ui_core_option(w->core, "direct-server",
		    IsDlgButtonChecked(w->hwnd, UI_ID_DIRECT) == BST_CHECKED ?
		    "Y" : "");
		ui_win_update_locks(w);
	} else if (id == UI_ID_APPLY)
		ui_win_apply(w);
	else if (id == IDOK)
		ui_win_enter(w);
}

/* One control of the window (wctl_add in its font). */
static HWND
ui_win_add(struct ui_win *w, const wchar_t *cls, const wchar_t *text,
    DWORD style, int id, int x, int y, int cx, int cy)
{
	return wctl_add(w->hwnd, w->font, cls, text, style, id, x, y, cx, cy);
}

/* A label at the row's left, then (by the caller) what it names. */
static void
ui_win_label(struct ui_win *w, const wchar_t *text, int id, int y)
{
	ui_win_add(w, L"STATIC", text, 0, id, 8, y + 4, UI_WIN_COL - 12, 16);
}

/* A drop-down list of option k's choices. */
static void
ui_win_combo(struct ui_win *w, int k, int id, int y)
{
	HWND h = ui_win_add(w, L"COMBOBOX", L"", CBS_DROPDOWNLIST |
	    WS_VSCROLL | WS_TABSTOP, id, UI_WIN_COL, y, 300, 120);
	wchar_t *ws;
	int i;

	for (i = 0; i < UI_CHOICES; i++) {
		ws = wctl_wide(ui_core_choices(k)[i].label);
		SendMessageW(h, CB_ADDSTRING, 0, (LPARAM)ws);
		free(ws);
	}
	SendMessageW(h, CB_SETCURSEL, 0, 0);
}

/* Every control, in tab order; each label right before its control. */
static void
ui_win_controls(struct ui_win *w)
{
	const DWORD tab = WS_TABSTOP, button = BS_PUSHBUTTON | WS_TABSTOP;

	w->font = (HFONT)GetStockObject(DEFAULT_GUI_FONT);
	ui_win_label(w, L"ID", UI_ID_ID_LABEL, 8);
	ui_win_add(w, L"STATIC", L"\x2014", SS_NOPREFIX, UI_ID_ID,
	    UI_WIN_COL, 12, 300, 16);
	ui_win_label(w, L"One-time password", UI_ID_OTP_LABEL, 36);
	ui_win_add(w, L"STATIC", L"", SS_NOPREFIX, UI_ID_OTP, UI_WIN_COL, 40,
	    110, 16);
	ui_win_add(w, L"BUTTON", L"Show", BS_AUTOCHECKBOX | BS_PUSHLIKE | tab,
	    UI_ID_SHOW, 276, 36, 76, 24);
	ui_win_add(w, L"BUTTON", L"Copy", button, UI_ID_COPY, 356, 36, 76,
	    24);
	ui_win_add(w, L"BUTTON", L"Refresh", button, UI_ID_REFRESH, 436, 36,
	    76, 24);
	ui_win_label(w, L"Permanent password", UI_ID_PERM_LABEL, 68);
	ui_win_add(w, L"EDIT", L"", ES_PASSWORD | ES_AUTOHSCROLL | tab,
	    UI_ID_PERM, UI_WIN_COL, 68, 268, 24);
	ui_win_add(w, L"BUTTON", L"Set", button, UI_ID_PERM_SET, 436, 68, 76,
	    24);
	ui_win_label(w, L"Approve with", UI_ID_APPROVE_LABEL, 100);
	ui_win_combo(w, UI_K_APPROVE, UI_ID_APPROVE, 100);
	ui_win_label(w, L"Verification method", UI_ID_VERIFY_LABEL, 132);
	ui_win_combo(w, UI_K_VERIFY, UI_ID_VERIFY, 132);
	ui_win_add(w, L"BUTTON", L"Direct access", BS_AUTOCHECKBOX | tab,
	    UI_ID_DIRECT, 8, 164, UI_WIN_COL - 12, 24);
	ui_win_add(w, L"STATIC", L"Port", 0, UI_ID_PORT_LABEL, UI_WIN_COL,
	    168, 40, 16);
	ui_win_add(w, L"EDIT", L"", ES_NUMBER | ES_AUTOHSCROLL | tab,
	    UI_ID_PORT, UI_WIN_COL + 44, 164, 80, 24);
	ui_win_label(w, L"Rendezvous server", UI_ID_RDV_LABEL, 196);
	ui_win_add(w, L"EDIT", L"", ES_AUTOHSCROLL | tab, UI_ID_RDV, UI_WIN_COL,
	    196, 352, 24);
	ui_win_label(w, L"Key", UI_ID_KEY_LABEL, 228);
	ui_win_add(w, L"EDIT", L"", ES_AUTOHSCROLL | tab, UI_ID_KEY, UI_WIN_COL,
	    228, 268, 24);
	ui_win_add(w, L"BUTTON", L"Apply", button, UI_ID_APPLY, 436, 228, 76,
	    24);
	ui_win_label(w, L"Service", UI_ID_STATUS_LABEL, 264);
	ui_win_add(w, L"STATIC", L"", SS_NOPREFIX, UI_ID_STATUS, UI_WIN_COL,
	    268, 352, 64);
	ui_win_add(w, L"STATIC", L"", SS_NOPREFIX, UI_ID_LOCKED, 8, 340,
	    504, 32);
	w->tfa = ui_wtfa_new(w->hwnd, w->font, UI_TFA_Y);
	ui_win_update_otp(w);
	ui_win_update_locks(w);
}

/* The window's messages. */
static LRESULT CALLBACK
ui_win_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
	struct ui_win *w = (struct ui_win *)GetWindowLongPtrW(hwnd,
	    GWLP_USERDATA);

	if (msg == WM_NCCREATE) {
		w = ((CREATESTRUCTW *)lp)->lpCreateParams;
		w->hwnd = hwnd;
		SetWindowLongPtrW(hwnd, GWLP_USERDATA, (LONG_PTR)w);
	}
	if (w == NULL)
		return DefWindowProcW(hwnd, msg, wp, lp);
	switch (msg) {
	case WM_CREATE:
		ui_win_controls(w);
		return 0;
	case WM_COMMAND:
		/* Only while the core lives (not from WM_CREATE's controls). */
		if (w->core != NULL)
			ui_win_command(w, LOWORD(wp), HIWORD(wp));
		return 0;
	case WM_TIMER:
		if (wp == T_POLL && w->core != NULL)
			ui_core_poll(w->core);
		return 0;
	case WM_DESTROY:
		PostQuitMessage(0);
		return 0;
	default:
		return DefWindowProcW(hwnd, msg, wp, lp);
	}
}

/* Make the window (shown by the caller). */
static int
ui_win_create(struct ui_win *w)
{
	wctl_window(UI_WIN_CLASS, ui_win_proc, L"cdesk", UI_W, UI_H, w);
	return w->hwnd != NULL ? 0 : ERR_IO;
}

/* Free what the window owned. */
static void
ui_win_free(struct ui_win *w)
{
	int k;

	ui_core_free(w->core);
	ui_wtfa_free(w->tfa);
	ui_win_set_otp(w, NULL);
	free(w->state);
	free(w->message);
	free(w->port);
	for (k = 0; k < UI_K_N; k++)
		free(w->locked[k]);
}

/*
 * Started from the Start menu, a console program gets a console of its
 * own, which would stay open behind the window: let it go. One shared
 * with a shell (more than this process on it) stays.
 */
static void
ui_win_drop_console(void)
{
	DWORD pids[2];

	if (GetConsoleWindow() != NULL && GetConsoleProcessList(pids, 2) == 1)
		FreeConsole();
}

/* Run the main window (ui/ui.h). */
int
ui_main(int argc, char **argv, const struct cfg_paths *paths)
{
	struct ui_win w;
	WSADATA wsa;
	MSG msg;

	(void)argc;
	(void)argv;
	memset(&w, 0, sizeof w);
	w.dir = ipc_find_dir(paths != NULL ? paths->run_dir : NULL);
	if (w.dir == NULL) {
		MessageBoxW(NULL, L"No IPC folder known.", L"cdesk",
		    MB_OK | MB_ICONERROR);
		return 1;
	}
	WSAStartup(MAKEWORD(2, 2), &wsa);
	if (ui_win_create(&w) != 0) {
		MessageBoxW(NULL, L"Cannot make the window.", L"cdesk",
		    MB_OK | MB_ICONERROR);
		return 1;
	}
	ui_win_drop_console();
	ShowWindow(w.hwnd, SW_SHOWNORMAL);
	ui_core_new(&w.core, w.dir, &ui_win_view, &w);
	SetTimer(w.hwnd, T_POLL, 1000, NULL);
	while (GetMessageW(&msg, NULL, 0, 0) > 0) {
		if (IsDialogMessageW(w.hwnd, &msg))
			continue;
		TranslateMessage(&msg);
		DispatchMessageW(&msg);
	}
	ui_win_free(&w);
	return 0;
}
