/*
 * wctl.h: the Win32 control helpers both native windows share (the CM,
 * cm/win/cm_win32.c, and the main window, ui/win/ui_win32.c): UTF-8 text
 * in and out of controls found by id, and making a control in the look
 * both use. Every string returned is new (free()).
 */
#ifndef CDESK_WCTL_H
#define CDESK_WCTL_H

#include <windows.h>

/* UTF-8 to a new wide string, and back. */
wchar_t	*wctl_wide(const char *s);
char	*wctl_utf8(const wchar_t *ws);
/* Control id of dlg: set its text from UTF-8 (NULL: ""), or read it. */
void	 wctl_set(HWND dlg, int id, const char *s);
char	*wctl_get(HWND dlg, int id);
/* Show or hide (never activating), enable or disable control id. */
void	 wctl_show(HWND dlg, int id, int visible, int enabled);
/* A visible child control of parent at x, y (cx by cy) in font; edit
 * boxes and lists get the sunken edge. Returns it (NULL on failure). */
HWND	 wctl_add(HWND parent, HFONT font, const wchar_t *cls,
	    const wchar_t *text, DWORD style, int id, int x, int y, int cx,
	    int cy);
/* Register class cls (proc, the dialog colour) and make a top-level
 * window with a client area of cx by cy, not shown; arg reaches proc's
 * WM_NCCREATE. Returns the window, or NULL. */
HWND	 wctl_window(const wchar_t *cls, WNDPROC proc, const wchar_t *title,
	    int cx, int cy, void *arg);

#endif
