/*
 * ui_tfa.h: the main window's two-factor section (HOST.md §4.6): whether
 * 2FA is on, "Set up" to draw a secret shown as a QR code (libqrencode)
 * and as text, a code entry whose right code enables it, "Turn off", and
 * the trusted devices (upstream's trusted devices dialog: ID, name,
 * platform, since when) with a Remove button each and "Remove all".
 * It never sees the IPC; it emits
 *   "tfa-setup"   ()
 *   "tfa-enable"  (const char *code)   only with six digits typed
 *   "tfa-disable" ()
 *   "tfa-untrust" (const char *key)    a device's key; "" for all
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
/* One trusted device as the section shows it (strings borrowed). */
struct ui_tfa_device {
	const char	*key;		/* given back by "tfa-untrust" */
	const char	*id;
	const char	*name;
	const char	*platform;
	gint64		 time_ms;	/* trusted at, Unix ms */
};
/* Replaces the list of trusted devices (hidden when n is 0). */
void	 ui_tfa_set_devices(UiTfa *, const struct ui_tfa_device *d,
	    size_t n);
/* Shows a drawn secret (borrowed): its QR code, the text, the code box. */
void	 ui_tfa_show_secret(UiTfa *, const char *uri, const char *secret);
/*
 * The outcome of enabling: ok hides the secret, else text (borrowed) is
 * shown under the code box, which stays for another try.
 */
void	 ui_tfa_enable_done(UiTfa *, gboolean ok, const char *text);

G_END_DECLS

#endif
