/* SPDX-License-Identifier: Apache-2.0 */
/* credmap: redis_exporter's JSON password map. Entries match targets by endpoint and
 * user; errors tell a position or an entry's number, never a password. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "credmap.h"

static const char *pw_for(const credmap *m, const char *addr)
{
    config_target t;
    char err[200];
    if (config_parse_target(addr, &t, err, sizeof err)) fail_msg("%s: %s", addr, err);
    const credmap_entry *e = credmap_find(m, &t);
    if (!e) return "(none)";
    return e->password ? e->password : "(no auth)";
}

static void test_lookup(void **state)
{
    (void)state;
    static const char text[] = "{\"redis://localhost:16380\": \"\",\n"
                               " \"redis://exporter@localhost:16385\": \"exporter-password\",\n"
                               " \"redis://localhost:16385\": \"default-password\",\n"
                               " \"rediss://Cache.Example:6380\": \"tls-password\",\n"
                               " \"unix:///run/redis.sock\": \"sock-password\",\n"
                               " \"10.0.0.1\": \"bare-password\"}";
    credmap m;
    char err[200];
    assert_int_equal(credmap_parse(text, sizeof text - 1, &m, err, sizeof err), 0);
    assert_int_equal(m.n, 6);
    static const struct {
        const char *addr, *want;
    } cases[] = {
        {"localhost:16380", "(no auth)"},                          /* "" = no AUTH */
        {"redis://exporter@localhost:16385", "exporter-password"}, /* the user's own entry */
        {"localhost:16385", "default-password"},                   /* no user: the entry without one */
        {"redis://other@localhost:16385", "exporter-password"},    /* no entry for the user: the first */
        {"cache.example:6380", "tls-password"},                    /* host names ignore case; scheme does not matter */
        {"rediss://cache.example:6380/2", "tls-password"},         /* nor the database */
        {"unix:///run/redis.sock", "sock-password"},
        {"redis://10.0.0.1:6379", "bare-password"}, /* default port */
        {"localhost:16381", "(none)"},
        {"unix:///run/other.sock", "(none)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = pw_for(&m, cases[i].addr);
        if (strcmp(got, cases[i].want) != 0) fail_msg("%s: got %s, want %s", cases[i].addr, got, cases[i].want);
    }
    /* The user named in a matched entry is kept with it. */
    config_target t;
    config_parse_target("localhost:16385", &t, err, sizeof err);
    t.user[0] = '\0';
    const credmap_entry *e = credmap_find(&m, &t);
    assert_string_equal(e->where.user, "");
    credmap_free(&m);
    assert_int_equal(m.n, 0);
    assert_null(m.e);
}

static void test_errors_never_quote_a_password(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"{\"redis://h:1\": \"hunter2\",}", "line 1"}, /* trailing comma */
        {"[\"hunter2\"]", "expected an object"},
        {"{\"redis://h:1\": 42}", "entry 1 (h:1): the password must be a string"},
        {"{\"redis://h:1\": \"a\", \"redis://admin:hunter2@h:2\": \"b\"}", "entry 2"},
        {"{\"ftp://h:1\": \"hunter2\"}", "entry 1"},
        {"{\"redis://h:1\": \"hunter2\", \"redis://h:1\": \"x\"}", "line 1"}, /* duplicate key */
        {"{\"redis://h:1\": \"hun\\u0000ter2\"}", "line 1"},
        {"hunter2", "line 1"},
        {"", "line 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        credmap m;
        char err[300] = "";
        if (credmap_parse(cases[i].text, strlen(cases[i].text), &m, err, sizeof err) != -1)
            fail_msg("accepted: %s", cases[i].text);
        if (!strstr(err, cases[i].want)) fail_msg("%s: '%s' lacks '%s'", cases[i].text, err, cases[i].want);
        if (strstr(err, "hunter2") || strstr(err, "admin")) fail_msg("secret in '%s'", err);
        assert_int_equal(m.n, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_errors_never_quote_a_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
