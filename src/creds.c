/* SPDX-License-Identifier: Apache-2.0 */
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
#include "safefile.h"
#include "xalloc.h"

/* A map file larger than this is refused (a map of 10,000 targets is under 1 MiB). */
#define MAP_MAX_BYTES (16u << 20)

struct creds {
    const config *cfg;
    char *password;          /* owned: the one password; NULL = none */
    credmap map;             /* owned */
    double last_auth_reload; /* monotonic */
};

static void wipe_free(char *s)
{
    if (!s) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

/* Reads the whole map file and parses it into m. */
static int read_map(const char *path, credmap *m, char *err, size_t errlen)
{
    size_t n = 0;
    char *text = safefile_read(path, MAP_MAX_BYTES, &n, NULL, err, errlen);
    if (!text) return -1;
    char why[300];
    int rc = 0;
    if (credmap_parse(text, n, m, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        rc = -1;
    }
    explicit_bzero(text, n);
    free(text);
    return rc;
}

void creds_resolve(const creds *c, const config_target *addr, const char *file_password, target_credentials *out)
{
    const credmap_entry *e = credmap_find(&c->map, addr);
    out->password = file_password ? file_password : e ? e->password : c->password;
    out->user = addr->user[0] ? addr->user : (e && e->where.user[0]) ? e->where.user : c->cfg->user;
}

creds *creds_new(const config *cfg, char *err, size_t errlen)
{
    creds *c = xcalloc(1, sizeof *c);
    c->cfg = cfg;
    c->password = cfg->password ? xstrdup(cfg->password) : NULL;
    if (cfg->password_map_file[0] && read_map(cfg->password_map_file, &c->map, err, errlen)) {
        creds_free(c);
        return NULL;
    }
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

int creds_reload(creds *c)
{
    const config *cfg = c->cfg;
    int rc = 0;
    char err[400];
    char *pw = NULL;
    credmap map = {0};
    bool have_pw = false, have_map = false;
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
    /* Swap in what was read, then wipe the old: the caller resolves again before the loop
     * runs anything else (single thread). */
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
    wipe_free(old_pw);
    credmap_free(&old_map);
    return rc;
}

bool creds_reload_due(creds *c)
{
    double now = clock_mono();
    if (now - c->last_auth_reload < 1.0) return false;
    c->last_auth_reload = now;
    return true;
}

void creds_free(creds *c)
{
    if (!c) return;
    wipe_free(c->password);
    credmap_free(&c->map);
    free(c);
}
