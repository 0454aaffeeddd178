/* SPDX-License-Identifier: Apache-2.0 */
/* topology: what Cluster nodes and Sentinels say about who is where, parsed. Pure.
 *
 * CLUSTER SHARDS (7.0+) gives the shards, each with its slots and its nodes (address,
 * TLS port, role, health); CLUSTER NODES (every version with Cluster) gives each node's
 * address, role, health and slots, and a replica's shard is its primary's. Either way a
 * shard is named by its first slot range ("0-5460"; "none" without slots): the name
 * survives a failover (the slots stay with the shard), unlike node ids, and both answers
 * give the same names. Sentinel: the master's address and the replicas' from SENTINEL
 * REPLICAS. */
#ifndef RME_TOPOLOGY_H
#define RME_TOPOLOGY_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

/* Nodes one answer may list at most (Cluster allows 1000 primaries, with replicas). */
#define TOPOLOGY_MAX_NODES 4096

typedef struct topo_node {
    char host[256];
    int port;
    bool primary;
    bool failed; /* flagged fail (not only suspected) or without an address */
    char id[41];
    char primary_id[41]; /* a replica's primary; "" for a primary */
    char shard[32];      /* the shard's first slot range, "none" without slots */
} topo_node;

/* Parses CLUSTER NODES text into out[0..cap). Returns the number of nodes, or -1 with a
 * reason in err (a line that is not a node). Nodes without an address are skipped. */
int topology_cluster_nodes(const char *text, size_t len, topo_node *out, size_t cap, char *err, size_t errlen);

/* Parses a CLUSTER SHARDS reply into out[0..cap): a node's address is its announced
 * hostname when it has one, else its ip (as with CLUSTER NODES); its port is tls-port
 * when tls and the node has one, else port. Returns the number of nodes, or -1 with a
 * reason in err when the reply does not have the shape of one. */
int topology_cluster_shards(const redisReply *r, bool tls, topo_node *out, size_t cap, char *err, size_t errlen);

/* SENTINEL GET-MASTER-ADDR-BY-NAME's reply -> host, port. -1 when it is not [ip, port]
 * (nil: the sentinel does not know the name). */
int topology_sentinel_master(const redisReply *r, topo_node *out);
/* SENTINEL REPLICAS' reply (an array of flat field/value arrays, or RESP3 maps) ->
 * out[0..cap). Returns the count, or -1 when the shape is wrong. */
int topology_sentinel_replicas(const redisReply *r, topo_node *out, size_t cap);

#endif
