/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the CLIENT LIST reader: ranking by omem and qbuf, replicas and the
 * exporter itself left out, names made safe, several replies adding up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "clientlist.h"

/* Lines as Redis 7.0 prints them (fields cut to the ones read, plus a few others). */
static const char normal[] =
    "id=3 addr=127.0.0.1:40000 laddr=127.0.0.1:6379 fd=8 name=web age=9 idle=0 flags=N db=0 sub=0 psub=0 "
    "qbuf=26 qbuf-free=20448 omem=0 tot-mem=22298 cmd=client|list user=default\n"
    "id=7 addr=127.0.0.1:40002 laddr=127.0.0.1:6379 fd=9 name=loader age=9 idle=0 flags=N db=0 sub=0 psub=0 "
    "qbuf=52428800 qbuf-free=0 omem=0 tot-mem=52451098 cmd=set user=default\n"
    "id=9 addr=127.0.0.1:40004 laddr=127.0.0.1:6379 fd=10 name=redis_memory_exporter age=9 idle=0 flags=N db=0 "
    "qbuf=0 qbuf-free=0 omem=99999999 tot-mem=22298 cmd=info user=default\n"
    "id=11 addr=127.0.0.1:40006 laddr=127.0.0.1:6379 fd=11 name= age=9 idle=0 flags=S db=0 sub=0 psub=0 "
    "qbuf=0 qbuf-free=0 omem=88888888 tot-mem=88888888 cmd=psync user=default\n";
static const char pubsub[] =
    "id=412 addr=127.0.0.1:40010 laddr=127.0.0.1:6379 fd=12 name=slow`$(rm) age=9 idle=9 flags=P db=0 sub=1 psub=0 "
    "qbuf=0 qbuf-free=0 omem=10485760 tot-mem=10507806 cmd=subscribe user=default\r\n"
    "id=413 addr=127.0.0.1:40012 laddr=127.0.0.1:6379 fd=13 name=fast age=9 idle=0 flags=P db=0 sub=1 psub=0 "
    "qbuf=0 qbuf-free=0 omem=2048 cmd=subscribe user=default"; /* no tot-mem (before 6.0), no newline */

static void test_ranks_and_leaves_out(void **state)
{
    (void)state;
    diagnose_clients l;
    clientlist_clear(&l);
    assert_false(l.listed);
    clientlist_add(&l, normal, strlen(normal));
    clientlist_add(&l, pubsub, strlen(pubsub));
    assert_true(l.listed);
    /* by output buffer: the subscriber first; the replica (flags=S) and the exporter never */
    assert_int_equal(l.n_output, 2);
    assert_true(l.output[0].id == 412 && l.output[0].bytes == 10485760);
    assert_string_equal(l.output[0].name,
                        "slow?"
                        "?"
                        "?rm?"); /* `, $ and parentheses made safe */
    assert_string_equal(l.output[0].addr, "127.0.0.1:40010");
    assert_string_equal(l.output[0].cmd, "subscribe");
    assert_true(l.output[0].has_tot_mem && l.output[0].tot_mem == 10507806);
    assert_true(l.output[1].id == 413 && !l.output[1].has_tot_mem);
    /* by query buffer: the loader, then the web client; zero buffers are not listed */
    assert_int_equal(l.n_query, 2);
    assert_true(l.query[0].id == 7 && l.query[0].bytes == 52428800);
    assert_string_equal(l.query[0].cmd, "set");
    assert_true(l.query[1].id == 3);
    assert_string_equal(l.query[1].cmd, "client|list");
    clientlist_clear(&l);
    assert_false(l.listed);
    assert_int_equal(l.n_output, 0);
}

/* Only the top three are kept, biggest first, whatever the order of the lines. */
static void test_keeps_the_top_three(void **state)
{
    (void)state;
    diagnose_clients l;
    clientlist_clear(&l);
    const char *lines = "id=1 omem=10 qbuf=0\nid=2 omem=50 qbuf=0\nid=3 omem=30 qbuf=0\nid=4 omem=40 qbuf=0\n"
                        "garbage without fields\nid= omem=1000\n\n";
    clientlist_add(&l, lines, strlen(lines));
    assert_int_equal(l.n_output, 3);
    assert_true(l.output[0].id == 2 && l.output[1].id == 4 && l.output[2].id == 3);
    assert_int_equal(l.n_query, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranks_and_leaves_out),
        cmocka_unit_test(test_keeps_the_top_three),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
