/*
 * fsh.h: the server's side of the file helper (server/helper/): one
 * `cdesk --helper` per desktop session, started on demand in that session
 * with session_spawn_fd() and reached over a socketpair made here (no
 * socket path anyone could squat), with Data frames of up to
 * IPC_FS_FRAME_MAX. fsh knows nothing of connections: it passes requests
 * on, hands every reply to a callback, says when the helper is gone (it
 * is started again by the next request) and when its queue drained.
 * The helper passes the descriptor of each file of a transfer (SCM_RIGHTS)
 * with an FsStream reply; the server moves the bytes (server/fio.c). On
 * Windows the link and the passing are server/win/fsh_win.c's (fsh_os.h):
 * a loopback socket and handles moved out of the helper's process. The
 * helper's link is never waited for: there, requests queue until the
 * helper called back (fsh.c).
 *
 * What comes back is checked like any IPC input (ipc_decode_max): the
 * helper runs as the desktop user, who could replace it.
 */
#ifndef CDESK_FSH_H
#define CDESK_FSH_H

#include <stddef.h>

#include "ipc.pb-c.h"

struct event_base;
struct fsh;
struct session;

/* Below this many queued bytes the helper counts as drained. */
#define FSH_LOW		(512u * 1024)
/* Above it, the peers uploading wait (conn_read_hold). */
#define FSH_HIGH	(4u * 1024 * 1024)

/* The why of lost when fsh_set_session stopped the helper of another
 * user. */
#define FSH_WHY_SESSION	"the desktop session changed"

struct fsh_cb {
	/* One reply of the helper (borrowed for the call); with an FsStream
	 * the descriptor the helper passed (taken: the callee closes it),
	 * else -1. */
	void	(*reply)(const Ipc__FsReply *, int fd, void *arg);
	/* The helper is gone (why: static text); every request in flight is
	 * lost. Called from the loop, never from inside an fsh_* call. */
	void	(*lost)(const char *why, void *arg);
	/* The queue to the helper fell below FSH_LOW. */
	void	(*drained)(void *arg);
	/* A request fsh_send took never reached a helper (e: ERR_IO, it did
	 * not link): r borrowed for the call, as fsh_send would have failed.
	 * Called from the loop, oldest first; it may call fsh_send. */
	void	(*unsent)(const Ipc__FsRequest *r, int e, void *arg);
};

/* A helper manager on base; cb and arg borrowed. Never NULL. */
struct fsh	*fsh_new(struct event_base *base, const struct fsh_cb *cb,
		    void *arg);
/* Stops the helper (it exits on EOF; reaped here) and frees. NULL is
 * fine. */
void		 fsh_free(struct fsh *);
/*
 * Sets the desktop session (copied) whose user the helper runs as; a
 * running helper of another user is stopped (lost is called).
 */
void		 fsh_set_session(struct fsh *, const struct session *);
/*
 * Queues r for the helper, starting one first if none runs (r waits for
 * it to link; unsent hands it back if it never does). Returns 0,
 * ERR_DENIED (no session user to run it as), ERR_IO (it could not start,
 * or FSH_LINK_MAX bytes wait for it to link), ERR_TOOBIG (r does not fit
 * a frame), or ERR_UNSUPP for a NULL fsh (a server without file
 * transfer, as the fuzz target builds one).
 */
int		 fsh_send(struct fsh *, const Ipc__FsRequest *r);
/* Bytes queued for the helper and not yet written (NULL: 0). */
size_t		 fsh_backlog(const struct fsh *);
/* The helper's process id (also while it links), or 0 when none runs
 * (NULL: 0). */
long		 fsh_pid(const struct fsh *);

#endif
