/*
 * conn_int.h: the connection's insides, shared by the files of
 * server/conn/ only: conn.c (transport, state machine, login), conn_perm.c
 * (permissions and the services they open), conn_opts.c (options acting
 * on a connection), conn_session.c (the authorized session's messages),
 * conn_term.c (terminals), conn_tunnel.c (TCP tunnels), conn_ctl.c and
 * conn_display.c (the toolbar's controls), conn_voice.c (voice calls),
 * conn_file.c and conn_fstream.c (file transfer through the file helper), conn_2fa.c (two-factor logins) and
 * conn_audit.c (its records in the audit log). Everywhere else struct
 * conn is opaque (conn.h).
 */
#ifndef CDESK_CONN_INT_H
#define CDESK_CONN_INT_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pass.h"
#include "common/perm.h"
#include "ipc.pb-c.h"
#include "message.pb-c.h"
#include "server/conn/conn.h"
#include "server/conn/login.h"
#include "server/svc/svc.h"
#include "server/svc/svc_video.h"

/*
 * The largest frame a logged-in peer may send: a clipboard image. Each
 * message type has its own smaller bound (conn_bound.c).
 */
#define CONN_FRAME_MAX		(16u * 1024 * 1024)
/* After a frame larger than this the read buffers are given back. */
#define CONN_RBUF_KEEP		(256u * 1024)

/* Where a connection is in its life (conn.c has the transitions). */
enum conn_state {
	CONN_HANDSHAKE,
	CONN_LOGIN,
	CONN_AUTHORIZED,
};

/* One packed message waiting in an outbound queue. */
struct conn_qitem {
	struct msgbuf			*b;	/* one reference owned */
	uint64_t			 t_ms;	/* enqueue time */
	int				 audio;	/* droppable when stale */
	TAILQ_ENTRY(conn_qitem)		 entry;
};
TAILQ_HEAD(conn_queue, conn_qitem);

/* One peer connection. */
struct conn {
	uint32_t		 id;
	struct srv		*srv;		/* borrowed */
	struct bufferevent	*bev;		/* owned, closes the fd */
	struct sstream		*ss;		/* owned */
	struct sstream_hs	*hs;		/* owned while in HANDSHAKE */
	struct event		*closer;	/* owned: delayed close */
	enum conn_state		 state;
	enum conn_via		 via;
	int			 dead;
	int			 closing;	/* a final message is on its way */
	int			 pending;	/* waiting for a click in the CM */
	uint64_t		 pending_ms;	/* ... since then */
	int			 cm_known;	/* the CM was told about us */
	int			 encrypted;
	int			 discard;	/* drop all input (refused) */
	struct sockaddr_storage	 sa;
	char			 addr[INET6_ADDRSTRLEN + 8];
	char			 challenge[PASS_CHALLENGE_LEN + 1];
	char			*peer;		/* owned: escaped my_id, or "-" */

	/* Login scope, latched by the first LoginRequest. */
	int			 latched;
	enum login_kind		 kind;
	char			*scope;		/* owned */
	char			*my_id;		/* owned, raw */
	char			*my_name;	/* owned, raw */
	uint64_t		 session_id;
	struct srv_session	*session;	/* borrowed; live count held */
	struct conn_term	*term;		/* owned: terminal logins */
	struct conn_tunnel	*tunnel;	/* owned: port-forward logins */
	int			 raw;		/* tunnel: 1 nothing framed
						 * goes out; 2 the stream is
						 * the tunnel's */

	/* Timers and TestDelay. */
	uint64_t		 next_tick_ms;	/* conn_tick.c: the next tick */
	int			 ticking;	/* on srv->conn_ticks */
	TAILQ_ENTRY(conn)	 tick_entry;
	uint64_t		 start_ms;
	uint64_t		 last_recv_ms;
	uint64_t		 last_drain_ms;	/* output last fell low */
	int			 probe_out;
	uint64_t		 probe_ms;
	uint32_t		 last_delay;
	uint64_t		 active_ms;	/* the peer's last input, chat */
	uint64_t		 auto_disconnect_ms; /* idle close, 0: none */

	/* What the peer may do, and what it asked for (OptionMessage). */
	int			 perm[PERM_MAX];
	int			 disable_audio;
	int			 disable_clipboard;
	int			 disable_keyboard;
	char			*version;	/* owned: client version */
	char			*platform;	/* owned: client platform */

	/* Services this connection is subscribed to, through sink. */
	struct svc_sink		 sink;
	int			 sub_clip;
	int			 sub_audio;
	unsigned		 sub_cursor;	/* SVC_CURSOR_F_* subscribed */
	uint32_t		 video_displays; /* bit per display streamed */
	int			 cur_display;	/* the last one switched to */
	int			 video_started;	/* first subscription done */
	struct svc_video_prefs	 vprefs;	/* codec abilities, quality, fps */
	int			 show_remote_cursor;
	int			 want_block;	/* the peer asked to block local input */
	int			 blocking;	/* ... and it is blocked for it */
	long			 peer_version;	/* get_version_number of the client */
	int			 lock_after_end; /* lock the desk when it ends */
	int			 follow_cursor;	/* follow_remote_cursor */
	int			 follow_window;	/* follow_remote_window */
	int			 focus_display;	/* focused window's; -1 unknown */

	/* Outbound queues: control is always written before video. */
	struct conn_queue	 ctrl;
	struct conn_queue	 video;
	size_t			 ctrl_bytes;
	size_t			 video_bytes;
	int			 read_held;	/* conn_read_hold */

	/* File transfer (conn_file.c); NULL until the first request. */
	struct conn_files	*files;
	/* A large frame being read into a bufcache buffer of its own
	 * (conn_recv_part), then that buffer while the frame is handled:
	 * the file code may take it (rx_own NULL then). */
	uint8_t			*rx_part;
	size_t			 rx_part_len;
	size_t			 rx_part_have;
	uint8_t			*rx_own;
	size_t			 rx_own_len;

	/* Voice call (conn_voice.c). */
	int			 voice;		/* Ipc__VoiceCallState__State */
	int64_t			 voice_ts;	/* the request's req_timestamp */
	uint32_t		 voice_rate;	/* the peer's AudioFormat; 0 none */
	uint32_t		 voice_channels;
	struct aplay		*voice_play;	/* owned while it plays */
	uint64_t		 voice_ignored;	/* frames outside a call */

	/* 2FA (conn_2fa.c): the password was right, the code is due. */
	int			 awaiting_2fa;
	enum login_how		 tfa_how;	/* how the password was right */
	char			 tfa_otp[16];	/* ... the one-time password */

	TAILQ_ENTRY(conn)	 entry;
};

/* conn.c */
/* Queues a packed message on q (takes a reference) and writes what fits. */
void	conn_enqueue(struct conn *, struct msgbuf *, enum svc_queue q);
/* Packs m (borrowed) and queues it on the control queue. */
void	conn_send(struct conn *, const Hbb__Message *m);
/* Wraps misc (borrowed) in a Message and queues it. */
void	conn_send_misc(struct conn *, Hbb__Misc *misc);
/* Sends LoginResponse.error text; with close, closes about 1 s later. */
void	conn_login_error(struct conn *, const char *text, int close);
/* Authorizes: PeerInfo out, then the session (how static, otp copied). */
void	conn_authorize(struct conn *, const char *how, const char *otp);

/* conn_bound.c */
/*
 * Checks a decrypted payload against its type's size and what unpacking
 * it would allocate. Returns 0, ERR_TOOBIG or ERR_PROTO.
 */
int	conn_bound_check(const uint8_t *p, size_t n);

/* conn_gate.c */
/*
 * Whether a new connection from sa may come in: connections not logged in
 * are capped per address (/32, /64) and in total. Logs refusals.
 */
int	conn_gate_admit(struct srv *, const struct sockaddr *sa);

/* Sends Misc.close_reason reason (static or outliving the call) and closes
 * about a second later, once it is written. */
void	conn_refuse(struct conn *, const char *reason);
/* Stops (hold 1) or resumes reading the peer: an upload waits while the
 * file helper is behind. */
void	conn_read_hold(struct conn *, int hold);

/* Monotonic seconds. */
long	conn_now_s(void);

/* conn_login.c */
/* LoginRequest before authorization (PROTOCOL.md §3.4). */
void	conn_recv_login(struct conn *, const Hbb__Message *m);
/* The remembered session for c's login triple, if recent; else NULL. */
struct srv_session *conn_find_session(struct conn *);

/* conn_opts.c: options acting on a connection (HOST.md §4.2, §5.11) */
/* 1 if the connection may go on to Hash; else refused (main window). */
int	conn_opts_admit(struct conn *);
/* The session was authorized: idle disconnect latched, wake lock. */
void	conn_opts_start(struct conn *);
/* The peer did something: its idle clock restarts. */
void	conn_opts_active(struct conn *);
/* Once a second: idle disconnect, wake-lock option; 1 if closing now. */
int	conn_opts_tick(struct conn *);
/* The connection closes: an authorized one leaves the wake lock. */
void	conn_opts_closed(struct conn *);

/* conn_2fa.c */
/* 1 if lr's hwid names a trusted device and 2FA may be skipped. */
int	conn_2fa_trusted(struct conn *, const Hbb__LoginRequest *lr);
/* LOGIN_2FA: tells the peer "2FA Required" and waits for the code. */
void	conn_2fa_ask(struct conn *, const struct login_verdict *v);
/* Auth2FA (m borrowed). */
void	conn_recv_2fa(struct conn *, const Hbb__Message *m);

/* conn_perm.c */
/* Tells the CM about c (HOST.md §6.5): authorized, or waiting. */
void	conn_cm_login(struct conn *, int authorized);
/* Tells the peer that permission p is now on or off (PermissionInfo). */
void	conn_send_permission(struct conn *, enum perm p);
/*
 * Joins or leaves each service as the permissions and the peer's options
 * now say; does nothing before the session is authorized.
 */
void	conn_update_services(struct conn *);

/* conn_session.c */
/* Starts streaming display to the connection (flags SVC_VIDEO_F_*). */
void	conn_video_add(struct conn *, int display, unsigned flags);
/* Takes the session options a peer sets (o borrowed, may be NULL). */
void	conn_apply_options(struct conn *, const Hbb__OptionMessage *o);
/* Handlers of the authorized session's messages (m borrowed). */
void	conn_recv_misc(struct conn *, const Hbb__Message *m);
void	conn_recv_input(struct conn *, const Hbb__Message *m);
void	conn_recv_clipboard(struct conn *, const Hbb__Message *m);
/*
 * Fills pi with this host's facts and displays. Returns 0, or
 * ERR_NOTFOUND without displays; conn_peerinfo_free frees what it hung
 * off pi either way.
 */
int	conn_peerinfo(struct srv *, Hbb__PeerInfo *pi);
void	conn_peerinfo_free(Hbb__PeerInfo *pi);

/* conn_voice.c: voice calls (HOST.md §3.7) */
/* VoiceCallRequest, Misc.audio_format, AudioFrame (m borrowed). */
void	conn_recv_voice_request(struct conn *, const Hbb__Message *m);
void	conn_recv_voice_format(struct conn *, const Hbb__Message *m);
void	conn_recv_audio_frame(struct conn *, const Hbb__Message *m);
/* The connection closes: a call ends with it (after it left srv->conns). */
void	conn_voice_close(struct conn *);

/* conn_term.c: terminal sessions */
/* Latches the service id and persistence of a terminal login. */
void	conn_term_latch(struct conn *, const Hbb__LoginRequest *);
/* After PeerInfo: attaches to the terminal set the login named. */
void	conn_term_start(struct conn *);
/* Detaches from the terminals and frees (conn_close). */
void	conn_term_close(struct conn *);
/* The peer switched option terminal_persistent. */
void	conn_term_persistent(struct conn *, int on);
/* TerminalAction (m borrowed). */
void	conn_recv_terminal(struct conn *, const Hbb__Message *m);

/* conn_tunnel.c: TCP tunnels */
/* Latches the destination of a port-forward login. */
void	conn_tunnel_latch(struct conn *, const Hbb__LoginRequest *);
/*
 * 1 if the login may finish now; 0 while the destination is being
 * reached (the first call starts it; the tunnel then calls
 * conn_authorize, or refuses the login).
 */
int	conn_tunnel_ready(struct conn *, const char *how, const char *otp);
/* After PeerInfo: no more frames out; raw once no probe is out. */
void	conn_tunnel_start(struct conn *);
/* The outstanding TestDelay probe was answered. */
void	conn_tunnel_echoed(struct conn *);
/* Closes the destination and frees (conn_close). */
void	conn_tunnel_close(struct conn *);

/* conn_tick.c */
/* The connection's timeouts and probe, once a second (conn.c). */
void	conn_tick(struct conn *);
/* A new connection joins the server-wide timer. */
void	conn_tick_join(struct conn *);
/* No more ticks for the connection (closed; a raw tunnel). */
void	conn_tick_stop(struct conn *);
/* Stops the timer when no connection is left (after TAILQ_REMOVE). */
void	conn_tick_leave(struct srv *);
/* Sends m, straight to the socket when nothing else is waiting. */
void	conn_send_now(struct conn *, const Hbb__Message *m);

/* conn_ctl.c */
/* ScreenshotRequest: answers with the display's PNG or an error text. */
void	conn_recv_screenshot(struct conn *, const Hbb__Message *m);
/* Misc.restart_remote_device: reboot through logind, if allowed. */
void	conn_recv_restart(struct conn *);
/* conn_file.c */
/* A FileAction, or a FileResponse of an upload (m borrowed). */
void	conn_recv_file(struct conn *, const Hbb__Message *m);
/*
 * A packed Message (p, n borrowed) that is only a FileResponse (an
 * upload's) is taken by the file code: returns 1 (done with it), or 0 for
 * anything else.
 */
int	conn_recv_file_raw(struct conn *, const uint8_t *p, size_t n);
/* Keeps the folder a file-transfer LoginRequest names (borrowed). */
void	conn_file_latch(struct conn *, const Hbb__LoginRequest *lr);
/* Authorized: a file-transfer session gets its first listing. */
void	conn_file_login(struct conn *);
/* The output drained: more download blocks may go. */
void	conn_file_pump(struct conn *);
/* The file permission changed (off stops the running transfers). */
void	conn_file_permission(struct conn *);
/* The connection ends: its transfers stop, its file state is freed. */
void	conn_file_close(struct conn *);

/* conn_audit.c */
/* The session starts (detail: how it logged in) or ends (detail: why). */
void	conn_audit_session(struct conn *, int start, const char *detail);
/* A permission of c changed; by says who changed it. */
void	conn_audit_permission(struct conn *, const char *name, int enabled,
	    const char *by);
/* A file record of the helper (c NULL when the connection is gone). */
void	conn_audit_file(struct srv *, struct conn *c, int32_t conn_id,
	    const Ipc__FsLog *l);
/*
 * KeyEvent LockScreen ("Insert Lock"): locks the desk through logind.
 * Returns 1 if it did, 0 to let input inject the usual shortcut instead.
 */
int	conn_ctl_lock_key(struct conn *, const Hbb__KeyEvent *ke);
/* The session ends (conn_close): lock after session end, restore the
 * resolutions when it was the last. */
void	conn_ctl_closed(struct conn *);
/* Misc.toggle_privacy_mode: denied or not supported, as upstream. */
void	conn_recv_privacy(struct conn *, const Hbb__TogglePrivacyMode *t);
/* Misc.client_record_status: a key frame for the recorder's start. */
void	conn_recv_record(struct conn *, int on);
/* Switch sides, elevation: answered as a host that cannot (m borrowed). */
void	conn_recv_cannot(struct conn *, const Hbb__Misc *misc);

/* conn_display.c */
/* Change resolution of display (-1: the one shown) to r (borrowed). */
void	conn_recv_resolution(struct conn *, int display,
	    const Hbb__Resolution *r);
/* After the last remote session: every changed resolution restored. */
void	conn_display_restore(struct srv *);
/* The cursor flags follow remote window needs (SVC_CURSOR_F_FOCUS). */
unsigned conn_follow_flags(struct conn *);
/* After a cursor (re)subscription: the follow callback as asked. */
void	conn_follow_update(struct conn *);

#endif
