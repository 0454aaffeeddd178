/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: parse -> derive -> observe -> render of any INFO text, in every output.
 * Invariants: the exposition is well formed line by line (HELP, TYPE or a sample with a
 * valid name, well-quoted labels without control bytes and a number), ends with one
 * newline and has no blank line; OpenMetrics ends with "# EOF"; the doctor's JSON parses
 * (so no NaN or Inf in it); the landing page is made. */
#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "landing.h"
#include "observe.h"
#include "render.h"
#include "summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool name_char(char c, bool first)
{
    return isalpha((unsigned char)c) || c == '_' || c == ':' || (!first && isdigit((unsigned char)c));
}

/* One sample line: name{l="v",...} value */
static bool sample_ok(const char *p, const char *end)
{
    if (p == end || !name_char(*p, true)) return false;
    while (p < end && name_char(*p, false)) p++;
    if (p < end && *p == '{') {
        p++;
        for (;;) {
            if (p == end || !name_char(*p, true)) return false;
            while (p < end && name_char(*p, false)) p++;
            if (end - p < 2 || p[0] != '=' || p[1] != '"') return false;
            p += 2;
            while (p < end && *p != '"') {
                if ((unsigned char)*p < 0x20 || *p == 0x7f) return false;
                if (*p == '\\') {
                    if (p + 1 == end || (p[1] != '\\' && p[1] != '"' && p[1] != 'n')) return false;
                    p++;
                }
                p++;
            }
            if (p == end) return false;
            p++;
            if (p < end && *p == ',') { p++; continue; }
            if (p < end && *p == '}') { p++; break; }
            return false;
        }
    }
    if (p == end || *p != ' ') return false;
    p++;
    size_t n = (size_t)(end - p);
    if ((n == 3 && memcmp(p, "NaN", 3) == 0) || (n == 4 && (memcmp(p, "+Inf", 4) == 0 || memcmp(p, "-Inf", 4) == 0)))
        return true;
    char num[64];
    if (n == 0 || n >= sizeof num) return false;
    memcpy(num, p, n);
    num[n] = '\0';
    char *stop;
    strtod(num, &stop);
    return *stop == '\0';
}

static void check_text(const buf *b)
{
    if (b->len == 0 || b->data[b->len - 1] != '\n' || strstr(b->data, "\n\n")) abort();
    const char *p = b->data, *end = b->data + b->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (p[0] == '#') {
            if (strncmp(p, "# HELP ", 7) != 0 && strncmp(p, "# TYPE ", 7) != 0) abort();
        } else if (!sample_ok(p, nl)) {
            abort();
        }
        p = nl + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    report r;
    memset(&r, 0, sizeof r);
    r.addr = "fuzz:1";
    r.keys = &sampler_none;
    r.has_sample = true;
    r.health.last_ok = true;
    r.health.last_error = POLLERR_NONE;
    info_sample_init(&r.sample);
    derive_history h;
    derive_history_init(&h, 10, 300);
    diagnose_thresholds th = diagnose_default_thresholds();
    for (int round = 0; round < 2; round++) {   /* two polls: rates and resets come into play */
        info_sample_reset(&r.sample);
        info_parse(&r.sample, (const char *)data, size);
        derive_push(&h, &r.sample, 1.0 + round);
        observe_opts o = {.thresholds = &th, .one_shot = round == 1};
        observe(&h, &r, &o, 1.0 + round);
    }
    histo lateness;
    histo_init(&lateness, histo_lateness_bounds, histo_lateness_n);
    render_build build = {"fuzz", "fuzz", "", "", ""};
    render_exporter e = {.build = &build, .lateness = &lateness, .poll_interval = 1};
    render_view v = {.r = &r, .up = true, .state = "up"};
    buf text, om, page, json;
    buf_init(&text);
    buf_init(&om);
    buf_init(&page);
    buf_init(&json);
    render_metrics(&text, RENDER_TEXT, &v, 1, &e);
    check_text(&text);
    render_metrics(&om, RENDER_OPENMETRICS, &v, 1, &e);
    if (om.len < 6 || strcmp(om.data + om.len - 6, "# EOF\n") != 0) abort();
    landing_render(&page, &v, 1, &e, "/metrics");
    if (!strstr(page.data, "</html>")) abort();
    summary_json(&json, &r);
    json_error_t err;
    json_t *j = json_loads(json.data, 0, &err);
    if (!j) abort();
    json_decref(j);
    buf_free(&text);
    buf_free(&om);
    buf_free(&page);
    buf_free(&json);
    info_sample_free(&r.sample);
    return 0;
}
