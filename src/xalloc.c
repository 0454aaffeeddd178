/* SPDX-License-Identifier: Apache-2.0 */
/* xalloc: allocation that aborts on failure. See include/xalloc.h. */
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(void)
{
    static const char msg[] = "redis_memory_exporter: out of memory\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    abort();
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) die();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) die();
    return q;
}

char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) die();
    return d;
}
