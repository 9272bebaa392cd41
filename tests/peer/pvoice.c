/*
 * pvoice.c: the test peer's voice call, as a stock 1.4 client makes one
 * (upstream src/client/io_loop.rs). Session commands:
 *   call [HZ [RATE CH]]  VoiceCallRequest{req_timestamp now, is_connect};
 *                        once accepted, the "microphone": Misc.audio_format
 *                        {RATE (48000), CH (2)} then a sine of HZ (700)
 *                        as 10 ms Opus frames in real time
 *   hangup               VoiceCallRequest{is_connect false}; sending stops
 *   flood N              N more frames at once (faster than real time)
 * Events: VOICE accepted=<0|1> ts=<ok|bad> ack=<0|1> for the host's
 * VoiceCallResponse (ts: req_timestamp is ours; ack: ack_timestamp set),
 * VOICE closed for the host's VoiceCallRequest{is_connect false}, and
 * VOICESENT <n> after every 100th frame sent. The host's frames are
 * decoded by adec.c as ever (TONE lines).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <opus.h>

#include "tests/peer/peer.h"

#define PV_PACKET_MAX	4000

static int64_t		 pv_req_ts;	/* our request's timestamp, 0 none */
static int		 pv_sending;
static int		 pv_start_due;	/* accepted: start at the next tick */
static double		 pv_hz = 700;
static unsigned		 pv_rate = 48000, pv_ch = 2;
static OpusEncoder	*pv_enc;
static uint64_t		 pv_phase;	/* samples sent per channel */
static int64_t		 pv_next_ms;	/* when the next frame is due */
static unsigned long	 pv_sent;

/* Unix milliseconds, as the client's get_time(). */
static int64_t
pv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* VoiceCallRequest{is_connect}. */
static void
pv_request(struct pconn *pc, int connect)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__VoiceCallRequest q = HBB__VOICE_CALL_REQUEST__INIT;

	q.req_timestamp = pv_now_ms();
	q.is_connect = connect;
	if (connect)
		pv_req_ts = q.req_timestamp;
	m.union_case = HBB__MESSAGE__UNION_VOICE_CALL_REQUEST;
	m.voice_call_request = &q;
	pc_send(pc, &m);
}

/* Encode and send one 10 ms frame of the tone. */
static void
pv_frame(struct pconn *pc)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__AudioFrame af = HBB__AUDIO_FRAME__INIT;
	float pcm[480 * 2];
	uint8_t pkt[PV_PACKET_MAX];
	unsigned n = pv_rate / 100, i, c;
	int len;
	float v;

	for (i = 0; i < n; i++) {
		v = (float)(0.4 * sin(2 * M_PI * pv_hz * (double)(pv_phase + i) /
		    pv_rate));
		for (c = 0; c < pv_ch; c++)
			pcm[i * pv_ch + c] = v;
	}
	pv_phase += n;
	len = opus_encode_float(pv_enc, pcm, (int)n, pkt, sizeof pkt);
	if (len < 0)
		return;
	af.data.data = pkt;
	af.data.len = (size_t)len;
	m.union_case = HBB__MESSAGE__UNION_AUDIO_FRAME;
	m.audio_frame = &af;
	pc_send(pc, &m);
	if (++pv_sent % 100 == 0)
		printf("VOICESENT %lu\n", pv_sent);
}

/* The call is up: announce the format, then frames. */
static void
pv_start(struct pconn *pc)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__AudioFormat f = HBB__AUDIO_FORMAT__INIT;
	int err;

	if (pv_enc == NULL)
		pv_enc = opus_encoder_create((opus_int32)pv_rate, (int)pv_ch,
		    OPUS_APPLICATION_RESTRICTED_LOWDELAY, &err);
	if (pv_enc == NULL) {
		printf("VOICE encoder error\n");
		return;
	}
	f.sample_rate = pv_rate;
	f.channels = pv_ch;
	misc.union_case = HBB__MISC__UNION_AUDIO_FORMAT;
	misc.audio_format = &f;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	pc_send(pc, &m);
	pv_sending = 1;
	pv_next_ms = pv_now_ms();
}

/* Takes a session command line; 1 if it was ours. */
int
pvoice_command(struct pconn *pc, const char *line)
{
	unsigned hz, rate, ch, n, i;
	int k;

	if (strncmp(line, "call", 4) == 0 && (line[4] == '\0' ||
	    line[4] == ' ')) {
		k = sscanf(line + 4, "%u %u %u", &hz, &rate, &ch);
		if (k >= 1)
			pv_hz = hz;
		if (k == 3 && rate % 100 == 0 && rate <= 48000 &&
		    (ch == 1 || ch == 2)) {
			pv_rate = rate;
			pv_ch = ch;
		}
		pv_request(pc, 1);
		return 1;
	}
	if (strcmp(line, "hangup") == 0) {
		pv_sending = pv_start_due = 0;
		pv_request(pc, 0);
		return 1;
	}
	if (sscanf(line, "flood %u", &n) == 1) {
		for (i = 0; pv_sending && i < n; i++)
			pv_frame(pc);
		printf("FLOODED %u\n", pv_sending ? n : 0);
		return 1;
	}
	return 0;
}

/* Prints what a voice message m says; an accepted call starts the
 * microphone at the next tick. 1 if it was one. */
int
pvoice_event(const Hbb__Message *m)
{
	const Hbb__VoiceCallResponse *r;

	if (m->union_case == HBB__MESSAGE__UNION_VOICE_CALL_RESPONSE) {
		r = m->voice_call_response;
		printf("VOICE accepted=%d ts=%s ack=%d\n", r->accepted ? 1 : 0,
		    pv_req_ts != 0 && r->req_timestamp == pv_req_ts ? "ok" :
		    "bad", r->ack_timestamp > 0);
		/* As the client: only an answer to our own request counts. */
		if (r->accepted && r->req_timestamp == pv_req_ts)
			pv_start_due = 1;
		pv_req_ts = 0;
		return 1;
	}
	if (m->union_case == HBB__MESSAGE__UNION_VOICE_CALL_REQUEST) {
		if (!m->voice_call_request->is_connect) {
			pv_sending = pv_start_due = 0;
			printf("VOICE closed\n");
		}
		return 1;
	}
	return 0;
}

/* Sends the frames now due; returns how long the caller may sleep (ms). */
int
pvoice_tick(struct pconn *pc)
{
	int64_t now;
	int burst = 0;

	if (pv_start_due) {
		pv_start_due = 0;
		pv_start(pc);
	}
	if (!pv_sending)
		return 1000;
	now = pv_now_ms();
	/* Late by more than 200 ms (a stall): resume from now. */
	if (now - pv_next_ms > 200)
		pv_next_ms = now;
	while (pv_sending && pv_next_ms <= now && burst++ < 20) {
		pv_frame(pc);
		pv_next_ms += 10;
	}
	return (int)(pv_next_ms > now ? pv_next_ms - now : 1);
}
