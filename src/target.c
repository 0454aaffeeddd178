/* target: one Redis endpoint's state machine. See include/target.h.
 * Threading: the collector's event_base thread only. */
#include "target.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "log.h"
#include "render.h"

/* What each queued reply answers, in the order the commands were sent. */
typedef enum expect {
    EXPECT_AUTH,
    EXPECT_SETNAME,
    EXPECT_INFO,
} expect;

#define MAX_EXPECT 8
/* Rates over ~10 s smooth out a 1 s poll; the forecast looks back 5 minutes. */
#define RATE_WINDOW_POLLS 10
#define TREND_WINDOW_SECONDS 300.0

struct target {
    struct event_base *base;
    struct evdns_base *dns;
    target_opts opts;
    target_notify notify;
    void *notify_arg;

    struct bufferevent *bev;      /* NULL when disconnected */
    redisReader *reader;          /* one per connection */
    struct event *tick_ev;        /* next scheduled poll */
    struct event *deadline_ev;    /* the in-flight poll's deadline */

    expect expected[MAX_EXPECT];
    size_t n_expected, n_answered;
    size_t reply_bytes;           /* bytes received during the current poll */
    bool idle_reads_bad;          /* data arriving while idle is a protocol breach */

    double next_due;              /* monotonic time of the next scheduled tick */
    double poll_started;          /* monotonic */
    double backoff_until;         /* monotonic */
    unsigned failures;            /* consecutive failed polls */
    bool use_multi_info;          /* server accepted multi-section INFO (Redis >= 7) */
    bool multi_info_refused;      /* ... and never try again after it refused once */
    bool setname_done, setname_refused;

    info_sample scratch;          /* filled by the poll in flight */
    derive_history history;
    target_state st;
    pollerr logged_error;         /* last state logged, to log each change once */
    bool logged_once;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timeval tv_of(double seconds)
{
    if (seconds < 0) seconds = 0;
    struct timeval tv = {(time_t)seconds, (suseconds_t)((seconds - floor(seconds)) * 1e6)};
    return tv;
}

const char *target_phase_name(target_phase p)
{
    switch (p) {
    case TARGET_DISCONNECTED: return "disconnected";
    case TARGET_CONNECTING: return "connecting";
    case TARGET_POLLING: return "polling";
    case TARGET_IDLE: return "connected";
    case TARGET_BACKOFF: return "backoff";
    }
    return "unknown";
}

static void close_connection(target *t)
{
    if (t->bev) {
        /* Safe inside the bufferevent's own callbacks: libevent defers the free. */
        bufferevent_free(t->bev);
        t->bev = NULL;
    }
    if (t->reader) {
        redisReaderFree(t->reader);
        t->reader = NULL;
    }
    t->n_expected = t->n_answered = 0;
    t->setname_done = false;
}

static void log_transition(target *t, pollerr now, const char *detail)
{
    if (t->logged_once && t->logged_error == now) {
        if (now != POLLERR_NONE && log_enabled(LOG_DEBUG))
            log_kv(LOG_DEBUG, "poll failed again", "addr", t->st.label, "reason", pollerr_name(now),
                   "detail", detail ? detail : "", NULL);
        return;
    }
    if (now == POLLERR_NONE) {
        const char *ver = info_text_get(&t->st.sample, INFO_REDIS_VERSION);
        log_kv(LOG_INFO, "redis is up", "addr", t->st.label, "redis_version", ver ? ver : "unknown",
               "info", t->use_multi_info ? "multi-section" : "pipelined", NULL);
    } else {
        log_kv(LOG_WARN, "poll failed", "addr", t->st.label, "reason", pollerr_name(now), "detail",
               detail ? detail : "", NULL);
    }
    t->logged_error = now;
    t->logged_once = true;
}

static void finish_poll(target *t)
{
    event_del(t->deadline_ev);
    t->st.has_poll_duration = true;
    t->st.poll_duration = mono_now() - t->poll_started;
    if (t->notify) t->notify(t, t->notify_arg);
}

/* Connection-level failures close the connection and back off; a server-side error
 * reply leaves the connection usable. */
static void poll_fail(target *t, pollerr reason, const char *detail)
{
    bool fatal = reason != POLLERR_LOADING && reason != POLLERR_REDIS_ERROR;
    t->st.errors[reason] += 1;
    t->st.last_ok = false;
    t->st.last_error = reason;
    t->failures++;
    if (fatal) {
        close_connection(t);
        double backoff = t->opts.interval * pow(2.0, (double)(t->failures - 1));
        if (backoff > t->opts.max_backoff) backoff = t->opts.max_backoff;
        /* The first retry comes at the next tick; later ones wait longer. */
        t->backoff_until = t->failures <= 1 ? 0 : mono_now() + backoff - t->opts.interval * 0.5;
        t->st.phase = TARGET_BACKOFF;
    } else {
        t->st.phase = TARGET_IDLE;
    }
    log_transition(t, reason, detail);
    finish_poll(t);
}

static void poll_succeed(target *t)
{
    double loading;
    if (info_get(&t->scratch, INFO_LOADING, &loading) && loading != 0) {
        poll_fail(t, POLLERR_LOADING, "server is loading its dataset");
        return;
    }
    /* Swap, so that the old sample's storage is reused by the next poll. */
    info_sample tmp = t->st.sample;
    t->st.sample = t->scratch;
    t->scratch = tmp;
    double now = mono_now();
    if (derive_push(&t->history, &t->st.sample, now) && t->st.has_sample)
        log_kv(LOG_INFO, "counters reset (restart or CONFIG RESETSTAT)", "addr", t->st.label, NULL);
    derive_compute(&t->history, &t->st.sample, &t->st.derived);
    t->st.has_sample = true;
    t->st.sample_mono = now;
    t->st.last_ok = true;
    t->st.last_error = POLLERR_NONE;
    t->st.has_last_success = true;
    t->st.last_success_real = real_now();
    t->st.phase = TARGET_IDLE;
    t->failures = 0;
    if (!t->multi_info_refused && info_major_version(&t->st.sample) >= 7) t->use_multi_info = true;
    log_transition(t, POLLERR_NONE, NULL);
    finish_poll(t);
}

static void send_argv(target *t, int argc, const char **argv, expect what)
{
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, NULL);
    if (len < 0 || !cmd) abort();
    bufferevent_write(t->bev, cmd, (size_t)len);
    explicit_bzero(cmd, (size_t)len);   /* it may hold the password */
    free(cmd);
    t->expected[t->n_expected++] = what;
}

/* Queues one poll's commands (and AUTH / CLIENT SETNAME on a fresh connection). */
static void send_poll(target *t, bool fresh)
{
    t->n_expected = t->n_answered = 0;
    t->reply_bytes = 0;
    info_sample_reset(&t->scratch);
    if (fresh && t->opts.password) {
        const char *user = t->opts.addr->user[0] ? t->opts.addr->user : t->opts.user;
        if (user && *user) send_argv(t, 3, (const char *[]){"AUTH", user, t->opts.password}, EXPECT_AUTH);
        else send_argv(t, 2, (const char *[]){"AUTH", t->opts.password}, EXPECT_AUTH);
    }
    if (fresh && !t->setname_refused) {
        send_argv(t, 3, (const char *[]){"CLIENT", "SETNAME", "redis_memory_exporter"}, EXPECT_SETNAME);
        t->setname_done = true;
    }
    if (t->use_multi_info) {
        send_argv(t, 8, (const char *[]){"INFO", "server", "clients", "memory", "replication", "stats", "keyspace", "errorstats"},
                  EXPECT_INFO);
    } else {
        static const char *const sections[] = {"server", "clients", "memory", "replication", "stats", "keyspace", "errorstats"};
        for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
            send_argv(t, 2, (const char *[]){"INFO", sections[i]}, EXPECT_INFO);
    }
}

/* Error replies are classified by their first word; the text is only logged, cut short. */
static pollerr classify_error(const char *msg)
{
    if (strncmp(msg, "LOADING", 7) == 0) return POLLERR_LOADING;
    if (strncmp(msg, "NOAUTH", 6) == 0 || strncmp(msg, "WRONGPASS", 9) == 0 ||
        strncmp(msg, "NOPERM", 6) == 0 || strstr(msg, "invalid password") ||
        strstr(msg, "without any password configured") || strstr(msg, "invalid username-password"))
        return POLLERR_AUTH;
    return POLLERR_REDIS_ERROR;
}

/* Handles one reply; returns false when the poll has ended (failed). */
static bool handle_reply(target *t, redisReply *r)
{
    expect what = t->expected[t->n_answered++];
    char detail[128];
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(detail, sizeof detail, "%.100s", r->str ? r->str : "");
        switch (what) {
        case EXPECT_SETNAME:
            t->setname_refused = true;   /* e.g. an ACL without CLIENT: never ask again */
            return true;
        case EXPECT_AUTH:
            poll_fail(t, POLLERR_AUTH, classify_error(detail) == POLLERR_AUTH ? "authentication rejected" : detail);
            return false;
        case EXPECT_INFO:
            if (t->use_multi_info && classify_error(detail) == POLLERR_REDIS_ERROR) {
                /* A fork that reports a 7.x version but takes one section per INFO. */
                t->use_multi_info = false;
                t->multi_info_refused = true;
            }
            poll_fail(t, classify_error(detail), detail);
            return false;
        }
    }
    if (what != EXPECT_INFO) return true;
    if (r->type != REDIS_REPLY_STRING && r->type != 14 /* RESP3 verbatim */) {
        poll_fail(t, POLLERR_PROTOCOL, "INFO reply is not a bulk string");
        return false;
    }
    info_parse(&t->scratch, r->str, r->len);
    if (t->n_answered == t->n_expected) {
        if (t->scratch.n_known == 0) {
            poll_fail(t, POLLERR_PROTOCOL, "INFO reply has no known field");
            return false;
        }
        poll_succeed(t);
        return false;
    }
    return true;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    target *t = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    if (t->st.phase != TARGET_POLLING && t->st.phase != TARGET_CONNECTING) {
        evbuffer_drain(in, n);
        log_kv(LOG_WARN, "unexpected data from redis between polls; reconnecting", "addr", t->st.label, NULL);
        close_connection(t);
        t->st.phase = TARGET_DISCONNECTED;
        return;
    }
    t->reply_bytes += n;
    if (t->reply_bytes > t->opts.max_reply_bytes) {
        evbuffer_drain(in, n);
        char detail[96];
        snprintf(detail, sizeof detail, "reply larger than %zu bytes (--poll.max-reply-bytes)",
                 t->opts.max_reply_bytes);
        poll_fail(t, POLLERR_TOO_LARGE, detail);
        return;
    }
    struct evbuffer_iovec v[16];
    int k = evbuffer_peek(in, -1, NULL, v, 16);
    if (k > 16) {
        /* More chunks than the array: make it one piece (bounded by max_reply_bytes). */
        evbuffer_pullup(in, -1);
        k = evbuffer_peek(in, -1, NULL, v, 16);
    }
    for (int i = 0; i < k; i++) redisReaderFeed(t->reader, v[i].iov_base, v[i].iov_len);
    evbuffer_drain(in, n);
    while (t->n_answered < t->n_expected) {
        void *reply = NULL;
        if (redisReaderGetReply(t->reader, &reply) != REDIS_OK) {
            char detail[128];
            snprintf(detail, sizeof detail, "%.100s", t->reader->errstr);
            poll_fail(t, POLLERR_PROTOCOL, detail);
            return;
        }
        if (!reply) break;
        bool go_on = handle_reply(t, reply);
        freeReplyObject(reply);
        if (!go_on) return;
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    target *t = arg;
    if (what & BEV_EVENT_CONNECTED) {
        t->st.phase = TARGET_POLLING;
        return;
    }
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))) return;
    bool in_poll = t->st.phase == TARGET_POLLING || t->st.phase == TARGET_CONNECTING;
    if (t->st.phase == TARGET_CONNECTING) {
        char detail[128];
        int dns_err = bufferevent_socket_get_dns_error(t->bev);
        if (dns_err) snprintf(detail, sizeof detail, "cannot resolve host: %s", evutil_gai_strerror(dns_err));
        else snprintf(detail, sizeof detail, "%s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        poll_fail(t, POLLERR_CONNECT, detail);
    } else if (in_poll) {
        poll_fail(t, POLLERR_CLOSED, (what & BEV_EVENT_EOF) ? "connection closed by server" : "connection error");
    } else {
        /* Closed between polls (server restart, idle timeout): reconnect at the next tick. */
        log_kv(LOG_DEBUG, "connection closed between polls", "addr", t->st.label, NULL);
        close_connection(t);
        t->st.phase = TARGET_DISCONNECTED;
    }
}

static void start_connect(target *t)
{
    t->bev = bufferevent_socket_new(t->base, -1, BEV_OPT_CLOSE_ON_FREE);
    t->reader = redisReaderCreate();
    if (!t->bev || !t->reader) abort();
    bufferevent_setcb(t->bev, on_read, NULL, on_event, t);
    bufferevent_enable(t->bev, EV_READ | EV_WRITE);
    t->st.phase = TARGET_CONNECTING;
    send_poll(t, true);   /* buffered until the connection is up */
    const config_target *a = t->opts.addr;
    int rc;
    if (a->kind == CONFIG_ADDR_UNIX) {
        struct sockaddr_un sun;
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        snprintf(sun.sun_path, sizeof sun.sun_path, "%s", a->path);
        rc = bufferevent_socket_connect(t->bev, (struct sockaddr *)&sun, sizeof sun);
    } else {
        rc = bufferevent_socket_connect_hostname(t->bev, t->dns, AF_UNSPEC, a->host, a->port);
    }
    /* A failure may already have been reported through on_event. */
    if (rc < 0 && t->st.phase == TARGET_CONNECTING)
        poll_fail(t, POLLERR_CONNECT, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    target *t = arg;
    char detail[96];
    snprintf(detail, sizeof detail, "no complete reply within %gs while %s", t->opts.timeout,
             target_phase_name(t->st.phase));
    poll_fail(t, POLLERR_TIMEOUT, detail);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    target *t = arg;
    double now = mono_now();
    double late = now - t->next_due;
    if (t->opts.lateness_counts) {
        static const double bounds[RENDER_LATENESS_BUCKETS] = RENDER_LATENESS_BOUNDS;
        int b = 0;
        while (b < RENDER_LATENESS_BUCKETS && late > bounds[b]) b++;
        t->opts.lateness_counts[b] += 1;
        *t->opts.lateness_sum += late > 0 ? late : 0;
    }
    /* Keep the cadence: the next tick is one interval after this one was due, skipping
     * whole intervals that were missed (the loop was busy or the host slept). */
    t->next_due += t->opts.interval;
    if (t->next_due < now) t->next_due = now + t->opts.interval;
    struct timeval tv = tv_of(t->next_due - now);
    event_add(t->tick_ev, &tv);

    switch (t->st.phase) {
    case TARGET_CONNECTING:
    case TARGET_POLLING:
        return;   /* the previous poll is still in flight: at most one at a time */
    case TARGET_BACKOFF:
        if (now < t->backoff_until) return;
        /* fall through */
    case TARGET_DISCONNECTED:
        t->poll_started = now;
        tv = tv_of(t->opts.timeout);
        event_add(t->deadline_ev, &tv);
        start_connect(t);
        return;
    case TARGET_IDLE:
        t->poll_started = now;
        tv = tv_of(t->opts.timeout);
        event_add(t->deadline_ev, &tv);
        t->st.phase = TARGET_POLLING;
        send_poll(t, false);
        return;
    }
}

target *target_new(struct event_base *base, struct evdns_base *dns, const target_opts *o,
                   target_notify notify, void *arg)
{
    target *t = calloc(1, sizeof *t);
    if (!t) abort();
    t->base = base;
    t->dns = dns;
    t->opts = *o;
    t->notify = notify;
    t->notify_arg = arg;
    t->tick_ev = evtimer_new(base, on_tick, t);
    t->deadline_ev = evtimer_new(base, on_deadline, t);
    if (!t->tick_ev || !t->deadline_ev) abort();
    info_sample_init(&t->scratch);
    info_sample_init(&t->st.sample);
    double rate_window = o->interval * RATE_WINDOW_POLLS;
    double trend_window = TREND_WINDOW_SECONDS > o->interval * 20 ? TREND_WINDOW_SECONDS : o->interval * 20;
    derive_history_init(&t->history, rate_window, trend_window);
    t->st.label = o->addr->label;
    t->st.phase = TARGET_DISCONNECTED;
    t->st.last_error = POLLERR_NONE;
    return t;
}

void target_start(target *t, double phase)
{
    t->next_due = mono_now() + phase;
    struct timeval tv = tv_of(phase);
    event_add(t->tick_ev, &tv);
}

void target_free(target *t)
{
    if (!t) return;
    close_connection(t);
    event_free(t->tick_ev);
    event_free(t->deadline_ev);
    info_sample_free(&t->scratch);
    info_sample_free(&t->st.sample);
    free(t);
}

const target_state *target_get_state(const target *t) { return &t->st; }
