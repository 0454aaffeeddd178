/* SPDX-License-Identifier: Apache-2.0 */
/* webcfg: the exporter-toolkit web config. See include/webcfg.h. */
#include "webcfg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "safefile.h"
#include "xalloc.h"
#include "yamlguard.h"

typedef struct ctx {
    yaml_document_t *doc;
    const char *dir; /* the config file's directory, for relative paths */
    webcfg *c;
    char *err;
    size_t errlen;
    int min_version, max_version; /* 0 = TLS 1.0 ... 3 = TLS 1.3 */
    char suites[384];             /* GnuTLS items for the cipher suites given */
} ctx;

static int fail(ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(ctx *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, x->errlen, fmt, ap);
    va_end(ap);
    for (char *p = x->err; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?';
    return -1;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *node(ctx *x, int i) { return yaml_document_get_node(x->doc, i); }

/* Remembers a file the config depends on, for webcfg_changed. */
static void watch(webcfg *c, const char *path)
{
    if (c->n_files >= WEBCFG_MAX_FILES) return;
    struct stat st;
    bool ok = stat(path, &st) == 0;
    struct timespec changed = {0, 0};
    long long size = -1;
    if (ok) {
        changed = st.st_mtim;
        size = (long long)st.st_size;
    }
    size_t i = c->n_files++;
    snprintf(c->files[i], sizeof c->files[0], "%s", path);
    c->mtimes[i] = changed;
    c->sizes[i] = size;
}

/* Reads a PEM file named in the config (relative to its directory) into *out. */
static int read_pem(ctx *x, const char *key, const char *name, char **out)
{
    char path[4096];
    if (name[0] == '/') snprintf(path, sizeof path, "%s", name);
    else snprintf(path, sizeof path, "%s/%s", x->dir, name);
    char why[4200];
    size_t n = 0;
    char *data = safefile_read(path, 1 << 20, &n, NULL, why, sizeof why);
    if (!data) return fail(x, "tls_server_config.%s: %s", key, why);
    if (n == 0 || !strstr(data, "-----BEGIN ")) {
        explicit_bzero(data, n);
        free(data);
        return fail(x, "tls_server_config.%s: %s is not a PEM file", key, path);
    }
    free(*out);
    *out = data;
    watch(x->c, path);
    return 0;
}

static int tls_version(ctx *x, const char *key, const char *v, int *out)
{
    static const char *const names[] = {"TLS10", "TLS11", "TLS12", "TLS13"};
    for (int i = 0; i < 4; i++)
        if (v && strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return fail(x, "tls_server_config.%s: '%.40s' is not TLS10, TLS11, TLS12 or TLS13", key, v ? v : "");
}

/* Go's names for the TLS 1.2 suites that GnuTLS can be told to use: key exchange, cipher. */
static const struct suite {
    const char *go, *kx, *cipher;
} suites[] = {
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA", "AES-128-GCM"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA", "AES-128-GCM"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA", "AES-256-GCM"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA", "AES-256-GCM"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA", "CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA", "CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA", "CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA", "CHACHA20-POLY1305"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AES-128-GCM"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AES-256-GCM"},
};

static int cipher_suites(ctx *x, yaml_node_t *seq)
{
    if (seq->type != YAML_SEQUENCE_NODE) return fail(x, "tls_server_config.cipher_suites: must be a list");
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        const char *v = scalar(node(x, *it));
        const struct suite *s = NULL;
        for (size_t i = 0; v && i < sizeof suites / sizeof suites[0]; i++)
            if (strcmp(v, suites[i].go) == 0) s = &suites[i];
        if (!s)
            return fail(x,
                        "tls_server_config.cipher_suites: '%.60s' cannot be chosen with GnuTLS here (use the "
                        "ECDHE or RSA GCM / CHACHA20 suites)",
                        v ? v : "");
        size_t len = strlen(x->suites);
        snprintf(x->suites + len, sizeof x->suites - len, ":+%s:+%s", s->kx, s->cipher);
    }
    return 0;
}

static const char *const client_auth_names[] = {"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
                                                "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"};

static int tls_section(ctx *x, yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE) return fail(x, "tls_server_config: must be a map");
    webcfg *c = x->c;
    const char *ca_file = NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(x, p->key));
        yaml_node_t *vn = node(x, p->value);
        const char *v = scalar(vn);
        if (!k) return fail(x, "tls_server_config: a key is not a string");
        if (strcmp(k, "cert_file") == 0) {
            if (!v || read_pem(x, k, v, &c->cert_pem)) return v ? -1 : fail(x, "tls_server_config.cert_file: a path");
        } else if (strcmp(k, "key_file") == 0) {
            if (!v || read_pem(x, k, v, &c->key_pem)) return v ? -1 : fail(x, "tls_server_config.key_file: a path");
        } else if (strcmp(k, "client_ca_file") == 0) {
            if (!v || read_pem(x, k, v, &c->client_ca_pem))
                return v ? -1 : fail(x, "tls_server_config.client_ca_file: a path");
            ca_file = v;
        } else if (strcmp(k, "client_auth_type") == 0) {
            size_t i = 0;
            while (i < 5 && !(v && strcmp(v, client_auth_names[i]) == 0)) i++;
            if (i == 5)
                return fail(x,
                            "tls_server_config.client_auth_type: '%.40s' is not one of NoClientCert, "
                            "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, "
                            "RequireAndVerifyClientCert",
                            v ? v : "");
            c->client_auth = (webcfg_client_auth)i;
        } else if (strcmp(k, "min_version") == 0) {
            if (tls_version(x, k, v, &x->min_version)) return -1;
        } else if (strcmp(k, "max_version") == 0) {
            if (tls_version(x, k, v, &x->max_version)) return -1;
        } else if (strcmp(k, "cipher_suites") == 0) {
            if (cipher_suites(x, vn)) return -1;
        } else if (strcmp(k, "prefer_server_cipher_suites") == 0) {
            /* GnuTLS servers choose by their own order already. */
        } else {
            return fail(x, "tls_server_config: unknown key '%.60s'", k);
        }
    }
    if (!c->cert_pem || !c->key_pem) return fail(x, "tls_server_config: cert_file and key_file are both needed");
    bool verifies =
        c->client_auth == WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN || c->client_auth == WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT;
    if (verifies && !ca_file)
        return fail(x, "tls_server_config.client_ca_file: needed by client_auth_type %s",
                    client_auth_names[c->client_auth]);
    if (x->min_version > x->max_version) return fail(x, "tls_server_config: min_version is above max_version");
    c->tls = true;
    return 0;
}

/* The headers the toolkit allows: security headers, nothing that changes the framing. */
static const char *const allowed_headers[] = {"Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
                                              "X-XSS-Protection", "Content-Security-Policy"};

static int http_section(ctx *x, yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE) return fail(x, "http_server_config: must be a map");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(x, p->key));
        yaml_node_t *vn = node(x, p->value);
        if (k && strcmp(k, "http2") == 0) continue; /* accepted; served as HTTP/1.1 */
        if (!k || strcmp(k, "headers") != 0) return fail(x, "http_server_config: unknown key '%.60s'", k ? k : "");
        if (vn->type != YAML_MAPPING_NODE) return fail(x, "http_server_config.headers: must be a map");
        for (yaml_node_pair_t *h = vn->data.mapping.pairs.start; h < vn->data.mapping.pairs.top; h++) {
            const char *name = scalar(node(x, h->key)), *value = scalar(node(x, h->value));
            size_t i = 0;
            while (i < 5 && !(name && strcasecmp(name, allowed_headers[i]) == 0)) i++;
            if (i == 5)
                return fail(x,
                            "http_server_config.headers: '%.60s' may not be set (allowed: Strict-Transport-Security, "
                            "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy)",
                            name ? name : "");
            if (!value || strpbrk(value, "\r\n"))
                return fail(x, "http_server_config.headers.%s: the value must be one line", name);
            if (x->c->n_headers == WEBCFG_MAX_HEADERS) return fail(x, "http_server_config.headers: too many");
            x->c->headers[x->c->n_headers++] = (webcfg_pair){xstrdup(allowed_headers[i]), xstrdup(value)};
        }
    }
    return 0;
}

static int users_section(ctx *x, yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE) return fail(x, "basic_auth_users: must be a map of user: bcrypt hash");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *user = scalar(node(x, p->key)), *hash = scalar(node(x, p->value));
        if (!user || !*user || strchr(user, ':')) return fail(x, "basic_auth_users: a user name is empty or has ':'");
        /* Never quote the hash: it is a secret too. */
        if (!hash || strncmp(hash, "$2", 2) != 0 || strlen(hash) < 59)
            return fail(x, "basic_auth_users.%.60s: not a bcrypt hash ($2a$, $2b$ or $2y$)", user);
        if (x->c->n_users == WEBCFG_MAX_USERS) return fail(x, "basic_auth_users: more than %d users", WEBCFG_MAX_USERS);
        x->c->users[x->c->n_users++] = (webcfg_pair){xstrdup(user), xstrdup(hash)};
    }
    return 0;
}

static void make_priorities(ctx *x)
{
    static const char *const vers[] = {"VERS-TLS1.0", "VERS-TLS1.1", "VERS-TLS1.2", "VERS-TLS1.3"};
    char *p = x->c->priorities;
    size_t cap = sizeof x->c->priorities;
    int n = snprintf(p, cap, "NORMAL:-VERS-ALL");
    for (int v = x->min_version; v <= x->max_version && n > 0 && (size_t)n < cap; v++)
        n += snprintf(p + n, cap - (size_t)n, ":+%s", vers[v]);
    if (x->suites[0] && n > 0 && (size_t)n < cap)
        snprintf(p + n, cap - (size_t)n, ":-KX-ALL:-CIPHER-ALL%s%s", x->suites,
                 x->max_version == 3 ? ":+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305" : "");
}

int webcfg_load(const char *path, webcfg *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    size_t n = 0;
    char *text = safefile_read(path, 1 << 20, &n, NULL, err, errlen);
    if (!text) return -1;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    int rc = webcfg_parse(text, n, dir, c, err, errlen);
    free(text);
    if (rc == 0) watch(c, path); /* beside the certificate, key and CA it named */
    return rc;
}

int webcfg_parse(const char *text, size_t len, const char *dir, webcfg *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    ctx x = {.dir = dir, .c = c, .err = err, .errlen = errlen, .min_version = 2, .max_version = 3};
    const char *path = "web config";
    char why[300];
    if (yamlguard_check(text, len, why, sizeof why)) return fail(&x, "%s: %s", path, why);
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = -1;
    if (!yaml_parser_load(&parser, &doc)) {
        fail(&x, "%s: YAML error at line %zu: %.80s", path, parser.problem_mark.line + 1,
             parser.problem ? parser.problem : "?");
        yaml_parser_delete(&parser);
        webcfg_free(c);
        return -1;
    }
    x.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = 0; /* an empty file: plain HTTP, no authentication */
    } else if (root->type != YAML_MAPPING_NODE) {
        fail(&x, "%s: the top level must be a map", path);
    } else {
        rc = 0;
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; rc == 0 && p < root->data.mapping.pairs.top; p++) {
            const char *k = scalar(node(&x, p->key));
            yaml_node_t *v = node(&x, p->value);
            if (k && strcmp(k, "tls_server_config") == 0) rc = tls_section(&x, v);
            else if (k && strcmp(k, "http_server_config") == 0) rc = http_section(&x, v);
            else if (k && strcmp(k, "basic_auth_users") == 0) rc = users_section(&x, v);
            else
                rc = fail(&x, "unknown key '%.60s' (expected tls_server_config, http_server_config, basic_auth_users)",
                          k ? k : "");
        }
    }
    if (rc == 0) make_priorities(&x);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc != 0) webcfg_free(c);
    return rc;
}

static void wipe_free(char *s)
{
    if (!s) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

void webcfg_free(webcfg *c)
{
    wipe_free(c->cert_pem);
    wipe_free(c->key_pem);
    wipe_free(c->client_ca_pem);
    for (size_t i = 0; i < c->n_headers; i++) {
        free(c->headers[i].name);
        free(c->headers[i].value);
    }
    for (size_t i = 0; i < c->n_users; i++) {
        free(c->users[i].name);
        wipe_free(c->users[i].value);
    }
    memset(c, 0, sizeof *c);
}

bool webcfg_changed(const webcfg *c)
{
    for (size_t i = 0; i < c->n_files; i++) {
        struct stat st;
        if (stat(c->files[i], &st) != 0 || st.st_mtim.tv_sec != c->mtimes[i].tv_sec ||
            st.st_mtim.tv_nsec != c->mtimes[i].tv_nsec || (long long)st.st_size != c->sizes[i])
            return true;
    }
    return false;
}
