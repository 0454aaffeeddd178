/* SPDX-License-Identifier: Apache-2.0 */
/* twatch: the --targets.file, read when it changes. It is looked at every few seconds and
 * read once it has not changed for a second (a writer may pause mid-rewrite); a file that
 * does not read or parse is logged and kept out, and read again only when it changes. The
 * state of the last read (used or refused, why, when) is kept for the page and metrics.
 *
 * Threading: the event loop's thread only. */
#ifndef RME_TWATCH_H
#define RME_TWATCH_H

#include <stdbool.h>

#include "targets.h"

struct event_base;

typedef struct twatch twatch;

/* Called with every read that parsed (borrowed for the call). */
typedef void (*twatch_fn)(const targets_file *parsed, void *arg);

/* A watcher of path (borrowed; outlives it); nothing is read before twatch_read. */
twatch *twatch_new(struct event_base *base, const char *path, twatch_fn fn, void *arg);
void twatch_free(twatch *w);
/* Reads the file now (at start, on SIGHUP); 0 when it was used, -1 when refused (logged;
 * at_start says so in the words). */
int twatch_read(twatch *w, bool at_start);
/* Starts looking at the file every few seconds. */
void twatch_start(twatch *w);
/* The last read: used or not, when the last good one was (Unix time), why the last was
 * refused ("" when it was used; borrowed). */
bool twatch_ok(const twatch *w);
double twatch_time(const twatch *w);
const char *twatch_error(const twatch *w);

#endif
