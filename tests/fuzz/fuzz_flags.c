/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: flags and addresses. The input is split at NUL bytes into argv. Invariants:
 * no crash; a parse succeeds or fails with one line that names a flag (starts with "--",
 * "env" or "default", or an unexpected argument); an address parses or gives a reason. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {   /* the environment must not decide anything here */
        static const char *const vars[] = {"REDIS_ADDR", "REDIS_USER", "REDIS_PASSWORD", "REDIS_PASSWORD_FILE"};
        for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
        once = 1;
    }
    if (size > 4096) return 0;
    char *copy = malloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *argv[18] = {"redis_memory_exporter"};
    int argc = 1;
    for (char *p = copy; p < copy + size && argc < 17; p += strlen(p) + 1) argv[argc++] = p;
    argv[argc] = NULL;
    config c;
    char err[600] = "";
    if (config_parse(&c, argc, argv, err, sizeof err) == 0) {
        /* No target is fine only beside a targets file (--redis.addr then has no default). */
        if ((c.n_targets < 1 && !c.targets_file[0]) || c.poll_interval < 0.01 || c.poll_timeout > c.poll_interval * 10)
            abort();
        config_free(&c);
    } else if (!err[0] || strchr(err, '\n')) {
        abort();
    }
    config_target t;
    char why[200] = "";
    if (config_parse_target(copy, &t, why, sizeof why) != 0 && !why[0]) abort();
    free(copy);
    return 0;
}
