/* landing: the HTML page at "/": every target, its state and last error class, its
 * usage against maxmemory, and each finding with why it matters and its fix. Pure:
 * writes into the caller's buffer. Every string from Redis or the config is escaped. */
#ifndef RME_LANDING_H
#define RME_LANDING_H

#include <stddef.h>

#include "buf.h"
#include "render.h"

void landing_render(buf *out, const render_view *targets, size_t n, const render_exporter *e,
                    const char *telemetry_path);

#endif
