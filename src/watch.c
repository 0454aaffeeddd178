/* SPDX-License-Identifier: Apache-2.0 */
/* watch: pure watched-key state machine. See include/watch.h. */
#include "watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampler.h"
#include "xalloc.h"

/* The length command of each type; other types (a module's) have a memory figure only. */
static const struct {
    const char *type, *cmd;
} size_cmds[] = {
    {"list", "LLEN"}, {"stream", "XLEN"}, {"set", "SCARD"}, {"zset", "ZCARD"}, {"hash", "HLEN"}, {"string", "STRLEN"},
};

typedef struct key_state {
    watch_item item; /* key owned here */
    size_t pos;      /* its place in the configured list */
    diagnose_watched pub;
    const char *size_cmd; /* from the type; NULL: none (or not typed yet) */
    bool typed;           /* TYPE answered for the key as it is now */
    bool visited_present; /* this visit: not found missing */
    double hist_t[WATCH_HISTORY], hist_v[WATCH_HISTORY];
    size_t hist_n;
} key_state;

struct watch {
    watch_opts o;
    key_state *keys;       /* sorted by db */
    diagnose_watched *pub; /* watch_keys' list, in the configured order */
    size_t *order;         /* pub[i] is keys[order[i]] */
    size_t n;
    size_t next;               /* the next key of the round */
    size_t step_from, step_to; /* keys of the step in flight */
    size_t left;               /* replies it still waits for */
    bool step_all_new;         /* every key of it was asked TYPE only: ask again at once */
    double round_start;        /* when the round under way began; -1: wait for the next */
    double tokens, tokens_at, now;
    bool off;
    char db_arg[16];
};

/* ---- the list ---- */

static bool parse_piece(const char *p, size_t len, watch_item *it, char *err, size_t errlen)
{
    it->db = 0;
    const char *eq = memchr(p, '=', len);
    if (eq && len > 2 && p[0] == 'd' && p[1] == 'b') {
        int db = 0;
        const char *d = p + 2;
        if (d == eq) goto bad_db;
        for (; d < eq; d++) {
            if (*d < '0' || *d > '9' || db > 100000) goto bad_db;
            db = db * 10 + (*d - '0');
        }
        it->db = db;
        len -= (size_t)(eq + 1 - p);
        p = eq + 1;
    }
    if (len == 0) {
        snprintf(err, errlen, "an empty key name");
        return false;
    }
    it->key = xcalloc(1, len + 1);
    memcpy(it->key, p, len);
    it->key[len] = '\0';
    it->len = len;
    return true;
bad_db:
    snprintf(err, errlen, "'%.*s': a db is dbN (db0, db1, ...)", (int)(eq - p), p);
    return false;
}

bool watch_parse(const char *text, size_t max, watch_item **items, size_t *n, char *err, size_t errlen)
{
    *items = NULL;
    *n = 0;
    size_t cap = 0;
    const char *p = text;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (*n == max) {
            snprintf(err, errlen, "more than %zu keys", max);
            goto fail;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *items = xrealloc(*items, cap * sizeof **items);
        }
        if (!parse_piece(p, len, &(*items)[*n], err, errlen)) goto fail;
        (*n)++;
        p += len + (comma ? 1 : 0);
        if (comma && !*p) {
            snprintf(err, errlen, "an empty key name at the end");
            goto fail;
        }
    }
    return true;
fail:
    watch_items_free(*items, *n);
    *items = NULL;
    *n = 0;
    return false;
}

void watch_items_free(watch_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) free(items[i].key);
    free(items);
}

/* ---- the watcher ---- */

static int by_db(const void *a, const void *b)
{
    const key_state *x = a, *y = b;
    return x->item.db != y->item.db ? (x->item.db < y->item.db ? -1 : 1) : (x->pos < y->pos ? -1 : 1);
}

watch *watch_new(const watch_opts *o, const watch_item *items, size_t n, double now)
{
    watch *w = xcalloc(1, sizeof *w);
    w->o = *o;
    w->n = n;
    w->keys = xcalloc(n ? n : 1, sizeof *w->keys);
    w->pub = xcalloc(n ? n : 1, sizeof *w->pub);
    w->order = xcalloc(n ? n : 1, sizeof *w->order);
    for (size_t i = 0; i < n; i++) {
        key_state *k = &w->keys[i];
        k->item = items[i];
        k->item.key = xcalloc(1, items[i].len + 1);
        memcpy(k->item.key, items[i].key, items[i].len + 1);
        k->pub.db = items[i].db;
        sampler_display_name(items[i].key, items[i].len, NULL, 0, k->pub.name, sizeof k->pub.name);
        k->pos = i;
    }
    qsort(w->keys, n, sizeof *w->keys, by_db); /* steps go one db at a time */
    for (size_t i = 0; i < n; i++) w->order[w->keys[i].pos] = i;
    w->tokens_at = now;
    w->round_start = now;
    return w;
}

void watch_free(watch *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) free(w->keys[i].item.key);
    free(w->keys);
    free(w->pub);
    free(w->order);
    free(w);
}

static watch_cmd cmd(watch_reply kind, int slot, const char *verb, const key_state *k)
{
    return (watch_cmd){
        .argc = 2, .argv = {verb, k->item.key}, .lens = {strlen(verb), k->item.len}, .kind = kind, .slot = slot};
}

size_t watch_begin(watch *w, double now, watch_cmd *out, size_t cap)
{
    if (w->off || w->left > 0 || w->n == 0 || cap < WATCH_MAX_CMDS) return 0;
    w->now = now;
    w->tokens += (now - w->tokens_at) * w->o.keys_per_second;
    if (w->tokens > w->o.keys_per_second * 2) w->tokens = w->o.keys_per_second * 2;
    w->tokens_at = now;
    if (w->next == 0 && now < w->round_start) return 0; /* the next round is not due */
    if (w->tokens < 1) return 0;
    size_t want = w->tokens < WATCH_STEP_MAX_KEYS ? (size_t)w->tokens : WATCH_STEP_MAX_KEYS;
    int db = w->keys[w->next].item.db;
    snprintf(w->db_arg, sizeof w->db_arg, "%d", db);
    size_t k = 0;
    out[k++] =
        (watch_cmd){.argc = 2, .argv = {"SELECT", w->db_arg}, .lens = {6, strlen(w->db_arg)}, .kind = WATCH_SELECT};
    w->step_from = w->next;
    w->step_all_new = true;
    while (w->next < w->n && w->next - w->step_from < want && w->keys[w->next].item.db == db) {
        key_state *s = &w->keys[w->next];
        s->visited_present = true;
        if (!s->typed) {
            out[k++] = cmd(WATCH_TYPE, (int)w->next, "TYPE", s);
        } else {
            w->step_all_new = false;
            if (s->size_cmd) out[k++] = cmd(WATCH_SIZE, (int)w->next, s->size_cmd, s);
            out[k++] = (watch_cmd){.argc = 3,
                                   .argv = {"MEMORY", "USAGE", s->item.key},
                                   .lens = {6, 5, s->item.len},
                                   .kind = WATCH_MEMORY,
                                   .slot = (int)w->next};
        }
        w->next++;
    }
    w->step_to = w->next;
    w->tokens -= (double)(w->step_to - w->step_from);
    w->left = k;
    return k;
}

static key_state *slot_key(watch *w, int slot)
{
    return slot >= 0 && (size_t)slot >= w->step_from && (size_t)slot < w->step_to ? &w->keys[slot] : NULL;
}

/* The key is not there (TYPE none, MEMORY USAGE nil): no figures, no history; TYPE again
 * when it comes back (as it may, with another type). */
static void gone(key_state *k)
{
    k->visited_present = false;
    k->typed = false;
    k->size_cmd = NULL;
    k->hist_n = 0;
    k->pub.type[0] = '\0';
}

void watch_on_type(watch *w, int slot, const char *type, size_t len)
{
    key_state *k = slot_key(w, slot);
    if (!k) return;
    if (len == 4 && memcmp(type, "none", 4) == 0) {
        gone(k);
        return;
    }
    snprintf(k->pub.type, sizeof k->pub.type, "%.*s", (int)len, type);
    k->typed = true;
    k->size_cmd = NULL;
    for (size_t i = 0; i < sizeof size_cmds / sizeof size_cmds[0]; i++)
        if (strcmp(k->pub.type, size_cmds[i].type) == 0) k->size_cmd = size_cmds[i].cmd;
}

/* A new length: a point of the history every growth_window / 16 at most. */
static void remember(watch *w, key_state *k, double v)
{
    double spacing = w->o.growth_window / 16;
    if (k->hist_n > 0 && w->now - k->hist_t[k->hist_n - 1] < spacing) {
        /* too soon for a point; a drop still counts (growth must be at every point) */
        if (v < k->hist_v[k->hist_n - 1]) k->hist_v[k->hist_n - 1] = v;
        return;
    }
    if (k->hist_n == WATCH_HISTORY) {
        memmove(k->hist_t, k->hist_t + 1, (WATCH_HISTORY - 1) * sizeof k->hist_t[0]);
        memmove(k->hist_v, k->hist_v + 1, (WATCH_HISTORY - 1) * sizeof k->hist_v[0]);
        k->hist_n--;
    }
    k->hist_t[k->hist_n] = w->now;
    k->hist_v[k->hist_n++] = v;
}

void watch_on_number(watch *w, int slot, watch_reply kind, double v)
{
    key_state *k = slot_key(w, slot);
    if (!k || !k->visited_present) return;
    if (kind == WATCH_MEMORY) {
        k->pub.memory = v;
        k->pub.has_memory = true;
    } else if (kind == WATCH_SIZE) {
        k->pub.size = v;
        k->pub.has_size = true;
        remember(w, k, v);
    }
}

void watch_on_nil(watch *w, int slot)
{
    key_state *k = slot_key(w, slot);
    if (k) gone(k);
}

bool watch_on_error(watch *w, int slot, const char *msg, char *why, size_t whylen)
{
    key_state *k = slot_key(w, slot);
    if (strncmp(msg, "WRONGTYPE", 9) == 0) {
        if (k) gone(k); /* its type changed since TYPE: ask again */
        return false;
    }
    bool news = !w->off;
    w->off = true;
    /* only the error's code: the rest may quote a key */
    snprintf(why, whylen, "error reply %.*s", (int)strcspn(msg, " "), msg);
    return news;
}

/* Whether the length grew at every point over the last growth window. */
static void judge_growth(const watch *w, key_state *k)
{
    diagnose_watched *p = &k->pub;
    p->growing = false;
    size_t first = k->hist_n;
    while (first > 0 && k->hist_t[first - 1] >= w->now - w->o.growth_window) first--;
    if (first > 0) first--; /* the point at (or just before) the window's start */
    if (k->hist_n < 4 || first + 3 >= k->hist_n) return;
    double span = k->hist_t[k->hist_n - 1] - k->hist_t[first];
    if (span < w->o.growth_window * 0.9) return;
    for (size_t i = first + 1; i < k->hist_n; i++)
        if (k->hist_v[i] <= k->hist_v[i - 1]) return;
    p->growing = true;
    p->grew_from = k->hist_v[first];
    p->window = span;
}

bool watch_reply_in(watch *w)
{
    if (w->left == 0 || --w->left > 0) return false;
    bool typed_now = false;
    for (size_t i = w->step_from; i < w->step_to; i++) {
        key_state *k = &w->keys[i];
        typed_now |= k->typed;
        k->pub.present = k->visited_present && k->typed;
        if (!k->pub.present) k->pub.has_size = k->pub.has_memory = false;
        if (!k->size_cmd) k->pub.has_size = false;
        judge_growth(w, k);
    }
    /* keys seen for the first time: their figures now, not a round later (only when one
     * was found: missing keys asked again at once would hold the round there for good) */
    if (w->step_all_new && typed_now) w->next = w->step_from;
    w->step_from = w->step_to = 0;
    if (w->next == w->n) { /* a round is over: the next starts an interval after this one did */
        w->next = 0;
        w->round_start += w->o.interval;
        if (w->round_start < w->now) w->round_start = w->now;
    }
    return true;
}

void watch_abort(watch *w)
{
    w->left = 0;
    w->next = w->step_from; /* those keys are asked again */
    w->step_from = w->step_to = 0;
}

size_t watch_pending(const watch *w) { return w->left; }

bool watch_active(const watch *w) { return !w->off; }

const diagnose_watched *watch_keys(const watch *w, size_t *n)
{
    for (size_t i = 0; i < w->n; i++) w->pub[i] = w->keys[w->order[i]].pub;
    *n = w->n;
    return w->pub;
}
