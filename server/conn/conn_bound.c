/*
 * conn_bound.c: what one inbound message may cost. A frame is first bounded
 * by the stream's cap (CONN_FRAME_MAX once logged in), then by what its
 * type needs, then by what unpacking it would allocate (common/pbcost.h),
 * so that no single message costs more than about 64 MiB of memory.
 */
#include "common/err.h"
#include "common/pbcost.h"
#include "message.pb-c.h"
#include "server/conn/conn_int.h"

/*
 * Upstream sends files in blocks of 128 KiB (zstd-compressed when that
 * helps) and clipboard images as one entry each; nothing else a client
 * sends comes near a megabyte.
 */
#define CONN_FILE_MAX		(4u * 1024 * 1024)
#define CONN_CLIP_MAX		CONN_FRAME_MAX
#define CONN_OTHER_MAX		(1u * 1024 * 1024)
/* Unpacked bytes allowed: the largest frame plus its structs. */
#define CONN_UNPACK_MAX		(CONN_FRAME_MAX + 8u * 1024 * 1024)

/* The largest payload a message of this Message field may have. */
static size_t
conn_bound_type(uint32_t field)
{
	switch (field) {
	case HBB__MESSAGE__UNION_CLIPBOARD:
	case HBB__MESSAGE__UNION_MULTI_CLIPBOARDS:
		return CONN_CLIP_MAX;
	case HBB__MESSAGE__UNION_FILE_ACTION:
	case HBB__MESSAGE__UNION_FILE_RESPONSE:
		return CONN_FILE_MAX;
	default:
		return CONN_OTHER_MAX;
	}
}

/* Check one decrypted payload before unpacking it. */
int
conn_bound_check(const uint8_t *p, size_t n)
{
	size_t cost;

	if (n > conn_bound_type(pbcost_first_field(p, n)))
		return ERR_TOOBIG;
	return pbcost(&hbb__message__descriptor, p, n, CONN_UNPACK_MAX,
	    &cost);
}
