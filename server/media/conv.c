/* conv.c: BGRX -> I420 / I444 rectangle conversion (libyuv or libswscale). */
#include <stdlib.h>

#include <libswscale/swscale.h>
#include <libyuv/convert.h>
#include <libyuv/convert_from_argb.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "server/media/conv.h"

struct conv {
	enum conv_kind		 kind;
	struct SwsContext	*sws;	/* owned; CONV_SWSCALE, cached size */
};

/* Makes a converter of one kind. */
struct conv *
conv_new(enum conv_kind kind)
{
	struct conv *cv;

	cv = xcalloc(1, sizeof *cv);
	cv->kind = kind;
	return cv;
}

/* Frees a converter; NULL does nothing. */
void
conv_free(struct conv *cv)
{
	if (cv == NULL)
		return;
	sws_freeContext(cv->sws);
	free(cv);
}

/* Converts one rectangle into dst at (dx, dy). */
int
conv_bgrx_i420(struct conv *cv, const uint8_t *src, int stride, int w,
    int h, AVFrame *dst, int dx, int dy)
{
	uint8_t *d[3];
	int ls[3];

	if (w <= 0 || h <= 0 || dx < 0 || dy < 0 || (dx & 1) || (dy & 1) ||
	    dx + w > dst->width || dy + h > dst->height ||
	    dst->format != AV_PIX_FMT_YUV420P)
		return ERR_INVAL;
	d[0] = dst->data[0] + (size_t)dy * dst->linesize[0] + dx;
	d[1] = dst->data[1] + (size_t)(dy / 2) * dst->linesize[1] + dx / 2;
	d[2] = dst->data[2] + (size_t)(dy / 2) * dst->linesize[2] + dx / 2;
	ls[0] = dst->linesize[0];
	ls[1] = dst->linesize[1];
	ls[2] = dst->linesize[2];
	if (cv->kind == CONV_LIBYUV) {
		/* libyuv's "ARGB" is B, G, R, A in memory: our BGRX. */
		if (ARGBToI420(src, stride, d[0], ls[0], d[1], ls[1], d[2],
		    ls[2], w, h) != 0)
			return ERR_INVAL;
		return 0;
	}
	cv->sws = sws_getCachedContext(cv->sws, w, h, AV_PIX_FMT_BGR0, w, h,
	    AV_PIX_FMT_YUV420P, SWS_POINT, NULL, NULL, NULL);
	if (cv->sws == NULL)
		return ERR_INVAL;
	sws_scale(cv->sws, (const uint8_t *const *)&src, &stride, 0, h, d,
	    ls);
	return 0;
}

/* Converts one rectangle into an I444 dst at (dx, dy). */
int
conv_bgrx_i444(struct conv *cv, const uint8_t *src, int stride, int w,
    int h, AVFrame *dst, int dx, int dy)
{
	uint8_t *d[3];
	int i, ls[3];

	if (w <= 0 || h <= 0 || dx < 0 || dy < 0 || dx + w > dst->width ||
	    dy + h > dst->height || dst->format != AV_PIX_FMT_YUV444P)
		return ERR_INVAL;
	for (i = 0; i < 3; i++) {
		d[i] = dst->data[i] + (size_t)dy * dst->linesize[i] + dx;
		ls[i] = dst->linesize[i];
	}
	if (cv->kind == CONV_LIBYUV) {
		/* The same BT.601 limited range as ARGBToI420. */
		if (ARGBToI444(src, stride, d[0], ls[0], d[1], ls[1], d[2],
		    ls[2], w, h) != 0)
			return ERR_INVAL;
		return 0;
	}
	cv->sws = sws_getCachedContext(cv->sws, w, h, AV_PIX_FMT_BGR0, w, h,
	    AV_PIX_FMT_YUV444P, SWS_POINT, NULL, NULL, NULL);
	if (cv->sws == NULL)
		return ERR_INVAL;
	sws_scale(cv->sws, (const uint8_t *const *)&src, &stride, 0, h, d,
	    ls);
	return 0;
}
