/* SPDX-License-Identifier: Apache-2.0 */
/* info: INFO text -> info_sample. See include/info.h. */
#include "info.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

#define INFO_DESC_NUM(id, key, metric, kind, help) [INFO_##id] = {key, sizeof key - 1, metric, kind, help},
const info_num_desc info_num_table[INFO_NUM_COUNT] = {INFO_NUMERIC_FIELDS(INFO_DESC_NUM)};
#undef INFO_DESC_NUM
#define INFO_DESC_TEXT(id, key, label) [INFO_##id] = {key, sizeof key - 1, label},
const info_text_desc info_text_table[INFO_TEXT_COUNT] = {INFO_TEXT_FIELDS(INFO_DESC_TEXT)};
#undef INFO_DESC_TEXT

void info_sample_init(info_sample *s) { memset(s, 0, sizeof *s); }

void info_sample_free(info_sample *s)
{
    free(s->dbs);
    free(s->errs);
    free(s->cmds);
    info_sample_init(s);
}

void info_sample_reset(info_sample *s)
{
    memset(s->has_num, 0, sizeof s->has_num);
    memset(s->text_at, 0, sizeof s->text_at);
    s->texts_used = 0;
    s->n_dbs = 0;
    s->n_errs = 0;
    s->n_cmds = 0;
    s->has_errorstats = false;
    s->has_keyspace = false;
    s->from_config = 0;
    s->n_known = 0;
    s->n_bad_values = 0;
}

/* Parses a whole number or decimal, optionally signed, optionally ending in '%'.
 * The value must be all of [p, end): "12abc" and "FAKE" are rejected. */
static bool parse_number(const char *p, const char *end, double *out)
{
    char tmp[64];
    size_t n = (size_t)(end - p);
    if (n > 0 && p[n - 1] == '%') n--;
    if (n == 0 || n >= sizeof tmp) return false;
    /* Most values are whole numbers: read them without strtod (exact up to 15 digits,
     * like strtod's result for them). */
    const char *q = p, *stop_at = p + n;
    bool neg = *q == '-';
    if (neg) q++;
    if (stop_at > q && stop_at - q <= 15) {
        uint64_t v = 0;
        const char *r = q;
        while (r < stop_at && *r >= '0' && *r <= '9') v = v * 10 + (uint64_t)(*r++ - '0');
        if (r == stop_at) {
            *out = neg ? -(double)v : (double)v;
            return true;
        }
    }
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    /* strtod would accept "inf", "nan" and hex; INFO has none of them. */
    for (size_t i = 0; i < n; i++) {
        char c = tmp[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) return false;
    }
    char *stop;
    double v = strtod(tmp, &stop);
    if (stop != tmp + n || !isfinite(v)) return false;
    *out = v;
    return true;
}

static bool key_is(const char *k, size_t klen, const char *name, size_t namelen)
{
    return namelen == klen && k[0] == name[0] && memcmp(k, name, klen) == 0;
}

/* The field tables by a hash of a key's length and end letters, made once per parse
 * (about a thousand instructions): a line then meets one or two candidates instead of
 * every field of both tables. Ids below INFO_NUM_COUNT are numeric fields, the rest text. */
#define KEY_BUCKETS 256
typedef struct key_index {
    short head[KEY_BUCKETS];
    short next[INFO_NUM_COUNT + INFO_TEXT_COUNT];
} key_index;

static unsigned key_bucket(const char *k, size_t klen)
{
    return ((unsigned)klen * 31u + (unsigned char)k[0] * 7u + (unsigned char)k[klen - 1] * 3u +
            (unsigned char)k[klen / 2]) &
        (KEY_BUCKETS - 1);
}

static void key_index_build(key_index *x)
{
    memset(x->head, 0xff, sizeof x->head); /* -1: empty */
    for (int id = INFO_NUM_COUNT + INFO_TEXT_COUNT - 1; id >= 0; id--) {
        const char *key = id < INFO_NUM_COUNT ? info_num_table[id].key : info_text_table[id - INFO_NUM_COUNT].key;
        size_t len = id < INFO_NUM_COUNT ? info_num_table[id].keylen : info_text_table[id - INFO_NUM_COUNT].keylen;
        unsigned b = key_bucket(key, len);
        x->next[id] = x->head[b];
        x->head[b] = (short)id;
    }
}

/* Finds "name=value" inside a comma-separated list (keyspace and errorstats lines). */
static bool subfield(const char *v, const char *end, const char *name, double *out)
{
    size_t nlen = strlen(name);
    const char *p = v;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        const char *eq = memchr(p, '=', (size_t)(item_end - p));
        if (eq && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) return parse_number(eq + 1, item_end, out);
        p = item_end + 1;
    }
    return false;
}

static void add_db(info_sample *s, const char *k, size_t klen, const char *v, const char *end)
{
    double idx;
    if (!parse_number(k + 2, k + klen, &idx) || idx < 0 || idx > 1e6 || idx != floor(idx)) return;
    if (s->n_dbs >= INFO_MAX_DBS) return;
    info_db db = {.index = (int)idx};
    if (!subfield(v, end, "keys", &db.keys)) {
        s->n_bad_values++;
        return;
    }
    db.has_expires = subfield(v, end, "expires", &db.expires);
    db.has_avg_ttl = subfield(v, end, "avg_ttl", &db.avg_ttl_ms);
    for (size_t i = 0; i < s->n_dbs; i++) {
        if (s->dbs[i].index == db.index) {
            s->dbs[i] = db;
            return;
        }
    }
    if (s->n_dbs == s->cap_dbs) {
        s->cap_dbs = s->cap_dbs ? s->cap_dbs * 2 : 16;
        s->dbs = xrealloc(s->dbs, s->cap_dbs * sizeof *s->dbs);
    }
    s->dbs[s->n_dbs++] = db;
}

static void add_errorstat(info_sample *s, const char *name, size_t nlen, const char *v, const char *end)
{
    double count;
    if (nlen == 0 || !subfield(v, end, "count", &count)) {
        s->n_bad_values++;
        return;
    }
    if (nlen >= INFO_ERRNAME_MAX) nlen = INFO_ERRNAME_MAX - 1;
    for (size_t i = 0; i < s->n_errs; i++) {
        if (strlen(s->errs[i].name) == nlen && memcmp(s->errs[i].name, name, nlen) == 0) {
            s->errs[i].count = count;
            return;
        }
    }
    if (s->n_errs >= INFO_MAX_ERRORSTATS) return;
    if (s->n_errs == s->cap_errs) {
        s->cap_errs = s->cap_errs ? s->cap_errs * 2 : 8;
        s->errs = xrealloc(s->errs, s->cap_errs * sizeof *s->errs);
    }
    info_errorstat *e = &s->errs[s->n_errs++];
    memcpy(e->name, name, nlen);
    e->name[nlen] = '\0';
    e->count = count;
}

/* Appended as it comes; info_parse sorts and keeps one line per name afterwards (a
 * search per line would cost a poll of 240 commands some 30,000 comparisons). */
static void add_cmdstat(info_sample *s, const char *name, size_t nlen, const char *v, const char *end)
{
    info_cmdstat c = {.calls = 0};
    if (nlen == 0 || nlen >= INFO_CMDNAME_MAX || !subfield(v, end, "calls", &c.calls) ||
        !subfield(v, end, "usec", &c.usec)) {
        s->n_bad_values++;
        return;
    }
    c.has_calls_split = subfield(v, end, "rejected_calls", &c.rejected) && subfield(v, end, "failed_calls", &c.failed);
    if (s->n_cmds >= INFO_MAX_CMDSTATS) return;
    if (s->n_cmds == s->cap_cmds) {
        s->cap_cmds = s->cap_cmds ? s->cap_cmds * 2 : 32;
        s->cmds = xrealloc(s->cmds, s->cap_cmds * sizeof *s->cmds);
    }
    memcpy(c.name, name, nlen);
    c.name[nlen] = '\0';
    c.usec /= 1e6; /* seconds from here on, as INFO_USEC fields */
    s->cmds[s->n_cmds++] = c;
}

static int cmp_cmd(const void *a, const void *b)
{
    const info_cmdstat *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* Sorts the commands by name and keeps one line per name (a lying server may repeat
 * one; a series twice would make the exposition invalid). */
static void unique_cmds(info_sample *s)
{
    if (s->n_cmds < 2) return;
    qsort(s->cmds, s->n_cmds, sizeof *s->cmds, cmp_cmd);
    size_t k = 0;
    for (size_t i = 0; i < s->n_cmds; i++) {
        if (k > 0 && strcmp(s->cmds[k - 1].name, s->cmds[i].name) == 0) continue;
        s->cmds[k++] = s->cmds[i];
    }
    s->n_cmds = k;
}

static bool parse_line(info_sample *s, const key_index *x, const char *k, size_t klen, const char *v, const char *end)
{
    int found = -1;
    for (int id = x->head[key_bucket(k, klen)]; id >= 0 && found < 0; id = x->next[id]) {
        if (id < INFO_NUM_COUNT ? key_is(k, klen, info_num_table[id].key, info_num_table[id].keylen)
                                : key_is(k, klen, info_text_table[id - INFO_NUM_COUNT].key,
                                         info_text_table[id - INFO_NUM_COUNT].keylen))
            found = id;
    }
    if (found >= 0 && found < INFO_NUM_COUNT) {
        int i = found;
        if (parse_number(v, end, &s->num[i])) {
            s->has_num[i] = true;
            if (info_num_table[i].kind == INFO_USEC) s->num[i] /= 1e6;
        } else {
            s->n_bad_values++;
        }
        return true;
    }
    if (found >= INFO_NUM_COUNT) {
        info_text_set(s, (info_text)(found - INFO_NUM_COUNT), v, (size_t)(end - v));
        return true;
    }
    if (klen > 2 && memcmp(k, "db", 2) == 0 && k[2] >= '0' && k[2] <= '9') {
        s->has_keyspace = true;
        add_db(s, k, klen, v, end);
        return true;
    }
    static const char errprefix[] = "errorstat_";
    size_t eplen = sizeof errprefix - 1;
    if (klen > eplen && memcmp(k, errprefix, eplen) == 0) {
        add_errorstat(s, k + eplen, klen - eplen, v, end);
        return true;
    }
    static const char cmdprefix[] = "cmdstat_";
    size_t cplen = sizeof cmdprefix - 1;
    if (klen > cplen && memcmp(k, cmdprefix, cplen) == 0) {
        add_cmdstat(s, k + cplen, klen - cplen, v, end);
        return true;
    }
    return false;
}

static bool section_is(const char *line, size_t n, const char *name)
{
    /* "# Name", tolerant of trailing spaces and letter case */
    while (n > 0 && line[n - 1] == ' ') n--;
    size_t nlen = strlen(name);
    return n == nlen + 2 && line[1] == ' ' && strncasecmp(line + 2, name, nlen) == 0;
}

static int cmp_db(const void *a, const void *b)
{
    const info_db *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

size_t info_parse(info_sample *s, const char *text, size_t len)
{
    key_index x;
    key_index_build(&x);
    size_t known = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        if (line_end > p && line_end[-1] == '\r') line_end--;
        size_t n = (size_t)(line_end - p);
        if (n == 0) {
            /* blank */
        } else if (p[0] == '#') {
            if (section_is(p, n, "Errorstats")) {
                s->has_errorstats = true;
                known++;
            } else if (section_is(p, n, "Keyspace")) {
                s->has_keyspace = true;
                known++;
            }
        } else {
            const char *colon = memchr(p, ':', n);
            if (colon && colon > p && parse_line(s, &x, p, (size_t)(colon - p), colon + 1, line_end)) known++;
        }
        p = next;
    }
    if (s->n_dbs > 1) qsort(s->dbs, s->n_dbs, sizeof *s->dbs, cmp_db);
    unique_cmds(s);
    s->n_known += known;
    return known;
}

bool info_get(const info_sample *s, info_num f, double *out)
{
    if (!s->has_num[f]) return false;
    *out = s->num[f];
    return true;
}

const char *info_text_get(const info_sample *s, info_text f)
{
    return s->text_at[f] ? s->texts + s->text_at[f] - 1 : NULL;
}

void info_text_set(info_sample *s, info_text f, const char *v, size_t n)
{
    if (n >= INFO_TEXT_MAX) n = INFO_TEXT_MAX - 1;
    /* the same value again (a server that answers each single-section INFO with every
     * section): kept where it is, so repeats cannot fill the block and push the rest out */
    const char *had = info_text_get(s, f);
    if (had && strlen(had) == n && memcmp(had, v, n) == 0) return;
    /* a new value no longer than the one it replaces takes its place */
    if (had && n <= strlen(had)) {
        char *at = s->texts + (s->text_at[f] - 1);
        memcpy(at, v, n);
        at[n] = '\0';
        return;
    }
    s->text_at[f] = 0;
    if (n + 1 > sizeof s->texts - s->texts_used) return;
    char *at = s->texts + s->texts_used;
    memcpy(at, v, n);
    at[n] = '\0';
    s->text_at[f] = (uint16_t)(s->texts_used + 1);
    s->texts_used = (uint16_t)(s->texts_used + n + 1);
}

bool info_error_count(const info_sample *s, const char *name, double *out)
{
    for (size_t i = 0; i < s->n_errs; i++) {
        if (strcmp(s->errs[i].name, name) == 0) {
            *out = s->errs[i].count;
            return true;
        }
    }
    if (s->has_errorstats) {
        *out = 0;
        return true;
    }
    return false;
}

int info_major_version(const info_sample *s)
{
    const char *v = info_text_get(s, INFO_REDIS_VERSION);
    if (!v || *v < '0' || *v > '9') return -1;
    return atoi(v);
}

bool info_server_words(const info_sample *s, char *out, size_t cap)
{
    const char *valkey = info_text_get(s, INFO_VALKEY_VERSION), *redis = info_text_get(s, INFO_REDIS_VERSION);
    if (valkey) snprintf(out, cap, "Valkey %s", valkey);
    else if (redis) snprintf(out, cap, "Redis %s", redis);
    return valkey || redis;
}
