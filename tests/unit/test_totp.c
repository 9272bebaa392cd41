/*
 * test_totp.c: common/totp.c against the published vectors: SHA-1 (FIPS
 * 180 examples), HMAC-SHA1 (RFC 2202 §3, all seven), HOTP (RFC 4226
 * appendix D), TOTP with SHA-1 (RFC 6238 appendix B), base32 (RFC 4648
 * §10); then the 6-digit check with its skew, and the otpauth:// URI.
 */
#include <stdint.h>

#include "common/totp.h"
#include "tests/tst.h"

int main(void);

/* Lower-case hex of a 20-byte digest. */
static void
hex20(const uint8_t *d, char out[41])
{
	int i;

	for (i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* SHA-1 of the FIPS 180 examples, the empty string and a million 'a'. */
static void
test_sha1(void)
{
	static const struct {
		const char	*msg;
		const char	*hex;
	} v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		    "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	uint8_t d[20], *a;
	char hex[41];
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		totp_sha1((const uint8_t *)v[i].msg, strlen(v[i].msg), d);
		hex20(d, hex);
		ASSERT_STR_EQ(hex, v[i].hex);
	}
	a = malloc(1000000);
	memset(a, 'a', 1000000);
	totp_sha1(a, 1000000, d);
	hex20(d, hex);
	ASSERT_STR_EQ(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	/* 55, 56 and 64 bytes: the padding's edge cases. */
	totp_sha1(a, 55, d);
	hex20(d, hex);
	ASSERT_STR_EQ(hex, "c1c8bbdc22796e28c0e15163d20899b65621d65a");
	totp_sha1(a, 56, d);
	hex20(d, hex);
	ASSERT_STR_EQ(hex, "c2db330f6083854c99d4b5bfb6e8f29f201be699");
	totp_sha1(a, 64, d);
	hex20(d, hex);
	ASSERT_STR_EQ(hex, "0098ba824b5c16427bd7a1122a5a442a25ec644d");
	free(a);
}

/* HMAC-SHA1: the seven test cases of RFC 2202 §3. */
static void
test_hmac(void)
{
	static const struct {
		const char	*key;	/* hex */
		const char	*data;	/* hex */
		const char	*mac;
	} v[] = {
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		    "4869205468657265",
		    "b617318655057264e28bc0b6fb378c8ef146be00" },
		{ "4a656665", "7768617420646f2079612077616e7420666f72206e6f74"
		    "68696e673f", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    "dddddddddddddddddddddddddddddddddddddddddddddddddddd"
		    "dddddddddddddddddddddddddddddddddddddddddddddddd",
		    "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
		{ "0102030405060708090a0b0c0d0e0f10111213141516171819",
		    "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		    "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		    "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
		{ "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
		    "546573742057697468205472756e636174696f6e",
		    "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    "54657374205573696e67204c6172676572205468616e20426c6f636b"
		    "2d53697a65204b6579202d2048617368204b6579204669727374",
		    "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    "54657374205573696e67204c6172676572205468616e20426c6f636b"
		    "2d53697a65204b657920616e64204c6172676572205468616e204f6e"
		    "6520426c6f636b2d53697a652044617461",
		    "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
	};
	uint8_t *key, *data, mac[20];
	size_t i, kn, dn;
	char hex[41];

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		key = tst_unhex(v[i].key, &kn);
		data = tst_unhex(v[i].data, &dn);
		totp_hmac_sha1(key, kn, data, dn, mac);
		hex20(mac, hex);
		if (strcmp(hex, v[i].mac) != 0)
			TST_FAIL("RFC 2202 case %zu: %s != %s", i + 1, hex,
			    v[i].mac);
		free(key);
		free(data);
	}
}

/* HOTP (RFC 4226 appendix D) and TOTP-SHA1 (RFC 6238 appendix B). */
static void
test_hotp_totp(void)
{
	static const uint32_t hotp[10] = {
		755224, 287082, 359152, 969429, 338314, 254676, 287922,
		162583, 399871, 520489,
	};
	static const struct {
		int64_t		t;
		uint32_t	code;	/* 8 digits */
	} totp[] = {
		{ 59, 94287082 }, { 1111111109, 7081804 },
		{ 1111111111, 14050471 }, { 1234567890, 89005924 },
		{ 2000000000, 69279037 }, { 20000000000LL, 65353130 },
	};
	const uint8_t *key = (const uint8_t *)"12345678901234567890";
	char code[TOTP_DIGITS + 1];
	uint64_t i;

	for (i = 0; i < 10; i++)
		ASSERT_INT_EQ(totp_hotp(key, 20, i, 6), hotp[i]);
	for (i = 0; i < sizeof totp / sizeof totp[0]; i++)
		ASSERT_INT_EQ(totp_hotp(key, 20, (uint64_t)totp[i].t / 30, 8),
		    totp[i].code);
	/* Six digits of the same steps, zero-padded. */
	totp_code(key, 20, 1111111109, code);
	ASSERT_STR_EQ(code, "081804");
	totp_code(key, 20, 59, code);
	ASSERT_STR_EQ(code, "287082");
}

/* The check: this step and one either side, six digits exactly. */
static void
test_check(void)
{
	const uint8_t *key = (const uint8_t *)"12345678901234567890";
	int64_t t = 1111111109;	/* step 37037036: "081804" */
	char code[TOTP_DIGITS + 1];

	ASSERT_INT_EQ(totp_check(key, 20, "081804", t), 1);
	ASSERT_INT_EQ(totp_check(key, 20, "081804", t + 30), 1);
	ASSERT_INT_EQ(totp_check(key, 20, "081804", t - 30), 1);
	ASSERT_INT_EQ(totp_check(key, 20, "081804", t + 60), 0);
	ASSERT_INT_EQ(totp_check(key, 20, "081804", t - 60), 0);
	ASSERT_INT_EQ(totp_check(key, 20, "081805", t), 0);
	ASSERT_INT_EQ(totp_check(key, 20, "81804", t), 0);
	ASSERT_INT_EQ(totp_check(key, 20, "0818040", t), 0);
	ASSERT_INT_EQ(totp_check(key, 20, " 081804", t), 0);
	ASSERT_INT_EQ(totp_check(key, 20, "", t), 0);
	ASSERT_INT_EQ(totp_check(key, 20, NULL, t), 0);
	/* Another secret does not share the code. */
	ASSERT_INT_EQ(totp_check((const uint8_t *)"12345678901234567891", 20,
	    "081804", t), 0);
	/* Near the epoch the step before 0 is not looked at. */
	totp_code(key, 20, 0, code);
	ASSERT_INT_EQ(totp_check(key, 20, code, 0), 1);
	ASSERT_INT_EQ(totp_check(key, 20, code, 10), 1);
}

/* Base32: RFC 4648 §10, case, padding and bad input. */
static void
test_base32(void)
{
	static const char *const v[][2] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI" },
	};
	uint8_t out[64], secret[TOTP_SECRET_LEN];
	char b32[TOTP_B32_MAX + 1];
	size_t i;
	int n;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		n = totp_b32_encode((const uint8_t *)v[i][0], strlen(v[i][0]),
		    b32, sizeof b32);
		ASSERT_INT_EQ(n, strlen(v[i][1]));
		ASSERT_STR_EQ(b32, v[i][1]);
		n = totp_b32_decode(v[i][1], out, sizeof out);
		ASSERT_INT_EQ(n, strlen(v[i][0]));
		ASSERT_MEM_EQ(out, v[i][0], (size_t)n);
	}
	ASSERT_INT_EQ(totp_b32_decode("mzxw6ytboi", out, sizeof out), 6);
	ASSERT_MEM_EQ(out, "foobar", 6);
	ASSERT_INT_EQ(totp_b32_decode("MZXW6YQ=", out, sizeof out), 4);
	ASSERT_INT_EQ(totp_b32_decode("MZXW 6YTB", out, sizeof out), 5);
	ASSERT_INT_EQ(totp_b32_decode("MZXW1", out, sizeof out), -1);
	ASSERT_INT_EQ(totp_b32_decode("MZ=XW", out, sizeof out), -1);
	ASSERT_INT_EQ(totp_b32_decode("MZX", out, sizeof out), -1);
	ASSERT_INT_EQ(totp_b32_decode("MZ", out, sizeof out), -1);
	ASSERT_INT_EQ(totp_b32_decode("MY", out, 0), -1);
	ASSERT_INT_EQ(totp_b32_decode("MY", out, 1), 1);
	ASSERT_INT_EQ(totp_b32_encode(out, 1, b32, 2), -1);
	/* A drawn secret: 32 characters, and back. */
	totp_generate(secret);
	ASSERT_INT_EQ(totp_b32_encode(secret, sizeof secret, b32, sizeof b32),
	    32);
	ASSERT_INT_EQ(totp_b32_decode(b32, out, sizeof out), TOTP_SECRET_LEN);
	ASSERT_MEM_EQ(out, secret, TOTP_SECRET_LEN);
}

/* The URI as upstream's authenticator setup shows it. */
static void
test_uri(void)
{
	char *u;

	u = totp_uri((const uint8_t *)"12345678901234567890", 20,
	    "123456789");
	ASSERT_STR_EQ(u, "otpauth://totp/RustDesk%20Connection:123456789"
	    "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	    "&issuer=RustDesk%20Connection");
	free(u);
	u = totp_uri((const uint8_t *)"abc", 3, "a b/c");
	ASSERT_STR_EQ(u, "otpauth://totp/RustDesk%20Connection:a%20b%2Fc"
	    "?secret=MFRGG&issuer=RustDesk%20Connection");
	free(u);
}

/* Runs the tests. */
int
main(void)
{
	TST_RUN(test_sha1);
	TST_RUN(test_hmac);
	TST_RUN(test_hotp_totp);
	TST_RUN(test_check);
	TST_RUN(test_base32);
	TST_RUN(test_uri);
	return 0;
}
