/* clock.c - monotonic and wall clocks (clock.h). */
#include "sidecar/clock.h"

#include <time.h>

int64_t vigil_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vigil_wall_ns(void)
{
    /* the coarse clock: a few ns instead of a full clock_gettime, and read
     * times need no better than its few milliseconds */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
