/* SPDX-License-Identifier: Apache-2.0 */
/* clusters: memory across the shards of each Redis Cluster the exporter follows. Pure.
 *
 * Targets carrying a `cluster` label (discovery sets it) are grouped by it; among each
 * group's primaries that are up and have a maxmemory, the fullest and the emptiest
 * used/maxmemory are found. One shard near its limit while every other primary is well
 * below it is a finding of its own: hot slots or large keys in that shard. Raising every
 * node's limit does not help; moving slots (or splitting the key) does. The series are
 * rendered with the exporter's own (render.c, from render_exporter.clusters). */
#ifndef RME_CLUSTERS_H
#define RME_CLUSTERS_H

#include <stdbool.h>
#include <stddef.h>

#include "diagnose.h"
#include "render.h"

/* Clusters one exporter reports at most (more are left out of the cluster series). */
#define CLUSTERS_MAX 256
/* "Well below": the other primaries at least this far under the fullest. */
#define CLUSTERS_IMBALANCE_GAP 0.2

typedef struct cluster_summary {
    const char *cluster; /* borrowed from the targets' labels */
    size_t primaries;    /* primaries up with a maxmemory */
    double max_ratio, min_ratio;
    const char *max_shard;      /* the fullest primary's shard label ("" when none) */
    const char *max_addr;       /* ... and its address */
    bool imbalance;             /* the finding fires */
    diagnose_severity severity; /* warning, or critical at --diagnose.memory-critical */
} cluster_summary;

/* Summarises targets[0..n) into out[0..cap); returns how many clusters. */
size_t clusters_summarise(const render_view *targets, size_t n, const diagnose_thresholds *th, cluster_summary *out,
                          size_t cap);
/* The finding's text for people: what, and the fix. */
void clusters_finding_text(const cluster_summary *c, char *summary, size_t scap, char *fix, size_t fcap);

#endif
