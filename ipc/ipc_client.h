/*
 * ipc_client.h: the client side of the IPC for programs with a main loop
 * (the CM, the main window), one interface with one adapter per loop:
 * GLib (ipc_glib.c) and the Win32 message loop (ipc_wmsg.c). Reads and
 * writes never block the loop; messages arrive decoded and checked
 * through callbacks.
 */
#ifndef CDESK_IPC_CLIENT_H
#define CDESK_IPC_CLIENT_H

#include "ipc/ipc.h"

struct ipc_client;

struct ipc_client_cb {
	/* The server answered our Hello with the same version. */
	void	(*ready)(struct ipc_client *, void *arg);
	/* A message after Hello (borrowed for the call). May free c. */
	void	(*recv)(struct ipc_client *, const Ipc__Data *d, void *arg);
	/* The link is gone: r is ERR_EOF (server closed or refused us),
	 * ERR_STATE (version mismatch) or another ERR_*. Called once; the
	 * client must still be freed with ipc_client_free. May free c. */
	void	(*lost)(struct ipc_client *, int r, void *arg);
};

/*
 * Connects to the server listening in dir with ipc_connect() (the folder
 * and the server's uid are checked first) and sends Hello with role.
 * cb and arg are borrowed and must outlive the client. Returns 0 with *out
 * set (free with ipc_client_free) or ERR_NOTFOUND (no server), ERR_DENIED
 * (an untrusted folder or server, or no permission: the reason is logged
 * as a warning), ERR_IO.
 */
int	ipc_client_new(struct ipc_client **out, const char *dir,
	    const char *role, const struct ipc_client_cb *cb, void *arg);
/* Disconnects and frees; safe from inside a callback. NULL does nothing. */
void	ipc_client_free(struct ipc_client *);
/*
 * Queues d (written as the socket allows). A write error outside a
 * callback calls lost before this returns. Returns 0, ERR_STATE when the
 * link is gone, ERR_TOOBIG when the queue is over IPC_OUTQ_MAX, or the
 * ipc_pack error.
 */
int	ipc_client_send(struct ipc_client *, const Ipc__Data *d);

#endif
