/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for snapshots: freshness judged at serve time, the loop's liveness, bodies
 * made on demand (OpenMetrics, gzip) and the published slot's references. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "snapshot.h"

static char *copy_of(const char *s) { return strcpy(malloc(strlen(s) + 1), s); }

static snapshot *make(const snapshot_fresh *fresh, size_t n, double alive_until)
{
    const char *text = "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n";
    char *bodies[SNAPSHOT_PARTS] = {copy_of(text), NULL, copy_of("<html></html>\n")};
    size_t lens[SNAPSHOT_PARTS] = {strlen(text), 0, 14};
    return snapshot_new(bodies, lens, fresh, n, alive_until);
}

static void test_stale_targets_at_serve_time(void **state)
{
    (void)state;
    char a[] = "a:1"; /* copied by the snapshot: changing it later changes nothing */
    snapshot_fresh fresh[] = {{a, 5}, {"b:2", 3}, {"c:3", 10}};
    snapshot *s = make(fresh, 3, 20);
    a[0] = 'z';
    const char *const *addrs;
    assert_int_equal(snapshot_stale(s, 1, &addrs), 0);
    assert_int_equal(snapshot_stale(s, 3, &addrs), 0); /* fresh up to and at its bound */
    assert_int_equal(snapshot_stale(s, 4, &addrs), 1);
    assert_string_equal(addrs[0], "b:2");
    assert_int_equal(snapshot_stale(s, 6, &addrs), 2);
    assert_string_equal(addrs[1], "a:1");
    assert_int_equal(snapshot_stale(s, 11, &addrs), 3);
    assert_true(snapshot_alive(s, 20));
    assert_false(snapshot_alive(s, 20.5));
    snapshot_unref(s);
    s = make(NULL, 0, 1); /* nobody up: nothing to go stale */
    assert_int_equal(snapshot_stale(s, 1e9, &addrs), 0);
    snapshot_unref(s);
}

static void test_bodies_and_slot(void **state)
{
    (void)state;
    snapshot *s = make(NULL, 0, 1);
    size_t len;
    const char *om = snapshot_body(s, SNAPSHOT_OPENMETRICS, false, &len);
    assert_string_equal(om, "# HELP a A.\n# TYPE a counter\na_total 1\n# EOF\n");
    const char *gz = snapshot_body(s, SNAPSHOT_TEXT, true, &len);
    char plain[256];
    uLongf plain_len = sizeof plain;
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)gz;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)plain;
    z.avail_out = (uInt)plain_len;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, strlen("# HELP a_total A.\n# TYPE a_total counter\na_total 1\n"));
    inflateEnd(&z);
    assert_null(snapshot_current());
    snapshot_publish(s); /* the slot takes the reference */
    snapshot *cur = snapshot_current();
    assert_ptr_equal(cur, s);
    snapshot_clear(); /* cur still holds it: still readable */
    assert_non_null(snapshot_body(cur, SNAPSHOT_LANDING, false, &len));
    assert_int_equal(len, 14);
    snapshot_unref(cur);
    assert_null(snapshot_current());
}

/* A serving thread that drops the last reference does not free: the snapshot waits for
 * the publisher's next publish (ASan's leak check sees it freed by then). */
static void test_dropped_last_reference_is_freed_by_the_publisher(void **state)
{
    (void)state;
    snapshot *first = make(NULL, 0, 1);
    snapshot_publish(first);
    snapshot *held = snapshot_current(); /* a request in flight */
    snapshot_publish(make(NULL, 0, 1));  /* the slot lets go of the first */
    assert_int_equal(snapshot_dropped_waiting(), 0);
    size_t len;
    assert_non_null(snapshot_body(held, SNAPSHOT_TEXT, false, &len));
    snapshot_drop(held); /* the last reference, on a serving thread */
    assert_int_equal(snapshot_dropped_waiting(), 1);
    snapshot *cur = snapshot_current();
    snapshot_drop(cur); /* not the last: the slot holds it */
    assert_int_equal(snapshot_dropped_waiting(), 1);
    snapshot_publish(make(NULL, 0, 1)); /* frees the dropped one and the old slot's */
    assert_int_equal(snapshot_dropped_waiting(), 0);
    cur = snapshot_current();
    snapshot_clear();
    snapshot_drop(cur);
    assert_int_equal(snapshot_dropped_waiting(), 1);
    snapshot_clear(); /* at shutdown too */
    assert_int_equal(snapshot_dropped_waiting(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stale_targets_at_serve_time),
        cmocka_unit_test(test_bodies_and_slot),
        cmocka_unit_test(test_dropped_last_reference_is_freed_by_the_publisher),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
