/* SPDX-License-Identifier: Apache-2.0 */
/* histo: fixed-bucket histograms. See include/histo.h. */
#include "histo.h"

#include <string.h>

const double histo_lateness_bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0};
const size_t histo_lateness_n = sizeof histo_lateness_bounds / sizeof histo_lateness_bounds[0];
const double histo_key_size_bounds[] = {1024.0,    16384.0,    131072.0,    1048576.0,
                                        8388608.0, 67108864.0, 536870912.0, 4294967296.0};
const size_t histo_key_size_n = sizeof histo_key_size_bounds / sizeof histo_key_size_bounds[0];

void histo_init(histo *h, const double *bounds, size_t n)
{
    memset(h, 0, sizeof *h);
    h->bounds = bounds;
    h->n_bounds = n > HISTO_MAX_BUCKETS ? HISTO_MAX_BUCKETS : n;
}

void histo_observe(histo *h, double v)
{
    size_t b = 0;
    while (b < h->n_bounds && v > h->bounds[b]) b++;
    h->counts[b] += 1;
    h->sum += v;
}

double histo_count(const histo *h)
{
    double n = 0;
    for (size_t b = 0; b <= h->n_bounds; b++) n += h->counts[b];
    return n;
}
