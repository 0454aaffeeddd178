/* SPDX-License-Identifier: Apache-2.0 */
/* memstats: MEMORY STATS pairs -> values. See include/memstats.h. */
#include "memstats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void memstats_begin(memstats *m)
{
    memset(m, 0, sizeof *m);
    m->known = true;
}

void memstats_set(memstats *m, const char *name, double value)
{
    if (strcmp(name, "keys.bytes-per-key") == 0) {
        m->has_bytes_per_key = true;
        m->bytes_per_key = value;
    } else if (strcmp(name, "dataset.percentage") == 0) {
        m->has_dataset_ratio = true;
        m->dataset_ratio = value / 100;
    }
}

void memstats_set_db(memstats *m, int db, const char *name, double value)
{
    if (strncmp(name, "overhead.hashtable.", 19) != 0) return;
    size_t i = 0;
    while (i < m->n_dbs && m->dbs[i].db != db) i++;
    if (i == m->n_dbs) {
        if (m->n_dbs == MEMSTATS_MAX_DBS) return;
        m->dbs[m->n_dbs].db = db;
        m->dbs[m->n_dbs++].hashtable = 0;
    }
    m->dbs[i].hashtable += value;
}

double memstats_hashtable_total(const memstats *m)
{
    double t = 0;
    for (size_t i = 0; i < m->n_dbs; i++) t += m->dbs[i].hashtable;
    return t;
}

/* A number in a MEMORY STATS reply: an integer, or a double sent as a string (RESP2). */
static bool reply_number(const redisReply *r, double *out)
{
    char *end;
    switch (r->type) {
    case REDIS_REPLY_INTEGER:
        *out = (double)r->integer;
        return true;
    case REDIS_REPLY_STRING:
        *out = strtod(r->str, &end);
        return end != r->str && *end == '\0' && isfinite(*out);
    default:
        return false;
    }
}

bool memstats_read_reply(memstats *m, const redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_ARRAY) return false;
    memstats_begin(m);
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type != REDIS_REPLY_STRING && k->type != REDIS_REPLY_STATUS) continue;
        double x;
        if (strncmp(k->str, "db.", 3) == 0 && v->type == REDIS_REPLY_ARRAY) {
            int db = atoi(k->str + 3);
            for (size_t j = 0; j + 1 < v->elements; j += 2)
                if (v->element[j]->type == REDIS_REPLY_STRING && reply_number(v->element[j + 1], &x))
                    memstats_set_db(m, db, v->element[j]->str, x);
        } else if (reply_number(v, &x)) {
            memstats_set(m, k->str, x);
        }
    }
    return true;
}
