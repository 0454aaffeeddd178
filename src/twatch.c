/* SPDX-License-Identifier: Apache-2.0 */
/* twatch: the targets file, looked at and read. See include/twatch.h. */
#include "twatch.h"

#include <event2/event.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "log.h"
#include "safefile.h"
#include "xalloc.h"

/* The file is looked at this often for changes ... */
#define CHECK_SECONDS 2.0
/* ... and read once it has not changed for this long. */
#define SETTLE_SECONDS 1.0
#define MAX_BYTES (64u << 20)

struct twatch {
    const char *path;
    twatch_fn fn;
    void *arg;
    struct event *ev;
    safefile_id id; /* of the last look at it, used or refused */
    bool ok;
    char error[CONFIG_PATH_MAX + 600]; /* why the last read was not used */
    double time;                       /* Unix time of the last good read */
};

static void on_check(evutil_socket_t fd, short what, void *arg);

twatch *twatch_new(struct event_base *base, const char *path, twatch_fn fn, void *arg)
{
    twatch *w = xcalloc(1, sizeof *w);
    w->path = path;
    w->fn = fn;
    w->arg = arg;
    w->ev = event_new(base, -1, EV_PERSIST, on_check, w);
    if (!w->ev) abort();
    return w;
}

void twatch_free(twatch *w)
{
    if (!w) return;
    event_free(w->ev);
    free(w);
}

/* The identity of what was looked at is kept either way, so a refused file (one that does
 * not parse, a FIFO, one rewritten while it was read) is read again only once it changes,
 * not at every check. */
int twatch_read(twatch *w, bool at_start)
{
    char err[sizeof w->error] = "";
    size_t len = 0;
    int rc = -1;
    targets_file parsed;
    char *text = safefile_read(w->path, MAX_BYTES, &len, &w->id, err, sizeof err);
    if (text) {
        char dir[CONFIG_PATH_MAX];
        snprintf(dir, sizeof dir, "%s", w->path);
        if (targets_parse(text, len, dirname(dir), &parsed, err, sizeof err) == 0) rc = 0;
    }
    free(text);
    w->ok = rc == 0;
    if (rc != 0) {
        /* At start nothing runs yet: there is no earlier list to keep. */
        log_kv(LOG_ERROR,
               at_start ? "targets file not used; fix it and start again"
                        : "targets file not used; the running targets stay",
               "file", w->path, "detail", err, NULL);
        snprintf(w->error, sizeof w->error, "%s", err);
        return -1;
    }
    w->error[0] = '\0';
    w->time = clock_real();
    char n[16];
    snprintf(n, sizeof n, "%zu", parsed.n);
    log_kv(LOG_INFO, "targets file read", "file", w->path, "entries", n, NULL);
    w->fn(&parsed, w->arg);
    targets_file_free(&parsed);
    return 0;
}

static void on_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    twatch *w = arg;
    safefile_id now;
    if (!safefile_look(w->path, &now)) {
        if (w->ok) {
            w->ok = false;
            log_kv(LOG_ERROR, "targets file gone; the running targets stay", "file", w->path, NULL);
            snprintf(w->error, sizeof w->error, "the file is gone");
        }
        w->id.known = false;
        return;
    }
    /* A file written within the last second may be mid-rewrite (a writer that pauses between
     * writes leaves a file that reads whole and parses, with part of the list): it is read
     * at the next check, once it has settled. SIGHUP reads at once. */
    double age = clock_real() - ((double)now.mtime.tv_sec + now.mtime.tv_nsec / 1e9);
    if (!safefile_same(&now, &w->id) && age >= SETTLE_SECONDS) twatch_read(w, false);
}

void twatch_start(twatch *w)
{
    struct timeval every = clock_tv(CHECK_SECONDS);
    event_add(w->ev, &every);
}

bool twatch_ok(const twatch *w) { return w->ok; }
double twatch_time(const twatch *w) { return w->time; }
const char *twatch_error(const twatch *w) { return w->error; }
