/* SPDX-License-Identifier: Apache-2.0 */
/* shard: which of N exporter replicas watches a target (--targets.shard=I/N). Pure.
 *
 * Rendezvous (highest random weight) hashing on the target's key: every replica computes
 * the same owner without talking to the others, and going from N to N+1 replicas moves
 * only the targets the new replica wins (about 1/(N+1) of them). */
#ifndef RME_SHARD_H
#define RME_SHARD_H

#include <stddef.h>

/* The replica (0 <= result < n) that owns key; 0 when n <= 1. */
unsigned shard_owner(const char *key, unsigned n);

#endif
