/*
 * cursor_mask.h: a Windows cursor's bitmaps as the RGBA of CursorData
 * (PROTOCOL.md §9.1). Portable, so that it is unit-tested on Linux;
 * server/win/cursor_win.c gets the bitmaps with GetIconInfo/GetDIBits.
 *
 * A monochrome cursor has one 1-bit mask of 2*h rows: AND rows, then XOR
 * rows. AND 0 XOR 0 is black, AND 0 XOR 1 white, AND 1 XOR 0 transparent,
 * AND 1 XOR 1 inverts the screen: no client can draw that, so it becomes
 * opaque black (as other hosts do) and stays visible on light screens.
 * A colour cursor has h rows of 32-bit BGRA and an h-row AND mask: with
 * any alpha set the alpha is used as it is (straight); else the mask
 * says which pixels are transparent, and a masked pixel with a colour
 * (it would invert that colour) is opaque black.
 */
#ifndef CDESK_CURSOR_MASK_H
#define CDESK_CURSOR_MASK_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes w*h*4 bytes of RGBA to rgba. mask: 1 bit a pixel, most
 * significant bit first, rows of mask_stride bytes (2*h rows without
 * colour, h with); bgra: h rows of w*4 bytes, or NULL for monochrome.
 * Returns how many pixels were an inverting one made black.
 */
size_t	cursor_mask_rgba(const uint8_t *mask, size_t mask_stride,
	    const uint8_t *bgra, int w, int h, uint8_t *rgba);

/* FNV-1a over a shape (size, hotspot, pixels): its id, so that a
 * handle reused for another picture gets another id. */
uint64_t cursor_mask_id(int w, int h, int hotx, int hoty,
	    const uint8_t *rgba);

#endif
