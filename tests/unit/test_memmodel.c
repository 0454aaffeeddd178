/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for memmodel: the accounting model on every captured INFO and every pasted
 * incident (parts known or unknown, never a 0 that stands for "not reported"), the version
 * read or bounded from the fields, the commands a version has, CONFIG GET standing in for
 * what old INFO lacks, and the script engines kept out of fragmentation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"
#include "memmodel.h"
#include "srvconf.h"

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *data = malloc(1 << 20);
    assert_non_null(data);
    *len = fread(data, 1, 1 << 20, f);
    fclose(f);
    return data;
}

static void model_of(const char *text, memmodel *m, info_sample *s)
{
    info_sample_init(s);
    info_parse(s, text, strlen(text));
    memmodel_build(m, s, NULL);
}

/* The invariants on one capture: known parts sum to used_memory, none negative; the
 * version bound from the fields alone is never above the version the capture names. */
static void check_capture(const char *dir, const char *name)
{
    size_t len;
    char *text = slurp(dir, name, &len);
    info_sample s;
    info_sample_init(&s);
    info_parse(&s, text, len);
    memmodel m;
    memmodel_build(&m, &s, NULL);
    if (m.has_breakdown) {
        double sum = 0, v;
        for (int p = 0; p < MEMMODEL_USED_COUNT; p++) {
            if (!memmodel_used(&m, (memmodel_part)p, &v)) continue;
            if (v < 0) fail_msg("%s: %s is negative", name, memmodel_part_name((memmodel_part)p));
            sum += v;
        }
        if (sum < m.used - 1 || sum > m.used * 1.05 + 1024) fail_msg("%s: parts %.0f, used %.0f", name, sum, m.used);
    }
    if (m.version_known) {
        /* the same capture without its redis_version line */
        unsigned real = m.version;
        info_text_set(&s, INFO_REDIS_VERSION, "", 0);
        s.text_at[INFO_REDIS_VERSION] = 0;
        memmodel_build(&m, &s, NULL);
        assert_false(m.version_known);
        if (m.version > real) fail_msg("%s: fields say %u or later, it is %u", name, m.version, real);
    }
    info_sample_free(&s);
    free(text);
}

static void test_every_capture(void **state)
{
    (void)state;
    const char *dirs[] = {RME_FIXTURES, RME_INCIDENTS};
    int n = 0;
    for (size_t d = 0; d < 2; d++) {
        DIR *dir = opendir(dirs[d]);
        assert_non_null(dir);
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            size_t l = strlen(e->d_name);
            if ((l > 4 && strcmp(e->d_name + l - 4, ".txt") == 0) ||
                (l > 5 && strcmp(e->d_name + l - 5, ".info") == 0)) {
                check_capture(dirs[d], e->d_name);
                n++;
            }
        }
        closedir(dir);
    }
    assert_true(n >= 45);
}

/* A part the version does not report is unknown, not 0; a lying breakdown is no breakdown. */
static void test_unknown_is_not_zero(void **state)
{
    (void)state;
    info_sample s;
    memmodel m;
    double v;
    model_of("redis_version:4.0.9\nused_memory:1000\nused_memory_overhead:600\nused_memory_dataset:400\n"
             "used_memory_startup:100\n",
             &m, &s);
    assert_true(m.has_breakdown);
    assert_false(memmodel_used(&m, MEMMODEL_CLIENTS, &v));          /* 4.0 has no mem_clients_normal */
    assert_true(memmodel_used(&m, MEMMODEL_OTHER, &v) && v == 500); /* the unknown parts are in "other" */
    assert_true(memmodel_unexplained(&m, &v) && v == 500);          /* no keyspace: nothing explains it */
    info_sample_free(&s);
    model_of("redis_version:7.4.2\nused_memory:551167304\nused_memory_overhead:636860908\n"
             "used_memory_dataset:18446744073623858012\n",
             &m, &s);
    assert_false(m.has_breakdown);
    assert_false(memmodel_used(&m, MEMMODEL_DATA, &v));
    assert_false(memmodel_unexplained(&m, &v));
    info_sample_free(&s);
    /* a keyspace explains its own hash tables: 10 keys take at most 1,280 bytes */
    model_of("redis_version:7.0.15\nused_memory:100000\nused_memory_overhead:60000\nused_memory_dataset:40000\n"
             "mem_clients_normal:0\nused_memory_startup:0\n# Keyspace\ndb0:keys=10,expires=0\n",
             &m, &s);
    assert_true(memmodel_unexplained(&m, &v) && v == 60000 - 1280);
    info_sample_free(&s);
}

static void test_versions_and_commands(void **state)
{
    (void)state;
    static const struct {
        const char *info;
        unsigned version;
        bool known, purge, unlink, clients_limit;
    } rows[] = {
        {"redis_version:2.6.14\nmem_allocator:jemalloc-3.2.0\n", 206, true, false, false, false},
        {"redis_version:4.0.9\nmem_allocator:jemalloc-4.0.3\n", 400, true, true, true, false},
        {"redis_version:7.0.15\nmem_allocator:libc\n", 700, true, false, true, true},
        {"redis_version:8.0.2-beta.2\nmem_allocator:jemalloc-5.3.0\n", 800, true, true, true, true},
        /* no redis_version: the fields bound it */
        {"used_memory:1\nmem_allocator:jemalloc-3.6.0\n", 204, false, false, false, false},
        {"used_memory:1\nused_memory_lua:1\nmem_allocator:jemalloc-3.6.0\n", 206, false, false, false, false},
        {"used_memory:1\nused_memory_dataset:1\nused_memory_overhead:0\n", 400, false, false, true, false},
        {"used_memory:1\nused_memory_vm_eval:1\nmem_allocator:jemalloc-5.3.0\n", 700, false, true, true, true},
        {"used_memory:1\n", 0, false, false, false, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        info_sample s;
        memmodel m;
        model_of(rows[i].info, &m, &s);
        if (m.version != rows[i].version || m.version_known != rows[i].known)
            fail_msg("row %zu: version %u (known %d)", i, m.version, m.version_known);
        assert_int_equal(memmodel_has(&m, MEMMODEL_CMD_MEMORY_PURGE), rows[i].purge);
        assert_int_equal(memmodel_has(&m, MEMMODEL_CMD_UNLINK), rows[i].unlink);
        assert_int_equal(memmodel_has(&m, MEMMODEL_CMD_MAXMEMORY_CLIENTS), rows[i].clients_limit);
        info_sample_free(&s);
    }
}

/* INFO before 3.2 has no maxmemory: a pasted CONFIG GET stands in, and says so; INFO's
 * own value wins where it has one. */
static void test_config_stands_in(void **state)
{
    (void)state;
    srvconf c = {0};
    assert_true(srvconf_set(&c, "maxmemory", "10485760"));
    assert_true(srvconf_set(&c, "maxmemory-policy", "volatile-ttl"));
    info_sample s;
    info_sample_init(&s);
    const char *old = "redis_version:2.6.17\nused_memory:315114992\n";
    info_parse(&s, old, strlen(old));
    memmodel_fill_from_config(&s, &c);
    memmodel m;
    memmodel_build(&m, &s, NULL);
    assert_int_equal(m.max_from, MEMMODEL_FROM_CONFIG);
    assert_true(m.max == 10485760);
    assert_int_equal(m.policy_from, MEMMODEL_FROM_CONFIG);
    assert_string_equal(m.policy, "volatile-ttl");
    assert_true(m.version == 206); /* a maxmemory from CONFIG GET says nothing of the version */
    info_sample_free(&s);
    info_sample_init(&s);
    const char *recent = "redis_version:7.0.15\nused_memory:1\nmaxmemory:2000\nmaxmemory_policy:allkeys-lru\n";
    info_parse(&s, recent, strlen(recent));
    memmodel_fill_from_config(&s, &c);
    memmodel_build(&m, &s, NULL);
    assert_int_equal(m.max_from, MEMMODEL_FROM_INFO);
    assert_true(m.max == 2000);
    assert_string_equal(m.policy, "allkeys-lru");
    info_sample_free(&s);
}

/* Lua lives outside used_memory and inside RSS: it is taken out before fragmentation. */
static void test_engines_are_not_fragmentation(void **state)
{
    (void)state;
    info_sample s;
    memmodel m;
    double v;
    model_of("used_memory:1062544\nused_memory_rss:114487296\nused_memory_lua:91031552\n", &m, &s);
    assert_true(memmodel_rss(&m, MEMMODEL_ENGINES, &v) && v == 91031552);
    assert_true(memmodel_rss_excess(&m) == 114487296.0 - 1062544 - 91031552);
    info_sample_free(&s);
    /* 7.0+: the EVAL and function engines, and what else lies outside the allocator */
    model_of("redis_version:7.0.15\nused_memory:1000000\nused_memory_rss:9000000\nused_memory_vm_total:3000000\n"
             "allocator_frag_bytes:100000\nallocator_rss_bytes:200000\nrss_overhead_bytes:5000000\n",
             &m, &s);
    assert_true(memmodel_rss(&m, MEMMODEL_OUTSIDE, &v) && v == 2000000);
    assert_true(memmodel_rss(&m, MEMMODEL_ALLOC_RSS, &v) && v == 200000);
    assert_true(memmodel_rss_excess(&m) == 5000000);
    info_sample_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_capture),
        cmocka_unit_test(test_unknown_is_not_zero),
        cmocka_unit_test(test_versions_and_commands),
        cmocka_unit_test(test_config_stands_in),
        cmocka_unit_test(test_engines_are_not_fragmentation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
