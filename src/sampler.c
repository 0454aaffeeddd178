/* SPDX-License-Identifier: Apache-2.0 */
/* sampler: pure key sampler. See include/sampler.h. */
#include "sampler.h"

#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topn.h"
#include "xalloc.h"

typedef struct step_key {
    int db;
    char name[80];
    char ns[80];
    char type[16];
    double bytes;
    bool has_bytes;
    bool has_ttl;
    double ttl_s; /* seconds left, when has_ttl */
} step_key;

const double sampler_ttl_le[SAMPLER_TTL_BUCKETS] = {300, 3600, 86400, 604800, INFINITY};
const char *const sampler_ttl_le_text[SAMPLER_TTL_BUCKETS] = {"300", "3600", "86400", "604800", "+Inf"};
/* by_ttl's last slot: keys without a TTL */
#define TTL_NONE SAMPLER_TTL_BUCKETS

/* Sampled keys in a cycle: one namespace's, or all of them. */
typedef struct ns_count {
    char name[80];
    double keys, bytes, with_ttl;
    double by_ttl[SAMPLER_TTL_BUCKETS + 1]; /* bytes per TTL bucket (not cumulative), then none */
} ns_count;

/* One namespace's estimated bytes at the end of its last whole cycles, oldest first. */
typedef struct ns_history {
    char name[80];
    size_t n;
    double t[SAMPLER_GROWTH_POINTS], bytes[SAMPLER_GROWTH_POINTS];
} ns_history;

struct sampler {
    sampler_opts o;
    step_key step[SAMPLER_STEP_MAX_KEYS];
    size_t step_n;
    size_t left; /* replies the step in flight still waits for */
    int scan_db; /* db being scanned, -1 before the first step */
    int step_db; /* db the step in flight SELECTed */
    char cursor[32];
    double tokens;        /* key budget */
    double tokens_at;     /* when tokens were last topped up */
    double baseline_poll; /* a low-water mark of poll duration */
    diagnose_key cycle_top[SAMPLER_MAX_TOP_KEYS], prev_top[SAMPLER_MAX_TOP_KEYS];
    size_t n_cycle_top, n_prev_top;
    unsigned long sampled_this_run;
    bool off;
    bool cycle_ending; /* the last db's SCAN is over; its backlog is not yet sampled */
    /* Every key a SCAN reply returns is sampled: those the budget does not allow now wait
     * here (copied) for the next steps, and no new SCAN goes out before they are done. */
    char *bl_bytes; /* the key names, back to back */
    size_t bl_used, bl_cap;
    struct {
        size_t off, len;
    } bl[SAMPLER_BACKLOG_MAX];
    size_t bl_n;    /* keys in the backlog */
    size_t bl_done; /* of which sampled (steps completed) */
    size_t bl_sent; /* of which asked for (steps in flight included) */
    int bl_db;
    char db_arg[16], count_arg[16], samples_arg[16]; /* argv storage */
    /* Namespaces: this cycle's counts, and the last whole cycle's (the published ones). */
    ns_count ns_cur[SAMPLER_NS_TRACKED + 1], ns_done[SAMPLER_NS_TRACKED + 1]; /* + "(other)" */
    size_t n_ns_cur, n_ns_done;
    ns_count all_cur, all_done;              /* every key of each cycle (TTL split, basis) */
    ns_history hist[SAMPLER_NS_TRACKED + 1]; /* of the namespaces in the last whole cycle */
    size_t n_hist;
    double keys_total; /* the keyspace's size in the last INFO */
    double now;        /* the caller's time at the last sampler_begin */
    sampler_summary sum;
};

const sampler_summary sampler_none = {.active = false};

sampler *sampler_new(const sampler_opts *o, double now)
{
    sampler *s = xcalloc(1, sizeof *s);
    s->o = *o;
    if (s->o.top_n < 1) s->o.top_n = 1;
    if (s->o.top_n > SAMPLER_MAX_TOP_KEYS) s->o.top_n = SAMPLER_MAX_TOP_KEYS;
    s->scan_db = -1;
    s->tokens_at = now;
    snprintf(s->samples_arg, sizeof s->samples_arg, "%u", s->o.memory_samples);
    s->sum.active = true;
    histo_init(&s->sum.sizes, histo_key_size_bounds, histo_key_size_n);
    return s;
}

void sampler_free(sampler *s)
{
    if (!s) return;
    free(s->bl_bytes);
    free(s);
}

void sampler_display_name(const char *key, size_t len, const unsigned char *secret, size_t secret_len, char *out,
                          size_t cap)
{
    if (secret) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0;
        if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)key, len, mac, &mac_len) ||
            mac_len < 8) {
            snprintf(out, cap, "hash:unavailable"); /* never the name itself */
            return;
        }
        snprintf(out, cap, "hash:%02x%02x%02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
                 mac[6], mac[7]);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)key[i];
        if (o >= 64) {
            snprintf(out + o, cap - o, "...");
            o += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') out[o++] = (char)c;
        else o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    }
    out[o < cap ? o : cap - 1] = '\0';
}

/* Inserts k in a list sorted biggest first, keeping at most cap; a key already listed
 * takes its new size. */
static void top_insert(diagnose_key *top, size_t *n, size_t cap, const diagnose_key *k)
{
    for (size_t i = 0; i < *n; i++) {
        if (top[i].db == k->db && strcmp(top[i].name, k->name) == 0) {
            memmove(&top[i], &top[i + 1], (*n - i - 1) * sizeof *top);
            (*n)--;
            break;
        }
    }
    size_t pos = topn_make_room(top, n, cap, sizeof *top, offsetof(diagnose_key, bytes), k->bytes);
    if (pos < cap) top[pos] = *k;
}

/* The published list: the last whole cycle's keys and the current cycle's, merged. */
static void publish_top(sampler *s)
{
    s->sum.n_largest = 0;
    for (size_t i = 0; i < s->n_prev_top; i++)
        top_insert(s->sum.largest, &s->sum.n_largest, s->o.top_n, &s->prev_top[i]);
    for (size_t i = 0; i < s->n_cycle_top; i++)
        top_insert(s->sum.largest, &s->sum.n_largest, s->o.top_n, &s->cycle_top[i]);
}

static void count_into(ns_count *c, const step_key *k)
{
    size_t b = 0;
    if (!k->has_ttl) b = TTL_NONE;
    else
        while (b + 1 < SAMPLER_TTL_BUCKETS && k->ttl_s > sampler_ttl_le[b]) b++;
    c->keys += 1;
    c->bytes += k->bytes;
    c->with_ttl += k->has_ttl;
    c->by_ttl[b] += k->bytes;
}

static void count_namespace(sampler *s, const step_key *k)
{
    ns_count *c = NULL;
    for (size_t i = 0; i < s->n_ns_cur && !c; i++)
        if (strcmp(s->ns_cur[i].name, k->ns) == 0) c = &s->ns_cur[i];
    if (!c && s->n_ns_cur < SAMPLER_NS_TRACKED) {
        c = &s->ns_cur[s->n_ns_cur++];
        memset(c, 0, sizeof *c);
        snprintf(c->name, sizeof c->name, "%s", k->ns);
    }
    if (!c) { /* past the tracked ones: one shared bucket, kept last */
        c = &s->ns_cur[SAMPLER_NS_TRACKED];
        snprintf(c->name, sizeof c->name, "(other)");
    }
    count_into(c, k);
}

static int by_bytes_desc(const void *a, const void *b)
{
    double x = ((const diagnose_namespace *)a)->bytes, y = ((const diagnose_namespace *)b)->bytes;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Before a whole cycle ends, the keys seen so far stand for the keyspace; after, the
 * counts are exact (scaling them to a keyspace that grew meanwhile would make every
 * namespace look as if it grew). */
static double scale_of(const sampler *s, double basis, bool whole_cycle)
{
    return !whole_cycle && s->keys_total > basis ? s->keys_total / basis : 1;
}

static const ns_history *history_of(const sampler *s, const char *name)
{
    for (size_t i = 0; i < s->n_hist; i++)
        if (strcmp(s->hist[i].name, name) == 0) return &s->hist[i];
    return NULL;
}

/* Bytes an hour: between the last whole cycle and the oldest one within the hour before
 * it (or, when cycles take longer, the one before it). */
static bool growth_of(const ns_history *h, double *per_hour)
{
    if (!h || h->n < 2) return false;
    size_t last = h->n - 1, ref = last - 1;
    while (ref > 0 && h->t[last] - h->t[ref - 1] <= 3600) ref--;
    double dt = h->t[last] - h->t[ref];
    if (dt <= 0) return false;
    *per_hour = (h->bytes[last] - h->bytes[ref]) / dt * 3600;
    return true;
}

/* A whole cycle ended: each namespace's estimate joins its history (the oldest point
 * dropped when full); namespaces the cycle did not see are forgotten. */
static void remember_cycle(sampler *s)
{
    ns_history next[SAMPLER_NS_TRACKED + 1];
    size_t m = 0;
    for (size_t i = 0; i < SAMPLER_NS_TRACKED + 1; i++) {
        const ns_count *c = &s->ns_done[i];
        if ((i >= s->n_ns_done && i != SAMPLER_NS_TRACKED) || c->keys <= 0) continue;
        ns_history *h = &next[m++];
        const ns_history *old = history_of(s, c->name);
        if (old) *h = *old;
        else {
            memset(h, 0, sizeof *h);
            memcpy(h->name, c->name, sizeof h->name);
        }
        if (h->n == SAMPLER_GROWTH_POINTS) {
            memmove(h->t, h->t + 1, (h->n - 1) * sizeof h->t[0]);
            memmove(h->bytes, h->bytes + 1, (h->n - 1) * sizeof h->bytes[0]);
            h->n--;
        }
        h->t[h->n] = s->now;
        h->bytes[h->n++] = c->bytes;
    }
    memcpy(s->hist, next, m * sizeof next[0]);
    s->n_hist = m;
}

static void publish_ttl(sampler *s, const ns_count *all, double scale)
{
    double sum = 0;
    for (size_t b = 0; b < SAMPLER_TTL_BUCKETS; b++) {
        sum += all->by_ttl[b] * scale;
        s->sum.ttl_bytes[b] = sum;
    }
    s->sum.persistent_bytes = all->by_ttl[TTL_NONE] * scale;
    s->sum.has_ttl_bytes = true;
}

/* The published split and namespaces: the last whole cycle's counts (or this cycle's so
 * far), scaled up to the keyspace's size. */
static void publish_namespaces(sampler *s)
{
    bool done = s->all_done.keys > 0;
    const ns_count *src = done ? s->ns_done : s->ns_cur;
    size_t n = done ? s->n_ns_done : s->n_ns_cur;
    const ns_count *all = done ? &s->all_done : &s->all_cur;
    s->sum.n_namespaces = 0;
    s->sum.namespace_basis = all->keys;
    if (all->keys <= 0) return;
    double scale = scale_of(s, all->keys, done);
    publish_ttl(s, all, scale);
    diagnose_namespace list[SAMPLER_NS_TRACKED + 1];
    size_t m = 0;
    for (size_t i = 0; i < SAMPLER_NS_TRACKED + 1; i++) {
        if (i >= n && i != SAMPLER_NS_TRACKED) continue;
        if (src[i].keys <= 0) continue;
        diagnose_namespace *d = &list[m++];
        memcpy(d->name, src[i].name, sizeof d->name);
        d->keys = src[i].keys * scale;
        d->bytes = src[i].bytes * scale;
        d->ttl_ratio = src[i].with_ttl / src[i].keys;
        d->persistent_bytes = src[i].by_ttl[TTL_NONE] * scale;
        d->hour_bytes = (src[i].by_ttl[0] + src[i].by_ttl[1]) * scale;
        d->has_growth = growth_of(history_of(s, d->name), &d->growth_per_hour);
        if (!d->has_growth) d->growth_per_hour = 0;
    }
    qsort(list, m, sizeof list[0], by_bytes_desc);
    if (m > SAMPLER_MAX_NAMESPACES) m = SAMPLER_MAX_NAMESPACES;
    memcpy(s->sum.namespaces, list, m * sizeof list[0]);
    s->sum.n_namespaces = m;
}

static void keyspace_size(sampler *s, const info_sample *keyspace)
{
    double total = 0;
    for (size_t i = 0; i < keyspace->n_dbs; i++) total += keyspace->dbs[i].keys;
    s->keys_total = total;
}

static void record_key(sampler *s, const step_key *k)
{
    if (!k->has_bytes) return; /* gone between SCAN and MEMORY USAGE */
    if (s->o.ns_separator) count_namespace(s, k);
    count_into(&s->all_cur, k);
    histo_observe(&s->sum.sizes, k->bytes);
    s->sum.sampled += 1;
    s->sampled_this_run++;
    diagnose_key d = {.db = k->db, .bytes = k->bytes};
    snprintf(d.name, sizeof d.name, "%s", k->name);
    snprintf(d.type, sizeof d.type, "%s", k->type[0] ? k->type : "unknown");
    top_insert(s->cycle_top, &s->n_cycle_top, s->o.top_n, &d);
}

/* The next db with keys after `after` (-1: the first), from the last INFO keyspace. */
static int next_db(const info_sample *keyspace, int after)
{
    for (size_t i = 0; i < keyspace->n_dbs; i++)
        if (keyspace->dbs[i].index > after && keyspace->dbs[i].keys > 0) return keyspace->dbs[i].index;
    return -1;
}

static sampler_cmd cmd(sampler_reply kind, int slot, int argc, const char *const *argv, const size_t *lens)
{
    sampler_cmd c = {.argc = argc, .kind = kind, .slot = slot};
    for (int i = 0; i < argc; i++) {
        c.argv[i] = argv[i];
        c.lens[i] = lens ? lens[i] : strlen(argv[i]);
    }
    return c;
}

/* Asks for MEMORY USAGE and TYPE of the next backlog keys, as many as `want`. */
static size_t ask_backlog(sampler *s, size_t want, sampler_cmd *out, size_t cap)
{
    size_t k = 0;
    while (s->bl_sent < s->bl_n && want > 0 && s->step_n < SAMPLER_STEP_MAX_KEYS && k + 3 <= cap) {
        const char *key = s->bl_bytes + s->bl[s->bl_sent].off;
        size_t len = s->bl[s->bl_sent].len;
        s->bl_sent++;
        want--;
        step_key *sk = &s->step[s->step_n];
        memset(sk, 0, sizeof *sk);
        sk->db = s->bl_db;
        sampler_display_name(key, len, s->o.hash_keys ? s->o.hash_secret : NULL, s->o.hash_secret_len, sk->name,
                             sizeof sk->name);
        if (s->o.ns_separator) {
            /* the prefix up to the separator; a key without one is in the "" namespace */
            const char *sep = memchr(key, s->o.ns_separator, len);
            if (sep)
                sampler_display_name(key, (size_t)(sep - key), s->o.hash_keys ? s->o.hash_secret : NULL,
                                     s->o.hash_secret_len, sk->ns, sizeof sk->ns);
        }
        int slot = (int)s->step_n++;
        out[k++] =
            cmd(SAMPLER_MEMORY_USAGE, slot, 5, (const char *[]){"MEMORY", "USAGE", key, "SAMPLES", s->samples_arg},
                (const size_t[]){6, 5, len, 7, strlen(s->samples_arg)});
        out[k++] = cmd(SAMPLER_TYPE, slot, 2, (const char *[]){"TYPE", key}, (const size_t[]){4, len});
        out[k++] = cmd(SAMPLER_PTTL, slot, 2, (const char *[]){"PTTL", key}, (const size_t[]){4, len});
        s->tokens -= 1;
    }
    s->left += k;
    return k;
}

/* Keys this step may ask for: the budget's whole tokens (the doctor has no budget). */
static size_t allowance(const sampler *s)
{
    if (s->o.one_shot) return SAMPLER_STEP_MAX_KEYS;
    return s->tokens >= 1 ? (size_t)s->tokens : 1;
}

size_t sampler_begin(sampler *s, const info_sample *keyspace, double poll_duration, double now, sampler_cmd *out,
                     size_t cap)
{
    if (s->off || s->left > 0 || cap < 4) return 0;
    keyspace_size(s, keyspace);
    s->now = now;
    double burst = s->o.keys_per_second * 2;
    s->tokens += (now - s->tokens_at) * s->o.keys_per_second;
    if (s->tokens > burst) s->tokens = burst;
    s->tokens_at = now;
    if (!s->o.one_shot) {
        /* Back off while Redis answers slowly: sampling must never add to a problem. */
        if (s->baseline_poll == 0 || poll_duration < s->baseline_poll) s->baseline_poll = poll_duration;
        else s->baseline_poll *= 1.01;
        if (poll_duration > 0.005 && poll_duration > 3 * s->baseline_poll) return 0;
        if (s->tokens < 1) return 0;
    }
    s->step_n = 0;
    if (s->bl_sent < s->bl_n) { /* keys from an earlier SCAN first */
        snprintf(s->db_arg, sizeof s->db_arg, "%d", s->bl_db);
        out[0] = cmd(SAMPLER_SELECT, 0, 2, (const char *[]){"SELECT", s->db_arg}, NULL);
        s->left = 1;
        return 1 + ask_backlog(s, allowance(s), out + 1, cap - 1);
    }
    if (s->scan_db < 0) {
        s->scan_db = next_db(keyspace, -1);
        strcpy(s->cursor, "0");
        if (s->scan_db < 0) { /* empty keyspace: a cycle with nothing in it */
            s->sum.cycle_done = true;
            return 0;
        }
    }
    size_t want = allowance(s);
    if (want > SAMPLER_STEP_MAX_KEYS) want = SAMPLER_STEP_MAX_KEYS;
    snprintf(s->db_arg, sizeof s->db_arg, "%d", s->scan_db);
    snprintf(s->count_arg, sizeof s->count_arg, "%zu", want);
    s->step_db = s->scan_db;
    s->left = 2;
    out[0] = cmd(SAMPLER_SELECT, 0, 2, (const char *[]){"SELECT", s->db_arg}, NULL);
    out[1] = cmd(SAMPLER_SCAN, 0, 4, (const char *[]){"SCAN", s->cursor, "COUNT", s->count_arg}, NULL);
    return 2;
}

size_t sampler_on_scan(sampler *s, const info_sample *keyspace, const char *cursor, size_t cursor_len,
                       const sampler_name *keys, size_t n, sampler_cmd *out, size_t cap)
{
    snprintf(s->cursor, sizeof s->cursor, "%.*s", (int)cursor_len, cursor);
    keyspace_size(s, keyspace);
    if (strcmp(s->cursor, "0") == 0) {
        int next = next_db(keyspace, s->scan_db);
        if (next < 0) s->cycle_ending = true; /* ends once these keys are sampled too */
        s->scan_db = next;
    }
    /* The backlog is empty here (no SCAN goes out before it is): take every key. */
    s->bl_n = s->bl_done = s->bl_sent = s->bl_used = 0;
    s->bl_db = s->step_db;
    for (size_t i = 0; i < n; i++) {
        if (s->bl_n == SAMPLER_BACKLOG_MAX) {
            s->sum.skipped += (double)(n - i); /* only a server lying about COUNT gets here */
            break;
        }
        if (s->bl_used + keys[i].len > s->bl_cap) {
            s->bl_cap = (s->bl_used + keys[i].len) * 2;
            s->bl_bytes = xrealloc(s->bl_bytes, s->bl_cap);
        }
        memcpy(s->bl_bytes + s->bl_used, keys[i].s, keys[i].len);
        s->bl[s->bl_n].off = s->bl_used;
        s->bl[s->bl_n].len = keys[i].len;
        s->bl_used += keys[i].len;
        s->bl_n++;
    }
    return ask_backlog(s, allowance(s), out, cap);
}

void sampler_on_bytes(sampler *s, int slot, double bytes)
{
    if (slot < 0 || (size_t)slot >= s->step_n) return;
    s->step[slot].bytes = bytes;
    s->step[slot].has_bytes = true;
}

void sampler_on_type(sampler *s, int slot, const char *type, size_t len)
{
    if (slot < 0 || (size_t)slot >= s->step_n) return;
    snprintf(s->step[slot].type, sizeof s->step[slot].type, "%.*s", (int)len, type);
}

void sampler_on_ttl(sampler *s, int slot, double ms)
{
    if (slot < 0 || (size_t)slot >= s->step_n) return;
    s->step[slot].has_ttl = ms >= 0;
    s->step[slot].ttl_s = ms / 1000;
}

bool sampler_on_error(sampler *s, const char *why)
{
    bool news = !s->off;
    s->off = true;
    s->sum.active = false;
    if (news) snprintf(s->sum.off_reason, sizeof s->sum.off_reason, "%s", why && *why ? why : "an error");
    return news;
}

bool sampler_reply_in(sampler *s)
{
    if (s->left == 0) return false;
    if (--s->left > 0) return false;
    for (size_t i = 0; i < s->step_n; i++) record_key(s, &s->step[i]);
    s->step_n = 0;
    s->bl_done = s->bl_sent;
    if (s->bl_done == s->bl_n && s->cycle_ending) {
        /* A whole cycle over every db, every key sampled: it becomes the reference list. */
        memcpy(s->prev_top, s->cycle_top, sizeof s->prev_top);
        s->n_prev_top = s->n_cycle_top;
        s->n_cycle_top = 0;
        memcpy(s->ns_done, s->ns_cur, sizeof s->ns_done);
        s->n_ns_done = s->n_ns_cur;
        s->all_done = s->all_cur;
        memset(s->ns_cur, 0, sizeof s->ns_cur);
        memset(&s->all_cur, 0, sizeof s->all_cur);
        s->n_ns_cur = 0;
        remember_cycle(s);
        s->sum.cycle_done = true;
        s->cycle_ending = false;
    }
    publish_top(s);
    publish_namespaces(s);
    return true;
}

void sampler_abort_step(sampler *s)
{
    s->left = 0;
    s->step_n = 0;
    s->bl_sent = s->bl_done; /* the keys asked for but not answered are asked again */
}

size_t sampler_pending(const sampler *s) { return s->left; }

bool sampler_wants_more(const sampler *s, bool poll_in_flight)
{
    if (s->off || s->left > 0) return false;
    if (s->o.one_shot) {
        bool enough = s->o.max_keys && s->sampled_this_run >= s->o.max_keys;
        return (!s->sum.cycle_done || s->bl_sent < s->bl_n) && !enough;
    }
    return s->tokens >= 1 && !poll_in_flight;
}

const sampler_summary *sampler_get_summary(const sampler *s) { return &s->sum; }

diagnose_ttl_split sampler_ttl_split(const sampler_summary *sum)
{
    return (diagnose_ttl_split){.known = sum->has_ttl_bytes,
                                .hour_bytes = sum->ttl_bytes[SAMPLER_TTL_HOUR],
                                .ttl_bytes = sum->ttl_bytes[SAMPLER_TTL_BUCKETS - 1],
                                .persistent_bytes = sum->persistent_bytes};
}
