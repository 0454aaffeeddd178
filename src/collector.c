/* SPDX-License-Identifier: Apache-2.0 */
/* collector: the wiring. Its sources (--redis.addr, the targets file through twatch, the
 * discovery seeds) give targetset what they ask for; the running targets follow its plan,
 * each seated by seat (credentials, TLS); readers' demand and foreseen scrapes make the
 * publisher publish. See include/collector.h. */
#include "collector.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

#include "cadence.h"
#include "clock.h"
#include "conn.h"
#include "discover.h"
#include "histo.h"
#include "log.h"
#include "publisher.h"
#include "render.h"
#include "seat.h"
#include "seeds.h"
#include "slot.h"
#include "snapshot.h"
#include "target.h"
#include "targets.h"
#include "targetset.h"
#include "twatch.h"
#include "xalloc.h"

/* A target's data older than this many intervals is stale: its Redis series go away. */
#define STALE_INTERVALS 3.0
#define ALIVE_MIN_SECONDS 10.0

typedef struct collector collector;

typedef struct entry {
    seat s;
    target *t;
    collector *c;
    seed *src;             /* the discoverer that found it, or NULL */
    publisher_piece piece; /* its samples as last rendered, shared with snapshots */
    double own_pw_read;    /* monotonic: its own password file last re-read after a
                                  rejected AUTH */
} entry;

struct collector {
    struct event_base *base;
    struct evdns_base *dns;
    const config *cfg;
    const render_build *build;
    entry **e; /* owned, sorted by key */
    size_t n;
    seeds sd;       /* owned: one per discover: item of the targets file */
    tspec *statics; /* owned: --redis.addr */
    size_t n_statics;
    twatch *file;       /* owned: the targets file, NULL without one */
    render_view *views; /* reused between renders */
    size_t views_cap;
    seat_pool *seats; /* owned: credentials and TLS contexts */
    cadence *cadence; /* owned: when to publish */
    bool started;
    double last_poll_done;    /* monotonic: the last poll of any target that finished */
    histo lateness;           /* poll lateness over all targets */
    target_gate gate;         /* --poll.max-concurrent-connects, shared by every target */
    target_ticks ticks;       /* the ticks' common timeouts, shared by every target */
    publisher *pub;           /* owned: pieces and snapshots */
    publisher_piece **pieces; /* per publish: the targets' pieces (sorted, as entries) */
    bool sd_stale;            /* the target set changed: /discovery is made again */
};

/* ---- entries: one target each ------------------------------------------------------ */

static void on_poll_done(target *t, void *arg);

static entry *entry_new(collector *c, const tspec *spec, seed *src)
{
    entry *e = xcalloc(1, sizeof *e);
    e->c = c;
    e->src = src;
    seat_init(c->seats, &e->s, spec, src ? &src->s : NULL);
    watch_item *items;
    size_t n_items;
    target_opts o = target_opts_of_spec(c->cfg, &e->s.spec, &items, &n_items);
    o.cred = &e->s.cred;
    o.tls = seat_tls(c->seats, &e->s);
    o.lateness = &c->lateness;
    o.gate = &c->gate;
    o.ticks = &c->ticks;
    e->t = target_new(c->base, c->dns, &o, on_poll_done, e);
    watch_items_free(items, n_items);
    return e;
}

static void entry_free(entry *e)
{
    if (!e) return;
    publisher_piece_clear(&e->piece);
    target_free(e->t);
    seat_free(e->c->seats, &e->s);
    free(e);
}

/* ---- the desired set and applying it ----------------------------------------------- */

static void grow_views(collector *c)
{
    if (c->n <= c->views_cap && c->views) return;
    c->views_cap = c->n + c->n / 2 + 1;
    c->views = xrealloc(c->views, c->views_cap * sizeof *c->views);
    c->pieces = xrealloc(c->pieces, c->views_cap * sizeof *c->pieces);
}

/* Brings the running targets to what the sources say: new ones start, gone ones stop,
 * the rest keep their connections (a label change is applied in place). file is the
 * targets file just read; NULL: the file's targets are the running ones that came from
 * it (the file is not kept: every target would hold its spec twice). */
static void apply(collector *c, const targets_file *file)
{
    targetset_want *w = xcalloc(c->n_statics + (file ? file->n : c->n) + seeds_found(&c->sd) + 1, sizeof *w);
    size_t nw = 0;
    for (size_t i = 0; i < c->n_statics; i++) w[nw++] = (targetset_want){&c->statics[i], NULL};
    if (file) {
        for (size_t i = 0; i < file->n; i++)
            if (file->specs[i].discover == TSPEC_DISCOVER_NONE) w[nw++] = (targetset_want){&file->specs[i], NULL};
    } else {
        for (size_t i = 0; i < c->n; i++)
            if (c->e[i]->s.spec.origin == TSPEC_FILE) w[nw++] = (targetset_want){&c->e[i]->s.spec, NULL};
    }
    nw += seeds_want(&c->sd, w + nw);
    const config *cfg = c->cfg;
    nw = targetset_choose(w, nw, cfg->shard_count, cfg->shard_index);
    const tspec **running = xcalloc(c->n + 1, sizeof *running);
    for (size_t i = 0; i < c->n; i++) running[i] = &c->e[i]->s.spec;
    targetset_step *steps = xcalloc(c->n + nw + 1, sizeof *steps);
    size_t n_steps = targetset_plan(running, c->n, w, nw, steps);
    free(running);
    entry **next = xcalloc(nw + 1, sizeof *next);
    size_t added = 0, removed = 0;
    for (size_t k = 0; k < n_steps; k++) {
        const targetset_step *st = &steps[k];
        const targetset_want *want = &w[st->want];
        entry *e = st->act == TARGETSET_ADD ? NULL : c->e[st->running];
        switch (st->act) {
        case TARGETSET_REMOVE:
            entry_free(e);
            removed++;
            continue;
        case TARGETSET_ADD:
            e = entry_new(c, want->spec, want->src);
            if (c->started) target_start(e->t, cfg->poll_interval * (double)rand() / RAND_MAX);
            added++;
            break;
        case TARGETSET_REPLACE:
            entry_free(e);
            e = entry_new(c, want->spec, want->src);
            if (c->started) target_start(e->t, 0);
            break;
        case TARGETSET_RELABEL:
            tspec_free(&e->s.spec);
            tspec_copy(&e->s.spec, want->spec);
            publisher_piece_clear(&e->piece); /* its series carry the new labels from now */
            break;
        case TARGETSET_KEEP:
            break;
        }
        e->src = want->src;
        next[st->want] = e;
    }
    free(steps);
    free(c->e);
    free(w);
    c->e = next;
    c->n = nw;
    c->sd_stale = true;
    slot_mark_behind();
    grow_views(c);
    if (c->started && (added || removed)) {
        char a[16], r[16], t[16];
        snprintf(a, sizeof a, "%zu", added);
        snprintf(r, sizeof r, "%zu", removed);
        snprintf(t, sizeof t, "%zu", nw);
        log_kv(LOG_INFO, "targets changed", "added", a, "removed", r, "targets", t, NULL);
    }
}

/* ---- discovery seeds ---------------------------------------------------------------- */

static void on_discovered(discoverer *d, void *arg)
{
    (void)d;
    apply(arg, NULL);
}

/* ---- the targets file ---------------------------------------------------------------- */

/* A read of the targets file that parsed: its seeds and its targets replace the file's. */
static void on_file(const targets_file *parsed, void *arg)
{
    seeds_sync(&((collector *)arg)->sd, parsed);
    apply(arg, parsed);
}

/* ---- publishing ---------------------------------------------------------------------- */

/* How a target is served at `now`: up while its last poll succeeded and is recent. */
static render_view view_of(const collector *c, const entry *e, double now)
{
    const report *r = target_report(e->t);
    const report_health *h = &r->health;
    bool fresh = r->has_sample && h->last_ok && now - h->last_success_mono <= STALE_INTERVALS * c->cfg->poll_interval;
    return (render_view){
        .r = r,
        .up = fresh,
        .state = fresh ? "up" : (h->last_ok && r->has_sample ? "stale" : target_phase_name(target_get_phase(e->t))),
    };
}

/* Until when the snapshot counts as alive (/healthz). Publishes, or the periodic word
 * that the loop is alive, come at least once an interval: one overdue by much more means
 * the loop is stuck (never sooner than ALIVE_MIN_SECONDS, so that a slow render with many
 * targets is not taken for a stall). So are polls that stopped finishing while the loop
 * goes on (whatever the cause): with targets to poll, it lives only as long past the
 * last poll. */
static double alive_until(void *arg, double now)
{
    collector *c = arg;
    double bound = STALE_INTERVALS * c->cfg->poll_interval;
    double alive = bound > ALIVE_MIN_SECONDS ? bound : ALIVE_MIN_SECONDS;
    double until = now + alive;
    if (c->n > 0) {
        if (c->last_poll_done == 0) c->last_poll_done = now; /* the first polls are under way */
        if (c->last_poll_done + alive < until) until = c->last_poll_done + alive;
    }
    return until;
}

static double publish(void *arg, bool ahead)
{
    collector *c = arg;
    double now = clock_mono();
    for (size_t i = 0; i < c->n; i++) {
        c->views[i] = view_of(c, c->e[i], now);
        c->pieces[i] = &c->e[i]->piece;
    }
    render_seed_count *refused = seeds_refused(&c->sd);
    publisher_input in = {.views = c->views,
                          .pieces = c->pieces,
                          .n = c->n,
                          .stale_after = STALE_INTERVALS * c->cfg->poll_interval,
                          .alive_until = alive_until(c, now),
                          .targets_changed = c->sd_stale,
                          .ahead = ahead,
                          .ex = {.lateness = &c->lateness,
                                 .has_reload = c->file != NULL,
                                 .reload_ok = c->file && twatch_ok(c->file),
                                 .reload_time = c->file ? twatch_time(c->file) : 0,
                                 .reload_error = c->file ? twatch_error(c->file) : "",
                                 .connect_waits = c->gate.waits,
                                 .snapshots_asked = cadence_asked(c->cadence),
                                 .snapshots_ahead = cadence_ahead(c->cadence),
                                 .refused = refused,
                                 .n_refused = c->sd.n}};
    double cost = publisher_publish(c->pub, &in);
    c->sd_stale = false;
    free(refused);
    return cost;
}

/* Re-reads the password file, the map and every target's own password file, and
 * re-seats every target and seed on them. */
static int reload_credentials(collector *c)
{
    seat_ref *refs = xcalloc(c->n + c->sd.n + 1, sizeof *refs);
    for (size_t i = 0; i < c->n; i++) refs[i] = (seat_ref){&c->e[i]->s, c->e[i]->src ? &c->e[i]->src->s : NULL, true};
    for (size_t i = 0; i < c->sd.n; i++) refs[c->n + i] = (seat_ref){&c->sd.v[i]->s, NULL, false};
    size_t changed;
    int rc = seat_pool_reseat(c->seats, refs, c->n + c->sd.n, &changed);
    free(refs);
    char n[32];
    snprintf(n, sizeof n, "%zu", changed);
    log_kv(rc == 0 ? LOG_INFO : LOG_WARN, "reload: credentials re-read", "targets_changed", n, NULL);
    return rc;
}

int collector_reload(collector *c)
{
    int rc = reload_credentials(c);
    if (c->file && twatch_read(c->file, false) != 0) rc = -1;
    return rc;
}

static void on_poll_done(target *t, void *arg)
{
    entry *e = arg;
    collector *c = e->c;
    const report *r = target_report(t);
    c->last_poll_done = clock_mono();
    /* A rejected password may have been rotated: read it again. A target with a password
     * file of its own re-reads only that (at most once a second each: in a fleet, one bad
     * password must not make every target's file be read); otherwise the shared ones are
     * read again, and every target re-seated on them. */
    if (r->health.last_error == POLLERR_AUTH) {
        double now = clock_mono();
        if (e->s.spec.password_file) {
            if (now - e->own_pw_read >= 1.0) {
                e->own_pw_read = now;
                seat_credentials(c->seats, &e->s, e->src ? &e->src->s : NULL);
            }
        } else if (seat_pool_reload_due(c->seats)) {
            reload_credentials(c);
        }
    }
    /* A discovered target that fails may have failed over or left: ask again soon. */
    if (!r->health.last_ok && e->src) discover_poke(e->src->d);
    /* Nothing is rendered here: the publish that a reader asks for renders what changed
     * (polls come every second, scrapes every 15 s or more). */
    slot_mark_behind();
}

collector *collector_new(struct event_base *base, const config *cfg, const render_build *build)
{
    char err[600];
    seat_pool *seats = seat_pool_new(cfg, err, sizeof err);
    if (!seats) {
        log_kv(LOG_ERROR, "cannot use --redis.password-map-file", "detail", err, NULL);
        return NULL;
    }
    struct evdns_base *dns = conn_resolver_new(base);
    if (!dns) {
        log_kv(LOG_ERROR, "cannot start the DNS resolver", NULL);
        seat_pool_free(seats);
        return NULL;
    }
    collector *c = xcalloc(1, sizeof *c);
    c->base = base;
    c->dns = dns;
    c->cfg = cfg;
    c->build = build;
    c->seats = seats;
    c->sd = (seeds){.base = base, .dns = dns, .seats = seats, .cfg = cfg, .found = on_discovered, .arg = c};
    histo_init(&c->lateness, histo_lateness_bounds, histo_lateness_n);
    c->gate.max = (unsigned)c->cfg->max_connects;
    target_ticks_init(&c->ticks, base, cfg->poll_interval);
    /* --tls.* given with a rediss:// address is checked now: a mistake stops the start. */
    for (size_t i = 0; i < cfg->n_targets; i++)
        if (cfg->targets[i].tls && !seat_pool_global_tls(c->seats)) goto bad;
    c->statics = xcalloc(cfg->n_targets + 1, sizeof *c->statics);
    for (size_t i = 0; i < cfg->n_targets; i++) {
        tspec *s = &c->statics[c->n_statics++];
        s->addr = cfg->targets[i];
        s->keys_per_second = -1;
        s->origin = TSPEC_STATIC;
    }
    c->cadence = cadence_new(base, cfg->poll_interval, (cadence_hooks){publish, alive_until, c});
    if (!c->cadence) abort();
    c->pub = publisher_new(cfg, build);
    if (cfg->targets_file[0]) {
        c->file = twatch_new(base, cfg->targets_file, on_file, c);
        /* At start a bad file is an error, not something to keep running without. */
        if (twatch_read(c->file, true) != 0) goto bad;
    } else {
        apply(c, NULL);
    }
    return c;
bad:
    collector_free(c);
    return NULL;
}

void collector_start(collector *c)
{
    double interval = c->cfg->poll_interval;
    for (size_t i = 0; i < c->n; i++) {
        /* Spread evenly with a random offset, so that restarts of many exporters and
         * many targets in one exporter do not poll in the same millisecond. */
        double phase = interval * (((double)i + (double)rand() / RAND_MAX) / (double)c->n);
        if (c->n == 1) phase = 0;
        target_start(c->e[i]->t, phase);
    }
    c->started = true;
    if (c->file) twatch_start(c->file);
    cadence_start(c->cadence);
    publish(c, false);
}

void collector_free(collector *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) entry_free(c->e[i]);
    free(c->e);
    seeds_clear(&c->sd);
    free(c->statics);
    free(c->views);
    seat_pool_free(c->seats);
    cadence_free(c->cadence);
    twatch_free(c->file);
    evdns_base_free(c->dns, 0);
    publisher_free(c->pub);
    free(c->pieces);
    free(c);
}
