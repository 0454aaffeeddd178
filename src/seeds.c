/* SPDX-License-Identifier: Apache-2.0 */
/* seeds: the targets file's discovery seeds. See include/seeds.h. */
#include "seeds.h"

#include <stdlib.h>

#include "shard.h"
#include "xalloc.h"

static void seed_free(seeds *ss, seed *s)
{
    if (!s) return;
    discover_free(s->d);
    seat_free(ss->seats, &s->s);
    free(s);
}

/* The seed for sp: taken out of the old ones when unchanged, or made. */
static seed *seed_for(seeds *ss, const tspec *sp)
{
    for (size_t k = 0; k < ss->n; k++)
        if (ss->v[k] && tspec_equal(&ss->v[k]->s.spec, sp)) {
            seed *found = ss->v[k];
            ss->v[k] = NULL;
            return found;
        }
    seed *s = xcalloc(1, sizeof *s);
    seat_init(ss->seats, &s->s, sp, NULL);
    s->d = discover_new(ss->base, ss->dns, &s->s.spec, &s->s.cred, seat_tls(ss->seats, &s->s), ss->cfg->poll_timeout,
                        ss->found, ss->arg);
    return s;
}

void seeds_sync(seeds *ss, const targets_file *file)
{
    seed **next = xcalloc(file->n + 1, sizeof *next);
    size_t n = 0;
    for (size_t i = 0; i < file->n; i++) {
        const tspec *sp = &file->specs[i];
        if (sp->discover == TSPEC_DISCOVER_NONE) continue;
        /* A Cluster is another replica's: not even its seed is asked from here. */
        if (sp->discover == TSPEC_DISCOVER_CLUSTER &&
            shard_owner(tspec_share_key(sp), ss->cfg->shard_count) != ss->cfg->shard_index)
            continue;
        next[n++] = seed_for(ss, sp);
    }
    seeds_clear(ss);
    ss->v = next;
    ss->n = n;
}

void seeds_clear(seeds *ss)
{
    for (size_t k = 0; k < ss->n; k++) seed_free(ss, ss->v[k]);
    free(ss->v);
    ss->v = NULL;
    ss->n = 0;
}

size_t seeds_found(const seeds *ss)
{
    size_t n = 0;
    for (size_t i = 0; i < ss->n; i++) {
        size_t k;
        discover_list(ss->v[i]->d, &k);
        n += k;
    }
    return n;
}

size_t seeds_want(const seeds *ss, targetset_want *w)
{
    size_t n = 0;
    for (size_t i = 0; i < ss->n; i++) {
        size_t k;
        const tspec *l = discover_list(ss->v[i]->d, &k);
        for (size_t j = 0; j < k; j++) w[n++] = (targetset_want){&l[j], ss->v[i]};
    }
    return n;
}

render_seed_count *seeds_refused(const seeds *ss)
{
    render_seed_count *refused = xcalloc(ss->n + 1, sizeof *refused);
    for (size_t i = 0; i < ss->n; i++)
        refused[i] = (render_seed_count){tspec_key(&ss->v[i]->s.spec), (double)discover_refused(ss->v[i]->d)};
    return refused;
}
