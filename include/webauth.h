/* webauth: HTTP basic authentication against bcrypt hashes.
 *
 * A password is checked with libxcrypt's crypt_rn and compared in constant time; a user
 * that does not exist costs the same bcrypt round, so timing does not tell which users
 * exist. Pairs that verified are remembered (as a SHA-256 of user and password, never the
 * password) so that a scraper pays bcrypt once, not every 15 seconds; so are pairs that
 * failed (the users do not change while this lives, so a pair that failed always will): a
 * scraper with a wrong password costs one bcrypt, not one a scrape, while every new guess
 * still pays it. Only one bcrypt runs at a time: a check that would have to wait for
 * another is refused at once, so guessing cannot occupy the HTTP threads while a scraper
 * whose pair is remembered is answered without bcrypt. (Before failures were remembered, a
 * wrong-password job scraping at the same phase as a right one, as Prometheus' fixed
 * offsets can make it, kept the right one's first bcrypt refused for good.)
 *
 * Threading: immutable users; the cache has its own mutex. Safe from any HTTP thread. */
#ifndef RME_WEBAUTH_H
#define RME_WEBAUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "webcfg.h"

typedef struct webauth webauth;

/* Copies the users (name, bcrypt hash). n may be 0: then webauth_check always succeeds. */
webauth *webauth_new(const webcfg_pair *users, size_t n);
void webauth_free(webauth *a);
bool webauth_required(const webauth *a);
/* True when user and password match; user or password NULL never match. */
bool webauth_check(webauth *a, const char *user, const char *password);
/* bcrypt runs so far (for the tests). */
unsigned long webauth_bcrypt_runs(webauth *a);

#endif
