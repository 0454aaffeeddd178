/* SPDX-License-Identifier: Apache-2.0 */
/* conn: bufferevent + bounded RESP reader (resp.h) + tagged reply queue. See include/conn.h. */
#include "conn.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "resp.h"
#include "tls.h"
#include "xalloc.h"

/* Replies in flight at most: one poll (AUTH, SETNAME, CONFIG, 8 INFOs) plus one sampler
 * step (SELECT, SCAN, 2 per key) fit with room to spare. The queue starts small (a poll
 * needs a dozen) and doubles when a sampler step needs more: memory per target counts. */
#define QUEUE_FIRST 16
#define QUEUE_MAX 512

struct conn {
    struct bufferevent *bev;
    struct event *read_ev;     /* plain sockets once up: reads without the bufferevent */
    resp *reader;              /* bounded RESP reader */
    struct event *deferred_ev; /* reports a connect error found inside conn_open */
    conn_handlers h;
    void *arg;
    conn_tag *queue; /* ring of the tags of the replies still to come */
    size_t q_head, q_len, q_cap;
    bool opening;     /* inside conn_open: events are deferred */
    bool in_callback; /* inside a handler: conn_free is deferred */
    bool dead;        /* conn_free was called inside a handler */
    bool up;          /* the socket connected (and the TLS handshake ended) */
    bool tls;         /* bev is an OpenSSL bufferevent */
    bool got_data;    /* a byte came from the server on this connection */
    bool has_deferred;
    conn_event deferred;
    char deferred_detail[128];
};

static void destroy(conn *c)
{
    if (c->read_ev) event_free(c->read_ev);
    /* Safe inside the bufferevent's own callbacks: libevent defers the free. */
    if (c->bev) bufferevent_free(c->bev);
    resp_free(c->reader);
    free(c->queue);
    if (c->deferred_ev) event_free(c->deferred_ev);
    free(c);
}

void conn_free(conn *c)
{
    if (!c) return;
    if (c->in_callback) {
        c->dead = true;
        return;
    }
    destroy(c);
}

/* Calls the event handler; returns false when the handler freed the connection. */
static bool emit(conn *c, conn_event ev, const char *detail)
{
    if (c->opening) {
        c->has_deferred = true;
        c->deferred = ev;
        /* (never the deferred detail itself: on_deferred emits after opening) */
        if (detail != c->deferred_detail) snprintf(c->deferred_detail, sizeof c->deferred_detail, "%s", detail);
        event_active(c->deferred_ev, EV_TIMEOUT, 0);
        return true;
    }
    c->in_callback = true;
    c->h.event(c->arg, ev, detail);
    c->in_callback = false;
    if (c->dead) {
        destroy(c);
        return false;
    }
    return true;
}

static void on_deferred(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn *c = arg;
    emit(c, c->deferred, c->deferred_detail);
}

/* Hands the replies read so far to their owner, in order; st is how feeding ended. */
static void dispatch(conn *c, resp_status st)
{
    while (st == RESP_MORE && c->q_len > 0) {
        redisReply *reply;
        st = resp_next(c->reader, &reply);
        if (st != RESP_REPLY) break;
        st = RESP_MORE;
        conn_tag tag = c->queue[c->q_head];
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_len--;
        c->in_callback = true;
        c->h.reply(c->arg, tag, reply);
        c->in_callback = false;
        freeReplyObject(reply);
        if (c->dead) {
            destroy(c);
            return;
        }
    }
    if (st == RESP_TOO_LARGE) emit(c, CONN_TOO_LARGE, resp_error(c->reader));
    else if (st == RESP_PROTOCOL) emit(c, CONN_PROTOCOL, resp_error(c->reader));
}

static void on_read(struct bufferevent *bev, void *arg)
{
    conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    c->got_data = true;
    if (c->q_len == 0) {
        evbuffer_drain(in, n);
        emit(c, CONN_UNEXPECTED, "unexpected data from redis");
        return;
    }
    struct evbuffer_iovec v[16];
    int k = evbuffer_peek(in, -1, NULL, v, 16);
    if (k > 16) {
        /* More chunks than the array: make it one piece (the allowance bounds it). */
        evbuffer_pullup(in, -1);
        k = evbuffer_peek(in, -1, NULL, v, 16);
    }
    resp_status st = RESP_MORE;
    for (int i = 0; i < k && st == RESP_MORE; i++) st = resp_feed(c->reader, v[i].iov_base, v[i].iov_len);
    evbuffer_drain(in, n);
    dispatch(c, st);
}

/* A plain socket that is up is read here, one recv() per readiness into a buffer that
 * holds a whole INFO: the bufferevent would ask FIONREAD first and read 4 KiB at a time,
 * four system calls per poll instead of one. */
#define READ_CHUNK 16384
static void on_sock_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    conn *c = arg;
    char bytes[READ_CHUNK];
    ssize_t n = recv(fd, bytes, sizeof bytes, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {
        /* the socket's own reason ("Connection reset by peer"), as the bufferevent's
         * connect errors give theirs */
        const char *why = n == 0 ? "connection closed by server" : evutil_socket_error_to_string(errno);
        char hinted[200];
        /* A TLS-only port resets a plaintext client without a word: before any reply,
         * that is the likeliest reason, so say it (a unix socket is never TLS). */
        struct sockaddr_storage mine;
        socklen_t mlen = sizeof mine;
        bool tcp = getsockname(fd, (struct sockaddr *)&mine, &mlen) == 0 && mine.ss_family != AF_UNIX;
        if (!c->got_data && tcp) {
            snprintf(hinted, sizeof hinted, "%s before any reply (a TLS port? then use rediss://)", why);
            why = hinted;
        }
        event_del(c->read_ev);
        emit(c, CONN_CLOSED, why);
        return;
    }
    c->got_data = true;
    if (c->q_len == 0) {
        emit(c, CONN_UNEXPECTED, "unexpected data from redis");
        return;
    }
    dispatch(c, resp_feed(c->reader, bytes, (size_t)n));
}

/* Takes reading over from the bufferevent (plain sockets, once connected). */
static void read_directly(conn *c)
{
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    if (c->tls || fd < 0) return;
    c->read_ev = event_new(bufferevent_get_base(c->bev), fd, EV_READ | EV_PERSIST, on_sock_read, c);
    if (!c->read_ev) return; /* the bufferevent goes on reading */
    bufferevent_disable(c->bev, EV_READ);
    event_add(c->read_ev, NULL);
}

/* Whether the socket under bev got connected (for TLS, CONNECTED waits for the handshake). */
static bool tcp_up(struct bufferevent *bev)
{
    evutil_socket_t fd = bufferevent_getfd(bev);
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    return fd >= 0 && getpeername(fd, (struct sockaddr *)&peer, &len) == 0;
}

/* Whether the socket under bev is connected to itself. With nothing listening on a
 * local port inside the ephemeral range, the kernel can pick that very port as our
 * source port, and TCP's simultaneous open then connects the socket to itself: our
 * commands come back as "replies", and the port stays taken, so the Redis that should
 * listen there cannot bind it when it starts. */
static bool self_connected(struct bufferevent *bev)
{
    evutil_socket_t fd = bufferevent_getfd(bev);
    struct sockaddr_storage mine, peer;
    socklen_t mlen = sizeof mine, plen = sizeof peer;
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&mine, &mlen) != 0 ||
        getpeername(fd, (struct sockaddr *)&peer, &plen) != 0)
        return false;
    if (mine.ss_family == AF_UNIX) return false;
    return mlen == plen && memcmp(&mine, &peer, mlen) == 0;
}

/* A socket connected to itself is a refused connect. Closed with a reset: no FIN
 * exchange with itself, no TIME_WAIT, so the port is free at once for the server that
 * belongs there. */
static void refuse_self(conn *c, struct bufferevent *bev)
{
    struct linger reset = {1, 0};
    (void)setsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    emit(c, CONN_CONNECT_FAILED, "nothing listens on the port (the socket connected to itself)");
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        /* (Over TLS this comes after the handshake, which a self-connection never
         * completes: that case is below, with the errors.) */
        if (!c->tls && self_connected(bev)) {
            refuse_self(c, bev);
            return;
        }
        c->up = true;
        read_directly(c);
        emit(c, CONN_CONNECTED, "");
        return;
    }
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))) return;
    int sock_err = EVUTIL_SOCKET_ERROR(); /* before anything else can change it */
    /* Over TLS a self-connection shows as a failed handshake (its ClientHello comes back
     * to it), not as a connect. */
    if (c->tls && !c->up && self_connected(bev)) {
        refuse_self(c, bev);
        return;
    }
    /* An OpenSSL error (or a certificate the handshake refused) is a TLS failure, also
     * when it comes after the handshake: a server that wants a client certificate says so
     * with an alert after a TLS 1.3 handshake has ended on our side. */
    if (c->tls) {
        unsigned long code = 0, e;
        /* libevent also queues SSL_get_error() values (SSL_ERROR_SYSCALL: a socket
         * error): only codes of an OpenSSL library name a TLS reason. */
        while ((e = bufferevent_get_openssl_error(bev)) != 0)
            if (ERR_GET_LIB(e) != 0) code = e;
        SSL *ssl = bufferevent_openssl_get_ssl(bev);
        /* A verify result counts only during the handshake: without verification it
         * holds the (ignored) complaint for the life of the connection. */
        bool refused = !c->up && ssl && SSL_get_verify_result(ssl) != X509_V_OK;
        if (code || refused || (!c->up && tcp_up(bev))) {
            char detail[200];
            tls_describe_failure(refused ? ssl : NULL, code, detail, sizeof detail);
            emit(c, CONN_TLS, detail);
            return;
        }
        /* Closed right after the handshake, before a single reply: a TLS 1.3 server that
         * wants a client certificate says so after the handshake, and its alert can be
         * lost to the reset that follows it. */
        if (c->up && !c->got_data) {
            emit(c, CONN_TLS,
                 "the server closed the connection right after the TLS handshake, before any reply "
                 "(does it require a client certificate? --tls.cert-file and --tls.key-file)");
            return;
        }
    }
    if (c->up) {
        emit(c, CONN_CLOSED, (what & BEV_EVENT_EOF) ? "connection closed by server" : "connection error");
        return;
    }
    char detail[128];
    int dns_err = bufferevent_socket_get_dns_error(bev);
    if (dns_err) snprintf(detail, sizeof detail, "cannot resolve host: %s", evutil_gai_strerror(dns_err));
    else snprintf(detail, sizeof detail, "%s", evutil_socket_error_to_string(sock_err));
    emit(c, CONN_CONNECT_FAILED, detail);
}

/* The bufferevent for addr: plain, or TLS with a session from tls. NULL with the reason
 * in why when the TLS session cannot be made. */
static struct bufferevent *make_bev(conn *c, struct event_base *base, const config_target *addr, struct tls_client *tls,
                                    char *why, size_t cap)
{
    if (!addr->tls || addr->kind != CONFIG_ADDR_TCP) return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!tls) {
        snprintf(why, cap, "TLS is not set up for this target");
        return NULL;
    }
    SSL *ssl = tls_client_session(tls, addr->host, why, cap);
    if (!ssl) return NULL;
    struct bufferevent *bev =
        bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        SSL_free(ssl);
        snprintf(why, cap, "cannot start a TLS connection");
        return NULL;
    }
    /* Servers often close without a TLS close_notify: that is an end, not an attack on a
     * reply already complete (RESP frames itself). */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    c->tls = true;
    return bev;
}

conn *conn_open(struct event_base *base, struct evdns_base *dns, const config_target *addr, struct tls_client *tls,
                const conn_handlers *h, void *arg)
{
    conn *c = xcalloc(1, sizeof *c);
    c->h = *h;
    c->arg = arg;
    char why[300] = "";
    c->bev = make_bev(c, base, addr, tls, why, sizeof why);
    if (!c->bev && addr->tls) {
        /* Report as a TLS failure on the next iteration, like any connect error. */
        c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
        c->has_deferred = true;
    }
    c->reader = resp_new();
    c->q_cap = QUEUE_FIRST;
    c->queue = xcalloc(c->q_cap, sizeof *c->queue);
    c->deferred_ev = evtimer_new(base, on_deferred, c);
    if (!c->bev || !c->deferred_ev) abort();
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->opening = true;
    if (c->has_deferred) {
        c->has_deferred = false;
        emit(c, CONN_TLS, why);
        c->opening = false;
        return c;
    }
    int rc;
    if (addr->kind == CONFIG_ADDR_UNIX) {
        struct sockaddr_un sun;
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        snprintf(sun.sun_path, sizeof sun.sun_path, "%s", addr->path);
        rc = bufferevent_socket_connect(c->bev, (struct sockaddr *)&sun, sizeof sun);
    } else {
        rc = bufferevent_socket_connect_hostname(c->bev, dns, AF_UNSPEC, addr->host, addr->port);
    }
    /* A failure may already have been reported (and deferred) through on_event. */
    if (rc < 0 && !c->has_deferred) emit(c, CONN_CONNECT_FAILED, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    c->opening = false;
    return c;
}

/* On a plain socket that is up with nothing queued, a command goes out at once with one
 * send(): through the bufferevent it would arm and disarm a write event (two epoll_ctl
 * calls and a wake-up per poll, which a fleet of thousands feels). Returns the bytes
 * sent; the rest, and every error, is left to the bufferevent, which reports it. */
static size_t send_now(conn *c, const char *cmd, size_t len)
{
    if (!c->up || c->tls || evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) return 0;
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    if (fd < 0) return 0;
    ssize_t n = send(fd, cmd, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    return n > 0 ? (size_t)n : 0;
}

void conn_send(conn *c, int argc, const char **argv, const size_t *lens, conn_tag tag)
{
    if (c->q_len == c->q_cap) {
        if (c->q_cap == QUEUE_MAX) abort(); /* the callers' sizes make this impossible */
        conn_tag *grown = xcalloc(c->q_cap * 2, sizeof *grown);
        for (size_t i = 0; i < c->q_len; i++) grown[i] = c->queue[(c->q_head + i) % c->q_cap];
        free(c->queue);
        c->queue = grown;
        c->q_head = 0;
        c->q_cap *= 2;
    }
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (len < 0 || !cmd) abort();
    size_t sent = send_now(c, cmd, (size_t)len);
    if (sent < (size_t)len) bufferevent_write(c->bev, cmd + sent, (size_t)len - sent);
    explicit_bzero(cmd, (size_t)len); /* it may hold the password */
    free(cmd);
    c->queue[(c->q_head + c->q_len) % c->q_cap] = tag;
    c->q_len++;
}

void conn_allow_bytes(conn *c, size_t n) { resp_allow(c->reader, n); }

struct evdns_base *conn_resolver_new(struct event_base *base)
{
    /* Without a usable resolv.conf (minimal containers) it still resolves /etc/hosts
     * and numbers. */
    struct evdns_base *dns =
        evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_NAMESERVERS_NO_DEFAULT);
    if (!dns) dns = evdns_base_new(base, 0);
    return dns;
}
