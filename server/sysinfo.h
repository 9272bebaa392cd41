/* sysinfo.h: what PeerInfo says about this host. */
#ifndef CDESK_SYSINFO_H
#define CDESK_SYSINFO_H

#include "message.pb-c.h"

struct sysinfo;

/* Reads hostname, desktop user and the encoders that open. Never NULL. */
struct sysinfo	*sysinfo_new(void);
void		 sysinfo_free(struct sysinfo *);
/* The user PeerInfo names from now on (borrowed, copied; NULL: none, as
 * on the login screen). */
void		 sysinfo_set_user(struct sysinfo *, const char *name);
/*
 * Fills pi (an initialised Hbb__PeerInfo) with the host's facts: user,
 * hostname, platform, version, features, encoders. The strings and
 * sub-messages are borrowed from si. Displays are the video service's.
 */
void		 sysinfo_peerinfo(struct sysinfo *, Hbb__PeerInfo *pi);
/* Path of this executable (caller frees). */
char		*sysinfo_self_exe(void);

#endif
