/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: what servers answer the discoverer and the target beside INFO, parsed: Cluster
 * nodes and sentinels (topology.h), MEMORY STATS (memstats.h) and CONFIG GET (srvconf.h).
 * A lying or broken server controls these bytes. The first byte picks the form: even, the
 * rest is CLUSTER NODES text; odd, it is RESP read by the bounded reader, and every reply
 * goes to the CLUSTER SHARDS (plain and TLS), Sentinel, MEMORY STATS and CONFIG GET
 * decoders. Invariants: no crash, never more nodes than the room given, every node found
 * has a port in 1..65535, a non-empty host and terminated strings; MEMORY STATS keeps at
 * most its dbs and only finite figures; a CONFIG GET value taken is finite. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "memstats.h"
#include "resp.h"
#include "srvconf.h"
#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { ROOM = 16 };

static void check(const topo_node *n, int k)
{
    if (k > ROOM) abort();
    for (int i = 0; i < k; i++) {
        if (n[i].port < 1 || n[i].port > 65535 || !n[i].host[0]) abort();
        if (!memchr(n[i].host, '\0', sizeof n[i].host) || !memchr(n[i].shard, '\0', sizeof n[i].shard) ||
            !memchr(n[i].id, '\0', sizeof n[i].id) || !memchr(n[i].primary_id, '\0', sizeof n[i].primary_id))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    bool resp_form = data[0] & 1;
    data++;
    size--;
    topo_node nodes[ROOM];
    char err[200];
    if (!resp_form) {
        check(nodes, topology_cluster_nodes((const char *)data, size, nodes, ROOM, err, sizeof err));
        return 0;
    }
    resp *r = resp_new();
    resp_allow(r, size);
    resp_status st = resp_feed(r, (const char *)data, size);
    while (st == RESP_MORE) {
        redisReply *rep;
        st = resp_next(r, &rep);
        if (st != RESP_REPLY) break;
        st = RESP_MORE;
        check(nodes, topology_cluster_shards(rep, false, nodes, ROOM, err, sizeof err));
        check(nodes, topology_cluster_shards(rep, true, nodes, ROOM, err, sizeof err));
        check(nodes, topology_sentinel_replicas(rep, nodes, ROOM));
        if (topology_sentinel_master(rep, nodes) == 0) check(nodes, 1);
        memstats m;
        if (memstats_read_reply(&m, rep)) {
            if (m.n_dbs > MEMSTATS_MAX_DBS || !m.known) abort();
            if ((m.has_bytes_per_key && !isfinite(m.bytes_per_key)) || !isfinite(memstats_hashtable_total(&m))) abort();
        }
        srvconf c = {0};
        if (srvconf_read_reply(&c, rep)) {
            size_t set = 0;
            for (int p = 0; p < SRVCONF_COUNT; p++)
                if (c.has[p]) {
                    set++;
                    if (!isfinite(c.v[p])) abort();
                }
            if (set != 1) abort();
        }
        freeReplyObject(rep);
    }
    resp_free(r);
    return 0;
}
