/* SPDX-License-Identifier: Apache-2.0 */
/* procstat: process_* figures from /proc/self. See include/procstat.h. */
#include "procstat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

static bool read_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(out, 1, cap - 1, f);
    fclose(f);
    out[n] = '\0';
    return n > 0;
}

void procstat_read(const char *procfs, procstat_sample *out)
{
    memset(out, 0, sizeof *out);
    char path[256], text[2048];
    snprintf(path, sizeof path, "%s/self/stat", procfs);
    if (!read_file(path, text, sizeof text)) return;
    /* The command name may hold spaces and parentheses: fields start after the last ')'. */
    char *p = strrchr(text, ')');
    if (!p) return;
    p += 2;
    /* p is field 3 (state). We want 14 utime, 15 stime, 20 num_threads, 22 starttime,
     * 23 vsize, 24 rss. */
    unsigned long long f[25] = {0};
    int field = 3;
    char *save = NULL;
    for (char *tok = strtok_r(p, " ", &save); tok && field <= 24; tok = strtok_r(NULL, " ", &save), field++)
        f[field] = strtoull(tok, NULL, 10);
    if (field <= 24) return;
    double tck = (double)sysconf(_SC_CLK_TCK);
    double page = (double)sysconf(_SC_PAGESIZE);
    out->cpu_seconds = (double)(f[14] + f[15]) / tck;
    out->threads = (double)f[20];
    out->virtual_bytes = (double)f[23];
    out->resident_bytes = (double)f[24] * page;

    snprintf(path, sizeof path, "%s/stat", procfs);
    if (read_file(path, text, sizeof text)) {
        char *bt = strstr(text, "\nbtime ");
        if (bt) {
            out->start_time_seconds = strtod(bt + 7, NULL) + (double)f[22] / tck;
            out->has_start_time = true;
        }
    }

    snprintf(path, sizeof path, "%s/self/fd", procfs);
    /* Linux 6.2+ gives the count as the directory's size in procfs: a stat instead of
     * reading 10,000 entries (tens of milliseconds on the polling loop for a fleet).
     * Elsewhere (an older kernel: 0; a test's directory) the entries are counted. */
    struct stat st;
    struct statfs fs;
    DIR *d;
    if (statfs(path, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC && stat(path, &st) == 0 && st.st_size > 0) {
        out->open_fds = (double)st.st_size;
    } else if ((d = opendir(path)) != NULL) {
        double n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.') n++;
        closedir(d);
        out->open_fds = n - 1; /* the directory stream's own descriptor */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) out->max_fds = (double)rl.rlim_cur;
    out->ok = true;
}

bool procstat_parse_vmswap(const char *status, double *bytes)
{
    for (const char *p = status; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        unsigned long long kb;
        char unit[8];
        if (strncmp(p, "VmSwap:", 7) == 0 && sscanf(p + 7, "%llu %7s", &kb, unit) == 2 && strcmp(unit, "kB") == 0) {
            *bytes = (double)kb * 1024;
            return true;
        }
    }
    return false;
}

bool procstat_server_swap(const char *procfs, long pid, double *bytes)
{
    static const char *const servers[] = {"redis-server", "valkey-server", "keydb-server"};
    char path[256], text[4096];
    if (pid <= 0) return false;
    snprintf(path, sizeof path, "%s/%ld/comm", procfs, pid);
    if (!read_file(path, text, sizeof text)) return false;
    bool server = false;
    for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++)
        server |= strncmp(text, servers[i], strlen(servers[i])) == 0;
    if (!server) return false;
    snprintf(path, sizeof path, "%s/%ld/status", procfs, pid);
    return read_file(path, text, sizeof text) && procstat_parse_vmswap(text, bytes);
}
