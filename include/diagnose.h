/* diagnose: the five ways Redis runs out of memory, as findings. Pure.
 *
 * Walks the list an expert walks when Redis answers "OOM command not allowed": usage
 * against the limit, the eviction policy, keys without a TTL, large keys, fragmentation
 * (and RSS below used memory), plus the OOM rejections themselves. Each finding has a
 * stable id, a severity, the numbers behind it, why it matters and the command that
 * fixes it. A healthy instance yields no finding at all. */
#ifndef RME_DIAGNOSE_H
#define RME_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "derive.h"
#include "info.h"

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
      "eviction cannot free them: evicting keys only loses data while the buffers stay.")

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

typedef struct diagnose_thresholds {
    double memory_warning;      /* used/max ratio */
    double memory_critical;
    double fragmentation_ratio;
    double fragmentation_min_bytes; /* wasted bytes before fragmentation matters */
    double ttl_min_ratio;       /* keys with a TTL below this share = "almost none" */
    double large_key_bytes;
} diagnose_thresholds;

/* One key seen by the sampler. */
typedef struct diagnose_key {
    int db;
    char name[80];       /* printable, possibly truncated or a hash; see the sampler */
    char type[16];
    double bytes;        /* MEMORY USAGE */
} diagnose_key;

typedef struct diagnose_input {
    const info_sample *sample;
    const derived *derived;
    bool has_defrag_enabled;     /* CONFIG GET activedefrag answered */
    bool defrag_enabled;
    const diagnose_key *largest; /* largest sampled keys, biggest first; may be NULL */
    size_t n_largest;
    bool one_shot;               /* doctor: no rates; counts since start stand in for them */
} diagnose_input;

typedef struct diagnose_finding {
    diagnose_id id;
    diagnose_severity severity;
    char summary[320];   /* what was found, with its numbers */
    char fix[400];       /* the exact command(s) */
} diagnose_finding;

typedef struct diagnose_result {
    diagnose_finding findings[DIAGNOSE_COUNT];
    size_t n;
    diagnose_severity worst;
} diagnose_result;

/* The DIAGNOSE_DEFAULT_* values. */
diagnose_thresholds diagnose_default_thresholds(void);
/* Runs every check; out holds the active findings in the table's order. */
void diagnose_run(const diagnose_input *in, const diagnose_thresholds *th, diagnose_result *out);
const char *diagnose_id_name(diagnose_id id);
const char *diagnose_why(diagnose_id id);
const char *diagnose_severity_name(diagnose_severity s);

#endif
