/* http: libmicrohttpd glue. See include/http.h.
 *
 * Threading: libmicrohttpd's pool of polling threads (epoll) runs the handlers below. They
 * touch only the published snapshot (through snapshot_current, which takes a reference
 * under a short mutex) and this file's route table, which is immutable once started. */
#define _GNU_SOURCE 1   /* sched_getaffinity, CPU_COUNT */
#include "http.h"

#include <arpa/inet.h>
#include <sched.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "guard.h"
#include "log.h"
#include "negotiate.h"
#include "render.h"
#include "snapshot.h"
#include "xalloc.h"

typedef enum MHD_Result (*route_fn)(struct MHD_Connection *conn, http_server *h);

typedef struct route {
    const char *path;    /* exact match */
    route_fn handle;
} route;

struct http_server {
    struct MHD_Daemon *daemon;
    guard *guard;        /* deadlines and reserved capacity for every connection */
    route routes[3];
    size_t n_routes;
};

/* Markers for *con_cls: the request line was seen (set by on_uri), the request is being
 * answered (set by on_request's first call). */
static int uri_seen, request_seen;

static guard_conn *conn_guard(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    http_server *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? guard_open(h->guard, ci->connect_fd) : NULL;
    } else {
        /* Before libmicrohttpd closes the socket: the guard never cuts a reused one. */
        guard_close(h->guard, *socket_context);
        *socket_context = NULL;
    }
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)uri;
    http_server *h = cls;
    guard_conn *gc = conn_guard(conn);
    if (gc) guard_move(h->guard, gc, GUARD_READING);
    return &uri_seen;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)con_cls; (void)toe;
    http_server *h = cls;
    guard_conn *gc = conn_guard(conn);
    if (gc) guard_move(h->guard, gc, GUARD_WAITING);
}

static void on_response_done(void *cls) { snapshot_unref(cls); }

/* The snapshot serves targets as up whose data has gone stale since (their polls, or the
 * loop, stalled): this request gets its own copy with those targets down. Rare, so made
 * per request and not compressed. */
static enum MHD_Result send_marked_down(struct MHD_Connection *conn, snapshot *s, snapshot_part part, const char *type,
                                        const char *const *stale, size_t k)
{
    size_t len;
    const char *text = snapshot_body(s, SNAPSHOT_TEXT, false, &len);
    buf b;
    buf_init(&b);
    render_mark_down(&b, text, len, stale, k);
    if (part == SNAPSHOT_OPENMETRICS) {
        buf om;
        buf_init(&om);
        render_openmetrics_from_text(&om, b.data, b.len);
        buf_free(&b);
        b = om;
    }
    snapshot_unref(s);
    size_t n;
    char *body = buf_steal(&b, &n);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* Sends a part of the published snapshot without copying it; the response holds a
 * snapshot reference until libmicrohttpd is done with the bytes. */
static enum MHD_Result send_part(struct MHD_Connection *conn, snapshot_part part, const char *type,
                                 bool allow_gzip)
{
    snapshot *s = snapshot_current();
    if (!s) {
        /* Before the first publish, which happens before the server starts. */
        static const char msg[] = "not ready\n";
        struct MHD_Response *r = MHD_create_response_from_buffer(sizeof msg - 1, (void *)(uintptr_t)msg,
                                                                 MHD_RESPMEM_PERSISTENT);
        enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE, r);
        MHD_destroy_response(r);
        return rc;
    }
    bool gzip = allow_gzip &&
                negotiate_gzip(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
    if (part != SNAPSHOT_LANDING) {
        const char *const *stale;
        size_t k = snapshot_stale(s, clock_mono(), &stale);
        if (k > 0) return send_marked_down(conn, s, part, type, stale, k);
    }
    size_t len;
    const char *body = snapshot_body(s, part, gzip, &len);
    if (gzip && !body) {  /* compression failed: fall back to plain bytes */
        gzip = false;
        body = snapshot_body(s, part, false, &len);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
        len, (void *)(uintptr_t)body, on_response_done, s);
    if (!r) {
        snapshot_unref(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (gzip) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (allow_gzip) MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result send_static(struct MHD_Connection *conn, unsigned status, const char *text,
                                   const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
                                                             MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result route_metrics(struct MHD_Connection *conn, http_server *h)
{
    (void)h;
    const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    if (negotiate_openmetrics(accept))
        return send_part(conn, SNAPSHOT_OPENMETRICS, "application/openmetrics-text; version=1.0.0; charset=utf-8", true);
    return send_part(conn, SNAPSHOT_TEXT, "text/plain; version=0.0.4; charset=utf-8", true);
}

static enum MHD_Result route_landing(struct MHD_Connection *conn, http_server *h)
{
    (void)h;
    return send_part(conn, SNAPSHOT_LANDING, "text/html; charset=utf-8", false);
}

/* Healthy while the polling loop makes progress: a liveness probe restarts an exporter
 * whose loop is stuck, instead of letting it serve ever older data. */
static enum MHD_Result route_health(struct MHD_Connection *conn, http_server *h)
{
    (void)h;
    snapshot *s = snapshot_current();
    bool alive = s && snapshot_alive(s, clock_mono());
    snapshot_unref(s);
    if (!alive) return send_static(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "stalled: the polling loop made no progress\n", NULL);
    return send_static(conn, MHD_HTTP_OK, "ok\n", NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version; (void)upload_data;
    http_server *h = cls;
    if (*con_cls != &request_seen) {
        /* The headers are in: from now on the answering deadline applies. */
        *con_cls = &request_seen;
        guard_conn *gc = conn_guard(conn);
        if (gc) guard_move(h->guard, gc, GUARD_ANSWERING);
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
            *upload_data_size = 0;   /* a body, if any, is not read; the connection closes */
            return send_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "GET, HEAD");
        }
        /* The first call only announces the request: answering it from the second call,
         * once it has been read in full, lets libmicrohttpd keep the connection alive
         * (answering at once makes it close the connection every time). */
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        *upload_data_size = 0;
        return MHD_YES;   /* the 405 is queued already */
    }
    for (size_t i = 0; i < h->n_routes; i++)
        if (strcmp(url, h->routes[i].path) == 0) return h->routes[i].handle(conn, h);
    return send_static(conn, MHD_HTTP_NOT_FOUND, "not found\n", NULL);
}

/* libmicrohttpd hands us its own printf format: not attacker-controlled. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = '\0';
    log_kv(LOG_DEBUG, "http", "detail", msg, NULL);
}

http_server *http_start(const config *cfg)
{
    http_server *h = xcalloc(1, sizeof *h);
    h->routes[h->n_routes++] = (route){cfg->telemetry_path, route_metrics};
    h->routes[h->n_routes++] = (route){"/", route_landing};
    h->routes[h->n_routes++] = (route){"/healthz", route_health};

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    /* One polling thread per core this process may run on (at most 4): about 20 % more
     * /metrics throughput with few connections on two cores, and no threads fighting over
     * one core when pinned (tests/bench). Each only reads published snapshots. */
    cpu_set_t usable;
    int cores = sched_getaffinity(0, sizeof usable, &usable) == 0 ? CPU_COUNT(&usable) : 1;
    unsigned threads = cores < 1 ? 1 : cores > 4 ? 4 : (unsigned)cores;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    char port[8];
    snprintf(port, sizeof port, "%d", cfg->listen_port);
    if (cfg->listen_host[0]) {
        /* Resolved once at start-up, before the event loop runs: blocking is fine here. */
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
        int rc = getaddrinfo(cfg->listen_host, port, &hints, &ai);
        if (rc != 0 || !ai) {
            log_kv(LOG_ERROR, "cannot resolve --web.listen-address", "host", cfg->listen_host, "detail",
                   gai_strerror(rc), NULL);
            free(h);
            return NULL;
        }
        memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
        freeaddrinfo(ai);
    } else {
        flags |= MHD_USE_DUAL_STACK;
    }
    /* A tenth of the slots stays free for new clients: idle and slow connections are cut,
     * oldest first, before they can fill it. */
    guard_limits gl = {.waiting = 10, .reading = 5, .answering = 30, .max = cfg->max_connections,
                       .reserve = cfg->max_connections / 10 > 2 ? cfg->max_connections / 10 : 2};
    h->guard = guard_new(&gl);
    if (!h->guard) {
        log_kv(LOG_ERROR, "cannot start the HTTP connection guard", NULL);
        free(h);
        return NULL;
    }
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)cfg->max_connections_per_client, NULL},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, h},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, h},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, 10, NULL},       /* seconds idle: slow clients are cut */
        /* SO_REUSEADDR only (a restart may bind at once), never SO_REUSEPORT: a second
         * exporter on the same address must fail, not silently share the scrapes. */
        {MHD_OPTION_LISTENING_ADDRESS_REUSE, 0, NULL},
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL},
        {cfg->listen_host[0] ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, 0, &ss},
        {MHD_OPTION_END, 0, NULL},
    };
    h->daemon = MHD_start_daemon(flags, (uint16_t)cfg->listen_port, NULL, NULL, on_request, h,
                                 MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!h->daemon) {
        char where[300];
        snprintf(where, sizeof where, "%s:%d", cfg->listen_host[0] ? cfg->listen_host : "*", cfg->listen_port);
        log_kv(LOG_ERROR, "cannot listen (address in use or not available)", "address", where, NULL);
        guard_free(h->guard);
        free(h);
        return NULL;
    }
    return h;
}

void http_stop(http_server *h)
{
    if (!h) return;
    MHD_stop_daemon(h->daemon);
    guard_free(h->guard);
    free(h);
}
