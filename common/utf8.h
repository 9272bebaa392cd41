/*
 * utf8.h: checks of UTF-8 text from untrusted places (file names a peer
 * or a file system gives us, strings written into the audit log).
 */
#ifndef CDESK_UTF8_H
#define CDESK_UTF8_H

#include <stddef.h>

/*
 * Length of the well-formed UTF-8 sequence at p (1-4 bytes), or 0 when it
 * is not one (a stray byte, an overlong form, a surrogate, a value past
 * U+10FFFF, or a sequence cut by the string's end).
 */
size_t	utf8_seq_len(const unsigned char *p);
/* 1 if the string s is well-formed UTF-8, else 0. */
int	utf8_valid(const char *s);

#endif
