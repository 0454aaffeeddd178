/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for render: exact lines, family structure, escaping, numbers, stale targets,
 * OpenMetrics made from the text. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "derive.h"
#include "info.h"
#include "landing.h"
#include "observe.h"
#include "render.h"
#include "tspec.h"

static const render_build build = {"1", "r", "h", "e", "m"};

typedef struct world {
    report r;
    derive_history h;
    histo lateness;
    render_view t;
    render_exporter e;
} world;

static void make(world *w, const char *info, bool up)
{
    memset(&w->r, 0, sizeof w->r);
    w->r.addr = "x:1";
    w->r.keys = &sampler_none;
    w->r.has_sample = true;
    w->r.health.last_ok = up;
    w->r.health.last_error = up ? POLLERR_NONE : POLLERR_CONNECT;
    info_sample_init(&w->r.sample);
    info_parse(&w->r.sample, info, strlen(info));
    derive_history_init(&w->h, 10, 300);
    derive_push(&w->h, &w->r.sample, 1);
    derive_compute(&w->h, &w->r.sample, 1, &w->r.derived);
    histo_init(&w->lateness, histo_lateness_bounds, histo_lateness_n);
    w->lateness.counts[0] = 1; /* one poll within 1 ms, two within 5 ms */
    w->lateness.counts[1] = 2;
    w->t = (render_view){.r = &w->r, .state = up ? "up" : "backoff", .up = up};
    w->e = (render_exporter){.build = &build, .lateness = &w->lateness};
}

static char *render(world *w, render_format fmt)
{
    buf b;
    buf_init(&b);
    render_metrics(&b, fmt, &w->t, 1, &w->e);
    return buf_steal(&b, NULL);
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n')) return true;
    return false;
}

static const char *INFO7 =
    "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nos:Linux\r\nrun_id:abc\r\n"
    "# Memory\r\nused_memory:1000\r\nmaxmemory:4294967296\r\nmaxmemory_policy:allkeys-lru\r\n"
    "mem_fragmentation_ratio:1.25\r\nmem_allocator:jemalloc-5.3.0\r\n"
    "# Stats\r\nevicted_keys:7\r\n# Replication\r\nrole:master\r\n"
    "# Errorstats\r\nerrorstat_ERR:count=2\r\n# Keyspace\r\ndb0:keys=10,expires=4,avg_ttl=2500\r\n";

/* Issue 24: redis_exporter's commandstats families, same names, label and units, and
 * the network counters its dashboard reads. */
static void test_commandstats_and_network_lines(void **state)
{
    (void)state;
    world w;
    make(&w,
         "redis_version:7.0.15\ntotal_net_input_bytes:1234\ntotal_net_output_bytes:5678\n# Commandstats\n"
         "cmdstat_set:calls=10,usec=2500000,usec_per_call=250000.00,rejected_calls=3,failed_calls=1\n"
         "cmdstat_get:calls=5,usec=50,usec_per_call=10.00\n",
         true);
    char *t = render(&w, RENDER_TEXT);
    static const char *const lines[] = {
        "# TYPE redis_commands_total counter",
        "redis_commands_total{addr=\"x:1\",cmd=\"get\"} 5",
        "redis_commands_total{addr=\"x:1\",cmd=\"set\"} 10",
        "redis_commands_duration_seconds_total{addr=\"x:1\",cmd=\"set\"} 2.5",
        "redis_commands_rejected_calls_total{addr=\"x:1\",cmd=\"set\"} 3",
        "redis_commands_failed_calls_total{addr=\"x:1\",cmd=\"set\"} 1",
        "redis_net_input_bytes_total{addr=\"x:1\"} 1234",
        "redis_net_output_bytes_total{addr=\"x:1\"} 5678",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (!has_line(t, lines[i])) fail_msg("missing line: %s", lines[i]);
    /* a 6.x line has no rejected/failed split: no series rather than a 0 */
    assert_null(strstr(t, "redis_commands_rejected_calls_total{addr=\"x:1\",cmd=\"get\"}"));
    free(t);
    info_sample_free(&w.r.sample);
}

static void test_exact_lines(void **state)
{
    (void)state;
    world w;
    make(&w, INFO7, true);
    char *t = render(&w, RENDER_TEXT);
    static const char *const lines[] = {
        "redis_up{addr=\"x:1\"} 1",
        "redis_memory_max_bytes{addr=\"x:1\"} 4294967296",
        "redis_mem_fragmentation_ratio{addr=\"x:1\"} 1.25",
        "# TYPE redis_evicted_keys_total counter",
        "redis_evicted_keys_total{addr=\"x:1\"} 7",
        "redis_db_keys{addr=\"x:1\",db=\"db0\"} 10",
        "redis_db_keys_expiring{addr=\"x:1\",db=\"db0\"} 4",
        "redis_db_keys_persistent{addr=\"x:1\",db=\"db0\"} 6",
        "redis_db_avg_ttl_seconds{addr=\"x:1\",db=\"db0\"} 2.5",
        "redis_db_keys_evictable{addr=\"x:1\",db=\"db0\"} 10",
        "redis_errors_total{addr=\"x:1\",err=\"ERR\"} 2",
        "redis_errors_total{addr=\"x:1\",err=\"OOM\"} 0",
        "redis_memory_max_configured{addr=\"x:1\"} 1",
        "redis_memory_exporter_poll_lateness_seconds_bucket{le=\"0.001\"} 1",
        "redis_memory_exporter_poll_lateness_seconds_bucket{le=\"+Inf\"} 3",
        "redis_memory_exporter_poll_lateness_seconds_count 3",
        "redis_instance_info{addr=\"x:1\",redis_version=\"7.0.15\",redis_mode=\"standalone\",role=\"master\","
        "os=\"Linux\",maxmemory_policy=\"allkeys-lru\",mem_allocator=\"jemalloc-5.3.0\"} 1",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (!has_line(t, lines[i])) fail_msg("missing line: %s", lines[i]);
    /* The ratio is printed the shortest way that reads back exactly: 17 digits here. */
    assert_true(has_line(t, "redis_memory_used_ratio{addr=\"x:1\"} 2.3283064365386963e-07"));
    double got = strtod(strstr(t, "redis_memory_used_ratio{addr=\"x:1\"} ") + 36, NULL);
    assert_true(got == 1000 / 4294967296.0);
    free(t);
    info_sample_free(&w.r.sample);
}

/* HELP then TYPE once per family, before its samples; families contiguous; no blank line;
 * a final newline. */
static void check_structure(const char *t, bool om)
{
    assert_true(strlen(t) > 0 && t[strlen(t) - 1] == '\n');
    assert_null(strstr(t, "\n\n"));
    char seen[256][128];
    int n_seen = 0;
    char current[128] = "";
    const char *p = t;
    while (*p) {
        const char *nl = strchr(p, '\n');
        char line[2048];
        size_t n = (size_t)(nl - p) < sizeof line - 1 ? (size_t)(nl - p) : sizeof line - 1;
        memcpy(line, p, n);
        line[n] = '\0';
        p = nl + 1;
        if (strcmp(line, "# EOF") == 0) {
            assert_true(om);
            assert_int_equal(*p, '\0');
            break;
        }
        char name[128];
        if (strncmp(line, "# HELP ", 7) == 0) {
            sscanf(line + 7, "%127s", name);
            for (int i = 0; i < n_seen; i++)
                if (strcmp(seen[i], name) == 0) fail_msg("family %s appears twice", name);
            snprintf(seen[n_seen++], sizeof seen[0], "%s", name);
            snprintf(current, sizeof current, "%s", name);
            assert_true(strncmp(p, "# TYPE ", 7) == 0);
            continue;
        }
        if (strncmp(line, "# TYPE ", 7) == 0) continue;
        assert_true(line[0] != '#');
        sscanf(line, "%127[^{ ]", name);
        if (strncmp(name, current, strlen(current)) != 0) fail_msg("sample %s outside its family %s", name, current);
    }
}

static void test_structure_both_formats(void **state)
{
    (void)state;
    world w;
    make(&w, INFO7, true);
    char *t = render(&w, RENDER_TEXT);
    check_structure(t, false);
    assert_null(strstr(t, "# EOF"));
    char *om = render(&w, RENDER_OPENMETRICS);
    check_structure(om, true);
    assert_true(has_line(om, "# TYPE redis_evicted_keys counter"));
    assert_true(has_line(om, "redis_evicted_keys_total{addr=\"x:1\"} 7"));
    assert_true(has_line(om, "# TYPE redis_memory_used_bytes gauge"));
    assert_true(has_line(om, "# TYPE redis_memory_exporter_poll_lateness_seconds histogram"));
    assert_false(has_line(om, "# TYPE redis_evicted_keys_total counter"));
    free(t);
    free(om);
    info_sample_free(&w.r.sample);
}

/* Every label a rendered series carries is in render_label_names (or is a
 * redis_instance_info label): the list user labels are checked against cannot fall behind
 * what the renderer writes (issue 21: part and namespace were missing, and mode/allocator
 * stood where redis_mode/mem_allocator are rendered). */
static void test_label_names_are_known(void **state)
{
    (void)state;
    world w;
    make(&w, INFO7, true);
    static sampler_summary keys;
    memset(&keys, 0, sizeof keys);
    keys.active = true;
    keys.largest[0] = (diagnose_key){.db = 0, .name = "big", .type = "hash", .bytes = 5e6};
    keys.n_largest = 1;
    keys.namespaces[0] = (diagnose_namespace){.name = "session", .keys = 10, .bytes = 5e6, .ttl_ratio = 0};
    keys.n_namespaces = 1;
    keys.sampled = 10;
    w.r.keys = &keys;
    w.r.health.errors[POLLERR_TIMEOUT] = 1;
    diagnose_thresholds th = diagnose_default_thresholds();
    observe(&w.h, &w.r, &(observe_opts){.thresholds = &th}, 1);
    assert_true(w.r.diagnosis.n > 0);
    render_seed_count seeds[1] = {{"seed:1", 2}};
    w.e.refused = seeds;
    w.e.n_refused = 1;
    char *t = render(&w, RENDER_TEXT);
    size_t checked = 0;
    for (const char *line = t; *line; line = strchr(line, '\n') + 1) {
        const char *brace = strchr(line, '{'), *nl = strchr(line, '\n');
        if (line[0] != '#' && brace && brace < nl) {
            for (const char *p = brace + 1; *p && *p != '}';) {
                const char *eq = strchr(p, '=');
                char name[64];
                snprintf(name, sizeof name, "%.*s", (int)(eq - p), p);
                bool known = false;
                for (const char *const *k = render_label_names; *k; k++) known |= strcmp(*k, name) == 0;
                for (int i = 0; i < INFO_TEXT_COUNT; i++)
                    known |= info_text_table[i].label && strcmp(info_text_table[i].label, name) == 0;
                if (!known) fail_msg("label '%s' is not in render_label_names: %.*s", name, (int)(nl - line), line);
                assert_false(tspec_label_name_ok(name)); /* and no user label may take it */
                checked++;
                p = eq + 2; /* past =" */
                while (*p && !(*p == '"' && p[-1] != '\\')) p++;
                p++;
                if (*p == ',') p++;
            }
        }
        if (!nl) break;
    }
    assert_true(checked > 50);
    free(t);
    info_sample_free(&w.r.sample);
}

/* OpenMetrics is rendered, not converted: a counter's family is named without _total in
 * HELP and TYPE (its samples keep it), HELP escapes quotes, and the text ends with # EOF.
 * The 0.0.4 text names the family as its samples. */
static void test_openmetrics_headers(void **state)
{
    (void)state;
    world w;
    make(&w, INFO7, true);
    char *om = render(&w, RENDER_OPENMETRICS), *text = render(&w, RENDER_TEXT);
    assert_non_null(strstr(om, "\n# TYPE redis_evicted_keys counter\n"));
    assert_non_null(strstr(om, "\nredis_evicted_keys_total{addr=\"x:1\"} "));
    assert_non_null(strstr(text, "\n# TYPE redis_evicted_keys_total counter\n"));
    assert_null(strstr(om, "# TYPE redis_evicted_keys_total"));
    assert_string_equal(om + strlen(om) - 6, "# EOF\n");
    assert_null(strstr(text, "# EOF"));
    /* a gauge keeps its name whatever it ends with */
    assert_non_null(strstr(om, "# TYPE redis_memory_used_bytes gauge\n"));
    free(om);
    free(text);
    info_sample_free(&w.r.sample);
}

static void test_down_target_has_no_redis_series(void **state)
{
    (void)state;
    world w;
    make(&w, INFO7, false);
    char *t = render(&w, RENDER_TEXT);
    assert_true(has_line(t, "redis_up{addr=\"x:1\"} 0"));
    assert_null(strstr(t, "redis_memory_used_bytes"));
    assert_null(strstr(t, "redis_db_keys"));
    assert_null(strstr(t, "redis_instance_info{"));
    assert_true(has_line(t, "redis_memory_exporter_poll_errors_total{addr=\"x:1\",reason=\"connect\"} 0"));
    free(t);
    info_sample_free(&w.r.sample);
}

static void test_label_escaping(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"a\"b", "a\\\"b"},
        {"back\\slash", "back\\\\slash"},
        {"new\nline", "new\\nline"},
        {"bad\xff"
         "byte",
         "bad\xEF\xBF\xBD"
         "byte"},
        {"over\xC0\xAFlong", "over\xEF\xBF\xBD\xEF\xBF\xBDlong"},
        {"caf\xC3\xA9", "caf\xC3\xA9"},
        {"esc\x1b[31mred\r\x7f", "esc\xEF\xBF\xBD[31mred\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"tab\there", "tab\xEF\xBF\xBDhere"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf b;
        buf_init(&b);
        render_label_value(&b, cases[i].in);
        buf_putc(&b, '\0');
        assert_string_equal(b.data, cases[i].out);
        buf_free(&b);
    }
    world w;
    make(&w, "redis_version:7\"\\x\nused_memory:1\n", true);
    char *t = render(&w, RENDER_TEXT);
    assert_non_null(strstr(t, "redis_version=\"7\\\"\\\\x\""));
    free(t);
    info_sample_free(&w.r.sample);
}

static void test_numbers(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *out;
    } cases[] = {
        {0, "0"},
        {1, "1"},
        {-4096, "-4096"},
        {4294967296.0, "4294967296"},
        {0.1, "0.1"},
        {1.25, "1.25"},
        {1e21, "1e+21"},
        {-0.5, "-0.5"},
        {9007199254740993.0, "9007199254740992"},
        {1.0 / 3, "0.3333333333333333"},
        {0.67, "0.67"},
        {0.0000362, "0.0000362"},
        {1796542721.548097, "1796542721.548097"},
        {-12.5, "-12.5"},
        {0.8110064697265625, "0.8110064697265625"},
        {1e-12, "1e-12"},
        {123456789.123, "123456789.123"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf b;
        buf_init(&b);
        buf_put_double(&b, cases[i].v);
        if (strcmp(b.data, cases[i].out) != 0)
            fail_msg("%.17g printed as %s, want %s", cases[i].v, b.data, cases[i].out);
        assert_true(strtod(b.data, NULL) == cases[i].v || isinf(cases[i].v));
        buf_free(&b);
    }
    /* Any double reads back as itself: fractions of every size, ratios, timestamps in
     * microseconds, and random bit patterns. */
    srand(7);
    for (int i = 0; i < 200000; i++) {
        double v;
        if (i % 4 == 0) v = (double)rand() / RAND_MAX;
        else if (i % 4 == 1) v = 1.7e9 + (double)(rand() % 1000000) / 1e6;
        else if (i % 4 == 2) v = (double)(rand() % 100000) / 100.0 - 500;
        else {
            unsigned long long bits =
                ((unsigned long long)rand() << 33) ^ ((unsigned long long)rand() << 11) ^ (unsigned)rand();
            memcpy(&v, &bits, sizeof v);
            if (isnan(v) || isinf(v)) continue;
        }
        buf one;
        buf_init(&one);
        buf_put_double(&one, v);
        if (strtod(one.data, NULL) != v) fail_msg("%.17g printed as %s", v, one.data);
        buf_free(&one);
    }
    buf b;
    buf_init(&b);
    buf_put_double(&b, NAN);
    buf_putc(&b, ' ');
    buf_put_double(&b, INFINITY);
    buf_putc(&b, ' ');
    buf_put_double(&b, -INFINITY);
    assert_string_equal(b.data, "NaN +Inf -Inf");
    buf_free(&b);
}

static void test_landing_escapes_html(void **state)
{
    (void)state;
    world w;
    make(&w, "used_memory:1\nmaxmemory_policy:<script>\n", true);
    w.r.addr = "<b>host</b>:1";
    buf b;
    buf_init(&b);
    landing_render(&b, &w.t, 1, &w.e, "/metrics");
    assert_null(strstr(b.data, "<script>"));
    assert_null(strstr(b.data, "<b>host"));
    assert_non_null(strstr(b.data, "&lt;b&gt;host&lt;/b&gt;:1"));
    assert_non_null(strstr(b.data, "No finding"));
    buf_free(&b);
    info_sample_free(&w.r.sample);
}

/* A fleet's page shows what needs looking at first: targets that are not up, then the
 * fullest against maxmemory, then those without a limit; ties keep the given order. */
static void test_landing_orders_by_attention(void **state)
{
    (void)state;
    static const struct {
        const char *addr, *info;
        bool up;
    } cases[] = {
        {"a:1", "used_memory:5000\nmaxmemory:10000\n", true}, {"b:1", "used_memory:5000\nmaxmemory:10000\n", false},
        {"c:1", "used_memory:9600\nmaxmemory:10000\n", true}, {"d:1", "used_memory:9000\nmaxmemory:0\n", true},
        {"e:1", "used_memory:5000\nmaxmemory:10000\n", true},
    };
    static const char *const want[] = {"b:1", "c:1", "a:1", "e:1", "d:1"};
    enum { N = sizeof cases / sizeof cases[0] };
    static world w[N];
    render_view views[N];
    for (size_t i = 0; i < N; i++) {
        make(&w[i], cases[i].info, cases[i].up);
        w[i].r.addr = cases[i].addr;
        views[i] = w[i].t; /* its r points into w[i], which is static */
    }
    buf b;
    buf_init(&b);
    landing_render(&b, views, N, &w[0].e, "/metrics");
    const char *rows = b.data, *cards = strstr(b.data, "<h2>Memory by target</h2>");
    assert_non_null(cards);
    for (size_t i = 0; i < N; i++) {
        char row[64], card[64];
        snprintf(row, sizeof row, "<tr><td>%s</td>", want[i]);
        snprintf(card, sizeof card, "data-addr=\"%s\"", want[i]);
        const char *r = strstr(rows, row), *c = strstr(cards, card);
        if (!r || !c) fail_msg("%s is not where it should be (position %zu)", want[i], i);
        rows = r + 1;
        cards = c + 1;
    }
    assert_non_null(strstr(b.data, "not up first, then the fullest"));
    assert_non_null(strstr(b.data, "5 targets: 4 up, 1 not up; 0 with findings, 0 of them critical."));
    /* The 96 % target's finding is counted, and as critical (observe judges it past the
     * critical share of its limit). */
    diagnose_thresholds th = diagnose_default_thresholds();
    observe_opts o = {.thresholds = &th, .one_shot = true};
    for (size_t i = 0; i < N; i++) observe(&w[i].h, &w[i].r, &o, 1);
    buf_reset(&b);
    landing_render(&b, views, N, &w[0].e, "/metrics");
    if (!strstr(b.data, "5 targets: 4 up, 1 not up; 1 with findings, 1 of them critical."))
        fail_msg("counts: %.200s", strstr(b.data, "<h2>Targets</h2>"));
    buf_free(&b);
    for (size_t i = 0; i < N; i++) info_sample_free(&w[i].r.sample);
}

/* Issue 24: the bar is the limit. Past it, full with a red frame and the 80 % tick at
 * 80 %; without a limit, the host's RAM (or no bar: measured against itself it looked
 * full). */
static void test_landing_bar_against_the_limit(void **state)
{
    (void)state;
    static const struct {
        const char *info;
        const char *want, *not ;
    } cases[] = {
        {"redis_version:7.0.15\nused_memory:22500\nused_memory_dataset:20000\nused_memory_overhead:2500\n"
         "maxmemory:10000\nmaxmemory_policy:noeviction\n",
         "225 % of maxmemory: past the limit", NULL},
        {"redis_version:7.0.15\nused_memory:5000\nused_memory_dataset:4000\nused_memory_overhead:1000\n"
         "maxmemory:0\ntotal_system_memory:100000\nmaxmemory_policy:noeviction\n",
         "the bar is the host's RAM", "left:80%"},
        {"redis_version:7.0.15\nused_memory:5000\nused_memory_dataset:4000\nused_memory_overhead:1000\n"
         "maxmemory:0\nmaxmemory_policy:noeviction\n",
         NULL, "class=\"bar"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        world w;
        make(&w, cases[i].info, true);
        buf b;
        buf_init(&b);
        landing_render(&b, &w.t, 1, &w.e, "/metrics");
        if (cases[i].want && !strstr(b.data, cases[i].want)) fail_msg("case %zu: no '%s'", i, cases[i].want);
        if (cases[i].not &&strstr(b.data, cases[i].not )) fail_msg("case %zu: '%s' shown", i, cases[i].not );
        if (i == 0) {
            assert_non_null(strstr(b.data, "class=\"bar over\""));
            assert_non_null(strstr(b.data, "<i style=\"left:80%\""));
        }
        if (i == 1) assert_non_null(strstr(b.data, "part-data\" style=\"width:4.000%"));
        buf_free(&b);
        info_sample_free(&w.r.sample);
    }
}

static void test_landing_shows_findings_and_fixes(void **state)
{
    (void)state;
    world w;
    make(&w,
         "redis_version:7.0.15\nused_memory:9000\nmaxmemory:10000\nmaxmemory_policy:noeviction\n"
         "# Errorstats\nerrorstat_OOM:count=3\n# Keyspace\ndb0:keys=5,expires=0,avg_ttl=0\n",
         true);
    diagnose_thresholds th = diagnose_default_thresholds();
    observe_opts o = {.thresholds = &th, .one_shot = true};
    observe(&w.h, &w.r, &o, 1);
    assert_true(w.r.diagnosis.n > 0);
    buf b;
    buf_init(&b);
    landing_render(&b, &w.t, 1, &w.e, "/metrics");
    assert_non_null(strstr(b.data, "<td>0.0 MiB (90.0 %)</td><td>noeviction</td>"));
    /* one line per finding, with its severity in a column of its own */
    for (size_t i = 0; i < w.r.diagnosis.n; i++) {
        const diagnose_finding *f = &w.r.diagnosis.findings[i];
        char row[160];
        snprintf(row, sizeof row, "data-id=\"%s\"><td class=\"sev\">%s</td><td>x:1</td>", diagnose_id_name(f->id),
                 diagnose_severity_name(f->severity));
        assert_non_null(strstr(b.data, row));
    }
    assert_null(strstr(b.data, "<h3>x:1: "));
    /* the worst first: no warning line above a critical one */
    const char *first_warning = strstr(b.data, "<td class=\"sev\">warning</td>");
    const char *last_critical = NULL;
    for (const char *p = b.data; (p = strstr(p, "<td class=\"sev\">critical</td>")) != NULL; p++) last_critical = p;
    assert_non_null(last_critical);
    if (first_warning) assert_true(first_warning > last_critical);
    /* an OOM target is not a green "up" */
    assert_non_null(strstr(b.data, "<td class=\"critical\">"));
    assert_non_null(strstr(b.data, "x:1 <span class=\"critical\">up, critical</span></h3>"));
    /* each command of a fix in its own element */
    assert_non_null(strstr(b.data,
                           "<td class=\"fix\">If the data is a cache that can be rebuilt: <code class=\"cmd\">"
                           "CONFIG SET maxmemory-policy allkeys-lru</code>"));
    assert_null(strstr(b.data, "`"));
    assert_null(strstr(b.data, "No finding"));
    /* A target that is down shows no stale numbers and no findings. */
    w.t.up = false;
    w.t.state = "backoff";
    buf_reset(&b);
    landing_render(&b, &w.t, 1, &w.e, "/metrics");
    assert_null(strstr(b.data, "noeviction_at_limit"));
    assert_non_null(strstr(b.data, "<td class=\"down\">backoff</td>"));
    buf_free(&b);
    info_sample_free(&w.r.sample);
}

/* Puts the pieces of views[0..n) together in fmt, as a snapshot does: headers, the
 * pieces (down[i]: marked down at assembly), the exporter's series, the format's end. */
static void assemble_views(buf *out, render_format fmt, const render_view *views, size_t n, const bool *down,
                           const render_exporter *e)
{
    render_layout l = render_target_layout();
    buf heads;
    buf_init(&heads);
    render_off *ho = calloc(l.n_fam + 1, sizeof *ho);
    render_target_headers(&heads, ho, fmt);
    buf pieces[4];
    render_off *offs[4];
    render_piece ps[4];
    assert_true(n <= 4);
    for (size_t i = 0; i < n; i++) {
        buf_init(&pieces[i]);
        offs[i] = calloc(l.n_fam + 2, sizeof *offs[i]);
        render_target_samples(&pieces[i], &views[i], offs[i]);
        ps[i] = (render_piece){pieces[i].data, offs[i], down && down[i]};
    }
    render_assemble(out, heads.data, ho, &l, ps, n);
    render_exporter_metrics(out, n, e, fmt);
    render_end(out, fmt);
    for (size_t i = 0; i < n; i++) {
        buf_free(&pieces[i]);
        free(offs[i]);
    }
    free(ho);
    buf_free(&heads);
}

/* Pieces put together give the whole, byte for byte, in both formats and with targets up
 * and down: for two targets (one with a spec's labels) and for one alone (the /scrape
 * body is the whole's target part). A piece rendered up and marked down at assembly (its
 * data went stale after the publish) gives exactly what rendering it as down does,
 * nothing parsed: redis_up 0 with every label, the polling families, no Redis series. */
static void test_pieces_make_the_whole(void **state)
{
    (void)state;
    world w, v;
    make(&w, INFO7, true);
    make(&v, INFO7, true);
    v.r.addr = "y\"2"; /* an addr that needs escaping in a label */
    tspec spec;
    memset(&spec, 0, sizeof spec);
    tspec_set_label(&spec, "team", "cache");
    tspec_set_label(&spec, "shard", "0-5460");
    v.r.spec = &spec;
    render_layout l = render_target_layout();
    assert_true(l.n_fam > 50 && l.n_redis > 40 && l.n_redis < l.n_fam);
    for (int fmt = RENDER_TEXT; fmt <= RENDER_OPENMETRICS; fmt++) {
        for (int up = 0; up < 4; up++) {
            render_view views[2] = {w.t, v.t};
            views[1].r = &v.r;
            views[0].up = up & 1;
            views[1].up = (up & 2) != 0;
            buf whole, parts;
            buf_init(&whole);
            buf_init(&parts);
            render_metrics(&whole, (render_format)fmt, views, 2, &w.e);
            assemble_views(&parts, (render_format)fmt, views, 2, NULL, &w.e);
            assert_int_equal(parts.len, whole.len);
            assert_memory_equal(parts.data, whole.data, whole.len);
            check_structure(parts.data, fmt == RENDER_OPENMETRICS);
            /* the same pieces rendered up, marked down at assembly */
            render_view all_up[2] = {views[0], views[1]};
            all_up[0].up = all_up[1].up = true;
            bool down[2] = {!views[0].up, !views[1].up};
            buf marked;
            buf_init(&marked);
            assemble_views(&marked, (render_format)fmt, all_up, 2, down, &w.e);
            assert_int_equal(marked.len, whole.len);
            assert_memory_equal(marked.data, whole.data, whole.len);
            buf_free(&marked);
            buf_free(&whole);
            buf_free(&parts);
        }
    }
    /* A piece keeps its target's labels once, after its families; each series marks
     * where they go. */
    buf p1;
    buf_init(&p1);
    render_off *o1 = calloc(l.n_fam + 2, sizeof *o1);
    render_view vy = v.t;
    vy.r = &v.r;
    render_target_samples(&p1, &vy, o1);
    assert_int_equal(o1[l.n_fam + 1], p1.len);
    assert_int_equal(o1[l.n_fam + 1] - o1[l.n_fam], strlen("addr=\"y\\\"2\",team=\"cache\",shard=\"0-5460\""));
    assert_null(memmem(p1.data, o1[l.n_fam], "team=", 5));
    assert_non_null(memchr(p1.data, RENDER_LABELS_MARK, o1[l.n_fam]));
    free(o1);
    buf_free(&p1);
    /* One target alone, up and marked down: what /scrape serves, its series only. */
    buf one;
    buf_init(&one);
    assemble_views(&one, RENDER_TEXT, &vy, 1, (bool[]){true}, &w.e);
    assert_true(has_line(one.data, "redis_up{addr=\"y\\\"2\",team=\"cache\",shard=\"0-5460\"} 0"));
    assert_true(has_line(one.data,
                         "redis_memory_exporter_poll_errors_total{addr=\"y\\\"2\",team=\"cache\",shard=\"0-5460\","
                         "reason=\"connect\"} 0"));
    assert_null(strstr(one.data, "redis_memory_used_bytes{"));
    assert_null(strstr(one.data, "redis_instance_info{"));
    buf_free(&one);
    tspec_free(&spec);
    info_sample_free(&w.r.sample);
    info_sample_free(&v.r.sample);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_landing_bar_against_the_limit),
        cmocka_unit_test(test_commandstats_and_network_lines),
        cmocka_unit_test(test_exact_lines),
        cmocka_unit_test(test_structure_both_formats),
        cmocka_unit_test(test_openmetrics_headers),
        cmocka_unit_test(test_label_names_are_known),
        cmocka_unit_test(test_down_target_has_no_redis_series),
        cmocka_unit_test(test_label_escaping),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_landing_escapes_html),
        cmocka_unit_test(test_pieces_make_the_whole),
        cmocka_unit_test(test_landing_shows_findings_and_fixes),
        cmocka_unit_test(test_landing_orders_by_attention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
