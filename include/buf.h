/* SPDX-License-Identifier: Apache-2.0 */
/* buf: a growable byte buffer for building text (exposition, HTML, JSON).
 *
 * Allocation failure aborts the process (xalloc.h). */
#ifndef RME_BUF_H
#define RME_BUF_H

#include <stddef.h>

typedef struct buf {
    char *data; /* owned; always NUL-terminated when cap > 0 */
    size_t len;
    size_t cap;
} buf;

/* Initialises an empty buffer (no allocation yet). */
void buf_init(buf *b);
/* Frees the storage; the buffer is empty and reusable afterwards. */
void buf_free(buf *b);
/* Empties the buffer, keeping its storage. */
void buf_reset(buf *b);
/* Makes room for n more bytes. */
void buf_reserve(buf *b, size_t n);
void buf_append(buf *b, const char *s, size_t n);
void buf_puts(buf *b, const char *s);
/* One byte; inline because renderers call it for every quote and newline. */
static inline void buf_putc(buf *b, char c)
{
    if (b->len + 2 > b->cap) buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}
/* printf-style append; the format is never user data. */
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a double the shortest way that reads back exactly; NaN and infinities are
 * spelled the Prometheus way (NaN, +Inf, -Inf). Independent of the locale. */
void buf_put_double(buf *b, double v);
/* Hands the storage to the caller (free() it); the buffer is left empty. */
char *buf_steal(buf *b, size_t *len);

#endif
