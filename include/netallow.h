/* SPDX-License-Identifier: Apache-2.0 */
/* netallow: where discovery may go. Pure.
 *
 * A discovering item's `allow:` list: CIDRs ("10.0.0.0/8", "127.0.0.1/32", "fd00::/8")
 * and host-name patterns ("*.cache.internal" for any name under it, or one exact name).
 * An address a Cluster node or a sentinel names is connected to only when the list
 * permits it. Without `allow:` the seed's own scope is the list (netallow_default): a
 * node may only send the exporter where the seed already is - loopback to loopback, a
 * private network to private networks, a public address to its own /24 (/64) - and a
 * name only under the seed's own domain. What a node announces must be a DNS name or an
 * IP literal (netallow_host_ok): never a socket path, never anything else. */
#ifndef RME_NETALLOW_H
#define RME_NETALLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETALLOW_MAX 32
#define NETALLOW_NAME_MAX 254

typedef struct netallow_entry {
    bool is_name;
    uint8_t family; /* 4 or 6 for a network */
    uint8_t prefix; /* bits */
    uint8_t addr[16];
    bool wildcard;                /* name: "*.suffix" matches names under suffix */
    char name[NETALLOW_NAME_MAX]; /* lower case; the suffix without "*." */
} netallow_entry;

typedef struct netallow {
    size_t n;
    netallow_entry e[NETALLOW_MAX];
} netallow;

/* Adds one entry of an `allow:` list; -1 with the reason in err when it is not a CIDR
 * (an address alone is its /32 or /128), a name or "*.name", or the list is full. */
int netallow_add(netallow *a, const char *entry, char *err, size_t errlen);
/* The list a seed without `allow:` gets: its own scope (see above). */
void netallow_default(netallow *a, const char *seed_host);
/* Whether host (a DNS name or an IP literal, without brackets) is on the list. */
bool netallow_permits(const netallow *a, const char *host);
/* Whether host is a DNS name (letters, digits, '-', '_', '.', at most 253 bytes, no
 * empty label) or an IP literal: what a node may announce. */
bool netallow_host_ok(const char *host);
/* The list in words for logs and docs ("10.0.0.0/8, *.cache.internal"), into out. */
void netallow_describe(const netallow *a, char *out, size_t cap);

#endif
