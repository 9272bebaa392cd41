/* enc_libav.c: the libavcodec encoder backend (software encoders). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/media/avlib.h"
#include "server/media/enc.h"
#include "server/media/vpx_mem.h"

/* How each codec is opened through libavcodec. */
struct libav_codec {
	const char	*names[2];	/* encoders to try, in order */
};

static const struct libav_codec libav_codecs[ENC_CODEC_COUNT] = {
	[ENC_CODEC_VP8] = { { "libvpx", NULL } },
	[ENC_CODEC_VP9] = { { "libvpx-vp9", NULL } },
	/*
	 * libsvtav1 (1.4 through FFmpeg 5.1) returns packets asynchronously,
	 * a picture or more late, so it cannot give one packet per picture.
	 */
	[ENC_CODEC_AV1] = { { "libaom-av1", NULL } },
	[ENC_CODEC_H264] = { { "libx264", NULL } },
	[ENC_CODEC_H265] = { { "libx265", NULL } },
};

struct libav_enc {
	const struct avlib *av;		/* libavcodec, loaded (avlib.c) */
	AVCodecContext	*ctx;		/* owned */
	AVPacket	*pkt;		/* owned */
	enum enc_codec	 codec;
	const char	*libname;	/* static */
	int		 started;	/* a picture was sent */
	int64_t		 max_rate;	/* > 0: for after the next picture */
};

/* Sets one private option, logging (but tolerating) a refusal. */
static void
libav_opt(AVCodecContext *ctx, const char *key, const char *val)
{
	int r;

	if ((r = av_opt_set(ctx->priv_data, key, val, 0)) < 0)
		log_debug("%s: option %s=%s refused", ctx->codec->name, key,
		    val);
}

/* Applies the realtime settings of one encoder before it is opened. */
static void
libav_tune(AVCodecContext *ctx, const char *name, const struct enc_params *p)
{
	char buf[256];

	if (strcmp(name, "libvpx-vp9") == 0 || strcmp(name, "libvpx") == 0) {
		libav_opt(ctx, "deadline", "realtime");
		libav_opt(ctx, "cpu-used",
		    strcmp(name, "libvpx") == 0 ? "12" : "8");
		libav_opt(ctx, "lag-in-frames", "0");
		libav_opt(ctx, "error-resilient", "1");
		/*
		 * VP9 skips blocks whose difference is under this sum, which
		 * on a desktop (typing, a moving cursor) cuts the encode of a
		 * mostly still frame to a fraction: measured end to end on
		 * 1920x1080 typing, p50 13.9 -> 9.1 ms and half the bits.
		 * VP8 keeps 0: its speed 12 is fast enough already.
		 */
		libav_opt(ctx, "static-thresh",
		    strcmp(name, "libvpx-vp9") == 0 ? "100" : "0");
		libav_opt(ctx, "undershoot-pct", "95");
		libav_opt(ctx, "drop-threshold", "0");
		/*
		 * libvpx's VP8 threads spin-wait on each other: on a busy
		 * machine (ours: 2 cores, shared) 2 threads measured 10x
		 * slower than 1.
		 */
		if (strcmp(name, "libvpx") == 0)
			ctx->thread_count = 1;
		if (strcmp(name, "libvpx-vp9") == 0) {
			libav_opt(ctx, "row-mt", "1");
			libav_opt(ctx, "tile-columns", "2");
			libav_opt(ctx, "frame-parallel", "0");
			libav_opt(ctx, "aq-mode", "3");	/* cyclic refresh */
		}
		/* CBR: minrate == maxrate == bitrate. */
		ctx->rc_min_rate = ctx->rc_max_rate = ctx->bit_rate;
		ctx->rc_buffer_size = ctx->bit_rate;
		/* The quality's finest quantizer (enc_qmin), and no cap on
		 * the coarsest: on noisy pictures a capped qmax overshoots
		 * the bitrate many times and VP8 then spends 10x longer per
		 * frame. */
		ctx->qmin = p->qmin;
		ctx->qmax = 63;
	} else if (strcmp(name, "libx264") == 0) {
		libav_opt(ctx, "preset", "ultrafast");
		libav_opt(ctx, "tune", "zerolatency");
		libav_opt(ctx, "forced-idr", "1");
		if (p->keyint > 0) {
			snprintf(buf, sizeof buf, "keyint=%d:min-keyint=1:"
			    "scenecut=0", p->keyint);
			libav_opt(ctx, "x264-params", buf);
		} else
			libav_opt(ctx, "x264-params",
			    "keyint=infinite:scenecut=0");
		ctx->rc_max_rate = ctx->bit_rate;
		ctx->rc_buffer_size = ctx->bit_rate / 2;
	} else if (strcmp(name, "libx265") == 0) {
		libav_opt(ctx, "preset", "ultrafast");
		libav_opt(ctx, "tune", "zerolatency");
		libav_opt(ctx, "forced-idr", "1");
		snprintf(buf, sizeof buf, "keyint=%d:min-keyint=1:scenecut=0:"
		    "bframes=0:rc-lookahead=0:frame-threads=1:"
		    "repeat-headers=1:log-level=error:"
		    "vbv-maxrate=%d:vbv-bufsize=%d",
		    p->keyint > 0 ? p->keyint : -1, p->kbps, p->kbps / 2);
		libav_opt(ctx, "x265-params", buf);
	} else if (strcmp(name, "libsvtav1") == 0) {
		libav_opt(ctx, "preset", "12");
		/* Low-delay prediction, no lookahead, no periodic key frames. */
		libav_opt(ctx, "svtav1-params",
		    "pred-struct=1:lookahead=0:scd=0:keyint=-1:"
		    "enable-overlays=0");
		ctx->gop_size = -1;
	} else if (strcmp(name, "libaom-av1") == 0) {
		libav_opt(ctx, "usage", "realtime");
		libav_opt(ctx, "cpu-used", "8");
		libav_opt(ctx, "lag-in-frames", "0");
		libav_opt(ctx, "row-mt", "1");
		/* AV1 tiles are at least 256 pixels wide. */
		libav_opt(ctx, "tile-columns", p->width >= 1024 ? "2" :
		    p->width >= 512 ? "1" : "0");
		libav_opt(ctx, "error-resilience", "1");
		ctx->rc_min_rate = ctx->rc_max_rate = ctx->bit_rate;
		ctx->rc_buffer_size = ctx->bit_rate;
	}
}

/*
 * Applies CDESK_ENC_OPTS="libname:key=value,..." (for tuning runs, e.g.
 * "libvpx-vp9:cpu-used=9,tile-columns=1"): private options of the named
 * library, set after ours.
 */
static void
libav_env_opts(AVCodecContext *ctx, const char *name)
{
	const char *env = getenv("CDESK_ENC_OPTS");
	char *copy, *opts, *tok, *sp, *eq;
	size_t n = strlen(name);

	if (env == NULL || strncmp(env, name, n) != 0 || env[n] != ':')
		return;
	copy = xstrdup(env + n + 1);
	for (opts = copy; (tok = strtok_r(opts, ",", &sp)) != NULL;
	    opts = NULL) {
		if ((eq = strchr(tok, '=')) == NULL)
			continue;
		*eq = '\0';
		libav_opt(ctx, tok, eq + 1);
	}
	free(copy);
}

/* Allocates and opens one named libavcodec encoder for p. */
static int
libav_open_named(const struct avlib *av, const char *name,
    const struct enc_params *p, AVCodecContext **ctxp)
{
	const AVCodec *codec;
	AVCodecContext *ctx;
	char eb[AV_ERROR_MAX_STRING_SIZE];
	int r;

	*ctxp = NULL;
	if ((codec = av->find_encoder_by_name(name)) == NULL)
		return ERR_UNSUPP;
	if ((ctx = av->alloc_context3(codec)) == NULL)
		return ERR_NOMEM;
	ctx->width = p->width;
	ctx->height = p->height;
	/* libaom takes yuv444p as AV1's High profile (seq_profile 1). */
	ctx->pix_fmt = p->i444 ? AV_PIX_FMT_YUV444P : AV_PIX_FMT_YUV420P;
	ctx->time_base = (AVRational){ 1, 1000 };
	ctx->framerate = (AVRational){ p->fps, 1 };
	ctx->bit_rate = (int64_t)p->kbps * 1000;
	ctx->max_b_frames = 0;
	/* No automatic key frames unless an interval is asked for (the
	 * libvpx and libaom wrappers take it as kf_max_dist, kf_min_dist). */
	ctx->gop_size = p->keyint > 0 ? p->keyint : INT_MAX / 2;
	ctx->keyint_min = p->keyint > 0 ? 0 : INT_MAX / 2;
	ctx->thread_count = p->threads > 0 ? p->threads : 2;
	ctx->thread_type = FF_THREAD_SLICE;
	ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	libav_tune(ctx, name, p);
	libav_env_opts(ctx, name);
	if ((r = av->open2(ctx, codec, NULL)) < 0) {
		av_strerror(r, eb, sizeof eb);
		log_debug("%s %dx%d: open: %s", name, p->width, p->height, eb);
		av->free_context(&ctx);
		return ERR_CODEC;
	}
	*ctxp = ctx;
	return 0;
}

/* Frees an encoder of this backend. */
static void
libav_close(void *state)
{
	struct libav_enc *e = state;

	if (e == NULL)
		return;
	e->av->free_context(&e->ctx);
	e->av->packet_free(&e->pkt);
	free(e);
}

/* Opens the first encoder library that works for p->codec. */
static int
libav_open(const struct enc_params *p, void **statep)
{
	const struct libav_codec *lc;
	const struct avlib *av;
	AVCodecContext *ctx = NULL;
	struct libav_enc *e;
	size_t i;
	int r = ERR_UNSUPP;

	*statep = NULL;
	if ((unsigned)p->codec >= ENC_CODEC_COUNT || p->width < 16 ||
	    p->height < 16 || p->width > ENC_DIM_MAX ||
	    p->height > ENC_DIM_MAX || (p->width & 1) || (p->height & 1) ||
	    p->fps < 1 || p->fps > 120 || p->kbps < 1 || p->keyint < 0)
		return ERR_INVAL;
	/*
	 * 4:4:4: AV1 through libaom here (VP9's is libvpx's own, enc_vpx.c);
	 * upstream never asks the others for it (Encoder::use_i444).
	 */
	if ((p->i444 && p->codec != ENC_CODEC_AV1) ||
	    (av = avlib_get()) == NULL)
		return ERR_UNSUPP;
	lc = &libav_codecs[p->codec];
	/* libvpx and libaom allocate as vpx_mem.c looks for. */
	vpxmem_lock();
	for (i = 0; i < 2 && lc->names[i] != NULL; i++) {
		if ((r = libav_open_named(av, lc->names[i], p, &ctx)) == 0)
			break;
	}
	vpxmem_unlock();
	if (r != 0)
		return r;
	e = xcalloc(1, sizeof *e);
	e->av = av;
	e->ctx = ctx;
	e->codec = p->codec;
	e->libname = lc->names[i];
	if ((e->pkt = av->packet_alloc()) == NULL) {
		libav_close(e);
		return ERR_NOMEM;
	}
	*statep = e;
	return 0;
}

/* Encodes one picture and hands every packet to cb (the whole picture:
 * libavcodec cannot be told what changed). */
static int
libav_encode(void *state, const struct enc_input *in, enc_packet_cb *cb,
    void *arg)
{
	struct libav_enc *e = state;
	AVFrame *pic = in->pic;
	struct enc_packet ep;
	char eb[AV_ERROR_MAX_STRING_SIZE];
	int r;

	if (pic->width != e->ctx->width || pic->height != e->ctx->height ||
	    pic->format != e->ctx->pix_fmt)
		return ERR_INVAL;
	pic->pts = in->pts_ms;
	pic->pict_type = in->key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
	pic->key_frame = in->key ? 1 : 0;
	/* The first picture allocates too (see libav_open). */
	if (!e->started)
		vpxmem_lock();
	r = e->av->send_frame(e->ctx, pic);
	if (!e->started)
		vpxmem_unlock();
	e->started = 1;
	if (e->max_rate > 0) {
		e->ctx->rc_max_rate = e->max_rate;
		e->ctx->rc_buffer_size = (int)(e->max_rate / 2);
		e->max_rate = 0;
	}
	if (r < 0) {
		av_strerror(r, eb, sizeof eb);
		log_warn("%s: send frame: %s", e->libname, eb);
		return ERR_CODEC;
	}
	for (;;) {
		r = e->av->receive_packet(e->ctx, e->pkt);
		if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
			break;
		if (r < 0) {
			av_strerror(r, eb, sizeof eb);
			log_warn("%s: receive packet: %s", e->libname, eb);
			return ERR_CODEC;
		}
		ep.data = e->pkt->data;
		ep.len = e->pkt->size;
		ep.key = (e->pkt->flags & AV_PKT_FLAG_KEY) != 0;
		ep.pts = e->pkt->pts;
		cb(arg, &ep);
		e->av->packet_unref(e->pkt);
	}
	return 0;
}

/*
 * A new bitrate in place: FFmpeg's libx264 wrapper compares the context's
 * rates with x264's before each picture and reconfigures x264 when they
 * differ, the peak before the average. A lower peak waits one picture,
 * or x264 would see it under the old average (and warn). qmin is for
 * VP8/VP9 only. The other encoders would need a reopen.
 */
static int
libav_retarget(void *state, int kbps, int qmin)
{
	struct libav_enc *e = state;
	int64_t rate = (int64_t)kbps * 1000;

	(void)qmin;
	if (strcmp(e->libname, "libx264") != 0)
		return ERR_UNSUPP;
	e->max_rate = 0;
	if (rate < e->ctx->bit_rate)
		e->max_rate = rate;
	else {
		e->ctx->rc_max_rate = rate;
		e->ctx->rc_buffer_size = (int)(rate / 2);
	}
	e->ctx->bit_rate = rate;
	return 0;
}

const struct enc_impl enc_impl_libav = {
	.name = "libav",
	.codecs = ENC_ALL,
	.open = libav_open,
	.encode = libav_encode,
	.close = libav_close,
	.retarget = libav_retarget,
};
