/*
 * cm_page.h: one connection's page in the connection manager. The page
 * shows what it is told and emits signals for what the local user does; it
 * never sees the IPC (STYLE.md §9). Signals:
 *   "accept", "dismiss", "disconnect"                    (no arguments)
 *   "permission-changed" (const char *name, gboolean enabled)
 *   "chat-send"          (const char *text)
 *   "voice-answer"       (gboolean accepted)  an incoming voice call
 *   "voice-hang-up"                           the running call
 */
#ifndef CDESK_CM_PAGE_H
#define CDESK_CM_PAGE_H

#include <gtk/gtk.h>

#include "cm/cm_core.h"

G_BEGIN_DECLS

#define CM_TYPE_PAGE (cm_page_get_type())
G_DECLARE_FINAL_TYPE(CmPage, cm_page, CM, PAGE, GtkBox)

/* Milliseconds Accept/Dismiss stay insensitive after a request shows up. */
#define CM_PAGE_GUARD_MS	CM_GUARD_MS

/* What a Login says about the connection (strings borrowed). */
struct cm_page_info {
	int		 conn_id;
	const char	*peer_id;
	const char	*peer_name;
	const char	*address;
	const char	*port_forward;
	int		 mode;		/* Ipc__ConnMode */
	gboolean	 encrypted;
	gboolean	 authorized;
	gint64		 start_time;	/* Unix seconds */
};

CmPage		*cm_page_new(int conn_id);
int		 cm_page_get_conn_id(CmPage *);
/* Updates the labels and the pending/active state. */
void		 cm_page_set_info(CmPage *, const struct cm_page_info *);
gboolean	 cm_page_is_pending(CmPage *);
/* 1 while the session runs or waits (not after it ended). */
gboolean	 cm_page_is_live(CmPage *);
/* Sets a permission check box without emitting "permission-changed". */
void		 cm_page_set_permission(CmPage *, const char *name,
		    gboolean enabled);
/* Appends a chat line; local: written here. */
void		 cm_page_add_chat(CmPage *, const char *text, gboolean local);
/* Shows or updates one file-transfer job. */
void		 cm_page_file_log(CmPage *, int job_id, const char *path,
		    gboolean is_remote, guint64 total, guint64 done,
		    guint64 speed, int state, const char *error);
/* FALSE hides Accept (approve-mode "password": only a password lets a
 * peer in; Dismiss stays). */
void		 cm_page_set_can_accept(CmPage *, gboolean);
/* FALSE greys the permission toggles (option
 * enable-perm-change-in-accept-window N: the server refuses them). */
void		 cm_page_set_perm_change(CmPage *, gboolean);
/* The session ended but the page stays (unanswered chat). */
void		 cm_page_set_ended(CmPage *);
/* A voice call's state, as Ipc__VoiceCallState__State. */
#define CM_PAGE_VOICE_IDLE	0
#define CM_PAGE_VOICE_INCOMING	1
#define CM_PAGE_VOICE_ACTIVE	2
/* Shows the voice-call bar: Accept/Dismiss, "Stop voice call", or none. */
void		 cm_page_set_voice(CmPage *, int state);
int		 cm_page_get_voice(CmPage *);
/* A short note under the details (e.g. a refused click). */
void		 cm_page_set_note(CmPage *, const char *text);
/* Title for the sidebar ("name (id)"); caller frees. */
char		*cm_page_dup_title(CmPage *);

G_END_DECLS

#endif
