/* SPDX-License-Identifier: Apache-2.0 */
/* procstat: the exporter's own process_* metrics, read from /proc (Linux). */
#ifndef RME_PROCSTAT_H
#define RME_PROCSTAT_H

#include <stdbool.h>

typedef struct procstat_sample {
    bool ok;            /* false when /proc could not be read: nothing is exported */
    double cpu_seconds; /* utime + stime */
    double resident_bytes;
    double virtual_bytes;
    bool has_start_time; /* /proc/stat had btime (a hardened sandbox may hide it) */
    double start_time_seconds;
    double open_fds;
    double max_fds; /* soft RLIMIT_NOFILE */
    double threads;
} procstat_sample;

/* Reads the current process's figures; procfs is the mount point ("/proc" normally;
 * tests pass a fixture directory). Never fails loudly: out->ok says what happened. */
void procstat_read(const char *procfs, procstat_sample *out);

/* The swap of a Redis server that runs on this host: true with *bytes set when
 * procfs/<pid>/comm names a Redis, Valkey or KeyDB server (a pid from INFO may belong to
 * another process here: another pid namespace, a container) and procfs/<pid>/status has
 * VmSwap. Two small procfs reads; false when either is missing. */
bool procstat_server_swap(const char *procfs, long pid, double *bytes);
/* The VmSwap line of a /proc/<pid>/status text, in bytes. */
bool procstat_parse_vmswap(const char *status, double *bytes);

#endif
