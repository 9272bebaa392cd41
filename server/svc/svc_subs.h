/*
 * svc_subs.h: the subscriber set every service keeps (video per display,
 * audio, clipboard, cursor). Entries are keyed by the subscriber's conn_id,
 * so every service unsubscribes the same way. A service's own entry type
 * starts with a struct svc_sub and adds what it tracks per subscriber:
 *
 *	struct audio_sub { struct svc_sub sub; int muted; };
 *	svc_subs_init(&a->subs, sizeof(struct audio_sub));
 *
 * Main loop only, like the sinks themselves.
 */
#ifndef CDESK_SVC_SUBS_H
#define CDESK_SVC_SUBS_H

#include <stddef.h>
#include <stdint.h>

#include "server/svc/svc.h"

/* The head of every entry. */
struct svc_sub {
	struct svc_sink	 sink;		/* copied; ctx borrowed */
	int		 dead;		/* removed during a walk; skipped */
};

struct svc_subs {
	unsigned char	*v;		/* owned: n entries of size bytes */
	size_t		 size;		/* bytes per entry */
	size_t		 n, cap;
	int		 walking;	/* svc_subs_each depth */
	int		 ndead;		/* entries waiting for the walk's end */
};

/* Callback of svc_subs_each; entry is the service's own type. */
typedef void	svc_subs_fn(void *entry, void *arg);

/* Sets up an empty set of entries of size bytes (at least a svc_sub). */
void	svc_subs_init(struct svc_subs *, size_t size);
/* Frees the entries (not what they point to); the set is empty after. */
void	svc_subs_fini(struct svc_subs *);
/*
 * The entry of sink->conn_id with its sink replaced, or a new zeroed entry
 * holding a copy of sink; *added says which (may be NULL). The pointer is
 * borrowed until the next svc_subs_add or the end of a walk. Never NULL
 * (aborts on OOM). Not allowed during svc_subs_each.
 */
void	*svc_subs_add(struct svc_subs *, const struct svc_sink *sink,
	    int *added);
/* The live entry of conn_id, or NULL. Borrowed as for svc_subs_add. */
void	*svc_subs_find(const struct svc_subs *, uint32_t conn_id);
/*
 * Removes conn_id's entry; returns 1 if there was one, else 0. During a
 * walk the entry is only marked dead (the walk skips it) and leaves the
 * array when the outermost walk ends.
 */
int	 svc_subs_del(struct svc_subs *, uint32_t conn_id);
/* Number of live entries. */
size_t	 svc_subs_count(const struct svc_subs *);
/*
 * Calls fn for every live entry in conn_id order. fn may remove any entry
 * (itself included, e.g. a send that closes the connection) but not add
 * one.
 */
void	 svc_subs_each(struct svc_subs *, svc_subs_fn *fn, void *arg);
/*
 * The live entry after prev (NULL: the first), or NULL after the last; for
 * SVC_SUBS_FOREACH. Such a loop must neither add nor remove entries (use
 * svc_subs_each when a call in it may unsubscribe); it may run inside a
 * walk.
 */
void	*svc_subs_next(const struct svc_subs *, const void *prev);

/* Loops e (a pointer to the service's entry type) over the live entries. */
#define SVC_SUBS_FOREACH(e, s)						\
	for ((e) = svc_subs_next((s), NULL); (e) != NULL;		\
	    (e) = svc_subs_next((s), (e)))

#endif
