/* SPDX-License-Identifier: Apache-2.0 */
/* collector: the target set, its sources, and coalesced rendering into published
 * snapshots. See include/collector.h. */
#include "collector.h"

#include <errno.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "clusters.h"
#include "clock.h"
#include "conn.h"
#include "creds.h"
#include "discover.h"
#include "histo.h"
#include "landing.h"
#include "log.h"
#include "procstat.h"
#include "safefile.h"
#include "render.h"
#include "shard.h"
#include "snapshot.h"
#include "target.h"
#include "targets.h"
#include "tls.h"
#include "xalloc.h"

/* A target's data older than this many intervals is stale: its Redis series go away. */
#define STALE_INTERVALS 3.0
#define ALIVE_MIN_SECONDS 10.0
/* The targets file is looked at this often for changes. */
#define FILE_CHECK_SECONDS 2.0
/* ... and read once it has not changed for this long */
#define FILE_SETTLE_SECONDS 1.0
#define FILE_MAX_BYTES (64u << 20)
/* /proc/self/fd of a process with 10,000 connections is slow to list: not every publish. */
#define PROC_SECONDS 5.0

typedef struct collector collector;

/* What one target or one discovery seed connects with: its spec, the credentials
 * resolved for it, its own password file's content and its own TLS context. */
typedef struct seat {
    tspec spec;
    target_credentials cred;
    char *file_pw;         /* owned, wiped: the first line of spec.password_file (a
                                  sentinel seed: spec.sentinel_password_file) */
    struct tls_share *tls; /* one reference when spec.tls (shared by equal settings) */
} seat;

/* A TLS context for one set of per-target settings, shared by every seat that has them
 * (the nodes of one Cluster seed all do): one CA store in memory, not one per node. The
 * context borrows `cfg`, which lives here, so a spec updated in place cannot pull it away. */
typedef struct tls_share {
    config_tls cfg;
    tls_client *client; /* NULL when the settings did not load (logged) */
    size_t refs;
} tls_share;

typedef struct seed {
    seat s;
    discoverer *d;
} seed;

typedef struct entry {
    seat s;
    target *t;
    collector *c;
    seed *src;              /* the discoverer that found it, or NULL */
    snapshot_piece *piece;  /* its samples as last rendered, shared with snapshots */
    unsigned piece_version; /* the report version it was rendered from */
    bool piece_up;          /* ... and whether it was served as up */
    double own_pw_read;     /* monotonic: its own password file last re-read after a
                                  rejected AUTH */
} entry;

struct collector {
    struct event_base *base;
    struct evdns_base *dns;
    const config *cfg;
    const render_build *build;
    entry **e; /* owned, sorted by key */
    size_t n;
    seed **seeds; /* owned: one per discover: item of the targets file */
    size_t n_seeds;
    tspec *statics; /* owned: --redis.addr */
    size_t n_statics;
    safefile_id file_id; /* of the last look at it, used or refused */
    bool has_reload;     /* a targets file is configured */
    bool reload_ok;
    char reload_error[300]; /* why the last read was not used, for the landing page */
    double reload_time;     /* Unix time of the last good read */
    render_view *views;     /* reused between renders */
    snapshot_fresh *fresh;  /* likewise: the targets served as up, and until when */
    size_t views_cap;
    creds *creds;       /* owned: the one password and the map */
    tls_client *tls;    /* owned: from --tls.*, made when a TLS target first needs it */
    tls_share **shares; /* owned: contexts of per-target TLS settings in use */
    size_t n_shares;
    bool tls_failed;           /* ... and it could not be made (logged once) */
    struct event *periodic_ev; /* publishes at least once per interval */
    struct event *soon_ev;     /* coalesced publish after polls complete */
    struct event *file_ev;     /* looks at the targets file */
    bool soon_pending;
    bool started;
    double render_cost;         /* seconds the last publish took */
    double last_poll_done;      /* monotonic: the last poll of any target that finished */
    histo lateness;             /* poll lateness over all targets */
    target_gate gate;           /* --poll.max-concurrent-connects, shared by every target */
    target_ticks ticks;         /* the ticks' common timeouts, shared by every target */
    buf self[2], landing, sd;   /* render buffers, sized from the previous round (self: per
                                 render_format) */
    buf scratch;                /* one target's piece being rendered */
    render_layout layout;       /* the families of a target's series */
    render_off *offs;           /* n_fam + 2 (a piece: its families, then its labels) */
    snapshot_piece *headers[2]; /* their HELP and TYPE lines, per render_format */
    snapshot_piece **pieces;    /* per publish: the targets' pieces (sorted, as entries) */
    const char **addrs;         /* ... and their keys */
    procstat_sample proc;       /* the process's figures, read at most every PROC_SECONDS */
    double proc_at;             /* monotonic */
    bool sd_stale;              /* the target set changed: /discovery is made again */
    char *sd_text;              /* owned: the last /discovery body */
    size_t sd_len;
};

/* ---- seats: credentials and TLS of one spec ---------------------------------------- */

static void wipe_free(char *s)
{
    if (!s) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

static tls_client *global_tls(collector *c)
{
    if (c->tls || c->tls_failed) return c->tls;
    char err[600];
    c->tls = tls_client_new(&c->cfg->tls, err, sizeof err);
    if (!c->tls) {
        c->tls_failed = true;
        log_kv(LOG_ERROR, "cannot set up TLS to Redis (--tls.*); rediss:// targets fail with reason tls", "detail", err,
               NULL);
    }
    return c->tls;
}

static tls_client *seat_tls(collector *c, seat *s)
{
    if (!s->spec.addr.tls) return NULL;
    return s->spec.tls ? (s->tls ? s->tls->client : NULL) : global_tls(c);
}

static tls_share *share_get(collector *c, const config_tls *t, const char *who)
{
    for (size_t i = 0; i < c->n_shares; i++)
        if (memcmp(&c->shares[i]->cfg, t, sizeof *t) == 0) {
            c->shares[i]->refs++;
            return c->shares[i];
        }
    tls_share *sh = xcalloc(1, sizeof *sh);
    sh->cfg = *t;
    sh->refs = 1;
    char err[600];
    sh->client = tls_client_new(&sh->cfg, err, sizeof err);
    if (!sh->client)
        log_kv(LOG_ERROR, "cannot set up this target's TLS; it fails with reason tls", "addr", who, "detail", err,
               NULL);
    c->shares = xrealloc(c->shares, (c->n_shares + 1) * sizeof *c->shares);
    c->shares[c->n_shares++] = sh;
    return sh;
}

static void share_put(collector *c, tls_share *sh)
{
    if (!sh || --sh->refs > 0) return;
    for (size_t i = 0; i < c->n_shares; i++)
        if (c->shares[i] == sh) c->shares[i] = c->shares[--c->n_shares];
    tls_client_free(sh->client);
    free(sh);
}

/* Reads the spec's own password file (if any) and resolves the credentials again. A
 * discovered node (from: its seed's seat) gets what its seed resolves to, never what its
 * own address would find in the map or the one password: a node names its address itself,
 * and a lying one must not collect another server's password. */
static void seat_credentials(collector *c, seat *s, const seat *from)
{
    /* A sentinel seed with credentials of its own uses them; the masters and replicas it
     * finds get password_file (node_spec in discover.c leaves the sentinel's out). */
    const char *file = s->spec.sentinel_password_file ? s->spec.sentinel_password_file : s->spec.password_file;
    if (file) {
        char err[300];
        char *pw = config_read_password_file(file, err, sizeof err);
        if (pw) {
            wipe_free(s->file_pw);
            s->file_pw = pw;
        } else {
            log_kv(LOG_ERROR, "target password file not read; the previous password stays", "addr", tspec_key(&s->spec),
                   "detail", err, NULL);
        }
    }
    creds_resolve(c->creds, from ? &from->spec.addr : &s->spec.addr, s->file_pw, &s->cred);
    if (s->spec.sentinel_user) s->cred.user = s->spec.sentinel_user;
}

static void seat_init(collector *c, seat *s, const tspec *spec, const seat *from)
{
    memset(s, 0, sizeof *s);
    tspec_copy(&s->spec, spec);
    if (spec->tls && spec->addr.tls) s->tls = share_get(c, spec->tls, tspec_key(spec));
    seat_credentials(c, s, from);
}

static void seat_free(collector *c, seat *s)
{
    share_put(c, s->tls);
    wipe_free(s->file_pw);
    tspec_free(&s->spec);
}

/* ---- entries: one target each ------------------------------------------------------ */

static void on_poll_done(target *t, void *arg);

static entry *entry_new(collector *c, const tspec *spec, seed *src)
{
    entry *e = xcalloc(1, sizeof *e);
    e->c = c;
    e->src = src;
    seat_init(c, &e->s, spec, src ? &src->s : NULL);
    const config *cfg = c->cfg;
    target_opts o = target_opts_of(cfg, &e->s.spec.addr);
    o.spec = &e->s.spec;
    o.cred = &e->s.cred;
    o.tls = seat_tls(c, &e->s);
    o.lateness = &c->lateness;
    o.gate = &c->gate;
    o.ticks = &c->ticks;
    if (spec->keys_per_second >= 0) {
        o.sampler.keys_per_second = spec->keys_per_second;
        o.sampler_on = spec->keys_per_second > 0;
    }
    o.sampler_roles = spec->sampler_roles;
    watch_item *items = NULL;
    size_t n_items = 0;
    char why[160];
    /* the file's reader checked the format; the count is bounded by --keys.watch-max here */
    if (spec->watch && watch_parse(spec->watch, cfg->watch_max, &items, &n_items, why, sizeof why)) {
        o.watch_items = items;
        o.n_watch = n_items;
    } else if (spec->watch) {
        log_kv(LOG_WARN, "watch: not used; the target watches --keys.watch's keys", "addr", tspec_key(spec), "detail",
               why, NULL);
    }
    e->t = target_new(c->base, c->dns, &o, on_poll_done, e);
    watch_items_free(items, n_items);
    return e;
}

static void entry_free(entry *e)
{
    if (!e) return;
    snapshot_piece_unref(e->piece);
    target_free(e->t);
    seat_free(e->c, &e->s);
    free(e);
}

/* ---- the desired set and applying it ----------------------------------------------- */

typedef struct want {
    const tspec *spec;
    seed *src;
} want;

static int cmp_want(const void *a, const void *b)
{
    const want *x = a, *y = b;
    int k = strcmp(tspec_key(x->spec), tspec_key(y->spec));
    if (k) return k;
    /* The same target from several sources: the earlier source (--redis.addr, then the
     * file, then discovery) wins; its order is kept by the index. */
    return (x->spec->origin > y->spec->origin) - (x->spec->origin < y->spec->origin);
}

static void grow_views(collector *c)
{
    if (c->n <= c->views_cap && c->views) return;
    c->views_cap = c->n + c->n / 2 + 1;
    c->views = xrealloc(c->views, c->views_cap * sizeof *c->views);
    c->fresh = xrealloc(c->fresh, c->views_cap * sizeof *c->fresh);
    c->pieces = xrealloc(c->pieces, c->views_cap * sizeof *c->pieces);
    c->addrs = xrealloc(c->addrs, c->views_cap * sizeof *c->addrs);
}

/* Brings the running targets to what the sources say: new ones start, gone ones stop,
 * the rest keep their connections (a label change is applied in place). file is the
 * targets file just read; NULL: the file's targets are the running ones that came from
 * it (the file is not kept: every target would hold its spec twice). */
static void apply(collector *c, const targets_file *file)
{
    size_t cap = c->n_statics + (file ? file->n : c->n) + 1;
    for (size_t i = 0; i < c->n_seeds; i++) {
        size_t k;
        discover_list(c->seeds[i]->d, &k);
        cap += k;
    }
    want *w = xcalloc(cap, sizeof *w);
    size_t nw = 0;
    for (size_t i = 0; i < c->n_statics; i++) w[nw++] = (want){&c->statics[i], NULL};
    if (file) {
        for (size_t i = 0; i < file->n; i++)
            if (file->specs[i].discover == TSPEC_DISCOVER_NONE) w[nw++] = (want){&file->specs[i], NULL};
    } else {
        for (size_t i = 0; i < c->n; i++)
            if (c->e[i]->s.spec.origin == TSPEC_FILE) w[nw++] = (want){&c->e[i]->s.spec, NULL};
    }
    for (size_t i = 0; i < c->n_seeds; i++) {
        size_t k;
        const tspec *l = discover_list(c->seeds[i]->d, &k);
        for (size_t j = 0; j < k; j++) w[nw++] = (want){&l[j], c->seeds[i]};
    }
    /* This replica's share only. */
    const config *cfg = c->cfg;
    size_t kept = 0;
    for (size_t i = 0; i < nw; i++)
        if (shard_owner(tspec_share_key(w[i].spec), cfg->shard_count) == cfg->shard_index) w[kept++] = w[i];
    nw = kept;
    qsort(w, nw, sizeof *w, cmp_want);
    size_t u = 0;
    for (size_t i = 0; i < nw; i++)
        if (u == 0 || strcmp(tspec_key(w[u - 1].spec), tspec_key(w[i].spec)) != 0) w[u++] = w[i];
    nw = u;

    entry **next = xcalloc(nw + 1, sizeof *next);
    size_t i = 0, j = 0, added = 0, removed = 0;
    while (i < c->n || j < nw) {
        int cmp = i == c->n ? 1 : j == nw ? -1 : strcmp(tspec_key(&c->e[i]->s.spec), tspec_key(w[j].spec));
        if (cmp < 0) {
            entry_free(c->e[i++]);
            removed++;
        } else if (cmp > 0) {
            entry *e = entry_new(c, w[j].spec, w[j].src);
            if (c->started) target_start(e->t, cfg->poll_interval * (double)rand() / RAND_MAX);
            next[j++] = e;
            added++;
        } else {
            entry *e = c->e[i++];
            if (!tspec_same_target(&e->s.spec, w[j].spec)) {
                entry_free(e);
                e = entry_new(c, w[j].spec, w[j].src);
                if (c->started) target_start(e->t, 0);
            } else if (!tspec_equal(&e->s.spec, w[j].spec)) {
                /* Only labels changed: the target keeps its connection. */
                tspec_free(&e->s.spec);
                tspec_copy(&e->s.spec, w[j].spec);
                snapshot_piece_unref(e->piece); /* its series carry the new labels from now */
                e->piece = NULL;
            }
            e->src = w[j].src;
            next[j++] = e;
        }
    }
    free(c->e);
    free(w);
    c->e = next;
    c->n = nw;
    c->sd_stale = true;
    grow_views(c);
    if (c->started && (added || removed)) {
        char a[16], r[16], t[16];
        snprintf(a, sizeof a, "%zu", added);
        snprintf(r, sizeof r, "%zu", removed);
        snprintf(t, sizeof t, "%zu", nw);
        log_kv(LOG_INFO, "targets changed", "added", a, "removed", r, "targets", t, NULL);
    }
}

/* ---- discovery seeds ---------------------------------------------------------------- */

static void on_discovered(discoverer *d, void *arg)
{
    (void)d;
    apply(arg, NULL);
}

static void seed_free(collector *c, seed *s)
{
    if (!s) return;
    discover_free(s->d);
    seat_free(c, &s->s);
    free(s);
}

/* One seed per discover: item; unchanged seeds keep their discoverer (and its list). */
static void sync_seeds(collector *c, const targets_file *file)
{
    seed **next = xcalloc(file->n + 1, sizeof *next);
    size_t n = 0;
    for (size_t i = 0; i < file->n; i++) {
        const tspec *sp = &file->specs[i];
        if (sp->discover == TSPEC_DISCOVER_NONE) continue;
        /* A Cluster is another replica's: not even its seed is asked from here. */
        if (sp->discover == TSPEC_DISCOVER_CLUSTER &&
            shard_owner(tspec_share_key(sp), c->cfg->shard_count) != c->cfg->shard_index)
            continue;
        seed *found = NULL;
        for (size_t k = 0; k < c->n_seeds && !found; k++)
            if (c->seeds[k] && tspec_equal(&c->seeds[k]->s.spec, sp)) {
                found = c->seeds[k];
                c->seeds[k] = NULL;
            }
        if (!found) {
            found = xcalloc(1, sizeof *found);
            seat_init(c, &found->s, sp, NULL);
            found->d = discover_new(c->base, c->dns, &found->s.spec, &found->s.cred, seat_tls(c, &found->s),
                                    c->cfg->poll_timeout, on_discovered, c);
        }
        next[n++] = found;
    }
    for (size_t k = 0; k < c->n_seeds; k++) seed_free(c, c->seeds[k]);
    free(c->seeds);
    c->seeds = next;
    c->n_seeds = n;
}

/* ---- the targets file ---------------------------------------------------------------- */

/* Reads the targets file; a file that does not read or parse keeps the running set. The
 * identity of what was looked at is kept either way, so a refused file (one that does not
 * parse, a FIFO, one rewritten while it was read) is read again only once it changes, not
 * at every check. */
static int load_file(collector *c, bool at_start)
{
    const char *path = c->cfg->targets_file;
    char err[CONFIG_PATH_MAX + 600] = "";
    size_t len = 0;
    int rc = -1;
    targets_file parsed;
    char *text = safefile_read(path, FILE_MAX_BYTES, &len, &c->file_id, err, sizeof err);
    if (text) {
        char dir[CONFIG_PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        if (targets_parse(text, len, dirname(dir), &parsed, err, sizeof err) == 0) rc = 0;
    }
    free(text);
    c->reload_ok = rc == 0;
    if (rc != 0) {
        /* At start nothing runs yet: there is no earlier list to keep. */
        log_kv(LOG_ERROR,
               at_start ? "targets file not used; fix it and start again"
                        : "targets file not used; the running targets stay",
               "file", path, "detail", err, NULL);
        snprintf(c->reload_error, sizeof c->reload_error, "%s", err);
        return -1;
    }
    c->reload_error[0] = '\0';
    c->reload_time = clock_real();
    char n[16];
    snprintf(n, sizeof n, "%zu", parsed.n);
    log_kv(LOG_INFO, "targets file read", "file", path, "entries", n, NULL);
    sync_seeds(c, &parsed);
    apply(c, &parsed);
    targets_file_free(&parsed);
    return 0;
}

static void on_file_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    collector *c = arg;
    safefile_id now;
    if (!safefile_look(c->cfg->targets_file, &now)) {
        if (c->reload_ok) {
            c->reload_ok = false;
            log_kv(LOG_ERROR, "targets file gone; the running targets stay", "file", c->cfg->targets_file, NULL);
            snprintf(c->reload_error, sizeof c->reload_error, "the file is gone");
        }
        c->file_id.known = false;
        return;
    }
    /* A file written within the last second may be mid-rewrite (a writer that pauses between
     * writes leaves a file that reads whole and parses, with part of the list): it is read
     * at the next check, once it has settled. SIGHUP reads at once. */
    double age = clock_real() - ((double)now.mtime.tv_sec + now.mtime.tv_nsec / 1e9);
    if (!safefile_same(&now, &c->file_id) && age >= FILE_SETTLE_SECONDS) load_file(c, false);
}

/* ---- publishing ---------------------------------------------------------------------- */

/* Hands a render buffer to the snapshot, and leaves the buffer with room for a body of
 * the same size, so that the next render allocates once and nothing is copied. */
static char *take(buf *b, size_t *len)
{
    size_t hint = b->len + b->len / 8 + 256;
    char *p = buf_steal(b, len);
    buf_reserve(b, hint);
    return p;
}

/* How a target is served at `now`: up while its last poll succeeded and is recent. */
static render_view view_of(const collector *c, const entry *e, double now)
{
    const report *r = target_report(e->t);
    const report_health *h = &r->health;
    bool fresh = r->has_sample && h->last_ok && now - h->last_success_mono <= STALE_INTERVALS * c->cfg->poll_interval;
    return (render_view){
        .r = r,
        .up = fresh,
        .state = fresh ? "up" : (h->last_ok && r->has_sample ? "stale" : target_phase_name(target_get_phase(e->t))),
    };
}

/* Renders the target's piece again if its report or its freshness changed since. Called
 * when its poll completes (so the work is spread over the interval, not bunched into a
 * publish) and at publish (for a target gone stale without a poll). */
static void refresh_piece(collector *c, entry *e, const render_view *v)
{
    if (e->piece && e->piece_version == v->r->version && e->piece_up == v->up) return;
    buf_reset(&c->scratch);
    render_target_samples(&c->scratch, v, c->offs);
    /* Copied to its exact size: the scratch buffer's capacity is a power of two, nearly
     * twice a piece, and every target keeps its piece. */
    snapshot_piece_unref(e->piece);
    e->piece = snapshot_piece_new(c->scratch.data, c->scratch.len, c->offs, c->layout.n_fam + 2);
    e->piece_version = v->r->version;
    e->piece_up = v->up;
}

static void publish(collector *c)
{
    double t0 = clock_mono();
    double bound = STALE_INTERVALS * c->cfg->poll_interval;
    size_t n_fresh = 0;
    for (size_t i = 0; i < c->n; i++) {
        c->views[i] = view_of(c, c->e[i], t0);
        const report *r = c->views[i].r;
        if (c->views[i].up) c->fresh[n_fresh++] = (snapshot_fresh){r->addr, r->health.last_success_mono + bound};
    }
    if (c->proc_at == 0 || t0 - c->proc_at >= PROC_SECONDS) {
        procstat_read("/proc", &c->proc);
        c->proc_at = t0;
    }
    render_exporter ex = {.build = c->build,
                          .proc = &c->proc,
                          .lateness = &c->lateness,
                          .poll_interval = c->cfg->poll_interval,
                          .has_reload = c->has_reload,
                          .reload_ok = c->reload_ok,
                          .reload_time = c->reload_time,
                          .reload_error = c->reload_error,
                          .connect_waits = c->gate.waits};
    /* A target's piece is rendered again only when its report changed or it went from
     * fresh to stale (or back): once per poll, however often snapshots are published. */
    for (size_t i = 0; i < c->n; i++) {
        refresh_piece(c, c->e[i], &c->views[i]);
        c->pieces[i] = c->e[i]->piece;
        c->addrs[i] = c->views[i].r->addr;
    }
    render_seed_count *refused = xcalloc(c->n_seeds + 1, sizeof *refused);
    for (size_t i = 0; i < c->n_seeds; i++)
        refused[i] = (render_seed_count){tspec_key(&c->seeds[i]->s.spec), (double)discover_refused(c->seeds[i]->d)};
    ex.refused = refused;
    ex.n_refused = c->n_seeds;
    cluster_summary clusters[CLUSTERS_MAX];
    ex.n_clusters = clusters_summarise(c->views, c->n, &c->cfg->thresholds, clusters, CLUSTERS_MAX);
    ex.clusters = clusters;
    for (int f = 0; f < 2; f++) {
        buf_reset(&c->self[f]);
        render_exporter_metrics(&c->self[f], c->n, &ex, (render_format)f);
    }
    buf_reset(&c->landing);
    landing_render(&c->landing, c->views, c->n, &ex, c->cfg->telemetry_path);
    free(refused);
    if (c->sd_stale || !c->sd_text) {
        buf_reset(&c->sd);
        render_discovery(&c->sd, c->views, c->n);
        free(c->sd_text);
        c->sd_text = buf_steal(&c->sd, &c->sd_len);
        c->sd_stale = false;
    }
    char *bodies[SNAPSHOT_PARTS];
    size_t lens[SNAPSHOT_PARTS];
    bodies[SNAPSHOT_TEXT] = NULL; /* put together from the pieces when first asked for */
    lens[SNAPSHOT_TEXT] = 0;
    bodies[SNAPSHOT_OPENMETRICS] = NULL; /* likewise, with its own headers */
    lens[SNAPSHOT_OPENMETRICS] = 0;
    bodies[SNAPSHOT_LANDING] = take(&c->landing, &lens[SNAPSHOT_LANDING]);
    bodies[SNAPSHOT_DISCOVERY] = xcalloc(1, c->sd_len + 1);
    memcpy(bodies[SNAPSHOT_DISCOVERY], c->sd_text, c->sd_len);
    lens[SNAPSHOT_DISCOVERY] = c->sd_len;
    snapshot_text text = {.layout = c->layout, .pieces = c->pieces, .addrs = c->addrs, .n = c->n};
    for (int f = 0; f < 2; f++) {
        text.headers[f] = c->headers[f];
        text.self[f] = take(&c->self[f], &text.self_len[f]);
    }
    /* Publishes come at least once an interval: one overdue by much more means the loop
     * is stuck, and /healthz says so (never sooner than ALIVE_MIN_SECONDS, so that a
     * slow render with many targets is not taken for a stall). */
    double alive = bound > ALIVE_MIN_SECONDS ? bound : ALIVE_MIN_SECONDS;
    /* ... and so are polls that stopped finishing while publishing goes on (whatever the
     * cause): with targets to poll, the snapshot lives only as long past the last poll */
    double until = t0 + alive;
    if (c->n > 0) {
        if (c->last_poll_done == 0) c->last_poll_done = t0; /* the first polls are under way */
        if (c->last_poll_done + alive < until) until = c->last_poll_done + alive;
    }
    snapshot *snap = snapshot_new(bodies, lens, c->fresh, n_fresh, until);
    snapshot_set_pieces(snap, &text);
    snapshot_publish(snap);
    c->render_cost = clock_mono() - t0;
}

static void on_periodic(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    publish(arg);
}

static void on_soon(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    collector *c = arg;
    c->soon_pending = false;
    publish(c);
}

static bool same_text(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

/* Re-reads the password file, the map and every target's own password file, and counts
 * the targets whose credentials changed (copies are taken first: a reload frees what
 * the old credentials pointed into). */
static int reload_credentials(collector *c)
{
    char **before = xcalloc(2 * c->n + 1, sizeof *before);
    for (size_t i = 0; i < c->n; i++) {
        const target_credentials *t = &c->e[i]->s.cred;
        before[2 * i] = t->password ? xstrdup(t->password) : NULL;
        before[2 * i + 1] = t->user ? xstrdup(t->user) : NULL;
    }
    int rc = creds_reload(c->creds);
    size_t changed = 0;
    for (size_t i = 0; i < c->n; i++) {
        seat_credentials(c, &c->e[i]->s, c->e[i]->src ? &c->e[i]->src->s : NULL);
        const target_credentials *now = &c->e[i]->s.cred;
        changed += !same_text(before[2 * i], now->password) || !same_text(before[2 * i + 1], now->user);
        wipe_free(before[2 * i]);
        free(before[2 * i + 1]);
    }
    free(before);
    for (size_t i = 0; i < c->n_seeds; i++) seat_credentials(c, &c->seeds[i]->s, NULL);
    char n[32];
    snprintf(n, sizeof n, "%zu", changed);
    log_kv(rc == 0 ? LOG_INFO : LOG_WARN, "reload: credentials re-read", "targets_changed", n, NULL);
    return rc;
}

int collector_reload(collector *c)
{
    int rc = reload_credentials(c);
    if (c->cfg->targets_file[0] && load_file(c, false) != 0) rc = -1;
    return rc;
}

static void on_poll_done(target *t, void *arg)
{
    entry *e = arg;
    collector *c = e->c;
    const report *r = target_report(t);
    c->last_poll_done = clock_mono();
    /* A rejected password may have been rotated: read it again. A target with a password
     * file of its own re-reads only that (at most once a second each: in a fleet, one bad
     * password must not make every target's file be read); otherwise the shared ones are
     * read again, and every target re-seated on them. */
    if (r->health.last_error == POLLERR_AUTH) {
        double now = clock_mono();
        if (e->s.spec.password_file) {
            if (now - e->own_pw_read >= 1.0) {
                e->own_pw_read = now;
                seat_credentials(c, &e->s, e->src ? &e->src->s : NULL);
            }
        } else if (creds_reload_due(c->creds)) {
            reload_credentials(c);
        }
    }
    /* A discovered target that fails may have failed over or left: ask again soon. */
    if (!r->health.last_ok && e->src) discover_poke(e->src->d);
    render_view v = view_of(c, e, clock_mono());
    refresh_piece(c, e, &v);
    if (c->soon_pending) return;
    /* Coalesce: with many targets, one render covers every poll that ends in the gap.
     * The gap keeps rendering under ~5 % of a core and is never over half an interval. */
    double gap = c->render_cost * 20;
    if (gap < 0.002) gap = 0.002;
    if (gap > c->cfg->poll_interval / 2) gap = c->cfg->poll_interval / 2;
    struct timeval tv = clock_tv(gap);
    event_add(c->soon_ev, &tv);
    c->soon_pending = true;
}

collector *collector_new(struct event_base *base, const config *cfg, const render_build *build)
{
    char err[600];
    creds *cr = creds_new(cfg, err, sizeof err);
    if (!cr) {
        log_kv(LOG_ERROR, "cannot use --redis.password-map-file", "detail", err, NULL);
        return NULL;
    }
    struct evdns_base *dns = conn_resolver_new(base);
    if (!dns) {
        log_kv(LOG_ERROR, "cannot start the DNS resolver", NULL);
        creds_free(cr);
        return NULL;
    }
    collector *c = xcalloc(1, sizeof *c);
    c->base = base;
    c->dns = dns;
    c->cfg = cfg;
    c->build = build;
    c->creds = cr;
    histo_init(&c->lateness, histo_lateness_bounds, histo_lateness_n);
    c->gate.max = (unsigned)c->cfg->max_connects;
    target_ticks_init(&c->ticks, base, cfg->poll_interval);
    /* --tls.* given with a rediss:// address is checked now: a mistake stops the start. */
    for (size_t i = 0; i < cfg->n_targets; i++)
        if (cfg->targets[i].tls && !global_tls(c)) goto bad;
    c->statics = xcalloc(cfg->n_targets + 1, sizeof *c->statics);
    for (size_t i = 0; i < cfg->n_targets; i++) {
        tspec *s = &c->statics[c->n_statics++];
        s->addr = cfg->targets[i];
        s->keys_per_second = -1;
        s->origin = TSPEC_STATIC;
    }
    c->periodic_ev = event_new(base, -1, EV_PERSIST, on_periodic, c);
    c->soon_ev = evtimer_new(base, on_soon, c);
    c->file_ev = event_new(base, -1, EV_PERSIST, on_file_check, c);
    if (!c->periodic_ev || !c->soon_ev || !c->file_ev) abort();
    buf_init(&c->self[0]);
    buf_init(&c->self[1]);
    buf_init(&c->landing);
    buf_init(&c->scratch);
    buf_init(&c->sd);
    c->layout = render_target_layout();
    c->offs = xcalloc(c->layout.n_fam + 2, sizeof *c->offs);
    for (int f = 0; f < 2; f++) {
        buf h;
        buf_init(&h);
        render_target_headers(&h, c->offs, (render_format)f);
        c->headers[f] = snapshot_piece_new(h.data, h.len, c->offs, c->layout.n_fam + 1);
        buf_free(&h);
    }
    if (cfg->targets_file[0]) {
        c->has_reload = true;
        /* At start a bad file is an error, not something to keep running without. */
        if (load_file(c, true) != 0) goto bad;
    } else {
        apply(c, NULL);
    }
    return c;
bad:
    collector_free(c);
    return NULL;
}

void collector_start(collector *c)
{
    double interval = c->cfg->poll_interval;
    for (size_t i = 0; i < c->n; i++) {
        /* Spread evenly with a random offset, so that restarts of many exporters and
         * many targets in one exporter do not poll in the same millisecond. */
        double phase = interval * (((double)i + (double)rand() / RAND_MAX) / (double)c->n);
        if (c->n == 1) phase = 0;
        target_start(c->e[i]->t, phase);
    }
    c->started = true;
    struct timeval tv = clock_tv(interval);
    event_add(c->periodic_ev, &tv);
    if (c->has_reload) {
        struct timeval every = clock_tv(FILE_CHECK_SECONDS);
        event_add(c->file_ev, &every);
    }
    publish(c);
}

void collector_free(collector *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) entry_free(c->e[i]);
    free(c->e);
    for (size_t i = 0; i < c->n_seeds; i++) seed_free(c, c->seeds[i]);
    free(c->seeds);
    free(c->statics);
    free(c->views);
    free(c->fresh);
    creds_free(c->creds);
    tls_client_free(c->tls);
    free(c->shares); /* empty: every seat gave its reference back */
    if (c->periodic_ev) event_free(c->periodic_ev);
    if (c->soon_ev) event_free(c->soon_ev);
    if (c->file_ev) event_free(c->file_ev);
    evdns_base_free(c->dns, 0);
    buf_free(&c->self[0]);
    buf_free(&c->self[1]);
    buf_free(&c->landing);
    buf_free(&c->scratch);
    buf_free(&c->sd);
    free(c->sd_text);
    free(c->offs);
    snapshot_piece_unref(c->headers[0]);
    snapshot_piece_unref(c->headers[1]);
    free(c->pieces);
    free(c->addrs);
    free(c);
}
