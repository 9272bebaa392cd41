/*
 * ui_core.h: the main window's logic that no toolkit owns, shared by its
 * two front ends (ui_app.c with ui_window.c on GTK, ui/win/ui_win32.c on
 * Win32), as cm/cm_core.c is for the CM: the IPC link to the server with
 * role "ui", what each user action sends, how the server's answers reach
 * the window (through a table of callbacks), and the texts and option
 * values both windows show alike.
 */
#ifndef CDESK_UI_CORE_H
#define CDESK_UI_CORE_H

#include "ipc/ipc_client.h"

struct ui_core;

/* What the window is told; arg is ui_core_new's. Strings borrowed. */
struct ui_core_view {
	/* The server's status (from the once-a-second poll). */
	void	(*status)(void *arg, const Ipc__Status *st);
	/* One option's value; locked_by names the admin's file or is "". */
	void	(*option)(void *arg, const char *key, const char *value,
		    const char *locked_by);
	/* The outcome of the last change (NULL: clear). */
	void	(*message)(void *arg, const char *text);
	/* The server is unreachable, and why. */
	void	(*offline)(void *arg, const char *why);
	/* The 2FA state, and the outcome of enabling or disabling it: NULL
	 * in a window without the two-factor section. */
	void	(*tfa_state)(void *arg, const Ipc__TwoFaState *st);
	void	(*tfa_done)(void *arg, int ok, const char *text);
};

/* The options the window shows, in its order (ui_core_keys[UI_K_*]). */
enum { UI_K_APPROVE, UI_K_VERIFY, UI_K_DIRECT, UI_K_PORT, UI_K_RDV,
    UI_K_KEY, UI_K_N };
extern const char *const ui_core_keys[UI_K_N];

/*
 * A core for the server listening in dir (copied); view and arg are
 * borrowed and must outlive it. It connects at once (a failure goes to
 * view->offline) and again from ui_core_poll. Returns 0 with *out set.
 */
int	ui_core_new(struct ui_core **out, const char *dir,
	    const struct ui_core_view *view, void *arg);
/* Disconnects and frees. NULL does nothing. */
void	ui_core_free(struct ui_core *);
/* Once a second, as the window's timer fires: status, or reconnect; the
 * 2FA state every UI_CORE_TFA_EVERY calls. */
#define UI_CORE_TFA_EVERY	5
void	ui_core_poll(struct ui_core *);
/* Actions: set an option (value "" unsets), a new one-time password, the
 * permanent password; nothing is sent while the server is away. */
void	ui_core_option(struct ui_core *, const char *key,
	    const char *value);
void	ui_core_refresh(struct ui_core *);
void	ui_core_password(struct ui_core *, const char *password);
/* Two-factor: ask for the state again (devices a peer has trusted since
 * show up; nothing else announces them), draw a secret, enable with a
 * code, disable, forget one trusted device by key ("" for all). */
void	ui_core_tfa_get(struct ui_core *);
void	ui_core_tfa_setup(struct ui_core *);
void	ui_core_tfa_enable(struct ui_core *, const char *code);
void	ui_core_tfa_disable(struct ui_core *);
void	ui_core_tfa_untrust(struct ui_core *, const char *key);

/*
 * The choices of approve-mode (UI_K_APPROVE) and verification-method
 * (UI_K_VERIFY), the default first: the stored value ("" for the
 * default, stored as unset as upstream does), the window's label.
 */
#define UI_CHOICES	3
struct ui_choice {
	const char	*id;		/* the GTK combo's id */
	const char	*value;		/* what is stored */
	const char	*label;
};
const struct ui_choice	*ui_core_choices(int k);
/* The index of the choice value stands for (unknown: the default). */
int	ui_core_choice(int k, const char *value);

/* The service line for st (new string, free()). */
char	*ui_core_status_text(const Ipc__Status *st);
/* The note under locked settings, for the admin's file (new string). */
char	*ui_core_locked_note(const char *file);
/* A locked control's tooltip (new string). */
char	*ui_core_locked_tip(const char *file);
/* The two-factor state line (new string). */
char	*ui_core_tfa_text(int enabled, unsigned trusted);
/* A trusted device's line: ID, name, platform, since when in local time
 * (new string). */
char	*ui_core_device_text(const char *id, const char *name,
	    const char *platform, int64_t time_ms);

#endif
