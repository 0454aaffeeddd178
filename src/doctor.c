/* doctor: one-shot diagnosis. See include/doctor.h.
 *
 * A thin driver: one target made from the same options as the daemon's, polled once on
 * a private event loop, its sampler run back to back; then the report it holds (made by
 * the same observe step) goes to a summary renderer. Single-threaded. */
#include "doctor.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <stdio.h>

#include "buf.h"
#include "clock.h"
#include "conn.h"
#include "creds.h"
#include "log.h"
#include "summary.h"
#include "target.h"
#include "tls.h"

typedef struct run {
    struct event_base *base;
} run;

static void on_notify(target *t, void *arg)
{
    run *r = arg;
    const report *rep = target_report(t);
    /* Done after the first failure, or after a success once the sampler has finished. */
    if (!rep->health.last_ok || (rep->has_sample && !target_sampler_busy(t))) event_base_loopbreak(r->base);
}

static void on_overall_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    run *r = arg;
    event_base_loopbreak(r->base);
}

int doctor_run(const config *cfg)
{
    const config_target *addr = &cfg->targets[0];
    if (cfg->log_level == LOG_INFO) log_setup(LOG_WARN, cfg->log_format);
    int status = SUMMARY_UNKNOWN;
    char problem[700] = "cannot start an event loop";
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
        goto out;
    }
    if (addr->tls && !(tls = tls_client_new(&cfg->tls, why, sizeof why))) {
        snprintf(problem, sizeof problem, "TLS: %s", why);
        goto out;
    }
    target_credentials cred;
    creds_resolve(cr, addr, NULL, &cred);
    target_opts o = target_opts_of(cfg, addr);
    o.cred = &cred;
    o.tls = tls;
    o.sampler_on = true;
    o.sampler.keys_per_second = 1e9;   /* no budget: one check, as fast as Redis answers */
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
        if (rep->health.last_error == POLLERR_NONE) snprintf(problem, sizeof problem, "the poll failed (no answer in time)");
        else snprintf(problem, sizeof problem, "the poll failed (%s): %s", pollerr_name(rep->health.last_error),
                      rep->health.last_detail);
        goto out;
    }
    status = summary_status(rep);
    if (cfg->json_output) summary_json(&out, rep);
    else summary_text(&out, rep);
out:
    if (status == SUMMARY_UNKNOWN) {
        if (cfg->json_output) summary_problem_json(&out, addr->label, problem);
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
