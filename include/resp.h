/* SPDX-License-Identifier: Apache-2.0 */
/* resp: a bounded RESP reader. Pure: bytes in, replies out; no I/O.
 *
 * hiredis's reader does the parsing; this module bounds it. Bytes are counted against an
 * allowance the owner sets (per poll), and what a reply declares is checked before hiredis
 * allocates anything for it: hiredis 0.14 allocates an array as soon as it reads its
 * header ("*1000000000\r\n" is 13 bytes and an 8 GB calloc). A reply may declare at most
 * one element per 4 bytes of the allowance (":0\r\n" is the smallest element), so a
 * truthful reply is never refused. Strings need no hook: hiredis makes one only when all
 * its bytes are in, and those were counted. Nesting deeper than 7 hiredis refuses itself. */
#ifndef RME_RESP_H
#define RME_RESP_H

#include <hiredis/hiredis.h>
#include <stddef.h>

typedef enum resp_status {
    RESP_REPLY,     /* *out holds a reply: free it with freeReplyObject */
    RESP_MORE,      /* no complete reply yet */
    RESP_TOO_LARGE, /* more bytes than allowed, or a reply declaring too many elements */
    RESP_PROTOCOL,  /* the bytes are not RESP */
} resp_status;

typedef struct resp resp;

resp *resp_new(void);
void resp_free(resp *r);
/* Allows n more bytes from now on, and so n / 4 elements per reply. */
void resp_allow(resp *r, size_t n);
/* Takes bytes; RESP_TOO_LARGE when they pass the allowance (nothing is kept then), else
 * RESP_MORE. After an error the reader is spent: make a new one. */
resp_status resp_feed(resp *r, const char *bytes, size_t n);
/* The next complete reply, if any. */
resp_status resp_next(resp *r, redisReply **out);
/* Bytes of buffer the reader holds now: none once what was fed is read, so an idle
 * connection keeps no reply-sized buffer (for the tests). */
size_t resp_held(const resp *r);
/* Why the last error happened, for logs ("" when the bytes passed the allowance; never a
 * secret: it is the reader's own text). */
const char *resp_error(const resp *r);

#endif
