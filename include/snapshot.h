/* snapshot: one immutable, reference-counted published result.
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
    SNAPSHOT_PARTS
} snapshot_part;

typedef struct snapshot snapshot;

/* Creates a snapshot with one reference, taking ownership of the malloc'ed bodies.
 * bodies[SNAPSHOT_OPENMETRICS] may be NULL: it is then derived from the text. */
snapshot *snapshot_new(char *bodies[SNAPSHOT_PARTS], const size_t lens[SNAPSHOT_PARTS]);
snapshot *snapshot_ref(snapshot *s);
/* Drops a reference; the last one frees. NULL is ignored. */
void snapshot_unref(snapshot *s);
/* The bytes of a part, valid while the caller holds a reference. With gzip set, returns
 * the gzip-compressed form (made on first use), or NULL if compression failed. */
const char *snapshot_body(snapshot *s, snapshot_part part, bool gzip, size_t *len);

/* The published slot. snapshot_publish takes over the caller's reference. */
void snapshot_publish(snapshot *s);
/* Returns a new reference to the current snapshot, or NULL before the first publish. */
snapshot *snapshot_current(void);
/* Drops the published snapshot (at shutdown). */
void snapshot_clear(void);

#endif
