/* msgbuf.c: shared, reference-counted packed messages. */
#include <stdlib.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "server/bufcache.h"
#include "server/svc/svc.h"

/* Allocate a buffer of len bytes holding one reference. */
struct msgbuf *
msgbuf_new(size_t len)
{
	struct msgbuf *b;

	/* File blocks and key frames: large, and one after another. */
	if ((b = bufcache_malloc(sizeof *b + len)) == NULL)
		fatal("msgbuf: out of memory (%zu bytes)", len);
	b->refs = 1;
	b->len = len;
	return b;
}

/* Pack a Message into a new buffer. */
struct msgbuf *
msgbuf_pack(const Hbb__Message *m)
{
	struct msgbuf *b;

	b = msgbuf_new(hbb__message__get_packed_size(m));
	hbb__message__pack(m, b->data);
	return b;
}

/* Take another reference. */
struct msgbuf *
msgbuf_ref(struct msgbuf *b)
{
	__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return b;
}

/* Drop a reference; the last one frees. */
void
msgbuf_unref(struct msgbuf *b)
{
	if (b == NULL)
		return;
	if (__atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
		bufcache_free(b);
}
