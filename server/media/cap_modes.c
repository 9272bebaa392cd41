/*
 * cap_modes.c: a display's sizes as protobuf messages (cap_modes.h).
 */
#include "server/media/cap_modes.h"

/* A monitor's sizes as protobuf messages. */
void
cap_modes_pb(const struct cap_display *d, struct cap_modes_pb *out)
{
	int i;

	hbb__supported_resolutions__init(&out->sr);
	hbb__resolution__init(&out->orig);
	out->orig.width = d->orig_w;
	out->orig.height = d->orig_h;
	for (i = 0; i < d->nmodes && i < CAP_MODES_MAX; i++) {
		hbb__resolution__init(&out->r[i]);
		out->r[i].width = d->modes[i].w;
		out->r[i].height = d->modes[i].h;
		out->p[i] = &out->r[i];
	}
	out->sr.resolutions = out->p;
	out->sr.n_resolutions = (size_t)i;
}
