/* SPDX-License-Identifier: Apache-2.0 */
/* discover: follows a Redis Cluster from a seed node, or a Sentinel-managed master from a
 * sentinel, and keeps the list of targets it finds.
 *
 * Cluster: CLUSTER NODES from the seed, or, when the seed does not answer, from any node
 * found before; each node becomes a target with the seed's labels, credentials and TLS,
 * plus `cluster` (the seed's address unless the seed's labels name one), `shard` (the
 * primary's first slot range) and `node_role` (primary or replica). Sentinel: the
 * master's address and its replicas (SENTINEL GET-MASTER-ADDR-BY-NAME, SENTINEL
 * REPLICAS), labelled `sentinel_master` and `node_role`. Asked again every interval and
 * soon after discover_poke (a discovered target failed: a failover or a node gone). A
 * failed refresh keeps the last list: targets never vanish because one seed is down.
 * A node is made only of an address a node may announce (a DNS name or an IP literal)
 * within the seed's allow: list (netallow.h), so no socket path and no stranger's address
 * ever gets a connection, or the seed's credentials.
 *
 * Threading: the event loop's thread only. */
#ifndef RME_DISCOVER_H
#define RME_DISCOVER_H

#include <stddef.h>

#include "target.h"
#include "tspec.h"

struct event_base;
struct evdns_base;
struct tls_client;

typedef struct discoverer discoverer;

/* Called after a refresh that changed the list. */
typedef void (*discover_changed)(discoverer *d, void *arg);

/* Starts following seed (copied; seed->discover says how). cred and tls are borrowed and
 * must outlive it (tls may be NULL for a plain seed). */
discoverer *discover_new(struct event_base *base, struct evdns_base *dns, const tspec *seed,
                         const target_credentials *cred, struct tls_client *tls, double timeout, discover_changed cb,
                         void *arg);
void discover_free(discoverer *d);
/* Asks again soon (at most once a second). */
void discover_poke(discoverer *d);
/* The targets found last (borrowed until the next refresh). */
const tspec *discover_list(const discoverer *d, size_t *n);
/* The seed as given. */
const tspec *discover_seed(const discoverer *d);
/* Addresses its nodes or sentinels named that were not connected to: outside the seed's
 * allow: (or its own scope without one), or not a host name or IP address at all. */
unsigned long long discover_refused(const discoverer *d);

#endif
