/* SPDX-License-Identifier: Apache-2.0 */
/* snapshot: one immutable, reference-counted published result.
 *
 * Served bytes never claim more freshness than they have: each snapshot knows until when
 * each target's data is fresh, and the HTTP side asks at serve time (snapshot_stale).
 *
 * Threading: the loop builds a snapshot and publishes it (slot.h); HTTP threads take a
 * reference, send its bytes and drop the reference. A body made on first demand (the
 * text and OpenMetrics put together from the pieces, a gzip form) is made by the thread
 * that asks and installed with a compare-and-swap: no thread ever waits for another's
 * work (two that race both make it, and one copy is kept); a fleet's exposition is not
 * made whole at all but streamed from the pieces (snapshot_stream). */
#ifndef RME_SNAPSHOT_H
#define RME_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "render.h"

typedef enum snapshot_part {
    SNAPSHOT_TEXT,        /* exposition 0.0.4 */
    SNAPSHOT_OPENMETRICS, /* OpenMetrics 1.0, put together from its own headers on first demand */
    SNAPSHOT_LANDING,     /* HTML */
    SNAPSHOT_DISCOVERY,   /* http_sd JSON with RENDER_DISCOVERY_HOST where the host goes */
    SNAPSHOT_PARTS
} snapshot_part;

typedef struct snapshot snapshot;

/* A target that was up when the snapshot was made, and until when (monotonic seconds)
 * its data counts as fresh. */
typedef struct snapshot_fresh {
    const char *addr; /* copied */
    double until;
} snapshot_fresh;

/* Creates a snapshot with one reference, taking ownership of the malloc'ed bodies.
 * bodies[SNAPSHOT_TEXT] and [SNAPSHOT_OPENMETRICS] are NULL when the snapshot is given
 * pieces (snapshot_set_pieces): they are put together on first demand. fresh[0..n)
 * lists the targets served as up (copied). alive_until is when the snapshot itself is
 * overdue: its maker publishes well before then unless its loop has stalled. */
snapshot *snapshot_new(char *bodies[SNAPSHOT_PARTS], const size_t lens[SNAPSHOT_PARTS], const snapshot_fresh *fresh,
                       size_t n, double alive_until);
/* An immutable, reference-counted piece of text with offsets: a target's samples
 * family by family (render_target_samples), or the families' headers. A target's piece
 * is made once per poll and shared by every snapshot until the next. */
typedef struct snapshot_piece snapshot_piece;
/* Copies data[0..len) and offs[0..n_offs) into one allocation. One reference. */
snapshot_piece *snapshot_piece_new(const char *data, size_t len, const render_off *offs, size_t n_offs);
snapshot_piece *snapshot_piece_ref(snapshot_piece *p);
void snapshot_piece_unref(snapshot_piece *p);

/* What a snapshot's exposition is made of, per render_format where the formats differ
 * (the headers, the exporter's own series); the targets' pieces serve both. */
typedef struct snapshot_text {
    snapshot_piece *headers[2]; /* the families' HELP and TYPE (references are taken) */
    render_layout layout;
    snapshot_piece *const *pieces; /* every target's, pieces[i] of addrs[i] (copied), sorted
                                      by strcmp (references are taken) */
    const char *const *addrs;
    size_t n;
    char *self[2]; /* the exporter's own and the Cluster series (owned from now) */
    size_t self_len[2];
} snapshot_text;
/* Gives the snapshot, before it is published, what its text is made of. SNAPSHOT_TEXT
 * and SNAPSHOT_OPENMETRICS are then put together on first demand, a /scrape body per
 * request. */
void snapshot_set_pieces(snapshot *s, const snapshot_text *t);
/* Appends the /scrape body of addr in fmt (headers, its samples, the format's end; as
 * down, when down) to out; false when the snapshot has no such target. */
bool snapshot_scrape(snapshot *s, const char *addr, render_format fmt, bool down, buf *out);
/* The exporter's own series and the Cluster-level ones in fmt (without the format's end):
 * all of the text that is no target's. Valid while the caller holds a reference; NULL
 * with *len 0 before pieces. */
const char *snapshot_self(const snapshot *s, render_format fmt, size_t *len);
/* Appends the whole exposition of part (SNAPSHOT_TEXT or SNAPSHOT_OPENMETRICS) with the
 * targets down[0..k) served as down, put together from the pieces (nothing parsed). */
void snapshot_assemble_down(snapshot *s, snapshot_part part, const char *const *down, size_t k, buf *out);
/* The whole exposition in fmt (every target up), put together piece by piece as it is
 * read: no body of the whole is ever made. Takes a reference to s, which
 * snapshot_stream_free returns for the caller to drop; *total is its length. NULL
 * before pieces. */
typedef struct snapshot_stream snapshot_stream;
/* The length of the whole exposition in fmt (every target up), counted once per
 * snapshot; 0 before pieces. */
size_t snapshot_length(snapshot *s, render_format fmt);
snapshot_stream *snapshot_stream_new(snapshot *s, render_format fmt, size_t *total);
/* Copies the next bytes into out[0..max); returns how many (0: the end). */
size_t snapshot_stream_read(snapshot_stream *st, char *out, size_t max);
snapshot *snapshot_stream_free(snapshot_stream *st);
snapshot *snapshot_ref(snapshot *s);
/* Drops a reference; the last one frees. NULL is ignored. */
void snapshot_unref(snapshot *s);
/* Drops a reference without freeing: true when it was the last, and the caller then
 * owns s (free it with snapshot_free; slot_drop hands it to the loop). NULL: false. */
bool snapshot_let_go(snapshot *s);
void snapshot_free(snapshot *s);
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
/* Moves alive_until on (the loop is alive, nothing new to publish). */
void snapshot_set_alive(snapshot *s, double until);
/* Whether the body of part (gzip'd or not) has been made. */
bool snapshot_made(snapshot *s, snapshot_part part, bool gzip);

#endif
