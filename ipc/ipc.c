/*
 * ipc.c: Data framing on the length-prefix codec, the checks every decoded
 * message passes, and a blocking request helper for CLI verbs.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "ipc/ipc.h"

/* Permission names of HOST.md §3.5, in one place. */
static const char *const ipc_perms[] = {
	"keyboard", "clipboard", "audio", "file", "restart", "recording",
	"block_input", "privacy_mode",
};

/* Return 1 if name is a known permission. */
int
ipc_perm_known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof ipc_perms / sizeof ipc_perms[0]; i++)
		if (strcmp(name, ipc_perms[i]) == 0)
			return 1;
	return 0;
}

/* Apply the accept-time uid rule. */
int
ipc_peer_allowed(long peer_uid, long self_uid, long session_uid)
{
	if (peer_uid < 0)
		return 0;
	if (peer_uid == 0 || peer_uid == self_uid)
		return 1;
	return session_uid != IPC_UID_NONE && peer_uid == session_uid;
}

/* Apply the client's rule to the uid serving a socket. */
int
ipc_server_trusted(long server_uid, long self_uid)
{
	return server_uid == 0 || (server_uid >= 0 && server_uid == self_uid);
}

/* Return 0 if s is NULL-free text of at most max bytes, else ERR_PROTO. */
static int
ipc_check_str(const char *s, size_t max)
{
	if (s == NULL)
		return 0;
	return strnlen(s, max + 1) > max ? ERR_PROTO : 0;
}

/* Check n option entries. */
static int
ipc_check_entries(Ipc__OptionEntry **e, size_t n)
{
	size_t i;

	if (n > IPC_OPTIONS_MAX)
		return ERR_PROTO;
	for (i = 0; i < n; i++) {
		if (e[i] == NULL || e[i]->key == NULL || e[i]->key[0] == '\0' ||
		    ipc_check_str(e[i]->key, IPC_NAME_MAX) != 0 ||
		    ipc_check_str(e[i]->value, IPC_TEXT_MAX) != 0 ||
		    ipc_check_str(e[i]->locked_by, IPC_TEXT_MAX) != 0)
			return ERR_PROTO;
	}
	return 0;
}

/* Check a connection id that must name a connection. */
static int
ipc_check_conn(int32_t id)
{
	return id > 0 ? 0 : ERR_PROTO;
}

/*
 * 1 if m or any message inside it kept unknown fields. Both ends speak the
 * same IPC_VERSION, so an unknown field is a bug or an attack; refusing
 * it also means what we unpack always packs back the same.
 */
static int
ipc_has_unknown(const ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *desc = m->descriptor;
	const ProtobufCFieldDescriptor *f;
	const char *base = (const char *)m;
	const ProtobufCMessage *const *arr;
	const ProtobufCMessage *sub;
	size_t i, j, n;

	if (m->n_unknown_fields > 0 || depth > 8)
		return 1;
	for (i = 0; i < desc->n_fields; i++) {
		f = &desc->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			memcpy(&n, base + f->quantifier_offset, sizeof n);
			memcpy(&arr, base + f->offset, sizeof arr);
			for (j = 0; j < n; j++)
				if (arr[j] != NULL &&
				    ipc_has_unknown(arr[j], depth + 1))
					return 1;
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which;

			memcpy(&which, base + f->quantifier_offset,
			    sizeof which);
			if (which != f->id)
				continue;
		}
		memcpy(&sub, base + f->offset, sizeof sub);
		if (sub != NULL && ipc_has_unknown(sub, depth + 1))
			return 1;
	}
	return 0;
}

/* Check a request to the file helper. */
static int
ipc_check_fs_request(const Ipc__FsRequest *m)
{
	if (ipc_check_conn(m->conn_id) != 0 ||
	    m->message.len > IPC_FS_FRAME_MAX ||
	    ipc_check_str(m->stop_error, IPC_TEXT_MAX) != 0)
		return ERR_PROTO;
	return 0;
}

/* Check what the file helper answered. */
static int
ipc_check_fs_reply(const Ipc__FsReply *m)
{
	const Ipc__FsLog *l = m->log;

	if (ipc_check_conn(m->conn_id) != 0 ||
	    m->message.len > IPC_FS_FRAME_MAX ||
	    (m->stream != NULL &&
	    ipc_check_str(m->stream->path, IPC_TEXT_MAX) != 0))
		return ERR_PROTO;
	if (l == NULL)
		return 0;
	if ((unsigned)l->kind > IPC__FS_LOG__KIND__OP ||
	    (unsigned)l->state > IPC__FILE_TRANSFER_LOG__STATE__ERROR ||
	    ipc_check_str(l->path, IPC_TEXT_MAX) != 0 ||
	    ipc_check_str(l->error, IPC_TEXT_MAX) != 0 ||
	    ipc_check_str(l->op, IPC_NAME_MAX) != 0 ||
	    ipc_check_str(l->new_name, IPC_TEXT_MAX) != 0)
		return ERR_PROTO;
	return 0;
}

/* The trusted devices of a TwoFaState: at most 64, their strings. */
static int
ipc_check_trusted(const Ipc__TwoFaState *st)
{
	size_t i;

	if (st->n_devices > 64)
		return ERR_PROTO;
	for (i = 0; i < st->n_devices; i++)
		if (ipc_check_str(st->devices[i]->key, IPC_NAME_MAX) != 0 ||
		    ipc_check_str(st->devices[i]->id, IPC_NAME_MAX) != 0 ||
		    ipc_check_str(st->devices[i]->name, IPC_NAME_MAX) != 0 ||
		    ipc_check_str(st->devices[i]->platform,
		    IPC_NAME_MAX) != 0)
			return ERR_PROTO;
	return 0;
}

/* Check a 2FA message (HOST.md §4.6): its strings. */
static int
ipc_check_tfa(const Ipc__Data *d)
{
	switch (d->union_case) {
	case IPC__DATA__UNION_TWO_FA_ENABLE:
		return ipc_check_str(d->two_fa_enable->code, IPC_NAME_MAX);
	case IPC__DATA__UNION_TWO_FA_STATE:
		if (ipc_check_str(d->two_fa_state->uri, IPC_TEXT_MAX) != 0 ||
		    ipc_check_str(d->two_fa_state->secret, IPC_NAME_MAX) != 0)
			return ERR_PROTO;
		return ipc_check_trusted(d->two_fa_state);
	case IPC__DATA__UNION_TWO_FA_UNTRUST:
		return ipc_check_str(d->two_fa_untrust->which, IPC_NAME_MAX);
	default:
		return 0;
	}
}

/* Checks a Login notice: its strings and a known connection mode. */
static int
ipc_check_login(const Ipc__Login *l)
{
	if (ipc_check_conn(l->conn_id) != 0 ||
	    ipc_check_str(l->peer_id, IPC_NAME_MAX) != 0 ||
	    ipc_check_str(l->peer_name, IPC_NAME_MAX) != 0 ||
	    ipc_check_str(l->address, IPC_NAME_MAX) != 0 ||
	    ipc_check_str(l->port_forward, IPC_NAME_MAX) != 0)
		return ERR_PROTO;
	switch (l->mode) {
	case IPC__CONN_MODE__MODE_REMOTE:
	case IPC__CONN_MODE__MODE_FILE_TRANSFER:
	case IPC__CONN_MODE__MODE_PORT_FORWARD:
	case IPC__CONN_MODE__MODE_TERMINAL:
	case IPC__CONN_MODE__MODE_CAMERA:
		return 0;
	default:
		return ERR_PROTO;
	}
}

/* Check what the values of a decoded or outgoing message mean. */
int
ipc_check(const Ipc__Data *d)
{
	size_t i;

	if (d == NULL || ipc_has_unknown(&d->base, 0))
		return ERR_PROTO;
	switch (d->union_case) {
	case IPC__DATA__UNION_HELLO:
		return ipc_check_str(d->hello->role, IPC_NAME_MAX);
	case IPC__DATA__UNION_LOGIN:
		return ipc_check_login(d->login);
	case IPC__DATA__UNION_AUTHORIZE:
		return ipc_check_conn(d->authorize->conn_id);
	case IPC__DATA__UNION_CLOSE:
		return ipc_check_conn(d->close->conn_id);
	case IPC__DATA__UNION_DISCONNECTED:
		return ipc_check_conn(d->disconnected->conn_id);
	case IPC__DATA__UNION_SWITCH_PERMISSION:
		if (ipc_check_conn(d->switch_permission->conn_id) != 0 ||
		    d->switch_permission->name == NULL ||
		    !ipc_perm_known(d->switch_permission->name))
			return ERR_PROTO;
		return 0;
	case IPC__DATA__UNION_CHAT:
		if (ipc_check_conn(d->chat->conn_id) != 0 ||
		    d->chat->text == NULL || d->chat->text[0] == '\0')
			return ERR_PROTO;
		return ipc_check_str(d->chat->text, IPC_TEXT_MAX);
	case IPC__DATA__UNION_FILE_TRANSFER_LOG:
		if (ipc_check_conn(d->file_transfer_log->conn_id) != 0 ||
		    d->file_transfer_log->finished_size >
		    d->file_transfer_log->total_size ||
		    (unsigned)d->file_transfer_log->state > 3)
			return ERR_PROTO;
		if (ipc_check_str(d->file_transfer_log->path,
		    IPC_TEXT_MAX) != 0 ||
		    ipc_check_str(d->file_transfer_log->error,
		    IPC_TEXT_MAX) != 0)
			return ERR_PROTO;
		return 0;
	case IPC__DATA__UNION_VOICE_CALL_STATE:
		if ((unsigned)d->voice_call_state->state >
		    IPC__VOICE_CALL_STATE__STATE__ACTIVE)
			return ERR_PROTO;
		return ipc_check_conn(d->voice_call_state->conn_id);
	case IPC__DATA__UNION_VOICE_CALL_RESPONSE:
		return ipc_check_conn(d->voice_call_response->conn_id);
	case IPC__DATA__UNION_VOICE_CALL_HANG_UP:
		return ipc_check_conn(d->voice_call_hang_up->conn_id);
	case IPC__DATA__UNION_PRIVACY_MODE_STATE:
		if (ipc_check_conn(d->privacy_mode_state->conn_id) != 0)
			return ERR_PROTO;
		return ipc_check_str(d->privacy_mode_state->impl_key,
		    IPC_NAME_MAX);
	case IPC__DATA__UNION_CLIPBOARD_FILE:
		return ipc_check_conn(d->clipboard_file->conn_id);
	case IPC__DATA__UNION_OPTIONS_GET:
		if (d->options_get->n_keys > IPC_OPTIONS_MAX)
			return ERR_PROTO;
		for (i = 0; i < d->options_get->n_keys; i++)
			if (d->options_get->keys[i] == NULL ||
			    ipc_check_str(d->options_get->keys[i],
			    IPC_NAME_MAX) != 0)
				return ERR_PROTO;
		return 0;
	case IPC__DATA__UNION_OPTIONS:
		return ipc_check_entries(d->options->options,
		    d->options->n_options);
	case IPC__DATA__UNION_OPTIONS_SET:
		return ipc_check_entries(d->options_set->options,
		    d->options_set->n_options);
	case IPC__DATA__UNION_STATUS_GET:
		return 0;
	case IPC__DATA__UNION_STATUS:
		if (ipc_check_str(d->status->rendezvous, IPC_NAME_MAX) != 0 ||
		    ipc_check_str(d->status->id, IPC_NAME_MAX) != 0 ||
		    ipc_check_str(d->status->temp_password,
		    IPC_NAME_MAX) != 0 ||
		    ipc_check_str(d->status->version, IPC_NAME_MAX) != 0 ||
		    ipc_check_str(d->status->desk_notice, IPC_TEXT_MAX) != 0 ||
		    d->status->direct_port > 65535)
			return ERR_PROTO;
		return 0;
	case IPC__DATA__UNION_CM_ERR:
		return ipc_check_str(d->cm_err->text, IPC_TEXT_MAX);
	case IPC__DATA__UNION_CLICK_TIME:
		return ipc_check_conn(d->click_time->conn_id);
	case IPC__DATA__UNION_REFRESH_TEMP_PASSWORD:
		return 0;
	case IPC__DATA__UNION_SET_PERMANENT_PASSWORD:
		return ipc_check_str(d->set_permanent_password->password,
		    IPC_NAME_MAX);
	case IPC__DATA__UNION_RESULT:
		return ipc_check_str(d->result->text, IPC_TEXT_MAX);
	case IPC__DATA__UNION_FS_REQUEST:
		return ipc_check_fs_request(d->fs_request);
	case IPC__DATA__UNION_FS_REPLY:
		return ipc_check_fs_reply(d->fs_reply);
	case IPC__DATA__UNION_DESK_NOTICE:
		return ipc_check_str(d->desk_notice->text, IPC_TEXT_MAX);
	case IPC__DATA__UNION_TWO_FA_SETUP:
	case IPC__DATA__UNION_TWO_FA_ENABLE:
	case IPC__DATA__UNION_TWO_FA_DISABLE:
	case IPC__DATA__UNION_TWO_FA_GET:
	case IPC__DATA__UNION_TWO_FA_STATE:
	case IPC__DATA__UNION_TWO_FA_UNTRUST:
		return ipc_check_tfa(d);
	default:
		return ERR_PROTO;
	}
}

/* Name a variant for log lines. */
const char *
ipc_data_name(Ipc__Data__UnionCase c)
{
	switch (c) {
	case IPC__DATA__UNION_HELLO:			return "hello";
	case IPC__DATA__UNION_LOGIN:			return "login";
	case IPC__DATA__UNION_AUTHORIZE:		return "authorize";
	case IPC__DATA__UNION_CLOSE:			return "close";
	case IPC__DATA__UNION_DISCONNECTED:		return "disconnected";
	case IPC__DATA__UNION_SWITCH_PERMISSION:	return "switch_permission";
	case IPC__DATA__UNION_CHAT:			return "chat";
	case IPC__DATA__UNION_FILE_TRANSFER_LOG:	return "file_transfer_log";
	case IPC__DATA__UNION_VOICE_CALL_STATE:		return "voice_call_state";
	case IPC__DATA__UNION_VOICE_CALL_RESPONSE:	return "voice_call_response";
	case IPC__DATA__UNION_VOICE_CALL_HANG_UP:	return "voice_call_hang_up";
	case IPC__DATA__UNION_PRIVACY_MODE_STATE:	return "privacy_mode_state";
	case IPC__DATA__UNION_CLIPBOARD_FILE:		return "clipboard_file";
	case IPC__DATA__UNION_OPTIONS_GET:		return "options_get";
	case IPC__DATA__UNION_OPTIONS:			return "options";
	case IPC__DATA__UNION_OPTIONS_SET:		return "options_set";
	case IPC__DATA__UNION_STATUS_GET:		return "status_get";
	case IPC__DATA__UNION_STATUS:			return "status";
	case IPC__DATA__UNION_CM_ERR:			return "cm_err";
	case IPC__DATA__UNION_CLICK_TIME:		return "click_time";
	case IPC__DATA__UNION_REFRESH_TEMP_PASSWORD:	return "refresh_temp_password";
	case IPC__DATA__UNION_SET_PERMANENT_PASSWORD:	return "set_permanent_password";
	case IPC__DATA__UNION_RESULT:			return "result";
	case IPC__DATA__UNION_FS_REQUEST:		return "fs_request";
	case IPC__DATA__UNION_FS_REPLY:			return "fs_reply";
	case IPC__DATA__UNION_DESK_NOTICE:		return "desk_notice";
	case IPC__DATA__UNION_TWO_FA_SETUP:		return "two_fa_setup";
	case IPC__DATA__UNION_TWO_FA_ENABLE:		return "two_fa_enable";
	case IPC__DATA__UNION_TWO_FA_DISABLE:		return "two_fa_disable";
	case IPC__DATA__UNION_TWO_FA_GET:		return "two_fa_get";
	case IPC__DATA__UNION_TWO_FA_STATE:		return "two_fa_state";
	case IPC__DATA__UNION_TWO_FA_UNTRUST:		return "two_fa_untrust";
	default:					return "unknown";
	}
}

/* Serialize d into a new length-prefixed frame. */
int
ipc_pack(const Ipc__Data *d, uint8_t **out, size_t *out_len)
{
	return ipc_pack_max(d, IPC_FRAME_MAX, out, out_len);
}

/* Serialize d into a new frame of at most max body bytes. */
int
ipc_pack_max(const Ipc__Data *d, size_t max, uint8_t **out, size_t *out_len)
{
	uint8_t hdr[CODEC_HDR_MAX], *p;
	size_t body, h;

	*out = NULL;
	*out_len = 0;
	if (ipc_check(d) != 0)
		return ERR_INVAL;
	body = ipc__data__get_packed_size(d);
	if (body > max)
		return ERR_TOOBIG;
	if ((h = codec_hdr_encode(hdr, body)) == 0)
		return ERR_TOOBIG;
	p = xmalloc(h + body + 1);
	memcpy(p, hdr, h);
	if (ipc__data__pack(d, p + h) != body) {
		free(p);
		return ERR_PROTO;
	}
	*out = p;
	*out_len = h + body;
	return 0;
}

/* Take one frame from a stream and unpack and check it. */
int
ipc_decode(const uint8_t *p, size_t n, Ipc__Data **out)
{
	return ipc_decode_max(p, n, IPC_FRAME_MAX, out);
}

/* The same with a frame cap of max body bytes. */
int
ipc_decode_max(const uint8_t *p, size_t n, size_t max, Ipc__Data **out)
{
	const uint8_t *body;
	size_t len;
	Ipc__Data *d;
	int r;

	*out = NULL;
	if ((r = codec_frame(p, n, max, &body, &len)) <= 0)
		return r;
	/* protobuf-c wants a non-NULL pointer even for an empty body. */
	d = ipc__data__unpack(NULL, len, len ? body : (const uint8_t *)"");
	if (d == NULL)
		return ERR_PROTO;
	if (ipc_check(d) != 0) {
		ipc__data__free_unpacked(d, NULL);
		return ERR_PROTO;
	}
	*out = d;
	return r;
}

/* Free a decoded message. */
void
ipc_data_free(Ipc__Data *d)
{
	if (d != NULL)
		ipc__data__free_unpacked(d, NULL);
}

/* Build the socket path for a run folder. */
char *
ipc_socket_path(const char *dir)
{
	char *path;

	/* sun_path holds 108 bytes on Linux, NUL included. */
	xasprintf(&path, "%s/%s", dir, IPC_SOCKET_NAME);
	if (strlen(path) >= 108) {
		free(path);
		return NULL;
	}
	return path;
}

/* 1 if a server's socket (or pipe) is there for dir. */
static int
ipc_has_socket(const char *dir)
{
	char *path;
	int r;

	if (dir == NULL || (path = ipc_socket_path(dir)) == NULL)
		return 0;
	r = ipc_transport_native.probe(path);
	free(path);
	return r;
}

/* Check a run folder before a client trusts it. */
int
ipc_dir_check(const char *dir, char **cause)
{
	struct stat st;

	*cause = NULL;
	if (lstat(dir, &st) != 0) {
		if (errno == ENOENT)
			return ERR_NOTFOUND;
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return ERR_DENIED;
	}
	if (!S_ISDIR(st.st_mode)) {
		xasprintf(cause, "%s is not a folder (%s)", dir,
		    S_ISLNK(st.st_mode) ? "a symbolic link" : "another file");
		return ERR_DENIED;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		xasprintf(cause, "%s belongs to uid %ld, neither root nor you "
		    "(uid %ld): not using it", dir, (long)st.st_uid,
		    (long)geteuid());
		return ERR_DENIED;
	}
	if ((st.st_mode & 022) != 0) {
		xasprintf(cause, "%s has mode %04o: others may write in it, "
		    "not using it", dir, (unsigned)(st.st_mode & 07777));
		return ERR_DENIED;
	}
	return 0;
}

/* Pick the folder a client should connect to. */
const char *
ipc_find_dir(const char *own_run_dir)
{
	const char *env = getenv("CDESK_IPC_DIR");
	char *cause = NULL;

	if (env != NULL && *env == '/')
		return env;
	if (ipc_has_socket(own_run_dir)) {
		if (ipc_dir_check(own_run_dir, &cause) == 0)
			return own_run_dir;
		/* A socket someone else planted: look for the real one. */
		log_warn("ipc: %s", cause);
		free(cause);
	}
	if (ipc_has_socket(IPC_SYSTEM_RUN_DIR))
		return IPC_SYSTEM_RUN_DIR;
	return own_run_dir;
}

/* Connect to the server in dir, checking the folder and who serves it. */
int
ipc_connect(const char *dir, intptr_t *h, char **cause)
{
	struct ipc_cred cred;
	char *path = NULL;
	int r;

	*h = -1;
	*cause = NULL;
	if ((path = ipc_socket_path(dir)) == NULL) {
		xasprintf(cause, "%s: folder name too long for a socket", dir);
		return ERR_INVAL;
	}
	if ((r = ipc_dir_check(dir, cause)) != 0)
		goto out;
	if ((r = ipc_transport_native.connect(path, h)) != 0) {
		if (r == ERR_DENIED)
			xasprintf(cause, "%s: permission denied", path);
		goto out;
	}
	if ((r = ipc_transport_native.server_cred(*h, &cred)) != 0) {
		xasprintf(cause, "%s: cannot tell who serves it", path);
		goto out;
	}
	if (!ipc_server_trusted(cred.uid, (long)geteuid())) {
		xasprintf(cause, "%s is served by uid %ld (pid %ld), neither "
		    "root nor you (uid %ld): not talking to it", path,
		    cred.uid, cred.pid, (long)geteuid());
		r = ERR_DENIED;
		goto out;
	}
	r = 0;
 out:
	if (r != 0 && *h != -1) {
		ipc_transport_native.close(*h, NULL);
		*h = -1;
	}
	free(path);
	return r;
}

/*
 * Write all of (p, n) to a blocking socket. MSG_NOSIGNAL: a server that
 * refuses us closes at once, which must be an error to report, not a
 * SIGPIPE that kills the CLI without a word.
 */
static int
ipc_write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			/* A peer that hung up (or refused us) is EOF. */
			return errno == EPIPE || errno == ECONNRESET ?
			    ERR_EOF : ERR_IO;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Pack d and write it to fd. */
static int
ipc_send_fd(int fd, const Ipc__Data *d)
{
	uint8_t *frame;
	size_t len;
	int r;

	if ((r = ipc_pack(d, &frame, &len)) != 0)
		return r;
	r = ipc_write_all(fd, frame, len);
	free(frame);
	return r;
}

/* Take the first whole message off buf (see ipc.h). */
int
ipc_take(uint8_t *buf, size_t *len, Ipc__Data **out)
{
	int r;

	if ((r = ipc_decode(buf, *len, out)) <= 0)
		return r;
	memmove(buf, buf + r, *len - (size_t)r);
	*len -= (size_t)r;
	return 1;
}

/* Read from fd until one message is decoded or the deadline passes. */
static int
ipc_read_one(int fd, uint8_t *buf, size_t cap, size_t *have,
    long long deadline, Ipc__Data **out)
{
	struct pollfd pfd;
	ssize_t got;
	long long left;
	int r;

	*out = NULL;
	for (;;) {
		if ((r = ipc_take(buf, have, out)) != 0)
			return r < 0 ? r : 0;
		if (*have == cap)
			return ERR_TOOBIG;
		if ((left = deadline - (long long)mono_ms()) <= 0)
			return ERR_TIMEOUT;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, (int)left)) < 0 && errno != EINTR)
			return ERR_IO;
		if (r <= 0)
			continue;
		if ((got = read(fd, buf + *have, cap - *have)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return errno == ECONNRESET ? ERR_EOF : ERR_IO;
		}
		if (got == 0)
			return ERR_EOF;
		*have += (size_t)got;
	}
}

/* Connect, say Hello, send req and wait for the reply. */
int
ipc_request(const char *dir, const char *role, const Ipc__Data *req,
    Ipc__Data **reply, int timeout_ms, char **cause)
{
	Ipc__Data hd = IPC__DATA__INIT, *d = NULL;
	Ipc__Hello hello = IPC__HELLO__INIT;
	long long deadline = (long long)mono_ms() + timeout_ms;
	uint8_t *buf = NULL;
	size_t have = 0, cap = IPC_FRAME_MAX + CODEC_HDR_MAX;
	char *why = NULL;
	intptr_t h = -1;
	int r, fd, greeted = 0;

	*reply = NULL;
	if (cause != NULL)
		*cause = NULL;
	if ((r = ipc_connect(dir, &h, &why)) != 0)
		goto out;
	fd = (int)h;
	hello.version = IPC_VERSION;
	hello.role = (char *)role;
	hd.union_case = IPC__DATA__UNION_HELLO;
	hd.hello = &hello;
	if ((r = ipc_send_fd(fd, &hd)) != 0 || (r = ipc_send_fd(fd, req)) != 0)
		goto out;
	buf = xmalloc(cap);
	for (;;) {
		if ((r = ipc_read_one(fd, buf, cap, &have, deadline, &d)) != 0)
			goto out;
		if (d->union_case != IPC__DATA__UNION_HELLO)
			break;
		if (d->hello->version != IPC_VERSION) {
			r = ERR_STATE;
			goto out;
		}
		greeted = 1;
		ipc_data_free(d);
		d = NULL;
	}
	*reply = d;
	d = NULL;
	r = 0;
 out:
	/* A server that refused us by uid just closes: say so. */
	if (r == ERR_EOF && !greeted) {
		r = ERR_DENIED;
		xasprintf(&why, "the server in %s does not let uid %ld in",
		    dir, (long)geteuid());
	}
	if (cause != NULL)
		*cause = why;
	else
		free(why);
	ipc_data_free(d);
	free(buf);
	if (h != -1)
		ipc_transport_native.close(h, NULL);
	return r;
}
