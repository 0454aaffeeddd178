/* memstats: MEMORY STATS pairs -> values. See include/memstats.h. */
#include "memstats.h"

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
