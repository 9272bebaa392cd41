/*
 * ipc_event.h: the server's side of the IPC on libevent. The server owns
 * one listener; each accepted local client is a struct ipc_peer, checked by
 * uid on accept and by version in its Hello. Callers see only decoded,
 * checked messages through a struct of callbacks: this file knows nothing
 * of the server (STYLE.md §3).
 */
#ifndef CDESK_IPC_EVENT_H
#define CDESK_IPC_EVENT_H

#include "ipc/ipc.h"

struct event_base;
struct ipc_server;
struct ipc_peer;

struct ipc_server_cb {
	/* A peer passed its Hello. */
	void	(*attach)(struct ipc_peer *, void *arg);
	/* A message after Hello; d is borrowed for the call. The callback
	 * may close the peer (or others) but must not free the server. */
	void	(*recv)(struct ipc_peer *, const Ipc__Data *d, void *arg);
	/* An attached peer is gone (EOF, bad input, ipc_peer_close); it is
	 * freed after this returns and must not be used again. */
	void	(*lost)(struct ipc_peer *, void *arg);
};

/*
 * Listens on ipc_socket_path(dir). cb and arg are borrowed and must outlive
 * the server. Peers are allowed by ipc_peer_allowed() with the session uid
 * set below (IPC_UID_NONE at first). Returns 0 with *out set (free with
 * ipc_server_free) or ERR_* with *cause set (caller frees).
 */
int	ipc_server_new(struct ipc_server **out, struct event_base *base,
	    const char *dir, const struct ipc_server_cb *cb, void *arg,
	    char **cause);
/* Closes the listener, removes the socket, frees every peer without
 * calling lost. NULL does nothing. */
void	ipc_server_free(struct ipc_server *);
/* Sets the uid of the session being shared (IPC_UID_NONE: unknown);
 * attached peers that uid no longer admits are closed (lost is called). */
void	ipc_server_set_session_uid(struct ipc_server *, long uid);
/* Number of attached peers with this role (NULL: any role). */
int	ipc_server_count(const struct ipc_server *, const char *role);

/*
 * Queues d for the peer. Returns 0, ERR_STATE when the peer is closing, or
 * ERR_* when d does not pack; a peer whose queue passes IPC_OUTQ_MAX is
 * closed (ERR_TOOBIG).
 */
int	ipc_peer_send(struct ipc_peer *, const Ipc__Data *d);
/* Tears the peer down now (lost is called), frees it later. */
void	ipc_peer_close(struct ipc_peer *);
long	ipc_peer_uid(const struct ipc_peer *);
long	ipc_peer_pid(const struct ipc_peer *);
/* Role from its Hello ("cm", "ui", "cli"); borrowed, never NULL. */
const char	*ipc_peer_role(const struct ipc_peer *);

/* Sends d to every attached peer with role (NULL: all). */
void	ipc_server_broadcast(struct ipc_server *, const char *role,
	    const Ipc__Data *d);

#endif
