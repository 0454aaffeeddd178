/* SPDX-License-Identifier: Apache-2.0 */
/* observe: model + derive + diagnose in one pure step. See include/observe.h. */
#include "observe.h"

#include <string.h>

/* The model of the report's sample, with what the target read beside INFO. */
static void model_of(const report *r, memmodel *m)
{
    memmodel_build(m, &r->sample, &r->mstats);
    m->has_swap = r->has_swap;
    m->swap = r->swap_bytes;
}

/* What the diagnosis reads, all of it from the report; model is built by the caller. */
static diagnose_input input_of(const report *r, const memmodel *model)
{
    return (diagnose_input){
        .sample = &r->sample,
        .model = model,
        .derived = &r->derived,
        .conf = &r->config,
        .largest = r->keys->largest,
        .n_largest = r->keys->n_largest,
        .namespaces = r->keys->namespaces,
        .n_namespaces = r->keys->n_namespaces,
        .ttl = sampler_ttl_split(r->keys),
        .clients = r->clients,
        .watched = r->watched,
        .n_watched = r->n_watched,
        .one_shot = r->one_shot_diagnosis,
    };
}

void observe(const derive_history *h, report *r, const observe_opts *o, double now)
{
    /* INFO before 3.2 has no maxmemory (before 2.6 no policy): CONFIG GET's stand in */
    memmodel_fill_from_config(&r->sample, &r->config);
    derive_compute(h, &r->sample, now, &r->derived);
    r->one_shot_diagnosis = o->one_shot;
    r->thresholds = *o->thresholds;
    memmodel model;
    model_of(r, &model);
    diagnose_input in = input_of(r, &model);
    diagnose_run(&in, o->thresholds, &r->diagnosis);
}

void observe_explain(const report *r, diagnose_result *out, diagnose_text text[DIAGNOSE_COUNT])
{
    memmodel model;
    model_of(r, &model);
    diagnose_input in = input_of(r, &model);
    /* decided again (no words: cheap) so that the words always match the inputs they
     * are made from, even if the sampler moved on since the last observe */
    diagnose_run(&in, &r->thresholds, out);
    diagnose_explain(&in, &r->thresholds, out, text);
}
