/* SPDX-License-Identifier: Apache-2.0 */
/* topology: CLUSTER SHARDS, CLUSTER NODES and Sentinel replies. See include/topology.h. */
#include "topology.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits s (not NUL-terminated, n bytes) at spaces into fields[0..cap); returns the count. */
static size_t split(const char *s, size_t n, const char **f, size_t *flen, size_t cap)
{
    size_t k = 0, i = 0;
    while (i < n && k < cap) {
        while (i < n && s[i] == ' ') i++;
        if (i == n) break;
        size_t start = i;
        while (i < n && s[i] != ' ') i++;
        f[k] = s + start;
        flen[k] = i - start;
        k++;
    }
    return k;
}

static bool has_flag(const char *flags, size_t n, const char *want)
{
    size_t w = strlen(want);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && flags[j] != ',') j++;
        if (j - i == w && memcmp(flags + i, want, w) == 0) return true;
        i = j + 1;
    }
    return false;
}

/* A host as a server may announce it: printable, no spaces, no NUL (bytes a lying server
 * sends go into a label and a connect call). */
static bool host_bytes_ok(const char *h, size_t n)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)h[i] <= 0x20 || (unsigned char)h[i] == 0x7f) return false;
    return true;
}

/* "ip:port@cport[,hostname]" -> host, port; the announced hostname wins when given. */
static bool parse_node_addr(const char *a, size_t n, topo_node *o)
{
    const char *at = memchr(a, '@', n);
    if (!at) at = a + n; /* Redis 3.x: "ip:port" */
    const char *colon = NULL;
    for (const char *p = a; p < at; p++)
        if (*p == ':') colon = p;
    if (!colon || colon == a) return false;
    char port[8];
    size_t pl = (size_t)(at - colon - 1);
    if (pl == 0 || pl >= sizeof port) return false;
    memcpy(port, colon + 1, pl);
    port[pl] = '\0';
    char *end;
    long p = strtol(port, &end, 10);
    if (*end || p < 1 || p > 65535) return false;
    o->port = (int)p;
    const char *host = a, *host_end = colon;
    const char *comma = at < a + n ? memchr(at, ',', (size_t)(a + n - at)) : NULL;
    if (comma && comma + 1 < a + n) {
        host = comma + 1;
        host_end = a + n;
    }
    size_t hl = (size_t)(host_end - host);
    if (!host_bytes_ok(host, hl) || hl >= sizeof o->host) return false;
    memcpy(o->host, host, hl);
    o->host[hl] = '\0';
    return true;
}

int topology_cluster_nodes(const char *text, size_t len, topo_node *out, size_t cap, char *err, size_t errlen)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        size_t ll = j - i;
        if (ll && text[i + ll - 1] == '\r') ll--;
        const char *line = text + i;
        i = j + 1;
        if (ll == 0) continue;
        const char *f[12];
        size_t fl[12];
        size_t k = split(line, ll, f, fl, 12);
        if (k < 8 || fl[0] != 40) {
            snprintf(err, errlen, "line %zu of CLUSTER NODES is not a node", n + 1);
            return -1;
        }
        if (n == cap) break;
        topo_node *o = &out[n];
        memset(o, 0, sizeof *o);
        memcpy(o->id, f[0], 40);
        if (has_flag(f[2], fl[2], "noaddr") || !parse_node_addr(f[1], fl[1], o)) continue;
        o->primary = has_flag(f[2], fl[2], "master");
        o->failed = has_flag(f[2], fl[2], "fail") || has_flag(f[2], fl[2], "handshake");
        if (!o->primary && fl[3] == 40) memcpy(o->primary_id, f[3], 40);
        snprintf(o->shard, sizeof o->shard, "none");
        /* The first slot field: "0-5460" or "42"; migrating "[...]" entries are not slots. */
        if (k > 8 && f[8][0] != '[' && fl[8] < sizeof o->shard) {
            memcpy(o->shard, f[8], fl[8]);
            o->shard[fl[8]] = '\0';
        }
        n++;
    }
    /* A replica is in its primary's shard. */
    for (size_t a = 0; a < n; a++) {
        if (out[a].primary) continue;
        for (size_t b = 0; b < n; b++)
            if (out[b].primary && strcmp(out[b].id, out[a].primary_id) == 0)
                memcpy(out[a].shard, out[b].shard, sizeof out[a].shard); /* a != b: a replica, b a primary */
    }
    return (int)n;
}

static bool set_host_port(topo_node *o, const redisReply *host, const redisReply *port)
{
    if (!host || !port || host->type != REDIS_REPLY_STRING || !host_bytes_ok(host->str, host->len) ||
        host->len >= sizeof o->host)
        return false;
    char buf[16];
    long p;
    if (port->type == REDIS_REPLY_INTEGER) p = (long)port->integer;
    else if (port->type == REDIS_REPLY_STRING && port->len < sizeof buf) {
        memcpy(buf, port->str, port->len);
        buf[port->len] = '\0';
        char *end;
        p = strtol(buf, &end, 10);
        if (*end) return false;
    } else {
        return false;
    }
    if (p < 1 || p > 65535) return false;
    memcpy(o->host, host->str, host->len);
    o->host[host->len] = '\0';
    o->port = (int)p;
    return true;
}

int topology_sentinel_master(const redisReply *r, topo_node *out)
{
    memset(out, 0, sizeof *out);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return -1;
    if (!set_host_port(out, r->element[0], r->element[1])) return -1;
    out->primary = true;
    return 0;
}

static const redisReply *field(const redisReply *m, const char *name)
{
    for (size_t i = 0; i + 1 < m->elements; i += 2) {
        const redisReply *k = m->element[i];
        if (k && k->type == REDIS_REPLY_STRING && k->len == strlen(name) && memcmp(k->str, name, k->len) == 0)
            return m->element[i + 1];
    }
    return NULL;
}

static bool is_text(const redisReply *r, const char *s)
{
    return r && r->type == REDIS_REPLY_STRING && r->len == strlen(s) && memcmp(r->str, s, r->len) == 0;
}

static bool text_to(const redisReply *r, char *out, size_t cap)
{
    if (!r || r->type != REDIS_REPLY_STRING || r->len == 0 || r->len >= cap) return false;
    memcpy(out, r->str, r->len);
    out[r->len] = '\0';
    return true;
}

/* "0-5460" from the first pair of a shard's slots, "42" for one slot, "none" for none. */
static bool shard_name(const redisReply *slots, char *out, size_t cap)
{
    if (!slots || slots->type != REDIS_REPLY_ARRAY || slots->elements % 2) return false;
    if (slots->elements == 0) {
        snprintf(out, cap, "none");
        return true;
    }
    const redisReply *a = slots->element[0], *b = slots->element[1];
    if (a->type != REDIS_REPLY_INTEGER || b->type != REDIS_REPLY_INTEGER || a->integer < 0 || b->integer < a->integer ||
        b->integer > 16383)
        return false;
    int lo = (int)a->integer, hi = (int)b->integer; /* both within 0..16383 */
    if (lo == hi) snprintf(out, cap, "%d", lo);
    else snprintf(out, cap, "%d-%d", lo, hi);
    return true;
}

int topology_cluster_shards(const redisReply *r, bool tls, topo_node *out, size_t cap, char *err, size_t errlen)
{
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        snprintf(err, errlen, "CLUSTER SHARDS did not answer with a list");
        return -1;
    }
    size_t n = 0;
    for (size_t s = 0; s < r->elements; s++) {
        const redisReply *shard = r->element[s];
        char name[32];
        const redisReply *nodes = shard && shard->type == REDIS_REPLY_ARRAY ? field(shard, "nodes") : NULL;
        if (!nodes || nodes->type != REDIS_REPLY_ARRAY || !shard_name(field(shard, "slots"), name, sizeof name)) {
            snprintf(err, errlen, "shard %zu of CLUSTER SHARDS has no slots or nodes", s + 1);
            return -1;
        }
        for (size_t i = 0; i < nodes->elements && n < cap; i++) {
            const redisReply *m = nodes->element[i];
            if (!m || m->type != REDIS_REPLY_ARRAY) {
                snprintf(err, errlen, "a node of CLUSTER SHARDS is not a list of fields");
                return -1;
            }
            topo_node *o = &out[n];
            memset(o, 0, sizeof *o);
            const redisReply *host = field(m, "hostname");
            if (!host || host->type != REDIS_REPLY_STRING || host->len == 0) host = field(m, "ip");
            const redisReply *port = tls && field(m, "tls-port") ? field(m, "tls-port") : field(m, "port");
            if (!set_host_port(o, host, port)) continue; /* no address (yet): not a target */
            text_to(field(m, "id"), o->id, sizeof o->id);
            o->primary = is_text(field(m, "role"), "master");
            o->failed = is_text(field(m, "health"), "fail") || is_text(field(m, "health"), "failed");
            snprintf(o->shard, sizeof o->shard, "%s", name);
            n++;
        }
    }
    return (int)n;
}

int topology_sentinel_replicas(const redisReply *r, topo_node *out, size_t cap)
{
    if (!r || r->type != REDIS_REPLY_ARRAY) return -1;
    size_t n = 0;
    for (size_t i = 0; i < r->elements && n < cap; i++) {
        const redisReply *m = r->element[i];
        if (!m || m->type != REDIS_REPLY_ARRAY) return -1;
        topo_node *o = &out[n];
        memset(o, 0, sizeof *o);
        if (!set_host_port(o, field(m, "ip"), field(m, "port"))) continue;
        const redisReply *flags = field(m, "flags");
        if (flags && flags->type == REDIS_REPLY_STRING)
            o->failed = has_flag(flags->str, flags->len, "s_down") || has_flag(flags->str, flags->len, "o_down") ||
                has_flag(flags->str, flags->len, "disconnected");
        n++;
    }
    return (int)n;
}
