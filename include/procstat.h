/* procstat: the exporter's own process_* metrics, read from /proc (Linux). */
#ifndef RME_PROCSTAT_H
#define RME_PROCSTAT_H

#include <stdbool.h>

typedef struct procstat_sample {
    bool ok;                 /* false when /proc could not be read: nothing is exported */
    double cpu_seconds;      /* utime + stime */
    double resident_bytes;
    double virtual_bytes;
    bool has_start_time;     /* /proc/stat had btime (a hardened sandbox may hide it) */
    double start_time_seconds;
    double open_fds;
    double max_fds;          /* soft RLIMIT_NOFILE */
    double threads;
} procstat_sample;

/* Reads the current process's figures; procfs is the mount point ("/proc" normally;
 * tests pass a fixture directory). Never fails loudly: out->ok says what happened. */
void procstat_read(const char *procfs, procstat_sample *out);

#endif
