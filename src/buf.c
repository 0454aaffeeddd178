/* SPDX-License-Identifier: Apache-2.0 */
/* buf: growable text buffer. See include/buf.h. */
#include "buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void buf_init(buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_free(buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(buf *b)
{
    b->len = 0;
    if (b->cap) b->data[0] = '\0';
}

/* The slow path, kept out of line so that the appends stay small. */
__attribute__((noinline)) static void grow(buf *b, size_t n)
{
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_reserve(buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap) grow(b, n);
}

void buf_append(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) grow(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_puts(buf *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        buf_append(b, small, (size_t)n);
        return;
    }
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Writes a non-negative integer below 2^63 in decimal, without printf. */
static size_t put_uint(char *out, unsigned long long v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    return n;
}

/* v with the fewest decimals (1 to 9) that read back as exactly v, into s; 0 when none
 * does (or v is too large for them). m / 10^d, both exact in a double, is correctly
 * rounded, as strtod of the same decimal is: equal to v means the text reads back as v.
 * The common fractions (ratios, timestamps in microseconds) end here, without the cost
 * of printf's arbitrary precision. */
static size_t put_decimal(char *s, double v)
{
    static const double pow10[] = {1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    double a = fabs(v);
    for (int d = 1; d <= 9; d++) {
        double scaled = a * pow10[d - 1];
        if (scaled >= 9007199254740992.0) return 0;
        unsigned long long m = (unsigned long long)llround(scaled);
        if ((double)m / pow10[d - 1] != a) continue;
        size_t n = 0;
        if (v < 0) s[n++] = '-';
        char digits[24];
        size_t k = put_uint(digits, m), whole = k > (size_t)d ? k - (size_t)d : 0;
        if (whole == 0) s[n++] = '0';
        memcpy(s + n, digits, whole);
        n += whole;
        s[n++] = '.';
        for (size_t z = k; z < (size_t)d; z++) s[n++] = '0'; /* leading zeros of the fraction */
        memcpy(s + n, digits + whole, k - whole);
        n += k - whole;
        while (s[n - 1] == '0') n--; /* m may end in zeros when it rounded up */
        return n;
    }
    return 0;
}

void buf_put_double(buf *b, double v)
{
    if (isnan(v)) {
        buf_puts(b, "NaN");
        return;
    }
    if (isinf(v)) {
        buf_puts(b, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char s[40];
    size_t n;
    /* Integers (the common case: bytes, counts) print exactly, without an exponent. */
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        n = 0;
        if (v < 0) s[n++] = '-';
        n += put_uint(s + n, (unsigned long long)fabs(v));
    } else if ((n = put_decimal(s, v)) == 0) {
        /* Shortest of %.15g..%.17g that reads back exactly. The program never calls
         * setlocale(), so the C locale's '.' is the decimal point. */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(s, sizeof s, "%.*g", prec, v);
            if (strtod(s, NULL) == v) break;
        }
        n = strlen(s);
    }
    buf_append(b, s, n);
}

char *buf_steal(buf *b, size_t *len)
{
    if (!b->data) buf_reserve(b, 0);
    char *d = b->data;
    if (len) *len = b->len;
    buf_init(b);
    return d;
}
