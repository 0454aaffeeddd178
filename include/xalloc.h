/* SPDX-License-Identifier: Apache-2.0 */
/* xalloc: the one allocation-failure policy of the program.
 *
 * Every allocation that fails aborts with one line on stderr. A monitoring daemon that
 * cannot allocate a few kilobytes has nothing useful left to do, and this removes the
 * untestable NULL branches from every caller. Free the results with free(). */
#ifndef RME_XALLOC_H
#define RME_XALLOC_H

#include <stddef.h>

/* calloc(n, size) that never returns NULL (overflow of n * size aborts too). */
void *xcalloc(size_t n, size_t size);
/* realloc(p, n) that never returns NULL; p is dead afterwards, use the result. */
void *xrealloc(void *p, size_t n);
/* An owned copy of s. */
char *xstrdup(const char *s);

#endif
