/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the bounded RESP reader. The first two bytes pick the allowance (up to 64 KiB)
 * and the next one how the rest is cut into chunks. Invariants: no crash; no reply holds
 * more elements than the allowance permits (one per 4 bytes); after TOO_LARGE or PROTOCOL
 * nothing more is read. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count(const redisReply *r)
{
    size_t n = 0;
    if (r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r->elements; i++) n += 1 + count(r->element[i]);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    size_t allow = ((size_t)data[0] << 8 | data[1]) + 1;
    size_t chunk = (size_t)data[2] % 64 + 1;
    data += 3;
    size -= 3;
    resp *r = resp_new();
    resp_allow(r, allow);
    resp_status st = RESP_MORE;
    for (size_t off = 0; off < size && st == RESP_MORE; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        st = resp_feed(r, (const char *)data + off, n);
        while (st == RESP_MORE) {
            redisReply *rep;
            st = resp_next(r, &rep);
            if (st != RESP_REPLY) break;
            if (count(rep) > allow / 4) abort();
            freeReplyObject(rep);
            st = RESP_MORE;
        }
    }
    resp_free(r);
    return 0;
}
