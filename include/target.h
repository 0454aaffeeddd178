/* SPDX-License-Identifier: Apache-2.0 */
/* target: one Redis endpoint polled on a timer over a persistent connection (conn.h).
 *
 * A state machine, written as a phase x event table in target.c:
 *   DISCONNECTED -tick-> CONNECTING -connected-> POLLING -success-> IDLE -tick-> POLLING ...
 * A failure on the connection level (connect, AUTH, timeout, protocol, too large, closed)
 * closes the connection and waits in BACKOFF (exponential, capped) before the next
 * connect; an error reply (LOADING, any other) keeps the connection. At most one poll is
 * in flight; one deadline covers connect, AUTH and INFO. AUTH (when a password is set)
 * and the INFO commands go out together, so a poll is one round trip: INFO with several
 * sections on Redis >= 7, single-section INFOs pipelined on older servers.
 *
 * After each successful poll, and after each key sampler step, the target runs observe
 * (observe.h) once, so its report (report.h) always holds the findings of what it saw.
 *
 * Threading: a target lives on its event_base's thread; everything here, including
 * target_report(), is called on that thread only. */
#ifndef RME_TARGET_H
#define RME_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diagnose.h"
#include "histo.h"
#include "report.h"
#include "sampler.h"
#include "watch.h"

struct event_base;
struct evdns_base;

typedef enum target_phase {
    TARGET_DISCONNECTED,
    TARGET_CONNECTING, /* connect started; AUTH and INFO are queued behind it */
    TARGET_POLLING,    /* commands sent, replies pending */
    TARGET_IDLE,       /* connected, waiting for the next tick */
    TARGET_BACKOFF,    /* disconnected after a failure, waiting to reconnect */
    TARGET_PHASES
} target_phase;

/* The credentials targets AUTH with. Their owner (collector, doctor) may replace the
 * password at any time on the loop thread (a reload); a target reads it only when it
 * opens a connection, so a reload never drops a healthy connection. */
typedef struct target_credentials {
    const char *user;     /* NULL or "" = none (an addr's user@ wins) */
    const char *password; /* NULL = no AUTH */
} target_credentials;

/* Connects in flight allowed across the targets that share it, so that a fleet restart
 * (or every target of a failed network coming back) does not stampede the servers or the
 * exporter: a target whose tick would connect while `busy` is at `max` waits for a later
 * tick (the tick's slot is counted in `waits`). A connect holds its slot until the
 * connection is up (TLS included) or has failed. Owned by the caller (the collector);
 * used on the event loop thread only. max 0: no cap. */
typedef struct target_gate {
    unsigned busy, max;
    double waits;
} target_gate;

/* The tick timers of every target of one event base, as libevent common timeouts:
 * timers of one length wait in a queue of their own instead of the timer heap (with
 * 10,000 targets a 14-level heap, sifted through scattered events on every tick, was
 * 6 % of the loop's time). A tick is set (interval - its lateness) after the previous
 * one fired: the lengths interval - k ms for k < TARGET_TICK_QUEUES are queued, which
 * covers lateness up to that; a tick lands at most 1 ms after it is due. Later ones,
 * and the first tick of each target, go to the heap. Owned by the caller, as the gate. */
#define TARGET_TICK_QUEUES 64
typedef struct target_ticks {
    double interval;
    const struct timeval *q[TARGET_TICK_QUEUES]; /* NULL where libevent had none to give */
} target_ticks;

/* Asks base for the queues of ticks every `interval` seconds. */
void target_ticks_init(target_ticks *k, struct event_base *base, double interval);

typedef struct target_opts {
    const config_target *addr;             /* borrowed; must outlive the target */
    const tspec *spec;                     /* borrowed, may be NULL; must outlive the target (its labels
                                     may change in place between polls) */
    const target_credentials *cred;        /* borrowed; must outlive the target */
    struct tls_client *tls;                /* borrowed; for addr->tls targets (must then be set) */
    double interval, timeout, max_backoff; /* seconds */
    double forecast_window;                /* seconds; the trend is fit over at least 20 intervals */
    size_t max_reply_bytes;
    histo *lateness;           /* borrowed histogram of poll lateness, or NULL */
    target_gate *gate;         /* borrowed, may be NULL (no cap) */
    const target_ticks *ticks; /* borrowed, may be NULL (every tick in the timer heap);
                                     made for this interval and the target's base */
    diagnose_thresholds thresholds;
    bool sampler_on; /* key sampler (read-only commands, see sampler.h) */
    sampler_opts sampler;
    bool one_shot;                        /* doctor: counts instead of rates, sampler back to back */
    bool commandstats;                    /* INFO commandstats in every poll (redis_commands_*) */
    bool role_label;                      /* --labels.role */
    unsigned sampler_roles;               /* TSPEC_ROLE_* the sampler runs on (as INFO role says); 0 = any */
    const struct watch_item *watch_items; /* borrowed (copied by target_new); the daemon only */
    size_t n_watch;
    watch_opts watch;
} target_opts;

typedef struct target target;

/* The options the configuration gives a target at addr (borrowed from cfg): the daemon's
 * and the doctor's targets start from the same. cred is left for the caller to set. */
target_opts target_opts_of(const config *cfg, const config_target *addr);
/* ... and those of a target made from spec (borrowed, as opts.spec): its own sampler
 * budget and roles, and its watch: list parsed into *items (free with watch_items_free
 * once the target is made; NULL when it has none or it is refused, which is logged). */
target_opts target_opts_of_spec(const config *cfg, const tspec *spec, struct watch_item **items, size_t *n_items);

/* Called after every poll, successful or not, and after each sampler step, on the
 * event_base thread. */
typedef void (*target_notify)(target *t, void *arg);

/* Creates an idle target; nothing happens before target_start. Free with target_free. */
target *target_new(struct event_base *base, struct evdns_base *dns, const target_opts *o, target_notify notify,
                   void *arg);
/* Schedules the first poll `phase` seconds from now (0 <= phase < interval spreads
 * many targets over the interval). */
void target_start(target *t, double phase);
/* Closes the connection, cancels timers, frees everything. NULL is ignored. Must not be
 * called from inside this target's own notify callback. */
void target_free(target *t);
/* True while sampler or CLIENT LIST replies are still expected (the doctor waits for them). */
bool target_busy(const target *t);
/* The target's report; valid until the next event loop iteration. */
const report *target_report(const target *t);
target_phase target_get_phase(const target *t);
/* A short word for a phase ("connecting", "connected", ...) for pages and logs. */
const char *target_phase_name(target_phase p);

#endif
