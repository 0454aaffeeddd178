/* creds: per-target credentials from the password, the password file and the map. See include/creds.h. */
#include "creds.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "credmap.h"
#include "log.h"
#include "xalloc.h"

/* A map file larger than this is refused (a map of 10,000 targets is under 1 MiB). */
#define MAP_MAX_BYTES (16u << 20)

struct creds {
    const config *cfg;
    char *password;              /* owned: the one password; NULL = none */
    credmap map;                 /* owned */
    target_credentials *per;     /* one per cfg->targets, pointing into the above */
    double last_auth_reload;     /* monotonic */
};

static void wipe_free(char *s)
{
    if (!s) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Reads the whole map file and parses it into m. */
static int read_map(const char *path, credmap *m, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size > (off_t)MAP_MAX_BYTES) {
        fclose(f);
        snprintf(err, errlen, "%s: larger than %u bytes", path, MAP_MAX_BYTES);
        return -1;
    }
    size_t cap = (size_t)st.st_size + 1;
    char *text = xcalloc(1, cap);
    size_t n = fread(text, 1, cap, f);
    fclose(f);
    char why[300];
    int rc = 0;
    if (n >= cap) {
        snprintf(err, errlen, "%s changed while read", path);
        rc = -1;
    } else if (credmap_parse(text, n, m, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        rc = -1;
    }
    explicit_bzero(text, cap);
    free(text);
    return rc;
}

/* Points each target's credentials at the current sources. */
static void assign(creds *c)
{
    for (size_t i = 0; i < c->cfg->n_targets; i++) {
        const config_target *t = &c->cfg->targets[i];
        const credmap_entry *e = credmap_find(&c->map, t);
        target_credentials *p = &c->per[i];
        p->password = e ? e->password : c->password;
        p->user = t->user[0] ? t->user : (e && e->where.user[0]) ? e->where.user : c->cfg->user;
    }
}

creds *creds_new(const config *cfg, char *err, size_t errlen)
{
    creds *c = xcalloc(1, sizeof *c);
    c->cfg = cfg;
    c->per = xcalloc(cfg->n_targets + 1, sizeof *c->per);
    c->password = cfg->password ? xstrdup(cfg->password) : NULL;
    if (cfg->password_map_file[0] && read_map(cfg->password_map_file, &c->map, err, errlen)) {
        creds_free(c);
        return NULL;
    }
    assign(c);
    if (cfg->password_map_file[0]) {
        size_t matched = 0;
        for (size_t i = 0; i < cfg->n_targets; i++) matched += credmap_find(&c->map, &cfg->targets[i]) != NULL;
        char a[32], b[32];
        snprintf(a, sizeof a, "%zu", c->map.n);
        snprintf(b, sizeof b, "%zu", matched);
        log_kv(LOG_INFO, "password map read", "entries", a, "targets_matched", b, NULL);
    }
    return c;
}

const target_credentials *creds_of(const creds *c, size_t i) { return &c->per[i]; }

int creds_reload(creds *c)
{
    const config *cfg = c->cfg;
    int rc = 0;
    char err[400];
    char *pw = NULL;
    credmap map = {0};
    bool have_pw = false, have_map = false;
    if (!cfg->password_file[0] && !cfg->password_map_file[0]) {
        log_kv(LOG_INFO, "reload: no password file to re-read", NULL);
        return 0;
    }
    if (cfg->password_file[0]) {
        pw = config_read_password_file(cfg->password_file, err, sizeof err);
        if (pw) have_pw = true;
        else {
            log_kv(LOG_ERROR, "reload: password file not read; the previous password stays", "detail", err, NULL);
            rc = -1;
        }
    }
    if (cfg->password_map_file[0]) {
        if (read_map(cfg->password_map_file, &map, err, sizeof err) == 0) have_map = true;
        else {
            log_kv(LOG_ERROR, "reload: password map not read; the previous one stays", "detail", err, NULL);
            rc = -1;
        }
    }
    /* Swap in what was read, re-point, then wipe the old: nothing points at freed memory
     * in between (single thread). */
    char *old_pw = NULL;
    credmap old_map = {0};
    if (have_pw) {
        old_pw = c->password;
        c->password = pw;
    }
    if (have_map) {
        old_map = c->map;
        c->map = map;
    }
    target_credentials *before = xcalloc(cfg->n_targets + 1, sizeof *before);
    memcpy(before, c->per, cfg->n_targets * sizeof *before);
    assign(c);
    size_t changed = 0;
    for (size_t i = 0; i < cfg->n_targets; i++)
        changed += !same_text(before[i].password, c->per[i].password) || !same_text(before[i].user, c->per[i].user);
    free(before);
    wipe_free(old_pw);
    credmap_free(&old_map);
    char n[32];
    snprintf(n, sizeof n, "%zu", changed);
    log_kv(rc == 0 ? LOG_INFO : LOG_WARN, "reload: credentials re-read", "targets_changed", n, NULL);
    return rc;
}

void creds_auth_failed(creds *c)
{
    if (!c->cfg->password_file[0] && !c->cfg->password_map_file[0]) return;
    double now = clock_mono();
    if (now - c->last_auth_reload < 1.0) return;
    c->last_auth_reload = now;
    creds_reload(c);
}

void creds_free(creds *c)
{
    if (!c) return;
    wipe_free(c->password);
    credmap_free(&c->map);
    free(c->per);
    free(c);
}
