/* SPDX-License-Identifier: Apache-2.0 */
/* topn: a short list kept sorted biggest first and bounded (the largest keys, the clients
 * holding the most). Pure. */
#ifndef RME_TOPN_H
#define RME_TOPN_H

#include <stddef.h>

/* Makes room for a value v in list (n entries of `size` bytes, each with its double at
 * offset `off`, biggest first, at most cap) and returns where the new entry goes; the
 * caller copies it there. When v does not make the list, returns cap and changes
 * nothing; when the list is full, its smallest entry is dropped. */
size_t topn_make_room(void *list, size_t *n, size_t cap, size_t size, size_t off, double v);

#endif
