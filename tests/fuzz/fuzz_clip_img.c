/*
 * fuzz_clip_img.c: bytes another program put on the Windows clipboard as
 * CF_DIB / CF_DIBV5, and a peer's PNG, through clip_img.c's readers (the
 * first byte picks which), without Windows.
 */
#include <stdint.h>
#include <stdlib.h>

#include "server/svc/clip_img.h"
#include "server/svc/svc_clip.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	volatile uint8_t sum = 0;
	uint8_t *rgba;
	uint32_t w, h;
	size_t i;
	int r;

	if (len < 1 || len > 1024 * 1024)
		return 0;
	if (data[0] & 1)
		r = clip_img_png_to_rgba(data + 1, len - 1, &rgba, &w, &h);
	else
		r = clip_img_dib_to_rgba(data + 1, len - 1, &rgba, &w, &h);
	if (r == 0) {
		if ((uint64_t)w * h * 4 > SVC_CLIP_ITEM_MAX)
			abort();
		/* Touch every byte: a short buffer shows under ASan. */
		for (i = 0; i < (size_t)w * h * 4; i++)
			sum += rgba[i];
		free(rgba);
	}
	return 0;
}
