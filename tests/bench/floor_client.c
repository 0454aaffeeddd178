/* SPDX-License-Identifier: Apache-2.0 */
/* The floor of this machine for the exporter's polls (issue 23): a minimal client that
 * keeps one connection per target (unix sockets) and does nothing but what a poll must,
 * one INFO round trip per target per interval, spread over the interval like the
 * exporter's, each reply read whole and scanned for its line ends. No parsing, no
 * metrics, no HTTP. It prints its own CPU per poll; the benchmark runs it beside the
 * exporter with the same targets and reports the ratio.
 *
 *   floor_client SECONDS INTERVAL PATH...
 *
 * Prints one JSON line: polls completed, CPU seconds (user + system), µs per poll. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char cmd[] = "*9\r\n$4\r\nINFO\r\n$6\r\nserver\r\n$7\r\nclients\r\n$6\r\nmemory\r\n$11\r\npersistence\r\n"
                          "$5\r\nstats\r\n$8\r\nkeyspace\r\n$10\r\nerrorstats\r\n$11\r\nreplication\r\n";

typedef struct conn {
    int fd;
    double due;      /* the next send */
    long want;       /* bytes of the reply still expected (-1: the header not read yet) */
    char head[32];   /* the "$N\r\n" header as it arrives */
    size_t head_len;
    unsigned long lines;
} conn;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_unix(const char *path)
{
    /* a blocking connect: thousands at once fill the server's listen backlog, and a
     * non-blocking one then fails with EAGAIN instead of waiting its turn */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        perror(path);
        exit(1);
    }
    return fd;
}

/* Takes what arrived on c; returns 1 when its reply is complete. */
static int on_readable(conn *c, char *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(c->fd, buf, cap);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        if (n <= 0) {
            fprintf(stderr, "connection lost\n");
            exit(1);
        }
        char *p = buf, *end = buf + n;
        if (c->want < 0) { /* the bulk header: $N\r\n */
            while (p < end && c->head_len < sizeof c->head - 1) {
                c->head[c->head_len++] = *p++;
                if (c->head_len >= 2 && c->head[c->head_len - 1] == '\n') break;
            }
            if (c->head[c->head_len - 1] != '\n') continue;
            c->want = strtol(c->head + 1, NULL, 10) + 2;
        }
        for (char *q = p; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++) c->lines++;
        c->want -= end - p;
        if (c->want <= 0) return 1;
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: floor_client SECONDS INTERVAL PATH...\n");
        return 2;
    }
    double seconds = atof(argv[1]), interval = atof(argv[2]);
    int n = argc - 3;
    conn *cs = calloc((size_t)n, sizeof *cs);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    double t0 = now();
    for (int i = 0; i < n; i++) {
        cs[i].fd = connect_unix(argv[3 + i]);
        cs[i].due = t0 + interval * i / n; /* spread over the interval */
        cs[i].want = -2;                   /* idle */
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    static char buf[1 << 16];
    struct epoll_event evs[256];
    unsigned long polls = 0;
    double end = t0 + seconds;
    int next = 0; /* targets come due in index order, one interval apart each round */
    while (now() < end) {
        double t = now();
        while (cs[next].due <= t) {
            conn *c = &cs[next];
            if (c->want == -2) { /* the previous reply is in: send the next INFO */
                if (write(c->fd, cmd, sizeof cmd - 1) != (ssize_t)(sizeof cmd - 1)) exit(1);
                c->want = -1;
                c->head_len = 0;
            }
            c->due += interval;
            next = (next + 1) % n;
        }
        /* rounded up: a wait of 0 would spin until the next target is due */
        double wait = cs[next].due - now();
        int wait_ms = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
        int k = epoll_wait(ep, evs, 256, wait_ms);
        for (int i = 0; i < k; i++) {
            conn *c = &cs[evs[i].data.u32];
            if (c->want == -2) continue;
            if (on_readable(c, buf, sizeof buf)) {
                c->want = -2;
                polls++;
            }
        }
    }
    getrusage(RUSAGE_SELF, &r1);
    double cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
                 (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
    printf("{\"targets\": %d, \"polls\": %lu, \"cpu_s\": %.4f, \"us_per_poll\": %.2f}\n", n, polls, cpu,
           polls ? 1e6 * cpu / polls : 0.0);
    return 0;
}
