/*
 * cap_modes.h: a display's sizes (struct cap_display's modes and its
 * original size, whichever platform listed them) as the protobuf messages
 * PeerInfo, DisplayInfo and SwitchDisplay carry (HOST.md §5.12).
 */
#ifndef CDESK_CAP_MODES_H
#define CDESK_CAP_MODES_H

#include "message.pb-c.h"
#include "server/media/cap.h"

/* A monitor's sizes as protobuf messages, pointing into itself. */
struct cap_modes_pb {
	Hbb__SupportedResolutions	 sr;
	Hbb__Resolution			 orig;
	Hbb__Resolution			 r[CAP_MODES_MAX];
	Hbb__Resolution			*p[CAP_MODES_MAX];
};

/* Fills out from d (for PeerInfo, DisplayInfo and SwitchDisplay). */
void	cap_modes_pb(const struct cap_display *d, struct cap_modes_pb *out);

#endif
