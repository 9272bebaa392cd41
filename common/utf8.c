/*
 * utf8.c: UTF-8 well-formedness (RFC 3629): what the file helper accepts
 * as a name and what the audit log writes as it is.
 */
#include "common/utf8.h"

/* Length of the sequence at p, or 0 (utf8.h). */
size_t
utf8_seq_len(const unsigned char *p)
{
	unsigned c = p[0], v, min, i, n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		v = c & 0x07;
		min = 0x10000;
	} else
		return 0;
	/* A NUL is not a continuation byte: a cut sequence stops here. */
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return n + 1;
}

/* 1 if s is well-formed UTF-8 (utf8.h). */
int
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p != '\0') {
		if ((n = utf8_seq_len(p)) == 0)
			return 0;
		p += n;
	}
	return 1;
}
