/* SPDX-License-Identifier: Apache-2.0 */
/* creds: what each configured target AUTHs with, and its re-reading.
 *
 * Sources, first match wins: the password map file (credmap.h) entry for the target;
 * else the one password (REDIS_PASSWORD or --redis.password-file). The user is the
 * address's user@, else the map entry's, else --redis.user.
 *
 * A reload (SIGHUP, or an AUTH failure: a password or token may have been rotated)
 * reads the files again; what does not read keeps the previous values. Targets read
 * their credentials only when they open a connection, so a reload never drops a healthy
 * connection. Nothing here is ever logged but file names and counts.
 *
 * Threading: the event loop's thread only (targets read on the same thread). */
#ifndef RME_CREDS_H
#define RME_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "target.h"

typedef struct creds creds;

/* Reads the map file if cfg names one (cfg borrowed; must outlive it). NULL with the
 * reason in err when it does not parse. */
creds *creds_new(const config *cfg, char *err, size_t errlen);
/* Sets out to what addr AUTHs with: the strings are borrowed from c (or addr) and stay
 * valid until the next creds_reload or creds_free. file_password (may be NULL), a
 * target's own password file's content, wins over the map and the one password. */
void creds_resolve(const creds *c, const config_target *addr, const char *file_password, target_credentials *out);
/* Re-reads the password file and the map file. Returns 0, or -1 when one could not be
 * read (logged; its previous content stays). Every creds_resolve result is stale after
 * it: resolve again. */
int creds_reload(creds *c);
/* Whether an AUTH failure may re-read now: there is a file, and the last re-read was a
 * second ago or more (whatever the number of targets). Notes the time when true. */
bool creds_reload_due(creds *c);
/* Wipes every password and frees. NULL is ignored. */
void creds_free(creds *c);

#endif
