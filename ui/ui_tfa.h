/*
 * ui_tfa.h: the main window's two-factor section (HOST.md §4.6): whether
 * 2FA is on, "Set up" to draw a secret shown as a QR code (libqrencode)
 * and as text, a code entry whose right code enables it, and "Turn off".
 * It never sees the IPC; it emits
 *   "tfa-setup"   ()
 *   "tfa-enable"  (const char *code)   only with six digits typed
 *   "tfa-disable" ()
 */
#ifndef CDESK_UI_TFA_H
#define CDESK_UI_TFA_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define UI_TYPE_TFA (ui_tfa_get_type())
G_DECLARE_FINAL_TYPE(UiTfa, ui_tfa, UI, TFA, GtkBox)

UiTfa	*ui_tfa_new(void);
/* Shows whether 2FA is on and how many devices are trusted. */
void	 ui_tfa_set_state(UiTfa *, gboolean enabled, unsigned trusted);
/* Shows a drawn secret (borrowed): its QR code, the text, the code box. */
void	 ui_tfa_show_secret(UiTfa *, const char *uri, const char *secret);
/*
 * The outcome of enabling: ok hides the secret, else text (borrowed) is
 * shown under the code box, which stays for another try.
 */
void	 ui_tfa_enable_done(UiTfa *, gboolean ok, const char *text);

G_END_DECLS

#endif
