/*
 * conn_audit.c: what a connection writes to the audit log (server/audit.h;
 * the fields are described in docs/audit.md): its session's start and
 * end, permission changes and who made them, and each file its peer moved
 * or changed, as the file helper reported it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

#include "common/mono.h"
#include "server/audit.h"
#include "server/conn/conn_int.h"
#include "server/srv.h"

/* The session type as the log names it. */
static const char *
conn_audit_type(enum login_kind kind)
{
	switch (kind) {
	case LOGIN_KIND_FILE:
		return "file_transfer";
	case LOGIN_KIND_PORT_FORWARD:
		return "port_forward";
	case LOGIN_KIND_CAMERA:
		return "camera";
	case LOGIN_KIND_TERMINAL:
		return "terminal";
	case LOGIN_KIND_REMOTE:
		break;
	}
	return "remote";
}

/* The fields every record of a connection has: conn, peer_id, peer_name. */
static void
conn_audit_who(struct audit_rec *e, const struct conn *c)
{
	audit_uint(e, "conn", c->id);
	audit_str(e, "peer_id", c->my_id != NULL ? c->my_id : "");
	audit_str(e, "peer_name", c->my_name != NULL ? c->my_name : "");
}

/* A session starts (detail: how it logged in) or ends (detail: why). */
void
conn_audit_session(struct conn *c, int start, const char *detail)
{
	struct audit_rec *e;
	char addr[INET6_ADDRSTRLEN + 16];
	unsigned port;

	if ((e = audit_begin(c->srv->audit, start ? "session_start" :
	    "session_end")) == NULL)
		return;
	port = ntohs(c->sa.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&c->sa)->sin6_port :
	    ((struct sockaddr_in *)&c->sa)->sin_port);
	snprintf(addr, sizeof addr, c->sa.ss_family == AF_INET6 ?
	    "[%s]:%u" : "%s:%u", c->addr, port);
	conn_audit_who(e, c);
	audit_str(e, "address", addr);
	audit_str(e, "type", conn_audit_type(c->kind));
	audit_bool(e, "encrypted", c->encrypted);
	audit_str(e, "via", c->via == CONN_VIA_DIRECT ? "direct" : "relay");
	if (start)
		audit_str(e, "login", detail);
	else {
		audit_uint(e, "seconds", (mono_ms() - c->start_ms) / 1000);
		audit_str(e, "reason", detail);
	}
	audit_end(e);
}

/* A permission changed; by says who changed it. */
void
conn_audit_permission(struct conn *c, const char *name, int enabled,
    const char *by)
{
	struct audit_rec *e;

	if ((e = audit_begin(c->srv->audit, "permission")) == NULL)
		return;
	conn_audit_who(e, c);
	audit_str(e, "permission", name);
	audit_bool(e, "enabled", enabled);
	audit_str(e, "by", by);
	audit_end(e);
}

/* The outcome of a file log record, as the log words it. */
static const char *
conn_audit_result(const Ipc__FsLog *l)
{
	switch (l->state) {
	case IPC__FILE_TRANSFER_LOG__STATE__DONE:
		return "done";
	case IPC__FILE_TRANSFER_LOG__STATE__CANCELLED:
		return *l->error != '\0' ? l->error : "cancelled";
	case IPC__FILE_TRANSFER_LOG__STATE__ERROR:
		return "error";
	default:
		return "running";
	}
}

/* A file moved or changed, or a transfer ended (c NULL: gone already). */
void
conn_audit_file(struct srv *srv, struct conn *c, int32_t conn_id,
    const Ipc__FsLog *l)
{
	static const char *const events[] = {
		[IPC__FS_LOG__KIND__JOB] = "transfer",
		[IPC__FS_LOG__KIND__FILE] = "file",
		[IPC__FS_LOG__KIND__OP] = "file_op",
	};
	struct audit_rec *e;

	if ((e = audit_begin(srv->audit, events[l->kind])) == NULL)
		return;
	if (c != NULL)
		conn_audit_who(e, c);
	else
		audit_uint(e, "conn", (uint64_t)conn_id);
	audit_int(e, "job", l->job_id);
	if (l->kind == IPC__FS_LOG__KIND__OP)
		audit_str(e, "op", l->op);
	else
		audit_str(e, "direction", l->is_remote ? "download" :
		    "upload");
	audit_str(e, "path", l->path);
	if (l->kind == IPC__FS_LOG__KIND__OP && *l->new_name != '\0')
		audit_str(e, "new_name", l->new_name);
	if (l->kind != IPC__FS_LOG__KIND__OP) {
		audit_uint(e, "size", l->finished_size);
		audit_uint(e, "total_size", l->total_size);
	}
	audit_str(e, "result", conn_audit_result(l));
	if (*l->error != '\0' &&
	    l->state == IPC__FILE_TRANSFER_LOG__STATE__ERROR)
		audit_str(e, "error", l->error);
	audit_end(e);
}
