/*
 * login.h: the login policy (PROTOCOL.md §3.4, HOST.md §4.2-4.4) as pure
 * functions. login_decide takes what a LoginRequest asks, the host's
 * settings, the passwords and the throttles' answers, and returns what to
 * do; it never touches the connection, the throttles or the log. conn.c
 * gathers the inputs and applies the verdict.
 */
#ifndef CDESK_LOGIN_H
#define CDESK_LOGIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "message.pb-c.h"

/* The kind of session a LoginRequest asks for. */
enum login_kind {
	LOGIN_KIND_REMOTE,
	LOGIN_KIND_FILE,
	LOGIN_KIND_PORT_FORWARD,
	LOGIN_KIND_CAMERA,
	LOGIN_KIND_TERMINAL,
};

/* What a LoginRequest asks (all borrowed). */
struct login_request {
	enum login_kind	 kind;
	const char	*my_id;		/* the peer's ID */
	const char	*username;	/* our ID, or an address (direct) */
	const uint8_t	*password;	/* the proof; NULL when len is 0 */
	size_t		 password_len;
	long		 version;	/* login_version_number of the peer */
	int		 scope_changed;	/* a later request asks for another
					 * session than the first one did */
	int		 trusted;	/* its hwid names a trusted device
					 * (HOST.md §4.6) and they are on */
};

/*
 * What the desktop session on the host's screen lets peers in to (HOST.md
 * §1.1; the server keeps it as the session changes). The first value, a
 * user's X11 desktop, lets in everything the settings allow.
 */
enum login_desk {
	LOGIN_DESK_USER = 0,		/* a user's X11 desktop */
	LOGIN_DESK_GREETER,		/* an X11 login screen: remote control
					 * only, no files, no terminal */
	LOGIN_DESK_WAYLAND,		/* a user's Wayland session: no remote
					 * control (X11 only) */
	LOGIN_DESK_WAYLAND_GREETER,	/* a Wayland login screen: neither */
	LOGIN_DESK_NONE,		/* no graphical session: nothing that
					 * needs the desk or its user */
};

/* The host's settings the policy follows (all borrowed). */
struct login_settings {
	const char	*approve_mode;	/* "password", "click", else both */
	const char	*method;	/* verification-method */
	const char	*id_whitelist;	/* "" for none */
	const char	*host_id;	/* our ID */
	int		 enable_file_transfer;
	int		 enable_camera;
	int		 enable_terminal;
	int		 enable_tunnel;
	int		 have_cm;	/* a CM link: someone may click */
	enum login_desk	 desk;		/* the session on the screen */
	int		 tfa;		/* 2FA is on (PROTOCOL.md §3.10) */
};

/* What a proof is checked against (all borrowed). */
struct login_secrets {
	const char	*challenge;	/* sent in Hash */
	const char	*salt;		/* sent in Hash */
	const char	*otp;		/* one-time password, "" for none */
	const uint8_t	*h1;		/* permanent password's hash, or NULL */
	const char	*recent_otp;	/* the password of this peer's recent
					 * session (§3.4), or NULL */
	int		 recent_tfa;	/* that recent session passed 2FA */
};

/* The throttles' answers for the peer's address: NULL, or the error. */
struct login_throttle {
	const char	*id;		/* ID-whitelist failures */
	const char	*password;	/* password failures */
};

enum login_action {
	LOGIN_ACCEPT,	/* authorized, as .how says */
	LOGIN_WAIT,	/* wait for a click; .text (if set) goes first as
			 * LoginResponse.error */
	LOGIN_RETRY,	/* LoginResponse.error .text; the peer may try again */
	LOGIN_REFUSE,	/* LoginResponse.error .text, then close */
	LOGIN_NOBODY,	/* nobody can click: Misc.close_reason .text, close */
	LOGIN_2FA,	/* the password was right, 2FA is on: LoginResponse
			 * .error .text ("2FA Required"), then wait for the
			 * code (Auth2FA) or a click; .how says how the
			 * password was right */
};

enum login_how {
	LOGIN_BY_NONE,
	LOGIN_BY_OTP,		/* the one-time password */
	LOGIN_BY_PERMANENT,	/* the permanent password */
	LOGIN_BY_RECENT,	/* a recent session's one-time password */
};

/* Bookkeeping the caller does with a verdict (login_verdict.flags). */
#define LOGIN_F_FAIL_ID		0x01	/* count an ID-whitelist failure */
#define LOGIN_F_FAIL_PW		0x02	/* count a password failure */
#define LOGIN_F_FAIL_OTP	0x04	/* count a wrong one-time password */
#define LOGIN_F_CLEAR		0x08	/* forget the address's failures */
#define LOGIN_F_FAIL_2FA	0x10	/* count a wrong 2FA code */
#define LOGIN_F_CLEAR_2FA	0x20	/* forget the address's 2FA failures */
#define LOGIN_F_TRUST		0x40	/* remember the peer's device */

struct login_verdict {
	enum login_action action;
	enum login_how	 how;		/* LOGIN_ACCEPT only */
	const char	*text;		/* static, or NULL */
	unsigned	 flags;		/* LOGIN_F_* */
};

/* Fills *v with what to do with a LoginRequest (all inputs borrowed). */
void		 login_decide(const struct login_request *,
		    const struct login_settings *, const struct login_secrets *,
		    const struct login_throttle *, struct login_verdict *v);

/* What an Auth2FA message meets (PROTOCOL.md §3.10). */
struct login_2fa {
	int		 awaiting;	/* the connection was asked for a code
					 * and still waits for one */
	const char	*throttle;	/* the 2FA throttle's answer for the
					 * address: NULL, or the error */
	int		 code_ok;	/* the code is right now (common/totp) */
	int		 hwid;		/* the message carries a device id */
	int		 trust_on;	/* option enable-trusted-devices */
};
/*
 * What to do with an Auth2FA: 0 to ignore it (nobody asked for a code),
 * else 1 with *v filled: LOGIN_ACCEPT, LOGIN_RETRY ("Wrong 2FA Code") or
 * LOGIN_REFUSE (throttled).
 */
int		 login_decide_2fa(const struct login_2fa *,
		    struct login_verdict *v);
/*
 * Why the session on the screen refuses a kind of session (the text the
 * peer gets; static), or NULL: remote control needs an X11 desk; file
 * transfer and terminal need a logged-in user, never the login screen's.
 */
const char	*login_desk_refusal(enum login_kind, enum login_desk);
/* How a login was accepted, for the log ("one-time password", ...). */
const char	*login_how_name(enum login_how);
/*
 * The scope of a LoginRequest (its kind and kind-specific fields), which
 * a connection latches from its first request; *kind receives the kind.
 * Caller frees.
 */
char		*login_scope(const Hbb__LoginRequest *, enum login_kind *kind);
/* RustDesk's get_version_number (PROTOCOL.md §14): "1.2.3" -> 1002030. */
long		 login_version_number(const char *version);
/*
 * 1 if sa matches one entry of the whitelist option (comma-separated IPs
 * and CIDR prefixes; "0.0.0.0" admits everyone), else 0.
 */
int		 login_ip_allowed(const char *list, const struct sockaddr *sa);

#endif
