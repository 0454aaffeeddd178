/* SPDX-License-Identifier: Apache-2.0 */
/* hash: FNV-1a over a string, for "is it the same as before?" questions (a run_id, a log
 * line's detail) where keeping a hash is cheaper than keeping the text. Not for tables an
 * attacker fills: it is not keyed. */
#ifndef RME_HASH_H
#define RME_HASH_H

/* The hash of s; NULL hashes as "". */
static inline unsigned long long hash_text(const char *s)
{
    unsigned long long h = 1469598103934665603ULL;
    for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

#endif
