/* SPDX-License-Identifier: Apache-2.0 */
/* slot: the one published snapshot, and where the loop and the readers meet.
 *
 * The loop publishes into the slot; a serving thread takes a reference, sends the
 * snapshot's bytes and drops it (slot_drop: the last reference dropped by a serving
 * thread is freed by the loop at its next publish, not by the request that happens to
 * hold it: freeing takes a reference off every target's piece and may unmap a large
 * body).
 *
 * Rendering on demand: the loop renders only what someone reads. It says when it has
 * data the published snapshot lacks (slot_mark_behind); a reader that finds the snapshot
 * behind and published over `tolerance` seconds ago calls ask(arg) (once per publish, on
 * the reader's thread: it must be thread-safe and quick) and waits for the next
 * publish, at most `wait` seconds (a per-target reader only past `patience`). The times of the last scrapes that first read a
 * snapshot foresee the next (slot_demand_take), and the loop publishes ahead of it; a
 * preparer thread then makes the forms the scrapes before took (gzip, OpenMetrics).
 *
 * Threading: one mutex guards the pointer and the demand's few fields, never held while
 * bytes are made or sent. A reader may wait for the loop, never for another reader. */
#ifndef RME_SLOT_H
#define RME_SLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "snapshot.h"

/* Publishes s, taking over the caller's reference (NULL empties the slot). */
void slot_publish(snapshot *s);
/* The same, ahead of a foreseen scrape: the preparer makes the bodies that the scrapes
 * of the snapshot before took, so that the next scrape finds them made. */
void slot_publish_ahead(snapshot *s);
/* A new reference to the published snapshot, or NULL before the first publish; with a
 * demand hook set, one that is behind and older than the tolerance is first brought up
 * to date (the caller waits for the loop's publish). */
snapshot *slot_current(void);
/* The same for a whole scrape (/metrics): its time is remembered to foresee the next. */
snapshot *slot_scrape_current(void);
/* The same for one target's series (/scrape): Prometheus asks for each target at its own
 * moment all through the interval, so a snapshot behind is served as it is while it is
 * younger than the patience (a publish is asked for, not waited for), and waited for
 * only when older. */
snapshot *slot_patient_current(void);
/* The published snapshot as it is, never waiting (for /healthz). */
snapshot *slot_latest(void);
/* Drops a reference from a serving thread (see above). NULL is ignored. */
void slot_drop(snapshot *s);
/* How many dropped snapshots wait for the publisher (for tests). */
size_t slot_dropped_waiting(void);
/* Waits for the preparer, then drops the published snapshot and the dropped ones (at
 * shutdown). */
void slot_clear(void);

/* Set once before serving starts; (NULL, ...) when the loop goes away. */
void slot_set_demand(void (*ask)(void *), void *arg, double tolerance, double patience, double wait);
void slot_mark_behind(void);
/* A new tolerance (a fleet whose render takes longer than it gets a larger one). */
void slot_set_tolerance(double tolerance);
/* Moves the published snapshot's alive_until on: the loop is alive though nothing was
 * published (nobody read). */
void slot_keep_alive(double until);
/* For the loop, when ask() has run: whether a publish was asked for, and when the next
 * scrape is foreseen (monotonic; 0: not known). */
bool slot_demand_take(double *next_scrape);
/* When the next scrape comes after the scrapes that first read a snapshot at
 * reads[0..n) (oldest first; one scraper or two taking turns); 0 with fewer than two. */
double slot_foresee(const double *reads, size_t n);

#endif
