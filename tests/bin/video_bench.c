/*
 * video_bench.c: measurements for make bench (tests/bench/video.sh), on
 * the X display in $DISPLAY while tests/bench/painter.c paints it.
 *
 *   video_bench raw [frames]
 *	grabs frames of the screen, times BGRX->I420 (libyuv, libswscale;
 *	whole screen and a 200x40 typing rectangle) and each encoder that
 *	opens (ms per frame, median), on the same pictures.
 *   video_bench mem [CODEC [W H]]
 *	where an encoder's time and memory go: RSS and time after opening
 *	it, after a key frame, after typing pictures (a 200x40 rectangle
 *	changes) and after full-screen noise, and after closing it; on
 *	made-up pictures, no display needed.
 *   video_bench typing [CODEC [N]]
 *	CPU (all threads) and bytes of a typing picture through an encoder:
 *	N 1920x1080 pictures like painter.c's typing (a glyph more on a
 *	200x40 line, the stamp), with the damage X would report; made-up
 *	pictures, no display needed.
 *   video_bench pipe CODEC WARMUP_S SECONDS PAINTER_LOG
 *	runs the video service with a fake sink that decodes every frame and
 *	reads painter's stamp, then (once the painter log is complete)
 *	prints fps, latency p50/p95, bandwidth, CPU and RSS.
 */
#include <sys/resource.h>

#include <malloc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <libavcodec/avcodec.h>

#include "common/log.h"
#include "server/media/cap.h"
#include "server/media/conv.h"
#include "server/media/enc.h"
#include "server/svc/svc_video.h"
#include "tests/bench/stamp.h"

#define MAXREC	100000

/* Nanoseconds of a clock. */
static uint64_t
ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* qsort comparator for doubles. */
static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of n sorted values. */
static double
pct(double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* A new I420 frame. */
static AVFrame *
i420(int w, int h)
{
	AVFrame *f = av_frame_alloc();

	f->width = w;
	f->height = h;
	f->format = AV_PIX_FMT_YUV420P;
	if (av_frame_get_buffer(f, 0) < 0)
		exit(1);
	return f;
}

/* Counts packet bytes. */
static void
count_cb(void *arg, const struct enc_packet *p)
{
	*(size_t *)arg += p->len;
}

/* Grabs n pictures and times conversion and encoders on them. */
static int
bench_raw(int n)
{
	struct cap *cap;
	struct cap_display d[CAP_DISPLAYS_MAX];
	struct cap_rect r, ch;
	struct cap_image img;
	struct conv *yuv, *sws;
	AVFrame **pics;
	double *t_yuv, *t_sws, *t_yuv_s, *t_sws_s, *t, *t_grab;
	struct enc_params ep;
	struct enc_input in = { 0 };
	struct enc *e;
	uint8_t *copy;
	uint64_t t0;
	size_t bytes;
	int i, c, w, h;

	if (cap_x11.open(NULL, CAP_F_NODAMAGE, &cap) != 0 ||
	    cap_x11.displays(cap, d, CAP_DISPLAYS_MAX) < 1)
		return 1;
	w = d[0].width & ~1;
	h = d[0].height & ~1;
	r.x = r.y = 0;
	r.w = w;
	r.h = h;
	yuv = conv_new(CONV_LIBYUV);
	sws = conv_new(CONV_SWSCALE);
	pics = calloc(n, sizeof *pics);
	t_yuv = calloc(n, sizeof *t);
	t_sws = calloc(n, sizeof *t);
	t_yuv_s = calloc(n, sizeof *t);
	t_sws_s = calloc(n, sizeof *t);
	t_grab = calloc(n, sizeof *t);
	t = calloc(n, sizeof *t);
	copy = malloc((size_t)w * h * 4);
	for (i = 0; i < n; i++) {
		t0 = ns_of(CLOCK_MONOTONIC);
		if (cap_x11.grab(cap, &r, &img, &ch) != 0)
			return 1;
		t_grab[i] = (ns_of(CLOCK_MONOTONIC) - t0) / 1e6;
		memcpy(copy, img.data, (size_t)w * h * 4);
		pics[i] = i420(w, h);
		t0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
		conv_bgrx_i420(sws, copy, w * 4, w, h, pics[i], 0, 0);
		t_sws[i] = (ns_of(CLOCK_THREAD_CPUTIME_ID) - t0) / 1e6;
		t0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
		conv_bgrx_i420(yuv, copy, w * 4, w, h, pics[i], 0, 0);
		t_yuv[i] = (ns_of(CLOCK_THREAD_CPUTIME_ID) - t0) / 1e6;
		t0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
		conv_bgrx_i420(sws, copy + (200 * w + 300) * 4, w * 4, 200, 40,
		    pics[i], 300, 200);
		t_sws_s[i] = (ns_of(CLOCK_THREAD_CPUTIME_ID) - t0) / 1e6;
		t0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
		conv_bgrx_i420(yuv, copy + (200 * w + 300) * 4, w * 4, 200, 40,
		    pics[i], 300, 200);
		t_yuv_s[i] = (ns_of(CLOCK_THREAD_CPUTIME_ID) - t0) / 1e6;
		usleep(33000);
	}
	qsort(t_grab, n, sizeof *t, cmp_dbl);
	qsort(t_yuv, n, sizeof *t, cmp_dbl);
	qsort(t_sws, n, sizeof *t, cmp_dbl);
	qsort(t_yuv_s, n, sizeof *t, cmp_dbl);
	qsort(t_sws_s, n, sizeof *t, cmp_dbl);
	printf("screen %dx%d, %d frames (medians, one thread)\n", w, h, n);
	printf("  grab (xcb-shm, whole screen): %.2f ms\n",
	    pct(t_grab, n, 50));
	printf("  BGRX->I420 whole screen: libyuv %.2f ms, libswscale "
	    "%.2f ms\n", pct(t_yuv, n, 50), pct(t_sws, n, 50));
	printf("  BGRX->I420 200x40 rect:  libyuv %.3f ms, libswscale "
	    "%.3f ms\n", pct(t_yuv_s, n, 50), pct(t_sws_s, n, 50));
	/* Every encoder, then VP9 again through libavcodec's wrapper of
	 * the same libvpx (the row marked "libav"). */
	for (c = 0; c < ENC_CODEC_COUNT + 1; c++) {
		if (c == ENC_CODEC_COUNT)
			setenv("CDESK_ENC_BACKEND", "libav", 1);
		memset(&ep, 0, sizeof ep);
		ep.codec = c < ENC_CODEC_COUNT ? c : ENC_CODEC_VP9;
		if (!(enc_supported() & (1u << ep.codec)))
			continue;
		ep.width = w;
		ep.height = h;
		ep.fps = 30;
		enc_params_rate(&ep, 0.67);
		if (enc_open(&ep, &e) != 0)
			continue;
		bytes = 0;
		for (i = 0; i < n; i++) {
			t0 = ns_of(CLOCK_MONOTONIC);
			in.pic = pics[i];
			in.pts_ms = i * 33;
			in.key = i == 0;
			in.ndirty = -1;
			enc_encode(e, &in, count_cb, &bytes);
			t[i] = (ns_of(CLOCK_MONOTONIC) - t0) / 1e6;
		}
		qsort(t + 1, n - 1, sizeof *t, cmp_dbl);
		printf("  encode %-4s %-6s: %.1f ms/frame median, p95 %.1f, "
		    "key %.1f ms, %.0f kbit/s at 30 fps\n", enc_name(ep.codec),
		    enc_backend(e),
		    pct(t + 1, n - 1, 50), pct(t + 1, n - 1, 95), t[0],
		    bytes * 8.0 / n * 30 / 1000);
		enc_close(e);
	}
	unsetenv("CDESK_ENC_BACKEND");
	for (i = 0; i < n; i++)
		av_frame_free(&pics[i]);
	free(pics);
	free(t_yuv);
	free(t_sws);
	free(t_yuv_s);
	free(t_sws_s);
	free(t_grab);
	free(t);
	free(copy);
	conv_free(yuv);
	conv_free(sws);
	cap_x11.close(cap);
	return 0;
}

static long	rss_kb(void);

/* Fills a rectangle of an I420 picture: noise, or a smooth gradient. */
static void
fill(AVFrame *f, int x0, int y0, int w, int h, int noise, unsigned *seed)
{
	int p, x, y, sx, sy;

	for (p = 0; p < 3; p++) {
		sx = p ? 1 : 0;
		sy = p ? 1 : 0;
		for (y = y0 >> sy; y < (y0 + h) >> sy; y++)
			for (x = x0 >> sx; x < (x0 + w) >> sx; x++) {
				*seed = *seed * 1103515245u + 12345u;
				f->data[p][y * f->linesize[p] + x] = noise ?
				    (uint8_t)(*seed >> 16) :
				    (uint8_t)(x / 8 + y / 4 + p * 40);
			}
	}
}

/* One step of bench_mem: time of the last encode and RSS now. */
static void
mem_step(const char *what, double ms, size_t bytes)
{
	printf("  %-34s %7.1f ms %8zu B  RSS %6.1f MB\n", what, ms, bytes,
	    rss_kb() / 1024.0);
}

/* Opens an encoder on made-up pictures and follows its RSS. */
static int
bench_mem(const char *codec, int w, int h)
{
	struct enc_params ep;
	struct enc_input in = { 0 };
	struct enc_rect r = { 300, 200, 200, 40 };
	struct enc *e;
	AVFrame *f;
	uint64_t t0;
	unsigned seed = 1;
	size_t bytes;
	double ms;
	int i;

	memset(&ep, 0, sizeof ep);
	if ((ep.codec = enc_from_name(codec)) < 0)
		return 2;
	ep.width = w;
	ep.height = h;
	ep.fps = 30;
	enc_params_rate(&ep, 0.67);
	f = i420(w, h);
	fill(f, 0, 0, w, h, 0, &seed);
	printf("%s %dx%d, %d kbit/s (made-up pictures)\n", codec, w, h,
	    ep.kbps);
	mem_step("before", 0, 0);
	t0 = ns_of(CLOCK_MONOTONIC);
	if (enc_open(&ep, &e) != 0)
		return 1;
	mem_step("open", (ns_of(CLOCK_MONOTONIC) - t0) / 1e6, 0);
	t0 = ns_of(CLOCK_MONOTONIC);
	enc_trim(e);
	mem_step("open, enc_trim (a warm encoder)", (ns_of(CLOCK_MONOTONIC) -
	    t0) / 1e6, 0);
	in.pic = f;
	in.key = 1;
	in.ndirty = -1;
	bytes = 0;
	t0 = ns_of(CLOCK_MONOTONIC);
	enc_encode(e, &in, count_cb, &bytes);
	mem_step("key frame (smooth picture)", (ns_of(CLOCK_MONOTONIC) -
	    t0) / 1e6, bytes);
	t0 = ns_of(CLOCK_MONOTONIC);
	enc_trim(e);
	mem_step("key frame, enc_trim (as the worker)",
	    (ns_of(CLOCK_MONOTONIC) - t0) / 1e6, 0);
	in.key = 0;
	in.dirty = &r;
	in.ndirty = 1;
	for (i = 1; i <= 30; i++) {
		fill(f, r.x, r.y, r.w, r.h, 1, &seed);
		in.pts_ms = i * 33;
		bytes = 0;
		t0 = ns_of(CLOCK_MONOTONIC);
		enc_encode(e, &in, count_cb, &bytes);
		ms = (ns_of(CLOCK_MONOTONIC) - t0) / 1e6;
	}
	mem_step("30 typing pictures (last)", ms, bytes);
	in.ndirty = -1;
	for (i = 31; i <= 60; i++) {
		fill(f, 0, 0, w, h, 1, &seed);
		in.pts_ms = i * 33;
		bytes = 0;
		t0 = ns_of(CLOCK_MONOTONIC);
		enc_encode(e, &in, count_cb, &bytes);
		ms = (ns_of(CLOCK_MONOTONIC) - t0) / 1e6;
	}
	mem_step("30 full-screen noise pictures (last)", ms, bytes);
	enc_trim(e);
	malloc_trim(0);
	mem_step("idle (enc_trim, malloc_trim)", 0, 0);
	fill(f, r.x, r.y, r.w, r.h, 1, &seed);
	in.dirty = &r;
	in.ndirty = 1;
	bytes = 0;
	t0 = ns_of(CLOCK_MONOTONIC);
	enc_encode(e, &in, count_cb, &bytes);
	mem_step("one typing picture after idle", (ns_of(CLOCK_MONOTONIC) -
	    t0) / 1e6, bytes);
	enc_close(e);
	mem_step("closed", 0, 0);
	malloc_trim(0);
	mem_step("closed, malloc_trim", 0, 0);
	av_frame_free(&f);
	return 0;
}

/*
 * Paints typing picture t into f the way tests/bench/painter.c does (the
 * 200x40 line, one more glyph a tick, a blinking cursor, the stamp) and
 * gives the rectangles X Damage would report: the stamp and the line.
 */
static int
typing_pic(AVFrame *f, uint32_t t, struct enc_rect *r)
{
	int c, n = (int)(t % 50) + 1, x, y, gx, gy;
	uint32_t gl;

	for (y = 200; y < 240; y++)
		memset(f->data[0] + y * f->linesize[0] + 300, 235, 200);
	for (c = 0; c < n && c < 50; c++) {
		x = 302 + (c % 25) * 8;
		y = 204 + (c / 25) * 18;
		gl = (uint32_t)c * 0x9e3779b9u ^ (t / 50u) * 0x85ebca6bu;
		for (gy = 0; gy < 12; gy++)
			for (gx = 0; gx < 6; gx++) {
				gl = gl * 1103515245u + 12345u;
				if ((gl >> 16) & 1)
					f->data[0][(y + gy) *
					    f->linesize[0] + x + gx] = 16;
			}
	}
	if (n < 50 && (t / 8) % 2 == 0)
		for (gy = 0; gy < 14; gy++)
			f->data[0][(204 + (n / 25) * 18 + gy) *
			    f->linesize[0] + 302 + (n % 25) * 8] = 0;
	for (y = 0; y < 16; y++)
		for (x = 0; x < 256; x++)
			f->data[0][y * f->linesize[0] + x] =
			    ((t >> (x / 8)) & 1) ^ (y >= 8) ? 235 : 16;
	r[0] = (struct enc_rect){ 0, 0, 256, 16 };
	r[1] = (struct enc_rect){ 300, 200, 200, 40 };
	return 2;
}

/*
 * CPU (all threads) and bytes of a typing picture through an encoder,
 * made-up pictures like painter.c's typing: n pictures after 30 of
 * warm-up.
 */
static int
bench_typing(const char *codec, int n)
{
	struct enc_params ep;
	struct enc_input in = { 0 };
	struct enc_rect r[2];
	struct enc *e;
	AVFrame *f;
	uint64_t c0, w0;
	unsigned seed = 1;
	size_t bytes = 0;
	int i;

	memset(&ep, 0, sizeof ep);
	if ((ep.codec = enc_from_name(codec)) < 0)
		return 2;
	ep.width = 1920;
	ep.height = 1080;
	ep.fps = 30;
	enc_params_rate(&ep, 0.67);
	f = i420(ep.width, ep.height);
	fill(f, 0, 0, ep.width, ep.height, 0, &seed);
	if (enc_open(&ep, &e) != 0)
		return 1;
	in.pic = f;
	in.dirty = r;
	c0 = w0 = 0;
	for (i = 0; i < 30 + n; i++) {
		if (i == 30) {
			bytes = 0;
			c0 = ns_of(CLOCK_PROCESS_CPUTIME_ID);
			w0 = ns_of(CLOCK_MONOTONIC);
		}
		in.ndirty = typing_pic(f, (uint32_t)i, r);
		in.key = i == 0;
		in.pts_ms = i * 33;
		enc_encode(e, &in, count_cb, &bytes);
	}
	printf("%s typing 1920x1080: %.3f ms CPU a picture (%.3f ms wall), "
	    "%.0f bytes a picture, RSS %.1f MB\n", codec,
	    (ns_of(CLOCK_PROCESS_CPUTIME_ID) - c0) / 1e6 / n,
	    (ns_of(CLOCK_MONOTONIC) - w0) / 1e6 / n, (double)bytes / n,
	    rss_kb() / 1024.0);
	enc_close(e);
	av_frame_free(&f);
	return 0;
}

/* The pipeline's fake viewer. */
struct bsink {
	struct svc_sink	 sink;
	AVCodecContext	*dec;
	int		 dec_case;
	AVFrame		*f;
	uint64_t	 bytes;
	uint64_t	 frames;
	uint64_t	 bad_stamps;
	uint64_t	 dec_cpu_ns;	/* our decoding, not the server's */
	int		 measuring;
	uint32_t	*ctr;		/* stamps seen */
	uint64_t	*at;		/* when their frame arrived */
	uint64_t	*dat;		/* when it was decoded */
	size_t		 n;
};

/* Decodes one frame and notes its stamp. */
static void
bsink_send(void *ctx, struct msgbuf *b, enum svc_queue q)
{
	struct bsink *s = ctx;
	Hbb__Message *m;
	Hbb__EncodedVideoFrames *efs;
	AVPacket *pkt;
	const AVCodec *dc;
	uint64_t t0 = ns_of(CLOCK_THREAD_CPUTIME_ID), now;
	uint64_t arrived = ns_of(CLOCK_MONOTONIC);
	int64_t st;
	size_t i;

	(void)q;
	m = hbb__message__unpack(NULL, b->len, b->data);
	if (m == NULL || m->union_case != HBB__MESSAGE__UNION_VIDEO_FRAME) {
		hbb__message__free_unpacked(m, NULL);
		return;
	}
	efs = m->video_frame->vp9s;
	if (s->dec == NULL || s->dec_case != (int)m->video_frame->union_case) {
		enum AVCodecID id = AV_CODEC_ID_VP9;

		switch (m->video_frame->union_case) {
		case HBB__VIDEO_FRAME__UNION_VP8S:
			id = AV_CODEC_ID_VP8;
			break;
		case HBB__VIDEO_FRAME__UNION_H264S:
			id = AV_CODEC_ID_H264;
			break;
		case HBB__VIDEO_FRAME__UNION_H265S:
			id = AV_CODEC_ID_HEVC;
			break;
		case HBB__VIDEO_FRAME__UNION_AV1S:
			id = AV_CODEC_ID_AV1;
			break;
		default:
			break;
		}
		avcodec_free_context(&s->dec);
		dc = id == AV_CODEC_ID_AV1 ?
		    avcodec_find_decoder_by_name("libdav1d") :
		    avcodec_find_decoder(id);
		s->dec = avcodec_alloc_context3(dc);
		s->dec->thread_count = 1;
		avcodec_open2(s->dec, dc, NULL);
		s->dec_case = m->video_frame->union_case;
	}
	pkt = av_packet_alloc();
	for (i = 0; i < efs->n_frames; i++) {
		if (av_new_packet(pkt, (int)efs->frames[i]->data.len) < 0)
			break;
		memcpy(pkt->data, efs->frames[i]->data.data,
		    efs->frames[i]->data.len);
		avcodec_send_packet(s->dec, pkt);
		av_packet_unref(pkt);
		while (avcodec_receive_frame(s->dec, s->f) == 0) {
			now = ns_of(CLOCK_MONOTONIC);
			st = stamp_read(s->f->data[0], s->f->linesize[0],
			    s->f->width, s->f->height);
			if (!s->measuring)
				continue;
			if (st < 0)
				s->bad_stamps++;
			else if (s->n < MAXREC) {
				s->ctr[s->n] = (uint32_t)st;
				s->at[s->n] = arrived;
				s->dat[s->n++] = now;
			}
		}
	}
	av_packet_free(&pkt);
	if (s->measuring) {
		s->frames++;
		s->bytes += b->len;
	}
	hbb__message__free_unpacked(m, NULL);
	s->dec_cpu_ns += ns_of(CLOCK_THREAD_CPUTIME_ID) - t0;
}

/* Never backed up: a fast loopback viewer. */
static size_t
bsink_backlog(void *ctx, enum svc_queue q)
{
	(void)ctx;
	(void)q;
	return 0;
}

static struct svc_video	*g_sv;
static struct bsink	*g_sink;

/* One TestDelay round trip per second, as a connection does. */
static void
rtt_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	svc_video_rtt(g_sv, g_sink->sink.conn_id, 1);
}

/* Runs the loop for s seconds. */
static void
run_for(struct event_base *base, int s)
{
	struct timeval tv = { s, 0 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Process CPU time in ns. */
static uint64_t
proc_cpu_ns(void)
{
	return ns_of(CLOCK_PROCESS_CPUTIME_ID);
}

/* VmRSS of this process in kB. */
static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Runs the service on display 0 and reports what the viewer saw. */
static int
bench_pipe(const char *codec, int warmup, int secs, const char *log)
{
	struct event_base *base;
	struct svc_video_prefs p;
	struct svc_video_stats st;
	struct event *ev;
	struct timeval one = { 1, 0 };
	struct bsink s;
	uint64_t cpu0, t0, cpu1, t1, dec0, *done;
	double *lat, *dlat, wall, cpu;
	size_t i, nl = 0, uniq = 0;
	uint32_t nmax, last = UINT32_MAX;
	int c;

	if ((c = enc_from_name(codec)) < 0)
		return 2;
	evthread_use_pthreads();
	base = event_base_new();
	memset(&s, 0, sizeof s);
	s.sink.ctx = &s;
	s.sink.send = bsink_send;
	s.sink.backlog = bsink_backlog;
	s.f = av_frame_alloc();
	s.ctr = calloc(MAXREC, sizeof *s.ctr);
	s.at = calloc(MAXREC, sizeof *s.at);
	s.dat = calloc(MAXREC, sizeof *s.dat);
	if (svc_video_new(base, NULL, &g_sv) != 0)
		return 1;
	g_sink = &s;
	memset(&p, 0, sizeof p);
	p.caps.decode = ENC_ALL;
	p.caps.prefer = c;
	p.custom_fps = 30;
	svc_video_subscribe(g_sv, &s.sink, 0, &p, 0);
	ev = event_new(base, -1, EV_PERSIST, rtt_cb, NULL);
	event_add(ev, &one);
	run_for(base, warmup);
	s.measuring = 1;
	cpu0 = proc_cpu_ns();
	dec0 = s.dec_cpu_ns;
	t0 = ns_of(CLOCK_MONOTONIC);
	run_for(base, secs);
	t1 = ns_of(CLOCK_MONOTONIC);
	cpu1 = proc_cpu_ns();
	s.measuring = 0;
	svc_video_stats(g_sv, &st);
	wall = (t1 - t0) / 1e9;
	cpu = ((cpu1 - cpu0) - (s.dec_cpu_ns - dec0)) / 1e9 / wall * 100;
	printf("  %-4s: %.1f fps sent, %.2f Mbit/s (%.0f bytes a frame), "
	    "server CPU %.0f %% (decode excluded), RSS %ld kB, fps target "
	    "%d\n", codec, s.frames / wall, s.bytes * 8 / wall / 1e6,
	    s.frames > 0 ? (double)s.bytes / s.frames : 0, cpu, rss_kb(),
	    st.fps);
	event_free(ev);
	svc_video_free(g_sv);
	done = stamp_log_read(log, MAXREC, &nmax);
	lat = calloc(MAXREC, sizeof *lat);
	dlat = calloc(MAXREC, sizeof *dlat);
	for (i = 0; i < s.n; i++) {
		/* Only the first sight of a paint measures its latency. */
		if (s.ctr[i] != last && s.ctr[i] < nmax &&
		    done[s.ctr[i]] != 0 && s.at[i] > done[s.ctr[i]]) {
			lat[nl] = (s.at[i] - done[s.ctr[i]]) / 1e6;
			dlat[nl++] = (s.dat[i] - done[s.ctr[i]]) / 1e6;
		}
		if (s.ctr[i] != last)
			uniq++;
		last = s.ctr[i];
	}
	qsort(lat, nl, sizeof *lat, cmp_dbl);
	qsort(dlat, nl, sizeof *dlat, cmp_dbl);
	/* Arrival is what rfbclient.py measures for the VNC servers. */
	printf("        %.1f distinct paints/s seen, latency (arrival) p50 "
	    "%.1f ms, p95 %.1f ms; decoded p50 %.1f ms, p95 %.1f ms (%zu "
	    "samples, %llu unreadable stamps)\n",
	    uniq / wall, pct(lat, nl, 50), pct(lat, nl, 95),
	    pct(dlat, nl, 50), pct(dlat, nl, 95), nl,
	    (unsigned long long)s.bad_stamps);
	free(lat);
	free(dlat);
	free(done);
	free(s.ctr);
	free(s.at);
	free(s.dat);
	av_frame_free(&s.f);
	avcodec_free_context(&s.dec);
	event_base_free(base);
	return 0;
}

int
main(int argc, char **argv)
{
	av_log_set_level(AV_LOG_ERROR);
	log_set_level(getenv("VB_DEBUG") != NULL ? LOG_DEBUG : LOG_WARN);
	if (argc >= 2 && strcmp(argv[1], "raw") == 0)
		return bench_raw(argc > 2 ? atoi(argv[2]) : 30);
	if (argc >= 2 && strcmp(argv[1], "mem") == 0)
		return bench_mem(argc > 2 ? argv[2] : "vp9",
		    argc > 4 ? atoi(argv[3]) : 1920,
		    argc > 4 ? atoi(argv[4]) : 1080);
	if (argc >= 2 && strcmp(argv[1], "typing") == 0)
		return bench_typing(argc > 2 ? argv[2] : "vp9",
		    argc > 3 ? atoi(argv[3]) : 300);
	if (argc == 6 && strcmp(argv[1], "pipe") == 0)
		return bench_pipe(argv[2], atoi(argv[3]), atoi(argv[4]),
		    argv[5]);
	fprintf(stderr, "usage: video_bench raw [n] | mem [CODEC [W H]] | "
	    "typing [CODEC [N]] | "
	    "pipe CODEC WARMUP SECONDS PAINTER_LOG\n");
	return 2;
}
