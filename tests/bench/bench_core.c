/* SPDX-License-Identifier: Apache-2.0 */
/* rme_bench_core: parse + derive + render of INFO files, for instruction counts.
 *
 *   rme_bench_core [-n ROUNDS] [--piece] FILE...
 *
 * For each file: reads it once, then ROUNDS times parses it into a sample, pushes it
 * into a derive history (one second apart), computes the derived values and renders the
 * 0.0.4 text: the whole exposition of one target (headers and the exporter's own series
 * included), or with --piece only the target's samples, which is what the daemon formats
 * per target per poll (headers and its own series are rendered once per publish, not per
 * target). Prints one line per file: name, rounds, body bytes. Run it under
 * `valgrind --tool=callgrind` for a repeatable cost figure. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "derive.h"
#include "histo.h"
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
    bool piece = false;
    for (;;) {
        if (argc > first + 1 && strcmp(argv[first], "-n") == 0) {
            rounds = atoi(argv[first + 1]);
            first += 2;
        } else if (argc > first && strcmp(argv[first], "--piece") == 0) {
            piece = true;
            first++;
        } else {
            break;
        }
    }
    if (first >= argc || rounds < 1) {
        fprintf(stderr, "usage: rme_bench_core [-n ROUNDS] [--piece] FILE...\n");
        return 2;
    }
    histo lateness;
    histo_init(&lateness, histo_lateness_bounds, histo_lateness_n);
    render_build build = {"bench", "bench", "", "", ""};
    render_exporter e = {.build = &build, .lateness = &lateness};
    render_off *offs = calloc(render_target_layout().n_fam + 2, sizeof *offs);
    for (int a = first; a < argc; a++) {
        size_t len;
        char *text = slurp(argv[a], &len);
        if (!text) {
            fprintf(stderr, "rme_bench_core: cannot read %s\n", argv[a]);
            return 1;
        }
        report r = {.addr = "127.0.0.1:6379", .keys = &sampler_none, .has_sample = true, .health = {.last_ok = true, .last_error = POLLERR_NONE}};
        info_sample_init(&r.sample);
        derive_history h;
        derive_history_init(&h, 10, 300);
        buf out;
        buf_init(&out);
        for (int round = 0; round < rounds; round++) {
            info_sample_reset(&r.sample);
            info_parse(&r.sample, text, len);
            derive_push(&h, &r.sample, (double)round);
            derive_compute(&h, &r.sample, (double)round, &r.derived);
            render_view v = {.r = &r, .up = true, .state = "up"};
            buf_reset(&out);
            if (piece) render_target_samples(&out, &v, offs);
            else render_metrics(&out, RENDER_TEXT, &v, 1, &e);
        }
        const char *base = strrchr(argv[a], '/');
        printf("%s rounds=%d body_bytes=%zu\n", base ? base + 1 : argv[a], rounds, out.len);
        buf_free(&out);
        info_sample_free(&r.sample);
        free(text);
    }
    free(offs);
    return 0;
}
