/*
 * fuzz_clip.c: a peer's MultiClipboards through the clipboard service's
 * decoder (zstd, RGBA validation and PNG encoding), without X.
 *
 * Each entry may decode to 1 MiB here, not SVC_CLIP_ITEM_MAX: the checks
 * are the same code with a smaller number, and at 32 MiB the fuzzer spent
 * its time filling pages for inputs that inflate to the cap (~900
 * executions a second instead of tens of thousands).
 */
#include <stdint.h>
#include <stdlib.h>

#include "message.pb-c.h"
#include "server/svc/svc_clip.h"

#define FUZZ_CLIP_MAX	(1024 * 1024)

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
		if (svc_clip_decode_item(m->clipboards[i], FUZZ_CLIP_MAX,
		    &fmt, &out, &n) == 0) {
			if (n > FUZZ_CLIP_MAX)
				abort();
			free(out);
		}
	}
	hbb__multi_clipboards__free_unpacked(m, NULL);
	return 0;
}
