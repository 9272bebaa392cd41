/*
 * vpx_mem.h: gives back the pages of a libvpx VP9 encoder that hold only
 * zeros (it clears all it allocates, mostly for the worst case: 98 MB of
 * token buffer at 1920x1080, picture buffers a realtime encode never
 * uses), and its token buffer between pictures. See vpx_mem.c for how its
 * allocations are found.
 *
 *	m = vpxmem_new(width, height);
 *	vpxmem_begin(m);
 *	r = vpx_codec_enc_init(...);	(and likewise the first picture)
 *	vpxmem_end(m, r == VPX_CODEC_OK);
 *	...
 *	vpxmem_trim(m);			(after the first picture, and when
 *					 idle; on the encoder's thread)
 *	...
 *	vpxmem_free(m);			(after vpx_codec_destroy)
 *
 * Between begin and end no other encoder opens or starts (a lock is held;
 * other backends whose libraries allocate the same way take it with
 * vpxmem_lock while they open or encode their first picture).
 */
#ifndef CDESK_VPX_MEM_H
#define CDESK_VPX_MEM_H

struct vpxmem;

struct vpxmem	*vpxmem_new(int width, int height);
void		 vpxmem_free(struct vpxmem *);
void		 vpxmem_begin(struct vpxmem *);
void		 vpxmem_end(struct vpxmem *, int ok);
void		 vpxmem_trim(struct vpxmem *);
void		 vpxmem_lock(void);
void		 vpxmem_unlock(void);

#endif
