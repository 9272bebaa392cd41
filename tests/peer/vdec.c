/* vdec.c: decode VideoFrame messages with libavcodec, like a client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>

#include "common/xmalloc.h"
#include "tests/bench/stamp.h"
#include "tests/peer/vdec.h"

struct vdec {
	AVCodecContext	*ctx;		/* owned */
	int		 ucase;		/* VideoFrame union case of ctx */
	AVPacket	*pkt;		/* owned */
	AVFrame		*pic;		/* owned */
	AVFrame		*last;		/* owned: the last picture out */
};

/* A new decoder; the codec opens with the first frame. */
struct vdec *
vdec_new(void)
{
	struct vdec *v = xcalloc(1, sizeof *v);

	v->pkt = av_packet_alloc();
	v->pic = av_frame_alloc();
	v->last = av_frame_alloc();
	return v;
}

/* Free; NULL does nothing. */
void
vdec_free(struct vdec *v)
{
	if (v == NULL)
		return;
	avcodec_free_context(&v->ctx);
	av_packet_free(&v->pkt);
	av_frame_free(&v->pic);
	av_frame_free(&v->last);
	free(v);
}

/* The codec's packets in a VideoFrame, and its name and libav id. */
static Hbb__EncodedVideoFrames *
vdec_packets(const Hbb__VideoFrame *vf, const char **name,
    enum AVCodecID *id)
{
	switch (vf->union_case) {
	case HBB__VIDEO_FRAME__UNION_VP9S:
		*name = "vp9";
		*id = AV_CODEC_ID_VP9;
		return vf->vp9s;
	case HBB__VIDEO_FRAME__UNION_VP8S:
		*name = "vp8";
		*id = AV_CODEC_ID_VP8;
		return vf->vp8s;
	case HBB__VIDEO_FRAME__UNION_AV1S:
		*name = "av1";
		*id = AV_CODEC_ID_AV1;
		return vf->av1s;
	case HBB__VIDEO_FRAME__UNION_H264S:
		*name = "h264";
		*id = AV_CODEC_ID_H264;
		return vf->h264s;
	case HBB__VIDEO_FRAME__UNION_H265S:
		*name = "h265";
		*id = AV_CODEC_ID_HEVC;
		return vf->h265s;
	default:
		return NULL;
	}
}

/* Limited-range Y, U, V (U and V centred on 0) to RGB. */
static void
vdec_yuv_rgb(double ys, double us, double vs, uint8_t rgb[3])
{
	double c[3];
	int i;

	/* BT.601 limited range, as the host's converter writes it. */
	ys -= 16;
	c[0] = 1.164 * ys + 1.596 * vs;
	c[1] = 1.164 * ys - 0.392 * us - 0.813 * vs;
	c[2] = 1.164 * ys + 2.017 * us;
	for (i = 0; i < 3; i++)
		rgb[i] = c[i] < 0 ? 0 : c[i] > 255 ? 255 : (uint8_t)(c[i] + 0.5);
}

/* Chroma shift of a picture format we read: 1 (4:2:0), 0 (4:4:4), -1. */
static int
vdec_shift(const AVFrame *f)
{
	switch (f->format) {
	case AV_PIX_FMT_YUV420P:
	case AV_PIX_FMT_YUVJ420P:
		return 1;
	case AV_PIX_FMT_YUV444P:
	case AV_PIX_FMT_YUVJ444P:
		return 0;
	default:
		return -1;
	}
}

/* One pixel of a YUV 4:2:0 or 4:4:4 picture as RGB. */
static void
vdec_rgb(const AVFrame *f, int x, int y, uint8_t rgb[3])
{
	int s = vdec_shift(f);

	vdec_yuv_rgb(f->data[0][y * f->linesize[0] + x],
	    f->data[1][(y >> s) * f->linesize[1] + (x >> s)] - 128.0,
	    f->data[2][(y >> s) * f->linesize[2] + (x >> s)] - 128.0, rgb);
}

/* Write the last picture as a PPM. */
int
vdec_save_ppm(const struct vdec *v, const char *path)
{
	const AVFrame *f = v->last;
	uint8_t *row;
	FILE *fp;
	int x, y, r = 0;

	if (f->width <= 0 || vdec_shift(f) < 0)
		return -1;
	if ((fp = fopen(path, "wb")) == NULL)
		return -1;
	row = xmalloc((size_t)f->width * 3);
	fprintf(fp, "P6\n%d %d\n255\n", f->width, f->height);
	for (y = 0; y < f->height && r == 0; y++) {
		for (x = 0; x < f->width; x++)
			vdec_rgb(f, x, y, row + x * 3);
		if (fwrite(row, 3, (size_t)f->width, fp) != (size_t)f->width)
			r = -1;
	}
	free(row);
	if (fclose(fp) != 0)
		r = -1;
	return r;
}

/* Mean colour of the centre 16x16 block of a YUV 4:2:0 or 4:4:4 picture. */
static void
vdec_centre(const AVFrame *f, struct vdec_info *info)
{
	int x0 = f->width / 2 - 8, y0 = f->height / 2 - 8, x, y;
	int s = vdec_shift(f);
	double ys = 0, us = 0, vs = 0;
	uint8_t rgb[3];

	for (y = 0; y < 16; y++)
		for (x = 0; x < 16; x++) {
			ys += f->data[0][(y0 + y) * f->linesize[0] + x0 + x];
			us += f->data[1][((y0 + y) >> s) * f->linesize[1] +
			    ((x0 + x) >> s)];
			vs += f->data[2][((y0 + y) >> s) * f->linesize[2] +
			    ((x0 + x) >> s)];
		}
	vdec_yuv_rgb(ys / 256, us / 256 - 128, vs / 256 - 128, rgb);
	info->r = rgb[0];
	info->g = rgb[1];
	info->b = rgb[2];
}

/* Decode one VideoFrame. */
int
vdec_frame(struct vdec *v, const Hbb__VideoFrame *vf, struct vdec_info *info)
{
	Hbb__EncodedVideoFrames *efs;
	const AVCodec *codec;
	enum AVCodecID id;
	const char *name = "?";
	size_t i;
	int got = 0;

	memset(info, 0, sizeof *info);
	info->stamp = -1;
	if ((efs = vdec_packets(vf, &name, &id)) == NULL)
		return -1;
	if (v->ctx == NULL || v->ucase != (int)vf->union_case) {
		/* A client makes a new decoder when the codec changes. */
		avcodec_free_context(&v->ctx);
		if ((codec = avcodec_find_decoder(id)) == NULL ||
		    (v->ctx = avcodec_alloc_context3(codec)) == NULL ||
		    avcodec_open2(v->ctx, codec, NULL) < 0)
			return -1;
		v->ucase = (int)vf->union_case;
	}
	info->codec = name;
	info->display = vf->display;
	for (i = 0; i < efs->n_frames; i++) {
		Hbb__EncodedVideoFrame *ef = efs->frames[i];

		info->key |= ef->key;
		v->pkt->data = ef->data.data;
		v->pkt->size = (int)ef->data.len;
		v->pkt->pts = ef->pts;
		if (avcodec_send_packet(v->ctx, v->pkt) < 0)
			return -1;
		while (avcodec_receive_frame(v->ctx, v->pic) == 0) {
			info->width = v->pic->width;
			info->height = v->pic->height;
			info->pixfmt = av_get_pix_fmt_name(v->pic->format);
			if (info->pixfmt == NULL)
				info->pixfmt = "?";
			if (vdec_shift(v->pic) >= 0) {
				vdec_centre(v->pic, info);
				info->stamp = stamp_read(v->pic->data[0],
				    v->pic->linesize[0], v->pic->width,
				    v->pic->height);
			}
			/* Kept: the next receive call empties pic. */
			av_frame_unref(v->last);
			av_frame_move_ref(v->last, v->pic);
			got = 1;
		}
	}
	return got;
}
