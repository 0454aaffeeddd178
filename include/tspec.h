/* SPDX-License-Identifier: Apache-2.0 */
/* tspec: one target as configured or discovered, before it is polled: its address, the
 * labels it carries, its credentials by reference, its TLS settings and sampler budget,
 * and where it came from. Owned strings; tspec_copy / tspec_free. Pure.
 *
 * Two specs with the same tspec_key are the same target: a reload or a rediscovery that
 * yields an equal key keeps the target (and its connection); tspec_same_connection says
 * whether the connection may be kept when other parts changed (labels may change in
 * place). */
#ifndef RME_TSPEC_H
#define RME_TSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "netallow.h"

#define TSPEC_MAX_LABELS 16

typedef enum tspec_origin {
    TSPEC_STATIC,   /* --redis.addr */
    TSPEC_FILE,     /* --targets.file */
    TSPEC_CLUSTER,  /* discovered from a Cluster seed */
    TSPEC_SENTINEL, /* discovered from Sentinels */
} tspec_origin;

typedef enum tspec_discover { TSPEC_DISCOVER_NONE, TSPEC_DISCOVER_CLUSTER, TSPEC_DISCOVER_SENTINEL } tspec_discover;

/* Roles a target may have (sampler: {roles: [replica]} keeps key sampling off primaries). */
enum { TSPEC_ROLE_PRIMARY = 1 << 0, TSPEC_ROLE_REPLICA = 1 << 1 };

typedef struct tspec_label {
    char *name, *value; /* owned */
} tspec_label;

typedef struct tspec {
    config_target addr; /* addr.label is the key and the addr label */
    tspec_label labels[TSPEC_MAX_LABELS];
    size_t n_labels;
    char *password_file;    /* owned; NULL = the map / the one password */
    config_tls *tls;        /* owned; NULL = the global --tls.* settings */
    double keys_per_second; /* < 0 = --sampler.keys-per-second */
    unsigned sampler_roles; /* TSPEC_ROLE_* the sampler runs on; 0 = any */
    char *watch;            /* owned; watched keys (watch.h's format); NULL = --keys.watch */
    tspec_origin origin;
    tspec_discover discover;      /* a seed or sentinel to discover from, not a target */
    char *master;                 /* owned; sentinel: the master's name */
    char *sentinel_user;          /* owned; sentinel: the sentinels' own ACL user, NULL = user */
    char *sentinel_password_file; /* owned; sentinel: the sentinels' own password, NULL = the
                                      masters' (password_file, the map, the one password) */
    netallow *allow;              /* owned; a discovering item's allow: list, NULL = the
                                      seed's own scope (netallow_default); never on a node */
} tspec;

/* The key two specs of one target share: addr.label ("host:port[/db]" or the path). */
static inline const char *tspec_key(const tspec *s) { return s->addr.label; }

/* What --targets.shard hashes to pick the replica that polls s: its key, except that a
 * Cluster goes whole to one replica, its seed and every node found from it hashed by the
 * cluster's name (the `cluster` label, else the seed's key): the fullest-shard series and
 * the one-shard finding (clusters.h) need every primary of the Cluster in one place.
 * Borrowed from s. */
const char *tspec_share_key(const tspec *s);
/* A deep copy of src into dst. */
void tspec_copy(tspec *dst, const tspec *src);
/* Frees what s owns and zeroes it. */
void tspec_free(tspec *s);
/* Adds or replaces a label (copied). Returns -1 when the spec has TSPEC_MAX_LABELS. */
int tspec_set_label(tspec *s, const char *name, const char *value);
/* The value of label name, or NULL. */
const char *tspec_label_value(const tspec *s, const char *name);
/* Whether name may be a user label: a Prometheus label name, not "__"-prefixed and not
 * one the exporter's own series use (addr, db, key, ...). */
bool tspec_label_name_ok(const char *name);
/* Whether a target made from a may keep its connection when the spec becomes b: same
 * address and scheme, user, password file, TLS settings. */
bool tspec_same_connection(const tspec *a, const tspec *b);
/* Whether a running target made from a can become b in place (only labels differ):
 * the same connection, sampler budget and roles, and watched keys, which the target is
 * made with. */
bool tspec_same_target(const tspec *a, const tspec *b);
/* Whether everything is equal (labels and budget too). */
bool tspec_equal(const tspec *a, const tspec *b);

#endif
