/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for snapshots: freshness judged at serve time, the loop's liveness, bodies
 * made on demand (OpenMetrics, gzip) and the published slot's references. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "slot.h"
#include "snapshot.h"

static char *copy_of(const char *s) { return strcpy(malloc(strlen(s) + 1), s); }

/* gz[0..len) inflates to want[0..want_len). */
static void assert_gunzips_to(const char *gz, size_t len, const char *want, size_t want_len)
{
    char plain[2048];
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)gz;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)plain;
    z.avail_out = sizeof plain;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, want_len);
    assert_memory_equal(plain, want, want_len);
    inflateEnd(&z);
}

/* Two families as the renderer lays them out: redis_up (Redis's, family 0) and a counter
 * about polling; their headers in each format; one target's piece with its labels once. */
static const char head_text[] =
    "# HELP redis_up Up.\n# TYPE redis_up gauge\n# HELP a_total A \"b\".\n# TYPE a_total counter\n";
static const char head_om[] = "# HELP redis_up Up.\n# TYPE redis_up gauge\n# HELP a A \\\"b\\\".\n# TYPE a counter\n";
static const char piece_text[] = "redis_up{\x02} 1\na_total{\x02} 7\naddr=\"x:1\"";

static snapshot *make(const snapshot_fresh *fresh, size_t n, double alive_until)
{
    char *bodies[SNAPSHOT_PARTS] = {NULL, NULL, copy_of("<html></html>\n")};
    size_t lens[SNAPSHOT_PARTS] = {0, 0, 14};
    snapshot *s = snapshot_new(bodies, lens, fresh, n, alive_until);
    render_off ht[3] = {0, 42, sizeof head_text - 1}, ho[3] = {0, 42, sizeof head_om - 1};
    render_off po[4] = {0, 14, 27, sizeof piece_text - 1};
    snapshot_piece *heads[2] = {snapshot_piece_new(head_text, sizeof head_text - 1, ht, 3),
                                snapshot_piece_new(head_om, sizeof head_om - 1, ho, 3)};
    snapshot_piece *piece = snapshot_piece_new(piece_text, sizeof piece_text - 1, po, 4);
    const char *addrs[1] = {"x:1"};
    snapshot_text t = {.headers = {heads[0], heads[1]},
                       .layout = {2, 1},
                       .pieces = &piece,
                       .addrs = addrs,
                       .n = 1,
                       .self = {copy_of("self 1\n"), copy_of("self 1\n")},
                       .self_len = {7, 7}};
    snapshot_set_pieces(s, &t);
    snapshot_piece_unref(heads[0]);
    snapshot_piece_unref(heads[1]);
    snapshot_piece_unref(piece);
    return s;
}

static const char want_text[] = "# HELP redis_up Up.\n# TYPE redis_up gauge\nredis_up{addr=\"x:1\"} 1\n"
                                "# HELP a_total A \"b\".\n# TYPE a_total counter\na_total{addr=\"x:1\"} 7\nself 1\n";
static const char want_om[] = "# HELP redis_up Up.\n# TYPE redis_up gauge\nredis_up{addr=\"x:1\"} 1\n"
                              "# HELP a A \\\"b\\\".\n# TYPE a counter\na_total{addr=\"x:1\"} 7\nself 1\n# EOF\n";

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

/* Both formats put together from the pieces on demand (OpenMetrics from its own
 * headers, nothing converted), gzip of the text, /scrape bodies, a target served as down
 * without rendering it again, and the published slot's references. */
static void test_bodies_and_slot(void **state)
{
    (void)state;
    snapshot *s = make(NULL, 0, 1);
    size_t len;
    const char *text = snapshot_body(s, SNAPSHOT_TEXT, false, &len);
    assert_int_equal(len, strlen(want_text));
    assert_string_equal(text, want_text);
    assert_ptr_equal(snapshot_body(s, SNAPSHOT_TEXT, false, &len), text); /* made once */
    const char *om = snapshot_body(s, SNAPSHOT_OPENMETRICS, false, &len);
    assert_string_equal(om, want_om);
    const char *gz = snapshot_body(s, SNAPSHOT_TEXT, true, &len);
    assert_gunzips_to(gz, len, want_text, strlen(want_text));
    buf b;
    buf_init(&b);
    assert_true(snapshot_scrape(s, "x:1", RENDER_OPENMETRICS, false, &b));
    assert_string_equal(b.data,
                        "# HELP redis_up Up.\n# TYPE redis_up gauge\nredis_up{addr=\"x:1\"} 1\n"
                        "# HELP a A \\\"b\\\".\n# TYPE a counter\na_total{addr=\"x:1\"} 7\n# EOF\n");
    buf_reset(&b);
    assert_true(snapshot_scrape(s, "x:1", RENDER_TEXT, true, &b)); /* down: redis_up 0, the polling family */
    assert_string_equal(b.data,
                        "# HELP redis_up Up.\n# TYPE redis_up gauge\nredis_up{addr=\"x:1\"} 0\n"
                        "# HELP a_total A \"b\".\n# TYPE a_total counter\na_total{addr=\"x:1\"} 7\n");
    assert_false(snapshot_scrape(s, "y:2", RENDER_TEXT, false, &b));
    buf_reset(&b);
    const char *stale[] = {"x:1"};
    snapshot_assemble_down(s, SNAPSHOT_TEXT, stale, 1, &b);
    assert_non_null(strstr(b.data, "redis_up{addr=\"x:1\"} 0\n"));
    assert_non_null(strstr(b.data, "\nself 1\n"));
    buf_free(&b);
    assert_null(slot_current());
    slot_publish(s); /* the slot takes the reference */
    snapshot *cur = slot_current();
    assert_ptr_equal(cur, s);
    slot_clear(); /* cur still holds it: still readable */
    assert_non_null(snapshot_body(cur, SNAPSHOT_LANDING, false, &len));
    assert_int_equal(len, 14);
    snapshot_unref(cur);
    assert_null(slot_current());
}

/* Serving threads racing for a body not made yet: each may make it, one copy is kept and
 * every thread gets that one; nobody waits for another. */
static void *ask(void *arg)
{
    size_t len;
    return (void *)(uintptr_t)snapshot_body(arg, SNAPSHOT_OPENMETRICS, true, &len);
}

static void test_racing_threads_get_one_body(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++) {
        snapshot *s = make(NULL, 0, 1);
        pthread_t t[4];
        void *got[4];
        for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, ask, s);
        for (int i = 0; i < 4; i++) pthread_join(t[i], &got[i]);
        for (int i = 1; i < 4; i++) assert_ptr_equal(got[i], got[0]);
        assert_non_null(got[0]);
        snapshot_unref(s);
    }
}

/* A serving thread that drops the last reference does not free: the snapshot waits for
 * the publisher's next publish (ASan's leak check sees it freed by then). */
static void test_dropped_last_reference_is_freed_by_the_publisher(void **state)
{
    (void)state;
    snapshot *first = make(NULL, 0, 1);
    slot_publish(first);
    snapshot *held = slot_current(); /* a request in flight */
    slot_publish(make(NULL, 0, 1));  /* the slot lets go of the first */
    assert_int_equal(slot_dropped_waiting(), 0);
    size_t len;
    assert_non_null(snapshot_body(held, SNAPSHOT_TEXT, false, &len));
    slot_drop(held); /* the last reference, on a serving thread */
    assert_int_equal(slot_dropped_waiting(), 1);
    snapshot *cur = slot_current();
    slot_drop(cur); /* not the last: the slot holds it */
    assert_int_equal(slot_dropped_waiting(), 1);
    slot_publish(make(NULL, 0, 1)); /* frees the dropped one and the old slot's */
    assert_int_equal(slot_dropped_waiting(), 0);
    cur = slot_current();
    slot_clear();
    slot_drop(cur);
    assert_int_equal(slot_dropped_waiting(), 1);
    slot_clear(); /* at shutdown too */
    assert_int_equal(slot_dropped_waiting(), 0);
}

/* Three targets, the middle one without the counter family: the stream puts together,
 * in reads of any size, byte for byte what the whole body is, and counts its length. */
static snapshot *make_three(void)
{
    char *bodies[SNAPSHOT_PARTS] = {NULL, NULL, copy_of("<html></html>\n")};
    size_t lens[SNAPSHOT_PARTS] = {0, 0, 14};
    snapshot *s = snapshot_new(bodies, lens, NULL, 0, 1);
    render_off ht[3] = {0, 42, sizeof head_text - 1}, ho[3] = {0, 42, sizeof head_om - 1};
    static const char mid[] = "redis_up{\x02} 0\naddr=\"y:22\"";
    static const char last[] = "redis_up{\x02,db=\"\x02\"} 1\na_total{\x02} 9\na_total{\x02,x=\"1\"} 8\naddr=\"z\"";
    render_off po[4] = {0, 14, 27, sizeof piece_text - 1}, pm[4] = {0, 14, 14, sizeof mid - 1};
    render_off pl[4] = {0, (render_off)(strstr(last, "a_total") - last), (render_off)(strstr(last, "addr=") - last),
                        sizeof last - 1};
    snapshot_piece *heads[2] = {snapshot_piece_new(head_text, sizeof head_text - 1, ht, 3),
                                snapshot_piece_new(head_om, sizeof head_om - 1, ho, 3)};
    snapshot_piece *pieces[3] = {snapshot_piece_new(piece_text, sizeof piece_text - 1, po, 4),
                                 snapshot_piece_new(mid, sizeof mid - 1, pm, 4),
                                 snapshot_piece_new(last, sizeof last - 1, pl, 4)};
    const char *addrs[3] = {"x:1", "y:22", "z"};
    snapshot_text t = {.headers = {heads[0], heads[1]},
                       .layout = {2, 1},
                       .pieces = pieces,
                       .addrs = addrs,
                       .n = 3,
                       .self = {copy_of("self 1\n"), copy_of("self 1\n")},
                       .self_len = {7, 7}};
    snapshot_set_pieces(s, &t);
    for (int i = 0; i < 2; i++) snapshot_piece_unref(heads[i]);
    for (int i = 0; i < 3; i++) snapshot_piece_unref(pieces[i]);
    return s;
}

static void test_stream_equals_the_whole_body(void **state)
{
    (void)state;
    snapshot *s = make_three();
    static const size_t reads[] = {1, 7, 64, 65536};
    for (int part = SNAPSHOT_TEXT; part <= SNAPSHOT_OPENMETRICS; part++) {
        size_t whole_len;
        const char *whole = snapshot_body(s, (snapshot_part)part, false, &whole_len);
        assert_non_null(strstr(whole, "a_total{addr=\"z\",x=\"1\"} 8\n"));
        assert_non_null(strstr(whole, "redis_up{addr=\"z\",db=\"addr=\"z\"\"} 1\n")); /* every mark */
        for (size_t r = 0; r < sizeof reads / sizeof *reads; r++) {
            size_t total = 0;
            snapshot_stream *st =
                snapshot_stream_new(s, part == SNAPSHOT_OPENMETRICS ? RENDER_OPENMETRICS : RENDER_TEXT, &total);
            assert_non_null(st);
            assert_int_equal(total, whole_len);
            char *got = calloc(1, whole_len + 65536);
            size_t n = 0, k;
            while ((k = snapshot_stream_read(st, got + n, reads[r])) > 0) {
                assert_true(k <= reads[r]);
                n += k;
            }
            assert_int_equal(n, whole_len);
            assert_memory_equal(got, whole, whole_len);
            assert_int_equal(snapshot_stream_read(st, got, 10), 0); /* the end stays the end */
            free(got);
            snapshot_unref(snapshot_stream_free(st)); /* the stream held a reference */
        }
        /* gzip is made from the stream: it inflates to the same bytes */
        size_t gz_len;
        const char *gz = snapshot_body(s, (snapshot_part)part, true, &gz_len);
        assert_gunzips_to(gz, gz_len, whole, whole_len);
    }
    snapshot_unref(s);
}

/* When the next scrape is foreseen: one scraper every 15 s, two taking turns (a pair of
 * Prometheus servers at offsets 2 and 9 of a 15 s interval), too few to tell. */
static void test_foresee_the_next_scrape(void **state)
{
    (void)state;
    assert_true(slot_foresee(NULL, 0) == 0);
    double one[] = {100};
    assert_true(slot_foresee(one, 1) == 0);
    double two[] = {100, 115};
    assert_true(slot_foresee(two, 2) == 130);
    double steady[] = {100, 115, 130};
    assert_true(slot_foresee(steady, 3) == 145);
    double pair[] = {102, 109, 117}; /* then 124 (the second's), 132, 139 */
    assert_true(slot_foresee(pair, 3) == 124);
    double pair2[] = {109, 117, 124};
    assert_true(slot_foresee(pair2, 3) == 132);
}

/* The demand hook: a reader of a snapshot that is behind and older than the tolerance asks
 * once and waits for the loop's publish; a young one is served as it is; a loop that never
 * publishes keeps the reader no longer than the wait. */
static int asks;
static snapshot *next_to_publish;

static void *loop_publishes(void *arg)
{
    (void)arg;
    slot_publish(next_to_publish);
    return NULL;
}

static void ask_hook(void *arg)
{
    asks++;
    if (!arg) return; /* a stalled loop */
    pthread_t t;
    pthread_create(&t, NULL, loop_publishes, NULL);
    pthread_detach(t);
}

static void test_a_reader_behind_asks_and_waits(void **state)
{
    (void)state;
    asks = 0;
    snapshot *first = make(NULL, 0, 1);
    slot_set_demand(ask_hook, NULL, 0.0, 0.0, 1.0); /* stalled: nobody publishes */
    slot_publish(first);
    snapshot *cur = slot_current();
    assert_ptr_equal(cur, first); /* not behind: nothing asked */
    slot_drop(cur);
    assert_int_equal(asks, 0);
    slot_mark_behind();
    cur = slot_current(); /* waits 1 s, then takes what there is */
    assert_ptr_equal(cur, first);
    assert_int_equal(asks, 1);
    slot_drop(cur);
    /* the loop left that ask unanswered for a whole wait: the next reader does not wait */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    cur = slot_current();
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_ptr_equal(cur, first);
    assert_int_equal(asks, 1);
    assert_true((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9 < 0.5);
    slot_drop(cur);
    double next;
    assert_true(slot_demand_take(&next)); /* still asked: the loop has not published */
    slot_publish(make(NULL, 0, 1));       /* the loop, late */
    assert_false(slot_demand_take(&next));
    slot_set_demand(ask_hook, (void *)1, 0.0, 0.0, 5.0);
    slot_mark_behind();
    snapshot *again = next_to_publish = make(NULL, 0, 1);
    cur = slot_scrape_current(); /* asks; the "loop" publishes */
    assert_int_equal(asks, 2);
    assert_ptr_equal(cur, again);
    slot_drop(cur);
    assert_false(slot_demand_take(&next)); /* answered */
    slot_mark_behind();
    slot_set_demand(ask_hook, (void *)1, 60.0, 60.0, 5.0); /* a minute's tolerance: served as is */
    cur = slot_current();
    assert_ptr_equal(cur, again);
    assert_int_equal(asks, 2);
    slot_drop(cur);
    /* A per-target reader within its patience takes the snapshot behind as it is and asks
     * for the next without waiting (the hook publishes later: a stalled one never) */
    slot_set_demand(ask_hook, NULL, 0.0, 60.0, 5.0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cur = slot_patient_current();
    assert_ptr_equal(cur, again);
    assert_int_equal(asks, 3);
    assert_true(slot_demand_take(&next));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 2); /* not the 5 s wait */
    slot_drop(cur);
    cur = slot_patient_current(); /* asked already: not asked again */
    assert_int_equal(asks, 3);
    slot_drop(cur);
    /* past its patience it waits, as any reader */
    slot_set_demand(ask_hook, NULL, 0.0, 0.0, 0.1);
    cur = slot_patient_current();
    assert_ptr_equal(cur, again);
    slot_drop(cur);
    slot_set_demand(NULL, NULL, 0, 0, 0);
    slot_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stale_targets_at_serve_time),
        cmocka_unit_test(test_bodies_and_slot),
        cmocka_unit_test(test_racing_threads_get_one_body),
        cmocka_unit_test(test_dropped_last_reference_is_freed_by_the_publisher),
        cmocka_unit_test(test_stream_equals_the_whole_body),
        cmocka_unit_test(test_foresee_the_next_scrape),
        cmocka_unit_test(test_a_reader_behind_asks_and_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
