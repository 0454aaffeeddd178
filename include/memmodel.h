/* SPDX-License-Identifier: Apache-2.0 */
/* memmodel: where a server's memory goes, part by part, from whatever its version reports.
 * Pure: no I/O, no clock, no globals.
 *
 * From one INFO sample of any version (2.x to 8.x and the forks), the CONFIG GET values
 * (asked, or pasted beside a saved INFO) and MEMORY STATS where it was allowed, it says:
 *   - the parts of used_memory (data, client buffers, replication, AOF, scripts, cluster
 *     links, startup, the rest of the overhead), each known, or unknown on this version
 *     or in this paste, never a 0 that stands for "not reported";
 *   - the parts of RSS beyond used_memory (allocator fragmentation, pages the allocator
 *     keeps, the script engines that live outside used_memory, the rest outside the
 *     allocator) and how much of it is memory kept after a peak;
 *   - the limit, the policy and where each came from (INFO or CONFIG GET), the host's RAM,
 *     the version (read, or bounded from the fields its INFO has) and the allocator;
 *   - what older servers say of their clients instead of a byte count.
 * Every finding decides from this, so a version without a field is "unknown", never 0. */
#ifndef RME_MEMMODEL_H
#define RME_MEMMODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "info.h"
#include "memstats.h"
#include "srvconf.h"

/* The parts of used_memory: X(ID, "label value", "words", "where it comes from"). With
 * every part known they sum to used_memory. The label values are those of
 * redis_memory_breakdown_bytes. */
#define MEMMODEL_USED_PARTS(X) \
    X(DATA, "data", "data", "used_memory_dataset") \
    X(CLIENTS, "client_buffers", "client buffers", "mem_clients_normal") \
    X(REPLICATION, "replication", "replication", "mem_replication_backlog + mem_clients_slaves") \
    X(AOF, "aof_buffer", "AOF buffer", "mem_aof_buffer") \
    X(SCRIPTS, "scripts", "scripts", "used_memory_scripts") \
    X(CLUSTER_LINKS, "cluster_links", "cluster bus links", "mem_cluster_links") \
    X(STARTUP, "startup", "startup", "used_memory_startup") \
    X(OTHER, "other_overhead", "keyspace and other overhead", "used_memory_overhead less the parts above")

/* The parts of RSS beyond used_memory: X(ID, "where it comes from"). */
#define MEMMODEL_RSS_PARTS(X) \
    X(ALLOC_FRAG, "allocator_frag_bytes") \
    X(ALLOC_RSS, "allocator_rss_bytes") \
    X(ENGINES, "used_memory_vm_total or used_memory_lua") \
    X(OUTSIDE, "rss_overhead_bytes less the engines")

#define MEMMODEL_ENUM(id, name, words, from) MEMMODEL_##id,
typedef enum memmodel_part { MEMMODEL_USED_PARTS(MEMMODEL_ENUM) MEMMODEL_USED_COUNT } memmodel_part;
#undef MEMMODEL_ENUM
#define MEMMODEL_RSS_ENUM(id, from) MEMMODEL_##id,
typedef enum memmodel_rss_part { MEMMODEL_RSS_PARTS(MEMMODEL_RSS_ENUM) MEMMODEL_RSS_COUNT } memmodel_rss_part;
#undef MEMMODEL_RSS_ENUM

/* Where a value came from. */
typedef enum memmodel_source { MEMMODEL_ABSENT, MEMMODEL_FROM_INFO, MEMMODEL_FROM_CONFIG } memmodel_source;

typedef enum memmodel_allocator {
    MEMMODEL_ALLOC_UNKNOWN,
    MEMMODEL_ALLOC_JEMALLOC,
    MEMMODEL_ALLOC_LIBC,
    MEMMODEL_ALLOC_OTHER
} memmodel_allocator;

typedef struct memmodel {
    bool has_used, has_rss, has_peak, has_host;
    double used, rss, peak, host;          /* host: total_system_memory, > 0 */
    memmodel_source max_from, policy_from; /* policy_from: policy is set when not ABSENT */
    double max;                            /* 0: no limit; valid when max_from != ABSENT */
    const char *policy;                    /* NULL when absent; borrowed from the sample */
    /* The version: read from redis_version, or only bounded below by the fields INFO
     * has (a paste without its Server section). */
    bool version_known;
    unsigned version; /* major * 100 + minor: 702 for 7.2.x; the
                                                  lower bound when !version_known */
    memmodel_allocator allocator;
    /* used_memory's parts; known only with used_memory, dataset and overhead reported
     * and consistent (a dataset above used_memory is a reporting bug: 7.4.2). */
    bool has_breakdown;
    uint16_t used_known; /* bit per memmodel_part */
    double used_part[MEMMODEL_USED_COUNT];
    /* RSS beyond used_memory; excess = rss - used (negative: RSS below used). */
    uint16_t rss_known; /* bit per memmodel_rss_part */
    double rss_part[MEMMODEL_RSS_COUNT];
    /* What servers say of their clients where no byte count exists (before 5.0), and
     * the recent maxima of 5.0+. */
    bool has_biggest_input, has_longest_output, has_recent_input, has_recent_output;
    double biggest_input;               /* client_biggest_input_buf, bytes */
    double longest_output;              /* client_longest_output_list, entries */
    double recent_input, recent_output; /* client_recent_max_*_buffer, bytes */
    bool has_keyspace;
    double keys; /* over all dbs, when has_keyspace */
    bool has_hashtables;
    double hashtables; /* MEMORY STATS overhead.hashtable.* */
    bool has_swap;
    double swap; /* the process's VmSwap, where it could be read
                                                  (set by the caller: INFO has no swap) */
} memmodel;

/* Builds the model of sample s (after memmodel_fill_from_config, where CONFIG GET values
 * are known) and MEMORY STATS m (NULL or !m->known: none). Never fails: what is not there
 * is unknown. out borrows text from s: it is valid while s is unchanged. */
void memmodel_build(memmodel *out, const info_sample *s, const memstats *m);

/* A used_memory part's or RSS part's value: true with *bytes set when known. */
bool memmodel_used(const memmodel *m, memmodel_part p, double *bytes);
bool memmodel_rss(const memmodel *m, memmodel_rss_part p, double *bytes);
/* Label value, words and source field of a used_memory part. */
const char *memmodel_part_name(memmodel_part p);
const char *memmodel_part_words(memmodel_part p);
const char *memmodel_part_from(memmodel_part p);
/* RSS above used_memory less the script engines (which live outside used_memory on every
 * version): what fragmentation, kept pages and other outside memory add up to. 0 when RSS
 * or used memory is unknown. */
double memmodel_rss_excess(const memmodel *m);
/* The non-data part of used_memory that no known holder explains: the "other" overhead
 * less what the keyspace's own hash tables can take (MEMORY STATS when known, else a
 * generous bound per key). false when the breakdown is unknown. */
bool memmodel_unexplained(const memmodel *m, double *bytes);

/* Commands and settings whose presence depends on the version (and the allocator): a
 * fix may print one only when memmodel_has says the server has it. */
#define MEMMODEL_COMMANDS(X) \
    X(CONFIG_REWRITE, 208) \
    X(SCRIPT_FLUSH, 206) \
    X(OUTPUT_BUFFER_LIMIT, 206) \
    X(CLIENT_KILL_ID, 300) \
    X(UNLINK, 400) \
    X(MEMORY_USAGE, 400) \
    X(MEMORY_PURGE, 400) \
    X(ACTIVEDEFRAG, 400) \
    X(QUERY_BUFFER_LIMIT, 400) \
    X(CLIENT_LIST_TYPE, 500) \
    X(MAXMEMORY_CLIENTS, 700) \
    X(CLIENT_NO_EVICT, 700) \
    X(FUNCTION_LOAD, 700) \
    X(CLUSTER_LINK_LIMIT, 700)
#define MEMMODEL_CMD_ENUM(id, since) MEMMODEL_CMD_##id,
typedef enum memmodel_cmd { MEMMODEL_COMMANDS(MEMMODEL_CMD_ENUM) MEMMODEL_CMD_COUNT } memmodel_cmd;
#undef MEMMODEL_CMD_ENUM
/* true when the server certainly has it: its version (or the lower bound) is recent
 * enough, and for MEMORY PURGE and active defrag its allocator is jemalloc. */
bool memmodel_has(const memmodel *m, memmodel_cmd c);

/* Fills what a sample lacks from the CONFIG GET values: maxmemory (INFO before 3.2 has
 * none) and maxmemory_policy (before 2.6). The sample then reads as if INFO had said so;
 * memmodel_build tells the two apart by s->from_config. */
void memmodel_fill_from_config(info_sample *s, const srvconf *c);

#endif
