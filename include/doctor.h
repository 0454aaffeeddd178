/* SPDX-License-Identifier: Apache-2.0 */
/* doctor: `redis_memory_exporter doctor` — a one-shot diagnosis of one Redis.
 *
 * Polls the first --redis.addr once (the same INFO and CONFIG GET activedefrag as the
 * daemon), samples keys for large ones (SCAN + MEMORY USAGE + TYPE, bounded by
 * --doctor.max-keys), runs the same findings as /metrics, and prints a report for people
 * or, with --output=json, for machines. Read-only: it never changes the server.
 * Exit status: 0 healthy, 1 warning, 2 critical, 3 could not check (a bad flag, an
 * unreadable file, an unreachable server: every such path prints its reason, in JSON
 * with --output=json). */
#ifndef RME_DOCTOR_H
#define RME_DOCTOR_H

#include "config.h"

/* Runs the check and prints the report to stdout; returns the exit status. */
int doctor_run(const config *cfg);
/* A flag the doctor could not take (err says which): with --output=json anywhere in argv
 * the JSON of a check not made, reason "flags", goes to stdout. Returns 3. */
int doctor_flag_error(int argc, char **argv, const char *err);

#endif
