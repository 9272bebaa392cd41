/*
 * awake.h: the wake lock of option keep-awake-during-incoming-sessions
 * (HOST.md §5.11): while it is wanted the host holds a logind inhibitor
 * "idle:sleep" (mode block), so that the machine neither idles nor
 * suspends under a remote session. The call to logind runs on the
 * server's loop without blocking it; the lock is the file descriptor
 * logind hands back, and closing it releases the lock.
 */
#ifndef CDESK_AWAKE_H
#define CDESK_AWAKE_H

struct event_base;
struct awake;

/* A wake lock not held yet; base is borrowed and must outlive it. */
struct awake	*awake_new(struct event_base *base);
/* Releases the lock if held and frees; NULL is fine. */
void		 awake_free(struct awake *);
/*
 * Takes the lock (want 1) or gives it back (want 0). Taking it asks
 * logind on the system bus (DBUS_SYSTEM_BUS_ADDRESS when set); a failure
 * is logged once, and asked again at the next want after a release.
 */
void		 awake_want(struct awake *, int want);
/* 1 while logind's inhibitor is held. */
int		 awake_held(const struct awake *);

#endif
