/*
 * vpace.c: pacing of a display's grabs (vpace.h).
 *
 * Each grab takes the next slot after the later of the last slot and
 * now, and may come up to half a slot before it: a late grab does not
 * delay the ones after it, and a change that comes a slot or more after
 * the last grab is grabbed at once (pace by rate, not on a grid).
 *
 * A slot is 1/16 shorter than 1/fps. With slots of exactly 1/fps, a
 * source that changes at fps (a 30 Hz animation, the typing benchmark)
 * locks to whatever phase the slots happen to have: every change waits
 * the same 0-33 ms for its slot for as long as the source runs (13.5 ms
 * in one measured run, 32 ms in another). With shorter slots the grabs
 * catch up with such a source within a few pictures, and from then on
 * each change is grabbed when it comes. The cost is on a screen that
 * changes all the time: fps * 16/15 pictures a second at most.
 */
#include "server/svc/vpace.h"

void
vpace_grab(struct vpace *p, uint64_t now_us, int fps)
{
	uint64_t slot = 1000000 / (uint64_t)(fps > 0 ? fps : 1);

	slot -= slot / VPACE_SLACK;
	p->tat = (p->tat > now_us ? p->tat : now_us) + slot;
	p->due = p->tat - slot / 2;
}
