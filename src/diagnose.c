/* SPDX-License-Identifier: Apache-2.0 */
/* diagnose: the findings table. See include/diagnose.h.
 *
 * A row is {id, decide, explain}. decide reads the context (the model, the derived values,
 * the settings, and what every row shares: the pressure, the holder that owns the advice)
 * and returns a severity (DIAGNOSE_OK: not active) and a cause; explain writes the words
 * for that verdict from the same context. The context is rebuilt from the same input for
 * explain, so the numbers a finding shows are the ones it was decided on. */
#include "diagnose.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"

#define DIAGNOSE_NAME(id, name, why) name,
static const char *const finding_names[DIAGNOSE_COUNT] = {DIAGNOSE_FINDINGS(DIAGNOSE_NAME)};
#undef DIAGNOSE_NAME
#define DIAGNOSE_WHY(id, name, why) why,
static const char *const finding_why[DIAGNOSE_COUNT] = {DIAGNOSE_FINDINGS(DIAGNOSE_WHY)};
#undef DIAGNOSE_WHY

const char *diagnose_id_name(diagnose_id id) { return finding_names[id]; }
const char *diagnose_why(diagnose_id id) { return finding_why[id]; }

const char *diagnose_severity_name(diagnose_severity s)
{
    static const char *const names[] = {"ok", "info", "warning", "critical"};
    return names[s];
}

int diagnose_exit_status(diagnose_severity s) { return s == DIAGNOSE_CRITICAL ? 2 : s == DIAGNOSE_WARNING ? 1 : 0; }

diagnose_thresholds diagnose_default_thresholds(void)
{
    return (diagnose_thresholds){
        .memory_warning = DIAGNOSE_DEFAULT_MEMORY_WARNING,
        .memory_critical = DIAGNOSE_DEFAULT_MEMORY_CRITICAL,
        .fragmentation_ratio = DIAGNOSE_DEFAULT_FRAGMENTATION_RATIO,
        .fragmentation_min_bytes = DIAGNOSE_DEFAULT_FRAGMENTATION_MIN_BYTES,
        .ttl_min_ratio = DIAGNOSE_DEFAULT_TTL_MIN_RATIO,
        .large_key_bytes = DIAGNOSE_DEFAULT_LARGE_KEY_BYTES,
        .no_limit_host_share = DIAGNOSE_DEFAULT_NO_LIMIT_HOST_SHARE,
    };
}

/* The fixed thresholds, each named once (the others are flags: diagnose_thresholds). */
#define MIB (1024.0 * 1024)
#define HOLDER_SHARE 0.25           /* a holder owns the advice from this share of used memory ... */
#define HOLDER_MIN_BYTES MIB        /* ... and this many bytes */
#define NOT_DATA_DATA_SHARE 0.25    /* memory_not_data: the data at most this share of used memory */
#define CALM_SHARE 0.5              /* without pressure a holder is a finding from this share ... */
#define CALM_MIN_BYTES (1024 * MIB) /* ... and this many bytes */
#define ENGINE_RSS_SHARE 0.5        /* script engines that hold this share of RSS ... */
#define ENGINE_MIN_BYTES (32 * MIB) /* ... and this many bytes are a finding without pressure */
#define BIG_INPUT_BYTES MIB         /* a query buffer this large is a command still arriving */
#define LONG_OUTPUT_ENTRIES 10000   /* an output list this long (16 KiB blocks on 3.2+) is a client not reading */
#define PEAK_SHARE 0.5              /* RSS beyond used memory is kept after a peak when peak - used covers this share */
#define KEPT_HOST_SHARE 0.5         /* kept memory matters (warning) once RSS is this share of the host */
#define GROWTH_HEADROOM 1.5         /* a higher limit leaves room for 50 % more than today */
#define FORK_HOST_SHARE 0.9         /* the limit plus a fork's copy above this share of the host */

/* What holds memory that evicting keys cannot free. */
typedef struct holder {
    diagnose_id id;
    const char *words; /* with its verb: "client buffers hold", "the script cache holds" */
    double bytes;
    bool estimated; /* bytes from what the version reports instead of a byte count */
} holder;

typedef struct ctx {
    const diagnose_input *in;
    const diagnose_thresholds *th;
    const info_sample *s;
    const derived *d;
    const memmodel *m;
    bool replica; /* a replica that ignores its limit */
    double used, max, ratio;
    bool at_limit, oom_now, oom_inferred, has_oom_count, pressure;
    double oom_count;
    diagnose_severity pressure_sev;
    holder holders[6];
    size_t n_holders;
    const holder *hold; /* owns the advice under pressure; NULL when none does */
    char used_h[32], max_h[32], hold_h[32];
} ctx;

typedef struct verdict {
    diagnose_severity severity; /* DIAGNOSE_OK: the row is not active */
    int cause;
} verdict;

/* Writes the text; returns false when it did not fit (a caller that quotes a name in a
 * command falls back to a text without it: a cut command is worse than none). */
static bool say(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool say(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < cap;
}

/* Appends to dst (a text being built); returns false when it did not fit, leaving dst as
 * it was. */
static bool add_say(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool add_say(char *dst, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(dst);
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(dst + n, cap - n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= cap - n) {
        dst[n] = '\0';
        return false;
    }
    return true;
}

static bool has(const ctx *c, memmodel_cmd cmd) { return memmodel_has(c->m, cmd); }

/* "`CONFIG REWRITE`" where the server has it, else the config file. */
static const char *persist(const ctx *c)
{
    return has(c, MEMMODEL_CMD_CONFIG_REWRITE) ? "then `CONFIG REWRITE` to keep it"
                                               : "then the same line in redis.conf to keep it";
}

/* A new limit as a fix prints it: the command, and how it outlives a restart. Every fix
 * that changes maxmemory says it through this, so none forgets the second half. */
static const char *set_limit(const ctx *c, const char *value, char *out, size_t cap)
{
    snprintf(out, cap, "`CONFIG SET maxmemory %s` (%s)", value, persist(c));
    return out;
}

static const char *delete_cmd(const ctx *c) { return has(c, MEMMODEL_CMD_UNLINK) ? "UNLINK" : "DEL"; }

static bool is_replica_ignoring_limit(const info_sample *s, const srvconf *conf)
{
    const char *role = info_text_get(s, INFO_ROLE);
    if (!role || strcmp(role, "slave") != 0) return false;
    double ignore;
    /* replica-ignore-maxmemory is yes by default since 5.0; older replicas do evict */
    if (srvconf_get(conf, SRVCONF_REPLICA_IGNORE_MAXMEMORY, &ignore)) return ignore != 0;
    return info_major_version(s) >= 5;
}

/* The copy-on-write the last fork made (0 when unknown). */
static double fork_copy(const info_sample *s)
{
    double cow = 0, v;
    if (info_get(s, INFO_RDB_LAST_COW, &v)) cow = fmax(cow, v);
    if (info_get(s, INFO_AOF_LAST_COW, &v)) cow = fmax(cow, v);
    if (info_get(s, INFO_CURRENT_COW, &v)) cow = fmax(cow, v);
    return cow;
}

/* A higher maxmemory that leaves room for growth, if the host can hold it: the RSS it
 * implies (at today's RSS / used) plus a fork's copy must stay under the share of the
 * host's RAM that fork_memory allows (the OS and a fork need the rest). false (and out
 * names the host) when it does not fit. */
static bool higher_limit(const ctx *c, char *out, size_t cap)
{
    double want = fmax(c->used * GROWTH_HEADROOM, c->max * 1.25);
    const memmodel *m = c->m;
    double rss_per_used = m->has_rss && c->used > 0 ? fmax(1, m->rss / c->used) : 1;
    if (m->has_host && want * rss_per_used + fork_copy(c->s) > FORK_HOST_SHARE * m->host) {
        fmt_bytes(m->host, out, cap);
        return false;
    }
    snprintf(out, cap, "%.0fmb", ceil(want / MIB));
    return true;
}

/* A maxmemory that fits a share of the host's RAM with room for a fork's copy, and is at
 * least 25 % above today's use so that setting it evicts or rejects nothing. */
static bool suggest_host_limit(double used, double host, double share, double cow, char *out, size_t cap)
{
    double want = floor((host * share - cow) / MIB);
    if (want * MIB < used * 1.25) return false;
    snprintf(out, cap, "%.0fmb", want);
    return true;
}

/* The largest sampled namespace a person can name as a pattern (not the keys without a
 * separator, not the "(other)" bucket, not a hashed name); with without_ttl, only one
 * whose keys (almost) never have a TTL or whose bytes mostly have none. */
static const diagnose_namespace *nameable_namespace(const ctx *c, bool without_ttl)
{
    for (size_t i = 0; i < c->in->n_namespaces; i++) {
        const diagnose_namespace *ns = &c->in->namespaces[i];
        if (!ns->name[0] || ns->name[0] == '(' || strncmp(ns->name, "hash:", 5) == 0) continue;
        /* many keys with a TTL can still leave most bytes without one */
        if (without_ttl && ns->ttl_ratio >= c->th->ttl_min_ratio && ns->persistent_bytes < ns->bytes / 2) continue;
        return ns;
    }
    return NULL;
}

/* The namespace that grew fastest over the sampler's last cycles (NULL: none grew). */
static const diagnose_namespace *fastest_namespace(const ctx *c)
{
    const diagnose_namespace *best = NULL;
    for (size_t i = 0; i < c->in->n_namespaces; i++) {
        const diagnose_namespace *ns = &c->in->namespaces[i];
        if (ns->has_growth && ns->growth_per_hour > 0 && (!best || ns->growth_per_hour > best->growth_per_hour))
            best = ns;
    }
    return best;
}

/* A namespace as a person types it: "jobs:*"; the keys without a separator and the
 * "(other)" bucket in words. */
static void namespace_words(const diagnose_namespace *ns, char *out, size_t cap)
{
    if (!ns->name[0]) snprintf(out, cap, "keys without a separator");
    else if (ns->name[0] == '(') snprintf(out, cap, "the smaller namespaces together");
    else snprintf(out, cap, "`%s:*`", ns->name);
}

/* What grows, after the forecast: the namespace that drives it, or, when the sampled
 * data grows at less than half the rate used_memory does, the overhead parts. */
static void say_what_grows(const ctx *c, char *dst, size_t cap)
{
    const diagnose_namespace *ns = fastest_namespace(c);
    double data_growth = 0;
    bool measured = false;
    for (size_t i = 0; i < c->in->n_namespaces; i++) {
        measured |= c->in->namespaces[i].has_growth;
        if (c->in->namespaces[i].growth_per_hour > 0) data_growth += c->in->namespaces[i].growth_per_hour;
    }
    if (!measured) return;
    char words[100], grew[32];
    if (ns) {
        namespace_words(ns, words, sizeof words);
        fmt_bytes(ns->growth_per_hour, grew, sizeof grew);
        add_say(dst, cap, "; %s grows fastest, %s an hour", words, grew);
    }
    if (c->d->has_time_to_full && data_growth < c->d->growth_rate * 3600 / 2) {
        fmt_bytes(c->d->growth_rate * 3600, grew, sizeof grew);
        add_say(dst, cap,
                "; the keys explain under half of used_memory's growth (%s an hour): the rest is "
                "outside the data (client buffers, replication backlog, scripts)",
                grew);
    }
}

void diagnose_ttl_sentence(const diagnose_ttl_split *t, const diagnose_namespace *ns, size_t n, char *out, size_t cap)
{
    double total = t->ttl_bytes + t->persistent_bytes;
    out[0] = '\0';
    if (!t->known || total <= 0) return;
    say(out, cap, "%.0f %% of the data expires within an hour", 100 * t->hour_bytes / total);
    const diagnose_namespace *big = NULL;
    for (size_t i = 0; i < n; i++)
        if (!big || ns[i].persistent_bytes > big->persistent_bytes) big = &ns[i];
    if (big && big->persistent_bytes >= total / 10) {
        char words[100], held[32];
        namespace_words(big, words, sizeof words);
        fmt_bytes(big->persistent_bytes, held, sizeof held);
        add_say(out, cap, "; %s: %s never expires", words, held);
    }
}

static void say_what_expires(const ctx *c, char *dst, size_t cap)
{
    char words[200];
    diagnose_ttl_sentence(&c->in->ttl, c->in->namespaces, c->in->n_namespaces, words, sizeof words);
    if (words[0]) add_say(dst, cap, "; %s", words);
}

/* ---- what every row shares ---- */

static void add_holder(ctx *c, diagnose_id id, const char *words, double bytes, bool estimated)
{
    c->holders[c->n_holders++] = (holder){id, words, bytes, estimated};
}

/* Client buffers: a byte count from 5.0 (mem_clients_normal, split into query and output
 * by which recent maximum is larger); before 5.0 only the largest query buffer and the
 * longest output list exist, and the memory they hold is estimated from what is not data
 * (or, without a breakdown, from how far used memory is past the limit). */
static void client_holders(ctx *c)
{
    const memmodel *m = c->m;
    double clients;
    if (memmodel_used(m, MEMMODEL_CLIENTS, &clients)) {
        bool query = m->has_recent_input && m->has_recent_output && m->recent_input > m->recent_output;
        add_holder(c, query ? DIAGNOSE_CLIENT_QUERY_BUFFERS : DIAGNOSE_CLIENT_OUTPUT_BUFFERS,
                   query ? "client query buffers hold" : "client buffers hold", clients, false);
        return;
    }
    double unexplained, estimate;
    if (memmodel_unexplained(m, &unexplained)) estimate = unexplained;
    else estimate = c->max > 0 && c->used > c->max ? c->used - c->max : 0;
    if (m->has_biggest_input && m->biggest_input >= BIG_INPUT_BYTES)
        add_holder(c, DIAGNOSE_CLIENT_QUERY_BUFFERS, "client query buffers hold", fmax(estimate, m->biggest_input),
                   true);
    else if (m->has_longest_output && m->longest_output >= LONG_OUTPUT_ENTRIES)
        add_holder(c, DIAGNOSE_CLIENT_OUTPUT_BUFFERS, "client output buffers hold", estimate, true);
}

static void find_holders(ctx *c)
{
    const memmodel *m = c->m;
    double v;
    client_holders(c);
    if (memmodel_used(m, MEMMODEL_CLUSTER_LINKS, &v))
        add_holder(c, DIAGNOSE_CLUSTER_LINKS, "cluster bus links hold", v, false);
    if (memmodel_used(m, MEMMODEL_REPLICATION, &v))
        add_holder(c, DIAGNOSE_REPLICATION_BACKLOG, "the replication backlog and replica buffers hold", v, false);
    if (memmodel_used(m, MEMMODEL_SCRIPTS, &v))
        add_holder(c, DIAGNOSE_SCRIPT_CACHE, "the script cache holds", v, false);
    /* Last, so that a named holder of the same size wins. */
    double data;
    if (memmodel_unexplained(m, &v) && memmodel_used(m, MEMMODEL_DATA, &data) && data <= NOT_DATA_DATA_SHARE * c->used)
        add_holder(c, DIAGNOSE_MEMORY_NOT_DATA, "overhead that is not data holds", v, false);
    for (size_t i = 0; i < c->n_holders; i++) {
        const holder *h = &c->holders[i];
        if (c->d->max_configured && c->pressure && h->bytes >= HOLDER_MIN_BYTES && h->bytes >= HOLDER_SHARE * c->used &&
            (!c->hold || h->bytes > c->hold->bytes))
            c->hold = h;
    }
}

static void build_ctx(ctx *c, const diagnose_input *in, const diagnose_thresholds *th)
{
    memset(c, 0, sizeof *c);
    c->in = in;
    c->th = th;
    c->s = in->sample;
    c->d = in->derived;
    c->m = in->model;
    c->used = c->m->has_used ? c->m->used : 0;
    c->max = c->m->max_from != MEMMODEL_ABSENT ? c->m->max : 0;
    c->ratio = c->d->has_used_ratio ? c->d->used_ratio : 0;
    c->replica = is_replica_ignoring_limit(c->s, in->conf);
    c->at_limit = c->d->max_configured && c->m->has_used && c->used >= c->max;
    c->has_oom_count = info_error_count(c->s, "OOM", &c->oom_count);
    /* Are writes being rejected now? Counted where errorstats exist (6.2+); inferred from
     * "at the limit and nothing to evict" on older servers (never on a replica that does
     * not apply its limit). */
    if (c->has_oom_count) {
        c->oom_now = in->one_shot ? c->oom_count > 0 : (c->d->has_oom_rate && c->d->oom_rate > 0);
    } else {
        c->oom_now = !c->replica && c->at_limit && c->d->has_eviction_possible && !c->d->eviction_possible;
        c->oom_inferred = c->oom_now;
    }
    c->pressure = !c->replica && (c->ratio >= th->memory_warning || c->oom_now);
    c->pressure_sev = c->oom_now || c->ratio >= th->memory_critical ? DIAGNOSE_CRITICAL : DIAGNOSE_WARNING;
    find_holders(c);
    fmt_bytes(c->used, c->used_h, sizeof c->used_h);
    fmt_bytes(c->max, c->max_h, sizeof c->max_h);
    fmt_bytes(c->hold ? c->hold->bytes : 0, c->hold_h, sizeof c->hold_h);
}

/* The fix of a limit finding when a holder owns the memory. */
static void say_holder_first(const ctx *c, char *fix, size_t cap, const char *lead)
{
    say(fix, cap,
        "%s%s %s%s, which no eviction frees: free that first (see %s). Evicting, deleting or a higher "
        "limit would not stop it growing.",
        lead, c->hold->words, c->hold->estimated ? "about " : "", c->hold_h, diagnose_id_name(c->hold->id));
}

/* ---- the rows: what holds memory that eviction cannot free ---- */

static const verdict none = {DIAGNOSE_OK, 0};

static const holder *holder_of(const ctx *c, diagnose_id id)
{
    for (size_t i = 0; i < c->n_holders; i++)
        if (c->holders[i].id == id) return &c->holders[i];
    return NULL;
}

static verdict decide_holder(const ctx *c, diagnose_id id)
{
    return c->hold && c->hold->id == id ? (verdict){c->pressure_sev, 0} : none;
}

static verdict decide_query(const ctx *c) { return decide_holder(c, DIAGNOSE_CLIENT_QUERY_BUFFERS); }
static verdict decide_output(const ctx *c) { return decide_holder(c, DIAGNOSE_CLIENT_OUTPUT_BUFFERS); }
static verdict decide_links(const ctx *c) { return decide_holder(c, DIAGNOSE_CLUSTER_LINKS); }
static verdict decide_backlog(const ctx *c) { return decide_holder(c, DIAGNOSE_REPLICATION_BACKLOG); }

/* How to find and disconnect the client, in this version's words. */
static void say_find_client(const ctx *c, char *fix, size_t cap, const char *column)
{
    add_say(fix, cap,
            "Find the client: `CLIENT LIST`%s (%s is its buffer; tot-mem, where shown, all it holds). "
            "Disconnect it: %s. ",
            has(c, MEMMODEL_CMD_CLIENT_LIST_TYPE) ? " (or `CLIENT LIST TYPE normal`)" : "", column,
            has(c, MEMMODEL_CMD_CLIENT_KILL_ID) ? "`CLIENT KILL ID <id>`" : "`CLIENT KILL <addr:port>`");
}

/* The client CLIENT LIST showed holding the most (the target asks while a client buffer
 * finding is active), with the exact command that disconnects it; false when none was
 * listed (before the first list, or the holder is gone): the general words then. */
static bool say_culprit(const ctx *c, diagnose_text *t, bool output)
{
    const diagnose_clients *l = c->in->clients;
    size_t n = !l ? 0 : output ? l->n_output : l->n_query;
    if (n == 0) return false;
    const diagnose_client *list = output ? l->output : l->query, *k = &list[0];
    char held[32], kill[96];
    fmt_bytes(k->bytes, held, sizeof held);
    if (has(c, MEMMODEL_CMD_CLIENT_KILL_ID)) snprintf(kill, sizeof kill, "CLIENT KILL ID %llu", k->id);
    else snprintf(kill, sizeof kill, "CLIENT KILL %s", k->addr);
    add_say(t->summary, sizeof t->summary, "; CLIENT LIST: client id %llu%s%s holds %s of %s", k->id,
            k->name[0] ? " named " : "", k->name, held, output ? "output buffer (omem)" : "query buffer (qbuf)");
    char all[48] = "";
    if (k->has_tot_mem) {
        char tot[32];
        fmt_bytes(k->tot_mem, tot, sizeof tot);
        snprintf(all, sizeof all, ", %s in all", tot);
    }
    add_say(t->fix, sizeof t->fix,
            "The client holding the most is id %llu (addr %s%s%s, last command %s, %s of %s%s): "
            "disconnect it with `%s`. ",
            k->id, k->addr, k->name[0] ? ", name " : "", k->name, k->cmd[0] ? k->cmd : "unknown", held,
            output ? "omem" : "qbuf", all, kill);
    for (size_t i = 1; i < n; i++) {
        fmt_bytes(list[i].bytes, held, sizeof held);
        add_say(t->fix, sizeof t->fix, "%s id %llu (%s)%s", i == 1 ? "Next:" : ",", list[i].id, held,
                i + 1 == n ? ". " : "");
    }
    return true;
}

static void explain_query(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    (void)f;
    const holder *h = holder_of(c, DIAGNOSE_CLIENT_QUERY_BUFFERS);
    const memmodel *m = c->m;
    char big[32], held[32];
    fmt_bytes(m->has_recent_input ? m->recent_input : m->biggest_input, big, sizeof big);
    fmt_bytes(h ? h->bytes : 0, held, sizeof held);
    if (h && !h->estimated)
        say(t->summary, sizeof t->summary,
            "client query buffers (mem_clients_normal) hold %s of used_memory %s (%.0f %%); "
            "the largest query buffer lately is %s (client_recent_max_input_buffer)",
            held, c->used_h, 100.0 * h->bytes / fmax(c->used, 1), big);
    else
        say(t->summary, sizeof t->summary,
            "client_biggest_input_buf is %s: a client is sending a command that has not "
            "arrived whole (or faster than Redis reads); used_memory %s is %.0f %% of maxmemory %s, about %s of it not "
            "data (this version has no byte count for client buffers)",
            big, c->used_h, c->ratio * 100, c->max_h, held);
    t->fix[0] = '\0';
    if (!say_culprit(c, t, false)) say_find_client(c, t->fix, sizeof t->fix, "qbuf");
    if (has(c, MEMMODEL_CMD_QUERY_BUFFER_LIMIT))
        add_say(t->fix, sizeof t->fix, "Cap one client's query buffer: `CONFIG SET client-query-buffer-limit 64mb`%s. ",
                has(c, MEMMODEL_CMD_MAXMEMORY_CLIENTS) ? "; all clients together: `CONFIG SET maxmemory-clients 10%`"
                                                       : "");
    else
        add_say(t->fix, sizeof t->fix,
                "This version caps a query buffer only at its fixed 1 GB (a setting for it comes "
                "with 4.0): fix the client that sends it. ");
    add_say(t->fix, sizeof t->fix, "Evicting keys or raising the limit frees none of this.");
}

static void explain_output(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    (void)f;
    const holder *h = holder_of(c, DIAGNOSE_CLIENT_OUTPUT_BUFFERS);
    const memmodel *m = c->m;
    char held[32], big[32];
    fmt_bytes(h ? h->bytes : 0, held, sizeof held);
    fmt_bytes(m->recent_output, big, sizeof big);
    if (h && !h->estimated)
        say(t->summary, sizeof t->summary,
            "client buffers (mem_clients_normal) hold %s of used_memory %s (%.0f %%)%s%s", held, c->used_h,
            100.0 * h->bytes / fmax(c->used, 1), m->has_recent_output ? "; the largest output buffer lately is " : "",
            m->has_recent_output ? big : "");
    else
        say(t->summary, sizeof t->summary,
            "client_longest_output_list is %.0f entries: a client (a subscriber, a MONITOR) "
            "does not read its replies; about %s of used_memory %s is not data (this version has no byte count for "
            "client buffers)",
            m->longest_output, held, c->used_h);
    t->fix[0] = '\0';
    if (!say_culprit(c, t, true))
        say_find_client(c, t->fix, sizeof t->fix, "omem; sub or psub above 0 is a subscriber");
    if (has(c, MEMMODEL_CMD_OUTPUT_BUFFER_LIMIT))
        add_say(t->fix, sizeof t->fix,
                "Then cap what one slow client may hold: `CONFIG SET client-output-buffer-limit "
                "\"pubsub 8mb 2mb 60\"`%s. ",
                has(c, MEMMODEL_CMD_MAXMEMORY_CLIENTS) ? "; and `CONFIG SET maxmemory-clients 10%`" : "");
    add_say(t->fix, sizeof t->fix, "Changing the eviction policy frees none of this.");
}

static void explain_links(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    (void)f;
    const holder *h = holder_of(c, DIAGNOSE_CLUSTER_LINKS);
    char held[32];
    fmt_bytes(h ? h->bytes : 0, held, sizeof held);
    say(t->summary, sizeof t->summary, "Cluster bus links (mem_cluster_links) hold %s of used_memory %s (%.0f %%)",
        held, c->used_h, 100.0 * (h ? h->bytes : 0) / fmax(c->used, 1));
    say(t->fix, sizeof t->fix,
        "`CLUSTER LINKS` shows each link's send-buffer-allocated. Cap it: `CONFIG SET "
        "cluster-link-sendbuf-limit 67108864` (a link past it is freed and reconnects), then `CONFIG REWRITE`. If "
        "PUBLISH is the load, sharded Pub/Sub (SSUBSCRIBE/SPUBLISH) sends each message within one shard instead of to "
        "every node. Evicting keys frees none of this.");
}

static void explain_backlog(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    (void)f;
    double backlog = 0, bufs = 0;
    info_get(c->s, INFO_MEM_REPL_BACKLOG, &backlog);
    info_get(c->s, INFO_MEM_CLIENTS_SLAVES, &bufs);
    char backlog_h[32], bufs_h[32], want_h[32];
    fmt_bytes(backlog, backlog_h, sizeof backlog_h);
    fmt_bytes(bufs, bufs_h, sizeof bufs_h);
    /* A backlog a quarter of today's, at least 1 MiB and at most a tenth of the limit. */
    snprintf(want_h, sizeof want_h, "%.0fmb", fmax(1, floor(fmin(backlog / 4, c->max / 10) / MIB)));
    say(t->summary, sizeof t->summary,
        "the replication backlog holds %s and replica output buffers %s: %.0f %% of "
        "used_memory %s",
        backlog_h, bufs_h, 100.0 * (backlog + bufs) / fmax(c->used, 1), c->used_h);
    if (backlog >= bufs)
        say(t->fix, sizeof t->fix,
            "Shrink the backlog: `CONFIG SET repl-backlog-size %s` (%s). Replicas stay in sync; "
            "one cut off for longer than the smaller backlog covers needs a full resync. Evicting keys frees none of "
            "this.",
            want_h, persist(c));
    else
        say(t->fix, sizeof t->fix,
            "A replica is not keeping up: `INFO replication` (its offset lag) and `CLIENT LIST%s` "
            "(omem). Cap what it may hold: `CONFIG SET client-output-buffer-limit \"%s 256mb 64mb 60\"`; a replica "
            "past "
            "it is disconnected and resyncs. Evicting keys frees none of this.",
            has(c, MEMMODEL_CMD_CLIENT_LIST_TYPE) ? " TYPE replica" : "", c->m->version >= 500 ? "replica" : "slave");
}

enum { SCRIPT_CAUSE_CACHE, SCRIPT_CAUSE_ENGINE };

/* The script cache when it owns memory under pressure; the Lua engine (outside
 * used_memory, inside RSS) when it holds most of RSS, with or without a limit. */
static verdict decide_scripts(const ctx *c)
{
    verdict v = decide_holder(c, DIAGNOSE_SCRIPT_CACHE);
    if (v.severity != DIAGNOSE_OK) return v;
    double engines;
    if (c->m->has_rss && memmodel_rss(c->m, MEMMODEL_ENGINES, &engines) && engines >= ENGINE_MIN_BYTES &&
        engines >= ENGINE_RSS_SHARE * c->m->rss)
        return (verdict){DIAGNOSE_WARNING, SCRIPT_CAUSE_ENGINE};
    return none;
}

static void explain_scripts(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    double n_scripts = 0, engines = 0, cache = 0;
    bool has_n = info_get(c->s, INFO_CACHED_SCRIPTS, &n_scripts);
    memmodel_rss(c->m, MEMMODEL_ENGINES, &engines);
    const holder *h = holder_of(c, DIAGNOSE_SCRIPT_CACHE);
    if (h) cache = h->bytes;
    char engines_h[32], cache_h[32], rss_h[32], n_h[48] = "";
    fmt_bytes(engines, engines_h, sizeof engines_h);
    fmt_bytes(cache, cache_h, sizeof cache_h);
    fmt_bytes(c->m->rss, rss_h, sizeof rss_h);
    if (has_n) snprintf(n_h, sizeof n_h, " in %.0f cached scripts", n_scripts);
    if (f->cause == SCRIPT_CAUSE_ENGINE)
        say(t->summary, sizeof t->summary,
            "the Lua engine holds %s of RSS %s%s (%s: outside used_memory %s, so it is "
            "not fragmentation)",
            engines_h, rss_h, n_h, c->m->version >= 700 ? "used_memory_vm_eval" : "used_memory_lua", c->used_h);
    else
        say(t->summary, sizeof t->summary,
            "the script cache holds %s%s (%.0f %% of used_memory %s); the Lua engine holds "
            "%s more outside it",
            cache_h, n_h, 100.0 * cache / fmax(c->used, 1), c->used_h, engines_h);
    say(t->fix, sizeof t->fix,
        "`SCRIPT FLUSH` empties the cache and the engine (no key is touched; clients that use "
        "EVALSHA reload their scripts on NOSCRIPT). Then find the code that builds script text per call and pass "
        "values "
        "as KEYS and ARGV, so one script serves every call%s.",
        has(c, MEMMODEL_CMD_FUNCTION_LOAD) ? " (or load it once with `FUNCTION LOAD`)" : "");
}

enum { NOT_DATA_PRESSURE, NOT_DATA_CALM };

static verdict decide_not_data(const ctx *c)
{
    verdict v = decide_holder(c, DIAGNOSE_MEMORY_NOT_DATA);
    if (v.severity != DIAGNOSE_OK) return v;
    const holder *h = holder_of(c, DIAGNOSE_MEMORY_NOT_DATA);
    if (h && !c->hold && h->bytes >= CALM_MIN_BYTES && h->bytes >= CALM_SHARE * c->used)
        return (verdict){DIAGNOSE_WARNING, NOT_DATA_CALM};
    return none;
}

static void explain_not_data(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    (void)f;
    const holder *h = holder_of(c, DIAGNOSE_MEMORY_NOT_DATA);
    double data = 0;
    memmodel_used(c->m, MEMMODEL_DATA, &data);
    char held[32], data_h[32], unknown[160] = "";
    fmt_bytes(h ? h->bytes : 0, held, sizeof held);
    fmt_bytes(data, data_h, sizeof data_h);
    /* the parts this INFO does not report: where the memory may be */
    static const memmodel_part parts[] = {MEMMODEL_CLIENTS, MEMMODEL_REPLICATION, MEMMODEL_SCRIPTS,
                                          MEMMODEL_CLUSTER_LINKS};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        double v;
        if (parts[i] == MEMMODEL_CLUSTER_LINKS && c->m->version < 700) continue;
        if (!memmodel_used(c->m, parts[i], &v))
            add_say(unknown, sizeof unknown, "%s%s", unknown[0] ? ", " : "", memmodel_part_from(parts[i]));
    }
    say(t->summary, sizeof t->summary, "%s of used_memory %s is not data (the dataset is %s, %.0f %%)%s%s%s", held,
        c->used_h, data_h, 100.0 * data / fmax(c->used, 1), unknown[0] ? "; not reported here: " : "", unknown,
        unknown[0] ? "" : "; no reported part explains it");
    say(t->fix, sizeof t->fix,
        "Find what holds it: `INFO clients` (client_biggest_input_buf, client_longest_output_list) "
        "and `CLIENT LIST` (qbuf, omem of each client); `INFO replication` (repl_backlog_size); %s Then free that "
        "(disconnect the client, shrink the backlog, `SCRIPT FLUSH`). Evicting keys, TTLs or a higher limit free none "
        "of it.",
        has(c, MEMMODEL_CMD_MEMORY_USAGE) ? "`MEMORY STATS` for every part." : "`INFO memory` again over time.");
}

/* ---- the rows: the limit and what happens at it ---- */

/* Under allkeys-* with keys to evict, being at the limit is how a cache works: a warning
 * at most, never critical. A replica that ignores its limit evicts nothing and rejects
 * nothing: a warning about what happens when it is promoted. */
static bool is_cache(const ctx *c)
{
    return c->d->policy == DERIVE_POLICY_ALLKEYS && c->d->has_eviction_possible && c->d->eviction_possible && !c->hold;
}

static verdict decide_near_limit(const ctx *c)
{
    bool soon_full = c->d->has_time_to_full && c->d->time_to_full < 3600;
    if (!c->d->has_used_ratio || (c->ratio < c->th->memory_warning && !soon_full)) return none;
    return (verdict){
        c->ratio >= c->th->memory_critical && !is_cache(c) && !c->replica ? DIAGNOSE_CRITICAL : DIAGNOSE_WARNING, 0};
}

/* The fix when neither a holder nor the policy is the answer: a higher limit where the
 * host has the room, else what frees memory. */
static void say_more_room(const ctx *c, char *fix, size_t cap)
{
    char want[32], cmd[128];
    if (higher_limit(c, want, sizeof want))
        say(fix, cap,
            "If the host has the RAM: %s. Otherwise free memory: give keys a TTL (`EXPIRE key seconds`) or "
            "delete what is not needed (`%s key`).",
            set_limit(c, want, cmd, sizeof cmd), delete_cmd(c));
    else
        say(fix, cap,
            "A higher limit does not fit this host's RAM (%s, with RSS at %.2f x used memory and room for a "
            "fork): free memory instead (give keys a TTL: `EXPIRE key seconds`; delete what is not needed: `%s key`), "
            "move part of the data to another instance, or add RAM.",
            want, c->m->has_rss && c->used > 0 ? c->m->rss / c->used : 1.0, delete_cmd(c));
}

/* ---- a watched key that only grows ---- */

/* The growing watched key that grew most, or NULL. */
static const diagnose_watched *growing_key(const ctx *c)
{
    const diagnose_watched *best = NULL;
    for (size_t i = 0; i < c->in->n_watched; i++) {
        const diagnose_watched *w = &c->in->watched[i];
        if (w->present && w->growing && (!best || w->size - w->grew_from > best->size - best->grew_from)) best = w;
    }
    return best;
}

static verdict decide_growing(const ctx *c)
{
    bool soon_full = c->d->has_time_to_full && c->d->time_to_full < 3600;
    if (!growing_key(c) || !c->d->max_configured || c->replica || (!c->pressure && !soon_full)) return none;
    return (verdict){c->pressure ? c->pressure_sev : DIAGNOSE_WARNING, 0};
}

/* A key name fit to print inside a command: what the user typed, not cut or escaped. */
static bool typable(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= 64) return false;
    for (const char *p = name; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '\\' || *p == '\'' || *p == '`' || (unsigned char)*p >= 0x7f) return false;
    return true;
}

static void explain_growing(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    (void)f;
    const diagnose_watched *w = growing_key(c);
    if (!w) return;
    char mem[32] = "?";
    if (w->has_memory) fmt_bytes(w->memory, mem, sizeof mem);
    say(t->summary, sizeof t->summary,
        "watched %s db%d \"%s\" grew from %.0f to %.0f entries over the last %.0f min, "
        "at every check (%s now); used_memory is %.1f %% of maxmemory %s",
        w->type, w->db, w->name, w->grew_from, w->size, w->window / 60, mem, c->ratio * 100, c->max_h);
    const char *key = typable(w->name) ? w->name : "<key>";
    double keep = fmax(1, floor(w->grew_from));
    if (strcmp(w->type, "stream") == 0)
        say(t->fix, sizeof t->fix,
            "A stream written without a cap keeps every entry. If old entries may go: `XTRIM %s "
            "MAXLEN ~ %.0f` keeps the newest %.0f (its length %.0f min ago) and frees the rest; then cap it where it "
            "is written: `XADD %s MAXLEN ~ %.0f * field value`. If every entry must stay, its readers are behind: "
            "start or scale them (`XINFO GROUPS %s` shows each group's lag).",
            key, keep, keep, w->window / 60, key, keep, key);
    else if (strcmp(w->type, "list") == 0)
        say(t->fix, sizeof t->fix,
            "A queue that is written faster than it is consumed: start or scale its consumers "
            "(the clients that LPOP/RPOP/BLMOVE `%s`; `CLIENT LIST` shows who runs which command). If its entries may "
            "be dropped, cap it where it is written (`LTRIM` after each push).",
            key);
    else
        say(t->fix, sizeof t->fix,
            "Find what writes `%s` and why nothing removes from it (`MEMORY USAGE %s` shows its "
            "size); cap or expire it where it is written (`EXPIRE %s seconds`).",
            key, key, key);
}

static void explain_near_limit(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    (void)f;
    const derived *d = c->d;
    say(t->summary, sizeof t->summary, "used_memory %s is %.1f %% of maxmemory %s%s%s", c->used_h, c->ratio * 100,
        c->max_h, c->ratio > 1 ? ": past the limit, not near it" : "",
        c->m->max_from == MEMMODEL_FROM_CONFIG ? " (maxmemory from the pasted CONFIG GET: this INFO has none)" : "");
    if (d->has_time_to_full)
        add_say(t->summary, sizeof t->summary, "; at the recent growth it is full in %.0f min", d->time_to_full / 60);
    say_what_grows(c, t->summary, sizeof t->summary);
    say_what_expires(c, t->summary, sizeof t->summary);
    if (c->replica)
        add_say(t->summary, sizeof t->summary,
                "; this replica ignores maxmemory (replica-ignore-maxmemory yes) until it "
                "is promoted");
    char want[32], cmd[128];
    bool fits = higher_limit(c, want, sizeof want);
    set_limit(c, fits ? want : "<the primary's>", cmd, sizeof cmd);
    if (c->replica)
        say(t->fix, sizeof t->fix,
            "Nothing is evicted or rejected here now: the primary decides. But once promoted this "
            "replica enforces its own limit at once. Give it at least the primary's maxmemory%s%s%s: %s.",
            fits ? " (and no less than " : "", fits ? want : "", fits ? ")" : "", cmd);
    else if (c->hold) say_holder_first(c, t->fix, sizeof t->fix, "Of it, ");
    else if (is_cache(c))
        say(t->fix, sizeof t->fix,
            "%s evicts at the limit by design: nothing to fix while evictions do not cost hits "
            "(compare redis_evicted_keys_per_second with the keyspace hit ratio).%s%s%s",
            c->m->policy ? c->m->policy : "allkeys-*",
            fits ? " If they do and the host has the RAM: " : " A higher limit would not fit this host's RAM.",
            fits ? cmd : "", fits ? "." : "");
    else {
        say_more_room(c, t->fix, sizeof t->fix);
        const diagnose_namespace *ns = nameable_namespace(c, false);
        double data = 0;
        if (!memmodel_used(c->m, MEMMODEL_DATA, &data) || data <= 0) data = fmax(c->used, 1);
        if (ns)
            add_say(t->fix, sizeof t->fix,
                    " The largest namespace is %s:* (%.0f %% of the data, %.0f %% of its keys "
                    "with a TTL).",
                    ns->name, fmin(100, 100 * ns->bytes / data), 100 * ns->ttl_ratio);
    }
}

static verdict decide_noeviction(const ctx *c)
{
    if (c->replica || c->d->policy != DERIVE_POLICY_NOEVICTION || !c->d->max_configured ||
        (c->ratio < c->th->memory_warning && !c->oom_now))
        return none;
    return (verdict){c->pressure_sev, 0};
}

static void explain_noeviction(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    (void)f;
    say(t->summary, sizeof t->summary, "maxmemory-policy is noeviction%s and used_memory is %.1f %% of maxmemory %s",
        c->m->policy_from == MEMMODEL_FROM_CONFIG ? " (from the pasted CONFIG GET)" : "", c->ratio * 100, c->max_h);
    char want[32], cmd[128];
    if (c->hold)
        say(t->fix, sizeof t->fix,
            "Do not change the policy for this: %s %s%s, and an evicting policy would delete "
            "keys without freeing it. Free that first (see %s).",
            c->hold->words, c->hold->estimated ? "about " : "", c->hold_h, diagnose_id_name(c->hold->id));
    else if (higher_limit(c, want, sizeof want))
        say(t->fix, sizeof t->fix,
            "If the data is a cache that can be rebuilt: `CONFIG SET maxmemory-policy allkeys-lru`. "
            "If every key must stay: %s and plan capacity.",
            set_limit(c, want, cmd, sizeof cmd));
    else
        say(t->fix, sizeof t->fix,
            "If the data is a cache that can be rebuilt: `CONFIG SET maxmemory-policy allkeys-lru`. "
            "If every key must stay: a higher limit does not fit this host's RAM (%s): move part of the data to "
            "another "
            "instance or add RAM.",
            want);
}

/* Under volatile-* eviction reaches only keys with a TTL. Where the sampler measured their
 * bytes (many small keys with a TTL free little): too few when they cannot take usage from
 * the limit back below the warning level; else by their count, "almost none". */
static bool little_to_evict(const ctx *c, bool *known)
{
    const diagnose_ttl_split *t = &c->in->ttl;
    *known = t->known && t->ttl_bytes + t->persistent_bytes > 0;
    if (*known) return t->ttl_bytes < c->max * (1 - c->th->memory_warning);
    return c->d->keys_total > 0 && c->d->expires_total < c->d->keys_total * c->th->ttl_min_ratio;
}

static verdict decide_volatile(const ctx *c)
{
    const derived *d = c->d;
    bool known;
    if (c->replica || d->policy != DERIVE_POLICY_VOLATILE || !d->max_configured || !little_to_evict(c, &known) ||
        (c->ratio < c->th->memory_warning && !c->oom_now))
        return none;
    return (verdict){c->pressure_sev, 0};
}

static void explain_volatile(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    (void)f;
    const derived *d = c->d;
    const diagnose_ttl_split *ttl = &c->in->ttl;
    const char *policy = c->m->policy ? c->m->policy : "volatile-*";
    bool known;
    (void)little_to_evict(c, &known);
    if (known) {
        char reach[32];
        fmt_bytes(ttl->ttl_bytes, reach, sizeof reach);
        say(t->summary, sizeof t->summary,
            "maxmemory-policy is %s, which evicts only keys with a TTL, and they hold "
            "about %s (%.1f %% of the sampled data, %.1f %% of maxmemory): that is all eviction can free; used_memory "
            "is %.1f %% of maxmemory",
            policy, reach, 100 * ttl->ttl_bytes / (ttl->ttl_bytes + ttl->persistent_bytes),
            100 * ttl->ttl_bytes / c->max, c->ratio * 100);
    } else
        say(t->summary, sizeof t->summary,
            "maxmemory-policy is %s but only %.0f of %.0f keys (%.2f %%) have a TTL; "
            "used_memory is %.1f %% of maxmemory",
            policy, d->expires_total, d->keys_total, 100.0 * d->expires_total / d->keys_total, c->ratio * 100);
    if (c->hold) {
        say(t->fix, sizeof t->fix,
            "Not now: %s %s, which no eviction frees (see %s). Later, give keys a TTL when "
            "writing them (`SET key value EX seconds`).",
            c->hold->words, c->hold_h, diagnose_id_name(c->hold->id));
        return;
    }
    /* the namespace that holds the data without TTLs, named with the pattern that lists
     * it; without one (or if it did not fit whole) the general advice */
    const diagnose_namespace *ns = nameable_namespace(c, true);
    double data = 0;
    if (!memmodel_used(c->m, MEMMODEL_DATA, &data) || data <= 0) data = fmax(c->used, 1);
    bool named = ns &&
        say(t->fix, sizeof t->fix,
            "%s:* holds %.0f %% of the data and %.0f %% of its keys have a TTL: give them one where they are written "
            "(`SET "
            "key value EX seconds`); list the ones there now with `redis-cli --scan --pattern '%s:*'` and `EXPIRE` "
            "each. Or "
            "let Redis evict any key: `CONFIG SET maxmemory-policy allkeys-lru`.",
            ns->name, fmin(100, 100 * ns->bytes / data), 100 * ns->ttl_ratio, ns->name);
    if (!named)
        say(t->fix, sizeof t->fix,
            "Give keys a TTL when writing them (`SET key value EX seconds`, or `EXPIRE key "
            "seconds`), or let Redis evict any key: `CONFIG SET maxmemory-policy allkeys-lru`.");
}

enum { OOM_INFERRED, OOM_SINCE_START, OOM_RATE };

static verdict decide_oom(const ctx *c)
{
    if (!c->oom_now) return none;
    if (c->oom_inferred) return (verdict){DIAGNOSE_CRITICAL, OOM_INFERRED};
    if (c->in->one_shot)
        return (verdict){!c->at_limit && c->ratio < c->th->memory_critical ? DIAGNOSE_WARNING : DIAGNOSE_CRITICAL,
                         OOM_SINCE_START};
    return (verdict){DIAGNOSE_CRITICAL, OOM_RATE};
}

static void explain_oom(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    if (f->cause == OOM_INFERRED)
        say(t->summary, sizeof t->summary,
            "used_memory %s has reached maxmemory %s and the policy cannot evict: writes "
            "are being rejected (inferred; this server has no INFO errorstats)",
            c->used_h, c->max_h);
    else if (f->cause == OOM_SINCE_START)
        say(t->summary, sizeof t->summary,
            "errorstat_OOM: %.0f command%s rejected since the server started or CONFIG "
            "RESETSTAT%s",
            c->oom_count, c->oom_count == 1 ? "" : "s", f->severity == DIAGNOSE_CRITICAL ? "; still at the limit" : "");
    else
        say(t->summary, sizeof t->summary, "%.1f commands per second rejected with OOM (errorstat_OOM total %.0f)",
            c->d->oom_rate, c->oom_count);
    char want[32], cmd[128];
    if (c->hold)
        say(t->fix, sizeof t->fix,
            "Free what %s now (%s%s; see %s): deleting keys or raising the limit would not stop "
            "it growing.",
            c->hold->words, c->hold->estimated ? "about " : "", c->hold_h, diagnose_id_name(c->hold->id));
    else if (!c->d->max_configured)
        say(t->fix, sizeof t->fix,
            "No maxmemory is set now: these were rejected under an earlier limit (or "
            "maxmemory-clients). Nothing to raise; if a limit comes back, size it from used_memory_peak.");
    else if (higher_limit(c, want, sizeof want))
        say(t->fix, sizeof t->fix,
            "Free memory now (`%s key` for large or unneeded keys) or raise the limit: %s. Then "
            "fix the cause named by the other findings (policy, TTLs, large keys).",
            delete_cmd(c), set_limit(c, want, cmd, sizeof cmd));
    else
        say(t->fix, sizeof t->fix,
            "Free memory now (`%s key` for large or unneeded keys); a higher limit does not fit "
            "this host's RAM (%s). Then fix the cause named by the other findings (policy, TTLs, large keys).",
            delete_cmd(c), want);
}

static size_t large_count(const ctx *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->in->n_largest; i++)
        if (c->in->largest[i].bytes >= c->th->large_key_bytes) n++;
    return n;
}

static verdict decide_large(const ctx *c) { return large_count(c) > 0 ? (verdict){DIAGNOSE_WARNING, 0} : none; }

static void explain_large(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    (void)f;
    size_t n = large_count(c);
    const diagnose_key *k = &c->in->largest[0];
    char size_h[32], limit_h[32];
    fmt_bytes(k->bytes, size_h, sizeof size_h);
    fmt_bytes(c->th->large_key_bytes, limit_h, sizeof limit_h);
    say(t->summary, sizeof t->summary, "%zu sampled key%s of %s or more; the largest is db%d \"%s\" (%s, %s)", n,
        n == 1 ? "" : "s", limit_h, k->db, k->name, k->type, size_h);
    say(t->fix, sizeof t->fix, "Inspect it: `SELECT %d`, then ", k->db);
    if (has(c, MEMMODEL_CMD_MEMORY_USAGE)) add_say(t->fix, sizeof t->fix, "`MEMORY USAGE \"%s\"` and ", k->name);
    add_say(t->fix, sizeof t->fix,
            "`TYPE \"%s\"`. Split it into smaller keys or trim it (LTRIM, HDEL, SREM, "
            "ZREMRANGEBYRANK, XTRIM); delete it%s: `%s \"%s\"`.",
            k->name, has(c, MEMMODEL_CMD_UNLINK) ? " without blocking" : "", delete_cmd(c), k->name);
}

/* ---- the rows: RSS beyond used memory ---- */

/* RSS beyond used memory and the script engines: large enough, in ratio and in bytes, to
 * be one of the causes below. */
static bool rss_excess_matters(const ctx *c, double *excess)
{
    *excess = memmodel_rss_excess(c->m);
    return c->used > 0 && *excess >= c->th->fragmentation_min_bytes &&
        (c->used + *excess) / c->used >= c->th->fragmentation_ratio;
}

enum { FRAG_UNKNOWN, FRAG_ALLOCATOR, FRAG_RETAINED, FRAG_OUTSIDE };

/* Which part of RSS beyond used memory holds the most, where the allocator reports its own
 * figures (5.0+); FRAG_UNKNOWN where it does not. */
static int rss_cause(const ctx *c)
{
    static const struct {
        memmodel_rss_part part;
        int cause;
    } parts[] = {
        {MEMMODEL_ALLOC_FRAG, FRAG_ALLOCATOR}, {MEMMODEL_ALLOC_RSS, FRAG_RETAINED}, {MEMMODEL_OUTSIDE, FRAG_OUTSIDE}};
    int cause = FRAG_UNKNOWN;
    double best = 0, v;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (memmodel_rss(c->m, parts[i].part, &v) && v > best) {
            best = v;
            cause = parts[i].cause;
        }
    return cause;
}

/* Kept after a peak: used memory fell, the fall covers much of what RSS holds beyond it,
 * and (where the allocator says) what holds it is pages kept for reuse, not data spread
 * thinly over many pages (that is fragmentation, after a peak or not). */
static bool kept_after_peak(const ctx *c, double excess)
{
    int cause = rss_cause(c);
    return c->m->has_peak && c->m->peak - c->used >= PEAK_SHARE * excess &&
        (cause == FRAG_UNKNOWN || cause == FRAG_RETAINED);
}

static verdict decide_kept(const ctx *c)
{
    double excess;
    if (!rss_excess_matters(c, &excess) || !kept_after_peak(c, excess)) return none;
    bool host_tight = c->m->has_host && c->m->rss >= KEPT_HOST_SHARE * c->m->host;
    return (verdict){host_tight ? DIAGNOSE_WARNING : DIAGNOSE_INFO, 0};
}

static void explain_kept(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    double excess = memmodel_rss_excess(c->m), frag = 0;
    char peak_h[32], rss_h[32], excess_h[32], host_h[32];
    fmt_bytes(c->m->peak, peak_h, sizeof peak_h);
    fmt_bytes(c->m->rss, rss_h, sizeof rss_h);
    fmt_bytes(excess, excess_h, sizeof excess_h);
    fmt_bytes(c->m->host, host_h, sizeof host_h);
    say(t->summary, sizeof t->summary,
        "used_memory %s is %.0f %% of its peak %s, and RSS %s still holds %s beyond it: "
        "memory freed since the peak that the allocator keeps for reuse",
        c->used_h, 100.0 * c->used / fmax(c->m->peak, 1), peak_h, rss_h, excess_h);
    if (f->severity == DIAGNOSE_WARNING)
        add_say(t->summary, sizeof t->summary, "; RSS is %.0f %% of the host's RAM %s", 100.0 * c->m->rss / c->m->host,
                host_h);
    if (has(c, MEMMODEL_CMD_MEMORY_PURGE)) {
        say(t->fix, sizeof t->fix,
            "`MEMORY PURGE` asks jemalloc to give back the pages it can now (no key is touched). ");
        if (memmodel_rss(c->m, MEMMODEL_ALLOC_FRAG, &frag) && frag >= 0.5 * excess)
            add_say(t->fix, sizeof t->fix,
                    "Most of it is fragmentation, which purging cannot return: `CONFIG SET "
                    "activedefrag yes` moves the data together (Redis's own jemalloc builds; Debian's refuse it). ");
        add_say(t->fix, sizeof t->fix,
                "What stays goes with a restart in a quiet hour (persistence on) or a failover to "
                "a freshly started replica. Size the host for the peak, not for today.");
    } else {
        say(t->fix, sizeof t->fix,
            "This server (%s) cannot give it back while it runs: restart it in a quiet hour with "
            "persistence on, or fail over to a freshly started replica. Until then Redis reuses it before it asks for "
            "more. Size the host for the peak, not for today.",
            c->m->allocator == MEMMODEL_ALLOC_JEMALLOC ? "before 4.0" : "its allocator");
    }
}

static verdict decide_frag(const ctx *c)
{
    double excess;
    if (!rss_excess_matters(c, &excess) || kept_after_peak(c, excess)) return none;
    return (verdict){DIAGNOSE_WARNING, rss_cause(c)};
}

/* Active defrag: on, off, or not to be had on this server. */
static void say_defrag(const ctx *c, char *fix, size_t cap)
{
    double on = 0;
    bool known = srvconf_get(c->in->conf, SRVCONF_ACTIVEDEFRAG, &on);
    if (!has(c, MEMMODEL_CMD_ACTIVEDEFRAG))
        add_say(fix, cap,
                "This server has no active defrag (it needs 4.0+ and jemalloc): restart it in a quiet hour "
                "with persistence on, or fail over to a freshly started replica.");
    else if (known && on)
        add_say(fix, cap,
                "Active defrag is already on: give it more CPU (`CONFIG SET active-defrag-cycle-max 50`), or "
                "fail over to a freshly started replica.");
    else
        add_say(fix, cap,
                "`CONFIG SET activedefrag yes` (%s); builds linked to the system's jemalloc (Debian's, for "
                "one) refuse it. For good: fail over to a freshly started replica, or restart in a quiet hour with "
                "persistence on.",
                persist(c));
}

static void explain_frag(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    double excess = memmodel_rss_excess(c->m), frag = 0, v = 0;
    char excess_h[32], v_h[32];
    fmt_bytes(excess, excess_h, sizeof excess_h);
    info_get(c->s, INFO_MEM_FRAG_RATIO, &frag);
    say(t->summary, sizeof t->summary,
        "RSS exceeds used memory by %s beyond the script engines (mem_fragmentation_ratio "
        "%.2f)",
        excess_h, frag);
    t->fix[0] = '\0';
    switch (f->cause) {
    case FRAG_ALLOCATOR:
        memmodel_rss(c->m, MEMMODEL_ALLOC_FRAG, &v);
        fmt_bytes(v, v_h, sizeof v_h);
        add_say(t->summary, sizeof t->summary,
                "; most of it is allocator fragmentation (allocator_frag_bytes %s): data "
                "spread thinly over many pages",
                v_h);
        say_defrag(c, t->fix, sizeof t->fix);
        /* the pages it keeps beside that are the part a purge can give back now */
        if (has(c, MEMMODEL_CMD_MEMORY_PURGE) && memmodel_rss(c->m, MEMMODEL_ALLOC_RSS, &v) && v >= 0.1 * excess) {
            fmt_bytes(v, v_h, sizeof v_h);
            add_say(t->fix, sizeof t->fix,
                    " `MEMORY PURGE` gives back the %s of pages it keeps resident now (no key is "
                    "touched).",
                    v_h);
        }
        break;
    case FRAG_RETAINED:
        memmodel_rss(c->m, MEMMODEL_ALLOC_RSS, &v);
        fmt_bytes(v, v_h, sizeof v_h);
        add_say(t->summary, sizeof t->summary,
                "; most of it is pages the allocator keeps resident after frees "
                "(allocator_rss_bytes %s)",
                v_h);
        if (has(c, MEMMODEL_CMD_MEMORY_PURGE))
            add_say(t->fix, sizeof t->fix,
                    "`MEMORY PURGE` gives those pages back now (no key is touched); they come back "
                    "under churn, which is harmless while the host has the RAM.");
        else say_defrag(c, t->fix, sizeof t->fix);
        break;
    case FRAG_OUTSIDE:
        memmodel_rss(c->m, MEMMODEL_OUTSIDE, &v);
        fmt_bytes(v, v_h, sizeof v_h);
        add_say(t->summary, sizeof t->summary,
                "; most of it is outside the allocator (rss_overhead_bytes less the Lua "
                "engine: %s)",
                v_h);
        add_say(t->fix, sizeof t->fix,
                "Not the allocator's: defrag and purging cannot free it. Look for modules "
                "(`MODULE LIST`) and see which mapping holds it in /proc/<process_id>/smaps; a running fork's shared "
                "pages count here until the save ends.");
        break;
    default:
        say_defrag(c, t->fix, sizeof t->fix);
        if (has(c, MEMMODEL_CMD_MEMORY_PURGE))
            add_say(t->fix, sizeof t->fix, " `MEMORY PURGE` gives back freed pages now, which is part of it.");
        break;
    }
}

#define SWAP_EVIDENCE_BYTES MIB /* VmSwap at least this: part of Redis is swapped out */

enum { BELOW_UNKNOWN, BELOW_SWAPPED };

/* RSS below used memory: a note without evidence (INFO cannot show swap), a warning with
 * VmSwap to show it, no finding when VmSwap shows nothing is swapped (untouched pages). */
static verdict decide_rss_below(const ctx *c)
{
    const memmodel *m = c->m;
    if (!m->has_rss || !m->has_used || m->rss >= m->used || m->used - m->rss < c->th->fragmentation_min_bytes)
        return none;
    if (!m->has_swap) return (verdict){DIAGNOSE_INFO, BELOW_UNKNOWN};
    return m->swap >= SWAP_EVIDENCE_BYTES ? (verdict){DIAGNOSE_WARNING, BELOW_SWAPPED} : none;
}

static void explain_rss_below(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    char rss_h[32], gap_h[32], swap_h[32], pid[48] = "<process_id>";
    fmt_bytes(c->m->rss, rss_h, sizeof rss_h);
    fmt_bytes(c->m->used - c->m->rss, gap_h, sizeof gap_h);
    fmt_bytes(c->m->swap, swap_h, sizeof swap_h);
    double v;
    if (info_get(c->s, INFO_PROCESS_ID, &v)) snprintf(pid, sizeof pid, "%.0f", v);
    if (f->cause == BELOW_SWAPPED) {
        say(t->summary, sizeof t->summary,
            "used_memory_rss %s is %s under used_memory %s and the process has %s "
            "swapped out (VmSwap in /proc/%s/status): every access to those pages waits on the disk",
            rss_h, gap_h, c->used_h, swap_h, pid);
        say(t->fix, sizeof t->fix,
            "Give Redis RAM back: keep maxmemory well below the host's free RAM (%s), move "
            "other memory users off the host, or add RAM; `sysctl vm.swappiness=1` makes the kernel swap Redis last.",
            c->d->max_configured ? "lower it" : "set one");
        return;
    }
    say(t->summary, sizeof t->summary,
        "RSS is below used memory: used_memory_rss %s is %s under used_memory %s: pages "
        "swapped out or never touched; INFO cannot show which",
        rss_h, gap_h, c->used_h);
    say(t->fix, sizeof t->fix,
        "Check the Redis process's swap: `grep VmSwap /proc/%s/status` on its host. Near 0: "
        "nothing to do (untouched pages). If it is swapped: keep maxmemory well below the host's free RAM, set "
        "vm.swappiness=1, or add RAM.",
        pid);
}

/* ---- the rows: the host ---- */

/* Forks happen where there are RDB saves, an AOF or replicas (a full sync forks). */
static bool forks_happen(const ctx *c)
{
    double save_points = 0, aof = 0, slaves = 0, v;
    bool saves = srvconf_get(c->in->conf, SRVCONF_SAVE, &save_points)
        ? save_points > 0
        : (info_get(c->s, INFO_RDB_LAST_BGSAVE_TIME, &v) && v >= 0);
    return saves || (info_get(c->s, INFO_AOF_ENABLED, &aof) && aof > 0) ||
        (info_get(c->s, INFO_CONNECTED_SLAVES, &slaves) && slaves > 0);
}

/* What a fork must fit beside: the limit, or today's RSS if larger. */
static double fork_base(const ctx *c)
{
    return fmax(c->d->max_configured ? c->max : 0, c->m->has_rss ? c->m->rss : c->used);
}

static verdict decide_fork(const ctx *c)
{
    double cow = fork_copy(c->s);
    if (!forks_happen(c) || !c->m->has_host || fork_base(c) + cow <= FORK_HOST_SHARE * c->m->host) return none;
    return (verdict){(c->m->has_rss ? c->m->rss : c->used) + cow > c->m->host ? DIAGNOSE_CRITICAL : DIAGNOSE_WARNING,
                     0};
}

static void explain_fork(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    (void)f;
    double cow = fork_copy(c->s), base = fork_base(c);
    char host_h[32], cow_h[32], base_h[32], want_h[32], cmd[128];
    fmt_bytes(c->m->host, host_h, sizeof host_h);
    fmt_bytes(cow, cow_h, sizeof cow_h);
    fmt_bytes(base, base_h, sizeof base_h);
    say(t->summary, sizeof t->summary,
        "%s %s plus the last fork's copy-on-write %s is %.0f %% of the host's RAM %s "
        "(total_system_memory; a container's limit may be lower)",
        c->d->max_configured && c->max >= c->m->rss ? "maxmemory" : "used_memory_rss", base_h, cow_h,
        100.0 * (base + cow) / c->m->host, host_h);
    if (suggest_host_limit(c->m->has_rss ? c->m->rss : c->used, c->m->host, 0.85, cow, want_h, sizeof want_h))
        say(t->fix, sizeof t->fix,
            "Leave room for the fork: %s; today's data fits in it. Also: vm.overcommit_memory=1 "
            "(sysctl) so the fork itself is allowed, and saves at quiet hours or on a replica.",
            set_limit(c, want_h, cmd, sizeof cmd));
    else
        say(t->fix, sizeof t->fix,
            "The data leaves no room for a fork's copy on this host: take saves on a replica "
            "(`CONFIG SET save \"\"` here only if a replica or AOF elsewhere keeps the data), add RAM, or split the "
            "data. Set vm.overcommit_memory=1 (sysctl) so the fork is allowed at all.");
}

/* No limit at all, and the host is filling up. */
static verdict decide_no_limit(const ctx *c)
{
    /* RSS counts too, unless it is memory kept after a peak or fragmentation: a limit
     * bounds used memory and frees none of that (their own findings say what does) */
    double excess;
    double base = rss_excess_matters(c, &excess) || !c->m->has_rss ? c->used : fmax(c->used, c->m->rss);
    if (c->d->max_configured || !c->m->has_used || !c->m->has_host || c->replica ||
        base < c->th->no_limit_host_share * c->m->host)
        return none;
    return (verdict){DIAGNOSE_WARNING, 0};
}

static void explain_no_limit(const ctx *c, const diagnose_finding *f, diagnose_text *t)
{
    (void)f;
    char host_h[32], want_h[32], cmd[128];
    fmt_bytes(c->m->host, host_h, sizeof host_h);
    say(t->summary, sizeof t->summary,
        "maxmemory is 0 (no limit) and used_memory %s is %.0f %% of the host's RAM %s "
        "(total_system_memory: the host's, not a container's limit, which may be lower)",
        c->used_h, 100.0 * c->used / c->m->host, host_h);
    double need = fmax(c->used, c->m->has_rss ? c->m->rss : 0);
    if (suggest_host_limit(need, c->m->host, 0.75, forks_happen(c) ? fork_copy(c->s) : 0, want_h, sizeof want_h))
        say(t->fix, sizeof t->fix,
            "Set a limit below the RAM, with room for a fork: %s; today's data fits, nothing is "
            "evicted now. At the limit %s. In a container, size it from the container's memory limit instead.",
            set_limit(c, want_h, cmd, sizeof cmd),
            c->d->policy == DERIVE_POLICY_NOEVICTION
                ? "noeviction (the default) refuses writes and keeps every key; a cache would rather `CONFIG SET "
                  "maxmemory-policy allkeys-lru`"
                : "the policy evicts");
    else
        say(t->fix, sizeof t->fix,
            "No limit fits below this host's RAM without evicting now: add RAM or move part of "
            "the data to another instance first, then set maxmemory.");
}

/* ---- the table ---- */

typedef struct row {
    verdict (*decide)(const ctx *c);
    void (*explain)(const ctx *c, const diagnose_finding *f, diagnose_text *t);
    bool symptom; /* what a cause leads to: read after the causes of the same severity */
} row;

/* In the order of diagnose.h's table (the order of cause); the Cluster row is decided
 * across targets (clusters.c). */
static const row rows[DIAGNOSE_COUNT] = {
    [DIAGNOSE_CLIENT_QUERY_BUFFERS] = {decide_query, explain_query, false},
    [DIAGNOSE_CLIENT_OUTPUT_BUFFERS] = {decide_output, explain_output, false},
    [DIAGNOSE_CLUSTER_LINKS] = {decide_links, explain_links, false},
    [DIAGNOSE_REPLICATION_BACKLOG] = {decide_backlog, explain_backlog, false},
    [DIAGNOSE_SCRIPT_CACHE] = {decide_scripts, explain_scripts, false},
    [DIAGNOSE_MEMORY_NOT_DATA] = {decide_not_data, explain_not_data, false},
    [DIAGNOSE_KEY_GROWING_UNBOUNDED] = {decide_growing, explain_growing, false},
    [DIAGNOSE_MEMORY_NEAR_LIMIT] = {decide_near_limit, explain_near_limit, true},
    [DIAGNOSE_NOEVICTION_AT_LIMIT] = {decide_noeviction, explain_noeviction, false},
    [DIAGNOSE_VOLATILE_WITHOUT_TTL_KEYS] = {decide_volatile, explain_volatile, false},
    [DIAGNOSE_OOM_REJECTIONS] = {decide_oom, explain_oom, true},
    [DIAGNOSE_LARGE_KEYS] = {decide_large, explain_large, false},
    [DIAGNOSE_MEMORY_KEPT_AFTER_PEAK] = {decide_kept, explain_kept, false},
    [DIAGNOSE_FRAGMENTATION_HIGH] = {decide_frag, explain_frag, false},
    [DIAGNOSE_RSS_BELOW_USED] = {decide_rss_below, explain_rss_below, false},
    [DIAGNOSE_FORK_MEMORY] = {decide_fork, explain_fork, false},
    [DIAGNOSE_NO_MEMORY_LIMIT] = {decide_no_limit, explain_no_limit, false},
    [DIAGNOSE_SHARD_NEAR_LIMIT_ALONE] = {NULL, NULL, false},
};

void diagnose_run(const diagnose_input *in, const diagnose_thresholds *th, diagnose_result *out)
{
    memset(out, 0, sizeof *out);
    ctx c;
    build_ctx(&c, in, th);
    for (int id = 0; id < DIAGNOSE_COUNT; id++) {
        if (!rows[id].decide) continue;
        verdict v = rows[id].decide(&c);
        if (v.severity == DIAGNOSE_OK) continue;
        out->findings[out->n++] = (diagnose_finding){(uint8_t)id, (uint8_t)v.severity, (uint8_t)v.cause};
        if (v.severity > out->worst) out->worst = v.severity;
    }
}

void diagnose_explain(const diagnose_input *in, const diagnose_thresholds *th, const diagnose_result *res,
                      diagnose_text *text)
{
    ctx c;
    build_ctx(&c, in, th);
    for (size_t k = 0; k < res->n; k++) {
        const diagnose_finding *f = &res->findings[k];
        text[k].summary[0] = text[k].fix[0] = '\0';
        if (rows[f->id].explain) rows[f->id].explain(&c, f, &text[k]);
    }
}

void diagnose_reading_order(const diagnose_result *res, size_t *order)
{
    size_t k = 0;
    /* severity, then cause before symptom, then the table's order: an insertion in passes */
    for (int sev = DIAGNOSE_CRITICAL; sev >= DIAGNOSE_INFO; sev--)
        for (int symptom = 0; symptom <= 1; symptom++)
            for (size_t i = 0; i < res->n; i++)
                if (res->findings[i].severity == sev && rows[res->findings[i].id].symptom == (symptom == 1))
                    order[k++] = i;
}
