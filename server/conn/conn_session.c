/*
 * conn_session.c: the authorized session's messages (PROTOCOL.md §7-§9):
 * Misc (options, displays, refresh, chat, privacy mode), input, clipboard,
 * and the PeerInfo that describes this host's displays.
 */
#include <stdlib.h>

#include "common/err.h"
#include "common/log.h"
#include "common/perm.h"
#include "common/xmalloc.h"
#include "server/cmlink.h"
#include "server/conn/conn_int.h"
#include "server/media/cap_modes.h"
#include "server/srv.h"
#include "server/svc/svc_clip.h"
#include "server/svc/svc_cursor.h"
#include "server/svc/svc_input.h"
#include "server/svc/svc_video.h"
#include "server/sysinfo.h"

/* Start streaming a display to this connection (announced first with
 * flags SVC_VIDEO_F_ANNOUNCE). */
void
conn_video_add(struct conn *c, int display, unsigned flags)
{
	if (display < 0 || display >= 32 || c->srv->video == NULL)
		return;
	if (svc_video_subscribe(c->srv->video, &c->sink, display, &c->vprefs,
	    flags) == 0)
		c->video_displays |= 1u << display;
}

/* Stop streaming a display to this connection. */
static void
conn_video_del(struct conn *c, int display)
{
	if (display < 0 || display >= 32 ||
	    !(c->video_displays & (1u << display)))
		return;
	svc_video_unsubscribe(c->srv->video, c->id, display);
	c->video_displays &= ~(1u << display);
}

/* Number of displays the video service has now (0 without one). */
static int
conn_display_count(struct conn *c)
{
	struct cap_display d[32];
	int primary;

	if (c->srv->video == NULL)
		return 0;
	return svc_video_displays(c->srv->video, d, 32, &primary);
}

/* switch_display from the client (PROTOCOL.md §7.4); a width and height
 * (the client's custom resolution for it) are applied, as upstream. */
static void
conn_recv_switch_display(struct conn *c, const Hbb__SwitchDisplay *sd)
{
	Hbb__Resolution r = HBB__RESOLUTION__INIT;
	int i, display = sd->display;

	if (c->kind != LOGIN_KIND_REMOTE || display < 0 ||
	    display >= conn_display_count(c))
		return;
	/* The display already shown: nothing to do, as upstream. A second
	 * SwitchDisplay would reset the client's decoder mid-stream. */
	if (display == c->cur_display &&
	    (c->video_displays & (1u << display)))
		return;
	c->cur_display = display;
	if (sd->width > 0 && sd->height > 0) {
		r.width = sd->width;
		r.height = sd->height;
		conn_recv_resolution(c, display, &r);
	}
	/* Clients before 1.2.4 show one display: the old one stops. */
	if (c->peer_version < 1002040)
		for (i = 0; i < 32; i++)
			if (i != display)
				conn_video_del(c, i);
	if (c->video_displays & (1u << display)) {
		struct msgbuf *b = svc_video_switch_msg(c->srv->video, display);

		/* Already streamed: the geometry, then a key frame. */
		if (b != NULL) {
			conn_enqueue(c, b, SVC_Q_VIDEO);
			msgbuf_unref(b);
		}
		svc_video_refresh(c->srv->video, display);
	} else
		conn_video_add(c, display, SVC_VIDEO_F_ANNOUNCE);
}

/* capture_displays: add, else sub, else set (PROTOCOL.md §7.4). */
static void
conn_recv_capture_displays(struct conn *c, const Hbb__CaptureDisplays *cd)
{
	int n = conn_display_count(c), i, valid = 0;
	uint32_t want = 0;
	size_t k;

	if (c->kind != LOGIN_KIND_REMOTE)
		return;
	if (cd->n_add > 0) {
		for (k = 0; k < cd->n_add; k++)
			if (cd->add[k] >= 0 && cd->add[k] < n) {
				conn_video_add(c, cd->add[k],
				    SVC_VIDEO_F_ANNOUNCE);
				valid = 1;
			}
	} else if (cd->n_sub > 0) {
		for (k = 0; k < cd->n_sub; k++)
			conn_video_del(c, cd->sub[k]);
	} else if (cd->n_set > 0) {
		for (k = 0; k < cd->n_set; k++)
			if (cd->set[k] >= 0 && cd->set[k] < n && cd->set[k] < 32) {
				want |= 1u << cd->set[k];
				valid = 1;
			}
		/* A request whose indices are all invalid is ignored. */
		if (!valid)
			return;
		for (i = 0; i < 32; i++) {
			if ((want & (1u << i)) &&
			    !(c->video_displays & (1u << i)))
				conn_video_add(c, i, SVC_VIDEO_F_ANNOUNCE);
			else if (!(want & (1u << i)))
				conn_video_del(c, i);
		}
	}
}

/* Take the session options a peer sets (login or Misc.option). */
void
conn_apply_options(struct conn *c, const Hbb__OptionMessage *o)
{
	const int yes = HBB__OPTION_MESSAGE__BOOL_OPTION__Yes;
	const int no = HBB__OPTION_MESSAGE__BOOL_OPTION__No;

	if (o == NULL)
		return;
	/* Video: what the client decodes and how it wants it. */
	if (o->supported_decoding != NULL)
		enc_caps_from_proto(o->supported_decoding, &c->vprefs.caps);
	if (o->image_quality != 0 || o->custom_image_quality != 0) {
		c->vprefs.image_quality = o->image_quality;
		c->vprefs.custom_image_quality = o->custom_image_quality;
	}
	if (o->custom_fps > 0 && o->custom_fps <= 120)
		c->vprefs.custom_fps = o->custom_fps;
	if (c->video_displays != 0)
		svc_video_set_prefs(c->srv->video, c->id, &c->vprefs);
	if (o->show_remote_cursor == yes || o->show_remote_cursor == no)
		c->show_remote_cursor = o->show_remote_cursor == yes;
	if (o->block_input == yes || o->block_input == no)
		c->want_block = o->block_input == yes;
	if (o->disable_audio == yes || o->disable_audio == no)
		c->disable_audio = o->disable_audio == yes;
	if (o->disable_clipboard == yes || o->disable_clipboard == no)
		c->disable_clipboard = o->disable_clipboard == yes;
	if (o->disable_keyboard == yes || o->disable_keyboard == no)
		c->disable_keyboard = o->disable_keyboard == yes;
	if (o->terminal_persistent == yes || o->terminal_persistent == no)
		conn_term_persistent(c, o->terminal_persistent == yes);
	if (o->lock_after_session_end == yes ||
	    o->lock_after_session_end == no)
		c->lock_after_end = o->lock_after_session_end == yes;
	if (o->follow_remote_cursor == yes || o->follow_remote_cursor == no)
		c->follow_cursor = o->follow_remote_cursor == yes;
	if ((o->follow_remote_window == yes || o->follow_remote_window == no) &&
	    c->follow_window != (o->follow_remote_window == yes)) {
		c->follow_window = o->follow_remote_window == yes;
		c->focus_display = -1;
	}
	if (o->lock_after_session_end != 0 || o->follow_remote_cursor != 0 ||
	    o->follow_remote_window != 0)
		log_debug("conn %u: lock after end %d, follow cursor %d, "
		    "window %d", c->id, c->lock_after_end, c->follow_cursor,
		    c->follow_window);
	conn_update_services(c);
}

/* Misc after login: session options; the rest is not ours yet. */
void
conn_recv_misc(struct conn *c, const Hbb__Message *m)
{
	const Hbb__Misc *misc = m->misc;

	switch (misc->union_case) {
	case HBB__MISC__UNION_OPTION:
		conn_apply_options(c, misc->option);
		break;
	case HBB__MISC__UNION_REFRESH_VIDEO:
		conn_opts_active(c);
		if (misc->refresh_video && c->srv->video != NULL)
			svc_video_refresh(c->srv->video, -1);
		break;
	case HBB__MISC__UNION_REFRESH_VIDEO_DISPLAY:
		conn_opts_active(c);
		if (c->srv->video != NULL)
			svc_video_refresh(c->srv->video,
			    misc->refresh_video_display);
		break;
	case HBB__MISC__UNION_SWITCH_DISPLAY:
		conn_recv_switch_display(c, misc->switch_display);
		break;
	case HBB__MISC__UNION_CAPTURE_DISPLAYS:
		conn_recv_capture_displays(c, misc->capture_displays);
		break;
	case HBB__MISC__UNION_MESSAGE_QUERY:
		if (c->srv->video != NULL) {
			struct msgbuf *b = svc_video_switch_msg(c->srv->video,
			    misc->message_query->switch_display);

			if (b != NULL) {
				conn_enqueue(c, b, SVC_Q_VIDEO);
				msgbuf_unref(b);
			}
		}
		break;
	case HBB__MISC__UNION_AUTO_ADJUST_FPS:
		if (misc->auto_adjust_fps >= 1 && misc->auto_adjust_fps <= 120) {
			c->vprefs.custom_fps = (int)misc->auto_adjust_fps;
			if (c->video_displays != 0)
				svc_video_set_prefs(c->srv->video, c->id,
				    &c->vprefs);
		}
		break;
	case HBB__MISC__UNION_TOGGLE_PRIVACY_MODE:
		conn_recv_privacy(c, misc->toggle_privacy_mode);
		break;
	case HBB__MISC__UNION_RESTART_REMOTE_DEVICE:
		conn_recv_restart(c);
		break;
	case HBB__MISC__UNION_CHANGE_RESOLUTION:
		conn_recv_resolution(c, -1, misc->change_resolution);
		break;
	case HBB__MISC__UNION_CHANGE_DISPLAY_RESOLUTION:
		conn_recv_resolution(c, misc->change_display_resolution->display,
		    misc->change_display_resolution->resolution);
		break;
	case HBB__MISC__UNION_CLIENT_RECORD_STATUS:
		conn_recv_record(c, misc->client_record_status);
		break;
	case HBB__MISC__UNION_SWITCH_SIDES_REQUEST:
	case HBB__MISC__UNION_ELEVATION_REQUEST:
		conn_recv_cannot(c, misc);
		break;
	case HBB__MISC__UNION_CHAT_MESSAGE:
		conn_opts_active(c);
		if (c->srv->cm != NULL)
			cmlink_chat(c->srv->cm, (int)c->id,
			    misc->chat_message->text);
		break;
	default:
		log_debug("conn %u: misc %d ignored", c->id,
		    (int)misc->union_case);
		break;
	}
}

/* Mouse, keys and touch: injected only with Keyboard on, not view-only. */
void
conn_recv_input(struct conn *c, const Hbb__Message *m)
{
	struct svc_input *in = c->srv->input;
	int r;

	conn_opts_active(c);
	if (in == NULL || c->kind != LOGIN_KIND_REMOTE ||
	    !c->perm[PERM_KEYBOARD] || c->disable_keyboard)
		return;
	switch (m->union_case) {
	case HBB__MESSAGE__UNION_MOUSE_EVENT:
		r = svc_input_mouse(in, c->id, m->mouse_event);
		if (r == 0 && c->sub_cursor != 0)
			svc_cursor_input(c->srv->cursor, c->id);
		break;
	case HBB__MESSAGE__UNION_KEY_EVENT:
		if (conn_ctl_lock_key(c, m->key_event))
			return;
		r = svc_input_key(in, c->id, m->key_event);
		break;
	default:
		r = svc_input_pointer(in, c->id, m->pointer_device_event);
		break;
	}
	if (r != 0 && r != ERR_DENIED && r != ERR_INVAL)
		log_debug_r(r, "conn %u: input", c->id);
}

/* The peer's clipboard becomes the host's, if it may write it. */
void
conn_recv_clipboard(struct conn *c, const Hbb__Message *m)
{
	int r;

	if (c->srv->clip == NULL || !c->perm[PERM_CLIPBOARD] ||
	    c->disable_clipboard || c->kind != LOGIN_KIND_REMOTE)
		return;
	if (m->union_case == HBB__MESSAGE__UNION_CLIPBOARD)
		r = svc_clip_set(c->srv->clip, c->id, m->clipboard);
	else
		r = svc_clip_set_multi(c->srv->clip, c->id,
		    m->multi_clipboards);
	if (r != 0)
		log_info_r(r, "conn %u peer %s: clipboard not applied", c->id,
		    c->peer);
}

/*
 * PeerInfo for this host: the facts from sysinfo and the displays as the
 * video service streams them (the sizes of its frames). Returns 0, or
 * ERR_NOTFOUND when there is no display to announce.
 */
int
conn_peerinfo(struct srv *srv, Hbb__PeerInfo *pi)
{
	struct cap_display d[16];
	struct cap_modes_pb *rp;
	int i, n, primary = 0;

	sysinfo_peerinfo(srv->sysinfo, pi);
	if (srv->video == NULL ||
	    (n = svc_video_displays(srv->video, d, 16, &primary)) <= 0)
		return ERR_NOTFOUND;
	pi->displays = xcalloc((size_t)n, sizeof *pi->displays);
	for (i = 0; i < n; i++) {
		Hbb__DisplayInfo *di = xcalloc(1, sizeof *di);

		hbb__display_info__init(di);
		di->x = d[i].x;
		di->y = d[i].y;
		di->width = d[i].width;
		di->height = d[i].height;
		di->name = xstrdup(d[i].name);
		di->online = d[i].online;
		di->scale = 1.0;
		di->original_resolution = xmalloc(sizeof *di->original_resolution);
		hbb__resolution__init(di->original_resolution);
		di->original_resolution->width = d[i].orig_w;
		di->original_resolution->height = d[i].orig_h;
		pi->displays[i] = di;
	}
	pi->n_displays = (size_t)n;
	pi->current_display = primary;
	/* The shown display's modes: the client's resolution menu. */
	rp = xmalloc(sizeof *rp);
	cap_modes_pb(&d[primary], rp);
	pi->resolutions = &rp->sr;
	return 0;
}

/* Free the displays conn_peerinfo hung off pi. */
void
conn_peerinfo_free(Hbb__PeerInfo *pi)
{
	size_t i;

	for (i = 0; i < pi->n_displays; i++) {
		free(pi->displays[i]->original_resolution);
		free(pi->displays[i]->name);
		free(pi->displays[i]);
	}
	/* sr is the first member of the cap_modes_pb it came from. */
	free(pi->resolutions);
	pi->resolutions = NULL;
	free(pi->displays);
	pi->displays = NULL;
	pi->n_displays = 0;
}

/* The monitors changed: tell every remote session (HOST.md §5.3). */
void
conn_displays_changed(struct srv *srv)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__PeerInfo pi = HBB__PEER_INFO__INIT;
	struct conn *c;

	if (conn_peerinfo(srv, &pi) != 0)
		return;
	/* Only the display list (and the additions) matter here. */
	m.union_case = HBB__MESSAGE__UNION_PEER_INFO;
	m.peer_info = &pi;
	TAILQ_FOREACH(c, &srv->conns, entry)
		if (!c->dead && c->state == CONN_AUTHORIZED &&
		    c->kind == LOGIN_KIND_REMOTE) {
			conn_send(c, &m);
			/* A service that came with a new display. */
			conn_update_services(c);
		}
	conn_peerinfo_free(&pi);
}

/* A remote session, authorized or waiting for a click, not closing. */
static int
conn_on_desk(const struct conn *c)
{
	return !c->dead && !c->closing && c->kind == LOGIN_KIND_REMOTE &&
	    (c->state == CONN_AUTHORIZED || c->pending);
}

/* The desk went away for good: remote sessions hear why and close. */
void
conn_desk_gone(struct srv *srv, const char *why)
{
	struct conn *c;

	/* conn_refuse closes later: the list does not change here. */
	TAILQ_FOREACH(c, &srv->conns, entry)
		if (conn_on_desk(c))
			conn_refuse(c, why);
}

/* Number of remote sessions. */
unsigned
conn_remote_count(struct srv *srv)
{
	struct conn *c;
	unsigned n = 0;

	TAILQ_FOREACH(c, &srv->conns, entry)
		n += conn_on_desk(c);
	return n;
}
