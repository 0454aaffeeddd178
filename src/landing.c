/* SPDX-License-Identifier: Apache-2.0 */
/* landing: the HTML landing page. See include/landing.h.
 *
 * Made for looking: per target a bar of used memory against maxmemory with where it goes
 * stacked in it, the last minutes of used memory as an inline SVG with the limit drawn,
 * the numbers behind the findings, and each fix's commands in their own elements (a
 * click selects one whole command). No script, no external asset. */
#include "landing.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clusters.h"
#include "fmt.h"
#include "memmodel.h"
#include "observe.h"
#include "summary.h"
#include "xalloc.h"

/* Rows and findings shown at most: a page for people, not a listing of a whole fleet. */
#define LANDING_MAX_ROWS 500
/* Targets shown with a bar, a chart and their numbers. */
#define LANDING_MAX_CARDS 50
#define CHART_POINTS (DERIVE_TREND_POINTS + 1)
#define CHART_W 360.0
#define CHART_H 90.0
#define FINDINGS_HEAD \
    "<table class=\"findings\"><tr><th>severity</th><th>target</th><th>finding</th><th>what</th>" \
    "<th>fix</th></tr>\n"

/* One colour per part of memmodel.h's used_memory parts, in its order. */
static const char *const part_colors[MEMMODEL_USED_COUNT] = {"#3b7dd8", "#d8453b", "#e0a030", "#8e5bd0",
                                                             "#2aa198", "#b58900", "#9aa5b1", "#c7cdd3"};

static const char style[] =
    "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.up{color:#070}.down{color:#a00}"
    ".problem{color:#a00;font-weight:bold}.critical .sev,td.critical{color:#a00;font-weight:bold}"
    ".warning .sev,td.warning,span.warning{color:#a60;font-weight:bold}span.critical{color:#a00}.info .sev{color:#357}"
    ".bar.over{border:2px solid #a00}"
    ".card{border:1px solid #ccc;border-radius:6px;padding:0.5em 1em;margin:1em 0}"
    ".bar{position:relative;display:flex;height:20px;width:100%;max-width:40em;background:#eef0f2;"
    "border:1px solid #999;overflow:hidden}.bar span{display:block;height:100%}"
    ".bar i{position:absolute;top:0;bottom:0;width:0;border-left:2px dashed #a60}"
    ".legend span{display:inline-block;margin-right:1em}.legend b{display:inline-block;width:0.8em;height:0.8em;"
    "margin-right:0.3em}.facts td{border:none;padding:1px 1em 1px 0}"
    "code.cmd{display:inline-block;background:#f3f3f3;border:1px solid #ddd;padding:1px 4px;user-select:all;"
    "white-space:pre-wrap}.note{color:#555}svg.chart{background:#fafbfc;border:1px solid #ddd}";

/* Watched keys shown on a target's card; the metrics have them all. */
#define LANDING_WATCHED_ROWS 20

static void put_bytes(buf *out, double v)
{
    char h[32];
    fmt_bytes(v, h, sizeof h);
    fmt_html(out, h);
}

/* The fix's prose escaped, each `command` in its own element. */
static void put_fix(buf *out, const char *fix)
{
    char piece[512];
    size_t n;
    bool is_cmd;
    for (const char *cur = fix, *p; (p = fmt_fix_piece(&cur, &n, &is_cmd)) != NULL;) {
        snprintf(piece, sizeof piece, "%.*s", (int)n, p);
        if (is_cmd) buf_puts(out, "<code class=\"cmd\">");
        fmt_html(out, piece);
        if (is_cmd) buf_puts(out, "</code>");
    }
}

/* Used memory against the limit, parts stacked; a part this server does not report is
 * left out. The bar is the limit: past it, it is drawn full with a red frame (the 80 %
 * tick stays at 80 %). Without a limit it is the host's RAM where known; else no bar, as
 * a bar measured against itself would look full. */
static void put_bar(buf *out, const report *r)
{
    const derived *d = &r->derived;
    memmodel m;
    memmodel_build(&m, &r->sample, &r->mstats);
    double used = m.used, max = m.max;
    bool limit = d->max_configured && max > 0;
    double scale = limit ? max : m.has_host ? m.host : 0;
    if (!m.has_breakdown || scale <= 0) return;
    bool over = used > scale;
    buf_printf(out, "<div class=\"bar%s\" role=\"img\" aria-label=\"used memory %.1f %% of %s\">", over ? " over" : "",
               100.0 * used / scale, limit ? "maxmemory" : "the host's RAM (no maxmemory)");
    double v, left = scale; /* room left in the bar: parts past the limit are cut */
    for (int p = 0; p < MEMMODEL_USED_COUNT; p++) {
        if (!memmodel_used(&m, (memmodel_part)p, &v) || v <= 0) continue;
        double w = fmin(v, left);
        left -= w;
        buf_printf(out, "<span class=\"part-%s\" style=\"width:%.3f%%;background:%s\" title=\"",
                   memmodel_part_name((memmodel_part)p), 100.0 * w / scale, part_colors[p]);
        fmt_html(out, memmodel_part_words((memmodel_part)p));
        buf_putc(out, ' ');
        put_bytes(out, v);
        buf_puts(out, "\"></span>");
    }
    if (limit) buf_puts(out, "<i style=\"left:80%\" title=\"80 % of maxmemory\"></i>");
    buf_puts(out, "</div>\n<p class=\"legend\">");
    if (over)
        buf_printf(out, "<span class=\"problem\">%.0f %% of maxmemory: past the limit</span>", 100.0 * used / scale);
    else if (!limit) buf_puts(out, "<span class=\"note\">no maxmemory: the bar is the host's RAM</span>");
    for (int p = 0; p < MEMMODEL_USED_COUNT; p++) {
        if (!memmodel_used(&m, (memmodel_part)p, &v) || v <= 0) continue;
        buf_printf(out, "<span><b style=\"background:%s\"></b>", part_colors[p]);
        fmt_html(out, memmodel_part_words((memmodel_part)p));
        buf_putc(out, ' ');
        put_bytes(out, v);
        buf_puts(out, "</span>");
    }
    buf_puts(out, "</p>\n");
}

/* The forecast's window of used memory, with the limit as a dashed line. */
static void put_chart(buf *out, const report *r)
{
    if (!r->history) return;
    double t[CHART_POINTS], u[CHART_POINTS], max = 0;
    size_t n = derive_trend_points(r->history, t, u, CHART_POINTS);
    if (n < 2) return;
    bool limit = r->derived.max_configured && info_get(&r->sample, INFO_MAXMEMORY, &max);
    double top = limit ? max : 0;
    for (size_t i = 0; i < n; i++) top = fmax(top, u[i]);
    top *= 1.1;
    double span = t[n - 1] - t[0];
    if (top <= 0 || span <= 0) return;
    buf_printf(out,
               "<svg class=\"chart\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
               "aria-label=\"used memory over the last %.0f s\" xmlns=\"http://www.w3.org/2000/svg\">",
               CHART_W, CHART_H, CHART_W, CHART_H, span);
    if (limit) {
        double y = CHART_H - CHART_H * max / top;
        buf_printf(out,
                   "<line class=\"limit\" x1=\"0\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#a00\" "
                   "stroke-dasharray=\"6 4\"/><text x=\"4\" y=\"%.1f\" font-size=\"10\" fill=\"#a00\">maxmemory ",
                   CHART_W, y, y, y > 12 ? y - 3 : y + 11);
        put_bytes(out, max);
        buf_puts(out, "</text>");
    }
    buf_puts(out, "<polyline class=\"used\" fill=\"none\" stroke=\"#3b7dd8\" stroke-width=\"2\" points=\"");
    for (size_t i = 0; i < n; i++)
        buf_printf(out, "%s%.1f,%.1f", i ? " " : "", CHART_W * (t[i] - t[0]) / span, CHART_H - CHART_H * u[i] / top);
    buf_printf(out,
               "\"/><text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"end\" fill=\"#333\">now: ", CHART_W - 4,
               CHART_H - 4);
    put_bytes(out, u[n - 1]);
    buf_printf(out, "</text><text x=\"4\" y=\"%.0f\" font-size=\"10\" fill=\"#333\">%.0f s ago</text></svg>\n",
               CHART_H - 4, span);
}

/* A target's state in an element of its colour ("up, critical" in red: an up target
 * refusing writes at its limit is not green). tag is "td" or "span". */
static void put_state(buf *out, const render_view *t, const char *tag)
{
    diagnose_severity worst = t->up ? (diagnose_severity)t->r->diagnosis.worst : DIAGNOSE_OK;
    const char *cls = !t->up         ? "down"
        : worst == DIAGNOSE_CRITICAL ? "critical"
        : worst == DIAGNOSE_WARNING  ? "warning"
                                     : "up";
    buf_printf(out, "<%s class=\"%s\">", tag, cls);
    fmt_html(out, t->state);
    if (worst >= DIAGNOSE_WARNING) buf_printf(out, ", %s", diagnose_severity_name(worst));
    buf_printf(out, "</%s>", tag);
}

static void fact(buf *out, const char *name)
{
    buf_puts(out, "<tr><td>");
    buf_puts(out, name);
    buf_puts(out, "</td><td>");
}

static void put_card(buf *out, const render_view *t)
{
    const report *r = t->r;
    const derived *d = &r->derived;
    const info_sample *s = &r->sample;
    buf_printf(out, "<div class=\"card\" data-addr=\"");
    fmt_html(out, r->addr);
    buf_puts(out, "\"><h3>");
    fmt_html(out, r->addr);
    buf_putc(out, ' ');
    put_state(out, t, "span");
    buf_puts(out, "</h3>\n");
    if (!t->up || !r->has_sample) {
        if (r->loading.active && r->loading.has_progress)
            buf_printf(out, "<p>Loading its dataset: %.0f %% done.</p>\n", r->loading.progress * 100);
        buf_puts(out, "</div>\n");
        return;
    }
    put_bar(out, r);
    put_chart(out, r);
    double used = 0, max = 0, v;
    info_get(s, INFO_USED_MEMORY, &used);
    info_get(s, INFO_MAXMEMORY, &max);
    buf_puts(out, "<table class=\"facts\">");
    char server[80];
    if (info_server_words(s, server, sizeof server)) {
        const char *role = info_text_get(s, INFO_ROLE);
        fact(out, "server");
        fmt_html(out, server);
        if (role) {
            buf_puts(out, ", ");
            fmt_html(out, role);
        }
    }
    fact(out, "used memory");
    put_bytes(out, used);
    if (d->has_used_ratio) buf_printf(out, " (%.1f %% of maxmemory)", d->used_ratio * 100);
    fact(out, "maxmemory");
    if (d->max_configured) put_bytes(out, max);
    else buf_puts(out, "none (0): Redis grows until the host runs out");
    const char *policy = info_text_get(s, INFO_MAXMEMORY_POLICY);
    fact(out, "policy");
    fmt_html(out, policy ? policy : "-");
    fact(out, "OOM rejections");
    if (info_error_count(s, "OOM", &v)) {
        buf_printf(out, "%.0f since start", v);
        if (d->has_oom_rate) buf_printf(out, ", %.2f/s now", d->oom_rate);
    } else {
        buf_puts(out, "not counted (INFO errorstats needs Redis 6.2+)");
    }
    fact(out, "evictions");
    if (info_get(s, INFO_EVICTED_KEYS, &v)) {
        buf_printf(out, "%.0f since start", v);
        if (d->has_evicted_rate) buf_printf(out, ", %.2f/s now", d->evicted_rate);
    } else {
        buf_puts(out, "-");
    }
    fact(out, "time to full");
    if (d->has_time_to_full) buf_printf(out, "%.0f min at the recent growth", d->time_to_full / 60);
    else buf_puts(out, "no growth towards a limit");
    if (info_get(s, INFO_MEM_FRAG_RATIO, &v)) {
        fact(out, "fragmentation");
        buf_printf(out, "%.2f", v);
    }
    fact(out, "as of");
    char when[48] = "-";
    time_t secs = (time_t)r->health.last_success_real;
    struct tm tm;
    if (r->health.has_last_success && gmtime_r(&secs, &tm)) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    buf_puts(out, when);
    buf_puts(out, "</td></tr></table>\n");
    if (r->keys->n_namespaces > 0) {
        buf_printf(out,
                   "<table class=\"namespaces\"><tr><th>namespace</th><th>memory (est.)</th><th>keys (est.)"
                   "</th><th>with a TTL</th><th>never expires</th><th>growth an hour</th></tr>");
        for (size_t i = 0; i < r->keys->n_namespaces; i++) {
            const diagnose_namespace *ns = &r->keys->namespaces[i];
            buf_puts(out, "<tr><td>");
            if (ns->name[0]) {
                fmt_html(out, ns->name);
                buf_puts(out, ":*");
            } else {
                buf_puts(out, "(no prefix)");
            }
            buf_puts(out, "</td><td>");
            put_bytes(out, ns->bytes);
            buf_printf(out, "</td><td>%.0f</td><td>%.0f %%</td><td>", ns->keys, 100 * ns->ttl_ratio);
            put_bytes(out, ns->persistent_bytes);
            buf_puts(out, "</td><td>");
            if (ns->has_growth) {
                if (ns->growth_per_hour > 0) buf_putc(out, '+');
                put_bytes(out, ns->growth_per_hour);
            } else {
                buf_puts(out, "-");
            }
            buf_puts(out, "</td></tr>");
        }
        buf_printf(out, "</table>\n<p class=\"note\">Estimated from %.0f sampled keys.</p>\n",
                   r->keys->namespace_basis);
    }
    if (r->n_watched > 0) {
        buf_puts(out,
                 "<table class=\"watched\"><tr><th>watched key</th><th>type</th><th>length</th><th>memory</th>"
                 "</tr>");
        for (size_t i = 0; i < r->n_watched && i < LANDING_WATCHED_ROWS; i++) {
            const diagnose_watched *w = &r->watched[i];
            buf_printf(out, "<tr><td>db%d ", w->db);
            fmt_html(out, w->name);
            buf_puts(out, "</td><td>");
            fmt_html(out, w->present ? w->type : "missing");
            buf_puts(out, "</td><td>");
            if (w->present && w->has_size) buf_printf(out, "%.0f%s", w->size, w->growing ? " (only grows)" : "");
            buf_puts(out, "</td><td>");
            if (w->present && w->has_memory) put_bytes(out, w->memory);
            buf_puts(out, "</td></tr>");
        }
        buf_puts(out, "</table>\n");
        if (r->n_watched > LANDING_WATCHED_ROWS)
            buf_printf(out,
                       "<p class=\"note\">And %zu more: redis_key_size and redis_key_memory_usage_bytes have "
                       "them all.</p>\n",
                       r->n_watched - LANDING_WATCHED_ROWS);
    }
    char expiry[200];
    diagnose_ttl_split ttl = sampler_ttl_split(r->keys);
    diagnose_ttl_sentence(&ttl, r->keys->namespaces, r->keys->n_namespaces, expiry, sizeof expiry);
    if (expiry[0]) {
        buf_puts(out, "<p class=\"expiry\">");
        fmt_html(out, expiry);
        buf_puts(out, ".</p>\n");
    }
    if (r->keys->off_reason[0]) {
        /* it was on: the flag is not the answer, what Redis refused is */
        buf_puts(out, "<p class=\"note\">The large-key check was switched off: Redis answered ");
        fmt_html(out, r->keys->off_reason);
        buf_puts(out,
                 ". If an ACL refuses it, give the exporter's user <code class=\"cmd\">+select +scan +type +pttl "
                 "+memory|usage %R~*</code> (read-only key access), then restart the exporter.</p>\n");
    } else if (!r->keys->active && r->keys->sampled == 0) {
        buf_puts(out,
                 "<p class=\"note\">The large-key check is off, so large keys are not looked for: start the "
                 "exporter with <code class=\"cmd\">--sampler.keys-per-second=100</code> to turn it on.</p>\n");
    }
    buf_puts(out, "</div>\n");
}

/* One line of the findings table: severity, who, which (its why as the title), what was
 * found, and the fix with each command selectable. */
static void put_finding(buf *out, const char *who, const char *id, const char *severity, const char *summary,
                        const char *why, const char *fix)
{
    buf_printf(out, "<tr class=\"finding %s\" data-id=\"", severity);
    fmt_html(out, id);
    buf_printf(out, "\"><td class=\"sev\">%s</td><td>", severity);
    fmt_html(out, who);
    buf_puts(out, "</td><td title=\"");
    fmt_html(out, why ? why : "");
    buf_puts(out, "\">");
    fmt_html(out, id);
    buf_puts(out, "</td><td>");
    fmt_html(out, summary);
    buf_puts(out, "</td><td class=\"fix\">");
    put_fix(out, fix);
    buf_puts(out, "</td></tr>\n");
}

/* What needs a person's eyes first: a target that is not up (nothing about its memory
 * can be seen), then the fullest against its maxmemory, then those without a limit. */
static int attention_rank(const render_view *t)
{
    if (!t->up) return 0;
    return t->r->derived.has_used_ratio ? 1 : 2;
}

/* qsort order of render_view pointers: by attention, the fuller first, and otherwise as
 * given (the pointers point into one array, so their order is the given order). */
static int by_attention(const void *a, const void *b)
{
    const render_view *x = *(const render_view *const *)a, *y = *(const render_view *const *)b;
    int rx = attention_rank(x), ry = attention_rank(y);
    if (rx != ry) return rx < ry ? -1 : 1;
    if (rx == 1) { /* written so that a NaN from a lying server falls through to the order given */
        double fx = x->r->derived.used_ratio, fy = y->r->derived.used_ratio;
        if (fx > fy) return -1;
        if (fx < fy) return 1;
    }
    return x < y ? -1 : x > y;
}

static bool has_severity(const diagnose_result *res, int sev)
{
    for (size_t k = 0; k < res->n; k++)
        if (res->findings[k].severity == sev) return true;
    return false;
}

/* Every finding as one line of one table, the worst first (a fleet's critical ones are
 * not buried under another target's warnings); of one severity in the targets' order of
 * attention, and a target's own in its reading order. */
static void put_findings(buf *out, const render_view *const *order, size_t n, const render_exporter *e)
{
    buf_puts(out, "<h2>Findings</h2>\n");
    size_t shown = 0;
    for (int sev = DIAGNOSE_CRITICAL; sev >= DIAGNOSE_INFO; sev--) {
        for (size_t i = 0; i < e->n_clusters; i++) {
            const cluster_summary *c = &e->clusters[i];
            if (!c->imbalance || (int)c->severity != sev) continue;
            char summary[600], fix[800], who[200];
            clusters_finding_text(c, summary, sizeof summary, fix, sizeof fix);
            snprintf(who, sizeof who, "cluster %s", c->cluster);
            if (shown++ == 0) buf_puts(out, FINDINGS_HEAD);
            put_finding(out, who, diagnose_id_name(DIAGNOSE_SHARD_NEAR_LIMIT_ALONE),
                        diagnose_severity_name(c->severity), summary, diagnose_why(DIAGNOSE_SHARD_NEAR_LIMIT_ALONE),
                        fix);
        }
        for (size_t i = 0; i < n && shown < LANDING_MAX_ROWS; i++) {
            const report *r = order[i]->r;
            /* the words are made only where this pass shows a line: each explain gives
             * at least one, so a fleet's page explains at most LANDING_MAX_ROWS times */
            if (!order[i]->up || !has_severity(&r->diagnosis, sev)) continue;
            diagnose_result dr;
            diagnose_text text[DIAGNOSE_COUNT];
            size_t seq[DIAGNOSE_COUNT];
            observe_explain(r, &dr, text); /* the words, made only for the page */
            diagnose_reading_order(&dr, seq);
            for (size_t k = 0; k < dr.n; k++) {
                const diagnose_finding *f = &dr.findings[seq[k]];
                if ((int)f->severity != sev) continue;
                if (shown++ == 0) buf_puts(out, FINDINGS_HEAD);
                put_finding(out, r->addr, diagnose_id_name(f->id), diagnose_severity_name(f->severity),
                            text[seq[k]].summary, diagnose_why(f->id), text[seq[k]].fix);
            }
        }
    }
    if (shown == 0) buf_puts(out, "<p>No finding: every target that answers looks healthy.</p>\n");
    else buf_puts(out, "</table>\n<p class=\"note\">Hover a finding's name for why it matters.</p>\n");
}

void landing_render(buf *out, const render_view *targets, size_t n, const render_exporter *e,
                    const char *telemetry_path)
{
    /* A fleet has more targets than a page can show: rows, findings and cards are shown
     * in order of attention, so that the ones shown are the ones that matter. */
    const render_view **order = xcalloc(n ? n : 1, sizeof *order);
    for (size_t i = 0; i < n; i++) order[i] = &targets[i];
    qsort(order, n, sizeof *order, by_attention);

    buf_printf(out,
               "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>redis_memory_exporter</title>\n"
               "<style>%s</style></head><body>\n<h1>redis_memory_exporter</h1>\n"
               "<p>Prometheus exporter for Redis memory: used memory against maxmemory, where it goes, "
               "evictions, OOM rejections, fragmentation.</p>\n<p>Version ",
               style);
    fmt_html(out, e->build->version);
    buf_puts(out, " (");
    fmt_html(out, e->build->revision);
    buf_printf(out, "), polling every %g s.</p>\n<p><a href=\"", e->poll_interval);
    fmt_html(out, telemetry_path);
    buf_puts(out,
             "\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p>\n"
             "<h2>Targets</h2>\n");
    if (e->has_reload && !e->reload_ok) {
        buf_puts(out, "<p class=\"problem\">The targets file was not used: ");
        fmt_html(out, e->reload_error && e->reload_error[0] ? e->reload_error : "it could not be read");
        buf_puts(out, ". The targets of its last good read are watched until it is fixed.</p>\n");
    }
    if (n > 1) {
        /* The counts a person with a fleet asks first; findings count only where up. */
        size_t up = 0, with = 0, critical = 0;
        for (size_t i = 0; i < n; i++) {
            if (!targets[i].up) continue;
            up++;
            with += targets[i].r->diagnosis.n > 0;
            critical += targets[i].r->diagnosis.worst == DIAGNOSE_CRITICAL;
        }
        buf_printf(out, "<p>%zu targets: %zu up, %zu not up; %zu with findings, %zu of them critical.</p>\n", n, up,
                   n - up, with, critical);
        buf_puts(out, "<p class=\"note\">Targets that are not up first, then the fullest against maxmemory.</p>\n");
    }
    buf_puts(out,
             "<table><tr><th>address</th><th>state</th><th>last error</th>"
             "<th>used / maxmemory</th><th>policy</th></tr>\n");
    for (size_t i = 0; i < n && i < LANDING_MAX_ROWS; i++) {
        const render_view *t = order[i];
        const report *r = t->r;
        buf_puts(out, "<tr><td>");
        fmt_html(out, r->addr);
        buf_puts(out, "</td>");
        put_state(out, t, "td");
        buf_puts(out, "<td>");
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
        buf_printf(out,
                   "<p>&hellip; and %zu more targets: <a href=\"/discovery\">/discovery</a> lists every one.</p>\n",
                   n - LANDING_MAX_ROWS);
    put_findings(out, order, n, e);
    buf_puts(out, "<h2>Memory by target</h2>\n");
    for (size_t i = 0; i < n && i < LANDING_MAX_CARDS; i++) put_card(out, order[i]);
    if (n > LANDING_MAX_CARDS)
        buf_printf(out, "<p>&hellip; the first %d targets of the list above are shown; /metrics has every one.</p>\n",
                   LANDING_MAX_CARDS);
    buf_puts(out, "</body></html>\n");
    free(order);
}
