/* SPDX-License-Identifier: Apache-2.0 */
/* seeds: the discovery seeds of the targets file (discover: cluster | sentinel), one
 * discoverer each, seated on its own credentials and TLS. A read of the file keeps the
 * seeds that did not change (with their discoverer and the list it found) and makes or
 * drops the others; a Cluster seed that another replica's shard owns is not even asked.
 *
 * Threading: the event loop's thread only. */
#ifndef RME_SEEDS_H
#define RME_SEEDS_H

#include <stddef.h>

#include "config.h"
#include "discover.h"
#include "render.h"
#include "seat.h"
#include "targets.h"
#include "targetset.h"

typedef struct seed {
    seat s;
    discoverer *d;
} seed;

typedef struct seeds {
    seed **v; /* owned */
    size_t n;
    /* borrowed, set before the first seeds_sync */
    struct event_base *base;
    struct evdns_base *dns;
    seat_pool *seats;
    const config *cfg;
    discover_changed found; /* called with arg when a discoverer's list changed */
    void *arg;
} seeds;

/* Makes the seeds what file's discover: items say. */
void seeds_sync(seeds *ss, const targets_file *file);
/* How many targets the seeds' discoverers found, over all seeds; seeds_want writes each
 * as a want from its seed into w (room for seeds_found) and returns how many. */
size_t seeds_found(const seeds *ss);
size_t seeds_want(const seeds *ss, targetset_want *w);
/* Per seed, the addresses its discoverer refused (for the exporter's own series); an
 * array of ss->n (+1), freed by the caller. */
render_seed_count *seeds_refused(const seeds *ss);
/* Frees every seed (the context fields stay). */
void seeds_clear(seeds *ss);

#endif
