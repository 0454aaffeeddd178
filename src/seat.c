/* SPDX-License-Identifier: Apache-2.0 */
/* seat: credentials and shared TLS contexts. See include/seat.h. */
#include "seat.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

/* A TLS context for one set of per-target settings. The context borrows `cfg`, which lives
 * here, so a spec updated in place cannot pull it away. */
typedef struct seat_share {
    config_tls cfg;
    tls_client *client; /* NULL when the settings did not load (logged) */
    size_t refs;
} seat_share;

struct seat_pool {
    const config *cfg;
    creds *creds;        /* the one password and the map */
    tls_client *tls;     /* from --tls.*, made when a TLS target first needs it */
    bool tls_failed;     /* ... and it could not be made (logged once) */
    seat_share **shares; /* contexts of per-target TLS settings in use */
    size_t n_shares;
};

static void wipe_free(char *s)
{
    if (!s) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

seat_pool *seat_pool_new(const config *cfg, char *err, size_t errlen)
{
    creds *cr = creds_new(cfg, err, errlen);
    if (!cr) return NULL;
    seat_pool *p = xcalloc(1, sizeof *p);
    p->cfg = cfg;
    p->creds = cr;
    return p;
}

void seat_pool_free(seat_pool *p)
{
    if (!p) return;
    tls_client_free(p->tls);
    free(p->shares); /* each seat gave its share back */
    creds_free(p->creds);
    free(p);
}

tls_client *seat_pool_global_tls(seat_pool *p)
{
    if (p->tls || p->tls_failed) return p->tls;
    char err[600];
    p->tls = tls_client_new(&p->cfg->tls, err, sizeof err);
    if (!p->tls) {
        p->tls_failed = true;
        log_kv(LOG_ERROR, "cannot set up TLS to Redis (--tls.*); rediss:// targets fail with reason tls", "detail", err,
               NULL);
    }
    return p->tls;
}

int seat_pool_reload(seat_pool *p) { return creds_reload(p->creds); }

bool seat_pool_reload_due(seat_pool *p) { return creds_reload_due(p->creds); }

static seat_share *share_get(seat_pool *p, const config_tls *t, const char *who)
{
    for (size_t i = 0; i < p->n_shares; i++)
        if (memcmp(&p->shares[i]->cfg, t, sizeof *t) == 0) {
            p->shares[i]->refs++;
            return p->shares[i];
        }
    seat_share *sh = xcalloc(1, sizeof *sh);
    sh->cfg = *t;
    sh->refs = 1;
    char err[600];
    sh->client = tls_client_new(&sh->cfg, err, sizeof err);
    if (!sh->client)
        log_kv(LOG_ERROR, "cannot set up this target's TLS; it fails with reason tls", "addr", who, "detail", err,
               NULL);
    p->shares = xrealloc(p->shares, (p->n_shares + 1) * sizeof *p->shares);
    p->shares[p->n_shares++] = sh;
    return sh;
}

static void share_put(seat_pool *p, seat_share *sh)
{
    if (!sh || --sh->refs > 0) return;
    for (size_t i = 0; i < p->n_shares; i++)
        if (p->shares[i] == sh) p->shares[i] = p->shares[--p->n_shares];
    tls_client_free(sh->client);
    free(sh);
}

void seat_credentials(seat_pool *p, seat *s, const seat *from)
{
    /* A sentinel seed with credentials of its own uses them; the masters and replicas it
     * finds get password_file (node_spec in discover.c leaves the sentinel's out). */
    const char *file = s->spec.sentinel_password_file ? s->spec.sentinel_password_file : s->spec.password_file;
    if (file) {
        char err[300];
        char *pw = config_read_password_file(file, err, sizeof err);
        if (pw) {
            wipe_free(s->file_pw);
            s->file_pw = pw;
        } else {
            log_kv(LOG_ERROR, "target password file not read; the previous password stays", "addr", tspec_key(&s->spec),
                   "detail", err, NULL);
        }
    }
    creds_resolve(p->creds, from ? &from->spec.addr : &s->spec.addr, s->file_pw, &s->cred);
    if (s->spec.sentinel_user) s->cred.user = s->spec.sentinel_user;
}

void seat_init(seat_pool *p, seat *s, const tspec *spec, const seat *from)
{
    memset(s, 0, sizeof *s);
    tspec_copy(&s->spec, spec);
    if (spec->tls && spec->addr.tls) s->tls = share_get(p, spec->tls, tspec_key(spec));
    seat_credentials(p, s, from);
}

void seat_free(seat_pool *p, seat *s)
{
    share_put(p, s->tls);
    wipe_free(s->file_pw);
    tspec_free(&s->spec);
}

tls_client *seat_tls(seat_pool *p, seat *s)
{
    if (!s->spec.addr.tls) return NULL;
    return s->spec.tls ? (s->tls ? s->tls->client : NULL) : seat_pool_global_tls(p);
}

static bool same_text(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

int seat_pool_reseat(seat_pool *p, const seat_ref *seats, size_t n, size_t *changed)
{
    /* copies first: a reload frees what the old credentials pointed into */
    char **before = xcalloc(2 * n + 1, sizeof *before);
    for (size_t i = 0; i < n; i++) {
        const target_credentials *t = &seats[i].s->cred;
        before[2 * i] = t->password ? xstrdup(t->password) : NULL;
        before[2 * i + 1] = t->user ? xstrdup(t->user) : NULL;
    }
    int rc = seat_pool_reload(p);
    *changed = 0;
    for (size_t i = 0; i < n; i++) {
        seat_credentials(p, seats[i].s, seats[i].from);
        const target_credentials *now = &seats[i].s->cred;
        *changed +=
            seats[i].counted && (!same_text(before[2 * i], now->password) || !same_text(before[2 * i + 1], now->user));
        wipe_free(before[2 * i]);
        free(before[2 * i + 1]);
    }
    free(before);
    return rc;
}
