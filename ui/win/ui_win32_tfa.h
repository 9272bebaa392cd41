/*
 * ui_win32_tfa.h: the Windows main window's two-factor section (as
 * ui/ui_tfa.c on GTK, without the QR code: the otpauth:// URI and the
 * secret are shown as text to copy or type into an authenticator app):
 * whether 2FA is on, Set up, the code that enables it, Turn off, and the
 * trusted devices with Remove and Remove all. Its controls live in the
 * main window (ids in ui_win32.h); the window hands it their commands.
 */
#ifndef CDESK_UI_WIN32_TFA_H
#define CDESK_UI_WIN32_TFA_H

#include <windows.h>

#include "ui/ui_core.h"

struct ui_wtfa;

/* Makes the section's controls in parent from y down, in font. */
struct ui_wtfa	*ui_wtfa_new(HWND parent, HFONT font, int y);
void		 ui_wtfa_free(struct ui_wtfa *);
/* Shows the server's TwoFaState (a drawn secret shows its rows). */
void		 ui_wtfa_state(struct ui_wtfa *, const Ipc__TwoFaState *);
/* Enabling or disabling answered: ok hides the secret, else text shows. */
void		 ui_wtfa_done(struct ui_wtfa *, int ok, const char *text);
/* A WM_COMMAND for control id; returns 1 if it was the section's. */
int		 ui_wtfa_command(struct ui_wtfa *, struct ui_core *, int id,
		    int code);

#endif
