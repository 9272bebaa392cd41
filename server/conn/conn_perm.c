/*
 * conn_perm.c: what an authorized peer may do. The permissions (the
 * table in common/perm.h) decide which services the connection joins; a
 * switch from the CM takes effect at once: the peer hears PermissionInfo
 * and services are joined or left (PROTOCOL.md §9.5, §9.6). The CM hears
 * of each connection with its permissions (conn_cm_login).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/perm.h"
#include "server/cmlink.h"
#include "server/conn/conn_int.h"
#include "server/srv.h"
#include "server/svc/svc_audio.h"
#include "server/svc/svc_clip.h"
#include "server/svc/svc_cursor.h"
#include "server/svc/svc_input.h"
#include "server/svc/svc_video.h"

/* Tell the peer how its block-input request went (PROTOCOL.md §9.6). */
static void
conn_send_block_state(struct conn *c, int state, const char *details)
{
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__BackNotification bn = HBB__BACK_NOTIFICATION__INIT;

	bn.union_case = HBB__BACK_NOTIFICATION__UNION_BLOCK_INPUT_STATE;
	bn.block_input_state = state;
	bn.details = (char *)(details != NULL ? details : "");
	misc.union_case = HBB__MISC__UNION_BACK_NOTIFICATION;
	misc.back_notification = &bn;
	conn_send_misc(c, &misc);
}

/*
 * Block or unblock the local keyboard and mouse as the peer asked, while
 * it holds Keyboard and BlockInput; the last blocker's leaving unblocks.
 */
static void
conn_update_block(struct conn *c)
{
	struct srv *srv = c->srv;
	int allowed = srv->input != NULL && c->perm[PERM_KEYBOARD] &&
	    c->perm[PERM_BLOCK_INPUT] && !c->disable_keyboard;
	int r;

	if (c->want_block && !c->blocking) {
		if (!allowed) {
			conn_send_block_state(c,
			    HBB__BACK_NOTIFICATION__BLOCK_INPUT_STATE__BlkOnFailed,
			    "No permission");
			c->want_block = 0;
			return;
		}
		r = srv->input_blockers > 0 ? 0 : svc_input_block(srv->input, 1);
		if (r != 0) {
			log_warn_r(r, "conn %u: block input", c->id);
			conn_send_block_state(c,
			    HBB__BACK_NOTIFICATION__BLOCK_INPUT_STATE__BlkOnFailed,
			    err_str(r));
			c->want_block = 0;
			return;
		}
		c->blocking = 1;
		srv->input_blockers++;
		log_info("conn %u peer %s: local input blocked", c->id, c->peer);
		conn_send_block_state(c,
		    HBB__BACK_NOTIFICATION__BLOCK_INPUT_STATE__BlkOnSucceeded,
		    NULL);
	} else if (c->blocking && (!c->want_block || !allowed)) {
		c->blocking = 0;
		c->want_block = 0;
		if (--srv->input_blockers == 0)
			svc_input_block(srv->input, 0);
		log_info("conn %u peer %s: local input unblocked", c->id,
		    c->peer);
		conn_send_block_state(c,
		    HBB__BACK_NOTIFICATION__BLOCK_INPUT_STATE__BlkOffSucceeded,
		    NULL);
	}
}

/* Tell the peer that permission p is now on or off. */
void
conn_send_permission(struct conn *c, enum perm p)
{
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__PermissionInfo pi = HBB__PERMISSION_INFO__INIT;

	pi.permission = perm_get(p)->wire;
	pi.enabled = c->perm[p];
	misc.union_case = HBB__MISC__UNION_PERMISSION_INFO;
	misc.permission_info = &pi;
	conn_send_misc(c, &misc);
}

/*
 * Subscribe to, or leave, each service as permissions and the peer's
 * options now say; runs after login and after every change, so a switch
 * takes effect at once.
 */
void
conn_update_services(struct conn *c)
{
	struct srv *srv = c->srv;
	int want_clip, want_audio, r;

	if (c->dead || c->state != CONN_AUTHORIZED ||
	    c->kind != LOGIN_KIND_REMOTE)
		return;
	if (srv->input != NULL && (!c->perm[PERM_KEYBOARD] ||
	    c->disable_keyboard))
		svc_input_release_all(srv->input, c->id);
	conn_update_block(c);
	/* One-way redirection: the peer's clipboard still reaches the host
	 * (conn_recv_clipboard), the host's never goes out (HOST.md §5.1). */
	want_clip = srv->clip != NULL && c->perm[PERM_KEYBOARD] &&
	    c->perm[PERM_CLIPBOARD] && !c->disable_clipboard &&
	    !c->disable_keyboard &&
	    !cfg_bool(srv->cfg, "one-way-clipboard-redirection");
	want_audio = srv->audio != NULL && c->perm[PERM_AUDIO] &&
	    !c->disable_audio;
	if (want_clip && !c->sub_clip) {
		svc_clip_subscribe(srv->clip, &c->sink, c->version,
		    c->platform);
		c->sub_clip = 1;
	} else if (!want_clip && c->sub_clip) {
		svc_clip_unsubscribe(srv->clip, c->id);
		c->sub_clip = 0;
	}
	if (srv->cursor != NULL) {
		unsigned want = 0;

		if (c->perm[PERM_KEYBOARD] || c->show_remote_cursor)
			want |= SVC_CURSOR_F_SHAPE;
		if (c->show_remote_cursor)
			want |= SVC_CURSOR_F_POSITION;
		want |= conn_follow_flags(c);
		if (want != c->sub_cursor) {
			if (want == 0)
				svc_cursor_unsubscribe(srv->cursor, c->id);
			else
				svc_cursor_subscribe(srv->cursor, &c->sink, want);
			c->sub_cursor = want;
		}
		conn_follow_update(c);
	}
	if (srv->video != NULL && !c->video_started) {
		struct cap_display d[CAP_DISPLAYS_MAX];
		int primary = 0;

		/* The RandR primary, wherever it is in the list. */
		c->video_started = 1;
		svc_video_displays(srv->video, d, CAP_DISPLAYS_MAX, &primary);
		c->cur_display = primary;
		conn_video_add(c, primary, 0);
	}
	if (want_audio && !c->sub_audio) {
		if ((r = svc_audio_subscribe(srv->audio, &c->sink)) == 0)
			c->sub_audio = 1;
		else
			log_warn_r(r, "conn %u: audio", c->id);
	} else if (!want_audio && c->sub_audio) {
		svc_audio_unsubscribe(srv->audio, c->id);
		c->sub_audio = 0;
	}
}

/* Tell the CM about this connection (HOST.md §6.5). */
void
conn_cm_login(struct conn *c, int authorized)
{
	static const enum cmlink_mode modes[] = {
		[LOGIN_KIND_REMOTE] = CMLINK_REMOTE,
		[LOGIN_KIND_FILE] = CMLINK_FILE_TRANSFER,
		[LOGIN_KIND_PORT_FORWARD] = CMLINK_PORT_FORWARD,
		[LOGIN_KIND_CAMERA] = CMLINK_CAMERA,
		[LOGIN_KIND_TERMINAL] = CMLINK_TERMINAL,
	};
	struct cmlink_login l;
	char addr[INET6_ADDRSTRLEN + 16];
	int i;

	if (c->srv->cm == NULL)
		return;
	memset(&l, 0, sizeof l);
	snprintf(addr, sizeof addr, "%s:%u", c->addr, ntohs(
	    c->sa.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&c->sa)->sin6_port :
	    ((struct sockaddr_in *)&c->sa)->sin_port));
	l.conn_id = (int)c->id;
	l.peer_id = c->my_id;
	l.peer_name = c->my_name;
	l.address = addr;
	l.mode = modes[c->kind];
	l.encrypted = c->encrypted;
	l.authorized = authorized;
	for (i = 0; i < PERM_MAX; i++)
		if (c->perm[i])
			l.perms |= PERM_BIT(i);
	cmlink_login(c->srv->cm, &l);
	c->cm_known = 1;
}

/* Switch a permission of a live connection (the CM's toggles). */
int
conn_set_permission(struct conn *c, const char *name, int enabled,
    const char *by)
{
	int p;

	if ((p = perm_find(name)) < 0 || c->dead)
		return ERR_INVAL;
	enabled = enabled != 0;
	if (c->perm[p] == enabled)
		return 0;
	c->perm[p] = enabled;
	log_info("conn %u peer %s: permission %s %s (%s)", c->id, c->peer,
	    name, enabled ? "on" : "off", by);
	conn_audit_permission(c, name, enabled, by);
	if (c->state != CONN_HANDSHAKE)
		conn_send_permission(c, (enum perm)p);
	if (p == PERM_FILE)
		conn_file_permission(c);
	conn_update_services(c);
	return 0;
}
