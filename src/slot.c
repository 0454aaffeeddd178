/* SPDX-License-Identifier: Apache-2.0 */
/* slot: the published snapshot, demand and foresight. See include/slot.h. */
#include "slot.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "xalloc.h"

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static snapshot *slot;                /* the one published snapshot; guarded by slot_lock */
static snapshot **dropped;            /* last references dropped by serving threads; slot_lock */
static size_t n_dropped, dropped_cap; /* slot_lock */

/* Scrapes remembered to foresee the next (slot_demand_take). */
#define DEMAND_READS 3

/* Rendering on demand (slot_set_demand); every field below is slot_lock's. */
static struct {
    void (*ask)(void *);
    void *arg;
    double tolerance, patience, wait;
    pthread_cond_t published; /* broadcast by slot_publish; on CLOCK_MONOTONIC, as clock_mono */
    unsigned long gen;        /* publishes so far */
    double published_at;      /* monotonic */
    bool behind;              /* the loop has data the slot's snapshot lacks */
    bool asked;               /* a publish was asked for and has not come yet */
    double asked_at;          /* ... when (monotonic) */
    bool cond_made;
    bool read;                  /* a scrape read the slot's snapshot */
    bool scrape_asked;          /* ... or asked for the next one */
    double reads[DEMAND_READS]; /* when scrapes first read a snapshot, oldest first */
    size_t n_reads;
} demand;

void slot_drop(snapshot *s)
{
    if (!snapshot_let_go(s)) return;
    pthread_mutex_lock(&slot_lock);
    if (n_dropped == dropped_cap) {
        dropped_cap = dropped_cap ? 2 * dropped_cap : 8;
        dropped = xrealloc(dropped, dropped_cap * sizeof *dropped);
    }
    dropped[n_dropped++] = s;
    pthread_mutex_unlock(&slot_lock);
}

size_t slot_dropped_waiting(void)
{
    pthread_mutex_lock(&slot_lock);
    size_t n = n_dropped;
    pthread_mutex_unlock(&slot_lock);
    return n;
}

/* The preparer: a thread that makes, in a snapshot published ahead of a scrape, the
 * bodies that scrapes took from the one before (the formats and gzip they asked for),
 * so that the scrape only picks them. One at a time (a publish ahead while the last is
 * still at work prepares nothing); joined at slot_clear. */
static struct {
    pthread_t thread;
    bool running;     /* slot_lock */
    atomic_bool done; /* set by the thread as it ends */
    bool want[SNAPSHOT_PARTS][2];
    snapshot *s; /* a reference */
} prep;

static void *prepare(void *arg)
{
    (void)arg;
    for (int part = SNAPSHOT_TEXT; part <= SNAPSHOT_OPENMETRICS; part++)
        for (int gz = 0; gz < 2; gz++) {
            size_t len;
            if (prep.want[part][gz]) snapshot_body(prep.s, (snapshot_part)part, gz, &len);
        }
    slot_drop(prep.s);
    atomic_store(&prep.done, true);
    return NULL;
}

/* Under slot_lock: starts the preparer on s with what old's scrapes made. */
static void start_preparer(snapshot *s, snapshot *old)
{
    if (!old || !s) return;
    if (prep.running) {
        if (!atomic_load(&prep.done)) return; /* still at the last one: never wait on the loop */
        pthread_join(prep.thread, NULL);
        prep.running = false;
    }
    bool any = false;
    for (int part = SNAPSHOT_TEXT; part <= SNAPSHOT_OPENMETRICS; part++)
        for (int gz = 0; gz < 2; gz++) any |= prep.want[part][gz] = snapshot_made(old, (snapshot_part)part, gz);
    if (!any) return;
    prep.s = snapshot_ref(s);
    atomic_store(&prep.done, false);
    if (pthread_create(&prep.thread, NULL, prepare, NULL) == 0) prep.running = true;
    else snapshot_unref(prep.s);
}

static void publish(snapshot *s, bool ahead)
{
    pthread_mutex_lock(&slot_lock);
    snapshot *old = slot;
    slot = s;
    snapshot **gone = dropped;
    size_t n_gone = n_dropped;
    dropped = NULL;
    n_dropped = dropped_cap = 0;
    demand.gen++;
    demand.published_at = clock_mono();
    demand.behind = false;
    demand.asked = false;
    demand.read = demand.scrape_asked; /* that scrape's read is noted */
    demand.scrape_asked = false;
    if (demand.cond_made) pthread_cond_broadcast(&demand.published);
    if (ahead) start_preparer(s, old);
    pthread_mutex_unlock(&slot_lock);
    snapshot_unref(old);
    for (size_t i = 0; i < n_gone; i++) snapshot_free(gone[i]);
    free(gone);
}

void slot_publish(snapshot *s) { publish(s, false); }

void slot_publish_ahead(snapshot *s) { publish(s, true); }

void slot_set_demand(void (*ask)(void *), void *arg, double tolerance, double patience, double wait)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_lock(&slot_lock);
    if (!demand.cond_made) pthread_cond_init(&demand.published, &attr);
    demand.cond_made = true;
    demand.ask = ask;
    demand.arg = arg;
    demand.tolerance = tolerance;
    demand.patience = patience;
    demand.wait = wait;
    pthread_mutex_unlock(&slot_lock);
    pthread_condattr_destroy(&attr);
}

void slot_set_tolerance(double tolerance)
{
    pthread_mutex_lock(&slot_lock);
    demand.tolerance = tolerance;
    pthread_mutex_unlock(&slot_lock);
}

void slot_mark_behind(void)
{
    pthread_mutex_lock(&slot_lock);
    demand.behind = true;
    pthread_mutex_unlock(&slot_lock);
}

void slot_keep_alive(double until)
{
    pthread_mutex_lock(&slot_lock);
    if (slot) snapshot_set_alive(slot, until);
    pthread_mutex_unlock(&slot_lock);
}

/* Under slot_lock: a scrape's first read of a snapshot is remembered, and the loop told,
 * so that it can prepare the next snapshot before the next scrape comes. */
static bool note_read(double now)
{
    if (demand.read) return false;
    demand.read = true;
    if (demand.n_reads == DEMAND_READS) {
        memmove(demand.reads, demand.reads + 1, (DEMAND_READS - 1) * sizeof *demand.reads);
        demand.n_reads--;
    }
    demand.reads[demand.n_reads++] = now;
    return true;
}

/* Under slot_lock: asks for a publish when the slot is behind and older than the
 * tolerance, and waits for one (at most demand.wait; a stalled loop serves what it has). */
/* Under slot_lock: asks the loop for a publish, once until it comes. */
static void ask_once(double now)
{
    if (demand.asked) return;
    demand.asked = true;
    demand.asked_at = now;
    demand.ask(demand.arg); /* thread-safe and quick: a write to the loop's eventfd */
}

typedef enum read_kind { READ_PAGE, READ_SCRAPE, READ_PATIENT, READ_AS_IS } read_kind;

static void await_fresh(read_kind kind)
{
    double now = clock_mono();
    if (kind == READ_AS_IS || !demand.ask || !slot) return;
    bool scrape = kind == READ_SCRAPE;
    if (!demand.behind || now - demand.published_at <= demand.tolerance) {
        if (scrape && note_read(now)) demand.ask(demand.arg); /* only the news of a scrape */
        return;
    }
    if (kind == READ_PATIENT && now - demand.published_at <= demand.patience) {
        ask_once(now); /* asked for, not waited for */
        return;
    }
    unsigned long gen = demand.gen;
    /* this scrape is the first read of the snapshot it asks for */
    if (scrape && !demand.scrape_asked) {
        demand.read = false;
        note_read(now);
        demand.scrape_asked = true;
    }
    ask_once(now);
    /* An ask the loop has left unanswered for a whole wait: it is stalled (/healthz says
     * so); later readers take what there is at once, rather than each hold an HTTP
     * thread, and every connection on it, for the wait. */
    if (now - demand.asked_at >= demand.wait) return;
    double end = now + demand.wait;
    struct timespec until = {.tv_sec = (time_t)end, .tv_nsec = (long)((end - (double)(time_t)end) * 1e9)};
    while (demand.gen == gen)
        if (pthread_cond_timedwait(&demand.published, &slot_lock, &until) != 0) break;
}

/* A reference to the slot's snapshot, after what a reader of that kind waits for. */
static snapshot *take(read_kind kind)
{
    pthread_mutex_lock(&slot_lock);
    await_fresh(kind);
    snapshot *s = slot ? snapshot_ref(slot) : NULL;
    pthread_mutex_unlock(&slot_lock);
    return s;
}

snapshot *slot_current(void) { return take(READ_PAGE); }

snapshot *slot_scrape_current(void) { return take(READ_SCRAPE); }

snapshot *slot_patient_current(void) { return take(READ_PATIENT); }

double slot_foresee(const double *reads, size_t n)
{
    if (n < 2) return 0;
    if (n == 2) return reads[1] + (reads[1] - reads[0]);
    /* one scraper every p: r1 + (r2 - r0) = r2 + p; two (a Prometheus pair, each every
     * p, at offsets a and b) alternate, and r1 + p is the next of the one due next */
    return reads[n - 2] + (reads[n - 1] - reads[n - 3]);
}

bool slot_demand_take(double *next_scrape)
{
    pthread_mutex_lock(&slot_lock);
    bool asked = demand.asked;
    *next_scrape = slot_foresee(demand.reads, demand.n_reads);
    pthread_mutex_unlock(&slot_lock);
    return asked;
}

snapshot *slot_latest(void) { return take(READ_AS_IS); }

void slot_clear(void)
{
    pthread_mutex_lock(&slot_lock);
    bool running = prep.running;
    prep.running = false;
    pthread_mutex_unlock(&slot_lock);
    if (running) pthread_join(prep.thread, NULL);
    slot_publish(NULL);
}
