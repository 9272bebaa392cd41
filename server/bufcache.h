/*
 * bufcache.h: large buffers kept for reuse. The server's libevent buffers
 * (event_set_mem_functions) and its message buffers (msgbuf) come from
 * here, so that a stream of file blocks reuses a few buffers instead of a
 * fresh mapping of glibc's for each one.
 */
#ifndef CDESK_BUFCACHE_H
#define CDESK_BUFCACHE_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* As malloc(3): n bytes (caller frees with bufcache_free), or NULL. A
 * large request may get a kept buffer of up to twice its size. */
void	*bufcache_malloc(size_t n);
/* As realloc(3) for a pointer of bufcache_malloc (or NULL). */
void	*bufcache_realloc(void *p, size_t n);
/* As free(3): a large buffer may be kept for the next request (for
 * BUFCACHE_AGE_MS at most, counted at later calls). NULL does nothing. */
void	 bufcache_free(void *p);
/* A protobuf-c allocator on these buffers: the large fields of what it
 * unpacks (file blocks) land in reused buffers. */
extern ProtobufCAllocator bufcache_pb;
/* Gives every kept buffer back to glibc. */
void	 bufcache_trim(void);

#endif
