/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the target set: sources merged (the earliest wins), this replica's share,
 * and the steps from the running set: keep, relabel in place, replace, add, remove. No
 * sockets: specs in, steps out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "shard.h"
#include "targetset.h"

static tspec spec(const char *key, tspec_origin origin)
{
    tspec s;
    memset(&s, 0, sizeof s);
    snprintf(s.addr.label, sizeof s.addr.label, "%s", key);
    s.origin = origin;
    s.keys_per_second = -1;
    return s;
}

static void test_choose(void **state)
{
    (void)state;
    tspec a_file = spec("a:1", TSPEC_FILE), a_static = spec("a:1", TSPEC_STATIC), b = spec("b:2", TSPEC_CLUSTER),
          c = spec("c:3", TSPEC_FILE);
    int seed;
    targetset_want w[4] = {{&c, NULL}, {&a_file, NULL}, {&b, &seed}, {&a_static, NULL}};
    size_t n = targetset_choose(w, 4, 1, 0);
    assert_int_equal(n, 3);
    assert_ptr_equal(w[0].spec, &a_static); /* --redis.addr before the file */
    assert_ptr_equal(w[1].spec, &b);
    assert_ptr_equal(w[1].src, &seed);
    assert_ptr_equal(w[2].spec, &c);
    /* Two replicas: each keeps exactly the keys shard_owner gives it, together all. */
    size_t total = 0;
    for (unsigned r = 0; r < 2; r++) {
        targetset_want x[3] = {{&a_static, NULL}, {&b, NULL}, {&c, NULL}};
        size_t k = targetset_choose(x, 3, 2, r);
        for (size_t i = 0; i < k; i++) assert_int_equal(shard_owner(tspec_share_key(x[i].spec), 2), r);
        total += k;
    }
    assert_int_equal(total, 3);
}

static void test_plan(void **state)
{
    (void)state;
    tspec run_a = spec("a:1", TSPEC_FILE), run_b = spec("b:2", TSPEC_FILE), run_c = spec("c:3", TSPEC_FILE),
          run_d = spec("d:4", TSPEC_FILE);
    tspec want_b = spec("b:2", TSPEC_FILE), want_c = spec("c:3", TSPEC_FILE), want_d = spec("d:4", TSPEC_FILE),
          want_e = spec("e:5", TSPEC_FILE);
    tspec_set_label(&want_c, "team", "cache"); /* labels only: in place */
    want_d.keys_per_second = 50;               /* the sampler: made anew */
    const tspec *running[4] = {&run_a, &run_b, &run_c, &run_d};
    targetset_want w[4] = {{&want_b, NULL}, {&want_c, NULL}, {&want_d, NULL}, {&want_e, NULL}};
    targetset_step out[8];
    size_t n = targetset_plan(running, 4, w, 4, out);
    assert_int_equal(n, 5);
    static const struct {
        targetset_act act;
        size_t running, want;
    } expect[] = {
        {TARGETSET_REMOVE, 0, 0},  {TARGETSET_KEEP, 1, 0}, {TARGETSET_RELABEL, 2, 1},
        {TARGETSET_REPLACE, 3, 2}, {TARGETSET_ADD, 0, 3},
    };
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].act, expect[i].act);
        if (out[i].act != TARGETSET_ADD) assert_int_equal(out[i].running, expect[i].running);
        if (out[i].act != TARGETSET_REMOVE) assert_int_equal(out[i].want, expect[i].want);
    }
    /* nothing running, nothing wanted: no step */
    assert_int_equal(targetset_plan(running, 0, w, 0, out), 0);
    tspec_free(&want_c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choose),
        cmocka_unit_test(test_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
