/*
 * avlib.c: loads libavcodec with dlopen() on first use (avlib.h says
 * why). The library is the one the headers are of: the soname carries
 * LIBAVCODEC_VERSION_MAJOR, so the structures enc_libav.c reads match.
 * The Windows build links statically and takes the addresses directly.
 */
#ifndef _WIN32
#include <dlfcn.h>
#endif
#include <pthread.h>
#include <stddef.h>

#include "common/log.h"
#include "server/media/avlib.h"

#define AVLIB_STR2(x)	#x
#define AVLIB_STR(x)	AVLIB_STR2(x)
#define AVLIB_SONAME	"libavcodec.so." AVLIB_STR(LIBAVCODEC_VERSION_MAJOR)

static pthread_once_t avlib_once = PTHREAD_ONCE_INIT;
static struct avlib avlib_fns;
static int avlib_ok;

#ifdef _WIN32
static void
avlib_load(void)
{
	avlib_fns.find_encoder_by_name = avcodec_find_encoder_by_name;
	avlib_fns.alloc_context3 = avcodec_alloc_context3;
	avlib_fns.open2 = avcodec_open2;
	avlib_fns.free_context = avcodec_free_context;
	avlib_fns.send_frame = avcodec_send_frame;
	avlib_fns.receive_packet = avcodec_receive_packet;
	avlib_fns.packet_alloc = av_packet_alloc;
	avlib_fns.packet_free = av_packet_free;
	avlib_fns.packet_unref = av_packet_unref;
	avlib_ok = 1;
}
#else
/* One symbol into *slot; 0, or -1 if missing. */
static int
avlib_sym(void *h, const char *name, void *slot)
{
	void *p;

	if ((p = dlsym(h, name)) == NULL) {
		log_warn("%s: no %s", AVLIB_SONAME, name);
		return -1;
	}
	/* POSIX guarantees object and function pointers convert. */
	*(void **)slot = p;
	return 0;
}

static void
avlib_load(void)
{
	struct avlib *f = &avlib_fns;
	void *h;

	/* Loaded for good: an encoder's code must outlive no unload. */
	if ((h = dlopen(AVLIB_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_info("libavcodec not loaded: %s", dlerror());
		return;
	}
	if (avlib_sym(h, "avcodec_find_encoder_by_name",
	    &f->find_encoder_by_name) != 0 ||
	    avlib_sym(h, "avcodec_alloc_context3", &f->alloc_context3) != 0 ||
	    avlib_sym(h, "avcodec_open2", &f->open2) != 0 ||
	    avlib_sym(h, "avcodec_free_context", &f->free_context) != 0 ||
	    avlib_sym(h, "avcodec_send_frame", &f->send_frame) != 0 ||
	    avlib_sym(h, "avcodec_receive_packet", &f->receive_packet) != 0 ||
	    avlib_sym(h, "av_packet_alloc", &f->packet_alloc) != 0 ||
	    avlib_sym(h, "av_packet_free", &f->packet_free) != 0 ||
	    avlib_sym(h, "av_packet_unref", &f->packet_unref) != 0) {
		dlclose(h);
		return;
	}
	avlib_ok = 1;
}
#endif

const struct avlib *
avlib_get(void)
{
	pthread_once(&avlib_once, avlib_load);
	return avlib_ok ? &avlib_fns : NULL;
}
