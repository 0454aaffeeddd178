/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the key sampler: the commands it asks for, how it takes replies, the
 * budget, cycles over several dbs, errors, names. No Redis: replies are plain data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "info.h"
#include "sampler.h"

static info_sample keyspace(const char *text)
{
    info_sample s;
    info_sample_init(&s);
    info_parse(&s, text, strlen(text));
    return s;
}

static void assert_cmd(const sampler_cmd *c, sampler_reply kind, int argc, const char *const *argv)
{
    assert_int_equal(c->kind, kind);
    assert_int_equal(c->argc, argc);
    for (int i = 0; i < argc; i++) {
        assert_int_equal(c->lens[i], strlen(argv[i]));
        assert_memory_equal(c->argv[i], argv[i], c->lens[i]);
    }
}

static const sampler_opts daemon_opts = {.keys_per_second = 10, .top_n = 2, .memory_samples = 5};

static void test_empty_keyspace_is_a_whole_cycle(void **state)
{
    (void)state;
    info_sample ks = keyspace("# Keyspace\r\n");
    sampler *s = sampler_new(&daemon_opts, 0);
    sampler_cmd out[SAMPLER_MAX_CMDS];
    assert_int_equal(sampler_begin(s, &ks, 0.001, 5, out, SAMPLER_MAX_CMDS), 0);
    assert_true(sampler_get_summary(s)->cycle_done);
    assert_int_equal(sampler_pending(s), 0);
    sampler_free(s);
    info_sample_free(&ks);
}

/* Answers one whole step: SCAN returns `keys` with `cursor`; sizes[i] for key i, and
 * ttls_ms[i] its PTTL (NULL: none has a TTL). */
static void answer_step_ttl(sampler *s, const info_sample *ks, const char *cursor, const sampler_name *keys, size_t n,
                            const double *sizes, const double *ttls_ms)
{
    sampler_cmd cmds[SAMPLER_MAX_CMDS];
    assert_false(sampler_reply_in(s)); /* SELECT's OK */
    size_t k = sampler_on_scan(s, ks, cursor, strlen(cursor), keys, n, cmds, SAMPLER_MAX_CMDS);
    assert_int_equal(k, 3 * n);
    bool done = sampler_reply_in(s); /* the SCAN reply itself */
    for (size_t i = 0; i < k; i++) {
        if (cmds[i].kind == SAMPLER_MEMORY_USAGE) sampler_on_bytes(s, cmds[i].slot, sizes[cmds[i].slot]);
        else if (cmds[i].kind == SAMPLER_PTTL) sampler_on_ttl(s, cmds[i].slot, ttls_ms ? ttls_ms[cmds[i].slot] : -1);
        else sampler_on_type(s, cmds[i].slot, "string", 6);
        assert_false(done);
        done = sampler_reply_in(s);
    }
    assert_true(done);
    assert_int_equal(sampler_pending(s), 0);
}

static void answer_step(sampler *s, const info_sample *ks, const char *cursor, const sampler_name *keys, size_t n,
                        const double *sizes)
{
    answer_step_ttl(s, ks, cursor, keys, n, sizes, NULL);
}

static void test_a_step_asks_and_records(void **state)
{
    (void)state;
    info_sample ks = keyspace("# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n");
    sampler *s = sampler_new(&daemon_opts, 0);
    sampler_cmd out[SAMPLER_MAX_CMDS];
    /* No budget yet at t = 0; after a second, 10 keys' worth. */
    assert_int_equal(sampler_begin(s, &ks, 0.001, 0, out, SAMPLER_MAX_CMDS), 0);
    assert_int_equal(sampler_begin(s, &ks, 0.001, 1, out, SAMPLER_MAX_CMDS), 2);
    assert_cmd(&out[0], SAMPLER_SELECT, 2, (const char *[]){"SELECT", "0"});
    assert_cmd(&out[1], SAMPLER_SCAN, 4, (const char *[]){"SCAN", "0", "COUNT", "10"});
    /* While a step is in flight no other starts. */
    assert_int_equal(sampler_begin(s, &ks, 0.001, 2, out, SAMPLER_MAX_CMDS), 0);

    static const char bin[] = {'b', '\0', '"', 'x'};
    sampler_name keys[3] = {{"small", 5}, {bin, sizeof bin}, {"big", 3}};
    assert_false(sampler_reply_in(s));
    size_t k = sampler_on_scan(s, &ks, "17", 2, keys, 3, out, SAMPLER_MAX_CMDS);
    assert_int_equal(k, 9);
    assert_cmd(&out[0], SAMPLER_MEMORY_USAGE, 5, (const char *[]){"MEMORY", "USAGE", "small", "SAMPLES", "5"});
    assert_cmd(&out[1], SAMPLER_TYPE, 2, (const char *[]){"TYPE", "small"});
    assert_cmd(&out[2], SAMPLER_PTTL, 2, (const char *[]){"PTTL", "small"});
    assert_int_equal(out[3].lens[2], sizeof bin); /* binary-safe: the NUL is sent */
    assert_memory_equal(out[3].argv[2], bin, sizeof bin);
    assert_int_equal(out[3].slot, 1);
    assert_true(sampler_reply_in(s) == false);
    double sizes[3] = {100, 2048, 5e6};
    for (size_t i = 0; i < k; i++) {
        if (out[i].kind == SAMPLER_MEMORY_USAGE) sampler_on_bytes(s, out[i].slot, sizes[out[i].slot]);
        else if (out[i].kind == SAMPLER_PTTL) sampler_on_ttl(s, out[i].slot, -1);
        else sampler_on_type(s, out[i].slot, i == 7 ? "hash" : "string", i == 7 ? 4 : 6);
        bool done = sampler_reply_in(s);
        assert_true(done == (i == k - 1));
    }
    const sampler_summary *sum = sampler_get_summary(s);
    assert_true(sum->sampled == 3);
    assert_int_equal(sum->n_largest, 2); /* top_n = 2 */
    assert_string_equal(sum->largest[0].name, "big");
    assert_string_equal(sum->largest[0].type, "hash");
    assert_true(sum->largest[0].bytes == 5e6);
    assert_string_equal(sum->largest[1].name, "b\\x00\\x22x");           /* printable, escaped */
    assert_true(sum->sizes.counts[0] == 1 && sum->sizes.counts[1] == 1); /* <= 1 KiB, <= 16 KiB */
    assert_true(histo_count(&sum->sizes) == 3 && sum->sizes.sum == 100 + 2048 + 5e6);
    assert_false(sum->cycle_done);
    /* 3 of 10 tokens spent, 7 left: more is wanted unless a poll is in flight. */
    assert_true(sampler_wants_more(s, false));
    assert_false(sampler_wants_more(s, true));
    sampler_free(s);
    info_sample_free(&ks);
}

static void test_cycle_over_every_db(void **state)
{
    (void)state;
    info_sample ks = keyspace("# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n");
    sampler_opts o = daemon_opts;
    o.keys_per_second = 1000;
    sampler *s = sampler_new(&o, 0);
    sampler_cmd out[SAMPLER_MAX_CMDS];
    double big[] = {7e6}, small[] = {10};
    assert_int_equal(sampler_begin(s, &ks, 0.001, 1, out, SAMPLER_MAX_CMDS), 2);
    answer_step(s, &ks, "0", (sampler_name[]){{"a", 1}}, 1, big); /* db0 done: on to db2 */
    assert_false(sampler_get_summary(s)->cycle_done);
    assert_int_equal(sampler_begin(s, &ks, 0.001, 2, out, SAMPLER_MAX_CMDS), 2);
    assert_cmd(&out[0], SAMPLER_SELECT, 2, (const char *[]){"SELECT", "2"});
    assert_cmd(&out[1], SAMPLER_SCAN, 4, (const char *[]){"SCAN", "0", "COUNT", "64"});
    answer_step(s, &ks, "0", (sampler_name[]){{"b", 1}}, 1, small); /* db2 done: the cycle ends */
    const sampler_summary *sum = sampler_get_summary(s);
    assert_true(sum->cycle_done);
    assert_int_equal(sum->n_largest, 2);
    assert_int_equal(sum->largest[0].db, 0);
    assert_int_equal(sum->largest[1].db, 2);
    /* The next cycle starts over at db0, and the last cycle's keys stay published. */
    assert_int_equal(sampler_begin(s, &ks, 0.001, 3, out, SAMPLER_MAX_CMDS), 2);
    assert_cmd(&out[0], SAMPLER_SELECT, 2, (const char *[]){"SELECT", "0"});
    assert_int_equal(sum->n_largest, 2);
    sampler_free(s);
    info_sample_free(&ks);
}

static void test_errors_switch_it_off(void **state)
{
    (void)state;
    info_sample ks = keyspace("db0:keys=5,expires=0,avg_ttl=0\r\n");
    sampler *s = sampler_new(&daemon_opts, 0);
    sampler_cmd out[SAMPLER_MAX_CMDS];
    assert_true(sampler_get_summary(s)->active);
    assert_int_equal(sampler_begin(s, &ks, 0.001, 1, out, SAMPLER_MAX_CMDS), 2);
    assert_true(sampler_on_error(s, "error reply NOPERM"));                        /* news: the caller logs it */
    assert_false(sampler_on_error(s, "error reply ERR"));                          /* said once */
    assert_string_equal(sampler_get_summary(s)->off_reason, "error reply NOPERM"); /* the first reason stays */
    assert_false(sampler_get_summary(s)->active);
    assert_false(sampler_reply_in(s));
    assert_true(sampler_reply_in(s)); /* the step ends with nothing recorded */
    assert_false(sampler_wants_more(s, false));
    assert_int_equal(sampler_begin(s, &ks, 0.001, 100, out, SAMPLER_MAX_CMDS), 0);
    sampler_free(s);
    info_sample_free(&ks);
}

static void test_slow_redis_pauses_the_daemon(void **state)
{
    (void)state;
    info_sample ks = keyspace("db0:keys=5,expires=0,avg_ttl=0\r\n");
    sampler *s = sampler_new(&daemon_opts, 0);
    sampler_cmd out[SAMPLER_MAX_CMDS];
    assert_int_equal(sampler_begin(s, &ks, 0.002, 1, out, SAMPLER_MAX_CMDS), 2); /* baseline 2 ms */
    sampler_abort_step(s);                                                       /* connection lost */
    assert_int_equal(sampler_pending(s), 0);
    assert_int_equal(sampler_begin(s, &ks, 0.050, 2, out, SAMPLER_MAX_CMDS), 0); /* 25 x slower: wait */
    assert_int_equal(sampler_begin(s, &ks, 0.002, 3, out, SAMPLER_MAX_CMDS), 2); /* back to normal */
    sampler_free(s);
    info_sample_free(&ks);
}

static void test_one_shot_stops_at_max_keys(void **state)
{
    (void)state;
    info_sample ks = keyspace("db0:keys=500,expires=0,avg_ttl=0\r\n");
    sampler_opts o = {.keys_per_second = 1e9, .top_n = 5, .memory_samples = 0, .max_keys = 2, .one_shot = true};
    sampler *s = sampler_new(&o, 0);
    sampler_cmd out[SAMPLER_MAX_CMDS];
    /* One-shot: no budget wait, whole steps, and SAMPLES 0 is passed on as asked. */
    assert_int_equal(sampler_begin(s, &ks, 5.0, 0, out, SAMPLER_MAX_CMDS), 2);
    assert_cmd(&out[1], SAMPLER_SCAN, 4, (const char *[]){"SCAN", "0", "COUNT", "64"});
    assert_false(sampler_reply_in(s));
    size_t k = sampler_on_scan(s, &ks, "9", 1, (sampler_name[]){{"x", 1}}, 1, out, SAMPLER_MAX_CMDS);
    assert_cmd(&out[0], SAMPLER_MEMORY_USAGE, 5, (const char *[]){"MEMORY", "USAGE", "x", "SAMPLES", "0"});
    assert_false(sampler_reply_in(s));
    for (size_t i = 0; i < k; i++) {
        if (out[i].kind == SAMPLER_MEMORY_USAGE) sampler_on_bytes(s, out[i].slot, 1);
        sampler_reply_in(s);
    }
    assert_true(sampler_wants_more(s, true)); /* 1 of 2 keys: go on, polls do not matter */
    assert_int_equal(sampler_begin(s, &ks, 5.0, 0, out, SAMPLER_MAX_CMDS), 2);
    answer_step(s, &ks, "10", (sampler_name[]){{"y", 1}}, 1, (double[]){2});
    assert_false(sampler_wants_more(s, false)); /* 2 of 2: enough */
    assert_false(sampler_get_summary(s)->cycle_done);
    sampler_free(s);
    info_sample_free(&ks);
}

/* Answers the MEMORY USAGE / TYPE commands in out[from..k) (sizes by key name: "big" is
 * 5 MB, the rest 100 B); returns whether the step completed. */
static bool answer_keys(sampler *s, const sampler_cmd *out, size_t from, size_t k)
{
    bool done = false;
    for (size_t i = from; i < k; i++) {
        if (out[i].kind == SAMPLER_MEMORY_USAGE)
            sampler_on_bytes(s, out[i].slot, out[i].lens[2] == 3 && memcmp(out[i].argv[2], "big", 3) == 0 ? 5e6 : 100);
        done = sampler_reply_in(s);
    }
    return done;
}

static void test_every_key_a_scan_returns_is_sampled(void **state)
{
    (void)state;
    /* Redis returns more keys than COUNT (it scans whole buckets): none may be dropped. */
    info_sample ks = keyspace("db0:keys=100,expires=0,avg_ttl=0\r\n");
    sampler *s = sampler_new(&daemon_opts, 0); /* 10 keys a second */
    sampler_cmd out[SAMPLER_MAX_CMDS];
    char names[100][8];
    sampler_name keys[100];
    for (int i = 0; i < 100; i++) {
        int n = snprintf(names[i], sizeof names[i], i == 95 ? "big" : "k%d", i);
        keys[i] = (sampler_name){names[i], (size_t)n};
    }
    assert_int_equal(sampler_begin(s, &ks, 0.001, 1, out, SAMPLER_MAX_CMDS), 2);
    assert_false(sampler_reply_in(s));
    size_t k = sampler_on_scan(s, &ks, "0", 1, keys, 100, out, SAMPLER_MAX_CMDS);
    assert_int_equal(k, 30); /* the budget: 10 keys now */
    assert_false(sampler_reply_in(s));
    assert_true(answer_keys(s, out, 0, k));
    double now = 1;
    bool aborted = false;
    while (!sampler_get_summary(s)->cycle_done) {
        now += 1;
        size_t c = sampler_begin(s, &ks, 0.001, now, out, SAMPLER_MAX_CMDS);
        assert_true(c > 1);
        assert_int_equal(out[0].kind, SAMPLER_SELECT);
        for (size_t i = 1; i < c; i++) assert_int_not_equal(out[i].kind, SAMPLER_SCAN); /* no new SCAN yet */
        if (!aborted && now == 4) { /* the connection drops mid-step */
            sampler_abort_step(s);
            aborted = true;
            continue;
        }
        assert_false(sampler_reply_in(s)); /* SELECT */
        assert_true(answer_keys(s, out, 1, c));
        assert_true(now < 100);
    }
    const sampler_summary *sum = sampler_get_summary(s);
    assert_true(sum->sampled == 100); /* every key, once: none lost to the drop */
    assert_true(sum->skipped == 0);
    assert_string_equal(sum->largest[0].name, "big");
    sampler_free(s);
    info_sample_free(&ks);
}

/* Namespaces: keys grouped by their name up to the separator, sizes and TTL shares
 * counted, scaled to the keyspace while the first cycle runs, exact after it. */
static void test_namespaces(void **state)
{
    (void)state;
    info_sample ks = keyspace("db0:keys=8,expires=2,avg_ttl=0\r\n");
    sampler_opts o = daemon_opts;
    o.keys_per_second = 1000;
    o.ns_separator = ':';
    sampler *s = sampler_new(&o, 0);
    sampler_cmd out[SAMPLER_MAX_CMDS];
    static const char *const names[] = {"session:1", "session:2", "session:3", "user:1", "plain"};
    static const double sizes[] = {1000, 1000, 1000, 500, 50};
    sampler_name keys[5];
    for (int i = 0; i < 5; i++) keys[i] = (sampler_name){names[i], strlen(names[i])};
    assert_int_equal(sampler_begin(s, &ks, 0.001, 1, out, SAMPLER_MAX_CMDS), 2);
    assert_false(sampler_reply_in(s));
    size_t k = sampler_on_scan(s, &ks, "5", 1, keys, 4, out, SAMPLER_MAX_CMDS); /* 4 of 8 keys so far */
    assert_false(sampler_reply_in(s));
    for (size_t i = 0; i < k; i++) {
        int slot = out[i].slot;
        if (out[i].kind == SAMPLER_MEMORY_USAGE) sampler_on_bytes(s, slot, sizes[slot]);
        else if (out[i].kind == SAMPLER_PTTL) sampler_on_ttl(s, slot, slot == 3 ? 60000 : -1); /* user:1 */
        sampler_reply_in(s);
    }
    const sampler_summary *sum = sampler_get_summary(s);
    assert_int_equal(sum->n_namespaces, 2);
    assert_string_equal(sum->namespaces[0].name, "session");
    assert_true(sum->namespaces[0].keys == 6 && sum->namespaces[0].bytes == 6000); /* x 8/4 */
    assert_true(sum->namespaces[0].ttl_ratio == 0);
    assert_string_equal(sum->namespaces[1].name, "user");
    assert_true(sum->namespaces[1].ttl_ratio == 1);
    /* The cycle ends with the key without a separator: exact counts now (8 keys, 5 seen:
     * the rest are scaled; here the keyspace says 5). */
    ks.dbs[0].keys = 5;
    assert_int_equal(sampler_begin(s, &ks, 0.001, 2, out, SAMPLER_MAX_CMDS), 2);
    answer_step(s, &ks, "0", &keys[4], 1, (double[]){50});
    assert_true(sum->cycle_done);
    assert_int_equal(sum->n_namespaces, 3);
    assert_true(sum->namespaces[0].keys == 3 && sum->namespaces[0].bytes == 3000);
    assert_string_equal(sum->namespaces[2].name, ""); /* keys without the separator */
    assert_true(sum->namespace_basis == 5);
    sampler_free(s);
    info_sample_free(&ks);
}

/* Bytes by TTL: each key in the bucket of its PTTL (cumulative when published), keys
 * without one apart; scaled while the first cycle runs, exact after it; per namespace too. */
static void test_bytes_by_ttl(void **state)
{
    (void)state;
    info_sample ks = keyspace("db0:keys=8,expires=3,avg_ttl=0\r\n");
    sampler_opts o = daemon_opts;
    o.keys_per_second = 1000;
    o.ns_separator = ':';
    sampler *s = sampler_new(&o, 0);
    sampler_cmd out[SAMPLER_MAX_CMDS];
    static const char *const names[] = {"s:1", "s:2", "p:1", "p:2"};
    sampler_name keys[4];
    for (int i = 0; i < 4; i++) keys[i] = (sampler_name){names[i], strlen(names[i])};
    /* 100 s, 2,000 s, 2 days, none: buckets le=300, le=3600, le=604800, persistent */
    const double sizes[] = {100, 200, 400, 800}, ttls[] = {100e3, 2000e3, 172800e3, -1};
    const sampler_summary *sum = sampler_get_summary(s);
    assert_false(sum->has_ttl_bytes);
    assert_int_equal(sampler_begin(s, &ks, 0.001, 1, out, SAMPLER_MAX_CMDS), 2);
    answer_step_ttl(s, &ks, "9", keys, 4, sizes, ttls); /* 4 of 8 keys: x 2 */
    assert_true(sum->has_ttl_bytes);
    const double want_half[SAMPLER_TTL_BUCKETS] = {200, 600, 600, 1400, 1400};
    for (int b = 0; b < SAMPLER_TTL_BUCKETS; b++) assert_true(sum->ttl_bytes[b] == want_half[b]);
    assert_true(sum->persistent_bytes == 1600);
    ks.dbs[0].keys = 4; /* the cycle ends with these 4 keys: exact */
    assert_int_equal(sampler_begin(s, &ks, 0.001, 2, out, SAMPLER_MAX_CMDS), 2);
    answer_step_ttl(s, &ks, "0", keys, 0, sizes, ttls);
    assert_true(sum->cycle_done);
    const double want[SAMPLER_TTL_BUCKETS] = {100, 300, 300, 700, 700};
    for (int b = 0; b < SAMPLER_TTL_BUCKETS; b++) assert_true(sum->ttl_bytes[b] == want[b]);
    assert_true(sum->persistent_bytes == 800);
    assert_string_equal(sum->namespaces[0].name, "p");
    assert_true(sum->namespaces[0].persistent_bytes == 800 && sum->namespaces[0].hour_bytes == 0);
    assert_true(sum->namespaces[1].persistent_bytes == 0 && sum->namespaces[1].hour_bytes == 300);
    sampler_free(s);
    info_sample_free(&ks);
}

/* Growth: a namespace's bytes between whole cycles, per hour; the oldest cycle within the
 * hour is the reference, and a namespace seen in one cycle only has none. */
static void test_namespace_growth(void **state)
{
    (void)state;
    info_sample ks = keyspace("db0:keys=2,expires=0,avg_ttl=0\r\n");
    sampler_opts o = daemon_opts;
    o.keys_per_second = 1000;
    o.ns_separator = ':';
    sampler *s = sampler_new(&o, 0);
    sampler_cmd out[SAMPLER_MAX_CMDS];
    sampler_name keys[2] = {{"jobs:1", 6}, {"still:1", 7}};
    const sampler_summary *sum = sampler_get_summary(s);
    /* Cycles end at t = 10, 610, 1210 and 4810 s: jobs grows 1,000 bytes each, still stays. */
    const double at[] = {10, 610, 1210, 4810};
    for (int cyc = 0; cyc < 4; cyc++) {
        assert_int_equal(sampler_begin(s, &ks, 0.001, at[cyc], out, SAMPLER_MAX_CMDS), 2);
        answer_step(s, &ks, "0", keys, 2, (double[]){1000.0 * (cyc + 1), 500});
        assert_true(sum->cycle_done);
        const diagnose_namespace *jobs = &sum->namespaces[0], *still = &sum->namespaces[1];
        assert_string_equal(jobs->name, "jobs");
        assert_string_equal(still->name, "still");
        assert_true(jobs->has_growth == (cyc > 0) && still->has_growth == (cyc > 0));
        if (cyc == 0) continue;
        assert_true(still->growth_per_hour == 0);
        /* 1,000 B in 600 s = 6,000 B/h; then 2,000 in 1,200 s; then 1,000 in the hour since 1,210 s (610 s is older) */
        const double want[] = {0, 6000, 6000, 1000};
        assert_true(fabs(jobs->growth_per_hour - want[cyc]) < 1e-6);
    }
    sampler_free(s);
    info_sample_free(&ks);
}

static void test_display_names(void **state)
{
    (void)state;
    char out[80];
    sampler_display_name("user:1", 6, NULL, 0, out, sizeof out);
    assert_string_equal(out, "user:1");
    char longkey[200];
    memset(longkey, 'k', sizeof longkey);
    sampler_display_name(longkey, sizeof longkey, NULL, 0, out, sizeof out);
    assert_int_equal(strlen(out), 67);
    assert_string_equal(out + 64, "...");
    /* HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog") starts f7bc83f430538424
     * (the RFC 4231-style example every HMAC implementation quotes). */
    static const unsigned char key[] = "key";
    static const char fox[] = "The quick brown fox jumps over the lazy dog";
    sampler_display_name(fox, sizeof fox - 1, key, 3, out, sizeof out);
    assert_string_equal(out, "hash:f7bc83f430538424");
    /* Another secret, another hash: without the secret a guess cannot be checked. */
    static const unsigned char key2[] = "kez";
    char other[80];
    sampler_display_name(fox, sizeof fox - 1, key2, 3, other, sizeof other);
    assert_int_equal(strncmp(other, "hash:", 5), 0);
    assert_string_not_equal(out, other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_keyspace_is_a_whole_cycle),
        cmocka_unit_test(test_a_step_asks_and_records),
        cmocka_unit_test(test_cycle_over_every_db),
        cmocka_unit_test(test_errors_switch_it_off),
        cmocka_unit_test(test_slow_redis_pauses_the_daemon),
        cmocka_unit_test(test_one_shot_stops_at_max_keys),
        cmocka_unit_test(test_display_names),
        cmocka_unit_test(test_namespaces),
        cmocka_unit_test(test_every_key_a_scan_returns_is_sampled),
        cmocka_unit_test(test_bytes_by_ttl),
        cmocka_unit_test(test_namespace_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
