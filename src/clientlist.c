/* SPDX-License-Identifier: Apache-2.0 */
/* clientlist: pure CLIENT LIST reader. See include/clientlist.h. */
#include "clientlist.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topn.h"

void clientlist_clear(diagnose_clients *l) { memset(l, 0, sizeof *l); }

/* The value of key= in one line (not NUL-terminated), or NULL. */
static const char *field(const char *line, size_t len, const char *key, size_t *vlen)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i + klen < len; i++) {
        if ((i == 0 || line[i - 1] == ' ') && memcmp(line + i, key, klen) == 0 && line[i + klen] == '=') {
            const char *v = line + i + klen + 1;
            const char *end = memchr(v, ' ', len - (size_t)(v - line));
            *vlen = end ? (size_t)(end - v) : len - (size_t)(v - line);
            return v;
        }
    }
    return NULL;
}

/* Copies a value keeping only characters that are safe inside `...` in a fix and in
 * HTML once escaped; others become '?'. */
static void copy_safe(char *out, size_t cap, const char *v, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        char ch = v[i];
        bool ok =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("._:|/@-[]", ch);
        out[o++] = ok && ch ? ch : '?';
    }
    out[o] = '\0';
}

static double number(const char *line, size_t len, const char *key, bool *has)
{
    size_t vlen;
    const char *v = field(line, len, key, &vlen);
    *has = v != NULL && vlen > 0 && vlen < 24;
    if (!*has) return 0;
    char tmp[24];
    memcpy(tmp, v, vlen);
    tmp[vlen] = '\0';
    return strtod(tmp, NULL);
}

/* Inserts c into a list sorted biggest first, keeping the top DIAGNOSE_MAX_CLIENTS. */
static void rank(diagnose_client *list, size_t *n, const diagnose_client *c)
{
    if (c->bytes <= 0) return;
    size_t pos =
        topn_make_room(list, n, DIAGNOSE_MAX_CLIENTS, sizeof *list, offsetof(diagnose_client, bytes), c->bytes);
    if (pos < DIAGNOSE_MAX_CLIENTS) list[pos] = *c;
}

static void add_line(diagnose_clients *l, const char *line, size_t len)
{
    size_t vlen;
    bool has_id, has_omem, has_qbuf;
    const char *flags = field(line, len, "flags", &vlen);
    if (flags && (memchr(flags, 'S', vlen) || memchr(flags, 'M', vlen))) return;
    const char *name = field(line, len, "name", &vlen);
    size_t self = strlen(CLIENTLIST_SELF_NAME);
    if (name && vlen == self && memcmp(name, CLIENTLIST_SELF_NAME, self) == 0) return;
    diagnose_client c = {0};
    c.id = (unsigned long long)number(line, len, "id", &has_id);
    if (!has_id) return;
    if (name) copy_safe(c.name, sizeof c.name, name, vlen);
    const char *v = field(line, len, "addr", &vlen);
    if (v) copy_safe(c.addr, sizeof c.addr, v, vlen);
    if ((v = field(line, len, "cmd", &vlen))) copy_safe(c.cmd, sizeof c.cmd, v, vlen);
    c.tot_mem = number(line, len, "tot-mem", &c.has_tot_mem);
    double omem = number(line, len, "omem", &has_omem);
    double qbuf = number(line, len, "qbuf", &has_qbuf);
    c.bytes = omem;
    if (has_omem) rank(l->output, &l->n_output, &c);
    c.bytes = qbuf;
    if (has_qbuf) rank(l->query, &l->n_query, &c);
}

void clientlist_add(diagnose_clients *l, const char *text, size_t len)
{
    l->listed = true;
    while (len > 0) {
        const char *nl = memchr(text, '\n', len);
        size_t line = nl ? (size_t)(nl - text) : len;
        size_t body = line > 0 && text[line - 1] == '\r' ? line - 1 : line;
        if (body > 0) add_line(l, text, body);
        if (!nl) break;
        text += line + 1;
        len -= line + 1;
    }
}
