/*
 * vpace.h: when a display's worker may grab its next picture. A generic
 * cell rate algorithm over slots a little shorter than 1/fps (vpace.c
 * says why), so that a change is grabbed at once when the last grab was
 * a slot or more ago, and never more than fps * 16/15 times a second.
 */
#ifndef CDESK_VPACE_H
#define CDESK_VPACE_H

#include <stdint.h>

#define VPACE_SLACK	16	/* a slot is 1/fps less 1/VPACE_SLACK */

/* Zeroed: the first grab may come at once. */
struct vpace {
	uint64_t	tat;	/* us: the theoretical time of the next slot */
	uint64_t	due;	/* us: the earliest next grab */
};

/* A grab at now_us (microseconds, monotonic) at fps: sets the next due. */
void	vpace_grab(struct vpace *, uint64_t now_us, int fps);

#endif
