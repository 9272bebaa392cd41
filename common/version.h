/* version.h: versions cdesk reports. */
#ifndef CDESK_VERSION_H
#define CDESK_VERSION_H

/*
 * The RustDesk feature level cdesk answers for in PeerInfo.version and in
 * rendezvous messages (PROTOCOL.md §14): 1.2.4 means Map-mode keys,
 * capture_displays and refresh_video_display are honoured. Raise it only
 * together with the behaviours the next level gates.
 */
#define CDESK_RUSTDESK_VERSION	"1.2.4"

#endif
