/* SPDX-License-Identifier: Apache-2.0 */
/* discover: Cluster and Sentinel discovery over conn. See include/discover.h. */
#include "discover.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conn.h"
#include "hash.h"
#include "log.h"
#include "topology.h"
#include "xalloc.h"

#define CLUSTER_INTERVAL 10.0 /* seconds between refreshes of a Cluster's nodes */
#define SENTINEL_INTERVAL 2.0 /* a failover should show within a few seconds */
#define POKE_MIN_GAP 1.0
#define MAX_REPLY_BYTES (8u << 20)
#define REFUSED_LOGGED 64 /* refused addresses remembered for logging once each */

enum { K_AUTH, K_SHARDS, K_NODES, K_MASTER, K_REPLICAS };

struct discoverer {
    struct event_base *base;
    struct evdns_base *dns;
    tspec seed;
    const target_credentials *cred;
    struct tls_client *tls;
    double timeout, interval;
    discover_changed cb;
    void *arg;
    conn *c;
    config_target via; /* the node being asked this time */
    struct event *tick_ev, *deadline_ev;
    double last_refresh;
    unsigned attempt; /* which candidate (seed, then known nodes) */
    tspec *list;      /* owned: what was found last */
    size_t n;
    topo_node master; /* sentinel: the master, until the replicas answer */
    bool have_master;
    bool logged_failure;
    bool no_shards;                            /* CLUSTER SHARDS refused (before 7.0, or an ACL): NODES */
    netallow allow;                            /* where its nodes may be: the seed's allow:, or its scope */
    unsigned long long refused;                /* addresses named outside it (or not an address at all) */
    unsigned long long logged[REFUSED_LOGGED]; /* hashes of the ones logged, so each is once */
    size_t n_logged;
};

static void schedule(discoverer *d, double after)
{
    struct timeval tv = clock_tv(after);
    event_add(d->tick_ev, &tv);
}

static void finish(discoverer *d)
{
    conn_free(d->c);
    d->c = NULL;
    event_del(d->deadline_ev);
}

static void failed(discoverer *d, const char *why)
{
    if (!d->logged_failure)
        log_kv(LOG_WARN, "discovery failed; the last list stays", "seed", tspec_key(&d->seed), "via", d->via.label,
               "detail", why, NULL);
    d->logged_failure = true;
    finish(d);
    d->attempt++;
    /* A Cluster's next candidate soon; the same one again after the interval. */
    bool next = d->seed.discover == TSPEC_DISCOVER_CLUSTER && d->attempt % (unsigned)(d->n + 1) != 0;
    schedule(d, next ? 0.2 : d->interval);
}

/* Counts an address a node or sentinel named where discovery may not go, and logs it once
 * (with who named it: the node the exporter asked). */
static void refuse(discoverer *d, const topo_node *n, const char *why)
{
    d->refused++;
    char where[300];
    snprintf(where, sizeof where, "%s:%d", n->host, n->port);
    unsigned long long h = hash_text(where);
    for (size_t i = 0; i < d->n_logged; i++)
        if (d->logged[i] == h) return;
    if (d->n_logged < REFUSED_LOGGED) d->logged[d->n_logged++] = h;
    char allowed[400];
    netallow_describe(&d->allow, allowed, sizeof allowed);
    log_kv(LOG_WARN, "discovery: an address named outside allow: is not connected to", "seed", tspec_key(&d->seed),
           "named_by", d->via.label, "address", where, "detail", why, "allow", allowed, NULL);
}

/* Makes the spec of a found node from the seed's; false (nothing made) when the address
 * it announces is not one this exporter can take or may go to. */
static bool node_spec(discoverer *d, const topo_node *n, tspec *out)
{
    char addr[300], why[160];
    config_target t;
    /* a DNS name or an IP literal, and where the seed allows: never a socket path, never
     * a stranger's address (it would get the seed's password) */
    if (!netallow_host_ok(n->host)) {
        refuse(d, n, "not a host name or an IP address");
        return false;
    }
    if (!netallow_permits(&d->allow, n->host)) {
        refuse(d, n, "outside allow:");
        return false;
    }
    bool v6 = strchr(n->host, ':') != NULL;
    snprintf(addr, sizeof addr, "%s%s%s:%d", v6 ? "[" : "", n->host, v6 ? "]" : "", n->port);
    if (config_parse_target(addr, &t, why, sizeof why) != 0) return false;
    tspec_copy(out, &d->seed);
    out->discover = TSPEC_DISCOVER_NONE;
    free(out->master);
    out->master = NULL;
    free(out->sentinel_user);
    out->sentinel_user = NULL;
    free(out->sentinel_password_file);
    out->sentinel_password_file = NULL;
    free(out->allow);
    out->allow = NULL;
    /* The node's address as the one address parser made it (label included), with the
     * seed's scheme and user. */
    out->addr = t;
    out->addr.tls = d->seed.addr.tls;
    snprintf(out->addr.user, sizeof out->addr.user, "%s", d->seed.addr.user);
    if (d->seed.discover == TSPEC_DISCOVER_CLUSTER) {
        out->origin = TSPEC_CLUSTER;
        if (!tspec_label_value(out, "cluster")) tspec_set_label(out, "cluster", tspec_key(&d->seed));
        tspec_set_label(out, "shard", n->shard);
    } else {
        out->origin = TSPEC_SENTINEL;
        tspec_set_label(out, "sentinel_master", d->seed.master);
    }
    tspec_set_label(out, "node_role", n->primary ? "primary" : "replica");
    return true;
}

static bool same_list(const tspec *a, size_t na, const tspec *b, size_t nb)
{
    if (na != nb) return false;
    for (size_t i = 0; i < na; i++)
        if (!tspec_equal(&a[i], &b[i])) return false;
    return true;
}

static void replace_list(discoverer *d, const topo_node *nodes, size_t n)
{
    tspec *list = xcalloc(n + 1, sizeof *list);
    size_t made = 0;
    for (size_t i = 0; i < n; i++) made += node_spec(d, &nodes[i], &list[made]);
    n = made;
    bool changed = !same_list(list, n, d->list, d->n);
    for (size_t i = 0; i < d->n; i++) tspec_free(&d->list[i]);
    free(d->list);
    d->list = list;
    d->n = n;
    if (d->logged_failure) log_kv(LOG_INFO, "discovery works again", "seed", tspec_key(&d->seed), NULL);
    d->logged_failure = false;
    d->attempt = 0;
    finish(d);
    schedule(d, d->interval);
    if (changed) {
        char k[16];
        snprintf(k, sizeof k, "%zu", n);
        log_kv(LOG_INFO, "discovered", "seed", tspec_key(&d->seed), "targets", k, NULL);
        d->cb(d, d->arg);
    }
}

static void ask(discoverer *d, int argc, const char **argv, int kind)
{
    conn_send(d->c, argc, argv, NULL, (conn_tag){.kind = (unsigned short)kind});
}

/* Room for a reply's nodes: as many as it names, never more than TOPOLOGY_MAX_NODES (the
 * parsers stop there). Made per reply and freed after: a discoverer keeps only its list. */
static size_t room(size_t named) { return named < 1 ? 1 : named > TOPOLOGY_MAX_NODES ? TOPOLOGY_MAX_NODES : named; }

/* How many nodes a CLUSTER SHARDS reply lists (0 when it has another shape). */
static size_t shard_nodes(const redisReply *r)
{
    size_t n = 0;
    if (r->type != REDIS_REPLY_ARRAY) return 0;
    for (size_t s = 0; s < r->elements; s++) {
        const redisReply *sh = r->element[s];
        if (!sh || sh->type != REDIS_REPLY_ARRAY) continue;
        for (size_t i = 0; i + 1 < sh->elements; i += 2)
            if (sh->element[i]->type == REDIS_REPLY_STRING && strcmp(sh->element[i]->str, "nodes") == 0 &&
                sh->element[i + 1]->type == REDIS_REPLY_ARRAY)
                n += sh->element[i + 1]->elements;
    }
    return n;
}

static void on_reply(void *arg, conn_tag tag, redisReply *r)
{
    discoverer *d = arg;
    char why[200];
    if (r->type == REDIS_REPLY_ERROR && tag.kind == K_SHARDS &&
        (strncmp(r->str, "ERR unknown", 11) == 0 || strncmp(r->str, "NOPERM", 6) == 0)) {
        /* Before 7.0 (unknown subcommand), or an ACL without it: CLUSTER NODES says the
         * same, from now on for this seed. */
        d->no_shards = true;
        log_kv(LOG_INFO, "CLUSTER SHARDS refused; asking CLUSTER NODES", "seed", tspec_key(&d->seed), "via",
               d->via.label, NULL);
        ask(d, 2, (const char *[]){"CLUSTER", "NODES"}, K_NODES);
        return;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        /* A sentinel without a password refuses AUTH: that is no reason to stop. */
        if (tag.kind == K_AUTH && strstr(r->str, "without any password configured")) return;
        snprintf(why, sizeof why, "%.*s", (int)(strcspn(r->str, " ") < 40 ? strcspn(r->str, " ") : 40), r->str);
        failed(d, tag.kind == K_AUTH ? "authentication rejected" : why);
        return;
    }
    switch (tag.kind) {
    case K_AUTH:
        return;
    case K_SHARDS: {
        size_t cap = room(shard_nodes(r));
        topo_node *nodes = xcalloc(cap, sizeof *nodes);
        int n = topology_cluster_shards(r, d->seed.addr.tls, nodes, cap, why, sizeof why);
        if (n <= 0) failed(d, n < 0 ? why : "no node");
        else replace_list(d, nodes, (size_t)n);
        free(nodes);
        return;
    }
    case K_NODES: {
        if (r->type != REDIS_REPLY_STRING) {
            failed(d, "CLUSTER NODES did not answer with text");
            return;
        }
        size_t lines = 1;
        for (const char *p = r->str; (p = memchr(p, '\n', (size_t)(r->str + r->len - p))) != NULL; p++) lines++;
        size_t cap = room(lines);
        topo_node *nodes = xcalloc(cap, sizeof *nodes);
        int n = topology_cluster_nodes(r->str, r->len, nodes, cap, why, sizeof why);
        if (n <= 0) failed(d, n < 0 ? why : "no node");
        else replace_list(d, nodes, (size_t)n);
        free(nodes);
        return;
    }
    case K_MASTER:
        d->have_master = topology_sentinel_master(r, &d->master) == 0;
        if (!d->have_master) failed(d, "the sentinel does not know this master");
        return;
    case K_REPLICAS: {
        if (!d->have_master) return;
        size_t cap = room((r->type == REDIS_REPLY_ARRAY ? r->elements : 0) + 1);
        topo_node *nodes = xcalloc(cap, sizeof *nodes);
        nodes[0] = d->master;
        int n = topology_sentinel_replicas(r, nodes + 1, cap - 1);
        if (n < 0) failed(d, "SENTINEL REPLICAS has an unexpected shape");
        else replace_list(d, nodes, (size_t)n + 1);
        free(nodes);
        return;
    }
    }
}

static void on_event(void *arg, conn_event ev, const char *detail)
{
    discoverer *d = arg;
    if (ev == CONN_CONNECTED) return;
    char why[200];
    /* say what happened, as a poll does (an oversized reply was "connection lost") */
    static const char *const what[] = {[CONN_CONNECT_FAILED] = "cannot connect",
                                       [CONN_CLOSED] = "connection lost",
                                       [CONN_TLS] = "TLS",
                                       [CONN_PROTOCOL] = "not a RESP reply",
                                       [CONN_TOO_LARGE] = "reply too large (over 8 MiB)",
                                       [CONN_UNEXPECTED] = "data nobody asked for"};
    const char *kind = (size_t)ev < sizeof what / sizeof what[0] && what[ev] ? what[ev] : "connection lost";
    snprintf(why, sizeof why, "%s%s%s", kind, detail && *detail ? ": " : "", detail ? detail : "");
    failed(d, why);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    failed(arg, "no answer in time");
}

static void refresh(discoverer *d)
{
    if (d->c) return; /* one at a time */
    d->last_refresh = clock_mono();
    /* The seed first; after a failure the nodes found before, one by one (Cluster only:
     * a sentinel's replicas are not sentinels). */
    unsigned k = d->seed.discover == TSPEC_DISCOVER_CLUSTER ? d->attempt % (unsigned)(d->n + 1) : 0;
    d->via = k == 0 ? d->seed.addr : d->list[k - 1].addr;
    static const conn_handlers h = {on_reply, on_event};
    d->c = conn_open(d->base, d->dns, &d->via, d->tls, &h, d);
    conn_allow_bytes(d->c, MAX_REPLY_BYTES);
    /* The addr's user@ wins, but not over a sentinel's own user (sentinel_user:). */
    const char *user = d->seed.sentinel_user && d->cred ? d->cred->user
        : d->via.user[0]                                ? d->via.user
        : d->cred                                       ? d->cred->user
                                                        : NULL;
    if (d->cred && d->cred->password && d->cred->password[0]) {
        if (user && *user) ask(d, 3, (const char *[]){"AUTH", user, d->cred->password}, K_AUTH);
        else ask(d, 2, (const char *[]){"AUTH", d->cred->password}, K_AUTH);
    }
    if (d->seed.discover == TSPEC_DISCOVER_CLUSTER) {
        if (d->no_shards) ask(d, 2, (const char *[]){"CLUSTER", "NODES"}, K_NODES);
        else ask(d, 2, (const char *[]){"CLUSTER", "SHARDS"}, K_SHARDS);
    } else {
        d->have_master = false;
        ask(d, 3, (const char *[]){"SENTINEL", "GET-MASTER-ADDR-BY-NAME", d->seed.master}, K_MASTER);
        ask(d, 3, (const char *[]){"SENTINEL", "REPLICAS", d->seed.master}, K_REPLICAS);
    }
    struct timeval tv = clock_tv(d->timeout);
    event_add(d->deadline_ev, &tv);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    refresh(arg);
}

discoverer *discover_new(struct event_base *base, struct evdns_base *dns, const tspec *seed,
                         const target_credentials *cred, struct tls_client *tls, double timeout, discover_changed cb,
                         void *arg)
{
    discoverer *d = xcalloc(1, sizeof *d);
    d->base = base;
    d->dns = dns;
    tspec_copy(&d->seed, seed);
    d->cred = cred;
    d->tls = tls;
    d->timeout = timeout < 2 ? 2 : timeout;
    d->interval = seed->discover == TSPEC_DISCOVER_CLUSTER ? CLUSTER_INTERVAL : SENTINEL_INTERVAL;
    d->cb = cb;
    d->arg = arg;
    if (seed->allow) d->allow = *seed->allow;
    else netallow_default(&d->allow, seed->addr.kind == CONFIG_ADDR_UNIX ? "127.0.0.1" : seed->addr.host);
    d->tick_ev = evtimer_new(base, on_tick, d);
    d->deadline_ev = evtimer_new(base, on_deadline, d);
    if (!d->tick_ev || !d->deadline_ev) abort();
    schedule(d, 0);
    return d;
}

void discover_free(discoverer *d)
{
    if (!d) return;
    conn_free(d->c);
    event_free(d->tick_ev);
    event_free(d->deadline_ev);
    for (size_t i = 0; i < d->n; i++) tspec_free(&d->list[i]);
    free(d->list);
    tspec_free(&d->seed);
    free(d);
}

void discover_poke(discoverer *d)
{
    if (d->c) return;
    double wait = d->last_refresh + POKE_MIN_GAP - clock_mono();
    schedule(d, wait > 0 ? wait : 0);
}

const tspec *discover_list(const discoverer *d, size_t *n)
{
    *n = d->n;
    return d->list;
}

const tspec *discover_seed(const discoverer *d) { return &d->seed; }

unsigned long long discover_refused(const discoverer *d) { return d->refused; }
