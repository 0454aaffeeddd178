/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the targets file (YAML) on any bytes. Invariants: no crash, no leak, no
 * stall (a deep or long document is refused by yamlguard before libyaml's scanner grows
 * quadratic: the depth bomb is a saved regression); a failure says why in one printable
 * line and leaves nothing; a success holds only items with an address, label names a user
 * may use, no key listed twice for the same kind of discovery, allow: only on discovering
 * items, and room for the labels discovery adds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    targets_file f;
    char err[600] = "";
    if (targets_parse((const char *)data, size, "/d", &f, err, sizeof err) != 0) {
        if (!err[0] || f.n != 0 || f.specs) abort();
        for (const char *p = err; *p; p++)
            if ((unsigned char)*p < 0x20) abort();
        return 0;
    }
    for (size_t i = 0; i < f.n; i++) {
        const tspec *s = &f.specs[i];
        if (!tspec_key(s)[0]) abort();
        if (s->allow && s->discover == TSPEC_DISCOVER_NONE) abort();
        if (s->discover != TSPEC_DISCOVER_NONE && s->n_labels + 2 > TSPEC_MAX_LABELS) abort();
        for (size_t k = 0; k < s->n_labels; k++)
            if (!tspec_label_name_ok(s->labels[k].name)) abort();
        for (size_t j = 0; j < i; j++)
            if (!strcmp(tspec_key(&f.specs[j]), tspec_key(s)) && f.specs[j].discover == s->discover) abort();
    }
    targets_file_free(&f);
    return 0;
}
