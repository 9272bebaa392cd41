/*
 * cm_win32.c: the connection manager on Windows (`cdesk.exe --cm`), a
 * native Win32 window in place of the GTK one (cm/cm.h says what it
 * does; the rules it shares with GTK are cm/cm_core.c). One list of
 * connections, the chosen one's details, Accept / Dismiss / Disconnect,
 * a check box per permission, and its chat. It talks to the server over
 * the named pipe with the message-loop adapter (ipc/ipc_wmsg.c).
 *
 * It never takes keyboard focus by itself (HOST.md §3.4: a peer's
 * injected Enter would reach it): it is shown with SW_SHOWNOACTIVATE,
 * kept topmost without activation while a request waits, and flashes in
 * the taskbar instead. Accept and Dismiss stay disabled CM_GUARD_MS after
 * a request shows up, and every action goes through the click-time guard.
 * A voice call rings with its own Accept / Dismiss (guarded the same way)
 * and "Stop voice call" while it runs. File-transfer progress has no
 * widgets here (the Windows host has no file transfer yet).
 */
#include <winsock2.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/perm.h"
#include "common/xmalloc.h"
#include "cm/cm.h"
#include "cm/cm_core.h"
#include "cm/win/cm_win32.h"
#include "gui/win/wctl.h"

#define T_RETRY		1	/* reconnect to the server */
#define T_QUIT		2	/* idle quit */
#define T_MINIMIZE	3	/* a new session's page was seen */
#define T_GUARD		4	/* Accept/Dismiss become clickable */

#define CM_W		600	/* client area */
#define CM_H		540

/* One connection the server told us about. */
struct cm_conn {
	int		 id;
	char		*peer_id, *name, *address, *port_forward;	/* owned */
	int		 mode;		/* Ipc__ConnMode */
	int		 encrypted;
	int		 authorized;
	int		 ended;		/* kept for its unanswered chat */
	int		 voice;		/* Ipc__VoiceCallState__State */
	int		 perms[PERM_MAX];
	char		*chat;		/* owned, "\r\n"-separated lines */
	char		*note;		/* owned */
	ULONGLONG	 guard_until;	/* GetTickCount64 ms */
	ULONGLONG	 voice_guard_until;
	struct cm_conn	*next;
};

struct cm_win {
	HWND			 hwnd;
	HFONT			 font;
	struct ipc_client	*ipc;		/* owned */
	const char		*dir;		/* borrowed */
	struct cm_conn		*conns;		/* owned */
	int			 shown;		/* conn id on show, 0: none */
	struct cm_guard		 guard;
	struct cm_opts		 opts;
	int			 replaying;	/* Hello to first Options */
	int			 had_conns;
	int			 accepted;	/* last conn we accepted */
	char			*status;	/* owned: the link's state */
	char			*notice;	/* owned: the desk notice */
};

static void	cm_win_connect(struct cm_win *);

/* Monotonic µs for the guard. */
static int64_t
cm_win_now(void)
{
	return (int64_t)GetTickCount64() * 1000;
}

/* Replace *p with a copy of s. */
static void
cm_win_dup(char **p, const char *s)
{
	free(*p);
	*p = s != NULL ? xstrdup(s) : NULL;
}

/* The connection called id, or NULL. */
static struct cm_conn *
cm_conn_find(struct cm_win *w, int id)
{
	struct cm_conn *c;

	for (c = w->conns; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* Free one connection. */
static void
cm_conn_free(struct cm_conn *c)
{
	free(c->peer_id);
	free(c->name);
	free(c->address);
	free(c->port_forward);
	free(c->chat);
	free(c->note);
	free(c);
}

/* 1 while a connection or a voice call waits for a click. */
static int
cm_win_any_pending(struct cm_win *w)
{
	struct cm_conn *c;

	for (c = w->conns; c != NULL; c = c->next)
		if (!c->ended && (!c->authorized || c->voice ==
		    IPC__VOICE_CALL_STATE__STATE__INCOMING))
			return 1;
	return 0;
}

/* Number of connections that run or wait. */
static int
cm_win_live(struct cm_win *w)
{
	struct cm_conn *c;
	int n = 0;

	for (c = w->conns; c != NULL; c = c->next)
		n += !c->ended;
	return n;
}

/* Append a chat line. */
static void
cm_conn_chat(struct cm_conn *c, const char *who, const char *text)
{
	char *line;

	xasprintf(&line, "%s%s%s: %s", c->chat != NULL ? c->chat : "",
	    c->chat != NULL ? "\r\n" : "", who, text);
	free(c->chat);
	c->chat = line;
}

/* The list's line for c. */
static char *
cm_conn_line(const struct cm_conn *c)
{
	char *s;

	xasprintf(&s, "Connection %d: %s (%s), %s%s", c->id,
	    *c->name != '\0' ? c->name : c->peer_id, c->peer_id, c->address,
	    c->ended ? ", ended" : !c->authorized ? ", waiting" : "");
	return s;
}

/* Rebuild the list, the chosen line on the connection on show. */
static void
cm_win_fill_list(struct cm_win *w)
{
	HWND lb = GetDlgItem(w->hwnd, CM_ID_LIST);
	struct cm_conn *c;
	wchar_t *ws;
	char *s;
	LRESULT i;

	SendMessageW(lb, LB_RESETCONTENT, 0, 0);
	for (c = w->conns; c != NULL; c = c->next) {
		s = cm_conn_line(c);
		ws = wctl_wide(s);
		i = SendMessageW(lb, LB_ADDSTRING, 0, (LPARAM)ws);
		SendMessageW(lb, LB_SETITEMDATA, (WPARAM)i, (LPARAM)c->id);
		if (c->id == w->shown)
			SendMessageW(lb, LB_SETCURSEL, (WPARAM)i, 0);
		free(ws);
		free(s);
	}
}

/* The state line of c's details. */
static const char *
cm_conn_state(const struct cm_win *w, const struct cm_conn *c)
{
	if (c->ended)
		return "Disconnected.";
	if (!c->authorized && w->opts.password_only)
		return "Wants to connect; only the password lets it in.";
	if (!c->authorized)
		return "Wants to connect to this computer.";
	return "Connected.";
}

/* The voice bar of c (NULL: hidden). */
static void
cm_win_fill_voice(struct cm_win *w, const struct cm_conn *c)
{
	int ring, on, guard;

	ring = c != NULL && !c->ended &&
	    c->voice == IPC__VOICE_CALL_STATE__STATE__INCOMING;
	on = c != NULL && !c->ended &&
	    c->voice == IPC__VOICE_CALL_STATE__STATE__ACTIVE;
	guard = c != NULL && GetTickCount64() < c->voice_guard_until;
	wctl_set(w->hwnd, CM_ID_VOICE_LABEL, ring ? "The peer is calling." :
	    on ? "Voice call running." : "");
	wctl_show(w->hwnd, CM_ID_VOICE_ACCEPT, ring, ring && !guard);
	wctl_show(w->hwnd, CM_ID_VOICE_DISMISS, ring, ring && !guard);
	wctl_show(w->hwnd, CM_ID_VOICE_STOP, on, on);
}

/* Show the chosen connection (none: everything empty and disabled). */
static void
cm_win_fill_page(struct cm_win *w)
{
	struct cm_conn *c = cm_conn_find(w, w->shown);
	int pending, live, p, guard;
	char *s = NULL;

	pending = c != NULL && !c->authorized && !c->ended;
	live = c != NULL && !c->ended;
	guard = c != NULL && GetTickCount64() < c->guard_until;
	if (c != NULL)
		xasprintf(&s, "Name: %s\r\nID: %s\r\nAddress: %s\r\n"
		    "Session: %s%s%s\r\n%s", c->name, c->peer_id, c->address,
		    cm_core_mode_text(c->mode),
		    c->port_forward != NULL && *c->port_forward != '\0' ?
		    " to " : "", c->port_forward != NULL ? c->port_forward :
		    "", cm_conn_state(w, c));
	wctl_set(w->hwnd, CM_ID_DETAILS, s != NULL ? s : "No connection.");
	free(s);
	wctl_set(w->hwnd, CM_ID_WARNING, c != NULL && !c->encrypted ?
	    "Not encrypted: this session can be read on the network." : "");
	wctl_set(w->hwnd, CM_ID_NOTE, c != NULL ? c->note : "");
	wctl_show(w->hwnd, CM_ID_ACCEPT, pending && !w->opts.password_only,
	    pending && !guard);
	wctl_show(w->hwnd, CM_ID_DISMISS, pending, pending && !guard);
	wctl_show(w->hwnd, CM_ID_DISCONNECT, live && !pending,
	    live && !pending);
	cm_win_fill_voice(w, c);
	for (p = 0; p < PERM_MAX; p++) {
		SendDlgItemMessageW(w->hwnd, CM_ID_PERM + p, BM_SETCHECK,
		    c != NULL && c->perms[p] ? BST_CHECKED : BST_UNCHECKED, 0);
		EnableWindow(GetDlgItem(w->hwnd, CM_ID_PERM + p), live &&
		    !w->opts.perm_locked);
	}
	wctl_set(w->hwnd, CM_ID_CHAT, c != NULL ? c->chat : "");
	EnableWindow(GetDlgItem(w->hwnd, CM_ID_ENTRY), live && !pending);
	EnableWindow(GetDlgItem(w->hwnd, CM_ID_SEND), live && !pending);
	wctl_set(w->hwnd, CM_ID_STATUS, w->notice != NULL ? w->notice :
	    w->status);
}

/* Refresh the list and the page. */
static void
cm_win_fill(struct cm_win *w)
{
	if (w->shown != 0 && cm_conn_find(w, w->shown) == NULL)
		w->shown = w->conns != NULL ? w->conns->id : 0;
	cm_win_fill_list(w);
	cm_win_fill_page(w);
}

/* Keep the window above others (while a request waits), never active. */
static void
cm_win_set_above(struct cm_win *w, int on)
{
	SetWindowPos(w->hwnd, on ? HWND_TOPMOST : HWND_NOTOPMOST, 0, 0, 0, 0,
	    SWP_NOMOVE | SWP_NOSIZE | SWP_NOACTIVATE);
}

/* 1 when the local user is at the window: focus, or the pointer on it. */
static int
cm_win_in_use(struct cm_win *w)
{
	POINT pt;
	RECT r;

	if (GetForegroundWindow() == w->hwnd)
		return 1;
	return GetCursorPos(&pt) && GetWindowRect(w->hwnd, &r) &&
	    PtInRect(&r, pt) && !IsIconic(w->hwnd);
}

/* Show and restore without taking focus; urgent flashes the taskbar. */
static void
cm_win_reveal(struct cm_win *w, int urgent)
{
	FLASHWINFO fi;

	ShowWindow(w->hwnd, IsIconic(w->hwnd) || !IsWindowVisible(w->hwnd) ?
	    SW_SHOWNOACTIVATE : SW_SHOWNA);
	if (urgent && GetForegroundWindow() != w->hwnd) {
		memset(&fi, 0, sizeof fi);
		fi.cbSize = sizeof fi;
		fi.hwnd = w->hwnd;
		fi.dwFlags = FLASHW_ALL | FLASHW_TIMERNOFG;
		FlashWindowEx(&fi);
	}
}

/* Minimize without activating anything. */
static void
cm_win_minimize(struct cm_win *w)
{
	ShowWindow(w->hwnd, SW_SHOWMINNOACTIVE);
}

/* Quit after the grace unless a connection shows up (HOST.md §3.3). */
static void
cm_win_schedule_quit(struct cm_win *w)
{
	SetTimer(w->hwnd, T_QUIT, CM_IDLE_QUIT_MS, NULL);
}

/*
 * Bring the window up for c as cm_app.c's cm_present does: a request
 * keeps it above others until answered; a chat or a request flashes; a
 * new authorized session minimizes after CM_MINIMIZE_MS. A chat does not
 * turn away the page the user is at, nor a new session a request's page.
 */
static void
cm_win_present(struct cm_win *w, struct cm_conn *c, enum cm_show why)
{
	struct cm_conn *on = cm_conn_find(w, w->shown);

	if (w->opts.hidden || w->replaying)
		return;
	if (why == CM_SHOW_REQUEST || on == NULL ||
	    (why == CM_SHOW_CHAT && !cm_win_in_use(w)) ||
	    (why == CM_SHOW_SESSION && (on->authorized || on->ended)))
		w->shown = c->id;
	cm_win_fill(w);
	KillTimer(w->hwnd, T_MINIMIZE);
	cm_win_set_above(w, cm_win_any_pending(w));
	cm_win_reveal(w, why != CM_SHOW_SESSION);
	if (why == CM_SHOW_SESSION && !cm_win_any_pending(w))
		SetTimer(w->hwnd, T_MINIMIZE, CM_MINIMIZE_MS, NULL);
}

/* The server replayed its connections: show them, or quit if none. */
static void
cm_win_replayed(struct cm_win *w)
{
	struct cm_conn *c, *pick = NULL;

	w->replaying = 0;
	if (w->opts.hidden)
		ShowWindow(w->hwnd, SW_HIDE);
	for (c = w->conns; c != NULL; c = c->next)
		if (pick == NULL || (!c->authorized && !c->ended))
			pick = c;
	if (pick == NULL && w->notice != NULL && !w->opts.hidden) {
		cm_win_fill(w);
		cm_win_reveal(w, 1);
	} else if (pick == NULL)
		cm_win_schedule_quit(w);
	else
		cm_win_present(w, pick, pick->authorized ? CM_SHOW_SESSION :
		    CM_SHOW_REQUEST);
}

/* Forget a connection; with the last one the window goes, then the CM. */
static void
cm_win_drop(struct cm_win *w, int id)
{
	struct cm_conn **pp, *c;

	for (pp = &w->conns; (c = *pp) != NULL; pp = &c->next)
		if (c->id == id)
			break;
	if (c == NULL)
		return;
	*pp = c->next;
	cm_conn_free(c);
	cm_win_fill(w);
	cm_win_set_above(w, cm_win_any_pending(w));
	if (w->conns == NULL && w->had_conns && w->notice == NULL) {
		KillTimer(w->hwnd, T_MINIMIZE);
		ShowWindow(w->hwnd, SW_HIDE);
		cm_win_schedule_quit(w);
	}
}

/* Copy a Login into c; 1 if it just started to wait for a click. */
static int
cm_conn_set(struct cm_conn *c, const Ipc__Login *m)
{
	int was_pending = c->peer_id != NULL && !c->authorized, p;

	cm_win_dup(&c->peer_id, m->peer_id);
	cm_win_dup(&c->name, m->peer_name);
	cm_win_dup(&c->address, m->address);
	cm_win_dup(&c->port_forward, m->port_forward);
	c->mode = m->mode;
	c->encrypted = m->encrypted;
	c->authorized = m->authorized;
	for (p = 0; p < PERM_MAX; p++)
		c->perms[p] = perm_login_get(m, p);
	if (!c->authorized && !was_pending) {
		/* A click landing in the first moments does nothing. */
		c->guard_until = GetTickCount64() + CM_GUARD_MS;
		return 1;
	}
	return 0;
}

/* A Login: add or update the connection, then show it (cm/cm.h). */
static void
cm_win_login(struct cm_win *w, const Ipc__Login *m)
{
	struct cm_conn *c = cm_conn_find(w, m->conn_id), **pp;
	int fresh = c == NULL, was_pending;

	if (fresh) {
		c = xcalloc(1, sizeof *c);
		c->id = m->conn_id;
		for (pp = &w->conns; *pp != NULL; pp = &(*pp)->next)
			;
		*pp = c;
		w->had_conns = 1;
		KillTimer(w->hwnd, T_QUIT);
	}
	was_pending = !fresh && !c->authorized;
	if (cm_conn_set(c, m))
		SetTimer(w->hwnd, T_GUARD, CM_GUARD_MS + 50, NULL);
	if (!m->authorized) {
		/* The mode may have changed since: ask again. */
		if (!w->replaying && w->ipc != NULL)
			cm_core_ask_options(w->ipc);
		cm_win_present(w, c, CM_SHOW_REQUEST);
	} else if (was_pending && m->conn_id == w->accepted) {
		cm_win_fill(w);
		cm_win_set_above(w, cm_win_any_pending(w));
		if (!cm_win_any_pending(w))
			cm_win_minimize(w);
	} else if (fresh || was_pending)
		cm_win_present(w, c, CM_SHOW_SESSION);
	else
		cm_win_fill(w);
}

/* The server's answer to a click: act unless a peer clicked just before. */
static void
cm_win_click_time(struct cm_win *w, const Ipc__ClickTime *m)
{
	struct cm_action *a;
	struct cm_conn *c;
	int pass, p;

	if ((a = cm_guard_answer(&w->guard, m, cm_win_now(), &pass)) == NULL)
		return;
	c = cm_conn_find(w, a->conn_id);
	if (pass && w->ipc != NULL && cm_core_do(w->ipc, a) == 0) {
		if (a->kind == CM_ACT_ACCEPT)
			w->accepted = a->conn_id;
		if (a->kind == CM_ACT_CHAT && c != NULL)
			cm_conn_chat(c, "You", a->text);
	} else if (!pass) {
		log_warn("cm: ignored a click made while a peer was clicking");
		if (c != NULL && a->kind == CM_ACT_PERMISSION &&
		    (p = perm_find(a->text)) >= 0)
			c->perms[p] = !a->enabled;
		if (c != NULL)
			cm_win_dup(&c->note, "Ignored a click made right after "
			    "the remote peer clicked. Try again.");
	}
	cm_action_free(a);
	cm_win_fill(w);
}

/* The options: Accept, the toggles, hidden by the admin, end of replay. */
static void
cm_win_options(struct cm_win *w, const Ipc__Options *m)
{
	int was_hidden = w->opts.hidden;

	cm_core_options(m, &w->opts);
	cm_win_fill(w);
	if (w->replaying)
		cm_win_replayed(w);
	else if (w->opts.hidden && !was_hidden)
		ShowWindow(w->hwnd, SW_HIDE);
}

/* The server's word about the desk itself ("": nothing any more). */
static void
cm_win_notice(struct cm_win *w, const Ipc__DeskNotice *m)
{
	int was = w->notice != NULL;

	cm_win_dup(&w->notice, *m->text != '\0' ? m->text : NULL);
	cm_win_fill(w);
	if (w->notice != NULL) {
		KillTimer(w->hwnd, T_QUIT);
		if (!was && !w->opts.hidden && !w->replaying)
			cm_win_reveal(w, 1);
	} else if (was && w->conns == NULL)
		cm_win_schedule_quit(w);
}

/* Messages about one connection's page. */
static void
cm_win_recv_conn(struct cm_win *w, const Ipc__Data *d)
{
	struct cm_conn *c;
	int p;

	switch (d->union_case) {
	case IPC__DATA__UNION_DISCONNECTED:
		/* Kept for its unanswered chat, unless nobody can see it. */
		if (w->opts.hidden)
			cm_win_drop(w, d->disconnected->conn_id);
		else if ((c = cm_conn_find(w, d->disconnected->conn_id)) !=
		    NULL)
			c->ended = 1;
		break;
	case IPC__DATA__UNION_SWITCH_PERMISSION:
		c = cm_conn_find(w, d->switch_permission->conn_id);
		p = perm_find(d->switch_permission->name);
		if (c != NULL && p >= 0)
			c->perms[p] = d->switch_permission->enabled;
		break;
	case IPC__DATA__UNION_CHAT:
		if ((c = cm_conn_find(w, d->chat->conn_id)) == NULL)
			break;
		cm_conn_chat(c, d->chat->local ? "You" : "Peer",
		    d->chat->text);
		if (!d->chat->local)
			cm_win_present(w, c, CM_SHOW_CHAT);
		break;
	case IPC__DATA__UNION_CM_ERR:
		if ((c = cm_conn_find(w, d->cm_err->conn_id)) != NULL)
			cm_win_dup(&c->note, d->cm_err->text);
		break;
	case IPC__DATA__UNION_VOICE_CALL_STATE:
		if ((c = cm_conn_find(w, d->voice_call_state->conn_id)) ==
		    NULL)
			break;
		p = (int)d->voice_call_state->state;
		if (p == IPC__VOICE_CALL_STATE__STATE__INCOMING &&
		    c->voice != p) {
			/* Guarded as a request; the window comes up as for
			 * one. */
			c->voice_guard_until = GetTickCount64() + CM_GUARD_MS;
			SetTimer(w->hwnd, T_GUARD, CM_GUARD_MS + 50, NULL);
		}
		c->voice = p;
		if (p == IPC__VOICE_CALL_STATE__STATE__INCOMING)
			cm_win_present(w, c, CM_SHOW_REQUEST);
		else
			cm_win_set_above(w, cm_win_any_pending(w));
		break;
	default:
		/* File logs, privacy mode: no widgets here. */
		return;
	}
	cm_win_fill(w);
}

/* Dispatch one message from the server. */
static void
cm_win_recv(struct ipc_client *ic, const Ipc__Data *d, void *arg)
{
	struct cm_win *w = arg;

	(void)ic;
	switch (d->union_case) {
	case IPC__DATA__UNION_LOGIN:
		cm_win_login(w, d->login);
		break;
	case IPC__DATA__UNION_CLICK_TIME:
		cm_win_click_time(w, d->click_time);
		break;
	case IPC__DATA__UNION_CLOSE:
		cm_win_drop(w, d->close->conn_id);
		break;
	case IPC__DATA__UNION_OPTIONS:
		cm_win_options(w, d->options);
		break;
	case IPC__DATA__UNION_DESK_NOTICE:
		cm_win_notice(w, d->desk_notice);
		break;
	default:
		cm_win_recv_conn(w, d);
		break;
	}
}

/* Hello answered: the server replays its connections, then Options. */
static void
cm_win_ready(struct ipc_client *ic, void *arg)
{
	struct cm_win *w = arg;

	(void)ic;
	cm_win_dup(&w->status, "");
	w->replaying = 1;
	cm_core_ask_options(w->ipc);
}

/* The server went away (or refused us): say so and try again. */
static void
cm_win_lost(struct ipc_client *ic, int r, void *arg)
{
	struct cm_win *w = arg;
	struct cm_conn *c;

	ipc_client_free(ic);
	w->ipc = NULL;
	w->replaying = 0;
	while ((c = w->conns) != NULL) {
		w->conns = c->next;
		cm_conn_free(c);
	}
	cm_guard_clear(&w->guard);
	/* The sessions went with the server: quit unless it comes back. */
	if (w->had_conns || w->notice != NULL)
		cm_win_schedule_quit(w);
	cm_win_dup(&w->notice, NULL);
	cm_win_dup(&w->status, r == ERR_STATE ?
	    "The cdesk server is a different version. Retrying..." :
	    "The cdesk server is not running. Reconnecting...");
	cm_win_fill(w);
	SetTimer(w->hwnd, T_RETRY, 1000, NULL);
}

static const struct ipc_client_cb cm_win_ipc_cb = {
	.ready = cm_win_ready,
	.recv = cm_win_recv,
	.lost = cm_win_lost,
};

/* Connect to the server, or retry in a second. */
static void
cm_win_connect(struct cm_win *w)
{
	KillTimer(w->hwnd, T_RETRY);
	if (ipc_client_new(&w->ipc, w->dir, "cm", &cm_win_ipc_cb, w) == 0)
		return;
	w->ipc = NULL;
	cm_win_dup(&w->status,
	    "The cdesk server is not running. Reconnecting...");
	cm_win_fill(w);
	/* Started by hand before the server: say so. */
	if (!w->had_conns && !w->opts.hidden)
		cm_win_reveal(w, 0);
	SetTimer(w->hwnd, T_RETRY, 1000, NULL);
}

/* An action on the connection on show, through the guard. */
static void
cm_win_act(struct cm_win *w, enum cm_kind kind, const char *text,
    int enabled)
{
	if (w->ipc == NULL || w->shown == 0)
		return;
	cm_guard_ask(&w->guard, w->ipc, kind, w->shown, text, enabled,
	    cm_win_now());
}

/* Send what the message box holds. */
static void
cm_win_send_chat(struct cm_win *w)
{
	char *text = wctl_get(w->hwnd, CM_ID_ENTRY);

	if (*text != '\0') {
		cm_win_act(w, CM_ACT_CHAT, text, 0);
		SetDlgItemTextW(w->hwnd, CM_ID_ENTRY, L"");
	}
	free(text);
}

/* A permission check box flipped (BS_AUTOCHECKBOX already flipped it). */
static void
cm_win_perm(struct cm_win *w, int p)
{
	struct cm_conn *c = cm_conn_find(w, w->shown);
	int on = SendDlgItemMessageW(w->hwnd, CM_ID_PERM + p, BM_GETCHECK, 0,
	    0) == BST_CHECKED;

	if (c == NULL)
		return;
	c->perms[p] = on;
	cm_win_act(w, CM_ACT_PERMISSION, perm_get(p)->name, on);
}

/* WM_COMMAND from a control. */
static void
cm_win_command(struct cm_win *w, int id, int code)
{
	LRESULT i;

	if (id == CM_ID_LIST && code == LBN_SELCHANGE) {
		i = SendDlgItemMessageW(w->hwnd, CM_ID_LIST, LB_GETCURSEL, 0,
		    0);
		if (i != LB_ERR)
			w->shown = (int)SendDlgItemMessageW(w->hwnd,
			    CM_ID_LIST, LB_GETITEMDATA, (WPARAM)i, 0);
		cm_win_fill_page(w);
	} else if (code != BN_CLICKED)
		return;
	else if (id == CM_ID_ACCEPT)
		cm_win_act(w, CM_ACT_ACCEPT, NULL, 0);
	else if (id == CM_ID_DISMISS)
		cm_win_act(w, CM_ACT_DISMISS, NULL, 0);
	else if (id == CM_ID_DISCONNECT)
		cm_win_act(w, CM_ACT_DISCONNECT, NULL, 0);
	else if (id == CM_ID_VOICE_ACCEPT || id == CM_ID_VOICE_DISMISS)
		cm_win_act(w, CM_ACT_VOICE_ANSWER, NULL,
		    id == CM_ID_VOICE_ACCEPT);
	else if (id == CM_ID_VOICE_STOP)
		cm_win_act(w, CM_ACT_VOICE_HANG_UP, NULL, 0);
	else if (id == CM_ID_SEND || (id == IDOK && GetFocus() ==
	    GetDlgItem(w->hwnd, CM_ID_ENTRY)))
		cm_win_send_chat(w);	/* Send, or Enter in the message */
	else if (id == IDCANCEL)
		cm_win_minimize(w);	/* Escape, as the GTK window */
	else if (id >= CM_ID_PERM && id < CM_ID_PERM + PERM_MAX)
		cm_win_perm(w, id - CM_ID_PERM);
}

/* One control of the window (wctl_add in its font). */
static void
cm_win_add(struct cm_win *w, const wchar_t *cls, const wchar_t *text,
    DWORD style, int id, int x, int y, int cx, int cy)
{
	wctl_add(w->hwnd, w->font, cls, text, style, id, x, y, cx, cy);
}

/* Every control; each label comes right before the control it names. */
static void
cm_win_controls(struct cm_win *w)
{
	wchar_t *ws;
	int p;

	w->font = (HFONT)GetStockObject(DEFAULT_GUI_FONT);
	cm_win_add(w, L"STATIC", L"Connections", 0, CM_ID_LIST_LABEL, 8, 8,
	    300, 16);
	cm_win_add(w, L"LISTBOX", L"", LBS_NOTIFY | WS_VSCROLL | WS_TABSTOP,
	    CM_ID_LIST, 8, 26, 584, 80);
	cm_win_add(w, L"STATIC", L"", 0, CM_ID_STATUS, 8, 110, 584, 16);
	cm_win_add(w, L"STATIC", L"", 0, CM_ID_DETAILS, 8, 130, 584, 80);
	cm_win_add(w, L"STATIC", L"", 0, CM_ID_WARNING, 8, 212, 346, 16);
	cm_win_add(w, L"STATIC", L"", 0, CM_ID_NOTE, 8, 230, 584, 16);
	cm_win_add(w, L"BUTTON", L"Accept", BS_PUSHBUTTON | WS_TABSTOP,
	    CM_ID_ACCEPT, 8, 250, 110, 26);
	cm_win_add(w, L"BUTTON", L"Dismiss", BS_PUSHBUTTON | WS_TABSTOP,
	    CM_ID_DISMISS, 126, 250, 110, 26);
	cm_win_add(w, L"BUTTON", L"Disconnect", BS_PUSHBUTTON | WS_TABSTOP,
	    CM_ID_DISCONNECT, 244, 250, 110, 26);
	cm_win_add(w, L"STATIC", L"", 0, CM_ID_VOICE_LABEL, 362, 212, 230,
	    16);
	cm_win_add(w, L"BUTTON", L"Accept voice call", BS_PUSHBUTTON |
	    WS_TABSTOP, CM_ID_VOICE_ACCEPT, 362, 250, 114, 26);
	cm_win_add(w, L"BUTTON", L"Dismiss voice call", BS_PUSHBUTTON |
	    WS_TABSTOP, CM_ID_VOICE_DISMISS, 478, 250, 114, 26);
	cm_win_add(w, L"BUTTON", L"Stop voice call", BS_PUSHBUTTON |
	    WS_TABSTOP, CM_ID_VOICE_STOP, 362, 250, 114, 26);
	for (p = 0; p < PERM_MAX; p++) {
		ws = wctl_wide(perm_get(p)->a11y);
		cm_win_add(w, L"BUTTON", ws, BS_AUTOCHECKBOX | WS_TABSTOP,
		    CM_ID_PERM + p, 8 + (p % 4) * 148, 286 + (p / 4) * 24,
		    144, 22);
		free(ws);
	}
	cm_win_add(w, L"STATIC", L"Chat history", 0, CM_ID_CHAT_LABEL, 8,
	    340, 300, 16);
	cm_win_add(w, L"EDIT", L"", ES_MULTILINE | ES_READONLY |
	    ES_AUTOVSCROLL | WS_VSCROLL, CM_ID_CHAT, 8, 358, 584, 120);
	cm_win_add(w, L"STATIC", L"Message", 0, CM_ID_ENTRY_LABEL, 8, 486,
	    60, 16);
	cm_win_add(w, L"EDIT", L"", ES_AUTOHSCROLL | WS_TABSTOP,
	    CM_ID_ENTRY, 70, 482, 400, 24);
	cm_win_add(w, L"BUTTON", L"Send", BS_DEFPUSHBUTTON | WS_TABSTOP,
	    CM_ID_SEND, 482, 481, 110, 26);
}

/*
 * Closing while sessions run or wait asks: Yes ends every session and
 * closes, No minimizes (the default). Otherwise the window just goes.
 */
static void
cm_win_close(struct cm_win *w)
{
	struct cm_conn *c;

	if (cm_win_live(w) == 0) {
		DestroyWindow(w->hwnd);
		return;
	}
	if (MessageBoxW(w->hwnd, L"Disconnect every session and close?\n"
	    L"No minimizes the window.", L"cdesk", MB_YESNO | MB_ICONQUESTION |
	    MB_DEFBUTTON2) != IDYES) {
		cm_win_minimize(w);
		return;
	}
	for (c = w->conns; c != NULL && w->ipc != NULL; c = c->next)
		if (!c->ended)
			cm_core_close(w->ipc, c->id);
	DestroyWindow(w->hwnd);
}

/* WM_TIMER. */
static void
cm_win_timer(struct cm_win *w, UINT_PTR t)
{
	KillTimer(w->hwnd, t);
	if (t == T_RETRY)
		cm_win_connect(w);
	else if (t == T_QUIT)
		DestroyWindow(w->hwnd);
	else if (t == T_MINIMIZE && !cm_win_any_pending(w) &&
	    !cm_win_in_use(w))
		cm_win_minimize(w);
	else if (t == T_GUARD)
		cm_win_fill_page(w);
}

/* The window's messages. */
static LRESULT CALLBACK
cm_win_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
	struct cm_win *w = (struct cm_win *)GetWindowLongPtrW(hwnd,
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
		cm_win_controls(w);
		return 0;
	case WM_COMMAND:
		cm_win_command(w, LOWORD(wp), HIWORD(wp));
		return 0;
	case WM_TIMER:
		cm_win_timer(w, wp);
		return 0;
	case WM_CLOSE:
		cm_win_close(w);
		return 0;
	case WM_DESTROY:
		PostQuitMessage(0);
		return 0;
	default:
		return DefWindowProcW(hwnd, msg, wp, lp);
	}
}

/* Make the window, hidden: shown only by cm_win_reveal, never activated. */
static int
cm_win_create(struct cm_win *w)
{
	wctl_window(CM_WIN_CLASS, cm_win_proc, L"cdesk connection manager",
	    CM_W, CM_H, w);
	return w->hwnd != NULL ? 0 : ERR_IO;
}

/* Run the connection manager (cm/cm.h). */
int
cm_main(int argc, char **argv, const struct cfg_paths *paths)
{
	struct cm_win w;
	struct cm_conn *c;
	WSADATA wsa;
	MSG msg;

	(void)argc;
	(void)argv;
	memset(&w, 0, sizeof w);
	w.dir = ipc_find_dir(paths != NULL ? paths->run_dir : NULL);
	if (w.dir == NULL) {
		fprintf(stderr, "cdesk --cm: no IPC folder known\n");
		return 1;
	}
	WSAStartup(MAKEWORD(2, 2), &wsa);
	cm_guard_init(&w.guard);
	w.status = xstrdup("");
	if (cm_win_create(&w) != 0) {
		fprintf(stderr, "cdesk --cm: cannot make the window (error "
		    "%lu)\n", GetLastError());
		free(w.status);
		return 1;
	}
	cm_win_connect(&w);
	while (GetMessageW(&msg, NULL, 0, 0) > 0) {
		if (IsDialogMessageW(w.hwnd, &msg))
			continue;
		TranslateMessage(&msg);
		DispatchMessageW(&msg);
	}
	ipc_client_free(w.ipc);
	cm_guard_clear(&w.guard);
	while ((c = w.conns) != NULL) {
		w.conns = c->next;
		cm_conn_free(c);
	}
	free(w.status);
	free(w.notice);
	return 0;
}
