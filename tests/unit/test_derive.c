/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for derive: ratio, rates, resets, forecast, policy classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "derive.h"
#include "info.h"

/* Parses a printf-made INFO text into s (reset first). */
static void sample(info_sample *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sample(info_sample *s, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    info_sample_reset(s);
    info_parse(s, text, (size_t)n);
}

static void test_ratio(void **state)
{
    (void)state;
    info_sample s;
    info_sample_init(&s);
    derive_history h;
    derived d;
    static const struct {
        const char *text;
        bool has;
        double ratio;
        bool configured;
    } cases[] = {
        {"used_memory:800\nmaxmemory:1000\n", true, 0.8, true},
        {"used_memory:2000\nmaxmemory:1000\n", true, 2.0, true},
        {"used_memory:800\nmaxmemory:0\n", false, 0, false},
        {"used_memory:800\n", false, 0, false},
        {"maxmemory:1000\n", false, 0, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        derive_history_init(&h, 10, 300);
        sample(&s, "%s", cases[i].text);
        derive_push(&h, &s, 1);
        derive_compute(&h, &s, h.last.t, &d);
        assert_int_equal(d.has_used_ratio, cases[i].has);
        assert_int_equal(d.max_configured, cases[i].configured);
        if (cases[i].has) assert_true(fabs(d.used_ratio - cases[i].ratio) < 1e-12);
    }
    info_sample_free(&s);
}

static void test_rates_and_resets(void **state)
{
    (void)state;
    info_sample s;
    info_sample_init(&s);
    derive_history h;
    derive_history_init(&h, 10, 300);
    derived d;
#define FMT "run_id:aaa\nuptime_in_seconds:%d\nevicted_keys:%d\nexpired_keys:%d\n# Errorstats\n%s"
    sample(&s, FMT, 100, 0, 0, "");
    derive_push(&h, &s, 100);
    derive_compute(&h, &s, h.last.t, &d);
    assert_false(d.has_evicted_rate); /* one point: no rate yet */
    for (int t = 1; t <= 5; t++) {
        char oom[64];
        snprintf(oom, sizeof oom, "errorstat_OOM:count=%d\n", t * 3);
        sample(&s, FMT, 100 + t, t * 10, t * 2, oom);
        assert_false(derive_push(&h, &s, 100 + t));
        derive_compute(&h, &s, h.last.t, &d);
        assert_true(d.has_evicted_rate && fabs(d.evicted_rate - 10) < 1e-9);
        assert_true(d.has_expired_rate && fabs(d.expired_rate - 2) < 1e-9);
        assert_true(d.has_oom_rate && fabs(d.oom_rate - 3) < 1e-9);
    }
    /* CONFIG RESETSTAT: counters drop to 0 in the same server lifetime. */
    sample(&s, FMT, 106, 0, 0, "");
    assert_true(derive_push(&h, &s, 106));
    derive_compute(&h, &s, h.last.t, &d);
    assert_false(d.has_evicted_rate || d.has_expired_rate || d.has_oom_rate);
    sample(&s, FMT, 107, 4, 0, "");
    derive_push(&h, &s, 107);
    derive_compute(&h, &s, h.last.t, &d);
    assert_true(d.has_evicted_rate && d.evicted_rate == 4);
    /* Restart: a new run_id, even with higher counters, never spans two lifetimes. */
    sample(&s, "run_id:bbb\nuptime_in_seconds:1\nevicted_keys:1000000\nexpired_keys:0\n");
    assert_true(derive_push(&h, &s, 108));
    derive_compute(&h, &s, h.last.t, &d);
    assert_false(d.has_evicted_rate);
    /* Uptime going back alone also counts as a restart. */
    sample(&s, "run_id:bbb\nuptime_in_seconds:50\nevicted_keys:1000001\n");
    assert_false(derive_push(&h, &s, 109));
    sample(&s, "run_id:bbb\nuptime_in_seconds:2\nevicted_keys:1000002\n");
    assert_true(derive_push(&h, &s, 110));
    assert_int_equal(h.resets, 3); /* RESETSTAT, new run_id, uptime back */
    info_sample_free(&s);
}

static void test_rate_window(void **state)
{
    (void)state;
    info_sample s;
    info_sample_init(&s);
    derive_history h;
    derive_history_init(&h, 10, 300);
    derived d;
    /* 100/s for 20 s, then nothing for 11 s: the window forgets the old burst. */
    for (int t = 0; t <= 20; t++) {
        sample(&s, "evicted_keys:%d\n", t * 100);
        derive_push(&h, &s, t);
    }
    for (int t = 21; t <= 32; t++) {
        sample(&s, "evicted_keys:2000\n");
        derive_push(&h, &s, t);
    }
    derive_compute(&h, &s, h.last.t, &d);
    assert_true(d.has_evicted_rate && d.evicted_rate == 0);
    info_sample_free(&s);
}

/* The rate ring keeps 16 points: whatever the interval, the rate still spans the whole
 * 10 s window (the oldest point inside it), not just the last few polls. */
static void test_rate_ring_spans_window(void **state)
{
    (void)state;
    static const double intervals[] = {0.1, 0.25, 1, 3};
    for (size_t k = 0; k < sizeof intervals / sizeof *intervals; k++) {
        info_sample s;
        info_sample_init(&s);
        derive_history h;
        derive_history_init(&h, 10, 300);
        derived d;
        /* 50 evictions per second throughout, then a burst of 600 in the newest poll */
        double t = 0;
        int n = (int)(60 / intervals[k]);
        for (int i = 0; i <= n; i++) {
            t = i * intervals[k];
            sample(&s, "evicted_keys:%d\n", (int)(t * 50) + (i == n ? 600 : 0));
            derive_push(&h, &s, t);
        }
        derive_compute(&h, &s, t, &d);
        assert_true(d.has_evicted_rate);
        /* spread over the window (10 s, less one interval at the least) the burst adds
         * about 60/s; over the last polls only it would add 600/interval */
        assert_true(d.evicted_rate > 50 + 600 / 10.6);
        assert_true(d.evicted_rate < 50 + 600 / (10 - intervals[k]) + 0.01);
        info_sample_free(&s);
    }
}

static void test_time_to_full(void **state)
{
    (void)state;
    info_sample s;
    info_sample_init(&s);
    derive_history h;
    derived d;
    /* +1 MB/s, 100 MB used of 1 GB: full in ~900 s. */
    derive_history_init(&h, 10, 300);
    for (int t = 0; t <= 200; t += 2) {
        sample(&s, "used_memory:%d\nmaxmemory:1000000000\n", 100000000 + t * 1000000);
        derive_push(&h, &s, t);
    }
    derive_compute(&h, &s, h.last.t, &d);
    assert_true(d.has_time_to_full);
    double expect = (1e9 - (1e8 + 200e6)) / 1e6;
    assert_true(fabs(d.time_to_full - expect) < expect * 0.01);
    /* Flat: absent. */
    derive_history_init(&h, 10, 300);
    for (int t = 0; t <= 200; t += 2) {
        sample(&s, "used_memory:500000000\nmaxmemory:1000000000\n");
        derive_push(&h, &s, t);
    }
    derive_compute(&h, &s, h.last.t, &d);
    assert_false(d.has_time_to_full);
    /* Shrinking: absent. No limit: absent. Too few points: absent. */
    derive_history_init(&h, 10, 300);
    for (int t = 0; t <= 200; t += 2) {
        sample(&s, "used_memory:%d\nmaxmemory:1000000000\n", 900000000 - t * 1000000);
        derive_push(&h, &s, t);
    }
    derive_compute(&h, &s, h.last.t, &d);
    assert_false(d.has_time_to_full);
    derive_history_init(&h, 10, 300);
    for (int t = 0; t <= 200; t += 2) {
        sample(&s, "used_memory:%d\nmaxmemory:0\n", 100000000 + t * 1000000);
        derive_push(&h, &s, t);
    }
    derive_compute(&h, &s, h.last.t, &d);
    assert_false(d.has_time_to_full);
    derive_history_init(&h, 10, 300);
    for (int t = 0; t <= 3; t++) {
        sample(&s, "used_memory:%d\nmaxmemory:1000000000\n", 100000000 + t * 1000000);
        derive_push(&h, &s, t);
    }
    derive_compute(&h, &s, h.last.t, &d);
    assert_false(d.has_time_to_full);
    /* Growth that stopped: the 5-minute fit still slopes up, but within a minute of the
     * last growth the forecast is gone (issue 13: "full in 11 min" stayed for minutes). */
    derive_history_init(&h, 10, 300);
    for (int t = 0; t <= 200; t += 2) {
        sample(&s, "used_memory:%d\nmaxmemory:1000000000\n", 100000000 + t * 1000000);
        derive_push(&h, &s, t);
    }
    for (int t = 202; t <= 230; t += 2) { /* flat for 30 s: too soon to tell */
        sample(&s, "used_memory:300000000\nmaxmemory:1000000000\n");
        derive_push(&h, &s, t);
    }
    derive_compute(&h, &s, h.last.t, &d);
    assert_true(d.has_time_to_full);
    for (int t = 232; t <= 264; t += 2) { /* flat for over a minute: gone */
        sample(&s, "used_memory:300000000\nmaxmemory:1000000000\n");
        derive_push(&h, &s, t);
    }
    derive_compute(&h, &s, h.last.t, &d);
    assert_false(d.has_time_to_full);
    /* Growing and already over the limit: 0. */
    derive_history_init(&h, 10, 300);
    for (int t = 0; t <= 200; t += 2) {
        sample(&s, "used_memory:%d\nmaxmemory:100000000\n", 100000000 + t * 100000);
        derive_push(&h, &s, t);
    }
    derive_compute(&h, &s, h.last.t, &d);
    assert_true(d.has_time_to_full && d.time_to_full == 0);
    info_sample_free(&s);
}

static void test_policies(void **state)
{
    (void)state;
    static const struct {
        const char *policy;
        derive_policy want;
    } cases[] = {
        {"noeviction", DERIVE_POLICY_NOEVICTION}, {"allkeys-lru", DERIVE_POLICY_ALLKEYS},
        {"allkeys-lfu", DERIVE_POLICY_ALLKEYS},   {"allkeys-random", DERIVE_POLICY_ALLKEYS},
        {"volatile-lru", DERIVE_POLICY_VOLATILE}, {"volatile-ttl", DERIVE_POLICY_VOLATILE},
        {"eviction", DERIVE_POLICY_UNKNOWN},      {NULL, DERIVE_POLICY_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(derive_policy_of(cases[i].policy), cases[i].want);
    info_db db = {.index = 0, .keys = 10, .expires = 3, .has_expires = true};
    double v;
    assert_true(derive_db_evictable(DERIVE_POLICY_ALLKEYS, &db, &v) && v == 10);
    assert_true(derive_db_evictable(DERIVE_POLICY_VOLATILE, &db, &v) && v == 3);
    assert_true(derive_db_evictable(DERIVE_POLICY_NOEVICTION, &db, &v) && v == 0);
    assert_false(derive_db_evictable(DERIVE_POLICY_UNKNOWN, &db, &v));

    info_sample s;
    info_sample_init(&s);
    derive_history h;
    derived d;
    static const struct {
        const char *text;
        bool has;
        bool possible;
    } ev[] = {
        {"maxmemory_policy:noeviction\n# Keyspace\ndb0:keys=5,expires=5\n", true, false},
        {"maxmemory_policy:allkeys-lru\n# Keyspace\ndb0:keys=5,expires=0\n", true, true},
        {"maxmemory_policy:allkeys-lru\n# Keyspace\n", true, false},
        {"maxmemory_policy:volatile-lru\n# Keyspace\ndb0:keys=5,expires=0\n", true, false},
        {"maxmemory_policy:volatile-lru\n# Keyspace\ndb0:keys=5,expires=1\ndb2:keys=1,expires=0\n", true, true},
        {"maxmemory_policy:eviction\n", false, false},
    };
    for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
        derive_history_init(&h, 10, 300);
        sample(&s, "%s", ev[i].text);
        derive_push(&h, &s, 1);
        derive_compute(&h, &s, h.last.t, &d);
        assert_int_equal(d.has_eviction_possible, ev[i].has);
        if (ev[i].has) assert_int_equal(d.eviction_possible, ev[i].possible);
    }
    info_sample_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratio),        cmocka_unit_test(test_rates_and_resets),
        cmocka_unit_test(test_rate_window),  cmocka_unit_test(test_rate_ring_spans_window),
        cmocka_unit_test(test_time_to_full), cmocka_unit_test(test_policies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
