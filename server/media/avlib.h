/*
 * avlib.h: libavcodec's encoding functions, loaded when first needed.
 *
 * libavcodec brings a hundred libraries along (x265, rav1e, svt-av1, aom,
 * librsvg, ...) whose relocated and touched pages cost the server about
 * 10 MB, while VP9 (the default) goes through libvpx directly. Linked
 * normally they are mapped from the start; loaded here they are mapped
 * only in the encoder probe's child and once a viewer picks a codec
 * libavcodec encodes. libavutil and libswscale (pictures, conversion)
 * stay linked: they are small and always used.
 */
#ifndef CDESK_AVLIB_H
#define CDESK_AVLIB_H

#include <libavcodec/avcodec.h>

struct avlib {
	const AVCodec	*(*find_encoder_by_name)(const char *);
	AVCodecContext	*(*alloc_context3)(const AVCodec *);
	int		 (*open2)(AVCodecContext *, const AVCodec *,
			    AVDictionary **);
	void		 (*free_context)(AVCodecContext **);
	int		 (*send_frame)(AVCodecContext *, const AVFrame *);
	int		 (*receive_packet)(AVCodecContext *, AVPacket *);
	AVPacket	*(*packet_alloc)(void);
	void		 (*packet_free)(AVPacket **);
	void		 (*packet_unref)(AVPacket *);
};

/* The functions, loading libavcodec on the first call (thread-safe);
 * NULL if it cannot be loaded (logged once). */
const struct avlib	*avlib_get(void);

#endif
