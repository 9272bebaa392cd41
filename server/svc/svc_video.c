/*
 * svc_video.c: capture+encode workers (one thread per display with
 * viewers) and the fan-out of their frames to sinks on the main loop.
 *
 * A worker owns its own X connection (struct cap), I420 picture, converter
 * and encoder. It sleeps in poll() on the X descriptor and an eventfd until
 * X Damage reports a change (or the main loop wakes it), grabs only the
 * damaged rectangles' bounding box, converts only the damaged rectangles,
 * encodes, packs the Message once and queues it for the main loop (locked
 * list + event_active). At most VSTREAM_INFLIGHT frames per display wait
 * there, so memory stays bounded if the loop is slow.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <libavutil/frame.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mono.h"
#include "common/xmalloc.h"
#include "server/media/cap_modes.h"
#include "server/media/conv.h"
#include "server/svc/svc_subs.h"
#include "server/svc/svc_video.h"
#include "server/svc/vpace.h"

#define VSTREAM_INFLIGHT	4	/* frames queued for the loop */
#define VSTREAM_DIRTY_MAX	64	/* changed rectangles told the encoder */
#define VWORK_BAND_BYTES	(1024 * 1024)	/* a grab at most (vwork_capture) */
#define VWORK_NARROW_DIV	8	/* narrowed: damage under 1/8 of a picture */
#define QOS_FPS_DEFAULT		30
#define QOS_FPS_INIT		15
#define QOS_FPS_MAX		120
#define QOS_RATIO_PERIOD_MS	3000
#define TICK_MS			100	/* a viewer drains or just joined */
#define TICK_SLOW_MS		1000	/* otherwise, while anybody watches */
/*
 * svc_video_displays answers from the list read this long ago at most.
 * Reading it is five X round trips or more, and a login asks three times:
 * 1000 sessions arriving waited on the X server 27 % of the loop's time.
 * A change still reaches everybody at once through RandR's notify.
 */
#define DISPLAYS_FRESH_MS	1000
/* After this long without a picture the encoder gives back what it can. */
#define VSTREAM_TRIM_US		1000000
/* A stopped worker's encoder stays warm this long, then a fresh one
 * (which holds less: the other kept the pictures it used) replaces it. */
#define VSPARE_AGE_SEC		30

enum vitem_kind {
	VITEM_FRAME,
	VITEM_SWITCH,
};

/* One message from a worker to the loop. */
struct vitem {
	struct vitem	*next;
	enum vitem_kind	 kind;
	int		 display;
	uint64_t	 gen;		/* of the stream that made it */
	int		 key;
	struct cap_display geom;	/* VITEM_SWITCH: the new geometry */
	struct msgbuf	*b;		/* owned */
};

/*
 * A viewer (one per sink, however many displays it watches): an entry of
 * svc_video.users, keyed by conn_id.
 */
struct vuser {
	struct svc_sub		 sub;
	struct svc_video_prefs	 prefs;
	uint64_t		 joined;	/* ms */
	/* QoS (HOST.md §5.2.3). */
	int			 fps;		/* 0: no sample yet */
	int			 rtt[3];
	int			 nrtt;		/* samples so far */
	int			 hist_min;
	int			 last60[60];
	int			 last_avg;
	int			 streak50;	/* consecutive avg < 50 */
	int			 streak150;	/* consecutive avg < 150 */
	int			 avg;		/* latest corrected average */
};

/*
 * A (sink, display) subscription: an entry of svc_video.viewers[display],
 * keyed by conn_id. A sink unsubscribed while its display's frame is being
 * handed out is only marked dead there (svc_subs_each).
 */
struct vsub {
	struct svc_sub	 sub;
	int		 need_key;	/* withhold frames until a key frame */
	int		 key_asked;
};

/* The worker of one display. Fields below "mu" are under sv->mu. */
struct vstream {
	struct svc_video *sv;
	int		 display;
	uint64_t	 gen;
	pthread_t	 th;
	int		 wakefd;
	/* Under sv->mu. */
	int		 stop;
	int		 key_req;
	int		 codec;
	double		 ratio;
	int		 fps;
	int		 inflight;
	int		 kbps;		/* what the worker uses (it writes) */
	int		 qmin;		/* the same */
	int		 cur_codec;	/* what the worker uses (it writes) */
	int		 i444;		/* 4:4:4 wanted (enc_use_i444) */
	int		 cur_i444;	/* what the worker uses (it writes) */
	int		 keyint;	/* key-frame interval wanted, 0: none */
	/* What its encoder was opened for (it fell back if it differs
	 * from cur_*); the worker's only. */
	int		 ask_codec;
	int		 ask_i444;
	int		 ask_keyint;
	/* Its encoder when it stopped, and how that was opened (read after
	 * the join): it may become the warm one. */
	struct enc	*left;
	struct enc_params left_p;
};

struct svc_video {
	struct event_base	*base;		/* borrowed */
	char			*x_display;	/* owned, may be NULL */
	unsigned		 cap_flags;
	void			(*displays_changed)(void *);
	void			*arg;
	struct cap		*cap;		/* owned: display list */
	struct event		*ev_cap;	/* owned */
	struct event		*ev_out;	/* owned: worker -> loop */
	struct event		*ev_tick;	/* owned */
	int			 tick_ms;	/* its period; 0: not armed */
	struct cap_display	 disp[CAP_DISPLAYS_MAX];
	int			 ndisp;
	uint64_t		 disp_ms;	/* mono_ms() disp was read */
	struct svc_subs		 users;		/* of struct vuser */
	struct svc_subs		 viewers[CAP_DISPLAYS_MAX]; /* of struct vsub */
	int			 dispatching;	/* in vout_cb: defer vreap */
	struct vstream		*streams[CAP_DISPLAYS_MAX];	/* owned */
	uint64_t		 next_gen;
	pthread_mutex_t		 mu;
	struct vitem		*qhead;		/* under mu */
	struct vitem		**qtail;	/* under mu */
	struct svc_video_stats	 st;		/* counters: atomic */
	/* Policy, main loop only. */
	int			 fps;
	int			 fps_hi;	/* qos_highest, at the last push */
	double			 ratio;
	double			 ratio_target;
	int			 codec;
	int			 i444;		/* 4:4:4 for every viewer */
	int			 keyint;	/* a viewer records: 240 */
	uint64_t		 ratio_t;
	uint64_t		 enc_at_ratio_t;
	int			 abr_off;	/* option enable-abr N */
	/* The warm VP9 encoder of the primary display (vspare_*). */
	int			 warm;		/* config: keep one */
	pthread_t		 spare_th;
	int			 spare_th_live;	/* main loop: join it */
	pthread_cond_t		 spare_cv;	/* spare_busy went 0 */
	struct enc		*spare;		/* under mu; owned */
	struct enc_params	 spare_p;	/* under mu: how it opened */
	int			 spare_busy;	/* under mu: opening it */
	struct enc		*spare_in;	/* under mu: a worker's, to trim */
	int			 spare_aged;	/* under mu: spare is a worker's */
	int			 spare_waiting;	/* under mu: workers waiting */
	struct event		*ev_spare;	/* owned: replaces an aged one */
};

static void	vtick_arm(struct svc_video *);

/* Adds to a counter that workers and the loop share. */
static void
stat_add(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

/* Wakes a worker out of poll(). */
static void
vstream_wake(struct vstream *vs)
{
	uint64_t one = 1;
	ssize_t n;

	n = write(vs->wakefd, &one, sizeof one);
	(void)n;
}

/* Packs Message{misc{switch_display}} for one display. */
static struct msgbuf *
pack_switch(int display, const struct cap_display *d)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__SwitchDisplay sd = HBB__SWITCH_DISPLAY__INIT;
	struct cap_modes_pb rp;

	cap_modes_pb(d, &rp);	/* the client's resolution menu */
	sd.resolutions = &rp.sr;
	sd.original_resolution = &rp.orig;
	sd.display = display;
	sd.x = d->x;
	sd.y = d->y;
	sd.width = d->width & ~1;
	sd.height = d->height & ~1;
	sd.cursor_embedded = 0;
	misc.union_case = HBB__MISC__UNION_SWITCH_DISPLAY;
	misc.switch_display = &sd;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	return msgbuf_pack(&m);
}

/* ---- worker thread ---- */

/* Packets of one picture, collected for packing. */
struct vpkts {
	Hbb__EncodedVideoFrame	 f[8];
	Hbb__EncodedVideoFrame	*pf[8];
	size_t			 n;
	int			 key;
	size_t			 bytes;
};

/* Keeps one encoder packet (copied) for the picture's message. */
static void
vpkts_cb(void *arg, const struct enc_packet *p)
{
	struct vpkts *vp = arg;
	Hbb__EncodedVideoFrame *f;

	if (vp->n == sizeof vp->f / sizeof vp->f[0]) {
		log_warn("encoder gave more than %zu packets for a picture",
		    vp->n);
		return;
	}
	f = &vp->f[vp->n];
	hbb__encoded_video_frame__init(f);
	f->data.data = xmemdup(p->data, p->len > 0 ? p->len : 1);
	f->data.len = p->len;
	f->key = p->key;
	f->pts = p->pts;
	vp->pf[vp->n++] = f;
	vp->key |= p->key;
	vp->bytes += p->len;
}

/* Frees collected packets. */
static void
vpkts_clear(struct vpkts *vp)
{
	size_t i;

	for (i = 0; i < vp->n; i++)
		free(vp->f[i].data.data);
	vp->n = 0;
}

/* Packs the collected packets as Message{video_frame} and frees them. */
static struct msgbuf *
vpkts_pack(struct vpkts *vp, int codec, int display)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__VideoFrame vf = HBB__VIDEO_FRAME__INIT;
	Hbb__EncodedVideoFrames efs = HBB__ENCODED_VIDEO_FRAMES__INIT;
	struct msgbuf *b;

	efs.n_frames = vp->n;
	efs.frames = vp->pf;
	vf.display = display;
	switch (codec) {
	case ENC_CODEC_VP8:
		vf.union_case = HBB__VIDEO_FRAME__UNION_VP8S;
		vf.vp8s = &efs;
		break;
	case ENC_CODEC_AV1:
		vf.union_case = HBB__VIDEO_FRAME__UNION_AV1S;
		vf.av1s = &efs;
		break;
	case ENC_CODEC_H264:
		vf.union_case = HBB__VIDEO_FRAME__UNION_H264S;
		vf.h264s = &efs;
		break;
	case ENC_CODEC_H265:
		vf.union_case = HBB__VIDEO_FRAME__UNION_H265S;
		vf.h265s = &efs;
		break;
	default:
		vf.union_case = HBB__VIDEO_FRAME__UNION_VP9S;
		vf.vp9s = &efs;
		break;
	}
	m.union_case = HBB__MESSAGE__UNION_VIDEO_FRAME;
	m.video_frame = &vf;
	b = msgbuf_pack(&m);
	vpkts_clear(vp);
	return b;
}

/* Queues an item for the loop and wakes it. */
static void
vstream_post(struct vstream *vs, struct vitem *it)
{
	struct svc_video *sv = vs->sv;

	it->display = vs->display;
	it->gen = vs->gen;
	pthread_mutex_lock(&sv->mu);
	it->next = NULL;
	*sv->qtail = it;
	sv->qtail = &it->next;
	vs->inflight++;
	pthread_mutex_unlock(&sv->mu);
	event_active(sv->ev_out, EV_READ, 0);
}

/* Finds display idx in a fresh monitor list; 0 if gone. */
static int
vstream_geometry(struct cap *cap, int idx, struct cap_display *out)
{
	struct cap_display d[CAP_DISPLAYS_MAX];
	int n;

	if ((n = cap_x11.displays(cap, d, CAP_DISPLAYS_MAX)) <= idx)
		return 0;
	*out = d[idx];
	return 1;
}

/* A fresh I420 (i444: I444) picture of the display's (even) size, black. */
static AVFrame *
vstream_picture(const struct cap_display *g, int i444)
{
	AVFrame *f;
	int ch;

	if ((f = av_frame_alloc()) == NULL)
		return NULL;
	f->width = g->width & ~1;
	f->height = g->height & ~1;
	f->format = i444 ? AV_PIX_FMT_YUV444P : AV_PIX_FMT_YUV420P;
	if (f->width < 16 || f->height < 16 || av_frame_get_buffer(f, 0) < 0) {
		av_frame_free(&f);
		return NULL;
	}
	ch = i444 ? f->height : f->height / 2;
	memset(f->data[0], 16, (size_t)f->linesize[0] * f->height);
	memset(f->data[1], 128, (size_t)f->linesize[1] * ch);
	memset(f->data[2], 128, (size_t)f->linesize[2] * ch);
	return f;
}

/* Throws away an encoder's packet. */
static void
vspare_drop_cb(void *arg, const struct enc_packet *p)
{
	(void)arg;
	(void)p;
}

/*
 * Encodes one key frame with a fresh encoder: libvpx allocates and
 * clears its picture buffers on the first picture (0.3-0.4 s at 1080p,
 * measured: a first key frame 418 ms, the next one 49-160 ms), which the
 * first picture of a viewer should not wait for.
 */
static void
vspare_prime(struct enc *e, const struct enc_params *p)
{
	struct cap_display g;
	struct enc_input in;
	AVFrame *f;

	memset(&g, 0, sizeof g);
	g.width = p->width;
	g.height = p->height;
	if ((f = vstream_picture(&g, 0)) == NULL)
		return;
	/* All zero: more of what it leaves is zero, and given back. */
	memset(f->data[0], 0, (size_t)f->linesize[0] * f->height);
	memset(f->data[1], 0, (size_t)f->linesize[1] * f->height / 2);
	memset(f->data[2], 0, (size_t)f->linesize[2] * f->height / 2);
	memset(&in, 0, sizeof in);
	in.pic = f;
	in.key = 1;
	in.ndirty = -1;
	if (enc_encode(e, &in, vspare_drop_cb, NULL) != 0)
		log_debug("warm vp9 encoder: first picture failed");
	av_frame_free(&f);
}

/*
 * The warm encoder. Opening a 1080p VP9 encoder costs 0.3-2 s here, most
 * of it page faults (libvpx clears ~120 MB it allocates), and the first
 * picture of a session waited for it. With SVC_VIDEO_CFG_WARM the service
 * opens one in the background for the primary display at the default
 * quality when it starts, and encodes a first picture with it; when the
 * last viewer left, the worker's own encoder becomes the warm one if it
 * fits (else a new one opens). The next worker that needs exactly that
 * takes it (its first picture is a key frame, so what the encoder saw
 * before does not matter). What it holds while nobody watches is its
 * state without the zero pages and the token buffer (vpx_mem.c).
 */
static void *
vspare_main(void *arg)
{
	struct svc_video *sv = arg;
	struct enc_params p;
	struct enc *e;
	int r, fresh, waited;

	pthread_mutex_lock(&sv->mu);
	p = sv->spare_p;
	e = sv->spare_in;
	sv->spare_in = NULL;
	pthread_mutex_unlock(&sv->mu);
	if ((fresh = e == NULL) && (r = enc_open(&p, &e)) != 0)
		log_debug("warm vp9 encoder: %d", r);
	pthread_mutex_lock(&sv->mu);
	waited = sv->spare_waiting > 0;
	pthread_mutex_unlock(&sv->mu);
	/* A worker waits for it already: its own first picture primes it
	 * and is followed by a trim. */
	if (!waited && e != NULL) {
		if (fresh)
			vspare_prime(e, &p);
		enc_trim(e);
		malloc_trim(0);
	}
	pthread_mutex_lock(&sv->mu);
	sv->spare = e;
	sv->spare_busy = 0;
	pthread_cond_broadcast(&sv->spare_cv);
	pthread_mutex_unlock(&sv->mu);
	return NULL;
}

/* What the warm encoder of the primary display is opened with. */
static void
vspare_params(const struct svc_video *sv, struct enc_params *p)
{
	const struct cap_display *d = &sv->disp[0];
	int i;

	for (i = 0; i < sv->ndisp; i++)
		if (sv->disp[i].primary) {
			d = &sv->disp[i];
			break;
		}
	memset(p, 0, sizeof *p);
	p->codec = ENC_CODEC_VP9;
	p->width = d->width & ~1;
	p->height = d->height & ~1;
	p->fps = QOS_FPS_INIT;
	enc_params_rate(p, 0.67);
}

/* Whether an encoder opened with a serves one asked for with b. */
static int
vspare_fits(const struct enc_params *a, const struct enc_params *b)
{
	return a->codec == b->codec && a->i444 == b->i444 &&
	    a->keyint == b->keyint && a->width == b->width &&
	    a->height == b->height && abs(a->kbps - b->kbps) * 100 <=
	    a->kbps * 15;
}

/*
 * Opens a warm encoder in the background unless one is there (main). A
 * stopped worker's encoder `left` (opened with *lp; NULL: none) is taken
 * instead if it fits, and trimmed in the background; else it is closed.
 */
static void
vspare_start(struct svc_video *sv, struct enc *left,
    const struct enc_params *lp)
{
	struct enc_params p;
	struct enc *old = NULL;
	struct timeval tv = { VSPARE_AGE_SEC, 0 };
	int adopted = 0;

	if (!sv->warm || sv->ndisp < 1 || !(enc_supported() & ENC_VP9)) {
		enc_close(left);
		return;
	}
	vspare_params(sv, &p);
	if (p.width < 16 || p.height < 16) {
		enc_close(left);
		return;
	}
	pthread_mutex_lock(&sv->mu);
	if (sv->spare_busy || (sv->spare != NULL &&
	    vspare_fits(&sv->spare_p, &p))) {
		pthread_mutex_unlock(&sv->mu);
		enc_close(left);
		return;
	}
	old = sv->spare;	/* the display changed size */
	sv->spare = NULL;
	sv->spare_p = p;
	sv->spare_aged = 0;
	if (left != NULL && vspare_fits(lp, &p)) {
		sv->spare_in = left;
		sv->spare_p = *lp;
		sv->spare_aged = 1;
		left = NULL;
		adopted = 1;
	}
	sv->spare_busy = 1;
	pthread_mutex_unlock(&sv->mu);
	enc_close(old);
	if (adopted && sv->ev_spare != NULL)
		evtimer_add(sv->ev_spare, &tv);
	enc_close(left);
	if (sv->spare_th_live)
		pthread_join(sv->spare_th, NULL);
	sv->spare_th_live = pthread_create(&sv->spare_th, NULL, vspare_main,
	    sv) == 0;
	if (!sv->spare_th_live) {
		pthread_mutex_lock(&sv->mu);
		sv->spare_busy = 0;
		left = sv->spare_in;
		sv->spare_in = NULL;
		pthread_mutex_unlock(&sv->mu);
		enc_close(left);
	}
}

/* A worker's encoder stayed warm long enough: a fresh one instead. */
static void
vspare_age_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_video *sv = arg;
	struct enc *old = NULL;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&sv->mu);
	if (!sv->spare_busy && sv->spare != NULL && sv->spare_aged) {
		old = sv->spare;
		sv->spare = NULL;
	}
	pthread_mutex_unlock(&sv->mu);
	if (old == NULL)
		return;
	enc_close(old);
	malloc_trim(0);
	vspare_start(sv, NULL, NULL);
}

/* Takes the warm encoder if it fits p (worker); waits while it opens. */
static struct enc *
vspare_take(struct svc_video *sv, const struct enc_params *p)
{
	struct enc *e = NULL;

	pthread_mutex_lock(&sv->mu);
	while (sv->spare_busy && vspare_fits(&sv->spare_p, p)) {
		sv->spare_waiting++;
		pthread_cond_wait(&sv->spare_cv, &sv->mu);
		sv->spare_waiting--;
	}
	if (sv->spare != NULL && vspare_fits(&sv->spare_p, p)) {
		e = sv->spare;
		sv->spare = NULL;
	}
	pthread_mutex_unlock(&sv->mu);
	return e;
}

/* The worker's encoder takes the bitrate and quantizer in place: 0 if so. */
static int
vstream_retarget(struct vstream *vs, struct enc *e, int kbps, int qmin)
{
	int r;

	if ((r = enc_retarget(e, kbps, qmin)) != 0)
		return r;
	log_debug("display %d: %d kbit/s, quantizer from %d, in place",
	    vs->display, kbps, qmin);
	pthread_mutex_lock(&vs->sv->mu);
	vs->kbps = kbps;
	vs->qmin = qmin;
	pthread_mutex_unlock(&vs->sv->mu);
	return 0;
}

/*
 * (Re)opens the encoder when codec, chroma or key-frame interval moved,
 * or the bitrate did and the encoder cannot take it in place (then only
 * past 15 %); 1 if reopened. 4:4:4 falls back to 4:2:0 if it cannot open.
 */
static int
vstream_encoder(struct vstream *vs, struct enc **encp, const AVFrame *pic,
    int codec, int i444, int keyint, double ratio, int fps)
{
	struct enc_params p;
	int kbps, qmin, r;

	memset(&p, 0, sizeof p);
	p.width = pic->width;
	p.height = pic->height;
	enc_params_rate(&p, ratio);
	kbps = p.kbps;
	qmin = p.qmin;
	if (*encp != NULL && codec == vs->ask_codec && i444 == vs->ask_i444 &&
	    keyint == vs->ask_keyint) {
		if (kbps == vs->kbps && qmin == vs->qmin)
			return 0;
		if (vstream_retarget(vs, *encp, kbps, qmin) == 0)
			return 0;
		/* It cannot: a reopen (and a key frame) only past 15 %. */
		if (abs(kbps - vs->kbps) * 100 <= vs->kbps * 15)
			return 0;
	}
	enc_close(*encp);
	*encp = NULL;
	vs->ask_codec = codec;
	vs->ask_i444 = i444;
	vs->ask_keyint = keyint;
	p.codec = codec;
	p.fps = fps;
	p.i444 = i444;
	p.keyint = keyint;
	if ((*encp = vspare_take(vs->sv, &p)) != NULL) {
		/* It fits within 15 %; exactly, if it can. */
		(void)enc_retarget(*encp, kbps, qmin);
		r = 0;
		log_debug("display %d: the warm encoder", vs->display);
	} else if ((r = enc_open(&p, encp)) != 0 && p.i444) {
		log_warn_r(r, "display %d: 4:4:4 %s encoder", vs->display,
		    enc_name(codec));
		p.i444 = 0;
		r = enc_open(&p, encp);
	}
	if (r != 0 && codec != ENC_CODEC_VP9) {
		log_warn_r(r, "display %d: %s encoder", vs->display,
		    enc_name(codec));
		p.codec = codec = ENC_CODEC_VP9;
		r = enc_open(&p, encp);
	}
	if (r != 0) {
		log_error_r(r, "display %d: vp9 encoder", vs->display);
		return -1;
	}
	log_info("display %d: %s%s (%s) %dx%d %d kbit/s", vs->display,
	    enc_name(codec), p.i444 ? " 4:4:4" : "", enc_backend(*encp),
	    p.width, p.height, kbps);
	pthread_mutex_lock(&vs->sv->mu);
	vs->kbps = kbps;
	vs->qmin = qmin;
	vs->cur_codec = codec;
	vs->cur_i444 = p.i444;
	pthread_mutex_unlock(&vs->sv->mu);
	return 1;
}

/*
 * What a worker keeps on its own thread between rounds. The settings at
 * the end are the loop's, copied under sv->mu at the start of each round.
 */
struct vwork {
	struct vstream		*vs;		/* borrowed */
	struct cap		*cap;		/* owned */
	struct conv		*cv;		/* owned */
	struct enc		*enc;		/* owned; NULL until needed */
	AVFrame			*pic;		/* owned: I420 of the display */
	struct cap_display	 geom;		/* the display's geometry */
	struct cap_rect		 area;		/* the same, as a rectangle */
	struct vpkts		 vp;		/* packets of the picture */
	struct enc_rect		 drect[VSTREAM_DIRTY_MAX];
	int			 ndrect;	/* -1: too many to list */
	uint8_t			*old;		/* owned: vwork_narrow's pixels */
	size_t			 old_size;
	uint64_t		 t0;		/* us: pts 0 */
	struct vpace		 pace;		/* when the next grab may come */
	uint64_t		 enc_at;	/* us: the last encode */
	int			 trimmed;	/* idle: encoder trimmed since */
	int			 fresh;		/* the encoder's first picture */
	int			 dirty;		/* damage seen since the grab */
	int			 full;		/* grab the whole display */
	int			 key;		/* encode a key frame next */
	int			 broken;	/* cannot capture: idle */
	int			 did_x;		/* grabbed: look at X again */
	int			 codec;
	int			 i444;
	int			 keyint;
	double			 ratio;
	int			 fps;
	int			 inflight;
};

/* The worker's area follows its display's geometry. */
static void
vwork_area(struct vwork *w)
{
	w->area.x = w->geom.x;
	w->area.y = w->geom.y;
	w->area.w = w->geom.width;
	w->area.h = w->geom.height;
}

/*
 * Converts the part of rectangle *r (root coordinates) that the grab img
 * holds into the picture.
 */
static void
vwork_convert(struct vwork *w, const struct cap_image *img,
    const struct cap_rect *r)
{
	const struct cap_rect *area = &w->area;
	struct cap_rect pr, ch, in;
	const uint8_t *src;

	/* Clip to the grab, then to the even-sized picture. */
	pr.x = area->x;
	pr.y = area->y;
	pr.w = w->pic->width;
	pr.h = w->pic->height;
	if (!cap_rect_clip(r, &img->r, &in) || !cap_rect_clip(&in, &pr, &ch))
		return;
	src = img->data + (size_t)(ch.y - img->r.y) * img->stride +
	    (size_t)(ch.x - img->r.x) * 4;
	if (w->pic->format == AV_PIX_FMT_YUV444P)
		conv_bgrx_i444(w->cv, src, img->stride, ch.w, ch.h, w->pic,
		    ch.x - area->x, ch.y - area->y);
	else
		conv_bgrx_i420(w->cv, src, img->stride, ch.w, ch.h, w->pic,
		    ch.x - area->x, ch.y - area->y);
}

/* Appends rectangle *r (root coordinates), clipped to the picture, to the
 * rectangles told the encoder. */
static void
vwork_dirty(struct vwork *w, const struct cap_rect *r)
{
	struct cap_rect pr, ch;

	pr.x = w->area.x;
	pr.y = w->area.y;
	pr.w = w->pic->width;
	pr.h = w->pic->height;
	if (!cap_rect_clip(r, &pr, &ch))
		return;
	if (w->ndrect >= 0 && w->ndrect < VSTREAM_DIRTY_MAX) {
		w->drect[w->ndrect].x = ch.x - w->area.x;
		w->drect[w->ndrect].y = ch.y - w->area.y;
		w->drect[w->ndrect].w = ch.w;
		w->drect[w->ndrect].h = ch.h;
		w->ndrect++;
	} else
		w->ndrect = -1;	/* too many: say "anything" */
}

/*
 * The 16x16 blocks of the picture that root rectangle *r touches, as a
 * picture rectangle; 0 if it is outside the picture.
 */
static int
vwork_blocks(const struct vwork *w, const struct cap_rect *r,
    struct cap_rect *b)
{
	int x0 = r->x - w->area.x, y0 = r->y - w->area.y;
	int x1 = x0 + r->w, y1 = y0 + r->h;

	x0 = x0 < 0 ? 0 : x0 & ~15;
	y0 = y0 < 0 ? 0 : y0 & ~15;
	x1 = (x1 + 15) & ~15;
	y1 = (y1 + 15) & ~15;
	x1 = x1 > w->pic->width ? w->pic->width : x1;
	y1 = y1 > w->pic->height ? w->pic->height : y1;
	b->x = x0;
	b->y = y0;
	b->w = x1 - x0;
	b->h = y1 - y0;
	return b->w > 0 && b->h > 0;
}

/*
 * Copies the pixels of picture rectangle *b (16x16 blocks, even-sized) to
 * buf (save), or compares them with buf and narrows *b to the blocks that
 * differ (w = 0: none). Returns the bytes buf holds for *b.
 */
static size_t
vwork_pixels(const AVFrame *pic, struct cap_rect *b, uint8_t *buf,
    int save)
{
	int p, s, y, bx, by, x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
	size_t off = 0, rowoff, bw;
	const uint8_t *row;

	for (p = 0; p < 3; p++) {
		s = p > 0 && pic->format == AV_PIX_FMT_YUV420P;
		bw = (size_t)(b->w >> s);
		for (y = b->y >> s; y < (b->y + b->h) >> s; y++) {
			row = pic->data[p] + (size_t)y * pic->linesize[p] +
			    (b->x >> s);
			rowoff = off + (size_t)(y - (b->y >> s)) * bw;
			if (save) {
				memcpy(buf + rowoff, row, bw);
				continue;
			}
			by = ((y << s) - b->y) / 16;
			for (bx = 0; bx * 16 < b->w; bx++) {
				if ((bx >= x0 && bx <= x1 && by >= y0 &&
				    by <= y1) || memcmp(row + (bx * 16 >> s),
				    buf + rowoff + (bx * 16 >> s),
				    (size_t)((bx * 16 + 16 > b->w ?
				    b->w - bx * 16 : 16) >> s)) == 0)
					continue;
				x0 = bx < x0 ? bx : x0;
				x1 = bx > x1 ? bx : x1;
				y0 = by < y0 ? by : y0;
				y1 = by > y1 ? by : y1;
			}
		}
		off += bw * (size_t)(b->h >> s);
	}
	if (!save) {
		if (x1 < 0)
			b->w = b->h = 0;
		else {
			b->w = (x1 + 1) * 16 > b->w ? b->w - x0 * 16 :
			    (x1 - x0 + 1) * 16;
			b->h = (y1 + 1) * 16 > b->h ? b->h - y0 * 16 :
			    (y1 - y0 + 1) * 16;
			b->x += x0 * 16;
			b->y += y0 * 16;
		}
	}
	return off;
}

/*
 * Small damage is narrowed to what changed: X reports what a client
 * drew, and clients redraw more than changes (a whole line of text for a
 * character, the same cursor again). Before the conversion the damaged
 * blocks of the picture are kept (save), after it they are compared
 * (!save) and only the blocks that differ are told the encoder; a
 * picture in which none did is not encoded. 1920x1080 typing (a 200x40
 * line redrawn for each character): 410 -> 335 bytes a picture. Returns
 * 0 when the damage is too large to be worth it (nothing done), else 1.
 */
static int
vwork_narrow(struct vwork *w, const struct cap_rect *rects, int n,
    int save, int *changed)
{
	struct cap_rect b;
	size_t need = 0, off = 0;
	int i, bpp2 = w->pic->format == AV_PIX_FMT_YUV420P ? 3 : 6;

	if (save) {
		for (i = 0; i < n; i++)
			if (vwork_blocks(w, &rects[i], &b))
				need += (size_t)b.w * b.h * bpp2 / 2;
		if (need * VWORK_NARROW_DIV > (size_t)w->pic->width *
		    w->pic->height * bpp2 / 2)
			return 0;
		if (need > w->old_size) {
			free(w->old);
			w->old = xmalloc(need);
			w->old_size = need;
		}
	}
	*changed = 0;
	for (i = 0; i < n; i++) {
		if (!vwork_blocks(w, &rects[i], &b))
			continue;
		off += vwork_pixels(w->pic, &b, w->old + off, save);
		if (save || b.w == 0)
			continue;
		b.x += w->area.x;
		b.y += w->area.y;
		vwork_dirty(w, &b);
		*changed = 1;
	}
	return 1;
}

/*
 * Grabs the damaged parts of the area into the picture (everything with
 * w->full); 1 if anything changed. The rectangles converted (picture
 * coordinates) are appended to w->drect.
 *
 * With Damage the bounding box is grabbed in bands of VWORK_BAND_BYTES:
 * the SHM segment of a whole-screen grab (8 MB at 1920x1080) is resident
 * in this process and in X for as long as whole pictures change (video);
 * a band is 1 MB, for a round trip to X per band.
 */
static int
vwork_capture(struct vwork *w)
{
	struct cap_rect rects[CAP_RECTS_MAX], bb, band, ch;
	const struct cap_rect *area = &w->area;
	struct cap_image img;
	int n, i, r, x0, y0, x1, y1, rows, narrow, changed;

	if ((n = cap_x11.damage(w->cap, area, rects)) < 0)
		return n;
	if (w->full) {
		rects[0] = *area;
		n = 1;
	}
	if (n == 0)
		return 0;
	x0 = y0 = 1 << 30;
	x1 = y1 = -(1 << 30);
	for (i = 0; i < n; i++) {
		x0 = rects[i].x < x0 ? rects[i].x : x0;
		y0 = rects[i].y < y0 ? rects[i].y : y0;
		if (rects[i].x + rects[i].w > x1)
			x1 = rects[i].x + rects[i].w;
		if (rects[i].y + rects[i].h > y1)
			y1 = rects[i].y + rects[i].h;
	}
	bb.x = x0;
	bb.y = y0;
	bb.w = x1 - x0;
	bb.h = y1 - y0;
	if (!cap_x11.has_damage(w->cap)) {
		/* Compare whole grabs: one grab, narrowed to what differs. */
		if ((r = cap_x11.grab(w->cap, area, &img, &ch)) != 0)
			return r;
		stat_add(&w->vs->sv->st.grabs, 1);
		if (ch.h == 0 && !w->full)
			return 0;
		rects[0] = w->full ? *area : ch;
		vwork_convert(w, &img, &rects[0]);
		vwork_dirty(w, &rects[0]);
		return 1;
	}
	if (bb.w <= 0 || bb.h <= 0)
		return 0;
	narrow = !w->full && vwork_narrow(w, rects, n, 1, &changed);
	/* Even rows, so that bands keep 4:2:0's row pairs. */
	rows = (VWORK_BAND_BYTES / (bb.w * 4)) & ~1;
	rows = rows < 2 ? 2 : rows;
	band = bb;
	for (band.y = bb.y; band.y < bb.y + bb.h; band.y += rows) {
		band.h = bb.y + bb.h - band.y < rows ? bb.y + bb.h - band.y :
		    rows;
		if ((r = cap_x11.grab(w->cap, &band, &img, &ch)) != 0) {
			/* Bands before this one may be in the picture: the
			 * next picture's encoder must look at all of it. */
			for (i = 0; i < n; i++)
				vwork_dirty(w, &rects[i]);
			return r;
		}
		for (i = 0; i < n; i++)
			vwork_convert(w, &img, &rects[i]);
	}
	stat_add(&w->vs->sv->st.grabs, 1);	/* one a picture */
	if (narrow) {
		vwork_narrow(w, rects, n, 0, &changed);
		return changed;
	}
	for (i = 0; i < n; i++)
		vwork_dirty(w, &rects[i]);
	return 1;
}

/* Opens the worker's X connection and picture; broken if it cannot. */
static void
vwork_open(struct vwork *w, struct vstream *vs)
{
	struct svc_video *sv = vs->sv;
	int r;

	memset(w, 0, sizeof *w);
	w->vs = vs;
	w->dirty = w->full = w->key = 1;
	w->cv = conv_new(CONV_LIBYUV);
	w->t0 = mono_us();
	if ((r = cap_x11.open(sv->x_display, sv->cap_flags, &w->cap)) != 0 ||
	    !vstream_geometry(w->cap, vs->display, &w->geom) ||
	    (w->pic = vstream_picture(&w->geom, 0)) == NULL) {
		log_error_r(r, "display %d: cannot capture", vs->display);
		w->broken = 1;
	} else
		vwork_area(w);
}

/* Frees what vwork_open and the rounds made. */
static void
vwork_close(struct vwork *w)
{
	enc_close(w->enc);
	av_frame_free(&w->pic);
	conv_free(w->cv);
	free(w->old);
	cap_x11.close(w->cap);
}

/*
 * The display changed geometry: a new picture and encoder, and a
 * SwitchDisplay posted before any frame of the new size (same queue, in
 * order).
 */
static void
vwork_resize(struct vwork *w, const struct cap_display *g)
{
	struct vstream *vs = w->vs;
	struct vitem *it;
	AVFrame *np;

	if ((np = vstream_picture(g, w->pic->format == AV_PIX_FMT_YUV444P))
	    == NULL)
		return;
	log_info("display %d: now %dx%d+%d+%d", vs->display, g->width,
	    g->height, g->x, g->y);
	av_frame_free(&w->pic);
	w->pic = np;
	w->geom = *g;
	vwork_area(w);
	enc_close(w->enc);
	w->enc = NULL;
	it = xcalloc(1, sizeof *it);
	it->kind = VITEM_SWITCH;
	it->geom = w->geom;
	it->b = pack_switch(vs->display, &w->geom);
	vstream_post(vs, it);
	w->full = w->key = w->dirty = 1;
}

/* Reads X events: damage, a lost connection, a resized or gone display. */
static void
vwork_events(struct vwork *w)
{
	struct cap_display g;
	int ev, display = w->vs->display;

	ev = w->broken ? 0 : cap_x11.poll(w->cap);
	if (ev < 0) {
		log_error("display %d: X connection lost", display);
		w->broken = 1;
		ev = 0;
	}
	if ((ev & CAP_EV_LAYOUT) && !vstream_geometry(w->cap, display, &g)) {
		/* Unplugged: idle until the loop stops us (it sends a new
		 * PeerInfo through displays_changed). */
		log_info("display %d: gone", display);
		w->broken = 1;
		ev = 0;
	}
	if ((ev & CAP_EV_LAYOUT) && (g.x != w->geom.x || g.y != w->geom.y ||
	    g.width != w->geom.width || g.height != w->geom.height))
		vwork_resize(w, &g);
	if (ev & CAP_EV_DAMAGE)
		w->dirty = 1;
}

/* Takes the loop's settings and key request; 1 if the worker must stop. */
static int
vwork_settings(struct vwork *w)
{
	struct vstream *vs = w->vs;
	int stop;

	pthread_mutex_lock(&vs->sv->mu);
	stop = vs->stop;
	if (vs->key_req) {
		w->key = 1;
		vs->key_req = 0;
	}
	w->codec = vs->codec;
	w->i444 = vs->i444;
	w->keyint = vs->keyint;
	w->ratio = vs->ratio;
	w->fps = vs->fps;
	w->inflight = vs->inflight;
	/*
	 * Another codec, chroma or key-frame interval: reopen now, even on
	 * a still screen (a recorder starts at the key frame it brings).
	 */
	if (w->enc != NULL && (w->codec != vs->ask_codec ||
	    w->i444 != vs->ask_i444 || w->keyint != vs->ask_keyint))
		w->key = 1;
	pthread_mutex_unlock(&vs->sv->mu);
	return stop;
}

/* Something to send: damage, a key frame or a whole-display grab. */
static int
vwork_wanted(const struct vwork *w)
{
	return w->dirty || w->key || w->full;
}

/*
 * The encoder was reopened: if its chroma is not the picture's, a new
 * picture in its format, grabbed whole. 0, or ERR_NOMEM.
 */
static int
vwork_chroma(struct vwork *w)
{
	int i444 = w->vs->cur_i444;	/* this thread writes it */
	AVFrame *np;

	if (i444 == (w->pic->format == AV_PIX_FMT_YUV444P))
		return 0;
	if ((np = vstream_picture(&w->geom, i444)) == NULL)
		return ERR_NOMEM;
	av_frame_free(&w->pic);
	w->pic = np;
	w->full = 1;
	w->ndrect = -1;
	return 0;
}

/*
 * Capture step: (re)opens the encoder as the settings ask, grabs and
 * converts into the picture, and sets when the next grab is due. Returns 1
 * if the picture changed, 0 if not, -1 if the worker broke.
 */
static int
vwork_grab(struct vwork *w, uint64_t now)
{
	int r, changed;

	if ((r = vstream_encoder(w->vs, &w->enc, w->pic, w->codec, w->i444,
	    w->keyint, w->ratio, w->fps)) < 0 ||
	    (r == 1 && vwork_chroma(w) != 0)) {
		w->broken = 1;
		return -1;
	}
	if (r == 1)
		w->key = w->fresh = 1;
	if (av_frame_make_writable(w->pic) < 0) {
		w->broken = 1;
		return -1;
	}
	if ((changed = vwork_capture(w)) < 0) {
		log_warn_r(changed, "display %d: grab", w->vs->display);
		changed = 0;
	}
	w->dirty = 0;
	w->full = 0;
	w->did_x = 1;
	vpace_grab(&w->pace, now, w->fps);
	return changed;
}

/* Post step: packs the picture's packets once and queues the frame. */
static void
vwork_post(struct vwork *w)
{
	struct vstream *vs = w->vs;
	struct vitem *it;

	stat_add(&vs->sv->st.frames, 1);
	stat_add(&vs->sv->st.bytes, w->vp.bytes);
	it = xcalloc(1, sizeof *it);
	it->kind = VITEM_FRAME;
	it->key = w->vp.key;
	it->b = vpkts_pack(&w->vp, vs->cur_codec, vs->display);
	vstream_post(vs, it);
}

/* Encode step: encodes the picture and posts what the encoder gave. */
static void
vwork_encode(struct vwork *w, uint64_t now)
{
	struct svc_video *sv = w->vs->sv;
	struct enc_input in;
	int r;

	in.pic = w->pic;
	in.pts_ms = (int64_t)((now - w->t0) / 1000);
	in.key = w->key;
	in.dirty = w->drect;
	in.ndirty = w->ndrect;
	r = enc_encode(w->enc, &in, vpkts_cb, &w->vp);
	stat_add(&sv->st.encodes, 1);
	if (w->vp.key)
		stat_add(&sv->st.keys, 1);
	if (r == 0 && w->vp.n > 0)
		vwork_post(w);
	else
		vpkts_clear(&w->vp);
	w->vp.key = 0;
	w->vp.bytes = 0;
	/* After a failure the encoder's last picture is unknown: start
	 * again from a key frame. */
	w->key = r != 0;
	w->ndrect = 0;
	/* An encoder's first picture is out: what it allocated for the
	 * worst case goes back now, not before (vpx_mem.c). */
	if (w->fresh && r == 0) {
		enc_trim(w->enc);
		w->fresh = 0;
	}
	w->enc_at = mono_us();	/* a first picture may take a second */
	w->trimmed = 0;
}

/*
 * A still screen: once no picture was encoded for VSTREAM_TRIM_US, the
 * encoder and the heap give back what they can (libvpx's token buffer is
 * dead between pictures; freed memory of this thread's arena).
 */
static void
vwork_trim(struct vwork *w, uint64_t now)
{
	if (w->trimmed || w->enc == NULL || now < w->enc_at + VSTREAM_TRIM_US)
		return;
	enc_trim(w->enc);
	if (cap_x11.trim != NULL)
		cap_x11.trim(w->cap);
	free(w->old);
	w->old = NULL;
	w->old_size = 0;
	malloc_trim(0);
	w->trimmed = 1;
}

/* Sleeps until X has news, the loop wakes us, or the next grab is due. */
static void
vwork_sleep(struct vwork *w, uint64_t now)
{
	struct pollfd pfd[2];
	struct timespec ts, *tsp = &ts;
	uint64_t junk, when = UINT64_MAX, us;

	if (!w->broken && vwork_wanted(w))
		when = w->inflight >= VSTREAM_INFLIGHT ? now + 5000 :
		    w->pace.due;
	if (!w->trimmed && w->enc != NULL &&
	    w->enc_at + VSTREAM_TRIM_US < when)
		when = w->enc_at + VSTREAM_TRIM_US;
	if (when == UINT64_MAX)
		tsp = NULL;
	else {
		us = when > now ? when - now : 0;
		ts.tv_sec = (time_t)(us / 1000000);
		ts.tv_nsec = (long)(us % 1000000) * 1000;
	}
	pfd[0].fd = w->vs->wakefd;
	pfd[0].events = POLLIN;
	pfd[1].fd = w->broken ? -1 : cap_x11.fd(w->cap);
	pfd[1].events = POLLIN;
	if (ppoll(pfd, 2, tsp, NULL) > 0 && (pfd[0].revents & POLLIN)) {
		if (read(w->vs->wakefd, &junk, sizeof junk) < 0)
			(void)0;
	}
}

/* Stopping: leaves a VP9 encoder that works for the loop to keep warm. */
static void
vwork_leave(struct vwork *w)
{
	struct vstream *vs = w->vs;

	if (w->enc == NULL || w->broken || vs->cur_codec != ENC_CODEC_VP9 ||
	    vs->cur_i444 || vs->ask_keyint != 0 ||
	    strcmp(enc_backend(w->enc), "libvpx") != 0)
		return;
	memset(&vs->left_p, 0, sizeof vs->left_p);
	vs->left_p.codec = ENC_CODEC_VP9;
	vs->left_p.width = w->pic->width;
	vs->left_p.height = w->pic->height;
	vs->left_p.fps = w->fps;
	vs->left_p.kbps = vs->kbps;
	vs->left_p.qmin = vs->qmin;
	vs->left = w->enc;
	w->enc = NULL;
}

/* The worker: wait for damage or a request, capture, encode, post. */
static void *
vstream_main(void *arg)
{
	struct vwork w;
	uint64_t now;
	int changed;

	vwork_open(&w, arg);
	for (;;) {
		vwork_events(&w);
		if (vwork_settings(&w))
			break;
		now = mono_us();
		if (!w.broken && vwork_wanted(&w) && now >= w.pace.due &&
		    w.inflight < VSTREAM_INFLIGHT) {
			if ((changed = vwork_grab(&w, now)) < 0)
				continue;	/* broken: idle from now on */
			if (changed || w.key)
				vwork_encode(&w, now);
		}
		/* The grab's replies may have queued X events that poll()
		 * would not see: look at them before sleeping. */
		if (w.did_x) {
			w.did_x = 0;
			continue;
		}
		vwork_trim(&w, now);
		vwork_sleep(&w, now);
	}
	vwork_leave(&w);
	vwork_close(&w);
	return NULL;
}

/* ---- main loop ---- */

/* Starts the worker of a display. */
static int
vstream_start(struct svc_video *sv, int display)
{
	struct vstream *vs;
	int r;

	vs = xcalloc(1, sizeof *vs);
	vs->sv = sv;
	vs->display = display;
	vs->gen = ++sv->next_gen;
	vs->codec = sv->codec;
	vs->ratio = sv->ratio;
	vs->fps = sv->fps;
	vs->cur_codec = sv->codec;
	vs->i444 = sv->i444;
	vs->keyint = sv->keyint;
	if ((vs->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		free(vs);
		return ERR_IO;
	}
	if ((r = pthread_create(&vs->th, NULL, vstream_main, vs)) != 0) {
		close(vs->wakefd);
		free(vs);
		return ERR_IO;
	}
	sv->streams[display] = vs;
	sv->st.workers++;
	log_debug("display %d: worker started", display);
	return 0;
}

/* Stops and joins the worker of a display. */
static void
vstream_stop(struct svc_video *sv, int display)
{
	struct vstream *vs = sv->streams[display];

	if (vs == NULL)
		return;
	pthread_mutex_lock(&sv->mu);
	vs->stop = 1;
	pthread_mutex_unlock(&sv->mu);
	vstream_wake(vs);
	pthread_join(vs->th, NULL);
	close(vs->wakefd);
	/* Its encoder may stay warm for the next viewer. */
	vspare_start(sv, vs->left, &vs->left_p);
	free(vs);
	sv->streams[display] = NULL;
	sv->st.workers--;
	/* The encoder's heap (tens of MB) goes back while nobody watches. */
	malloc_trim(0);
	log_debug("display %d: worker stopped", display);
}

/* Asks a display's worker for a key frame. */
static void
vstream_key(struct svc_video *sv, int display)
{
	struct vstream *vs;

	if (display < 0 || display >= CAP_DISPLAYS_MAX ||
	    (vs = sv->streams[display]) == NULL)
		return;
	pthread_mutex_lock(&sv->mu);
	vs->key_req = 1;
	pthread_mutex_unlock(&sv->mu);
	vstream_wake(vs);
}

/* The bitrate ratio a viewer's quality option asks for. */
static double
prefs_ratio(const struct svc_video_prefs *p)
{
	double r;

	switch (p->image_quality) {
	case HBB__IMAGE_QUALITY__Best:
		return 1.5;
	case HBB__IMAGE_QUALITY__Low:
		return 0.5;
	case HBB__IMAGE_QUALITY__Balanced:
		return 0.67;
	default:
		break;
	}
	if (p->custom_image_quality > 0) {
		r = ((p->custom_image_quality >> 8) & 0xfff) * 2 / 100.0;
		return r < 0.2 ? 0.2 : r > 40 ? 40 : r;
	}
	return 0.67;
}

/* 1 if b asks for another image quality than a (fps and codecs aside). */
static int
prefs_quality_moved(const struct svc_video_prefs *a,
    const struct svc_video_prefs *b)
{
	return a->image_quality != b->image_quality ||
	    a->custom_image_quality != b->custom_image_quality;
}

/* The fps cap every viewer allows (smallest custom_fps, default 30). */
static int
qos_highest(const struct svc_video *sv)
{
	const struct vuser *u;
	int hi = QOS_FPS_DEFAULT, have = 0;

	SVC_SUBS_FOREACH(u, &sv->users) {
		int f = u->prefs.custom_fps;

		if (f >= 1 && f <= QOS_FPS_MAX && (!have || f < hi)) {
			hi = f;
			have = 1;
		}
	}
	return hi;
}

/* Recomputes codec, fps and ratio and hands them to the workers. */
static void
vpolicy_push(struct svc_video *sv)
{
	struct enc_caps caps[64];
	const struct vuser *u;
	size_t n = 0;
	int fps = 0, hi, d, codec, i444, keyint = 0;
	uint64_t now = mono_ms();

	hi = sv->fps_hi = qos_highest(sv);
	SVC_SUBS_FOREACH(u, &sv->users) {
		int uf = u->fps > 0 ? u->fps : QOS_FPS_INIT;

		if (n < sizeof caps / sizeof caps[0])
			caps[n++] = u->prefs.caps;
		/* Anyone recording: key frames for its recorder to seek
		 * to (upstream's record(), video_service.rs). */
		if (u->prefs.record)
			keyint = ENC_KEYINT_RECORD;
		if (fps == 0 || uf < fps)
			fps = uf;
		if (now - u->joined < 1000 && fps > QOS_FPS_INIT)
			fps = QOS_FPS_INIT;
	}
	if (fps == 0)
		fps = QOS_FPS_INIT;
	fps = fps < 1 ? 1 : fps > hi ? hi : fps;
	codec = enc_choose(caps, n, enc_supported());
	if (codec != sv->codec)
		log_info("video codec %s for %zu viewer(s)", enc_name(codec),
		    svc_subs_count(&sv->users));
	/* Chroma: only its change reopens the encoders (video_service.rs). */
	i444 = enc_use_i444(caps, n, codec);
	if (i444 != sv->i444)
		log_info("video chroma %s", i444 ? "4:4:4" : "4:2:0");
	sv->fps = fps;
	sv->codec = codec;
	sv->i444 = i444;
	sv->st.fps = fps;
	sv->st.codec = codec;
	sv->st.i444 = i444;
	if (keyint != sv->keyint)
		log_info("video key frames every %d pictures (0: when "
		    "needed only)", keyint);
	sv->keyint = keyint;
	for (d = 0; d < CAP_DISPLAYS_MAX; d++) {
		struct vstream *vs = sv->streams[d];
		int wake;

		if (vs == NULL)
			continue;
		pthread_mutex_lock(&sv->mu);
		wake = vs->codec != codec || vs->i444 != i444 ||
		    vs->keyint != keyint ||
		    vs->ratio != sv->ratio || vs->fps != fps;
		vs->codec = codec;
		vs->i444 = i444;
		vs->keyint = keyint;
		vs->ratio = sv->ratio;
		vs->fps = fps;
		pthread_mutex_unlock(&sv->mu);
		if (wake)
			vstream_wake(vs);
	}
}

/* Drops a user that no display's viewers hold any more (svc_subs_each). */
static void
vreap_user(void *entry, void *arg)
{
	struct vuser *u = entry;
	struct svc_video *sv = arg;
	int d;

	for (d = 0; d < CAP_DISPLAYS_MAX; d++)
		if (svc_subs_find(&sv->viewers[d], u->sub.sink.conn_id) != NULL)
			return;
	svc_subs_del(&sv->users, u->sub.sink.conn_id);
}

/*
 * Drops users without subscriptions and stops idle workers. Not while
 * vout_cb hands out items: it still looks at those workers.
 */
static void
vreap(struct svc_video *sv)
{
	int d;

	if (sv->dispatching)
		return;
	svc_subs_each(&sv->users, vreap_user, sv);
	for (d = 0; d < CAP_DISPLAYS_MAX; d++)
		if (svc_subs_count(&sv->viewers[d]) == 0 &&
		    sv->streams[d] != NULL)
			vstream_stop(sv, d);
	if (svc_subs_count(&sv->users) == 0)
		sv->ratio = sv->ratio_target = 0.67;
}

/* One worker item on its way to a display's viewers. */
struct vwalk {
	struct svc_video	*sv;
	const struct vitem	*it;
};

/* Hands a frame to one viewer if it can take it (svc_subs_each). */
static void
vdispatch_frame_one(void *entry, void *arg)
{
	struct vsub *s = entry;
	struct vwalk *w = arg;
	struct svc_sink *sink = &s->sub.sink;
	size_t bl;

	bl = sink->backlog(sink->ctx, SVC_Q_VIDEO);
	if (bl > SVC_VIDEO_BACKLOG_MAX) {
		/* Too slow: skip to the next key frame it can take. */
		if (!s->need_key)
			log_debug("conn %u: video backlog %zu, "
			    "dropping to next key frame", sink->conn_id, bl);
		s->need_key = 1;
		s->key_asked = 0;
		stat_add(&w->sv->st.drops, 1);
		vtick_arm(w->sv);	/* look for its drain often */
		return;
	}
	if (s->need_key && !w->it->key) {
		stat_add(&w->sv->st.drops, 1);
		return;
	}
	s->need_key = 0;
	sink->send(sink->ctx, w->it->b, SVC_Q_VIDEO);
	stat_add(&w->sv->st.sends, 1);
}

/* Hands a SwitchDisplay to one viewer (svc_subs_each). */
static void
vdispatch_switch_one(void *entry, void *arg)
{
	struct vsub *s = entry;
	struct vwalk *w = arg;

	s->sub.sink.send(s->sub.sink.ctx, w->it->b, SVC_Q_VIDEO);
	w->sv->st.switches++;
}

/* Hands one worker item to every viewer of its display. A send may close
 * its connection, which unsubscribes it: svc_subs_each allows that. */
static void
vdispatch(struct svc_video *sv, const struct vitem *it)
{
	struct vwalk w = { sv, it };
	struct cap_display *d = &sv->disp[it->display];

	if (it->kind == VITEM_FRAME) {
		svc_subs_each(&sv->viewers[it->display], vdispatch_frame_one,
		    &w);
		return;
	}
	d->width = it->geom.width;
	d->height = it->geom.height;
	d->x = it->geom.x;
	d->y = it->geom.y;
	svc_subs_each(&sv->viewers[it->display], vdispatch_switch_one, &w);
}

/* Asks for a key frame for viewers that drained after falling behind. */
static void
vcheck_drained(struct svc_video *sv)
{
	struct vsub *s;
	int d;

	for (d = 0; d < CAP_DISPLAYS_MAX; d++) {
		SVC_SUBS_FOREACH(s, &sv->viewers[d]) {
			if (!s->need_key || s->key_asked)
				continue;
			if (s->sub.sink.backlog(s->sub.sink.ctx, SVC_Q_VIDEO) <=
			    SVC_VIDEO_BACKLOG_RESUME) {
				s->key_asked = 1;
				vstream_key(sv, d);
			}
		}
	}
}

/* Takes the workers' items and hands them out (event_active target). */
static void
vout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_video *sv = arg;
	struct vitem *head, *it, *next;
	struct vstream *vs;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&sv->mu);
	head = sv->qhead;
	sv->qhead = NULL;
	sv->qtail = &sv->qhead;
	for (it = head; it != NULL; it = it->next) {
		vs = sv->streams[it->display];
		if (vs != NULL && vs->gen == it->gen)
			vs->inflight--;
	}
	pthread_mutex_unlock(&sv->mu);
	sv->dispatching++;
	for (it = head; it != NULL; it = next) {
		next = it->next;
		vs = sv->streams[it->display];
		if (vs != NULL && vs->gen == it->gen) {
			/* Wake the worker: it may wait for room. */
			vstream_wake(vs);
			vdispatch(sv, it);
		}
		msgbuf_unref(it->b);
		free(it);
	}
	sv->dispatching--;
	vcheck_drained(sv);
	vreap(sv);
}

/* Re-reads the monitor list; tells the owner when it changed. */
static void
vdisplays_reload(struct svc_video *sv, int notify)
{
	struct cap_display d[CAP_DISPLAYS_MAX];
	int n;

	if (sv->cap == NULL ||
	    (n = cap_x11.displays(sv->cap, d, CAP_DISPLAYS_MAX)) < 1)
		return;
	sv->disp_ms = mono_ms();
	if (n == sv->ndisp && memcmp(d, sv->disp, sizeof d[0] * n) == 0)
		return;
	memcpy(sv->disp, d, sizeof d[0] * n);
	sv->ndisp = n;
	log_info("%d display(s); first %dx%d+%d+%d", n, d[0].width,
	    d[0].height, d[0].x, d[0].y);
	if (notify && sv->displays_changed != NULL)
		sv->displays_changed(sv->arg);
}

/* The X connection of the display list is readable. */
static void
vcap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_video *sv = arg;
	int r;

	(void)fd;
	(void)what;
	if ((r = cap_x11.poll(sv->cap)) < 0) {
		log_error("X display connection lost");
		event_del(sv->ev_cap);
		return;
	}
	if (r & CAP_EV_LAYOUT)
		vdisplays_reload(sv, 1);
}

/* The worst corrected delay among viewers with samples; -1 if none. */
static int
qos_worst(const struct svc_video *sv)
{
	const struct vuser *u;
	int w = -1;

	SVC_SUBS_FOREACH(u, &sv->users)
		if (u->nrtt > 0 && u->avg > w)
			w = u->avg;
	return w;
}

/* Every 3 s: moves the bitrate ratio with the worst delay. */
static void
qos_ratio(struct svc_video *sv)
{
	double r = sv->ratio, f, base, minr;
	int worst, dynamic, w, h;
	uint64_t enc = sv->st.encodes;

	dynamic = enc - sv->enc_at_ratio_t >= 6;
	sv->enc_at_ratio_t = enc;
	if (sv->abr_off) {
		/* No adaptive bitrate: the viewers' quality, as asked. */
		sv->ratio = sv->ratio_target;
		return;
	}
	if ((worst = qos_worst(sv)) < 0)
		return;
	if (worst < 50)
		f = dynamic ? 1.15 : 1;
	else if (worst < 100)
		f = dynamic ? 1.10 : 1;
	else if (worst < 150)
		f = dynamic ? 1.05 : 1;
	else if (worst < 200)
		f = 0.95;
	else if (worst < 300)
		f = 0.90;
	else if (worst < 500)
		f = 0.85;
	else
		f = 0.80;
	w = sv->ndisp > 0 ? sv->disp[0].width : 1920;
	h = sv->ndisp > 0 ? sv->disp[0].height : 1080;
	base = enc_bitrate(w, h, 1.0);
	r *= f;
	if (f > 1 && sv->ratio >= 0.5 && (r - sv->ratio) * base > 150)
		r = sv->ratio + 150 / base;
	if (sv->ratio_target >= 1.5)
		minr = 1000 / base < 0.6 ? 1000 / base : 0.6;
	else if (sv->ratio_target >= 0.67)
		minr = 1000 / base < 0.335 ? 1000 / base : 0.335;
	else
		minr = 0.1;
	if (minr < 0.1)
		minr = 0.1;
	if (r < minr)
		r = minr;
	if (r > sv->ratio_target)
		r = sv->ratio_target;
	sv->ratio = r;
}

/*
 * Arms the periodic work for what is pending: every TICK_MS while a
 * viewer that fell behind may have drained or one joined in the last
 * second (its fps is held at QOS_FPS_INIT), every TICK_SLOW_MS otherwise
 * (the QoS ratio moves every 3 s), and not at all without viewers: an
 * idle server, or a still screen, wakes for nothing.
 */
static void
vtick_arm(struct svc_video *sv)
{
	struct timeval tv;
	struct vuser *u;
	struct vsub *s;
	uint64_t now = mono_ms();
	int d, ms = 0;

	SVC_SUBS_FOREACH(u, &sv->users)
		ms = now - u->joined < 1000 ? TICK_MS : TICK_SLOW_MS;
	for (d = 0; d < CAP_DISPLAYS_MAX && ms != TICK_MS; d++)
		SVC_SUBS_FOREACH(s, &sv->viewers[d])
			if (s->need_key && !s->key_asked)
				ms = TICK_MS;
	if (ms == 0) {
		event_del(sv->ev_tick);
		sv->tick_ms = 0;
		return;
	}
	if (evtimer_pending(sv->ev_tick, NULL) && sv->tick_ms <= ms)
		return;
	tv = mono_tv_ms((uint64_t)ms);
	event_add(sv->ev_tick, &tv);
	sv->tick_ms = ms;
}

/* Periodic work: drained viewers, QoS ratio, policy. */
static void
vtick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct svc_video *sv = arg;
	uint64_t now = mono_ms();

	(void)fd;
	(void)what;
	vcheck_drained(sv);
	if (now - sv->ratio_t >= QOS_RATIO_PERIOD_MS) {
		sv->ratio_t = now;
		qos_ratio(sv);
	}
	vpolicy_push(sv);
	vtick_arm(sv);
}

/* Creates the service. */
int
svc_video_new(struct event_base *base, const struct svc_video_config *cfg,
    struct svc_video **svp)
{
	struct svc_video *sv;
	int r, d;

	*svp = NULL;
	sv = xcalloc(1, sizeof *sv);
	sv->base = base;
	svc_subs_init(&sv->users, sizeof(struct vuser));
	for (d = 0; d < CAP_DISPLAYS_MAX; d++)
		svc_subs_init(&sv->viewers[d], sizeof(struct vsub));
	if (cfg != NULL) {
		if (cfg->x_display != NULL)
			sv->x_display = xstrdup(cfg->x_display);
		sv->cap_flags = cfg->cap_flags;
		sv->displays_changed = cfg->displays_changed;
		sv->arg = cfg->arg;
		sv->warm = (cfg->flags & SVC_VIDEO_CFG_WARM) != 0;
	}
	pthread_mutex_init(&sv->mu, NULL);
	pthread_cond_init(&sv->spare_cv, NULL);
	sv->qtail = &sv->qhead;
	sv->fps = QOS_FPS_INIT;
	sv->fps_hi = QOS_FPS_DEFAULT;
	sv->ratio = sv->ratio_target = 0.67;
	sv->codec = ENC_CODEC_VP9;
	sv->ratio_t = mono_ms();
	if ((r = cap_x11.open(sv->x_display, CAP_F_NOTIFY, &sv->cap)) != 0) {
		svc_video_free(sv);
		return r;
	}
	vdisplays_reload(sv, 0);
	sv->ev_cap = event_new(base, cap_x11.fd(sv->cap), EV_READ | EV_PERSIST,
	    vcap_cb, sv);
	sv->ev_out = event_new(base, -1, 0, vout_cb, sv);
	sv->ev_tick = evtimer_new(base, vtick_cb, sv);
	sv->ev_spare = evtimer_new(base, vspare_age_cb, sv);
	if (sv->ev_cap == NULL || sv->ev_out == NULL || sv->ev_tick == NULL ||
	    sv->ev_spare == NULL) {
		svc_video_free(sv);
		return ERR_NOMEM;
	}
	event_add(sv->ev_cap, NULL);
	vspare_start(sv, NULL, NULL);
	*svp = sv;
	return 0;
}

/* Stops the workers and frees everything. */
void
svc_video_free(struct svc_video *sv)
{
	struct vitem *it, *next;
	int d;

	if (sv == NULL)
		return;
	sv->warm = 0;
	for (d = 0; d < CAP_DISPLAYS_MAX; d++)
		vstream_stop(sv, d);
	if (sv->spare_th_live)
		pthread_join(sv->spare_th, NULL);
	enc_close(sv->spare);
	for (it = sv->qhead; it != NULL; it = next) {
		next = it->next;
		msgbuf_unref(it->b);
		free(it);
	}
	if (sv->ev_cap != NULL)
		event_free(sv->ev_cap);
	if (sv->ev_out != NULL)
		event_free(sv->ev_out);
	if (sv->ev_tick != NULL)
		event_free(sv->ev_tick);
	if (sv->ev_spare != NULL)
		event_free(sv->ev_spare);
	cap_x11.close(sv->cap);
	svc_subs_fini(&sv->users);
	for (d = 0; d < CAP_DISPLAYS_MAX; d++)
		svc_subs_fini(&sv->viewers[d]);
	pthread_cond_destroy(&sv->spare_cv);
	pthread_mutex_destroy(&sv->mu);
	free(sv->x_display);
	free(sv);
}

/* Copies the monitor list. */
int
svc_video_displays(struct svc_video *sv, struct cap_display *d, int max,
    int *primary)
{
	int i, n;

	if (sv->cap == NULL || sv->disp_ms == 0 ||
	    mono_ms() - sv->disp_ms >= DISPLAYS_FRESH_MS)
		vdisplays_reload(sv, 0);
	n = sv->ndisp < max ? sv->ndisp : max;
	*primary = 0;
	for (i = 0; i < n; i++) {
		d[i] = sv->disp[i];
		/* The size frames have (I420 needs even sizes). */
		d[i].width &= ~1;
		d[i].height &= ~1;
		if (sv->disp[i].primary && *primary == 0)
			*primary = i;
	}
	return n;
}

/* Packs a SwitchDisplay of a display's current geometry. */
struct msgbuf *
svc_video_switch_msg(struct svc_video *sv, int display)
{
	if (display < 0 || display >= sv->ndisp)
		return NULL;
	return pack_switch(display, &sv->disp[display]);
}

/* Subscribes a sink to a display. */
int
svc_video_subscribe(struct svc_video *sv, const struct svc_sink *sink,
    int display, const struct svc_video_prefs *prefs, unsigned flags)
{
	struct vuser *u;
	struct vsub *s;
	struct msgbuf *b;
	int r, added;

	if (display < 0 || display >= sv->ndisp ||
	    display >= CAP_DISPLAYS_MAX)
		return ERR_INVAL;
	u = svc_subs_add(&sv->users, sink, &added);
	if (added)
		u->joined = mono_ms();
	if (prefs != NULL) {
		if (added || prefs_quality_moved(&u->prefs, prefs))
			sv->ratio = sv->ratio_target = prefs_ratio(prefs);
		u->prefs = *prefs;
		u->prefs.caps.decode |= ENC_VP9;
	} else if (u->prefs.caps.decode == 0) {
		u->prefs.caps.decode = ENC_VP9;
		u->prefs.caps.prefer = -1;
	}
	s = svc_subs_add(&sv->viewers[display], sink, &added);
	if (!added)
		return 0;
	s->need_key = 1;
	s->key_asked = 1;
	if (flags & SVC_VIDEO_F_ANNOUNCE) {
		b = pack_switch(display, &sv->disp[display]);
		sink->send(sink->ctx, b, SVC_Q_VIDEO);
		msgbuf_unref(b);
		sv->st.switches++;
	}
	vpolicy_push(sv);
	if (sv->streams[display] == NULL) {
		if ((r = vstream_start(sv, display)) != 0) {
			svc_subs_del(&sv->viewers[display], sink->conn_id);
			vreap(sv);
			return r;
		}
	} else
		vstream_key(sv, display);
	vtick_arm(sv);
	log_info("conn %u: video display %d", sink->conn_id, display);
	return 0;
}

/* Unsubscribes a sink from one display or all. */
void
svc_video_unsubscribe(struct svc_video *sv, uint32_t conn_id, int display)
{
	int d;

	for (d = 0; d < CAP_DISPLAYS_MAX; d++)
		if (display < 0 || d == display)
			svc_subs_del(&sv->viewers[d], conn_id);
	vreap(sv);
	vpolicy_push(sv);
	vtick_arm(sv);
}

/* Replaces a sink's prefs. */
void
svc_video_set_prefs(struct svc_video *sv, uint32_t conn_id,
    const struct svc_video_prefs *prefs)
{
	struct vuser *u;
	int d, rec_start, keyint = sv->keyint;

	if ((u = svc_subs_find(&sv->users, conn_id)) == NULL || prefs == NULL)
		return;
	/* Only a quality change resets the ratio QoS moved (video_qos.rs). */
	if (prefs_quality_moved(&u->prefs, prefs))
		sv->ratio = sv->ratio_target = prefs_ratio(prefs);
	rec_start = prefs->record && !u->prefs.record;
	u->prefs = *prefs;
	u->prefs.caps.decode |= ENC_VP9;
	vpolicy_push(sv);
	/*
	 * A recorder starts at a key frame: the reopen for the interval
	 * brings one, but if another viewer records already nothing reopens.
	 */
	if (rec_start && keyint == sv->keyint)
		for (d = 0; d < CAP_DISPLAYS_MAX; d++)
			if (svc_subs_find(&sv->viewers[d], conn_id) != NULL)
				vstream_key(sv, d);
}

/* Requests key frames. */
void
svc_video_refresh(struct svc_video *sv, int display)
{
	int d;

	for (d = 0; d < CAP_DISPLAYS_MAX; d++)
		if (display < 0 || d == display)
			vstream_key(sv, d);
}

/* One round-trip sample: updates the viewer's fps (HOST.md §5.2.3). */
void
svc_video_rtt(struct svc_video *sv, uint32_t conn_id, int ms)
{
	struct vuser *u;
	int i, n, sum, avg, floor_, min60, fps, minf, normal, div, hi;

	if ((u = svc_subs_find(&sv->users, conn_id)) == NULL || ms < 0)
		return;
	u->rtt[u->nrtt % 3] = ms;
	u->last60[u->nrtt % 60] = ms;
	if (u->nrtt == 0 || ms < u->hist_min)
		u->hist_min = ms;
	u->nrtt++;
	n = u->nrtt < 3 ? u->nrtt : 3;
	for (i = sum = 0; i < n; i++)
		sum += u->rtt[i];
	avg = sum / n;
	floor_ = 0;
	if (u->nrtt >= 60) {
		for (i = 0, min60 = u->last60[0]; i < 60; i++)
			if (u->last60[i] < min60)
				min60 = u->last60[i];
		floor_ = (u->hist_min + min60) / 2;
	} else if (u->nrtt >= 10)
		floor_ = u->hist_min;
	avg = avg > floor_ ? avg - floor_ : 0;
	if (sv->ratio >= 1.5) {
		minf = 8;
		normal = 16;
	} else if (sv->ratio >= 0.67) {
		minf = 10;
		normal = 20;
	} else {
		minf = 12;
		normal = 24;
	}
	fps = sv->fps;
	u->streak50 = avg < 50 ? u->streak50 + 1 : 0;
	if (avg < 50) {
		if (u->streak50 >= 3)
			fps += 5;
		else if (fps < normal)
			fps++;
	} else if (avg < 100) {
		if (fps < normal && avg < u->last_avg)
			fps++;
	} else if (avg < 150) {
		if (fps < minf)
			fps = minf;
	} else {
		div = fps * 150 / avg;
		if (avg < 200)
			fps = div > minf ? div : minf;
		else if (avg < 300)
			fps = div < minf ? div : minf;
		else if (avg < 600)
			fps = 150 * minf / avg;
		else
			fps = 150 * minf / avg < div ? 150 * minf / avg : div;
	}
	u->streak150 = avg < 150 ? u->streak150 + 1 : 0;
	if (u->streak150 >= 3 && avg >= 50)
		fps++;
	/* Every change of prefs pushed: fps_hi is current. A sample that
	 * moves nothing pushes nothing (once a second per viewer, each push
	 * a walk over all viewers). */
	hi = sv->fps_hi;
	fps = fps < 1 ? 1 : fps > hi ? hi : fps;
	u->last_avg = avg;
	u->avg = avg;
	if (fps == u->fps && mono_ms() - u->joined > 2000)
		return;
	u->fps = fps;
	vpolicy_push(sv);
}

/* Current target bitrate. */
int
svc_video_target_kbps(struct svc_video *sv)
{
	int w = sv->ndisp > 0 ? sv->disp[0].width : 1920;
	int h = sv->ndisp > 0 ? sv->disp[0].height : 1080;

	return enc_bitrate(w, h, sv->ratio);
}

/* Adaptive bitrate on or off (option enable-abr). */
void
svc_video_set_abr(struct svc_video *sv, int on)
{
	sv->abr_off = !on;
	if (sv->abr_off)
		sv->ratio = sv->ratio_target;
}

/* Copies the counters. */
void
svc_video_stats(struct svc_video *sv, struct svc_video_stats *out)
{
	out->grabs = __atomic_load_n(&sv->st.grabs, __ATOMIC_RELAXED);
	out->encodes = __atomic_load_n(&sv->st.encodes, __ATOMIC_RELAXED);
	out->keys = __atomic_load_n(&sv->st.keys, __ATOMIC_RELAXED);
	out->frames = __atomic_load_n(&sv->st.frames, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&sv->st.bytes, __ATOMIC_RELAXED);
	out->sends = sv->st.sends;
	out->drops = sv->st.drops;
	out->switches = sv->st.switches;
	out->workers = sv->st.workers;
	out->fps = sv->fps;
	out->codec = sv->codec;
	out->i444 = sv->i444;
	out->keyint = sv->keyint;
	out->kbps = svc_video_target_kbps(sv);
}

/* ---- switching display servers (the desktop session changed) ---- */

/* Moves the viewers of displays the new server lacks to the primary one. */
static void
vmove_viewers(struct svc_video *sv, int primary)
{
	struct svc_sink sink;
	struct vsub *s;
	int d;

	for (d = sv->ndisp; d < CAP_DISPLAYS_MAX; d++) {
		while ((s = svc_subs_next(&sv->viewers[d], NULL)) != NULL) {
			sink = s->sub.sink;
			svc_subs_del(&sv->viewers[d], sink.conn_id);
			s = svc_subs_add(&sv->viewers[primary], &sink, NULL);
			s->need_key = s->key_asked = 1;
		}
	}
}

/* Announces a display's geometry to its viewers and starts its worker. */
static void
vrestart(struct svc_video *sv, int display)
{
	struct vitem it;
	struct vwalk w = { sv, &it };
	struct vsub *s;

	memset(&it, 0, sizeof it);
	it.kind = VITEM_SWITCH;
	it.b = pack_switch(display, &sv->disp[display]);
	SVC_SUBS_FOREACH(s, &sv->viewers[display])
		s->need_key = s->key_asked = 1;
	svc_subs_each(&sv->viewers[display], vdispatch_switch_one, &w);
	msgbuf_unref(it.b);
	if (svc_subs_count(&sv->viewers[display]) > 0 &&
	    vstream_start(sv, display) != 0)
		log_error("display %d: cannot start capture", display);
}

/* Moves the service to another X display (NULL: none). */
int
svc_video_set_x_display(struct svc_video *sv, const char *display)
{
	struct cap_display d[1];
	int i, primary, r = 0;

	for (i = 0; i < CAP_DISPLAYS_MAX; i++)
		vstream_stop(sv, i);
	if (sv->ev_cap != NULL)
		event_free(sv->ev_cap);
	sv->ev_cap = NULL;
	cap_x11.close(sv->cap);
	sv->cap = NULL;
	free(sv->x_display);
	sv->x_display = display != NULL ? xstrdup(display) : NULL;
	sv->ndisp = 0;
	sv->disp_ms = 0;
	if (display != NULL && (r = cap_x11.open(sv->x_display,
	    CAP_F_NOTIFY, &sv->cap)) == 0) {
		sv->ev_cap = event_new(sv->base, cap_x11.fd(sv->cap),
		    EV_READ | EV_PERSIST, vcap_cb, sv);
		event_add(sv->ev_cap, NULL);
	} else if (display != NULL)
		log_warn_r(r, "video: cannot open display %s", display);
	vdisplays_reload(sv, 1);
	log_info("video: now on %s (%d display(s))", sv->cap != NULL ?
	    display : "no display", sv->ndisp);
	if (sv->ndisp == 0)
		return r != 0 ? r : display != NULL ? ERR_NOTFOUND : 0;
	svc_video_displays(sv, d, 1, &primary);
	vmove_viewers(sv, primary);
	for (i = 0; i < sv->ndisp; i++)
		vrestart(sv, i);
	vpolicy_push(sv);
	return 0;
}
