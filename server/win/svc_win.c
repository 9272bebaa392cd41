/*
 * svc_win.c: what the Windows build does not have yet, with the
 * interfaces of the Linux files: voice-call playback (aplay.h:
 * PulseAudio) and vpx_mem.h, whose page trimming is glibc's. (Cursor
 * shapes, desktop audio and terminals have Windows backends:
 * cursor_win.c, audio_wasapi.c, term_conpty.c.)
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "server/media/aplay.h"
#include "server/media/vpx_mem.h"

/*
 * Voice-call playback (aplay.h) is PulseAudio's and not built for Windows
 * (WASAPI rendering would be): no format is playable, so conn_voice.c
 * plays nothing of a call and says why.
 */
int
aplay_format_ok(uint32_t rate, uint32_t channels)
{
	(void)rate;
	(void)channels;
	return 0;
}

int
aplay_new(const struct aplay_target *t, uint32_t rate, uint32_t channels,
    struct aplay **out)
{
	(void)t;
	(void)rate;
	(void)channels;
	*out = NULL;
	return ERR_UNSUPP;
}

int
aplay_push(struct aplay *a, const uint8_t *p, size_t n)
{
	(void)a;
	(void)p;
	(void)n;
	return ERR_UNSUPP;
}

void
aplay_get_stats(struct aplay *a, struct aplay_stats *st)
{
	(void)a;
	memset(st, 0, sizeof *st);
}

/* Nothing was made. */
void
aplay_free(struct aplay *a)
{
	(void)a;
}

/* The Windows heap keeps what libvpx frees; nothing to trim (NULL). */
struct vpxmem *
vpxmem_new(int width, int height)
{
	(void)width;
	(void)height;
	return NULL;
}

/* NULL: nothing to free. */
void
vpxmem_free(struct vpxmem *m)
{
	(void)m;
}

/* NULL: nothing to watch. */
void
vpxmem_begin(struct vpxmem *m)
{
	(void)m;
}

/* NULL: nothing watched. */
void
vpxmem_end(struct vpxmem *m, int ok)
{
	(void)m;
	(void)ok;
}

/* No page trimming, so nothing to serialise encoder opens against. */
void
vpxmem_lock(void)
{
}

/* See vpxmem_lock. */
void
vpxmem_unlock(void)
{
}

/* NULL: nothing to trim. */
void
vpxmem_trim(struct vpxmem *m)
{
	(void)m;
}
