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
    };
}

/* A maxmemory value to suggest: room for 50 % more than today's use, in whole MiB. */
static void suggest_maxmemory(double used, double max, char *out, size_t cap)
{
    double want = used * 1.5;
    if (want < max * 1.25) want = max * 1.25;
    snprintf(out, cap, "%.0fmb", ceil(want / 1048576.0));
}

static diagnose_finding *add(diagnose_result *r, diagnose_id id, diagnose_severity sev)
{
    diagnose_finding *f = &r->findings[r->n++];
    memset(f, 0, sizeof *f);
    f->id = id;
    f->severity = sev;
    if (sev > r->worst) r->worst = sev;
    return f;
}

static void say(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
}

void diagnose_run(const diagnose_input *in, const diagnose_thresholds *th, diagnose_result *out)
{
    memset(out, 0, sizeof *out);
    const info_sample *s = in->sample;
    const derived *d = in->derived;
    double used = 0, max = 0, rss = 0, frag = 0, frag_bytes = 0, oom_count = 0;
    bool has_used = info_get(s, INFO_USED_MEMORY, &used);
    info_get(s, INFO_MAXMEMORY, &max);
    bool has_rss = info_get(s, INFO_USED_MEMORY_RSS, &rss);
    bool has_frag = info_get(s, INFO_MEM_FRAG_RATIO, &frag);
    if (!info_get(s, INFO_MEM_FRAG_BYTES, &frag_bytes)) frag_bytes = rss - used;
    bool has_oom_count = info_error_count(s, "OOM", &oom_count);
    const char *policy = info_text_get(s, INFO_MAXMEMORY_POLICY);
    const char *allocator = info_text_get(s, INFO_MEM_ALLOCATOR);

    char used_h[32], max_h[32], suggest[32];
    fmt_bytes(used, used_h, sizeof used_h);
    fmt_bytes(max, max_h, sizeof max_h);
    suggest_maxmemory(used, max, suggest, sizeof suggest);
    double ratio = d->has_used_ratio ? d->used_ratio : 0;
    bool at_limit = d->max_configured && has_used && used >= max;

    /* Are writes being rejected now? Counted where errorstats exist (6.2+); inferred from
     * "at the limit and nothing to evict" on older servers. */
    bool oom_now, oom_inferred = false;
    if (has_oom_count) {
        oom_now = in->one_shot ? oom_count > 0 : (d->has_oom_rate && d->oom_rate > 0);
    } else {
        oom_now = at_limit && d->has_eviction_possible && !d->eviction_possible;
        oom_inferred = oom_now;
    }

    /* Client buffers that hold a large part of used memory: eviction cannot free them, so
     * no advice below may offer an evicting policy or deletions as the way out. */
    double clients = 0, max_out = 0;
    bool has_clients = info_get(s, INFO_MEM_CLIENTS_NORMAL, &clients);
    bool has_max_out = info_get(s, INFO_CLIENT_MAX_OUTPUT_BUFFER, &max_out);
    bool pressure = ratio >= th->memory_warning || oom_now;
    bool buffers = has_clients && has_used && d->max_configured && pressure && clients >= 1048576.0 &&
                   clients >= 0.25 * used;
    char clients_h[32];
    fmt_bytes(clients, clients_h, sizeof clients_h);

    /* 1. Limit too low, or growing towards it. Under allkeys-* with keys to evict, being
     * at the limit is how a cache works: a warning at most, never critical. */
    bool soon_full = d->has_time_to_full && d->time_to_full < 3600;
    bool cache = d->policy == DERIVE_POLICY_ALLKEYS && d->has_eviction_possible && d->eviction_possible && !buffers;
    if (d->has_used_ratio && (ratio >= th->memory_warning || soon_full)) {
        diagnose_finding *f = add(out, DIAGNOSE_MEMORY_NEAR_LIMIT,
                                  ratio >= th->memory_critical && !cache ? DIAGNOSE_CRITICAL : DIAGNOSE_WARNING);
        int n = snprintf(f->summary, sizeof f->summary, "used_memory %s is %.1f %% of maxmemory %s", used_h,
                         ratio * 100, max_h);
        if (d->has_time_to_full && n > 0 && (size_t)n < sizeof f->summary)
            snprintf(f->summary + n, sizeof f->summary - (size_t)n, "; at the recent growth it is full in %.0f min",
                     d->time_to_full / 60);
        if (buffers)
            say(f->fix, sizeof f->fix,
                "Client buffers hold %s of it: free those first (see client_output_buffers); a higher limit "
                "would only let them grow further.", clients_h);
        else if (cache)
            say(f->fix, sizeof f->fix,
                "%s evicts at the limit by design: nothing to fix while evictions do not cost hits (compare "
                "redis_evicted_keys_per_second with the keyspace hit ratio). If they do and the host has the RAM: "
                "CONFIG SET maxmemory %s.", policy ? policy : "allkeys-*", suggest);
        else
            say(f->fix, sizeof f->fix,
                "If the host has the RAM: CONFIG SET maxmemory %s (then CONFIG REWRITE to keep it). Otherwise free "
                "memory: give keys a TTL (EXPIRE key seconds) or delete what is not needed (UNLINK key).",
                suggest);
    }

    /* 2. No eviction policy. */
    if (d->policy == DERIVE_POLICY_NOEVICTION && d->max_configured && (ratio >= th->memory_warning || oom_now)) {
        diagnose_finding *f = add(out, DIAGNOSE_NOEVICTION_AT_LIMIT,
                                  oom_now || ratio >= th->memory_critical ? DIAGNOSE_CRITICAL : DIAGNOSE_WARNING);
        say(f->summary, sizeof f->summary,
            "maxmemory-policy is noeviction and used_memory is %.1f %% of maxmemory %s", ratio * 100, max_h);
        if (buffers)
            say(f->fix, sizeof f->fix,
                "Do not change the policy for this: client buffers hold %s, and an evicting policy would delete "
                "keys without freeing them. Free the buffers (see client_output_buffers).", clients_h);
        else
            say(f->fix, sizeof f->fix,
                "If the data is a cache that can be rebuilt: CONFIG SET maxmemory-policy allkeys-lru. If every key "
                "must stay: CONFIG SET maxmemory %s and plan capacity.", suggest);
    }

    /* 3. Nothing to evict under a volatile-* policy. */
    if (d->policy == DERIVE_POLICY_VOLATILE && d->max_configured && d->keys_total > 0 &&
        d->expires_total < d->keys_total * th->ttl_min_ratio && (ratio >= th->memory_warning || oom_now)) {
        diagnose_finding *f = add(out, DIAGNOSE_VOLATILE_WITHOUT_TTL_KEYS,
                                  oom_now || ratio >= th->memory_critical ? DIAGNOSE_CRITICAL : DIAGNOSE_WARNING);
        say(f->summary, sizeof f->summary,
            "maxmemory-policy is %s but only %.0f of %.0f keys (%.2f %%) have a TTL; used_memory is %.1f %% of "
            "maxmemory", policy ? policy : "volatile-*", d->expires_total, d->keys_total,
            100.0 * d->expires_total / d->keys_total, ratio * 100);
        if (buffers)
            say(f->fix, sizeof f->fix,
                "Not now: client buffers hold %s, which no eviction frees (see client_output_buffers). Later, give "
                "keys a TTL when writing them (SET key value EX seconds).", clients_h);
        else
            say(f->fix, sizeof f->fix,
                "Give keys a TTL when writing them (SET key value EX seconds, or EXPIRE key seconds), or let Redis "
                "evict any key: CONFIG SET maxmemory-policy allkeys-lru.");
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
        diagnose_finding *f = add(out, DIAGNOSE_LARGE_KEYS, DIAGNOSE_WARNING);
        say(f->summary, sizeof f->summary, "%zu sampled key%s of %s or more; the largest is db%d \"%s\" (%s, %s)",
            n_large, n_large == 1 ? "" : "s", limit_h, k->db, k->name, k->type, size_h);
        say(f->fix, sizeof f->fix,
            "Inspect it: SELECT %d, then MEMORY USAGE \"%s\" and TYPE \"%s\". Split it into smaller keys or trim "
            "it (LTRIM, HDEL, SREM, ZREMRANGEBYRANK, XTRIM); delete it without blocking: UNLINK \"%s\".",
            k->db, k->name, k->name, k->name);
    }

    /* 5. Fragmentation. */
    if (has_frag && frag >= th->fragmentation_ratio && frag_bytes >= th->fragmentation_min_bytes) {
        char waste_h[32];
        fmt_bytes(frag_bytes, waste_h, sizeof waste_h);
        diagnose_finding *f = add(out, DIAGNOSE_FRAGMENTATION_HIGH, DIAGNOSE_WARNING);
        say(f->summary, sizeof f->summary, "mem_fragmentation_ratio %.2f: RSS exceeds used memory by %s%s", frag,
            waste_h, in->has_defrag_enabled ? (in->defrag_enabled ? "; activedefrag is on" : "; activedefrag is off") : "");
        bool jemalloc = allocator && strncmp(allocator, "jemalloc", 8) == 0;
        if (jemalloc && !(in->has_defrag_enabled && in->defrag_enabled))
            say(f->fix, sizeof f->fix,
                "CONFIG SET activedefrag yes (jemalloc builds; CONFIG REWRITE to keep it). MEMORY PURGE returns "
                "freed pages at once.");
        else if (jemalloc)
            say(f->fix, sizeof f->fix,
                "Active defrag is already on: give it more CPU (CONFIG SET active-defrag-cycle-max 50), run MEMORY "
                "PURGE, or fail over to a freshly started replica.");
        else
            say(f->fix, sizeof f->fix,
                "This allocator (%s) has no active defrag: MEMORY PURGE where supported, or restart / fail over to "
                "a fresh replica in a quiet hour.", allocator ? allocator : "unknown");
    }

    /* 5b. RSS below used memory: swapping. */
    if (has_rss && has_used && rss < used && used - rss >= th->fragmentation_min_bytes) {
        char rss_h[32];
        fmt_bytes(rss, rss_h, sizeof rss_h);
        diagnose_finding *f = add(out, DIAGNOSE_RSS_BELOW_USED, DIAGNOSE_WARNING);
        say(f->summary, sizeof f->summary, "used_memory_rss %s is below used_memory %s (fragmentation ratio %.2f)",
            rss_h, used_h, has_frag ? frag : rss / used);
        say(f->fix, sizeof f->fix,
            "Check swap: grep VmSwap /proc/$(pidof redis-server)/status. Keep maxmemory well below the host's "
            "free RAM (CONFIG SET maxmemory <bytes>), set vm.swappiness=1, or add RAM.");
    }

    /* OOM rejections themselves. */
    if (oom_now) {
        diagnose_severity sev = DIAGNOSE_CRITICAL;
        diagnose_finding *f;
        if (oom_inferred) {
            f = add(out, DIAGNOSE_OOM_REJECTIONS, sev);
            say(f->summary, sizeof f->summary,
                "used_memory %s has reached maxmemory %s and the policy cannot evict: writes are being rejected "
                "(inferred; this server has no INFO errorstats)", used_h, max_h);
        } else if (in->one_shot) {
            if (!at_limit && ratio < th->memory_critical) sev = DIAGNOSE_WARNING;
            f = add(out, DIAGNOSE_OOM_REJECTIONS, sev);
            say(f->summary, sizeof f->summary,
                "errorstat_OOM: %.0f commands rejected since the server started or CONFIG RESETSTAT%s", oom_count,
                sev == DIAGNOSE_CRITICAL ? "; still at the limit" : "");
        } else {
            f = add(out, DIAGNOSE_OOM_REJECTIONS, sev);
            say(f->summary, sizeof f->summary, "%.1f commands per second rejected with OOM (errorstat_OOM total %.0f)",
                d->oom_rate, oom_count);
        }
        if (buffers)
            say(f->fix, sizeof f->fix,
                "Free the client buffers now (%s; see client_output_buffers): deleting keys or raising the limit "
                "would not stop them growing.", clients_h);
        else if (!d->max_configured)
            say(f->fix, sizeof f->fix,
                "No maxmemory is set now: these were rejected under an earlier limit (or maxmemory-clients). "
                "Nothing to raise; if a limit comes back, size it from used_memory_peak.");
        else
            say(f->fix, sizeof f->fix,
                "Free memory now (UNLINK large or unneeded keys) or raise the limit: CONFIG SET maxmemory %s. Then "
                "fix the cause named by the other findings (policy, TTLs, large keys).", suggest);
    }

    /* 6. Client buffers. */
    if (buffers) {
        diagnose_finding *f = add(out, DIAGNOSE_CLIENT_OUTPUT_BUFFERS,
                                  oom_now || ratio >= th->memory_critical ? DIAGNOSE_CRITICAL : DIAGNOSE_WARNING);
        char max_out_h[32];
        fmt_bytes(max_out, max_out_h, sizeof max_out_h);
        say(f->summary, sizeof f->summary,
            "client buffers (mem_clients_normal) hold %s of used_memory %s (%.0f %%)%s%s", clients_h, used_h,
            100.0 * clients / used, has_max_out ? "; the largest output buffer is " : "", has_max_out ? max_out_h : "");
        say(f->fix, sizeof f->fix,
            "Find the client: CLIENT LIST (omem is its output buffer; sub or psub above 0 is a subscriber). "
            "Disconnect it: CLIENT KILL ID <id>. Then cap what one slow client may hold: CONFIG SET "
            "client-output-buffer-limit \"pubsub 8mb 2mb 60\"%s. Changing the eviction policy frees none of this.",
            info_major_version(s) >= 7 ? "; and CONFIG SET maxmemory-clients 10%" : "");
    }
}
