/*
 * enc_vpx.c: VP9 through libvpx itself, 4:2:0 (profile 0) or 4:4:4
 * (profile 1, "true colour": HOST.md §5.2.1).
 *
 * libavcodec wraps the same library, but cannot pass libvpx's active map:
 * the 16x16 blocks that may have changed. Told which blocks did (from the
 * X Damage rectangles), the encoder codes every other block as "copy from
 * the last picture" without searching it. A desktop usually changes a
 * little at a time (typing, a cursor, a clock), so this is most of the
 * saving; it is also what Chrome Remote Desktop does with libvpx.
 *
 * VP8 stays with libavcodec: opened here with the same settings it
 * overshot its bitrate 4x on full-screen motion (5.2 against 1.4 Mbit/s),
 * and its whole-picture encode is fast enough already.
 */
#include <stdlib.h>
#include <string.h>

#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/media/enc.h"
#include "server/media/vpx_mem.h"

struct encvpx {
	vpx_codec_ctx_t	 ctx;
	int		 width, height;
	int		 i444;		/* profile 1, I444 pictures */
	unsigned long	 duration;	/* ms of one picture at the set fps */
	vpx_active_map_t map;		/* map.active_map owned */
	int		 map_on;	/* the last picture was given a map */
	int		 active;	/* blocks the last map marked */
	vpx_codec_enc_cfg_t cfg;	/* as opened; g_threads and the
					   rate (retarget) move */
	unsigned	 threads;	/* what it was opened with */
	int		 small_run;	/* small pictures in a row */
	int		 big_run;	/* nearly whole ones in a row */
	int		 content;	/* VP9E_CONTENT_* set now */
	int		 thr_fixed;	/* libvpx refused to change them */
	int		 content_fixed;	/* ... or the content tuning */
	int		 rate_fixed;	/* ... or the bitrate */
	struct vpxmem	*mem;		/* owned: its allocations */
	int		 started;	/* a picture was encoded */
	int64_t		 pts_off;	/* libvpx's pts = ours + pts_off */
	int64_t		 last_pts;	/* libvpx's, of the last picture */
};

/*
 * Pictures in a row that changed nearly everywhere before the encoder is
 * tuned for camera-like content, not screen content (encvpx_content).
 * Half a second at 30 fps: a scroll or a window switch is over sooner.
 */
#define ENCVPX_VIDEO_RUN	15
/*
 * log2 of the tile columns while more than one thread encodes: two
 * columns for the two threads. Four cost more CPU for nothing (the
 * painter's full-screen video, 6 rounds each way, alternating: CPU 62-76
 * % against 67-78 %, latency p50 12.3-14.8 against 13.1-15.3 ms, bytes
 * the same).
 */
#define ENCVPX_TILE_COLS	1
/*
 * Pictures between key frames refer to and replace the last one only: no
 * golden or alt-ref picture, each a 4.7 MB buffer at 1920x1080 that the
 * realtime rate control would refresh now and then. One VP9 viewer of
 * the video workload: 69.1 -> 59.2 MB. Bytes: typing 386 -> 402 a
 * picture, a panning noisy texture (CBR) 5648 -> 5768 at the same PSNR
 * (22.9 dB); CPU the same within the noise.
 */
#define ENCVPX_LAST_ONLY	(VP8_EFLAG_NO_REF_GF | VP8_EFLAG_NO_REF_ARF | \
	VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF)

/* Logs a libvpx failure and maps it to an ERR_*. */
static int
encvpx_fail(vpx_codec_ctx_t *ctx, const char *what)
{
	const char *detail = vpx_codec_error_detail(ctx);

	log_warn("libvpx: %s: %s%s%s", what, vpx_codec_error(ctx),
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	return ERR_CODEC;
}

/* Sets one control, logging (but tolerating) a refusal. */
static void
encvpx_ctl(vpx_codec_ctx_t *ctx, int id, int val, const char *name)
{
	if (vpx_codec_control_(ctx, id, val) != VPX_CODEC_OK)
		log_debug("libvpx: control %s=%d refused", name, val);
}
#define ENCVPX_CTL(ctx, id, val)	encvpx_ctl((ctx), (id), (val), #id)

/*
 * The realtime configuration (the same settings enc_libav.c gives the
 * libavcodec wrapper, whose measurements are recorded there): one pass,
 * no lookahead, CBR with the whole quantizer range, no dropped pictures
 * (a dropped picture would leave the active map of the next one short),
 * no automatic key frames (unless p->keyint asks for them).
 */
static void
encvpx_config(vpx_codec_enc_cfg_t *cfg, const struct enc_params *p)
{
	cfg->g_w = (unsigned)p->width;
	cfg->g_h = (unsigned)p->height;
	cfg->g_timebase.num = 1;
	cfg->g_timebase.den = 1000;
	cfg->g_pass = VPX_RC_ONE_PASS;
	cfg->g_lag_in_frames = 0;
	cfg->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	cfg->g_threads = p->threads > 0 ? (unsigned)p->threads : 2;
	/* Profile 1: 8-bit 4:4:4. */
	cfg->g_profile = p->i444 ? 1 : 0;
	cfg->rc_end_usage = VPX_CBR;
	cfg->rc_target_bitrate = (unsigned)p->kbps;
	/*
	 * The finest quantizer is the quality's (HOST.md §5.2.2). The
	 * coarsest is not capped as upstream caps it (50 at Balanced): on
	 * noisy pictures a capped one overshoots the bitrate many times
	 * over (enc_libav.c: VP8 then took 10x longer a picture).
	 */
	cfg->rc_min_quantizer = (unsigned)p->qmin;
	cfg->rc_max_quantizer = 63;
	cfg->rc_undershoot_pct = 95;
	cfg->rc_dropframe_thresh = 0;
	cfg->rc_resize_allowed = 0;
	/* One second of buffer, started half full, as WebRTC does. */
	cfg->rc_buf_sz = 1000;
	cfg->rc_buf_initial_sz = 500;
	cfg->rc_buf_optimal_sz = 600;
	if (p->keyint > 0) {
		cfg->kf_mode = VPX_KF_AUTO;
		cfg->kf_min_dist = 0;
		cfg->kf_max_dist = (unsigned)p->keyint;
	} else
		cfg->kf_mode = VPX_KF_DISABLED;
}

/* Codec controls, after init. */
static void
encvpx_controls(vpx_codec_ctx_t *ctx)
{
	/*
	 * Speed 9, libvpx's fastest realtime preset. Against 8, 1920x1080
	 * with 2 threads: fresh noise every picture 35.6 -> 28.1 ms; typing
	 * with the active map 3.9 -> 3.4 ms (one thread, AQ off); end to
	 * end on the painter's full-screen video 20.6 -> 18.7 ms glass to
	 * client.
	 */
	ENCVPX_CTL(ctx, VP8E_SET_CPUUSED, 9);
	/*
	 * Blocks whose difference is under this sum are skipped, which on a
	 * desktop (typing, a moving cursor) cuts the encode of a mostly still
	 * picture to a fraction: measured end to end on 1920x1080 typing,
	 * p50 13.9 -> 9.1 ms and half the bits.
	 */
	ENCVPX_CTL(ctx, VP8E_SET_STATIC_THRESHOLD, 100);
	ENCVPX_CTL(ctx, VP9E_SET_ROW_MT, 1);
	ENCVPX_CTL(ctx, VP9E_SET_TILE_COLUMNS, ENCVPX_TILE_COLS);
	ENCVPX_CTL(ctx, VP9E_SET_FRAME_PARALLEL_DECODING, 0);
	/*
	 * No cyclic refresh, screen content. Cyclic refresh re-codes a
	 * share of the picture at a finer quantizer every frame; with the
	 * active map only changed blocks are coded anyway, and on a typing
	 * picture it doubled the bytes and cost a quarter of the time.
	 * Screen content tunes the mode search for sharp synthetic pictures
	 * (and leaves out noise estimation). 1920x1080, a glyph changing
	 * per picture, CPU per picture with 2 threads (load 8): 4.0-4.4 ->
	 * 3.4-3.5 ms, 915 -> 315 bytes; full-screen noise 27.6-30.0 ->
	 * 22.9-32.6 ms (noisy), 5170 -> 4760 bytes.
	 */
	ENCVPX_CTL(ctx, VP9E_SET_AQ_MODE, 0);
	ENCVPX_CTL(ctx, VP9E_SET_TUNE_CONTENT, VP9E_CONTENT_SCREEN);
	ENCVPX_CTL(ctx, VP9E_SET_NOISE_SENSITIVITY, 0);
}

/* Frees an encoder of this backend. */
static void
encvpx_close(void *state)
{
	struct encvpx *e = state;

	if (e == NULL)
		return;
	vpx_codec_destroy(&e->ctx);
	vpxmem_free(e->mem);
	free(e->map.active_map);
	free(e);
}

/* Opens a VP9 encoder. */
static int
encvpx_open(const struct enc_params *p, void **statep)
{
	vpx_codec_iface_t *iface;
	vpx_codec_enc_cfg_t cfg;
	vpx_codec_err_t err;
	struct encvpx *e;

	*statep = NULL;
	if (p->codec != ENC_CODEC_VP9)
		return ERR_UNSUPP;
	if (p->width < 16 || p->height < 16 || p->width > ENC_DIM_MAX ||
	    p->height > ENC_DIM_MAX || (p->width & 1) || (p->height & 1) ||
	    p->fps < 1 || p->fps > 120 || p->kbps < 1 || p->keyint < 0)
		return ERR_INVAL;
	iface = vpx_codec_vp9_cx();
	if (vpx_codec_enc_config_default(iface, &cfg, 0) != VPX_CODEC_OK)
		return ERR_UNSUPP;
	encvpx_config(&cfg, p);
	e = xcalloc(1, sizeof *e);
	/* 98 MB of token buffer at 1080p, all zero: give it back. */
	e->mem = vpxmem_new(p->width, p->height);
	vpxmem_begin(e->mem);
	err = vpx_codec_enc_init(&e->ctx, iface, &cfg, 0);
	vpxmem_end(e->mem, err == VPX_CODEC_OK);
	if (err != VPX_CODEC_OK) {
		log_debug("libvpx vp9 %dx%d: init: %s", p->width, p->height,
		    vpx_codec_error(&e->ctx));
		vpxmem_free(e->mem);
		free(e);
		return ERR_CODEC;
	}
	encvpx_controls(&e->ctx);
	e->width = p->width;
	e->height = p->height;
	e->i444 = p->i444 != 0;
	e->duration = (unsigned long)(1000 / p->fps);
	e->cfg = cfg;
	e->threads = cfg.g_threads;
	e->content = VP9E_CONTENT_SCREEN;
	e->map.rows = (unsigned)(p->height + 15) / 16;
	e->map.cols = (unsigned)(p->width + 15) / 16;
	e->map.active_map = xmalloc((size_t)e->map.rows * e->map.cols);
	*statep = e;
	return 0;
}

/*
 * Marks the 16x16 blocks the dirty rectangles touch; 0 if the whole
 * picture must be looked at (unknown damage, or most of it changed).
 */
static int
encvpx_fill_map(struct encvpx *e, const struct enc_input *in)
{
	const struct enc_rect *r;
	unsigned char *m = e->map.active_map;
	int i, x0, y0, x1, y1, y, n = 0;

	if (in->ndirty < 0)
		return 0;
	memset(m, 0, (size_t)e->map.rows * e->map.cols);
	for (i = 0; i < in->ndirty; i++) {
		r = &in->dirty[i];
		x0 = r->x < 0 ? 0 : r->x;
		y0 = r->y < 0 ? 0 : r->y;
		x1 = r->x + r->w > e->width ? e->width : r->x + r->w;
		y1 = r->y + r->h > e->height ? e->height : r->y + r->h;
		if (x1 <= x0 || y1 <= y0)
			continue;
		/* 4:2:0 chroma is subsampled 2x2, so a changed pixel
		 * touches its even-aligned pair; 16x16 blocks are
		 * even-aligned too. */
		x0 /= 16;
		y0 /= 16;
		x1 = (x1 + 15) / 16;
		y1 = (y1 + 15) / 16;
		for (y = y0; y < y1; y++)
			memset(m + (size_t)y * e->map.cols + x0, 1,
			    (size_t)(x1 - x0));
	}
	for (i = 0; i < (int)(e->map.rows * e->map.cols); i++)
		n += m[i];
	e->active = n;
	/* Nearly everything changed: the map would only cost a pass. */
	return n * 10 < (int)(e->map.rows * e->map.cols) * 9;
}

/*
 * Threads for the next picture. A second thread halves the time of a
 * picture that changed much, but a small change (typing) costs a third
 * more CPU with it, spent waiting on each other (1920x1080, a glyph a
 * picture: 3.2-3.4 ms with 2 threads, 2.1-2.4 ms with 1). So a picture
 * whose map marks under an eighth of the blocks is encoded with one, once
 * 15 such pictures came in a row (back to all threads at once).
 */
static void
encvpx_threads(struct encvpx *e, int use_map)
{
	int small = use_map && e->active * 8 < (int)(e->map.rows *
	    e->map.cols);
	unsigned want, prev = e->cfg.g_threads;

	e->small_run = small ? e->small_run + 1 : 0;
	want = e->small_run >= 15 ? 1 : e->threads;
	if (want == prev || e->thr_fixed)
		return;
	/*
	 * Tiles let threads share a picture; with one thread they only cost
	 * bytes (each tile restarts its contexts and carries a size): on
	 * 1920x1080 typing 410 -> 381 bytes a picture, 84 -> 63 for one
	 * where nothing changed.
	 */
	ENCVPX_CTL(&e->ctx, VP9E_SET_TILE_COLUMNS, want > 1 ?
	    ENCVPX_TILE_COLS : 0);
	e->cfg.g_threads = want;
	if (vpx_codec_enc_config_set(&e->ctx, &e->cfg) != VPX_CODEC_OK) {
		log_debug("libvpx: %u threads refused", want);
		e->cfg.g_threads = prev;
		e->thr_fixed = 1;
	}
}

/*
 * Screen content while the picture changes in parts, default content once
 * nearly all of it changed for ENCVPX_VIDEO_RUN pictures in a row (a
 * video, a game), back at the first picture that did not. Screen tuning
 * spends time on what a desktop has and a video has not (scene-change
 * detection on every superblock, no early exit on blocks of low temporal
 * variance). The painter's full-screen video, 1920x1080, 2 threads, the
 * video service end to end (video_bench pipe, 4 rounds interleaved):
 * CPU 84-99 -> 64-84 % (10-15 points less in each round), latency p50
 * 16.1-25.1 -> 13.2-20.5 ms; the same bytes at the same quality (libvpx
 * through ffmpeg on 4 s of it, CBR 1.4 Mbit/s: PSNR 28.38 / 28.39 dB,
 * SSIM 0.772 / 0.772). Typing keeps screen content: default cost 548
 * instead of 410 bytes a picture there.
 */
static void
encvpx_content(struct encvpx *e, int big)
{
	int want;

	e->big_run = big ? e->big_run + 1 : 0;
	want = e->big_run >= ENCVPX_VIDEO_RUN ? VP9E_CONTENT_DEFAULT :
	    VP9E_CONTENT_SCREEN;
	if (want == e->content || e->content_fixed)
		return;
	if (vpx_codec_control(&e->ctx, VP9E_SET_TUNE_CONTENT, want) !=
	    VPX_CODEC_OK) {
		/* Not asked again on every picture, as encvpx_threads. */
		log_debug("libvpx: content %d refused", want);
		e->content_fixed = 1;
		return;
	}
	log_debug("libvpx: tuned for %s content", want ==
	    VP9E_CONTENT_SCREEN ? "screen" : "camera");
	e->content = want;
}

/* Encodes one picture and hands every packet to cb. */
static int
encvpx_encode(void *state, const struct enc_input *in, enc_packet_cb *cb,
    void *arg)
{
	struct encvpx *e = state;
	const vpx_codec_cx_pkt_t *pkt;
	vpx_codec_iter_t iter = NULL;
	vpx_active_map_t off;
	struct enc_packet ep;
	vpx_image_t img;
	vpx_codec_err_t err;
	AVFrame *pic = in->pic;
	int i, use_map;

	if (pic->width != e->width || pic->height != e->height ||
	    pic->format != (e->i444 ? AV_PIX_FMT_YUV444P : AV_PIX_FMT_YUV420P))
		return ERR_INVAL;
	/* Wrap the picture without copying it. */
	if (vpx_img_wrap(&img, e->i444 ? VPX_IMG_FMT_I444 : VPX_IMG_FMT_I420,
	    (unsigned)e->width, (unsigned)e->height, 1, pic->data[0]) == NULL)
		return ERR_INVAL;
	for (i = 0; i < 3; i++) {
		img.planes[i] = pic->data[i];
		img.stride[i] = pic->linesize[i];
	}
	/*
	 * Key frames ignore the map; libvpx also forgets it after one. A map
	 * stays until replaced, so "off" is only said after a picture that
	 * had one (full-screen motion then costs no control call a picture).
	 */
	use_map = !in->key && encvpx_fill_map(e, in);
	if (use_map) {
		if (vpx_codec_control(&e->ctx, VP8E_SET_ACTIVEMAP, &e->map) !=
		    VPX_CODEC_OK)
			return encvpx_fail(&e->ctx, "active map");
	} else if (e->map_on) {
		memset(&off, 0, sizeof off);
		off.rows = e->map.rows;
		off.cols = e->map.cols;
		if (vpx_codec_control(&e->ctx, VP8E_SET_ACTIVEMAP, &off) !=
		    VPX_CODEC_OK)
			return encvpx_fail(&e->ctx, "active map off");
	}
	e->map_on = use_map;
	encvpx_threads(e, use_map);
	/* Known damage that covered nearly all of the picture. */
	encvpx_content(e, !in->key && in->ndirty >= 0 && !use_map);
	/*
	 * libvpx's rate control takes the time between pictures from their
	 * pts, so they must grow: a warm encoder comes to a new worker whose
	 * clock starts again at 0 (svc_video.c).
	 */
	if (e->started && in->pts_ms + e->pts_off <= e->last_pts)
		e->pts_off = e->last_pts + (int64_t)e->duration - in->pts_ms;
	/* The first picture allocates the picture buffers: give back those
	 * it leaves zero (several a realtime encode never uses). */
	if (!e->started)
		vpxmem_begin(e->mem);
	err = vpx_codec_encode(&e->ctx, &img, in->pts_ms + e->pts_off,
	    e->duration, in->key ? VPX_EFLAG_FORCE_KF : ENCVPX_LAST_ONLY,
	    VPX_DL_REALTIME);
	if (!e->started)
		vpxmem_end(e->mem, err == VPX_CODEC_OK);
	e->started = 1;
	e->last_pts = in->pts_ms + e->pts_off;
	if (err != VPX_CODEC_OK)
		return encvpx_fail(&e->ctx, "encode");
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &iter)) != NULL) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
			continue;
		ep.data = pkt->data.frame.buf;
		ep.len = pkt->data.frame.sz;
		ep.key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
		ep.pts = pkt->data.frame.pts - e->pts_off;
		cb(arg, &ep);
	}
	return 0;
}

/* Gives back the token buffer's pages the last pictures wrote. */
static void
encvpx_trim(void *state)
{
	struct encvpx *e = state;

	vpxmem_trim(e->mem);
}

/* A new bitrate and finest quantizer through the live configuration. */
static int
encvpx_retarget(void *state, int kbps, int qmin)
{
	struct encvpx *e = state;
	vpx_codec_enc_cfg_t was = e->cfg;

	/* Refused once, reopened from then on (and said once). */
	if (e->rate_fixed)
		return ERR_UNSUPP;
	e->cfg.rc_target_bitrate = (unsigned)kbps;
	e->cfg.rc_min_quantizer = (unsigned)qmin;
	if (vpx_codec_enc_config_set(&e->ctx, &e->cfg) != VPX_CODEC_OK) {
		e->cfg = was;
		e->rate_fixed = 1;
		return encvpx_fail(&e->ctx, "new bitrate");
	}
	return 0;
}

const struct enc_impl enc_impl_vpx = {
	.name = "libvpx",
	.codecs = ENC_VP9,
	.open = encvpx_open,
	.encode = encvpx_encode,
	.trim = encvpx_trim,
	.retarget = encvpx_retarget,
	.close = encvpx_close,
};
