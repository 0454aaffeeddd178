/* SPDX-License-Identifier: Apache-2.0 */
/* clock: monotonic and real time, and timevals. See include/clock.h. */
#include "clock.h"

#include <math.h>
#include <time.h>

static double read_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double clock_mono(void) { return read_clock(CLOCK_MONOTONIC); }
double clock_real(void) { return read_clock(CLOCK_REALTIME); }

struct timeval clock_tv(double seconds)
{
    if (!(seconds > 0)) seconds = 0;
    struct timeval tv = {(time_t)seconds, (suseconds_t)((seconds - floor(seconds)) * 1e6)};
    return tv;
}
