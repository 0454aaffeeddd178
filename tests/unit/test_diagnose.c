/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for diagnose: each finding from a crafted INFO text or a real fixture, and
 * the healthy case with none. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "derive.h"
#include "diagnose.h"
#include "info.h"
#include "memmodel.h"
#include "srvconf.h"

typedef struct diag_case {
    const char *name;
    const char *info;    /* INFO text, or NULL to read fixture */
    const char *fixture; /* file in RME_FIXTURES */
    bool one_shot;
    double oom_rate;          /* > 0: pretend the rate window saw rejections */
    const char *conf;         /* CONFIG GET pairs "name=value;name=value", or NULL */
    double large_key;         /* > 0: a sampled key of this size */
    const char *expect;       /* "id:severity,id:severity" in table order, "" for none */
    const char *fix_contains; /* substring of the first finding's fix, or NULL */
    const char *fix_lacks;    /* substring that no finding's fix may contain, or NULL */
} diag_case;

static const diag_case cases[] = {
    /* A subscriber that never reads fills a noeviction instance (issue 13): every fix
     * points at the buffers, none at an evicting policy, deletions or a higher limit. */
    {"client buffers fill memory",
     "redis_version:7.0.15\nused_memory:31457280\nmaxmemory:25165824\n"
     "maxmemory_policy:noeviction\nmem_clients_normal:23068672\nclient_recent_max_output_buffer:23000000\n"
     "# Errorstats\nerrorstat_OOM:count=7\n# Keyspace\ndb0:keys=8000,expires=0\n",
     NULL, false, 3.5, false, 0,
     "client_output_buffers:critical,memory_near_limit:critical,noeviction_at_limit:critical,oom_rejections:critical",
     "CLIENT KILL ID", "allkeys"},
    {"small client buffers are no finding",
     "used_memory:900\nmaxmemory:1000\nmaxmemory_policy:noeviction\n"
     "mem_clients_normal:400\n# Errorstats\n",
     NULL, false, 0, false, 0, "memory_near_limit:warning,noeviction_at_limit:warning", "CONFIG SET maxmemory", NULL},
    /* No limit today, rejections counted under an earlier one: never suggest a tiny limit. */
    {"maxmemory 0 after OOM",
     "used_memory:5242880\nmaxmemory:0\nmaxmemory_policy:noeviction\n# Errorstats\n"
     "errorstat_OOM:count=5\n",
     NULL, true, 0, false, 0, "oom_rejections:warning", "No maxmemory is set now", "CONFIG SET maxmemory"},
    {"healthy, no limit", "used_memory:1048576\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n# Errorstats\r\n", NULL,
     false, 0, false, 0, "", NULL, NULL},
    {"85% allkeys", "used_memory:850\nmaxmemory:1000\nmaxmemory_policy:allkeys-lru\ndb0:keys=10,expires=0\n", NULL,
     false, 0, false, 0, "memory_near_limit:warning", "CONFIG SET maxmemory", NULL},
    /* A cache at its limit that evicts is healthy by design (issue 13): a warning, no more. */
    {"96% allkeys", "used_memory:960\nmaxmemory:1000\nmaxmemory_policy:allkeys-lru\ndb0:keys=10,expires=0\n", NULL,
     false, 0, false, 0, "memory_near_limit:warning", "evicts at the limit by design", NULL},
    {"96% allkeys with nothing to evict",
     "used_memory:960\nmaxmemory:1000\nmaxmemory_policy:allkeys-lru\n"
     "# Keyspace\n",
     NULL, false, 0, false, 0, "memory_near_limit:critical", "CONFIG SET maxmemory", NULL},
    {"96% noeviction stays critical", "used_memory:960\nmaxmemory:1000\nmaxmemory_policy:noeviction\n", NULL, false, 0,
     false, 0, "memory_near_limit:critical,noeviction_at_limit:critical", NULL, NULL},
    {"79% allkeys is fine", "used_memory:790\nmaxmemory:1000\nmaxmemory_policy:allkeys-lru\n", NULL, false, 0, false, 0,
     "", NULL, NULL},
    {"noeviction 90%", "used_memory:900\nmaxmemory:1000\nmaxmemory_policy:noeviction\n# Errorstats\n", NULL, false, 0,
     false, 0, "memory_near_limit:warning,noeviction_at_limit:warning", NULL, NULL},
    {"noeviction 50% is not a finding", "used_memory:500\nmaxmemory:1000\nmaxmemory_policy:noeviction\n", NULL, false,
     0, false, 0, "", NULL, NULL},
    {"noeviction rejecting",
     "used_memory:1000\nmaxmemory:1000\nmaxmemory_policy:noeviction\n# Errorstats\n"
     "errorstat_OOM:count=7\n",
     NULL, false, 3.5, false, 0, "memory_near_limit:critical,noeviction_at_limit:critical,oom_rejections:critical",
     NULL, NULL},
    {"volatile without TTLs",
     "used_memory:900\nmaxmemory:1000\nmaxmemory_policy:volatile-lru\n"
     "db0:keys=1000,expires=3\n",
     NULL, false, 0, false, 0, "memory_near_limit:warning,volatile_without_ttl_keys:warning", NULL, NULL},
    {"volatile with TTLs",
     "used_memory:900\nmaxmemory:1000\nmaxmemory_policy:volatile-lru\n"
     "db0:keys=1000,expires=400\n",
     NULL, false, 0, false, 0, "memory_near_limit:warning", NULL, NULL},
    {"fragmentation, defrag off",
     "used_memory:209715200\nused_memory_rss:524288000\nmem_fragmentation_ratio:2.5\n"
     "mem_fragmentation_bytes:314572800\nmem_allocator:jemalloc-5.3.0\n",
     NULL, false, 0, false, 0, "fragmentation_high:warning", "CONFIG SET activedefrag yes", NULL},
    {"fragmentation, defrag on",
     "used_memory:209715200\nused_memory_rss:524288000\nmem_fragmentation_ratio:2.5\n"
     "mem_allocator:jemalloc-5.3.0\n",
     NULL, false, 0, "activedefrag=yes", 0, "fragmentation_high:warning", "already on", NULL},
    {"fragmentation, libc",
     "used_memory:209715200\nused_memory_rss:524288000\nmem_fragmentation_ratio:2.5\n"
     "mem_allocator:libc\n",
     NULL, false, 0, false, 0, "fragmentation_high:warning", "no active defrag", NULL},
    {"high ratio, few bytes",
     "used_memory:1000000\nused_memory_rss:7000000\nmem_fragmentation_ratio:7\n"
     "mem_allocator:jemalloc-5.3.0\n",
     NULL, false, 0, false, 0, "", NULL, NULL},
    /* INFO cannot show swap: RSS below used memory is a note (issue 20: zero pages, swap off) */
    {"RSS below used", "used_memory:524288000\nused_memory_rss:209715200\nmem_fragmentation_ratio:0.4\n", NULL, false,
     0, false, 0, "rss_below_used:info", "VmSwap", NULL},
    {"large key", "redis_version:7.0.15\nused_memory:1000\nmaxmemory:0\n", NULL, false, 0, false, 5.0 * 1048576,
     "large_keys:warning", "UNLINK", NULL},
    /* the same before 4.0 (a sampler never runs there; the words must still fit it) */
    {"large key on 3.2", "redis_version:3.2.12\nused_memory:1000\nmaxmemory:0\n", NULL, false, 0, false, 5.0 * 1048576,
     "large_keys:warning", "`DEL \"big\"`", "UNLINK"},
    {"pre-6.2 at the limit: inferred OOM",
     "used_memory:1000\nmaxmemory:1000\nmaxmemory_policy:noeviction\n"
     "# Keyspace\ndb0:keys=5,expires=0\n",
     NULL, false, 0, false, 0, "memory_near_limit:critical,noeviction_at_limit:critical,oom_rejections:critical", NULL,
     NULL},
    {"doctor on a real OOM capture", NULL, "redis-7.0.15-noeviction-oom.txt", true, 0, false, 0,
     "memory_near_limit:critical,noeviction_at_limit:critical,oom_rejections:critical", NULL, NULL},
    {"tiny maxmemory (4.0.2 capture)", NULL, "redis-4.0.2.txt", true, 0, false, 0,
     "memory_near_limit:critical,noeviction_at_limit:critical,oom_rejections:critical", NULL, NULL},
    /* A replica that ignores maxmemory (the default) evicts and rejects nothing: a warning
     * about its promotion, never noeviction advice (issue 13). */
    {"replica above its own limit",
     "redis_version:7.0.15\nrole:slave\nused_memory:1100\nmaxmemory:1000\n"
     "maxmemory_policy:noeviction\n# Errorstats\n",
     NULL, false, 0, NULL, 0, "memory_near_limit:warning", "once promoted", "allkeys"},
    {"replica that applies its limit",
     "redis_version:7.0.15\nrole:slave\nused_memory:1100\nmaxmemory:1000\n"
     "maxmemory_policy:noeviction\n# Errorstats\n",
     NULL, false, 0, "replica-ignore-maxmemory=no", 0, "memory_near_limit:critical,noeviction_at_limit:critical", NULL,
     NULL},
    {"replication backlog",
     "used_memory:9000000\nmaxmemory:10000000\nmaxmemory_policy:allkeys-lru\n"
     "mem_replication_backlog:6000000\nmem_clients_slaves:20000\ndb0:keys=10,expires=0\n",
     NULL, false, 0, NULL, 0, "replication_backlog:warning,memory_near_limit:warning", "Shrink the backlog",
     "by design"},
    {"script cache",
     "redis_version:7.0.15\nused_memory:9000000\nmaxmemory:10000000\nmaxmemory_policy:noeviction\n"
     "used_memory_scripts_eval:5000000\nnumber_of_cached_scripts:20000\n# Errorstats\n",
     NULL, false, 0, NULL, 0, "script_cache:warning,memory_near_limit:warning,noeviction_at_limit:warning",
     "SCRIPT FLUSH", "allkeys"},
    {"fork against the host",
     "used_memory:1000\nused_memory_rss:2000000\nmaxmemory:950000000\n"
     "total_system_memory:1000000000\nrdb_last_cow_size:10000000\naof_enabled:0\n",
     NULL, false, 0, "save=3600 1 300 100", 0, "fork_memory:warning", "CONFIG SET maxmemory 801mb", NULL},
    {"fork without persistence is no finding",
     "used_memory:1000\nused_memory_rss:2000000\nmaxmemory:950000000\n"
     "total_system_memory:1000000000\naof_enabled:0\nconnected_slaves:0\n",
     NULL, false, 0, "save=", 0, "", NULL, NULL},
    {"no limit, host half full",
     "used_memory:520000000\nused_memory_rss:530000000\nmaxmemory:0\n"
     "maxmemory_policy:noeviction\ntotal_system_memory:1000000000\n",
     NULL, false, 0, NULL, 0, "no_memory_limit:warning", "CONFIG SET maxmemory 715mb", NULL},
    {"no limit, no room for one",
     "used_memory:700000000\nused_memory_rss:710000000\nmaxmemory:0\n"
     "maxmemory_policy:noeviction\ntotal_system_memory:1000000000\n",
     NULL, false, 0, NULL, 0, "no_memory_limit:warning", "No limit fits", "CONFIG SET maxmemory "},
    /* A higher limit must fit the host (issue 20: 60 GB advised with RSS at 2.06 x used on a
     * 126 GB host): at today's RSS per used byte it does not, so none is offered. */
    {"no room for a higher limit",
     "redis_version:6.2.6\nused_memory:42949672960\nused_memory_rss:88476326297\n"
     "maxmemory:45097156608\nmaxmemory_policy:noeviction\ntotal_system_memory:135291469824\n"
     "used_memory_peak:42949672960\nmem_allocator:jemalloc-5.1.0\n# Errorstats\n",
     NULL, false, 0, false, 0, "memory_near_limit:critical,noeviction_at_limit:critical,fragmentation_high:warning",
     "does not fit this host's RAM", "CONFIG SET maxmemory "},
    {"healthy 7.0.15 capture", NULL, "redis-7.0.15-empty-nomaxmemory.txt", true, 0, false, 0, "", NULL, NULL},
};

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", RME_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char data[1 << 20];
    *len = fread(data, 1, sizeof data, f);
    fclose(f);
    return data;
}

static void render_findings(const diagnose_result *r, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < r->n; i++) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%s:%s", i ? "," : "", diagnose_id_name(r->findings[i].id),
                 diagnose_severity_name(r->findings[i].severity));
    }
}

/* INFO text -> a sample and its derived values, as one poll gives them. */
static void derive_one(info_sample *s, const char *text, size_t len, derived *d)
{
    info_sample_init(s);
    info_parse(s, text, len);
    derive_history h;
    derive_history_init(&h, 10, 300);
    derive_push(&h, s, 1.0);
    derive_compute(&h, s, h.last.t, d);
}

/* What observe does: the model of the sample, every row decided, then (with text) the
 * words of each finding. */
static void diagnose_all(diagnose_input *in, const diagnose_thresholds *th, diagnose_result *r, diagnose_text *text)
{
    memmodel m;
    memmodel_build(&m, in->sample, NULL);
    in->model = &m;
    diagnose_run(in, th, r);
    if (text) diagnose_explain(in, th, r, text);
    in->model = NULL;
}

static void test_cases(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const diag_case *tc = &cases[c];
        info_sample s;
        size_t len;
        const char *text = tc->info ? tc->info : slurp(tc->fixture, &len);
        if (tc->info) len = strlen(tc->info);
        derived d;
        derive_one(&s, text, len, &d);
        if (tc->oom_rate > 0) {
            d.has_oom_rate = true;
            d.oom_rate = tc->oom_rate;
        }
        diagnose_key key = {.db = 0, .name = "big", .type = "string", .bytes = tc->large_key};
        srvconf conf = {0};
        char pairs[200];
        snprintf(pairs, sizeof pairs, "%s", tc->conf ? tc->conf : "");
        for (char *save = NULL, *pair = strtok_r(pairs, ";", &save); pair; pair = strtok_r(NULL, ";", &save)) {
            char *eq = strchr(pair, '=');
            assert_non_null(eq);
            *eq = '\0';
            assert_true(srvconf_set(&conf, pair, eq + 1));
        }
        diagnose_input in = {.sample = &s,
                             .derived = &d,
                             .conf = &conf,
                             .largest = tc->large_key > 0 ? &key : NULL,
                             .n_largest = tc->large_key > 0 ? 1 : 0,
                             .one_shot = tc->one_shot};
        diagnose_thresholds th = diagnose_default_thresholds();
        diagnose_result r;
        diagnose_text words[DIAGNOSE_COUNT];
        diagnose_all(&in, &th, &r, words);
        char got[512];
        render_findings(&r, got, sizeof got);
        if (strcmp(got, tc->expect) != 0) fail_msg("%s: expected [%s], got [%s]", tc->name, tc->expect, got);
        if (tc->fix_contains && (r.n == 0 || !strstr(words[0].fix, tc->fix_contains)))
            fail_msg("%s: fix lacks '%s': %s", tc->name, tc->fix_contains, r.n ? words[0].fix : "(none)");
        for (size_t i = 0; tc->fix_lacks && i < r.n; i++)
            if (strstr(words[i].fix, tc->fix_lacks))
                fail_msg("%s: the fix of %s says '%s': %s", tc->name, diagnose_id_name(r.findings[i].id), tc->fix_lacks,
                         words[i].fix);
        diagnose_severity worst = DIAGNOSE_OK;
        for (size_t i = 0; i < r.n; i++) {
            if (r.findings[i].severity > worst) worst = r.findings[i].severity;
            assert_true(strlen(words[i].summary) > 10);
            assert_true(strlen(diagnose_why(r.findings[i].id)) > 10);
        }
        assert_int_equal(worst, r.worst);
        /* a note never changes the doctor's exit status */
        assert_int_equal(diagnose_exit_status(worst),
                         worst == DIAGNOSE_CRITICAL      ? 2
                             : worst == DIAGNOSE_WARNING ? 1
                                                         : 0);
        info_sample_free(&s);
    }
}

static void test_thresholds_are_flags(void **state)
{
    (void)state;
    info_sample s;
    const char *t = "used_memory:700\nmaxmemory:1000\nmaxmemory_policy:allkeys-lru\n";
    derived d;
    derive_one(&s, t, strlen(t), &d);
    diagnose_input in = {.sample = &s, .derived = &d};
    diagnose_thresholds th = diagnose_default_thresholds();
    diagnose_result r;
    diagnose_text text[DIAGNOSE_COUNT];
    diagnose_all(&in, &th, &r, text);
    assert_int_equal(r.n, 0);
    th.memory_warning = 0.6;
    diagnose_all(&in, &th, &r, text);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.findings[0].id, DIAGNOSE_MEMORY_NEAR_LIMIT);
    info_sample_free(&s);
}

/* Findings name the namespace that holds the data without TTLs, whole: the texts have
 * room for the longest name (and diagnose.c drops a name rather than cut a command). */
static void test_namespaces_in_fixes(void **state)
{
    (void)state;
    info_sample s;
    const char *t = "used_memory:900000\nused_memory_dataset:800000\nused_memory_overhead:100000\nmaxmemory:1000000\n"
                    "maxmemory_policy:volatile-lru\ndb0:keys=1000,expires=2\n";
    derived d;
    derive_one(&s, t, strlen(t), &d);
    diagnose_namespace ns[2] = {{.name = "session", .keys = 900, .bytes = 500000, .ttl_ratio = 0},
                                {.name = "cache", .keys = 100, .bytes = 50000, .ttl_ratio = 1}};
    diagnose_input in = {.sample = &s, .derived = &d, .namespaces = ns, .n_namespaces = 2};
    diagnose_thresholds th = diagnose_default_thresholds();
    diagnose_result r;
    diagnose_text text[DIAGNOSE_COUNT];
    diagnose_all(&in, &th, &r, text);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.findings[1].id, DIAGNOSE_VOLATILE_WITHOUT_TTL_KEYS);
    assert_non_null(strstr(text[1].fix, "session:* holds 62 % of the data and 0 % of its keys have a TTL"));
    assert_non_null(strstr(text[1].fix, "`redis-cli --scan --pattern 'session:*'`"));
    assert_non_null(strstr(text[0].fix, "The largest namespace is session:* (62 % of the data"));
    memset(ns[0].name, 'n', sizeof ns[0].name - 1); /* 79 characters */
    ns[0].name[sizeof ns[0].name - 1] = '\0';
    diagnose_all(&in, &th, &r, text);
    /* the longest name a namespace can have still fits whole, twice, with nothing cut */
    char pattern[120];
    snprintf(pattern, sizeof pattern, "--pattern '%s:*'`", ns[0].name);
    assert_non_null(strstr(text[1].fix, pattern));
    const char *tail = "`CONFIG SET maxmemory-policy allkeys-lru`.";
    assert_string_equal(text[1].fix + strlen(text[1].fix) - strlen(tail), tail);
    const char *end = text[0].fix + strlen(text[0].fix) - 1;
    assert_true(*end == '.');
    assert_non_null(strstr(text[0].fix, ns[0].name));
    info_sample_free(&s);
}

/* Bytes by TTL and growth (issue 25): under volatile-* what eviction can reach is the
 * bytes with a TTL, not the key count; the forecast names the namespace that grows, and
 * growth the sampled data does not explain points outside it. */
static void test_ttl_bytes_and_growth(void **state)
{
    (void)state;
    info_sample s;
    /* 40 % of the keys have a TTL: by count, eviction has plenty to reach */
    const char *t = "used_memory:900000000\nmaxmemory:1000000000\nmaxmemory_policy:volatile-lru\n"
                    "db0:keys=1000,expires=400\n";
    derived d;
    derive_one(&s, t, strlen(t), &d);
    diagnose_namespace ns[2] = {
        {.name = "jobs",
         .keys = 600,
         .bytes = 800e6,
         .ttl_ratio = 0,
         .persistent_bytes = 800e6,
         .has_growth = true,
         .growth_per_hour = 300 * 1048576.0},
        {.name = "session", .keys = 400, .bytes = 4e6, .ttl_ratio = 1, .hour_bytes = 4e6, .has_growth = true}};
    diagnose_input in = {.sample = &s, .derived = &d, .namespaces = ns, .n_namespaces = 2};
    diagnose_thresholds th = diagnose_default_thresholds();
    diagnose_result r;
    diagnose_text text[DIAGNOSE_COUNT];
    diagnose_all(&in, &th, &r, text);
    assert_int_equal(r.n, 1); /* the key count alone: no volatile finding */
    /* but they hold 0.5 % of the bytes: eviction can free almost nothing */
    in.ttl = (diagnose_ttl_split){.known = true, .hour_bytes = 4e6, .ttl_bytes = 4e6, .persistent_bytes = 800e6};
    d.has_time_to_full = true;
    d.time_to_full = 2400;
    d.growth_rate = 100e6 / 2400.0;
    diagnose_all(&in, &th, &r, text);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.findings[1].id, DIAGNOSE_VOLATILE_WITHOUT_TTL_KEYS);
    assert_non_null(strstr(text[1].summary, "that is all eviction can free"));
    assert_non_null(strstr(text[1].summary, "0.5 % of the sampled data, 0.4 % of maxmemory"));
    assert_non_null(strstr(text[1].fix, "jobs:* holds"));
    assert_int_equal(r.findings[0].id, DIAGNOSE_MEMORY_NEAR_LIMIT);
    assert_non_null(strstr(text[0].summary, "full in 40 min"));
    assert_non_null(strstr(text[0].summary, "`jobs:*` grows fastest, 300.0 MiB an hour"));
    assert_null(strstr(text[0].summary, "outside the data"));
    assert_non_null(strstr(text[0].summary, "0 % of the data expires within an hour"));
    assert_non_null(strstr(text[0].summary, "`jobs:*`: 762.9 MiB never expires"));
    /* used_memory grows 10 GB an hour, the keys 300 MiB: the rest is outside the data */
    d.growth_rate = 10e9 / 3600;
    diagnose_all(&in, &th, &r, text);
    assert_non_null(strstr(text[0].summary, "outside the data"));
    info_sample_free(&s);
}

/* A watched stream that only grows, near the limit: the finding with the exact XTRIM
 * (the length at the window's start); a name not fit to type gets a placeholder; no
 * finding without pressure. */
static void test_growing_watched_key(void **state)
{
    (void)state;
    info_sample s;
    const char *t = "redis_version:7.0.15\nused_memory:900\nmaxmemory:1000\nmaxmemory_policy:noeviction\n";
    derived d;
    derive_one(&s, t, strlen(t), &d);
    diagnose_watched w = {.db = 0,
                          .name = "stream:events",
                          .type = "stream",
                          .present = true,
                          .has_size = true,
                          .size = 5200,
                          .has_memory = true,
                          .memory = 1 << 20,
                          .growing = true,
                          .grew_from = 1200,
                          .window = 600};
    diagnose_input in = {.sample = &s, .derived = &d, .watched = &w, .n_watched = 1};
    diagnose_thresholds th = diagnose_default_thresholds();
    diagnose_result r;
    diagnose_text text[DIAGNOSE_COUNT];
    diagnose_all(&in, &th, &r, text);
    size_t k = 0;
    while (k < r.n && r.findings[k].id != DIAGNOSE_KEY_GROWING_UNBOUNDED) k++;
    assert_true(k < r.n);
    assert_non_null(strstr(text[k].summary, "grew from 1200 to 5200 entries over the last 10 min"));
    assert_non_null(strstr(text[k].fix, "`XTRIM stream:events MAXLEN ~ 1200`"));
    assert_non_null(strstr(text[k].fix, "`XADD stream:events MAXLEN ~ 1200 * field value`"));
    snprintf(w.name, sizeof w.name, "%s", "with space");
    diagnose_all(&in, &th, &r, text);
    assert_non_null(strstr(text[k].fix, "`XTRIM <key> MAXLEN ~ 1200`"));
    w.growing = false;
    diagnose_all(&in, &th, &r, text);
    for (size_t i = 0; i < r.n; i++) assert_int_not_equal(r.findings[i].id, DIAGNOSE_KEY_GROWING_UNBOUNDED);
    info_sample_free(&s);
    /* growing, but far from the limit: no finding */
    const char *calm = "redis_version:7.0.15\nused_memory:100\nmaxmemory:1000\nmaxmemory_policy:noeviction\n";
    derive_one(&s, calm, strlen(calm), &d);
    w.growing = true;
    diagnose_all(&in, &th, &r, text);
    assert_int_equal(r.n, 0);
    info_sample_free(&s);
}

/* RSS below used memory: a note without evidence, a warning with VmSwap to show it, and
 * nothing at all when VmSwap shows nothing is swapped (pages never touched). */
static void test_swap_evidence(void **state)
{
    (void)state;
    info_sample s;
    const char *t = "redis_version:7.0.15\nprocess_id:4242\nused_memory:524288000\nused_memory_rss:209715200\n";
    derived d;
    derive_one(&s, t, strlen(t), &d);
    static const struct {
        bool has;
        double swap;
        const char *expect;
    } rows[] = {{false, 0, "rss_below_used:info"}, {true, 300e6, "rss_below_used:warning"}, {true, 0, ""}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        memmodel m;
        memmodel_build(&m, &s, NULL);
        m.has_swap = rows[i].has;
        m.swap = rows[i].swap;
        diagnose_input in = {.sample = &s, .model = &m, .derived = &d};
        diagnose_thresholds th = diagnose_default_thresholds();
        diagnose_result r;
        diagnose_text text[DIAGNOSE_COUNT];
        diagnose_run(&in, &th, &r);
        diagnose_explain(&in, &th, &r, text);
        char got[200];
        render_findings(&r, got, sizeof got);
        assert_string_equal(got, rows[i].expect);
        if (r.n)
            assert_non_null(strstr(r.findings[0].severity == DIAGNOSE_WARNING ? text[0].summary : text[0].fix,
                                   r.findings[0].severity == DIAGNOSE_WARNING ? "swapped out (VmSwap in /proc/4242"
                                                                              : "grep VmSwap /proc/4242/status"));
    }
    info_sample_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_swap_evidence),
        cmocka_unit_test(test_thresholds_are_flags),
        cmocka_unit_test(test_namespaces_in_fixes),
        cmocka_unit_test(test_ttl_bytes_and_growth),
        cmocka_unit_test(test_growing_watched_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
