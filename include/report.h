/* SPDX-License-Identifier: Apache-2.0 */
/* report: everything known about one target, the one type every output reads.
 *
 * The target fills what it saw (the sample, server facts, the sampler's summary, how
 * polling went); observe fills what follows from it (derived values and findings).
 * render (/metrics), landing (/) and summary (doctor text and JSON) only read it. */
#ifndef RME_REPORT_H
#define RME_REPORT_H

#include <stdbool.h>

#include "derive.h"
#include "diagnose.h"
#include "info.h"
#include "pollerr.h"
#include "memstats.h"
#include "sampler.h"
#include "srvconf.h"
#include "tspec.h"

/* How polling this target has gone. */
typedef struct report_health {
    bool last_ok;          /* the most recent poll succeeded */
    pollerr last_error;    /* POLLERR_NONE when last_ok */
    char last_detail[200]; /* what the last failure said (never a secret); "" when ok */
    bool has_last_success;
    double last_success_real; /* Unix time */
    double last_success_mono; /* monotonic time of that poll (freshness) */
    bool has_poll_duration;
    double poll_duration;         /* seconds, most recent poll */
    double errors[POLLERR_COUNT]; /* failed polls by reason */
} report_health;

/* A dataset being loaded (INFO persistence while the poll fails with reason loading). */
typedef struct report_loading {
    bool active; /* the last poll found loading:1 */
    bool has_progress;
    double progress; /* 0..1, loading_loaded_perc / 100 */
    bool has_eta;
    double eta; /* seconds, loading_eta_seconds */
} report_loading;

typedef struct report {
    const char *addr;   /* label value: host:port[/db] or socket path; borrowed */
    const tspec *spec;  /* borrowed, may be NULL: the labels its series carry */
    unsigned version;   /* changes whenever anything below does (outputs cache by it) */
    bool has_sample;    /* a successful poll happened at least once */
    info_sample sample; /* the last successful poll's INFO (owned) */
    srvconf config;     /* CONFIG GET values (absent where refused) */
    report_loading loading;
    memstats mstats; /* MEMORY STATS, asked once a minute (absent where refused) */
    bool has_swap;   /* VmSwap of the server's process, read where it runs on
                                     this host (a loopback or unix target), once a minute */
    double swap_bytes;
    const sampler_summary *keys;     /* borrowed from the target's sampler (never NULL: the empty
                                     sampler_none, active false, when the sampler is off) */
    const diagnose_watched *watched; /* borrowed from the target's watcher (--keys.watch), in
                                          the configured order; n_watched 0 without one */
    size_t n_watched;
    diagnose_clients *clients; /* owned by the target: the clients holding the most buffer,
                                     from CLIENT LIST asked while a client buffer finding is
                                     active (at most once a minute); NULL otherwise */
    report_health health;
    const derive_history *history;  /* borrowed: the target's, for the landing page's chart;
                                        NULL in the doctor */
    derived derived;                /* from observe */
    diagnose_result diagnosis;      /* from observe: ids and severities (observe_explain: words) */
    bool one_shot_diagnosis;        /* how observe judged (doctor: counts for rates) */
    bool role_label;                /* --labels.role: the sample's role on every series */
    diagnose_thresholds thresholds; /* and with which thresholds */
} report;

#endif
