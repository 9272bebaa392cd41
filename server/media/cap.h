/*
 * cap.h: screen capture behind a table of function pointers. The X11
 * backend (cap_x11.c) lists monitors with RandR, learns what changed from X
 * Damage (or, without Damage, by comparing grabs) and grabs with MIT-SHM.
 * Wayland (PipeWire portal) and Windows (DXGI) would be further tables.
 *
 * A struct cap is used by one thread at a time: every capture worker opens
 * its own (its own X connection), and the main loop keeps one for the
 * display list and hot-plug notices.
 */
#ifndef CDESK_CAP_H
#define CDESK_CAP_H

#include <stddef.h>
#include <stdint.h>

#define CAP_DISPLAYS_MAX	16
#define CAP_NAME_MAX		64
/* Damage rectangles kept apart before they are merged into one. */
#define CAP_RECTS_MAX		32
/* Distinct mode sizes kept per monitor (PeerInfo's resolutions). */
#define CAP_MODES_MAX		32

/* A mode's size. */
struct cap_mode {
	int	 w, h;
};

/* One monitor, in root-window (virtual desktop) coordinates. */
struct cap_display {
	int	 x, y;
	int	 width, height;
	char	 name[CAP_NAME_MAX];	/* RandR output name, e.g. "screen" */
	int	 online;
	int	 primary;
	/* Its output's RandR modes, distinct sizes in the output's order,
	 * and its size before a peer changed it (x11_randr.h). */
	struct cap_mode	 modes[CAP_MODES_MAX];
	int	 nmodes;
	int	 orig_w, orig_h;
};

struct cap_rect {
	int	 x, y, w, h;
};

/* Bits returned by cap_impl.poll. */
#define CAP_EV_DAMAGE	0x1	/* something was drawn (or may have been) */
#define CAP_EV_LAYOUT	0x2	/* monitors or their geometry changed */

/* A grabbed picture: BGRX, 4 bytes a pixel. Borrowed from the cap until
 * its next grab or close. */
struct cap_image {
	const uint8_t	*data;
	int		 stride;	/* bytes per row */
	struct cap_rect	 r;		/* root coordinates of data[0] */
};

struct cap;

struct cap_impl {
	const char	*name;
	/*
	 * Opens a capture of the display named by `where` (X11: a $DISPLAY
	 * string; NULL means the environment's). flags: CAP_F_*. Returns 0
	 * and *cp (free with close), or a negative ERR_*.
	 */
	int	(*open)(const char *where, unsigned flags, struct cap **cp);
	void	(*close)(struct cap *);
	/* Fills up to max monitors (primary first is not implied; see
	 * .primary). Returns the count (>= 1 on success) or a negative ERR_*. */
	int	(*displays)(struct cap *, struct cap_display *, int max);
	/* A descriptor that becomes readable when poll has news, or -1. */
	int	(*fd)(struct cap *);
	/* Reads pending notices without blocking; returns CAP_EV_* bits, or a
	 * negative ERR_* when the display connection is lost. */
	int	(*poll)(struct cap *);
	/*
	 * Takes what was damaged inside `area` since the last call (cleared
	 * by the call): fills up to CAP_RECTS_MAX rectangles, clipped to
	 * area and aligned to even coordinates, and returns their count (0:
	 * nothing changed). Without Damage every call reports all of area,
	 * and grab() then narrows it by comparison (see CAP_F_*).
	 */
	int	(*damage)(struct cap *, const struct cap_rect *area,
		    struct cap_rect *out);
	/*
	 * Grabs `r` (inside the root window) into *img. Without Damage it
	 * also compares with the previous grab of the same rectangle and sets
	 * *changed to the rows that differ (h = 0: identical). With Damage
	 * *changed = r. Returns 0 or a negative ERR_*.
	 */
	int	(*grab)(struct cap *, const struct cap_rect *r,
		    struct cap_image *img, struct cap_rect *changed);
	/* Whether damage() is exact (X Damage present and used). */
	int	(*has_damage)(struct cap *);
	/* Gives back what grabs keep between them (idle); the next grab
	 * makes it again. NULL: nothing is kept (the Windows capture). */
	void	(*trim)(struct cap *);
};

/* cap_impl.open flags. */
#define CAP_F_NODAMAGE	0x1	/* ignore X Damage (tests the fallback) */
#define CAP_F_NOTIFY	0x2	/* listen for layout changes only; no
				   damage tracking, no grabs expected */

extern const struct cap_impl cap_x11;

/* Intersects a and b into *out; returns 0 when they do not overlap. */
int	cap_rect_clip(const struct cap_rect *a, const struct cap_rect *b,
	    struct cap_rect *out);

#endif
