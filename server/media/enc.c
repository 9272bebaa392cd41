/* enc.c: encoder probing, codec choice and bitrate policy. */
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/media/enc.h"

static const char *const enc_names[ENC_CODEC_COUNT] = {
	[ENC_CODEC_VP8] = "vp8",
	[ENC_CODEC_VP9] = "vp9",
	[ENC_CODEC_AV1] = "av1",
	[ENC_CODEC_H264] = "h264",
	[ENC_CODEC_H265] = "h265",
};

/* Tie-break among equally preferred codecs: fastest here first. */
static const enum enc_codec enc_speed_order[ENC_CODEC_COUNT] = {
	ENC_CODEC_H264, ENC_CODEC_VP8, ENC_CODEC_AV1, ENC_CODEC_VP9,
	ENC_CODEC_H265,
};

static pthread_once_t	 enc_once = PTHREAD_ONCE_INIT;
static unsigned		 enc_mask;	/* ENC_* | 4:4:4 ones << 8 */

#define ENC_I444_SHIFT	8

/* Backends, in the order they are tried. */
static const struct enc_impl *const enc_impls[] = {
	&enc_impl_vpx,
	&enc_impl_libav,
};
#define ENC_NIMPLS	(sizeof enc_impls / sizeof enc_impls[0])

/* An open encoder: its backend and that backend's state. */
struct enc {
	const struct enc_impl	*impl;
	void			*state;		/* owned, freed by impl */
};

/*
 * Whether a backend is skipped: CDESK_ENC_BACKEND=libav skips every other
 * one, to compare them on the same codec. libavcodec itself is never
 * skipped: it is the one with every codec.
 */
static int
enc_impl_skipped(const struct enc_impl *impl)
{
	const char *only = getenv("CDESK_ENC_BACKEND");

	return only != NULL && *only != '\0' && strcmp(only, impl->name) != 0 &&
	    impl != &enc_impl_libav;
}

/* Counts the probe's packets. */
static void
enc_probe_cb(void *arg, const struct enc_packet *p)
{
	int *n = arg;

	if (p->len > 0)
		(*n)++;
}

/* Whether impl opens codec c at 64x64 and encodes f as a key frame. */
static int
enc_probe_one(const struct enc_impl *impl, enum enc_codec c, AVFrame *f)
{
	struct enc_params p;
	struct enc_input in;
	void *state;
	int n = 0;

	memset(&p, 0, sizeof p);
	p.codec = c;
	p.i444 = f->format == AV_PIX_FMT_YUV444P;
	p.width = p.height = 64;
	p.fps = 30;
	p.kbps = 200;
	p.threads = 1;
	if (impl->open(&p, &state) != 0)
		return 0;
	memset(&in, 0, sizeof in);
	in.pic = f;
	in.key = 1;
	in.ndirty = -1;
	if (impl->encode(state, &in, enc_probe_cb, &n) != 0 || n == 0) {
		log_debug("%s %s: opens but gives no packet", impl->name,
		    enc_name(c));
		n = 0;
	}
	impl->close(state);
	return n > 0;
}

/* A grey 64x64 picture in format fmt, or NULL. */
static AVFrame *
enc_probe_picture(enum AVPixelFormat fmt)
{
	AVFrame *f;
	int ch = fmt == AV_PIX_FMT_YUV444P ? 64 : 32;

	if ((f = av_frame_alloc()) == NULL)
		return NULL;
	f->width = f->height = 64;
	f->format = fmt;
	if (av_frame_get_buffer(f, 0) < 0) {
		av_frame_free(&f);
		return NULL;
	}
	memset(f->data[0], 128, (size_t)f->linesize[0] * 64);
	memset(f->data[1], 128, (size_t)f->linesize[1] * ch);
	memset(f->data[2], 128, (size_t)f->linesize[2] * ch);
	return f;
}

/*
 * What the backends open here, in this process: the ENC_* bits, and those
 * of the codecs that also encode 4:4:4 (VP9, AV1) << ENC_I444_SHIFT.
 */
static unsigned
enc_probe_all(void)
{
	AVFrame *f;
	unsigned m = 0, bit;
	size_t i, k;
	int c;

	for (k = 0; k < 2; k++) {
		if ((f = enc_probe_picture(k == 0 ? AV_PIX_FMT_YUV420P :
		    AV_PIX_FMT_YUV444P)) == NULL)
			return m;
		for (i = 0; i < ENC_NIMPLS; i++) {
			if (enc_impl_skipped(enc_impls[i]))
				continue;
			for (c = 0; c < ENC_CODEC_COUNT; c++) {
				bit = 1u << (c + (k ? ENC_I444_SHIFT : 0));
				if (k && c != ENC_CODEC_VP9 &&
				    c != ENC_CODEC_AV1)
					continue;
				if ((enc_impls[i]->codecs & (1u << c)) &&
				    !(m & bit) &&
				    enc_probe_one(enc_impls[i], c, f))
					m |= bit;
			}
		}
		av_frame_free(&f);
	}
	return m;
}

/* Returns the static name of a codec. */
const char *
enc_name(enum enc_codec c)
{
	if ((unsigned)c >= ENC_CODEC_COUNT)
		return "?";
	return enc_names[c];
}

/* Parses a codec name. */
int
enc_from_name(const char *s)
{
	int c;

	for (c = 0; c < ENC_CODEC_COUNT; c++)
		if (strcasecmp(s, enc_names[c]) == 0)
			return c;
	return -1;
}

/* What the probe's pipe holds when the child died before answering. */
#define ENC_PROBE_FAILED	0xffffffffu

/*
 * Opens every encoder in a child process and returns what opened. The
 * encoders' one-time tables (x265 and libaom allocate megabytes) then
 * never live in the server, which stays small while nobody watches.
 * Falls back to probing in place if the child cannot be had.
 */
static unsigned
enc_probe_isolated(void)
{
	unsigned m = 0;
	int fd[2];
	pid_t pid;

	if (pipe(fd) != 0)
		return enc_probe_all();
	if ((pid = fork()) < 0) {
		close(fd[0]);
		close(fd[1]);
		return enc_probe_all();
	}
	if (pid == 0) {
		close(fd[0]);
		m = enc_probe_all();
		if (write(fd[1], &m, sizeof m) != (ssize_t)sizeof m)
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], &m, sizeof m) != (ssize_t)sizeof m)
		m = ENC_PROBE_FAILED;
	close(fd[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return m == ENC_PROBE_FAILED ? enc_probe_all() : m;
}

/* Runs the probe once, minus what CDESK_ENC_DISABLE names. */
static void
enc_probe_once(void)
{
	const char *dis;
	char *copy, *tok, *sp;
	unsigned m;
	int c;

	m = enc_probe_isolated();
	if ((dis = getenv("CDESK_ENC_DISABLE")) != NULL &&
	    (copy = strdup(dis)) != NULL) {
		for (tok = strtok_r(copy, ", ", &sp); tok != NULL;
		    tok = strtok_r(NULL, ", ", &sp))
			if ((c = enc_from_name(tok)) >= 0)
				m &= ~(1u << c | 1u << (c + ENC_I444_SHIFT));
		free(copy);
	}
	enc_mask = m;
	log_info("encoders: %s%s%s%s%s; 4:4:4: %s%s",
	    (m & ENC_VP8) ? "vp8 " : "", (m & ENC_VP9) ? "vp9 " : "",
	    (m & ENC_AV1) ? "av1 " : "", (m & ENC_H264) ? "h264 " : "",
	    (m & ENC_H265) ? "h265" : "",
	    (m >> ENC_I444_SHIFT & ENC_VP9) ? "vp9 " : "",
	    (m >> ENC_I444_SHIFT & ENC_AV1) ? "av1" : "");
}

/* Bit mask of encoders that open here (cached). */
unsigned
enc_supported(void)
{
	pthread_once(&enc_once, enc_probe_once);
	return enc_mask & ENC_ALL;
}

/* Bit mask of encoders that open here in 4:4:4 (cached). */
unsigned
enc_supported_i444(void)
{
	pthread_once(&enc_once, enc_probe_once);
	return enc_mask >> ENC_I444_SHIFT & ENC_ALL;
}

/* Fills caps from a SupportedDecoding (NULL: VP9 only). */
void
enc_caps_from_proto(const Hbb__SupportedDecoding *sd, struct enc_caps *out)
{
	out->decode = ENC_VP9;
	out->prefer = -1;
	out->i444 = 0;
	out->prefer_i444 = 0;
	if (sd == NULL)
		return;
	if (sd->i444 != NULL && sd->i444->vp9)
		out->i444 |= ENC_VP9;
	if (sd->i444 != NULL && sd->i444->av1)
		out->i444 |= ENC_AV1;
	out->prefer_i444 = sd->prefer_chroma == HBB__CHROMA__I444;
	if (sd->ability_vp8 > 0)
		out->decode |= ENC_VP8;
	if (sd->ability_av1 > 0)
		out->decode |= ENC_AV1;
	if (sd->ability_h264 > 0)
		out->decode |= ENC_H264;
	if (sd->ability_h265 > 0)
		out->decode |= ENC_H265;
	switch (sd->prefer) {
	case HBB__SUPPORTED_DECODING__PREFER_CODEC__VP9:
		out->prefer = ENC_CODEC_VP9;
		break;
	case HBB__SUPPORTED_DECODING__PREFER_CODEC__VP8:
		out->prefer = ENC_CODEC_VP8;
		break;
	case HBB__SUPPORTED_DECODING__PREFER_CODEC__AV1:
		out->prefer = ENC_CODEC_AV1;
		break;
	case HBB__SUPPORTED_DECODING__PREFER_CODEC__H264:
		out->prefer = ENC_CODEC_H264;
		break;
	case HBB__SUPPORTED_DECODING__PREFER_CODEC__H265:
		out->prefer = ENC_CODEC_H265;
		break;
	default:
		break;
	}
}

/* Picks the codec every viewer decodes, by preference, else VP9. */
enum enc_codec
enc_choose(const struct enc_caps *v, size_t n, unsigned supported)
{
	unsigned usable = supported | ENC_VP9;
	int votes[ENC_CODEC_COUNT] = { 0 };
	int best = -1, i;
	size_t k;

	for (k = 0; k < n; k++)
		usable &= v[k].decode | ENC_VP9;
	for (k = 0; k < n; k++) {
		if (v[k].prefer >= 0 && v[k].prefer < ENC_CODEC_COUNT &&
		    (usable & (1u << v[k].prefer)))
			votes[v[k].prefer]++;
	}
	for (i = 0; i < ENC_CODEC_COUNT; i++) {
		enum enc_codec c = enc_speed_order[i];

		if (votes[c] > 0 && (best < 0 || votes[c] > votes[best]))
			best = c;
	}
	if (best >= 0)
		return best;
	return ENC_CODEC_VP9;
}

/* 4:4:4 when every viewer asks for it and decodes it in codec. */
int
enc_use_i444(const struct enc_caps *v, size_t n, enum enc_codec codec)
{
	size_t k;

	if (n == 0 || (codec != ENC_CODEC_VP9 && codec != ENC_CODEC_AV1) ||
	    !(enc_supported_i444() & (1u << codec)))
		return 0;
	for (k = 0; k < n; k++)
		if (!v[k].prefer_i444 || !(v[k].i444 & (1u << codec)))
			return 0;
	return 1;
}

/* Base kbit/s for a resolution, scaled from the nearest preset. */
int
enc_bitrate(int w, int h, double ratio)
{
	static const struct { int px, kbps; } base[] = {
		{ 640 * 480, 400 }, { 800 * 600, 500 }, { 1024 * 768, 800 },
		{ 1280 * 720, 1000 }, { 1366 * 768, 1100 },
		{ 1440 * 900, 1300 }, { 1600 * 900, 1500 },
		{ 1920 * 1080, 2073 }, { 2048 * 1080, 2200 },
		{ 2560 * 1440, 3000 }, { 3440 * 1440, 4000 },
		{ 3840 * 2160, 5000 }, { 7680 * 4320, 12000 },
	};
	double px, d, bd, kb;
	size_t i, bi = 0;
	int r;

	if (w <= 0 || h <= 0)
		return 1;
	px = (double)w * h;
	bd = -1;
	for (i = 0; i < sizeof base / sizeof base[0]; i++) {
		d = px > base[i].px ? px - base[i].px : base[i].px - px;
		if (bd < 0 || d < bd) {
			bd = d;
			bi = i;
		}
	}
	if (ratio < 0.1)
		ratio = 0.1;
	if (ratio > 40)
		ratio = 40;
	kb = base[bi].kbps * (px / base[bi].px) * ratio;
	r = kb < 1 ? 1 : kb > 1000000 ? 1000000 : (int)kb;
	return r;
}

/* See enc.h. */
int
enc_qmin(double ratio)
{
	double t = ratio <= 0 ? 0 : ratio >= 2 ? 1 : ratio / 2;

	return (int)(36 * (1 - t) + 0.5);
}

/* See enc.h. */
void
enc_params_rate(struct enc_params *p, double ratio)
{
	p->kbps = enc_bitrate(p->width, p->height, ratio);
	p->qmin = enc_qmin(ratio);
}

/* Opens an encoder with the first backend that has the codec. */
int
enc_open(const struct enc_params *p, struct enc **ep)
{
	void *state = NULL;
	size_t i;
	int r = ERR_UNSUPP;

	*ep = NULL;
	if (p->qmin < 0 || p->qmin > 63)
		return ERR_INVAL;
	for (i = 0; i < ENC_NIMPLS; i++) {
		if (enc_impl_skipped(enc_impls[i]))
			continue;
		if ((r = enc_impls[i]->open(p, &state)) == 0)
			break;
		/* A real failure (bad size, no memory) is final. */
		if (r != ERR_UNSUPP && r != ERR_CODEC)
			return r;
	}
	if (r != 0)
		return r;
	*ep = xmalloc(sizeof **ep);
	(*ep)->impl = enc_impls[i];
	(*ep)->state = state;
	return 0;
}

/* Encodes one picture with the encoder's backend. */
int
enc_encode(struct enc *e, const struct enc_input *in, enc_packet_cb *cb,
    void *arg)
{
	return e->impl->encode(e->state, in, cb, arg);
}

/* The backend's name. */
const char *
enc_backend(const struct enc *e)
{
	return e->impl->name;
}

/* Lets the backend give back memory while the encoder is idle. */
void
enc_trim(struct enc *e)
{
	if (e != NULL && e->impl->trim != NULL)
		e->impl->trim(e->state);
}

/* See enc.h. */
int
enc_retarget(struct enc *e, int kbps, int qmin)
{
	if (kbps < 1 || qmin < 0 || qmin > 63)
		return ERR_INVAL;
	if (e->impl->retarget == NULL)
		return ERR_UNSUPP;
	return e->impl->retarget(e->state, kbps, qmin);
}

/* Closes an encoder. */
void
enc_close(struct enc *e)
{
	if (e == NULL)
		return;
	e->impl->close(e->state);
	free(e);
}
