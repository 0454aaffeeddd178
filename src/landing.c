/* landing: the HTML landing page. See include/landing.h. */
#include "landing.h"

#include "clusters.h"
#include "fmt.h"

/* Rows and findings shown at most: a page for people, not a listing of a whole fleet. */
#define LANDING_MAX_ROWS 500

void landing_render(buf *out, const render_view *targets, size_t n, const render_exporter *e,
                    const char *telemetry_path)
{
    buf_puts(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>redis_memory_exporter</title>\n"
                  "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                  "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.up{color:#070}.down{color:#a00}.critical h3{color:#a00}.warning h3{color:#a60}"
                  "</style></head><body>\n<h1>redis_memory_exporter</h1>\n"
                  "<p>Prometheus exporter for Redis memory: used memory against maxmemory, evictions, OOM "
                  "rejections, fragmentation.</p>\n<p>Version ");
    fmt_html(out, e->build->version);
    buf_puts(out, " (");
    fmt_html(out, e->build->revision);
    buf_printf(out, "), polling every %g s.</p>\n<p><a href=\"", e->poll_interval);
    fmt_html(out, telemetry_path);
    buf_puts(out, "\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p>\n"
                  "<h2>Targets</h2>\n<table><tr><th>address</th><th>state</th><th>last error</th>"
                  "<th>used / maxmemory</th><th>policy</th></tr>\n");
    for (size_t i = 0; i < n && i < LANDING_MAX_ROWS; i++) {
        const render_view *t = &targets[i];
        const report *r = t->r;
        buf_puts(out, "<tr><td>");
        fmt_html(out, r->addr);
        buf_printf(out, "</td><td class=\"%s\">", t->up ? "up" : "down");
        fmt_html(out, t->state);
        buf_puts(out, "</td><td>");
        if (r->health.last_error == POLLERR_NONE) {
            buf_puts(out, "-");
        } else {
            /* The reason, and what it said (never a secret: see target.c's poll_fail). */
            fmt_html(out, pollerr_name(r->health.last_error));
            if (r->health.last_detail[0]) {
                buf_puts(out, ": ");
                fmt_html(out, r->health.last_detail);
            }
        }
        buf_puts(out, "</td><td>");
        double used;
        if (t->up && info_get(&r->sample, INFO_USED_MEMORY, &used)) {
            buf_printf(out, "%.1f MiB", used / 1048576.0);
            if (r->derived.has_used_ratio) buf_printf(out, " (%.1f %%)", r->derived.used_ratio * 100);
            else buf_puts(out, " (no limit)");
        } else {
            buf_puts(out, "-");
        }
        buf_puts(out, "</td><td>");
        const char *policy = t->up ? info_text_get(&r->sample, INFO_MAXMEMORY_POLICY) : NULL;
        fmt_html(out, policy ? policy : "-");
        buf_puts(out, "</td></tr>\n");
    }
    buf_puts(out, "</table>\n");
    if (n > LANDING_MAX_ROWS)
        buf_printf(out, "<p>&hellip; and %zu more targets: <a href=\"/discovery\">/discovery</a> lists every one.</p>\n",
                   n - LANDING_MAX_ROWS);
    buf_puts(out, "<h2>Findings</h2>\n");
    size_t shown = 0;
    for (size_t i = 0; i < e->n_clusters; i++) {
        const cluster_summary *c = &e->clusters[i];
        if (!c->imbalance) continue;
        char summary[600], fix[800];
        clusters_finding_text(c, summary, sizeof summary, fix, sizeof fix);
        buf_printf(out, "<div class=\"%s\"><h3>cluster ", diagnose_severity_name(c->severity));
        fmt_html(out, c->cluster);
        buf_printf(out, ": shard_near_limit_alone (%s)</h3>\n<p>", diagnose_severity_name(c->severity));
        fmt_html(out, summary);
        buf_puts(out, "</p>\n<p><b>Fix:</b> <code>");
        fmt_html(out, fix);
        buf_puts(out, "</code></p></div>\n");
        shown++;
    }
    for (size_t i = 0; i < n; i++) {
        const render_view *t = &targets[i];
        const report *r = t->r;
        if (!t->up || shown >= LANDING_MAX_ROWS) continue;
        for (size_t k = 0; k < r->diagnosis.n; k++) {
            const diagnose_finding *f = &r->diagnosis.findings[k];
            buf_printf(out, "<div class=\"%s\"><h3>", diagnose_severity_name(f->severity));
            fmt_html(out, r->addr);
            buf_puts(out, ": ");
            fmt_html(out, diagnose_id_name(f->id));
            buf_puts(out, " (");
            fmt_html(out, diagnose_severity_name(f->severity));
            buf_puts(out, ")</h3>\n<p>");
            fmt_html(out, f->summary);
            buf_puts(out, "</p>\n<p><b>Why it matters:</b> ");
            fmt_html(out, diagnose_why(f->id));
            buf_puts(out, "</p>\n<p><b>Fix:</b> <code>");
            fmt_html(out, f->fix);
            buf_puts(out, "</code></p></div>\n");
            shown++;
        }
    }
    if (shown == 0) buf_puts(out, "<p>No finding: every target that answers looks healthy.</p>\n");
    buf_puts(out, "</body></html>\n");
}
