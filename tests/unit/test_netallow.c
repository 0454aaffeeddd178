/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for netallow: what a node may announce, allow: lists of networks and names,
 * and the seed's own scope when there is no list. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "netallow.h"

static void test_host_ok(void **state)
{
    (void)state;
    static const struct {
        const char *host;
        bool ok;
    } rows[] = {
        {"10.0.0.5", true}, {"::1", true},
        {"fd00::7", true},  {"node-1.cache.internal", true},
        {"redis_a", true},  {"/var/run/redis.sock", false},
        {"/tmp/x", false},  {"", false},
        {"a..b", false},    {".a", false},
        {"a b", false},     {"a:b", false},
        {"host\n", false},  {"[::1]", false},
        {"x/24", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (netallow_host_ok(rows[i].host) != rows[i].ok) fail_msg("%s: expected %d", rows[i].host, rows[i].ok);
    char long_label[80];
    memset(long_label, 'a', 64);
    long_label[64] = '\0';
    assert_false(netallow_host_ok(long_label)); /* a DNS label has at most 63 bytes */
}

static void test_lists(void **state)
{
    (void)state;
    netallow a = {0};
    char err[200];
    assert_int_equal(netallow_add(&a, "10.0.0.0/8", err, sizeof err), 0);
    assert_int_equal(netallow_add(&a, "127.0.0.1", err, sizeof err), 0); /* its /32 */
    assert_int_equal(netallow_add(&a, "fd00::/8", err, sizeof err), 0);
    assert_int_equal(netallow_add(&a, "*.cache.internal", err, sizeof err), 0);
    assert_int_equal(netallow_add(&a, "Exact.Example.com", err, sizeof err), 0);
    static const struct {
        const char *host;
        bool in;
    } rows[] = {
        {"10.1.2.3", true},          {"11.0.0.1", false},
        {"127.0.0.1", true},         {"127.0.0.2", false},
        {"fd12::1", true},           {"fe80::1", false},
        {"a.cache.internal", true},  {"A.B.CACHE.internal", true},
        {"cache.internal", false},   {"evilcache.internal", false},
        {"exact.example.com", true}, {"x.exact.example.com", false},
        {"/tmp/sock", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (netallow_permits(&a, rows[i].host) != rows[i].in) fail_msg("%s: expected %d", rows[i].host, rows[i].in);
    char words[300];
    netallow_describe(&a, words, sizeof words);
    assert_string_equal(words, "10.0.0.0/8, 127.0.0.1/32, fd00::/8, *.cache.internal, exact.example.com");
    static const char *const bad[] = {"10.0.0.0/33", "10.0.0.0/", "x/8", "*", "*.", "a*b.c", "::/129", "two words"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        netallow b = {0};
        if (netallow_add(&b, bad[i], err, sizeof err) == 0) fail_msg("'%s' accepted", bad[i]);
        assert_true(strlen(err) > 5);
    }
    netallow full = {0};
    for (int i = 0; i < NETALLOW_MAX; i++) assert_int_equal(netallow_add(&full, "10.0.0.0/8", err, sizeof err), 0);
    assert_int_equal(netallow_add(&full, "10.0.0.0/8", err, sizeof err), -1);
}

/* Without allow: a node may only send the exporter where its seed already is. */
static void test_default_scope(void **state)
{
    (void)state;
    static const struct {
        const char *seed, *host;
        bool in;
    } rows[] = {
        {"127.0.0.1", "127.0.0.3", true},
        {"127.0.0.1", "::1", true},
        {"127.0.0.1", "10.0.0.1", false},
        {"127.0.0.1", "evil.example.com", false},
        {"10.2.3.4", "192.168.1.1", true},
        {"10.2.3.4", "172.20.0.1", true},
        {"10.2.3.4", "8.8.8.8", false},
        {"10.2.3.4", "127.0.0.1", false},
        {"10.2.3.4", "node.internal", false},
        {"203.0.113.7", "203.0.113.200", true},
        {"203.0.113.7", "203.0.114.1", false},
        {"203.0.113.7", "10.0.0.1", false},
        {"orders-0.cache.internal", "orders-1.cache.internal", true},
        {"orders-0.cache.internal", "x.attacker.example", false},
        {"orders-0.cache.internal", "10.4.5.6", true},
        {"orders-0.cache.internal", "8.8.8.8", false},
        {"redis", "redis", true},
        {"redis", "other", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        netallow a;
        netallow_default(&a, rows[i].seed);
        if (netallow_permits(&a, rows[i].host) != rows[i].in)
            fail_msg("seed %s, node %s: expected %d", rows[i].seed, rows[i].host, rows[i].in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_host_ok), cmocka_unit_test(test_lists),
                                       cmocka_unit_test(test_default_scope)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
