/* SPDX-License-Identifier: Apache-2.0 */
/* watch: keys the user names (--keys.watch, a target's watch:), their length and memory,
 * as a pure state machine like the sampler. No I/O, no clock, no hiredis.
 *
 * The format is redis_exporter's --check-single-keys: "db0=queue:jobs,db1=stream:events"
 * (a key without "dbN=" is in db0). Each key is asked TYPE when first seen (and again
 * after it was missing or changed type), then, every round, its length by type (LLEN,
 * XLEN, SCARD, ZCARD, HLEN or STRLEN) and MEMORY USAGE. A round visits every key once and
 * starts at most every `interval`; steps of at most WATCH_STEP_MAX_KEYS keys go out as a
 * token bucket of keys_per_second allows, so a thousand keys cost what the budget says,
 * never a burst. A missing key has no figures (absent, not 0). Any error reply other than
 * WRONGTYPE switches the watcher off for good (an ACL without LLEN, a server without
 * MEMORY USAGE).
 *
 * Each key keeps a short history of its length: `growing` says it has grown at every
 * point over the last growth_window (a queue nobody consumes, a stream without MAXLEN).
 *
 * Ownership: a watch_cmd's argv points into the watcher; send the commands before the next
 * call into it. */
#ifndef RME_WATCH_H
#define RME_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "diagnose.h"

#define WATCH_MAX_KEYS 10000
#define WATCH_STEP_MAX_KEYS 64
/* SELECT, then two commands a key at most. */
#define WATCH_MAX_CMDS (1 + 2 * WATCH_STEP_MAX_KEYS)
/* Points of a key's length kept: one every growth_window / 16. */
#define WATCH_HISTORY 20

/* One watched key as configured. */
typedef struct watch_item {
    int db;
    char *key; /* owned by whoever made the list (watch_parse: the list) */
    size_t len;
} watch_item;

/* Parses "db0=a,db1=b,c" into *items (free with watch_items_free). At most max keys;
 * returns false with a reason in err (naming the piece) for anything else. */
bool watch_parse(const char *text, size_t max, watch_item **items, size_t *n, char *err, size_t errlen);
void watch_items_free(watch_item *items, size_t n);

typedef struct watch_opts {
    double interval;        /* seconds between rounds (> 0) */
    double keys_per_second; /* budget (> 0) */
    double growth_window;   /* seconds of steady growth that make a key `growing` */
} watch_opts;

typedef enum watch_reply { WATCH_SELECT, WATCH_TYPE, WATCH_SIZE, WATCH_MEMORY } watch_reply;

typedef struct watch_cmd {
    int argc;
    const char *argv[3];
    size_t lens[3];
    watch_reply kind;
    int slot; /* which key (an index into the list) */
} watch_cmd;

typedef struct watch watch;

/* A watcher for a copy of items; now is the caller's monotonic time. */
watch *watch_new(const watch_opts *o, const watch_item *items, size_t n, double now);
void watch_free(watch *w);
/* Starts a step when a round is due and the budget allows and none is in flight; returns
 * the commands written into out (cap >= WATCH_MAX_CMDS), 0 for none. */
size_t watch_begin(watch *w, double now, watch_cmd *out, size_t cap);
/* The replies of a step, in any order (each names its slot and kind). */
void watch_on_type(watch *w, int slot, const char *type, size_t len);
void watch_on_number(watch *w, int slot, watch_reply kind, double v);
/* A nil reply (MEMORY USAGE of a key that is gone). */
void watch_on_nil(watch *w, int slot);
/* An error reply: WRONGTYPE asks TYPE again; any other switches the watcher off (the
 * first time: returns true, and why says what to log). */
bool watch_on_error(watch *w, int slot, const char *msg, char *why, size_t whylen);
/* Counts one reply in (after the on_* above, or for SELECT's OK); true when the step is
 * complete. */
bool watch_reply_in(watch *w);
/* The connection was lost: the step in flight is dropped. */
void watch_abort(watch *w);
size_t watch_pending(const watch *w);
/* Whether the watcher still runs (not switched off by an error). */
bool watch_active(const watch *w);

/* The keys with what is known of them, in the configured order (borrowed; valid until the
 * next call into the watcher). */
const diagnose_watched *watch_keys(const watch *w, size_t *n);

#endif
