/* SPDX-License-Identifier: Apache-2.0 */
/* credmap: the password map file, in redis_exporter's JSON format, parsed and looked up.
 *
 *   {"redis://host:6379": "password", "rediss://exporter@host2:6380": "other", "unix:///run/r.sock": ""}
 *
 * Keys are target addresses as --redis.addr takes them (the user before '@' is the ACL
 * user); values are passwords ("" = no AUTH). Parsed with jansson; its allocations are
 * wiped when freed, and so are ours, so a password leaves no copy behind. Errors name the
 * line and column or the entry's number, never a value. Pure: text in, entries out. */
#ifndef RME_CREDMAP_H
#define RME_CREDMAP_H

#include <stddef.h>

#include "config.h"

typedef struct credmap_entry {
    config_target where; /* endpoint, and the user in where.user ("" = none) */
    char *password;      /* owned; NULL = no AUTH */
} credmap_entry;

typedef struct credmap {
    credmap_entry *e; /* owned */
    size_t n;
} credmap;

/* Parses len bytes of text into m (initialised here). Returns 0, or -1 with the reason in
 * err and m empty. */
int credmap_parse(const char *text, size_t len, credmap *m, char *err, size_t errlen);
/* The entry for target t (borrowed from m), or NULL. Same endpoint (host and port, or the
 * socket path; the scheme does not matter); an entry with t's user wins over others. */
const credmap_entry *credmap_find(const credmap *m, const config_target *t);
/* Wipes the passwords and frees; m is empty afterwards. */
void credmap_free(credmap *m);

#endif
