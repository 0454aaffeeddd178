/* SPDX-License-Identifier: Apache-2.0 */
/* log: leveled, structured lines on stderr, as logfmt or JSON.
 *
 *   log_kv(LOG_WARN, "poll failed", "addr", addr, "reason", "timeout", NULL);
 *
 * Each line is built in one buffer and written with one call, so lines from the HTTP
 * thread and the collector thread never interleave. Values are escaped (quotes, control
 * characters), so text from Redis cannot forge a line. Never pass a secret. */
#ifndef RME_LOG_H
#define RME_LOG_H

#include <stdbool.h>

typedef enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;
typedef enum log_format { LOG_LOGFMT, LOG_JSON } log_format;

/* Sets the threshold and format; call once at start, before any thread exists. */
void log_setup(log_level min, log_format fmt);
bool log_enabled(log_level lvl);
/* Writes msg with key/value string pairs; the argument list ends with NULL. */
void log_kv(log_level lvl, const char *msg, ...) __attribute__((sentinel));

#endif
