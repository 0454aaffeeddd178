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
#include "diagnose.h"
#include "info.h"
#include "pollerr.h"
#include "render.h"

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
#define TARGET_MAX_TOP_KEYS 32

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
    bool has_defrag_enabled;      /* CONFIG GET activedefrag answered (not on managed services) */
    bool defrag_enabled;
    diagnose_result diagnosis;    /* findings of the last successful poll */
    /* Key sampler (off unless enabled): the largest keys seen in the last full SCAN
     * cycle and the current one, biggest first, and a histogram of every size sampled. */
    diagnose_key largest[TARGET_MAX_TOP_KEYS];
    size_t n_largest;
    double key_size_counts[RENDER_KEY_SIZE_BUCKETS + 1];   /* per bucket, +Inf last */
    double key_size_sum;
    double keys_sampled;          /* total MEMORY USAGE answers */
    bool sampler_active;          /* enabled and not switched off by an error */
} target_state;

typedef struct target_opts {
    const config_target *addr;    /* borrowed; must outlive the target */
    const char *user;             /* borrowed; NULL or "" = none (addr->user wins) */
    const char *password;         /* borrowed; NULL = no AUTH */
    double interval, timeout, max_backoff;
    size_t max_reply_bytes;
    double *lateness_counts;      /* borrowed histogram (RENDER_LATENESS_BUCKETS + 1 slots), or NULL */
    double *lateness_sum;
    diagnose_thresholds thresholds;
    /* Key sampler: off when keys_per_second is 0. Read-only commands only: SELECT, SCAN,
     * MEMORY USAGE, TYPE. */
    double sampler_keys_per_second;   /* budget */
    unsigned sampler_top_n;           /* 1..TARGET_MAX_TOP_KEYS */
    unsigned sampler_memory_samples;  /* MEMORY USAGE ... SAMPLES n */
    bool sampler_hash_keys;           /* export a hash instead of the key name */
    unsigned long sampler_max_keys;   /* one_shot: stop after this many keys (0 = one whole cycle) */
    bool one_shot;                    /* doctor: diagnose counts instead of rates, and the
                                         sampler runs back to back instead of once per poll */
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
/* True while sampler replies are still expected (doctor waits for them). */
bool target_sampler_busy(const target *t);
/* True once the sampler has finished at least one whole SCAN cycle. */
bool target_sampler_cycle_done(const target *t);
/* The current state; valid until the next event loop iteration. */
const target_state *target_get_state(const target *t);
/* A short word for a phase ("connecting", "up", …) for pages and logs. */
const char *target_phase_name(target_phase p);

#endif
