/*
 * test_svc_audio.c: a 440 Hz tone played into PulseAudio's null sink (from
 * tests/run.sh) comes out of the audio service as Opus that decodes back
 * to 440 Hz; unsubscribing stops the stream. Prints the measured delay and
 * the capture thread's CPU use.
 */
#include <math.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <opus.h>
#include <pulse/simple.h>

#include "common/err.h"
#include "server/svc/svc_audio.h"
#include "tests/tst.h"

#define FAKE_MAX	4000
#define TONE_HZ		440.0
#define TONE_MS		1000

#ifndef M_PI
#define M_PI		3.14159265358979323846
#endif

/* A subscriber that keeps what it is sent, with arrival times. */
struct fake {
	struct svc_sink	 sink;
	struct msgbuf	*got[FAKE_MAX];
	double		 at[FAKE_MAX];	/* ms, monotonic */
	size_t		 n;
	size_t		 backlog;	/* what it claims to have queued */
};

static struct event_base *base;
static double play_start_ms;		/* set by the player thread */
static volatile int play_done;

/* Milliseconds on a monotonic clock. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Sink send: keep a reference and the time. */
static void
fake_send(void *ctx, struct msgbuf *b, enum svc_queue q)
{
	struct fake *f = ctx;

	/* The format goes on the control queue, frames on the droppable one. */
	ASSERT_TRUE(q == SVC_Q_CONTROL || q == SVC_Q_AUDIO);
	if (f->n == FAKE_MAX)
		TST_FAIL("fake sink overflow");
	f->at[f->n] = now_ms();
	f->got[f->n++] = msgbuf_ref(b);
}

/* Sink backlog: whatever the test set. */
static size_t
fake_backlog(void *ctx, enum svc_queue q)
{
	(void)q;
	return ((struct fake *)ctx)->backlog;
}

/* Set up a fake sink. */
static void
fake_init(struct fake *f, uint32_t id, size_t backlog)
{
	memset(f, 0, sizeof *f);
	f->sink.ctx = f;
	f->sink.conn_id = id;
	f->sink.send = fake_send;
	f->sink.backlog = fake_backlog;
	f->backlog = backlog;
}

/* Drop what a sink got. */
static void
fake_clear(struct fake *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		msgbuf_unref(f->got[i]);
	f->n = 0;
}

/* Run the loop until *count reaches want or ms pass. */
static size_t
pump_until(const size_t *count, size_t want, double ms)
{
	double end = now_ms() + ms;

	while (*count < want && now_ms() < end) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	return *count;
}

/* Open a playback stream to the default sink, or NULL. */
static pa_simple *
player_open(void)
{
	pa_sample_spec ss = { PA_SAMPLE_FLOAT32LE, 48000, 2 };
	pa_buffer_attr attr;

	/* A short buffer, so writing a sample means hearing it soon. */
	attr.maxlength = (uint32_t)-1;
	attr.tlength = 480 * 2 * 4 * 2;
	attr.prebuf = (uint32_t)-1;
	attr.minreq = (uint32_t)-1;
	attr.fragsize = (uint32_t)-1;
	return pa_simple_new(NULL, "cdesk-test", PA_STREAM_PLAYBACK, NULL,
	    "tone", &ss, NULL, &attr, NULL);
}

/* Play TONE_MS of a 440 Hz sine in 10 ms writes. */
static void *
player_main(void *arg)
{
	pa_simple *ps = arg;
	float buf[480 * 2];
	size_t i, k, frames = TONE_MS / 10;

	for (k = 0; k < frames; k++) {
		for (i = 0; i < 480; i++) {
			double t = (double)(k * 480 + i) / 48000.0;
			float v = (float)(0.5 * sin(2 * M_PI * TONE_HZ * t));

			buf[2 * i] = v;
			buf[2 * i + 1] = v;
		}
		if (k == 0)
			play_start_ms = now_ms();
		if (pa_simple_write(ps, buf, sizeof buf, NULL) < 0)
			break;
	}
	pa_simple_drain(ps, NULL);
	play_done = 1;
	return NULL;
}

/* Power of frequency f in x[0..n) (Goertzel). */
static double
goertzel(const float *x, size_t n, double f)
{
	double c = 2 * cos(2 * M_PI * f / 48000.0), s1 = 0, s2 = 0, s;
	size_t i;

	for (i = 0; i < n; i++) {
		s = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/* Check message i is Misc{audio_format{48000, 2}}. */
static void
check_format(const struct fake *f, size_t i)
{
	Hbb__Message *m;

	m = hbb__message__unpack(NULL, f->got[i]->len, f->got[i]->data);
	ASSERT_TRUE(m != NULL);
	ASSERT_INT_EQ(m->union_case, HBB__MESSAGE__UNION_MISC);
	ASSERT_INT_EQ(m->misc->union_case, HBB__MISC__UNION_AUDIO_FORMAT);
	ASSERT_INT_EQ(m->misc->audio_format->sample_rate, 48000);
	ASSERT_INT_EQ(m->misc->audio_format->channels, 2);
	hbb__message__free_unpacked(m, NULL);
}

/* Tone in, 440 Hz out, then unsubscribe and restart. */
int
main(void)
{
	struct svc_audio *a;
	struct svc_audio_stats st;
	struct fake f1, f2;
	OpusDecoder *dec;
	pa_simple *ps;
	pthread_t th;
	float *left, pcm[5760 * 2];
	double *rms, onset_ms = -1, best_f = 0, best_p = -1, fr;
	size_t i, nframes, onset = 0, before, win;
	int err, ns;

	/* tests/run.sh starts PulseAudio in the background: give it 5 s. */
	for (i = 0; i < 50 && (ps = player_open()) == NULL; i++)
		usleep(100000);
	if (ps == NULL) {
		printf("no PulseAudio server\n");
		return 77;
	}
	ASSERT_INT_EQ(evthread_use_pthreads(), 0);
	base = event_base_new();
	ASSERT_TRUE(base != NULL);

	/* No server: subscribing works, the stream retries until one is up. */
	setenv("PULSE_SERVER", "unix:/nonexistent/cdesk", 1);
	ASSERT_INT_EQ(svc_audio_new(base, NULL, &a), 0);
	fake_init(&f1, 1001, 0);
	ASSERT_INT_EQ(svc_audio_subscribe(a, &f1.sink), 0);
	pump_until(&f1.n, FAKE_MAX, 300);
	ASSERT_INT_EQ(svc_audio_running(a), 0);
	ASSERT_INT_EQ(f1.n, 1);
	unsetenv("PULSE_SERVER");
	ASSERT_INT_EQ(pump_until(&f1.n, 2, 6000), 2);
	ASSERT_INT_EQ(svc_audio_running(a), 1);
	svc_audio_unsubscribe(a, f1.sink.conn_id);
	fake_clear(&f1);
	svc_audio_free(a);

	ASSERT_INT_EQ(svc_audio_new(base, "", &a), 0);
	fake_init(&f1, 1001, 0);
	fake_init(&f2, 1002, 10u * 1024 * 1024);	/* a stuck peer */

	/* Format first, at once; the stream opens. */
	ASSERT_INT_EQ(svc_audio_subscribe(a, &f1.sink), 0);
	ASSERT_INT_EQ(svc_audio_subscribe(a, &f2.sink), 0);
	ASSERT_INT_EQ(svc_audio_count(a), 2);
	ASSERT_INT_EQ(svc_audio_running(a), 1);
	ASSERT_INT_EQ(f1.n, 1);
	check_format(&f1, 0);
	ASSERT_INT_EQ(f2.n, 1);
	check_format(&f2, 0);
	/*
	 * Silence is sent as frames too (until the silence gate). An idle
	 * null sink renders in 2 s blocks, so the first frame may take that.
	 */
	/* At least: on a loaded machine frames come in bursts. */
	ASSERT_INT_GE(pump_until(&f1.n, 31, 5000), 31);

	/* Play the tone while the loop runs. */
	ASSERT_INT_EQ(pthread_create(&th, NULL, player_main, ps), 0);
	while (!play_done)
		pump_until(&f1.n, FAKE_MAX, 20);
	pump_until(&f1.n, FAKE_MAX, 300);
	pthread_join(th, NULL);
	pa_simple_free(ps);
	ASSERT_INT_EQ(f2.n, 1);		/* backlogged: frames dropped */

	/* Decode everything after the format message. */
	nframes = f1.n - 1;
	left = calloc(nframes * 480, sizeof *left);
	rms = calloc(nframes, sizeof *rms);
	dec = opus_decoder_create(48000, 2, &err);
	ASSERT_TRUE(dec != NULL);
	for (i = 0; i < nframes; i++) {
		Hbb__Message *m;
		double sum = 0;
		int k;

		m = hbb__message__unpack(NULL, f1.got[i + 1]->len,
		    f1.got[i + 1]->data);
		ASSERT_TRUE(m != NULL);
		ASSERT_INT_EQ(m->union_case, HBB__MESSAGE__UNION_AUDIO_FRAME);
		ns = opus_decode_float(dec, m->audio_frame->data.data,
		    (opus_int32)m->audio_frame->data.len, pcm, 5760, 0);
		ASSERT_INT_EQ(ns, 480);
		hbb__message__free_unpacked(m, NULL);
		for (k = 0; k < 480; k++) {
			left[i * 480 + k] = pcm[2 * k];
			sum += (double)pcm[2 * k] * pcm[2 * k];
		}
		rms[i] = sqrt(sum / 480);
		if (onset_ms < 0 && rms[i] > 0.05) {
			onset = i;
			onset_ms = f1.at[i + 1];
		}
	}
	opus_decoder_destroy(dec);
	ASSERT_TRUE(onset_ms > 0);
	/* Half a second from 100 ms into the tone. */
	win = 24000;
	ASSERT_TRUE((onset + 10) * 480 + win <= nframes * 480);
	for (fr = 400; fr <= 480; fr += 0.25) {
		double p = goertzel(left + (onset + 10) * 480, win, fr);

		if (p > best_p) {
			best_p = p;
			best_f = fr;
		}
	}
	fprintf(stderr, "audio: strongest %.2f Hz; tone heard %.1f ms after "
	    "the first write\n", best_f, onset_ms - play_start_ms);
	ASSERT_TRUE(fabs(best_f - TONE_HZ) <= 5);
	/* And it is a tone, not noise: 440 beats 1000 Hz by far. */
	ASSERT_TRUE(best_p > 100 * goertzel(left + (onset + 10) * 480, win,
	    1000));

	svc_audio_get_stats(a, &st);
	fprintf(stderr, "audio: %llu frames, %llu bytes (%.1f kbit/s), %llu "
	    "dropped, capture latency %u us, capture thread CPU %.1f us per "
	    "frame, %.2f%% of one core over %.1f s\n",
	    (unsigned long long)st.frames,
	    (unsigned long long)st.bytes,
	    st.frames ? st.bytes * 8.0 / (st.frames * 10.0) : 0.0,
	    (unsigned long long)st.dropped, st.latency_us,
	    st.frames ? st.cpu_ns / 1e3 / (double)st.frames : 0.0,
	    st.run_ns ? 100.0 * (double)st.cpu_ns / (double)st.run_ns : 0.0,
	    st.run_ns / 1e9);
	ASSERT_TRUE(st.dropped > 0);
	ASSERT_INT_EQ(st.starts, 1);

	/* Unsubscribe: the stream closes and nothing more arrives. */
	svc_audio_unsubscribe(a, f2.sink.conn_id);
	ASSERT_INT_EQ(svc_audio_running(a), 1);
	svc_audio_unsubscribe(a, f1.sink.conn_id);
	ASSERT_INT_EQ(svc_audio_running(a), 0);
	before = f1.n;
	pump_until(&f1.n, FAKE_MAX, 300);
	ASSERT_INT_EQ(f1.n, before);
	ASSERT_INT_EQ(f2.n, 1);

	/* Subscribing again restarts it, format first. */
	fake_clear(&f1);
	ASSERT_INT_EQ(svc_audio_subscribe(a, &f1.sink), 0);
	ASSERT_INT_EQ(f1.n, 1);
	check_format(&f1, 0);
	/* Frames can come in a burst under load: at least ten more. */
	ASSERT_INT_GE(pump_until(&f1.n, 11, 5000), 11);
	svc_audio_get_stats(a, &st);
	ASSERT_INT_EQ(st.starts, 2);
	/* A named source works too. */
	ASSERT_INT_EQ(svc_audio_set_source(a, "cdesk_null.monitor"), 1);
	/* The same source again restarts nothing. */
	ASSERT_INT_EQ(svc_audio_set_source(a, "cdesk_null.monitor"), 0);
	svc_audio_get_stats(a, &st);
	ASSERT_INT_EQ(st.starts, 3);
	before = f1.n;
	ASSERT_INT_GE(pump_until(&f1.n, before + 10, 5000), before + 10);
	/* A source that does not exist fails; the retry picks up a fix. */
	ASSERT_INT_EQ(svc_audio_set_source(a, "cdesk_no_such_source"), 1);
	pump_until(&f1.n, FAKE_MAX, 300);
	ASSERT_INT_EQ(svc_audio_running(a), 0);
	before = f1.n;
	pump_until(&f1.n, FAKE_MAX, 200);
	ASSERT_INT_EQ(f1.n, before);
	ASSERT_INT_EQ(svc_audio_set_source(a, NULL), 1);
	ASSERT_INT_GE(pump_until(&f1.n, before + 10, 6000), before + 10);
	ASSERT_INT_EQ(svc_audio_running(a), 1);
	svc_audio_unsubscribe(a, f1.sink.conn_id);
	ASSERT_INT_EQ(svc_audio_running(a), 0);

	fake_clear(&f1);
	fake_clear(&f2);
	free(left);
	free(rms);
	svc_audio_free(a);
	event_base_free(base);
	return 0;
}
