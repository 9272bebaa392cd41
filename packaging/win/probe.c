/*
 * probe.c: links every library of packaging/win/ into one Windows program
 * and uses each once, so a prefix that builds but cannot link (a missing
 * private library, an encoder left out of FFmpeg) fails in make win, not
 * later. Under wine it also runs: prints one line per library and exits 0
 * when all of them work.
 */
#include <winsock2.h>

#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <ini.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libyuv.h>
#include <opus/opus.h>
#include <png.h>
#include <protobuf-c/protobuf-c.h>
#include <sodium.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>
#include <zlib.h>
#include <zstd.h>

/* Counts the keys inih hands over. */
static int
probe_ini(void *user, const char *section, const char *name,
    const char *value)
{
	(void)section;
	(void)name;
	(void)value;
	(*(int *)user)++;
	return 1;
}

/* Prints one library's result; returns 1 when it failed. */
static int
probe_report(const char *lib, int ok, const char *detail)
{
	printf("%-10s %s %s\n", lib, ok ? "ok" : "FAIL", detail);
	return !ok;
}

/* Converts one 16x16 BGRX picture with libyuv and with libswscale. */
static int
probe_convert(void)
{
	static uint8_t bgrx[16 * 16 * 4], y[16 * 16], u[8 * 8], v[8 * 8];
	uint8_t *dst[3] = { y, u, v };
	const uint8_t *src[1] = { bgrx };
	int dst_stride[3] = { 16, 8, 8 }, src_stride[1] = { 16 * 4 };
	struct SwsContext *sws;
	int r;

	memset(bgrx, 0x80, sizeof(bgrx));
	if (ARGBToI420(bgrx, 16 * 4, y, 16, u, 8, v, 8, 16, 16) != 0)
		return 0;
	sws = sws_getContext(16, 16, AV_PIX_FMT_BGR0, 16, 16,
	    AV_PIX_FMT_YUV420P, SWS_POINT, NULL, NULL, NULL);
	if (sws == NULL)
		return 0;
	r = sws_scale(sws, src, src_stride, 0, 16, dst, dst_stride);
	sws_freeContext(sws);
	return r == 16;
}

int
main(void)
{
	static const char *encoders[] = { "libvpx", "libvpx-vp9", "h264_mf" };
	unsigned char in[256], z[512], back[256];
	uLongf zlen = sizeof(z), blen = sizeof(back);
	vpx_codec_enc_cfg_t cfg;
	WSADATA wsa;
	struct event_base *base;
	OpusEncoder *opus;
	size_t zs;
	int err, fails = 0, keys = 0;
	unsigned int i;

	memset(in, 'c', sizeof(in));
	/* libevent's signal pair is a socket pair: sockets need WSAStartup. */
	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
		fails += probe_report("winsock", 0, "WSAStartup");
	fails += probe_report("sodium", sodium_init() >= 0,
	    sodium_version_string());
	base = event_base_new();
	fails += probe_report("libevent", base != NULL, event_get_version());
	if (base != NULL)
		event_base_free(base);
	fails += probe_report("protobuf-c", protobuf_c_version_number() > 0,
	    protobuf_c_version());
	opus = opus_encoder_create(48000, 2, OPUS_APPLICATION_AUDIO, &err);
	fails += probe_report("opus", opus != NULL, opus_get_version_string());
	if (opus != NULL)
		opus_encoder_destroy(opus);
	fails += probe_report("libvpx", vpx_codec_enc_config_default(
	    vpx_codec_vp9_cx(), &cfg, 0) == VPX_CODEC_OK,
	    vpx_codec_version_str());
	zs = ZSTD_compress(z, sizeof(z), in, sizeof(in), 3);
	fails += probe_report("zstd", !ZSTD_isError(zs) &&
	    ZSTD_decompress(back, sizeof(back), z, zs) == sizeof(in),
	    ZSTD_versionString());
	fails += probe_report("zlib", compress(z, &zlen, in, sizeof(in)) ==
	    Z_OK && uncompress(back, &blen, z, zlen) == Z_OK &&
	    blen == sizeof(in), zlibVersion());
	fails += probe_report("libpng", png_access_version_number() > 0,
	    PNG_LIBPNG_VER_STRING);
	fails += probe_report("inih", ini_parse_string("[a]\nb = c\n",
	    probe_ini, &keys) == 0 && keys == 1, "ini_parse_string");
	fails += probe_report("convert", probe_convert(), "libyuv, swscale");
	for (i = 0; i < sizeof(encoders) / sizeof(encoders[0]); i++)
		fails += probe_report("avcodec",
		    avcodec_find_encoder_by_name(encoders[i]) != NULL,
		    encoders[i]);
	printf("%d failed\n", fails);
	return fails != 0;
}
