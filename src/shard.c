/* SPDX-License-Identifier: Apache-2.0 */
/* shard: rendezvous hashing. See include/shard.h. */
#include "shard.h"

#include <stdint.h>

/* FNV-1a over the key, then one splitmix64 round per replica: a well-mixed weight for
 * each (key, replica) pair. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

unsigned shard_owner(const char *key, unsigned n)
{
    if (n <= 1) return 0;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 0x100000001b3ULL;
    unsigned best = 0;
    uint64_t best_w = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t w = mix(h ^ mix(i));
        if (i == 0 || w > best_w) {
            best = i;
            best_w = w;
        }
    }
    return best;
}
