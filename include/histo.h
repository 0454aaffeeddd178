/* SPDX-License-Identifier: Apache-2.0 */
/* histo: a fixed-bucket histogram (Prometheus style: upper bounds, +Inf implied). Pure.
 *
 * The bounds are a static table owned by whoever defines the histogram; a histo only
 * points at them. Counts are per bucket (not cumulative); render makes them cumulative. */
#ifndef RME_HISTO_H
#define RME_HISTO_H

#include <stddef.h>

#define HISTO_MAX_BUCKETS 16

typedef struct histo {
    const double *bounds;                 /* borrowed, ascending, n_bounds of them */
    size_t n_bounds;                      /* <= HISTO_MAX_BUCKETS */
    double counts[HISTO_MAX_BUCKETS + 1]; /* per bucket; the last is +Inf */
    double sum;
} histo;

/* Lateness of polls against their schedule, seconds. */
extern const double histo_lateness_bounds[];
extern const size_t histo_lateness_n;
/* Sizes of sampled keys (MEMORY USAGE), bytes. */
extern const double histo_key_size_bounds[];
extern const size_t histo_key_size_n;

/* An empty histogram over bounds[0..n). */
void histo_init(histo *h, const double *bounds, size_t n);
/* Counts one observation of v in the first bucket whose bound is >= v. */
void histo_observe(histo *h, double v);
/* Total observations. */
double histo_count(const histo *h);

#endif
