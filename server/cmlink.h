/*
 * cmlink.h: the server's side of the connection manager (CM). cmlink is the
 * IPC listener (ipc_socket_path(run_dir)); it keeps the state of every
 * connection the CM must know about, replays it to every CM that attaches,
 * starts `cdesk --cm` in the shared session for every connection it is
 * told about (waiting for a click or authorized: the person at the desk
 * always knows) when no CM is attached, and turns CM requests into calls
 * of struct cmlink_actions. It also answers the main window's and CLI's
 * requests (options, status, passwords) through the same actions.
 *
 * Rules it enforces (HOST.md §3, §4): Authorize is passed on only for a
 * connection that is waiting for one, once, and never when approve-mode is
 * "password"; when the last CM goes away, every still-pending connection is
 * dismissed (close action); a CM that sends something out of place is
 * dropped, the sessions go on. A CM of ours that quits by itself (status
 * 0) while a session runs is started again (its idle quit crossed a new
 * Login), at most once every few seconds; a CM that was killed is not (the
 * next Login starts one). Connection ids are the server's (> 0).
 */
#ifndef CDESK_CMLINK_H
#define CDESK_CMLINK_H

#include <stdint.h>

#include "common/store.h"

struct event_base;
struct cmlink;
struct session;

enum cmlink_mode {
	CMLINK_REMOTE = 0,
	CMLINK_FILE_TRANSFER,
	CMLINK_PORT_FORWARD,
	CMLINK_TERMINAL,
	CMLINK_CAMERA,
};

/* What the CM shows of one connection; strings are borrowed for the call. */
struct cmlink_login {
	int		 conn_id;	/* > 0 */
	const char	*peer_id;	/* LoginRequest.my_id */
	const char	*peer_name;	/* LoginRequest.my_name */
	const char	*address;	/* "ip:port" */
	const char	*port_forward;	/* "host:port" or NULL */
	enum cmlink_mode mode;
	int		 encrypted;
	int		 authorized;	/* 0: waiting for a click (or password) */
	unsigned	 perms;		/* PERM_BIT(enum perm) of those granted */
	int64_t		 start_time;	/* Unix seconds; 0: now */
};

/* One file-transfer job's progress; strings borrowed for the call. */
struct cmlink_file_log {
	int		 conn_id;
	int		 job_id;
	const char	*path;
	int		 is_remote;	/* host -> peer */
	uint64_t	 total_size;
	uint64_t	 finished_size;
	int		 state;		/* 0 running, 1 done, 2 cancelled, 3 error */
	const char	*error;
	uint64_t	 speed;		/* bytes per second while running */
};

/* The main window's status; strings borrowed until the callback returns. */
struct cmlink_status {
	const char	*rendezvous;	/* e.g. "registered", "connecting" */
	const char	*id;
	const char	*temp_password;
	unsigned	 direct_port;	/* 0: direct access off */
	unsigned	 connections;
	const char	*desk_notice;	/* NULL: the desk can be shared */
};

/* 2FA as the main window and the CLI see it (HOST.md §4.6). */
struct cmlink_tfa {
	int		 enabled;
	int		 pending;	/* a drawn secret waits for a code */
	unsigned	 trusted;	/* trusted devices */
	char		 uri[512];	/* after setup: otpauth:// URI */
	char		 secret[128];	/* after setup: base32 */
	/* TwoFaGet: the list (upstream's trusted devices dialog). */
	struct store_trusted_info devices[STORE_TRUSTED_MAX];
	size_t		 ndevices;
};

/*
 * Callbacks into the server; ctx is the pointer given to cmlink_new. Any
 * may be NULL (the request is then refused with ERR_UNSUPP or ignored).
 * They run from the event loop, never from inside a cmlink_* call, and may
 * call cmlink_* functions (but not cmlink_free).
 */
struct cmlink_actions {
	/* The local user accepted conn_id, which was waiting (HOST.md 3.8). */
	void	(*authorize)(int conn_id, void *ctx);
	/* Dismiss or disconnect conn_id ("Closed manually by the peer"). */
	void	(*close)(int conn_id, void *ctx);
	/* Toggle a permission (name as HOST.md §3.5) of conn_id; by names
	 * the CM that did ("cm pid 7 uid 1000"), for the audit log. */
	void	(*switch_permission)(int conn_id, const char *name,
		    int enabled, const char *by, void *ctx);
	/* The local user wrote text to conn_id's peer (borrowed). */
	void	(*chat)(int conn_id, const char *text, void *ctx);
	/* The local user answered conn_id's incoming voice call (only
	 * passed on while cmlink_voice said INCOMING). */
	void	(*voice_call_response)(int conn_id, int accepted, void *ctx);
	/* The local user hung up conn_id's voice call (not IDLE). */
	void	(*voice_call_hang_up)(int conn_id, void *ctx);
	/* Milliseconds since a peer last injected a click or Enter, -1 if
	 * never (HOST.md §3.4). */
	int64_t	(*click_age_ms)(void *ctx);
	/* Milliseconds since a peer last injected input of any kind, -1 if
	 * never: Accept and permission grants are refused within
	 * CMLINK_INPUT_GUARD_MS of it (a peer must not approve itself). */
	int64_t	(*input_age_ms)(void *ctx);
	/* Effective value of an option (borrowed until return), never NULL. */
	const char *(*option_get)(const char *key, void *ctx);
	/* Calls cb for every option with its effective value. */
	void	(*options_each)(void (*cb)(const char *key, const char *value,
		    void *arg), void *arg, void *ctx);
	/* The admin's file that locks key (borrowed until return), or NULL
	 * when the user may change it; sent as OptionEntry.locked_by. */
	const char *(*option_locked)(const char *key, void *ctx);
	/* Sets an option (value "" removes). 0 or ERR_* with *cause set
	 * (caller frees). */
	int	(*option_set)(const char *key, const char *value, char **cause,
		    void *ctx);
	/* Fills *st (strings borrowed until the call returns). */
	void	(*status)(struct cmlink_status *st, void *ctx);
	int	(*refresh_temp_password)(void *ctx);
	/* Sets the permanent password (borrowed; wipe nothing: cmlink does). */
	int	(*set_permanent_password)(const char *pw, char **cause,
		    void *ctx);
	/* 2FA: draw a secret (fills st's uri and secret), enable it with a
	 * code, turn 2FA off, or only fill st (no secret). 0 or ERR_* with
	 * *cause set (caller frees). */
	int	(*tfa_setup)(struct cmlink_tfa *st, char **cause, void *ctx);
	int	(*tfa_enable)(const char *code, char **cause, void *ctx);
	int	(*tfa_disable)(char **cause, void *ctx);
	void	(*tfa_state)(struct cmlink_tfa *st, void *ctx);
	/* 2FA: forget the trusted devices whose key or peer ID is which,
	 * or all of them. 0 or ERR_* with *cause set (caller frees). */
	int	(*tfa_untrust)(const char *which, int all, char **cause,
		    void *ctx);
};

/*
 * Listens on ipc_socket_path(run_dir) in base's loop. actions and ctx are
 * borrowed and must outlive the link. Returns 0 with *out set, or ERR_* with
 * *cause set (caller frees) when the socket cannot be made (another server
 * listening: ERR_STATE).
 */
int	cmlink_new(struct cmlink **out, struct event_base *base,
	    const char *run_dir, const struct cmlink_actions *actions,
	    void *ctx, char **cause);
/* Closes the socket and every CM link, calls no action. NULL is fine. */
void	cmlink_free(struct cmlink *);

/*
 * Sets the session being shared (copied): its uid may use the IPC, and a
 * CM is started in it with session_spawn(). When the user changes, the
 * old user's IPC peers are dropped (connections waiting for a click are
 * dismissed) and the CM we started for them is stopped.
 */
void	cmlink_set_session(struct cmlink *, const struct session *);
/*
 * Replaces the command that starts a CM (default: this executable with
 * "--cm"). argv is copied; NULL restores the default. The child also gets
 * CDESK_IPC_DIR=run_dir so it finds this socket.
 */
void	cmlink_set_cm_command(struct cmlink *, char *const argv[]);

/*
 * Only for tests whose screen must stay bare (video, input): with on, a CM
 * is started only for a connection that waits for a click, as before
 * issue 11. The server sets it from CDESK_TEST_CM_CLICK_ONLY.
 */
void	cmlink_set_click_only(struct cmlink *, int on);

/*
 * Sets what the person at the desk should know about the desk itself
 * (copied; NULL or "": nothing), e.g. that remote control of a Wayland
 * session is refused: every CM gets it now (when it changed) and each CM
 * when it attaches. With start, a CM is started in the session to show it
 * unless one runs (not in click-only mode; at most once a minute).
 */
void	cmlink_set_notice(struct cmlink *, const char *text, int start);

/*
 * A connection reached the CM step or changed (HOST.md §6.5): stored or
 * updated, sent to every CM. When no CM is attached (or starting), one is
 * started, whether the connection waits or is authorized (HOST.md §3.3).
 */
void	cmlink_login(struct cmlink *, const struct cmlink_login *);
/* The peer wrote text (borrowed); the CM shows it. */
void	cmlink_chat(struct cmlink *, int conn_id, const char *text);
/*
 * conn_id's voice call is now state (Ipc__VoiceCallState__State: IDLE,
 * INCOMING, ACTIVE): every CM is told, and a CM attaching later too.
 */
void	cmlink_voice(struct cmlink *, int conn_id, int state);
/* A file-transfer job progressed; the CM shows it in its log. */
void	cmlink_file_log(struct cmlink *, const struct cmlink_file_log *);
/*
 * The connection ended: the CM gets Disconnected when its chat went
 * unanswered (the page stays), else Close; cmlink forgets it.
 */
void	cmlink_closed(struct cmlink *, int conn_id);

/* Number of attached CMs. */
int	cmlink_cm_count(const struct cmlink *);
/*
 * 1 when a click can come: a CM is attached or can be started (every
 * build has one: GTK on Linux, the Win32 window on Windows).
 */
int	cmlink_clickable(const struct cmlink *);
/* Number of attached main windows (role "ui"; the CLI is not one). */
int	cmlink_ui_count(const struct cmlink *);

#endif
