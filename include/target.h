/* target: one Redis endpoint polled on a timer over a persistent, non-blocking connection.
 *
 * States: DISCONNECTED -> CONNECTING -> POLLING -> IDLE -> POLLING ... ; a failed poll on
 * the connection level closes it and waits in BACKOFF (exponential, capped) before the
 * next connect. At most one poll is in flight; every poll has one deadline covering
 * connect, AUTH and INFO. AUTH (when a password is set) and the INFO commands go out
 * together, so a poll is one round trip: INFO with several sections on Redis >= 7, the
 * single-section INFOs pipelined on older servers.
 *
 * Threading: a target lives on the collector's event_base thread; everything here,
 * including target_state(), is called on that thread only. */
#ifndef RME_TARGET_H
#define RME_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "derive.h"
#include "info.h"
#include "pollerr.h"

struct event_base;
struct evdns_base;

typedef enum target_phase {
    TARGET_DISCONNECTED,
    TARGET_CONNECTING,   /* connect started; AUTH and INFO are queued behind it */
    TARGET_POLLING,      /* commands sent, replies pending */
    TARGET_IDLE,         /* connected, waiting for the next tick */
    TARGET_BACKOFF,      /* disconnected after a failure, waiting to reconnect */
} target_phase;

/* What the collector reads after each poll. */
typedef struct target_state {
    const char *label;            /* addr label; borrowed from the config */
    target_phase phase;
    bool has_sample;              /* a successful poll happened at least once */
    info_sample sample;           /* the last successful poll's data */
    derived derived;              /* computed from it and the history */
    double sample_mono;           /* monotonic time of that poll */
    bool last_ok;                 /* the most recent poll succeeded */
    pollerr last_error;           /* POLLERR_NONE when last_ok */
    bool has_last_success;
    double last_success_real;     /* Unix time */
    bool has_poll_duration;
    double poll_duration;         /* seconds, most recent poll */
    double errors[POLLERR_COUNT]; /* failed polls by reason */
} target_state;

typedef struct target_opts {
    const config_target *addr;    /* borrowed; must outlive the target */
    const char *user;             /* borrowed; NULL or "" = none (addr->user wins) */
    const char *password;         /* borrowed; NULL = no AUTH */
    double interval, timeout, max_backoff;
    size_t max_reply_bytes;
    double *lateness_counts;      /* borrowed histogram (RENDER_LATENESS_BUCKETS + 1 slots), or NULL */
    double *lateness_sum;
} target_opts;

typedef struct target target;

/* Called after every poll, successful or not, on the event_base thread. */
typedef void (*target_notify)(target *t, void *arg);

/* Creates an idle target; nothing happens before target_start. Free with target_free. */
target *target_new(struct event_base *base, struct evdns_base *dns, const target_opts *o,
                   target_notify notify, void *arg);
/* Schedules the first poll `phase` seconds from now (0 <= phase < interval spreads
 * many targets over the interval). */
void target_start(target *t, double phase);
/* Closes the connection, cancels timers, frees everything. NULL is ignored. Must not be
 * called from inside this target's own notify callback. */
void target_free(target *t);
/* The current state; valid until the next event loop iteration. */
const target_state *target_get_state(const target *t);
/* A short word for a phase ("connecting", "up", …) for pages and logs. */
const char *target_phase_name(target_phase p);

#endif
