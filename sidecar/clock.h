/* clock.h - the two clocks vigil reads: monotonic milliseconds for timers,
 * retries and timeouts (never affected by the wall clock being set), and
 * wall-clock nanoseconds (CLOCK_REALTIME_COARSE, a few ms of resolution) for
 * read times, pipeline latency and log lines. Event time comes from the
 * records. Part of the base layer. */
#ifndef VIGIL_CLOCK_H
#define VIGIL_CLOCK_H

#include <stdint.h>

int64_t vigil_mono_ms(void);
int64_t vigil_wall_ns(void);

#endif
