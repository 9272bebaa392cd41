/* vdec.h: the test peer's video decoder (libavcodec), as a client has. */
#ifndef CDESK_VDEC_H
#define CDESK_VDEC_H

#include <stdint.h>

#include "message.pb-c.h"

struct vdec;

struct vdec_info {
	const char	*codec;		/* "vp9", "vp8", "av1", "h264", "h265" */
	int		 display;
	int		 width, height;	/* of the decoded picture */
	const char	*pixfmt;	/* its format: "yuv420p", "yuv444p" */
	int		 key;		/* a key packet was in the message */
	int		 r, g, b;	/* mean colour of the centre 16x16 */
	int64_t		 stamp;		/* painter's frame counter, or -1 */
};

struct vdec	*vdec_new(void);
void		 vdec_free(struct vdec *);
/*
 * Decodes one VideoFrame. Returns 1 with *info set when a picture came
 * out, 0 when none did, -1 on a decoder error.
 */
int		 vdec_frame(struct vdec *, const Hbb__VideoFrame *,
		    struct vdec_info *info);
/* Writes the last picture decoded as a binary PPM (RGB). 0 or -1. */
int		 vdec_save_ppm(const struct vdec *, const char *path);

#endif
