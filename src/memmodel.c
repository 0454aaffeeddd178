/* SPDX-License-Identifier: Apache-2.0 */
/* memmodel: the memory accounting model. See include/memmodel.h. */
#include "memmodel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PART_NAME(id, name, words, from) name,
#define PART_WORDS(id, name, words, from) words,
#define PART_FROM(id, name, words, from) from,
static const char *const used_names[] = {MEMMODEL_USED_PARTS(PART_NAME)};
static const char *const used_words[] = {MEMMODEL_USED_PARTS(PART_WORDS)};
static const char *const used_from[] = {MEMMODEL_USED_PARTS(PART_FROM)};
#undef PART_NAME
#undef PART_WORDS
#undef PART_FROM

#define CMD_SINCE(id, since) since,
static const unsigned cmd_since[MEMMODEL_CMD_COUNT] = {MEMMODEL_COMMANDS(CMD_SINCE)};
#undef CMD_SINCE

/* A generous bound on what the keyspace's own dict entries and bucket arrays take per key
 * (main and expires tables, rehashing doubles the buckets): more than that is not the
 * keyspace's. */
#define KEYSPACE_OVERHEAD_PER_KEY 128.0

const char *memmodel_part_name(memmodel_part p) { return used_names[p]; }
const char *memmodel_part_words(memmodel_part p) { return used_words[p]; }
const char *memmodel_part_from(memmodel_part p) { return used_from[p]; }

bool memmodel_used(const memmodel *m, memmodel_part p, double *bytes)
{
    if (!(m->used_known & (1u << p))) return false;
    *bytes = m->used_part[p];
    return true;
}

bool memmodel_rss(const memmodel *m, memmodel_rss_part p, double *bytes)
{
    if (!(m->rss_known & (1u << p))) return false;
    *bytes = m->rss_part[p];
    return true;
}

bool memmodel_has(const memmodel *m, memmodel_cmd c)
{
    if (m->version < cmd_since[c]) return false;
    if (c == MEMMODEL_CMD_MEMORY_PURGE || c == MEMMODEL_CMD_ACTIVEDEFRAG)
        return m->allocator == MEMMODEL_ALLOC_JEMALLOC;
    return true;
}

void memmodel_fill_from_config(info_sample *s, const srvconf *c)
{
    double v;
    if (!info_get(s, INFO_MAXMEMORY, &v) && srvconf_get(c, SRVCONF_MAXMEMORY, &v) && v >= 0) {
        s->num[INFO_MAXMEMORY] = v;
        s->has_num[INFO_MAXMEMORY] = true;
        s->from_config |= INFO_FROM_CONFIG_MAXMEMORY;
    }
    if (!info_text_get(s, INFO_MAXMEMORY_POLICY) && srvconf_get(c, SRVCONF_MAXMEMORY_POLICY, &v)) {
        const char *name = srvconf_policy_names[(int)v];
        info_text_set(s, INFO_MAXMEMORY_POLICY, name, strlen(name));
        if (info_text_get(s, INFO_MAXMEMORY_POLICY)) s->from_config |= INFO_FROM_CONFIG_POLICY;
    }
}

/* "7.0.15", "8.0.2-beta.2", "3.2.100" -> 700, 800, 302; false when it does not read. */
static bool parse_version(const char *v, unsigned *out)
{
    unsigned major, minor;
    if (!v || sscanf(v, "%u.%u", &major, &minor) != 2 || major > 99 || minor > 99) return false;
    *out = major * 100 + minor;
    return true;
}

/* Without redis_version (a paste of INFO memory alone), the fields say at least how new
 * the server is: each row is a field and the version that brought it. */
static unsigned version_floor(const info_sample *s, const char *allocator)
{
    static const struct {
        info_num f;
        unsigned since;
    } rows[] = {
        {INFO_USED_MEMORY_VM_EVAL, 700},     {INFO_MEM_CLUSTER_LINKS, 700},    {INFO_USED_MEMORY_FUNCTIONS, 700},
        {INFO_CLIENT_MAX_INPUT_BUFFER, 500}, {INFO_MEM_CLIENTS_NORMAL, 500},   {INFO_ALLOC_FRAG_RATIO, 500},
        {INFO_USED_MEMORY_DATASET, 400},     {INFO_USED_MEMORY_OVERHEAD, 400}, {INFO_MAXMEMORY, 302},
        {INFO_TOTAL_SYSTEM_MEMORY, 302},     {INFO_USED_MEMORY_LUA, 206},
    };
    unsigned floor_v = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (s->has_num[rows[i].f] && !(rows[i].f == INFO_MAXMEMORY && (s->from_config & INFO_FROM_CONFIG_MAXMEMORY)) &&
            rows[i].since > floor_v)
            floor_v = rows[i].since;
    /* Redis bundles jemalloc 5.x from 5.0 on, 4.0.3 in 3.2 and 4.0, 3.x from late 2.4
     * releases to 3.0 (2.4.18 has 3.2.0). */
    unsigned major;
    if (allocator && sscanf(allocator, "jemalloc-%u", &major) == 1) {
        unsigned by_alloc = major >= 5 ? 500 : major == 4 ? 302 : major == 3 ? 204 : 0;
        if (by_alloc > floor_v) floor_v = by_alloc;
    }
    return floor_v;
}

static memmodel_allocator allocator_of(const char *a)
{
    if (!a) return MEMMODEL_ALLOC_UNKNOWN;
    if (strncmp(a, "jemalloc", 8) == 0) return MEMMODEL_ALLOC_JEMALLOC;
    if (strcmp(a, "libc") == 0) return MEMMODEL_ALLOC_LIBC;
    return MEMMODEL_ALLOC_OTHER;
}

static void set_used(memmodel *m, memmodel_part p, double v)
{
    m->used_part[p] = v;
    m->used_known |= (uint16_t)(1u << p);
}

static void set_rss(memmodel *m, memmodel_rss_part p, double v)
{
    m->rss_part[p] = v;
    m->rss_known |= (uint16_t)(1u << p);
}

/* One overhead part from fields that each may be absent: known if any of them is there. */
static bool sum_fields(const info_sample *s, const info_num *f, size_t n, double *out)
{
    bool any = false;
    double v, total = 0;
    for (size_t i = 0; i < n; i++)
        if (info_get(s, f[i], &v) && v >= 0) {
            total += v;
            any = true;
        }
    *out = total;
    return any;
}

/* The overhead parts, each known where this version reports it (a paste of part of
 * INFO memory keeps what it has). */
static void overhead_parts(memmodel *m, const info_sample *s)
{
    double v;
    if (info_get(s, INFO_MEM_CLIENTS_NORMAL, &v)) set_used(m, MEMMODEL_CLIENTS, v);
    /* 7.0+ shares one buffer between the backlog and the replicas: its total, once */
    if (info_get(s, INFO_MEM_TOTAL_REPL_BUFFERS, &v)) set_used(m, MEMMODEL_REPLICATION, v);
    else if (sum_fields(s, (const info_num[]){INFO_MEM_REPL_BACKLOG, INFO_MEM_CLIENTS_SLAVES}, 2, &v))
        set_used(m, MEMMODEL_REPLICATION, v);
    if (info_get(s, INFO_MEM_AOF_BUFFER, &v)) set_used(m, MEMMODEL_AOF, v);
    /* 7.0+ splits EVAL scripts from functions; before, used_memory_scripts is the cache */
    if (sum_fields(s, (const info_num[]){INFO_USED_MEMORY_SCRIPTS_EVAL, INFO_USED_MEMORY_FUNCTIONS}, 2, &v))
        set_used(m, MEMMODEL_SCRIPTS, v);
    else if (info_get(s, INFO_USED_MEMORY_SCRIPTS, &v)) set_used(m, MEMMODEL_SCRIPTS, v);
    if (info_get(s, INFO_MEM_CLUSTER_LINKS, &v)) set_used(m, MEMMODEL_CLUSTER_LINKS, v);
    if (info_get(s, INFO_USED_MEMORY_STARTUP, &v)) set_used(m, MEMMODEL_STARTUP, v);
}

/* used_memory = dataset + overhead: the data and "other" (what is left of the overhead
 * after its known parts; the unknown parts are inside it) need both, consistent. */
static void used_parts(memmodel *m, const info_sample *s)
{
    overhead_parts(m, s);
    double dataset, overhead;
    if (!m->has_used || !info_get(s, INFO_USED_MEMORY_DATASET, &dataset) ||
        !info_get(s, INFO_USED_MEMORY_OVERHEAD, &overhead))
        return;
    /* A dataset or overhead above used_memory (the unsigned underflow of 7.4.2) is a
     * reporting bug: the breakdown cannot be trusted then. */
    if (dataset < 0 || overhead < 0 || dataset > m->used * 1.01 || overhead > m->used * 1.01) return;
    m->has_breakdown = true;
    set_used(m, MEMMODEL_DATA, dataset);
    double known = 0;
    for (int p = MEMMODEL_CLIENTS; p < MEMMODEL_OTHER; p++)
        if (m->used_known & (1u << p)) known += m->used_part[p];
    /* Counters are read at slightly different moments: never a negative part. */
    set_used(m, MEMMODEL_OTHER, overhead > known ? overhead - known : 0);
}

/* RSS beyond used_memory, from the allocator's own figures where the version has them. */
static void rss_parts(memmodel *m, const info_sample *s)
{
    double v, engines = 0;
    /* Lua (and 7.0's function engine) allocates outside used_memory, inside RSS. */
    if (info_get(s, INFO_USED_MEMORY_VM_TOTAL, &v) ||
        sum_fields(s, (const info_num[]){INFO_USED_MEMORY_VM_EVAL, INFO_USED_MEMORY_VM_FUNCTIONS}, 2, &v) ||
        info_get(s, INFO_USED_MEMORY_LUA, &v)) {
        engines = v;
        set_rss(m, MEMMODEL_ENGINES, v);
    }
    if (info_get(s, INFO_ALLOC_FRAG_BYTES, &v)) set_rss(m, MEMMODEL_ALLOC_FRAG, v);
    if (info_get(s, INFO_ALLOC_RSS_BYTES, &v)) set_rss(m, MEMMODEL_ALLOC_RSS, v);
    /* Lua's malloc is jemalloc's where Redis links the system's jemalloc (Debian): then the
     * engines are inside the allocator's figures and nothing of them is outside */
    if (info_get(s, INFO_RSS_OVERHEAD_BYTES, &v)) set_rss(m, MEMMODEL_OUTSIDE, fmax(0, v - engines));
}

void memmodel_build(memmodel *m, const info_sample *s, const memstats *st)
{
    memset(m, 0, sizeof *m);
    m->has_used = info_get(s, INFO_USED_MEMORY, &m->used);
    m->has_rss = info_get(s, INFO_USED_MEMORY_RSS, &m->rss);
    m->has_peak = info_get(s, INFO_USED_MEMORY_PEAK, &m->peak);
    m->has_host = info_get(s, INFO_TOTAL_SYSTEM_MEMORY, &m->host) && m->host > 0;
    if (info_get(s, INFO_MAXMEMORY, &m->max) && m->max >= 0)
        m->max_from = s->from_config & INFO_FROM_CONFIG_MAXMEMORY ? MEMMODEL_FROM_CONFIG : MEMMODEL_FROM_INFO;
    m->policy = info_text_get(s, INFO_MAXMEMORY_POLICY);
    if (m->policy)
        m->policy_from = s->from_config & INFO_FROM_CONFIG_POLICY ? MEMMODEL_FROM_CONFIG : MEMMODEL_FROM_INFO;
    const char *allocator = info_text_get(s, INFO_MEM_ALLOCATOR);
    m->allocator = allocator_of(allocator);
    m->version_known = parse_version(info_text_get(s, INFO_REDIS_VERSION), &m->version);
    if (!m->version_known) m->version = version_floor(s, allocator);
    used_parts(m, s);
    rss_parts(m, s);
    m->has_biggest_input = info_get(s, INFO_CLIENT_BIGGEST_INPUT_BUF, &m->biggest_input);
    m->has_longest_output = info_get(s, INFO_CLIENT_LONGEST_OUTPUT_LIST, &m->longest_output);
    m->has_recent_input = info_get(s, INFO_CLIENT_MAX_INPUT_BUFFER, &m->recent_input);
    m->has_recent_output = info_get(s, INFO_CLIENT_MAX_OUTPUT_BUFFER, &m->recent_output);
    m->has_keyspace = s->has_keyspace;
    for (size_t i = 0; i < s->n_dbs; i++) m->keys += s->dbs[i].keys;
    if (st && st->known) {
        m->has_hashtables = true;
        m->hashtables = memstats_hashtable_total(st);
    }
}

double memmodel_rss_excess(const memmodel *m)
{
    if (!m->has_rss || !m->has_used) return 0;
    double engines = 0;
    memmodel_rss(m, MEMMODEL_ENGINES, &engines);
    return m->rss - m->used - engines;
}

bool memmodel_unexplained(const memmodel *m, double *bytes)
{
    double other;
    if (!memmodel_used(m, MEMMODEL_OTHER, &other)) return false;
    double keyspace = m->has_hashtables ? m->hashtables : m->has_keyspace ? m->keys * KEYSPACE_OVERHEAD_PER_KEY : 0;
    *bytes = fmax(0, other - keyspace);
    return true;
}
