/* retry.c - backoff schedule for failed sends (see retry.h). */
#include "outputs/retry.h"

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

int64_t retry_delay_ms(const struct retry_conf *rc, uint32_t attempts, uint64_t *rng)
{
    int64_t initial = rc->initial_ms > 0 ? rc->initial_ms : 1;
    int64_t max = rc->max_ms >= initial ? rc->max_ms : initial;
    int64_t d = initial;
    for (uint32_t i = 1; i < attempts && d < max; i++)
        d = d > max / 2 ? max : d * 2;
    if (d > max)
        d = max;
    int64_t half = d / 2;
    int64_t j = half + (int64_t)(xorshift(rng) % (uint64_t)(d - half + 1));
    return j > 0 ? j : 1;
}

bool retry_exhausted(const struct retry_conf *rc, uint32_t attempts)
{
    return rc->max_attempts > 0 && attempts >= (uint64_t)rc->max_attempts;
}
