/*
 * wctl.c: Win32 control helpers (wctl.h). Text crosses as UTF-8 because
 * everything behind the windows (the IPC, the options) is UTF-8.
 */
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "gui/win/wctl.h"

/* UTF-8 to a new wide string. */
wchar_t *
wctl_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
	wchar_t *w = xcalloc(n > 0 ? (size_t)n : 1, sizeof *w);

	if (n > 0)
		MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
	return w;
}

/* A wide string to new UTF-8. */
char *
wctl_utf8(const wchar_t *ws)
{
	int m = WideCharToMultiByte(CP_UTF8, 0, ws, -1, NULL, 0, NULL, NULL);
	char *s = xcalloc(m > 0 ? (size_t)m : 1, 1);

	if (m > 0)
		WideCharToMultiByte(CP_UTF8, 0, ws, -1, s, m, NULL, NULL);
	return s;
}

/* Set control id's text from UTF-8. */
void
wctl_set(HWND dlg, int id, const char *s)
{
	wchar_t *ws = wctl_wide(s != NULL ? s : "");

	SetDlgItemTextW(dlg, id, ws);
	free(ws);
}

/* Control id's text as new UTF-8. */
char *
wctl_get(HWND dlg, int id)
{
	HWND h = GetDlgItem(dlg, id);
	int n = GetWindowTextLengthW(h) + 1;
	wchar_t *ws = xcalloc((size_t)n, sizeof *ws);
	char *s;

	GetWindowTextW(h, ws, n);
	s = wctl_utf8(ws);
	free(ws);
	return s;
}

/* Show or hide, enable or disable control id. */
void
wctl_show(HWND dlg, int id, int visible, int enabled)
{
	HWND h = GetDlgItem(dlg, id);

	ShowWindow(h, visible ? SW_SHOWNA : SW_HIDE);
	EnableWindow(h, enabled);
}

/* One control at x, y (cx by cy) with text. */
HWND
wctl_add(HWND parent, HFONT font, const wchar_t *cls, const wchar_t *text,
    DWORD style, int id, int x, int y, int cx, int cy)
{
	HWND h = CreateWindowExW(cls[0] == L'E' || cls[0] == L'L' ?
	    WS_EX_CLIENTEDGE : 0, cls, text, WS_CHILD | WS_VISIBLE | style,
	    x, y, cx, cy, parent, (HMENU)(INT_PTR)id,
	    GetModuleHandleW(NULL), NULL);

	if (h != NULL)
		SendMessageW(h, WM_SETFONT, (WPARAM)font, FALSE);
	return h;
}

HWND
wctl_window(const wchar_t *cls, WNDPROC proc, const wchar_t *title, int cx,
    int cy, void *arg)
{
	WNDCLASSW wc;
	RECT r = { 0, 0, cx, cy };
	DWORD style = WS_OVERLAPPED | WS_CAPTION | WS_SYSMENU |
	    WS_MINIMIZEBOX;

	memset(&wc, 0, sizeof wc);
	wc.lpfnWndProc = proc;
	wc.hInstance = GetModuleHandleW(NULL);
	wc.hCursor = LoadCursorW(NULL, (LPCWSTR)IDC_ARROW);
	wc.hbrBackground = (HBRUSH)(COLOR_BTNFACE + 1);
	wc.lpszClassName = cls;
	if (RegisterClassW(&wc) == 0)
		return NULL;
	AdjustWindowRect(&r, style, FALSE);
	return CreateWindowExW(0, cls, title, style, CW_USEDEFAULT,
	    CW_USEDEFAULT, r.right - r.left, r.bottom - r.top, NULL, NULL,
	    wc.hInstance, arg);
}
