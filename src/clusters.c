/* SPDX-License-Identifier: Apache-2.0 */
/* clusters: per-Cluster memory and the one-shard-full finding. See include/clusters.h. */
#include "clusters.h"

#include <stdio.h>
#include <string.h>

#include "info.h"

static const char *label_of(const report *r, const char *name)
{
    return r->spec ? tspec_label_value(r->spec, name) : NULL;
}

size_t clusters_summarise(const render_view *ts, size_t n, const diagnose_thresholds *th, cluster_summary *out,
                          size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const report *r = ts[i].r;
        const char *name = label_of(r, "cluster");
        const char *role = info_text_get(&r->sample, INFO_ROLE);
        double used, max;
        if (!name || !ts[i].up || !role || strcmp(role, "master") != 0 ||
            !info_get(&r->sample, INFO_USED_MEMORY, &used) || !info_get(&r->sample, INFO_MAXMEMORY, &max) || max <= 0)
            continue;
        double ratio = used / max;
        cluster_summary *c = NULL;
        for (size_t j = 0; j < k && !c; j++)
            if (strcmp(out[j].cluster, name) == 0) c = &out[j];
        if (!c) {
            if (k == cap) continue;
            c = &out[k++];
            *c = (cluster_summary){.cluster = name, .max_ratio = ratio, .min_ratio = ratio};
        }
        c->primaries++;
        if (ratio >= c->max_ratio || c->primaries == 1) {
            c->max_ratio = ratio;
            const char *shard = label_of(r, "shard");
            c->max_shard = shard ? shard : "";
            c->max_addr = r->addr;
        }
        if (ratio < c->min_ratio) c->min_ratio = ratio;
    }
    for (size_t j = 0; j < k; j++) {
        cluster_summary *c = &out[j];
        /* Every other primary well below the fullest: min is the closest to it only when
         * there are two; with more, the second fullest decides. */
        double second = -1;
        for (size_t i = 0; i < n; i++) {
            const report *r = ts[i].r;
            const char *name = label_of(r, "cluster");
            const char *role = info_text_get(&r->sample, INFO_ROLE);
            double used, max;
            if (!name || strcmp(name, c->cluster) != 0 || !ts[i].up || r->addr == c->max_addr || !role ||
                strcmp(role, "master") != 0 || !info_get(&r->sample, INFO_USED_MEMORY, &used) ||
                !info_get(&r->sample, INFO_MAXMEMORY, &max) || max <= 0)
                continue;
            if (used / max > second) second = used / max;
        }
        c->imbalance =
            c->primaries >= 2 && c->max_ratio >= th->memory_warning && second <= c->max_ratio - CLUSTERS_IMBALANCE_GAP;
        c->severity = c->max_ratio >= th->memory_critical ? DIAGNOSE_CRITICAL : DIAGNOSE_WARNING;
    }
    return k;
}

void clusters_finding_text(const cluster_summary *c, char *summary, size_t scap, char *fix, size_t fcap)
{
    snprintf(summary, scap,
             "Cluster %s: shard %s (primary %s) is at %.0f %% of maxmemory while every other primary is at least "
             "%.0f points below it (the emptiest at %.0f %%).",
             c->cluster, c->max_shard[0] ? c->max_shard : "?", c->max_addr, c->max_ratio * 100,
             CLUSTERS_IMBALANCE_GAP * 100, c->min_ratio * 100);
    snprintf(
        fix, fcap,
        "Move slots off that shard, keys and all: `redis-cli --cluster reshard %s --cluster-from <its node id> "
        "--cluster-to <an emptier primary's id> --cluster-slots <n> --cluster-yes` (ids: `CLUSTER NODES`). If one "
        "large key or one hash tag holds the memory, resharding cannot split it: find it (--sampler.keys-per-second) "
        "and split or trim it. Raising maxmemory everywhere only postpones this.",
        c->max_addr);
}
