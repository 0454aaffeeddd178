/* observe: derive + diagnose in one pure step. See include/observe.h. */
#include "observe.h"

/* What the diagnosis reads, all of it from the report. */
static diagnose_input input_of(const report *r)
{
    return (diagnose_input){
        .sample = &r->sample,
        .derived = &r->derived,
        .conf = &r->config,
        .largest = r->keys->largest,
        .n_largest = r->keys->n_largest,
        .namespaces = r->keys->namespaces,
        .n_namespaces = r->keys->n_namespaces,
        .one_shot = r->one_shot_diagnosis,
    };
}

void observe(const derive_history *h, report *r, const observe_opts *o, double now)
{
    derive_compute(h, &r->sample, now, &r->derived);
    r->one_shot_diagnosis = o->one_shot;
    r->thresholds = *o->thresholds;
    diagnose_input in = input_of(r);
    diagnose_run(&in, o->thresholds, &r->diagnosis, NULL);
}

void observe_explain(const report *r, diagnose_result *out, diagnose_text text[DIAGNOSE_COUNT])
{
    diagnose_input in = input_of(r);
    diagnose_run(&in, &r->thresholds, out, text);
}
