/* SPDX-License-Identifier: Apache-2.0 */
/* memstats: what MEMORY STATS adds to INFO. Pure.
 *
 * The target asks MEMORY STATS at most once a minute (it walks every db's tables) and
 * feeds each name/value pair of the reply here, and each pair inside a "db.N" entry with
 * its db; where MEMORY is refused (an ACL, a managed service) it is not asked again and
 * nothing here is known. */
#ifndef RME_MEMSTATS_H
#define RME_MEMSTATS_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#define MEMSTATS_MAX_DBS 16 /* dbs reported at most: bounds the metric's cardinality */

typedef struct memstats {
    bool known; /* a MEMORY STATS reply was read */
    bool has_bytes_per_key;
    double bytes_per_key; /* keys.bytes-per-key */
    bool has_dataset_ratio;
    double dataset_ratio; /* dataset.percentage / 100 */
    size_t n_dbs;
    struct {
        int db;
        double hashtable; /* overhead.hashtable.* of that db, summed */
    } dbs[MEMSTATS_MAX_DBS];
} memstats;

/* Starts a new reply: forgets what the previous one said. */
void memstats_begin(memstats *m);
/* A top-level pair; names not used here are ignored. */
void memstats_set(memstats *m, const char *name, double value);
/* A pair inside "db.N". */
void memstats_set_db(memstats *m, int db, const char *name, double value);
/* Reads a MEMORY STATS reply (name, value, ...; a "db.N" value is itself such a list),
 * as a lying server may shape it: whatever is not a name and a number is skipped. false
 * (nothing changed) when it is not an array. */
bool memstats_read_reply(memstats *m, const redisReply *r);
/* The keyspace's hash-table overhead over every reported db. */
double memstats_hashtable_total(const memstats *m);

#endif
