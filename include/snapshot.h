/* snapshot: one immutable, reference-counted published result.
 *
 * Served bytes never claim more freshness than they have: each snapshot knows until when
 * each target's data is fresh, and the HTTP side asks at serve time (snapshot_stale).
 *
 * Threading: the collector thread builds a snapshot and publishes it; HTTP threads take
 * a reference, send its bytes and drop the reference. The slot's mutex is held only to
 * swap or copy the pointer, never while bytes are written. The gzip body is made once
 * per snapshot on first demand, under the snapshot's own mutex. */
#ifndef RME_SNAPSHOT_H
#define RME_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum snapshot_part {
    SNAPSHOT_TEXT,          /* exposition 0.0.4 */
    SNAPSHOT_OPENMETRICS,   /* OpenMetrics 1.0, made from the text on first demand */
    SNAPSHOT_LANDING,       /* HTML */
    SNAPSHOT_DISCOVERY,     /* http_sd JSON with RENDER_DISCOVERY_HOST where the host goes */
    SNAPSHOT_PARTS
} snapshot_part;

typedef struct snapshot snapshot;

/* A target that was up when the snapshot was made, and until when (monotonic seconds)
 * its data counts as fresh. */
typedef struct snapshot_fresh {
    const char *addr;     /* copied */
    double until;
} snapshot_fresh;

/* Creates a snapshot with one reference, taking ownership of the malloc'ed bodies.
 * bodies[SNAPSHOT_OPENMETRICS] may be NULL: it is then derived from the text. fresh[0..n)
 * lists the targets served as up (copied). alive_until is when the snapshot itself is
 * overdue: its maker publishes well before then unless its loop has stalled. */
snapshot *snapshot_new(char *bodies[SNAPSHOT_PARTS], const size_t lens[SNAPSHOT_PARTS], const snapshot_fresh *fresh,
                       size_t n, double alive_until);
/* Gives the snapshot the per-target bodies of /scrape, before it is published: text
 * (owned from now) holds them one after another; target i is addrs[i] (copied; sorted by
 * strcmp) at text + off[i], len[i] bytes. */
void snapshot_set_scrape(snapshot *s, char *text, const char *const *addrs, const size_t *off, const size_t *len,
                         size_t n);
/* The /scrape body of addr, valid while the caller holds a reference; false when the
 * snapshot has no such target. */
bool snapshot_scrape(snapshot *s, const char *addr, const char **body, size_t *len);
snapshot *snapshot_ref(snapshot *s);
/* Drops a reference; the last one frees. NULL is ignored. */
void snapshot_unref(snapshot *s);
/* The bytes of a part, valid while the caller holds a reference. With gzip set, returns
 * the gzip-compressed form (made on first use), or NULL if compression failed. */
const char *snapshot_body(snapshot *s, snapshot_part part, bool gzip, size_t *len);

/* Freshness at serve time: the addrs of the targets that the snapshot serves as up but
 * whose data is older than its bound at `now` (their polls have stalled, or the loop has),
 * as a pointer into the snapshot (valid while the caller holds a reference) and a count.
 * 0 in the normal case. */
size_t snapshot_stale(snapshot *s, double now, const char *const **addrs);
/* False when the snapshot is overdue at `now`: the polling loop has made no progress. */
bool snapshot_alive(const snapshot *s, double now);

/* The published slot. snapshot_publish takes over the caller's reference. */
void snapshot_publish(snapshot *s);
/* Returns a new reference to the current snapshot, or NULL before the first publish. */
snapshot *snapshot_current(void);
/* Drops the published snapshot (at shutdown). */
void snapshot_clear(void);

#endif
