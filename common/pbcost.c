/* pbcost.c: the unpacked size of untrusted protobuf bytes (pbcost.h). */
#include "common/err.h"
#include "common/pbcost.h"

#define PBCOST_ALLOC	16	/* malloc's own bookkeeping per block */

struct pbcost_walk {
	size_t	cost;
	size_t	max;
};

/* Read a varint at *p (< end); returns 0 or ERR_PROTO. */
static int
pbcost_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		uint8_t b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return 0;
		shift += 7;
	}
	return ERR_PROTO;
}

/* Add n bytes to the walk; ERR_TOOBIG once past the cap. */
static int
pbcost_add(struct pbcost_walk *w, size_t n)
{
	if (n > w->max - w->cost)
		return ERR_TOOBIG;
	w->cost += n;
	return 0;
}

/* Bytes one element of a repeated field of this type takes in its array. */
static size_t
pbcost_elt(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

static int	pbcost_msg(struct pbcost_walk *,
		    const ProtobufCMessageDescriptor *, const uint8_t *,
		    size_t, int);

/* Cost of one field's value: len bytes at p of wire type wt. */
static int
pbcost_field(struct pbcost_walk *w, const ProtobufCFieldDescriptor *f,
    unsigned wt, const uint8_t *p, size_t len, int depth)
{
	int r;

	if (f == NULL)		/* unknown: kept as a copy with a header */
		return pbcost_add(w, sizeof(ProtobufCMessageUnknownField) +
		    len + 2 * PBCOST_ALLOC);
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		/* Packed: at most one element per byte; else one each. */
		if ((r = pbcost_add(w, pbcost_elt(f->type) *
		    (wt == 2 && f->type != PROTOBUF_C_TYPE_MESSAGE &&
		    f->type != PROTOBUF_C_TYPE_STRING &&
		    f->type != PROTOBUF_C_TYPE_BYTES ? len : 1))) != 0)
			return r;
	}
	if (wt != 2)
		return 0;
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return pbcost_msg(w, f->descriptor, p, len, depth + 1);
	if (f->type == PROTOBUF_C_TYPE_STRING ||
	    f->type == PROTOBUF_C_TYPE_BYTES)
		return pbcost_add(w, len + 1 + PBCOST_ALLOC);
	return 0;
}

/* Walk one message's fields, adding what unpacking them allocates. */
static int
pbcost_msg(struct pbcost_walk *w, const ProtobufCMessageDescriptor *desc,
    const uint8_t *p, size_t len, int depth)
{
	const uint8_t *end = p + len, *v;
	uint64_t tag, n;
	size_t vlen;
	unsigned wt;
	int r;

	if (depth > PBCOST_DEPTH_MAX)
		return ERR_PROTO;
	if ((r = pbcost_add(w, desc->sizeof_message + PBCOST_ALLOC)) != 0)
		return r;
	while (p < end) {
		if (pbcost_varint(&p, end, &tag) != 0 || (tag >> 3) == 0)
			return ERR_PROTO;
		wt = (unsigned)(tag & 7);
		v = p;
		switch (wt) {
		case 0:
			if (pbcost_varint(&p, end, &n) != 0)
				return ERR_PROTO;
			break;
		case 1:
		case 5:
			if ((size_t)(end - p) < (wt == 1 ? 8u : 4u))
				return ERR_PROTO;
			p += wt == 1 ? 8 : 4;
			break;
		case 2:
			if (pbcost_varint(&p, end, &n) != 0 ||
			    n > (uint64_t)(end - p))
				return ERR_PROTO;
			v = p;
			p += n;
			break;
		default:
			return ERR_PROTO;	/* groups: protobuf-c refuses */
		}
		vlen = (size_t)(p - v);
		if (tag >> 3 > UINT32_MAX)
			return ERR_PROTO;
		if ((r = pbcost_field(w, protobuf_c_message_descriptor_get_field(
		    desc, (unsigned)(tag >> 3)), wt, v, vlen, depth)) != 0)
			return r;
	}
	return 0;
}

/* Walk p as desc; see pbcost.h. */
int
pbcost(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t len,
    size_t max, size_t *cost)
{
	struct pbcost_walk w = { 0, max };
	int r;

	r = pbcost_msg(&w, desc, p, len, 0);
	*cost = w.cost;
	return r;
}

/* The first field number in (p, len), or 0. */
uint32_t
pbcost_first_field(const uint8_t *p, size_t len)
{
	uint64_t tag;

	if (pbcost_varint(&p, p + len, &tag) != 0 || tag >> 3 > UINT32_MAX)
		return 0;
	return (uint32_t)(tag >> 3);
}
