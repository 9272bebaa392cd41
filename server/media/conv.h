/*
 * conv.h: BGRX -> I420 (or I444) of a rectangle into a persistent picture.
 * Two implementations, libyuv (used; measured faster here, see
 * tests/bench) and libswscale (kept for the comparison).
 */
#ifndef CDESK_CONV_H
#define CDESK_CONV_H

#include <stdint.h>

#include <libavutil/frame.h>

enum conv_kind {
	CONV_LIBYUV = 0,
	CONV_SWSCALE,
};

struct conv;

/* A converter (caller frees with conv_free). Never NULL. */
struct conv	*conv_new(enum conv_kind);
void		 conv_free(struct conv *);

/*
 * Converts the w x h BGRX pixels at src (stride bytes a row) into dst (a
 * writable AV_PIX_FMT_YUV420P frame) at dx, dy. dx, dy, w and h must be
 * even (or reach dst's right/bottom edge) and inside dst.
 * Returns 0 or ERR_INVAL.
 */
int		 conv_bgrx_i420(struct conv *, const uint8_t *src, int stride,
		    int w, int h, AVFrame *dst, int dx, int dy);
/* The same into an AV_PIX_FMT_YUV444P frame (any dx, dy, w, h). */
int		 conv_bgrx_i444(struct conv *, const uint8_t *src, int stride,
		    int w, int h, AVFrame *dst, int dx, int dy);

#endif
