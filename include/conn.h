/* SPDX-License-Identifier: Apache-2.0 */
/* conn: one non-blocking connection to a Redis server: socket, RESP reader, reply queue.
 *
 * Built on libevent bufferevents (TCP with evdns name resolution, unix sockets, TLS with
 * libevent's OpenSSL bufferevents), so the event loop never blocks; once a plain socket is
 * up it is read with one recv() per readiness and written with one send() when nothing is
 * queued (two system calls a poll: a fleet makes ten thousand a second). hiredis is used
 * only as the RESP codec. Every command sent
 * carries a tag (what it asks and which poll it belongs to) that comes back with its
 * reply, in order, so a late reply of an earlier poll is never taken for a new one.
 * Replies are read by the bounded reader (resp.h): bytes are counted against an allowance
 * the owner sets per poll, and what a reply declares is checked before anything is
 * allocated for it, so a lying server costs at most its bytes and its poll's deadline.
 *
 * Threading: the event_base's thread only. Callbacks may call conn_free on their own
 * connection: the free is deferred until the callback returns. */
#ifndef RME_CONN_H
#define RME_CONN_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "config.h"

struct event_base;
struct evdns_base;
struct tls_client;

typedef struct conn_tag {
    unsigned short kind; /* the owner's: what the reply answers */
    unsigned short slot; /* the owner's: e.g. which key of a sampler step */
    unsigned poll;       /* the poll (or sampler step) it belongs to */
} conn_tag;

typedef enum conn_event {
    CONN_CONNECTED,      /* the socket is up */
    CONN_CONNECT_FAILED, /* never came up: refused, unreachable, name not resolved */
    CONN_CLOSED,         /* was up: the server closed it, or a socket error */
    CONN_TLS,            /* the TLS handshake failed, or TLS broke later (detail says why) */
    CONN_PROTOCOL,       /* bytes that are not RESP */
    CONN_TOO_LARGE,      /* more bytes than allowed, or a reply declaring more elements
                              (detail is empty, or says which) */
    CONN_UNEXPECTED,     /* data when no reply was expected */
} conn_event;

typedef struct conn_handlers {
    /* One reply with the tag of its command; the reply is freed when this returns. */
    void (*reply)(void *arg, conn_tag tag, redisReply *reply);
    /* Anything else; every event but CONN_CONNECTED means the connection is unusable:
     * the owner should conn_free it. detail is borrowed for the call, never a secret. */
    void (*event)(void *arg, conn_event ev, const char *detail);
} conn_handlers;

typedef struct conn conn;

/* Creates the connection and starts connecting to addr (borrowed, must outlive it), over
 * TLS from tls (borrowed) when addr->tls; the handshake is part of connecting, so
 * CONN_CONNECTED means it completed.
 * Commands may be sent at once: they are buffered until the socket is up. A connect
 * error found at once is reported on the next loop iteration, never from inside this
 * call, so the caller has stored the pointer by then. */
conn *conn_open(struct event_base *base, struct evdns_base *dns, const config_target *addr, struct tls_client *tls,
                const conn_handlers *h, void *arg);
/* Closes and frees (deferred when called from the connection's own callback). NULL ok. */
void conn_free(conn *c);
/* Queues one command (binary-safe when lens is given). The formatted bytes are wiped
 * after sending: the command may hold a password. */
void conn_send(conn *c, int argc, const char **argv, const size_t *lens, conn_tag tag);
/* Sets how many more bytes may arrive before CONN_TOO_LARGE (counted from now), and so
 * how many elements a reply may declare (one per 4 bytes). */
void conn_allow_bytes(conn *c, size_t n);

/* A DNS resolver for the base that never blocks the loop (evdns, /etc/hosts honoured,
 * working without a resolv.conf). NULL when it cannot start. Free with evdns_base_free. */
struct evdns_base *conn_resolver_new(struct event_base *base);

#endif
