/* SPDX-License-Identifier: Apache-2.0 */
/* diagnose: the ways Redis runs out of memory, as a table of findings. Pure.
 *
 * Each row of the table is one cause: decide(model, settings) says whether it holds and
 * how badly (every poll, no text), explain(verdict) gives its words and fix (only when the
 * landing page or the doctor asks). Every row decides from the memory accounting model
 * (memmodel.h), so a part this version does not report is unknown, never 0. The rows come
 * in the order of cause: what holds memory that eviction cannot free first, then the limit
 * and what happens at it, then RSS beyond used memory, then the host. When a holder owns
 * the memory under pressure, no other row offers eviction, TTLs, deletions or a higher
 * limit as the fix; no fix prints a command the server's version lacks (memmodel_has).
 * Each finding has a stable id and a severity: info (a note: no alert, no exit status),
 * warning or critical. A healthy instance yields no finding at all. */
#ifndef RME_DIAGNOSE_H
#define RME_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "derive.h"
#include "info.h"
#include "memmodel.h"
#include "srvconf.h"

/* X(ID, "id", "why it matters"), in the order of cause: a target's findings, then the
 * one decided across a Cluster's targets (clusters.h). */
#define DIAGNOSE_FINDINGS(X) DIAGNOSE_TARGET_FINDINGS(X) DIAGNOSE_FLEET_FINDINGS(X)
#define DIAGNOSE_TARGET_FINDINGS(X) \
    X(CLIENT_QUERY_BUFFERS, "client_query_buffers", \
      "Commands that clients are still sending (or send faster than Redis reads them) wait in query buffers; " \
      "they count against maxmemory and eviction cannot free them: evicting keys only loses data.") \
    X(CLIENT_OUTPUT_BUFFERS, "client_output_buffers", \
      "Client buffers (a subscriber or a MONITOR that does not read, huge replies) count against maxmemory, and " \
      "eviction cannot free them: evicting keys only loses data while the buffers stay.") \
    X(CLUSTER_LINKS, "cluster_links", \
      "Each Cluster bus link buffers what it has yet to send (PUBLISH goes to every node); a slow link holds " \
      "memory that counts against maxmemory and that eviction cannot free.") \
    X(REPLICATION_BACKLOG, "replication_backlog", \
      "The replication backlog and replica buffers count against maxmemory like data, and eviction cannot free " \
      "them: a backlog sized for a long outage leaves little room for keys.") \
    X(SCRIPT_CACHE, "script_cache", \
      "Every distinct EVAL script text stays cached, and compiled in the Lua engine, until SCRIPT FLUSH; scripts " \
      "generated per call (values pasted into the text instead of passed as ARGV) fill memory that eviction cannot " \
      "free.") \
    X(MEMORY_NOT_DATA, "memory_not_data", \
      "Most of used memory is not data and no field this server reports says what holds it (client buffers, " \
      "replication, scripts): eviction cannot free it and a higher limit only lets it grow.") \
    X(KEY_GROWING_UNBOUNDED, "key_growing_unbounded", \
      "A watched list or stream that only grows (a queue nobody consumes, a stream written without MAXLEN) " \
      "takes memory until the limit: then eviction or OOM errors, and its entries are lost or the writes fail.") \
    X(MEMORY_NEAR_LIMIT, "memory_near_limit", \
      "At maxmemory Redis evicts keys or, if it cannot, rejects writes with OOM errors.") \
    X(NOEVICTION_AT_LIMIT, "noeviction_at_limit", \
      "With maxmemory-policy noeviction, every write that needs memory fails once the limit is reached.") \
    X(VOLATILE_WITHOUT_TTL_KEYS, "volatile_without_ttl_keys", \
      "A volatile-* policy may evict only keys with a TTL; with (almost) none, Redis rejects writes at the limit as " \
      "if the policy were noeviction.") \
    X(OOM_REJECTIONS, "oom_rejections", \
      "Clients are getting 'OOM command not allowed when used memory > maxmemory': writes are failing now.") \
    X(LARGE_KEYS, "large_keys", \
      "A few very large keys take much of the memory, evict poorly and block Redis while they are read, written or " \
      "deleted.") \
    X(MEMORY_KEPT_AFTER_PEAK, "memory_kept_after_peak", \
      "After a peak the allocator keeps the freed memory for reuse instead of giving it back: RSS stays near the " \
      "peak. Harmless while the host has the RAM; Redis reuses it before it asks for more.") \
    X(FRAGMENTATION_HIGH, "fragmentation_high", \
      "The process holds much more memory (RSS) than its data needs; the host can run out of RAM long before " \
      "maxmemory.") \
    X(RSS_BELOW_USED, "rss_below_used", \
      "RSS below used memory means pages Redis allocated are not in RAM: swapped out (every access then waits " \
      "on the disk) or never touched (zero pages, harmless). INFO cannot tell which.") \
    X(FORK_MEMORY, "fork_memory", \
      "BGSAVE, AOF rewrites and full syncs fork Redis; pages written during the fork are copied. If the " \
      "limit plus that copy does not fit the host's RAM, the kernel kills Redis, whatever maxmemory says.") \
    X(NO_MEMORY_LIMIT, "no_memory_limit", \
      "Without maxmemory Redis grows until the host runs out of RAM; then the kernel's OOM killer ends it " \
      "(all data not yet persisted is lost) instead of Redis evicting or refusing writes.")
#define DIAGNOSE_FLEET_FINDINGS(X) \
    X(SHARD_NEAR_LIMIT_ALONE, "shard_near_limit_alone", \
      "One Cluster shard is near its limit while the others are well below: hot slots or large keys in that " \
      "shard. Raising every node's limit does not help; moving slots (or splitting the key) does.")

/* A target's ids as one string literal, " id1 id2 ...", for redis_memory_finding's HELP:
 * made from the table. */
#define DIAGNOSE_ID_WORD(id, name, why) " " name
#define DIAGNOSE_ID_LIST DIAGNOSE_TARGET_FINDINGS(DIAGNOSE_ID_WORD)

#define DIAGNOSE_ENUM(id, name, why) DIAGNOSE_##id,
typedef enum diagnose_id { DIAGNOSE_FINDINGS(DIAGNOSE_ENUM) DIAGNOSE_COUNT } diagnose_id;
#undef DIAGNOSE_ENUM

/* info: a note (what is known, what to check); no alert, and the doctor's exit status
 * does not count it. */
typedef enum diagnose_severity {
    DIAGNOSE_OK = 0,
    DIAGNOSE_INFO,
    DIAGNOSE_WARNING,
    DIAGNOSE_CRITICAL
} diagnose_severity;

/* The defaults: read by the flag table (config.c) and by diagnose_default_thresholds. */
#define DIAGNOSE_DEFAULT_MEMORY_WARNING 0.80
#define DIAGNOSE_DEFAULT_MEMORY_CRITICAL 0.95
#define DIAGNOSE_DEFAULT_FRAGMENTATION_RATIO 1.5
#define DIAGNOSE_DEFAULT_FRAGMENTATION_MIN_BYTES (100.0 * 1024 * 1024)
#define DIAGNOSE_DEFAULT_TTL_MIN_RATIO 0.01
#define DIAGNOSE_DEFAULT_LARGE_KEY_BYTES (1024.0 * 1024)
#define DIAGNOSE_DEFAULT_NO_LIMIT_HOST_SHARE 0.5

typedef struct diagnose_thresholds {
    double memory_warning; /* used/max ratio */
    double memory_critical;
    double fragmentation_ratio;
    double fragmentation_min_bytes; /* wasted bytes before fragmentation matters */
    double ttl_min_ratio;           /* keys with a TTL below this share = "almost none" */
    double large_key_bytes;
    double no_limit_host_share; /* no maxmemory: used above this share of the host's RAM */
} diagnose_thresholds;

/* One key seen by the sampler. */
typedef struct diagnose_key {
    int db;
    char name[80]; /* printable, possibly truncated or a hash; see the sampler */
    char type[16];
    double bytes; /* MEMORY USAGE */
} diagnose_key;

/* A key namespace (the key names' prefix up to a separator) as the sampler estimates it
 * over the whole keyspace. */
typedef struct diagnose_namespace {
    char name[80];           /* "session" for session:*, "" for keys without the separator; hashed
                            like key names with --sampler.hash-keys */
    double keys;             /* estimated keys */
    double bytes;            /* estimated MEMORY USAGE total */
    double ttl_ratio;        /* share of its keys with a TTL */
    double persistent_bytes; /* estimated bytes of its keys without a TTL */
    double hour_bytes;       /* estimated bytes of its keys whose TTL ends within an hour */
    bool has_growth;         /* two whole sampler cycles seen it */
    double growth_per_hour;  /* bytes an hour between them (negative: shrinking) */
} diagnose_namespace;

/* A client as CLIENT LIST showed it, asked only while a client buffer finding is active:
 * the one to name in the fix. Text is printable and safe inside a `command`. */
#define DIAGNOSE_MAX_CLIENTS 3
typedef struct diagnose_client {
    unsigned long long id;
    char addr[48];
    char name[48];    /* "" when it has none */
    char cmd[32];     /* its last command */
    double bytes;     /* the buffer the list is ranked by (omem or qbuf) */
    bool has_tot_mem; /* 6.0+: all it holds */
    double tot_mem;
} diagnose_client;

/* The clients holding the most, biggest first: by output buffer and by query buffer. */
typedef struct diagnose_clients {
    bool listed; /* a CLIENT LIST answered since the finding became active */
    diagnose_client output[DIAGNOSE_MAX_CLIENTS], query[DIAGNOSE_MAX_CLIENTS];
    size_t n_output, n_query;
} diagnose_clients;

/* A watched key (--keys.watch) as the watcher last saw it. */
typedef struct diagnose_watched {
    int db;
    char name[80]; /* printable, cut at 64 bytes (the sampler's rules) */
    char type[16]; /* "" until TYPE answered */
    bool present;  /* found in its last visit: a missing key has no figures */
    bool has_size; /* a type with a length (list, stream, set, zset, hash, string) */
    double size;
    bool has_memory;
    double memory;    /* MEMORY USAGE */
    bool growing;     /* its length grew at every point of the last growth window */
    double grew_from; /* the length at the window's start (when growing) */
    double window;    /* seconds the growth spans (when growing) */
} diagnose_watched;

/* The sampled data split by time-to-live (estimated over the keyspace): what expiry will
 * free by itself and what eviction under volatile-* can reach. */
typedef struct diagnose_ttl_split {
    bool known;
    double hour_bytes;       /* TTL ends within an hour */
    double ttl_bytes;        /* any TTL */
    double persistent_bytes; /* no TTL */
} diagnose_ttl_split;

typedef struct diagnose_input {
    const info_sample *sample;
    const memmodel *model; /* of sample */
    const derived *derived;
    const srvconf *conf;         /* CONFIG GET values; NULL or absent ones: unknown */
    const diagnose_key *largest; /* largest sampled keys, biggest first; may be NULL */
    size_t n_largest;
    const diagnose_namespace *namespaces; /* biggest first; may be NULL */
    size_t n_namespaces;
    diagnose_ttl_split ttl;          /* from the sampler; known = false without one */
    const diagnose_clients *clients; /* may be NULL: not listed */
    const diagnose_watched *watched; /* --keys.watch; may be NULL */
    size_t n_watched;
    bool one_shot; /* doctor: no rates; counts since start stand in for them */
} diagnose_input;

/* What expiry frees by itself, in words for the page and the doctor ("38 % of the data
 * expires within an hour; `session:*`: 2.1 GiB never expires"); "" when not known. */
void diagnose_ttl_sentence(const diagnose_ttl_split *t, const diagnose_namespace *ns, size_t n, char *out, size_t cap);

/* A finding as every target keeps it: which and how bad. Its words are made on demand
 * (diagnose_text), for the landing page and the doctor only: a fleet's reports stay small. */
typedef struct diagnose_finding {
    uint8_t id;       /* diagnose_id */
    uint8_t severity; /* diagnose_severity */
    uint8_t cause;    /* which of a row's causes (its explain picks the words) */
} diagnose_finding;

typedef struct diagnose_text {
    char summary[560]; /* what was found, with its numbers */
    char fix[480];     /* the exact command(s), each marked `...` */
} diagnose_text;

typedef struct diagnose_result {
    diagnose_finding findings[DIAGNOSE_COUNT];
    size_t n;
    diagnose_severity worst;
} diagnose_result;

/* The DIAGNOSE_DEFAULT_* values. */
diagnose_thresholds diagnose_default_thresholds(void);
/* Decides every row: out holds the active findings in the table's order (ids, severities,
 * causes; no words). The Cluster row is decided across targets (clusters.h), not here. */
void diagnose_run(const diagnose_input *in, const diagnose_thresholds *th, diagnose_result *out);
/* The words of the findings diagnose_run gave for the same input: text[k] for
 * res->findings[k]. */
void diagnose_explain(const diagnose_input *in, const diagnose_thresholds *th, const diagnose_result *res,
                      diagnose_text *text);
/* The order a person reads res's findings in: the worst first, and of one severity the
 * causes before what they lead to (near the limit, OOM rejections), else the table's
 * order. order receives res->n indices into res->findings. */
void diagnose_reading_order(const diagnose_result *res, size_t *order);
/* What the doctor's exit status makes of a severity: 0 ok and info, 1 warning, 2 critical. */
int diagnose_exit_status(diagnose_severity s);
const char *diagnose_id_name(diagnose_id id);
const char *diagnose_why(diagnose_id id);
const char *diagnose_severity_name(diagnose_severity s);

#endif
