/* collector: targets + coalesced rendering into published snapshots. See include/collector.h. */
#include "collector.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "conn.h"
#include "creds.h"
#include "histo.h"
#include "landing.h"
#include "log.h"
#include "procstat.h"
#include "render.h"
#include "snapshot.h"
#include "target.h"
#include "tls.h"
#include "xalloc.h"

/* A target's data older than this many intervals is stale: its Redis series go away. */
#define STALE_INTERVALS 3.0
#define ALIVE_MIN_SECONDS 10.0

struct collector {
    struct event_base *base;
    struct evdns_base *dns;
    const config *cfg;
    const render_build *build;
    target **targets;
    size_t n;
    render_view *views;            /* reused between renders */
    snapshot_fresh *fresh;         /* likewise: the targets served as up, and until when */
    creds *creds;                  /* owned: what each target AUTHs with */
    tls_client *tls;               /* owned: for rediss:// targets; NULL when there are none */
    struct event *periodic_ev;     /* publishes at least once per interval */
    struct event *soon_ev;         /* coalesced publish after polls complete */
    bool soon_pending;
    double render_cost;            /* seconds the last publish took */
    histo lateness;                /* poll lateness over all targets */
    buf text, landing;             /* render buffers, sized from the previous round */
};

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
    double t0 = clock_mono();
    double bound = STALE_INTERVALS * c->cfg->poll_interval;
    size_t n_fresh = 0;
    for (size_t i = 0; i < c->n; i++) {
        const report *r = target_report(c->targets[i]);
        const report_health *h = &r->health;
        bool fresh = r->has_sample && h->last_ok && t0 - h->last_success_mono <= bound;
        if (fresh) c->fresh[n_fresh++] = (snapshot_fresh){r->addr, h->last_success_mono + bound};
        c->views[i] = (render_view){
            .r = r,
            .up = fresh,
            .state = fresh ? "up"
                     : (h->last_ok && r->has_sample ? "stale" : target_phase_name(target_get_phase(c->targets[i]))),
        };
    }
    procstat_sample proc;
    procstat_read("/proc", &proc);
    render_exporter ex = {.build = c->build, .proc = &proc, .lateness = &c->lateness,
                          .poll_interval = c->cfg->poll_interval};
    buf_reset(&c->text);
    buf_reset(&c->landing);
    render_metrics(&c->text, RENDER_TEXT, c->views, c->n, &ex);
    landing_render(&c->landing, c->views, c->n, &ex, c->cfg->telemetry_path);
    char *bodies[SNAPSHOT_PARTS];
    size_t lens[SNAPSHOT_PARTS];
    bodies[SNAPSHOT_TEXT] = take(&c->text, &lens[SNAPSHOT_TEXT]);
    bodies[SNAPSHOT_OPENMETRICS] = NULL;   /* made from the text when first asked for */
    lens[SNAPSHOT_OPENMETRICS] = 0;
    bodies[SNAPSHOT_LANDING] = take(&c->landing, &lens[SNAPSHOT_LANDING]);
    /* Publishes come at least once an interval: one overdue by much more means the loop
     * is stuck, and /healthz says so (never sooner than ALIVE_MIN_SECONDS, so that a
     * slow render with many targets is not taken for a stall). */
    double alive = bound > ALIVE_MIN_SECONDS ? bound : ALIVE_MIN_SECONDS;
    snapshot_publish(snapshot_new(bodies, lens, c->fresh, n_fresh, t0 + alive));
    c->render_cost = clock_mono() - t0;
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

int collector_reload(collector *c) { return creds_reload(c->creds); }

static void on_poll_done(target *t, void *arg)
{
    collector *c = arg;
    /* A rejected password may have been rotated: read the files again. */
    if (target_report(t)->health.last_error == POLLERR_AUTH) creds_auth_failed(c->creds);
    if (c->soon_pending) return;
    /* Coalesce: with many targets, one render covers every poll that ends in the gap.
     * The gap keeps rendering under ~5 % of a core and is never over half an interval. */
    double gap = c->render_cost * 20;
    if (gap < 0.002) gap = 0.002;
    if (gap > c->cfg->poll_interval / 2) gap = c->cfg->poll_interval / 2;
    struct timeval tv = clock_tv(gap);
    event_add(c->soon_ev, &tv);
    c->soon_pending = true;
}

collector *collector_new(struct event_base *base, const config *cfg, const render_build *build)
{
    char err[600];
    creds *cr = creds_new(cfg, err, sizeof err);
    if (!cr) {
        log_kv(LOG_ERROR, "cannot use --redis.password-map-file", "detail", err, NULL);
        return NULL;
    }
    tls_client *tls = NULL;
    bool any_tls = false;
    for (size_t i = 0; i < cfg->n_targets; i++) any_tls |= cfg->targets[i].tls;
    if (any_tls && !(tls = tls_client_new(&cfg->tls, err, sizeof err))) {
        log_kv(LOG_ERROR, "cannot set up TLS to Redis", "detail", err, NULL);
        creds_free(cr);
        return NULL;
    }
    struct evdns_base *dns = conn_resolver_new(base);
    if (!dns) {
        log_kv(LOG_ERROR, "cannot start the DNS resolver", NULL);
        tls_client_free(tls);
        creds_free(cr);
        return NULL;
    }
    collector *c = xcalloc(1, sizeof *c);
    c->creds = cr;
    c->tls = tls;
    c->base = base;
    c->dns = dns;
    c->cfg = cfg;
    c->build = build;
    histo_init(&c->lateness, histo_lateness_bounds, histo_lateness_n);
    c->n = cfg->n_targets;
    c->targets = xcalloc(c->n, sizeof *c->targets);
    c->views = xcalloc(c->n, sizeof *c->views);
    c->fresh = xcalloc(c->n, sizeof *c->fresh);
    for (size_t i = 0; i < c->n; i++) {
        target_opts o = target_opts_of(cfg, &cfg->targets[i]);
        o.cred = creds_of(c->creds, i);
        o.tls = c->tls;
        o.lateness = &c->lateness;
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
    struct timeval tv = clock_tv(interval);
    event_add(c->periodic_ev, &tv);
    publish(c);
}

void collector_free(collector *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) target_free(c->targets[i]);
    free(c->targets);
    free(c->views);
    free(c->fresh);
    creds_free(c->creds);
    tls_client_free(c->tls);
    event_free(c->periodic_ev);
    event_free(c->soon_ev);
    evdns_base_free(c->dns, 0);
    buf_free(&c->text);
    buf_free(&c->landing);
    free(c);
}
