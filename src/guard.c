/* SPDX-License-Identifier: Apache-2.0 */
/* guard: HTTP connection deadlines and reserved capacity. See include/guard.h. */
#include "guard.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "hash.h"
#include "xalloc.h"

size_t guard_pick(guard_entry *e, size_t n, double now, const guard_limits *l)
{
    size_t marked = 0, open = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].cut) continue;
        double limit = e[i].phase == GUARD_WAITING ? l->waiting
            : e[i].phase == GUARD_READING          ? l->reading
                                                   : l->answering;
        if (now - e[i].since > limit) {
            e[i].cut = true;
            marked++;
        } else {
            open++;
        }
    }
    size_t keep = l->max > l->reserve ? l->max - l->reserve : 0;
    for (size_t i = 0; i < n && open > keep; i++) {
        if (e[i].cut || e[i].phase == GUARD_ANSWERING) continue;
        e[i].cut = true;
        marked++;
        open--;
    }
    return marked;
}

long guard_client_victim(const guard_entry *e, size_t n, unsigned long long client, size_t per_client)
{
    if (per_client == 0) return -1;
    size_t held = 0;
    long oldest = -1;
    for (size_t i = 0; i < n; i++) {
        if (e[i].cut || e[i].client != client) continue;
        held++;
        if (oldest < 0 && e[i].phase != GUARD_ANSWERING) oldest = (long)i;
    }
    if (held < per_client) return -1;
    return oldest >= 0 ? oldest : (long)n;
}

struct guard_conn {
    guard_entry e;
    int fd;
    guard_conn *prev, *next; /* accept order: head is the oldest */
};

struct guard {
    guard_limits l;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t reaper;
    bool stopping;
    guard_conn *head, *tail;
    size_t n;
    guard_entry *scratch; /* reaper's copy for guard_pick */
    size_t scratch_cap;
};

static void reap(guard *g)
{
    if (g->n > g->scratch_cap) {
        g->scratch_cap = g->n * 2;
        g->scratch = xrealloc(g->scratch, g->scratch_cap * sizeof *g->scratch);
    }
    size_t i = 0;
    for (guard_conn *c = g->head; c; c = c->next) g->scratch[i++] = c->e;
    if (guard_pick(g->scratch, g->n, clock_mono(), &g->l) == 0) return;
    i = 0;
    for (guard_conn *c = g->head; c; c = c->next, i++) {
        if (g->scratch[i].cut && !c->e.cut) {
            c->e.cut = true;
            shutdown(c->fd, SHUT_RDWR);
        }
    }
}

static void *reaper_main(void *arg)
{
    guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&g->wake, &g->lock, &ts);
        if (!g->stopping) reap(g);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

guard *guard_new(const guard_limits *l)
{
    guard *g = xcalloc(1, sizeof *g);
    g->l = *l;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    if (pthread_create(&g->reaper, NULL, reaper_main, g) != 0) {
        pthread_mutex_destroy(&g->lock);
        pthread_cond_destroy(&g->wake);
        free(g);
        return NULL;
    }
    return g;
}

void guard_free(guard *g)
{
    if (!g) return;
    pthread_mutex_lock(&g->lock);
    g->stopping = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->reaper, NULL);
    while (g->head) guard_close(g, g->head);
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->wake);
    free(g->scratch);
    free(g);
}

/* At the client's limit: cut its oldest idle connection, or the new one. Holds g->lock. */
static void make_room(guard *g, guard_conn *c)
{
    if (g->n > g->scratch_cap) {
        g->scratch_cap = g->n * 2 + 8;
        g->scratch = xrealloc(g->scratch, g->scratch_cap * sizeof *g->scratch);
    }
    size_t i = 0;
    for (guard_conn *o = g->head; o; o = o->next) g->scratch[i++] = o->e;
    long v = guard_client_victim(g->scratch, g->n, c->e.client, g->l.per_client);
    if (v < 0) return;
    guard_conn *cut = c;
    if ((size_t)v < g->n) {
        cut = g->head;
        for (long k = 0; k < v; k++) cut = cut->next;
    }
    cut->e.cut = true;
    shutdown(cut->fd, SHUT_RDWR);
}

guard_conn *guard_open(guard *g, int fd, const char *client)
{
    guard_conn *c = xcalloc(1, sizeof *c);
    c->fd = fd;
    c->e.phase = GUARD_WAITING;
    c->e.since = clock_mono();
    c->e.client = hash_text(client);
    pthread_mutex_lock(&g->lock);
    make_room(g, c);
    c->prev = g->tail;
    if (g->tail) g->tail->next = c;
    else g->head = c;
    g->tail = c;
    g->n++;
    pthread_mutex_unlock(&g->lock);
    return c;
}

void guard_move(guard *g, guard_conn *c, guard_phase p)
{
    double now = clock_mono();
    pthread_mutex_lock(&g->lock);
    c->e.phase = p;
    c->e.since = now;
    pthread_mutex_unlock(&g->lock);
}

void guard_close(guard *g, guard_conn *c)
{
    if (!c) return;
    pthread_mutex_lock(&g->lock);
    if (c->prev) c->prev->next = c->next;
    else g->head = c->next;
    if (c->next) c->next->prev = c->prev;
    else g->tail = c->prev;
    g->n--;
    pthread_mutex_unlock(&g->lock);
    free(c);
}
