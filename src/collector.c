/* collector: targets + coalesced rendering into published snapshots. See include/collector.h. */
#include "collector.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "procstat.h"
#include "render.h"
#include "snapshot.h"
#include "target.h"

/* A target's data older than this many intervals is stale: its Redis series go away. */
#define STALE_INTERVALS 3.0

struct collector {
    struct event_base *base;
    struct evdns_base *dns;
    const config *cfg;
    const collector_build *build;
    target **targets;
    size_t n;
    render_target *views;          /* reused between renders */
    struct event *periodic_ev;     /* publishes at least once per interval */
    struct event *soon_ev;         /* coalesced publish after polls complete */
    bool soon_pending;
    double render_cost;            /* seconds the last publish took */
    double lateness_counts[RENDER_LATENESS_BUCKETS + 1];
    double lateness_sum;
    buf text, landing;             /* render buffers, sized from the previous round */
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Hands a render buffer to the snapshot, and leaves the buffer with room for a body of
 * the same size, so that the next render allocates once and nothing is copied. */
static char *take(buf *b, size_t *len)
{
    size_t hint = b->len + b->len / 8 + 256;
    char *p = buf_steal(b, len);
    buf_reserve(b, hint);
    return p;
}

static void publish(collector *c)
{
    double t0 = mono_now();
    for (size_t i = 0; i < c->n; i++) {
        const target_state *st = target_get_state(c->targets[i]);
        bool fresh = st->has_sample && st->last_ok && t0 - st->sample_mono <= STALE_INTERVALS * c->cfg->poll_interval;
        c->views[i] = (render_target){
            .addr = st->label,
            .state = fresh ? "up" : (st->last_ok && st->has_sample ? "stale" : target_phase_name(st->phase)),
            .up = fresh,
            .sample = &st->sample,
            .derived = &st->derived,
            .has_last_success = st->has_last_success,
            .last_success_ts = st->last_success_real,
            .has_poll_duration = st->has_poll_duration,
            .poll_duration = st->poll_duration,
            .errors = st->errors,
            .last_error = st->last_error,
            .diagnosis = &st->diagnosis,
            .has_defrag_enabled = st->has_defrag_enabled,
            .defrag_enabled = st->defrag_enabled,
            .largest = st->largest,
            .n_largest = st->n_largest,
            .key_size_counts = st->sampler_active ? st->key_size_counts : NULL,
            .key_size_sum = st->key_size_sum,
        };
    }
    procstat_sample proc;
    procstat_read("/proc", &proc);
    render_exporter ex = {
        .version = c->build->version, .revision = c->build->revision, .hiredis = c->build->hiredis,
        .libevent = c->build->libevent, .libmicrohttpd = c->build->libmicrohttpd, .proc = &proc,
        .lateness_counts = c->lateness_counts, .lateness_sum = c->lateness_sum,
        .poll_interval = c->cfg->poll_interval,
    };
    buf_reset(&c->text);
    buf_reset(&c->landing);
    render_metrics(&c->text, RENDER_TEXT, c->views, c->n, &ex);
    render_landing(&c->landing, c->views, c->n, &ex, c->cfg->telemetry_path);
    char *bodies[SNAPSHOT_PARTS];
    size_t lens[SNAPSHOT_PARTS];
    bodies[SNAPSHOT_TEXT] = take(&c->text, &lens[SNAPSHOT_TEXT]);
    bodies[SNAPSHOT_OPENMETRICS] = NULL;   /* made from the text when first asked for */
    lens[SNAPSHOT_OPENMETRICS] = 0;
    bodies[SNAPSHOT_LANDING] = take(&c->landing, &lens[SNAPSHOT_LANDING]);
    snapshot_publish(snapshot_new(bodies, lens));
    c->render_cost = mono_now() - t0;
}

static void on_periodic(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    publish(arg);
}

static void on_soon(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    collector *c = arg;
    c->soon_pending = false;
    publish(c);
}

static void on_poll_done(target *t, void *arg)
{
    (void)t;
    collector *c = arg;
    if (c->soon_pending) return;
    /* Coalesce: with many targets, one render covers every poll that ends in the gap.
     * The gap keeps rendering under ~5 % of a core and is never over half an interval. */
    double gap = c->render_cost * 20;
    if (gap < 0.002) gap = 0.002;
    if (gap > c->cfg->poll_interval / 2) gap = c->cfg->poll_interval / 2;
    struct timeval tv = {(time_t)gap, (suseconds_t)((gap - floor(gap)) * 1e6)};
    event_add(c->soon_ev, &tv);
    c->soon_pending = true;
}

collector *collector_new(struct event_base *base, const config *cfg, const collector_build *build)
{
    collector *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->base = base;
    c->cfg = cfg;
    c->build = build;
    /* Name resolution must not block the loop: evdns, with /etc/hosts honoured. Without
     * a usable resolv.conf (minimal containers) it still resolves /etc/hosts and numbers. */
    c->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_NAMESERVERS_NO_DEFAULT);
    if (!c->dns) c->dns = evdns_base_new(base, 0);
    if (!c->dns) {
        log_kv(LOG_ERROR, "cannot start the DNS resolver", NULL);
        free(c);
        return NULL;
    }
    c->n = cfg->n_targets;
    c->targets = calloc(c->n, sizeof *c->targets);
    c->views = calloc(c->n ? c->n : 1, sizeof *c->views);
    if (!c->targets || !c->views) abort();
    for (size_t i = 0; i < c->n; i++) {
        target_opts o = {
            .addr = &cfg->targets[i],
            .user = cfg->user,
            .password = cfg->password,
            .interval = cfg->poll_interval,
            .timeout = cfg->poll_timeout,
            .max_backoff = cfg->max_backoff,
            .max_reply_bytes = cfg->max_reply_bytes,
            .lateness_counts = c->lateness_counts,
            .lateness_sum = &c->lateness_sum,
            .thresholds = cfg->thresholds,
            .sampler_keys_per_second = cfg->sampler_keys_per_second,
            .sampler_top_n = cfg->sampler_top_n,
            .sampler_memory_samples = cfg->sampler_memory_samples,
            .sampler_hash_keys = cfg->sampler_hash_keys,
        };
        c->targets[i] = target_new(base, c->dns, &o, on_poll_done, c);
    }
    c->periodic_ev = event_new(base, -1, EV_PERSIST, on_periodic, c);
    c->soon_ev = evtimer_new(base, on_soon, c);
    if (!c->periodic_ev || !c->soon_ev) abort();
    buf_init(&c->text);
    buf_init(&c->landing);
    return c;
}

void collector_start(collector *c)
{
    double interval = c->cfg->poll_interval;
    for (size_t i = 0; i < c->n; i++) {
        /* Spread evenly with a random offset, so that restarts of many exporters and
         * many targets in one exporter do not poll in the same millisecond. */
        double phase = interval * (((double)i + (double)rand() / RAND_MAX) / (double)c->n);
        if (c->n == 1) phase = 0;
        target_start(c->targets[i], phase);
    }
    struct timeval tv = {(time_t)interval, (suseconds_t)((interval - floor(interval)) * 1e6)};
    event_add(c->periodic_ev, &tv);
    publish(c);
}

void collector_free(collector *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) target_free(c->targets[i]);
    free(c->targets);
    free(c->views);
    event_free(c->periodic_ev);
    event_free(c->soon_ev);
    evdns_base_free(c->dns, 0);
    buf_free(&c->text);
    buf_free(&c->landing);
    free(c);
}
