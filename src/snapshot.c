/* SPDX-License-Identifier: Apache-2.0 */
/* snapshot: immutable refcounted bodies. See include/snapshot.h.
 * Threading: see the header; refcounts are C11 atomics. */
#include "snapshot.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "render.h"
#include "xalloc.h"

/* A body made after the snapshot was (the text, OpenMetrics, a gzip form): installed once
 * with a compare-and-swap by whichever serving thread made it first; a thread that lost
 * the race frees its own and takes the winner's. data NULL: gzip failed. */
typedef struct sbody {
    char *data;
    size_t len;
} sbody;

struct snapshot {
    atomic_int refs;
    const char **fresh_addr; /* sorted by fresh_until, soonest stale first */
    double *fresh_until;
    size_t n_fresh;
    char *addr_store;                         /* the copied addr strings */
    _Atomic double alive_until;               /* moved on by snapshot_keep_alive */
    _Atomic(sbody *) made[SNAPSHOT_PARTS][2]; /* [part][gzip]; NULL: not made yet */
    /* What the text is made of (snapshot_set_pieces); NULL headers = given whole. */
    snapshot_piece *headers[2]; /* per render_format */
    render_layout layout;
    snapshot_piece **pieces; /* references, one per target */
    render_piece *views;     /* the same as render_assemble takes them */
    char *names;             /* the targets' addrs, copied */
    const char **addr;       /* sorted */
    size_t n_targets;
    char *self[2]; /* the exporter's own series, per render_format */
    size_t self_len[2];
    _Atomic size_t total[2]; /* the exposition's length per render_format; 0: not counted */
    _Atomic(bool *) present; /* per family: a sample in some piece (its header is written) */
};

/* One block: this header, the offsets, then the text and a NUL. Every target keeps one,
 * so one allocation sized exactly rather than three. */
struct snapshot_piece {
    atomic_int refs;
    size_t len;
    const char *data; /* inside the block */
    render_off offs[];
};

snapshot_piece *snapshot_piece_new(const char *data, size_t len, const render_off *offs, size_t n_offs)
{
    size_t head = sizeof(snapshot_piece) + n_offs * sizeof(render_off);
    snapshot_piece *p = xcalloc(1, head + len + 1);
    atomic_init(&p->refs, 1);
    memcpy(p->offs, offs, n_offs * sizeof *offs);
    char *text = (char *)p + head;
    memcpy(text, data, len);
    p->data = text;
    p->len = len;
    return p;
}

snapshot_piece *snapshot_piece_ref(snapshot_piece *p)
{
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    return p;
}

void snapshot_piece_unref(snapshot_piece *p)
{
    if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1) return;
    free(p);
}

static int by_until(const void *a, const void *b)
{
    const snapshot_fresh *x = a, *y = b;
    return (x->until > y->until) - (x->until < y->until);
}

snapshot *snapshot_new(char *bodies[SNAPSHOT_PARTS], const size_t lens[SNAPSHOT_PARTS], const snapshot_fresh *fresh,
                       size_t n, double alive_until)
{
    snapshot *s = xcalloc(1, sizeof *s);
    atomic_init(&s->alive_until, alive_until);
    s->n_fresh = n;
    s->fresh_addr = xcalloc(n, sizeof *s->fresh_addr);
    s->fresh_until = xcalloc(n, sizeof *s->fresh_until);
    snapshot_fresh *sorted = xcalloc(n, sizeof *sorted);
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        sorted[i] = fresh[i];
        bytes += strlen(fresh[i].addr) + 1;
    }
    qsort(sorted, n, sizeof *sorted, by_until);
    s->addr_store = xcalloc(1, bytes);
    char *p = s->addr_store;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(sorted[i].addr) + 1;
        memcpy(p, sorted[i].addr, len);
        s->fresh_addr[i] = p;
        s->fresh_until[i] = sorted[i].until;
        p += len;
    }
    free(sorted);
    atomic_init(&s->refs, 1);
    for (int i = 0; i < SNAPSHOT_PARTS; i++) {
        sbody *b = NULL;
        if (bodies[i]) {
            b = xcalloc(1, sizeof *b);
            *b = (sbody){bodies[i], lens[i]};
        }
        atomic_init(&s->made[i][0], b);
        atomic_init(&s->made[i][1], NULL);
    }
    atomic_init(&s->total[0], 0);
    atomic_init(&s->total[1], 0);
    atomic_init(&s->present, NULL);
    return s;
}

void snapshot_set_pieces(snapshot *s, const snapshot_text *t)
{
    for (int f = 0; f < 2; f++) {
        s->headers[f] = snapshot_piece_ref(t->headers[f]);
        s->self[f] = t->self[f];
        s->self_len[f] = t->self_len[f];
    }
    s->layout = t->layout;
    size_t n = t->n;
    s->pieces = xcalloc(n + 1, sizeof *s->pieces);
    s->views = xcalloc(n + 1, sizeof *s->views);
    s->addr = xcalloc(n + 1, sizeof *s->addr);
    size_t bytes = 1;
    for (size_t i = 0; i < n; i++) bytes += strlen(t->addrs[i]) + 1;
    s->names = xcalloc(1, bytes);
    char *p = s->names;
    for (size_t i = 0; i < n; i++) {
        s->pieces[i] = snapshot_piece_ref(t->pieces[i]);
        s->views[i] = (render_piece){t->pieces[i]->data, t->pieces[i]->offs, false};
        size_t l = strlen(t->addrs[i]) + 1;
        memcpy(p, t->addrs[i], l);
        s->addr[i] = p;
        p += l;
    }
    s->n_targets = n;
}

static int find(const snapshot *s, const char *addr)
{
    size_t lo = 0, hi = s->n_targets;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->addr[mid], addr);
        if (c == 0) return (int)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

bool snapshot_scrape(snapshot *s, const char *addr, render_format fmt, bool down, buf *out)
{
    int i = find(s, addr);
    if (i < 0) return false;
    render_piece one = s->views[i];
    one.down = down;
    render_assemble(out, s->headers[fmt]->data, s->headers[fmt]->offs, &s->layout, &one, 1);
    render_end(out, fmt);
    return true;
}

const char *snapshot_self(const snapshot *s, render_format fmt, size_t *len)
{
    *len = s->self_len[fmt];
    return s->self[fmt];
}

/* The whole exposition in one format, the targets down[0..k) served as down. */
static void assemble(const snapshot *s, render_format fmt, const char *const *down, size_t k, buf *out)
{
    size_t total = s->self_len[fmt] + s->headers[fmt]->len + 8;
    for (size_t i = 0; i < s->n_targets; i++) total += s->pieces[i]->len;
    buf_reserve(out, total + 1);
    render_piece *views = s->views;
    if (k > 0) { /* rare (a stall since the publish): a copy with their flags set */
        views = xcalloc(s->n_targets + 1, sizeof *views);
        memcpy(views, s->views, s->n_targets * sizeof *views);
        for (size_t j = 0; j < k; j++) {
            int i = find(s, down[j]);
            if (i >= 0) views[i].down = true;
        }
    }
    render_assemble(out, s->headers[fmt]->data, s->headers[fmt]->offs, &s->layout, views, s->n_targets);
    buf_append(out, s->self[fmt], s->self_len[fmt]);
    render_end(out, fmt);
    if (views != s->views) free(views);
}

/* ---- the exposition written out as it is read ---------------------------------------- */

struct snapshot_stream {
    snapshot *s; /* a reference */
    render_format fmt;
    const bool *present; /* the snapshot's */
    size_t k, i;         /* the family, and the target next (n_targets + 1: its header) */
    int stage;           /* 0 the targets' families, 1 the exporter's own, 2 the end, 3 done */
    buf pend;            /* put together, not yet read */
    size_t pend_at;
};

/* Enough put together at once that a read of a few KiB finds it ready. */
#define STREAM_STEP 8192

/* Puts the next bytes of the exposition into st->pend. */
static void stream_step(snapshot_stream *st)
{
    const snapshot *s = st->s;
    buf_reset(&st->pend);
    st->pend_at = 0;
    while (st->pend.len < STREAM_STEP && st->stage < 3) {
        if (st->stage == 1) {
            buf_append(&st->pend, s->self[st->fmt], s->self_len[st->fmt]);
            st->stage = 2;
        } else if (st->stage == 2) {
            render_end(&st->pend, st->fmt);
            st->stage = 3;
        } else if (st->k == s->layout.n_fam) {
            st->stage = 1;
        } else if (st->i > s->n_targets) { /* the family's header, if it has samples */
            const render_off *h = s->headers[st->fmt]->offs;
            if (st->present[st->k])
                buf_append(&st->pend, s->headers[st->fmt]->data + h[st->k], h[st->k + 1] - h[st->k]);
            st->i = st->present[st->k] ? 0 : s->n_targets;
        } else if (st->i < s->n_targets) {
            render_assemble_family(&st->pend, &s->views[st->i++], st->k, &s->layout);
        } else {
            st->k++;
            st->i = s->n_targets + 1;
        }
    }
}

/* Which families have a sample in some piece: found once per snapshot by whichever
 * thread asks first (compare-and-swap, as the bodies). */
static const bool *present_of(snapshot *s)
{
    bool *p = atomic_load(&s->present);
    if (p) return p;
    bool *mine = xcalloc(s->layout.n_fam + 1, sizeof *mine);
    for (size_t k = 0; k < s->layout.n_fam; k++) mine[k] = render_family_present(s->views, s->n_targets, k, &s->layout);
    if (atomic_compare_exchange_strong(&s->present, &p, mine)) return mine;
    free(mine);
    return p;
}

size_t snapshot_length(snapshot *s, render_format fmt)
{
    if (!s->headers[0]) return 0;
    size_t total = atomic_load(&s->total[fmt]);
    if (total) return total;
    const bool *present = present_of(s);
    const render_off *h = s->headers[fmt]->offs;
    for (size_t k = 0; k < s->layout.n_fam; k++)
        if (present[k]) total += h[k + 1] - h[k];
    for (size_t i = 0; i < s->n_targets; i++) total += render_piece_length(&s->views[i], &s->layout);
    buf end;
    buf_init(&end);
    render_end(&end, fmt);
    total += s->self_len[fmt] + end.len;
    buf_free(&end);
    atomic_store(&s->total[fmt], total);
    return total;
}

snapshot_stream *snapshot_stream_new(snapshot *s, render_format fmt, size_t *total)
{
    if (!s->headers[0]) return NULL;
    snapshot_stream *st = xcalloc(1, sizeof *st);
    st->s = snapshot_ref(s);
    st->fmt = fmt;
    st->present = present_of(s);
    st->i = s->n_targets + 1;
    buf_init(&st->pend);
    *total = snapshot_length(s, fmt);
    return st;
}

size_t snapshot_stream_read(snapshot_stream *st, char *out, size_t max)
{
    size_t n = 0;
    while (n < max) {
        if (st->pend_at == st->pend.len) {
            if (st->stage == 3) break;
            stream_step(st);
            continue;
        }
        size_t take = st->pend.len - st->pend_at;
        if (take > max - n) take = max - n;
        memcpy(out + n, st->pend.data + st->pend_at, take);
        st->pend_at += take;
        n += take;
    }
    return n;
}

snapshot *snapshot_stream_free(snapshot_stream *st)
{
    if (!st) return NULL;
    snapshot *s = st->s;
    buf_free(&st->pend);
    free(st);
    return s;
}

void snapshot_assemble_down(snapshot *s, snapshot_part part, const char *const *down, size_t k, buf *out)
{
    assemble(s, part == SNAPSHOT_OPENMETRICS ? RENDER_OPENMETRICS : RENDER_TEXT, down, k, out);
}

snapshot *snapshot_ref(snapshot *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

static void sbody_free(sbody *b)
{
    if (!b) return;
    free(b->data);
    free(b);
}

static void destroy(snapshot *s)
{
    for (int i = 0; i < SNAPSHOT_PARTS; i++)
        for (int g = 0; g < 2; g++) sbody_free(atomic_load(&s->made[i][g]));
    free(atomic_load(&s->present));
    free(s->fresh_addr);
    free(s->fresh_until);
    free(s->addr_store);
    for (size_t i = 0; i < s->n_targets; i++) snapshot_piece_unref(s->pieces[i]);
    for (int f = 0; f < 2; f++) {
        snapshot_piece_unref(s->headers[f]);
        free(s->self[f]);
    }
    free(s->pieces);
    free(s->views);
    free(s->addr);
    free(s->names);
    free(s);
}

void snapshot_unref(snapshot *s)
{
    if (snapshot_let_go(s)) destroy(s);
}

bool snapshot_let_go(snapshot *s) { return s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1; }

void snapshot_free(snapshot *s) { destroy(s); }

size_t snapshot_stale(snapshot *s, double now, const char *const **addrs)
{
    /* Sorted by deadline: the stale ones are a prefix. */
    size_t lo = 0, hi = s->n_fresh;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->fresh_until[mid] < now) lo = mid + 1;
        else hi = mid;
    }
    *addrs = s->fresh_addr;
    return lo;
}

bool snapshot_alive(const snapshot *s, double now) { return now <= atomic_load(&s->alive_until); }

void snapshot_set_alive(snapshot *s, double until) { atomic_store(&s->alive_until, until); }

bool snapshot_made(snapshot *s, snapshot_part part, bool gzip) { return atomic_load(&s->made[part][gzip]) != NULL; }

/* gzip (not zlib) framing: windowBits 15 + 16. Level 6 is zlib's default trade-off; the
 * cost is paid once per snapshot, not per request. The input is in[0..n), or, with st,
 * the stream's bytes (n: their length), read a chunk at a time: no plain body is made. */
static char *gzip_bytes(snapshot_stream *st, const char *in, size_t n, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return NULL;
    uLong cap = deflateBound(&z, (uLong)n) + 32;
    char *out = malloc(cap);
    char *chunk = st ? malloc(65536) : NULL;
    if (!out || (st && !chunk)) {
        free(out);
        free(chunk);
        deflateEnd(&z);
        return NULL;
    }
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = Z_OK;
    for (size_t left = n; rc == Z_OK;) {
        size_t got = left;
        if (st) in = chunk, got = snapshot_stream_read(st, chunk, 65536);
        left -= got < left ? got : left;
        z.next_in = (Bytef *)(uintptr_t)in;
        z.avail_in = (uInt)got;
        rc = deflate(&z, got == 0 || left == 0 ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_OK && z.avail_out == 0) break; /* deflateBound held: never */
    }
    free(chunk);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    /* deflateBound is about the input's size: give the unused tail back. */
    char *fit = realloc(out, *out_len ? *out_len : 1);
    return fit ? fit : out;
}

/* Installs mine as the body unless another thread was first; returns the one that is. */
static sbody *install(snapshot *s, snapshot_part part, bool gzip, sbody *mine)
{
    sbody *expected = NULL;
    if (atomic_compare_exchange_strong(&s->made[part][gzip], &expected, mine)) return mine;
    sbody_free(mine);
    return expected;
}

const char *snapshot_body(snapshot *s, snapshot_part part, bool gzip, size_t *len)
{
    sbody *b = atomic_load(&s->made[part][gzip]);
    if (!b && !gzip && s->headers[0] && (part == SNAPSHOT_TEXT || part == SNAPSHOT_OPENMETRICS)) {
        buf t;
        buf_init(&t);
        assemble(s, part == SNAPSHOT_OPENMETRICS ? RENDER_OPENMETRICS : RENDER_TEXT, NULL, 0, &t);
        sbody *mine = xcalloc(1, sizeof *mine);
        mine->data = buf_steal(&t, &mine->len);
        b = install(s, part, false, mine);
    } else if (!b && gzip) {
        sbody *mine = xcalloc(1, sizeof *mine);
        size_t plain_len;
        snapshot_stream *st = NULL;
        if (s->headers[0] && (part == SNAPSHOT_TEXT || part == SNAPSHOT_OPENMETRICS))
            st = snapshot_stream_new(s, part == SNAPSHOT_OPENMETRICS ? RENDER_OPENMETRICS : RENDER_TEXT, &plain_len);
        if (st) {
            mine->data = gzip_bytes(st, NULL, plain_len, &mine->len);
            snapshot_unref(snapshot_stream_free(st)); /* the caller holds one too */
        } else {
            const char *plain = snapshot_body(s, part, false, &plain_len);
            if (plain) mine->data = gzip_bytes(NULL, plain, plain_len, &mine->len);
        }
        b = install(s, part, true, mine);
    }
    *len = b && b->data ? b->len : 0;
    return b ? b->data : NULL;
}
