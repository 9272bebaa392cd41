/*
 * conn.h: one peer connection (ARCHITECTURE.md "The connection"): key
 * exchange on relayed/punched streams, Hash, TestDelay, login with
 * throttling, then the authorized session. One connection type, two ways in.
 */
#ifndef CDESK_CONN_H
#define CDESK_CONN_H

#include <stdint.h>
#include <sys/socket.h>

struct conn;
struct fsh;
struct srv;

/* How the stream reached us. */
enum conn_via {
	CONN_VIA_DIRECT,	/* direct IP listener: plaintext (PROTOCOL.md §2.5) */
	CONN_VIA_SECURE,	/* relay or hole punch: host handshake first */
};

/*
 * Starts serving a peer on fd (takes ownership; non-blocking is set here).
 * sa is the peer's address (copied). Returns the connection, owned by the
 * server's list until it closes, or NULL (fd closed) on failure.
 */
struct conn	*conn_new(struct srv *, int fd, const struct sockaddr *sa,
		    socklen_t salen, enum conn_via via);
/*
 * Tears the connection down now (one log line with why) and frees it later
 * from the event loop; callbacks check the dead flag. Safe to call twice.
 */
void		 conn_close(struct conn *, const char *why);
/*
 * Switches a permission (named as in common/perm.h: "keyboard",
 * "clipboard", ..., "privacy_mode") at once: the peer gets PermissionInfo
 * and services are joined or left. The CM's toggle and the tests use this;
 * by (borrowed) says who switched it, for the audit log ("cm pid 7 uid
 * 1000"). Returns 0 or ERR_INVAL for an unknown name.
 */
int		 conn_set_permission(struct conn *, const char *name,
		    int enabled, const char *by);
/* The live connection with this id, or NULL. */
struct conn	*conn_find(struct srv *, uint32_t id);
/* The local user accepted c (only counts while c waits for a click). */
void		 conn_accept(struct conn *);
/* The local user dismissed or disconnected c: the stock refusal. */
void		 conn_dismiss(struct conn *);
/* The local user wrote text to c's peer (after login only). */
void		 conn_chat(struct conn *, const char *text);
/* The local user answered c's incoming voice call (conn_voice.c). */
void		 conn_voice_answer(struct conn *, int accepted);
/* The local user hung up c's voice call; the peer is told. */
void		 conn_voice_hang_up(struct conn *);
/* The monitors changed: every remote session gets a new PeerInfo. */
void		 conn_displays_changed(struct srv *);
/* The desk went away for good (HOST.md §1.1): every remote session, and
 * every one waiting for a click, gets Misc.close_reason why and closes. */
void		 conn_desk_gone(struct srv *, const char *why);
/* Number of remote sessions (authorized or waiting for a click). */
unsigned	 conn_remote_count(struct srv *);
/* Number of live connections. */
unsigned	 conn_count(struct srv *);
/* The connection's number, for logs. */
uint32_t	 conn_id(const struct conn *);
/*
 * The file helper's link (server/fsh.h) through which every connection of
 * srv moves files (conn_file.c); srv owns it (fsh_free).
 */
struct fsh	*conn_file_helper(struct srv *);

#endif
