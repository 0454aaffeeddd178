/* Unit tests for basic auth: bcrypt checks, the caches of verified and failed pairs,
 * unknown users, that a check never waits for another one's bcrypt, and that a scraper
 * with a wrong password cannot keep a right one out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <crypt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "webauth.h"

static char slow_hash[128], fast_hash[128];

static void make_hashes(void)
{
    /* cost 13: over half a second, long enough to overlap; cost 4: quick */
    char salt[64];
    strcpy(salt, crypt_gensalt("$2b$", 13, NULL, 0));
    strcpy(slow_hash, crypt("slow-pw", salt));
    strcpy(salt, crypt_gensalt("$2b$", 4, NULL, 0));
    strcpy(fast_hash, crypt("fast-pw", salt));
}

static void test_checks_and_cache(void **state)
{
    (void)state;
    make_hashes();
    webcfg_pair users[] = {{"fast", fast_hash}};
    webauth *a = webauth_new(users, 1);
    assert_true(webauth_required(a));
    assert_false(webauth_check(a, "fast", "wrong"));
    assert_false(webauth_check(a, "nobody", "fast-pw"));
    assert_false(webauth_check(a, NULL, "fast-pw"));
    assert_false(webauth_check(a, "fast", NULL));
    assert_int_equal(webauth_bcrypt_runs(a), 2);
    assert_true(webauth_check(a, "fast", "fast-pw"));
    assert_true(webauth_check(a, "fast", "fast-pw"));   /* now from the cache */
    assert_int_equal(webauth_bcrypt_runs(a), 3);
    assert_false(webauth_check(a, "fas", "tfast-pw"));  /* user/password split matters */
    /* A pair that failed is remembered too: a scraper with a wrong password costs one
     * bcrypt, not one a scrape; a new guess still pays one. */
    assert_false(webauth_check(a, "fast", "wrong"));
    assert_false(webauth_check(a, "nobody", "fast-pw"));
    assert_int_equal(webauth_bcrypt_runs(a), 4);
    assert_false(webauth_check(a, "fast", "wrong-2"));
    assert_int_equal(webauth_bcrypt_runs(a), 5);
    webauth_free(a);
    webauth *open = webauth_new(NULL, 0);
    assert_false(webauth_required(open));
    assert_true(webauth_check(open, NULL, NULL));
    webauth_free(open);
}

static atomic_int started;

static void *guess(void *arg)
{
    atomic_store(&started, 1);
    webauth_check(arg, "slow", "a guess");   /* a whole slow bcrypt */
    return NULL;
}

static void test_a_check_never_waits_for_another(void **state)
{
    (void)state;
    webcfg_pair users[] = {{"slow", slow_hash}, {"fast", fast_hash}};
    webauth *a = webauth_new(users, 2);
    assert_true(webauth_check(a, "fast", "fast-pw"));   /* remembered from here on */
    pthread_t t;
    pthread_create(&t, NULL, guess, a);
    while (!atomic_load(&started)) usleep(1000);
    usleep(200 * 1000);
    /* While the guess's bcrypt runs: a remembered pair passes, a new one is refused. */
    assert_true(webauth_check(a, "fast", "fast-pw"));
    assert_false(webauth_check(a, "slow", "slow-pw"));
    pthread_join(t, NULL);
    assert_true(webauth_check(a, "slow", "slow-pw"));   /* once nothing runs, it verifies */
    webauth_free(a);
}

static atomic_int stop_wrong;

static void *wrong_scraper(void *arg)
{
    /* a scraper with a wrong password, asking again and again */
    while (!atomic_load(&stop_wrong)) webauth_check(arg, "fast", "not-it");
    return NULL;
}

/* A scraper with a wrong password next to one with the right password: its failed pair is
 * remembered after its first bcrypt, so it never holds the one bcrypt slot again and the
 * right pair's first check is never refused for it. (When failures were not remembered,
 * the wrong scraper held the slot nearly all the time here and the right check was
 * refused.) */
static void test_a_wrong_scraper_cannot_keep_a_right_one_out(void **state)
{
    (void)state;
    webcfg_pair users[] = {{"fast", fast_hash}};
    webauth *a = webauth_new(users, 1);
    assert_false(webauth_check(a, "fast", "not-it"));   /* its one bcrypt */
    atomic_store(&stop_wrong, 0);
    pthread_t t;
    pthread_create(&t, NULL, wrong_scraper, a);
    usleep(20 * 1000);
    bool in = webauth_check(a, "fast", "fast-pw");
    atomic_store(&stop_wrong, 1);
    pthread_join(t, NULL);
    assert_true(in);
    assert_int_equal(webauth_bcrypt_runs(a), 2);   /* the wrong one's first, the right one's */
    webauth_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_and_cache),
        cmocka_unit_test(test_a_check_never_waits_for_another),
        cmocka_unit_test(test_a_wrong_scraper_cannot_keep_a_right_one_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
