/*
 * fuzz_ipc.c: the IPC decoder over a byte stream. Every message it accepts
 * must pass ipc_check, pack again, and decode to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Decode frames until the stream needs more or goes bad. */
int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	Ipc__Data *d, *again;
	uint8_t *frame;
	size_t len;
	int r;

	while ((r = ipc_decode(p, n, &d)) > 0) {
		if (ipc_check(d) != 0)
			abort();
		if (ipc_pack(d, &frame, &len) != 0)
			abort();
		if (ipc_decode(frame, len, &again) != (int)len)
			abort();
		ipc_data_free(again);
		free(frame);
		ipc_data_free(d);
		p += r;
		n -= (size_t)r;
	}
	return 0;
}
