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
/* The credentials of cfg->targets[i]; the pointer stays valid (its content changes on
 * reload) until creds_free. */
const target_credentials *creds_of(const creds *c, size_t i);
/* Re-reads the password file and the map file. Returns 0, or -1 when one could not be
 * read (logged; its previous content stays). */
int creds_reload(creds *c);
/* After an AUTH failure: reloads when there is a file to read, at most once a second
 * whatever the number of targets. */
void creds_auth_failed(creds *c);
/* Wipes every password and frees. NULL is ignored. */
void creds_free(creds *c);

#endif
