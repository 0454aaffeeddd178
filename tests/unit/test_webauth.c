/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for basic auth: bcrypt checks, the caches of verified and failed pairs,
 * unknown users, each address's budget of uncached checks, the bounded wait for the bcrypt
 * slot, and the cache carried across a reload with the same users. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <crypt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "webauth.h"

static char slow_hash[128], fast_hash[128];

static void make_hashes(void)
{
    /* cost 11: a few hundred ms, long enough to overlap, well inside WEBAUTH_WAIT_MS; cost 4: quick */
    char salt[64];
    strcpy(salt, crypt_gensalt("$2b$", 11, NULL, 0));
    strcpy(slow_hash, crypt("slow-pw", salt));
    strcpy(salt, crypt_gensalt("$2b$", 4, NULL, 0));
    strcpy(fast_hash, crypt("fast-pw", salt));
}

#define OK WEBAUTH_OK
#define NO WEBAUTH_DENIED
#define BUSY WEBAUTH_BUSY

static void test_checks_and_cache(void **state)
{
    (void)state;
    make_hashes();
    webcfg_pair users[] = {{"fast", fast_hash}};
    webauth *a = webauth_new(users, 1);
    assert_true(webauth_required(a));
    assert_int_equal(webauth_check(a, "fast", "wrong", "c", 1), NO);
    assert_int_equal(webauth_check(a, "nobody", "fast-pw", "c", 1), NO);
    assert_int_equal(webauth_check(a, NULL, "fast-pw", "c", 1), NO);
    assert_int_equal(webauth_check(a, "fast", NULL, "c", 1), NO);
    assert_int_equal(webauth_bcrypt_runs(a), 2);
    assert_int_equal(webauth_check(a, "fast", "fast-pw", "c", 1), OK);
    assert_int_equal(webauth_check(a, "fast", "fast-pw", "c", 1), OK); /* now from the cache */
    assert_int_equal(webauth_bcrypt_runs(a), 3);
    assert_int_equal(webauth_check(a, "fas", "tfast-pw", "c", 1), NO); /* user/password split matters */
    /* A pair that failed is remembered too: a scraper with a wrong password costs one
     * bcrypt, not one a scrape; a new guess still pays one. */
    assert_int_equal(webauth_check(a, "fast", "wrong", "c", 1), NO);
    assert_int_equal(webauth_check(a, "nobody", "fast-pw", "c", 1), NO);
    assert_int_equal(webauth_bcrypt_runs(a), 4);
    assert_int_equal(webauth_check(a, "fast", "wrong-2", "c", 1), NO);
    assert_int_equal(webauth_bcrypt_runs(a), 5);
    webauth_free(a);
    webauth *open = webauth_new(NULL, 0);
    assert_false(webauth_required(open));
    assert_int_equal(webauth_check(open, NULL, NULL, "c", 1), OK);
    webauth_free(open);
}

/* Each address has WEBAUTH_BUDGET uncached checks a window: a guesser is told "busy" (no
 * bcrypt runs) while another address is checked as usual, and a remembered pair never
 * spends budget. */
static void test_budget_per_address(void **state)
{
    (void)state;
    webcfg_pair users[] = {{"fast", fast_hash}};
    webauth *a = webauth_new(users, 1);
    char guess[32];
    for (int i = 0; i < WEBAUTH_BUDGET; i++) {
        snprintf(guess, sizeof guess, "guess-%d", i);
        assert_int_equal(webauth_check(a, "fast", guess, "10.0.0.3", 100), NO);
    }
    unsigned long runs = webauth_bcrypt_runs(a);
    assert_int_equal(webauth_check(a, "fast", "guess-x", "10.0.0.3", 101), BUSY);
    assert_int_equal(webauth_bcrypt_runs(a), runs);                             /* no bcrypt for it */
    assert_int_equal(webauth_check(a, "fast", "guess-0", "10.0.0.3", 101), NO); /* remembered: free */
    assert_int_equal(webauth_check(a, "fast", "fast-pw", "10.0.0.1", 101), OK); /* another address */
    assert_int_equal(webauth_check(a, "fast", "guess-y", "10.0.0.3", 100 + WEBAUTH_BUDGET_SECONDS), NO);
    webauth_free(a);
}

static atomic_int started;

static void *slow_guess(void *arg)
{
    atomic_store(&started, 1);
    webauth_check(arg, "slow", "a guess", "10.0.0.3", 1); /* a whole slow bcrypt */
    return NULL;
}

/* While a guess's bcrypt runs, a right pair arriving waits for the slot (a bounded time)
 * and gets in, instead of being refused at once as before (44 of 44 refused, issue 21). */
static void test_a_right_pair_waits_for_the_slot(void **state)
{
    (void)state;
    webcfg_pair users[] = {{"slow", slow_hash}, {"fast", fast_hash}};
    webauth *a = webauth_new(users, 2);
    atomic_store(&started, 0);
    pthread_t t;
    pthread_create(&t, NULL, slow_guess, a);
    while (!atomic_load(&started)) usleep(1000);
    usleep(20 * 1000);
    assert_int_equal(webauth_check(a, "fast", "fast-pw", "10.0.0.1", 1), OK);
    pthread_join(t, NULL);
    assert_int_equal(webauth_bcrypt_runs(a), 2);
    webauth_free(a);
}

/* A reload that keeps the users keeps what was verified; one that changes them does not. */
static void test_reload_keeps_the_cache(void **state)
{
    (void)state;
    webcfg_pair users[] = {{"fast", fast_hash}};
    webauth *a = webauth_new(users, 1);
    assert_int_equal(webauth_check(a, "fast", "fast-pw", "c", 1), OK);
    webauth *b = webauth_new_from(a, users, 1);
    assert_int_equal(webauth_check(b, "fast", "fast-pw", "c", 1), OK);
    assert_int_equal(webauth_bcrypt_runs(b), 0); /* no bcrypt: carried over */
    webcfg_pair other[] = {{"fast", slow_hash}};
    webauth *c = webauth_new_from(b, other, 1);
    assert_int_equal(webauth_check(c, "fast", "fast-pw", "c", 1), NO); /* checked against the new hash */
    assert_int_equal(webauth_bcrypt_runs(c), 1);
    webauth_free(a);
    webauth_free(b);
    webauth_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_and_cache),
        cmocka_unit_test(test_budget_per_address),
        cmocka_unit_test(test_a_right_pair_waits_for_the_slot),
        cmocka_unit_test(test_reload_keeps_the_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
