/* SPDX-License-Identifier: Apache-2.0 */
/* main: flags -> config, signals, start and stop.
 *
 * Threading model of the whole program: the main thread runs the libevent loop (every
 * Redis connection, timer, render and publish); libmicrohttpd runs its own thread pool
 * that reads only published snapshots (snapshot.h). No other data is shared. */
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <malloc.h>
#include <math.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "collector.h"
#include "config.h"
#include "doctor.h"
#include "http.h"
#include "log.h"
#include "slot.h"
#include "snapshot.h"

#define STR2(x) #x
#define STR(x) STR2(x)

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    log_kv(LOG_INFO, "shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    event_base_loopbreak(arg);
}

typedef struct daemon_parts {
    collector *col;
    http_server *http;
} daemon_parts;

/* SIGHUP: re-read what can change without a restart; Redis connections stay. */
static void on_hangup(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    daemon_parts *d = arg;
    log_kv(LOG_INFO, "SIGHUP: reloading", NULL);
    collector_reload(d->col);
    http_reload(d->http);
}

/* Bursts of HTTP connections (each has its own memory pool) leave free pages inside the
 * allocator's arenas; hand them back to the system once a minute. */
static void on_trim(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    malloc_trim(0);
}

/* The web config and the certificate files it names are watched: a rotated certificate
 * is served without a signal. */
static void on_web_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    daemon_parts *d = arg;
    if (http_config_changed(d->http)) http_reload(d->http);
}

/* The password was copied into the config: wipe it from the environment block too, which
 * /proc/PID/environ shows to anyone who may read it, not only from libc's copy. */
static void forget_password_env(void)
{
    char *pw = getenv("REDIS_PASSWORD");
    if (pw) explicit_bzero(pw, strlen(pw));
    unsetenv("REDIS_PASSWORD");
}

static int serve(const config *cfg, const render_build *build)
{
    int status = 1;
    struct event_base *base = event_base_new();
    collector *col = NULL;
    http_server *http = NULL;
    struct event *sigterm = NULL, *sigint = NULL, *sighup = NULL, *web_check = NULL, *trim = NULL;
    daemon_parts parts = {0};
    if (!base) goto out;
    col = collector_new(base, cfg, build);
    if (!col) {
        status = 2; /* a targets file, password map or TLS file that cannot be used: the configuration's fault */
        goto out;
    }
    collector_start(col); /* publishes a first snapshot: the server never answers empty */
    http = http_start(cfg);
    if (!http) goto out;
    sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    sigint = evsignal_new(base, SIGINT, on_signal, base);
    parts = (daemon_parts){col, http};
    sighup = evsignal_new(base, SIGHUP, on_hangup, &parts);
    web_check = event_new(base, -1, EV_PERSIST, on_web_check, &parts);
    trim = event_new(base, -1, EV_PERSIST, on_trim, NULL);
    struct timeval every = {2, 0}, minute = {60, 0};
    if (!sigterm || !sigint || !sighup || !web_check || !trim || evsignal_add(sigterm, NULL) ||
        evsignal_add(sigint, NULL) || evsignal_add(sighup, NULL) || event_add(trim, &minute) ||
        (cfg->web_config_file[0] && event_add(web_check, &every)))
        goto out;

    char listen[600], targets[1024] = "";
    snprintf(listen, sizeof listen, "%s:%d%s", cfg->listen_host[0] ? cfg->listen_host : "", cfg->listen_port,
             cfg->telemetry_path);
    for (size_t i = 0; i < cfg->n_targets && strlen(targets) < sizeof targets - 420; i++) {
        if (i) strcat(targets, ",");
        strcat(targets, cfg->targets[i].label);
    }
    char n[32];
    snprintf(n, sizeof n, "%zu", cfg->n_targets);
    log_kv(LOG_INFO, "serving metrics", "version", build->version, "listen", listen, "targets", n, "addr", targets,
           "auth", cfg->password ? "password set" : "none", NULL);
    event_base_dispatch(base);
    status = 0;
out:
    if (sigterm) event_free(sigterm);
    if (sigint) event_free(sigint);
    if (sighup) event_free(sighup);
    if (web_check) event_free(web_check);
    if (trim) event_free(trim);
    http_stop(http); /* first: no handler runs after this */
    collector_free(col);
    slot_clear();
    if (base) event_base_free(base);
    return status;
}

int main(int argc, char **argv)
{
    /* Not dumpable: no core file, and /proc/PID/mem, environ and the rest belong to root,
     * so a process of the same user cannot read the passwords out of memory. Set before
     * any secret is read. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    config cfg;
    char err[600];
    if (config_parse(&cfg, argc, argv, err, sizeof err) != 0) {
        fprintf(stderr, "redis_memory_exporter: %s\n", err);
        /* the doctor's statuses are 0-2 for what it found: a check it could not make is 3,
         * and with --output=json it says so in JSON too */
        return cfg.mode == CONFIG_MODE_DOCTOR ? doctor_flag_error(argc, argv, err) : 2;
    }
    forget_password_env();
    char hiredis_version[32];
    snprintf(hiredis_version, sizeof hiredis_version, "%d.%d.%d", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
    render_build build = {RME_VERSION, RME_REVISION, hiredis_version, event_get_version(), MHD_get_version()};
    if (cfg.show_help) {
        config_usage(stdout);
        config_free(&cfg);
        return 0;
    }
    if (cfg.show_version) {
        printf("redis_memory_exporter %s (revision %s; hiredis %s, libevent %s, libmicrohttpd %s)\n", build.version,
               build.revision, build.hiredis, build.libevent, build.libmicrohttpd);
        config_free(&cfg);
        return 0;
    }
    log_setup(cfg.log_level, cfg.log_format);
    signal(SIGPIPE, SIG_IGN);
    /* Bodies are large and short-lived: a fixed mmap threshold returns each one to the
     * OS when freed, instead of glibc raising the threshold and keeping them in the heap. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    /* One socket per target: take the hard descriptor limit when it is higher. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    srand((unsigned)(fmod(clock_real(), 1.0) * 1e9) ^ (unsigned)getpid());
    int status = cfg.mode == CONFIG_MODE_DOCTOR ? doctor_run(&cfg) : serve(&cfg, &build);
    config_free(&cfg);
    return status;
}
