/* version.h: versions cdesk reports. */
#ifndef CDESK_VERSION_H
#define CDESK_VERSION_H

/*
 * The RustDesk feature level cdesk answers for in PeerInfo.version
 * (PROTOCOL.md §14). Every gate a stock client applies up to it, and what
 * cdesk does for each, is in docs/version-gates.md: Map-mode keys,
 * capture_displays (1.2.4), MultiClipboards (1.3.0), screenshots (1.4.0),
 * relative mouse (1.4.5). Raise it only together with the behaviours the
 * next level gates, and list them there.
 */
#define CDESK_RUSTDESK_VERSION	"1.4.9"

#endif
