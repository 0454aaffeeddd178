/* snapshot: immutable refcounted bodies and the published slot. See include/snapshot.h.
 * Threading: see the header; refcounts are C11 atomics. */
#include "snapshot.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct snapshot {
    atomic_int refs;
    char *body[SNAPSHOT_PARTS];
    size_t len[SNAPSHOT_PARTS];
    pthread_mutex_t gz_lock;          /* guards the lazily made gzip bodies */
    char *gz[SNAPSHOT_PARTS];
    size_t gz_len[SNAPSHOT_PARTS];
    bool gz_tried[SNAPSHOT_PARTS];
};

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static snapshot *slot;   /* the one published snapshot; guarded by slot_lock */

snapshot *snapshot_new(char *bodies[SNAPSHOT_PARTS], const size_t lens[SNAPSHOT_PARTS])
{
    snapshot *s = calloc(1, sizeof *s);
    if (!s) abort();
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
    return out;
}

const char *snapshot_body(snapshot *s, snapshot_part part, bool gzip, size_t *len)
{
    if (!gzip) {
        *len = s->len[part];
        return s->body[part];
    }
    pthread_mutex_lock(&s->gz_lock);
    if (!s->gz_tried[part]) {
        s->gz[part] = gzip_bytes(s->body[part], s->len[part], &s->gz_len[part]);
        s->gz_tried[part] = true;
    }
    pthread_mutex_unlock(&s->gz_lock);
    *len = s->gz_len[part];
    return s->gz[part];
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
