/* SPDX-License-Identifier: Apache-2.0 */
/* render: targets' reports -> exposition text (0.0.4 and OpenMetrics 1.0).
 * Pure: writes into the caller's buffer; no I/O, no clock, no globals.
 *
 * Families come in a fixed order, each contiguous across all targets (the formats
 * require it), with HELP and TYPE before the first sample. A family with no sample is
 * left out entirely. A target whose data is not fresh contributes only redis_up 0 and
 * its exporter health series: no stale Redis numbers. */
#ifndef RME_RENDER_H
#define RME_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "histo.h"
#include "procstat.h"
#include "report.h"

typedef enum render_format {
    RENDER_TEXT,        /* text/plain; version=0.0.4 */
    RENDER_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
} render_format;

#define RENDER_CONTENT_TYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define RENDER_CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* One target as the outputs see it: its report and how fresh it is. */
typedef struct render_view {
    const report *r;   /* borrowed for the call */
    bool up;           /* the last poll succeeded and its data is fresh */
    const char *state; /* for people: "up", "stale", "connecting", ... */
} render_view;

/* The exporter's own version and the library versions it was built with. */
typedef struct render_build {
    const char *version, *revision, *hiredis, *libevent, *libmicrohttpd;
} render_build;

/* Every label name the renderer itself puts on a target's or the exporter's series,
 * NULL-terminated, beside the redis_instance_info labels of info_text_table: the one
 * source of the names a user label may not take (tspec_label_name_ok). A unit test renders
 * every kind of series and checks that each label it finds is here. */
extern const char *const render_label_names[];

/* A discovery seed and how many addresses its nodes named that were not connected to. */
typedef struct render_seed_count {
    const char *seed; /* borrowed: the seed's key */
    double refused;
} render_seed_count;

typedef struct render_exporter {
    const render_build *build;
    const procstat_sample *proc;            /* may be NULL */
    const histo *lateness;                  /* poll lateness over all targets, or NULL */
    double poll_interval;                   /* seconds, for the landing page */
    const struct cluster_summary *clusters; /* for the landing page (clusters.h), may be NULL */
    size_t n_clusters;
    bool has_reload;                  /* a targets file is configured: its reload state is shown */
    bool reload_ok;                   /* the last read of it was used */
    double reload_time;               /* Unix time of the last read that was used */
    const char *reload_error;         /* why the last read was not used ("" or NULL: it was) */
    double connect_waits;             /* ticks that waited for a connect slot (target_gate) */
    double snapshots_asked;           /* publishes a reader waited for (snapshot.h) */
    double snapshots_ahead;           /* ... and made ahead of a foreseen scrape */
    const render_seed_count *refused; /* per discovery seed: addresses refused (discover.h) */
    size_t n_refused;
} render_exporter;

/* Appends the whole exposition for targets[0..n) and the exporter itself to out.
 * In OpenMetrics the text ends with "# EOF\n". */
void render_metrics(buf *out, render_format fmt, const render_view *targets, size_t n, const render_exporter *e);

/* Appends what ends a whole exposition: "# EOF\n" in OpenMetrics, nothing in 0.0.4. */
void render_end(buf *out, render_format fmt);

/* The same text in parts, so that each target is formatted once per poll and the
 * whole (or one target's /scrape body) is put together by copying, in either format:
 *   render_target_layout()    how many families a target's series come in (fixed), and
 *                             how many of them are Redis's (the first; the rest are
 *                             about polling and stay when a target is served as down);
 *   render_target_headers()   every such family's HELP and TYPE in one format, family
 *                             k at offs[k] (offs has families + 1 entries);
 *   render_target_samples()   one target's samples, family k at offs[k] .. offs[k+1]
 *                             (relative to where the piece starts in out; offs has
 *                             families + 2 entries), each series with
 *                             RENDER_LABELS_MARK where its target's labels go, and those
 *                             labels once at offs[families] .. offs[families + 1]. The
 *                             samples are the same bytes in both formats;
 *   render_assemble()         for each family with a sample in any piece: its header,
 *                             then each piece's samples of it; a piece marked down gives
 *                             what rendering its target as down would (redis_up 0 and
 *                             the polling families), without rendering it again;
 *   render_exporter_metrics() the exporter's own series, then render_end().
 * render_assemble(all targets) + render_exporter_metrics() + render_end() ==
 * render_metrics(), byte for byte, in both formats, with targets up and down
 * (unit-tested). No exposition text is ever parsed back. */
#define RENDER_LABELS_MARK '\x02' /* never in rendered text: label values lose control bytes */
typedef uint32_t render_off;      /* an offset inside one piece: pieces are kilobytes, and
                                      every target keeps one with ~140 offsets */
typedef struct render_piece {
    const char *data;       /* a render_target_samples piece */
    const render_off *offs; /* its families + 2 offsets */
    bool down;              /* served as down: its data went stale after it was rendered */
} render_piece;
typedef struct render_layout {
    size_t n_fam;   /* families of a target's series */
    size_t n_redis; /* of which the first n_redis are Redis's own (redis_up first) */
} render_layout;
render_layout render_target_layout(void);
void render_target_headers(buf *out, render_off *offs, render_format fmt);
void render_target_samples(buf *out, const render_view *t, render_off *offs);
void render_assemble(buf *out, const char *headers, const render_off *hoffs, const render_layout *l,
                     const render_piece *p, size_t n);
/* render_assemble by parts, for a body written out as it is read: whether family k has
 * a sample in any of p[0..n) (its header is then written), piece p's samples of family k,
 * and what an up piece gives in all (its samples with the labels put in). */
bool render_family_present(const render_piece *p, size_t n, size_t k, const render_layout *l);
void render_assemble_family(buf *out, const render_piece *p, size_t k, const render_layout *l);
size_t render_piece_length(const render_piece *p, const render_layout *l);
void render_exporter_metrics(buf *out, size_t n_targets, const render_exporter *e, render_format fmt);

/* Where the HTTP side puts the host Prometheus reached it by (a byte no JSON string
 * holds unescaped). */
#define RENDER_DISCOVERY_HOST "\x01"
/* Appends Prometheus http_sd JSON: one group per target, scraped at /scrape with the
 * target as its parameter and as its instance label (so each has its own up). The
 * targets' address is RENDER_DISCOVERY_HOST, replaced per request. */
void render_discovery(buf *out, const render_view *targets, size_t n);

/* Appends s as a label value: backslash, quote and newline escaped; other control bytes
 * and invalid UTF-8 replaced by U+FFFD. Exposed for the unit tests. */
void render_label_value(buf *out, const char *s);

#endif
