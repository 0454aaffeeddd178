/* diagnose: the ways Redis runs out of memory, as findings. Pure.
 *
 * Walks the list an expert walks when Redis answers "OOM command not allowed": usage
 * against the limit, the eviction policy, keys without a TTL, large keys, fragmentation
 * (and RSS below used memory), the OOM rejections themselves; then what eviction cannot
 * free (client buffers, the replication backlog, the script cache), forks against the
 * host's RAM and a missing limit. A replica that ignores maxmemory is judged as one. Each finding has a
 * stable id, a severity, the numbers behind it, why it matters and the command that
 * fixes it. A healthy instance yields no finding at all. */
#ifndef RME_DIAGNOSE_H
#define RME_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "derive.h"
#include "info.h"
#include "srvconf.h"

/* X(ID, "id", "why it matters") */
#define DIAGNOSE_FINDINGS(X) \
    X(MEMORY_NEAR_LIMIT, "memory_near_limit", \
      "At maxmemory Redis evicts keys or, if it cannot, rejects writes with OOM errors.") \
    X(NOEVICTION_AT_LIMIT, "noeviction_at_limit", \
      "With maxmemory-policy noeviction, every write that needs memory fails once the limit is reached.") \
    X(VOLATILE_WITHOUT_TTL_KEYS, "volatile_without_ttl_keys", \
      "A volatile-* policy may evict only keys with a TTL; with (almost) none, Redis rejects writes at the limit as if the policy were noeviction.") \
    X(LARGE_KEYS, "large_keys", \
      "A few very large keys take much of the memory, evict poorly and block Redis while they are read, written or deleted.") \
    X(FRAGMENTATION_HIGH, "fragmentation_high", \
      "The process holds much more memory (RSS) than its data needs; the host can run out of RAM long before maxmemory.") \
    X(RSS_BELOW_USED, "rss_below_used", \
      "RSS below used memory means part of Redis is swapped out: every access to it waits on the disk.") \
    X(OOM_REJECTIONS, "oom_rejections", \
      "Clients are getting 'OOM command not allowed when used memory > maxmemory': writes are failing now.") \
    X(CLIENT_OUTPUT_BUFFERS, "client_output_buffers", \
      "Client buffers (a subscriber or a MONITOR that does not read, huge replies) count against maxmemory, and " \
      "eviction cannot free them: evicting keys only loses data while the buffers stay.") \
    X(REPLICATION_BACKLOG, "replication_backlog", \
      "The replication backlog and replica buffers count against maxmemory like data, and eviction cannot free " \
      "them: a backlog sized for a long outage leaves little room for keys.") \
    X(SCRIPT_CACHE, "script_cache", \
      "Every distinct EVAL script text stays cached until SCRIPT FLUSH; scripts generated per call (values " \
      "pasted into the text instead of passed as ARGV) fill memory that eviction cannot free.") \
    X(FORK_MEMORY, "fork_memory", \
      "BGSAVE, AOF rewrites and full syncs fork Redis; pages written during the fork are copied. If the " \
      "limit plus that copy does not fit the host's RAM, the kernel kills Redis, whatever maxmemory says.") \
    X(NO_MEMORY_LIMIT, "no_memory_limit", \
      "Without maxmemory Redis grows until the host runs out of RAM; then the kernel's OOM killer ends it " \
      "(all data not yet persisted is lost) instead of Redis evicting or refusing writes.")

/* The ids as one string literal, " id1 id2 ...", for HELP texts: made from the table. */
#define DIAGNOSE_ID_WORD(id, name, why) " " name
#define DIAGNOSE_ID_LIST DIAGNOSE_FINDINGS(DIAGNOSE_ID_WORD)

#define DIAGNOSE_ENUM(id, name, why) DIAGNOSE_##id,
typedef enum diagnose_id { DIAGNOSE_FINDINGS(DIAGNOSE_ENUM) DIAGNOSE_COUNT } diagnose_id;
#undef DIAGNOSE_ENUM

typedef enum diagnose_severity { DIAGNOSE_OK = 0, DIAGNOSE_WARNING = 1, DIAGNOSE_CRITICAL = 2 } diagnose_severity;

/* The defaults: read by the flag table (config.c) and by diagnose_default_thresholds. */
#define DIAGNOSE_DEFAULT_MEMORY_WARNING 0.80
#define DIAGNOSE_DEFAULT_MEMORY_CRITICAL 0.95
#define DIAGNOSE_DEFAULT_FRAGMENTATION_RATIO 1.5
#define DIAGNOSE_DEFAULT_FRAGMENTATION_MIN_BYTES (100.0 * 1024 * 1024)
#define DIAGNOSE_DEFAULT_TTL_MIN_RATIO 0.01
#define DIAGNOSE_DEFAULT_LARGE_KEY_BYTES (1024.0 * 1024)
#define DIAGNOSE_DEFAULT_NO_LIMIT_HOST_SHARE 0.5

typedef struct diagnose_thresholds {
    double memory_warning;      /* used/max ratio */
    double memory_critical;
    double fragmentation_ratio;
    double fragmentation_min_bytes; /* wasted bytes before fragmentation matters */
    double ttl_min_ratio;       /* keys with a TTL below this share = "almost none" */
    double large_key_bytes;
    double no_limit_host_share; /* no maxmemory: used above this share of the host's RAM */
} diagnose_thresholds;

/* One key seen by the sampler. */
typedef struct diagnose_key {
    int db;
    char name[80];       /* printable, possibly truncated or a hash; see the sampler */
    char type[16];
    double bytes;        /* MEMORY USAGE */
} diagnose_key;

/* A key namespace (the key names' prefix up to a separator) as the sampler estimates it
 * over the whole keyspace. */
typedef struct diagnose_namespace {
    char name[80];       /* "session" for session:*, "" for keys without the separator; hashed
                            like key names with --sampler.hash-keys */
    double keys;         /* estimated keys */
    double bytes;        /* estimated MEMORY USAGE total */
    double ttl_ratio;    /* share of its keys with a TTL */
} diagnose_namespace;

typedef struct diagnose_input {
    const info_sample *sample;
    const derived *derived;
    const srvconf *conf;         /* CONFIG GET values; NULL or absent ones: unknown */
    const diagnose_key *largest; /* largest sampled keys, biggest first; may be NULL */
    size_t n_largest;
    const diagnose_namespace *namespaces;   /* biggest first; may be NULL */
    size_t n_namespaces;
    bool one_shot;               /* doctor: no rates; counts since start stand in for them */
} diagnose_input;

/* A finding as every target keeps it: which and how bad. Its words are made on demand
 * (diagnose_text), for the landing page and the doctor only: a fleet's reports stay small. */
typedef struct diagnose_finding {
    diagnose_id id;
    diagnose_severity severity;
} diagnose_finding;

typedef struct diagnose_text {
    char summary[320];   /* what was found, with its numbers */
    char fix[480];       /* the exact command(s), each marked `...` */
} diagnose_text;

typedef struct diagnose_result {
    diagnose_finding findings[DIAGNOSE_COUNT];
    size_t n;
    diagnose_severity worst;
} diagnose_result;

/* The DIAGNOSE_DEFAULT_* values. */
diagnose_thresholds diagnose_default_thresholds(void);
/* Runs every check; out holds the active findings in the table's order. With text (room
 * for DIAGNOSE_COUNT) each finding's words go to text[k] for out->findings[k]; NULL: ids
 * and severities only. */
void diagnose_run(const diagnose_input *in, const diagnose_thresholds *th, diagnose_result *out, diagnose_text *text);
const char *diagnose_id_name(diagnose_id id);
const char *diagnose_why(diagnose_id id);
const char *diagnose_severity_name(diagnose_severity s);

#endif
