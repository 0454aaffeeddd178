/* render: exposition text (0.0.4 and OpenMetrics 1.0) and the landing page.
 * See include/render.h. */
#include "render.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct label {
    const char *name;
    const char *value;
} label;

/* One metric family being written: the header goes out before the first sample. */
typedef struct family {
    buf *out;
    const char *name;   /* the sample name */
    const char *type;   /* "gauge", "counter", "histogram" */
    const char *help;
    bool started;
} family;

static void put_help(buf *out, const char *help)
{
    for (const char *p = help; *p; p++) {
        if (*p == '\\') buf_puts(out, "\\\\");
        else if (*p == '\n') buf_puts(out, "\\n");
        else buf_putc(out, *p);
    }
}

static void family_header(family *f)
{
    buf_puts(f->out, "# HELP ");
    buf_puts(f->out, f->name);
    buf_putc(f->out, ' ');
    put_help(f->out, f->help);
    buf_puts(f->out, "\n# TYPE ");
    buf_puts(f->out, f->name);
    buf_putc(f->out, ' ');
    buf_puts(f->out, f->type);
    buf_putc(f->out, '\n');
    f->started = true;
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80) return 1;
    size_t n;
    unsigned min;
    unsigned cp;
    if ((s[0] & 0xE0) == 0xC0) { n = 2; cp = s[0] & 0x1F; min = 0x80; }
    else if ((s[0] & 0xF0) == 0xE0) { n = 3; cp = s[0] & 0x0F; min = 0x800; }
    else if ((s[0] & 0xF8) == 0xF0) { n = 4; cp = s[0] & 0x07; min = 0x10000; }
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

void render_label_value(buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (;;) {
        /* Copy the run of plain ASCII in one go: label values are nearly always that. */
        const unsigned char *run = p;
        while (*p >= 0x20 && *p < 0x80 && *p != '\\' && *p != '"') p++;
        if (p > run) buf_append(out, (const char *)run, (size_t)(p - run));
        if (!*p) return;
        if (*p == '\\') { buf_puts(out, "\\\\"); p++; continue; }
        if (*p == '"') { buf_puts(out, "\\\""); p++; continue; }
        if (*p == '\n') { buf_puts(out, "\\n"); p++; continue; }
        size_t n = utf8_len(p);
        if (n == 0) {
            buf_puts(out, "\xEF\xBF\xBD");
            p++;
            continue;
        }
        buf_append(out, (const char *)p, n);
        p += n;
    }
}

static void family_sample(family *f, const char *suffix, const label *labels, size_t nl, double v)
{
    if (!f->started) family_header(f);
    buf_puts(f->out, f->name);
    if (suffix) buf_puts(f->out, suffix);
    if (nl) {
        buf_putc(f->out, '{');
        for (size_t i = 0; i < nl; i++) {
            if (i) buf_putc(f->out, ',');
            buf_puts(f->out, labels[i].name);
            buf_puts(f->out, "=\"");
            render_label_value(f->out, labels[i].value);
            buf_putc(f->out, '"');
        }
        buf_putc(f->out, '}');
    }
    buf_putc(f->out, ' ');
    buf_put_double(f->out, v);
    buf_putc(f->out, '\n');
}

static family fam(buf *out, const char *name, const char *type, const char *help)
{
    return (family){out, name, type, help, false};
}

/* A bucket bound as OpenMetrics wants it: "1.0", "0.005", "1024.0". */
static void canonical_le(double v, char *out, size_t cap)
{
    snprintf(out, cap, "%.15g", v);
    if (!strpbrk(out, ".e")) strncat(out, ".0", cap - strlen(out) - 1);
}

/* A per-target value: computed by a small function so that one loop serves many rows. */
typedef bool (*target_value_fn)(const render_target *t, double *v);

static bool v_max_configured(const render_target *t, double *v) { *v = t->derived->max_configured; return true; }
static bool v_used_ratio(const render_target *t, double *v)
{ *v = t->derived->used_ratio; return t->derived->has_used_ratio; }
static bool v_peak_ratio(const render_target *t, double *v)
{ *v = t->derived->peak_ratio; return t->derived->has_peak_ratio; }
static bool v_time_to_full(const render_target *t, double *v)
{ *v = t->derived->time_to_full; return t->derived->has_time_to_full; }
static bool v_eviction_possible(const render_target *t, double *v)
{ *v = t->derived->eviction_possible; return t->derived->has_eviction_possible; }
static bool v_evicted_rate(const render_target *t, double *v)
{ *v = t->derived->evicted_rate; return t->derived->has_evicted_rate; }
static bool v_expired_rate(const render_target *t, double *v)
{ *v = t->derived->expired_rate; return t->derived->has_expired_rate; }
static bool v_oom_rate(const render_target *t, double *v)
{ *v = t->derived->oom_rate; return t->derived->has_oom_rate; }

static const struct derived_row {
    const char *name;
    const char *help;
    target_value_fn value;
} derived_rows[] = {
    {"redis_memory_max_configured", "1 when maxmemory is set (> 0), 0 when Redis has no memory limit.",
     v_max_configured},
    {"redis_memory_used_ratio", "used_memory divided by maxmemory; absent when maxmemory is 0.",
     v_used_ratio},
    {"redis_memory_used_peak_ratio", "used_memory_peak divided by maxmemory; absent when maxmemory is 0.",
     v_peak_ratio},
    {"redis_memory_time_to_full_seconds",
     "Seconds until used_memory reaches maxmemory at the recent growth rate (least squares); absent "
     "when usage is flat or shrinking or there is no limit.", v_time_to_full},
    {"redis_memory_eviction_possible",
     "1 when maxmemory_policy can evict some key now (allkeys-* with keys, volatile-* with keys that "
     "have a TTL), 0 when writes will fail at the limit instead.", v_eviction_possible},
    {"redis_evicted_keys_per_second", "Evictions per second over the exporter's recent poll window (INFO evicted_keys).",
     v_evicted_rate},
    {"redis_expired_keys_per_second", "Expirations per second over the exporter's recent poll window (INFO expired_keys).",
     v_expired_rate},
    {"redis_oom_rejections_per_second",
     "Commands rejected with OOM per second over the exporter's recent poll window (INFO errorstat_OOM).",
     v_oom_rate},
};

/* Keyspace rows: value of one db line. */
typedef bool (*db_value_fn)(const render_target *t, const info_db *db, double *v);
static bool db_keys(const render_target *t, const info_db *db, double *v) { (void)t; *v = db->keys; return true; }
static bool db_expires(const render_target *t, const info_db *db, double *v)
{ (void)t; *v = db->expires; return db->has_expires; }
static bool db_persistent(const render_target *t, const info_db *db, double *v)
{
    (void)t;
    /* Some captures carry expires > keys (hand-edited or racing counters): never negative. */
    *v = db->keys > db->expires ? db->keys - db->expires : 0;
    return db->has_expires;
}
static bool db_avg_ttl(const render_target *t, const info_db *db, double *v)
{ (void)t; *v = db->avg_ttl_ms / 1000.0; return db->has_avg_ttl; }
static bool db_evictable(const render_target *t, const info_db *db, double *v)
{ return derive_db_evictable(t->derived->policy, db, v); }

static const struct db_row {
    const char *name;
    const char *help;
    db_value_fn value;
} db_rows[] = {
    {"redis_db_keys", "Keys in the database (INFO keyspace keys).", db_keys},
    {"redis_db_keys_expiring", "Keys with a TTL (INFO keyspace expires).", db_expires},
    {"redis_db_keys_persistent", "Keys without a TTL: keys minus expires (INFO keyspace).", db_persistent},
    {"redis_db_avg_ttl_seconds", "Average TTL of keys with a TTL, in seconds (INFO keyspace avg_ttl).",
     db_avg_ttl},
    {"redis_db_keys_evictable",
     "Keys the current maxmemory_policy may evict: all keys under allkeys-*, keys with a TTL under "
     "volatile-*, none under noeviction.", db_evictable},
};

static void render_redis(buf *out, const render_target *ts, size_t n)
{
    family f = fam(out, "redis_up", "gauge",
                   "1 when the exporter's last poll of this Redis succeeded and is recent, else 0.");
    for (size_t i = 0; i < n; i++)
        family_sample(&f, NULL, &(label){"addr", ts[i].addr}, 1, ts[i].up);

    for (int k = 0; k < INFO_NUM_COUNT; k++) {
        const info_num_desc *d = &info_num_table[k];
        if (!d->metric) continue;
        f = fam(out, d->metric, d->kind == INFO_COUNTER ? "counter" : "gauge", d->help);
        for (size_t i = 0; i < n; i++) {
            double v;
            if (ts[i].up && info_get(ts[i].sample, (info_num)k, &v))
                family_sample(&f, NULL, &(label){"addr", ts[i].addr}, 1, v);
        }
    }

    for (size_t r = 0; r < sizeof derived_rows / sizeof derived_rows[0]; r++) {
        f = fam(out, derived_rows[r].name, "gauge", derived_rows[r].help);
        for (size_t i = 0; i < n; i++) {
            double v;
            if (ts[i].up && derived_rows[r].value(&ts[i], &v))
                family_sample(&f, NULL, &(label){"addr", ts[i].addr}, 1, v);
        }
    }

    for (size_t r = 0; r < sizeof db_rows / sizeof db_rows[0]; r++) {
        f = fam(out, db_rows[r].name, "gauge", db_rows[r].help);
        for (size_t i = 0; i < n; i++) {
            if (!ts[i].up) continue;
            for (size_t d = 0; d < ts[i].sample->n_dbs; d++) {
                const info_db *db = &ts[i].sample->dbs[d];
                double v;
                if (!db_rows[r].value(&ts[i], db, &v)) continue;
                char dbname[24];
                snprintf(dbname, sizeof dbname, "db%d", db->index);
                label l[2] = {{"addr", ts[i].addr}, {"db", dbname}};
                family_sample(&f, NULL, l, 2, v);
            }
        }
    }

    f = fam(out, "redis_errors_total", "counter",
            "Error replies by error prefix (INFO errorstats errorstat_<err>:count). The OOM series counts "
            "commands rejected at maxmemory; it is 0 while the section has no OOM line.");
    for (size_t i = 0; i < n; i++) {
        if (!ts[i].up) continue;
        const info_sample *s = ts[i].sample;
        bool oom_seen = false;
        for (size_t e = 0; e < s->n_errs; e++) {
            label l[2] = {{"addr", ts[i].addr}, {"err", s->errs[e].name}};
            family_sample(&f, NULL, l, 2, s->errs[e].count);
            if (strcmp(s->errs[e].name, "OOM") == 0) oom_seen = true;
        }
        if (s->has_errorstats && !oom_seen) {
            label l[2] = {{"addr", ts[i].addr}, {"err", "OOM"}};
            family_sample(&f, NULL, l, 2, 0);
        }
    }

    f = fam(out, "redis_active_defrag_enabled", "gauge",
            "1 when the activedefrag config is yes (CONFIG GET activedefrag, asked at most once a minute; "
            "absent where CONFIG is renamed or forbidden).");
    for (size_t i = 0; i < n; i++)
        if (ts[i].up && ts[i].has_defrag_enabled)
            family_sample(&f, NULL, &(label){"addr", ts[i].addr}, 1, ts[i].defrag_enabled);

    f = fam(out, "redis_memory_finding", "gauge",
            "1 for each active diagnosis finding (id: memory_near_limit, noeviction_at_limit, "
            "volatile_without_ttl_keys, large_keys, fragmentation_high, rss_below_used, oom_rejections). "
            "No series when healthy. The landing page and the doctor command explain each and its fix.");
    for (size_t i = 0; i < n; i++) {
        if (!ts[i].up || !ts[i].diagnosis) continue;
        for (size_t k = 0; k < ts[i].diagnosis->n; k++) {
            const diagnose_finding *df = &ts[i].diagnosis->findings[k];
            label l[3] = {{"addr", ts[i].addr}, {"id", diagnose_id_name(df->id)},
                          {"severity", diagnose_severity_name(df->severity)}};
            family_sample(&f, NULL, l, 3, 1);
        }
    }

    f = fam(out, "redis_key_sample_largest_bytes", "gauge",
            "MEMORY USAGE of the largest keys the optional key sampler has seen (top N, refreshed every SCAN "
            "cycle); key names are cut at 64 bytes or hashed with --sampler.hash-keys.");
    for (size_t i = 0; i < n; i++) {
        if (!ts[i].up) continue;
        for (size_t k = 0; k < ts[i].n_largest; k++) {
            const diagnose_key *dk = &ts[i].largest[k];
            char dbname[24];
            snprintf(dbname, sizeof dbname, "db%d", dk->db);
            label l[4] = {{"addr", ts[i].addr}, {"db", dbname}, {"key", dk->name}, {"type", dk->type}};
            family_sample(&f, NULL, l, 4, dk->bytes);
        }
    }

    f = fam(out, "redis_key_sample_size_bytes", "histogram",
            "Sizes (MEMORY USAGE) of the keys the optional key sampler has looked at.");
    for (size_t i = 0; i < n; i++) {
        if (!ts[i].up || !ts[i].key_size_counts) continue;
        static const double bounds[RENDER_KEY_SIZE_BUCKETS] = RENDER_KEY_SIZE_BOUNDS;
        double cum = 0;
        for (int b = 0; b <= RENDER_KEY_SIZE_BUCKETS; b++) {
            cum += ts[i].key_size_counts[b];
            char le[32];
            if (b == RENDER_KEY_SIZE_BUCKETS) snprintf(le, sizeof le, "+Inf");
            else canonical_le(bounds[b], le, sizeof le);
            label l[2] = {{"addr", ts[i].addr}, {"le", le}};
            family_sample(&f, "_bucket", l, 2, cum);
        }
        family_sample(&f, "_sum", &(label){"addr", ts[i].addr}, 1, ts[i].key_size_sum);
        family_sample(&f, "_count", &(label){"addr", ts[i].addr}, 1, cum);
    }

    f = fam(out, "redis_instance_info", "gauge",
            "Constant 1, labelled with the server's version, mode, role, OS, maxmemory_policy and allocator "
            "(INFO server and memory).");
    for (size_t i = 0; i < n; i++) {
        if (!ts[i].up) continue;
        label l[1 + INFO_TEXT_COUNT];
        size_t nl = 0;
        l[nl++] = (label){"addr", ts[i].addr};
        for (int k = 0; k < INFO_TEXT_COUNT; k++) {
            if (!info_text_table[k].label) continue;
            const char *v = info_text_get(ts[i].sample, (info_text)k);
            /* Valkey says server_mode where Redis says redis_mode. */
            if (!v && k == INFO_REDIS_MODE) v = info_text_get(ts[i].sample, INFO_SERVER_MODE);
            l[nl++] = (label){info_text_table[k].label, v ? v : ""};
        }
        family_sample(&f, NULL, l, nl, 1);
    }
}

static void render_health(buf *out, const render_target *ts, size_t n, const render_exporter *e)
{
    family f = fam(out, "redis_memory_exporter_last_poll_success_timestamp_seconds", "gauge",
                   "Unix time of the last successful poll of this Redis.");
    for (size_t i = 0; i < n; i++)
        if (ts[i].has_last_success)
            family_sample(&f, NULL, &(label){"addr", ts[i].addr}, 1, ts[i].last_success_ts);

    f = fam(out, "redis_memory_exporter_poll_duration_seconds", "gauge",
            "How long the last poll of this Redis took, successful or not.");
    for (size_t i = 0; i < n; i++)
        if (ts[i].has_poll_duration)
            family_sample(&f, NULL, &(label){"addr", ts[i].addr}, 1, ts[i].poll_duration);

    f = fam(out, "redis_memory_exporter_poll_errors_total", "counter",
            "Failed polls of this Redis by reason (connect, auth, timeout, protocol, too_large, loading, "
            "redis_error, closed).");
    for (size_t i = 0; i < n; i++) {
        for (int r = 0; r < POLLERR_COUNT; r++) {
            label l[2] = {{"addr", ts[i].addr}, {"reason", pollerr_name((pollerr)r)}};
            family_sample(&f, NULL, l, 2, ts[i].errors[r]);
        }
    }

    if (e->lateness_counts) {
        static const double bounds[RENDER_LATENESS_BUCKETS] = RENDER_LATENESS_BOUNDS;
        f = fam(out, "redis_memory_exporter_poll_lateness_seconds", "histogram",
                "How late polls started against their schedule, over all targets.");
        double cum = 0;
        for (int b = 0; b <= RENDER_LATENESS_BUCKETS; b++) {
            cum += e->lateness_counts[b];
            char le[32];
            if (b == RENDER_LATENESS_BUCKETS) snprintf(le, sizeof le, "+Inf");
            else canonical_le(bounds[b], le, sizeof le);
            family_sample(&f, "_bucket", &(label){"le", le}, 1, cum);
        }
        family_sample(&f, "_sum", NULL, 0, e->lateness_sum);
        family_sample(&f, "_count", NULL, 0, cum);
    }

    f = fam(out, "redis_memory_exporter_build_info", "gauge",
            "Constant 1, labelled with the exporter's version and revision and the library versions it "
            "was built with.");
    label bl[5] = {{"version", e->version}, {"revision", e->revision}, {"hiredis", e->hiredis},
                   {"libevent", e->libevent}, {"libmicrohttpd", e->libmicrohttpd}};
    family_sample(&f, NULL, bl, 5, 1);

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
            f = fam(out, rows[r].name, rows[r].type, rows[r].help);
            family_sample(&f, NULL, NULL, 0, *(const double *)((const char *)p + rows[r].offset));
        }
    }
}

void render_metrics(buf *out, render_format fmt, const render_target *targets, size_t n,
                    const render_exporter *e)
{
    if (fmt == RENDER_OPENMETRICS) {
        buf text;
        buf_init(&text);
        render_metrics(&text, RENDER_TEXT, targets, n, e);
        render_openmetrics_from_text(out, text.data, text.len);
        buf_free(&text);
        return;
    }
    render_redis(out, targets, n);
    render_health(out, targets, n, e);
}

/* True when [line, end) is "# TYPE <name> counter" for the given name. */
static bool is_counter_type(const char *line, const char *end, const char *name, size_t nlen)
{
    static const char head[] = "# TYPE ", tail[] = " counter";
    size_t hl = sizeof head - 1, tl = sizeof tail - 1;
    return (size_t)(end - line) == hl + nlen + tl && memcmp(line, head, hl) == 0 &&
           memcmp(line + hl, name, nlen) == 0 && memcmp(line + hl + nlen, tail, tl) == 0;
}

void render_openmetrics_from_text(buf *out, const char *text, size_t len)
{
    buf_reserve(out, len + 64);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        bool help = line_end - p > 7 && memcmp(p, "# HELP ", 7) == 0;
        bool type = line_end - p > 7 && memcmp(p, "# TYPE ", 7) == 0;
        if (help || type) {
            const char *name = p + 7;
            const char *sp = memchr(name, ' ', (size_t)(line_end - name));
            size_t nlen = sp ? (size_t)(sp - name) : (size_t)(line_end - name);
            /* A counter's family is named without _total; its HELP comes just before TYPE. */
            const char *type_line = type ? p : next;
            const char *type_end = line_end;
            if (!type) {
                const char *nl2 = next < end ? memchr(next, '\n', (size_t)(end - next)) : NULL;
                type_end = nl2 ? nl2 : end;
            }
            bool strip = nlen > 6 && memcmp(name + nlen - 6, "_total", 6) == 0 && type_line < end &&
                         is_counter_type(type_line, type_end, name, nlen);
            buf_append(out, p, 7);
            buf_append(out, name, strip ? nlen - 6 : nlen);
            if (help && sp) {
                /* OpenMetrics also escapes double quotes in HELP. */
                for (const char *c = sp; c < line_end; c++) {
                    if (*c == '"') buf_puts(out, "\\\"");
                    else buf_putc(out, *c);
                }
            } else if (sp) {
                buf_append(out, sp, (size_t)(line_end - sp));
            }
            buf_putc(out, '\n');
        } else if (line_end > p) {
            buf_append(out, p, (size_t)(next - p));
            if (!nl) buf_putc(out, '\n');
        }
        p = next;
    }
    buf_puts(out, "# EOF\n");
}

static void put_html(buf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': buf_puts(out, "&lt;"); break;
        case '>': buf_puts(out, "&gt;"); break;
        case '&': buf_puts(out, "&amp;"); break;
        case '"': buf_puts(out, "&quot;"); break;
        case '\'': buf_puts(out, "&#39;"); break;
        default: buf_putc(out, *s);
        }
    }
}

void render_landing(buf *out, const render_target *targets, size_t n, const render_exporter *e,
                    const char *telemetry_path)
{
    buf_puts(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>redis_memory_exporter</title>\n"
                  "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                  "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.up{color:#070}.down{color:#a00}.critical h3{color:#a00}.warning h3{color:#a60}"
                  "</style></head><body>\n<h1>redis_memory_exporter</h1>\n"
                  "<p>Prometheus exporter for Redis memory: used memory against maxmemory, evictions, OOM "
                  "rejections, fragmentation.</p>\n<p>Version ");
    put_html(out, e->version);
    buf_puts(out, " (");
    put_html(out, e->revision);
    buf_printf(out, "), polling every %g s.</p>\n<p><a href=\"", e->poll_interval);
    put_html(out, telemetry_path);
    buf_puts(out, "\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p>\n"
                  "<h2>Targets</h2>\n<table><tr><th>address</th><th>state</th><th>last error</th>"
                  "<th>used / maxmemory</th><th>policy</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        const render_target *t = &targets[i];
        buf_puts(out, "<tr><td>");
        put_html(out, t->addr);
        buf_printf(out, "</td><td class=\"%s\">", t->up ? "up" : "down");
        put_html(out, t->state);
        buf_puts(out, "</td><td>");
        put_html(out, t->last_error == POLLERR_NONE ? "-" : pollerr_name(t->last_error));
        buf_puts(out, "</td><td>");
        double used;
        if (t->up && info_get(t->sample, INFO_USED_MEMORY, &used)) {
            buf_printf(out, "%.1f MiB", used / 1048576.0);
            if (t->derived->has_used_ratio) buf_printf(out, " (%.1f %%)", t->derived->used_ratio * 100);
            else buf_puts(out, " (no limit)");
        } else {
            buf_puts(out, "-");
        }
        buf_puts(out, "</td><td>");
        const char *policy = t->up ? info_text_get(t->sample, INFO_MAXMEMORY_POLICY) : NULL;
        put_html(out, policy ? policy : "-");
        buf_puts(out, "</td></tr>\n");
    }
    buf_puts(out, "</table>\n<h2>Findings</h2>\n");
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        const render_target *t = &targets[i];
        if (!t->up || !t->diagnosis) continue;
        for (size_t k = 0; k < t->diagnosis->n; k++) {
            const diagnose_finding *f = &t->diagnosis->findings[k];
            buf_printf(out, "<div class=\"%s\"><h3>", diagnose_severity_name(f->severity));
            put_html(out, t->addr);
            buf_puts(out, ": ");
            put_html(out, diagnose_id_name(f->id));
            buf_puts(out, " (");
            put_html(out, diagnose_severity_name(f->severity));
            buf_puts(out, ")</h3>\n<p>");
            put_html(out, f->summary);
            buf_puts(out, "</p>\n<p><b>Why it matters:</b> ");
            put_html(out, diagnose_why(f->id));
            buf_puts(out, "</p>\n<p><b>Fix:</b> <code>");
            put_html(out, f->fix);
            buf_puts(out, "</code></p></div>\n");
            shown++;
        }
    }
    if (shown == 0) buf_puts(out, "<p>No finding: every target that answers looks healthy.</p>\n");
    buf_puts(out, "</body></html>\n");
}
