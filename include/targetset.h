/* SPDX-License-Identifier: Apache-2.0 */
/* targetset: which targets run, from what the sources ask for, and the steps that take the
 * running set there. Pure: specs in, decisions out; the collector carries them out.
 *
 * The sources are --redis.addr, the targets file and each discovery seed's list. The same
 * target from several sources is run once, as the earliest source says (--redis.addr,
 * then the file, then discovery); with --targets.shard only this replica's share runs. A
 * running target whose spec changed only in its labels keeps its connection; one whose
 * connection, sampler or watched keys changed is made anew. */
#ifndef RME_TARGETSET_H
#define RME_TARGETSET_H

#include <stddef.h>

#include "tspec.h"

/* One target a source asks for. src is the caller's (the seed that found it, or NULL). */
typedef struct targetset_want {
    const tspec *spec; /* borrowed */
    void *src;
} targetset_want;

/* Keeps, in w[0..n), this replica's share (shard_index of shard_count; 1 = all), sorted by
 * key, one per key (the earliest source's); returns how many. */
size_t targetset_choose(targetset_want *w, size_t n, unsigned shard_count, unsigned shard_index);

typedef enum targetset_act {
    TARGETSET_KEEP,    /* running[r] stays as it is */
    TARGETSET_RELABEL, /* running[r] takes want[w]'s spec in place (only labels differ) */
    TARGETSET_REPLACE, /* running[r] stops, a target for want[w] starts at once */
    TARGETSET_ADD,     /* a target for want[w] starts */
    TARGETSET_REMOVE,  /* running[r] stops */
} targetset_act;

typedef struct targetset_step {
    targetset_act act;
    size_t running, want; /* indexes, where the act has them */
} targetset_step;

/* The steps from running[0..n) (the running targets' specs, sorted by key) to w[0..nw)
 * (targetset_choose's), in key order, into out (room for n + nw); returns how many. Every
 * want has a step that keeps, relabels, replaces or adds it; every running target not
 * wanted is removed. */
size_t targetset_plan(const tspec *const *running, size_t n, const targetset_want *w, size_t nw, targetset_step *out);

#endif
