/* test_codec.c: the length prefix against vectors/framing.json, plus
 * randomized encode/decode invariants. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/err.h"
#include "common/sstream.h"
#include "tests/tst.h"

int main(void);

static char *json;
static uint64_t rng_state;

/* xorshift64*: reproducible randomness; the seed is printed. */
static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* Integer value of "key": N inside [obj, end), or -1. */
static long long
json_int(const char *obj, const char *end, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	if ((p = strstr(obj, pat)) == NULL || p >= end)
		return -1;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	return strtoll(p, NULL, 10);
}

/* Copy of the object text [obj, end) as a string (caller frees). */
static char *
obj_copy(const char *obj, const char *end)
{
	char *s = malloc((size_t)(end - obj) + 1);

	memcpy(s, obj, (size_t)(end - obj));
	s[end - obj] = '\0';
	return s;
}

/*
 * Calls fn on each flat {...} object of the array "name" in json; returns
 * how many. Nested objects are skipped over with their parent.
 */
static int
json_each(const char *name, void (*fn)(const char *obj, const char *end))
{
	char pat[64];
	const char *p, *obj;
	int depth, count = 0;

	snprintf(pat, sizeof pat, "\"%s\": [", name);
	if ((p = strstr(json, pat)) == NULL)
		TST_FAIL("no array %s", name);
	p += strlen(pat);
	for (;;) {
		while (*p == ' ' || *p == '\n' || *p == ',')
			p++;
		if (*p != '{')
			break;
		obj = p;
		depth = 0;
		do {
			if (*p == '{')
				depth++;
			else if (*p == '}')
				depth--;
			p++;
		} while (depth > 0 && *p != '\0');
		fn(obj, p);
		count++;
	}
	return count;
}

/* One "encode" case: header bytes, header and frame length. */
static void
check_encode(const char *obj, const char *end)
{
	struct sstream *s = sstream_new(CODEC_DEFAULT_MAX);
	uint8_t hdr[CODEC_HDR_MAX];
	uint8_t *want;
	char *o = obj_copy(obj, end), *hex;
	long long plen = json_int(o, o + strlen(o), "payload_len");
	long long hlen = json_int(o, o + strlen(o), "header_len");
	long long flen = json_int(o, o + strlen(o), "frame_len");
	size_t wlen, h, l;

	ASSERT_TRUE(plen >= 0 && hlen > 0 && flen > 0);
	hex = tst_json_str(o, NULL, "header_hex");
	ASSERT_TRUE(hex != NULL);
	want = tst_unhex(hex, &wlen);
	ASSERT_INT_EQ(codec_hdr_encode(hdr, (size_t)plen), hlen);
	ASSERT_INT_EQ(wlen, hlen);
	ASSERT_MEM_EQ(hdr, want, wlen);
	ASSERT_INT_EQ(sstream_frame_len(s, (size_t)plen), flen);
	/* The header decodes back, with no body present yet. */
	ASSERT_INT_EQ(codec_hdr_decode(hdr, (size_t)hlen, CODEC_LEN_MAX, &h,
	    &l), 1);
	ASSERT_INT_EQ(h, hlen);
	ASSERT_INT_EQ(l, plen);
	/* One byte short of the header: need more. */
	ASSERT_INT_EQ(codec_hdr_decode(hdr, (size_t)hlen - 1, CODEC_LEN_MAX,
	    &h, &l), 0);
	free(want);
	free(hex);
	free(o);
	sstream_free(s);
}

/* One "decode" case: need more, or the header it announces. */
static void
check_decode(const char *obj, const char *end)
{
	const uint8_t *payload;
	uint8_t *in, *exact;
	char *o = obj_copy(obj, end), *hex;
	size_t n, h, l, plen;
	int r;

	hex = tst_json_str(o, NULL, "bytes_hex");
	ASSERT_TRUE(hex != NULL);
	in = tst_unhex(hex, &n);
	/* An exactly-sized copy, so ASan sees any read past the input. */
	exact = malloc(n ? n : 1);
	memcpy(exact, in, n);
	r = codec_hdr_decode(exact, n, CODEC_LEN_MAX, &h, &l);
	if (strstr(o, "\"decoded\": null") != NULL) {
		ASSERT_INT_EQ(r, 0);
		ASSERT_INT_EQ(codec_frame(exact, n, CODEC_LEN_MAX, &payload,
		    &plen), 0);
	} else {
		ASSERT_INT_EQ(r, 1);
		ASSERT_INT_EQ(h, json_int(o, o + strlen(o), "header_len"));
		ASSERT_INT_EQ(l, json_int(o, o + strlen(o), "payload_len"));
		r = codec_frame(exact, n, CODEC_LEN_MAX, &payload, &plen);
		if (l == 0) {
			ASSERT_INT_EQ(r, h);
			ASSERT_INT_EQ(plen, 0);
		} else
			ASSERT_INT_EQ(r, 0);
		/* A cap one below the length rejects it from the header. */
		if (l > 0)
			ASSERT_INT_EQ(codec_hdr_decode(exact, n, l - 1, &h,
			    &l), ERR_TOOBIG);
	}
	free(exact);
	free(in);
	free(hex);
	free(o);
}

/* Every encode and decode case of framing.json. */
static void
test_vectors(void)
{
	ASSERT_INT_EQ(json_each("encode", check_encode), 9);
	ASSERT_INT_EQ(json_each("decode", check_decode), 6);
}

/* The example frame: seal and take back. */
static void
test_example_frame(void)
{
	struct sstream *s = sstream_new(CODEC_PRELOGIN_MAX);
	const uint8_t *payload, *msg;
	char *phex = tst_json_str(json, "example_frame", "payload_hex");
	char *fhex = tst_json_str(json, "example_frame", "frame_hex");
	uint8_t *p, *f, out[16];
	size_t pn, fn, plen, mlen;

	ASSERT_TRUE(phex != NULL && fhex != NULL);
	p = tst_unhex(phex, &pn);
	f = tst_unhex(fhex, &fn);
	ASSERT_INT_EQ(sstream_seal(s, p, pn, out, sizeof out), fn);
	ASSERT_MEM_EQ(out, f, fn);
	ASSERT_INT_EQ(codec_frame(f, fn, CODEC_PRELOGIN_MAX, &payload, &plen),
	    fn);
	ASSERT_INT_EQ(plen, pn);
	ASSERT_MEM_EQ(payload, p, pn);
	ASSERT_INT_EQ(sstream_open(s, f, fn, &msg, &mlen), fn);
	ASSERT_INT_EQ(mlen, pn);
	ASSERT_MEM_EQ(msg, p, pn);
	free(p);
	free(f);
	free(phex);
	free(fhex);
	sstream_free(s);
}

/* A random length, biased towards the header size boundaries. */
static size_t
rand_len(size_t limit)
{
	static const size_t edge[] = { 0, 1, 0x3F, 0x40, 0x3FFF, 0x4000,
	    0x3FFFFF, 0x400000, 0x3FFFFFFF };
	size_t v;

	switch (rng() % 4) {
	case 0:
		v = edge[rng() % (sizeof edge / sizeof edge[0])];
		if (rng() & 1)
			v += rng() % 3;
		if (v > 0 && (rng() & 1))
			v -= 1;
		break;
	case 1:
		v = rng() % 300;
		break;
	case 2:
		v = rng() % 70001;
		break;
	default:
		v = rng() % (limit + 1);
		break;
	}
	return v > limit ? limit : v;
}

/*
 * Decode every prefix of a frame from an exactly-sized copy: need more
 * until complete, then the whole frame, never a byte past the input.
 */
static void
check_prefixes(const uint8_t *frame, size_t flen, size_t h, size_t plen,
    int all)
{
	const uint8_t *payload;
	uint8_t *exact;
	size_t i, got;
	int r;

	for (i = 0; i <= flen; i++) {
		if (!all && i > h + 2 && i + 2 < flen)
			i = flen - 2;		/* the middle adds nothing */
		exact = malloc(i ? i : 1);
		memcpy(exact, frame, i);
		r = codec_frame(exact, i, CODEC_LEN_MAX, &payload, &got);
		if (i < flen) {
			ASSERT_INT_EQ(r, 0);
		} else {
			ASSERT_INT_EQ(r, flen);
			ASSERT_INT_EQ(got, plen);
			ASSERT_TRUE(payload == exact + h);
		}
		free(exact);
	}
}

/* Random lengths: encode, decode back, feed byte by byte, trailing bytes. */
static void
test_random_roundtrip(void)
{
	uint8_t hdr[CODEC_HDR_MAX], *frame;
	const uint8_t *payload;
	size_t len, h, hl, l, i, got;
	int iter, r;

	for (iter = 0; iter < 3000; iter++) {
		len = rand_len(CODEC_LEN_MAX);
		h = codec_hdr_encode(hdr, len);
		ASSERT_TRUE(h >= 1 && h <= CODEC_HDR_MAX);
		ASSERT_INT_EQ(h, len <= 0x3F ? 1 : len <= 0x3FFF ? 2 :
		    len <= 0x3FFFFF ? 3 : 4);
		ASSERT_INT_EQ(hdr[0] & 3, h - 1);
		/* Byte by byte through the header. */
		for (i = 0; i < h; i++)
			ASSERT_INT_EQ(codec_hdr_decode(hdr, i, CODEC_LEN_MAX,
			    &hl, &l), 0);
		ASSERT_INT_EQ(codec_hdr_decode(hdr, h, CODEC_LEN_MAX, &hl, &l),
		    1);
		ASSERT_INT_EQ(hl, h);
		ASSERT_INT_EQ(l, len);
		/* Oversize is rejected from the header alone. */
		if (len > 0)
			ASSERT_INT_EQ(codec_hdr_decode(hdr, h, len - 1, &hl,
			    &l), ERR_TOOBIG);
		if (len > 70000)
			continue;
		/* Whole frames with a random body and trailing garbage. */
		frame = malloc(h + len + 8);
		memcpy(frame, hdr, h);
		for (i = 0; i < len + 8; i++)
			frame[h + i] = (uint8_t)rng();
		check_prefixes(frame, h + len, h, len, len < 300);
		r = codec_frame(frame, h + len + 8, CODEC_LEN_MAX, &payload,
		    &got);
		ASSERT_INT_EQ(r, h + len);
		ASSERT_INT_EQ(got, len);
		free(frame);
	}
	ASSERT_INT_EQ(codec_hdr_encode(hdr, (size_t)CODEC_LEN_MAX + 1), 0);
}

/* Non-minimal headers are accepted, as upstream. */
static void
test_nonminimal(void)
{
	/* Length 5 in a 2, 3 and 4 byte header. */
	static const uint8_t h2[] = { 0x15, 0x00 };
	static const uint8_t h3[] = { 0x16, 0x00, 0x00 };
	static const uint8_t h4[] = { 0x17, 0x00, 0x00, 0x00 };
	size_t h, l;

	ASSERT_INT_EQ(codec_hdr_decode(h2, 2, 100, &h, &l), 1);
	ASSERT_INT_EQ(h, 2);
	ASSERT_INT_EQ(l, 5);
	ASSERT_INT_EQ(codec_hdr_decode(h3, 3, 100, &h, &l), 1);
	ASSERT_INT_EQ(h, 3);
	ASSERT_INT_EQ(l, 5);
	ASSERT_INT_EQ(codec_hdr_decode(h4, 4, 100, &h, &l), 1);
	ASSERT_INT_EQ(h, 4);
	ASSERT_INT_EQ(l, 5);
}

/* Run every codec test. */
int
main(void)
{
	const char *seed = getenv("TST_SEED");

	rng_state = seed != NULL ? strtoull(seed, NULL, 0) : 0x9E3779B97F4A7C15ULL;
	if (rng_state == 0)
		rng_state = 1;
	fprintf(stderr, "seed 0x%llx\n", (unsigned long long)rng_state);
	json = tst_vector("framing.json");
	TST_RUN(test_vectors);
	TST_RUN(test_example_frame);
	TST_RUN(test_random_roundtrip);
	TST_RUN(test_nonminimal);
	free(json);
	return 0;
}
