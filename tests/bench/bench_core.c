/* rme_bench_core: parse + derive + render of INFO files, for instruction counts.
 *
 *   rme_bench_core [-n ROUNDS] FILE...
 *
 * For each file: reads it once, then ROUNDS times parses it into a sample, pushes it
 * into a derive history (one second apart), computes the derived values and renders the
 * 0.0.4 text. Prints one line per file: name, rounds, body bytes. Run it under
 * `valgrind --tool=callgrind` for a repeatable cost figure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "derive.h"
#include "info.h"
#include "render.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    buf b;
    buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
    fclose(f);
    return buf_steal(&b, len);
}

int main(int argc, char **argv)
{
    int rounds = 1, first = 1;
    if (argc > 2 && strcmp(argv[1], "-n") == 0) {
        rounds = atoi(argv[2]);
        first = 3;
    }
    if (first >= argc || rounds < 1) {
        fprintf(stderr, "usage: rme_bench_core [-n ROUNDS] FILE...\n");
        return 2;
    }
    static const double lateness[RENDER_LATENESS_BUCKETS + 1];
    double errors[POLLERR_COUNT] = {0};
    for (int a = first; a < argc; a++) {
        size_t len;
        char *text = slurp(argv[a], &len);
        if (!text) {
            fprintf(stderr, "rme_bench_core: cannot read %s\n", argv[a]);
            return 1;
        }
        info_sample s;
        info_sample_init(&s);
        derive_history h;
        derive_history_init(&h, 10, 300);
        derived d;
        buf out;
        buf_init(&out);
        for (int r = 0; r < rounds; r++) {
            info_sample_reset(&s);
            info_parse(&s, text, len);
            derive_push(&h, &s, (double)r);
            derive_compute(&h, &s, &d);
            render_target t = {.addr = "127.0.0.1:6379", .state = "up", .up = true, .sample = &s, .derived = &d,
                               .errors = errors, .last_error = POLLERR_NONE};
            render_exporter e = {.version = "bench", .revision = "bench", .hiredis = "", .libevent = "",
                                 .libmicrohttpd = "", .lateness_counts = lateness};
            buf_reset(&out);
            render_metrics(&out, RENDER_TEXT, &t, 1, &e);
        }
        const char *base = strrchr(argv[a], '/');
        printf("%s rounds=%d body_bytes=%zu\n", base ? base + 1 : argv[a], rounds, out.len);
        buf_free(&out);
        info_sample_free(&s);
        free(text);
    }
    return 0;
}
