/* SPDX-License-Identifier: Apache-2.0 */
/* snapshot: immutable refcounted bodies and the published slot. See include/snapshot.h.
 * Threading: see the header; refcounts are C11 atomics. */
#include "snapshot.h"

#include <pthread.h>
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
    char *addr_store; /* the copied addr strings */
    double alive_until;
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
    snapshot *next_dropped; /* in the dropped list (snapshot_drop); slot_lock */
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

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static snapshot *slot;    /* the one published snapshot; guarded by slot_lock */
static snapshot *dropped; /* last references dropped by serving threads; slot_lock */
static size_t n_dropped;  /* slot_lock */

static int by_until(const void *a, const void *b)
{
    const snapshot_fresh *x = a, *y = b;
    return (x->until > y->until) - (x->until < y->until);
}

snapshot *snapshot_new(char *bodies[SNAPSHOT_PARTS], const size_t lens[SNAPSHOT_PARTS], const snapshot_fresh *fresh,
                       size_t n, double alive_until)
{
    snapshot *s = xcalloc(1, sizeof *s);
    s->alive_until = alive_until;
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
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
    destroy(s);
}

void snapshot_drop(snapshot *s)
{
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
    pthread_mutex_lock(&slot_lock);
    s->next_dropped = dropped;
    dropped = s;
    n_dropped++;
    pthread_mutex_unlock(&slot_lock);
}

size_t snapshot_dropped_waiting(void)
{
    pthread_mutex_lock(&slot_lock);
    size_t n = n_dropped;
    pthread_mutex_unlock(&slot_lock);
    return n;
}

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

bool snapshot_alive(const snapshot *s, double now) { return now <= s->alive_until; }

/* gzip (not zlib) framing: windowBits 15 + 16. Level 6 is zlib's default trade-off; the
 * cost is paid once per snapshot, not per request. */
static char *gzip_bytes(const char *in, size_t n, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return NULL;
    uLong cap = deflateBound(&z, (uLong)n) + 32;
    char *out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
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
        size_t plain_len;
        const char *plain = snapshot_body(s, part, false, &plain_len);
        sbody *mine = xcalloc(1, sizeof *mine);
        if (plain) mine->data = gzip_bytes(plain, plain_len, &mine->len);
        b = install(s, part, true, mine);
    }
    *len = b && b->data ? b->len : 0;
    return b ? b->data : NULL;
}

void snapshot_publish(snapshot *s)
{
    pthread_mutex_lock(&slot_lock);
    snapshot *old = slot;
    slot = s;
    snapshot *gone = dropped;
    dropped = NULL;
    n_dropped = 0;
    pthread_mutex_unlock(&slot_lock);
    snapshot_unref(old);
    while (gone) {
        snapshot *next = gone->next_dropped;
        destroy(gone);
        gone = next;
    }
}

snapshot *snapshot_current(void)
{
    pthread_mutex_lock(&slot_lock);
    snapshot *s = slot ? snapshot_ref(slot) : NULL;
    pthread_mutex_unlock(&slot_lock);
    return s;
}

void snapshot_clear(void) { snapshot_publish(NULL); }
