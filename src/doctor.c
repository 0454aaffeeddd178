/* doctor: one-shot diagnosis. See include/doctor.h. Single-threaded: its own event loop. */
#include "doctor.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "diagnose.h"
#include "log.h"
#include "target.h"

typedef struct run {
    struct event_base *base;
    target *t;
    bool done;
} run;

static void on_notify(target *t, void *arg)
{
    run *r = arg;
    const target_state *st = target_get_state(t);
    /* Done after the first failure, or after a success once the sampler has finished. */
    if (!st->last_ok || (st->has_sample && !target_sampler_busy(t))) {
        r->done = true;
        event_base_loopbreak(r->base);
    }
}

static void on_overall_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    run *r = arg;
    event_base_loopbreak(r->base);
}

static void human(double b, char *out, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (fabs(b) >= 1024 && u < 4) { b /= 1024; u++; }
    snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", b, units[u]);
}

static void json_str(buf *b, const char *s)
{
    buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') { buf_putc(b, '\\'); buf_putc(b, (char)*p); }
        else if (*p < 0x20) buf_printf(b, "\\u%04x", *p);
        else buf_putc(b, (char)*p);
    }
    buf_putc(b, '"');
}

static void json_num(buf *b, const info_sample *s, info_num f)
{
    double v;
    if (info_get(s, f, &v)) buf_put_double(b, v);
    else buf_puts(b, "null");
}

static void print_json(const config_target *addr, const target_state *st, const diagnose_result *dr, int status,
                       const char *problem)
{
    static const char *const status_names[] = {"healthy", "warning", "critical", "unknown"};
    buf b;
    buf_init(&b);
    buf_puts(&b, "{\"target\":");
    json_str(&b, addr->label);
    buf_printf(&b, ",\"status\":\"%s\",\"exit_code\":%d", status_names[status], status);
    if (problem) {
        buf_puts(&b, ",\"error\":");
        json_str(&b, problem);
        buf_puts(&b, "}\n");
        fputs(b.data, stdout);
        buf_free(&b);
        return;
    }
    const info_sample *s = &st->sample;
    const derived *d = &st->derived;
    buf_puts(&b, ",\"redis_version\":");
    json_str(&b, info_text_get(s, INFO_REDIS_VERSION));
    buf_puts(&b, ",\"used_memory\":");
    json_num(&b, s, INFO_USED_MEMORY);
    buf_puts(&b, ",\"maxmemory\":");
    json_num(&b, s, INFO_MAXMEMORY);
    buf_puts(&b, ",\"used_ratio\":");
    if (d->has_used_ratio) buf_put_double(&b, d->used_ratio);
    else buf_puts(&b, "null");
    buf_puts(&b, ",\"maxmemory_policy\":");
    json_str(&b, info_text_get(s, INFO_MAXMEMORY_POLICY));
    buf_puts(&b, ",\"keys\":");
    buf_put_double(&b, d->keys_total);
    buf_puts(&b, ",\"keys_with_ttl\":");
    buf_put_double(&b, d->expires_total);
    buf_puts(&b, ",\"mem_fragmentation_ratio\":");
    json_num(&b, s, INFO_MEM_FRAG_RATIO);
    buf_puts(&b, ",\"used_memory_rss\":");
    json_num(&b, s, INFO_USED_MEMORY_RSS);
    buf_puts(&b, ",\"activedefrag\":");
    buf_puts(&b, st->has_defrag_enabled ? (st->defrag_enabled ? "true" : "false") : "null");
    double oom;
    buf_puts(&b, ",\"oom_rejections\":");
    if (info_error_count(s, "OOM", &oom)) buf_put_double(&b, oom);
    else buf_puts(&b, "null");
    buf_printf(&b, ",\"keys_sampled\":%.0f,\"largest_keys\":[", st->keys_sampled);
    for (size_t i = 0; i < st->n_largest; i++) {
        if (i) buf_putc(&b, ',');
        buf_printf(&b, "{\"db\":%d,\"key\":", st->largest[i].db);
        json_str(&b, st->largest[i].name);
        buf_puts(&b, ",\"type\":");
        json_str(&b, st->largest[i].type);
        buf_puts(&b, ",\"bytes\":");
        buf_put_double(&b, st->largest[i].bytes);
        buf_putc(&b, '}');
    }
    buf_puts(&b, "],\"findings\":[");
    for (size_t i = 0; i < dr->n; i++) {
        const diagnose_finding *f = &dr->findings[i];
        if (i) buf_putc(&b, ',');
        buf_puts(&b, "{\"id\":");
        json_str(&b, diagnose_id_name(f->id));
        buf_puts(&b, ",\"severity\":");
        json_str(&b, diagnose_severity_name(f->severity));
        buf_puts(&b, ",\"summary\":");
        json_str(&b, f->summary);
        buf_puts(&b, ",\"why\":");
        json_str(&b, diagnose_why(f->id));
        buf_puts(&b, ",\"fix\":");
        json_str(&b, f->fix);
        buf_putc(&b, '}');
    }
    buf_puts(&b, "]}\n");
    fputs(b.data, stdout);
    buf_free(&b);
}

static void print_text(const config_target *addr, const target_state *st, const diagnose_result *dr, int status,
                       const char *problem)
{
    static const char *const verdict[] = {"healthy", "WARNING", "CRITICAL", "could not check"};
    if (problem) {
        printf("redis_memory_exporter doctor: %s\n\nCould not check: %s.\n\nResult: could not check (exit 3)\n",
               addr->label, problem);
        return;
    }
    const info_sample *s = &st->sample;
    const derived *d = &st->derived;
    const char *ver = info_text_get(s, INFO_REDIS_VERSION);
    const char *role = info_text_get(s, INFO_ROLE);
    const char *policy = info_text_get(s, INFO_MAXMEMORY_POLICY);
    printf("redis_memory_exporter doctor: %s (Redis %s%s%s)\n\n", addr->label, ver ? ver : "?", role ? ", " : "",
           role ? role : "");
    double used = 0, max = 0, peak = 0, rss = 0, frag = 0, oom = 0;
    char a[32], b2[32], c[32], e[32];
    info_get(s, INFO_USED_MEMORY, &used);
    bool has_max = info_get(s, INFO_MAXMEMORY, &max);
    info_get(s, INFO_USED_MEMORY_PEAK, &peak);
    info_get(s, INFO_USED_MEMORY_RSS, &rss);
    human(used, a, sizeof a);
    human(max, b2, sizeof b2);
    human(peak, c, sizeof c);
    human(rss, e, sizeof e);
    if (d->has_used_ratio)
        printf("  memory         used %s of maxmemory %s (%.1f %%), peak %s, RSS %s\n", a, b2, d->used_ratio * 100, c, e);
    else
        printf("  memory         used %s, %s, peak %s, RSS %s\n", a, has_max ? "no maxmemory limit (0)" :
               "maxmemory not reported", c, e);
    printf("  policy         %s", policy ? policy : "not reported");
    if (d->has_eviction_possible) printf(" (eviction possible now: %s)", d->eviction_possible ? "yes" : "no");
    printf("\n  keys           %.0f, of which %.0f with a TTL and %.0f without\n", d->keys_total, d->expires_total,
           d->keys_total - d->expires_total);
    if (info_get(s, INFO_MEM_FRAG_RATIO, &frag))
        printf("  fragmentation  ratio %.2f, activedefrag %s\n", frag,
               st->has_defrag_enabled ? (st->defrag_enabled ? "yes" : "no") : "unknown (CONFIG GET not allowed)");
    if (info_error_count(s, "OOM", &oom))
        printf("  OOM rejections %.0f since start or CONFIG RESETSTAT\n", oom);
    else
        printf("  OOM rejections not counted by this server (INFO errorstats needs Redis 6.2+)\n");
    if (st->sampler_active || st->keys_sampled > 0) {
        printf("  largest keys   (%.0f sampled with SCAN + MEMORY USAGE)\n", st->keys_sampled);
        for (size_t i = 0; i < st->n_largest && i < 5; i++) {
            human(st->largest[i].bytes, a, sizeof a);
            printf("                 db%d \"%s\" %s %s\n", st->largest[i].db, st->largest[i].name, st->largest[i].type, a);
        }
    } else {
        printf("  largest keys   not sampled (MEMORY USAGE unavailable)\n");
    }
    if (dr->n == 0) printf("\nNo finding: nothing here points to running out of memory.\n");
    else printf("\nFindings (%zu):\n", dr->n);
    for (size_t i = 0; i < dr->n; i++) {
        const diagnose_finding *f = &dr->findings[i];
        printf("\n  [%s] %s\n    %s\n    Why: %s\n    Fix: %s\n", f->severity == DIAGNOSE_CRITICAL ? "CRITICAL" : "WARNING",
               diagnose_id_name(f->id), f->summary, diagnose_why(f->id), f->fix);
    }
    printf("\nResult: %s (exit %d)\n", verdict[status], status);
}

int doctor_run(const config *cfg)
{
    const config_target *addr = &cfg->targets[0];
    if (cfg->log_level == LOG_INFO) log_setup(LOG_WARN, cfg->log_format);
    int status = 3;
    const char *problem = NULL;
    char problem_buf[160];
    run r = {0};
    struct evdns_base *dns = NULL;
    struct event *deadline = NULL;
    r.base = event_base_new();
    if (!r.base) { problem = "cannot start an event loop"; goto out; }
    dns = evdns_base_new(r.base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_NAMESERVERS_NO_DEFAULT);
    if (!dns) dns = evdns_base_new(r.base, 0);
    target_opts o = {
        .addr = addr, .user = cfg->user, .password = cfg->password,
        .interval = cfg->poll_interval, .timeout = cfg->poll_timeout, .max_backoff = cfg->max_backoff,
        .max_reply_bytes = cfg->max_reply_bytes, .thresholds = cfg->thresholds,
        .sampler_keys_per_second = 1e9, .sampler_top_n = cfg->sampler_top_n,
        .sampler_memory_samples = cfg->sampler_memory_samples, .sampler_hash_keys = cfg->sampler_hash_keys,
        .sampler_max_keys = cfg->doctor_max_keys, .one_shot = true,
    };
    r.t = target_new(r.base, dns, &o, on_notify, &r);
    target_start(r.t, 0);
    /* A bound on the whole check: one poll plus the key scan. */
    deadline = evtimer_new(r.base, on_overall_deadline, &r);
    double limit = cfg->poll_timeout * 3 + 30;
    struct timeval tv = {(time_t)limit, 0};
    event_add(deadline, &tv);
    event_base_dispatch(r.base);

    const target_state *st = target_get_state(r.t);
    if (!st->has_sample || !st->last_ok) {
        snprintf(problem_buf, sizeof problem_buf, "the poll failed (%s); the log line above has the detail",
                 st->last_error == POLLERR_NONE ? "no answer in time" : pollerr_name(st->last_error));
        problem = problem_buf;
        goto out;
    }
    /* Again, now with the sampled keys. */
    diagnose_result dr;
    diagnose_input in = {
        .sample = &st->sample, .derived = &st->derived, .has_defrag_enabled = st->has_defrag_enabled,
        .defrag_enabled = st->defrag_enabled, .largest = st->largest, .n_largest = st->n_largest, .one_shot = true,
    };
    diagnose_run(&in, &cfg->thresholds, &dr);
    status = (int)dr.worst;
    if (cfg->json_output) print_json(addr, st, &dr, status, NULL);
    else print_text(addr, st, &dr, status, NULL);
out:
    if (problem) {
        if (cfg->json_output) print_json(addr, NULL, NULL, 3, problem);
        else print_text(addr, NULL, NULL, 3, problem);
    }
    fflush(stdout);
    target_free(r.t);
    if (deadline) event_free(deadline);
    if (dns) evdns_base_free(dns, 0);
    if (r.base) event_base_free(r.base);
    return status;
}
