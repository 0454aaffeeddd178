/* SPDX-License-Identifier: Apache-2.0 */
/* webauth: basic auth with bcrypt. See include/webauth.h. */
#include "webauth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"
#include "xalloc.h"

#define CACHE_SLOTS 64

struct webauth {
    webcfg_pair *users; /* owned copies */
    size_t n;
    pthread_mutex_t lock;        /* guards the two rings and runs */
    pthread_mutex_t bcrypt_lock; /* one bcrypt at a time; others do not wait for it */
    struct ring {
        unsigned char digest[CACHE_SLOTS][SHA256_DIGEST_LENGTH];
        size_t n, next;
    } good, bad;        /* pairs that verified, pairs that failed */
    unsigned long runs; /* bcrypt runs */
    struct budget {
        unsigned long long who; /* hash of the client's address; 0: free */
        double since;           /* when its window started */
        unsigned used;          /* uncached checks in it */
    } budgets[WEBAUTH_CLIENTS]; /* guarded by lock */
};

/* bcrypt of "x" with cost 10: what an unknown user's password is checked against. */
static const char dummy_hash[] = "$2b$10$jYsOrN2DJs7/BBxrswUjV.9MdMZI2xIQnhskFE/rySM08uu6qBuZG";

webauth *webauth_new(const webcfg_pair *users, size_t n)
{
    webauth *a = xcalloc(1, sizeof *a);
    a->users = xcalloc(n, sizeof *a->users);
    for (size_t i = 0; i < n; i++) a->users[i] = (webcfg_pair){xstrdup(users[i].name), xstrdup(users[i].value)};
    a->n = n;
    pthread_mutex_init(&a->lock, NULL);
    pthread_mutex_init(&a->bcrypt_lock, NULL);
    return a;
}

static bool same_users(const webauth *a, const webcfg_pair *users, size_t n)
{
    if (a->n != n) return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a->users[i].name, users[i].name) != 0 || strcmp(a->users[i].value, users[i].value) != 0)
            return false;
    return true;
}

webauth *webauth_new_from(webauth *old, const webcfg_pair *users, size_t n)
{
    webauth *a = webauth_new(users, n);
    if (old && same_users(old, users, n)) {
        pthread_mutex_lock(&old->lock); /* the rings only; old is not changed */
        a->good = old->good;
        a->bad = old->bad;
        pthread_mutex_unlock(&old->lock);
    }
    return a;
}

void webauth_free(webauth *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->users[i].name);
        explicit_bzero(a->users[i].value, strlen(a->users[i].value));
        free(a->users[i].value);
    }
    free(a->users);
    explicit_bzero(&a->good, sizeof a->good);
    explicit_bzero(&a->bad, sizeof a->bad);
    pthread_mutex_destroy(&a->lock);
    pthread_mutex_destroy(&a->bcrypt_lock);
    free(a);
}

bool webauth_required(const webauth *a) { return a && a->n > 0; }

static void pair_digest(const char *user, const char *password, unsigned char out[SHA256_DIGEST_LENGTH])
{
    /* user, its NUL, password: "ab"+"c" differs from "a"+"bc". */
    size_t ul = strlen(user) + 1, pl = strlen(password);
    unsigned char *both = xcalloc(1, ul + pl);
    memcpy(both, user, ul);
    memcpy(both + ul, password, pl);
    EVP_Digest(both, ul + pl, out, NULL, EVP_sha256(), NULL);
    explicit_bzero(both, ul + pl);
    free(both);
}

/* Callers hold a->lock. */
static bool ring_has(const struct ring *r, const unsigned char *d)
{
    bool hit = false;
    for (size_t i = 0; i < r->n; i++) hit |= CRYPTO_memcmp(r->digest[i], d, SHA256_DIGEST_LENGTH) == 0;
    return hit;
}

static void ring_add(struct ring *r, const unsigned char *d)
{
    memcpy(r->digest[r->next], d, SHA256_DIGEST_LENGTH);
    r->next = (r->next + 1) % CACHE_SLOTS;
    if (r->n < CACHE_SLOTS) r->n++;
}

/* Takes one uncached check from client's budget; false when it is spent. Callers hold
 * a->lock. The table keeps WEBAUTH_CLIENTS addresses; a new one takes the slot whose window
 * is oldest, so many addresses cannot push a guesser's spent budget out for long. */
static bool spend(webauth *a, const char *client, double now)
{
    unsigned long long who = hash_text(client ? client : "?") | 1;
    struct budget *b = NULL, *oldest = &a->budgets[0];
    for (size_t i = 0; i < WEBAUTH_CLIENTS && !b; i++) {
        if (a->budgets[i].who == who) b = &a->budgets[i];
        else if (a->budgets[i].since < oldest->since) oldest = &a->budgets[i];
    }
    if (!b) {
        b = oldest;
        *b = (struct budget){who, now, 0};
    }
    if (now - b->since >= WEBAUTH_BUDGET_SECONDS) {
        b->since = now;
        b->used = 0;
    }
    if (b->used >= WEBAUTH_BUDGET) return false;
    b->used++;
    return true;
}

/* Waits for the bcrypt slot at most WEBAUTH_WAIT_MS. */
static bool take_bcrypt(webauth *a)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)(WEBAUTH_WAIT_MS % 1000) * 1000000L;
    until.tv_sec += WEBAUTH_WAIT_MS / 1000 + until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    return pthread_mutex_timedlock(&a->bcrypt_lock, &until) == 0;
}

webauth_result webauth_check(webauth *a, const char *user, const char *password, const char *client, double now)
{
    if (!webauth_required(a)) return WEBAUTH_OK;
    if (!user || !password) return WEBAUTH_DENIED;
    unsigned char d[SHA256_DIGEST_LENGTH];
    pair_digest(user, password, d);
    pthread_mutex_lock(&a->lock);
    bool good = ring_has(&a->good, d), bad = !good && ring_has(&a->bad, d);
    bool allowed = good || bad || spend(a, client, now);
    pthread_mutex_unlock(&a->lock);
    if (good || bad || !allowed) {
        explicit_bzero(d, sizeof d);
        return good ? WEBAUTH_OK : bad ? WEBAUTH_DENIED : WEBAUTH_BUSY;
    }
    /* One bcrypt at a time (it is the CPU a guesser would take); a check waits for the
     * slot a bounded time, so a right password arriving while a guess is checked gets in. */
    if (!take_bcrypt(a)) {
        explicit_bzero(d, sizeof d);
        return WEBAUTH_BUSY;
    }
    const char *hash = dummy_hash;
    bool known = false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->users[i].name, user) == 0) {
            hash = a->users[i].value;
            known = true;
        }
    struct crypt_data *cd = xcalloc(1, sizeof *cd);
    const char *out = crypt_rn(password, hash, cd, sizeof *cd);
    size_t len = strlen(hash);
    bool ok = known && out && out[0] != '*' && strlen(out) == len && CRYPTO_memcmp(out, hash, len) == 0;
    explicit_bzero(cd, sizeof *cd);
    free(cd);
    pthread_mutex_unlock(&a->bcrypt_lock);
    pthread_mutex_lock(&a->lock);
    ring_add(ok ? &a->good : &a->bad, d);
    a->runs++;
    pthread_mutex_unlock(&a->lock);
    explicit_bzero(d, sizeof d);
    return ok ? WEBAUTH_OK : WEBAUTH_DENIED;
}

unsigned long webauth_bcrypt_runs(webauth *a)
{
    pthread_mutex_lock(&a->lock);
    unsigned long n = a->runs;
    pthread_mutex_unlock(&a->lock);
    return n;
}
