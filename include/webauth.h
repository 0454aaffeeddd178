/* SPDX-License-Identifier: Apache-2.0 */
/* webauth: HTTP basic authentication against bcrypt hashes.
 *
 * A password is checked with libxcrypt's crypt_rn and compared in constant time; a user
 * that does not exist costs the same bcrypt round, so timing does not tell which users
 * exist. Pairs that verified are remembered (as a SHA-256 of user and password, never the
 * password) so that a scraper pays bcrypt once, not every 15 seconds; so are pairs that
 * failed (the users do not change while this lives, so a pair that failed always will): a
 * scraper with a wrong password costs one bcrypt, not one a scrape, while every new guess
 * still pays it. A guesser cannot lock a right password out: each client address has a
 * budget of uncached checks (WEBAUTH_BUDGET in WEBAUTH_BUDGET_SECONDS; past it the answer
 * is "busy", a 429, and no bcrypt runs), and a check that finds bcrypt running waits for
 * it a bounded time (WEBAUTH_WAIT_MS) instead of being refused at once. A reload that
 * keeps the users and their hashes keeps what was remembered (webauth_new_from).
 *
 * Threading: immutable users; the cache has its own mutex. Safe from any HTTP thread. */
#ifndef RME_WEBAUTH_H
#define RME_WEBAUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "webcfg.h"

typedef struct webauth webauth;

#define WEBAUTH_BUDGET 5            /* uncached checks per client address ... */
#define WEBAUTH_BUDGET_SECONDS 10.0 /* ... in this long */
#define WEBAUTH_WAIT_MS 1500        /* the longest a check waits for the bcrypt slot */
#define WEBAUTH_CLIENTS 256         /* addresses whose budget is kept (the oldest is reused) */

typedef enum webauth_result { WEBAUTH_OK, WEBAUTH_DENIED, WEBAUTH_BUSY } webauth_result;

/* Copies the users (name, bcrypt hash). n may be 0: then webauth_check always succeeds. */
webauth *webauth_new(const webcfg_pair *users, size_t n);
/* The same for a reload: when the users and hashes equal old's, the remembered pairs are
 * carried over (a working scraper is not sent back to bcrypt by a certificate rotation). */
webauth *webauth_new_from(webauth *old, const webcfg_pair *users, size_t n);
void webauth_free(webauth *a);
bool webauth_required(const webauth *a);
/* OK when user and password match; user or password NULL never match. client names the
 * address the request came from (its budget); now is monotonic seconds. BUSY: the
 * client's budget is spent, or the bcrypt slot stayed taken for WEBAUTH_WAIT_MS. */
webauth_result webauth_check(webauth *a, const char *user, const char *password, const char *client, double now);
/* bcrypt runs so far (for the tests). */
unsigned long webauth_bcrypt_runs(webauth *a);

#endif
