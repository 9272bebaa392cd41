/*
 * conn_voice.c: a peer's voice call (PROTOCOL.md §9.3, HOST.md §3.7).
 *
 * The client asks (VoiceCallRequest{is_connect}), the CM asks the desk
 * user, and the client gets VoiceCallResponse{accepted, req_timestamp
 * copied, ack_timestamp} either way. While a call runs the client's
 * microphone (its Misc.audio_format, then Opus AudioFrames) plays on the
 * desk's PulseAudio (server/media/aplay.c), and the audio service records
 * the desk's default source (its microphone) instead of the output's
 * monitor, for every peer it serves, as upstream switches it; when the
 * last call ends the configured source comes back. Either side hangs up:
 * the client with is_connect false, the CM (we send the client
 * VoiceCallRequest{is_connect false}), or the connection closing.
 *
 * Permissions as upstream: playing the peer's sound needs only that the
 * peer has not set disable_audio; the desk's microphone reaches the peer
 * through the audio service, so only with the Audio permission.
 */
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "ipc.pb-c.h"
#include "server/cmlink.h"
#include "server/conn/conn_int.h"
#include "server/media/aplay.h"
#include "server/srv.h"
#include "server/svc/svc_audio.h"

/* The source a call records: PulseAudio's name for the default input. */
#define VOICE_SOURCE	"@DEFAULT_SOURCE@"

/* Tell the CM where the call stands. */
static void
voice_tell_cm(struct conn *c)
{
	if (c->cm_known && c->srv->cm != NULL)
		cmlink_voice(c->srv->cm, (int)c->id, c->voice);
}

/*
 * Record the microphone while any call runs, else the configured
 * source again. c's own state must already be set (a closing c has
 * left srv->conns).
 */
static void
voice_switch_source(struct srv *srv)
{
	struct conn *o;
	const char *src;
	int calls = 0;

	if (srv->audio == NULL)
		return;
	TAILQ_FOREACH(o, &srv->conns, entry)
		if (o->voice == IPC__VOICE_CALL_STATE__STATE__ACTIVE)
			calls++;
	src = calls > 0 ? VOICE_SOURCE : cfg_get(srv->cfg, "audio-input");
	if (srv->voice_source == (calls > 0))
		return;
	srv->voice_source = calls > 0;
	log_info("voice: sound capture now records %s", calls > 0 ?
	    "the default microphone" : src != NULL && *src != '\0' ? src :
	    "the output's monitor");
	(void)svc_audio_set_source(srv->audio, src);
}

/* Send VoiceCallResponse for the request waiting. */
static void
voice_respond(struct conn *c, int accepted)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__VoiceCallResponse r = HBB__VOICE_CALL_RESPONSE__INIT;

	r.accepted = accepted != 0;
	r.req_timestamp = c->voice_ts;
	r.ack_timestamp = unix_ms();
	m.union_case = HBB__MESSAGE__UNION_VOICE_CALL_RESPONSE;
	m.voice_call_response = &r;
	conn_send(c, &m);
}

/* Stop playing, with the call's numbers in the log. */
static void
voice_stop_play(struct conn *c)
{
	struct aplay_stats st;

	if (c->voice_play == NULL)
		return;
	aplay_get_stats(c->voice_play, &st);
	log_info("conn %u peer %s: voice call played %llu packets, dropped "
	    "%llu (buffer full) and %llu (not Opus)", c->id, c->peer,
	    (unsigned long long)st.packets, (unsigned long long)st.dropped,
	    (unsigned long long)st.bad);
	aplay_free(c->voice_play);
	c->voice_play = NULL;
}

/* End the call (or the question), saying why; the CM is told. */
static void
voice_end(struct conn *c, const char *why)
{
	int was = c->voice;

	if (was == IPC__VOICE_CALL_STATE__STATE__IDLE)
		return;
	c->voice = IPC__VOICE_CALL_STATE__STATE__IDLE;
	/* The next call's client announces its format again. */
	c->voice_rate = 0;
	voice_stop_play(c);
	log_info("conn %u peer %s: voice call %s (%s)", c->id, c->peer,
	    was == IPC__VOICE_CALL_STATE__STATE__ACTIVE ? "ended" :
	    "withdrawn", why);
	voice_tell_cm(c);
	voice_switch_source(c->srv);
}

/* Open playback in the peer's announced format, if a call runs. */
static void
voice_start_play(struct conn *c)
{
	struct aplay_target t;
	int r;

	if (c->voice != IPC__VOICE_CALL_STATE__STATE__ACTIVE ||
	    c->voice_rate == 0 || c->disable_audio || c->srv->audio == NULL)
		return;
	voice_stop_play(c);
	svc_audio_get_server(c->srv->audio, &t.server, &t.cookie,
	    &t.cookie_len, &t.user);
	if ((r = aplay_new(&t, c->voice_rate, c->voice_channels,
	    &c->voice_play)) != 0)
		log_warn_r(r, "conn %u peer %s: voice call: cannot play %u Hz "
		    "x %u", c->id, c->peer, c->voice_rate, c->voice_channels);
}

/* Why a call cannot be taken here, or NULL. */
static const char *
voice_unable(struct conn *c)
{
	const char *server, *user;
	const uint8_t *cookie;
	size_t len;

	if (c->srv->audio == NULL)
		return "no sound service";
	if (c->srv->cm == NULL)
		return "no connection manager to ask";
	svc_audio_get_server(c->srv->audio, &server, &cookie, &len, &user);
	if (server != NULL && *server == '\0')
		return "the desk has no sound server";
	return NULL;
}

/* VoiceCallRequest: the peer asks for a call, or hangs up. */
void
conn_recv_voice_request(struct conn *c, const Hbb__Message *m)
{
	const Hbb__VoiceCallRequest *q = m->voice_call_request;
	const char *why;

	if (!q->is_connect) {
		voice_end(c, "the peer hung up");
		return;
	}
	/* As upstream: a zero timestamp is replaced by ours. */
	c->voice_ts = q->req_timestamp != 0 ? q->req_timestamp :
	    unix_ms();
	/* Ringing already: the newest timestamp is answered, once. */
	if (c->voice == IPC__VOICE_CALL_STATE__STATE__INCOMING)
		return;
	/* Only remote control has the audio service (conn_perm.c). */
	if (c->kind != LOGIN_KIND_REMOTE) {
		log_info("conn %u peer %s: voice call refused: not a remote "
		    "control session", c->id, c->peer);
		voice_respond(c, 0);
		return;
	}
	if (c->voice == IPC__VOICE_CALL_STATE__STATE__ACTIVE)
		voice_end(c, "the peer called again");
	if ((why = voice_unable(c)) != NULL) {
		log_info("conn %u peer %s: voice call refused: %s", c->id,
		    c->peer, why);
		voice_respond(c, 0);
		return;
	}
	c->voice = IPC__VOICE_CALL_STATE__STATE__INCOMING;
	log_info("conn %u peer %s: voice call requested", c->id, c->peer);
	voice_tell_cm(c);
}

/* The desk user answered in the CM. */
void
conn_voice_answer(struct conn *c, int accepted)
{
	if (c->dead || c->voice != IPC__VOICE_CALL_STATE__STATE__INCOMING) {
		log_warn("conn %u peer %s: voice call answer without a "
		    "request: ignored", c->id, c->peer);
		return;
	}
	voice_respond(c, accepted);
	if (!accepted) {
		c->voice = IPC__VOICE_CALL_STATE__STATE__IDLE;
		log_info("conn %u peer %s: voice call declined by the local "
		    "user", c->id, c->peer);
		voice_tell_cm(c);
		return;
	}
	c->voice = IPC__VOICE_CALL_STATE__STATE__ACTIVE;
	log_info("conn %u peer %s: voice call accepted by the local user",
	    c->id, c->peer);
	voice_tell_cm(c);
	voice_switch_source(c->srv);
	voice_start_play(c);
}

/* The desk user hung up in the CM: the peer is told, as upstream does. */
void
conn_voice_hang_up(struct conn *c)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__VoiceCallRequest q = HBB__VOICE_CALL_REQUEST__INIT;

	if (c->dead || c->voice == IPC__VOICE_CALL_STATE__STATE__IDLE)
		return;
	q.is_connect = 0;
	q.req_timestamp = unix_ms();
	m.union_case = HBB__MESSAGE__UNION_VOICE_CALL_REQUEST;
	m.voice_call_request = &q;
	conn_send(c, &m);
	voice_end(c, "hung up by the local user");
}

/* Misc.audio_format: the format of the peer's microphone frames. */
void
conn_recv_voice_format(struct conn *c, const Hbb__Message *m)
{
	const Hbb__AudioFormat *f = m->misc->audio_format;

	if (!aplay_format_ok(f->sample_rate, f->channels)) {
		log_warn("conn %u peer %s: voice call: audio format %u Hz x %u "
		    "not played", c->id, c->peer, f->sample_rate, f->channels);
		c->voice_rate = 0;
		voice_stop_play(c);
		return;
	}
	c->voice_rate = f->sample_rate;
	c->voice_channels = f->channels;
	voice_start_play(c);
}

/* AudioFrame: the peer's microphone, played only during a call. */
void
conn_recv_audio_frame(struct conn *c, const Hbb__Message *m)
{
	const Hbb__AudioFrame *af = m->audio_frame;

	if (c->voice_play == NULL || c->disable_audio) {
		c->voice_ignored++;
		return;
	}
	(void)aplay_push(c->voice_play, af->data.data, af->data.len);
}

/* The connection closes: a call or a question ends with it. */
void
conn_voice_close(struct conn *c)
{
	voice_end(c, "the connection closed");
	if (c->voice_ignored > 0)
		log_debug("conn %u: %llu audio frames outside a call ignored",
		    c->id, (unsigned long long)c->voice_ignored);
}
