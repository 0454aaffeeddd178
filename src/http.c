/* SPDX-License-Identifier: Apache-2.0 */
/* http: libmicrohttpd glue. See include/http.h.
 *
 * A "site" is one running libmicrohttpd daemon with its own immutable web configuration
 * (TLS, users, headers). A reload starts a new site on the same listening socket and then
 * stops the old one, so no handler ever sees a configuration change under it.
 *
 * Threading: libmicrohttpd's pool of polling threads (epoll) runs the handlers below. They
 * touch only their site (immutable but for webauth's own locked cache), the published
 * snapshot (through slot_current, which takes a reference under a short mutex) and the
 * guard (its own mutex). http_start, http_reload and http_stop run on the main thread. */
#define _GNU_SOURCE 1 /* sched_getaffinity, CPU_COUNT */
#include "http.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sched.h>
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
#include "safefile.h"
#include "slot.h"
#include "snapshot.h"
#include "webauth.h"
#include "webcfg.h"
#include "xalloc.h"

/* An exposition this long or longer is written out from the pieces (stream_response);
 * libmicrohttpd asks for it a block at a time. */
#define STREAM_MIN_BYTES (256 * 1024)
#define STREAM_BLOCK (64 * 1024)

typedef struct site site;
typedef enum MHD_Result (*route_fn)(struct MHD_Connection *conn, const site *s);

typedef struct route {
    const char *path; /* exact match */
    route_fn handle;
    bool open; /* answered without basic auth (liveness probes) */
} route;

struct site {
    http_server *h;
    struct MHD_Daemon *daemon;
    webcfg web; /* empty without --web.config.file */
    webauth *auth;
};

struct http_server {
    const config *cfg;
    guard *guard; /* deadlines and reserved capacity for every connection */
    route routes[6];
    size_t n_routes;
    site *site;          /* the one serving */
    safefile_id refused; /* the web config file as last refused: not read again until it changes */
};

/* Markers for *con_cls: the request line was seen (set by on_uri), the request is being
 * answered (set by on_request's first call). */
static int uri_seen, request_seen;

/* ---- responses ---------------------------------------------------------------------- */

/* Adds the configured headers and queues; takes the response over. */
static enum MHD_Result queue(struct MHD_Connection *conn, const site *s, unsigned status, struct MHD_Response *r)
{
    if (!r) return MHD_NO;
    for (size_t i = 0; i < s->web.n_headers; i++)
        MHD_add_response_header(r, s->web.headers[i].name, s->web.headers[i].value);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result send_static(struct MHD_Connection *conn, const site *s, unsigned status, const char *text,
                                   const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    return queue(conn, s, status, r);
}

static void on_response_done(void *cls) { slot_drop(cls); }

/* Sends a body made for this request (taken from b; owned by the response from now on).
 * vary: the Vary header when the body was negotiated, or NULL. */
static enum MHD_Result send_owned(struct MHD_Connection *conn, const site *site_, buf *b, const char *type,
                                  const char *vary)
{
    size_t n;
    char *body = buf_steal(b, &n);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (vary) MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, vary);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return queue(conn, site_, MHD_HTTP_OK, r);
}

static enum MHD_Result send_snapshot_response(struct MHD_Connection *conn, const site *site_, struct MHD_Response *r,
                                              const char *type, bool gzip, bool negotiated)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (gzip) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (negotiated) MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return queue(conn, site_, MHD_HTTP_OK, r);
}

/* The snapshot serves targets as up whose data has gone stale since (their polls, or the
 * loop, stalled): this request gets its own copy with those targets down, put together
 * from the pieces. Rare, so made per request and not compressed. */
static enum MHD_Result send_marked_down(struct MHD_Connection *conn, const site *site_, snapshot *s, snapshot_part part,
                                        const char *type, const char *const *stale, size_t k)
{
    buf b;
    buf_init(&b);
    snapshot_assemble_down(s, part, stale, k, &b);
    slot_drop(s);
    return send_owned(conn, site_, &b, type, "Accept, Accept-Encoding");
}

static ssize_t on_stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos; /* read in order, once */
    size_t n = snapshot_stream_read(cls, out, max);
    return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void on_stream_done(void *cls) { slot_drop(snapshot_stream_free(cls)); }

/* A fleet's exposition is written out from the pieces as libmicrohttpd sends it: no
 * body of tens of megabytes is made, kept or waited for. Small ones are made once per
 * snapshot and sent as they are (snapshot_body). NULL: send it whole. */
static struct MHD_Response *stream_response(snapshot *s, snapshot_part part)
{
    render_format fmt = part == SNAPSHOT_OPENMETRICS ? RENDER_OPENMETRICS : RENDER_TEXT;
    if (snapshot_length(s, fmt) < STREAM_MIN_BYTES) return NULL;
    size_t total;
    snapshot_stream *st = snapshot_stream_new(s, fmt, &total);
    struct MHD_Response *r =
        st ? MHD_create_response_from_callback(total, STREAM_BLOCK, on_stream_read, st, on_stream_done) : NULL;
    if (!r) slot_drop(snapshot_stream_free(st));
    return r;
}

/* Sends a part of the published snapshot without copying it; the response holds a
 * snapshot reference until libmicrohttpd is done with the bytes. */
static enum MHD_Result send_part(struct MHD_Connection *conn, const site *site_, snapshot_part part, const char *type,
                                 bool allow_gzip)
{
    snapshot *s = part == SNAPSHOT_LANDING ? slot_current() : slot_scrape_current();
    if (!s) return send_static(conn, site_, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n", NULL);
    bool gzip = allow_gzip &&
        negotiate_gzip(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
    if (part != SNAPSHOT_LANDING) {
        const char *const *stale;
        size_t k = snapshot_stale(s, clock_mono(), &stale);
        if (k > 0) return send_marked_down(conn, site_, s, part, type, stale, k);
    }
    struct MHD_Response *r = NULL;
    if (!gzip && part != SNAPSHOT_LANDING) r = stream_response(s, part);
    if (r) {
        slot_drop(s); /* the stream holds its own */
        return send_snapshot_response(conn, site_, r, type, false, allow_gzip);
    }
    size_t len;
    const char *body = snapshot_body(s, part, gzip, &len);
    if (gzip && !body) { /* compression failed: fall back to plain bytes */
        gzip = false;
        body = snapshot_body(s, part, false, &len);
    }
    r = MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)(uintptr_t)body, on_response_done, s);
    if (!r) {
        slot_drop(s);
        return MHD_NO;
    }
    return send_snapshot_response(conn, site_, r, type, gzip, allow_gzip);
}

/* ---- routes ------------------------------------------------------------------------- */

static enum MHD_Result route_metrics(struct MHD_Connection *conn, const site *s)
{
    const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    if (negotiate_openmetrics(accept))
        return send_part(conn, s, SNAPSHOT_OPENMETRICS, RENDER_CONTENT_TYPE_OPENMETRICS, true);
    return send_part(conn, s, SNAPSHOT_TEXT, RENDER_CONTENT_TYPE_TEXT, true);
}

static enum MHD_Result route_landing(struct MHD_Connection *conn, const site *s)
{
    return send_part(conn, s, SNAPSHOT_LANDING, "text/html; charset=utf-8", false);
}

/* Healthy while the polling loop makes progress: a liveness probe restarts an exporter
 * whose loop is stuck, instead of letting it serve ever older data. */
static enum MHD_Result route_health(struct MHD_Connection *conn, const site *s)
{
    snapshot *snap = slot_latest();
    bool alive = snap && snapshot_alive(snap, clock_mono());
    slot_drop(snap);
    if (!alive)
        return send_static(conn, s, MHD_HTTP_SERVICE_UNAVAILABLE, "stalled: the polling loop made no progress\n", NULL);
    return send_static(conn, s, MHD_HTTP_OK, "ok\n", NULL);
}

/* One target's series, from the published snapshot: only a target this exporter polls
 * (configured or discovered) is answered. Nothing here ever opens a connection: an
 * address that is not in the snapshot is a 404, whatever it is. */
static enum MHD_Result route_scrape(struct MHD_Connection *conn, const site *s)
{
    const char *want = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "target");
    if (!want || !*want)
        return send_static(conn, s, MHD_HTTP_BAD_REQUEST, "give ?target=ADDR (see /discovery for the targets)\n", NULL);
    config_target t;
    char why[200];
    snapshot *snap = slot_patient_current();
    if (!snap) return send_static(conn, s, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n", NULL);
    /* The target's own key (as /discovery gives it: "h:p/3" too), or any form
     * --redis.addr takes for it (redis://h:p, rediss://h:p, ...). */
    const char *key = want;
    if (config_parse_target(want, &t, why, sizeof why) == 0) key = t.label;
    const char *const *stale;
    size_t k = snapshot_stale(snap, clock_mono(), &stale);
    bool om = negotiate_openmetrics(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
    buf b;
    buf_init(&b);
    /* its own key (what /discovery gives), else the label of the form it was given in */
    bool found = false;
    for (int pass = 0; pass < 2 && !found; pass++) {
        const char *name = pass == 0 ? want : key;
        if (pass == 1 && name == want) break;
        bool down = false;
        for (size_t i = 0; i < k && !down; i++) down = strcmp(stale[i], name) == 0;
        found = snapshot_scrape(snap, name, om ? RENDER_OPENMETRICS : RENDER_TEXT, down, &b);
    }
    slot_drop(snap);
    if (!found) {
        buf_free(&b);
        return send_static(conn, s, MHD_HTTP_NOT_FOUND, "not a target of this exporter\n", NULL);
    }
    return send_owned(conn, s, &b, om ? RENDER_CONTENT_TYPE_OPENMETRICS : RENDER_CONTENT_TYPE_TEXT, "Accept");
}

/* The exporter's own series and the Cluster-level ones, without any target's: what a
 * fleet's Prometheus scrapes beside /discovery (whose targets come through /scrape), so
 * that no target's series is taken in twice and the page stays a few KiB at any fleet
 * size (/metrics is every target's series: 82 MiB at 10,000). */
static enum MHD_Result route_exporter(struct MHD_Connection *conn, const site *s)
{
    snapshot *snap = slot_current();
    if (!snap) return send_static(conn, s, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n", NULL);
    size_t len;
    bool om = negotiate_openmetrics(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
    render_format fmt = om ? RENDER_OPENMETRICS : RENDER_TEXT;
    const char *self = snapshot_self(snap, fmt, &len);
    buf b;
    buf_init(&b);
    buf_append(&b, self ? self : "", len);
    render_end(&b, fmt);
    slot_drop(snap);
    return send_owned(conn, s, &b, om ? RENDER_CONTENT_TYPE_OPENMETRICS : RENDER_CONTENT_TYPE_TEXT, "Accept");
}

/* A Host header fit to stand in JSON and in a URL: a name or address and a port. */
static bool host_ok(const char *h)
{
    if (!h || !*h || strlen(h) > 255) return false;
    for (const char *p = h; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr(".-:[]_", *p)))
            return false;
    return true;
}

/* Prometheus http_sd: every target, to be scraped at this exporter's /scrape. The
 * exporter's address is the one Prometheus used to reach it (its Host header). */
static enum MHD_Result route_discovery(struct MHD_Connection *conn, const site *s)
{
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host_ok(host))
        return send_static(conn, s, MHD_HTTP_BAD_REQUEST, "a Host header (host:port) is needed\n", NULL);
    snapshot *snap = slot_current();
    if (!snap) return send_static(conn, s, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n", NULL);
    size_t len;
    const char *sd = snapshot_body(snap, SNAPSHOT_DISCOVERY, false, &len);
    buf b;
    buf_init(&b);
    buf_reserve(&b, len + len / 4 + 64);
    const char *p = sd, *end = sd + len;
    while (p < end) {
        const char *mark = memchr(p, RENDER_DISCOVERY_HOST[0], (size_t)(end - p));
        if (!mark) mark = end;
        buf_append(&b, p, (size_t)(mark - p));
        if (mark < end) buf_puts(&b, host);
        p = mark + (mark < end);
    }
    slot_drop(snap);
    return send_owned(conn, s, &b, "application/json", NULL);
}

/* ---- who may ask -------------------------------------------------------------------- */

/* The TLS client certificate as client_auth_type demands (the handshake asked for one
 * whenever a client CA is configured). */
static bool client_cert_ok(struct MHD_Connection *conn, const site *s)
{
    webcfg_client_auth need = s->web.client_auth;
    if (!s->web.tls || need == WEBCFG_NO_CLIENT_CERT || need == WEBCFG_REQUEST_CLIENT_CERT) return true;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session) return false;
    gnutls_session_t tls = (gnutls_session_t)ci->tls_session;
    unsigned n = 0;
    bool given = gnutls_certificate_get_peers(tls, &n) != NULL && n > 0;
    if (!given) return need == WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN;
    if (need == WEBCFG_REQUIRE_ANY_CLIENT_CERT) return true;
    unsigned status = 0;
    return gnutls_certificate_verify_peers2(tls, &status) == GNUTLS_E_SUCCESS && status == 0;
}

/* The client's address as text, for its basic-auth budget. */
static void client_of(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "?");
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)cap);
}

static webauth_result user_ok(struct MHD_Connection *conn, const site *s)
{
    if (!webauth_required(s->auth)) return WEBAUTH_OK;
    char *password = NULL, client[INET6_ADDRSTRLEN];
    char *user = MHD_basic_auth_get_username_password(conn, &password);
    client_of(conn, client, sizeof client);
    webauth_result r = webauth_check(s->auth, user, password, client, clock_mono());
    if (password) explicit_bzero(password, strlen(password));
    MHD_free(user);
    MHD_free(password);
    return r;
}

/* ---- libmicrohttpd callbacks -------------------------------------------------------- */

static guard_conn *conn_guard(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    const site *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        char client[INET6_ADDRSTRLEN];
        client_of(conn, client, sizeof client);
        *socket_context = ci ? guard_open(s->h->guard, ci->connect_fd, client) : NULL;
    } else {
        /* Before libmicrohttpd closes the socket: the guard never cuts a reused one. */
        guard_close(s->h->guard, *socket_context);
        *socket_context = NULL;
    }
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)uri;
    const site *s = cls;
    guard_conn *gc = conn_guard(conn);
    if (gc) guard_move(s->h->guard, gc, GUARD_READING);
    return &uri_seen;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)con_cls;
    (void)toe;
    const site *s = cls;
    guard_conn *gc = conn_guard(conn);
    if (gc) guard_move(s->h->guard, gc, GUARD_WAITING);
}

static bool is_get(const char *method)
{
    return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    (void)upload_data;
    const site *s = cls;
    if (*con_cls != &request_seen) {
        /* The headers are in: from now on the answering deadline applies. */
        *con_cls = &request_seen;
        guard_conn *gc = conn_guard(conn);
        if (gc) guard_move(s->h->guard, gc, GUARD_ANSWERING);
        if (!client_cert_ok(conn, s)) {
            log_kv(LOG_DEBUG, "http: client certificate refused", NULL);
            return MHD_NO; /* the connection closes without an answer */
        }
        if (!is_get(method)) {
            *upload_data_size = 0; /* a body, if any, is not read; the connection closes */
            return send_static(conn, s, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "GET, HEAD");
        }
        /* The first call only announces the request: answering it from the second call,
         * once it has been read in full, lets libmicrohttpd keep the connection alive
         * (answering at once makes it close the connection every time). */
        return MHD_YES;
    }
    if (!is_get(method)) {
        *upload_data_size = 0;
        return MHD_YES; /* the 405 is queued already */
    }
    if (*upload_data_size != 0) {
        /* a GET with a body (chunked or not): the body means nothing here; it is read and
         * dropped, and the request answered once it has ended (issue 21: it got no answer) */
        *upload_data_size = 0;
        return MHD_YES;
    }
    for (size_t i = 0; i < s->h->n_routes; i++) {
        const route *r = &s->h->routes[i];
        if (strcmp(url, r->path) != 0) continue;
        webauth_result auth = r->open ? WEBAUTH_OK : user_ok(conn, s);
        if (auth == WEBAUTH_BUSY) {
            /* this address spent its uncached checks (or bcrypt stayed busy): a guesser is
             * slowed down here, and a right password remembered once is never asked again */
            static const char busy[] = "too many password checks from this address: try again in a few seconds\n";
            struct MHD_Response *resp =
                MHD_create_response_from_buffer(sizeof busy - 1, (void *)(uintptr_t)busy, MHD_RESPMEM_PERSISTENT);
            if (!resp) return MHD_NO;
            MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "10");
            return queue(conn, s, MHD_HTTP_TOO_MANY_REQUESTS, resp);
        }
        if (auth != WEBAUTH_OK) {
            static const char msg[] = "authentication required\n";
            struct MHD_Response *resp =
                MHD_create_response_from_buffer(sizeof msg - 1, (void *)(uintptr_t)msg, MHD_RESPMEM_PERSISTENT);
            if (!resp) return MHD_NO;
            for (size_t k = 0; k < s->web.n_headers; k++)
                MHD_add_response_header(resp, s->web.headers[k].name, s->web.headers[k].value);
            enum MHD_Result rc = MHD_queue_basic_auth_fail_response(conn, "redis_memory_exporter", resp);
            MHD_destroy_response(resp);
            return rc;
        }
        return r->handle(conn, s);
    }
    return send_static(conn, s, MHD_HTTP_NOT_FOUND, "not found\n", NULL);
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

/* ---- sites ---------------------------------------------------------------------------- */

static void site_free(site *s)
{
    if (!s) return;
    if (s->daemon) MHD_stop_daemon(s->daemon);
    webauth_free(s->auth);
    webcfg_free(&s->web);
    free(s);
}

/* Starts a daemon for web (taken over, also on failure) on listen_fd (taken over), or
 * binding the configured address when listen_fd is -1. NULL after logging why. */
static site *site_start(http_server *h, webcfg *web, int listen_fd)
{
    const config *cfg = h->cfg;
    site *s = xcalloc(1, sizeof *s);
    s->h = h;
    s->web = *web;
    memset(web, 0, sizeof *web);
    /* a reload with the same users keeps the pairs that verified */
    s->auth = webauth_new_from(h->site ? h->site->auth : NULL, s->web.users, s->web.n_users);

    /* ITC lets a reload quiesce this daemon and hand its socket to the next one. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (s->web.tls) flags |= MHD_USE_TLS;
    /* One polling thread per core this process may run on (at most 4): about 20 % more
     * /metrics throughput with few connections on two cores, and no threads fighting over
     * one core when pinned (tests/bench). Each only reads published snapshots. */
    cpu_set_t usable;
    int cores = sched_getaffinity(0, sizeof usable, &usable) == 0 ? CPU_COUNT(&usable) : 1;
    unsigned threads = cores < 1 ? 1 : cores > 4 ? 4 : (unsigned)cores;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    bool bind_addr = false;
    if (listen_fd < 0 && cfg->listen_host[0]) {
        /* Resolved once at start-up, before the event loop runs: blocking is fine here. */
        char port[8];
        snprintf(port, sizeof port, "%d", cfg->listen_port);
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
        int rc = getaddrinfo(cfg->listen_host, port, &hints, &ai);
        if (rc != 0 || !ai) {
            log_kv(LOG_ERROR, "cannot resolve --web.listen-address", "host", cfg->listen_host, "detail",
                   gai_strerror(rc), NULL);
            site_free(s);
            return NULL;
        }
        memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
        freeaddrinfo(ai);
        bind_addr = true;
    } else if (listen_fd < 0) {
        flags |= MHD_USE_DUAL_STACK;
    }
    struct MHD_OptionItem opts[24];
    size_t n = 0;
#define OPT(o, v, p) (opts[n++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (p)})
    OPT(MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, NULL);
    OPT(MHD_OPTION_NOTIFY_CONNECTION, on_connection, s);
    OPT(MHD_OPTION_URI_LOG_CALLBACK, on_uri, s);
    OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, s);
    OPT(MHD_OPTION_THREAD_POOL_SIZE, threads, NULL);
    OPT(MHD_OPTION_CONNECTION_TIMEOUT, 10, NULL); /* seconds without progress */
    /* Requests here are a GET line and a few headers: 16 KiB per connection (half the
     * default) is plenty, and what a flood of connections costs halves with it. */
    OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, 16 * 1024, NULL);
    /* SO_REUSEADDR only (a restart may bind at once), never SO_REUSEPORT: a second
     * exporter on the same address must fail, not silently share the scrapes. */
    OPT(MHD_OPTION_LISTENING_ADDRESS_REUSE, 0, NULL);
    OPT(MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL);
    if (bind_addr) OPT(MHD_OPTION_SOCK_ADDR, 0, &ss);
    if (listen_fd >= 0) OPT(MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL);
    if (s->web.tls) {
        OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, s->web.cert_pem);
        OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, s->web.key_pem);
        OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, s->web.priorities);
        /* With a client CA the handshake asks every client for a certificate. */
        if (s->web.client_ca_pem) OPT(MHD_OPTION_HTTPS_MEM_TRUST, 0, s->web.client_ca_pem);
    }
    OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
    s->daemon = MHD_start_daemon(flags, (uint16_t)cfg->listen_port, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        char where[300];
        snprintf(where, sizeof where, "%s:%d", cfg->listen_host[0] ? cfg->listen_host : "*", cfg->listen_port);
        log_kv(LOG_ERROR,
               s->web.tls ? "cannot listen (address in use or not available, or the TLS settings were refused)"
                          : "cannot listen (address in use or not available)",
               "address", where, NULL);
        site_free(s);
        return NULL;
    }
    return s;
}

/* The certificate and key must belong together: checked before a daemon is started with
 * them, so a rotation caught half done (key written, certificate not yet) is simply not
 * taken yet, and the next change is. */
static int tls_pair_ok(const webcfg *web, char *err, size_t errlen)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) != GNUTLS_E_SUCCESS) {
        snprintf(err, errlen, "TLS credentials could not be allocated");
        return -1;
    }
    gnutls_datum_t cert = {(unsigned char *)web->cert_pem, (unsigned)strlen(web->cert_pem)};
    gnutls_datum_t key = {(unsigned char *)web->key_pem, (unsigned)strlen(web->key_pem)};
    int rc = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
    gnutls_certificate_free_credentials(cred);
    if (rc < 0) {
        snprintf(err, errlen, "tls_server_config: the certificate and key are not a usable pair (%s)",
                 gnutls_strerror(rc));
        return -1;
    }
    return 0;
}

static int load_web(const config *cfg, webcfg *web)
{
    memset(web, 0, sizeof *web);
    if (!cfg->web_config_file[0]) return 0;
    char err[600];
    if (webcfg_load(cfg->web_config_file, web, err, sizeof err) == 0) {
        if (!web->tls || tls_pair_ok(web, err, sizeof err) == 0) return 0;
        webcfg_free(web);
    }
    log_kv(LOG_ERROR, "web config not loaded; the running settings stay", "file", cfg->web_config_file, "detail", err,
           NULL);
    return -1;
}

http_server *http_start(const config *cfg)
{
    http_server *h = xcalloc(1, sizeof *h);
    h->cfg = cfg;
    h->routes[h->n_routes++] = (route){cfg->telemetry_path, route_metrics, false};
    h->routes[h->n_routes++] = (route){"/", route_landing, false};
    h->routes[h->n_routes++] = (route){"/healthz", route_health, true};
    h->routes[h->n_routes++] = (route){"/scrape", route_scrape, false};
    h->routes[h->n_routes++] = (route){"/discovery", route_discovery, false};
    h->routes[h->n_routes++] = (route){"/exporter-metrics", route_exporter, false};
    /* A tenth of the slots stays free for new clients: idle and slow connections are cut,
     * oldest first, before they can fill it. */
    /* The per-client limit is the guard's, not libmicrohttpd's: at it, the client's oldest
     * idle connection is cut instead of the new one refused. */
    guard_limits gl = {.waiting = 10,
                       .reading = 5,
                       .answering = 30,
                       .max = cfg->max_connections,
                       .reserve = cfg->max_connections / 10 > 2 ? cfg->max_connections / 10 : 2,
                       .per_client = cfg->max_connections_per_client};
    h->guard = guard_new(&gl);
    webcfg web;
    if (!h->guard || load_web(cfg, &web) != 0 || !(h->site = site_start(h, &web, -1))) {
        if (!h->guard) log_kv(LOG_ERROR, "cannot start the HTTP connection guard", NULL);
        guard_free(h->guard);
        free(h);
        return NULL;
    }
    return h;
}

int http_reload(http_server *h)
{
    if (!h->cfg->web_config_file[0]) return 0;
    webcfg web;
    if (load_web(h->cfg, &web) != 0) {
        /* logged; the running site stays, and this file is not read again until it changes */
        safefile_look(h->cfg->web_config_file, &h->refused);
        return -1;
    }
    memset(&h->refused, 0, sizeof h->refused);
    /* The old daemon stops accepting and hands its listening socket over (connections
     * that arrive meanwhile wait in the socket's backlog); then the new one takes it. */
    site *old = h->site;
    int fd = MHD_quiesce_daemon(old->daemon);
    if (fd < 0) {
        webcfg_free(&web);
        log_kv(LOG_ERROR, "web config reload failed: the listening socket could not be handed over", NULL);
        return -1;
    }
    MHD_stop_daemon(old->daemon);
    old->daemon = NULL;
    /* Each attempt gets its own copy of the socket: a daemon that fails to start may close
     * the one it was given. */
    site *next = site_start(h, &web, dup(fd));
    int rc = 0;
    if (!next) {
        /* Refused by the TLS library (logged): serve on with the settings that worked. */
        webcfg_free(&web);
        next = site_start(h, &old->web, dup(fd));
        rc = -1;
    }
    close(fd);
    site_free(old);
    h->site = next;
    if (!next) return -1;
    if (rc == 0)
        log_kv(LOG_INFO, "web config reloaded", "file", h->cfg->web_config_file, "tls", next->web.tls ? "on" : "off",
               "users", next->web.n_users ? "yes" : "none", NULL);
    return rc;
}

bool http_config_changed(const http_server *h)
{
    if (!h->site || !h->cfg->web_config_file[0] || !webcfg_changed(&h->site->web)) return false;
    safefile_id now;
    return !(safefile_look(h->cfg->web_config_file, &now) && safefile_same(&now, &h->refused));
}

void http_stop(http_server *h)
{
    if (!h) return; /* h->site may be NULL after a failed reload */
    site_free(h->site);
    guard_free(h->guard);
    free(h);
}
