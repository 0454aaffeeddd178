/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the doctor's renderers (text and JSON) and the observe step that feeds
 * them: a saved INFO goes through observe into a report, and what a person and a
 * machine read is checked. The JSON is parsed back with jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fmt.h"
#include "observe.h"
#include "summary.h"

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", RME_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    buf b;
    buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
    fclose(f);
    return buf_steal(&b, len);
}

/* A report as the doctor makes it: one poll of a saved INFO, one large key sampled. */
static void make(report *r, const char *fixture, double key_bytes)
{
    memset(r, 0, sizeof *r);
    r->addr = "10.0.0.1:6379";
    r->has_sample = true;
    r->health.last_ok = true;
    r->health.last_error = POLLERR_NONE;
    info_sample_init(&r->sample);
    size_t len;
    char *text = slurp(fixture, &len);
    info_parse(&r->sample, text, len);
    free(text);
    static sampler_summary keys; /* what a sampler would hold: one large key */
    memset(&keys, 0, sizeof keys);
    keys.active = true;
    keys.sampled = 1;
    keys.n_largest = 1;
    keys.largest[0] = (diagnose_key){.db = 0, .name = "big\"one", .type = "hash", .bytes = key_bytes};
    r->keys = &keys;
    derive_history h;
    derive_history_init(&h, 10, 300);
    derive_push(&h, &r->sample, 100);
    diagnose_thresholds th = diagnose_default_thresholds();
    observe_opts o = {.thresholds = &th, .one_shot = true};
    observe(&h, r, &o, 100);
}

static bool has_finding(const report *r, diagnose_id id)
{
    for (size_t i = 0; i < r->diagnosis.n; i++)
        if (r->diagnosis.findings[i].id == id) return true;
    return false;
}

static void test_observe_makes_the_findings(void **state)
{
    (void)state;
    report r;
    make(&r, "redis-7.0.15-noeviction-oom.txt", 3.5 * 1048576);
    assert_true(r.derived.has_used_ratio && r.derived.used_ratio > 1);
    assert_true(has_finding(&r, DIAGNOSE_NOEVICTION_AT_LIMIT));
    assert_true(has_finding(&r, DIAGNOSE_OOM_REJECTIONS));
    assert_true(has_finding(&r, DIAGNOSE_LARGE_KEYS)); /* from the sampled key */
    assert_int_equal(summary_status(&r), 2);
    info_sample_free(&r.sample);
    make(&r, "redis-7.0.15-noeviction-oom.txt", 100);
    assert_false(has_finding(&r, DIAGNOSE_LARGE_KEYS));
    info_sample_free(&r.sample);
}

static void test_json(void **state)
{
    (void)state;
    report r;
    make(&r, "redis-7.0.15-noeviction-oom.txt", 3.5 * 1048576);
    buf b;
    buf_init(&b);
    summary_json(&b, &r);
    json_error_t err;
    json_t *j = json_loads(b.data, 0, &err);
    if (!j) fail_msg("not JSON: %s at %d: %s", err.text, err.position, b.data);
    assert_string_equal(json_string_value(json_object_get(j, "target")), "10.0.0.1:6379");
    assert_string_equal(json_string_value(json_object_get(j, "status")), "critical");
    assert_int_equal(json_integer_value(json_object_get(j, "exit_code")), 2);
    assert_string_equal(json_string_value(json_object_get(j, "redis_version")), "7.0.15");
    assert_true(json_number_value(json_object_get(j, "used_memory")) == 8401512);
    assert_true(json_number_value(json_object_get(j, "maxmemory")) == 8388608);
    assert_true(json_number_value(json_object_get(j, "oom_rejections")) == 34814);
    assert_true(json_number_value(json_object_get(j, "keys")) == 25186);
    assert_true(json_is_null(json_object_get(j, "activedefrag"))); /* CONFIG not asked */
    json_t *keys = json_object_get(j, "largest_keys");
    assert_int_equal(json_array_size(keys), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 0), "key")), "big\"one");
    json_t *findings = json_object_get(j, "findings");
    assert_int_equal(json_array_size(findings), r.diagnosis.n);
    diagnose_result again;
    diagnose_text text[DIAGNOSE_COUNT];
    observe_explain(&r, &again, text); /* the words, as the JSON got them */
    assert_int_equal(again.n, r.diagnosis.n);
    /* In reading order: the worst first, of one severity the cause (noeviction) before
     * what it leads to (near the limit, the rejections). */
    size_t order[DIAGNOSE_COUNT];
    diagnose_reading_order(&r.diagnosis, order);
    int last_sev = DIAGNOSE_CRITICAL;
    for (size_t k = 0; k < r.diagnosis.n; k++) {
        size_t i = order[k];
        json_t *f = json_array_get(findings, k);
        assert_string_equal(json_string_value(json_object_get(f, "id")), diagnose_id_name(r.diagnosis.findings[i].id));
        assert_string_equal(json_string_value(json_object_get(f, "fix")), text[i].fix);
        assert_non_null(json_string_value(json_object_get(f, "why")));
        assert_true(r.diagnosis.findings[i].severity <= last_sev);
        last_sev = r.diagnosis.findings[i].severity;
        /* each `command` of the fix, whole and without its backticks */
        json_t *cmds = json_object_get(f, "commands");
        assert_true(json_is_array(cmds));
        size_t ticks = 0;
        for (const char *p = text[i].fix; (p = strchr(p, '`')) != NULL; p++) ticks++;
        assert_int_equal(json_array_size(cmds), ticks / 2);
        bool sets_limit = false, rewrites = false;
        for (size_t c = 0; c < json_array_size(cmds); c++) {
            const char *cmd = json_string_value(json_array_get(cmds, c));
            assert_non_null(strstr(text[i].fix, cmd));
            assert_null(strchr(cmd, '`'));
            sets_limit |= strncmp(cmd, "CONFIG SET maxmemory ", 21) == 0;
            rewrites |= strcmp(cmd, "CONFIG REWRITE") == 0;
        }
        /* every fix that changes the limit says how to keep it (7.0 has CONFIG REWRITE) */
        if (sets_limit && !rewrites)
            fail_msg("%s: a new limit without CONFIG REWRITE: %s", diagnose_id_name(r.diagnosis.findings[i].id),
                     text[i].fix);
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(findings, 0), "id")), "noeviction_at_limit");
    json_decref(j);
    buf_free(&b);
    info_sample_free(&r.sample);

    /* The error form, and numbers JSON cannot carry. */
    buf_init(&b);
    summary_problem_json(&b, "h:1", "auth", "the poll failed (\"auth\")");
    j = json_loads(b.data, 0, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "unknown");
    assert_int_equal(json_integer_value(json_object_get(j, "exit_code")), 3);
    assert_string_equal(json_string_value(json_object_get(j, "error")), "the poll failed (\"auth\")");
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "auth");
    json_decref(j);
    buf_reset(&b);
    fmt_json_number(&b, NAN);
    buf_putc(&b, ' ');
    fmt_json_number(&b, INFINITY);
    buf_putc(&b, ' ');
    fmt_json_number(&b, 1.5);
    assert_string_equal(b.data, "null null 1.5");
    /* Strings from Redis are not always UTF-8; JSON must be. */
    buf_reset(&b);
    fmt_json_string(&b,
                    "n\xefo\"\x01"
                    "caf\xc3\xa9");
    assert_string_equal(b.data, "\"n\xEF\xBF\xBDo\\\"\\u0001caf\xc3\xa9\"");
    buf_free(&b);
}

static void test_text(void **state)
{
    (void)state;
    report r;
    make(&r, "redis-7.0.15-noeviction-oom.txt", 3.5 * 1048576);
    buf b;
    buf_init(&b);
    summary_text(&b, &r);
    static const char *const want[] = {
        "redis_memory_exporter doctor: 10.0.0.1:6379 (Redis 7.0.15, master)\n",
        "  memory         used 8.0 MiB of maxmemory 8.0 MiB (100.2 %)",
        "  client buffers 0 B (largest output buffer lately 0 B)\n",
        "  policy         noeviction (eviction possible now: no)\n",
        "  keys           25186, of which 0 with a TTL and 25186 without\n",
        "  OOM rejections 34814 since start or CONFIG RESETSTAT\n",
        "                 db0 \"big\"one\" hash 3.5 MiB\n",
        "  [CRITICAL] noeviction_at_limit\n",
        "  [WARNING] large_keys\n",
        "of maxmemory 8.0 MiB: past the limit, not near it", /* 100.2 % */
        "\nResult: CRITICAL (exit 2)\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(b.data, want[i])) fail_msg("missing: %s\nin:\n%s", want[i], b.data);
    /* the cause before the symptom of the same severity */
    assert_non_null(strstr(b.data, "[CRITICAL] memory_near_limit"));
    assert_true(strstr(b.data, "[CRITICAL] noeviction_at_limit") < strstr(b.data, "[CRITICAL] memory_near_limit"));
    buf_free(&b);
    info_sample_free(&r.sample);

    make(&r, "redis-7.0.15-empty-nomaxmemory.txt", 10);
    buf_init(&b);
    summary_text(&b, &r);
    /* a 10-byte key is not listed as a "largest key" */
    assert_null(strstr(b.data, "big\"one"));
    assert_non_null(strstr(b.data, "no key is large"));
    assert_non_null(strstr(b.data, "no maxmemory limit (0)"));
    if (!strstr(b.data, "No finding: nothing here points to running out of memory.")) fail_msg("%s", b.data);
    assert_non_null(strstr(b.data, "Result: healthy (exit 0)"));
    buf_free(&b);
    info_sample_free(&r.sample);

    buf_init(&b);
    summary_problem_text(&b, "h:1", "the poll failed (auth)");
    assert_string_equal(b.data,
                        "redis_memory_exporter doctor: h:1\n\nCould not check: the poll failed (auth).\n\n"
                        "Result: could not check (exit 3)\n");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observe_makes_the_findings),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
