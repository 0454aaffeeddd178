/* SPDX-License-Identifier: Apache-2.0 */
/* target: one Redis endpoint's state machine. See include/target.h.
 * Threading: the event_base's thread only. */
#include "target.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clientlist.h"
#include "clock.h"
#include "conn.h"
#include "hash.h"
#include "log.h"
#include "memmodel.h"
#include "observe.h"
#include "procstat.h"
#include "watch.h"
#include "xalloc.h"

/* What each reply answers (conn_tag.kind). Sampler replies are K_SAMPLER + sampler_reply,
 * watched keys' K_WATCH + watch_reply. */
enum { K_AUTH, K_SETNAME, K_CONFIG, K_MEMSTATS, K_CLIENTS, K_INFO, K_SAMPLER, K_WATCH = K_SAMPLER + 16 };

/* Rates over ~10 polls smooth out a 1 s poll (the forecast: --diagnose.forecast-window). */
#define RATE_WINDOW_POLLS 10
/* CONFIG GET and MEMORY STATS at most this often. */
#define SLOW_CHECK_SECONDS 60.0
/* CLIENT LIST, while a client buffer finding is active, at most this often; not at all
 * when the list would not fit in --poll.max-reply-bytes at CLIENT_LIST_LINE_BYTES a client
 * (a line is 300-400 bytes): a reply past the limit fails the connection, and a buffer
 * incident must not turn into "Redis down". */
#define CLIENTS_CHECK_SECONDS 60.0
#define CLIENT_LIST_LINE_BYTES 512

/* What a server refused once and is never asked again. */
enum {
    REFUSED_MULTI_INFO = 1 << 0, /* a fork that reports 7.x but takes one section per INFO */
    REFUSED_SETNAME = 1 << 1,    /* an ACL without CLIENT */
    REFUSED_CONFIG = 1 << 2,     /* CONFIG renamed or forbidden (managed services) */
    REFUSED_MEMSTATS = 1 << 3,   /* MEMORY STATS refused (an ACL, a managed service) */
    REFUSED_CLIENTLIST = 1 << 4, /* CLIENT LIST refused */
};

/* ---- the state machine ------------------------------------------------------------- */

typedef enum target_event {
    EV_TICK,      /* the poll timer fired (and, in BACKOFF, the wait is over) */
    EV_CONNECTED, /* the socket is up */
    EV_SUCCESS,   /* every INFO reply of the poll arrived and parsed */
    EV_SOFT_FAIL, /* an error reply (LOADING, other): the connection stays */
    EV_HARD_FAIL, /* connect, AUTH, timeout, protocol, too large, closed mid-poll */
    EV_DROPPED,   /* the connection went away between polls */
    EV_COUNT
} target_event;

typedef enum action {
    A_NONE,
    A_CONNECT, /* open a connection and queue the poll behind it */
    A_POLL,    /* send a poll on the open connection */
    A_CLOSE,   /* close the connection */
} action;

typedef struct transition {
    unsigned char next; /* a target_phase, or STAY */
    unsigned char act;
} transition;

#define STAY TARGET_PHASES
#define T(n, a) \
    { \
        n, a \
    }
#define KEEP T(STAY, A_NONE)
static const transition fsm[TARGET_PHASES][EV_COUNT] = {
    /*                     TICK                             CONNECTED                 SUCCESS                 SOFT_FAIL               HARD_FAIL                        DROPPED */
    [TARGET_DISCONNECTED] = {T(TARGET_CONNECTING, A_CONNECT), KEEP, KEEP, KEEP, KEEP, KEEP},
    [TARGET_CONNECTING] = {KEEP, T(TARGET_POLLING, A_NONE), KEEP, T(TARGET_IDLE, A_NONE), T(TARGET_BACKOFF, A_CLOSE),
                           T(TARGET_BACKOFF, A_CLOSE)},
    [TARGET_POLLING] = {KEEP, KEEP, T(TARGET_IDLE, A_NONE), T(TARGET_IDLE, A_NONE), T(TARGET_BACKOFF, A_CLOSE),
                        T(TARGET_BACKOFF, A_CLOSE)},
    [TARGET_IDLE] = {T(TARGET_POLLING, A_POLL), KEEP, KEEP, KEEP, T(TARGET_BACKOFF, A_CLOSE),
                     T(TARGET_DISCONNECTED, A_CLOSE)},
    [TARGET_BACKOFF] = {T(TARGET_CONNECTING, A_CONNECT), KEEP, KEEP, KEEP, KEEP, KEEP},
};
#undef KEEP
#undef T

struct target {
    struct event_base *base;
    struct evdns_base *dns;
    target_opts opts;
    target_notify notify;
    void *notify_arg;

    target_phase phase;
    conn *conn;                        /* NULL when disconnected */
    struct event *tick_ev;             /* next scheduled poll */
    struct event *deadline_ev;         /* the in-flight poll's deadline */
    const struct timeval *deadline_tv; /* the poll timeout as one of libevent's common
                                            timeouts: every target's deadline has the same
                                            length, so they wait in one queue, not in the
                                            timer heap (two heap operations a poll fewer) */
    struct timeval deadline_tv_plain;  /* the same as a plain timeout, if that fails */

    unsigned poll_seq;            /* number of the current poll; INFO replies carry it */
    unsigned step_seq;            /* number of the current sampler step */
    size_t info_left;             /* INFO replies the poll in flight still waits for */
    double next_due;              /* monotonic time of the next scheduled tick */
    double poll_started;          /* monotonic */
    double backoff_until;         /* monotonic */
    unsigned failures;            /* consecutive failed polls */
    unsigned refused;             /* REFUSED_* */
    unsigned long long cred_hash; /* of the user and password the refusals were met with */
    double next_slow_check;       /* monotonic */
    bool slow_poll;               /* the poll under way asks the once-a-minute things too */
    bool holds_slot;              /* a connect slot of opts.gate while connecting */

    sampler *smp;                   /* NULL unless the key sampler is on */
    watch *watch;                   /* NULL unless keys are watched; its steps and the
                                     sampler's never overlap (each SELECTs its db) */
    diagnose_clients *clients_next; /* the CLIENT LIST in flight's, moved to rep.clients */
    size_t clients_left;            /* its replies still awaited */
    double next_clients_check;      /* monotonic */
    info_sample *scratch;           /* filled by the poll in flight; NULL between polls (a
                                     fleet holds one per poll in flight, not per target) */
    derive_history history;
    report rep;
    pollerr logged_error;             /* last state logged, to log each change once */
    unsigned long long logged_detail; /* ... and a hash of what it said (only "the same
                                           as before?" is asked of it) */
    bool logged_once;
};

const char *target_phase_name(target_phase p)
{
    static const char *const names[TARGET_PHASES] = {
        [TARGET_DISCONNECTED] = "disconnected", [TARGET_CONNECTING] = "connecting",
        [TARGET_POLLING] = "polling",           [TARGET_IDLE] = "connected",
        [TARGET_BACKOFF] = "backoff",
    };
    return p < TARGET_PHASES ? names[p] : "unknown";
}

/* How long to wait before reconnecting after `failures` failed polls in a row: the
 * first retry comes at the next tick, later ones back off exponentially up to the cap,
 * each by a random 50-100 % of it: targets that failed together (a network blip, a
 * restarted proxy in front of a fleet) come back spread out, not all at once. */
static double backoff_wait(const target_opts *o, unsigned failures)
{
    if (failures <= 1) return 0;
    double backoff = o->interval * pow(2.0, (double)(failures - 1));
    if (backoff > o->max_backoff) backoff = o->max_backoff;
    backoff *= 0.5 + 0.5 * (double)rand() / RAND_MAX;
    return backoff - o->interval * 0.5;
}

static void start_connect(target *t);
static void send_poll(target *t, bool fresh);

/* Whether polls go out as one multi-section INFO: Redis >= 7 (as the last sample said)
 * that has not refused it. */
static bool multi_info(const target *t)
{
    return !(t->refused & REFUSED_MULTI_INFO) && info_major_version(&t->rep.sample) >= 7;
}

static void close_connection(target *t)
{
    conn_free(t->conn);
    t->conn = NULL;
    t->info_left = 0;
    t->clients_left = 0;
    if (t->smp) sampler_abort_step(t->smp);
    if (t->watch) watch_abort(t->watch);
}

/* Moves the machine; the table says where and what to do on the way. */
static void fire(target *t, target_event ev)
{
    transition tr = fsm[t->phase][ev];
    target_phase was = t->phase;
    if (tr.next == TARGET_CONNECTING && was != TARGET_CONNECTING && t->opts.gate) {
        t->opts.gate->busy++; /* the connect's slot, held until it is up or has failed */
        t->holds_slot = true;
    }
    switch ((action)tr.act) {
    case A_NONE:
        break;
    case A_CLOSE:
        close_connection(t);
        break;
    case A_CONNECT:
        start_connect(t);
        break;
    case A_POLL:
        send_poll(t, false);
        break;
    }
    if (tr.next != STAY) t->phase = (target_phase)tr.next;
    if (t->holds_slot && t->phase != TARGET_CONNECTING) {
        t->opts.gate->busy--;
        t->holds_slot = false;
    }
}

/* Would this tick start a connect the gate has no slot for? */
static bool gate_closed(const target *t)
{
    const target_gate *g = t->opts.gate;
    return g && g->max && g->busy >= g->max && fsm[t->phase][EV_TICK].next == TARGET_CONNECTING;
}

/* ---- logging, the report, the end of a poll -------------------------------------- */

static void log_transition(target *t, pollerr now, const char *detail)
{
    /* A change of reason, or of what the same reason says (a TLS failure that was an
     * unknown CA and is now a refused client certificate), is news; the same again is not. */
    bool same =
        t->logged_once && t->logged_error == now && (now == POLLERR_LOADING || t->logged_detail == hash_text(detail));
    if (same) { /* (loading's progress changes every poll: that is not news) */
        if (now != POLLERR_NONE && log_enabled(LOG_DEBUG))
            log_kv(LOG_DEBUG, "poll failed again", "addr", t->rep.addr, "reason", pollerr_name(now), "detail",
                   detail ? detail : "", NULL);
        return;
    }
    if (now == POLLERR_NONE) {
        const char *ver = info_text_get(&t->rep.sample, INFO_REDIS_VERSION);
        log_kv(LOG_INFO, "redis is up", "addr", t->rep.addr, "redis_version", ver ? ver : "unknown", "info",
               multi_info(t) ? "multi-section" : "pipelined", NULL);
    } else {
        log_kv(LOG_WARN, "poll failed", "addr", t->rep.addr, "reason", pollerr_name(now), "detail",
               detail ? detail : "", NULL);
    }
    t->logged_error = now;
    t->logged_detail = hash_text(detail);
    t->logged_once = true;
}

/* A server on this host (loopback or a unix socket) that gave its process_id: its VmSwap,
 * the evidence INFO cannot give for "RSS below used memory". Two small procfs reads, once
 * a minute; nothing is known for a remote server or one in another pid namespace. */
static void read_swap(target *t)
{
    const config_target *a = t->opts.addr;
    bool local = a->kind == CONFIG_ADDR_UNIX || strcmp(a->host, "localhost") == 0 || strncmp(a->host, "127.", 4) == 0 ||
        strcmp(a->host, "::1") == 0;
    double pid;
    t->rep.has_swap = local && info_get(&t->rep.sample, INFO_PROCESS_ID, &pid) &&
        procstat_server_swap("/proc", (long)pid, &t->rep.swap_bytes);
}

/* The one place the report's findings are made. */
static void update_report(target *t)
{
    /* (rep.keys points into the sampler: nothing to copy) */
    observe_opts o = {.thresholds = &t->opts.thresholds, .one_shot = t->opts.one_shot};
    observe(&t->history, &t->rep, &o, clock_mono());
    t->rep.version++;
}

static void send_sampler_cmds(target *t, const sampler_cmd *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *argv[5];
        memcpy(argv, c[i].argv, sizeof argv);
        conn_send(t->conn, c[i].argc, argv, c[i].lens, (conn_tag){K_SAMPLER + (int)c[i].kind, c[i].slot, t->step_seq});
    }
}

/* Starts a sampler step when the sampler is on and its budget allows. */
/* Whether the last INFO's role is one the sampler may run on (sampler: {roles: ...}). */
static bool sampler_role_ok(const target *t)
{
    if (!t->opts.sampler_roles) return true;
    const char *role = info_text_get(&t->rep.sample, INFO_ROLE);
    unsigned r = !role            ? 0
        : !strcmp(role, "master") ? TSPEC_ROLE_PRIMARY
        : !strcmp(role, "slave")  ? TSPEC_ROLE_REPLICA
                                  : 0;
    return (r & t->opts.sampler_roles) != 0;
}

/* Commands sent between polls (a sampler or watcher step, CLIENT LIST) get the reply limit
 * afresh, unless a poll is in flight: then they share its limit. */
static void allow_replies(target *t)
{
    if (t->info_left == 0) conn_allow_bytes(t->conn, t->opts.max_reply_bytes);
}

static void sampler_try(target *t)
{
    if (!t->smp || !t->conn || !sampler_role_ok(t) || (t->watch && watch_pending(t->watch) > 0)) return;
    sampler_cmd cmds[SAMPLER_MAX_CMDS];
    size_t n = sampler_begin(t->smp, &t->rep.sample, t->rep.health.poll_duration, clock_mono(), cmds, SAMPLER_MAX_CMDS);
    if (n == 0) return;
    t->step_seq++;
    allow_replies(t);
    send_sampler_cmds(t, cmds, n);
}

/* Ends the poll in flight; after a success the sampler may take its step first, so
 * that whoever is notified sees whether sampler replies are still to come. */
static void drop_scratch(target *t)
{
    if (!t->scratch) return;
    info_sample_free(t->scratch);
    free(t->scratch);
    t->scratch = NULL;
}

static bool buffer_finding_active(const report *r)
{
    for (size_t i = 0; i < r->diagnosis.n; i++) {
        uint8_t id = r->diagnosis.findings[i].id;
        if (id == DIAGNOSE_CLIENT_OUTPUT_BUFFERS || id == DIAGNOSE_CLIENT_QUERY_BUFFERS) return true;
    }
    return false;
}

/* Starts a step of the watched keys when one is due and no sampler step is in flight. */
static void watch_try(target *t)
{
    if (!t->watch || !t->conn || (t->smp && sampler_pending(t->smp) > 0)) return;
    watch_cmd cmds[WATCH_MAX_CMDS];
    size_t n = watch_begin(t->watch, clock_mono(), cmds, WATCH_MAX_CMDS);
    if (n == 0) return;
    t->step_seq++;
    allow_replies(t);
    for (size_t i = 0; i < n; i++) {
        const char *argv[3];
        memcpy(argv, cmds[i].argv, sizeof argv);
        conn_send(t->conn, cmds[i].argc, argv, cmds[i].lens,
                  (conn_tag){K_WATCH + (int)cmds[i].kind, (unsigned short)cmds[i].slot, t->step_seq});
    }
}

/* Asks CLIENT LIST (by type where the version has it: replicas are not listed) to name
 * the client of an active client buffer finding; forgets the list once none is active. */
static void clients_try(target *t)
{
    if (!buffer_finding_active(&t->rep)) {
        free(t->rep.clients);
        t->rep.clients = NULL;
        t->next_clients_check = 0;
        return;
    }
    double now = clock_mono(), connected = 0;
    if (!t->conn || t->clients_left > 0 || (t->refused & REFUSED_CLIENTLIST) || now < t->next_clients_check) return;
    t->next_clients_check = now + CLIENTS_CHECK_SECONDS;
    if (info_get(&t->rep.sample, INFO_CONNECTED_CLIENTS, &connected) &&
        connected * CLIENT_LIST_LINE_BYTES > (double)t->opts.max_reply_bytes)
        return;
    allow_replies(t);
    if (!t->clients_next) t->clients_next = xcalloc(1, sizeof *t->clients_next);
    clientlist_clear(t->clients_next);
    memmodel m;
    memmodel_build(&m, &t->rep.sample, &t->rep.mstats);
    conn_tag tag = {K_CLIENTS, 0, t->poll_seq};
    if (memmodel_has(&m, MEMMODEL_CMD_CLIENT_LIST_TYPE)) {
        conn_send(t->conn, 4, (const char *[]){"CLIENT", "LIST", "TYPE", "normal"}, NULL, tag);
        conn_send(t->conn, 4, (const char *[]){"CLIENT", "LIST", "TYPE", "pubsub"}, NULL, tag);
        t->clients_left = 2;
    } else {
        conn_send(t->conn, 2, (const char *[]){"CLIENT", "LIST"}, NULL, tag);
        t->clients_left = 1;
    }
}

static void finish_poll(target *t, bool ok)
{
    drop_scratch(t);
    t->rep.version++; /* health changed, whatever else did */
    event_del(t->deadline_ev);
    t->rep.health.has_poll_duration = true;
    t->rep.health.poll_duration = clock_mono() - t->poll_started;
    if (ok) {
        sampler_try(t);
        watch_try(t);
        clients_try(t);
    }
    if (t->notify) t->notify(t, t->notify_arg);
}

static void poll_fail(target *t, pollerr reason, const char *detail)
{
    bool soft = reason == POLLERR_LOADING || reason == POLLERR_REDIS_ERROR;
    t->rep.health.errors[reason] += 1;
    t->rep.health.last_ok = false;
    t->rep.health.last_error = reason;
    snprintf(t->rep.health.last_detail, sizeof t->rep.health.last_detail, "%s", detail ? detail : "");
    t->failures++;
    fire(t, soft ? EV_SOFT_FAIL : EV_HARD_FAIL);
    if (!soft) t->backoff_until = clock_mono() + backoff_wait(&t->opts, t->failures);
    log_transition(t, reason, detail);
    finish_poll(t, false);
}

static void poll_succeed(target *t)
{
    double loading;
    report_loading *ld = &t->rep.loading;
    if (info_get(t->scratch, INFO_LOADING, &loading) && loading != 0) {
        /* Half-loaded numbers are never served: the poll fails (reason loading) and only
         * the progress is kept. */
        ld->active = true;
        ld->has_progress = info_get(t->scratch, INFO_LOADING_PERC, &ld->progress);
        if (ld->has_progress) ld->progress /= 100;
        ld->has_eta = info_get(t->scratch, INFO_LOADING_ETA, &ld->eta);
        char why[120], eta[48] = "";
        if (ld->has_eta) snprintf(eta, sizeof eta, ", about %.0f s left", ld->eta);
        if (ld->has_progress)
            snprintf(why, sizeof why, "server is loading its dataset (%.0f %% loaded%s)", ld->progress * 100, eta);
        else snprintf(why, sizeof why, "server is loading its dataset");
        poll_fail(t, POLLERR_LOADING, why);
        return;
    }
    memset(ld, 0, sizeof *ld);
    /* Swap: the old sample goes with the scratch when the poll finishes. */
    info_sample tmp = t->rep.sample;
    t->rep.sample = *t->scratch;
    *t->scratch = tmp;
    double now = clock_mono();
    if (derive_push(&t->history, &t->rep.sample, now) && t->rep.has_sample)
        log_kv(LOG_INFO, "counters reset (restart or CONFIG RESETSTAT)", "addr", t->rep.addr, NULL);
    t->rep.has_sample = true;
    report_health *h = &t->rep.health;
    h->last_ok = true;
    h->last_error = POLLERR_NONE;
    h->last_detail[0] = '\0';
    h->has_last_success = true;
    h->last_success_real = clock_real();
    h->last_success_mono = now;
    t->failures = 0;
    if (t->slow_poll) read_swap(t);
    fire(t, EV_SUCCESS);
    update_report(t);
    log_transition(t, POLLERR_NONE, NULL);
    finish_poll(t, true);
}

/* ---- commands ---------------------------------------------------------------------- */

static void send_cmd(target *t, int argc, const char **argv, int kind)
{
    conn_send(t->conn, argc, argv, NULL, (conn_tag){kind, 0, t->poll_seq});
}

/* Other credentials (a password given or rotated by a reload, another ACL user) may be
 * allowed what the old ones were refused: ask again. */
static void forget_refusals_if_new(target *t, const char *user, const char *password)
{
    unsigned long long h = hash_text(user) * 31 + hash_text(password);
    if (h == t->cred_hash) return;
    t->cred_hash = h;
    t->refused &= REFUSED_MULTI_INFO; /* the server's own limit, not the user's */
    t->rep.config.refused = false;
    t->next_slow_check = 0;
}

/* Queues one poll's commands (and AUTH / CLIENT SETNAME on a fresh connection). */
static void send_poll(target *t, bool fresh)
{
    t->poll_seq++;
    t->poll_started = clock_mono();
    event_add(t->deadline_ev, t->deadline_tv);
    conn_allow_bytes(t->conn, t->opts.max_reply_bytes);
    if (!t->scratch) {
        t->scratch = xcalloc(1, sizeof *t->scratch);
        info_sample_init(t->scratch);
    }
    info_sample_reset(t->scratch);
    const target_credentials *cred = t->opts.cred;
    const char *user = t->opts.addr->user[0] ? t->opts.addr->user : cred ? cred->user : NULL;
    if (fresh) forget_refusals_if_new(t, user, cred ? cred->password : NULL);
    if (fresh && cred && cred->password && cred->password[0]) {
        if (user && *user) send_cmd(t, 3, (const char *[]){"AUTH", user, cred->password}, K_AUTH);
        else send_cmd(t, 2, (const char *[]){"AUTH", cred->password}, K_AUTH);
    }
    if (fresh && !(t->refused & REFUSED_SETNAME))
        send_cmd(t, 3, (const char *[]){"CLIENT", "SETNAME", "redis_memory_exporter"}, K_SETNAME);
    /* Slow-changing facts are asked for once a minute: the settings of srvconf.h and MEMORY
     * STATS. The replication section comes every poll: after a failover the role (and how
     * the diagnosis judges the server) is right within one poll. */
    bool slow_due = t->poll_started >= t->next_slow_check;
    t->slow_poll = slow_due;
    if (slow_due) t->next_slow_check = t->poll_started + SLOW_CHECK_SECONDS;
    for (int p = 0; slow_due && !(t->refused & REFUSED_CONFIG) && p < SRVCONF_COUNT; p++)
        send_cmd(t, 3, (const char *[]){"CONFIG", "GET", srvconf_table[p].name}, K_CONFIG);
    if (slow_due && !(t->refused & REFUSED_MEMSTATS)) send_cmd(t, 2, (const char *[]){"MEMORY", "STATS"}, K_MEMSTATS);
    /* persistence: "loading" is there (a half-loaded dataset is never served as up). */
    const char *sections[10] = {"server", "clients",  "memory",     "persistence",
                                "stats",  "keyspace", "errorstats", "replication"};
    size_t n = 8;
    if (t->opts.commandstats) sections[n++] = "commandstats";
    if (multi_info(t)) {
        const char *argv[1 + sizeof sections / sizeof sections[0]] = {"INFO"};
        for (size_t i = 0; i < n; i++) argv[1 + i] = sections[i];
        send_cmd(t, (int)(1 + n), argv, K_INFO);
        t->info_left = 1;
    } else {
        for (size_t i = 0; i < n; i++) send_cmd(t, 2, (const char *[]){"INFO", sections[i]}, K_INFO);
        t->info_left = n;
    }
}

/* ---- replies ----------------------------------------------------------------------- */

/* Error replies are classified by their first word; the text is only logged, cut short. */
static pollerr classify_error(const char *msg)
{
    if (strncmp(msg, "LOADING", 7) == 0) return POLLERR_LOADING;
    if (strncmp(msg, "NOPERM", 6) == 0) return POLLERR_NOPERM;
    if (strncmp(msg, "NOAUTH", 6) == 0 || strncmp(msg, "WRONGPASS", 9) == 0 || strstr(msg, "invalid password") ||
        strstr(msg, "without any password configured") || strstr(msg, "invalid username-password"))
        return POLLERR_AUTH;
    return POLLERR_REDIS_ERROR;
}

/* An INFO error reply in words that say what to do: Redis's own text, cut short, and for
 * the two an operator can act on, the action. */
static void describe_info_error(const char *msg, pollerr e, bool have_password, char *out, size_t cap)
{
    if (strncmp(msg, "NOAUTH", 6) == 0 && !have_password)
        snprintf(out, cap,
                 "NOAUTH: this Redis needs a password; give one with --redis.password-file, "
                 "REDIS_PASSWORD or password_file in the targets file");
    else if (e == POLLERR_NOPERM)
        snprintf(out, cap,
                 "NOPERM: the ACL user may not run INFO; allow it: ACL SETUSER <user> +info "
                 "+config|get +memory|stats +client|setname");
    else snprintf(out, cap, "%.100s", msg);
}

static bool is_error(const redisReply *r) { return r->type == REDIS_REPLY_ERROR; }

/* A refusal is remembered only when the server knew who asked: NOAUTH says the connection
 * was not authenticated yet (no password given, or one given after start), and the same
 * command may well be allowed once it is. */
static bool is_refusal(const redisReply *r) { return is_error(r) && !(r->str && strncmp(r->str, "NOAUTH", 6) == 0); }

/* Sampler replies: errors switch the sampler off, they never fail a poll. */
static void on_sampler_reply(target *t, conn_tag tag, const redisReply *r)
{
    const char *bad = NULL;
    char why[140];
    if (is_error(r)) {
        /* Only the error's code (ERR, NOPERM, ...): the rest may quote a key name. */
        const char *msg = r->str ? r->str : "";
        snprintf(why, sizeof why, "error reply %.*s", (int)strcspn(msg, " "), msg);
        bad = why;
    } else {
        switch ((sampler_reply)(tag.kind - K_SAMPLER)) {
        case SAMPLER_SELECT:
            break;
        case SAMPLER_SCAN: {
            if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
                r->element[1]->type != REDIS_REPLY_ARRAY) {
                bad = "unexpected SCAN reply";
                break;
            }
            const redisReply *keys = r->element[1];
            sampler_name *names = xcalloc(keys->elements, sizeof *names);
            size_t n = 0;
            for (size_t i = 0; i < keys->elements; i++)
                if (keys->element[i]->type == REDIS_REPLY_STRING)
                    names[n++] = (sampler_name){keys->element[i]->str, keys->element[i]->len};
            sampler_cmd cmds[SAMPLER_MAX_CMDS];
            size_t k = sampler_on_scan(t->smp, &t->rep.sample, r->element[0]->str, r->element[0]->len, names, n, cmds,
                                       SAMPLER_MAX_CMDS);
            free(names); /* the sampler copied the keys: cmds point into its own storage */
            send_sampler_cmds(t, cmds, k);
            break;
        }
        case SAMPLER_MEMORY_USAGE:
            if (r->type == REDIS_REPLY_INTEGER) sampler_on_bytes(t->smp, tag.slot, (double)r->integer);
            break;
        case SAMPLER_PTTL:
            if (r->type == REDIS_REPLY_INTEGER && r->integer >= -1)
                sampler_on_ttl(t->smp, tag.slot, (double)r->integer);
            break;
        case SAMPLER_TYPE:
            if (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING)
                sampler_on_type(t->smp, tag.slot, r->str, r->len);
            break;
        }
    }
    if (bad && sampler_on_error(t->smp, bad))
        log_kv(LOG_WARN, "key sampler switched off", "addr", t->rep.addr, "detail", bad, NULL);
    if (!sampler_reply_in(t->smp)) return;
    /* A step is complete: its keys count in the findings now. */
    update_report(t);
    if (sampler_wants_more(t->smp, t->info_left > 0 || t->phase != TARGET_IDLE)) sampler_try(t);
    if (sampler_pending(t->smp) == 0) watch_try(t);
    if (sampler_pending(t->smp) == 0 && t->notify) t->notify(t, t->notify_arg);
}

/* Watched keys' replies: WRONGTYPE asks TYPE again, other errors switch the watcher off. */
static void on_watch_reply(target *t, conn_tag tag, const redisReply *r)
{
    watch_reply kind = (watch_reply)(tag.kind - K_WATCH);
    char why[64];
    if (is_error(r)) {
        if (watch_on_error(t->watch, tag.slot, r->str ? r->str : "", why, sizeof why))
            log_kv(LOG_WARN, "watched keys switched off", "addr", t->rep.addr, "detail", why, NULL);
    } else if (kind == WATCH_TYPE && (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING)) {
        watch_on_type(t->watch, tag.slot, r->str, r->len);
    } else if ((kind == WATCH_SIZE || kind == WATCH_MEMORY) && r->type == REDIS_REPLY_INTEGER) {
        watch_on_number(t->watch, tag.slot, kind, (double)r->integer);
    } else if (kind == WATCH_MEMORY && r->type == REDIS_REPLY_NIL) {
        watch_on_nil(t->watch, tag.slot);
    }
    if (!watch_reply_in(t->watch)) return;
    t->rep.watched = watch_keys(t->watch, &t->rep.n_watched);
    update_report(t);
    watch_try(t); /* the rest of the round, as the budget allows */
    if (watch_pending(t->watch) == 0) sampler_try(t);
}

static void on_clients_reply(target *t, const redisReply *r)
{
    if (t->clients_left == 0) return; /* of a connection since closed */
    if (is_refusal(r)) t->refused |= REFUSED_CLIENTLIST;
    else if (r->type == REDIS_REPLY_STRING || r->type == 14 /* RESP3 verbatim */)
        clientlist_add(t->clients_next, r->str, r->len);
    if (--t->clients_left > 0) return;
    if (t->clients_next->listed) {
        diagnose_clients *old = t->rep.clients;
        t->rep.clients = t->clients_next;
        t->clients_next = old;
    }
    t->rep.version++;
    if (t->notify) t->notify(t, t->notify_arg);
}

static void on_reply(void *arg, conn_tag tag, redisReply *r)
{
    target *t = arg;
    char detail[200];
    switch (tag.kind) {
    case K_SETNAME:
        if (is_refusal(r)) t->refused |= REFUSED_SETNAME;
        return;
    case K_CONFIG:
        if (is_refusal(r)) {
            if (!(t->refused & REFUSED_CONFIG))
                log_kv(LOG_INFO, "CONFIG GET is not allowed; settings unknown (asked once only)", "addr", t->rep.addr,
                       NULL);
            t->refused |= REFUSED_CONFIG;
            memset(&t->rep.config, 0, sizeof t->rep.config);
            t->rep.config.refused = true;
        } else {
            srvconf_read_reply(&t->rep.config, r); /* an empty array: no such parameter here */
        }
        return;
    case K_MEMSTATS:
        if (is_refusal(r)) {
            t->refused |= REFUSED_MEMSTATS; /* asked once: no log line, INFO says the rest */
            memset(&t->rep.mstats, 0, sizeof t->rep.mstats);
        } else {
            memstats_read_reply(&t->rep.mstats, r);
        }
        return;
    case K_CLIENTS:
        on_clients_reply(t, r);
        return;
    case K_AUTH:
        if (!is_error(r)) return;
        snprintf(detail, sizeof detail, "%.100s", r->str ? r->str : "");
        /* Redis's own reason, in words (its text never carries the password) */
        if (strstr(detail, "without any password configured"))
            poll_fail(t, POLLERR_AUTH,
                      "authentication rejected: this Redis has no password (AUTH called without any "
                      "password configured); give the exporter none");
        else if (strncmp(detail, "WRONGPASS", 9) == 0 || strstr(detail, "invalid password"))
            poll_fail(t, POLLERR_AUTH, "authentication rejected: wrong user or password (WRONGPASS)");
        else poll_fail(t, POLLERR_AUTH, classify_error(detail) == POLLERR_AUTH ? "authentication rejected" : detail);
        return;
    case K_INFO:
        break;
    default:
        if (tag.kind >= K_WATCH) {
            if (t->watch) on_watch_reply(t, tag, r);
        } else if (t->smp) {
            on_sampler_reply(t, tag, r);
        }
        return;
    }
    /* A reply of an earlier poll (one that failed while its replies were on the way). */
    if (tag.poll != t->poll_seq || t->info_left == 0 || !t->scratch) return;
    t->info_left--;
    if (is_error(r)) {
        pollerr e = classify_error(r->str ? r->str : "");
        bool have_password = t->opts.cred && t->opts.cred->password && t->opts.cred->password[0];
        describe_info_error(r->str ? r->str : "", e, have_password, detail, sizeof detail);
        /* A fork that reports a 7.x version but takes one section per INFO. */
        if (e == POLLERR_REDIS_ERROR && multi_info(t)) t->refused |= REFUSED_MULTI_INFO;
        t->info_left = 0;
        poll_fail(t, e, detail);
        return;
    }
    if (r->type != REDIS_REPLY_STRING && r->type != 14 /* RESP3 verbatim */) {
        poll_fail(t, POLLERR_PROTOCOL, "INFO reply is not a bulk string");
        return;
    }
    info_parse(t->scratch, r->str, r->len);
    if (t->info_left > 0) return;
    if (t->scratch->n_known == 0) {
        poll_fail(t, POLLERR_PROTOCOL, "INFO reply has no known field");
        return;
    }
    poll_succeed(t);
}

static void on_conn_event(void *arg, conn_event ev, const char *detail)
{
    target *t = arg;
    char why[128];
    switch (ev) {
    case CONN_CONNECTED:
        fire(t, EV_CONNECTED);
        return;
    case CONN_CONNECT_FAILED:
        poll_fail(t, POLLERR_CONNECT, detail);
        return;
    case CONN_PROTOCOL:
        poll_fail(t, POLLERR_PROTOCOL, detail);
        return;
    case CONN_TOO_LARGE:
        if (*detail) snprintf(why, sizeof why, "%s (--poll.max-reply-bytes / 4)", detail);
        else snprintf(why, sizeof why, "reply larger than %zu bytes (--poll.max-reply-bytes)", t->opts.max_reply_bytes);
        poll_fail(t, POLLERR_TOO_LARGE, why);
        return;
    case CONN_UNEXPECTED:
        log_kv(LOG_WARN, "unexpected data from redis; reconnecting", "addr", t->rep.addr, NULL);
        fire(t, EV_DROPPED);
        return;
    case CONN_TLS:
    case CONN_CLOSED:
        if (t->phase == TARGET_POLLING || t->phase == TARGET_CONNECTING) {
            poll_fail(t, ev == CONN_TLS ? POLLERR_TLS : POLLERR_CLOSED, detail);
            return;
        }
        /* Closed between polls (server restart, idle timeout): reconnect at the next tick. */
        log_kv(LOG_DEBUG, "connection closed between polls", "addr", t->rep.addr, NULL);
        fire(t, EV_DROPPED);
        if (t->opts.one_shot && t->notify) t->notify(t, t->notify_arg);
        return;
    }
}

static void start_connect(target *t)
{
    static const conn_handlers handlers = {on_reply, on_conn_event};
    t->conn = conn_open(t->base, t->dns, t->opts.addr, t->opts.tls, &handlers, t);
    send_poll(t, true); /* buffered until the connection is up */
}

/* ---- timers ------------------------------------------------------------------------ */

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    target *t = arg;
    char detail[160];
    /* A plain port sent a TLS hello waits for a line that never comes: say so. */
    bool tls_wait = t->opts.addr->tls && t->phase == TARGET_CONNECTING;
    snprintf(detail, sizeof detail, "no complete reply within %gs while %s%s", t->opts.timeout,
             target_phase_name(t->phase), tls_wait ? " (no TLS handshake answer: is it a TLS port?)" : "");
    poll_fail(t, POLLERR_TIMEOUT, detail);
}

void target_ticks_init(target_ticks *k, struct event_base *base, double interval)
{
    k->interval = interval;
    for (int i = 0; i < TARGET_TICK_QUEUES; i++) {
        double len = interval - i * 0.001;
        struct timeval tv = clock_tv(len);
        k->q[i] = len > 0 ? event_base_init_common_timeout(base, &tv) : NULL;
    }
}

/* The queued length for a tick due in `wait` seconds: the shortest one not under it. */
static const struct timeval *tick_queue(const target_ticks *k, double wait)
{
    if (!k) return NULL;
    double early = k->interval - wait; /* how late the tick that set this one came */
    if (early < -1e-6) return NULL;
    long i = early <= 0 ? 0 : (long)(early * 1000);
    return i < TARGET_TICK_QUEUES ? k->q[i] : NULL;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    target *t = arg;
    double now = clock_mono();
    double late = now - t->next_due;
    if (t->opts.lateness) histo_observe(t->opts.lateness, late > 0 ? late : 0);
    /* Keep the cadence: the next tick is one interval after this one was due, skipping
     * whole intervals that were missed (the loop was busy or the host slept). */
    t->next_due += t->opts.interval;
    if (t->next_due < now) t->next_due = now + t->opts.interval;
    const struct timeval *q = tick_queue(t->opts.ticks, t->next_due - now);
    struct timeval tv = clock_tv(t->next_due - now);
    event_add(t->tick_ev, q ? q : &tv);
    if (t->phase == TARGET_BACKOFF && now < t->backoff_until) return;
    if (gate_closed(t)) {
        t->opts.gate->waits++;
        return;
    }
    fire(t, EV_TICK);
}

target_opts target_opts_of(const config *cfg, const config_target *addr)
{
    return (target_opts){
        .addr = addr,
        .interval = cfg->poll_interval,
        .timeout = cfg->poll_timeout,
        .max_backoff = cfg->max_backoff,
        .forecast_window = cfg->forecast_window,
        .max_reply_bytes = cfg->max_reply_bytes,
        .thresholds = cfg->thresholds,
        .commandstats = cfg->collect_commandstats,
        .role_label = cfg->labels_role,
        .watch_items = cfg->watch_items,
        .n_watch = cfg->n_watch_items,
        .watch = {.interval = cfg->watch_interval,
                  .keys_per_second = cfg->watch_keys_per_second,
                  .growth_window = cfg->watch_growth_window},
        .sampler_on = cfg->sampler_keys_per_second > 0,
        .sampler =
            {
                .keys_per_second = cfg->sampler_keys_per_second,
                .top_n = cfg->sampler_top_n,
                .memory_samples = cfg->sampler_memory_samples,
                .hash_keys = cfg->sampler_hash_keys,
                .ns_separator = cfg->sampler_ns_separator,
                .hash_secret = cfg->hash_secret,
                .hash_secret_len = cfg->hash_secret_len,
            },
    };
}

target_opts target_opts_of_spec(const config *cfg, const tspec *spec, watch_item **items, size_t *n_items)
{
    target_opts o = target_opts_of(cfg, &spec->addr);
    o.spec = spec;
    if (spec->keys_per_second >= 0) {
        o.sampler.keys_per_second = spec->keys_per_second;
        o.sampler_on = spec->keys_per_second > 0;
    }
    o.sampler_roles = spec->sampler_roles;
    *items = NULL;
    *n_items = 0;
    char why[160];
    /* the file's reader checked the format; the count is bounded by --keys.watch-max here */
    if (spec->watch && watch_parse(spec->watch, cfg->watch_max, items, n_items, why, sizeof why)) {
        o.watch_items = *items;
        o.n_watch = *n_items;
    } else if (spec->watch) {
        log_kv(LOG_WARN, "watch: not used; the target watches --keys.watch's keys", "addr", tspec_key(spec), "detail",
               why, NULL);
    }
    return o;
}

target *target_new(struct event_base *base, struct evdns_base *dns, const target_opts *o, target_notify notify,
                   void *arg)
{
    target *t = xcalloc(1, sizeof *t);
    t->base = base;
    t->dns = dns;
    t->opts = *o;
    t->notify = notify;
    t->notify_arg = arg;
    t->tick_ev = evtimer_new(base, on_tick, t);
    t->deadline_ev = evtimer_new(base, on_deadline, t);
    if (!t->tick_ev || !t->deadline_ev) abort();
    t->deadline_tv_plain = clock_tv(o->timeout);
    /* libevent hands out one common timeout per length and base, so all targets share it */
    t->deadline_tv = event_base_init_common_timeout(base, &t->deadline_tv_plain);
    if (!t->deadline_tv) t->deadline_tv = &t->deadline_tv_plain;
    info_sample_init(&t->rep.sample);
    double rate_window = o->interval * RATE_WINDOW_POLLS;
    double trend_window = o->forecast_window > o->interval * 20 ? o->forecast_window : o->interval * 20;
    derive_history_init(&t->history, rate_window, trend_window);
    t->rep.addr = o->addr->label;
    t->rep.history = &t->history;
    t->rep.keys = &sampler_none;
    t->rep.spec = o->spec;
    t->rep.role_label = o->role_label;
    t->rep.health.last_error = POLLERR_NONE;
    t->phase = TARGET_DISCONNECTED;
    if (o->n_watch > 0 && !o->one_shot) {
        t->watch = watch_new(&o->watch, o->watch_items, o->n_watch, clock_mono());
        t->rep.watched = watch_keys(t->watch, &t->rep.n_watched);
    }
    if (o->sampler_on) {
        t->smp = sampler_new(&o->sampler, clock_mono());
        t->rep.keys = sampler_get_summary(t->smp);
    }
    return t;
}

void target_start(target *t, double phase)
{
    t->next_due = clock_mono() + phase;
    struct timeval tv = clock_tv(phase);
    event_add(t->tick_ev, &tv);
}

void target_free(target *t)
{
    if (!t) return;
    if (t->holds_slot) t->opts.gate->busy--; /* a target removed while connecting */
    close_connection(t);
    event_free(t->tick_ev);
    event_free(t->deadline_ev);
    drop_scratch(t);
    info_sample_free(&t->rep.sample);
    sampler_free(t->smp);
    watch_free(t->watch);
    free(t->rep.clients);
    free(t->clients_next);
    free(t);
}

bool target_busy(const target *t) { return (t->smp && sampler_pending(t->smp) > 0) || t->clients_left > 0; }
const report *target_report(const target *t) { return &t->rep; }
target_phase target_get_phase(const target *t) { return t->phase; }
