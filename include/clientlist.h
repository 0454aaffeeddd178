/* SPDX-License-Identifier: Apache-2.0 */
/* clientlist: the clients that hold the most buffer, from CLIENT LIST's text. Pure.
 *
 * Asked only while a client buffer finding is active (see target.c), to name the client in
 * the fix: `CLIENT KILL ID 412`. Only the top DIAGNOSE_MAX_CLIENTS by output buffer (omem)
 * and by query buffer (qbuf) are kept, never a list per client. Replicas and the primary
 * (flags S or M: the replication rows judge those) and the exporter's own connection are
 * left out. Names and commands are cut and reduced to characters safe in a command. */
#ifndef RME_CLIENTLIST_H
#define RME_CLIENTLIST_H

#include <stddef.h>

#include "diagnose.h"

/* The exporter's CLIENT SETNAME: its own connection is never named as the culprit. */
#define CLIENTLIST_SELF_NAME "redis_memory_exporter"

/* Empties the list (listed = false). */
void clientlist_clear(diagnose_clients *l);
/* Adds the clients of one CLIENT LIST reply (several replies, e.g. TYPE normal and TYPE
 * pubsub, add up) and marks the list as listed. */
void clientlist_add(diagnose_clients *l, const char *text, size_t len);

#endif
