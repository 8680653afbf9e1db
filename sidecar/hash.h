/* hash.h - the two hashes vigil uses, written once (part of the base layer):
 *   - FNV-1a 64 for checksums and fingerprints of trusted or fixed data
 *     (checkpoint trailers, file fingerprints, snapshot sums, small static
 *     tables): fast, stable across runs and versions, NOT safe against
 *     chosen input;
 *   - SipHash-1-3 keyed with a per-process secret for every table keyed by
 *     text from logs (detector baselines, throttles), so a flood of chosen
 *     keys cannot collide on purpose. */
#ifndef VIGIL_HASH_H
#define VIGIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV_INIT 0xcbf29ce484222325ull   /* FNV-1a 64 offset basis */

/* FNV-1a 64 of p[0..n) continuing from h (HASH_FNV_INIT to start). */
uint64_t hash_fnv1a(const void *p, size_t n, uint64_t h);
/* SipHash-1-3 of p[0..n) under the key (k0, k1). */
uint64_t hash_keyed(uint64_t k0, uint64_t k1, const void *p, size_t n);

#endif
