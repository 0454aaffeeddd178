/* render: targets' samples and derived values -> exposition text and the landing page.
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

#include "buf.h"
#include "derive.h"
#include "diagnose.h"
#include "info.h"
#include "pollerr.h"
#include "procstat.h"

typedef enum render_format {
    RENDER_TEXT,          /* text/plain; version=0.0.4 */
    RENDER_OPENMETRICS,   /* application/openmetrics-text; version=1.0.0 */
} render_format;

#define RENDER_CONTENT_TYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define RENDER_CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Upper bounds of the poll-lateness histogram, in seconds (+Inf is implied). */
#define RENDER_LATENESS_BOUNDS {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0}
#define RENDER_LATENESS_BUCKETS 8

/* Upper bounds of the sampled key size histogram, in bytes (+Inf implied). */
#define RENDER_KEY_SIZE_BOUNDS {1024.0, 16384.0, 131072.0, 1048576.0, 8388608.0, 67108864.0, 536870912.0, 4294967296.0}
#define RENDER_KEY_SIZE_BUCKETS 8

/* What render needs to know of one target; all pointers are borrowed for the call. */
typedef struct render_target {
    const char *addr;              /* label value: host:port or socket path; never a secret */
    const char *state;             /* human state for the landing page ("up", "connecting", …) */
    bool up;                       /* the last poll succeeded and its data is fresh */
    const info_sample *sample;     /* used only when up */
    const derived *derived;        /* used only when up */
    bool has_last_success;
    double last_success_ts;        /* Unix seconds */
    bool has_poll_duration;
    double poll_duration;          /* seconds, last poll */
    const double *errors;          /* POLLERR_COUNT counters */
    pollerr last_error;            /* POLLERR_NONE when the last poll succeeded */
    const diagnose_result *diagnosis;  /* used only when up; may be NULL */
    bool has_defrag_enabled, defrag_enabled;
    const diagnose_key *largest;   /* sampler's largest keys, biggest first */
    size_t n_largest;
    const double *key_size_counts; /* RENDER_KEY_SIZE_BUCKETS + 1 per-bucket counts, or NULL (sampler off) */
    double key_size_sum;
} render_target;

typedef struct render_exporter {
    const char *version, *revision, *hiredis, *libevent, *libmicrohttpd;
    const procstat_sample *proc;   /* may be NULL */
    const double *lateness_counts; /* RENDER_LATENESS_BUCKETS + 1 cumulative-free counts, +Inf last */
    double lateness_sum;
    double poll_interval;          /* seconds, for the landing page */
} render_exporter;

/* Appends the whole exposition for targets[0..n) and the exporter itself to out.
 * In OpenMetrics the text ends with "# EOF\n". */
void render_metrics(buf *out, render_format fmt, const render_target *targets, size_t n,
                    const render_exporter *e);

/* Appends the OpenMetrics 1.0 form of a text exposition made by render_metrics: counter
 * family names lose "_total" in HELP and TYPE, HELP escapes quotes, "# EOF" ends it.
 * Lets the HTTP side make OpenMetrics on demand from a published body. */
void render_openmetrics_from_text(buf *out, const char *text, size_t len);

/* Appends the HTML landing page: targets, their state and last error class, links. */
void render_landing(buf *out, const render_target *targets, size_t n, const render_exporter *e,
                    const char *telemetry_path);

/* Appends s as a label value: backslash, quote and newline escaped, invalid UTF-8
 * replaced by U+FFFD. Exposed for the unit tests. */
void render_label_value(buf *out, const char *s);

#endif
