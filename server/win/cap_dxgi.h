/*
 * cap_dxgi.h: DXGI Desktop Duplication for cap_win.c: the frames of the
 * monitor holding a rectangle, copied to memory. cap_win.c falls back to
 * GDI when this is unavailable (no Direct3D 11 device, a remote or basic
 * display, wine) or breaks.
 */
#ifndef CDESK_CAP_DXGI_H
#define CDESK_CAP_DXGI_H

#include <stdint.h>

#include "server/media/cap.h"

struct dxgi;

/* A duplication of the monitor holding r (virtual desktop coordinates),
 * or NULL (logged once per reason) when there is none to be had. */
struct dxgi	*dxgi_open(const struct cap_rect *r);
/* Frees; NULL does nothing. */
void		 dxgi_close(struct dxgi *);
/*
 * Copies r (inside the monitor dxgi_open chose) of the newest frame into
 * dst (BGRX, stride bytes a row), waiting for none: without a new frame
 * it copies the last one. Returns 0, or a negative ERR_* after which the
 * duplication is useless (access lost, another rectangle's monitor).
 */
int		 dxgi_grab(struct dxgi *, const struct cap_rect *r,
		    uint8_t *dst, int stride);

#endif
