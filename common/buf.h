/* buf.h: a bounded reader over a borrowed (ptr, len) span. */
#ifndef CDESK_BUF_H
#define CDESK_BUF_H

#include <stddef.h>
#include <stdint.h>

/* Every getter fails with ERR_SHORT on short input and advances only on
 * success. The span is borrowed and must outlive the reader. */
struct buf_reader {
	const uint8_t	*p;	/* borrowed */
	size_t		 len;
	size_t		 off;
};

void	buf_init(struct buf_reader *, const void *p, size_t len);
size_t	buf_left(const struct buf_reader *);
int	buf_get_u8(struct buf_reader *, uint8_t *);
int	buf_get_u16le(struct buf_reader *, uint16_t *);
int	buf_get_u32le(struct buf_reader *, uint32_t *);
int	buf_get_u64le(struct buf_reader *, uint64_t *);
/* Points *out at the next n bytes (borrowed). */
int	buf_get_bytes(struct buf_reader *, size_t n, const uint8_t **out);
/* Copies the next n bytes into out. */
int	buf_copy(struct buf_reader *, void *out, size_t n);
/* ERR_TRAILING if bytes remain, else 0. */
int	buf_end(const struct buf_reader *);

#endif
