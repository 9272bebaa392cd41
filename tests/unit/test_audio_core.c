/*
 * test_audio_core.c: the audio service over a capture backend of this
 * test's (it defines the table the service names, audio_pulse, so the
 * PulseAudio one is not linked), the way the WASAPI backend drives it:
 * samples in packets of any size, silent packets as NULL. A subscriber
 * gets the format, then one AudioFrame per 10 ms; after
 * SVC_AUDIO_SILENCE_FRAMES silent frames the gate holds frames back and
 * tells the backend it may idle, and sound opens it again; a failure
 * stops the capture and retries it; the last unsubscribe stops it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/err.h"
#include "server/svc/svc_audio.h"
#include "server/svc/svc_audio_int.h"
#include "tests/tst.h"

struct audio_be {
	struct svc_audio	*a;
	int			 idle;
};

static struct audio_be fake;
static int fake_starts, fake_stops, fake_idles;

static int
fake_probe(const char **why)
{
	*why = NULL;
	return 0;
}

static int
fake_start(struct svc_audio *a, struct audio_be **bep)
{
	fake.a = a;
	fake.idle = 0;
	fake_starts++;
	*bep = &fake;
	return 0;
}

static void
fake_stop(struct audio_be *be)
{
	ASSERT_TRUE(be == &fake);
	fake_stops++;
}

static void
fake_idle(struct audio_be *be, int on)
{
	ASSERT_TRUE(be == &fake);
	ASSERT_INT_NE(be->idle, on);
	be->idle = on;
	fake_idles++;
}

const struct audio_impl audio_pulse = {
	.name = "fake",
	.probe = fake_probe,
	.start = fake_start,
	.stop = fake_stop,
	.idle = fake_idle,
};

/* The sink: counts what it gets. */
struct asink {
	int	 formats, frames;
};

static void
asink_send(void *ctx, struct msgbuf *b, enum svc_queue q)
{
	struct asink *s = ctx;
	Hbb__Message *m = hbb__message__unpack(NULL, b->len, b->data);

	ASSERT_TRUE(m != NULL);
	if (m->union_case == HBB__MESSAGE__UNION_MISC) {
		ASSERT_INT_EQ(m->misc->audio_format->sample_rate, 48000);
		s->formats++;
	} else {
		ASSERT_INT_EQ(m->union_case, HBB__MESSAGE__UNION_AUDIO_FRAME);
		ASSERT_INT_EQ(q, SVC_Q_AUDIO);
		ASSERT_TRUE(m->audio_frame->data.len > 0);
		s->frames++;
	}
	hbb__message__free_unpacked(m, NULL);
}

static size_t
asink_backlog(void *ctx, enum svc_queue q)
{
	(void)ctx;
	(void)q;
	return 0;
}

/* Hands ms of a 440 Hz tone (or silence) in packets of 1000 bytes. */
static void
feed(int ms, int tone)
{
	static float buf[SVC_AUDIO_RATE / 1000 * SVC_AUDIO_CHANNELS * 100];
	static unsigned long t;
	size_t n = (size_t)ms * SVC_AUDIO_RATE / 1000 * SVC_AUDIO_CHANNELS, i,
	    off, take;

	ASSERT_TRUE(n <= sizeof buf / sizeof buf[0]);
	for (i = 0; i < n; i += 2, t++)
		buf[i] = buf[i + 1] = 0.3f * (float)sin(t * 2 * M_PI * 440 /
		    SVC_AUDIO_RATE);
	for (off = 0; off < n * 4; off += take) {
		take = n * 4 - off < 1000 ? n * 4 - off : 1000;
		audio_pcm(fake.a, &fake, tone ? (uint8_t *)buf + off : NULL,
		    take);
	}
	audio_flush(fake.a);
}

int
main(void)
{
	struct event_base *base = event_base_new();
	struct asink s = { 0, 0 };
	struct svc_sink sink = { &s, 1, asink_send, asink_backlog };
	struct svc_audio_stats st;
	struct svc_audio *a;
	int i;

	ASSERT_TRUE(base != NULL);
	ASSERT_INT_EQ(svc_audio_new(base, NULL, &a), 0);
	ASSERT_INT_EQ(svc_audio_subscribe(a, &sink), 0);
	ASSERT_INT_EQ(s.formats, 1);
	ASSERT_INT_EQ(fake_starts, 1);
	ASSERT_TRUE(svc_audio_running(a));

	/* 25 ms of sound: two frames now, 5 ms kept for the next. */
	feed(25, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ASSERT_INT_EQ(s.frames, 2);
	feed(5, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ASSERT_INT_EQ(s.frames, 3);

	/* Silence: sent until the gate closes, then held back. */
	for (i = 0; i < SVC_AUDIO_SILENCE_FRAMES + 10; i++)
		feed(10, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ASSERT_INT_EQ(s.frames, 3 + SVC_AUDIO_SILENCE_FRAMES);
	ASSERT_INT_EQ(fake.idle, 1);
	svc_audio_get_stats(a, &st);
	ASSERT_INT_EQ(st.silent, 10);
	/* Sound again: sent at once, and the backend wakes up. */
	feed(10, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ASSERT_INT_EQ(s.frames, 4 + SVC_AUDIO_SILENCE_FRAMES);
	ASSERT_INT_EQ(fake.idle, 0);
	ASSERT_INT_EQ(fake_idles, 2);
	svc_audio_get_stats(a, &st);
	ASSERT_INT_EQ(st.frames, 4 + SVC_AUDIO_SILENCE_FRAMES);
	ASSERT_INT_EQ(st.sent, 4 + SVC_AUDIO_SILENCE_FRAMES);

	/* A failure: stopped now, started again after the retry delay. */
	audio_fail(fake.a, "test", "broken on purpose");
	event_base_loop(base, EVLOOP_NONBLOCK);
	ASSERT_INT_EQ(fake_stops, 1);
	ASSERT_TRUE(!svc_audio_running(a));
	for (i = 0; i < 300 && fake_starts < 2; i++) {
		event_base_loop(base, EVLOOP_ONCE);
	}
	ASSERT_INT_EQ(fake_starts, 2);
	ASSERT_TRUE(svc_audio_running(a));

	svc_audio_unsubscribe(a, 1);
	ASSERT_INT_EQ(fake_stops, 2);
	ASSERT_TRUE(!svc_audio_running(a));
	svc_audio_free(a);
	event_base_free(base);
	printf("ok\n");
	return 0;
}
