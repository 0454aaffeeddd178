/* SPDX-License-Identifier: Apache-2.0 */
/* targets: the targets file. Defaults apply to every item and items override them;
 * relative paths resolve against the file's directory; every mistake names its item. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "targets.h"

static const char good[] = "defaults:\n"
                           "  labels: {team: cache, env: dev}\n"
                           "  user: exporter\n"
                           "  password_file: secrets/pw\n"
                           "  sampler: {keys_per_second: 50}\n"
                           "targets:\n"
                           "  - addr: redis://a:6379\n"
                           "    labels: {env: prod}\n"
                           "  - addr: rediss://mon@b:6380/2\n"
                           "    password_file: /abs/pw\n"
                           "    tls: {ca_file: ca.pem, server_name: b.example, min_version: \"1.3\"}\n"
                           "  - addr: unix:///run/r.sock\n"
                           "    sampler: {keys_per_second: 0}\n"
                           "    watch: [db0=queue:jobs, db1=stream:events]\n"
                           "  - addr: seed:7000\n"
                           "    discover: cluster\n"
                           "    sampler: {keys_per_second: 200, roles: [replica]}\n"
                           "  - addr: s1:26379\n"
                           "    discover: sentinel\n"
                           "    master: mymaster\n"
                           "    sentinel_user: watcher\n"
                           "    sentinel_password_file: sentinel.pw\n";

static void test_good_file(void **state)
{
    (void)state;
    targets_file f;
    char err[300] = "";
    if (targets_parse(good, sizeof good - 1, "/etc/rme", &f, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(f.n, 5);
    const tspec *a = &f.specs[0], *b = &f.specs[1], *u = &f.specs[2], *c = &f.specs[3], *s = &f.specs[4];
    assert_string_equal(tspec_key(a), "a:6379");
    assert_string_equal(tspec_label_value(a, "env"), "prod");   /* the item wins */
    assert_string_equal(tspec_label_value(a, "team"), "cache"); /* the default stays */
    assert_string_equal(a->addr.user, "exporter");
    assert_string_equal(a->password_file, "/etc/rme/secrets/pw");
    assert_true(a->keys_per_second == 50);
    assert_null(a->tls);
    assert_int_equal(a->origin, TSPEC_FILE);
    assert_int_equal(a->discover, TSPEC_DISCOVER_NONE);

    assert_true(b->addr.tls);
    assert_string_equal(b->addr.user, "mon"); /* user@ beats user: */
    assert_string_equal(b->password_file, "/abs/pw");
    assert_non_null(b->tls);
    assert_string_equal(b->tls->ca_file, "/etc/rme/ca.pem");
    assert_string_equal(b->tls->server_name, "b.example");
    assert_int_equal(b->tls->min_version, 1);

    assert_int_equal(u->addr.kind, CONFIG_ADDR_UNIX);
    assert_true(u->keys_per_second == 0);
    assert_string_equal(u->watch, "db0=queue:jobs,db1=stream:events"); /* --keys.watch's form */
    assert_null(a->watch);
    assert_int_equal(c->discover, TSPEC_DISCOVER_CLUSTER);
    assert_true(c->keys_per_second == 200 && c->sampler_roles == TSPEC_ROLE_REPLICA);
    assert_int_equal(a->sampler_roles, 0); /* any role */
    assert_int_equal(s->discover, TSPEC_DISCOVER_SENTINEL);
    assert_string_equal(s->master, "mymaster");
    assert_string_equal(s->sentinel_user, "watcher");
    assert_string_equal(s->sentinel_password_file, "/etc/rme/sentinel.pw");
    assert_string_equal(s->password_file, "/etc/rme/secrets/pw"); /* the masters' stays */
    assert_null(a->sentinel_user);
    assert_null(a->sentinel_password_file);
    tspec sc;
    tspec_copy(&sc, s);
    assert_true(tspec_equal(&sc, s));
    free(sc.sentinel_password_file);
    sc.sentinel_password_file = NULL;
    assert_false(tspec_same_connection(&sc, s)); /* other credentials: a new connection */
    tspec_free(&sc);

    /* Copies are deep and equal; a label change keeps the connection, a user change not. */
    tspec copy;
    tspec_copy(&copy, b);
    assert_true(tspec_equal(&copy, b));
    tspec_set_label(&copy, "env", "other");
    assert_false(tspec_equal(&copy, b));
    assert_true(tspec_same_connection(&copy, b));
    snprintf(copy.addr.user, sizeof copy.addr.user, "someone");
    assert_false(tspec_same_connection(&copy, b));
    tspec_free(&copy);
    targets_file_free(&f);
    assert_int_equal(f.n, 0);
}

static void test_mistakes_name_the_item(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"targets:\n  - addr: a:1\n  - adr: b:2\n", "targets[1]: unknown key 'adr'"},
        {"targets:\n  - addr: a:1\n  - addr: a:1\n", "targets[1]: a:1 is listed twice"},
        {"targets:\n  - addr: ftp://a:1\n", "targets[0]: addr:"},
        {"targets:\n  - addr: a:1\n    labels: {addr: x}\n", "targets[0]: labels: 'addr'"},
        {"targets:\n  - addr: a:1\n    labels: {__meta: x}\n", "targets[0]: labels: '__meta'"},
        {"targets:\n  - addr: a:1\n    labels: {role: x}\n", "'role'"},
        {"targets:\n  - addr: a:1\n    labels: {1abc: x}\n", "'1abc'"},
        {"targets:\n  - addr: a:1\n    discover: sentinel\n", "needs master"},
        {"targets:\n  - addr: a:1\n    master: m\n", "only with discover: sentinel"},
        {"targets:\n  - addr: a:1\n    discover: swarm\n", "cluster or sentinel"},
        {"targets:\n  - addr: a:1\n    sentinel_password_file: p\n",
         "sentinel_password_file: only with discover: sentinel"},
        {"targets:\n  - addr: a:1\n    discover: cluster\n    sentinel_user: u\n",
         "sentinel_user: only with discover: sentinel"},
        {"defaults:\n  sentinel_user: u\ntargets: []\n", "defaults: unknown key 'sentinel_user'"},
        {"targets:\n  - addr: a:1\n    tls: {cert_file: c.pem}\n", "go together"},
        {"targets:\n  - addr: a:1\n    tls: {min_version: \"1.1\"}\n", "min_version"},
        {"targets:\n  - addr: a:1\n    sampler: {keys_per_second: -1}\n", "keys_per_second"},
        {"targets:\n  - addr: a:1\n    sampler: {roles: [leader]}\n", "'leader' is not a role"},
        {"targets:\n  - addr: a:1\n    sampler: {roles: []}\n", "sampler.roles: empty"},
        {"targets:\n  - addr: a:1\n    watch: [db0=]\n", "watch: an empty key name"},
        {"targets:\n  - addr: a:1\n    watch: {a: b}\n", "watch: expected key names"},
        {"targets:\n  - addr: a:1\n    sampler: {roles: replica}\n", "sampler.roles: expected a list"},
        {"defaults:\n  colour: red\ntargets: []\n", "defaults: unknown key 'colour'"},
        {"target:\n  - addr: a:1\n", "unknown top-level key 'target'"},
        {"targets: a:1\n", "targets: expected a list"},
        {"targets:\n  - [a, b]\n", "targets[0]: expected a map"},
        {"targets:\n  - addr: a:1\n    user: [x]\n", "user:"},
        {"targets: [\n", "not YAML"},
        {"", "empty"},
        {"targets:\n  - addr: redis://u:secret@a:1\n", "passwords in the URL"},
        {"targets:\n  - addr: a:1\n    discover: cluster\n    allow: [300.1.1.1/8]\n", "allow: '300.1.1.1/8'"},
        {"targets:\n  - addr: a:1\n    allow: [10.0.0.0/8]\n", "allow: only with discover"},
        {"targets:\n  - addr: a:1\n    discover: cluster\n    allow: []\n", "allow: empty"},
        {"targets:\n  - addr: a:1\n  - addr: b:1\n  - addr: a:1\n",
         "targets[2]: a:1 is listed twice (also targets[0])"},
        {"targets:\n  - addr: a:1\n    labels: {redis_mode: x}\n", "'redis_mode'"},
        {"targets:\n  - addr: a:1\n    labels: {mem_allocator: x}\n", "'mem_allocator'"},
        {"targets:\n  - addr: a:1\n    labels: {part: x}\n", "'part'"},
        {"targets:\n  - addr: a:1\n    labels: {namespace: x}\n", "'namespace'"},
        {"targets:\n  - addr: a:1\n    discover: cluster\n    labels: {a: 1, b: 1, c: 1, d: 1, e: 1, f: 1, g: 1, h: 1, "
         "i: 1, j: 1, k: 1, l: 1, m: 1, n: 1}\n",
         "at most 13 on a discovering item"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        targets_file f;
        char err[300] = "";
        if (targets_parse(cases[i].text, strlen(cases[i].text), "/d", &f, err, sizeof err) != -1)
            fail_msg("accepted: %s", cases[i].text);
        if (!strstr(err, cases[i].want)) fail_msg("'%s': '%s' lacks '%s'", cases[i].text, err, cases[i].want);
        assert_null(strstr(err, "secret"));
        assert_int_equal(f.n, 0);
    }
}

/* Deep YAML is refused before libyaml's quadratic scanner gets far: 32 levels read, 33 do
 * not, and a 100 KB bomb of 50,000 levels is refused (in well under a second; it took
 * 12.8 s). A large valid file is checked for duplicates in O(n log n). */
static void test_yaml_bounds(void **state)
{
    (void)state;
    char *text = malloc(200000);
    assert_non_null(text);
    for (int depth = 31; depth <= 32; depth++) { /* targets: is one level, its list another */
        int n = sprintf(text, "targets: ");
        for (int i = 0; i < depth; i++) text[n++] = '[';
        for (int i = 0; i < depth; i++) text[n++] = ']';
        text[n] = '\0';
        targets_file f;
        char err[300] = "";
        assert_int_equal(targets_parse(text, (size_t)n, "/d", &f, err, sizeof err), -1);
        if (depth == 31) assert_null(strstr(err, "nested deeper")); /* refused for its shape, not its depth */
        else assert_non_null(strstr(err, "nested deeper than 32 levels"));
    }
    int n = sprintf(text, "targets: ");
    for (int i = 0; i < 50000; i++) text[n++] = '[';
    for (int i = 0; i < 50000; i++) text[n++] = ']';
    targets_file f;
    char err[300] = "";
    assert_int_equal(targets_parse(text, (size_t)n, "/d", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "nested deeper than 32 levels (line 1)"));
    free(text);
    /* 30,000 targets (5.3 s with the pairwise check): parsed, one duplicate found */
    size_t cap = 30001 * 40;
    text = malloc(cap);
    assert_non_null(text);
    n = sprintf(text, "targets:\n");
    for (int i = 0; i < 30000; i++) n += sprintf(text + n, "  - addr: h%d:%d\n", i % 300, 1000 + i);
    assert_int_equal(targets_parse(text, (size_t)n, "/d", &f, err, sizeof err), 0);
    assert_int_equal(f.n, 30000);
    targets_file_free(&f);
    n += sprintf(text + n, "  - addr: h7:1007\n");
    assert_int_equal(targets_parse(text, (size_t)n, "/d", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "targets[30000]: h7:1007 is listed twice (also targets[7])"));
    free(text);
}

/* --targets.shard keeps a Cluster whole: its seed and every node found from it go to the
 * replica the cluster's name picks; everything else by its own address. */
static void test_share_keys_keep_a_cluster_together(void **state)
{
    (void)state;
    targets_file f;
    char err[300] = "";
    if (targets_parse(good, sizeof good - 1, "/etc/rme", &f, err, sizeof err)) fail_msg("%s", err);
    const tspec *a = &f.specs[0], *c = &f.specs[3], *s = &f.specs[4];
    assert_string_equal(tspec_share_key(a), "a:6379");
    assert_string_equal(tspec_share_key(s), "s1:26379");  /* a Sentinel's nodes go one by one */
    assert_string_equal(tspec_share_key(c), "seed:7000"); /* the cluster is named by its seed */
    /* A node found from that seed, as discovery makes it: another address, the seed's name. */
    tspec node;
    tspec_copy(&node, c);
    node.discover = TSPEC_DISCOVER_NONE;
    node.origin = TSPEC_CLUSTER;
    snprintf(node.addr.label, sizeof node.addr.label, "10.0.0.7:7001");
    tspec_set_label(&node, "cluster", "seed:7000");
    assert_string_equal(tspec_share_key(&node), "seed:7000");
    /* A cluster named in its labels: the seed and its nodes by that name. */
    tspec named;
    tspec_copy(&named, c);
    tspec_set_label(&named, "cluster", "orders");
    tspec_set_label(&node, "cluster", "orders");
    assert_string_equal(tspec_share_key(&named), "orders");
    assert_string_equal(tspec_share_key(&node), "orders");
    /* A plain target with a `cluster` label (from defaults:, say) still goes by its address. */
    tspec plain;
    tspec_copy(&plain, a);
    tspec_set_label(&plain, "cluster", "orders");
    assert_string_equal(tspec_share_key(&plain), "a:6379");
    tspec_free(&node);
    tspec_free(&named);
    tspec_free(&plain);
    targets_file_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_share_keys_keep_a_cluster_together),
        cmocka_unit_test(test_mistakes_name_the_item),
        cmocka_unit_test(test_yaml_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
