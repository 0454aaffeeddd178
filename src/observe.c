/* observe: derive + diagnose in one pure step. See include/observe.h. */
#include "observe.h"

void observe(const derive_history *h, report *r, const observe_opts *o, double now)
{
    derive_compute(h, &r->sample, now, &r->derived);
    diagnose_input in = {
        .sample = &r->sample,
        .derived = &r->derived,
        .conf = &r->config,
        .largest = r->keys.largest,
        .n_largest = r->keys.n_largest,
        .namespaces = r->keys.namespaces,
        .n_namespaces = r->keys.n_namespaces,
        .one_shot = o->one_shot,
    };
    diagnose_run(&in, o->thresholds, &r->diagnosis);
}
