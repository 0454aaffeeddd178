/* SPDX-License-Identifier: Apache-2.0 */
/* topn: bounded sorted lists. See include/topn.h. */
#include "topn.h"

#include <string.h>

static double value_at(const char *list, size_t i, size_t size, size_t off)
{
    double v;
    memcpy(&v, list + i * size + off, sizeof v);
    return v;
}

size_t topn_make_room(void *list, size_t *n, size_t cap, size_t size, size_t off, double v)
{
    char *l = list;
    size_t pos = *n;
    while (pos > 0 && value_at(l, pos - 1, size, off) < v) pos--;
    if (pos >= cap) return cap;
    size_t keep = *n < cap ? *n : cap - 1;
    memmove(l + (pos + 1) * size, l + pos * size, (keep - pos) * size);
    if (*n < cap) (*n)++;
    return pos;
}
