/*
 * cm_core.h: the connection manager's logic that no toolkit owns, shared
 * by its two front ends (cm_app.c on GTK, cm/win/cm_win32.c on Win32):
 * what a user's action sends to the server, the click-time guard of
 * HOST.md §3.4 that every action passes first, and what the server's
 * Options mean to the CM (Accept hidden, toggles locked, the CM hidden by
 * the admin). Times are monotonic microseconds the caller reads from its
 * own clock.
 */
#ifndef CDESK_CM_CORE_H
#define CDESK_CM_CORE_H

#include <stdint.h>

#include "ipc/ipc_client.h"

/* A peer's injected click this close before ours voids ours (ms). */
#define CM_CLICK_GAP_MS		120
/* Quit this long after the last connection is gone (ms). */
#define CM_IDLE_QUIT_MS		6000
/* A new authorized session's page shows this long, then minimizes (ms). */
#define CM_MINIMIZE_MS		3000
/* Milliseconds Accept/Dismiss stay insensitive after a request shows up. */
#define CM_GUARD_MS		1000

/* Why the window comes up (HOST.md §3.3). */
enum cm_show {
	CM_SHOW_SESSION,	/* a new authorized session: minimize later */
	CM_SHOW_CHAT,		/* the peer wrote */
	CM_SHOW_REQUEST,	/* a connection waits for a click */
};

/* What the local user did. */
enum cm_kind {
	CM_ACT_ACCEPT,
	CM_ACT_DISMISS,
	CM_ACT_DISCONNECT,
	CM_ACT_PERMISSION,
	CM_ACT_CHAT,
	CM_ACT_VOICE_ANSWER,	/* enabled: accepted */
	CM_ACT_VOICE_HANG_UP,
};

/* A user action waiting for the server's ClickTime answer. */
struct cm_action {
	enum cm_kind		 kind;
	int			 conn_id;
	char			*text;	/* permission name or chat (owned) */
	int			 enabled;
	int64_t			 t_local;	/* monotonic µs of the click */
	struct cm_action	*next;
};

/* The actions asked about, oldest first (the server answers in order). */
struct cm_guard {
	struct cm_action	*head;
	struct cm_action	**tail;
};

/* What the server's options say to the CM (cm_core_options). */
struct cm_opts {
	int	password_only;	/* approve-mode password: no Accept */
	int	perm_locked;	/* no permission toggles */
	int	hidden;		/* the admin hides the CM */
};

void	cm_guard_init(struct cm_guard *);
/* Frees every queued action (the link went away). */
void	cm_guard_clear(struct cm_guard *);
/*
 * Queues an action clicked at now (µs) and asks the server with
 * ClickTime when a peer last clicked. text is copied (may be NULL).
 * Returns 0 or the ipc_client_send error (nothing queued then).
 */
int	cm_guard_ask(struct cm_guard *, struct ipc_client *, enum cm_kind,
	    int conn_id, const char *text, int enabled, int64_t now);
/*
 * The server's answer at now (µs): the oldest action (caller frees with
 * cm_action_free), or NULL if none waits. *pass is 1 when it may be
 * carried out, 0 when a peer clicked just before it (HOST.md §3.4).
 */
struct cm_action *cm_guard_answer(struct cm_guard *, const Ipc__ClickTime *,
	    int64_t now, int *pass);
void	cm_action_free(struct cm_action *);

/*
 * Sends what action means to the server (Authorize, Close,
 * SwitchPermission, ChatMessage, the voice answers). Returns 0 or the
 * ipc_client_send error; for a chat line 0 means it may be shown as sent.
 */
int	cm_core_do(struct ipc_client *, const struct cm_action *);
/* Sends Close for conn_id (the window's "disconnect all"). */
int	cm_core_close(struct ipc_client *, int conn_id);
/* Asks for the options cm_core_options reads. */
int	cm_core_ask_options(struct ipc_client *);
/* Reads the answer into *o (fields not named in m keep their value). */
void	cm_core_options(const Ipc__Options *m, struct cm_opts *o);
/* Human name of a session mode (Ipc__ConnMode); static. */
const char	*cm_core_mode_text(int mode);

#endif
