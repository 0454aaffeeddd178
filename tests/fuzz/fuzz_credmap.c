/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the password map parser (jansson) on any bytes. Invariants: no crash, no
 * leak; a failure says why in one line and leaves the map empty (that it never quotes a
 * password is unit-tested); a success holds only valid targets, each found again by its
 * own address (the first entry of that endpoint and user), and no empty password (that means no AUTH: NULL). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "credmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    credmap m;
    char err[400] = "";
    if (credmap_parse((const char *)data, size, &m, err, sizeof err) != 0) {
        if (!err[0] || strchr(err, '\n') || m.n != 0) abort();
        return 0;
    }
    for (size_t i = 0; i < m.n; i++) {
        const config_target *w = &m.e[i].where;
        const credmap_entry *e = credmap_find(&m, w);
        /* Found: an entry for the same endpoint and user (the first such one). */
        if (!e || e->where.kind != w->kind || strcmp(e->where.user, w->user) != 0 ||
            strcasecmp(e->where.host, w->host) != 0 || e->where.port != w->port || strcmp(e->where.path, w->path) != 0)
            abort();
        if (e->password && !e->password[0]) abort();
    }
    credmap_free(&m);
    return 0;
}
