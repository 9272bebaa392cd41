/*
 * vtest.h: helpers shared by the video tests (header-only, static): a fake
 * svc_sink that unpacks and decodes every VideoFrame with libavcodec, and
 * drawing on / grabbing from the X display of the test.
 */
#ifndef CDESK_VTEST_H
#define CDESK_VTEST_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <xcb/xcb.h>

#include "server/svc/svc_video.h"
#include "tests/tst.h"

struct fsink {
	struct svc_sink	 sink;
	size_t		 backlog;	/* what backlog() reports */
	AVCodecContext	*dec;
	int		 dec_case;	/* VideoFrame union case of dec */
	AVFrame		*last;		/* last decoded picture */
	AVFrame		*tmp;
	int		 frames;	/* VideoFrame messages */
	int		 keys;		/* of them with a key packet */
	int		 first_key;	/* 1: the first frame was key */
	int		 decoded;
	int		 errors;	/* decode errors */
	int		 switches;
	int		 sw_w, sw_h;	/* last SwitchDisplay size */
	int		 wrong_size;	/* decoded size != announced size */
	int		 last_key;
	int		 last_case;
	int		 frames_after_switch;
	int		 key_after_switch;
	int		 since_key;	/* frames since the last key frame */
	int		 key_gap;	/* frames between the last two keys */
};

/* Decodes every packet of one VideoFrame. */
static inline void
fsink_video(struct fsink *f, Hbb__VideoFrame *vf)
{
	static const struct { int c; enum AVCodecID id; } map[] = {
		{ HBB__VIDEO_FRAME__UNION_VP8S, AV_CODEC_ID_VP8 },
		{ HBB__VIDEO_FRAME__UNION_VP9S, AV_CODEC_ID_VP9 },
		{ HBB__VIDEO_FRAME__UNION_AV1S, AV_CODEC_ID_AV1 },
		{ HBB__VIDEO_FRAME__UNION_H264S, AV_CODEC_ID_H264 },
		{ HBB__VIDEO_FRAME__UNION_H265S, AV_CODEC_ID_HEVC },
	};
	Hbb__EncodedVideoFrames *efs = vf->vp9s;	/* all same type */
	const AVCodec *dc = NULL;
	AVPacket *pkt;
	size_t i;
	int key = 0;

	ASSERT_TRUE(efs != NULL && efs->n_frames > 0);
	if (f->dec == NULL || f->dec_case != (int)vf->union_case) {
		avcodec_free_context(&f->dec);
		for (i = 0; i < sizeof map / sizeof map[0]; i++)
			if (map[i].c == (int)vf->union_case)
				dc = map[i].id == AV_CODEC_ID_AV1 ?
				    avcodec_find_decoder_by_name("libdav1d") :
				    avcodec_find_decoder(map[i].id);
		ASSERT_TRUE(dc != NULL);
		f->dec = avcodec_alloc_context3(dc);
		ASSERT_INT_EQ(avcodec_open2(f->dec, dc, NULL), 0);
		f->dec_case = vf->union_case;
	}
	pkt = av_packet_alloc();
	for (i = 0; i < efs->n_frames; i++) {
		key |= efs->frames[i]->key;
		ASSERT_INT_EQ(av_new_packet(pkt, (int)efs->frames[i]->data.len),
		    0);
		memcpy(pkt->data, efs->frames[i]->data.data,
		    efs->frames[i]->data.len);
		if (avcodec_send_packet(f->dec, pkt) < 0)
			f->errors++;
		av_packet_unref(pkt);
		while (avcodec_receive_frame(f->dec, f->tmp) == 0) {
			av_frame_unref(f->last);
			av_frame_move_ref(f->last, f->tmp);
			f->decoded++;
			if (f->sw_w > 0 && (f->last->width != f->sw_w ||
			    f->last->height != f->sw_h))
				f->wrong_size++;
		}
	}
	av_packet_free(&pkt);
	if (f->frames == 0)
		f->first_key = key;
	if (f->switches > 0 && f->frames_after_switch++ == 0)
		f->key_after_switch = key;
	f->frames++;
	if (key && f->keys > 0)
		f->key_gap = f->since_key + 1;
	f->since_key = key ? 0 : f->since_key + 1;
	f->keys += key;
	f->last_key = key;
	f->last_case = vf->union_case;
}

/* svc_sink.send: unpack and look at one message. */
static inline void
fsink_send(void *ctx, struct msgbuf *b, enum svc_queue q)
{
	struct fsink *f = ctx;
	Hbb__Message *m;

	ASSERT_INT_EQ(q, SVC_Q_VIDEO);
	m = hbb__message__unpack(NULL, b->len, b->data);
	ASSERT_TRUE(m != NULL);
	if (m->union_case == HBB__MESSAGE__UNION_VIDEO_FRAME)
		fsink_video(f, m->video_frame);
	else if (m->union_case == HBB__MESSAGE__UNION_MISC &&
	    m->misc->union_case == HBB__MISC__UNION_SWITCH_DISPLAY) {
		f->switches++;
		f->sw_w = m->misc->switch_display->width;
		f->sw_h = m->misc->switch_display->height;
		f->frames_after_switch = 0;
		/* As the client does: a new decoder for the new size. */
		avcodec_free_context(&f->dec);
	} else
		TST_FAIL("unexpected message %d", m->union_case);
	hbb__message__free_unpacked(m, NULL);
}

/* svc_sink.backlog: what the test set. */
static inline size_t
fsink_backlog(void *ctx, enum svc_queue q)
{
	struct fsink *f = ctx;

	(void)q;
	return f->backlog;
}

/* A fresh fake sink. */
static inline struct fsink *
fsink_new(uint32_t id)
{
	struct fsink *f = calloc(1, sizeof *f);

	ASSERT_TRUE(f != NULL);
	f->sink.ctx = f;
	f->sink.conn_id = id;
	f->sink.send = fsink_send;
	f->sink.backlog = fsink_backlog;
	f->last = av_frame_alloc();
	f->tmp = av_frame_alloc();
	return f;
}

/* Frees a fake sink. */
static inline void
fsink_free(struct fsink *f)
{
	avcodec_free_context(&f->dec);
	av_frame_free(&f->last);
	av_frame_free(&f->tmp);
	free(f);
}

/* Prefs that ask for one codec. */
static inline struct svc_video_prefs
vt_prefs(int codec)
{
	struct svc_video_prefs p;

	memset(&p, 0, sizeof p);
	p.caps.decode = ENC_ALL;
	p.caps.prefer = codec;
	return p;
}

/* Runs the loop for ms milliseconds. */
static inline void
vt_loop(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/*
 * Runs the loop until *count reaches want, at most max_ms: a wait on the
 * condition, so a slow machine (a loaded CI, ASan) only waits longer.
 */
static inline void
vt_loop_until(struct event_base *base, const int *count, int want,
    int max_ms)
{
	int waited;

	for (waited = 0; *count < want && waited < max_ms; waited += 50)
		vt_loop(base, 50);
}

/*
 * Runs the loop until done(arg) is true, at most max_ms (a wait on a
 * condition that is not a counter, e.g. the last picture's quality).
 */
static inline void
vt_loop_until_fn(struct event_base *base, int (*done)(void *), void *arg,
    int max_ms)
{
	int waited;

	for (waited = 0; !done(arg) && waited < max_ms; waited += 50)
		vt_loop(base, 50);
}

/* The test's own X connection, for drawing. */
struct vx {
	xcb_connection_t	*c;
	xcb_window_t		 root;
	xcb_gcontext_t		 gc;
	int			 w, h;
};

/* Connects to $DISPLAY (exit 77 without one). */
static inline void
vx_open(struct vx *x)
{
	xcb_screen_t *s;

	if (getenv("DISPLAY") == NULL) {
		printf("no DISPLAY\n");
		exit(77);
	}
	x->c = xcb_connect(NULL, NULL);
	ASSERT_INT_EQ(xcb_connection_has_error(x->c), 0);
	s = xcb_setup_roots_iterator(xcb_get_setup(x->c)).data;
	x->root = s->root;
	x->w = s->width_in_pixels;
	x->h = s->height_in_pixels;
	x->gc = xcb_generate_id(x->c);
	xcb_create_gc(x->c, x->gc, x->root, 0, NULL);
}

/* Waits until the X server has done everything sent so far. */
static inline void
vx_sync(struct vx *x)
{
	free(xcb_get_input_focus_reply(x->c, xcb_get_input_focus(x->c),
	    NULL));
}

/* Fills a rectangle of the root window with a colour (0xRRGGBB). */
static inline void
vx_fill(struct vx *x, int rx, int ry, int w, int h, uint32_t rgb)
{
	xcb_rectangle_t r = { rx, ry, w, h };

	xcb_change_gc(x->c, x->gc, XCB_GC_FOREGROUND, &rgb);
	xcb_poly_fill_rectangle(x->c, x->root, x->gc, 1, &r);
	xcb_flush(x->c);
}

/* Draws a test pattern: coloured bars plus a box whose place depends on
 * seed. */
static inline void
vx_pattern(struct vx *x, int seed)
{
	static const uint32_t bars[] = { 0xffffff, 0xffff00, 0x00ffff,
	    0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0x000000 };
	int i, bw = x->w / 8;

	for (i = 0; i < 8; i++)
		vx_fill(x, i * bw, 0, bw, x->h, bars[(i + seed) % 8]);
	vx_fill(x, 40 + seed * 37 % (x->w / 2), 60 + seed * 23 % (x->h / 2),
	    200, 120, 0x808080);
	vx_sync(x);
}

/* PSNR (dB) between the decoded picture and the screen's w x h
 * top-left. */
static inline double
vx_psnr(struct vx *x, const AVFrame *pic)
{
	xcb_get_image_reply_t *gr;
	struct SwsContext *sws;
	uint8_t *rgb, *dst[1];
	const uint8_t *scr;
	int ls[1], w = pic->width, h = pic->height, i, c;
	double se = 0, d;
	size_t n;

	gr = xcb_get_image_reply(x->c, xcb_get_image(x->c,
	    XCB_IMAGE_FORMAT_Z_PIXMAP, x->root, 0, 0, w, h, ~0u), NULL);
	ASSERT_TRUE(gr != NULL);
	scr = xcb_get_image_data(gr);
	rgb = malloc((size_t)w * h * 4);
	dst[0] = rgb;
	ls[0] = w * 4;
	sws = sws_getContext(w, h, pic->format, w, h, AV_PIX_FMT_BGR0,
	    SWS_POINT, NULL, NULL, NULL);
	sws_scale(sws, (const uint8_t *const *)pic->data, pic->linesize, 0,
	    h, dst, ls);
	n = (size_t)w * h;
	for (i = 0; i < (int)n; i++)
		for (c = 0; c < 3; c++) {
			d = (double)rgb[i * 4 + c] - scr[i * 4 + c];
			se += d * d;
		}
	se /= n * 3;
	sws_freeContext(sws);
	free(rgb);
	free(gr);
	return se == 0 ? 99 : 10 * log10(255.0 * 255 / se);
}

/* A sink's last picture next to the screen it should show. */
struct vt_shot {
	struct vx	*x;
	struct fsink	*f;
};

/* 1 when the sink's last picture matches the screen (PSNR over 30 dB). */
static inline int
vt_shot_sharp(void *arg)
{
	struct vt_shot *s = arg;

	return s->f->last != NULL && s->f->last->width == s->x->w &&
	    s->f->last->height == s->x->h && vx_psnr(s->x, s->f->last) > 30;
}

/* Runs the loop until f's last picture shows x's screen, at most max_ms. */
static inline void
vt_wait_sharp(struct event_base *base, struct vx *x, struct fsink *f,
    int max_ms)
{
	struct vt_shot s = { x, f };

	vt_loop_until_fn(base, vt_shot_sharp, &s, max_ms);
}

/* Common start: threads for libevent, quiet libav. */
static inline struct event_base *
vt_base(void)
{
	struct event_base *base;

	ASSERT_INT_EQ(evthread_use_pthreads(), 0);
	av_log_set_level(AV_LOG_ERROR);
	base = event_base_new();
	ASSERT_TRUE(base != NULL);
	return base;
}

#endif
