/* SPDX-License-Identifier: Apache-2.0 */
/* targets: the --targets.file YAML (libyaml) -> target specs (tspec.h). Pure: text in,
 * specs out; paths in it are made absolute against the file's directory but not read.
 *
 *   defaults:                       # optional, for every item
 *     labels: {team: cache}
 *     user: exporter
 *     password_file: secrets/redis  # first line is the password
 *     tls: {ca_file: ca.pem, cert_file: c.pem, key_file: c.key, server_name: x,
 *           min_version: "1.3", insecure_skip_verify: false}
 *     sampler: {keys_per_second: 100}
 *   targets:
 *     - addr: redis://cache-1:6379   # any form --redis.addr takes
 *       labels: {env: prod}
 *     - addr: redis://seed-1:7000    # a Cluster seed: every node is discovered
 *       discover: cluster
 *     - addr: sentinel-1:26379       # a sentinel: the master and its replicas
 *       discover: sentinel
 *       master: mymaster
 *
 * An unknown key, a bad address, a label name that is not allowed or an address listed
 * twice is an error naming the item; nothing is half-applied. */
#ifndef RME_TARGETS_H
#define RME_TARGETS_H

#include <stddef.h>

#include "tspec.h"

/* Targets in one file at most (a bound on what a file can make the exporter do). */
#define TARGETS_MAX 100000

typedef struct targets_file {
    tspec *specs; /* owned: targets and discovery seeds, in file order */
    size_t n;
} targets_file;

/* Parses len bytes of YAML; dir is the file's directory (for relative paths). Returns 0,
 * or -1 with a one-line reason in err and f empty. */
int targets_parse(const char *text, size_t len, const char *dir, targets_file *f, char *err, size_t errlen);
void targets_file_free(targets_file *f);

#endif
