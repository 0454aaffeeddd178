/* SPDX-License-Identifier: Apache-2.0 */
/* summary: the doctor's text and JSON. See include/summary.h. */
#include "summary.h"

#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "observe.h"

static const char *const status_names[] = {"healthy", "warning", "critical", "unknown"};

int summary_status(const report *r) { return diagnose_exit_status(r->diagnosis.worst); }

static void json_field(buf *b, const char *name) { buf_printf(b, ",\"%s\":", name); }

static void json_info(buf *b, const report *r, const char *name, info_num f)
{
    double v;
    json_field(b, name);
    if (info_get(&r->sample, f, &v)) fmt_json_number(b, v);
    else buf_puts(b, "null");
}

/* Where a value came from, for the JSON: "info", "config" (CONFIG GET, asked or pasted) or null. */
static const char *source_json(memmodel_source src)
{
    return src == MEMMODEL_FROM_INFO ? "\"info\"" : src == MEMMODEL_FROM_CONFIG ? "\"config\"" : "null";
}

/* The fix's commands (its `...` spans) as a JSON array of strings, for a program to
 * show or run; the prose stays in "fix". */
static void json_commands(buf *b, const char *fix)
{
    buf_putc(b, '[');
    size_t n, k = 0;
    bool is_cmd;
    for (const char *cur = fix, *p; (p = fmt_fix_piece(&cur, &n, &is_cmd)) != NULL;) {
        if (!is_cmd) continue;
        char cmd[sizeof((diagnose_text *)0)->fix];
        snprintf(cmd, sizeof cmd, "%.*s", (int)n, p);
        if (k++) buf_putc(b, ',');
        fmt_json_string(b, cmd);
    }
    buf_putc(b, ']');
}

static void json_head(buf *b, const char *addr, int status)
{
    buf_puts(b, "{\"target\":");
    fmt_json_string(b, addr);
    buf_printf(b, ",\"status\":\"%s\",\"exit_code\":%d", status_names[status], status);
}

void summary_problem_json(buf *b, const char *addr, const char *reason, const char *problem)
{
    json_head(b, addr, SUMMARY_UNKNOWN);
    json_field(b, "reason");
    fmt_json_string(b, reason);
    json_field(b, "error");
    fmt_json_string(b, problem);
    buf_puts(b, "}\n");
}

void summary_json(buf *b, const report *r)
{
    const info_sample *s = &r->sample;
    const derived *d = &r->derived;
    json_head(b, r->addr, summary_status(r));
    json_field(b, "redis_version");
    fmt_json_string(b, info_text_get(s, INFO_REDIS_VERSION));
    json_field(b, "valkey_version");
    fmt_json_string(b, info_text_get(s, INFO_VALKEY_VERSION));
    json_info(b, r, "used_memory", INFO_USED_MEMORY);
    json_info(b, r, "maxmemory", INFO_MAXMEMORY);
    json_field(b, "used_ratio");
    if (d->has_used_ratio) fmt_json_number(b, d->used_ratio);
    else buf_puts(b, "null");
    json_field(b, "maxmemory_policy");
    fmt_json_string(b, info_text_get(s, INFO_MAXMEMORY_POLICY));
    json_field(b, "keys");
    if (s->has_keyspace) fmt_json_number(b, d->keys_total);
    else buf_puts(b, "null"); /* no Keyspace section: unknown, not 0 */
    json_field(b, "keys_with_ttl");
    if (s->has_keyspace) fmt_json_number(b, d->expires_total);
    else buf_puts(b, "null");
    json_info(b, r, "mem_fragmentation_ratio", INFO_MEM_FRAG_RATIO);
    json_info(b, r, "used_memory_rss", INFO_USED_MEMORY_RSS);
    double v;
    json_field(b, "activedefrag");
    buf_puts(b, srvconf_get(&r->config, SRVCONF_ACTIVEDEFRAG, &v) ? (v ? "true" : "false") : "null");
    json_field(b, "memory_stats");
    if (r->mstats.known) {
        buf_puts(b, "{\"bytes_per_key\":");
        if (r->mstats.has_bytes_per_key) fmt_json_number(b, r->mstats.bytes_per_key);
        else buf_puts(b, "null");
        buf_puts(b, ",\"dataset_ratio\":");
        if (r->mstats.has_dataset_ratio) fmt_json_number(b, r->mstats.dataset_ratio);
        else buf_puts(b, "null");
        buf_puts(b, ",\"hashtable_overhead\":");
        fmt_json_number(b, memstats_hashtable_total(&r->mstats));
        buf_putc(b, '}');
    } else {
        buf_puts(b, "null");
    }
    memmodel m;
    memmodel_build(&m, s, &r->mstats);
    json_field(b, "breakdown");
    if (m.has_breakdown) {
        /* only the parts this server reports: an absent part is unknown, not 0 */
        char sep = '{';
        for (int p = 0; p < MEMMODEL_USED_COUNT; p++) {
            double bytes;
            if (!memmodel_used(&m, (memmodel_part)p, &bytes)) continue;
            buf_printf(b, "%c\"%s\":", sep, memmodel_part_name((memmodel_part)p));
            fmt_json_number(b, bytes);
            sep = ',';
        }
        buf_putc(b, '}');
    } else {
        buf_puts(b, "null");
    }
    json_field(b, "sources");
    buf_printf(b, "{\"maxmemory\":%s,\"maxmemory_policy\":%s}", source_json(m.max_from), source_json(m.policy_from));
    double oom;
    json_field(b, "oom_rejections");
    if (info_error_count(s, "OOM", &oom)) fmt_json_number(b, oom);
    else buf_puts(b, "null");
    buf_printf(b, ",\"keys_sampled\":%.0f,\"largest_keys\":[", r->keys->sampled);
    for (size_t i = 0; i < r->keys->n_largest; i++) {
        const diagnose_key *k = &r->keys->largest[i];
        if (i) buf_putc(b, ',');
        buf_printf(b, "{\"db\":%d,\"key\":", k->db);
        fmt_json_string(b, k->name);
        buf_puts(b, ",\"type\":");
        fmt_json_string(b, k->type);
        buf_puts(b, ",\"bytes\":");
        fmt_json_number(b, k->bytes);
        buf_putc(b, '}');
    }
    buf_puts(b, "],\"namespaces\":[");
    for (size_t i = 0; i < r->keys->n_namespaces; i++) {
        const diagnose_namespace *ns = &r->keys->namespaces[i];
        buf_puts(b, i ? ",{\"namespace\":" : "{\"namespace\":");
        fmt_json_string(b, ns->name);
        buf_puts(b, ",\"keys\":");
        fmt_json_number(b, ns->keys);
        buf_puts(b, ",\"bytes\":");
        fmt_json_number(b, ns->bytes);
        buf_puts(b, ",\"ttl_ratio\":");
        fmt_json_number(b, ns->ttl_ratio);
        buf_puts(b, ",\"persistent_bytes\":");
        fmt_json_number(b, ns->persistent_bytes);
        buf_puts(b, ",\"expires_within_hour_bytes\":");
        fmt_json_number(b, ns->hour_bytes);
        buf_puts(b, ",\"growth_bytes_per_hour\":");
        if (ns->has_growth) fmt_json_number(b, ns->growth_per_hour);
        else buf_puts(b, "null");
        buf_putc(b, '}');
    }
    buf_puts(b, "],\"ttl_bytes\":");
    if (r->keys->has_ttl_bytes) {
        for (size_t i = 0; i < SAMPLER_TTL_BUCKETS; i++) {
            buf_printf(b, "%s\"%s\":", i ? "," : "{", sampler_ttl_le_text[i]);
            fmt_json_number(b, r->keys->ttl_bytes[i]);
        }
        buf_puts(b, "},\"persistent_bytes\":");
        fmt_json_number(b, r->keys->persistent_bytes);
    } else {
        buf_puts(b, "null,\"persistent_bytes\":null");
    }
    buf_printf(b, ",\"config_allowed\":%s,\"findings\":[", r->config.refused ? "false" : "true");
    diagnose_result dr;
    diagnose_text text[DIAGNOSE_COUNT];
    observe_explain(r, &dr, text);
    size_t order[DIAGNOSE_COUNT];
    diagnose_reading_order(&dr, order);
    for (size_t k = 0; k < dr.n; k++) {
        size_t i = order[k];
        const diagnose_finding *f = &dr.findings[i];
        const diagnose_text *x = &text[i];
        if (k) buf_putc(b, ',');
        buf_puts(b, "{\"id\":");
        fmt_json_string(b, diagnose_id_name(f->id));
        json_field(b, "severity");
        fmt_json_string(b, diagnose_severity_name(f->severity));
        json_field(b, "summary");
        fmt_json_string(b, x->summary);
        json_field(b, "why");
        fmt_json_string(b, diagnose_why(f->id));
        json_field(b, "fix");
        fmt_json_string(b, x->fix);
        json_field(b, "commands");
        json_commands(b, x->fix);
        buf_putc(b, '}');
    }
    buf_puts(b, "]}\n");
}

void summary_breakdown(buf *b, const memmodel *m)
{
    char h[32];
    fmt_bytes(m->used, h, sizeof h);
    buf_printf(b, "of %s:", h);
    bool first = true;
    for (int p = 0; p < MEMMODEL_USED_COUNT; p++) {
        double v;
        /* parts under 1 % (and empty ones) would only be noise in a sentence */
        if (!memmodel_used(m, (memmodel_part)p, &v) || v <= 0 || (p != MEMMODEL_DATA && v < m->used / 100)) continue;
        fmt_bytes(v, h, sizeof h);
        buf_printf(b, "%s %s %s", first ? "" : ",", memmodel_part_words((memmodel_part)p), h);
        first = false;
    }
}

void summary_problem_text(buf *b, const char *addr, const char *problem)
{
    buf_printf(b, "redis_memory_exporter doctor: %s\n\nCould not check: %s.\n\nResult: could not check (exit 3)\n",
               addr, problem);
}

/* The memory line: used against the limit, the peak and RSS where reported. */
static void text_memory(buf *b, const report *r, const memmodel *m)
{
    const derived *d = &r->derived;
    char a[32], x[32];
    fmt_bytes(m->used, a, sizeof a);
    if (d->has_used_ratio) {
        fmt_bytes(m->max, x, sizeof x);
        buf_printf(b, "  memory         used %s of maxmemory %s (%.1f %%)", a, x, d->used_ratio * 100);
    } else {
        buf_printf(b, "  memory         used %s, %s", a,
                   m->max_from != MEMMODEL_ABSENT ? "no maxmemory limit (0)" : "maxmemory not reported");
    }
    if (m->has_peak) {
        fmt_bytes(m->peak, x, sizeof x);
        buf_printf(b, ", peak %s", x);
    }
    if (m->has_rss) {
        fmt_bytes(m->rss, x, sizeof x);
        buf_printf(b, ", RSS %s", x);
    }
    buf_putc(b, '\n');
    if (m->max_from == MEMMODEL_FROM_CONFIG || m->policy_from == MEMMODEL_FROM_CONFIG)
        buf_printf(b, "  sources        %s%s%s from the CONFIG GET output (this INFO does not report %s)\n",
                   m->max_from == MEMMODEL_FROM_CONFIG ? "maxmemory" : "",
                   m->max_from == MEMMODEL_FROM_CONFIG && m->policy_from == MEMMODEL_FROM_CONFIG ? " and " : "",
                   m->policy_from == MEMMODEL_FROM_CONFIG ? "maxmemory-policy" : "",
                   m->max_from == MEMMODEL_FROM_CONFIG && m->policy_from == MEMMODEL_FROM_CONFIG ? "them" : "it");
}

void summary_text(buf *b, const report *r)
{
    static const char *const verdict[] = {"healthy", "WARNING", "CRITICAL"};
    const info_sample *s = &r->sample;
    const derived *d = &r->derived;
    const char *role = info_text_get(s, INFO_ROLE);
    const char *policy = info_text_get(s, INFO_MAXMEMORY_POLICY);
    memmodel m;
    memmodel_build(&m, s, &r->mstats);
    char server[80] = "Redis ?";
    if (!info_server_words(s, server, sizeof server) && m.version > 0) /* a paste without its Server section */
        snprintf(server, sizeof server, "Redis ? (%u.%u or later, from its fields)", m.version / 100, m.version % 100);
    buf_printf(b, "redis_memory_exporter doctor: %s (%s%s%s)\n\n", r->addr, server, role ? ", " : "", role ? role : "");
    double frag = 0, oom = 0;
    char a[32], p[32];
    text_memory(b, r, &m);
    if (m.has_breakdown) {
        buf_puts(b, "  where it goes  ");
        summary_breakdown(b, &m);
        buf_putc(b, '\n');
    }
    if (r->mstats.known && r->mstats.has_bytes_per_key) {
        fmt_bytes(r->mstats.bytes_per_key, a, sizeof a);
        fmt_bytes(memstats_hashtable_total(&r->mstats), p, sizeof p);
        buf_printf(b,
                   "  per key        %s of used memory (startup excluded) per key; the keyspace's hash tables "
                   "take %s (MEMORY STATS)\n",
                   a, p);
    }
    double clients, max_out;
    if (info_get(s, INFO_MEM_CLIENTS_NORMAL, &clients)) {
        fmt_bytes(clients, a, sizeof a);
        buf_printf(b, "  client buffers %s", a);
        if (info_get(s, INFO_CLIENT_MAX_OUTPUT_BUFFER, &max_out)) {
            fmt_bytes(max_out, p, sizeof p);
            buf_printf(b, " (largest output buffer lately %s)", p);
        }
        buf_putc(b, '\n');
    }
    buf_printf(b, "  policy         %s", policy ? policy : "not reported");
    if (d->has_eviction_possible)
        buf_printf(b, " (eviction possible now: %s)",
                   d->eviction_possible                                            ? "yes"
                       : d->policy == DERIVE_POLICY_ALLKEYS                        ? "not yet, no keys"
                       : d->policy == DERIVE_POLICY_VOLATILE && d->keys_total == 0 ? "not yet, no keys"
                                                                                   : "no");
    if (s->has_keyspace)
        buf_printf(b, "\n  keys           %.0f, of which %.0f with a TTL and %.0f without\n", d->keys_total,
                   d->expires_total, d->keys_total - d->expires_total);
    else buf_puts(b, "\n  keys           not known: no Keyspace section in this INFO\n");
    double on;
    if (info_get(s, INFO_MEM_FRAG_RATIO, &frag))
        buf_printf(b, "  fragmentation  ratio %.2f, activedefrag %s\n", frag,
                   srvconf_get(&r->config, SRVCONF_ACTIVEDEFRAG, &on) ? (on ? "yes" : "no")
                       : r->config.refused                            ? "unknown (CONFIG GET not allowed)"
                                                                      : "unknown");
    if (info_error_count(s, "OOM", &oom)) buf_printf(b, "  OOM rejections %.0f since start or CONFIG RESETSTAT\n", oom);
    else buf_puts(b, "  OOM rejections not counted by this server (INFO errorstats needs Redis 6.2+)\n");
    if (r->keys->active || r->keys->sampled > 0) {
        buf_printf(b, "  largest keys   (%.0f sampled with SCAN + MEMORY USAGE)\n", r->keys->sampled);
        /* Only keys that matter: five 280-byte keys are not "largest keys" to act on. */
        double floor = r->thresholds.large_key_bytes / 16;
        size_t shown = 0;
        for (size_t i = 0; i < r->keys->n_largest && shown < 5; i++) {
            const diagnose_key *k = &r->keys->largest[i];
            if (k->bytes < floor) break;
            fmt_bytes(k->bytes, a, sizeof a);
            buf_printf(b, "                 db%d \"%s\" %s %s\n", k->db, k->name, k->type, a);
            shown++;
        }
        if (shown == 0) {
            fmt_bytes(floor, a, sizeof a);
            buf_printf(b, "                 none of %s or more: no key is large\n", a);
        }
        if (r->keys->n_namespaces > 0)
            buf_printf(b, "  namespaces     (estimated from %.0f sampled keys; bytes, keys, share with a TTL)\n",
                       r->keys->namespace_basis);
        for (size_t i = 0; i < r->keys->n_namespaces && i < 5; i++) {
            const diagnose_namespace *ns = &r->keys->namespaces[i];
            fmt_bytes(ns->bytes, a, sizeof a);
            fmt_bytes(ns->persistent_bytes, p, sizeof p);
            buf_printf(b, "                 %s%s %s, %.0f keys, %.0f %% with a TTL, %s never expires",
                       ns->name[0] ? ns->name : "(no prefix)", ns->name[0] ? ":*" : "", a, ns->keys,
                       100 * ns->ttl_ratio, p);
            if (ns->has_growth) {
                fmt_bytes(ns->growth_per_hour, a, sizeof a);
                buf_printf(b, ", %s%s an hour", ns->growth_per_hour > 0 ? "+" : "", a);
            }
            buf_putc(b, '\n');
        }
        char expiry[200];
        diagnose_ttl_split ttl = sampler_ttl_split(r->keys);
        diagnose_ttl_sentence(&ttl, r->keys->namespaces, r->keys->n_namespaces, expiry, sizeof expiry);
        if (expiry[0]) buf_printf(b, "  expiry         %s\n", expiry);
    } else {
        if (r->keys->off_reason[0])
            buf_printf(b,
                       "  largest keys   not sampled: Redis refused the large-key check (%s); an ACL user needs "
                       "+select +scan +type +pttl +memory|usage %%R~*\n",
                       r->keys->off_reason); /* the doctor starts anew */
        else
            buf_puts(
                b,
                "  largest keys   not sampled: the large-key check did not run (no MEMORY USAGE, or a saved INFO)\n");
    }
    diagnose_result dr;
    diagnose_text text[DIAGNOSE_COUNT];
    observe_explain(r, &dr, text);
    if (dr.n == 0) buf_puts(b, "\nNo finding: nothing here points to running out of memory.\n");
    else buf_printf(b, "\nFindings (%zu):\n", dr.n);
    size_t order[DIAGNOSE_COUNT];
    diagnose_reading_order(&dr, order);
    for (size_t k = 0; k < dr.n; k++) {
        size_t i = order[k];
        const diagnose_finding *f = &dr.findings[i];
        buf_printf(b, "\n  [%s] %s\n    %s\n    Why: %s\n    Fix: %s\n",
                   f->severity == DIAGNOSE_CRITICAL      ? "CRITICAL"
                       : f->severity == DIAGNOSE_WARNING ? "WARNING"
                                                         : "INFO",
                   diagnose_id_name(f->id), text[i].summary, diagnose_why(f->id), text[i].fix);
    }
    if (dr.n > 0 && r->config.refused)
        buf_puts(b,
                 "\n  Note: CONFIG is not allowed here (an ACL, a renamed command or a managed service): make the\n"
                 "  CONFIG SET changes above in the service's own settings instead (ElastiCache and MemoryDB\n"
                 "  parameter groups, Azure's Advanced settings, Memorystore's configuration, Redis Cloud's\n"
                 "  database settings).\n");
    int status = summary_status(r);
    buf_printf(b, "\nResult: %s (exit %d)\n", verdict[status], status);
}
