/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the watched keys: the flag's format, the commands of a round, TYPE once,
 * a missing key absent, the budget, and what counts as steady growth. No Redis: replies
 * are plain data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "watch.h"

static void test_parse(void **state)
{
    (void)state;
    watch_item *it;
    size_t n;
    char err[120];
    assert_true(watch_parse("db0=queue:jobs,db12=stream:events,plain", 10, &it, &n, err, sizeof err));
    assert_int_equal(n, 3);
    assert_int_equal(it[0].db, 0);
    assert_string_equal(it[0].key, "queue:jobs");
    assert_int_equal(it[1].db, 12);
    assert_string_equal(it[1].key, "stream:events");
    assert_int_equal(it[2].db, 0); /* no dbN=: db0, as redis_exporter reads it */
    assert_string_equal(it[2].key, "plain");
    watch_items_free(it, n);
    /* "a=b" without a db prefix is a key with '=' in its name */
    assert_true(watch_parse("a=b", 10, &it, &n, err, sizeof err));
    assert_string_equal(it[0].key, "a=b");
    watch_items_free(it, n);
    static const struct {
        const char *text, *why;
        size_t max;
    } bad[] = {
        {"db0=", "empty key", 10}, {"dbx=k", "'dbx'", 10},   {"db=k", "'db'", 10},
        {"a,,b", "empty key", 10}, {"a,", "at the end", 10}, {"a,b,c", "more than 2 keys", 2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_false(watch_parse(bad[i].text, bad[i].max, &it, &n, err, sizeof err));
        if (!strstr(err, bad[i].why)) fail_msg("'%s': '%s' lacks '%s'", bad[i].text, err, bad[i].why);
        assert_null(it);
    }
}

/* Answers a step: TYPE with types[slot], lengths with sizes[slot] (< 0: the key is gone:
 * MEMORY USAGE nil), MEMORY USAGE with 100 x the length. */
static void answer(watch *w, const watch_cmd *c, size_t k, const char *const *types, const double *sizes)
{
    for (size_t i = 0; i < k; i++) {
        int s = c[i].slot;
        if (c[i].kind == WATCH_TYPE) watch_on_type(w, s, types[s], strlen(types[s]));
        else if (c[i].kind == WATCH_SIZE) watch_on_number(w, s, WATCH_SIZE, sizes[s] < 0 ? 0 : sizes[s]);
        else if (c[i].kind == WATCH_MEMORY) {
            if (sizes[s] < 0) watch_on_nil(w, s);
            else watch_on_number(w, s, WATCH_MEMORY, 100 * sizes[s]);
        }
        assert_true(watch_reply_in(w) == (i == k - 1));
    }
}

static const watch_opts opts = {.interval = 5, .keys_per_second = 100, .growth_window = 160};

/* A watcher of the keys text names (at most max of them), made as the daemon makes one. */
static watch *watch_of(const char *text, size_t max)
{
    watch_item *it;
    size_t n;
    char err[80];
    assert_true(watch_parse(text, max, &it, &n, err, sizeof err));
    watch *w = watch_new(&opts, it, n, 0);
    watch_items_free(it, n);
    return w;
}

static void test_rounds(void **state)
{
    (void)state;
    watch *w = watch_of("db1=s,db0=q,db0=h", 10);
    watch_cmd c[WATCH_MAX_CMDS];
    assert_int_equal(watch_begin(w, 0, c, WATCH_MAX_CMDS), 0); /* no budget at t = 0 */
    /* First sight: TYPE only, db0's keys first (steps go one db at a time). */
    size_t k = watch_begin(w, 1, c, WATCH_MAX_CMDS);
    assert_int_equal(k, 3);
    assert_string_equal(c[0].argv[0], "SELECT");
    assert_string_equal(c[0].argv[1], "0");
    assert_string_equal(c[1].argv[0], "TYPE");
    assert_memory_equal(c[1].argv[1], "q", 1);
    assert_int_equal(watch_begin(w, 1, c, WATCH_MAX_CMDS), 0); /* one step at a time */
    /* slots are the keys sorted by db: q, h, s. q is a list, h is missing, s a stream */
    double sizes[3] = {7, -1, 3};
    const char *by_slot[3] = {"list", "none", "stream"};
    answer(w, c, k, by_slot, sizes);
    /* at once the lengths and memory of the typed ones (q), h asked TYPE again */
    k = watch_begin(w, 1.1, c, WATCH_MAX_CMDS);
    assert_string_equal(c[1].argv[0], "LLEN");
    assert_string_equal(c[2].argv[0], "MEMORY");
    assert_string_equal(c[3].argv[0], "TYPE");
    answer(w, c, k, by_slot, sizes);
    size_t m;
    const diagnose_watched *d = watch_keys(w, &m);
    assert_int_equal(m, 3); /* in the configured order: s, q, h */
    assert_string_equal(d[1].name, "q");
    assert_true(d[1].present && d[1].has_size && d[1].size == 7 && d[1].memory == 700);
    assert_string_equal(d[1].type, "list");
    assert_false(d[2].present); /* missing: no figures */
    assert_false(d[2].has_size || d[2].has_memory);
    /* db1's key, then the round is over: the next one waits for its interval */
    k = watch_begin(w, 1.2, c, WATCH_MAX_CMDS);
    assert_string_equal(c[0].argv[1], "1");
    answer(w, c, k, by_slot, sizes);
    k = watch_begin(w, 1.3, c, WATCH_MAX_CMDS);
    assert_string_equal(c[1].argv[0], "XLEN");
    answer(w, c, k, by_slot, sizes);
    d = watch_keys(w, &m);
    assert_true(d[0].present && d[0].size == 3);
    assert_int_equal(watch_begin(w, 3, c, WATCH_MAX_CMDS), 0);
    assert_true(watch_begin(w, 6.1, c, WATCH_MAX_CMDS) > 0);
    /* a WRONGTYPE (the key was re-created as another type) asks TYPE again; another
     * error switches the watcher off */
    char why[64];
    assert_false(watch_on_error(w, c[1].slot, "WRONGTYPE Operation against a key", why, sizeof why));
    assert_true(watch_on_error(w, c[1].slot, "NOPERM this user has no permissions", why, sizeof why));
    assert_string_equal(why, "error reply NOPERM");
    assert_false(watch_active(w));
    watch_free(w);
}

/* The budget: 1,000 keys at 100 keys a second take about 10 s a round, in steps of at
 * most WATCH_STEP_MAX_KEYS, and never more keys than the tokens allow. */
static void test_budget(void **state)
{
    (void)state;
    char text[16000] = "";
    for (int i = 0; i < 1000; i++) snprintf(text + strlen(text), sizeof text - strlen(text), "%sk%d", i ? "," : "", i);
    watch *w = watch_of(text, 1000);
    static const char *const types[1000] = {[0 ... 999] = "list"};
    static double sizes[1000];
    watch_cmd c[WATCH_MAX_CMDS];
    double keys_asked = 0;
    int rounds_of_type = 0;
    for (double t = 0.05; t <= 30; t += 0.05) {
        size_t k;
        while ((k = watch_begin(w, t, c, WATCH_MAX_CMDS)) > 0) {
            assert_true(k <= 1 + 2 * WATCH_STEP_MAX_KEYS);
            for (size_t i = 1; i < k; i++) keys_asked += c[i].kind != WATCH_MEMORY; /* one per key */
            rounds_of_type += c[1].kind == WATCH_TYPE;
            answer(w, c, k, types, sizes);
        }
    }
    /* 30 s x 100 keys a second + the burst of 200, the first sight of each key twice */
    assert_true(keys_asked <= 30 * 100 + 200 + 1000);
    assert_true(keys_asked >= 2000);
    watch_free(w);
}

/* Growth: a length that rose at every point over the window; a dip, or a window not yet
 * covered, is no growth. */
static void test_growth(void **state)
{
    (void)state;
    watch *w = watch_of("q", 1);
    const char *types[1] = {"list"};
    double sizes[1] = {100};
    watch_cmd c[WATCH_MAX_CMDS];
    size_t m;
    for (double t = 1; t <= 400; t += 5) {
        size_t k;
        while ((k = watch_begin(w, t, c, WATCH_MAX_CMDS)) > 0) answer(w, c, k, types, sizes);
        sizes[0] += 10;
        const diagnose_watched *d = watch_keys(w, &m);
        if (t < 140) assert_false(d[0].growing); /* less than the 160 s window seen */
        if (t > 200 && t < 300) {
            assert_true(d[0].growing);
            assert_true(d[0].window >= 144 && d[0].size - d[0].grew_from >= 280);
        }
        if (t >= 300 && t < 305) sizes[0] -= 500; /* consumers catch up once */
        if (t >= 305 && t < 305 + 160) assert_false(watch_keys(w, &m)[0].growing);
    }
    watch_free(w);
}

/* Missing keys do not hold the round: a step that found none of its keys goes on to the
 * next keys (it asked again at once, forever, and the keys after it were never asked). */
static void test_missing_keys_do_not_stall(void **state)
{
    (void)state;
    char text[4096] = "";
    for (int i = 0; i < 70; i++) snprintf(text + strlen(text), sizeof text - strlen(text), "gone%d,", i);
    strcat(text, "here");
    watch *w = watch_of(text, 100);
    static const char *types[71] = {[0 ... 69] = "none", [70] = "list"};
    double sizes[71];
    for (int i = 0; i < 71; i++) sizes[i] = i == 70 ? 5 : -1;
    watch_cmd c[WATCH_MAX_CMDS];
    size_t m, k;
    for (double t = 1; t < 3; t += 0.5)
        while ((k = watch_begin(w, t, c, WATCH_MAX_CMDS)) > 0) answer(w, c, k, types, sizes);
    const diagnose_watched *d = watch_keys(w, &m);
    assert_int_equal(m, 71);
    assert_false(d[0].present);
    assert_true(d[70].present && d[70].has_size && d[70].size == 5);
    watch_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_rounds),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_missing_keys_do_not_stall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
