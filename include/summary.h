/* SPDX-License-Identifier: Apache-2.0 */
/* summary: one target's report as the doctor prints it: text for people, JSON for
 * machines. Pure: writes into the caller's buffer.
 *
 * The verdict is the worst finding's severity: 0 healthy (info notes included), 1 warning,
 * 2 critical; 3 means the check could not be made (the *_problem forms). */
#ifndef RME_SUMMARY_H
#define RME_SUMMARY_H

#include "buf.h"
#include "memmodel.h"
#include "report.h"

#define SUMMARY_UNKNOWN 3

/* The exit status for a report: its worst severity (diagnose_exit_status). */
int summary_status(const report *r);
void summary_text(buf *out, const report *r);
void summary_json(buf *out, const report *r);
/* "of 30.5 MiB: data 8.1 MiB, client buffers 21.2 MiB, ..." (parts under 1 % and parts
 * the server does not report left out); m->has_breakdown must be true. */
void summary_breakdown(buf *out, const memmodel *m);
/* When no report could be made: what went wrong, for the target labelled addr. reason
 * is a word for machines (a poll failure's reason, "tls", "credentials", "file"). */
void summary_problem_text(buf *out, const char *addr, const char *problem);
void summary_problem_json(buf *out, const char *addr, const char *reason, const char *problem);

#endif
