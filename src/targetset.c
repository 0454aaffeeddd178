/* SPDX-License-Identifier: Apache-2.0 */
/* targetset: the desired target set and the steps to it. See include/targetset.h. */
#include "targetset.h"

#include <stdlib.h>
#include <string.h>

#include "shard.h"

static int cmp_want(const void *a, const void *b)
{
    const targetset_want *x = a, *y = b;
    int k = strcmp(tspec_key(x->spec), tspec_key(y->spec));
    if (k) return k;
    /* The same target from several sources: the earlier source (--redis.addr, then the
     * file, then discovery) first. */
    return (x->spec->origin > y->spec->origin) - (x->spec->origin < y->spec->origin);
}

size_t targetset_choose(targetset_want *w, size_t n, unsigned shard_count, unsigned shard_index)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (shard_owner(tspec_share_key(w[i].spec), shard_count) == shard_index) w[kept++] = w[i];
    qsort(w, kept, sizeof *w, cmp_want);
    size_t u = 0;
    for (size_t i = 0; i < kept; i++)
        if (u == 0 || strcmp(tspec_key(w[u - 1].spec), tspec_key(w[i].spec)) != 0) w[u++] = w[i];
    return u;
}

size_t targetset_plan(const tspec *const *running, size_t n, const targetset_want *w, size_t nw, targetset_step *out)
{
    size_t i = 0, j = 0, k = 0;
    while (i < n || j < nw) {
        int cmp = i == n ? 1 : j == nw ? -1 : strcmp(tspec_key(running[i]), tspec_key(w[j].spec));
        if (cmp < 0) {
            out[k++] = (targetset_step){TARGETSET_REMOVE, i++, 0};
        } else if (cmp > 0) {
            out[k++] = (targetset_step){TARGETSET_ADD, 0, j++};
        } else {
            targetset_act act = !tspec_same_target(running[i], w[j].spec) ? TARGETSET_REPLACE
                : !tspec_equal(running[i], w[j].spec)                     ? TARGETSET_RELABEL
                                                                          : TARGETSET_KEEP;
            out[k++] = (targetset_step){act, i++, j++};
        }
    }
    return k;
}
