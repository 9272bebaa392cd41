/*
 * throttle.h: login failure throttling (PROTOCOL.md §4), per peer address
 * and, for IPv6, per /64, /56 and /48 prefix.
 *
 * As upstream: at most 6 failures in one minute (the 7th is still checked,
 * later tries that minute are refused) and 30 in total; the minute starts
 * at the first failure rather than on the calendar. Unlike upstream,
 * time is the monotonic clock's (seconds; a wall-clock jump frees nobody),
 * an entry expires THROTTLE_EXPIRE_S after its last failure, so a locked
 * address recovers without a restart, and the table is bounded without
 * being flushable: a full table never evicts a locked entry, and the
 * failures it cannot record count in one shared entry that, once over
 * the limit, refuses every address the table does not know.
 */
#ifndef CDESK_THROTTLE_H
#define CDESK_THROTTLE_H

#include <sys/socket.h>

#define THROTTLE_EXPIRE_S	3600	/* password entries: forgotten 1 h after the last failure */
#define THROTTLE_EXPIRE_ID_S	600	/* ID-whitelist entries, as upstream */
#define THROTTLE_MAX_ENTRIES	8192	/* oldest entries are evicted beyond this */

struct throttle;

/* A table whose entries expire expire_s after their last failure. */
struct throttle	*throttle_new(long expire_s);
void		 throttle_free(struct throttle *);
/*
 * Returns NULL when addr may try a password now, else the exact error
 * string to send (static).
 */
const char	*throttle_check(struct throttle *, const struct sockaddr *addr,
		    long now);
/* Records one failure for addr (and its prefixes). */
void		 throttle_fail(struct throttle *, const struct sockaddr *addr,
		    long now);
/* Failures recorded for addr (an IPv6 address: its /64), 0 if none. */
int		 throttle_failures(struct throttle *,
		    const struct sockaddr *addr, long now);
/* Forgets addr (and its prefixes) after a success. */
void		 throttle_clear(struct throttle *, const struct sockaddr *addr);

#endif
