/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: content negotiation on any Accept and Accept-Encoding headers (the input
 * split at its first NUL). Invariant: no crash; NULL and empty mean text, no gzip. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 2);
    memcpy(copy, data, size);
    copy[size] = copy[size + 1] = '\0';
    const char *second = copy + strlen(copy) + 1;
    if (second > copy + size) second = copy + size;
    negotiate_openmetrics(copy);
    negotiate_gzip(second);
    negotiate_gzip(copy);
    negotiate_openmetrics(second);
    if (negotiate_openmetrics(NULL) || negotiate_openmetrics("") || negotiate_gzip(NULL)) abort();
    free(copy);
    return 0;
}
