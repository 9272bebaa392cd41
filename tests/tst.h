/* tst.h: assertions for unit tests; a failure prints and exits non-zero. */
#ifndef CDESK_TST_H
#define CDESK_TST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TST_FAIL(...) do {						\
	fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);		\
	fprintf(stderr, __VA_ARGS__);					\
	fprintf(stderr, "\n");						\
	exit(1);							\
} while (0)

#define ASSERT_TRUE(e) do {						\
	if (!(e))							\
		TST_FAIL("%s", #e);					\
} while (0)

#define ASSERT_INT_EQ(a, b) do {					\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ != b_)							\
		TST_FAIL("%s == %s (%lld != %lld)", #a, #b, a_, b_);	\
} while (0)

#define ASSERT_INT_NE(a, b) do {					\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ == b_)							\
		TST_FAIL("%s != %s (both %lld)", #a, #b, a_);		\
} while (0)

#define ASSERT_INT_GE(a, b) do {					\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ < b_)							\
		TST_FAIL("%s >= %s (%lld < %lld)", #a, #b, a_, b_);	\
} while (0)

#define ASSERT_STR_EQ(a, b) do {					\
	const char *a_ = (a), *b_ = (b);				\
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)		\
		TST_FAIL("%s == %s (\"%s\" != \"%s\")", #a, #b,	\
		    a_ ? a_ : "(null)", b_ ? b_ : "(null)");		\
} while (0)

#define ASSERT_MEM_EQ(a, b, n) do {					\
	if (memcmp((a), (b), (n)) != 0)					\
		TST_FAIL("%s == %s (%zu bytes differ)", #a, #b,	\
		    (size_t)(n));					\
} while (0)

#define ASSERT_PTR_NE(a, b) do {					\
	if ((const void *)(a) == (const void *)(b))			\
		TST_FAIL("%s != %s", #a, #b);				\
} while (0)

/* Runs one test function and says so. */
#define TST_RUN(fn) do {						\
	fprintf(stderr, "  %s\n", #fn);					\
	fn();								\
} while (0)

/* Decode hex into a new buffer; *n receives its length. Caller frees. */
static inline uint8_t *
tst_unhex(const char *hex, size_t *n)
{
	size_t len = strlen(hex) / 2, i;
	uint8_t *out = malloc(len ? len : 1);

	for (i = 0; i < len; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			TST_FAIL("bad hex");
		out[i] = (uint8_t)v;
	}
	*n = len;
	return out;
}

/*
 * Finds "key": "value" in a JSON text and returns a new copy of the string
 * value (caller frees), or NULL. Good enough for the flat vector files in
 * shared/spec/vectors, whose keys are unique where tests read them; start
 * narrows the search to the text after the first occurrence of start.
 */
static inline char *
tst_json_str(const char *json, const char *start, const char *key)
{
	char pat[256];
	const char *p = json, *e;
	char *out;

	if (start != NULL && (p = strstr(json, start)) == NULL)
		return NULL;
	snprintf(pat, sizeof pat, "\"%s\"", key);
	if ((p = strstr(p, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	while (*p == ' ' || *p == ':')
		p++;
	if (*p != '"')
		return NULL;
	p++;
	if ((e = strchr(p, '"')) == NULL)
		return NULL;
	out = malloc((size_t)(e - p) + 1);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return out;
}

/* Reads a whole file into a new NUL-terminated buffer; caller frees. */
static inline char *
tst_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		TST_FAIL("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		TST_FAIL("cannot read %s", path);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Path of a vector file: $CDESK_VECTORS or ../shared/spec/vectors. */
static inline char *
tst_vector(const char *name)
{
	const char *dir = getenv("CDESK_VECTORS");
	char path[1024];

	snprintf(path, sizeof path, "%s/%s",
	    dir ? dir : "tests/data/vectors", name);
	return tst_read_file(path);
}

#endif
