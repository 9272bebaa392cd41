/*
 * fuzz_input.c: a peer's KeyEvent through protobuf-c and the input
 * service's text decoder (the seq member), without X. Every code point
 * must be a Unicode scalar value and the count within the limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.pb-c.h"
#include "server/svc/svc_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Unpack one KeyEvent; decode its seq, or the raw bytes as text. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint32_t cps[SVC_INPUT_SEQ_MAX];
	Hbb__KeyEvent *ev;
	const char *s = (const char *)data;
	size_t n, i, slen = len;

	if (len > 1024 * 1024)
		return 0;
	ev = hbb__key_event__unpack(NULL, len, data);
	if (ev != NULL && ev->union_case == HBB__KEY_EVENT__UNION_SEQ &&
	    ev->seq != NULL) {
		s = ev->seq;
		slen = strlen(s);
	}
	n = svc_input_decode_text(s, slen, cps, SVC_INPUT_SEQ_MAX);
	if (n > SVC_INPUT_SEQ_MAX || n > slen ||
	    n != svc_input_decode_text(s, slen, NULL, SVC_INPUT_SEQ_MAX))
		abort();
	for (i = 0; i < n; i++)
		if (cps[i] > 0x10ffff || (cps[i] >= 0xd800 && cps[i] <= 0xdfff))
			abort();
	if (ev != NULL)
		hbb__key_event__free_unpacked(ev, NULL);
	return 0;
}
