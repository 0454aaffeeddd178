/* SPDX-License-Identifier: Apache-2.0 */
/* clock: the one place the program reads time.
 *
 * The pure core never calls these: it is handed the time by its callers, so that tests
 * can drive it with any clock they like. */
#ifndef RME_CLOCK_H
#define RME_CLOCK_H

#include <sys/time.h>

/* Seconds on the monotonic clock (for intervals, deadlines, rates). */
double clock_mono(void);
/* Seconds since the Unix epoch (for timestamps that people and Prometheus read). */
double clock_real(void);
/* A libevent timeout of `seconds` (negative counts as 0). */
struct timeval clock_tv(double seconds);

#endif
