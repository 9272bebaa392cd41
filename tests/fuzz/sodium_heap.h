/*
 * sodium_heap.h: included by fuzz targets whose code keeps secrets in
 * sodium_malloc memory. It replaces sodium_malloc/sodium_free in the
 * target binary with the plain heap. Two reasons: libsodium maps guard
 * pages and calls mprotect for every allocation, which made these
 * targets spend most of their time in the kernel (store ran under
 * 1k exec/s); and under ASan a plain allocation is checked to the byte,
 * while sodium_malloc's guard page only catches an overrun that reaches
 * the page end. The code under test calls the same functions either way.
 * Include it from one file per binary only: it defines the symbols.
 */
#ifndef FUZZ_SODIUM_HEAP_H
#define FUZZ_SODIUM_HEAP_H

#include <stddef.h>
#include <stdlib.h>

void	*sodium_malloc(size_t);
void	 sodium_free(void *);

void *
sodium_malloc(size_t n)
{
	return malloc(n > 0 ? n : 1);
}

void
sodium_free(void *p)
{
	free(p);
}

#endif
