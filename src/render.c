/* SPDX-License-Identifier: Apache-2.0 */
/* render: exposition text (0.0.4 and OpenMetrics 1.0). See include/render.h. */
#include "render.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clusters.h"
#include "fmt.h"
#include "memmodel.h"
#include "xalloc.h"

typedef struct label {
    const char *name;
    const char *value;
} label;

/* One metric family being written: the header goes out before the first sample. */
typedef struct family {
    buf *out;
    bool om;          /* OpenMetrics headers: a counter's family without _total, quotes escaped in HELP */
    const char *name; /* the sample name */
    const char *type; /* "gauge", "counter", "histogram" */
    const char *help;
    bool started;
    struct label_cache *lc; /* may be NULL */
} family;

/* The labels every series of one target starts with (addr="…" and its spec's labels),
 * escaped once per piece and kept once: each series has RENDER_LABELS_MARK in their place
 * (a piece has about a hundred series, and every target keeps its piece). */
typedef struct label_cache {
    const report *r; /* whose labels text holds; NULL: none yet */
    buf text;
} label_cache;

static void put_help(buf *out, const char *help, bool om)
{
    for (const char *p = help; *p;) {
        /* Runs of plain text go in one copy: HELP texts are long and rarely escaped. */
        size_t run = strcspn(p, om ? "\\\n\"" : "\\\n");
        buf_append(out, p, run);
        p += run;
        if (*p == '\\') buf_puts(out, "\\\\");
        else if (*p == '\n') buf_puts(out, "\\n");
        else if (*p == '"') buf_puts(out, "\\\"");
        else break;
        p++;
    }
}

/* The family's name in its header: OpenMetrics names a counter's family without the
 * _total its samples carry. */
static void put_family_name(family *f)
{
    size_t n = strlen(f->name);
    bool strip = f->om && strcmp(f->type, "counter") == 0 && n > 6 && strcmp(f->name + n - 6, "_total") == 0;
    buf_append(f->out, f->name, strip ? n - 6 : n);
}

static void family_header(family *f)
{
    buf_puts(f->out, "# HELP ");
    put_family_name(f);
    buf_putc(f->out, ' ');
    put_help(f->out, f->help, f->om);
    buf_puts(f->out, "\n# TYPE ");
    put_family_name(f);
    buf_putc(f->out, ' ');
    buf_puts(f->out, f->type);
    buf_putc(f->out, '\n');
    f->started = true;
}

void render_label_value(buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (;;) {
        /* Copy the run of plain ASCII in one go: label values are nearly always that. */
        const unsigned char *run = p;
        while (*p >= 0x20 && *p < 0x7f && *p != '\\' && *p != '"') p++;
        if (p > run) buf_append(out, (const char *)run, (size_t)(p - run));
        if (!*p) return;
        if (*p == '\\') {
            buf_puts(out, "\\\\");
            p++;
            continue;
        }
        if (*p == '"') {
            buf_puts(out, "\\\"");
            p++;
            continue;
        }
        if (*p == '\n') {
            buf_puts(out, "\\n");
            p++;
            continue;
        }
        /* Other control bytes (a terminal escape, a NUL-less \r) are not passed on. */
        size_t n = (*p < 0x20 || *p == 0x7f) ? 0 : fmt_utf8_len(p);
        if (n == 0) {
            buf_puts(out, "\xEF\xBF\xBD");
            p++;
            continue;
        }
        buf_append(out, (const char *)p, n);
        p += n;
    }
}

static void put_label(buf *out, const char *name, const char *value, bool first)
{
    if (!first) buf_putc(out, ',');
    buf_puts(out, name);
    buf_puts(out, "=\"");
    render_label_value(out, value);
    buf_putc(out, '"');
}

/* One sample. For a target's series (r given, labels[0] its addr) the labels of its spec
 * (the targets file's, the discovered shard and role) follow the addr label, and with
 * --labels.role the role of its last INFO. */
static void put_target_labels(buf *out, const report *r, const label *addr)
{
    put_label(out, addr->name, addr->value, true);
    if (r && r->spec)
        for (size_t k = 0; k < r->spec->n_labels; k++)
            put_label(out, r->spec->labels[k].name, r->spec->labels[k].value, false);
    const char *role = r && r->role_label ? info_text_get(&r->sample, INFO_ROLE) : NULL;
    if (role) put_label(out, "role", role, false);
}

static void family_sample(family *f, const char *suffix, const report *r, const label *labels, size_t nl, double v)
{
    if (!f->started) family_header(f);
    buf_puts(f->out, f->name);
    if (suffix) buf_puts(f->out, suffix);
    if (nl) {
        buf_putc(f->out, '{');
        label_cache *lc = f->lc;
        if (lc && r && labels[0].value == r->addr) {
            if (lc->r != r) {
                buf_reset(&lc->text);
                put_target_labels(&lc->text, r, &labels[0]);
                lc->r = r;
            }
            buf_putc(f->out, RENDER_LABELS_MARK);
        } else {
            put_target_labels(f->out, r, &labels[0]);
        }
        for (size_t i = 1; i < nl; i++) put_label(f->out, labels[i].name, labels[i].value, false);
        buf_putc(f->out, '}');
    }
    buf_putc(f->out, ' ');
    buf_put_double(f->out, v);
    buf_putc(f->out, '\n');
}

/* How families are written: whole (header before the first sample), samples only (a
 * target's piece: where each family starts is noted), or headers only (every family's
 * header, noted likewise). Pieces and headers put together by render_assemble give the
 * same bytes as the whole. */
typedef enum rmode { R_WHOLE, R_SAMPLES, R_HEADERS } rmode;

typedef struct rctx {
    buf *out;
    rmode mode;
    bool om;          /* OpenMetrics headers (the samples are the same bytes in both formats) */
    render_off *offs; /* R_SAMPLES, R_HEADERS: family k starts at offs[k] (from start) */
    size_t idx;       /* families seen */
    label_cache *lc;  /* one target's piece: its labels escaped once; else NULL */
    size_t start;     /* where the piece starts in out */
} rctx;

static family fam(rctx *c, const char *name, const char *type, const char *help)
{
    family f = {c->out, c->om, name, type, help, false, c->lc};
    if (c->mode == R_WHOLE) return f;
    if (c->offs) c->offs[c->idx] = (render_off)(c->out->len - c->start);
    c->idx++;
    if (c->mode == R_HEADERS) family_header(&f);
    f.started = true; /* the header is written (R_HEADERS) or belongs elsewhere (R_SAMPLES) */
    return f;
}

/* A bucket bound as OpenMetrics wants it: "1.0", "0.005", "1024.0". */
static void canonical_le(double v, char *out, size_t cap)
{
    snprintf(out, cap, "%.15g", v);
    if (!strpbrk(out, ".e")) strncat(out, ".0", cap - strlen(out) - 1);
}

/* A histogram's _bucket, _sum and _count samples; labels[0..nl) come first and a slot
 * for "le" is taken at labels[nl] (the array has room for it). */
static void put_histogram(family *f, const report *r, const histo *h, label *labels, size_t nl)
{
    double cum = 0;
    for (size_t b = 0; b <= h->n_bounds; b++) {
        cum += h->counts[b];
        char le[32];
        if (b == h->n_bounds) snprintf(le, sizeof le, "+Inf");
        else canonical_le(h->bounds[b], le, sizeof le);
        labels[nl] = (label){"le", le};
        family_sample(f, "_bucket", r, labels, nl + 1, cum);
    }
    family_sample(f, "_sum", r, labels, nl, h->sum);
    family_sample(f, "_count", r, labels, nl, cum);
}

/* A per-target value: computed by a small function so that one loop serves many rows. */
typedef bool (*target_value_fn)(const derived *d, double *v);

static bool v_max_configured(const derived *d, double *v)
{
    *v = d->max_configured;
    return true;
}
static bool v_used_ratio(const derived *d, double *v)
{
    *v = d->used_ratio;
    return d->has_used_ratio;
}
static bool v_peak_ratio(const derived *d, double *v)
{
    *v = d->peak_ratio;
    return d->has_peak_ratio;
}
static bool v_time_to_full(const derived *d, double *v)
{
    *v = d->time_to_full;
    return d->has_time_to_full;
}
static bool v_eviction_possible(const derived *d, double *v)
{
    *v = d->eviction_possible;
    return d->has_eviction_possible;
}
static bool v_evicted_rate(const derived *d, double *v)
{
    *v = d->evicted_rate;
    return d->has_evicted_rate;
}
static bool v_expired_rate(const derived *d, double *v)
{
    *v = d->expired_rate;
    return d->has_expired_rate;
}
static bool v_oom_rate(const derived *d, double *v)
{
    *v = d->oom_rate;
    return d->has_oom_rate;
}

static const struct derived_row {
    const char *name;
    const char *help;
    target_value_fn value;
} derived_rows[] = {
    {"redis_memory_max_configured", "1 when maxmemory is set (> 0), 0 when Redis has no memory limit.",
     v_max_configured},
    {"redis_memory_used_ratio", "used_memory divided by maxmemory; absent when maxmemory is 0.", v_used_ratio},
    {"redis_memory_used_peak_ratio", "used_memory_peak divided by maxmemory; absent when maxmemory is 0.",
     v_peak_ratio},
    {"redis_memory_time_to_full_seconds",
     "Seconds until used_memory reaches maxmemory at the recent growth rate (least squares); absent "
     "when usage is flat or shrinking or there is no limit.",
     v_time_to_full},
    {"redis_memory_eviction_possible",
     "1 when maxmemory_policy can evict some key now (allkeys-* with keys, volatile-* with keys that "
     "have a TTL), 0 when writes will fail at the limit instead.",
     v_eviction_possible},
    {"redis_evicted_keys_per_second",
     "Evictions per second over the exporter's recent poll window (INFO evicted_keys).", v_evicted_rate},
    {"redis_expired_keys_per_second",
     "Expirations per second over the exporter's recent poll window (INFO expired_keys).", v_expired_rate},
    {"redis_oom_rejections_per_second",
     "Commands rejected with OOM per second over the exporter's recent poll window (INFO errorstat_OOM).", v_oom_rate},
};

/* Keyspace rows: value of one db line. */
typedef bool (*db_value_fn)(const derived *d, const info_db *db, double *v);
static bool db_keys(const derived *t, const info_db *db, double *v)
{
    (void)t;
    *v = db->keys;
    return true;
}
static bool db_expires(const derived *t, const info_db *db, double *v)
{
    (void)t;
    *v = db->expires;
    return db->has_expires;
}
static bool db_persistent(const derived *t, const info_db *db, double *v)
{
    (void)t;
    /* Some captures carry expires > keys (hand-edited or racing counters): never negative. */
    *v = db->keys > db->expires ? db->keys - db->expires : 0;
    return db->has_expires;
}
static bool db_avg_ttl(const derived *t, const info_db *db, double *v)
{
    (void)t;
    *v = db->avg_ttl_ms / 1000.0;
    return db->has_avg_ttl;
}
static bool db_evictable(const derived *t, const info_db *db, double *v)
{
    return derive_db_evictable(t->policy, db, v);
}

static const struct db_row {
    const char *name;
    const char *help;
    db_value_fn value;
} db_rows[] = {
    {"redis_db_keys", "Keys in the database (INFO keyspace keys).", db_keys},
    {"redis_db_keys_expiring", "Keys with a TTL (INFO keyspace expires).", db_expires},
    {"redis_db_keys_persistent", "Keys without a TTL: keys minus expires (INFO keyspace).", db_persistent},
    {"redis_db_avg_ttl_seconds", "Average TTL of keys with a TTL, in seconds (INFO keyspace avg_ttl).", db_avg_ttl},
    {"redis_db_keys_evictable",
     "Keys the current maxmemory_policy may evict: all keys under allkeys-*, keys with a TTL under "
     "volatile-*, none under noeviction.",
     db_evictable},
};

/* INFO commandstats, as redis_exporter's families (names, label and units), one row each.
 * Absent unless --collect.commandstats asked for the section. */
typedef struct cmd_row {
    const char *name, *help;
    bool split_only; /* rejected_calls / failed_calls: Redis 7.0+ */
    double (*value)(const info_cmdstat *);
} cmd_row;
static double cmd_calls(const info_cmdstat *x) { return x->calls; }
static double cmd_seconds(const info_cmdstat *x) { return x->usec; }
static double cmd_rejected(const info_cmdstat *x) { return x->rejected; }
static double cmd_failed(const info_cmdstat *x) { return x->failed; }
static const cmd_row cmd_rows[] = {
    {"redis_commands_total", "Calls per command (INFO commandstats calls).", false, cmd_calls},
    {"redis_commands_duration_seconds_total", "Seconds spent in each command (INFO commandstats usec).", false,
     cmd_seconds},
    {"redis_commands_rejected_calls_total",
     "Calls refused before running, per command: OOM, ACL, wrong arity... (INFO commandstats rejected_calls, 7.0+).",
     true, cmd_rejected},
    {"redis_commands_failed_calls_total",
     "Calls that ran and failed, per command (INFO commandstats failed_calls, "
     "7.0+).",
     true, cmd_failed},
};

/* ---- a target's Redis series: one row per family, written for each target that is up
 * (a stale target's series go away; redis_up alone is written for every target) ---- */

/* Writes one target's samples of a family; arg is the row's own entry of its table. */
typedef void (*up_writer)(family *f, const report *r, const void *arg);

static void addr_sample(family *f, const report *r, double v)
{
    family_sample(f, NULL, r, &(label){"addr", r->addr}, 1, v);
}

static void db_label(char *out, size_t cap, int db) { snprintf(out, cap, "db%d", db); }

static void for_up(rctx *c, const render_view *ts, size_t n, const char *name, const char *type, const char *help,
                   up_writer w, const void *arg)
{
    family f = fam(c, name, type, help);
    for (size_t i = 0; i < n; i++)
        if (ts[i].up) w(&f, ts[i].r, arg);
}

static void w_info_num(family *f, const report *r, const void *arg)
{
    double v;
    if (info_get(&r->sample, (info_num)((const info_num_desc *)arg - info_num_table), &v)) addr_sample(f, r, v);
}

static void w_derived(family *f, const report *r, const void *arg)
{
    double v;
    if (((const struct derived_row *)arg)->value(&r->derived, &v)) addr_sample(f, r, v);
}

static void w_db(family *f, const report *r, const void *arg)
{
    for (size_t d = 0; d < r->sample.n_dbs; d++) {
        const info_db *db = &r->sample.dbs[d];
        double v;
        if (!((const struct db_row *)arg)->value(&r->derived, db, &v)) continue;
        char dbname[24];
        db_label(dbname, sizeof dbname, db->index);
        label l[2] = {{"addr", r->addr}, {"db", dbname}};
        family_sample(f, NULL, r, l, 2, v);
    }
}

static void w_commands(family *f, const report *r, const void *arg)
{
    const cmd_row *row = arg;
    const info_sample *s = &r->sample;
    for (size_t k = 0; k < s->n_cmds; k++) {
        if (row->split_only && !s->cmds[k].has_calls_split) continue;
        label l[2] = {{"addr", r->addr}, {"cmd", s->cmds[k].name}};
        family_sample(f, NULL, r, l, 2, row->value(&s->cmds[k]));
    }
}

static void w_srvconf(family *f, const report *r, const void *arg)
{
    double v;
    if (srvconf_get(&r->config, (srvconf_param)((const srvconf_desc *)arg - srvconf_table), &v)) addr_sample(f, r, v);
}

static void w_errors(family *f, const report *r, const void *arg)
{
    (void)arg;
    const info_sample *s = &r->sample;
    bool oom_seen = false;
    for (size_t e = 0; e < s->n_errs; e++) {
        label l[2] = {{"addr", r->addr}, {"err", s->errs[e].name}};
        family_sample(f, NULL, r, l, 2, s->errs[e].count);
        if (strcmp(s->errs[e].name, "OOM") == 0) oom_seen = true;
    }
    if (s->has_errorstats && !oom_seen) {
        label l[2] = {{"addr", r->addr}, {"err", "OOM"}};
        family_sample(f, NULL, r, l, 2, 0);
    }
}

static void w_defrag(family *f, const report *r, const void *arg)
{
    (void)arg;
    double v;
    if (srvconf_get(&r->config, SRVCONF_ACTIVEDEFRAG, &v)) addr_sample(f, r, v);
}

static void w_start_time(family *f, const report *r, const void *arg)
{
    (void)arg;
    double up;
    if (r->health.has_last_success && info_get(&r->sample, INFO_UPTIME, &up))
        addr_sample(f, r, floor(r->health.last_success_real) - up);
}

static void w_bytes_per_key(family *f, const report *r, const void *arg)
{
    (void)arg;
    if (r->mstats.has_bytes_per_key) addr_sample(f, r, r->mstats.bytes_per_key);
}

static void w_dataset_ratio(family *f, const report *r, const void *arg)
{
    (void)arg;
    if (r->mstats.has_dataset_ratio) addr_sample(f, r, r->mstats.dataset_ratio);
}

static void w_db_hashtable(family *f, const report *r, const void *arg)
{
    (void)arg;
    for (size_t k = 0; k < r->mstats.n_dbs; k++) {
        char dbname[24];
        db_label(dbname, sizeof dbname, r->mstats.dbs[k].db);
        label l[2] = {{"addr", r->addr}, {"db", dbname}};
        family_sample(f, NULL, r, l, 2, r->mstats.dbs[k].hashtable);
    }
}

static void w_breakdown(family *f, const report *r, const void *arg)
{
    (void)arg;
    memmodel m;
    memmodel_build(&m, &r->sample, &r->mstats);
    if (!m.has_breakdown) return;
    for (int p = 0; p < MEMMODEL_USED_COUNT; p++) {
        double v;
        if (!memmodel_used(&m, (memmodel_part)p, &v)) continue;
        label l[2] = {{"addr", r->addr}, {"part", memmodel_part_name((memmodel_part)p)}};
        family_sample(f, NULL, r, l, 2, v);
    }
}

static void w_findings(family *f, const report *r, const void *arg)
{
    (void)arg;
    for (size_t k = 0; k < r->diagnosis.n; k++) {
        const diagnose_finding *df = &r->diagnosis.findings[k];
        label l[3] = {
            {"addr", r->addr}, {"id", diagnose_id_name(df->id)}, {"severity", diagnose_severity_name(df->severity)}};
        family_sample(f, NULL, r, l, 3, 1);
    }
}

static void w_largest(family *f, const report *r, const void *arg)
{
    (void)arg;
    for (size_t k = 0; k < r->keys->n_largest; k++) {
        const diagnose_key *dk = &r->keys->largest[k];
        char dbname[24];
        db_label(dbname, sizeof dbname, dk->db);
        label l[4] = {{"addr", r->addr}, {"db", dbname}, {"key", dk->name}, {"type", dk->type}};
        family_sample(f, NULL, r, l, 4, dk->bytes);
    }
}

/* A watched key's figure: where its "known" flag and its value are in diagnose_watched. */
typedef struct watch_field {
    size_t has, value;
} watch_field;
static const watch_field watch_size = {offsetof(diagnose_watched, has_size), offsetof(diagnose_watched, size)};
static const watch_field watch_memory = {offsetof(diagnose_watched, has_memory), offsetof(diagnose_watched, memory)};

static void w_watched(family *f, const report *r, const void *arg)
{
    const watch_field *wf = arg;
    for (size_t k = 0; k < r->n_watched; k++) {
        const diagnose_watched *w = &r->watched[k];
        const char *base = (const char *)w;
        bool has;
        double v;
        memcpy(&has, base + wf->has, sizeof has);
        memcpy(&v, base + wf->value, sizeof v);
        if (!w->present || !has) continue;
        char dbname[24];
        db_label(dbname, sizeof dbname, w->db);
        label l[3] = {{"addr", r->addr}, {"db", dbname}, {"key", w->name}};
        family_sample(f, NULL, r, l, 3, v);
    }
}

/* A namespace's figure: its offset in diagnose_namespace, and whether it needs two whole
 * cycles (the growth). */
typedef struct ns_field {
    size_t value;
    bool growth;
} ns_field;
static const ns_field ns_bytes = {offsetof(diagnose_namespace, bytes), false};
static const ns_field ns_keys = {offsetof(diagnose_namespace, keys), false};
static const ns_field ns_ttl_ratio = {offsetof(diagnose_namespace, ttl_ratio), false};
static const ns_field ns_persistent = {offsetof(diagnose_namespace, persistent_bytes), false};
static const ns_field ns_growth = {offsetof(diagnose_namespace, growth_per_hour), true};

static void w_namespace(family *f, const report *r, const void *arg)
{
    const ns_field *nf = arg;
    for (size_t k = 0; k < r->keys->n_namespaces; k++) {
        const diagnose_namespace *ns = &r->keys->namespaces[k];
        if (nf->growth && !ns->has_growth) continue;
        double v;
        memcpy(&v, (const char *)ns + nf->value, sizeof v);
        label l[2] = {{"addr", r->addr}, {"namespace", ns->name}};
        family_sample(f, NULL, r, l, 2, v);
    }
}

static void w_ttl_bytes(family *f, const report *r, const void *arg)
{
    (void)arg;
    if (!r->keys->has_ttl_bytes) return;
    for (size_t b = 0; b < SAMPLER_TTL_BUCKETS; b++) {
        label l[2] = {{"addr", r->addr}, {"ttl_le", sampler_ttl_le_text[b]}};
        family_sample(f, NULL, r, l, 2, r->keys->ttl_bytes[b]);
    }
}

static void w_persistent(family *f, const report *r, const void *arg)
{
    (void)arg;
    if (r->keys->has_ttl_bytes) addr_sample(f, r, r->keys->persistent_bytes);
}

static void w_key_sizes(family *f, const report *r, const void *arg)
{
    (void)arg;
    if (!r->keys->active) return;
    label l[2] = {{"addr", r->addr}}; /* put_histogram adds le in l[1] */
    put_histogram(f, r, &r->keys->sizes, l, 1);
}

static void w_instance_info(family *f, const report *r, const void *arg)
{
    (void)arg;
    label l[1 + INFO_TEXT_COUNT];
    size_t nl = 0;
    l[nl++] = (label){"addr", r->addr};
    for (int k = 0; k < INFO_TEXT_COUNT; k++) {
        if (!info_text_table[k].label) continue;
        const char *v = info_text_get(&r->sample, (info_text)k);
        /* Valkey says server_mode where Redis says redis_mode. */
        if (!v && k == INFO_REDIS_MODE) v = info_text_get(&r->sample, INFO_SERVER_MODE);
        /* its own version beside the redis_version it reports; Redis has none */
        if (!v && k == INFO_VALKEY_VERSION) continue;
        if (k == INFO_ROLE && r->role_label) continue; /* every series has it already */
        l[nl++] = (label){info_text_table[k].label, v ? v : ""};
    }
    family_sample(f, NULL, r, l, nl, 1);
}

/* The families that are not made from another table, in the order they are served. */
typedef struct up_row {
    const char *name, *type, *help;
    up_writer write;
    const void *arg;
} up_row;

static const up_row errors_row = {
    "redis_errors_total", "counter",
    "Error replies by error prefix (INFO errorstats errorstat_<err>:count). The OOM series counts commands rejected "
    "at maxmemory; it is 0 while the section has no OOM line.",
    w_errors, NULL};

static const up_row defrag_row = {
    "redis_active_defrag_enabled", "gauge",
    "1 when the activedefrag config is yes (CONFIG GET activedefrag, asked at most once a minute; absent where CONFIG "
    "is renamed or forbidden).",
    w_defrag, NULL};

static const up_row late_rows[] = {
    {"redis_start_time_seconds", "gauge",
     "Unix time the Redis server started: the poll's time minus uptime_in_seconds.", w_start_time, NULL},
    {"redis_memory_stats_bytes_per_key", "gauge",
     "Average bytes per key, overhead included (MEMORY STATS keys.bytes-per-key, asked once a minute; absent where "
     "MEMORY is refused).",
     w_bytes_per_key, NULL},
    {"redis_memory_stats_dataset_ratio", "gauge",
     "Share of used memory (startup excluded) that is data (MEMORY STATS dataset.percentage / 100).", w_dataset_ratio,
     NULL},
    {"redis_memory_stats_db_hashtable_overhead_bytes", "gauge",
     "Bytes of a db's own hash tables (keys, expires; MEMORY STATS db.N overhead.hashtable.*), first 16 dbs.",
     w_db_hashtable, NULL},
    {"redis_memory_breakdown_bytes", "gauge",
     "Where used_memory goes; the parts sum to it. part: data (used_memory_dataset), client_buffers, replication "
     "(backlog and replica buffers), aof_buffer, scripts, cluster_links, startup, other_overhead (keyspace hash tables "
     "and the rest of used_memory_overhead). A part this server does not report has no series.",
     w_breakdown, NULL},
    {"redis_memory_finding", "gauge",
     "1 for each active diagnosis finding (id one of:" DIAGNOSE_ID_LIST "). No series when healthy. The landing page "
     "and the doctor command explain each and its fix.",
     w_findings, NULL},
    {"redis_key_sample_largest_bytes", "gauge",
     "MEMORY USAGE of the largest keys the optional key sampler has seen (top N, refreshed every SCAN cycle); key "
     "names are cut at 64 bytes or hashed with --sampler.hash-keys.",
     w_largest, NULL},
    {"redis_key_size", "gauge",
     "Length of a watched key (--keys.watch): LLEN, XLEN, SCARD, ZCARD, HLEN or STRLEN by its type; no series while "
     "the key is missing.",
     w_watched, &watch_size},
    {"redis_key_memory_usage_bytes", "gauge",
     "MEMORY USAGE of a watched key (--keys.watch); no series while it is missing.", w_watched, &watch_memory},
    {"redis_key_namespace_bytes", "gauge",
     "Estimated memory (MEMORY USAGE) of the keys in a namespace (key names up to --sampler.namespace-separator), "
     "from the key sampler's last whole cycle (before one ends, the keys seen so far scaled to the keyspace); the "
     "largest 10. namespace=\"\" holds the keys without the separator.",
     w_namespace, &ns_bytes},
    {"redis_key_namespace_keys", "gauge", "Estimated number of keys in a namespace (see redis_key_namespace_bytes).",
     w_namespace, &ns_keys},
    {"redis_key_namespace_ttl_ratio", "gauge", "Share of a namespace's sampled keys that have a TTL.", w_namespace,
     &ns_ttl_ratio},
    {"redis_key_namespace_persistent_bytes", "gauge",
     "Estimated memory of a namespace's keys without a TTL (see redis_key_namespace_bytes).", w_namespace,
     &ns_persistent},
    {"redis_key_namespace_growth_bytes_per_hour", "gauge",
     "Growth of redis_key_namespace_bytes between the key sampler's whole cycles of the last hour (or its last two, "
     "when a cycle takes longer), in bytes an hour; negative when it shrinks.",
     w_namespace, &ns_growth},
    {"redis_key_ttl_bytes", "gauge",
     "Estimated memory of the keys whose TTL ends within ttl_le seconds (cumulative; +Inf: every key with a TTL), "
     "from the key sampler's PTTL replies, counted like redis_key_namespace_bytes.",
     w_ttl_bytes, NULL},
    {"redis_key_persistent_bytes", "gauge",
     "Estimated memory of the keys without a TTL (see redis_key_ttl_bytes): what neither expiry nor a volatile-* "
     "policy frees.",
     w_persistent, NULL},
    {"redis_key_sample_size_bytes", "histogram",
     "Sizes (MEMORY USAGE) of the keys the optional key sampler has looked at.", w_key_sizes, NULL},
    {"redis_instance_info", "gauge",
     "Constant 1, labelled with the server's version (and valkey_version on Valkey, whose redis_version is fixed at "
     "7.2.4), mode, role, OS, maxmemory_policy and allocator (INFO server and memory).",
     w_instance_info, NULL},
};

static void for_row(rctx *c, const render_view *ts, size_t n, const up_row *row)
{
    for_up(c, ts, n, row->name, row->type, row->help, row->write, row->arg);
}

static void render_redis(rctx *c, const render_view *ts, size_t n)
{
    family f =
        fam(c, "redis_up", "gauge", "1 when the exporter's last poll of this Redis succeeded and is recent, else 0.");
    for (size_t i = 0; i < n; i++) addr_sample(&f, ts[i].r, ts[i].up);
    for (int k = 0; k < INFO_NUM_COUNT; k++) {
        const info_num_desc *d = &info_num_table[k];
        if (d->metric)
            for_up(c, ts, n, d->metric, d->kind == INFO_COUNTER ? "counter" : "gauge", d->help, w_info_num, d);
    }
    for (size_t r = 0; r < sizeof derived_rows / sizeof derived_rows[0]; r++)
        for_up(c, ts, n, derived_rows[r].name, "gauge", derived_rows[r].help, w_derived, &derived_rows[r]);
    for (size_t r = 0; r < sizeof db_rows / sizeof db_rows[0]; r++)
        for_up(c, ts, n, db_rows[r].name, "gauge", db_rows[r].help, w_db, &db_rows[r]);
    for_row(c, ts, n, &errors_row);
    for (size_t r = 0; r < sizeof cmd_rows / sizeof cmd_rows[0]; r++)
        for_up(c, ts, n, cmd_rows[r].name, "counter", cmd_rows[r].help, w_commands, &cmd_rows[r]);
    for_row(c, ts, n, &defrag_row);
    for (int p = 0; p < SRVCONF_COUNT; p++)
        if (srvconf_table[p].metric)
            for_up(c, ts, n, srvconf_table[p].metric, "gauge", srvconf_table[p].help, w_srvconf, &srvconf_table[p]);
    for (size_t r = 0; r < sizeof late_rows / sizeof late_rows[0]; r++) for_row(c, ts, n, &late_rows[r]);
}

/* The per-target series about polling. */
static void render_target_health(rctx *c, const render_view *ts, size_t n)
{
    family f = fam(c, "redis_memory_exporter_last_poll_success_timestamp_seconds", "gauge",
                   "Unix time of the last successful poll of this Redis.");
    for (size_t i = 0; i < n; i++)
        if (ts[i].r->health.has_last_success)
            family_sample(&f, NULL, ts[i].r, &(label){"addr", ts[i].r->addr}, 1, ts[i].r->health.last_success_real);

    f = fam(c, "redis_memory_exporter_poll_duration_seconds", "gauge",
            "How long the last poll of this Redis took, successful or not.");
    for (size_t i = 0; i < n; i++)
        if (ts[i].r->health.has_poll_duration)
            family_sample(&f, NULL, ts[i].r, &(label){"addr", ts[i].r->addr}, 1, ts[i].r->health.poll_duration);

    f = fam(c, "redis_loading_dump_file", "gauge",
            "1 while Redis loads its dataset (INFO loading); the poll then fails with reason loading and no "
            "half-loaded figure is served.");
    for (size_t i = 0; i < n; i++)
        if (ts[i].r->has_sample || ts[i].r->loading.active)
            family_sample(&f, NULL, ts[i].r, &(label){"addr", ts[i].r->addr}, 1, ts[i].r->loading.active);

    f = fam(c, "redis_loading_progress_ratio", "gauge",
            "Share of the dataset loaded so far while loading (INFO loading_loaded_perc / 100).");
    for (size_t i = 0; i < n; i++)
        if (ts[i].r->loading.active && ts[i].r->loading.has_progress)
            family_sample(&f, NULL, ts[i].r, &(label){"addr", ts[i].r->addr}, 1, ts[i].r->loading.progress);

    f = fam(c, "redis_loading_eta_seconds", "gauge",
            "Seconds Redis expects loading to take still (INFO loading_eta_seconds).");
    for (size_t i = 0; i < n; i++)
        if (ts[i].r->loading.active && ts[i].r->loading.has_eta)
            family_sample(&f, NULL, ts[i].r, &(label){"addr", ts[i].r->addr}, 1, ts[i].r->loading.eta);

    f = fam(c, "redis_memory_exporter_poll_errors_total", "counter",
            "Failed polls of this Redis by reason (one of:" POLLERR_LIST ").");
    for (size_t i = 0; i < n; i++) {
        for (int r = 0; r < POLLERR_COUNT; r++) {
            label l[2] = {{"addr", ts[i].r->addr}, {"reason", pollerr_name((pollerr)r)}};
            family_sample(&f, NULL, ts[i].r, l, 2, ts[i].r->health.errors[r]);
        }
    }
}

const char *const render_label_names[] = {
    "addr",    "db",       "err",      "cmd",      "key",           "type",      "le",
    "ttl_le",  "id",       "severity", "reason",   "part",          "namespace", "seed",
    "version", "revision", "hiredis",  "libevent", "libmicrohttpd", NULL};

/* Each Cluster's fullest and emptiest primary, and the Cluster-wide finding (clusters.h). */
static void render_clusters(rctx *c, const render_exporter *e)
{
    static const struct {
        const char *name, *help;
        size_t value;
    } rows[] = {
        {"redis_cluster_memory_used_ratio_max",
         "The fullest Cluster primary's used_memory / maxmemory (primaries that are up and have a limit).",
         offsetof(cluster_summary, max_ratio)},
        {"redis_cluster_memory_used_ratio_min", "The emptiest Cluster primary's used_memory / maxmemory.",
         offsetof(cluster_summary, min_ratio)},
    };
    if (e->n_clusters == 0) return;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        family f = fam(c, rows[r].name, "gauge", rows[r].help);
        for (size_t i = 0; i < e->n_clusters; i++) {
            double v;
            memcpy(&v, (const char *)&e->clusters[i] + rows[r].value, sizeof v);
            family_sample(&f, NULL, NULL, &(label){"cluster", e->clusters[i].cluster}, 1, v);
        }
    }
    family f = fam(c, "redis_cluster_finding", "gauge",
                   "1 while a Cluster-wide finding holds: shard_near_limit_alone (one shard near its limit while the "
                   "other primaries are well below it).");
    for (size_t i = 0; i < e->n_clusters; i++) {
        const cluster_summary *k = &e->clusters[i];
        if (!k->imbalance) continue;
        label l[4] = {{"cluster", k->cluster},
                      {"id", diagnose_id_name(DIAGNOSE_SHARD_NEAR_LIMIT_ALONE)},
                      {"shard", k->max_shard},
                      {"severity", diagnose_severity_name(k->severity)}};
        family_sample(&f, NULL, NULL, l, 4, 1);
    }
}

/* The exporter's own series. */
static void render_self(rctx *c, size_t n, const render_exporter *e)
{
    family f;
    if (e->lateness) {
        f = fam(c, "redis_memory_exporter_poll_lateness_seconds", "histogram",
                "How late polls started against their schedule, over all targets.");
        label l[1];
        put_histogram(&f, NULL, e->lateness, l, 0);
    }

    if (e->has_reload) {
        f = fam(c, "redis_memory_exporter_config_last_reload_successful", "gauge",
                "1 when the last read of --targets.file was used, 0 when it was refused (the running targets "
                "stay).");
        family_sample(&f, NULL, NULL, NULL, 0, e->reload_ok);
        f = fam(c, "redis_memory_exporter_config_last_reload_success_timestamp_seconds", "gauge",
                "Unix time of the last read of --targets.file that was used.");
        family_sample(&f, NULL, NULL, NULL, 0, e->reload_time);
    }
    f = fam(c, "redis_memory_exporter_connect_waits_total", "counter",
            "Polls that waited for a later tick because --poll.max-concurrent-connects connects were in flight.");
    family_sample(&f, NULL, NULL, NULL, 0, e->connect_waits);
    f = fam(c, "redis_memory_exporter_snapshots_total", "counter",
            "Renders of the targets' series, which happen only for readers: asked (a scrape or page found the last "
            "one behind and waited for it) or ahead (made just before a scrape foreseen from the last ones).");
    label asked[1] = {{"reason", "asked"}}, ahead[1] = {{"reason", "ahead"}};
    family_sample(&f, NULL, NULL, asked, 1, e->snapshots_asked);
    family_sample(&f, NULL, NULL, ahead, 1, e->snapshots_ahead);
    if (e->n_refused > 0) {
        f = fam(c, "redis_memory_exporter_discovery_refused_total", "counter",
                "Addresses a Cluster node or sentinel named that were never connected to: outside the seed's allow: "
                "list (its own scope without one), or not a host name or IP address (a socket path).");
        for (size_t i = 0; i < e->n_refused; i++) {
            label l[1] = {{"seed", e->refused[i].seed}};
            family_sample(&f, NULL, NULL, l, 1, e->refused[i].refused);
        }
    }
    f = fam(c, "redis_memory_exporter_targets", "gauge",
            "Targets this exporter polls (its share, with --targets.shard).");
    family_sample(&f, NULL, NULL, NULL, 0, (double)n);

    f = fam(c, "redis_memory_exporter_build_info", "gauge",
            "Constant 1, labelled with the exporter's version and revision and the library versions it "
            "was built with.");
    const render_build *b = e->build;
    label bl[5] = {{"version", b->version},
                   {"revision", b->revision},
                   {"hiredis", b->hiredis},
                   {"libevent", b->libevent},
                   {"libmicrohttpd", b->libmicrohttpd}};
    family_sample(&f, NULL, NULL, bl, 5, 1);

    const procstat_sample *p = e->proc;
    if (p && p->ok) {
        static const struct {
            const char *name, *type, *help;
            size_t offset;
        } rows[] = {
            {"process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
             offsetof(procstat_sample, cpu_seconds)},
            {"process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
             offsetof(procstat_sample, resident_bytes)},
            {"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
             offsetof(procstat_sample, virtual_bytes)},
            {"process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
             offsetof(procstat_sample, start_time_seconds)},
            {"process_open_fds", "gauge", "Number of open file descriptors.", offsetof(procstat_sample, open_fds)},
            {"process_max_fds", "gauge", "Maximum number of open file descriptors.",
             offsetof(procstat_sample, max_fds)},
            {"process_threads", "gauge", "Number of OS threads in the process.", offsetof(procstat_sample, threads)},
        };
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            /* A value that could not be read is left out, never exported as 0. */
            if (rows[r].offset == offsetof(procstat_sample, start_time_seconds) && !p->has_start_time) continue;
            f = fam(c, rows[r].name, rows[r].type, rows[r].help);
            family_sample(&f, NULL, NULL, NULL, 0, *(const double *)((const char *)p + rows[r].offset));
        }
    }
    render_clusters(c, e);
}

void render_metrics(buf *out, render_format fmt, const render_view *targets, size_t n, const render_exporter *e)
{
    rctx c = {out, R_WHOLE, fmt == RENDER_OPENMETRICS, NULL, 0, NULL, 0};
    render_redis(&c, targets, n);
    render_target_health(&c, targets, n);
    render_self(&c, n, e);
    render_end(out, fmt);
}

void render_end(buf *out, render_format fmt)
{
    if (fmt == RENDER_OPENMETRICS) buf_puts(out, "# EOF\n");
}

void render_exporter_metrics(buf *out, size_t n_targets, const render_exporter *e, render_format fmt)
{
    rctx c = {out, R_WHOLE, fmt == RENDER_OPENMETRICS, NULL, 0, NULL, 0};
    render_self(&c, n_targets, e);
}

render_layout render_target_layout(void)
{
    rctx c = {NULL, R_SAMPLES, false, NULL, 0, NULL, 0};
    buf none;
    buf_init(&none);
    c.out = &none;
    render_redis(&c, NULL, 0);
    render_layout l = {.n_redis = c.idx};
    render_target_health(&c, NULL, 0);
    buf_free(&none);
    l.n_fam = c.idx;
    return l;
}

void render_target_headers(buf *out, render_off *offs, render_format fmt)
{
    rctx c = {out, R_HEADERS, fmt == RENDER_OPENMETRICS, offs, 0, NULL, out->len};
    render_redis(&c, NULL, 0);
    render_target_health(&c, NULL, 0);
    offs[c.idx] = (render_off)(out->len - c.start);
}

void render_target_samples(buf *out, const render_view *t, render_off *offs)
{
    label_cache lc = {NULL, {0}};
    buf_init(&lc.text);
    rctx c = {out, R_SAMPLES, false, offs, 0, &lc, out->len};
    render_redis(&c, t, 1);
    render_target_health(&c, t, 1);
    offs[c.idx] = (render_off)(out->len - c.start);
    buf_append(out, lc.text.data, lc.text.len);
    offs[c.idx + 1] = (render_off)(out->len - c.start);
    buf_free(&lc.text);
}

/* A piece's span with each RENDER_LABELS_MARK replaced by the target's labels. */
static void put_span(buf *out, const char *p, size_t n, const char *labels, size_t labels_len)
{
    const char *end = p + n;
    while (p < end) {
        const char *mark = memchr(p, RENDER_LABELS_MARK, (size_t)(end - p));
        if (!mark) {
            buf_append(out, p, (size_t)(end - p));
            return;
        }
        buf_append(out, p, (size_t)(mark - p));
        buf_append(out, labels, labels_len);
        p = mark + 1;
    }
}

/* The span of family k that piece p contributes: a down piece keeps only its redis_up
 * (family 0, whose one line ends in its value: a 0 in its place) and the families about
 * polling (from layout->n_redis on), which is what rendering it as down writes. */
void render_assemble_family(buf *out, const render_piece *p, size_t k, const render_layout *l)
{
    const render_off *o = p->offs;
    const char *labels = p->data + o[l->n_fam];
    size_t labels_len = o[l->n_fam + 1] - o[l->n_fam];
    size_t len = o[k + 1] - o[k];
    if (p->down && k < l->n_redis) {
        if (k != 0 || len < 2) return;
        const char *line = p->data + o[k];
        const char *sp = line + len - 1;
        while (sp > line && *sp != ' ') sp--;
        put_span(out, line, (size_t)(sp + 1 - line), labels, labels_len);
        buf_puts(out, "0\n");
        return;
    }
    put_span(out, p->data + o[k], len, labels, labels_len);
}

bool render_family_present(const render_piece *p, size_t n, size_t k, const render_layout *l)
{
    for (size_t i = 0; i < n; i++)
        if (p[i].offs[k + 1] > p[i].offs[k] && (!p[i].down || k == 0 || k >= l->n_redis)) return true;
    return false;
}

size_t render_piece_length(const render_piece *p, const render_layout *l)
{
    const render_off *o = p->offs;
    size_t labels_len = o[l->n_fam + 1] - o[l->n_fam];
    size_t n = o[l->n_fam] - o[0], marks = 0;
    for (const char *at = p->data + o[0], *end = p->data + o[l->n_fam];
         (at = memchr(at, RENDER_LABELS_MARK, (size_t)(end - at))) != NULL; at++)
        marks++;
    return n + marks * labels_len - marks;
}

void render_assemble(buf *out, const char *headers, const render_off *hoffs, const render_layout *l,
                     const render_piece *p, size_t n)
{
    for (size_t k = 0; k < l->n_fam; k++) {
        if (!render_family_present(p, n, k, l)) continue;
        buf_append(out, headers + hoffs[k], hoffs[k + 1] - hoffs[k]);
        for (size_t i = 0; i < n; i++) render_assemble_family(out, &p[i], k, l);
    }
}

void render_discovery(buf *out, const render_view *targets, size_t n)
{
    buf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        const char *key = targets[i].r->addr;
        if (i) buf_putc(out, ',');
        buf_puts(out, "{\"targets\":[\"" RENDER_DISCOVERY_HOST "\"],\"labels\":{\"__metrics_path__\":\"/scrape\",");
        buf_puts(out, "\"__param_target\":");
        fmt_json_string(out, key);
        buf_puts(out, ",\"instance\":");
        fmt_json_string(out, key);
        buf_puts(out, "}}");
    }
    buf_puts(out, "]\n");
}
