/*
 * svc_video.h: the video service. One capture+encode worker thread per
 * display that has viewers; every viewer of that display shares its
 * encoder. Each encoded picture is packed once as
 * Message{video_frame{<codec>s{frames}, display}} and handed to every
 * subscribed sink on the main loop (SVC_Q_VIDEO).
 *
 * - Nothing is grabbed or encoded while the screen is still (X Damage).
 * - Key frame: on a new viewer, on svc_video_refresh, after a display
 *   geometry change, after a codec or bitrate change, and for a viewer that
 *   fell behind (see below); while any viewer records, also every
 *   ENC_KEYINT_RECORD pictures (upstream's interval for its recorder),
 *   and when a viewer starts recording (svc_video_prefs.record).
 * - A viewer whose video backlog exceeds SVC_VIDEO_BACKLOG_MAX gets no more
 *   frames until its backlog drops to SVC_VIDEO_BACKLOG_RESUME; then it
 *   (and everyone on that display) gets a key frame. Nobody else waits.
 * - A display whose geometry changes gets Misc{switch_display} on the video
 *   queue of each of its viewers before the first frame of the new size.
 * - The codec is chosen across all sinks with enc_choose(); fps and bitrate
 *   follow OptionMessage and the delay-driven QoS of HOST.md §5.2.3.
 *
 * Threads: every function here is for the main loop thread only. The
 * caller must have called evthread_use_pthreads() before event_base_new().
 */
#ifndef CDESK_SVC_VIDEO_H
#define CDESK_SVC_VIDEO_H

#include <stdint.h>

#include "server/media/cap.h"
#include "server/media/enc.h"
#include "server/svc/svc.h"

struct event_base;
struct svc_video;

#define SVC_VIDEO_BACKLOG_MAX		(512u * 1024)	/* ~1 s at 4 Mbit/s */
#define SVC_VIDEO_BACKLOG_RESUME	(64u * 1024)

/* What one viewer (sink) asked for; the OptionMessage fields as sent. */
struct svc_video_prefs {
	struct enc_caps	 caps;		/* enc_caps_from_proto() */
	int		 image_quality;	/* HBB__IMAGE_QUALITY__*; 0 not set */
	int		 custom_image_quality;	/* field 6: percent << 8 */
	int		 custom_fps;	/* 1..120 caps the rate; else ignored */
	int		 record;	/* Misc.client_record_status on */
};

struct svc_video_config {
	const char	*x_display;	/* NULL: $DISPLAY */
	unsigned	 cap_flags;	/* CAP_F_NODAMAGE for tests */
	/* Called on the main loop when monitors were added, removed or
	 * resized (send a new PeerInfo). May be NULL. */
	void		(*displays_changed)(void *arg);
	void		*arg;
	unsigned	 flags;		/* SVC_VIDEO_CFG_WARM */
};

/*
 * svc_video_config.flags: keep a VP9 encoder for the primary display at
 * the default quality opened in the background (at start and after the
 * last viewer left), so that a login's first picture does not wait for
 * the encoder to open (0.3-2 s at 1080p). It holds about 10 MB.
 */
#define SVC_VIDEO_CFG_WARM	0x1

/* Counters since svc_video_new (for tests and the debug log). */
struct svc_video_stats {
	uint64_t	 grabs;		/* pictures grabbed (one or more bands each) */
	uint64_t	 encodes;	/* pictures encoded */
	uint64_t	 keys;		/* of them key frames */
	uint64_t	 frames;	/* VideoFrame msgbufs packed */
	uint64_t	 bytes;		/* their total size */
	uint64_t	 sends;		/* sink->send of a VideoFrame */
	uint64_t	 drops;		/* frames withheld from a slow sink */
	uint64_t	 switches;	/* SwitchDisplay sends */
	int		 workers;	/* capture threads running now */
	int		 fps;		/* current target frame rate */
	int		 kbps;		/* current target bitrate */
	int		 codec;		/* enum enc_codec in use */
	int		 i444;		/* 4:4:4 asked of the encoders */
	int		 keyint;	/* their key-frame interval, 0: none */
};

/* Flags of svc_video_subscribe. */
#define SVC_VIDEO_F_ANNOUNCE	0x1	/* send SwitchDisplay first */

/*
 * A video service on base (borrowed; must outlive it). Opens the X display
 * to list monitors and watch for changes. Returns 0 and *svp (free with
 * svc_video_free), or a negative ERR_*.
 */
int	svc_video_new(struct event_base *base,
	    const struct svc_video_config *cfg, struct svc_video **svp);
/* Stops every worker (joins them) and frees; NULL does nothing. Sinks are
 * never called from here. */
void	svc_video_free(struct svc_video *);
/*
 * Moves the service to another X display (the desktop session changed;
 * display borrowed, NULL: none): stops every worker, lists the monitors
 * there and tells the owner (displays_changed, even when they look the
 * same). Viewers stay: each gets SwitchDisplay with its display's geometry
 * there, then a key frame; viewers of a display the new server lacks move
 * to its primary one. Without a display nothing is captured and no
 * display is listed until the next move. Returns 0, or ERR_* when the
 * display cannot be opened (logged; then as with NULL).
 */
int	svc_video_set_x_display(struct svc_video *, const char *display);

/*
 * Copies the current monitor list (DisplayInfo order) into d (up to max);
 * returns the count and sets *primary to the primary display's index.
 * Sizes are those of the frames (rounded down to even): announce these in
 * PeerInfo.displays.
 */
int	svc_video_displays(struct svc_video *, struct cap_display *d, int max,
	    int *primary);

/*
 * Packs Misc{switch_display} for a display (its current geometry), for the
 * connection's answer to a client's switch_display. Caller unrefs. NULL if
 * the index is out of range.
 */
struct msgbuf	*svc_video_switch_msg(struct svc_video *, int display);

/*
 * Subscribes sink (copied, keyed by its conn_id; ctx borrowed until
 * svc_video_unsubscribe) to a display. prefs is copied; the first
 * subscription of a conn_id sets its prefs, later ones replace them (and
 * its sink). Starts the display's worker if needed; a key frame follows for
 * everybody on that display. Returns 0, or ERR_INVAL (display out of
 * range), or 0 if already subscribed.
 */
int	svc_video_subscribe(struct svc_video *, const struct svc_sink *sink,
	    int display, const struct svc_video_prefs *prefs, unsigned flags);
/* Drops conn_id's subscription to display, or to all with -1. Its sink is
 * not called again for that display. Stops idle workers. */
void	svc_video_unsubscribe(struct svc_video *, uint32_t conn_id,
	    int display);
/* Replaces conn_id's prefs (codec abilities, quality, fps cap). */
void	svc_video_set_prefs(struct svc_video *, uint32_t conn_id,
	    const struct svc_video_prefs *prefs);
/* Asks for a key frame on one display, or all with -1. */
void	svc_video_refresh(struct svc_video *, int display);
/* One TestDelay round trip of conn_id, in ms (drives fps and bitrate). */
void	svc_video_rtt(struct svc_video *, uint32_t conn_id, int ms);
/* Current target bitrate in kbit/s (TestDelay.target_bitrate). */
int	svc_video_target_kbps(struct svc_video *);
/*
 * Adaptive bitrate (option enable-abr, HOST.md §5.2): on, the ratio
 * follows the worst round trip every 3 s; off, it stays at what the
 * viewers' image quality asks for.
 */
void	svc_video_set_abr(struct svc_video *, int on);
void	svc_video_stats(struct svc_video *, struct svc_video_stats *out);

#endif
