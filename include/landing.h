/* SPDX-License-Identifier: Apache-2.0 */
/* landing: the HTML page at "/": the targets, their state and last error class, their
 * usage against maxmemory, and each finding with why it matters and its fix, in order of
 * attention (not up, then the fullest; a page shows a fleet's first few hundred). Pure:
 * writes into the caller's buffer. Every string from Redis or the config is escaped. */
#ifndef RME_LANDING_H
#define RME_LANDING_H

#include <stddef.h>

#include "buf.h"
#include "render.h"

void landing_render(buf *out, const render_view *targets, size_t n, const render_exporter *e,
                    const char *telemetry_path);

#endif
