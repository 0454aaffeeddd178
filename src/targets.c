/* SPDX-License-Identifier: Apache-2.0 */
/* targets: the targets file. See include/targets.h. */
#define _GNU_SOURCE /* qsort_r */
#include "targets.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "config.h"
#include "watch.h"
#include "xalloc.h"
#include "yamlguard.h"

typedef struct ctx {
    yaml_document_t *doc;
    const char *dir;
    char *err;
    size_t errlen;
    char where[64]; /* "defaults" or "targets[3]", for errors */
} ctx;

static int fail(ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(ctx *x, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(x->err, x->errlen, "%s%s%s", x->where, x->where[0] ? ": " : "", msg);
    for (char *p = x->err; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?';
    return -1;
}

static yaml_node_t *node(ctx *x, int i) { return yaml_document_get_node(x->doc, i); }

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A path from the file, absolute. */
static int path(ctx *x, const char *key, const char *v, char *out, size_t cap)
{
    if (!v || !*v) return fail(x, "%s: expected a file name", key);
    int n = v[0] == '/' ? snprintf(out, cap, "%s", v) : snprintf(out, cap, "%s/%s", x->dir, v);
    if (n < 0 || (size_t)n >= cap) return fail(x, "%s: path too long", key);
    return 0;
}

static int parse_bool(ctx *x, const char *key, const char *v, bool *out)
{
    if (v && (!strcmp(v, "true") || !strcmp(v, "yes"))) *out = true;
    else if (v && (!strcmp(v, "false") || !strcmp(v, "no"))) *out = false;
    else return fail(x, "%s: expected true or false", key);
    return 0;
}

static int tls_map(ctx *x, yaml_node_t *m, tspec *s)
{
    if (m->type != YAML_MAPPING_NODE) return fail(x, "tls: expected a map");
    if (!s->tls) s->tls = xcalloc(1, sizeof *s->tls);
    config_tls *t = s->tls;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(x, p->key)), *v = scalar(node(x, p->value));
        if (!k) return fail(x, "tls: keys must be words");
        if (!strcmp(k, "ca_file")) {
            if (path(x, "tls.ca_file", v, t->ca_file, sizeof t->ca_file)) return -1;
        } else if (!strcmp(k, "cert_file")) {
            if (path(x, "tls.cert_file", v, t->cert_file, sizeof t->cert_file)) return -1;
        } else if (!strcmp(k, "key_file")) {
            if (path(x, "tls.key_file", v, t->key_file, sizeof t->key_file)) return -1;
        } else if (!strcmp(k, "server_name")) {
            if (!v || strlen(v) >= sizeof t->server_name) return fail(x, "tls.server_name: expected a name");
            snprintf(t->server_name, sizeof t->server_name, "%s", v);
        } else if (!strcmp(k, "min_version")) {
            if (v && !strcmp(v, "1.2")) t->min_version = 0;
            else if (v && !strcmp(v, "1.3")) t->min_version = 1;
            else return fail(x, "tls.min_version: expected \"1.2\" or \"1.3\"");
        } else if (!strcmp(k, "insecure_skip_verify")) {
            if (parse_bool(x, "tls.insecure_skip_verify", v, &t->insecure_skip_verify)) return -1;
        } else {
            return fail(x, "tls: unknown key '%.40s'", k);
        }
    }
    if (!t->cert_file[0] != !t->key_file[0]) return fail(x, "tls: cert_file and key_file go together");
    return 0;
}

/* A label value's longest: a bound on what every series of the target carries. */
#define TARGETS_LABEL_VALUE_MAX 256

/* watch: the keys to watch, as --keys.watch takes them ("db0=a,db1=b") or as a list of
 * such pieces; kept as the one string the target parses. */
static int watch_list(ctx *x, yaml_node_t *vn, tspec *s)
{
    buf b;
    buf_init(&b);
    if (vn->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = vn->data.sequence.items.start; i < vn->data.sequence.items.top; i++) {
            const char *v = scalar(node(x, *i));
            if (!v) {
                buf_free(&b);
                return fail(x, "watch: expected key names (db0=queue:jobs)");
            }
            buf_printf(&b, "%s%s", b.len ? "," : "", v);
        }
    } else if (scalar(vn)) {
        buf_puts(&b, scalar(vn));
    }
    watch_item *items;
    size_t n;
    char why[160];
    bool ok = b.len > 0 && watch_parse(b.data, WATCH_MAX_KEYS, &items, &n, why, sizeof why);
    if (ok) watch_items_free(items, n);
    else if (b.len == 0) snprintf(why, sizeof why, "expected key names (db0=queue:jobs)");
    if (ok) {
        free(s->watch);
        s->watch = xstrdup(b.data);
    }
    buf_free(&b);
    return ok ? 0 : fail(x, "watch: %s", why);
}

/* sampler.roles: the roles key sampling runs on, [primary], [replica] or both. */
static int sampler_roles(ctx *x, yaml_node_t *vn, tspec *s)
{
    if (!vn || vn->type != YAML_SEQUENCE_NODE) return fail(x, "sampler.roles: expected a list (primary, replica)");
    s->sampler_roles = 0;
    for (yaml_node_item_t *i = vn->data.sequence.items.start; i < vn->data.sequence.items.top; i++) {
        const char *v = scalar(node(x, *i));
        if (v && (!strcmp(v, "primary") || !strcmp(v, "master"))) s->sampler_roles |= TSPEC_ROLE_PRIMARY;
        else if (v && (!strcmp(v, "replica") || !strcmp(v, "slave"))) s->sampler_roles |= TSPEC_ROLE_REPLICA;
        else return fail(x, "sampler.roles: '%.40s' is not a role (primary, replica)", v ? v : "");
    }
    if (!s->sampler_roles) return fail(x, "sampler.roles: empty (leave it out to sample on any role)");
    return 0;
}

/* The keys an item and the defaults share. Returns 1 when k is not one of them. */
static int common_key(ctx *x, const char *k, yaml_node_t *vn, tspec *s)
{
    const char *v = scalar(vn);
    if (!strcmp(k, "labels")) {
        if (vn->type != YAML_MAPPING_NODE) return fail(x, "labels: expected a map");
        for (yaml_node_pair_t *p = vn->data.mapping.pairs.start; p < vn->data.mapping.pairs.top; p++) {
            const char *ln = scalar(node(x, p->key)), *lv = scalar(node(x, p->value));
            if (!tspec_label_name_ok(ln))
                return fail(x,
                            "labels: '%.40s' is not a label name this exporter can add (a Prometheus name, not "
                            "__-prefixed, not one of its own like addr or role)",
                            ln ? ln : "");
            if (!lv) return fail(x, "labels.%s: expected a value", ln);
            if (strlen(lv) > TARGETS_LABEL_VALUE_MAX)
                return fail(x, "labels.%s: longer than %d bytes", ln, TARGETS_LABEL_VALUE_MAX);
            if (tspec_set_label(s, ln, lv)) return fail(x, "labels: more than %d", TSPEC_MAX_LABELS);
        }
        return 0;
    }
    if (!strcmp(k, "user")) {
        if (!v || strlen(v) >= sizeof s->addr.user) return fail(x, "user: expected a name");
        snprintf(s->addr.user, sizeof s->addr.user, "%s", v);
        return 0;
    }
    if (!strcmp(k, "password_file")) {
        char p[CONFIG_PATH_MAX];
        if (path(x, "password_file", v, p, sizeof p)) return -1;
        free(s->password_file);
        s->password_file = xstrdup(p);
        return 0;
    }
    if (!strcmp(k, "tls")) return tls_map(x, vn, s);
    if (!strcmp(k, "watch")) return watch_list(x, vn, s);
    if (!strcmp(k, "sampler")) {
        if (vn->type != YAML_MAPPING_NODE) return fail(x, "sampler: expected a map");
        for (yaml_node_pair_t *p = vn->data.mapping.pairs.start; p < vn->data.mapping.pairs.top; p++) {
            const char *sk = scalar(node(x, p->key)), *sv = scalar(node(x, p->value));
            if (sk && !strcmp(sk, "roles")) {
                if (sampler_roles(x, node(x, p->value), s)) return -1;
                continue;
            }
            if (!sk || strcmp(sk, "keys_per_second") != 0)
                return fail(x, "sampler: unknown key '%.40s' (keys_per_second, roles)", sk ? sk : "");
            char *end;
            double d = sv ? strtod(sv, &end) : -1;
            if (!sv || end == sv || *end || !(d >= 0 && d <= 100000))
                return fail(x, "sampler.keys_per_second: expected a number from 0 to 100000");
            s->keys_per_second = d;
        }
        return 0;
    }
    return 1;
}

/* allow: a list of networks and host names where the item's discovery may go. */
static int allow_list(ctx *x, yaml_node_t *vn, tspec *s)
{
    if (vn->type != YAML_SEQUENCE_NODE) return fail(x, "allow: expected a list of networks and host names");
    free(s->allow);
    s->allow = xcalloc(1, sizeof *s->allow);
    for (yaml_node_item_t *i = vn->data.sequence.items.start; i < vn->data.sequence.items.top; i++) {
        const char *v = scalar(node(x, *i));
        char why[160];
        if (!v || netallow_add(s->allow, v, why, sizeof why)) return fail(x, "allow: %s", v ? why : "expected words");
    }
    if (s->allow->n == 0) return fail(x, "allow: empty (leave it out for the seed's own scope)");
    return 0;
}

static int item(ctx *x, yaml_node_t *m, const tspec *defaults, tspec *s)
{
    if (m->type != YAML_MAPPING_NODE) return fail(x, "expected a map with addr:");
    tspec_copy(s, defaults); /* s->addr.user is the default user: user: may change it */
    s->origin = TSPEC_FILE;
    const char *addr = NULL, *discover = NULL, *master = NULL, *sentinel_user = NULL, *sentinel_pw = NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(x, p->key));
        yaml_node_t *vn = node(x, p->value);
        if (!k || !vn) return fail(x, "keys must be words");
        if (!strcmp(k, "addr")) addr = scalar(vn);
        else if (!strcmp(k, "discover")) discover = scalar(vn);
        else if (!strcmp(k, "master")) master = scalar(vn);
        else if (!strcmp(k, "sentinel_user")) {
            sentinel_user = scalar(vn);
            if (!sentinel_user || !*sentinel_user || strlen(sentinel_user) >= sizeof s->addr.user)
                return fail(x, "sentinel_user: expected a name");
        } else if (!strcmp(k, "allow")) {
            if (allow_list(x, vn, s)) return -1;
        } else if (!strcmp(k, "sentinel_password_file")) {
            char file[CONFIG_PATH_MAX];
            if (path(x, "sentinel_password_file", scalar(vn), file, sizeof file)) return -1;
            free(s->sentinel_password_file);
            s->sentinel_password_file = xstrdup(file);
            sentinel_pw = s->sentinel_password_file;
        } else {
            int rc = common_key(x, k, vn, s);
            if (rc < 0) return -1;
            if (rc > 0) return fail(x, "unknown key '%.40s'", k);
        }
    }
    if (!addr) return fail(x, "addr: missing");
    char why[200];
    /* The address is parsed alone; the user it names wins over user:. */
    config_target t;
    if (config_parse_target(addr, &t, why, sizeof why)) return fail(x, "addr: %s", why);
    if (!t.user[0]) snprintf(t.user, sizeof t.user, "%s", s->addr.user);
    s->addr = t; /* a rediss:// target without tls: uses the global --tls.* settings */
    if ((sentinel_user || sentinel_pw) && (!discover || strcmp(discover, "sentinel") != 0))
        return fail(x, "%s: only with discover: sentinel", sentinel_user ? "sentinel_user" : "sentinel_password_file");
    if (sentinel_user) s->sentinel_user = xstrdup(sentinel_user);
    if (!discover) {
        if (master) return fail(x, "master: only with discover: sentinel");
        if (s->allow) return fail(x, "allow: only with discover: cluster or sentinel");
        return 0;
    }
    /* room for the labels discovery adds to every node (cluster, shard, node_role; or
     * sentinel_master, node_role): a seed with too many would lose them silently */
    size_t adds = !strcmp(discover, "cluster") ? 2 + !tspec_label_value(s, "cluster") : 2;
    if (s->n_labels + adds > TSPEC_MAX_LABELS)
        return fail(x, "labels: at most %zu on a discovering item (discovery adds %zu of the %d)",
                    TSPEC_MAX_LABELS - adds, adds, TSPEC_MAX_LABELS);
    if (!strcmp(discover, "cluster")) {
        if (master) return fail(x, "master: only with discover: sentinel");
        s->discover = TSPEC_DISCOVER_CLUSTER;
    } else if (!strcmp(discover, "sentinel")) {
        if (!master || !*master) return fail(x, "discover: sentinel needs master: NAME");
        s->discover = TSPEC_DISCOVER_SENTINEL;
        s->master = xstrdup(master);
    } else {
        return fail(x, "discover: expected cluster or sentinel");
    }
    return 0;
}

/* Orders items by key, then how they discover, then where they stand in the file. */
static int cmp_items(const void *a, const void *b, void *file)
{
    const targets_file *f = file;
    const tspec *x = &f->specs[*(const size_t *)a], *y = &f->specs[*(const size_t *)b];
    int c = strcmp(tspec_key(x), tspec_key(y));
    if (c) return c;
    if (x->discover != y->discover) return x->discover < y->discover ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* An item listed twice (same key, same kind of discovery) is refused, naming both: sorted
 * once, O(n log n), where comparing every pair took 190 s at 100,000 targets. */
static int listed_twice(ctx *x, targets_file *f)
{
    size_t *order = xcalloc(f->n + 1, sizeof *order);
    for (size_t i = 0; i < f->n; i++) order[i] = i;
    qsort_r(order, f->n, sizeof *order, cmp_items, f);
    int rc = 0;
    for (size_t i = 1; i < f->n && rc == 0; i++) {
        const tspec *a = &f->specs[order[i - 1]], *b = &f->specs[order[i]];
        if (!strcmp(tspec_key(a), tspec_key(b)) && a->discover == b->discover) {
            snprintf(x->where, sizeof x->where, "targets[%zu]", order[i]);
            rc = fail(x, "%s is listed twice (also targets[%zu])", tspec_key(b), order[i - 1]);
        }
    }
    free(order);
    return rc;
}

void targets_file_free(targets_file *f)
{
    for (size_t i = 0; i < f->n; i++) tspec_free(&f->specs[i]);
    free(f->specs);
    f->specs = NULL;
    f->n = 0;
}

static int parse_doc(ctx *x, targets_file *f)
{
    yaml_node_t *root = yaml_document_get_root_node(x->doc);
    if (!root) return fail(x, "the file is empty (expected targets:)");
    if (root->type != YAML_MAPPING_NODE) return fail(x, "expected a map with targets:");
    yaml_node_t *defaults = NULL, *list = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(x, p->key));
        if (k && !strcmp(k, "defaults")) defaults = node(x, p->value);
        else if (k && !strcmp(k, "targets")) list = node(x, p->value);
        else return fail(x, "unknown top-level key '%.40s' (defaults, targets)", k ? k : "");
    }
    tspec def;
    memset(&def, 0, sizeof def);
    def.keys_per_second = -1;
    int rc = -1;
    if (defaults) {
        snprintf(x->where, sizeof x->where, "defaults");
        if (defaults->type != YAML_MAPPING_NODE) {
            fail(x, "expected a map");
            goto out;
        }
        for (yaml_node_pair_t *p = defaults->data.mapping.pairs.start; p < defaults->data.mapping.pairs.top; p++) {
            const char *k = scalar(node(x, p->key));
            int r = k ? common_key(x, k, node(x, p->value), &def) : fail(x, "keys must be words");
            if (r < 0) goto out;
            if (r > 0) {
                fail(x, "unknown key '%.40s'", k);
                goto out;
            }
        }
    }
    x->where[0] = '\0';
    if (!list || list->type != YAML_SEQUENCE_NODE) {
        fail(x, "targets: expected a list");
        goto out;
    }
    size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    if (n > TARGETS_MAX) {
        fail(x, "targets: more than %d", TARGETS_MAX);
        goto out;
    }
    f->specs = xcalloc(n + 1, sizeof *f->specs);
    for (size_t i = 0; i < n; i++) {
        snprintf(x->where, sizeof x->where, "targets[%zu]", i);
        yaml_node_t *it = node(x, list->data.sequence.items.start[i]);
        tspec *s = &f->specs[f->n];
        if (!it || item(x, it, &def, s)) {
            tspec_free(s);
            goto out;
        }
        f->n++;
    }
    x->where[0] = '\0';
    if (listed_twice(x, f)) goto out;
    rc = 0;
out:
    tspec_free(&def);
    return rc;
}

int targets_parse(const char *text, size_t len, const char *dir, targets_file *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    ctx x = {.dir = dir, .err = err, .errlen = errlen};
    char why[300];
    if (yamlguard_check(text, len, why, sizeof why)) return fail(&x, "%s", why);
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) return fail(&x, "cannot start the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        fail(&x, "not YAML: %s (line %zu)", parser.problem ? parser.problem : "syntax error",
             parser.problem_mark.line + 1);
        yaml_parser_delete(&parser);
        return -1;
    }
    x.doc = &doc;
    int rc = parse_doc(&x, f);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc) targets_file_free(f);
    return rc;
}
