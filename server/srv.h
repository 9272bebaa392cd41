/*
 * srv.h: the server's root object, shared by the files of server/ (like
 * tmux.h): one per process, made by server_main() and passed to every
 * x_new(). Nothing outside server/ includes this.
 */
#ifndef CDESK_SRV_H
#define CDESK_SRV_H

#include <stdint.h>
#include <sys/queue.h>

#include "common/config.h"

struct event_base;
struct event;
struct conn;
struct store;
struct throttle;
struct rdv;
struct cmlink;
struct fsh;
struct fio;
struct audit;
struct srv_listener;
struct session_source;
struct svc_term;
struct evdns_base;
struct session;
struct awake;
struct lan;

#define SRV_NSIGNALS	3	/* SIGTERM, SIGINT, SIGHUP (not on Windows) */

/* Remembered one-time-password logins (PROTOCOL.md §3.4, recent sessions). */
struct srv_session {
	char		*my_id;		/* owned */
	char		*my_name;	/* owned */
	uint64_t	 session_id;
	char		 otp[16];	/* the one-time password that authorized it */
	long		 last_seen;	/* last frame received, seconds (monotonic) */
	int		 live;		/* connections using it now */
	int		 tfa;		/* it passed 2FA (PROTOCOL.md §3.10) */
	TAILQ_ENTRY(srv_session) entry;
};
TAILQ_HEAD(srv_sessions, srv_session);
TAILQ_HEAD(conn_list, conn);

struct srv {
	struct event_base	*base;		/* owned */
	const struct cfg_paths	*paths;		/* borrowed */
	struct cfg		*cfg;		/* owned; reloaded when the file changes */
	struct store		*store;		/* owned */
	struct throttle		*throttle;	/* owned: password failures */
	struct throttle		*throttle_id;	/* owned: id-whitelist failures */
	struct throttle		*throttle_2fa;	/* owned: wrong 2FA codes */
	struct conn_list	 conns;		/* live connections */
	struct event		*conn_tick;	/* owned: their 1 s work, while
						 * there are any (conn_tick.c) */
	struct conn_list	 conn_ticks;	/* by next tick (tick_entry) */
	struct srv_sessions	 sessions;	/* recent OTP sessions */
	uint32_t		 next_conn_id;
	char			 otp[16];	/* one-time password (memory only) */
	int			 otp_failures;	/* consecutive wrong OTP tries */
	int			 idle_timeout;	/* seconds, option idle-timeout */
	struct sysinfo		*sysinfo;	/* owned */
	/* Services; each NULL when it could not start (logged at start). */
	struct svc_clip		*clip;		/* owned */
	struct svc_audio	*audio;		/* owned */
	int			 voice_source;	/* audio records the microphone
						 * for a voice call (conn_voice.c) */
	struct svc_input	*input;		/* owned */
	struct svc_video	*video;		/* owned */
	struct svc_cursor	*cursor;	/* owned */
	struct svc_term		*term;		/* owned: terminals */
	struct evdns_base	*dns;		/* owned: tunnels' resolver,
						 * from the first tunnel on */
	struct cmlink		*cm;		/* owned: CM and main-window link, or NULL */
	struct session_source	*desk;		/* owned: whose desktop, or NULL */
	int			 desk_login;	/* enum login_desk: what the
						   session on screen lets in */
	char			*desk_display;	/* owned: where the services
						   are, or NULL */
	long			 desk_xpid;	/* the X server serving it */
	char			*desk_xauth;	/* owned: its X authority */
	struct event		*desk_grace;	/* owned: closes the peers of
						   a desk gone for good */
	struct event		*desk_cfg;	/* owned: applies a reloaded
						   headless-user */
	int			 direct_port;	/* 0: direct access off */
	int			 input_blockers; /* connections blocking local input */
	int			 authed;	/* authorized connections */
	struct awake		*awake;		/* owned: wake lock, or NULL */
	struct lan		*lan;		/* owned: LAN discovery, or NULL */
	struct rdv		*rdv;		/* owned: access by ID, or NULL */
	struct fsh		*fsh;		/* owned: file helper link */
	struct fio		*fio;		/* owned: file I/O, or NULL */
	struct audit		*audit;		/* owned: audit log, or NULL */
	struct srv_listener	*listener;	/* owned: direct port or NULL */
	struct event		*signals[SRV_NSIGNALS];	/* owned */
};

/* Draws a new one-time password; shows it on stdout only when that is a
 * terminal (never in the log or the journal). */
void	srv_otp_rotate(struct srv *);
/* Counts a wrong one-time password; the 10th in a row rotates it. */
void	srv_otp_failed(struct srv *);
/* Starts the CM link (srv_cm.c); 0 or ERR_* (logged). */
int	srv_cm_start(struct srv *);
/* Re-reads the config file if it changed on disk. */
void	srv_cfg_refresh(struct srv *);
/*
 * Follows the session on the screen (srv_desk.c): the display services
 * move to its display, logins follow what it lets in, and the remote
 * sessions of a desk gone for good are closed after a grace time. s is
 * borrowed.
 */
void	srv_desk_follow(struct srv *, const struct session *s);
/*
 * What the person at the desk should know about it (static text), or NULL:
 * remote control of a Wayland session is refused, and how to allow it.
 */
const char *srv_desk_notice(const struct srv *);
/*
 * A remote-control login was refused with why: when it was for the desk
 * (Wayland), a CM is started to tell the person at the desk.
 */
void	srv_desk_refused(struct srv *, const char *why);
/*
 * The config was (re)loaded: a changed headless-user takes effect from the
 * loop (srv_desk.c), never from inside the caller's callback.
 */
void	srv_desk_config(struct srv *);
/* Frees what following made (the services stay); forgets the cookie. */
void	srv_desk_stop(struct srv *);

#endif
