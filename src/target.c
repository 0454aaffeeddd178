/* target: one Redis endpoint's state machine. See include/target.h.
 * Threading: the collector's event_base thread only. */
#include "target.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <math.h>
#include <stdint.h>
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
    EXPECT_CONFIG_DEFRAG,
    EXPECT_INFO,
    EXPECT_SELECT,
    EXPECT_SCAN,
    EXPECT_MEMORY_USAGE,
    EXPECT_TYPE,
} expect;

typedef struct pending_reply {
    expect kind;
    int slot;            /* sampler: index into the step's keys */
} pending_reply;

#define QUEUE_CAP 256
#define STEP_MAX_KEYS 64
/* Rates over ~10 polls smooth out a 1 s poll; the forecast looks back 5 minutes. */
#define RATE_WINDOW_POLLS 10
#define TREND_WINDOW_SECONDS 300.0
/* CONFIG GET activedefrag and INFO replication at most this often. */
#define SLOW_CHECK_SECONDS 60.0

typedef struct step_key {
    int db;
    char name[80];
    char type[16];
    double bytes;
    bool has_bytes;
} step_key;

/* The key sampler's working state. */
struct sampler {
    step_key step[STEP_MAX_KEYS];
    size_t step_n;
    int scan_db;                  /* db being scanned, -1 before the first step */
    int step_db;                  /* db the step in flight SELECTed */
    char scan_cursor[32];
    double tokens;                /* key budget */
    double tokens_at;             /* monotonic time tokens were last topped up */
    double baseline_poll;         /* a low-water mark of poll duration */
    diagnose_key cycle_top[TARGET_MAX_TOP_KEYS], prev_top[TARGET_MAX_TOP_KEYS];
    size_t n_cycle_top, n_prev_top;
    bool cycle_done;
    unsigned long sampled_this_run;
};

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

    pending_reply queue[QUEUE_CAP];   /* replies still to come, oldest first */
    size_t q_head, q_len;
    size_t info_left;             /* INFO replies the poll in flight still waits for */
    size_t reply_bytes;           /* bytes received during the current poll */

    double next_due;              /* monotonic time of the next scheduled tick */
    double poll_started;          /* monotonic */
    double backoff_until;         /* monotonic */
    unsigned failures;            /* consecutive failed polls */
    bool use_multi_info;          /* server accepted multi-section INFO (Redis >= 7) */
    bool multi_info_refused;      /* ... and never try again after it refused once */
    bool setname_refused;
    bool config_refused;          /* CONFIG renamed or forbidden: never ask again */
    double next_slow_check;       /* monotonic */

    /* Sampler: allocated only when enabled, so that many targets without it stay small. */
    struct sampler *smp;
    bool sampler_off;             /* switched off after an error (old server, ACL) */
    size_t sampler_left;          /* replies the current step still waits for */

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
    t->q_head = t->q_len = 0;
    t->info_left = 0;
    t->sampler_left = 0;
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

static void sampler_step(target *t);

/* Ends the poll in flight; after a success the sampler may take its step first, so
 * that whoever is notified sees whether sampler replies are still to come. */
static void finish_poll(target *t, bool sample_keys)
{
    event_del(t->deadline_ev);
    t->st.has_poll_duration = true;
    t->st.poll_duration = mono_now() - t->poll_started;
    if (sample_keys) sampler_step(t);
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
        t->info_left = 0;
        t->st.phase = TARGET_IDLE;
    }
    log_transition(t, reason, detail);
    finish_poll(t, false);
}

static void send_argv(target *t, int argc, const char **argv, const size_t *lens, expect what, int slot)
{
    if (t->q_len == QUEUE_CAP) abort();   /* sizes above make this impossible */
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (len < 0 || !cmd) abort();
    bufferevent_write(t->bev, cmd, (size_t)len);
    explicit_bzero(cmd, (size_t)len);   /* it may hold the password */
    free(cmd);
    t->queue[(t->q_head + t->q_len) % QUEUE_CAP] = (pending_reply){what, slot};
    t->q_len++;
}

/* ---- key sampler ------------------------------------------------------------------ */

/* Printable, bounded display name: the key itself (non-printable bytes as \xNN, cut at
 * 64 bytes) or, with --sampler.hash-keys, a 64-bit FNV-1a hash. */
static void display_name(const char *key, size_t len, bool hash, char *out, size_t cap)
{
    if (hash) {
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < len; i++) { h ^= (unsigned char)key[i]; h *= 1099511628211ULL; }
        snprintf(out, cap, "hash:%016llx", (unsigned long long)h);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)key[i];
        if (o >= 64) { snprintf(out + o, cap - o, "..."); o += 3; break; }
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') out[o++] = (char)c;
        else o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    }
    out[o < cap ? o : cap - 1] = '\0';
}

static void top_insert(diagnose_key *top, size_t *n, size_t cap, const diagnose_key *k)
{
    for (size_t i = 0; i < *n; i++) {
        if (top[i].db == k->db && strcmp(top[i].name, k->name) == 0) {
            /* Seen again: take the new size and re-sort below. */
            memmove(&top[i], &top[i + 1], (*n - i - 1) * sizeof *top);
            (*n)--;
            break;
        }
    }
    size_t pos = *n;
    while (pos > 0 && top[pos - 1].bytes < k->bytes) pos--;
    if (pos >= cap) return;
    size_t keep = *n < cap ? *n : cap - 1;
    memmove(&top[pos + 1], &top[pos], (keep - pos) * sizeof *top);
    top[pos] = *k;
    if (*n < cap) (*n)++;
}

/* Published list: the current cycle's keys and the last whole cycle's, merged. */
static void publish_top(target *t)
{
    size_t cap = t->opts.sampler_top_n;
    t->st.n_largest = 0;
    for (size_t i = 0; i < t->smp->n_prev_top; i++) top_insert(t->st.largest, &t->st.n_largest, cap, &t->smp->prev_top[i]);
    for (size_t i = 0; i < t->smp->n_cycle_top; i++) top_insert(t->st.largest, &t->st.n_largest, cap, &t->smp->cycle_top[i]);
}

static void record_key(target *t, const step_key *k)
{
    if (!k->has_bytes) return;   /* gone between SCAN and MEMORY USAGE */
    static const double bounds[RENDER_KEY_SIZE_BUCKETS] = RENDER_KEY_SIZE_BOUNDS;
    int b = 0;
    while (b < RENDER_KEY_SIZE_BUCKETS && k->bytes > bounds[b]) b++;
    t->st.key_size_counts[b] += 1;
    t->st.key_size_sum += k->bytes;
    t->st.keys_sampled += 1;
    t->smp->sampled_this_run++;
    diagnose_key d = {.db = k->db, .bytes = k->bytes};
    snprintf(d.name, sizeof d.name, "%s", k->name);
    snprintf(d.type, sizeof d.type, "%s", k->type[0] ? k->type : "unknown");
    top_insert(t->smp->cycle_top, &t->smp->n_cycle_top, t->opts.sampler_top_n, &d);
}

static void sampler_disable(target *t, const char *why)
{
    t->sampler_off = true;
    t->st.sampler_active = false;
    log_kv(LOG_WARN, "key sampler switched off", "addr", t->st.label, "detail", why, NULL);
}

/* The next db to scan after `after` (-1: the first), from the last INFO keyspace. */
static int next_db(const target *t, int after)
{
    for (size_t i = 0; i < t->st.sample.n_dbs; i++)
        if (t->st.sample.dbs[i].index > after && t->st.sample.dbs[i].keys > 0) return t->st.sample.dbs[i].index;
    return -1;
}

static void sampler_step(target *t)
{
    if (!t->smp || t->sampler_off || t->sampler_left > 0 || !t->bev) return;
    double now = mono_now();
    double cap = t->opts.sampler_keys_per_second * 2;
    t->smp->tokens += (now - t->smp->tokens_at) * t->opts.sampler_keys_per_second;
    if (t->smp->tokens > cap) t->smp->tokens = cap;
    t->smp->tokens_at = now;
    if (!t->opts.one_shot) {
        /* Back off while Redis answers slowly: sampling must never add to a problem. */
        double d = t->st.poll_duration;
        if (t->smp->baseline_poll == 0 || d < t->smp->baseline_poll) t->smp->baseline_poll = d;
        else t->smp->baseline_poll *= 1.01;
        if (d > 0.005 && d > 3 * t->smp->baseline_poll) return;
        if (t->smp->tokens < 1) return;
    }
    if (t->smp->scan_db < 0) {
        t->smp->scan_db = next_db(t, -1);
        strcpy(t->smp->scan_cursor, "0");
        if (t->smp->scan_db < 0) {   /* empty keyspace: a cycle with nothing in it */
            t->smp->cycle_done = true;
            return;
        }
    }
    unsigned want = t->opts.one_shot ? STEP_MAX_KEYS : (unsigned)t->smp->tokens;
    if (want > STEP_MAX_KEYS) want = STEP_MAX_KEYS;
    if (want < 1) want = 1;
    char db[16], count[16];
    snprintf(db, sizeof db, "%d", t->smp->scan_db);
    snprintf(count, sizeof count, "%u", want);
    t->smp->step_db = t->smp->scan_db;
    if (t->info_left == 0) t->reply_bytes = 0;   /* a step and a poll share the reply limit */
    send_argv(t, 2, (const char *[]){"SELECT", db}, NULL, EXPECT_SELECT, 0);
    send_argv(t, 4, (const char *[]){"SCAN", t->smp->scan_cursor, "COUNT", count}, NULL, EXPECT_SCAN, 0);
    t->sampler_left = 2;
    t->smp->step_n = 0;
}

static void sampler_step_done(target *t)
{
    for (size_t i = 0; i < t->smp->step_n; i++) record_key(t, &t->smp->step[i]);
    publish_top(t);
    if (t->opts.one_shot) {
        bool enough = t->opts.sampler_max_keys && t->smp->sampled_this_run >= t->opts.sampler_max_keys;
        if (!t->smp->cycle_done && !enough) sampler_step(t);
    } else if (t->smp->tokens >= 1 && t->info_left == 0 && t->st.phase == TARGET_IDLE) {
        sampler_step(t);   /* budget left: go on, the poll interval is no limit */
    }
    if (t->sampler_left == 0 && t->notify) t->notify(t, t->notify_arg);
}

static void on_scan_reply(target *t, redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_ARRAY) {
        sampler_disable(t, "unexpected SCAN reply");
        return;
    }
    snprintf(t->smp->scan_cursor, sizeof t->smp->scan_cursor, "%.*s", (int)r->element[0]->len, r->element[0]->str);
    if (strcmp(t->smp->scan_cursor, "0") == 0) {
        int next = next_db(t, t->smp->scan_db);
        if (next < 0) {
            /* A whole cycle over every db: its keys become the reference list. */
            memcpy(t->smp->prev_top, t->smp->cycle_top, sizeof t->smp->prev_top);
            t->smp->n_prev_top = t->smp->n_cycle_top;
            t->smp->n_cycle_top = 0;
            t->smp->cycle_done = true;
            t->smp->scan_db = -1;
        } else {
            t->smp->scan_db = next;
        }
    }
    redisReply *keys = r->element[1];
    size_t n = keys->elements;
    size_t budget = t->opts.one_shot ? STEP_MAX_KEYS : (size_t)(t->smp->tokens > 0 ? t->smp->tokens : 0);
    if (n > budget) n = budget;
    if (n > STEP_MAX_KEYS) n = STEP_MAX_KEYS;
    char samples[16];
    snprintf(samples, sizeof samples, "%u", t->opts.sampler_memory_samples);
    for (size_t i = 0; i < n; i++) {
        redisReply *k = keys->element[i];
        if (k->type != REDIS_REPLY_STRING) continue;
        step_key *sk = &t->smp->step[t->smp->step_n];
        memset(sk, 0, sizeof *sk);
        sk->db = t->smp->step_db;
        display_name(k->str, k->len, t->opts.sampler_hash_keys, sk->name, sizeof sk->name);
        send_argv(t, 5, (const char *[]){"MEMORY", "USAGE", k->str, "SAMPLES", samples},
                  (const size_t[]){6, 5, k->len, 7, strlen(samples)}, EXPECT_MEMORY_USAGE, (int)t->smp->step_n);
        send_argv(t, 2, (const char *[]){"TYPE", k->str}, (const size_t[]){4, k->len}, EXPECT_TYPE, (int)t->smp->step_n);
        t->sampler_left += 2;
        t->smp->step_n++;
    }
    t->smp->tokens -= (double)n;
}

/* ---- polls ---------------------------------------------------------------------- */

static void poll_succeed(target *t)
{
    double loading;
    if (info_get(&t->scratch, INFO_LOADING, &loading) && loading != 0) {
        poll_fail(t, POLLERR_LOADING, "server is loading its dataset");
        return;
    }
    /* The role comes once a minute (see send_poll): keep the last one known. */
    if (!t->scratch.has_text[INFO_ROLE] && t->st.sample.has_text[INFO_ROLE]) {
        memcpy(t->scratch.text[INFO_ROLE], t->st.sample.text[INFO_ROLE], INFO_TEXT_MAX);
        t->scratch.has_text[INFO_ROLE] = true;
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
    diagnose_input in = {
        .sample = &t->st.sample, .derived = &t->st.derived,
        .has_defrag_enabled = t->st.has_defrag_enabled, .defrag_enabled = t->st.defrag_enabled,
        .largest = t->st.largest, .n_largest = t->st.n_largest, .one_shot = t->opts.one_shot,
    };
    diagnose_run(&in, &t->opts.thresholds, &t->st.diagnosis);
    log_transition(t, POLLERR_NONE, NULL);
    finish_poll(t, true);
}

/* Queues one poll's commands (and AUTH / CLIENT SETNAME on a fresh connection). */
static void send_poll(target *t, bool fresh)
{
    t->reply_bytes = 0;
    t->info_left = 0;
    info_sample_reset(&t->scratch);
    if (fresh && t->opts.password) {
        const char *user = t->opts.addr->user[0] ? t->opts.addr->user : t->opts.user;
        if (user && *user) send_argv(t, 3, (const char *[]){"AUTH", user, t->opts.password}, NULL, EXPECT_AUTH, 0);
        else send_argv(t, 2, (const char *[]){"AUTH", t->opts.password}, NULL, EXPECT_AUTH, 0);
    }
    if (fresh && !t->setname_refused)
        send_argv(t, 3, (const char *[]){"CLIENT", "SETNAME", "redis_memory_exporter"}, NULL, EXPECT_SETNAME, 0);
    /* Slow-changing facts are asked for once a minute: CONFIG GET activedefrag and the
     * replication section (only the role is used; between asks it is carried over). */
    double now = mono_now();
    bool slow_due = now >= t->next_slow_check;
    if (slow_due) t->next_slow_check = now + SLOW_CHECK_SECONDS;
    if (slow_due && !t->config_refused)
        send_argv(t, 3, (const char *[]){"CONFIG", "GET", "activedefrag"}, NULL, EXPECT_CONFIG_DEFRAG, 0);
    static const char *const sections[] = {"server", "clients", "memory", "stats", "keyspace", "errorstats",
                                           "replication"};
    size_t n = sizeof sections / sizeof sections[0] - (slow_due ? 0 : 1);
    if (t->use_multi_info) {
        const char *argv[1 + sizeof sections / sizeof sections[0]] = {"INFO"};
        for (size_t i = 0; i < n; i++) argv[1 + i] = sections[i];
        send_argv(t, (int)(1 + n), argv, NULL, EXPECT_INFO, 0);
        t->info_left = 1;
    } else {
        for (size_t i = 0; i < n; i++) send_argv(t, 2, (const char *[]){"INFO", sections[i]}, NULL, EXPECT_INFO, 0);
        t->info_left = n;
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

static bool is_error(const redisReply *r) { return r->type == REDIS_REPLY_ERROR; }

/* Sampler replies. Returns nothing: errors switch the sampler off, never fail a poll. */
static void handle_sampler_reply(target *t, pending_reply p, redisReply *r)
{
    if (t->sampler_left > 0) t->sampler_left--;
    if (is_error(r)) {
        char why[140];
        snprintf(why, sizeof why, "%.100s", r->str ? r->str : "");
        if (!t->sampler_off) sampler_disable(t, why);
    } else {
        switch (p.kind) {
        case EXPECT_SELECT: break;
        case EXPECT_SCAN: on_scan_reply(t, r); break;
        case EXPECT_MEMORY_USAGE:
            if (r->type == REDIS_REPLY_INTEGER && p.slot >= 0 && (size_t)p.slot < t->smp->step_n) {
                t->smp->step[p.slot].bytes = (double)r->integer;
                t->smp->step[p.slot].has_bytes = true;
            }
            break;
        case EXPECT_TYPE:
            if ((r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING) && p.slot >= 0 &&
                (size_t)p.slot < t->smp->step_n)
                snprintf(t->smp->step[p.slot].type, sizeof t->smp->step[p.slot].type, "%.*s", (int)r->len, r->str);
            break;
        default: break;
        }
    }
    if (t->sampler_left == 0) sampler_step_done(t);
}

/* Handles one reply; returns false when the connection was closed under us. */
static bool handle_reply(target *t, pending_reply p, redisReply *r)
{
    char detail[128];
    switch (p.kind) {
    case EXPECT_SETNAME:
        if (is_error(r)) t->setname_refused = true;   /* e.g. an ACL without CLIENT: never ask again */
        return true;
    case EXPECT_CONFIG_DEFRAG:
        if (is_error(r)) {
            t->config_refused = true;
            t->st.has_defrag_enabled = false;
            log_kv(LOG_INFO, "CONFIG GET is not allowed; activedefrag state unknown (asked once only)", "addr",
                   t->st.label, NULL);
        } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->type == REDIS_REPLY_STRING) {
            t->st.has_defrag_enabled = true;
            t->st.defrag_enabled = strcmp(r->element[1]->str, "yes") == 0;
        } else {
            t->st.has_defrag_enabled = false;   /* no such parameter on this server */
        }
        return true;
    case EXPECT_AUTH:
        if (!is_error(r)) return true;
        snprintf(detail, sizeof detail, "%.100s", r->str ? r->str : "");
        poll_fail(t, POLLERR_AUTH, classify_error(detail) == POLLERR_AUTH ? "authentication rejected" : detail);
        return false;
    case EXPECT_INFO:
        break;
    default:
        handle_sampler_reply(t, p, r);
        return t->bev != NULL;
    }
    if (t->info_left == 0) return true;   /* the poll already failed: drain its replies */
    t->info_left--;
    if (is_error(r)) {
        snprintf(detail, sizeof detail, "%.100s", r->str ? r->str : "");
        if (t->use_multi_info && classify_error(detail) == POLLERR_REDIS_ERROR) {
            /* A fork that reports a 7.x version but takes one section per INFO. */
            t->use_multi_info = false;
            t->multi_info_refused = true;
        }
        pollerr e = classify_error(detail);
        poll_fail(t, e, detail);
        return t->bev != NULL;
    }
    if (r->type != REDIS_REPLY_STRING && r->type != 14 /* RESP3 verbatim */) {
        poll_fail(t, POLLERR_PROTOCOL, "INFO reply is not a bulk string");
        return false;
    }
    info_parse(&t->scratch, r->str, r->len);
    if (t->info_left > 0) return true;
    if (t->scratch.n_known == 0) {
        poll_fail(t, POLLERR_PROTOCOL, "INFO reply has no known field");
        return false;
    }
    poll_succeed(t);
    return t->bev != NULL;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    target *t = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    if (t->q_len == 0) {
        evbuffer_drain(in, n);
        log_kv(LOG_WARN, "unexpected data from redis; reconnecting", "addr", t->st.label, NULL);
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
    while (t->q_len > 0) {
        void *reply = NULL;
        if (redisReaderGetReply(t->reader, &reply) != REDIS_OK) {
            char detail[128];
            snprintf(detail, sizeof detail, "%.100s", t->reader->errstr);
            poll_fail(t, POLLERR_PROTOCOL, detail);
            return;
        }
        if (!reply) break;
        pending_reply p = t->queue[t->q_head];
        t->q_head = (t->q_head + 1) % QUEUE_CAP;
        t->q_len--;
        bool go_on = handle_reply(t, p, reply);
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
        if (t->opts.one_shot && t->notify) t->notify(t, t->notify_arg);
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
    if (t->opts.sampler_top_n < 1) t->opts.sampler_top_n = 1;
    if (t->opts.sampler_top_n > TARGET_MAX_TOP_KEYS) t->opts.sampler_top_n = TARGET_MAX_TOP_KEYS;
    if (t->opts.sampler_memory_samples < 1) t->opts.sampler_memory_samples = 5;
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
    t->st.sampler_active = o->sampler_keys_per_second > 0;
    if (o->sampler_keys_per_second > 0) {
        t->smp = calloc(1, sizeof *t->smp);
        if (!t->smp) abort();
        t->smp->scan_db = -1;
        t->smp->tokens_at = mono_now();
    }
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
    free(t->smp);
    free(t);
}

bool target_sampler_busy(const target *t) { return t->sampler_left > 0; }
bool target_sampler_cycle_done(const target *t) { return !t->smp || t->smp->cycle_done; }
const target_state *target_get_state(const target *t) { return &t->st; }
