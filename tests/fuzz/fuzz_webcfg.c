/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the web config parser (libyaml) on any text. File names resolve under a
 * directory that does not exist, so no file is read. Invariants: no crash; a success
 * yields a consistent config (TLS only with a certificate and key; every user with a
 * bcrypt hash; only allowed headers, one line each); a failure says why in one line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    webcfg c;
    char err[600] = "";
    if (webcfg_parse((const char *)data, size, "/nonexistent-rme-fuzz", &c, err, sizeof err) != 0) {
        if (!err[0] || strchr(err, '\n')) abort();
        return 0;
    }
    if (c.tls && (!c.cert_pem || !c.key_pem)) abort();
    for (size_t i = 0; i < c.n_users; i++)
        if (strncmp(c.users[i].value, "$2", 2) != 0 || strchr(c.users[i].name, ':')) abort();
    for (size_t i = 0; i < c.n_headers; i++)
        if (strpbrk(c.headers[i].value, "\r\n")) abort();
    webcfg_free(&c);
    return 0;
}
