/* SPDX-License-Identifier: Apache-2.0 */
/* sampler: the key sampler, as a pure state machine. No I/O, no clock, no hiredis.
 *
 * It finds large keys with read-only commands only: SELECT, SCAN ... COUNT, then
 * MEMORY USAGE ... SAMPLES, TYPE and PTTL for each key SCAN returned. The caller (target) sends
 * the commands it is given, in order, and feeds each reply back as plain data; the
 * sampler answers with the next commands. A token bucket (keys per second) bounds the
 * work, and in the daemon a step is skipped while Redis answers slower than usual, so
 * sampling never adds to a problem. Any error reply switches the sampler off for good
 * (an old server without MEMORY, an ACL without SCAN).
 *
 * Ownership: a sampler_cmd's argv points into the sampler (numbers, cursor) and into the
 * key bytes the caller passed to sampler_on_scan; send the commands before the next call
 * into the sampler and before the caller's reply is freed. */
#ifndef RME_SAMPLER_H
#define RME_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>

#include "diagnose.h"
#include "histo.h"
#include "info.h"

#define SAMPLER_MAX_TOP_KEYS 32
#define SAMPLER_STEP_MAX_KEYS 64
/* Keys of one SCAN reply kept for later steps; Redis returns about COUNT (64) keys, a few
 * times that while it rehashes: only a lying server passes this (counted as skipped). */
#define SAMPLER_BACKLOG_MAX 4096
/* Commands one call can return at most: SELECT, then MEMORY USAGE, TYPE and PTTL for
 * every key of a step. */
#define SAMPLER_MAX_CMDS (1 + 3 * SAMPLER_STEP_MAX_KEYS)
/* Namespaces (key prefixes) counted per SCAN cycle; more go to one "(other)" bucket. */
#define SAMPLER_NS_TRACKED 64
/* Namespaces published (the largest by bytes): bounds the metric's cardinality. */
#define SAMPLER_MAX_NAMESPACES 10
/* Bytes by time-to-live: keys whose TTL is at most sampler_ttl_le[i] seconds (the last is
 * +Inf: every key with a TTL). Keys without one are counted apart. */
#define SAMPLER_TTL_BUCKETS 5
extern const double sampler_ttl_le[SAMPLER_TTL_BUCKETS];
extern const char *const sampler_ttl_le_text[SAMPLER_TTL_BUCKETS];
#define SAMPLER_TTL_HOUR 1 /* the bucket of keys that expire within an hour */
/* Whole cycles remembered per namespace for its growth: enough to span an hour of short
 * cycles, and a long cycle's previous end. */
#define SAMPLER_GROWTH_POINTS 8

typedef struct sampler_opts {
    double keys_per_second;           /* budget (> 0) */
    unsigned top_n;                   /* 1..SAMPLER_MAX_TOP_KEYS largest keys kept */
    unsigned memory_samples;          /* MEMORY USAGE ... SAMPLES n (0 = every element) */
    bool hash_keys;                   /* show a keyed hash instead of the key name */
    const unsigned char *hash_secret; /* HMAC key for hash_keys (borrowed, outlives) */
    size_t hash_secret_len;
    unsigned long max_keys; /* one_shot: stop after this many keys (0 = one whole cycle) */
    bool one_shot;          /* doctor: steps back to back, no budget or slowness pause */
    char ns_separator;      /* a key's namespace is its name up to this byte */
} sampler_opts;

/* What each reply answers. */
typedef enum sampler_reply {
    SAMPLER_SELECT,
    SAMPLER_SCAN,
    SAMPLER_MEMORY_USAGE,
    SAMPLER_TYPE,
    SAMPLER_PTTL
} sampler_reply;

typedef struct sampler_cmd {
    int argc;
    const char *argv[5];
    size_t lens[5];
    sampler_reply kind;
    int slot; /* MEMORY USAGE / TYPE: which key of the step */
} sampler_cmd;

/* One key name from a SCAN reply: borrowed bytes (binary-safe). */
typedef struct sampler_name {
    const char *s;
    size_t len;
} sampler_name;

/* What the sampler has found: the input of the diagnosis and of the metrics. */
typedef struct sampler_summary {
    bool active;                                /* enabled and not switched off */
    char off_reason[48];                        /* why it was switched off ("" if not): an
                                                    error reply's code ("error reply NOPERM")
                                                    or a reply of the wrong shape */
    diagnose_key largest[SAMPLER_MAX_TOP_KEYS]; /* biggest first: last whole cycle and this one */
    size_t n_largest;
    histo sizes;     /* every size sampled */
    double sampled;  /* MEMORY USAGE answers in total */
    double skipped;  /* keys past SAMPLER_BACKLOG_MAX in one reply */
    bool cycle_done; /* a whole SCAN cycle over every db has ended */
    /* Namespaces, biggest first: the last whole cycle's, or, before one ended, this one's
     * so far extrapolated to the keyspace's size in the last INFO. */
    diagnose_namespace namespaces[SAMPLER_MAX_NAMESPACES];
    size_t n_namespaces;
    double namespace_basis; /* keys the estimate is made from */
    /* Bytes by time-to-live as sampled (PTTL when MEMORY USAGE was asked), counted like
     * the namespaces; ttl_bytes is cumulative: [i] holds keys with TTL <= sampler_ttl_le[i]. */
    bool has_ttl_bytes; /* at least one key sampled */
    double ttl_bytes[SAMPLER_TTL_BUCKETS];
    double persistent_bytes; /* keys without a TTL */
} sampler_summary;

/* What a report points to when it has no sampler: nothing sampled, not active. */
extern const sampler_summary sampler_none;

typedef struct sampler sampler;

/* A new sampler (free with sampler_free); now is the caller's monotonic time. */
sampler *sampler_new(const sampler_opts *o, double now);
void sampler_free(sampler *s);

/* Starts a step if the budget and Redis's speed allow and no step is in flight, and
 * returns how many commands it wrote into out (cap >= SAMPLER_MAX_CMDS), 0 for none:
 * SELECT and MEMORY USAGE + TYPE for keys an earlier SCAN returned that are still to be
 * sampled, else SELECT and SCAN. keyspace is the last INFO (which dbs have keys);
 * poll_duration is the last poll's, in seconds. */
size_t sampler_begin(sampler *s, const info_sample *keyspace, double poll_duration, double now, sampler_cmd *out,
                     size_t cap);
/* The SCAN reply: the new cursor and the keys. Every key will be sampled: as many as the
 * budget allows now (MEMORY USAGE and TYPE written into out, cap >= SAMPLER_MAX_CMDS; the
 * count is returned), the rest in the next steps, before any new SCAN. */
size_t sampler_on_scan(sampler *s, const info_sample *keyspace, const char *cursor, size_t cursor_len,
                       const sampler_name *keys, size_t n, sampler_cmd *out, size_t cap);
/* MEMORY USAGE answered with a size (a nil reply, for a key gone since SCAN, is not fed). */
void sampler_on_bytes(sampler *s, int slot, double bytes);
/* TYPE answered. */
void sampler_on_type(sampler *s, int slot, const char *type, size_t len);
/* PTTL answered: milliseconds, -1 for no TTL (-2, gone, is not fed). */
void sampler_on_ttl(sampler *s, int slot, double ms);
/* A reply was an error or had the wrong shape (why, copied, says which): the sampler
 * switches off for good. Returns true when that is news (the caller logs it once). */
bool sampler_on_error(sampler *s, const char *why);
/* Counts one reply in (call after each of the on_* above, and for a reply that is not
 * fed, like SELECT's OK). Returns true when it completed the step: the keys are then
 * recorded in the summary. */
bool sampler_reply_in(sampler *s);
/* The connection was lost: the step in flight is dropped (its keys are not recorded). */
void sampler_abort_step(sampler *s);
/* Replies the step in flight still waits for. */
size_t sampler_pending(const sampler *s);
/* After a step: whether to start another one now (one_shot: until a whole cycle or
 * max_keys; daemon: while budget is left and no poll is in flight). */
bool sampler_wants_more(const sampler *s, bool poll_in_flight);
const sampler_summary *sampler_get_summary(const sampler *s);
/* The summary's bytes by TTL as the diagnosis reads them. */
diagnose_ttl_split sampler_ttl_split(const sampler_summary *sum);

/* The name shown for a key: printable and cut at 64 bytes (\xNN for other bytes), or,
 * with a secret, "hash:" and the first 16 hex digits of HMAC-SHA256(secret, key): without
 * the secret a name cannot be recovered by hashing guesses. Exposed for the tests. */
void sampler_display_name(const char *key, size_t len, const unsigned char *secret, size_t secret_len, char *out,
                          size_t cap);

#endif
