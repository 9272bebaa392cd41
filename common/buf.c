/* buf.c: bounded little-endian reader. */
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

/* Start reading the span (p, len). */
void
buf_init(struct buf_reader *b, const void *p, size_t len)
{
	b->p = p;
	b->len = len;
	b->off = 0;
}

/* Bytes not yet read. */
size_t
buf_left(const struct buf_reader *b)
{
	return b->len - b->off;
}

/* Point *out at the next n bytes. */
int
buf_get_bytes(struct buf_reader *b, size_t n, const uint8_t **out)
{
	*out = NULL;
	if (buf_left(b) < n)
		return ERR_SHORT;
	*out = b->p + b->off;
	b->off += n;
	return 0;
}

/* Copy the next n bytes into out. */
int
buf_copy(struct buf_reader *b, void *out, size_t n)
{
	const uint8_t *p;
	int r;

	if ((r = buf_get_bytes(b, n, &p)) != 0)
		return r;
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

/* Read an unsigned little-endian integer of n bytes. */
static int
buf_get_le(struct buf_reader *b, size_t n, uint64_t *v)
{
	const uint8_t *p;
	size_t i;
	int r;

	*v = 0;
	if ((r = buf_get_bytes(b, n, &p)) != 0)
		return r;
	for (i = 0; i < n; i++)
		*v |= (uint64_t)p[i] << (8 * i);
	return 0;
}

/* Read one byte. */
int
buf_get_u8(struct buf_reader *b, uint8_t *v)
{
	uint64_t x;
	int r = buf_get_le(b, 1, &x);

	*v = (uint8_t)x;
	return r;
}

/* Read a little-endian u16. */
int
buf_get_u16le(struct buf_reader *b, uint16_t *v)
{
	uint64_t x;
	int r = buf_get_le(b, 2, &x);

	*v = (uint16_t)x;
	return r;
}

/* Read a little-endian u32. */
int
buf_get_u32le(struct buf_reader *b, uint32_t *v)
{
	uint64_t x;
	int r = buf_get_le(b, 4, &x);

	*v = (uint32_t)x;
	return r;
}

/* Read a little-endian u64. */
int
buf_get_u64le(struct buf_reader *b, uint64_t *v)
{
	return buf_get_le(b, 8, v);
}

/* Fail if unread bytes remain. */
int
buf_end(const struct buf_reader *b)
{
	return buf_left(b) ? ERR_TRAILING : 0;
}
