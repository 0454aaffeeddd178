/* SPDX-License-Identifier: Apache-2.0 */
/* resp: hiredis's reader, bounded. See include/resp.h. */
#include "resp.h"

#include <hiredis/sds.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "xalloc.h"

struct resp {
    redisReader *reader;
    redisReplyObjectFunctions *made_by; /* hiredis's own object functions, wrapped below */
    size_t allowance;                   /* bytes that may still arrive */
    size_t max_elements;                /* array elements one reply may declare, all levels */
    size_t elements;                    /* declared so far by the reply being read */
    bool refused;                       /* a hook refused a reply as too large */
    char why[128];
};

static void *hook_array(const redisReadTask *task, int elements)
{
    resp *r = task->privdata;
    if (!task->parent) r->elements = 0; /* a new reply starts */
    if (elements < 0 || (size_t)elements > r->max_elements - r->elements) {
        r->refused = true;
        return NULL; /* the reader fails with "Out of memory" */
    }
    r->elements += (size_t)elements;
    return r->made_by->createArray(task, elements);
}

static void *hook_string(const redisReadTask *task, char *s, size_t len)
{
    const resp *r = task->privdata;
    return r->made_by->createString(task, s, len);
}

static void *hook_integer(const redisReadTask *task, long long v)
{
    const resp *r = task->privdata;
    return r->made_by->createInteger(task, v);
}

static void *hook_nil(const redisReadTask *task)
{
    const resp *r = task->privdata;
    return r->made_by->createNil(task);
}

static void free_object(void *reply) { freeReplyObject(reply); }

static redisReplyObjectFunctions bounded = {hook_string, hook_array, hook_integer, hook_nil, free_object};

resp *resp_new(void)
{
    resp *r = xcalloc(1, sizeof *r);
    r->reader = redisReaderCreate();
    if (!r->reader) abort();
    r->made_by = r->reader->fn;
    r->reader->fn = &bounded;
    r->reader->privdata = r;
    /* A buffer larger than this is given back once its bytes are read (resp_next), not
     * kept sized for the largest reply so far: 8 KiB per target for an INFO. */
    r->reader->maxbuf = 1024;
    return r;
}

void resp_free(resp *r)
{
    if (!r) return;
    redisReaderFree(r->reader);
    free(r);
}

void resp_allow(resp *r, size_t n)
{
    r->allowance = n;
    r->max_elements = n / 4;
}

resp_status resp_feed(resp *r, const char *bytes, size_t n)
{
    if (n > r->allowance) {
        r->why[0] = '\0'; /* the owner knows its own byte limit best */
        return RESP_TOO_LARGE;
    }
    r->allowance -= n;
    if (redisReaderFeed(r->reader, bytes, n) != REDIS_OK) {
        snprintf(r->why, sizeof r->why, "%.100s", r->reader->errstr);
        return RESP_PROTOCOL;
    }
    return RESP_MORE;
}

resp_status resp_next(resp *r, redisReply **out)
{
    void *reply = NULL;
    *out = NULL;
    if (redisReaderGetReply(r->reader, &reply) != REDIS_OK) {
        if (r->refused) {
            snprintf(r->why, sizeof r->why, "reply declares more than %zu elements", r->max_elements);
            return RESP_TOO_LARGE;
        }
        snprintf(r->why, sizeof r->why, "%.100s", r->reader->errstr);
        return RESP_PROTOCOL;
    }
    /* Everything fed is read: the reader need hold nothing until the next poll (hiredis
     * itself would drop a large buffer only on the next feed). A reply holds copies. */
    redisReader *rd = r->reader;
    if (rd->pos == rd->len && rd->len + sdsavail(rd->buf) > rd->maxbuf) {
        sdsfree(rd->buf);
        rd->buf = sdsempty();
        if (!rd->buf) abort();
        rd->pos = rd->len = 0;
    }
    if (!reply) return RESP_MORE;
    *out = reply;
    return RESP_REPLY;
}

size_t resp_held(const resp *r) { return r->reader->len + sdsavail(r->reader->buf); }

const char *resp_error(const resp *r) { return r->why; }
