/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the bounded RESP reader: replies in pieces, the byte allowance, what a
 * reply may declare, garbage and nesting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "resp.h"

static resp_status feed(resp *r, const char *s) { return resp_feed(r, s, strlen(s)); }

static void test_replies_in_pieces(void **state)
{
    (void)state;
    resp *r = resp_new();
    resp_allow(r, 1024);
    redisReply *rep;
    assert_int_equal(feed(r, "*2\r\n$5\r\nhel"), RESP_MORE);
    assert_int_equal(resp_next(r, &rep), RESP_MORE);
    assert_int_equal(feed(r, "lo\r\n*1\r\n:42\r\n+OK\r\n"), RESP_MORE);
    assert_int_equal(resp_next(r, &rep), RESP_REPLY);
    assert_int_equal(rep->type, REDIS_REPLY_ARRAY);
    assert_int_equal(rep->elements, 2);
    assert_string_equal(rep->element[0]->str, "hello");
    assert_int_equal(rep->element[1]->element[0]->integer, 42);
    freeReplyObject(rep);
    assert_int_equal(resp_next(r, &rep), RESP_REPLY);
    assert_string_equal(rep->str, "OK");
    freeReplyObject(rep);
    assert_int_equal(resp_next(r, &rep), RESP_MORE);
    resp_free(r);
}

/* A reply the size of an INFO grows the reader's buffer; once it is taken nothing stays
 * held, while a reply still arriving keeps its bytes. */
static void test_buffer_released(void **state)
{
    (void)state;
    resp *r = resp_new();
    resp_allow(r, 1 << 20);
    char big[8300];
    memcpy(big, "$8192\r\n", 7);
    memset(big + 7, 'x', 8192);
    memcpy(big + 7 + 8192, "\r\n", 2);
    assert_int_equal(resp_feed(r, big, 4000), RESP_MORE);
    redisReply *rep;
    assert_int_equal(resp_next(r, &rep), RESP_MORE);
    assert_true(resp_held(r) >= 4000); /* a part: kept */
    assert_int_equal(resp_feed(r, big + 4000, 7 + 8192 + 2 - 4000), RESP_MORE);
    assert_true(resp_held(r) >= 8192);
    assert_int_equal(resp_next(r, &rep), RESP_REPLY);
    assert_int_equal(rep->len, 8192);
    assert_int_equal(rep->str[8191], 'x');
    freeReplyObject(rep);
    assert_true(resp_held(r) <= 64);
    /* the reader still works after giving its buffer back */
    assert_int_equal(feed(r, "+OK\r\n"), RESP_MORE);
    assert_int_equal(resp_next(r, &rep), RESP_REPLY);
    assert_string_equal(rep->str, "OK");
    freeReplyObject(rep);
    resp_free(r);
}

static void test_allowance(void **state)
{
    (void)state;
    resp *r = resp_new();
    resp_allow(r, 10);
    assert_int_equal(feed(r, ":1\r\n"), RESP_MORE);         /* 4 of 10 */
    assert_int_equal(feed(r, "$100\r\nx"), RESP_TOO_LARGE); /* 4 + 7 = 11 */
    resp_free(r);
    r = resp_new();
    resp_allow(r, 10);
    assert_int_equal(feed(r, ":1\r\n$100\r\n"), RESP_MORE); /* exactly 10 */
    assert_int_equal(feed(r, "x"), RESP_TOO_LARGE);
    assert_string_equal(resp_error(r), "");
    resp_allow(r, 10); /* a new poll: room again */
    assert_int_equal(feed(r, "x"), RESP_MORE);
    resp_free(r);
}

static void test_declared_sizes(void **state)
{
    (void)state;
    redisReply *rep;
    /* 13 bytes announcing a billion elements: refused before anything is allocated. */
    resp *r = resp_new();
    resp_allow(r, 1 << 20);
    assert_int_equal(feed(r, "*1000000000\r\n"), RESP_MORE);
    assert_int_equal(resp_next(r, &rep), RESP_TOO_LARGE);
    assert_null(rep);
    assert_non_null(strstr(resp_error(r), "262144 elements"));
    resp_free(r);
    /* Nested arrays count together: 40 bytes allow 10 elements in all. */
    r = resp_new();
    resp_allow(r, 40);
    assert_int_equal(feed(r, "*2\r\n*8\r\n"), RESP_MORE);
    assert_int_equal(resp_next(r, &rep), RESP_MORE); /* 2 + 8 = 10: allowed */
    resp_free(r);
    r = resp_new();
    resp_allow(r, 40);
    assert_int_equal(feed(r, "*2\r\n*9\r\n"), RESP_MORE);
    assert_int_equal(resp_next(r, &rep), RESP_TOO_LARGE); /* 11 */
    resp_free(r);
    /* The count starts again with each reply. */
    r = resp_new();
    resp_allow(r, 48);
    assert_int_equal(feed(r, "*2\r\n:1\r\n:2\r\n*2\r\n:3\r\n:4\r\n"), RESP_MORE);
    assert_int_equal(resp_next(r, &rep), RESP_REPLY);
    freeReplyObject(rep);
    assert_int_equal(resp_next(r, &rep), RESP_REPLY);
    freeReplyObject(rep);
    resp_free(r);
}

static void test_garbage_and_depth(void **state)
{
    (void)state;
    redisReply *rep;
    resp *r = resp_new();
    resp_allow(r, 1024);
    static const char junk[] = "\x00\xff not RESP\r\n";
    resp_feed(r, junk, sizeof junk - 1);
    assert_int_equal(resp_next(r, &rep), RESP_PROTOCOL);
    assert_true(strlen(resp_error(r)) > 0);
    resp_free(r);
    r = resp_new();
    resp_allow(r, 1024);
    feed(r, "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n");
    assert_int_equal(resp_next(r, &rep), RESP_PROTOCOL); /* deeper than hiredis takes */
    resp_free(r);
    r = resp_new();
    resp_allow(r, 1024);
    feed(r, "*-5\r\n");
    assert_int_equal(resp_next(r, &rep), RESP_PROTOCOL);
    resp_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replies_in_pieces), cmocka_unit_test(test_buffer_released),
        cmocka_unit_test(test_allowance),         cmocka_unit_test(test_declared_sizes),
        cmocka_unit_test(test_garbage_and_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
