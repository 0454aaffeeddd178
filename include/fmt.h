/* SPDX-License-Identifier: Apache-2.0 */
/* fmt: small formatting helpers shared by every renderer (findings, doctor, landing). Pure. */
#ifndef RME_FMT_H
#define RME_FMT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* A byte count for people: "512 B", "1.5 KiB", "30.5 MiB" (1024-based). */
void fmt_bytes(double bytes, char *out, size_t cap);
/* Length of the valid UTF-8 sequence at s (1 for ASCII), or 0 when it is not one
 * (overlong forms, surrogates and code points past U+10FFFF included). */
size_t fmt_utf8_len(const unsigned char *s);
/* Appends s as a JSON string literal: quotes, backslashes and control bytes escaped,
 * invalid UTF-8 replaced by U+FFFD. NULL is written as "". */
void fmt_json_string(buf *b, const char *s);
/* Appends v as a JSON number, or null when v is NaN or infinite (JSON has neither). */
void fmt_json_number(buf *b, double v);
/* Appends s with the HTML special characters escaped. */
void fmt_html(buf *b, const char *s);
/* A finding's fix in pieces, in turn: prose, and each command (marked `...` in the text,
 * diagnose.h) without its backticks. Returns the next piece of *cursor's text, with its
 * length in *len and *is_cmd set, and moves *cursor past it; NULL at the end. An
 * unclosed backtick's rest is a command. The pieces point into the text. */
const char *fmt_fix_piece(const char **cursor, size_t *len, bool *is_cmd);
/* Writes a one-line error message into err (control bytes become '?', so a message that
 * quotes what the user typed stays one printable line). Returns -1, for `return fmt_error(...)`. */
int fmt_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
