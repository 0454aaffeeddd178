/* SPDX-License-Identifier: Apache-2.0 */
/* collector: all targets on one event_base, and the publishing of their results.
 *
 * Threading: runs on the event_base thread. A poll renders nothing: it marks the
 * published snapshot behind. When a reader asks (slot_set_demand, through a wakeup)
 * or just before a scrape foreseen from the last ones, the publisher puts the targets'
 * pieces and the landing page into a new snapshot and publishes it (snapshot.h); HTTP
 * threads never see a target. */
#ifndef RME_COLLECTOR_H
#define RME_COLLECTOR_H

#include "config.h"
#include "render.h"

struct event_base;

typedef struct collector collector;

/* Creates one target per configured address; cfg and build are borrowed and must outlive
 * the collector. Returns NULL (after logging why) when the password map does not parse,
 * the TLS files do not load or the DNS resolver cannot start. */
collector *collector_new(struct event_base *base, const config *cfg, const render_build *build);
/* Spreads the first polls over one interval and publishes a first snapshot at once. */
void collector_start(collector *c);
/* Re-reads what can change without a restart (the password file and map) and uses it for
 * every connection opened from now on; open connections stay. Logs what happened (never
 * the secret). Returns 0, or -1 when the file could not be read (the old one is kept). */
int collector_reload(collector *c);
void collector_free(collector *c);

#endif
