/* SPDX-License-Identifier: Apache-2.0 */
/* tspec: target specs. See include/tspec.h. */
#include "tspec.h"

#include <stdlib.h>
#include <string.h>

#include "info.h"
#include "render.h"
#include "xalloc.h"

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

void tspec_copy(tspec *dst, const tspec *src)
{
    *dst = *src;
    for (size_t i = 0; i < src->n_labels; i++) {
        dst->labels[i].name = xstrdup(src->labels[i].name);
        dst->labels[i].value = xstrdup(src->labels[i].value);
    }
    dst->password_file = dup_or_null(src->password_file);
    dst->master = dup_or_null(src->master);
    dst->sentinel_user = dup_or_null(src->sentinel_user);
    dst->sentinel_password_file = dup_or_null(src->sentinel_password_file);
    dst->watch = dup_or_null(src->watch);
    if (src->tls) {
        dst->tls = xcalloc(1, sizeof *dst->tls);
        *dst->tls = *src->tls;
    }
    if (src->allow) {
        dst->allow = xcalloc(1, sizeof *dst->allow);
        *dst->allow = *src->allow;
    }
}

void tspec_free(tspec *s)
{
    for (size_t i = 0; i < s->n_labels; i++) {
        free(s->labels[i].name);
        free(s->labels[i].value);
    }
    free(s->password_file);
    free(s->master);
    free(s->sentinel_user);
    free(s->sentinel_password_file);
    free(s->watch);
    free(s->tls);
    free(s->allow);
    memset(s, 0, sizeof *s);
}

int tspec_set_label(tspec *s, const char *name, const char *value)
{
    for (size_t i = 0; i < s->n_labels; i++) {
        if (strcmp(s->labels[i].name, name) != 0) continue;
        free(s->labels[i].value);
        s->labels[i].value = xstrdup(value);
        return 0;
    }
    if (s->n_labels == TSPEC_MAX_LABELS) return -1;
    s->labels[s->n_labels].name = xstrdup(name);
    s->labels[s->n_labels].value = xstrdup(value);
    s->n_labels++;
    return 0;
}

const char *tspec_label_value(const tspec *s, const char *name)
{
    for (size_t i = 0; i < s->n_labels; i++)
        if (strcmp(s->labels[i].name, name) == 0) return s->labels[i].value;
    return NULL;
}

const char *tspec_share_key(const tspec *s)
{
    if (s->origin == TSPEC_CLUSTER || s->discover == TSPEC_DISCOVER_CLUSTER) {
        const char *name = tspec_label_value(s, "cluster");
        if (name) return name; /* always there on a node: discovery sets it */
    }
    return tspec_key(s);
}

/* A user label may not take a name the exporter's own series carry (Prometheus would
 * refuse the whole scrape for a label given twice): render's names, the
 * redis_instance_info labels, and the names Prometheus gives every target. */
static bool reserved(const char *name)
{
    static const char *const prometheus[] = {"instance", "job"};
    for (const char *const *p = render_label_names; *p; p++)
        if (strcmp(name, *p) == 0) return true;
    for (int i = 0; i < INFO_TEXT_COUNT; i++)
        if (info_text_table[i].label && strcmp(name, info_text_table[i].label) == 0) return true;
    for (size_t i = 0; i < sizeof prometheus / sizeof prometheus[0]; i++)
        if (strcmp(name, prometheus[i]) == 0) return true;
    return false;
}

bool tspec_label_name_ok(const char *name)
{
    if (!name || !*name || strncmp(name, "__", 2) == 0 || strlen(name) > 63) return false;
    for (const char *p = name; *p; p++) {
        bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_';
        if (!alpha && !(p > name && *p >= '0' && *p <= '9')) return false;
    }
    return !reserved(name);
}

static bool same_str(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

bool tspec_same_connection(const tspec *a, const tspec *b)
{
    if (strcmp(a->addr.label, b->addr.label) != 0 || a->addr.tls != b->addr.tls ||
        strcmp(a->addr.user, b->addr.user) != 0 || strcmp(a->addr.host, b->addr.host) != 0 ||
        a->addr.port != b->addr.port || strcmp(a->addr.path, b->addr.path) != 0)
        return false;
    if (!same_str(a->password_file, b->password_file) || !same_str(a->sentinel_user, b->sentinel_user) ||
        !same_str(a->sentinel_password_file, b->sentinel_password_file))
        return false;
    if (!a->tls != !b->tls) return false;
    return !a->tls || memcmp(a->tls, b->tls, sizeof *a->tls) == 0;
}

bool tspec_same_target(const tspec *a, const tspec *b)
{
    return tspec_same_connection(a, b) && a->keys_per_second == b->keys_per_second &&
        a->sampler_roles == b->sampler_roles && same_str(a->watch, b->watch);
}

bool tspec_equal(const tspec *a, const tspec *b)
{
    if (!tspec_same_target(a, b) || a->n_labels != b->n_labels || a->origin != b->origin ||
        a->discover != b->discover || !same_str(a->master, b->master))
        return false;
    if (!a->allow != !b->allow || (a->allow && memcmp(a->allow, b->allow, sizeof *a->allow) != 0)) return false;
    for (size_t i = 0; i < a->n_labels; i++)
        if (strcmp(a->labels[i].name, b->labels[i].name) != 0 || strcmp(a->labels[i].value, b->labels[i].value) != 0)
            return false;
    return true;
}
