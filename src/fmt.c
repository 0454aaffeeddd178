/* SPDX-License-Identifier: Apache-2.0 */
/* fmt: shared formatting helpers. See include/fmt.h. */
#include "fmt.h"

#include <stdarg.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

void fmt_bytes(double bytes, char *out, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    double v = bytes;
    while (fabs(v) >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0) snprintf(out, cap, "%.0f B", v);
    else snprintf(out, cap, "%.1f %s", v, units[u]);
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
size_t fmt_utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80) return 1;
    size_t n;
    unsigned min;
    unsigned cp;
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        cp = s[0] & 0x1F;
        min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        cp = s[0] & 0x0F;
        min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        cp = s[0] & 0x07;
        min = 0x10000;
    } else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

void fmt_json_string(buf *b, const char *s)
{
    buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
        if (*p == '"' || *p == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)*p++);
            continue;
        }
        if (*p < 0x20 || *p == 0x7f) {
            buf_printf(b, "\\u%04x", *p++);
            continue;
        }
        size_t n = fmt_utf8_len(p);
        if (n == 0) { /* JSON is UTF-8: a stray byte becomes U+FFFD */
            buf_puts(b, "\xEF\xBF\xBD");
            p++;
            continue;
        }
        buf_append(b, (const char *)p, n);
        p += n;
    }
    buf_putc(b, '"');
}

void fmt_json_number(buf *b, double v)
{
    if (isfinite(v)) buf_put_double(b, v);
    else buf_puts(b, "null");
}

void fmt_html(buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&#39;");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

int fmt_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (char *p = err; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    return -1;
}

const char *fmt_fix_piece(const char **cursor, size_t *len, bool *is_cmd)
{
    const char *p = *cursor;
    if (!p || !*p) return NULL;
    *is_cmd = *p == '`';
    if (*is_cmd) p++;
    const char *end = strchr(p, '`');
    *len = end ? (size_t)(end - p) : strlen(p);
    /* a command's closing backtick is its own; a prose piece stops before the next opening one */
    *cursor = end ? (*is_cmd ? end + 1 : end) : p + *len;
    return p;
}
