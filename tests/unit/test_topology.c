/* topology: CLUSTER NODES text and Sentinel replies; shard: rendezvous hashing. */
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
    "dddddddddddddddddddddddddddddddddddddddd 127.0.0.1:7003@17003 slave aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 0 1 1 connected\n"
    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee 127.0.0.1:7004@17004 slave bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 0 1 2 connected\n"
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
    assert_string_equal(n[1].host, "node-b.local");   /* the announced hostname */
    assert_true(n[2].failed);
    assert_string_equal(n[2].shard, "none");
    assert_false(n[3].primary);
    assert_string_equal(n[3].shard, "0-5460");      /* a replica is in its primary's shard */
    assert_string_equal(n[4].shard, "5461-10922");
    assert_string_equal(n[5].shard, "10923-16383");
    /* Redis 3 had no "@cport". */
    static const char old[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 10.0.0.1:6379 myself,master - 0 0 1 connected 0-16383\n";
    assert_int_equal(topology_cluster_nodes(old, sizeof old - 1, n, 16, err, sizeof err), 1);
    assert_int_equal(n[0].port, 6379);
    static const char bad[] = "ERR This instance has cluster support disabled\n";
    assert_int_equal(topology_cluster_nodes(bad, sizeof bad - 1, n, 16, err, sizeof err), -1);
    /* The cap bounds the output. */
    assert_int_equal(topology_cluster_nodes(nodes, sizeof nodes - 1, n, 2, err, sizeof err), 2);
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

    redisReply *reps = arr(2, arr(6, str("name"), str("127.0.0.1:6381"), str("ip"), str("127.0.0.1"), str("port"), str("6381")),
                           arr(8, str("ip"), str("127.0.0.1"), str("port"), str("6379"), str("flags"), str("slave,s_down"),
                               str("x"), str("y")));
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
        assert_int_equal(shard_owner(key, 3), a);   /* the same answer every time */
        count[a]++;
        if (a != b) {
            moved++;
            assert_int_equal(b, 3);   /* a target only ever moves to the new replica */
        }
    }
    for (int i = 0; i < 3; i++) assert_true(count[i] > N / 3 - N / 15 && count[i] < N / 3 + N / 15);
    assert_true(moved > N / 4 - N / 15 && moved < N / 4 + N / 15);   /* about 1/4 move to the 4th */
    assert_int_equal(shard_owner("x", 1), 0);
    assert_int_equal(shard_owner("x", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_nodes),
        cmocka_unit_test(test_sentinel),
        cmocka_unit_test(test_shard_spreads_and_moves_little),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
