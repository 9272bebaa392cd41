/*
 * pbcost.h: what a protobuf-c unpack of untrusted bytes would allocate,
 * found by walking the wire against the descriptors before unpacking.
 * protobuf-c turns every two-byte empty entry into a whole struct (about
 * 60x the wire size), so a peer's message is refused on its cost, not on
 * its length alone.
 */
#ifndef CDESK_PBCOST_H
#define CDESK_PBCOST_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define PBCOST_DEPTH_MAX	32	/* nesting refused beyond this */

/*
 * Walks the len bytes at p as a message of type desc. Returns 0 and sets
 * *cost to an upper bound of the bytes an unpack allocates (structs,
 * repeated arrays, strings and bytes, unknown fields, allocator overhead),
 * ERR_TOOBIG as soon as that passes max, or ERR_PROTO for bytes an unpack
 * would refuse anyway (bad varints, lengths past the end, groups, nesting
 * deeper than PBCOST_DEPTH_MAX).
 */
int	pbcost(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
	    size_t len, size_t max, size_t *cost);

/*
 * The number of the first field in (p, len), or 0 if none can be read:
 * the oneof case of a wrapper message such as Hbb__Message.
 */
uint32_t	pbcost_first_field(const uint8_t *p, size_t len);

#endif
