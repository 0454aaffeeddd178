/* SPDX-License-Identifier: Apache-2.0 */
/* srvconf: the server settings read with CONFIG GET, one row each. Pure.
 *
 *   X(ID, "parameter", "metric name" or NULL, "HELP text")
 *
 * The target asks each parameter once a minute (one CONFIG GET per row: servers before
 * 7.0 take one pattern per call); the doctor's --from-file reads the same pairs from a
 * pasted `CONFIG GET` output. yes/no become 1/0; "save" becomes its number of save
 * points (0: no RDB snapshots); "maxmemory-policy" becomes its index in
 * srvconf_policy_names; other values must be numbers. Where CONFIG is refused
 * (ACL, renamed, a managed service) every value is absent and `refused` is set. */
#ifndef RME_SRVCONF_H
#define RME_SRVCONF_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#define SRVCONF_PARAMS(X) \
    X(ACTIVEDEFRAG, "activedefrag", NULL, "") \
    X(MAXMEMORY, "maxmemory", "redis_config_maxmemory", \
      "maxmemory as CONFIG GET reports it (asked once a minute; absent where CONFIG is refused).") \
    X(MAXCLIENTS, "maxclients", "redis_config_maxclients", \
      "maxclients as CONFIG GET reports it (asked once a minute; absent where CONFIG is refused).") \
    X(REPLICA_IGNORE_MAXMEMORY, "replica-ignore-maxmemory", NULL, "") \
    X(SAVE, "save", NULL, "") \
    X(MAXMEMORY_POLICY, "maxmemory-policy", NULL, "")

#define SRVCONF_ENUM(id, name, metric, help) SRVCONF_##id,
typedef enum srvconf_param { SRVCONF_PARAMS(SRVCONF_ENUM) SRVCONF_COUNT } srvconf_param;
#undef SRVCONF_ENUM

typedef struct srvconf {
    bool refused; /* CONFIG GET was refused: CONFIG SET fixes go through the
                                     service's own console (parameter groups, ...) */
    bool has[SRVCONF_COUNT];
    double v[SRVCONF_COUNT];
} srvconf;

typedef struct srvconf_desc {
    const char *name;   /* the parameter */
    const char *metric; /* NULL: read for the diagnosis only */
    const char *help;
} srvconf_desc;

extern const srvconf_desc srvconf_table[SRVCONF_COUNT];

/* The maxmemory-policy values, NULL-terminated; SRVCONF_MAXMEMORY_POLICY is an index. */
extern const char *const srvconf_policy_names[];

/* Records one name/value pair; returns false (and changes nothing) for a parameter not in
 * the table or a value that does not read. name matching ignores case; Redis's older
 * alias slave-ignore-maxmemory is taken as replica-ignore-maxmemory. */
bool srvconf_set(srvconf *c, const char *name, const char *value);
/* Reads a CONFIG GET reply for one parameter ([name, value]); false when it is not of that
 * shape (an empty array: the server has no such parameter) or srvconf_set refuses it. */
bool srvconf_read_reply(srvconf *c, const redisReply *r);
/* Reads the pairs of a pasted `CONFIG GET` output in text[0..len): redis-cli's plain form
 * (name and value on alternate lines) or its terminal form (1) "name" / 2) "value").
 * Lines of other kinds (INFO's name:value, MEMORY STATS) are skipped. Returns the number
 * of settings recorded. */
int srvconf_parse_pasted(srvconf *c, const char *text, size_t len);
/* true with *out set when the parameter is known. */
bool srvconf_get(const srvconf *c, srvconf_param p, double *out);

#endif
