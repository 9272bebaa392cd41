/*
 * peer.h: the test peer's connection layer: a blocking client that plays
 * the stock RustDesk client's side of PROTOCOL.md (framing, optional key
 * exchange, Hash, LoginRequest, TestDelay echo).
 */
#ifndef CDESK_PEER_H
#define CDESK_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "message.pb-c.h"

struct pconn;

/* Connects to host:port (TCP). Returns NULL and prints why on failure. */
struct pconn	*pc_connect(const char *host, int port, int timeout_ms);
/* Wraps an already connected socket (takes ownership). */
struct pconn	*pc_from_fd(int fd);
void		 pc_free(struct pconn *);
int		 pc_fd(const struct pconn *);
/*
 * Client side of the key exchange on a relayed stream: reads SignedId,
 * verifies it with host_pk (NULL: no key, continue unencrypted) and answers.
 * Returns 1 encrypted, 0 plaintext, <0 error.
 */
int		 pc_handshake(struct pconn *, const uint8_t *host_pk,
		    const char *host_id);
/* Non-blocking pc_recv: the next whole message already sent, or NULL
 * (*eof: the host closed). */
Hbb__Message	*pc_recv_nb(struct pconn *, int *eof);
/* Sends a message. Returns 0 or -1. */
int		 pc_send(struct pconn *, const Hbb__Message *);
int		 pc_ping(struct pconn *, int);
/* Frames (and encrypts) an already packed payload and sends it. */
int		 pc_send_payload(struct pconn *, const uint8_t *, size_t);
/* Sends raw bytes as they are (no framing). */
int		 pc_send_raw(struct pconn *, const void *, size_t);
/*
 * Reads the next message, echoing the host's TestDelay probes (unless
 * no_echo is set) and returning them too only when want_probes is set.
 * Returns a message (caller frees with hbb__message__free_unpacked) or NULL
 * on EOF (*eof = 1), timeout, or error.
 */
Hbb__Message	*pc_recv(struct pconn *, int timeout_ms, int *eof);
/* Prefer a codec ("vp9", "vp8", "av1", "h264", "h265") at login. */
int		 pc_set_codec(struct pconn *, const char *name);
/* Log in for "file" transfer, a "terminal" or "remote" control (the
 * default); -1 for another word. */
int		 pc_set_kind(struct pconn *, const char *kind);
/* Disable the automatic TestDelay echo (for idle tests). */
void		 pc_set_echo(struct pconn *, int on);
/* Changes a LoginRequest (lr: the peer's, valid during the call). */
typedef void	 pc_login_fill(Hbb__LoginRequest *lr, void *arg);
/* Calls fn on every LoginRequest before it goes out (NULL: none). */
void		 pc_set_login_fill(struct pconn *, pc_login_fill *fn,
		    void *arg);
void		 pc_set_fps(struct pconn *, int fps);
/* Ask for 4:4:4 (SupportedDecoding.prefer_chroma) at the next login. */
void		 pc_set_i444(struct pconn *, int on);
/* Fills dec (and i444, which it points to) with what this peer decodes. */
void		 pc_decoding(const struct pconn *, Hbb__SupportedDecoding *dec,
		    Hbb__CodecAbility *i444);
/* Sends Misc.option{supported_decoding} now (a true-colour toggle). */
int		 pc_send_decoding(struct pconn *);
/* Ask for a file-transfer session in dir (borrowed; NULL: remote control)
 * at the next login. */
void		 pc_set_file_transfer(struct pconn *, const char *dir,
		    int show_hidden);

/* The challenge and salt of the last Hash received. */
const char	*pc_salt(const struct pconn *);
const char	*pc_challenge(const struct pconn *);

/*
 * Logs in: waits for Hash, sends LoginRequest with the proof for password
 * (NULL or "": an empty proof), then waits for the outcome. Returns the
 * LoginResponse/Misc message that decided (caller frees) or NULL on EOF or
 * timeout. username defaults to host_id when non-NULL.
 */
Hbb__Message	*pc_login(struct pconn *, const char *username,
		    const char *password, int timeout_ms);
/* Permissions the host said were off before the login's outcome, a bit
 * per PermissionInfo.permission. */
unsigned	 pc_perms_off(const struct pconn *);
/* Sends another LoginRequest on the same connection (after Wrong Password). */
Hbb__Message	*pc_login_again(struct pconn *, const char *username,
		    const char *password, int timeout_ms);

/* Logins carry a data: URI avatar of this many bytes (0: none). */
extern size_t	 pc_avatar_len;

/* Commands and events of tests/peer/pctl.c (the toolbar's controls):
 * pctl_command returns 1 when it took the session's command line. */
int		 pctl_command(struct pconn *, const char *line);
/* Prints what a control message m (borrowed) says; 1 if it was one. */
int		 pctl_event(const Hbb__Message *m);

/* Voice calls (tests/peer/pvoice.c): pvoice_command takes a session
 * line (1 if it was one), pvoice_event prints a voice message (1 if m was
 * one), pvoice_tick sends the microphone's frames now due and returns
 * how many ms the session may wait for input. */
int		 pvoice_command(struct pconn *, const char *line);
int		 pvoice_event(const Hbb__Message *m);
int		 pvoice_tick(struct pconn *);

/* Cursor shapes and clipboard images (tests/peer/pmedia.c): the
 * command "keep DIR" (1 if line was it); pmedia_event prints a cursor
 * message (1: it was one) or a clipboard's images (0: main.c prints its
 * text). */
int		 pmedia_command(const char *line);
int		 pmedia_event(const Hbb__Message *m);

/* Many sessions at once (tests/peer/swarm.c): swarm, view, junk. */
int		 peer_swarm(const char *host, int port, const char *user,
		    const char *pass, int argc, char **argv);

/* Monotonic milliseconds (double). */
double		 pc_now_ms(void);

#endif
