/* test_enc.c: encoder probe, codec choice, and encode->decode round trips. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>

#include "common/err.h"
#include "common/log.h"
#include "server/media/enc.h"
#include "tests/tst.h"

#define W	320
#define H	240

struct pkts {
	AVCodecContext	*dec;
	AVFrame		*out;
	AVFrame		*tmp;
	int		 npkt;
	int		 nkey;
	size_t		 bytes;
	int		 decoded;
	int64_t		 pts;
};

/* Decodes one packet into p->out. */
static void
pkt_cb(void *arg, const struct enc_packet *ep)
{
	struct pkts *p = arg;
	AVPacket *pkt;

	p->npkt++;
	p->nkey += ep->key;
	p->bytes += ep->len;
	p->pts = ep->pts;
	pkt = av_packet_alloc();
	ASSERT_TRUE(pkt != NULL);
	ASSERT_INT_EQ(av_new_packet(pkt, (int)ep->len), 0);
	memcpy(pkt->data, ep->data, ep->len);
	ASSERT_INT_EQ(avcodec_send_packet(p->dec, pkt), 0);
	while (avcodec_receive_frame(p->dec, p->tmp) == 0) {
		av_frame_unref(p->out);
		av_frame_move_ref(p->out, p->tmp);
		p->decoded++;
	}
	av_packet_free(&pkt);
}

/* Paints a moving gradient with a box into an I420 frame. */
static void
paint(AVFrame *f, int t)
{
	int x, y;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			f->data[0][y * f->linesize[0] + x] =
			    (uint8_t)(16 + ((x + y + t * 4) % 200));
	for (y = 60; y < 120; y++)
		for (x = 80 + t; x < 160 + t; x++)
			f->data[0][y * f->linesize[0] + x] = 235;
	for (y = 0; y < H / 2; y++) {
		memset(f->data[1] + y * f->linesize[1], 100 + t, W / 2);
		memset(f->data[2] + y * f->linesize[2], 150, W / 2);
	}
}

/* Fresh noise in every plane: what a bitrate binds on. */
static void
noise(AVFrame *f, unsigned *seed)
{
	int i, x, y;

	for (i = 0; i < 3; i++)
		for (y = 0; y < (i ? H / 2 : H); y++)
			for (x = 0; x < (i ? W / 2 : W); x++) {
				*seed = *seed * 1103515245 + 12345;
				f->data[i][y * f->linesize[i] + x] =
				    (uint8_t)(*seed >> 16);
			}
}

/* PSNR of the luma planes of two frames. */
static double
psnr_y(const AVFrame *a, const AVFrame *b)
{
	double se = 0, d;
	int x, y;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			d = (double)a->data[0][y * a->linesize[0] + x] -
			    b->data[0][y * b->linesize[0] + x];
			se += d * d;
		}
	se /= (double)W * H;
	if (se == 0)
		return 99;
	return 10 * log10(255.0 * 255.0 / se);
}

/* Opens a decoder for codec c's packets into p. */
static void
pkts_open(struct pkts *p, enum enc_codec c)
{
	static const char *decnames[] = {
		[ENC_CODEC_VP8] = "vp8", [ENC_CODEC_VP9] = "vp9",
		[ENC_CODEC_AV1] = "libdav1d", [ENC_CODEC_H264] = "h264",
		[ENC_CODEC_H265] = "hevc",
	};
	const AVCodec *dc;

	memset(p, 0, sizeof *p);
	dc = avcodec_find_decoder_by_name(decnames[c]);
	if (dc == NULL && c == ENC_CODEC_AV1)
		dc = avcodec_find_decoder(AV_CODEC_ID_AV1);
	ASSERT_TRUE(dc != NULL);
	p->dec = avcodec_alloc_context3(dc);
	ASSERT_INT_EQ(avcodec_open2(p->dec, dc, NULL), 0);
	p->out = av_frame_alloc();
	p->tmp = av_frame_alloc();
}

/* Frees what pkts_open() made. */
static void
pkts_close(struct pkts *p)
{
	av_frame_free(&p->out);
	av_frame_free(&p->tmp);
	avcodec_free_context(&p->dec);
}

/* A W x H I420 picture. */
static AVFrame *
picture(void)
{
	AVFrame *f = av_frame_alloc();

	ASSERT_TRUE(f != NULL);
	f->width = W;
	f->height = H;
	f->format = AV_PIX_FMT_YUV420P;
	ASSERT_INT_EQ(av_frame_get_buffer(f, 0), 0);
	return f;
}

/* Encodes five pictures with codec c (key on 0 and 3) and checks them. */
static void
roundtrip(enum enc_codec c)
{
	struct enc_params ep = { .codec = c, .width = W, .height = H,
	    .fps = 30, .kbps = 2000 };
	struct enc *e;
	struct enc_input in = { 0 };
	struct pkts p;
	AVFrame *f;
	int t, keys;
	double q;

	fprintf(stderr, "    codec %s\n", enc_name(c));
	pkts_open(&p, c);
	f = picture();
	ASSERT_INT_EQ(enc_open(&ep, &e), 0);
	for (t = 0; t < 5; t++) {
		ASSERT_INT_EQ(av_frame_make_writable(f), 0);
		paint(f, t);
		keys = p.nkey;
		in.pic = f;
		in.pts_ms = 100 + t * 33;
		in.key = t == 0 || t == 3;
		in.ndirty = -1;
		ASSERT_INT_EQ(enc_encode(e, &in, pkt_cb, &p), 0);
		/* Exact key flag: a key packet exactly when asked for. */
		ASSERT_INT_EQ(p.nkey - keys, (t == 0 || t == 3) ? 1 : 0);
		ASSERT_INT_EQ(p.pts, 100 + t * 33);
		ASSERT_INT_EQ(p.decoded, t + 1);
		ASSERT_INT_EQ(p.out->width, W);
		ASSERT_INT_EQ(p.out->height, H);
		q = psnr_y(f, p.out);
		fprintf(stderr, "      frame %d psnr %.1f\n", t, q);
		ASSERT_TRUE(q > 28);
	}
	enc_close(e);
	av_frame_free(&f);
	pkts_close(&p);
}

/* Mean absolute luma difference of two frames inside a rectangle. */
static double
mad_y(const AVFrame *a, const AVFrame *b, const struct enc_rect *r)
{
	double sum = 0;
	int x, y;

	for (y = r->y; y < r->y + r->h; y++)
		for (x = r->x; x < r->x + r->w; x++)
			sum += abs(a->data[0][y * a->linesize[0] + x] -
			    b->data[0][y * b->linesize[0] + x]);
	return sum / ((double)r->w * r->h);
}

/*
 * Opens a decoder into p and a VP9 encoder on libvpx itself into *e, and
 * encodes a key frame of a painted picture through in; returns the
 * picture (caller frees).
 */
static AVFrame *
vp9_start(const struct enc_params *ep, struct enc **e, struct pkts *p,
    struct enc_input *in)
{
	AVFrame *f;

	pkts_open(p, ENC_CODEC_VP9);
	f = picture();
	ASSERT_INT_EQ(enc_open(ep, e), 0);
	ASSERT_STR_EQ(enc_backend(*e), "libvpx");
	paint(f, 0);
	in->pic = f;
	in->key = 1;
	in->ndirty = -1;
	ASSERT_INT_EQ(enc_encode(*e, in, pkt_cb, p), 0);
	return f;
}

/*
 * VP9 through libvpx codes only the blocks the dirty rectangles touch: a
 * change the rectangles name arrives; a change they leave out does not
 * (which shows the map is really used), until a picture with unknown
 * damage.
 */
static void
test_activemap(void)
{
	struct enc_params ep = { .codec = ENC_CODEC_VP9, .width = W,
	    .height = H, .fps = 30, .kbps = 4000 };
	struct enc_rect named = { 200, 32, 40, 24 };	/* said to change */
	struct enc_rect quiet = { 32, 160, 48, 32 };	/* changes unsaid */
	struct enc_input in = { 0 };
	struct enc *e;
	struct pkts p;
	AVFrame *f;
	int x, y;

	f = vp9_start(&ep, &e, &p, &in);
	/* Let the quality settle on the still picture. */
	for (in.key = 0; in.pts_ms < 10 * 33; in.pts_ms += 33)
		ASSERT_INT_EQ(enc_encode(e, &in, pkt_cb, &p), 0);
	ASSERT_TRUE(mad_y(f, p.out, &named) < 4);
	/* Both rectangles turn white; only one is named. */
	ASSERT_INT_EQ(av_frame_make_writable(f), 0);
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			if ((x >= named.x && x < named.x + named.w &&
			    y >= named.y && y < named.y + named.h) ||
			    (x >= quiet.x && x < quiet.x + quiet.w &&
			    y >= quiet.y && y < quiet.y + quiet.h))
				f->data[0][y * f->linesize[0] + x] = 235;
	in.dirty = &named;
	in.ndirty = 1;
	in.pts_ms += 33;
	ASSERT_INT_EQ(enc_encode(e, &in, pkt_cb, &p), 0);
	ASSERT_TRUE(mad_y(f, p.out, &named) < 4);
	ASSERT_TRUE(mad_y(f, p.out, &quiet) > 50);
	/* Unknown damage: everything is looked at again. */
	in.ndirty = -1;
	for (x = 0; x < 5; x++) {
		in.pts_ms += 33;
		ASSERT_INT_EQ(enc_encode(e, &in, pkt_cb, &p), 0);
	}
	ASSERT_TRUE(mad_y(f, p.out, &quiet) < 4);
	enc_close(e);
	av_frame_free(&f);
	pkts_close(&p);
}

/* How often what occurs in the file at path (each log line says it once). */
static int
count_in_file(const char *path, const char *what)
{
	char *text = tst_read_file(path), *at = text;
	int n = 0;

	while ((at = strstr(at, what)) != NULL) {
		n++;
		at += strlen(what);
	}
	free(text);
	return n;
}

/*
 * n pictures with damage d (NULL: unknown): the whole picture repainted,
 * or with d smaller than the picture only d's luma, black or white.
 */
static void
encode_run(struct enc *e, struct enc_input *in, AVFrame *f,
    struct enc_rect *d, int n, struct pkts *p)
{
	int x, y;

	while (n-- > 0) {
		in->pts_ms += 33;
		ASSERT_INT_EQ(av_frame_make_writable(f), 0);
		if (d == NULL || (d->w == W && d->h == H))
			paint(f, (int)(in->pts_ms / 33) % 40);
		else
			for (y = d->y; y < d->y + d->h; y++)
				for (x = d->x; x < d->x + d->w; x++)
					f->data[0][y * f->linesize[0] + x] =
					    (in->pts_ms / 33) % 2 ? 235 : 16;
		in->dirty = d;
		in->ndirty = d != NULL ? 1 : -1;
		ASSERT_INT_EQ(enc_encode(e, in, pkt_cb, p), 0);
		ASSERT_TRUE(psnr_y(f, p->out) > 25);
	}
}

/*
 * VP9 through libvpx is tuned for camera content once nearly the whole
 * picture changed for 15 pictures in a row, and for screen content again
 * at the first that changed in parts; unknown damage never counts. Every
 * picture decodes to what was painted, through many switches.
 */
static void
test_content(void)
{
	struct enc_params ep = { .codec = ENC_CODEC_VP9, .width = W,
	    .height = H, .fps = 30, .kbps = 4000 };
	struct enc_rect all = { 0, 0, W, H }, part = { 16, 16, 32, 32 };
	struct enc_input in = { 0 };
	char path[] = "/tmp/test_enc_log.XXXXXX", *cause = NULL;
	struct enc *e;
	struct pkts p;
	AVFrame *f;
	int fd, k;

	ASSERT_TRUE((fd = mkstemp(path)) >= 0);
	close(fd);
	ASSERT_INT_EQ(log_to_file(path, 1 << 20, 1, &cause), 0);
	log_set_level(LOG_DEBUG);
	f = vp9_start(&ep, &e, &p, &in);
	in.key = 0;
	/* Unknown damage, however long: screen content stays. */
	encode_run(e, &in, f, NULL, 20, &p);
	ASSERT_INT_EQ(count_in_file(path, "tuned for camera"), 0);
	/* 14 whole pictures are not yet a video; the 15th is. */
	encode_run(e, &in, f, &all, 14, &p);
	ASSERT_INT_EQ(count_in_file(path, "tuned for camera"), 0);
	encode_run(e, &in, f, &all, 1, &p);
	ASSERT_INT_EQ(count_in_file(path, "tuned for camera"), 1);
	encode_run(e, &in, f, &all, 10, &p);
	ASSERT_INT_EQ(count_in_file(path, "tuned for camera"), 1);
	/* A part changes: screen again at once, then back and forth. */
	encode_run(e, &in, f, &part, 1, &p);
	ASSERT_INT_EQ(count_in_file(path, "tuned for screen"), 1);
	for (k = 0; k < 4; k++) {
		encode_run(e, &in, f, &all, 15, &p);
		encode_run(e, &in, f, &part, 2, &p);
	}
	ASSERT_INT_EQ(count_in_file(path, "tuned for camera"), 5);
	ASSERT_INT_EQ(count_in_file(path, "tuned for screen"), 5);
	/* A key frame starts the count again. */
	encode_run(e, &in, f, &all, 14, &p);
	in.key = 1;
	encode_run(e, &in, f, &all, 1, &p);
	in.key = 0;
	encode_run(e, &in, f, &all, 14, &p);
	ASSERT_INT_EQ(count_in_file(path, "tuned for camera"), 5);
	enc_close(e);
	av_frame_free(&f);
	pkts_close(&p);
	log_to_stderr();
	log_set_level(LOG_INFO);
	unlink(path);
}

/* The probe finds at least VP9 and is stable. */
static void
test_supported(void)
{
	unsigned m = enc_supported();
	int c;

	ASSERT_TRUE(m & ENC_VP9);
	ASSERT_INT_EQ(m & ~ENC_ALL, 0);
	ASSERT_INT_EQ(enc_supported(), m);
	for (c = 0; c < ENC_CODEC_COUNT; c++) {
		ASSERT_INT_EQ(enc_from_name(enc_name(c)), c);
		if (m & (1u << c))
			roundtrip(c);
	}
	/* libavcodec's wrapper of the same library works too. */
	setenv("CDESK_ENC_BACKEND", "libav", 1);
	roundtrip(ENC_CODEC_VP9);
	unsetenv("CDESK_ENC_BACKEND");
	ASSERT_INT_EQ(enc_from_name("mpeg2"), -1);
}

/* Codec choice follows PROTOCOL.md §7.1. */
static void
test_choose(void)
{
	Hbb__SupportedDecoding sd = HBB__SUPPORTED_DECODING__INIT;
	struct enc_caps v[3];

	/* Nobody: VP9. An old client (no option): VP9. */
	ASSERT_INT_EQ(enc_choose(NULL, 0, ENC_ALL), ENC_CODEC_VP9);
	enc_caps_from_proto(NULL, &v[0]);
	ASSERT_INT_EQ(v[0].decode, ENC_VP9);
	ASSERT_INT_EQ(enc_choose(v, 1, ENC_ALL), ENC_CODEC_VP9);
	/* Auto with everything decodable: still VP9 (our default). */
	sd.ability_vp8 = sd.ability_av1 = sd.ability_h264 = 1;
	sd.ability_h265 = 1;
	enc_caps_from_proto(&sd, &v[0]);
	ASSERT_INT_EQ(v[0].prefer, -1);
	ASSERT_INT_EQ(enc_choose(v, 1, ENC_ALL), ENC_CODEC_VP9);
	/* A usable preference wins. */
	sd.prefer = HBB__SUPPORTED_DECODING__PREFER_CODEC__H264;
	enc_caps_from_proto(&sd, &v[0]);
	ASSERT_INT_EQ(enc_choose(v, 1, ENC_ALL), ENC_CODEC_H264);
	/* ... unless the host cannot encode it. */
	ASSERT_INT_EQ(enc_choose(v, 1, ENC_VP9 | ENC_VP8), ENC_CODEC_VP9);
	/* ... or another viewer cannot decode it. */
	v[1].decode = ENC_VP8 | ENC_VP9;
	v[1].prefer = ENC_CODEC_VP8;
	ASSERT_INT_EQ(enc_choose(v, 2, ENC_ALL), ENC_CODEC_VP8);
	/* Most common preference wins. */
	v[2] = v[0];
	v[1].decode = ENC_ALL;
	ASSERT_INT_EQ(enc_choose(v, 3, ENC_ALL), ENC_CODEC_H264);
	/* Bad prefer values are ignored. */
	v[0].prefer = 99;
	v[2].prefer = -7;
	ASSERT_INT_EQ(enc_choose(v, 3, ENC_ALL), ENC_CODEC_VP8);
}

/* 4:4:4 only when every viewer asks for it and decodes it in VP9. */
static void
test_use_i444(void)
{
	Hbb__SupportedDecoding sd = HBB__SUPPORTED_DECODING__INIT;
	Hbb__CodecAbility ab = HBB__CODEC_ABILITY__INIT;
	struct enc_caps v[2];

	/* An old client: no 4:4:4. Nobody: none either. */
	enc_caps_from_proto(NULL, &v[0]);
	ASSERT_INT_EQ(v[0].i444, 0);
	ASSERT_INT_EQ(enc_use_i444(v, 1, ENC_CODEC_VP9), 0);
	ASSERT_INT_EQ(enc_use_i444(v, 0, ENC_CODEC_VP9), 0);
	/* Decodes it but asks for 4:2:0 (the default). */
	ab.vp9 = ab.av1 = 1;
	sd.i444 = &ab;
	enc_caps_from_proto(&sd, &v[0]);
	ASSERT_INT_EQ(v[0].i444, ENC_VP9 | ENC_AV1);
	ASSERT_INT_EQ(v[0].prefer_i444, 0);
	ASSERT_INT_EQ(enc_use_i444(v, 1, ENC_CODEC_VP9), 0);
	/* Asks: VP9 and AV1 in 4:4:4 (where AV1 opens); never VP8 or
	 * H.264. */
	sd.prefer_chroma = HBB__CHROMA__I444;
	enc_caps_from_proto(&sd, &v[0]);
	ASSERT_INT_EQ(enc_use_i444(v, 1, ENC_CODEC_VP9), 1);
	ASSERT_INT_EQ(enc_use_i444(v, 1, ENC_CODEC_VP8), 0);
	ASSERT_INT_EQ(enc_use_i444(v, 1, ENC_CODEC_H264), 0);
	ASSERT_INT_EQ(enc_use_i444(v, 1, ENC_CODEC_AV1),
	    (enc_supported() & ENC_AV1) != 0);
	/* A viewer that decodes AV1 4:4:4 but not VP9's. */
	ab.vp9 = 0;
	enc_caps_from_proto(&sd, &v[1]);
	ASSERT_INT_EQ(enc_use_i444(&v[1], 1, ENC_CODEC_VP9), 0);
	ab.vp9 = 1;
	/* A second viewer that does not ask: 4:2:0 for both. */
	enc_caps_from_proto(NULL, &v[1]);
	ASSERT_INT_EQ(enc_use_i444(v, 2, ENC_CODEC_VP9), 0);
	/* ... or asks but cannot decode VP9 in 4:4:4. */
	ab.vp9 = 0;
	enc_caps_from_proto(&sd, &v[1]);
	ASSERT_INT_EQ(v[1].prefer_i444, 1);
	ASSERT_INT_EQ(enc_use_i444(v, 2, ENC_CODEC_VP9), 0);
	v[1] = v[0];
	ASSERT_INT_EQ(enc_use_i444(v, 2, ENC_CODEC_VP9), 1);
}

/*
 * VP9 profile 1 and AV1's High profile (1): an I444 picture whose chroma
 * changes every column comes out of libavcodec as yuv444p with the
 * columns' chroma kept; an I420 picture is refused by a 4:4:4 encoder.
 */
static void
i444_roundtrip(enum enc_codec c, const char *backend)
{
	struct enc_params ep = { .codec = c, .width = W,
	    .height = H, .fps = 30, .kbps = 4000, .i444 = 1 };
	struct enc_input in = { 0 };
	struct enc *e;
	struct pkts p;
	AVFrame *f, *f420;
	double diff = 0;
	int x, y, t;

	fprintf(stderr, "    %s 4:4:4 (%s)\n", enc_name(c), backend);
	pkts_open(&p, c);
	ASSERT_INT_EQ(enc_open(&ep, &e), 0);
	ASSERT_STR_EQ(enc_backend(e), backend);
	f = av_frame_alloc();
	f->width = W;
	f->height = H;
	f->format = AV_PIX_FMT_YUV444P;
	ASSERT_INT_EQ(av_frame_get_buffer(f, 0), 0);
	for (y = 0; y < H; y++) {
		memset(f->data[0] + y * f->linesize[0], 80, W);
		for (x = 0; x < W; x++) {
			f->data[1][y * f->linesize[1] + x] = x & 1 ? 60 : 200;
			f->data[2][y * f->linesize[2] + x] = x & 1 ? 200 : 60;
		}
	}
	in.pic = f;
	in.ndirty = -1;
	for (t = 0; t < 3; t++) {
		in.pts_ms = t * 33;
		in.key = t == 0;
		ASSERT_INT_EQ(enc_encode(e, &in, pkt_cb, &p), 0);
	}
	ASSERT_INT_EQ(p.decoded, 3);
	ASSERT_INT_EQ(p.out->format, AV_PIX_FMT_YUV444P);
	ASSERT_INT_EQ(p.dec->profile, 1);
	/* Mean |U(even) - U(odd)| of neighbours: 140 sent, ~0 in 4:2:0. */
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x += 2)
			diff += p.out->data[1][y * p.out->linesize[1] + x] -
			    p.out->data[1][y * p.out->linesize[1] + x + 1];
	diff /= (double)W / 2 * H;
	fprintf(stderr, "      U column difference %.1f (sent 140)\n", diff);
	ASSERT_TRUE(diff > 100);
	f420 = picture();
	in.pic = f420;
	ASSERT_INT_EQ(enc_encode(e, &in, pkt_cb, &p), ERR_INVAL);
	enc_close(e);
	av_frame_free(&f);
	av_frame_free(&f420);
	pkts_close(&p);
}

/*
 * 4:4:4 where it opens: VP9 always, AV1 wherever AV1 opens (Debian 12's
 * libavcodec 5.1 with libaom 3.6 takes yuv444p); never the others.
 */
static void
test_i444(void)
{
	unsigned m = enc_supported(), m444 = enc_supported_i444();

	ASSERT_TRUE(m444 & ENC_VP9);
	ASSERT_INT_EQ(m444 & ~(ENC_VP9 | ENC_AV1), 0);
	ASSERT_INT_EQ(m444 & ~m, 0);
	i444_roundtrip(ENC_CODEC_VP9, "libvpx");
	if (m & ENC_AV1) {
		ASSERT_TRUE(m444 & ENC_AV1);
		i444_roundtrip(ENC_CODEC_AV1, "libav");
	}
}

/*
 * Key frames of codec c over 20 pictures asked for a key frame only at the
 * first, opened with interval keyint: a bit mask of the pictures whose
 * packet was key.
 */
static unsigned
keys_of(enum enc_codec c, int keyint)
{
	struct enc_params ep = { .codec = c, .width = W, .height = H,
	    .fps = 30, .kbps = 1000, .keyint = keyint };
	struct enc_input in = { 0 };
	struct enc *e;
	struct pkts p;
	AVFrame *f;
	unsigned mask = 0;
	int t, keys;

	pkts_open(&p, c);
	f = picture();
	ASSERT_INT_EQ(enc_open(&ep, &e), 0);
	for (t = 0; t < 20; t++) {
		ASSERT_INT_EQ(av_frame_make_writable(f), 0);
		paint(f, t);
		keys = p.nkey;
		in.pic = f;
		in.pts_ms = t * 33;
		in.key = t == 0;
		in.ndirty = -1;
		ASSERT_INT_EQ(enc_encode(e, &in, pkt_cb, &p), 0);
		if (p.nkey > keys)
			mask |= 1u << t;
	}
	ASSERT_INT_EQ(p.decoded, 20);
	enc_close(e);
	av_frame_free(&f);
	pkts_close(&p);
	return mask;
}

/*
 * While a viewer records (HOST.md §5.2): every encoder that opens puts a
 * key frame every keyint pictures on its own, and none without one.
 */
static void
test_keyint(void)
{
	unsigned m = enc_supported(), got;
	const unsigned want = 1u << 0 | 1u << 6 | 1u << 12 | 1u << 18;
	int c;

	for (c = 0; c < ENC_CODEC_COUNT; c++) {
		if (!(m & (1u << c)))
			continue;
		got = keys_of(c, 6);
		fprintf(stderr, "    %s: keyint 6 keys 0x%05x, none 0x%05x\n",
		    enc_name(c), got, keys_of(c, 0));
		ASSERT_INT_EQ(got, want);
		ASSERT_INT_EQ(keys_of(c, 0), 1);
	}
}

/* Bitrates follow the preset table and clamp the ratio; the finest
 * quantizer follows the ratio. */
static void
test_bitrate(void)
{
	ASSERT_INT_EQ(enc_bitrate(1920, 1080, 1.0), 2073);
	ASSERT_INT_EQ(enc_bitrate(1280, 720, 0.5), 500);
	ASSERT_INT_EQ(enc_bitrate(1920, 1080, 100), 2073 * 40);
	ASSERT_TRUE(enc_bitrate(0, 0, 1) >= 1);
	/* HOST.md §5.2.2: 36 at ratio 0 to 0 at 2; Balanced, Best, Low. */
	ASSERT_INT_EQ(enc_qmin(0.67), 24);
	ASSERT_INT_EQ(enc_qmin(1.5), 9);
	ASSERT_INT_EQ(enc_qmin(0.5), 27);
	ASSERT_INT_EQ(enc_qmin(0), 36);
	ASSERT_INT_EQ(enc_qmin(2), 0);
	ASSERT_INT_EQ(enc_qmin(40), 0);
}

/*
 * A new bitrate and quantizer in place (VP9, H.264): no key frame, the
 * pictures still decode, and they shrink to the new rate. A backend that
 * cannot (VP8) says so.
 */
static void
test_retarget(void)
{
	static const enum enc_codec codecs[] = { ENC_CODEC_VP9,
	    ENC_CODEC_H264 };
	struct enc_params ep = { .width = W, .height = H, .fps = 30,
	    .kbps = 4000, .qmin = 0 };
	struct enc_input in;
	struct enc *e;
	struct pkts p;
	AVFrame *f = picture();
	size_t hi = 0, lo, k;
	unsigned seed = 1;
	int t;

	for (k = 0; k < sizeof codecs / sizeof codecs[0]; k++) {
		ep.codec = codecs[k];
		if (!(enc_supported() & (1u << ep.codec)))
			continue;
		pkts_open(&p, ep.codec);
		ASSERT_INT_EQ(enc_open(&ep, &e), 0);
		ASSERT_INT_EQ(enc_retarget(e, 0, 4), ERR_INVAL);
		ASSERT_INT_EQ(enc_retarget(e, 100, 64), ERR_INVAL);
		memset(&in, 0, sizeof in);
		in.pic = f;
		in.ndirty = -1;
		for (t = 0; t < 60; t++) {
			if (t == 30) {
				hi = p.bytes;
				ASSERT_INT_EQ(enc_retarget(e, 100, 36), 0);
			}
			noise(f, &seed);
			in.pts_ms = t * 33;
			in.key = t == 0;
			ASSERT_INT_EQ(enc_encode(e, &in, pkt_cb, &p), 0);
		}
		lo = p.bytes - hi;
		fprintf(stderr, "    %s: 30 pictures of noise at 4000 kbit/s: "
		    "%zu bytes; at 100: %zu\n", enc_name(ep.codec), hi, lo);
		ASSERT_INT_EQ(p.nkey, 1);
		ASSERT_INT_EQ(p.decoded, 60);
		ASSERT_TRUE(lo * 2 < hi);
		enc_close(e);
		pkts_close(&p);
	}
	if (enc_supported() & ENC_VP8) {
		ep.codec = ENC_CODEC_VP8;
		ASSERT_INT_EQ(enc_open(&ep, &e), 0);
		ASSERT_INT_EQ(enc_retarget(e, 200, 36), ERR_UNSUPP);
		enc_close(e);
	}
	av_frame_free(&f);
}

/* Bad parameters are refused. */
static void
test_bad_params(void)
{
	struct enc_params p = { .codec = ENC_CODEC_VP9, .width = 15,
	    .height = 16, .fps = 30, .kbps = 100 };
	struct enc *e = (struct enc *)&p;

	ASSERT_INT_EQ(enc_open(&p, &e), ERR_INVAL);
	ASSERT_TRUE(e == NULL);
	p.width = 16;
	p.codec = 77;
	ASSERT_INT_EQ(enc_open(&p, &e), ERR_INVAL);
	p.codec = ENC_CODEC_VP9;
	p.fps = 0;
	ASSERT_INT_EQ(enc_open(&p, &e), ERR_INVAL);
	p.fps = 30;
	p.keyint = -1;
	ASSERT_INT_EQ(enc_open(&p, &e), ERR_INVAL);
	p.keyint = 0;
	p.qmin = 64;
	ASSERT_INT_EQ(enc_open(&p, &e), ERR_INVAL);
	p.qmin = -1;
	ASSERT_INT_EQ(enc_open(&p, &e), ERR_INVAL);
	enc_close(NULL);
}

int
main(void)
{
	av_log_set_level(AV_LOG_WARNING);
	TST_RUN(test_choose);
	TST_RUN(test_bitrate);
	TST_RUN(test_bad_params);
	TST_RUN(test_retarget);
	TST_RUN(test_supported);
	TST_RUN(test_activemap);
	TST_RUN(test_content);
	TST_RUN(test_use_i444);
	TST_RUN(test_i444);
	TST_RUN(test_keyint);
	return 0;
}
