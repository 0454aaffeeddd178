/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for srvconf (CONFIG GET pairs, as replies and as pasted output) and memstats
 * (MEMORY STATS pairs): what the doctor reads from a ticket and the target from Redis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "memstats.h"
#include "srvconf.h"

static void test_values(void **state)
{
    (void)state;
    srvconf c = {0};
    double v;
    assert_true(srvconf_set(&c, "maxmemory", "104857600"));
    assert_true(srvconf_get(&c, SRVCONF_MAXMEMORY, &v) && v == 104857600);
    assert_true(srvconf_set(&c, "activedefrag", "yes"));
    assert_true(srvconf_get(&c, SRVCONF_ACTIVEDEFRAG, &v) && v == 1);
    assert_true(srvconf_set(&c, "slave-ignore-maxmemory", "no")); /* the old name */
    assert_true(srvconf_get(&c, SRVCONF_REPLICA_IGNORE_MAXMEMORY, &v) && v == 0);
    assert_true(srvconf_set(&c, "save", "3600 1 300 100 60 10000"));
    assert_true(srvconf_get(&c, SRVCONF_SAVE, &v) && v == 3);
    assert_true(srvconf_set(&c, "save", ""));
    assert_true(srvconf_get(&c, SRVCONF_SAVE, &v) && v == 0);
    /* the policy by its index in srvconf_policy_names, any case */
    assert_true(srvconf_set(&c, "maxmemory-policy", "Volatile-LRU"));
    assert_true(srvconf_get(&c, SRVCONF_MAXMEMORY_POLICY, &v));
    assert_string_equal(srvconf_policy_names[(int)v], "volatile-lru");
    /* Not ours, or not a value: nothing changes. */
    assert_false(srvconf_set(&c, "maxmemory-policy", "evict-everything"));
    assert_false(srvconf_set(&c, "maxmemory-samples", "5"));
    assert_false(srvconf_set(&c, "maxclients", "lots"));
    assert_false(srvconf_set(&c, "maxclients", "inf"));
    assert_false(srvconf_get(&c, SRVCONF_MAXCLIENTS, &v));
    assert_false(srvconf_get(NULL, SRVCONF_MAXCLIENTS, &v));
}

static void test_pasted(void **state)
{
    (void)state;
    /* redis-cli's plain output, its terminal output, and INFO lines around them. */
    static const char plain[] = "# Memory\nused_memory:1000\nmaxmemory:0\nmaxmemory\n5242880\nmaxmemory-policy\n"
                                "noeviction\nmaxmemory-samples\n5\nsave\n\n";
    static const char tty[] = "1) \"maxmemory\"\n2) \"7340032\"\n3) \"maxmemory-clients\"\n4) \"0\"\n"
                              "127.0.0.1:6379> CONFIG GET save\n1) \"save\"\n2) \"3600 1\"\r\n";
    srvconf c = {0};
    double v;
    assert_int_equal(srvconf_parse_pasted(&c, plain, strlen(plain)), 3);
    assert_true(srvconf_get(&c, SRVCONF_MAXMEMORY, &v) && v == 5242880);
    assert_true(srvconf_get(&c, SRVCONF_MAXMEMORY_POLICY, &v) && v == 0); /* noeviction */
    assert_true(srvconf_get(&c, SRVCONF_SAVE, &v) && v == 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(srvconf_parse_pasted(&c, tty, strlen(tty)), 2);
    assert_true(srvconf_get(&c, SRVCONF_MAXMEMORY, &v) && v == 7340032);
    assert_true(srvconf_get(&c, SRVCONF_SAVE, &v) && v == 1);
    /* An INFO alone has no pairs: its "maxmemory:0" is not a name line. */
    memset(&c, 0, sizeof c);
    assert_int_equal(srvconf_parse_pasted(&c, "maxmemory:0\nused_memory:5\n", 26), 0);
}

static void test_memstats(void **state)
{
    (void)state;
    memstats m;
    memstats_begin(&m);
    memstats_set(&m, "keys.bytes-per-key", 96);
    memstats_set(&m, "dataset.percentage", 62.5);
    memstats_set(&m, "peak.allocated", 1e6); /* not used: ignored */
    memstats_set_db(&m, 0, "overhead.hashtable.main", 1024);
    memstats_set_db(&m, 0, "overhead.hashtable.expires", 512);
    memstats_set_db(&m, 3, "overhead.hashtable.main", 72);
    memstats_set_db(&m, 3, "keys", 2); /* not an overhead */
    assert_true(m.known && m.bytes_per_key == 96 && m.dataset_ratio == 0.625);
    assert_int_equal(m.n_dbs, 2);
    assert_true(m.dbs[0].db == 0 && m.dbs[0].hashtable == 1536);
    assert_true(memstats_hashtable_total(&m) == 1608);
    for (int db = 10; db < 40; db++) memstats_set_db(&m, db, "overhead.hashtable.main", 1);
    assert_int_equal(m.n_dbs, MEMSTATS_MAX_DBS); /* bounded */
    memstats_begin(&m);
    assert_true(m.known && !m.has_bytes_per_key && m.n_dbs == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_pasted),
        cmocka_unit_test(test_memstats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
