/* diagnose: findings from a sample and its derived values. See include/diagnose.h. */
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
    return s == DIAGNOSE_CRITICAL ? "critical" : s == DIAGNOSE_WARNING ? "warning" : "ok";
}

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

/* A maxmemory value to suggest: room for 50 % more than today's use, in whole MiB. */
static void suggest_maxmemory(double used, double max, char *out, size_t cap)
{
    double want = used * 1.5;
    if (want < max * 1.25) want = max * 1.25;
    snprintf(out, cap, "%.0fmb", ceil(want / 1048576.0));
}

/* Records a finding; returns where its words go (the caller's text, or scratch that is
 * thrown away when only ids are wanted). */
static diagnose_text *add(diagnose_result *r, diagnose_text *text, diagnose_text *scratch, diagnose_id id,
                          diagnose_severity sev)
{
    diagnose_finding *f = &r->findings[r->n];
    f->id = id;
    f->severity = sev;
    if (sev > r->worst) r->worst = sev;
    diagnose_text *t = text ? &text[r->n] : scratch;
    r->n++;
    t->summary[0] = t->fix[0] = '\0';
    return t;
}

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

/* What holds memory that evicting keys cannot free. The largest one, when it holds a
 * large part of used memory under pressure, owns the advice: no finding then offers an
 * evicting policy, deletions or a higher limit. */
typedef struct holder {
    diagnose_id id;   /* its own finding */
    const char *words;
    double bytes;
} holder;

static bool is_replica_ignoring_limit(const info_sample *s, const srvconf *conf)
{
    const char *role = info_text_get(s, INFO_ROLE);
    if (!role || strcmp(role, "slave") != 0) return false;
    double ignore;
    /* replica-ignore-maxmemory is yes by default since 5.0; older replicas do evict */
    if (srvconf_get(conf, SRVCONF_REPLICA_IGNORE_MAXMEMORY, &ignore)) return ignore != 0;
    return info_major_version(s) >= 5;
}

/* A maxmemory that fits a share of the host's RAM with room for a fork's copy, and is at
 * least 25 % above today's use so that setting it evicts or rejects nothing. false when
 * no such value exists. */
static bool suggest_host_limit(double used, double host, double share, double cow, char *out, size_t cap)
{
    double want = floor((host * share - cow) / 1048576.0);
    if (want * 1048576.0 < used * 1.25) return false;
    snprintf(out, cap, "%.0fmb", want);
    return true;
}

/* The largest sampled namespace a person can name as a pattern (not the keys without a
 * separator, not the "(other)" bucket, not a hashed name); with without_ttl, only one
 * whose keys (almost) never have a TTL. */
static const diagnose_namespace *nameable_namespace(const diagnose_input *in, bool without_ttl)
{
    for (size_t i = 0; i < in->n_namespaces; i++) {
        const diagnose_namespace *ns = &in->namespaces[i];
        if (!ns->name[0] || ns->name[0] == '(' || strncmp(ns->name, "hash:", 5) == 0) continue;
        if (without_ttl && ns->ttl_ratio >= 0.01) continue;
        return ns;
    }
    return NULL;
}

void diagnose_run(const diagnose_input *in, const diagnose_thresholds *th, diagnose_result *out, diagnose_text *text)
{
    memset(out, 0, sizeof *out);
    diagnose_text scratch;
    const info_sample *s = in->sample;
    const derived *d = in->derived;
    double used = 0, max = 0, rss = 0, frag = 0, frag_bytes = 0, oom_count = 0, host = 0;
    bool has_used = info_get(s, INFO_USED_MEMORY, &used);
    info_get(s, INFO_MAXMEMORY, &max);
    bool has_rss = info_get(s, INFO_USED_MEMORY_RSS, &rss);
    bool has_frag = info_get(s, INFO_MEM_FRAG_RATIO, &frag);
    bool has_host = info_get(s, INFO_TOTAL_SYSTEM_MEMORY, &host) && host > 0;
    if (!info_get(s, INFO_MEM_FRAG_BYTES, &frag_bytes)) frag_bytes = rss - used;
    bool has_oom_count = info_error_count(s, "OOM", &oom_count);
    const char *policy = info_text_get(s, INFO_MAXMEMORY_POLICY);
    const char *allocator = info_text_get(s, INFO_MEM_ALLOCATOR);
    double defrag_on = 0;
    bool has_defrag = srvconf_get(in->conf, SRVCONF_ACTIVEDEFRAG, &defrag_on);
    bool replica = is_replica_ignoring_limit(s, in->conf);

    char used_h[32], max_h[32], suggest[32];
    fmt_bytes(used, used_h, sizeof used_h);
    fmt_bytes(max, max_h, sizeof max_h);
    suggest_maxmemory(used, max, suggest, sizeof suggest);
    double ratio = d->has_used_ratio ? d->used_ratio : 0;
    /* the namespaces' shares are of the data (MEMORY USAGE totals), not of the overhead */
    double data_bytes = d->has_breakdown && d->parts[DERIVE_PART_DATA] > 0 ? d->parts[DERIVE_PART_DATA] : fmax(used, 1);
    const diagnose_namespace *ns = NULL;
    bool at_limit = d->max_configured && has_used && used >= max;

    /* Are writes being rejected now? Counted where errorstats exist (6.2+); inferred from
     * "at the limit and nothing to evict" on older servers (never on a replica that does
     * not apply its limit). */
    bool oom_now, oom_inferred = false;
    if (has_oom_count) {
        oom_now = in->one_shot ? oom_count > 0 : (d->has_oom_rate && d->oom_rate > 0);
    } else {
        oom_now = !replica && at_limit && d->has_eviction_possible && !d->eviction_possible;
        oom_inferred = oom_now;
    }

    double clients = 0, max_out = 0, backlog = 0, replica_bufs = 0, scripts = 0, vm = 0;
    bool has_clients = info_get(s, INFO_MEM_CLIENTS_NORMAL, &clients);
    bool has_max_out = info_get(s, INFO_CLIENT_MAX_OUTPUT_BUFFER, &max_out);
    info_get(s, INFO_MEM_REPL_BACKLOG, &backlog);
    info_get(s, INFO_MEM_CLIENTS_SLAVES, &replica_bufs);
    if (!info_get(s, INFO_USED_MEMORY_SCRIPTS_EVAL, &scripts)) info_get(s, INFO_USED_MEMORY_SCRIPTS, &scripts);
    if (!info_get(s, INFO_USED_MEMORY_VM_EVAL, &vm)) info_get(s, INFO_USED_MEMORY_LUA, &vm);
    holder holders[] = {
        {DIAGNOSE_CLIENT_OUTPUT_BUFFERS, "client buffers", has_clients ? clients : 0},
        {DIAGNOSE_REPLICATION_BACKLOG, "the replication backlog and replica buffers", backlog + replica_bufs},
        {DIAGNOSE_SCRIPT_CACHE, "the script cache", scripts},
    };
    bool pressure = !replica && (ratio >= th->memory_warning || oom_now);
    const holder *hold = NULL;
    for (size_t i = 0; i < sizeof holders / sizeof holders[0]; i++) {
        const holder *h = &holders[i];
        if (has_used && d->max_configured && pressure && h->bytes >= 1048576.0 && h->bytes >= 0.25 * used &&
            (!hold || h->bytes > hold->bytes))
            hold = h;
    }
    char hold_h[32];
    fmt_bytes(hold ? hold->bytes : 0, hold_h, sizeof hold_h);
    diagnose_severity hold_sev = oom_now || ratio >= th->memory_critical ? DIAGNOSE_CRITICAL : DIAGNOSE_WARNING;

    /* 1. Limit too low, or growing towards it. Under allkeys-* with keys to evict, being
     * at the limit is how a cache works: a warning at most, never critical. A replica that
     * ignores its limit evicts nothing and rejects nothing: a warning about what happens
     * when it is promoted. */
    bool soon_full = d->has_time_to_full && d->time_to_full < 3600;
    bool cache = d->policy == DERIVE_POLICY_ALLKEYS && d->has_eviction_possible && d->eviction_possible && !hold;
    if (d->has_used_ratio && (ratio >= th->memory_warning || soon_full)) {
        diagnose_text *f = add(out, text, &scratch, DIAGNOSE_MEMORY_NEAR_LIMIT,
                                  ratio >= th->memory_critical && !cache && !replica ? DIAGNOSE_CRITICAL
                                                                                     : DIAGNOSE_WARNING);
        int n = snprintf(f->summary, sizeof f->summary, "used_memory %s is %.1f %% of maxmemory %s", used_h,
                         ratio * 100, max_h);
        if (d->has_time_to_full && n > 0 && (size_t)n < sizeof f->summary)
            n += snprintf(f->summary + n, sizeof f->summary - (size_t)n,
                          "; at the recent growth it is full in %.0f min", d->time_to_full / 60);
        if (replica && n > 0 && (size_t)n < sizeof f->summary)
            snprintf(f->summary + n, sizeof f->summary - (size_t)n,
                     "; this replica ignores maxmemory (replica-ignore-maxmemory yes) until it is promoted");
        if (replica)
            say(f->fix, sizeof f->fix,
                "Nothing is evicted or rejected here now: the primary decides. But once promoted this replica "
                "enforces its own limit at once. Give it at least the primary's maxmemory (and no less than %s): "
                "`CONFIG SET maxmemory %s`, then `CONFIG REWRITE`.", suggest, suggest);
        else if (hold)
            say(f->fix, sizeof f->fix,
                "Of it, %s hold %s: free that first (see %s); a higher limit would only let it grow further.",
                hold->words, hold_h, diagnose_id_name(hold->id));
        else if (cache)
            say(f->fix, sizeof f->fix,
                "%s evicts at the limit by design: nothing to fix while evictions do not cost hits (compare "
                "redis_evicted_keys_per_second with the keyspace hit ratio). If they do and the host has the RAM: "
                "`CONFIG SET maxmemory %s`.", policy ? policy : "allkeys-*", suggest);
        else {
            int n2 = snprintf(f->fix, sizeof f->fix,
                "If the host has the RAM: `CONFIG SET maxmemory %s` (then `CONFIG REWRITE` to keep it). Otherwise free "
                "memory: give keys a TTL (`EXPIRE key seconds`) or delete what is not needed (`UNLINK key`).",
                suggest);
            ns = nameable_namespace(in, false);
            if (ns && n2 > 0 && (size_t)n2 < sizeof f->fix &&
                !say(f->fix + n2, sizeof f->fix - (size_t)n2, " The largest namespace is %s:* (%.0f %% of the "
                     "data, %.0f %% of its keys with a TTL).", ns->name, fmin(100, 100 * ns->bytes / data_bytes),
                     100 * ns->ttl_ratio))
                f->fix[n2] = '\0';   /* a name too long to fit: the advice without it */
        }
    }

    /* 2. No eviction policy. */
    if (!replica && d->policy == DERIVE_POLICY_NOEVICTION && d->max_configured &&
        (ratio >= th->memory_warning || oom_now)) {
        diagnose_text *f = add(out, text, &scratch, DIAGNOSE_NOEVICTION_AT_LIMIT,
                                  oom_now || ratio >= th->memory_critical ? DIAGNOSE_CRITICAL : DIAGNOSE_WARNING);
        say(f->summary, sizeof f->summary,
            "maxmemory-policy is noeviction and used_memory is %.1f %% of maxmemory %s", ratio * 100, max_h);
        if (hold)
            say(f->fix, sizeof f->fix,
                "Do not change the policy for this: %s hold %s, and an evicting policy would delete keys without "
                "freeing it. Free that first (see %s).", hold->words, hold_h, diagnose_id_name(hold->id));
        else
            say(f->fix, sizeof f->fix,
                "If the data is a cache that can be rebuilt: `CONFIG SET maxmemory-policy allkeys-lru`. If every key "
                "must stay: `CONFIG SET maxmemory %s` and plan capacity.", suggest);
    }

    /* 3. Nothing to evict under a volatile-* policy. */
    if (!replica && d->policy == DERIVE_POLICY_VOLATILE && d->max_configured && d->keys_total > 0 &&
        d->expires_total < d->keys_total * th->ttl_min_ratio && (ratio >= th->memory_warning || oom_now)) {
        diagnose_text *f = add(out, text, &scratch, DIAGNOSE_VOLATILE_WITHOUT_TTL_KEYS,
                                  oom_now || ratio >= th->memory_critical ? DIAGNOSE_CRITICAL : DIAGNOSE_WARNING);
        say(f->summary, sizeof f->summary,
            "maxmemory-policy is %s but only %.0f of %.0f keys (%.2f %%) have a TTL; used_memory is %.1f %% of "
            "maxmemory", policy ? policy : "volatile-*", d->expires_total, d->keys_total,
            100.0 * d->expires_total / d->keys_total, ratio * 100);
        if (hold)
            say(f->fix, sizeof f->fix,
                "Not now: %s hold %s, which no eviction frees (see %s). Later, give keys a TTL when writing them "
                "(`SET key value EX seconds`).", hold->words, hold_h, diagnose_id_name(hold->id));
        else {
            /* the namespace that holds the data without TTLs, named with the pattern that
             * lists it; without one (or if it did not fit whole) the general advice */
            ns = nameable_namespace(in, true);
            bool named = ns && say(f->fix, sizeof f->fix,
                "%s:* holds %.0f %% of the data and %.0f %% of its keys have a TTL: give them one where they are "
                "written (`SET key value EX seconds`); list the ones there now with `redis-cli --scan --pattern "
                "'%s:*'` and `EXPIRE` each. Or let Redis evict any key: `CONFIG SET maxmemory-policy allkeys-lru`.",
                ns->name, fmin(100, 100 * ns->bytes / data_bytes), 100 * ns->ttl_ratio, ns->name);
            if (!named)
                say(f->fix, sizeof f->fix,
                    "Give keys a TTL when writing them (`SET key value EX seconds`, or `EXPIRE key seconds`), or let "
                    "Redis evict any key: `CONFIG SET maxmemory-policy allkeys-lru`.");
        }
    }

    /* 4. Large keys (from the sampler). */
    size_t n_large = 0;
    for (size_t i = 0; i < in->n_largest; i++)
        if (in->largest[i].bytes >= th->large_key_bytes) n_large++;
    if (n_large > 0) {
        const diagnose_key *k = &in->largest[0];
        char size_h[32], limit_h[32];
        fmt_bytes(k->bytes, size_h, sizeof size_h);
        fmt_bytes(th->large_key_bytes, limit_h, sizeof limit_h);
        diagnose_text *f = add(out, text, &scratch, DIAGNOSE_LARGE_KEYS, DIAGNOSE_WARNING);
        say(f->summary, sizeof f->summary, "%zu sampled key%s of %s or more; the largest is db%d \"%s\" (%s, %s)",
            n_large, n_large == 1 ? "" : "s", limit_h, k->db, k->name, k->type, size_h);
        say(f->fix, sizeof f->fix,
            "Inspect it: `SELECT %d`, then `MEMORY USAGE \"%s\"` and `TYPE \"%s\"`. Split it into smaller keys or trim "
            "it (LTRIM, HDEL, SREM, ZREMRANGEBYRANK, XTRIM); delete it without blocking: `UNLINK \"%s\"`.",
            k->db, k->name, k->name, k->name);
    }

    /* 5. Fragmentation. */
    if (has_frag && frag >= th->fragmentation_ratio && frag_bytes >= th->fragmentation_min_bytes) {
        char waste_h[32];
        fmt_bytes(frag_bytes, waste_h, sizeof waste_h);
        diagnose_text *f = add(out, text, &scratch, DIAGNOSE_FRAGMENTATION_HIGH, DIAGNOSE_WARNING);
        say(f->summary, sizeof f->summary, "mem_fragmentation_ratio %.2f: RSS exceeds used memory by %s%s", frag,
            waste_h, has_defrag ? (defrag_on ? "; activedefrag is on" : "; activedefrag is off") : "");
        bool jemalloc = allocator && strncmp(allocator, "jemalloc", 8) == 0;
        if (jemalloc && !(has_defrag && defrag_on))
            say(f->fix, sizeof f->fix,
                "`CONFIG SET activedefrag yes` (then `CONFIG REWRITE`); builds linked to the system's jemalloc "
                "(Debian's, for one) refuse it. `MEMORY PURGE` gives back freed pages now, which is part of it. For "
                "good: fail over to a freshly started replica, or restart in a quiet hour with persistence on.");
        else if (jemalloc)
            say(f->fix, sizeof f->fix,
                "Active defrag is already on: give it more CPU (`CONFIG SET active-defrag-cycle-max 50`), run "
                "`MEMORY PURGE`, or fail over to a freshly started replica.");
        else
            say(f->fix, sizeof f->fix,
                "This allocator (%s) has no active defrag: `MEMORY PURGE` where supported, or restart / fail over to "
                "a fresh replica in a quiet hour.", allocator ? allocator : "unknown");
    }

    /* 5b. RSS below used memory: swapping. */
    if (has_rss && has_used && rss < used && used - rss >= th->fragmentation_min_bytes) {
        char rss_h[32];
        fmt_bytes(rss, rss_h, sizeof rss_h);
        diagnose_text *f = add(out, text, &scratch, DIAGNOSE_RSS_BELOW_USED, DIAGNOSE_WARNING);
        say(f->summary, sizeof f->summary, "used_memory_rss %s is below used_memory %s (fragmentation ratio %.2f)",
            rss_h, used_h, has_frag ? frag : rss / used);
        say(f->fix, sizeof f->fix,
            "Check swap: `grep VmSwap /proc/$(pidof redis-server)/status`. Keep maxmemory well below the host's "
            "free RAM (`CONFIG SET maxmemory <bytes>`), set vm.swappiness=1, or add RAM.");
    }

    /* OOM rejections themselves. */
    if (oom_now) {
        diagnose_severity sev = DIAGNOSE_CRITICAL;
        diagnose_text *f;
        if (oom_inferred) {
            f = add(out, text, &scratch, DIAGNOSE_OOM_REJECTIONS, sev);
            say(f->summary, sizeof f->summary,
                "used_memory %s has reached maxmemory %s and the policy cannot evict: writes are being rejected "
                "(inferred; this server has no INFO errorstats)", used_h, max_h);
        } else if (in->one_shot) {
            if (!at_limit && ratio < th->memory_critical) sev = DIAGNOSE_WARNING;
            f = add(out, text, &scratch, DIAGNOSE_OOM_REJECTIONS, sev);
            say(f->summary, sizeof f->summary,
                "errorstat_OOM: %.0f command%s rejected since the server started or CONFIG RESETSTAT%s", oom_count,
                oom_count == 1 ? "" : "s",
                sev == DIAGNOSE_CRITICAL ? "; still at the limit" : "");
        } else {
            f = add(out, text, &scratch, DIAGNOSE_OOM_REJECTIONS, sev);
            say(f->summary, sizeof f->summary, "%.1f commands per second rejected with OOM (errorstat_OOM total %.0f)",
                d->oom_rate, oom_count);
        }
        if (hold)
            say(f->fix, sizeof f->fix,
                "Free %s now (%s; see %s): deleting keys or raising the limit would not stop it growing.",
                hold->words, hold_h, diagnose_id_name(hold->id));
        else if (!d->max_configured)
            say(f->fix, sizeof f->fix,
                "No maxmemory is set now: these were rejected under an earlier limit (or maxmemory-clients). "
                "Nothing to raise; if a limit comes back, size it from used_memory_peak.");
        else
            say(f->fix, sizeof f->fix,
                "Free memory now (`UNLINK key` for large or unneeded keys) or raise the limit: `CONFIG SET maxmemory %s`. Then "
                "fix the cause named by the other findings (policy, TTLs, large keys).", suggest);
    }

    /* 6. What eviction cannot free, when it holds much of the memory under pressure. */
    if (hold && hold->id == DIAGNOSE_CLIENT_OUTPUT_BUFFERS) {
        diagnose_text *f = add(out, text, &scratch, DIAGNOSE_CLIENT_OUTPUT_BUFFERS, hold_sev);
        char max_out_h[32];
        fmt_bytes(max_out, max_out_h, sizeof max_out_h);
        say(f->summary, sizeof f->summary,
            "client buffers (mem_clients_normal) hold %s of used_memory %s (%.0f %%)%s%s", hold_h, used_h,
            100.0 * clients / used, has_max_out ? "; the largest output buffer is " : "", has_max_out ? max_out_h : "");
        say(f->fix, sizeof f->fix,
            "Find the client: `CLIENT LIST` (omem is its output buffer; sub or psub above 0 is a subscriber). "
            "Disconnect it: `CLIENT KILL ID <id>`. Then cap what one slow client may hold: `CONFIG SET "
            "client-output-buffer-limit \"pubsub 8mb 2mb 60\"`%s. Changing the eviction policy frees none of this.",
            info_major_version(s) >= 7 ? "; and `CONFIG SET maxmemory-clients 10%`" : "");
    }
    if (hold && hold->id == DIAGNOSE_REPLICATION_BACKLOG) {
        diagnose_text *f = add(out, text, &scratch, DIAGNOSE_REPLICATION_BACKLOG, hold_sev);
        char backlog_h[32], bufs_h[32], want_h[32];
        fmt_bytes(backlog, backlog_h, sizeof backlog_h);
        fmt_bytes(replica_bufs, bufs_h, sizeof bufs_h);
        /* A backlog a quarter of today's, at least 1 MiB and at most a tenth of the limit. */
        double want = fmax(1, floor(fmin(backlog / 4, max / 10) / 1048576.0));
        snprintf(want_h, sizeof want_h, "%.0fmb", want);
        say(f->summary, sizeof f->summary,
            "the replication backlog holds %s and replica output buffers %s: %.0f %% of used_memory %s", backlog_h,
            bufs_h, 100.0 * (backlog + replica_bufs) / used, used_h);
        if (backlog >= replica_bufs)
            say(f->fix, sizeof f->fix,
                "Shrink the backlog: `CONFIG SET repl-backlog-size %s` (then `CONFIG REWRITE`). Replicas stay in sync; "
                "one cut off for longer than the smaller backlog covers needs a full resync. Or keep the backlog and "
                "raise maxmemory by its size (`CONFIG SET maxmemory %s`).", want_h, suggest);
        else
            say(f->fix, sizeof f->fix,
                "A replica is not keeping up: `INFO replication` (its offset lag) and `CLIENT LIST TYPE replica` (omem). "
                "Cap what it may hold: `CONFIG SET client-output-buffer-limit \"replica 256mb 64mb 60\"`; a replica "
                "past it is disconnected and resyncs. Evicting keys frees none of this.");
    }
    if (hold && hold->id == DIAGNOSE_SCRIPT_CACHE) {
        diagnose_text *f = add(out, text, &scratch, DIAGNOSE_SCRIPT_CACHE, hold_sev);
        double n_scripts = 0;
        bool has_n = info_get(s, INFO_CACHED_SCRIPTS, &n_scripts);
        char vm_h[32], n_h[48] = "";
        fmt_bytes(vm, vm_h, sizeof vm_h);
        if (has_n) snprintf(n_h, sizeof n_h, "in %.0f cached scripts ", n_scripts);
        say(f->summary, sizeof f->summary,
            "the script cache holds %s %s(%.0f %% of used_memory %s); the Lua engine holds %s more outside it",
            hold_h, n_h, 100.0 * scripts / used, used_h, vm_h);
        say(f->fix, sizeof f->fix,
            "`SCRIPT FLUSH` empties the cache (no key is touched; clients that use EVALSHA reload their scripts on "
            "NOSCRIPT). Then find the code that builds script text per call and pass values as KEYS and ARGV, so "
            "one script serves every call (or use `FUNCTION LOAD` on 7.0+).");
    }

    /* 7. A fork that may not fit the host's RAM: the limit (or today's RSS, if larger) plus
     * the copy-on-write the last fork made. Only where forks happen: RDB saves, an AOF or
     * replicas (a full sync forks). */
    double save_points = 0, aof = 0, slaves = 0, cow = 0, v;
    bool saves = srvconf_get(in->conf, SRVCONF_SAVE, &save_points) ? save_points > 0
                                                                  : (info_get(s, INFO_RDB_LAST_BGSAVE_TIME, &v) && v >= 0);
    bool forks = saves || (info_get(s, INFO_AOF_ENABLED, &aof) && aof > 0) ||
                 (info_get(s, INFO_CONNECTED_SLAVES, &slaves) && slaves > 0);
    if (info_get(s, INFO_RDB_LAST_COW, &v)) cow = fmax(cow, v);
    if (info_get(s, INFO_AOF_LAST_COW, &v)) cow = fmax(cow, v);
    if (info_get(s, INFO_CURRENT_COW, &v)) cow = fmax(cow, v);
    double base = fmax(d->max_configured ? max : 0, has_rss ? rss : used);
    if (forks && has_host && base + cow > 0.9 * host) {
        char host_h[32], cow_h[32], base_h[32], want_h[32];
        fmt_bytes(host, host_h, sizeof host_h);
        fmt_bytes(cow, cow_h, sizeof cow_h);
        fmt_bytes(base, base_h, sizeof base_h);
        diagnose_text *f = add(out, text, &scratch, DIAGNOSE_FORK_MEMORY, rss + cow > host ? DIAGNOSE_CRITICAL : DIAGNOSE_WARNING);
        say(f->summary, sizeof f->summary,
            "%s %s plus the last fork's copy-on-write %s is %.0f %% of the host's RAM %s (total_system_memory; a "
            "container's limit may be lower)", d->max_configured && max >= rss ? "maxmemory" : "used_memory_rss",
            base_h, cow_h, 100.0 * (base + cow) / host, host_h);
        if (suggest_host_limit(has_rss ? rss : used, host, 0.85, cow, want_h, sizeof want_h))
            say(f->fix, sizeof f->fix,
                "Leave room for the fork: `CONFIG SET maxmemory %s` (then `CONFIG REWRITE`); today's data fits in it. "
                "Also: vm.overcommit_memory=1 (sysctl) so the fork itself is allowed, and saves at quiet hours or on "
                "a replica.", want_h);
        else
            say(f->fix, sizeof f->fix,
                "The data leaves no room for a fork's copy on this host: take saves on a replica (`CONFIG SET save \"\"` "
                "here only if a replica or AOF elsewhere keeps the data), add RAM, or split the data. Set "
                "vm.overcommit_memory=1 (sysctl) so the fork is allowed at all.");
    }

    /* 8. No limit at all, on a host that is filling up. */
    if (!d->max_configured && has_used && has_host && !replica && fmax(used, has_rss ? rss : 0) >= th->no_limit_host_share * host) {
        char host_h[32], want_h[32];
        fmt_bytes(host, host_h, sizeof host_h);
        diagnose_text *f = add(out, text, &scratch, DIAGNOSE_NO_MEMORY_LIMIT, DIAGNOSE_WARNING);
        say(f->summary, sizeof f->summary,
            "maxmemory is 0 (no limit) and used_memory %s is %.0f %% of the host's RAM %s (total_system_memory: the "
            "host's, not a container's limit, which may be lower)", used_h, 100.0 * used / host, host_h);
        if (suggest_host_limit(fmax(used, has_rss ? rss : 0), host, 0.75, forks ? cow : 0, want_h, sizeof want_h))
            say(f->fix, sizeof f->fix,
                "Set a limit below the RAM, with room for a fork: `CONFIG SET maxmemory %s` (then `CONFIG REWRITE`); "
                "today's data fits, nothing is evicted now. At the limit %s. In a container, size it from the "
                "container's memory limit instead.", want_h,
                d->policy == DERIVE_POLICY_NOEVICTION
                    ? "noeviction (the default) refuses writes and keeps every key; a cache would rather `CONFIG SET "
                      "maxmemory-policy allkeys-lru`"
                    : "the policy evicts");
        else
            say(f->fix, sizeof f->fix,
                "No limit fits below this host's RAM without evicting now: add RAM or move part of the data to "
                "another instance first, then set maxmemory.");
    }
}
