/* xmalloc.h: allocation that cannot fail (aborts on out-of-memory). */
#ifndef CDESK_XMALLOC_H
#define CDESK_XMALLOC_H

#include <stddef.h>

/*
 * For small internal allocations only: sizes that come from a peer must be
 * bounded before they reach these. All call fatal on OOM; caller frees.
 */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
void	*xmemdup(const void *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(__printf__, 2, 3)));

#endif
