/*
 * enc.h: video encoders (VP8, VP9, AV1, H.264, H.265) behind one table of
 * function pointers, and the codec choice of PROTOCOL.md §7.1.
 *
 * Every encoder runs with realtime settings: no B-frames, no lookahead, no
 * automatic key frames unless opened with a key-frame interval (else a key
 * frame is produced exactly when asked for), picture size fixed at open,
 * timestamps in milliseconds (timebase 1/1000).
 * The key flag reported with each packet is the encoder's own, so it is
 * exact. An enc is used by one thread at a time (the capture worker).
 */
#ifndef CDESK_ENC_H
#define CDESK_ENC_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "message.pb-c.h"

enum enc_codec {
	ENC_CODEC_VP8 = 0,
	ENC_CODEC_VP9,
	ENC_CODEC_AV1,
	ENC_CODEC_H264,
	ENC_CODEC_H265,
	ENC_CODEC_COUNT,
};

/* Bits of enc_supported() and of struct enc_caps.decode. */
#define ENC_VP8		(1u << ENC_CODEC_VP8)
#define ENC_VP9		(1u << ENC_CODEC_VP9)
#define ENC_AV1		(1u << ENC_CODEC_AV1)
#define ENC_H264	(1u << ENC_CODEC_H264)
#define ENC_H265	(1u << ENC_CODEC_H265)
#define ENC_ALL		((1u << ENC_CODEC_COUNT) - 1)

/* Largest picture an encoder is opened for (both sides). */
#define ENC_DIM_MAX	8192

/* How an encoder is opened. */
struct enc_params {
	enum enc_codec	 codec;
	int		 width;		/* even, 16..ENC_DIM_MAX */
	int		 height;	/* even, 16..ENC_DIM_MAX */
	int		 fps;		/* expected rate, 1..120 (rate control) */
	int		 kbps;		/* target bitrate, from enc_bitrate() */
	int		 qmin;		/* VP8/VP9: finest quantizer (0..63),
					   from enc_qmin() */
	int		 threads;	/* 0: as many as make sense here */
	int		 i444;		/* 4:4:4 input (VP9 profile 1, AV1 High) */
	/* 0: key frames only when asked; n: at most n pictures apart
	 * (a key frame every n on its own: recording, HOST.md §5.2). */
	int		 keyint;
};

/* The key-frame interval while a viewer records the session (upstream's). */
#define ENC_KEYINT_RECORD	240

/* One compressed packet; data is borrowed until the callback returns. */
struct enc_packet {
	const uint8_t	*data;
	size_t		 len;
	int		 key;		/* the encoder flagged a key frame */
	int64_t		 pts;		/* ms, as passed to enc_encode() */
};
typedef void enc_packet_cb(void *arg, const struct enc_packet *);

/* A rectangle of the picture, in pixels. */
struct enc_rect {
	int		 x, y, w, h;
};

/* One picture to encode. */
struct enc_input {
	AVFrame			*pic;	/* I420 (I444 if opened so), borrowed */
	int64_t			 pts_ms;
	int			 key;	/* make this a key frame */
	/*
	 * What changed since the last picture given to this encoder (a
	 * superset is fine). ndirty < 0: unknown, anything may have. An
	 * encoder may code the rest as unchanged without looking at it.
	 */
	const struct enc_rect	*dirty;
	int			 ndirty;
};

struct enc;

/*
 * A backend: one way to run encoders. libvpx (VP9: it can be told which
 * blocks changed) and libavcodec (everything); hardware encoders would be
 * further tables. A backend's encoder state is its own.
 */
struct enc_impl {
	const char	*name;
	/* ENC_* bits of the codecs it has (enc_supported() checks which
	 * really open). */
	unsigned	 codecs;
	/* Opens *statep. 0, ERR_UNSUPP (not this backend's codec) or
	 * another negative ERR_*. */
	int		(*open)(const struct enc_params *, void **statep);
	/* Encodes one picture (borrowed; the encoder keeps a reference only
	 * while it needs one), calling cb for every packet out. */
	int		(*encode)(void *state, const struct enc_input *,
			    enc_packet_cb *cb, void *arg);
	/* Gives back memory the encoder can do without until its next
	 * picture; NULL if a backend has nothing to give. */
	void		(*trim)(void *state);
	/* Takes a new bitrate and finest quantizer from the next picture
	 * on, without a key frame; NULL if it cannot (then it reopens). */
	int		(*retarget)(void *state, int kbps, int qmin);
	/* Frees state; NULL does nothing. */
	void		(*close)(void *state);
};

extern const struct enc_impl enc_impl_vpx;
extern const struct enc_impl enc_impl_libav;

/*
 * Bit mask of the ENC_* encoders that really open here (each is opened once
 * at 64x64 and encodes one picture). Probed on the first call and cached;
 * thread-safe. Honours CDESK_ENC_DISABLE="h265,av1,..." (for tests).
 */
unsigned	 enc_supported(void);

/*
 * Bit mask of the ENC_* encoders that also open in 4:4:4 here: VP9
 * (libvpx, profile 1) and AV1 (libaom through libavcodec, High profile).
 * Probed with enc_supported().
 */
unsigned	 enc_supported_i444(void);

/* Static lower-case name: "vp8", "vp9", "av1", "h264", "h265". */
const char	*enc_name(enum enc_codec);
/* Parses a name as enc_name() prints it; -1 if unknown. */
int		 enc_from_name(const char *);

/* What one viewer can decode, and its preference. */
struct enc_caps {
	unsigned	 decode;	/* ENC_* bits; VP9 is always added */
	int		 prefer;	/* enum enc_codec, or -1 for auto */
	unsigned	 i444;		/* ENC_* bits it decodes in 4:4:4 */
	int		 prefer_i444;	/* it asks for 4:4:4 (true colour) */
};

/* A viewer's SupportedDecoding (NULL: an old client, "VP9 only"). */
void		 enc_caps_from_proto(const Hbb__SupportedDecoding *,
		    struct enc_caps *out);

/*
 * The codec for a set of viewers (PROTOCOL.md §7.1, HOST.md §5.2.1): only
 * codecs in `supported` that every viewer decodes are usable; the most
 * common usable preference wins (ties: the faster codec here); with no usable
 * preference the default is VP9. VP9 is the fallback when nothing else is
 * usable, even if not in `supported` (callers then fail to open it).
 * n may be 0 (returns VP9).
 */
enum enc_codec	 enc_choose(const struct enc_caps *viewers, size_t n,
		    unsigned supported);

/*
 * Whether codec is encoded in 4:4:4 for a set of viewers (HOST.md §5.2.1):
 * every viewer asks for it and decodes it in that codec, there is at
 * least one, and codec is VP9 or AV1 and opens in 4:4:4 here
 * (enc_supported_i444).
 */
int		 enc_use_i444(const struct enc_caps *viewers, size_t n,
		    enum enc_codec codec);

/*
 * Target kbit/s for a w x h picture at a quality ratio (HOST.md §5.2.2:
 * Best 1.5, Balanced 0.67, Low 0.5; custom clamped to [0.1, 40]).
 */
int		 enc_bitrate(int width, int height, double ratio);

/*
 * The finest quantizer VP8/VP9 may use at a quality ratio (HOST.md
 * §5.2.2): 36 at ratio 0 down to 0 at ratio 2 and above, so 24 at
 * Balanced, 9 at Best. It decides what a small change costs: on a typing
 * picture 4 gave 325 bytes, 24 gives 237.
 */
int		 enc_qmin(double ratio);
/* Sets p->kbps and p->qmin for p's width and height at a quality ratio. */
void		 enc_params_rate(struct enc_params *p, double ratio);

/*
 * Opens an encoder with the first backend that has p->codec (libvpx before
 * libavcodec; CDESK_ENC_BACKEND=libav skips libvpx, for comparisons).
 */
int		 enc_open(const struct enc_params *, struct enc **ep);
int		 enc_encode(struct enc *, const struct enc_input *,
		    enc_packet_cb *cb, void *arg);
/* The backend's name, for logs. */
const char	*enc_backend(const struct enc *);
/* Gives back what the encoder can do without until its next picture
 * (libvpx: its token buffer and its pages of zeros). Worth it after the
 * first picture and when idle; it costs tens of ms at 1080p. */
void		 enc_trim(struct enc *);
/*
 * A new bitrate and finest quantizer (as in enc_params) from the next
 * picture on, in place: no key frame, no reopen (HOST.md §5.2.2). 0, or
 * ERR_UNSUPP if the backend cannot (the caller reopens), ERR_INVAL, or
 * ERR_CODEC if the encoder refused (it keeps the old ones).
 */
int		 enc_retarget(struct enc *, int kbps, int qmin);
void		 enc_close(struct enc *);

#endif
