/* SPDX-License-Identifier: Apache-2.0 */
/* cadence: demand, foresight and liveness. See include/cadence.h. */
#include "cadence.h"

#include <event2/event.h>
#include <stdlib.h>

#include "clock.h"
#include "slot.h"
#include "snapshot.h"
#include "wakeup.h"
#include "xalloc.h"

/* How long a reader waits for the publish it asked for (slot_set_demand). */
#define DEMAND_WAIT_SECONDS 2.0

struct cadence {
    cadence_hooks h;
    double interval;
    wakeup *demand;            /* owned: a reader asks for a publish */
    struct event *prepare_ev;  /* publishes just before the scrape foreseen */
    struct event *periodic_ev; /* says once per interval that the loop is alive */
    double cost;               /* seconds a publish takes (the peak, decaying) */
    double asked, ahead;       /* publishes so far, by why */
};

/* How old a snapshot may be when read though polls came since: a tenth of an interval
 * (when every poll was published, they were coalesced over as long), or twice what a
 * publish takes when that is more (a fleet of 10,000: 0.1-0.2 s; at most half an
 * interval), so that one made ahead of a scrape can be done before the scrape comes and
 * still count as fresh. */
static double tolerance(const cadence *c)
{
    double t = c->interval / 10, slow = 2 * c->cost < c->interval / 2 ? 2 * c->cost : c->interval / 2;
    return slow > t ? slow : t;
}

static void publish(cadence *c, bool ahead)
{
    double before = tolerance(c);
    double cost = c->h.publish(c->h.arg, ahead);
    c->cost = cost > c->cost * 0.9 ? cost : c->cost * 0.9;
    if (tolerance(c) != before) slot_set_tolerance(tolerance(c));
}

static void on_prepare(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cadence *c = arg;
    c->ahead++;
    publish(c, true);
}

/* A reader found the snapshot behind: publish now. A scrape came: prepare the next
 * snapshot to be done a little before the next is foreseen. */
static void on_demand(void *arg)
{
    cadence *c = arg;
    double next;
    if (slot_demand_take(&next)) {
        c->asked++;
        publish(c, false);
    }
    if (next <= 0) return;
    /* room for a publish and a half, and for a scraper's jitter, within what a reader
     * takes as fresh */
    double tol = tolerance(c), lead = c->cost * 1.5 + 0.005;
    lead = lead < tol / 2 ? tol / 2 : lead > tol * 0.8 ? tol * 0.8 : lead;
    double in = next - lead - clock_mono();
    if (in <= 0) return;
    struct timeval tv = clock_tv(in);
    event_add(c->prepare_ev, &tv);
}

static void on_periodic(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cadence *c = arg;
    slot_keep_alive(c->h.alive_until(c->h.arg, clock_mono()));
    slot_mark_behind();
}

cadence *cadence_new(struct event_base *base, double poll_interval, cadence_hooks h)
{
    cadence *c = xcalloc(1, sizeof *c);
    c->h = h;
    c->interval = poll_interval;
    c->demand = wakeup_new(base, on_demand, c);
    c->prepare_ev = evtimer_new(base, on_prepare, c);
    c->periodic_ev = event_new(base, -1, EV_PERSIST, on_periodic, c);
    if (!c->demand || !c->prepare_ev || !c->periodic_ev) {
        cadence_free(c);
        return NULL;
    }
    return c;
}

void cadence_start(cadence *c)
{
    struct timeval tv = clock_tv(c->interval);
    event_add(c->periodic_ev, &tv);
    /* A stalled loop keeps a reader at most DEMAND_WAIT_SECONDS. */
    /* a per-target read takes data up to an interval old without waiting */
    slot_set_demand(wakeup_poke, c->demand, tolerance(c), c->interval, DEMAND_WAIT_SECONDS);
}

void cadence_free(cadence *c)
{
    if (!c) return;
    if (c->demand) slot_set_demand(NULL, NULL, 0, 0, 0);
    wakeup_free(c->demand);
    if (c->prepare_ev) event_free(c->prepare_ev);
    if (c->periodic_ev) event_free(c->periodic_ev);
    free(c);
}

double cadence_asked(const cadence *c) { return c->asked; }

double cadence_ahead(const cadence *c) { return c->ahead; }
