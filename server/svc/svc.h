/*
 * svc.h: what services (video, audio, clipboard, cursor, input, ...) and
 * connections share. A service never includes conn.h: it sees a subscriber
 * only through a struct svc_sink, and hands it reference-counted packed
 * messages that every subscriber shares (each connection then frames and
 * encrypts its own copy).
 *
 * Threads: worker threads may build msgbufs (msgbuf_* is thread-safe), but
 * svc_sink callbacks and every libevent object are main-loop-only. Hand work
 * to the loop with a locked queue plus event_active() (STYLE.md §7).
 */
#ifndef CDESK_SVC_H
#define CDESK_SVC_H

#include <stddef.h>
#include <stdint.h>

#include "message.pb-c.h"

/* An immutable packed hbb.Message payload (unframed, unencrypted). */
struct msgbuf {
	int		 refs;		/* atomic */
	size_t		 len;
	uint8_t		 data[];
};

/* A new buffer of len bytes with one reference; data is writable until it
 * is shared. Never NULL (aborts on OOM). */
struct msgbuf	*msgbuf_new(size_t len);
/* Packs m into a new buffer with one reference. */
struct msgbuf	*msgbuf_pack(const Hbb__Message *m);
/* Adds a reference; returns b. */
struct msgbuf	*msgbuf_ref(struct msgbuf *b);
/* Drops a reference, freeing on the last; NULL does nothing. */
void		 msgbuf_unref(struct msgbuf *b);

/* The two outbound queues of a connection (ARCHITECTURE.md). */
enum svc_queue {
	SVC_Q_CONTROL = 0,	/* written first: everything but video */
	SVC_Q_VIDEO = 1,	/* VideoFrame and SwitchDisplay */
	SVC_Q_AUDIO = 2,	/* control queue, but dropped after 1 s unsent */
};

/* A subscriber as a service sees it. Borrowed: valid from subscribe until
 * the matching unsubscribe. All calls on the main loop thread only. */
struct svc_sink {
	void	*ctx;
	uint32_t conn_id;	/* for log lines: "conn N" */
	/* Queues b (takes a reference of its own; the caller keeps its own). */
	void	(*send)(void *ctx, struct msgbuf *b, enum svc_queue q);
	/* Bytes waiting to be written in queue q. */
	size_t	(*backlog)(void *ctx, enum svc_queue q);
};

#endif
