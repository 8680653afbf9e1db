/* retry.h - when to try a failed batch again: exponential backoff with
 * jitter, bounded by retry.max, for at most retry.max_attempts sends.
 * Pure code: the caller owns the random state (one per output, so outputs
 * that fail together do not retry in lock step). */
#ifndef VIGIL_RETRY_H
#define VIGIL_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"

/* Delay before send number attempts + 1, after `attempts` failed sends
 * (attempts >= 1): initial * 2^(attempts-1), capped at max, then drawn
 * uniformly from [d/2, d] ("equal jitter"). *rng is xorshift state (any
 * non-zero seed; 0 is replaced). Always >= 1 ms. */
int64_t retry_delay_ms(const struct retry_conf *rc, uint32_t attempts, uint64_t *rng);
/* True when a batch that failed `attempts` times must be given up. */
bool retry_exhausted(const struct retry_conf *rc, uint32_t attempts);

#endif
