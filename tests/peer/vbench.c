/*
 * vbench.c: the test peer's video benchmark (`peer ... video-bench`): asks
 * for a codec like a stock client (Misc.option: supported_decoding with a
 * preference, custom_fps), decodes every VideoFrame with libavcodec, reads
 * tests/bench/painter.c's stamp from it and prints frames/s, glass-to-peer
 * latency (against the painter's log) and bandwidth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>

#include "tests/peer/peer.h"
#include "tests/peer/vbench.h"

#define VB_MAX	100000

/* Monotonic nanoseconds (the painter's clock). */
static uint64_t
vb_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Reads the painter's counter from a decoded picture; -1 if unreadable. */
static int64_t
vb_stamp(const AVFrame *f)
{
	uint32_t v = 0;
	int bit, a, b;

	if (f->width < 256 || f->height < 16)
		return -1;
	for (bit = 0; bit < 32; bit++) {
		a = f->data[0][4 * f->linesize[0] + bit * 8 + 4];
		b = f->data[0][12 * f->linesize[0] + bit * 8 + 4];
		if ((a > 128) == (b > 128))
			return -1;
		if (a > 128)
			v |= 1u << bit;
	}
	return v;
}

/* Sends the decoding abilities and preference of a desktop client. */
static void
vb_options(struct pconn *pc, int prefer)
{
	Hbb__Message m = HBB__MESSAGE__INIT;
	Hbb__Misc misc = HBB__MISC__INIT;
	Hbb__OptionMessage o = HBB__OPTION_MESSAGE__INIT;
	Hbb__SupportedDecoding d = HBB__SUPPORTED_DECODING__INIT;

	d.ability_vp8 = d.ability_vp9 = d.ability_av1 = 1;
	d.ability_h264 = d.ability_h265 = 1;
	d.prefer = prefer;
	o.supported_decoding = &d;
	o.custom_fps = 30;
	misc.union_case = HBB__MISC__UNION_OPTION;
	misc.option = &o;
	m.union_case = HBB__MESSAGE__UNION_MISC;
	m.misc = &misc;
	pc_send(pc, &m);
}

/* qsort comparator for doubles. */
static int
vb_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Reads the painter's log (waiting for it to be complete): t_done by
 * counter. */
static uint64_t *
vb_log(const char *path, uint32_t *nmax)
{
	char line[256];
	unsigned long long sub, done;
	unsigned c;
	uint64_t *t = calloc(VB_MAX, sizeof *t);
	FILE *f;
	int tries, complete = 0;

	for (tries = 0; tries < 200 && !complete; tries++) {
		if ((f = fopen(path, "r")) != NULL) {
			while (fgets(line, sizeof line, f) != NULL)
				if (strncmp(line, "# frames=", 9) == 0)
					complete = 1;
			fclose(f);
		}
		if (!complete)
			usleep(100000);
	}
	*nmax = 0;
	if ((f = fopen(path, "r")) == NULL)
		return t;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%u %llu %llu", &c, &sub, &done) == 3 &&
		    c < VB_MAX) {
			t[c] = done;
			if (c + 1 > *nmax)
				*nmax = c + 1;
		}
	fclose(f);
	return t;
}

/* Receives, decodes and measures video for warm + secs seconds. */
int
peer_video_bench(struct pconn *pc, const char *codec, int warm, int secs,
    const char *painter_log)
{
	static const struct { const char *name; int prefer; } prefs[] = {
		{ "vp9", HBB__SUPPORTED_DECODING__PREFER_CODEC__VP9 },
		{ "vp8", HBB__SUPPORTED_DECODING__PREFER_CODEC__VP8 },
		{ "av1", HBB__SUPPORTED_DECODING__PREFER_CODEC__AV1 },
		{ "h264", HBB__SUPPORTED_DECODING__PREFER_CODEC__H264 },
		{ "h265", HBB__SUPPORTED_DECODING__PREFER_CODEC__H265 },
	};
	AVCodecContext *dec = NULL;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *f = av_frame_alloc();
	Hbb__Message *m;
	Hbb__EncodedVideoFrames *efs;
	uint32_t *ctr = calloc(VB_MAX, sizeof *ctr), nmax, last = UINT32_MAX;
	uint64_t *at = calloc(VB_MAX, sizeof *at), *done, t0, tm0 = 0, now;
	uint64_t bytes = 0, frames = 0, bad = 0;
	double *lat, wall;
	size_t n = 0, nl = 0, i, uniq = 0;
	int prefer = -1, dcase = -1, eof = 0, measuring = 0, w = 0, h = 0;
	int64_t st;

	for (i = 0; i < sizeof prefs / sizeof prefs[0]; i++)
		if (strcmp(prefs[i].name, codec) == 0)
			prefer = prefs[i].prefer;
	if (prefer < 0) {
		fprintf(stderr, "unknown codec %s\n", codec);
		return 2;
	}
	av_log_set_level(AV_LOG_ERROR);
	vb_options(pc, prefer);
	t0 = vb_ns();
	while (!eof) {
		now = vb_ns();
		if (!measuring && now - t0 >= (uint64_t)warm * 1000000000ull) {
			measuring = 1;
			tm0 = now;
		}
		if (measuring && now - tm0 >= (uint64_t)secs * 1000000000ull)
			break;
		if ((m = pc_recv(pc, 200, &eof)) == NULL)
			continue;
		if (m->union_case != HBB__MESSAGE__UNION_VIDEO_FRAME) {
			hbb__message__free_unpacked(m, NULL);
			continue;
		}
		efs = m->video_frame->vp9s;	/* every member has this type */
		if (dec == NULL || dcase != (int)m->video_frame->union_case) {
			enum AVCodecID id = AV_CODEC_ID_VP9;
			const AVCodec *dc;

			switch (m->video_frame->union_case) {
			case HBB__VIDEO_FRAME__UNION_VP8S:
				id = AV_CODEC_ID_VP8;
				break;
			case HBB__VIDEO_FRAME__UNION_H264S:
				id = AV_CODEC_ID_H264;
				break;
			case HBB__VIDEO_FRAME__UNION_H265S:
				id = AV_CODEC_ID_HEVC;
				break;
			case HBB__VIDEO_FRAME__UNION_AV1S:
				id = AV_CODEC_ID_AV1;
				break;
			default:
				break;
			}
			avcodec_free_context(&dec);
			dc = avcodec_find_decoder(id);
			dec = avcodec_alloc_context3(dc);
			dec->thread_count = 1;
			avcodec_open2(dec, dc, NULL);
			dcase = m->video_frame->union_case;
		}
		for (i = 0; efs != NULL && i < efs->n_frames; i++) {
			if (av_new_packet(pkt, (int)efs->frames[i]->data.len) < 0)
				break;
			memcpy(pkt->data, efs->frames[i]->data.data,
			    efs->frames[i]->data.len);
			avcodec_send_packet(dec, pkt);
			av_packet_unref(pkt);
			while (avcodec_receive_frame(dec, f) == 0) {
				now = vb_ns();
				w = f->width;
				h = f->height;
				if (!measuring)
					continue;
				if ((st = vb_stamp(f)) < 0)
					bad++;
				else if (n < VB_MAX) {
					ctr[n] = (uint32_t)st;
					at[n++] = now;
				}
			}
		}
		if (measuring) {
			frames++;
			bytes += hbb__message__get_packed_size(m);
		}
		hbb__message__free_unpacked(m, NULL);
	}
	wall = (vb_ns() - tm0) / 1e9;
	done = vb_log(painter_log, &nmax);
	lat = calloc(VB_MAX, sizeof *lat);
	for (i = 0; i < n; i++) {
		if (ctr[i] != last)
			uniq++;
		last = ctr[i];
		if (ctr[i] < nmax && done[ctr[i]] != 0 && at[i] > done[ctr[i]])
			lat[nl++] = (at[i] - done[ctr[i]]) / 1e6;
	}
	qsort(lat, nl, sizeof *lat, vb_cmp);
	printf("VIDEO codec=%s size=%dx%d fps=%.1f paints_per_s=%.1f "
	    "p50_ms=%.1f p95_ms=%.1f mbit_s=%.2f samples=%zu unreadable=%llu "
	    "eof=%d\n", codec, w, h, frames / wall, uniq / wall,
	    nl ? lat[nl / 2] : 0.0, nl ? lat[(nl * 95) / 100] : 0.0,
	    bytes * 8 / wall / 1e6, nl, (unsigned long long)bad, eof);
	free(lat);
	free(done);
	free(ctr);
	free(at);
	av_frame_free(&f);
	av_packet_free(&pkt);
	avcodec_free_context(&dec);
	return eof ? 1 : 0;
}
