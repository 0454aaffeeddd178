/* SPDX-License-Identifier: Apache-2.0 */
/* topology: CLUSTER SHARDS and CLUSTER NODES, Sentinel replies; shard: rendezvous hashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shard.h"
#include "topology.h"

/* Six nodes as Redis 7.0 prints them after a failover: 7002's primary failed, its replica
 * 7005 took the slots; one node has an announced hostname, one no address yet. */
static const char nodes[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460\n"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 127.0.0.1:7001@17001,node-b.local master - 0 1 2 connected 5461-10922\n"
    "cccccccccccccccccccccccccccccccccccccccc 127.0.0.1:7002@17002 master,fail - 0 1 3 disconnected\n"
    "dddddddddddddddddddddddddddddddddddddddd 127.0.0.1:7003@17003 slave aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 0 1 "
    "1 connected\n"
    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee 127.0.0.1:7004@17004 slave bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 0 1 "
    "2 connected\n"
    "ffffffffffffffffffffffffffffffffffffffff 127.0.0.1:7005@17005 master - 0 1 7 connected 10923-16383 [42->-aaaa]\n"
    "9999999999999999999999999999999999999999 :0@0 master,noaddr - 0 0 0 connected\n";

static void test_cluster_nodes(void **state)
{
    (void)state;
    topo_node n[16];
    char err[100];
    int k = topology_cluster_nodes(nodes, sizeof nodes - 1, n, 16, err, sizeof err);
    assert_int_equal(k, 6);
    assert_string_equal(n[0].host, "127.0.0.1");
    assert_int_equal(n[0].port, 7000);
    assert_true(n[0].primary && !n[0].failed);
    assert_string_equal(n[0].shard, "0-5460");
    assert_string_equal(n[1].host, "node-b.local"); /* the announced hostname */
    assert_true(n[2].failed);
    assert_string_equal(n[2].shard, "none");
    assert_false(n[3].primary);
    assert_string_equal(n[3].shard, "0-5460"); /* a replica is in its primary's shard */
    assert_string_equal(n[4].shard, "5461-10922");
    assert_string_equal(n[5].shard, "10923-16383");
    /* Redis 3 had no "@cport". */
    static const char old[] =
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 10.0.0.1:6379 myself,master - 0 0 1 connected 0-16383\n";
    assert_int_equal(topology_cluster_nodes(old, sizeof old - 1, n, 16, err, sizeof err), 1);
    assert_int_equal(n[0].port, 6379);
    static const char bad[] = "ERR This instance has cluster support disabled\n";
    assert_int_equal(topology_cluster_nodes(bad, sizeof bad - 1, n, 16, err, sizeof err), -1);
    /* The cap bounds the output. */
    assert_int_equal(topology_cluster_nodes(nodes, sizeof nodes - 1, n, 2, err, sizeof err), 2);
    /* A host with a NUL or a control byte is no address (found by fuzz_topology): skipped. */
    static const char odd[] =
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 127.0.0.1:7000@17000,bad\001name master - 0 0 1 connected\n"
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb \000\0000.1:7001@17001 master - 0 0 1 connected\n"
        "cccccccccccccccccccccccccccccccccccccccc 127.0.0.1:7002@17002 master - 0 0 1 connected\n";
    assert_int_equal(topology_cluster_nodes(odd, sizeof odd - 1, n, 16, err, sizeof err), 1);
    assert_int_equal(n[0].port, 7002);
}

static redisReply *str(const char *s)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_STRING;
    r->str = strdup(s);
    r->len = strlen(s);
    return r;
}

static redisReply *arr(size_t n, ...)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_ARRAY;
    r->elements = n;
    r->element = calloc(n ? n : 1, sizeof *r->element);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) r->element[i] = va_arg(ap, redisReply *);
    va_end(ap);
    return r;
}

static redisReply *num(long long v)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_INTEGER;
    r->integer = v;
    return r;
}

/* One node of CLUSTER SHARDS as Redis 7 sends it (RESP2: field, value, ...). */
static redisReply *shard_node(const char *id, const char *ip, long long port, const char *role, const char *health)
{
    return arr(14, str("id"), str(id), str("port"), num(port), str("ip"), str(ip), str("endpoint"), str(ip),
               str("role"), str(role), str("replication-offset"), num(0), str("health"), str(health));
}

static redisReply *with_fields(redisReply *node, size_t n, ...)
{
    node->element = realloc(node->element, (node->elements + n) * sizeof *node->element);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) node->element[node->elements++] = va_arg(ap, redisReply *);
    va_end(ap);
    return node;
}

/* The cluster of `nodes` above, as CLUSTER SHARDS says it: the same addresses, roles and
 * shard names as CLUSTER NODES gives, so a target keeps its labels whichever is asked. */
static void test_cluster_shards(void **state)
{
    (void)state;
    redisReply *r =
        arr(4,
            arr(4, str("slots"), arr(2, num(0), num(5460)), str("nodes"),
                arr(2, shard_node("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "127.0.0.1", 7000, "master", "online"),
                    shard_node("dddddddddddddddddddddddddddddddddddddddd", "127.0.0.1", 7003, "replica", "online"))),
            arr(4, str("slots"), arr(2, num(5461), num(10922)), str("nodes"),
                arr(2,
                    with_fields(
                        shard_node("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "127.0.0.1", 7001, "master", "online"),
                        4, str("hostname"), str("node-b.local"), str("tls-port"), num(17001)),
                    shard_node("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "127.0.0.1", 7004, "replica", "loading"))),
            arr(4, str("slots"), arr(4, num(10923), num(16383), num(42), num(42)), str("nodes"),
                arr(2, shard_node("ffffffffffffffffffffffffffffffffffffffff", "127.0.0.1", 7005, "master", "online"),
                    shard_node("cccccccccccccccccccccccccccccccccccccccc", "127.0.0.1", 7002, "replica", "failed"))),
            arr(4, str("slots"), arr(0), str("nodes"),
                arr(2, shard_node("9999999999999999999999999999999999999999", "", 0, "master", "online"),
                    shard_node("8888888888888888888888888888888888888888", "127.0.0.1", 7006, "master", "online"))));
    topo_node n[16], m[16];
    char err[100];
    int k = topology_cluster_shards(r, false, n, 16, err, sizeof err);
    assert_int_equal(k, 7); /* the node without an address is skipped */
    int km = topology_cluster_nodes(nodes, sizeof nodes - 1, m, 16, err, sizeof err);
    /* every node CLUSTER NODES names with slots has the same address, role and shard here */
    for (int i = 0; i < km; i++) {
        if (strcmp(m[i].id, "cccccccccccccccccccccccccccccccccccccccc") == 0) continue; /* failed: no slots left */
        int found = 0;
        for (int j = 0; j < k; j++) {
            if (strcmp(n[j].id, m[i].id) != 0) continue;
            found = 1;
            assert_string_equal(n[j].host, m[i].host);
            assert_int_equal(n[j].port, m[i].port);
            assert_int_equal(n[j].primary, m[i].primary);
            assert_string_equal(n[j].shard, m[i].shard);
        }
        assert_true(found);
    }
    assert_string_equal(n[1].shard, "0-5460");
    assert_true(n[5].failed);
    assert_false(n[3].failed); /* loading is not failed */
    assert_string_equal(n[6].shard, "none");
    /* A TLS seed reaches the nodes at their tls-port where they give one. */
    k = topology_cluster_shards(r, true, n, 16, err, sizeof err);
    assert_int_equal(n[2].port, 17001);
    assert_int_equal(n[0].port, 7000);
    /* The cap bounds the output; a reply of another shape is refused with a reason. */
    assert_int_equal(topology_cluster_shards(r, false, n, 3, err, sizeof err), 3);
    freeReplyObject(r);
    redisReply *bad = arr(1, arr(2, str("slots"), arr(1, num(1))));
    assert_int_equal(topology_cluster_shards(bad, false, n, 16, err, sizeof err), -1);
    assert_non_null(strstr(err, "shard 1"));
    freeReplyObject(bad);
    redisReply *text = str("0-5460");
    assert_int_equal(topology_cluster_shards(text, false, n, 16, err, sizeof err), -1);
    freeReplyObject(text);
}

static void test_sentinel(void **state)
{
    (void)state;
    topo_node m;
    redisReply *addr = arr(2, str("127.0.0.1"), str("6380"));
    assert_int_equal(topology_sentinel_master(addr, &m), 0);
    assert_int_equal(m.port, 6380);
    assert_true(m.primary);
    freeReplyObject(addr);
    redisReply *nil = calloc(1, sizeof *nil);
    nil->type = REDIS_REPLY_NIL;
    assert_int_equal(topology_sentinel_master(nil, &m), -1);
    freeReplyObject(nil);

    redisReply *reps =
        arr(2, arr(6, str("name"), str("127.0.0.1:6381"), str("ip"), str("127.0.0.1"), str("port"), str("6381")),
            arr(8, str("ip"), str("127.0.0.1"), str("port"), str("6379"), str("flags"), str("slave,s_down"), str("x"),
                str("y")));
    topo_node r[4];
    assert_int_equal(topology_sentinel_replicas(reps, r, 4), 2);
    assert_int_equal(r[0].port, 6381);
    assert_false(r[0].failed);
    assert_true(r[1].failed);
    freeReplyObject(reps);
}

static void test_shard_spreads_and_moves_little(void **state)
{
    (void)state;
    enum { N = 3000 };
    unsigned count[4] = {0}, moved = 0;
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, "10.0.%d.%d:6379", i / 250, i % 250);
        unsigned a = shard_owner(key, 3), b = shard_owner(key, 4);
        assert_true(a < 3 && b < 4);
        assert_int_equal(shard_owner(key, 3), a); /* the same answer every time */
        count[a]++;
        if (a != b) {
            moved++;
            assert_int_equal(b, 3); /* a target only ever moves to the new replica */
        }
    }
    for (int i = 0; i < 3; i++) assert_true(count[i] > N / 3 - N / 15 && count[i] < N / 3 + N / 15);
    assert_true(moved > N / 4 - N / 15 && moved < N / 4 + N / 15); /* about 1/4 move to the 4th */
    assert_int_equal(shard_owner("x", 1), 0);
    assert_int_equal(shard_owner("x", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_nodes),
        cmocka_unit_test(test_cluster_shards),
        cmocka_unit_test(test_sentinel),
        cmocka_unit_test(test_shard_spreads_and_moves_little),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
