/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the HTTP connection guard's decision: deadlines per phase and the
 * reserved capacity, oldest first, never a connection that is being answered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"

static const guard_limits lim = {.waiting = 10, .reading = 5, .answering = 30, .max = 10, .reserve = 2};

static void test_deadlines_per_phase(void **state)
{
    (void)state;
    guard_entry e[] = {
        {GUARD_WAITING, 0, false, 0},    /* 10.5 s waiting: cut */
        {GUARD_WAITING, 1, false, 0},    /* 9.5 s: stays */
        {GUARD_READING, 5, false, 0},    /* 5.5 s reading headers: cut (slowloris) */
        {GUARD_READING, 6, false, 0},    /* 4.5 s: stays */
        {GUARD_ANSWERING, 0, false, 0},  /* 10.5 s answering: stays (30 s) */
        {GUARD_ANSWERING, -20, false, 0} /* 30.5 s: cut */
    };
    assert_int_equal(guard_pick(e, 6, 10.5, &lim), 3);
    assert_true(e[0].cut && !e[1].cut && e[2].cut && !e[3].cut && !e[4].cut && e[5].cut);
    /* Cut ones are not cut again. */
    assert_int_equal(guard_pick(e, 6, 10.5, &lim), 0);
}

static void test_reserve_cuts_oldest_idle_first(void **state)
{
    (void)state;
    /* 10 open, max 10, reserve 2: two must go, the oldest that are not answering. */
    guard_entry e[10];
    for (int i = 0; i < 10; i++) e[i] = (guard_entry){GUARD_WAITING, 100 + i, false, 0};
    e[0].phase = GUARD_ANSWERING; /* the oldest is being answered: kept */
    e[2].phase = GUARD_READING;
    assert_int_equal(guard_pick(e, 10, 101, &lim), 2);
    assert_false(e[0].cut);
    assert_true(e[1].cut && e[2].cut);
    for (int i = 3; i < 10; i++) assert_false(e[i].cut);
    /* At max - reserve, nothing more. */
    assert_int_equal(guard_pick(e, 10, 101, &lim), 0);
    /* Only answering connections: none is cut, even over the limit. */
    guard_entry busy[10];
    for (int i = 0; i < 10; i++) busy[i] = (guard_entry){GUARD_ANSWERING, 100, false, 0};
    assert_int_equal(guard_pick(busy, 10, 101, &lim), 0);
}

/* A client at its own limit: its oldest connection without a complete request makes room
 * for the new one; one whose connections are all being answered has the new one cut;
 * another client's connections never count. */
static void test_client_limit_cuts_its_own_oldest_idle(void **state)
{
    (void)state;
    guard_entry e[6] = {{GUARD_ANSWERING, 1, false, 7}, {GUARD_WAITING, 2, false, 9}, {GUARD_READING, 3, false, 7},
                        {GUARD_WAITING, 4, false, 7},   {GUARD_WAITING, 5, true, 7},  {GUARD_WAITING, 6, false, 7}};
    assert_int_equal(guard_client_victim(e, 6, 7, 5), -1); /* 4 held (one is cut): room */
    assert_int_equal(guard_client_victim(e, 6, 7, 4), 2);  /* its oldest not answering */
    assert_int_equal(guard_client_victim(e, 6, 9, 1), 1);  /* client 9's own, not 7's */
    assert_int_equal(guard_client_victim(e, 6, 7, 0), -1); /* no limit */
    guard_entry busy[2] = {{GUARD_ANSWERING, 1, false, 7}, {GUARD_ANSWERING, 2, false, 7}};
    assert_int_equal(guard_client_victim(busy, 2, 7, 2), 2); /* nothing idle: the new one goes */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadlines_per_phase),
        cmocka_unit_test(test_reserve_cuts_oldest_idle_first),
        cmocka_unit_test(test_client_limit_cuts_its_own_oldest_idle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
