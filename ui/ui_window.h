/*
 * ui_window.h: the main window's widgets. It shows what it is told and
 * emits signals for what the user changes; it never sees the IPC.
 *   "option-set"       (const char *key, const char *value)
 *   "refresh-password" ()
 *   "set-password"     (const char *password)
 */
#ifndef CDESK_UI_WINDOW_H
#define CDESK_UI_WINDOW_H

#include <gtk/gtk.h>

#include "ui/ui_tfa.h"

G_BEGIN_DECLS

#define UI_TYPE_WINDOW (ui_window_get_type())
G_DECLARE_FINAL_TYPE(UiWindow, ui_window, UI, WINDOW, GtkApplicationWindow)

UiWindow	*ui_window_new(GtkApplication *);
/* Shows the server's status: the ID, the one-time password and the
 * service line (ui_core_status_text). Strings borrowed. */
void		 ui_window_set_status(UiWindow *, const char *id,
		    const char *temp_password, const char *state);
/*
 * Shows an option's value without emitting "option-set". locked_by names
 * the admin's file that sets it (borrowed; NULL or "": not locked): the
 * control is then read-only, with a note saying where it is set.
 */
void		 ui_window_set_option(UiWindow *, const char *key,
		    const char *value, const char *locked_by);
/* The server is unreachable: say so and make the controls insensitive. */
void		 ui_window_set_offline(UiWindow *, const char *why);
/* Shows the outcome of the last change (NULL: clear). */
void		 ui_window_set_message(UiWindow *, const char *text);
/* The two-factor section, whose signals the application connects. */
UiTfa		*ui_window_tfa(UiWindow *);

G_END_DECLS

#endif
