/* sysinfo.h: what PeerInfo says about this host. */
#ifndef CDESK_SYSINFO_H
#define CDESK_SYSINFO_H

#include "message.pb-c.h"

struct sysinfo;

/* Reads hostname, desktop user and the encoders libavcodec can open. Never
 * NULL. */
struct sysinfo	*sysinfo_new(void);
void		 sysinfo_free(struct sysinfo *);
/*
 * Fills pi (an initialised Hbb__PeerInfo) with the host's facts and the
 * displays the X server has now (RandR monitors). Memory hung off pi is
 * owned by si or by the returned allocations list; call sysinfo_peerinfo_free
 * on pi after packing. Returns 0, or ERR_* when no display can be read (pi
 * then has no displays).
 */
int		 sysinfo_peerinfo(struct sysinfo *, Hbb__PeerInfo *pi);
void		 sysinfo_peerinfo_free(Hbb__PeerInfo *pi);
/* "WIDTHxHEIGHT" of each display for the start-up log (caller frees). */
char		*sysinfo_describe(struct sysinfo *);

#endif
