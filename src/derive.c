/* SPDX-License-Identifier: Apache-2.0 */
/* derive: rates, ratios and forecasts from successive samples. See include/derive.h. */
#include "derive.h"

#include <math.h>
#include <string.h>

#include "hash.h"

static void ring_init(derive_ring *r, unsigned short cap, double window)
{
    memset(r, 0, sizeof *r);
    r->cap = cap;
    /* Enough points to span the window; the newest sample is always exact because the
     * rate is taken from the current sample, not from the ring. */
    r->spacing = window / (cap - 2);
}

static size_t ring_slot(const derive_ring *r, size_t i) { return (r->head + i) % r->cap; }

/* The slot a point taken at t goes into, or -1 when it is too close to the newest. */
static int ring_push(derive_ring *r, double newest_t, double t)
{
    if (r->count > 0 && t - newest_t < r->spacing) return -1;
    if (r->count == r->cap) {
        r->head = (unsigned short)((r->head + 1) % r->cap);
        r->count--;
    }
    r->count++;
    return (int)ring_slot(r, r->count - 1u);
}

static void ring_clear(derive_ring *r)
{
    r->head = 0;
    r->count = 0;
}

void derive_history_init(derive_history *h, double rate_window, double trend_window)
{
    memset(h, 0, sizeof *h);
    h->rate_window = rate_window;
    h->trend_window = trend_window;
    ring_init(&h->rate, DERIVE_RATE_POINTS, rate_window);
    ring_init(&h->trend, DERIVE_TREND_POINTS, trend_window);
}

static double value_or_nan(const info_sample *s, info_num f)
{
    double v;
    return info_get(s, f, &v) ? v : NAN;
}

/* A counter went down: only a reset (RESETSTAT, restart, failover) does that. */
static bool went_down(double before, double now) { return !isnan(before) && !isnan(now) && now < before; }

bool derive_push(derive_history *h, const info_sample *s, double now)
{
    derive_rate_point p = {.t = now,
                           .evicted = value_or_nan(s, INFO_EVICTED_KEYS),
                           .expired = value_or_nan(s, INFO_EXPIRED_KEYS),
                           .oom = NAN};
    double used = value_or_nan(s, INFO_USED_MEMORY);
    double oom;
    if (info_error_count(s, "OOM", &oom)) p.oom = oom;

    const char *run_id = info_text_get(s, INFO_RUN_ID);
    /* a run_id is 40 hex digits; only "the same as before?" is asked of it (0: none) */
    unsigned long long run_hash = run_id && run_id[0] ? hash_text(run_id) | 1 : 0;
    double uptime = value_or_nan(s, INFO_UPTIME);
    bool reset = false;
    if (h->has_last) {
        if (run_hash && h->run_id_hash && run_hash != h->run_id_hash) reset = true;
        if (!isnan(uptime) && uptime < h->last_uptime) reset = true;
        if (went_down(h->last.evicted, p.evicted) || went_down(h->last.expired, p.expired) ||
            went_down(h->last.oom, p.oom))
            reset = true;
        if (now <= h->last.t) reset = true; /* the caller's clock must move forward */
    }
    if (reset) {
        ring_clear(&h->rate);
        ring_clear(&h->trend);
        h->resets++;
    }
    if (run_hash) h->run_id_hash = run_hash;
    h->last_uptime = isnan(uptime) ? 0 : uptime;
    int slot = ring_push(&h->rate, h->rate.count ? h->rate_pts[ring_slot(&h->rate, h->rate.count - 1u)].t : 0, now);
    if (slot >= 0) h->rate_pts[slot] = p;
    slot = ring_push(&h->trend, h->trend.count ? h->trend_pts[ring_slot(&h->trend, h->trend.count - 1u)].t : 0, now);
    if (slot >= 0) h->trend_pts[slot] = (derive_trend_point){now, used};
    h->last = p;
    h->last_used = used;
    h->has_last = true;
    return reset;
}

/* Per-second increase of a counter between the oldest point inside the window and now. */
static bool rate_of(const derive_history *h, size_t offset, double *out)
{
    const derive_rate_point *now = &h->last;
    double vnow = *(const double *)((const char *)now + offset);
    if (isnan(vnow)) return false;
    for (size_t i = 0; i < h->rate.count; i++) {
        const derive_rate_point *p = &h->rate_pts[ring_slot(&h->rate, i)];
        if (p->t < now->t - h->rate_window * 1.05 || p->t >= now->t) continue;
        double vthen = *(const double *)((const char *)p + offset);
        if (isnan(vthen) || vnow < vthen) return false;
        *out = (vnow - vthen) / (now->t - p->t);
        return true;
    }
    return false;
}

/* Least-squares slope of used memory over the trend window (bytes per second). */
static bool trend_slope(const derive_history *h, double now_t, double *slope)
{
    double window = h->trend_window;
    double n = 0, st = 0, su = 0, stt = 0, stu = 0, t0 = 0, tmin = 0, tmax = 0;
    for (size_t i = 0; i < h->trend.count; i++) {
        const derive_trend_point *p = &h->trend_pts[ring_slot(&h->trend, i)];
        if (isnan(p->used) || p->t < now_t - window) continue;
        if (n == 0) {
            t0 = p->t;
            tmin = p->t;
        }
        tmax = p->t;
        double t = p->t - t0; /* centred near 0 for precision */
        n++;
        st += t;
        su += p->used;
        stt += t * t;
        stu += t * p->used;
    }
    /* At least five points over a third of the window, or the forecast is noise. */
    if (n < 5 || tmax - tmin < window / 3) return false;
    double den = n * stt - st * st;
    if (den <= 0) return false;
    *slope = (n * stu - st * su) / den;
    return true;
}

/* Did used memory grow over the last RECENT_SECONDS? The long fit lags: after writes stop
 * it keeps a positive slope for minutes, and a "full in 11 min" that is not coming is
 * worse than none. Growth must be more than noise (a ten-thousandth of the limit). */
#define RECENT_SECONDS 60.0
static bool grew_recently(const derive_history *h, double max)
{
    double now_t = h->last.t;
    for (size_t i = 0; i < h->trend.count; i++) {
        const derive_trend_point *p = &h->trend_pts[ring_slot(&h->trend, i)];
        if (isnan(p->used) || p->t < now_t - RECENT_SECONDS) continue;
        /* the oldest point inside the window; it must span most of it */
        if (now_t - p->t < RECENT_SECONDS * 0.5) return true; /* too young to tell: trust the fit */
        return h->last_used - p->used > max / 10000.0;
    }
    return true;
}

derive_policy derive_policy_of(const char *policy)
{
    if (!policy) return DERIVE_POLICY_UNKNOWN;
    if (strcmp(policy, "noeviction") == 0) return DERIVE_POLICY_NOEVICTION;
    if (strncmp(policy, "allkeys-", 8) == 0) return DERIVE_POLICY_ALLKEYS;
    if (strncmp(policy, "volatile-", 9) == 0) return DERIVE_POLICY_VOLATILE;
    return DERIVE_POLICY_UNKNOWN;
}

bool derive_db_evictable(derive_policy p, const info_db *db, double *out)
{
    switch (p) {
    case DERIVE_POLICY_NOEVICTION:
        *out = 0;
        return true;
    case DERIVE_POLICY_ALLKEYS:
        *out = db->keys;
        return true;
    case DERIVE_POLICY_VOLATILE:
        if (!db->has_expires) return false;
        *out = db->expires;
        return true;
    case DERIVE_POLICY_UNKNOWN:
        break;
    }
    return false;
}

void derive_compute(const derive_history *h, const info_sample *s, double now_t, derived *out)
{
    memset(out, 0, sizeof *out);
    double used, max, peak;
    bool has_used = info_get(s, INFO_USED_MEMORY, &used);
    bool has_max = info_get(s, INFO_MAXMEMORY, &max);
    out->max_configured = has_max && max > 0;
    if (has_used && out->max_configured) {
        out->has_used_ratio = true;
        out->used_ratio = used / max;
    }
    if (out->max_configured && info_get(s, INFO_USED_MEMORY_PEAK, &peak)) {
        out->has_peak_ratio = true;
        out->peak_ratio = peak / max;
    }

    if (h->has_last) {
        out->has_evicted_rate = rate_of(h, offsetof(derive_rate_point, evicted), &out->evicted_rate);
        out->has_expired_rate = rate_of(h, offsetof(derive_rate_point, expired), &out->expired_rate);
        out->has_oom_rate = rate_of(h, offsetof(derive_rate_point, oom), &out->oom_rate);
        double slope;
        if (has_used && out->max_configured && trend_slope(h, now_t, &slope)) {
            /* Growth under 1 byte/s, or under a thousandth of the limit per window, is flat. */
            if (slope > 1.0 && slope * h->trend_window > max / 1000.0 && grew_recently(h, max)) {
                out->has_time_to_full = true;
                out->time_to_full = used >= max ? 0 : (max - used) / slope;
                out->growth_rate = slope;
            }
        }
    }

    for (size_t i = 0; i < s->n_dbs; i++) {
        out->keys_total += s->dbs[i].keys;
        if (s->dbs[i].has_expires) out->expires_total += s->dbs[i].expires;
    }
    out->policy = derive_policy_of(info_text_get(s, INFO_MAXMEMORY_POLICY));
    switch (out->policy) {
    case DERIVE_POLICY_NOEVICTION:
        out->has_eviction_possible = true;
        out->eviction_possible = false;
        break;
    case DERIVE_POLICY_ALLKEYS:
        out->has_eviction_possible = s->has_keyspace;
        out->eviction_possible = out->keys_total > 0;
        break;
    case DERIVE_POLICY_VOLATILE:
        out->has_eviction_possible = s->has_keyspace;
        out->eviction_possible = out->expires_total > 0;
        break;
    case DERIVE_POLICY_UNKNOWN:
        break;
    }
}

size_t derive_trend_points(const derive_history *h, double *t, double *used, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < h->trend.count && n < cap; i++) {
        const derive_trend_point *p = &h->trend_pts[ring_slot(&h->trend, i)];
        if (isnan(p->used)) continue;
        t[n] = p->t;
        used[n++] = p->used;
    }
    /* the ring keeps a point every few seconds: the newest sample closes the line */
    if (h->has_last && !isnan(h->last_used) && n < cap && (n == 0 || h->last.t > t[n - 1])) {
        t[n] = h->last.t;
        used[n++] = h->last_used;
    }
    return n;
}
