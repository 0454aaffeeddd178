/* SPDX-License-Identifier: Apache-2.0 */
/* safefile: reading a small configuration or secret file without letting it stall the
 * event loop or be read half-written.
 *
 * Opened without blocking and only when it is a regular file (a FIFO or a device swapped
 * in for a targets, password or certificate file is refused at once, never waited on), at
 * most max bytes, and accepted only when it did not change during the read (its size,
 * mtime and inode the same before and after: a file rewritten in place is read again on
 * the next look instead of applied half-written). */
#ifndef RME_SAFEFILE_H
#define RME_SAFEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/* What a file was when it was looked at: two looks that agree saw the same content. */
typedef struct safefile_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    bool known;
} safefile_id;

/* Reads path whole into a new buffer, NUL-terminated, *len bytes (the caller frees it,
 * wiping it first when it holds a secret). NULL with the reason in err when it cannot
 * be opened, is not a regular file, is larger than max, or changed while it was read.
 * id (may be NULL) gets the identity of the file looked at, read or refused; unknown
 * (known false) when it changed while it was read, so that the next look reads it again. */
char *safefile_read(const char *path, size_t max, size_t *len, safefile_id *id, char *err, size_t errlen);
/* Opens path for reading as a stdio stream, with the same refusals (not regular, or a
 * FIFO that would block): for readers that stream. NULL with the reason in err. */
FILE *safefile_open(const char *path, char *err, size_t errlen);
/* The identity of path now (stat); false when it cannot be looked at. */
bool safefile_look(const char *path, safefile_id *id);
/* Whether two looks saw the same file. */
bool safefile_same(const safefile_id *a, const safefile_id *b);

#endif
