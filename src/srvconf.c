/* srvconf: CONFIG GET pairs -> values. See include/srvconf.h. */
#include "srvconf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SRVCONF_DESC(id, name, metric, help) [SRVCONF_##id] = {name, metric, help},
const srvconf_desc srvconf_table[SRVCONF_COUNT] = {SRVCONF_PARAMS(SRVCONF_DESC)};
#undef SRVCONF_DESC

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
        if (strcasecmp(value, "yes") == 0) v = 1;
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
