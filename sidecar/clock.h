/* clock.h - the two clocks vigil reads: monotonic milliseconds for timers,
 * retries and timeouts (never affected by the wall clock being set), and
 * wall-clock nanoseconds for read times. Event time comes from the records. */
#ifndef VIGIL_CLOCK_H
#define VIGIL_CLOCK_H

#include <stdint.h>

int64_t vigil_mono_ms(void);
int64_t vigil_wall_ns(void);

#endif
