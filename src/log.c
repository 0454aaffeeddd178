/* SPDX-License-Identifier: Apache-2.0 */
/* log: logfmt / JSON lines on stderr. See include/log.h.
 * Globals: the level and format, written once before threads start, then only read. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fmt.h"

static log_level min_level = LOG_INFO;
static log_format format = LOG_LOGFMT;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_setup(log_level min, log_format fmt)
{
    min_level = min;
    format = fmt;
}

bool log_enabled(log_level lvl) { return lvl >= min_level; }

/* logfmt quotes a value only when it must; JSON always does. */
static void put_value(buf *b, const char *v)
{
    bool quote = format == LOG_JSON || *v == '\0';
    for (const char *p = v; *p && !quote; p++)
        if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20 || *p == '\\') quote = true;
    if (quote) buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)v; *p;) {
        size_t n = 1;
        if (*p == '"' || *p == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)*p);
        } else if (*p == '\n') buf_puts(b, "\\n");
        else if (*p == '\r') buf_puts(b, "\\r");
        else if (*p == '\t') buf_puts(b, "\\t");
        else if (*p < 0x20 || *p == 0x7f) buf_printf(b, "\\u%04x", *p);
        else if ((n = fmt_utf8_len(p)) == 0) {
            buf_puts(b, "\xEF\xBF\xBD");
            n = 1;
        } /* lines stay UTF-8 */
        else
            buf_append(b, (const char *)p, n);
        p += n;
    }
    if (quote) buf_putc(b, '"');
}

static void put_pair(buf *b, bool first, const char *k, const char *v)
{
    if (format == LOG_JSON) {
        if (!first) buf_putc(b, ',');
        buf_putc(b, '"');
        buf_puts(b, k);
        buf_puts(b, "\":");
    } else {
        if (!first) buf_putc(b, ' ');
        buf_puts(b, k);
        buf_putc(b, '=');
    }
    put_value(b, v);
}

void log_kv(log_level lvl, const char *msg, ...)
{
    if (!log_enabled(lvl)) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);

    buf b;
    buf_init(&b);
    if (format == LOG_JSON) buf_putc(&b, '{');
    put_pair(&b, true, "time", when);
    put_pair(&b, false, "level", level_names[lvl]);
    put_pair(&b, false, "msg", msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k) break;
        const char *v = va_arg(ap, const char *);
        put_pair(&b, false, k, v ? v : "");
    }
    va_end(ap);
    if (format == LOG_JSON) buf_putc(&b, '}');
    buf_putc(&b, '\n');
    /* One write(2) per line: stdio buffering could split it. */
    ssize_t w = write(STDERR_FILENO, b.data, b.len);
    (void)w;
    buf_free(&b);
}
