/* SPDX-License-Identifier: Apache-2.0 */
/* derive: samples over time -> derived values. Pure: the caller passes the time.
 *
 * Each target keeps a derive_history. Every successful poll pushes its sample; the
 * history detects counter resets (a new run_id, uptime going back, or a counter going
 * down after CONFIG RESETSTAT) and starts over, so a rate is never negative and never
 * spans two server lifetimes. Rates are absent until two points exist after a reset. */
#ifndef RME_DERIVE_H
#define RME_DERIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "info.h"

/* Points kept per window. The rate window (seconds) needs only its two ends and a few
 * between; the trend window (minutes) is fitted and drawn, so it keeps more. A point is
 * only what its window uses: 32 and 16 bytes, about 1.3 KiB per target in all. */
#define DERIVE_RATE_POINTS 16
#define DERIVE_TREND_POINTS 48

typedef struct derive_rate_point {
    double t;                     /* seconds, caller's clock */
    double evicted, expired, oom; /* counters; NaN when absent */
} derive_rate_point;

typedef struct derive_trend_point {
    double t;
    double used; /* NaN when absent */
} derive_trend_point;

/* Which slots of a window's array hold points, oldest first. */
typedef struct derive_ring {
    unsigned short head; /* slot of the oldest point */
    unsigned short count;
    unsigned short cap;
    double spacing; /* a point is kept only if this long after the previous one */
} derive_ring;

typedef struct derive_history {
    derive_ring rate;  /* short window for the per-second rates */
    derive_ring trend; /* long window for the time-to-full forecast */
    derive_rate_point rate_pts[DERIVE_RATE_POINTS];
    derive_trend_point trend_pts[DERIVE_TREND_POINTS];
    double rate_window, trend_window;
    unsigned long long run_id_hash; /* of the last run_id seen; 0: none */
    double last_uptime;
    derive_rate_point last; /* the newest sample's counters ... */
    double last_used;       /* ... and used memory (NaN when absent) */
    bool has_last;
    unsigned resets; /* resets seen, for tests and logs */
} derive_history;

typedef enum derive_policy {
    DERIVE_POLICY_UNKNOWN,
    DERIVE_POLICY_NOEVICTION,
    DERIVE_POLICY_ALLKEYS,  /* allkeys-lru/lfu/random */
    DERIVE_POLICY_VOLATILE, /* volatile-lru/lfu/random/ttl */
} derive_policy;

typedef struct derived {
    bool max_configured; /* maxmemory present and > 0 */
    bool has_used_ratio;
    double used_ratio;
    bool has_peak_ratio;
    double peak_ratio;
    bool has_evicted_rate;
    double evicted_rate;
    bool has_expired_rate;
    double expired_rate;
    bool has_oom_rate;
    double oom_rate;
    bool has_time_to_full;
    double time_to_full; /* seconds; 0 when already at the limit */
    double growth_rate;  /* bytes a second behind time_to_full (when it is had) */
    derive_policy policy;
    bool has_eviction_possible;
    bool eviction_possible;
    double keys_total, expires_total; /* over all dbs */
} derived;

/* Prepares a history. rate_window and trend_window are in seconds (> 0). */
void derive_history_init(derive_history *h, double rate_window, double trend_window);
/* Records a successful poll's sample taken at time now. Returns true when it found a
 * reset (the earlier points were dropped). */
bool derive_push(derive_history *h, const info_sample *s, double now);
/* Computes the derived values for the newest sample s (already pushed); now (the
 * caller's clock, as given to derive_push) ends the forecast's window. */
void derive_compute(const derive_history *h, const info_sample *s, double now, derived *out);

/* The used-memory points of the forecast's window, oldest first (for the landing page's
 * chart): up to cap of them into t[] (the caller's clock) and used[]; returns how many. */
size_t derive_trend_points(const derive_history *h, double *t, double *used, size_t cap);

/* Classifies a maxmemory_policy value; NULL -> UNKNOWN. */
derive_policy derive_policy_of(const char *policy);
/* Keys in db that the policy may evict: all keys, keys with a TTL, or none.
 * Returns false when the policy is unknown. */
bool derive_db_evictable(derive_policy p, const info_db *db, double *out);

#endif
