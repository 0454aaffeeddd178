/* SPDX-License-Identifier: Apache-2.0 */
/* srvconf: CONFIG GET pairs -> values. See include/srvconf.h. */
#include "srvconf.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SRVCONF_DESC(id, name, metric, help) [SRVCONF_##id] = {name, metric, help},
const srvconf_desc srvconf_table[SRVCONF_COUNT] = {SRVCONF_PARAMS(SRVCONF_DESC)};
#undef SRVCONF_DESC

const char *const srvconf_policy_names[] = {"noeviction",      "allkeys-lru",  "allkeys-lfu",
                                            "allkeys-random",  "volatile-lru", "volatile-lfu",
                                            "volatile-random", "volatile-ttl", NULL};

static bool policy_index(const char *v, double *out)
{
    for (int i = 0; srvconf_policy_names[i]; i++)
        if (strcasecmp(v, srvconf_policy_names[i]) == 0) {
            *out = i;
            return true;
        }
    return false;
}

/* "save" is "" or "3600 1 300 100 ...": pairs of seconds and changes. */
static bool save_points(const char *v, double *out)
{
    double words = 0;
    for (const char *p = v; *p;) {
        while (*p == ' ') p++;
        if (!*p) break;
        char *end;
        double x = strtod(p, &end);
        if (end == p || x < 0) return false;
        words++;
        p = end;
    }
    *out = floor(words / 2);
    return true;
}

bool srvconf_set(srvconf *c, const char *name, const char *value)
{
    if (strcasecmp(name, "slave-ignore-maxmemory") == 0) name = "replica-ignore-maxmemory";
    for (int p = 0; p < SRVCONF_COUNT; p++) {
        if (strcasecmp(name, srvconf_table[p].name) != 0) continue;
        double v;
        char *end;
        if (p == SRVCONF_MAXMEMORY_POLICY) {
            if (!policy_index(value, &v)) return false;
        } else if (strcasecmp(value, "yes") == 0) v = 1;
        else if (strcasecmp(value, "no") == 0) v = 0;
        else if (p == SRVCONF_SAVE) {
            if (!save_points(value, &v)) return false;
        } else {
            v = strtod(value, &end);
            if (end == value || *end || !isfinite(v)) return false;
        }
        c->v[p] = v;
        c->has[p] = true;
        return true;
    }
    return false;
}

bool srvconf_get(const srvconf *c, srvconf_param p, double *out)
{
    if (!c || !c->has[p]) return false;
    *out = c->v[p];
    return true;
}

/* One pasted line without its "N) " prefix, quotes and surrounding space, into out. */
static void clean_line(const char *p, const char *end, char *out, size_t cap)
{
    while (p < end && isspace((unsigned char)*p)) p++;
    while (end > p && isspace((unsigned char)end[-1])) end--;
    const char *q = p;
    while (q < end && isdigit((unsigned char)*q)) q++;
    if (q > p && q + 1 < end && q[0] == ')' && q[1] == ' ') p = q + 2;
    if (end - p >= 2 && *p == '"' && end[-1] == '"') p++, end--;
    size_t n = (size_t)(end - p) < cap - 1 ? (size_t)(end - p) : cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

int srvconf_parse_pasted(srvconf *c, const char *text, size_t len)
{
    int found = 0;
    const char *p = text, *end = text + len;
    char prev[256] = "", line[256];
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        clean_line(p, le, line, sizeof line);
        /* a value line follows its name line; a name is never also a value here */
        if (prev[0] && srvconf_set(c, prev, line)) {
            found++;
            prev[0] = '\0';
        } else {
            snprintf(prev, sizeof prev, "%s", strchr(line, ':') ? "" : line);
        }
        p = le + 1;
    }
    return found;
}

bool srvconf_read_reply(srvconf *c, const redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_STRING)
        return false;
    return srvconf_set(c, r->element[0]->str, r->element[1]->str);
}
