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

struct snapshot {
    atomic_int refs;
    const char **fresh_addr; /* sorted by fresh_until, soonest stale first */
    double *fresh_until;
    size_t n_fresh;
    char *addr_store; /* the copied addr strings */
    double alive_until;
    char *body[SNAPSHOT_PARTS];
    size_t len[SNAPSHOT_PARTS];
    pthread_mutex_t gz_lock; /* guards the lazily made bodies (OpenMetrics, gzip) */
    char *gz[SNAPSHOT_PARTS];
    size_t gz_len[SNAPSHOT_PARTS];
    bool gz_tried[SNAPSHOT_PARTS];
    /* What the text is made of (snapshot_set_pieces); NULL headers = given whole. */
    snapshot_piece *headers;
    size_t n_fam;
    snapshot_piece **pieces; /* references, one per target */
    render_piece *views;     /* the same as render_assemble takes them */
    char *names;             /* the targets' addrs, copied */
    const char **addr;       /* sorted */
    size_t n_targets;
    char *self; /* the exporter's own series */
    size_t self_len;
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
        s->body[i] = bodies[i];
        s->len[i] = lens[i];
    }
    pthread_mutex_init(&s->gz_lock, NULL);
    return s;
}

void snapshot_set_pieces(snapshot *s, snapshot_piece *headers, size_t n_fam, snapshot_piece *const *pieces,
                         const char *const *addrs, size_t n, char *self, size_t self_len)
{
    s->headers = snapshot_piece_ref(headers);
    s->n_fam = n_fam;
    s->pieces = xcalloc(n + 1, sizeof *s->pieces);
    s->views = xcalloc(n + 1, sizeof *s->views);
    s->addr = xcalloc(n + 1, sizeof *s->addr);
    size_t bytes = 1;
    for (size_t i = 0; i < n; i++) bytes += strlen(addrs[i]) + 1;
    s->names = xcalloc(1, bytes);
    char *p = s->names;
    for (size_t i = 0; i < n; i++) {
        s->pieces[i] = snapshot_piece_ref(pieces[i]);
        s->views[i] = (render_piece){pieces[i]->data, pieces[i]->offs};
        size_t l = strlen(addrs[i]) + 1;
        memcpy(p, addrs[i], l);
        s->addr[i] = p;
        p += l;
    }
    s->n_targets = n;
    s->self = self;
    s->self_len = self_len;
}

bool snapshot_scrape(snapshot *s, const char *addr, buf *out)
{
    size_t lo = 0, hi = s->n_targets;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->addr[mid], addr);
        if (c == 0) {
            render_assemble(out, s->headers->data, s->headers->offs, s->n_fam, &s->views[mid], 1);
            return true;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

const char *snapshot_self(const snapshot *s, size_t *len)
{
    *len = s->self_len;
    return s->self;
}

snapshot *snapshot_ref(snapshot *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

static void destroy(snapshot *s)
{
    for (int i = 0; i < SNAPSHOT_PARTS; i++) {
        free(s->body[i]);
        free(s->gz[i]);
    }
    pthread_mutex_destroy(&s->gz_lock);
    free(s->fresh_addr);
    free(s->fresh_until);
    free(s->addr_store);
    for (size_t i = 0; i < s->n_targets; i++) snapshot_piece_unref(s->pieces[i]);
    snapshot_piece_unref(s->headers);
    free(s->pieces);
    free(s->views);
    free(s->addr);
    free(s->names);
    free(s->self);
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

const char *snapshot_body(snapshot *s, snapshot_part part, bool gzip, size_t *len)
{
    /* The text, OpenMetrics and gzip bodies may be made after creation: under the lock. */
    bool lazy = gzip || part == SNAPSHOT_OPENMETRICS || part == SNAPSHOT_TEXT;
    if (lazy) pthread_mutex_lock(&s->gz_lock);
    if (!s->body[SNAPSHOT_TEXT] && s->headers && (part == SNAPSHOT_TEXT || part == SNAPSHOT_OPENMETRICS)) {
        buf t;
        buf_init(&t);
        size_t total = s->self_len + s->headers->len;
        for (size_t i = 0; i < s->n_targets; i++) total += s->pieces[i]->len;
        buf_reserve(&t, total + 1);
        render_assemble(&t, s->headers->data, s->headers->offs, s->n_fam, s->views, s->n_targets);
        buf_append(&t, s->self, s->self_len);
        s->body[SNAPSHOT_TEXT] = buf_steal(&t, &s->len[SNAPSHOT_TEXT]);
    }
    if (!s->body[part] && part == SNAPSHOT_OPENMETRICS && s->body[SNAPSHOT_TEXT]) {
        buf om;
        buf_init(&om);
        render_openmetrics_from_text(&om, s->body[SNAPSHOT_TEXT], s->len[SNAPSHOT_TEXT]);
        s->body[part] = buf_steal(&om, &s->len[part]);
    }
    if (gzip && !s->gz_tried[part]) {
        s->gz[part] = gzip_bytes(s->body[part], s->len[part], &s->gz_len[part]);
        s->gz_tried[part] = true;
    }
    if (lazy) pthread_mutex_unlock(&s->gz_lock);
    *len = gzip ? s->gz_len[part] : s->len[part];
    return gzip ? s->gz[part] : s->body[part];
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
