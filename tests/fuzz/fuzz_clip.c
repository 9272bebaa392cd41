/*
 * fuzz_clip.c: a peer's MultiClipboards through the clipboard service's
 * decoder (zstd, RGBA validation and PNG encoding), without X.
 */
#include <stdint.h>
#include <stdlib.h>

#include "message.pb-c.h"
#include "server/svc/svc_clip.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Unpack one MultiClipboards and decode every entry. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	Hbb__MultiClipboards *m;
	uint8_t *out;
	size_t i, n;
	int fmt;

	if (len > 1024 * 1024)
		return 0;
	if ((m = hbb__multi_clipboards__unpack(NULL, len, data)) == NULL)
		return 0;
	for (i = 0; i < m->n_clipboards; i++) {
		if (svc_clip_decode_item(m->clipboards[i], &fmt, &out,
		    &n) == 0) {
			if (n > SVC_CLIP_ITEM_MAX)
				abort();
			free(out);
		}
	}
	hbb__multi_clipboards__free_unpacked(m, NULL);
	return 0;
}
