/*
 * cm_drive.c: drives the Windows CM (cm/win/cm_win32.c), or with the
 * argument "ui" the main window (ui/win/ui_win32.c), the way a person or
 * a screen reader would, from another process, by control id (for
 * tests/integration/win_cm.sh and win_ui.sh under wine). Reads
 * "N VERB ARGS" lines on stdin and answers each with "N OK ..." or
 * "N FAIL ..." on stdout:
 *   window            wait for the window
 *   text ID WORDS     wait until control ID's text (a list: any line)
 *                     holds WORDS
 *   enabled ID        wait until control ID is enabled
 *   click ID          wait until enabled, then BM_CLICK it
 *   set ID WORDS      WM_SETTEXT
 *   checked ID 0|1    wait until check box ID is (un)checked
 *   disabled ID       wait until control ID is disabled
 *   select ID I       choose line I of (drop-down) list ID (as a click
 *                     would: the window is told CBN_/LBN_SELCHANGE)
 *   get ID            "N OK get TEXT": control ID's text now
 *   clipboard         "N OK clipboard TEXT": the clipboard's text
 *   names             every control as "id class 'text'" lines, then OK
 *   focus             whether the window is the foreground window
 *   cursor X Y        wait until the pointer is at X, Y (a peer moved it)
 *   close             WM_CLOSE to the window (its close button)
 *   gone              wait until the window is gone
 * Every wait gives up after 60 s (wine on a loaded machine is slow).
 */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm/win/cm_win32.h"
#include "ui/win/ui_win32.h"

#define WAIT_MS		60000
#define STEP_MS		50

static HWND		cm;
static const wchar_t	*cls = CM_WIN_CLASS;

/* The window, looked up again if it went. */
static HWND
cm_find(void)
{
	if (cm == NULL || !IsWindow(cm))
		cm = FindWindowW(cls, NULL);
	return cm;
}

/* Control id's text (a list box: its lines joined by " | ") in UTF-8. */
static void
ctl_text(HWND h, char *out, size_t len)
{
	wchar_t cls[32], buf[2048];
	LRESULT n, i;
	size_t off = 0;

	out[0] = '\0';
	GetClassNameW(h, cls, 32);
	if (_wcsicmp(cls, L"ListBox") != 0) {
		SendMessageW(h, WM_GETTEXT, 2048, (LPARAM)buf);
		WideCharToMultiByte(CP_UTF8, 0, buf, -1, out, (int)len, NULL,
		    NULL);
		return;
	}
	n = SendMessageW(h, LB_GETCOUNT, 0, 0);
	for (i = 0; i < n && off + 8 < len; i++) {
		if (SendMessageW(h, LB_GETTEXTLEN, (WPARAM)i, 0) >= 2048)
			continue;
		SendMessageW(h, LB_GETTEXT, (WPARAM)i, (LPARAM)buf);
		if (i > 0)
			off += (size_t)snprintf(out + off, len - off, " | ");
		off += (size_t)WideCharToMultiByte(CP_UTF8, 0, buf, -1,
		    out + off, (int)(len - off), NULL, NULL) - 1;
	}
}

/* Wait until test(h, arg) holds for control id; 1 if it did. */
static int
wait_ctl(int id, int (*test)(HWND, const char *), const char *arg,
    HWND *hp)
{
	DWORD t0 = GetTickCount();
	HWND h;

	do {
		if (cm_find() != NULL && (h = GetDlgItem(cm, id)) != NULL &&
		    test(h, arg)) {
			*hp = h;
			return 1;
		}
		Sleep(STEP_MS);
	} while (GetTickCount() - t0 < WAIT_MS);
	return 0;
}

static int
has_text(HWND h, const char *want)
{
	char buf[8192];

	ctl_text(h, buf, sizeof buf);
	return strstr(buf, want) != NULL;
}

static int
is_enabled(HWND h, const char *arg)
{
	(void)arg;
	return IsWindowEnabled(h) && IsWindowVisible(h);
}

static int
is_disabled(HWND h, const char *arg)
{
	(void)arg;
	return !IsWindowEnabled(h);
}

static int
is_checked(HWND h, const char *want)
{
	return (SendMessageW(h, BM_GETCHECK, 0, 0) == BST_CHECKED) ==
	    (atoi(want) != 0);
}

/* Wait until the pointer is at x, y; 1 if it came there. */
static int
wait_cursor(int x, int y)
{
	DWORD t0 = GetTickCount();
	POINT pt;

	do {
		if (GetCursorPos(&pt) && pt.x == x && pt.y == y)
			return 1;
		Sleep(STEP_MS);
	} while (GetTickCount() - t0 < WAIT_MS);
	return 0;
}

/* Print the clipboard's text as N's answer. */
static int
clip_text(const char *n)
{
	char out[2048];
	HANDLE h;
	const wchar_t *p;

	if (!OpenClipboard(NULL))
		return 0;
	out[0] = '\0';
	if ((h = GetClipboardData(CF_UNICODETEXT)) != NULL &&
	    (p = GlobalLock(h)) != NULL) {
		WideCharToMultiByte(CP_UTF8, 0, p, -1, out, sizeof out, NULL,
		    NULL);
		GlobalUnlock(h);
	}
	CloseClipboard();
	printf("%s OK clipboard %s\n", n, out);
	return 1;
}

/* Choose line i of drop-down list or list h, telling its parent as a
 * click does (CB_SETCURSEL and LB_SETCURSEL alone notify nobody). */
static int
select_line(HWND h, int i)
{
	wchar_t c[32];
	int lb;

	GetClassNameW(h, c, 32);
	lb = _wcsicmp(c, L"ListBox") == 0;
	if (SendMessageW(h, lb ? LB_SETCURSEL : CB_SETCURSEL, (WPARAM)i,
	    0) != i)
		return 0;
	SendMessageW(GetParent(h), WM_COMMAND, MAKEWPARAM(GetDlgCtrlID(h),
	    lb ? LBN_SELCHANGE : CBN_SELCHANGE), (LPARAM)h);
	return 1;
}

/* Every control of the window with its class and text. */
static BOOL CALLBACK
names_cb(HWND h, LPARAM lp)
{
	char text[8192], cls[64];
	const char *n = (const char *)lp;

	GetClassNameA(h, cls, sizeof cls);
	ctl_text(h, text, sizeof text);
	printf("%s CTL %d %s '%s'\n", n, GetDlgCtrlID(h), cls, text);
	return TRUE;
}

/* Run one command; prints its answer. */
static void
run(const char *n, char *verb, char *rest)
{
	char *words = rest != NULL ? strchr(rest, ' ') : NULL, buf[8192];
	int id = rest != NULL ? atoi(rest) : 0, ok = 0;
	DWORD t0 = GetTickCount();
	wchar_t wbuf[2048];
	HWND h = NULL;

	if (words != NULL)
		words++;
	if (strcmp(verb, "window") == 0) {
		while (cm_find() == NULL && GetTickCount() - t0 < WAIT_MS)
			Sleep(STEP_MS);
		ok = cm != NULL;
	} else if (strcmp(verb, "gone") == 0) {
		while (cm_find() != NULL && GetTickCount() - t0 < WAIT_MS)
			Sleep(STEP_MS);
		ok = cm == NULL;
	} else if (strcmp(verb, "text") == 0 && words != NULL)
		ok = wait_ctl(id, has_text, words, &h);
	else if (strcmp(verb, "enabled") == 0)
		ok = wait_ctl(id, is_enabled, NULL, &h);
	else if (strcmp(verb, "disabled") == 0)
		ok = wait_ctl(id, is_disabled, NULL, &h);
	else if (strcmp(verb, "select") == 0 && words != NULL) {
		if ((ok = wait_ctl(id, is_enabled, NULL, &h)))
			ok = select_line(h, atoi(words));
	} else if (strcmp(verb, "get") == 0 && cm_find() != NULL &&
	    (h = GetDlgItem(cm, id)) != NULL) {
		ctl_text(h, buf, sizeof buf);
		printf("%s OK get %s\n", n, buf);
		return;
	} else if (strcmp(verb, "clipboard") == 0 && clip_text(n))
		return;
	else if (strcmp(verb, "close") == 0 && cm_find() != NULL)
		ok = PostMessageW(cm, WM_CLOSE, 0, 0);
	else if (strcmp(verb, "checked") == 0 && words != NULL)
		ok = wait_ctl(id, is_checked, words, &h);
	else if (strcmp(verb, "click") == 0) {
		if ((ok = wait_ctl(id, is_enabled, NULL, &h)))
			SendMessageW(h, BM_CLICK, 0, 0);
	} else if (strcmp(verb, "set") == 0 && words != NULL &&
	    cm_find() != NULL && (h = GetDlgItem(cm, id)) != NULL) {
		MultiByteToWideChar(CP_UTF8, 0, words, -1, wbuf, 2048);
		ok = SendMessageW(h, WM_SETTEXT, 0, (LPARAM)wbuf) != 0;
	} else if (strcmp(verb, "names") == 0 && cm_find() != NULL) {
		EnumChildWindows(cm, names_cb, (LPARAM)n);
		ok = 1;
	} else if (strcmp(verb, "cursor") == 0 && words != NULL) {
		ok = wait_cursor(id, atoi(words));
	} else if (strcmp(verb, "focus") == 0 && cm_find() != NULL) {
		printf("%s OK focus %d\n", n, GetForegroundWindow() == cm);
		return;
	}
	if (ok) {
		printf("%s OK %s\n", n, verb);
		return;
	}
	buf[0] = '\0';
	if (cm_find() != NULL && (h = GetDlgItem(cm, id)) != NULL)
		ctl_text(h, buf, sizeof buf);
	printf("%s FAIL %s %s (control text '%s')\n", n, verb,
	    rest != NULL ? rest : "", buf);
}

int
main(int argc, char **argv)
{
	char line[4096], *n, *verb, *rest, *save;

	if (argc > 1 && strcmp(argv[1], "ui") == 0)
		cls = UI_WIN_CLASS;
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("READY\n");
	while (fgets(line, sizeof line, stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((n = strtok_r(line, " ", &save)) == NULL ||
		    (verb = strtok_r(NULL, " ", &save)) == NULL)
			continue;
		if (strcmp(verb, "quit") == 0)
			break;
		rest = strtok_r(NULL, "", &save);
		run(n, verb, rest);
	}
	return 0;
}
