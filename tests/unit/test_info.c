/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the INFO parser: every fixture, per-fixture facts, and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "derive.h"
#include "info.h"
#include "memmodel.h"

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", RME_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    char *data = malloc(1 << 20);
    assert_non_null(data);
    *len = fread(data, 1, (1 << 20) - 1, f);
    fclose(f);
    return data;
}

static void parse_fixture(const char *name, info_sample *s)
{
    size_t len;
    char *text = slurp(name, &len);
    info_sample_init(s);
    info_parse(s, text, len);
    free(text);
}

/* Every file in the fixture folder parses and yields the core memory figure when the
 * capture has a numeric one. New fixtures are covered without editing this test. */
static bool has_key_line(const char *text, size_t len, const char *key);

static void test_every_fixture_parses(void **state)
{
    (void)state;
    DIR *d = opendir(RME_FIXTURES);
    assert_non_null(d);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".txt") != 0) continue;
        info_sample s;
        parse_fixture(e->d_name, &s);
        if (s.n_known < 10) fail_msg("%s: only %zu known lines", e->d_name, s.n_known);
        double used;
        bool fake = strstr(e->d_name, "template") != NULL;
        if (!fake && !info_get(&s, INFO_USED_MEMORY, &used)) fail_msg("%s: no used_memory", e->d_name);
        /* Where the memory goes (the model): the known parts sum to used_memory (an
         * unknown part is inside "other"), none negative. */
        memmodel mm;
        memmodel_build(&mm, &s, NULL);
        if (mm.has_breakdown) {
            double sum = 0, v;
            for (int p = 0; p < MEMMODEL_USED_COUNT; p++) {
                if (!memmodel_used(&mm, (memmodel_part)p, &v)) continue;
                if (v < 0) fail_msg("%s: part %s is negative", e->d_name, memmodel_part_name((memmodel_part)p));
                sum += v;
            }
            /* "other" is clamped at 0 when a capture's counters disagree: never below used */
            if (sum < used - 1 || sum > used * 1.05 + 1024)
                fail_msg("%s: parts sum to %.0f, used_memory is %.0f", e->d_name, sum, used);
        }
        /* Every text value the capture has is kept: none left out for want of room. */
        size_t len;
        char *text = slurp(e->d_name, &len);
        for (int i = 0; i < INFO_TEXT_COUNT; i++)
            if (has_key_line(text, len, info_text_table[i].key) && !info_text_get(&s, (info_text)i))
                fail_msg("%s: %s left out", e->d_name, info_text_table[i].key);
        free(text);
        info_sample_free(&s);
        files++;
    }
    closedir(d);
    assert_true(files >= 25);
}

typedef struct fixture_fact {
    const char *file;
    info_num field;     /* INFO_NUM_COUNT: no numeric check */
    double value;       /* NAN: must be absent */
    const char *policy; /* NULL: not checked; "" : must be absent */
    int n_dbs;          /* -1: not checked */
    const char *err;    /* errorstat name to check, or NULL */
    double err_count;   /* -1: must be unknown (no section) */
} fixture_fact;

static const fixture_fact facts[] = {
    {"redis-7.0.15-noeviction-oom.txt", INFO_MAXMEMORY, 8388608, "noeviction", -1, "OOM", 34814},
    {"redis-7.0.15-volatile-lru-no-ttl.txt", INFO_NUM_COUNT, 0, "volatile-lru", -1, "OOM", 36814},
    {"redis-7.0.15-allkeys-lru-evicting.txt", INFO_EVICTED_KEYS, 46008, "allkeys-lru", -1, NULL, 0},
    {"redis-7.0.15-empty-nomaxmemory.txt", INFO_MAXMEMORY, 0, "noeviction", 0, "OOM", 0},
    {"redis-7.0.8-maxmemory-allkeys-lru.txt", INFO_MAXMEMORY, 4294967296.0, "allkeys-lru", 1, "NOPERM", 2241},
    {"redis-4.0.2.txt", INFO_MAXMEMORY, 123, "noeviction", 1, "OOM", -1},
    {"redis-2.8.9.txt", INFO_MAXMEMORY, NAN, "", 0, NULL, 0},
    {"redis-3.2.5-standalone-multidb.txt", INFO_MAXMEMORY, 0, "noeviction", 8, NULL, 0},
    {"elasticache-redis-3.2.6.txt", INFO_MAXMEMORY, 2596012032.0, "volatile-lru", 2, NULL, 0},
    {"elasticache-5.0.4-template.txt", INFO_USED_MEMORY, NAN, "volatile-lru", -1, NULL, 0},
    {"redis-7.4.0-standalone.txt", INFO_MEM_FRAG_RATIO, 0.98, NULL, 2, "LOADING", 588},
    {"redis-7.4.4-cluster-replica.txt", INFO_MAXMEMORY, 52428800, "allkeys-lfu", 1, "ERR", 1},
    {"dragonfly-dev-2023-docs.txt", INFO_MAXMEMORY, 3169176780.0, "", 1, NULL, 0},
    {"redis-2.4.4-legacy-nosections.txt", INFO_MEM_FRAG_RATIO, 2.51, NULL, 2, NULL, 0},
    {"valkey-8.0-unstable.txt", INFO_NUM_COUNT, 0, "noeviction", 0, "ERR", 55},
    /* microseconds in INFO, seconds for every reader (redis_latest_fork_seconds) */
    {"redis-7.4.4-master.txt", INFO_LATEST_FORK, 0.004826, NULL, -1, NULL, 0},
};

static void test_fixture_facts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        const fixture_fact *f = &facts[i];
        info_sample s;
        parse_fixture(f->file, &s);
        if (f->field != INFO_NUM_COUNT) {
            double v;
            bool has = info_get(&s, f->field, &v);
            if (isnan(f->value)) {
                if (has) fail_msg("%s: %s should be absent, is %g", f->file, info_num_table[f->field].key, v);
            } else if (!has || fabs(v - f->value) > 1e-9 * fabs(f->value)) {
                fail_msg("%s: %s expected %g got %s%g", f->file, info_num_table[f->field].key, f->value,
                         has ? "" : "(absent) ", has ? v : 0.0);
            }
        }
        if (f->policy) {
            const char *p = info_text_get(&s, INFO_MAXMEMORY_POLICY);
            if (*f->policy ? (!p || strcmp(p, f->policy) != 0) : p != NULL)
                fail_msg("%s: policy expected '%s' got '%s'", f->file, f->policy, p ? p : "(absent)");
        }
        if (f->n_dbs >= 0 && (int)s.n_dbs != f->n_dbs)
            fail_msg("%s: expected %d dbs, got %zu", f->file, f->n_dbs, s.n_dbs);
        if (f->err) {
            double c;
            bool known = info_error_count(&s, f->err, &c);
            if (f->err_count < 0 ? known : (!known || c != f->err_count))
                fail_msg("%s: errorstat %s expected %g got %s%g", f->file, f->err, f->err_count,
                         known ? "" : "(unknown) ", known ? c : 0.0);
        }
        info_sample_free(&s);
    }
}

static void test_keyspace_by_name(void **state)
{
    (void)state;
    info_sample s;
    info_sample_init(&s);
    const char *t = "# Keyspace\r\ndb3:keys=10,expires=4,avg_ttl=1500,subexpiry=7\r\n"
                    "db0:subexpiry=1,expires=2,keys=5\r\ndb1:keys=9,expires=0,avg_ttl=-1\r\n";
    info_parse(&s, t, strlen(t));
    assert_int_equal(s.n_dbs, 3);
    assert_int_equal(s.dbs[0].index, 0); /* sorted */
    assert_true(s.dbs[0].keys == 5 && s.dbs[0].expires == 2 && !s.dbs[0].has_avg_ttl);
    assert_true(s.dbs[1].avg_ttl_ms == -1);
    assert_true(s.dbs[2].keys == 10 && s.dbs[2].expires == 4 && s.dbs[2].avg_ttl_ms == 1500);
    info_sample_free(&s);
}

static void test_values(void **state)
{
    (void)state;
    info_sample s;
    info_sample_init(&s);
    const char *t = "used_memory:-12\nmem_fragmentation_ratio:1.5%\nmaxmemory:12abc\nused_memory_rss:\n"
                    "redis_version:7.2.4\nunknown_field:5\nmem_fragmentation_bytes:-4096\n";
    info_parse(&s, t, strlen(t));
    double v;
    assert_true(info_get(&s, INFO_USED_MEMORY, &v) && v == -12);
    assert_true(info_get(&s, INFO_MEM_FRAG_RATIO, &v) && v == 1.5);
    assert_false(info_get(&s, INFO_MAXMEMORY, &v));
    assert_false(info_get(&s, INFO_USED_MEMORY_RSS, &v));
    assert_true(info_get(&s, INFO_MEM_FRAG_BYTES, &v) && v == -4096);
    assert_int_equal(s.n_bad_values, 2);
    assert_int_equal(info_major_version(&s), 7);
    info_sample_reset(&s);
    assert_false(info_get(&s, INFO_USED_MEMORY, &v));
    assert_null(info_text_get(&s, INFO_REDIS_VERSION));
    assert_int_equal(info_major_version(&s), -1);
    info_sample_free(&s);
}

static void test_errorstats(void **state)
{
    (void)state;
    info_sample s;
    info_sample_init(&s);
    double c;
    const char *old = "used_memory:1\n";
    info_parse(&s, old, strlen(old));
    assert_false(info_error_count(&s, "OOM", &c)); /* no section: unknown */
    const char *t = "# Errorstats\nerrorstat_ERR:count=3\n";
    info_parse(&s, t, strlen(t));
    assert_true(info_error_count(&s, "OOM", &c) && c == 0); /* section without OOM: 0 */
    assert_true(info_error_count(&s, "ERR", &c) && c == 3);
    const char *again = "errorstat_ERR:count=8\nerrorstat_:count=1\nerrorstat_X:nocount=1\n";
    info_parse(&s, again, strlen(again));
    assert_true(info_error_count(&s, "ERR", &c) && c == 8);
    assert_int_equal(s.n_errs, 1);
    info_sample_free(&s);
}

/* INFO commandstats: calls and seconds for every version; rejected and failed calls
 * where given (7.0+); subcommand names kept; bad lines, repeated names and a flood
 * bounded. */
static void test_commandstats(void **state)
{
    (void)state;
    info_sample s;
    info_sample_init(&s);
    const char *t = "# Commandstats\n"
                    "cmdstat_set:calls=10,usec=2000000,usec_per_call=200000.00,rejected_calls=3,failed_calls=1\n"
                    "cmdstat_client|list:calls=2,usec=40,usec_per_call=20.00,rejected_calls=0,failed_calls=0\n"
                    "cmdstat_get:calls=5,usec=50,usec_per_call=10.00\n"              /* 6.x: no split */
                    "cmdstat_bad:usec=1\n"                                           /* no calls */
                    "cmdstat_:calls=1,usec=1\n"                                      /* no name: not a cmdstat line */
                    "cmdstat_set:calls=11,usec=1,rejected_calls=0,failed_calls=0\n"; /* repeated */
    info_parse(&s, t, strlen(t));
    assert_int_equal(s.n_cmds, 3);
    assert_string_equal(s.cmds[0].name, "client|list"); /* sorted by name */
    assert_string_equal(s.cmds[1].name, "get");
    assert_string_equal(s.cmds[2].name, "set");
    assert_true(s.cmds[1].calls == 5 && s.cmds[1].usec == 50e-6 && !s.cmds[1].has_calls_split);
    assert_true(s.cmds[2].calls == 10 || s.cmds[2].calls == 11); /* one of the two, never both */
    assert_int_equal(s.n_bad_values, 1);                         /* the line without calls */
    info_sample_reset(&s);
    assert_int_equal(s.n_cmds, 0);
    char flood[64];
    for (int i = 0; i < INFO_MAX_CMDSTATS + 100; i++) {
        int n = snprintf(flood, sizeof flood, "cmdstat_c%d:calls=1,usec=1\n", i);
        info_parse(&s, flood, (size_t)n);
    }
    assert_int_equal(s.n_cmds, INFO_MAX_CMDSTATS);
    info_sample_free(&s);

    /* a real 7.4 INFO: every cmdstat line, subcommands included, once */
    size_t len;
    char *text = slurp("redis-7.4.0-standalone.txt", &len);
    size_t lines = 0;
    for (const char *p = text; (p = strstr(p, "\ncmdstat_")) != NULL; p++) lines++;
    info_sample_init(&s);
    info_parse(&s, text, len);
    assert_true(lines > 50);
    assert_int_equal(s.n_cmds, lines);
    bool sub = false;
    for (size_t i = 0; i < s.n_cmds; i++) sub |= strchr(s.cmds[i].name, '|') != NULL;
    assert_true(sub);
    free(text);
    info_sample_free(&s);
}

/* True when some line of text[0..len) starts with "key:". */
static bool has_key_line(const char *text, size_t len, const char *key)
{
    size_t k = strlen(key);
    for (size_t i = 0; i + k < len; i++)
        if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, key, k) == 0 && text[i + k] == ':') return true;
    return false;
}

/* A server that answers each single-section INFO with every section: the same text values
 * come ten times and none is lost (issue 21: the 320-byte block filled and every text
 * label became ""); a changed value still replaces the old. */
static void test_repeated_sections_keep_the_texts(void **state)
{
    (void)state;
    const char *all = "redis_version:6.2.14\nredis_mode:standalone\nos:Linux 6.1.0-17-amd64 x86_64\nrole:master\n"
                      "maxmemory_policy:allkeys-lru\nmem_allocator:jemalloc-5.1.0\nrun_id:0123456789abcdef0123\n";
    info_sample s;
    info_sample_init(&s);
    for (int i = 0; i < 10; i++) info_parse(&s, all, strlen(all));
    assert_string_equal(info_text_get(&s, INFO_REDIS_VERSION), "6.2.14");
    assert_string_equal(info_text_get(&s, INFO_OS), "Linux 6.1.0-17-amd64 x86_64");
    assert_string_equal(info_text_get(&s, INFO_MEM_ALLOCATOR), "jemalloc-5.1.0");
    assert_string_equal(info_text_get(&s, INFO_RUN_ID), "0123456789abcdef0123");
    info_parse(&s, "role:slave\n", 11);
    assert_string_equal(info_text_get(&s, INFO_ROLE), "slave");
    info_parse(&s, "maxmemory_policy:volatile-lfu-longer\n", 37);
    assert_string_equal(info_text_get(&s, INFO_MAXMEMORY_POLICY), "volatile-lfu-longer");
    info_sample_free(&s);
}

static void test_hostile_input(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "",
        "\n\n\r\n",
        "no colon here\n",
        ":\n",
        "db:keys=\n",
        "db99999999999999999999:keys=1\n",
        "db1:keys\n",
        "db2:=,=,\n",
        "# \n#\n",
        "used_memory:inf\nused_memory_rss:nan\nmaxmemory:0x10\n",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        info_sample s;
        info_sample_init(&s);
        info_parse(&s, inputs[i], strlen(inputs[i]));
        double v;
        assert_false(info_get(&s, INFO_USED_MEMORY, &v));
        assert_int_equal(s.n_dbs, 0);
        info_sample_free(&s);
    }
    /* Random bytes with one real line buried in them: no crash, the real line is read,
     * and nothing is made up (every field present has its key at the start of a line). */
    char junk[8192];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245 + 12345;
        junk[i] = (char)(x >> 16);
    }
    static const char real[] = "\nused_memory:12345\r\n";
    memcpy(junk + 4000, real, sizeof real - 1);
    info_sample s;
    info_sample_init(&s);
    info_parse(&s, junk, sizeof junk);
    double v;
    assert_true(info_get(&s, INFO_USED_MEMORY, &v) && v == 12345);
    for (int i = 0; i < INFO_NUM_COUNT; i++)
        if (s.has_num[i] && !has_key_line(junk, sizeof junk, info_num_table[i].key))
            fail_msg("%s made up from junk", info_num_table[i].key);
    for (int i = 0; i < INFO_TEXT_COUNT; i++)
        if (info_text_get(&s, (info_text)i) && !has_key_line(junk, sizeof junk, info_text_table[i].key))
            fail_msg("%s made up from junk", info_text_table[i].key);
    for (size_t i = 0; i < s.n_dbs; i++) {
        char key[24];
        snprintf(key, sizeof key, "db%d", s.dbs[i].index);
        if (!has_key_line(junk, sizeof junk, key)) fail_msg("%s made up from junk", key);
    }
    for (size_t i = 0; i < s.n_errs; i++) {
        char key[64];
        snprintf(key, sizeof key, "errorstat_%s", s.errs[i].name);
        if (!has_key_line(junk, sizeof junk, key)) fail_msg("%s made up from junk", key);
    }
    info_sample_free(&s);
    info_sample_init(&s);
    char longv[600];
    memset(longv, 'a', sizeof longv);
    memcpy(longv, "redis_version:", 14);
    info_parse(&s, longv, sizeof longv);
    assert_true(strlen(info_text_get(&s, INFO_REDIS_VERSION)) == INFO_TEXT_MAX - 1);
    info_sample_free(&s);
    /* Every text field as long as it may be: the ones that fit stay whole, the rest are
     * absent, none runs past the sample's room; a reset makes room again. */
    info_sample_init(&s);
    size_t fit = 0;
    for (int i = 0; i < INFO_TEXT_COUNT; i++) {
        char line[300];
        int n = snprintf(line, sizeof line, "%s:%0200d\n", info_text_table[i].key, i);
        info_parse(&s, line, (size_t)n);
        const char *got = info_text_get(&s, (info_text)i);
        if (got) {
            assert_int_equal(strlen(got), INFO_TEXT_MAX - 1);
            fit++;
        }
    }
    assert_int_equal(fit, INFO_TEXTS_BYTES / INFO_TEXT_MAX);
    info_sample_reset(&s);
    info_parse(&s, "role:master\n", 12);
    assert_string_equal(info_text_get(&s, INFO_ROLE), "master");
    info_sample_free(&s);
    /* The number of dbs and errorstats kept is bounded. */
    info_sample_init(&s);
    char line[64];
    for (int i = 0; i < INFO_MAX_ERRORSTATS + 20; i++) {
        int n = snprintf(line, sizeof line, "errorstat_E%d:count=1\n", i);
        info_parse(&s, line, (size_t)n);
    }
    assert_int_equal(s.n_errs, INFO_MAX_ERRORSTATS);
    info_sample_free(&s);
}

/* Valkey reports redis_version 7.2.4 for clients' sake: its own version is the one shown. */
static void test_server_words(void **state)
{
    (void)state;
    static const struct {
        const char *file, *want;
    } rows[] = {
        {"valkey-8.0-unstable.txt", "Valkey 255.255.255"},
        {"redis-7.0.15-noeviction-oom.txt", "Redis 7.0.15"},
    };
    char out[80];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        info_sample s;
        parse_fixture(rows[i].file, &s);
        assert_true(info_server_words(&s, out, sizeof out));
        assert_string_equal(out, rows[i].want);
        info_sample_free(&s);
    }
    info_sample s;
    info_sample_init(&s);
    info_parse(&s, "used_memory:1\r\n", 15); /* a paste of INFO memory alone */
    assert_false(info_server_words(&s, out, sizeof out));
    info_sample_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_fixture_parses), cmocka_unit_test(test_fixture_facts),
        cmocka_unit_test(test_keyspace_by_name),     cmocka_unit_test(test_values),
        cmocka_unit_test(test_errorstats),           cmocka_unit_test(test_commandstats),
        cmocka_unit_test(test_hostile_input),        cmocka_unit_test(test_repeated_sections_keep_the_texts),
        cmocka_unit_test(test_server_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
