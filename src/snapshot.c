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
    char *body[SNAPSHOT_PARTS];
    size_t len[SNAPSHOT_PARTS];
    pthread_mutex_t gz_lock;          /* guards the lazily made bodies (OpenMetrics, gzip) */
    char *gz[SNAPSHOT_PARTS];
    size_t gz_len[SNAPSHOT_PARTS];
    bool gz_tried[SNAPSHOT_PARTS];
};

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static snapshot *slot;   /* the one published snapshot; guarded by slot_lock */

snapshot *snapshot_new(char *bodies[SNAPSHOT_PARTS], const size_t lens[SNAPSHOT_PARTS])
{
    snapshot *s = xcalloc(1, sizeof *s);
    atomic_init(&s->refs, 1);
    for (int i = 0; i < SNAPSHOT_PARTS; i++) {
        s->body[i] = bodies[i];
        s->len[i] = lens[i];
    }
    pthread_mutex_init(&s->gz_lock, NULL);
    return s;
}

snapshot *snapshot_ref(snapshot *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void snapshot_unref(snapshot *s)
{
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
    for (int i = 0; i < SNAPSHOT_PARTS; i++) {
        free(s->body[i]);
        free(s->gz[i]);
    }
    pthread_mutex_destroy(&s->gz_lock);
    free(s);
}

/* gzip (not zlib) framing: windowBits 15 + 16. Level 6 is zlib's default trade-off; the
 * cost is paid once per snapshot, not per request. */
static char *gzip_bytes(const char *in, size_t n, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return NULL;
    uLong cap = deflateBound(&z, (uLong)n) + 32;
    char *out = malloc(cap);
    if (!out) { deflateEnd(&z); return NULL; }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) { free(out); return NULL; }
    /* deflateBound is about the input's size: give the unused tail back. */
    char *fit = realloc(out, *out_len ? *out_len : 1);
    return fit ? fit : out;
}

const char *snapshot_body(snapshot *s, snapshot_part part, bool gzip, size_t *len)
{
    bool lazy = gzip || part == SNAPSHOT_OPENMETRICS;   /* the only parts written after creation */
    if (lazy) pthread_mutex_lock(&s->gz_lock);
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
    pthread_mutex_unlock(&slot_lock);
    snapshot_unref(old);
}

snapshot *snapshot_current(void)
{
    pthread_mutex_lock(&slot_lock);
    snapshot *s = slot ? snapshot_ref(slot) : NULL;
    pthread_mutex_unlock(&slot_lock);
    return s;
}

void snapshot_clear(void) { snapshot_publish(NULL); }
