/* SPDX-License-Identifier: Apache-2.0 */
/* doctor: one-shot diagnosis. See include/doctor.h.
 *
 * A thin driver: one target made from the same options as the daemon's, polled once on
 * a private event loop, its sampler run back to back; then the report it holds (made by
 * the same observe step) goes to a summary renderer. Single-threaded. */
#include "doctor.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "clock.h"
#include "conn.h"
#include "creds.h"
#include "log.h"
#include "observe.h"
#include "safefile.h"
#include "summary.h"
#include "target.h"
#include "tls.h"
#include "xalloc.h"

typedef struct run {
    struct event_base *base;
} run;

static void on_notify(target *t, void *arg)
{
    run *r = arg;
    const report *rep = target_report(t);
    /* Done after the first failure, or after a success once the sampler has finished. */
    if (!rep->health.last_ok || (rep->has_sample && !target_busy(t))) event_base_loopbreak(r->base);
}

static void on_overall_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run *r = arg;
    event_base_loopbreak(r->base);
}

/* The largest saved INFO read: pasted outputs are a few KiB, INFO everything with many
 * commands tens of KiB. */
#define FROM_FILE_MAX (16u << 20)

/* Diagnoses a saved INFO (and CONFIG GET output) with the same observe step: no poll, no
 * rates (counts since start stand in for them), no key sampling. */
static int from_file(const config *cfg, buf *out)
{
    const char *path = cfg->doctor_from_file;
    char problem[600 + CONFIG_PATH_MAX] = "";
    int status = SUMMARY_UNKNOWN;
    report *rep = xcalloc(1, sizeof *rep);
    rep->keys = &sampler_none; /* no key sampling from a file */
    info_sample_init(&rep->sample);
    size_t len = 0;
    /* the same careful read as every file the exporter takes: a FIFO or a device is
     * refused, never waited on */
    char *text = safefile_read(path, FROM_FILE_MAX, &len, NULL, problem, sizeof problem);
    if (!text) {
        if (strstr(problem, "larger than"))
            snprintf(problem, sizeof problem, "%s is larger than %u MiB: not a saved INFO", path, FROM_FILE_MAX >> 20);
        goto out;
    }
    double used;
    if (info_parse(&rep->sample, text, len) == 0 || !info_get(&rep->sample, INFO_USED_MEMORY, &used)) {
        snprintf(problem, sizeof problem,
                 "%s has no INFO memory section (used_memory): save the output of "
                 "redis-cli INFO (or INFO everything)",
                 path);
        goto out;
    }
    srvconf_parse_pasted(&rep->config, text, len);
    rep->addr = path;
    rep->has_sample = true;
    rep->health.last_ok = true;
    rep->health.last_error = POLLERR_NONE;
    derive_history *h = xcalloc(1, sizeof *h);
    derive_history_init(h, 10, 300);
    derive_push(h, &rep->sample, 1);
    observe_opts o = {.thresholds = &cfg->thresholds, .one_shot = true};
    observe(h, rep, &o, 1);
    free(h);
    status = summary_status(rep);
    if (cfg->json_output) summary_json(out, rep);
    else summary_text(out, rep);
out:
    if (status == SUMMARY_UNKNOWN) {
        if (cfg->json_output) summary_problem_json(out, path, "file", problem);
        else summary_problem_text(out, path, problem);
    }
    free(text);
    info_sample_free(&rep->sample);
    free(rep);
    return status;
}

int doctor_run(const config *cfg)
{
    if (cfg->doctor_from_file[0]) {
        buf out;
        buf_init(&out);
        int status = from_file(cfg, &out);
        fputs(out.data ? out.data : "", stdout);
        fflush(stdout);
        buf_free(&out);
        return status;
    }
    const config_target *addr = &cfg->targets[0];
    if (cfg->log_level == LOG_INFO) log_setup(LOG_WARN, cfg->log_format);
    int status = SUMMARY_UNKNOWN;
    char problem[700] = "cannot start an event loop";
    const char *reason = "internal";
    run r = {0};
    struct evdns_base *dns = NULL;
    struct event *deadline = NULL;
    target *t = NULL;
    creds *cr = NULL;
    tls_client *tls = NULL;
    char why[600];
    buf out;
    buf_init(&out);
    r.base = event_base_new();
    if (!r.base || !(dns = conn_resolver_new(r.base))) goto out;
    if (!(cr = creds_new(cfg, why, sizeof why))) {
        snprintf(problem, sizeof problem, "--redis.password-map-file: %s", why);
        reason = "credentials";
        goto out;
    }
    if (addr->tls && !(tls = tls_client_new(&cfg->tls, why, sizeof why))) {
        snprintf(problem, sizeof problem, "TLS: %s", why);
        reason = "tls";
        goto out;
    }
    target_credentials cred;
    creds_resolve(cr, addr, NULL, &cred);
    target_opts o = target_opts_of(cfg, addr);
    o.cred = &cred;
    o.tls = tls;
    o.sampler_on = true;
    o.sampler.keys_per_second = 1e9; /* no budget: one check, as fast as Redis answers */
    o.sampler.max_keys = cfg->doctor_max_keys;
    o.sampler.one_shot = true;
    o.one_shot = true;
    t = target_new(r.base, dns, &o, on_notify, &r);
    target_start(t, 0);
    /* A bound on the whole check: one poll plus the key scan. */
    deadline = evtimer_new(r.base, on_overall_deadline, &r);
    struct timeval tv = clock_tv(cfg->poll_timeout * 3 + 30);
    event_add(deadline, &tv);
    event_base_dispatch(r.base);

    const report *rep = target_report(t);
    if (!rep->has_sample || !rep->health.last_ok) {
        reason = rep->health.last_error == POLLERR_NONE ? "timeout" : pollerr_name(rep->health.last_error);
        if (rep->health.last_error == POLLERR_NONE)
            snprintf(problem, sizeof problem, "the poll failed (no answer in time)");
        else
            snprintf(problem, sizeof problem, "the poll failed (%s): %s", pollerr_name(rep->health.last_error),
                     rep->health.last_detail);
        goto out;
    }
    status = summary_status(rep);
    if (cfg->json_output) summary_json(&out, rep);
    else summary_text(&out, rep);
out:
    if (status == SUMMARY_UNKNOWN) {
        if (cfg->json_output) summary_problem_json(&out, addr->label, reason, problem);
        else summary_problem_text(&out, addr->label, problem);
    }
    fputs(out.data ? out.data : "", stdout);
    fflush(stdout);
    buf_free(&out);
    target_free(t);
    tls_client_free(tls);
    creds_free(cr);
    if (deadline) event_free(deadline);
    if (dns) evdns_base_free(dns, 0);
    if (r.base) event_base_free(r.base);
    return status;
}

int doctor_flag_error(int argc, char **argv, const char *err)
{
    bool json = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--output=json") == 0) json = true;
        else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc && strcmp(argv[i + 1], "json") == 0) json = true;
    }
    if (json) {
        buf out;
        buf_init(&out);
        summary_problem_json(&out, "", "flags", err);
        fputs(out.data ? out.data : "", stdout);
        fflush(stdout);
        buf_free(&out);
    }
    return SUMMARY_UNKNOWN;
}
