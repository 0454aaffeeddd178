/* topology: what Cluster nodes and Sentinels say about who is where, parsed. Pure.
 *
 * CLUSTER NODES (every version with Cluster) gives each node's address, role, health and
 * slots; a replica's shard is its primary's. The shard is named by the primary's first
 * slot range ("0-5460"): it survives a failover (the slots stay with the shard), unlike
 * node ids. Sentinel: the master's address and the replicas' from SENTINEL REPLICAS. */
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
    bool failed;              /* flagged fail (not only suspected) or without an address */
    char id[41];
    char primary_id[41];      /* a replica's primary; "" for a primary */
    char shard[32];           /* the shard's first slot range, "none" without slots */
} topo_node;

/* Parses CLUSTER NODES text into out[0..cap). Returns the number of nodes, or -1 with a
 * reason in err (a line that is not a node). Nodes without an address are skipped. */
int topology_cluster_nodes(const char *text, size_t len, topo_node *out, size_t cap, char *err, size_t errlen);

/* SENTINEL GET-MASTER-ADDR-BY-NAME's reply -> host, port. -1 when it is not [ip, port]
 * (nil: the sentinel does not know the name). */
int topology_sentinel_master(const redisReply *r, topo_node *out);
/* SENTINEL REPLICAS' reply (an array of flat field/value arrays, or RESP3 maps) ->
 * out[0..cap). Returns the count, or -1 when the shape is wrong. */
int topology_sentinel_replicas(const redisReply *r, topo_node *out, size_t cap);

#endif
