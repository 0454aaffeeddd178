/* SPDX-License-Identifier: Apache-2.0 */
/* observe: the one step from what was seen to what it means. Pure.
 *
 * (history, sample, server config, sampled keys, now) -> derived values and findings,
 * written into the report. The daemon and the doctor both get their findings from here,
 * and from nowhere else. */
#ifndef RME_OBSERVE_H
#define RME_OBSERVE_H

#include <stdbool.h>

#include "derive.h"
#include "diagnose.h"
#include "report.h"

typedef struct observe_opts {
    const diagnose_thresholds *thresholds;
    bool one_shot; /* doctor: counts since start stand in for rates */
} observe_opts;

/* Reads r->sample, r->config and r->keys (when r->keys.active or it has keys) and the
 * history (which must already hold r->sample), and writes r->derived and r->diagnosis.
 * now is the caller's monotonic time. */
void observe(const derive_history *h, report *r, const observe_opts *o, double now);

/* The findings of r's last observe step again, now with their words (the landing page and
 * the doctor): the same inputs, so the same findings; out and text[0..out->n) are written.
 * A report never observed has no findings. */
void observe_explain(const report *r, diagnose_result *out, diagnose_text text[DIAGNOSE_COUNT]);

#endif
