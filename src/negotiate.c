/* SPDX-License-Identifier: Apache-2.0 */
/* negotiate: Accept and Accept-Encoding parsing. See include/negotiate.h. */
#include "negotiate.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Trims spaces and tabs from both ends of [*s, *e). */
static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t')) (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t')) (*e)--;
}

static bool token_is(const char *s, const char *e, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(e - s) == n && strncasecmp(s, word, n) == 0;
}

/* Reads one element "type;p=v;q=0.5": sets the media range and returns its q, and
 * whether a version parameter was present and which. */
typedef struct element {
    const char *type, *type_end;
    double q;
    const char *version, *version_end;
} element;

static void parse_element(const char *s, const char *e, element *out)
{
    out->q = 1.0;
    out->version = out->version_end = NULL;
    const char *semi = memchr(s, ';', (size_t)(e - s));
    out->type = s;
    out->type_end = semi ? semi : e;
    trim(&out->type, &out->type_end);
    while (semi) {
        const char *p = semi + 1;
        semi = memchr(p, ';', (size_t)(e - p));
        const char *pe = semi ? semi : e;
        trim(&p, &pe);
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        if (!eq) continue;
        const char *k = p, *ke = eq, *v = eq + 1, *ve = pe;
        trim(&k, &ke);
        trim(&v, &ve);
        if (token_is(k, ke, "q")) {
            char tmp[16];
            size_t n = (size_t)(ve - v) < sizeof tmp - 1 ? (size_t)(ve - v) : sizeof tmp - 1;
            memcpy(tmp, v, n);
            tmp[n] = '\0';
            char *stop;
            double q = strtod(tmp, &stop);
            out->q = (stop == tmp || q < 0) ? 0 : (q > 1 ? 1 : q);
        } else if (token_is(k, ke, "version")) {
            out->version = v;
            out->version_end = ve;
        }
    }
}

/* Parses the element at *p (up to the next comma) into el and moves *p past it;
 * false at the end of the list. */
static bool next_element(const char **p, element *el)
{
    if (!**p) return false;
    const char *comma = strchr(*p, ',');
    const char *e = comma ? comma : *p + strlen(*p);
    parse_element(*p, e, el);
    *p = comma ? comma + 1 : e;
    return true;
}

bool negotiate_openmetrics(const char *accept)
{
    if (!accept || !*accept) return false;
    double best_om = 0, best_text = 0;
    const char *p = accept;
    element el;
    while (next_element(&p, &el)) {
        bool has_version = el.version != NULL;
        if (token_is(el.type, el.type_end, "application/openmetrics-text")) {
            if (!has_version || token_is(el.version, el.version_end, "1.0.0") ||
                token_is(el.version, el.version_end, "0.0.1"))
                if (el.q > best_om) best_om = el.q;
        } else if (token_is(el.type, el.type_end, "text/plain")) {
            if (!has_version || token_is(el.version, el.version_end, "0.0.4"))
                if (el.q > best_text) best_text = el.q;
        } else if (token_is(el.type, el.type_end, "*/*") || token_is(el.type, el.type_end, "text/*")) {
            if (el.q > best_text) best_text = el.q;
        }
    }
    return best_om > 0 && best_om > best_text;
}

bool negotiate_gzip(const char *accept_encoding)
{
    if (!accept_encoding) return false;
    const char *p = accept_encoding;
    element el;
    while (next_element(&p, &el))
        if ((token_is(el.type, el.type_end, "gzip") || token_is(el.type, el.type_end, "*")) && el.q > 0) return true;
    return false;
}
