/* SPDX-License-Identifier: Apache-2.0 */
/* seat: what one target or discovery seed connects with: its spec, the credentials
 * resolved for it (the map, the one password, its own password file), and its TLS context,
 * shared by every seat with the same settings (the nodes of one Cluster seed all have
 * them: one CA store in memory, not one per node). A seat_pool owns the credentials
 * source and the contexts.
 *
 * Threading: the event loop's thread only. */
#ifndef RME_SEAT_H
#define RME_SEAT_H

#include <stdbool.h>

#include "config.h"
#include "creds.h"
#include "target.h"
#include "tls.h"
#include "tspec.h"

typedef struct seat_pool seat_pool;

typedef struct seat {
    tspec spec;
    target_credentials cred;
    char *file_pw;          /* owned, wiped: the first line of spec.password_file (a
                                sentinel seed: spec.sentinel_password_file) */
    struct seat_share *tls; /* one reference when spec.tls (shared by equal settings) */
} seat;

/* A pool for cfg (borrowed; outlives it). NULL with a reason in err when the password
 * map does not parse. */
seat_pool *seat_pool_new(const config *cfg, char *err, size_t errlen);
void seat_pool_free(seat_pool *p);
/* The context of the global --tls.* settings, made on first use; NULL (logged once) when
 * they do not load. */
tls_client *seat_pool_global_tls(seat_pool *p);
/* Re-reads the password file and the map (creds_reload); whether one is due after an
 * AUTH failure (creds_reload_due). */
int seat_pool_reload(seat_pool *p);
bool seat_pool_reload_due(seat_pool *p);

/* Fills s for a copy of spec; from: the seed's seat when spec was discovered from it (a
 * node gets what its seed resolves to, never what its own address would find in the map:
 * a lying node must not collect another server's password). Free with seat_free. */
void seat_init(seat_pool *p, seat *s, const tspec *spec, const seat *from);
void seat_free(seat_pool *p, seat *s);
/* Reads the spec's own password file again (if any) and resolves the credentials anew. */
void seat_credentials(seat_pool *p, seat *s, const seat *from);
/* A seat to re-seat, the seed's seat it was discovered from (NULL: none), and whether
 * a change of its credentials is counted (a target's; a seed's is not). */
typedef struct seat_ref {
    seat *s;
    const seat *from;
    bool counted;
} seat_ref;
/* Re-reads the password file and the map, then every seat's own password file, and
 * resolves each seat's credentials anew; *changed: the counted seats whose user or
 * password changed. Returns seat_pool_reload's result. */
int seat_pool_reseat(seat_pool *p, const seat_ref *seats, size_t n, size_t *changed);
/* The TLS context s connects with (borrowed), NULL for a plain address or when it failed. */
tls_client *seat_tls(seat_pool *p, seat *s);

#endif
