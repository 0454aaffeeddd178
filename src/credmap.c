/* SPDX-License-Identifier: Apache-2.0 */
/* credmap: the JSON password map (jansson). See include/credmap.h. */
#include "credmap.h"

#include <jansson.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fmt.h"
#include "xalloc.h"

/* jansson copies every string it parses: its blocks carry their size in front so that
 * they can be wiped when freed. */
#define HEADER alignof(max_align_t)

static void *wiping_malloc(size_t n)
{
    if (n > (size_t)-1 - HEADER) return NULL;
    unsigned char *p = malloc(n + HEADER);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    return p + HEADER;
}

static void wiping_free(void *q)
{
    if (!q) return;
    unsigned char *p = (unsigned char *)q - HEADER;
    size_t n;
    memcpy(&n, p, sizeof n);
    explicit_bzero(p, n + HEADER);
    free(p);
}

void credmap_free(credmap *m)
{
    for (size_t i = 0; i < m->n; i++) {
        if (!m->e[i].password) continue;
        explicit_bzero(m->e[i].password, strlen(m->e[i].password));
        free(m->e[i].password);
    }
    free(m->e);
    m->e = NULL;
    m->n = 0;
}

int credmap_parse(const char *text, size_t len, credmap *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    json_set_alloc_funcs(wiping_malloc, wiping_free);
    json_error_t je;
    /* jansson's message quotes the text near the error, which may be a password: only
     * the position is told. */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) return fmt_error(err, errlen, "not valid JSON (line %d, column %d)", je.line, je.column);
    int rc = -1;
    if (!json_is_object(root)) {
        fmt_error(err, errlen, "expected an object {\"redis://host:port\": \"password\", ...}");
        goto out;
    }
    m->e = xcalloc(json_object_size(root) + 1, sizeof *m->e);
    const char *key;
    json_t *value;
    size_t k = 0;
    json_object_foreach(root, key, value)
    {
        k++;
        credmap_entry *e = &m->e[m->n];
        char why[200];
        if (config_parse_target(key, &e->where, why, sizeof why)) {
            fmt_error(err, errlen, "entry %zu: the key is not a target address: %s", k, why);
            goto out;
        }
        if (!json_is_string(value)) {
            fmt_error(err, errlen, "entry %zu (%s): the password must be a string", k, e->where.label);
            goto out;
        }
        /* jansson refuses \u0000 (no JSON_ALLOW_NUL): the string is the whole value. */
        if (json_string_length(value) > 0) e->password = xstrdup(json_string_value(value));
        m->n++;
    }
    rc = 0;
out:
    json_decref(root);
    if (rc) credmap_free(m);
    return rc;
}

static bool same_endpoint(const config_target *a, const config_target *b)
{
    if (a->kind != b->kind) return false;
    if (a->kind == CONFIG_ADDR_UNIX) return strcmp(a->path, b->path) == 0;
    return a->port == b->port && strcasecmp(a->host, b->host) == 0;
}

const credmap_entry *credmap_find(const credmap *m, const config_target *t)
{
    const credmap_entry *best = NULL;
    for (size_t i = 0; i < m->n; i++) {
        const credmap_entry *e = &m->e[i];
        if (!same_endpoint(&e->where, t)) continue;
        if (strcmp(e->where.user, t->user) == 0) return e;
        if (!best) best = e;
    }
    return best;
}
