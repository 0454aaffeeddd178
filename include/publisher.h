/* SPDX-License-Identifier: Apache-2.0 */
/* publisher: what the collector's targets become for the HTTP side. At a publish, each
 * target's piece (its samples, render_target_samples) is rendered again only when its
 * report or its freshness changed; the publish puts the pieces, each format's headers (made once), the
 * exporter's own series, the landing page and /discovery into a new snapshot
 * (snapshot.h) and publishes it.
 *
 * Threading: the event loop's thread only; what it publishes is immutable. */
#ifndef RME_PUBLISHER_H
#define RME_PUBLISHER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "render.h"
#include "snapshot.h"

typedef struct publisher publisher;

/* A target's piece as last rendered; kept by the target's owner, zeroed to begin. */
typedef struct publisher_piece {
    snapshot_piece *piece; /* shared with the snapshots that hold it */
    unsigned version;      /* the report version it was rendered from */
    bool up;               /* ... and whether it was served as up */
} publisher_piece;

/* What one publish is made of. */
typedef struct publisher_input {
    const render_view *views;       /* every target, sorted by key */
    publisher_piece *const *pieces; /* pieces[i] of views[i] (refreshed here) */
    size_t n;
    double stale_after;   /* seconds after its last success a target up is stale */
    double alive_until;   /* when the snapshot is overdue (snapshot_new) */
    bool targets_changed; /* the set changed: /discovery is made again */
    bool ahead;           /* ahead of a foreseen scrape (slot_publish_ahead) */
    render_exporter ex;   /* the exporter's own facts; build, proc, clusters
                                        and poll_interval are filled here */
} publisher_input;

/* cfg and build are borrowed and outlive the publisher. */
publisher *publisher_new(const config *cfg, const render_build *build);
void publisher_free(publisher *p);
/* Drops the piece's reference. */
void publisher_piece_clear(publisher_piece *pp);
/* Makes and publishes a snapshot of in; returns how long it took (seconds). */
double publisher_publish(publisher *p, const publisher_input *in);

#endif
