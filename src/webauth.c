/* webauth: basic auth with bcrypt. See include/webauth.h. */
#include "webauth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define CACHE_SLOTS 64

struct webauth {
    webcfg_pair *users;            /* owned copies */
    size_t n;
    pthread_mutex_t lock;          /* guards the two rings and runs */
    pthread_mutex_t bcrypt_lock;   /* one bcrypt at a time; others do not wait for it */
    struct ring {
        unsigned char digest[CACHE_SLOTS][SHA256_DIGEST_LENGTH];
        size_t n, next;
    } good, bad;                   /* pairs that verified, pairs that failed */
    unsigned long runs;            /* bcrypt runs */
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

bool webauth_check(webauth *a, const char *user, const char *password)
{
    if (!webauth_required(a)) return true;
    if (!user || !password) return false;
    unsigned char d[SHA256_DIGEST_LENGTH];
    pair_digest(user, password, d);
    pthread_mutex_lock(&a->lock);
    bool good = ring_has(&a->good, d), bad = !good && ring_has(&a->bad, d);
    pthread_mutex_unlock(&a->lock);
    if (good || bad) {
        explicit_bzero(d, sizeof d);
        return good;
    }
    /* Password guessing must not take the HTTP threads: one bcrypt runs at a time, and a
     * request that finds one running is refused at once (a scraper whose pair verified
     * once never gets here again). */
    if (pthread_mutex_trylock(&a->bcrypt_lock) != 0) {
        explicit_bzero(d, sizeof d);
        return false;
    }
    const char *hash = dummy_hash;
    bool known = false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->users[i].name, user) == 0) { hash = a->users[i].value; known = true; }
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
    return ok;
}

unsigned long webauth_bcrypt_runs(webauth *a)
{
    pthread_mutex_lock(&a->lock);
    unsigned long n = a->runs;
    pthread_mutex_unlock(&a->lock);
    return n;
}
