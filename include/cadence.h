/* SPDX-License-Identifier: Apache-2.0 */
/* cadence: when the loop publishes. Polls render nothing; a snapshot is made when a
 * reader asks (snapshot.h's demand, reaching the loop through a wakeup) and just before a
 * scrape foreseen from the last ones (ahead). Once an interval it tells the slot that the
 * loop is alive and that what is not a poll (discovery, the targets file, the process)
 * may have changed.
 *
 * Threading: the event loop's thread; readers reach it only through the wakeup. */
#ifndef RME_CADENCE_H
#define RME_CADENCE_H

#include <stdbool.h>

struct event_base;
typedef struct cadence cadence;

typedef struct cadence_hooks {
    /* Makes and publishes a snapshot (ahead: for a foreseen scrape); returns the seconds
     * it took, which the lead before a foreseen scrape grows with. */
    double (*publish)(void *arg, bool ahead);
    /* Until when the slot counts as alive when told at `now` (slot_keep_alive). */
    double (*alive_until)(void *arg, double now);
    void *arg;
} cadence_hooks;

/* NULL when no eventfd could be made. */
cadence *cadence_new(struct event_base *base, double poll_interval, cadence_hooks h);
/* Takes readers' demand from now on and starts the once-an-interval word. */
void cadence_start(cadence *c);
/* Readers stop asking it; then it is freed. NULL is ignored. */
void cadence_free(cadence *c);
/* Publishes so far, by why: asked for by a reader, and ahead of a foreseen scrape. */
double cadence_asked(const cadence *c);
double cadence_ahead(const cadence *c);

#endif
