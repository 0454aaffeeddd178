/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the INFO parser on any bytes. Invariants: no crash or sanitizer report; every
 * field present holds a finite number; the kept dbs and errorstats stay bounded. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    info_sample s;
    info_sample_init(&s);
    info_parse(&s, (const char *)data, size);
    info_parse(&s, (const char *)data, size);   /* twice: updates in place, bounds hold */
    for (int i = 0; i < INFO_NUM_COUNT; i++)
        if (s.has_num[i] && !isfinite(s.num[i])) abort();
    if (s.n_dbs > INFO_MAX_DBS || s.n_errs > INFO_MAX_ERRORSTATS) abort();
    for (size_t i = 1; i < s.n_dbs; i++)
        if (s.dbs[i - 1].index >= s.dbs[i].index) abort();   /* sorted, one line per db */
    info_sample_free(&s);
    return 0;
}
