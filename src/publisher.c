/* SPDX-License-Identifier: Apache-2.0 */
/* publisher: pieces and snapshots. See include/publisher.h. */
#include "publisher.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "clusters.h"
#include "landing.h"
#include "procstat.h"
#include "slot.h"
#include "xalloc.h"

/* /proc/self/fd of a process with 10,000 connections is slow to list: not every publish. */
#define PROC_SECONDS 5.0
/* Pieces rendered before the heap's free pages are given back (publisher_publish). */
#define TRIM_BYTES (4u << 20)
#define TRIM_SECONDS 10.0

struct publisher {
    const config *cfg;
    const render_build *build;
    render_layout layout;       /* the families of a target's series */
    render_off *offs;           /* n_fam + 2 (a piece: its families, then its labels) */
    snapshot_piece *headers[2]; /* their HELP and TYPE lines, per render_format */
    buf scratch;                /* one target's piece being rendered */
    buf self[2], landing, sd;   /* render buffers, sized from the previous round */
    snapshot_piece **pieces;    /* per publish: the targets' pieces */
    snapshot_fresh *fresh;      /* ... the targets served as up, and until when */
    const char **addrs;         /* ... and their keys */
    size_t cap;
    procstat_sample proc; /* the process's figures, read at most every PROC_SECONDS */
    double proc_at;       /* monotonic */
    size_t rendered;      /* bytes of pieces rendered since the last trim */
    double trimmed_at;    /* monotonic */
    char *sd_text;        /* the last /discovery body */
    size_t sd_len;
};

publisher *publisher_new(const config *cfg, const render_build *build)
{
    publisher *p = xcalloc(1, sizeof *p);
    p->cfg = cfg;
    p->build = build;
    p->layout = render_target_layout();
    p->offs = xcalloc(p->layout.n_fam + 2, sizeof *p->offs);
    for (int f = 0; f < 2; f++) {
        buf h;
        buf_init(&h);
        render_target_headers(&h, p->offs, (render_format)f);
        p->headers[f] = snapshot_piece_new(h.data, h.len, p->offs, p->layout.n_fam + 1);
        buf_free(&h);
        buf_init(&p->self[f]);
    }
    buf_init(&p->scratch);
    buf_init(&p->landing);
    buf_init(&p->sd);
    return p;
}

void publisher_free(publisher *p)
{
    if (!p) return;
    for (int f = 0; f < 2; f++) {
        snapshot_piece_unref(p->headers[f]);
        buf_free(&p->self[f]);
    }
    buf_free(&p->scratch);
    buf_free(&p->landing);
    buf_free(&p->sd);
    free(p->offs);
    free(p->pieces);
    free(p->addrs);
    free(p->fresh);
    free(p->sd_text);
    free(p);
}

/* Renders the piece again when v's report version or freshness differs from its own. */
static void refresh(publisher *p, publisher_piece *pp, const render_view *v)
{
    if (pp->piece && pp->version == v->r->version && pp->up == v->up) return;
    buf_reset(&p->scratch);
    render_target_samples(&p->scratch, v, p->offs);
    p->rendered += p->scratch.len;
    /* Copied to its exact size: the scratch buffer's capacity is a power of two, nearly
     * twice a piece, and every target keeps its piece. */
    snapshot_piece_unref(pp->piece);
    pp->piece = snapshot_piece_new(p->scratch.data, p->scratch.len, p->offs, p->layout.n_fam + 2);
    pp->version = v->r->version;
    pp->up = v->up;
}

void publisher_piece_clear(publisher_piece *pp)
{
    snapshot_piece_unref(pp->piece);
    memset(pp, 0, sizeof *pp);
}

/* Hands a render buffer to the snapshot, and leaves the buffer with room for a body of
 * the same size, so that the next render allocates once and nothing is copied. */
static char *take(buf *b, size_t *len)
{
    size_t hint = b->len + b->len / 8 + 256;
    char *s = buf_steal(b, len);
    buf_reserve(b, hint);
    return s;
}

/* The exporter's own series (both formats) and the landing page, into the buffers. */
static void render_own(publisher *p, const publisher_input *in, double now)
{
    if (p->proc_at == 0 || now - p->proc_at >= PROC_SECONDS) {
        procstat_read("/proc", &p->proc);
        p->proc_at = now;
    }
    render_exporter ex = in->ex;
    ex.build = p->build;
    ex.proc = &p->proc;
    ex.poll_interval = p->cfg->poll_interval;
    cluster_summary clusters[CLUSTERS_MAX];
    ex.n_clusters = clusters_summarise(in->views, in->n, &p->cfg->thresholds, clusters, CLUSTERS_MAX);
    ex.clusters = clusters;
    for (int f = 0; f < 2; f++) {
        buf_reset(&p->self[f]);
        render_exporter_metrics(&p->self[f], in->n, &ex, (render_format)f);
    }
    buf_reset(&p->landing);
    landing_render(&p->landing, in->views, in->n, &ex, p->cfg->telemetry_path);
}

double publisher_publish(publisher *p, const publisher_input *in)
{
    double t0 = clock_mono();
    if (in->n + 1 > p->cap) {
        p->cap = in->n + in->n / 2 + 1;
        p->pieces = xrealloc(p->pieces, p->cap * sizeof *p->pieces);
        p->addrs = xrealloc(p->addrs, p->cap * sizeof *p->addrs);
        p->fresh = xrealloc(p->fresh, p->cap * sizeof *p->fresh);
    }
    /* A target's piece is rendered again only when its report changed or it went from
     * fresh to stale (or back): at most once per poll, and only when a reader asks. */
    size_t n_fresh = 0;
    for (size_t i = 0; i < in->n; i++) {
        refresh(p, in->pieces[i], &in->views[i]);
        p->pieces[i] = in->pieces[i]->piece;
        p->addrs[i] = in->views[i].r->addr;
        const report *r = in->views[i].r;
        if (in->views[i].up)
            p->fresh[n_fresh++] = (snapshot_fresh){r->addr, r->health.last_success_mono + in->stale_after};
    }
    render_own(p, in, t0);
    if (in->targets_changed || !p->sd_text) {
        buf_reset(&p->sd);
        render_discovery(&p->sd, in->views, in->n);
        free(p->sd_text);
        p->sd_text = buf_steal(&p->sd, &p->sd_len);
    }
    /* the text and OpenMetrics are put together from the pieces when first asked for */
    char *bodies[SNAPSHOT_PARTS] = {NULL, NULL, NULL, NULL};
    size_t lens[SNAPSHOT_PARTS] = {0, 0, 0, 0};
    bodies[SNAPSHOT_LANDING] = take(&p->landing, &lens[SNAPSHOT_LANDING]);
    bodies[SNAPSHOT_DISCOVERY] = xcalloc(1, p->sd_len + 1);
    memcpy(bodies[SNAPSHOT_DISCOVERY], p->sd_text, p->sd_len);
    lens[SNAPSHOT_DISCOVERY] = p->sd_len;
    snapshot_text text = {.layout = p->layout, .pieces = p->pieces, .addrs = p->addrs, .n = in->n};
    for (int f = 0; f < 2; f++) {
        text.headers[f] = p->headers[f];
        text.self[f] = take(&p->self[f], &text.self_len[f]);
    }
    snapshot *snap = snapshot_new(bodies, lens, p->fresh, n_fresh, in->alive_until);
    snapshot_set_pieces(snap, &text);
    if (in->ahead) slot_publish_ahead(snap);
    else slot_publish(snap);
    /* A publish renders every piece anew while the snapshot before still holds the old
     * ones, which it then lets go all at once: give those pages back (10,000 targets:
     * 47 MB of 206), or each scrape's peak stays resident. Not more often than every
     * TRIM_SECONDS: the next render faults the pages in again, and a reader every 100 ms
     * would make the loop do that all the time. */
    double now = clock_mono();
    if (p->rendered >= TRIM_BYTES && now - p->trimmed_at >= TRIM_SECONDS) {
        malloc_trim(0);
        p->rendered = 0;
        p->trimmed_at = now;
    }
    return clock_mono() - t0;
}
