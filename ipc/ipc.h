/*
 * ipc.h: cdesk's local IPC (server <-> connection manager, main window,
 * CLI). One Ipc__Data (proto/ipc.proto) per frame, framed with the peer
 * wire's length prefix (common/codec.h). This header and ipc.proto are the
 * single source of truth for the protocol: bump IPC_VERSION whenever the
 * meaning of a message changes.
 *
 * Conversation: the client connects and sends Hello{IPC_VERSION, role};
 * the server answers Hello{IPC_VERSION} and drops a client whose version
 * differs (after answering, so the client can say why). Nothing else is
 * accepted before Hello.
 */
#ifndef CDESK_IPC_H
#define CDESK_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.pb-c.h"
#include "ipc/ipc_transport.h"

#define IPC_VERSION		4	/* 2: OptionEntry.locked_by;
					   3: DeskNotice;
					   4: VoiceCallState, HangUp */
/* Largest frame payload either side accepts (checked before buffering). */
#define IPC_FRAME_MAX		(256u * 1024)
/*
 * Largest frame on the channel between the server and its file helper
 * (Data.fs_request, fs_reply): a peer's message may be up to
 * CODEC_DEFAULT_MAX, and a folder listing as large.
 */
#define IPC_FS_FRAME_MAX	(64u * 1024 * 1024 + 64 * 1024)
/* Largest chat text, option value, peer string. */
#define IPC_TEXT_MAX		(16u * 1024)
#define IPC_NAME_MAX		256	/* option keys, permission names, ids */
#define IPC_OPTIONS_MAX		256	/* entries in one Options message */
/* A peer's output queue over this many bytes is dropped as stuck. */
#define IPC_OUTQ_MAX		(4u * 1024 * 1024)
/* The socket's file name inside the run folder. */
#define IPC_SOCKET_NAME		"cdesk.sock"
/* The installed (root) server's run folder (common/config.c). */
#ifdef _WIN32
#define IPC_SYSTEM_RUN_DIR	ipc_win32_system_dir()
#else
#define IPC_SYSTEM_RUN_DIR	"/run/cdesk"
#endif

/*
 * Serializes d into a new frame (length prefix + body). Returns 0 and sets
 * *out (caller frees) and *out_len, or ERR_TOOBIG when the body exceeds
 * IPC_FRAME_MAX, or ERR_INVAL when d does not pass ipc_check().
 */
int	ipc_pack(const Ipc__Data *d, uint8_t **out, size_t *out_len);
/* The same with another frame cap (IPC_FS_FRAME_MAX on the file channel). */
int	ipc_pack_max(const Ipc__Data *d, size_t max, uint8_t **out,
	    size_t *out_len);

/*
 * The one decoder: takes one frame from the first n bytes of a stream.
 * Returns 0 when more bytes are needed, a negative ERR_* when the stream is
 * bad (oversized frame, body that does not unpack, or a message that fails
 * ipc_check), or the number of bytes consumed with *out set (free it with
 * ipc_data_free). *out is NULL on every other path.
 */
int	ipc_decode(const uint8_t *p, size_t n, Ipc__Data **out);
/* The same with another frame cap (IPC_FS_FRAME_MAX on the file channel). */
int	ipc_decode_max(const uint8_t *p, size_t n, size_t max,
	    Ipc__Data **out);
/*
 * Takes the first whole message off a read buffer of *len bytes: 1 with
 * *out set and the rest moved to the front (*len less), 0 when more bytes
 * are needed, or ipc_decode's negative ERR_*.
 */
int	ipc_take(uint8_t *buf, size_t *len, Ipc__Data **out);

/*
 * Checks what the values of d mean: a variant is set, conn ids are
 * positive where one is required, strings and lists are within the limits
 * above, permission names are known. Returns 0 or ERR_PROTO.
 */
int	ipc_check(const Ipc__Data *d);

/* Frees a message from ipc_decode. NULL does nothing. */
void	ipc_data_free(Ipc__Data *d);

/* Name of a variant for log lines ("login", "chat"...); never NULL. */
const char	*ipc_data_name(Ipc__Data__UnionCase c);

/* 1 if name is a permission SwitchPermission may carry, else 0. */
int	ipc_perm_known(const char *name);

/*
 * Returns the full socket path for run folder dir in a new string (caller
 * frees), or NULL when it would not fit a sockaddr_un.
 */
char	*ipc_socket_path(const char *dir);

/*
 * Checks that a client may trust run folder dir: a real folder (not a
 * symbolic link) owned by root or by us, that nobody else may write in.
 * Returns 0, ERR_NOTFOUND (no such folder; *cause stays NULL) or
 * ERR_DENIED with *cause set (caller frees).
 */
int	ipc_dir_check(const char *dir, char **cause);

/*
 * Where a client (CM, main window, CLI) finds the server: $CDESK_IPC_DIR
 * when set (a server that starts a CM sets it), else own_run_dir when a
 * socket is there and the folder passes ipc_dir_check() (one that fails is
 * skipped with a warning in the log), else IPC_SYSTEM_RUN_DIR when a
 * socket is there (the installed root server), else own_run_dir.
 * Borrowed (from the environment or the arguments); NULL only when
 * own_run_dir is NULL and nothing fits.
 */
const char	*ipc_find_dir(const char *own_run_dir);

/*
 * Connects a client to the server in dir. Before anything is sent the
 * folder must pass ipc_dir_check() and the process serving the socket
 * must pass ipc_server_trusted() by its SO_PEERCRED uid, so that nothing
 * (a password typed into the main window, say) goes to another user's
 * socket. Returns 0 with *h set (close with ipc_transport_unix.close), or
 * ERR_NOTFOUND (no server there), ERR_DENIED with *cause set (an untrusted
 * folder or server, or no permission; caller frees), ERR_INVAL, ERR_IO.
 */
int	ipc_connect(const char *dir, intptr_t *h, char **cause);

/*
 * Blocking request for CLI verbs: connects to the server in dir with
 * ipc_connect(), says Hello as role, sends req and waits at most
 * timeout_ms in all for the first message that is not Hello. Returns 0
 * with *reply set (ipc_data_free), or ERR_NOTFOUND (no server), ERR_DENIED
 * (we refused the server, or it refused us), ERR_STATE (version
 * mismatch), ERR_TIMEOUT, ERR_EOF or another ERR_*. cause may be NULL;
 * else a failure with a reason to tell (a refusal either way, an
 * untrusted folder) sets *cause to a sentence for the user (caller frees;
 * NULL on other paths).
 */
int	ipc_request(const char *dir, const char *role, const Ipc__Data *req,
	    Ipc__Data **reply, int timeout_ms, char **cause);

#endif
