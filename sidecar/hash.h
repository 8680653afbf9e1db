/* hash.h - the two hashes vigil uses, written once (part of the base layer):
 *   - FNV-1a 64 for checksums and fingerprints of trusted or fixed data
 *     (checkpoint trailers, file fingerprints, snapshot sums, small static
 *     tables): fast, stable across runs and versions, NOT safe against
 *     chosen input;
 *   - SipHash-1-3 keyed with a per-process secret for tables keyed by text
 *     from logs, so a flood of chosen keys cannot collide on purpose;
 *   - a multiply-mix keyed hash (wyhash's construction) for the detector
 *     baselines, looked up several times per line: keyed like SipHash (the
 *     key enters every step), about a third of its cost on short keys, but
 *     without SipHash's proofs: keep SipHash where a key must resist a
 *     patient attacker who can observe timings (outputs). */
#ifndef VIGIL_HASH_H
#define VIGIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV_INIT 0xcbf29ce484222325ull   /* FNV-1a 64 offset basis */

/* FNV-1a 64 of p[0..n) continuing from h (HASH_FNV_INIT to start). */
uint64_t hash_fnv1a(const void *p, size_t n, uint64_t h);
/* SipHash-1-3 of p[0..n) under the key (k0, k1). */
uint64_t hash_keyed(uint64_t k0, uint64_t k1, const void *p, size_t n);
/* The multiply-mix keyed hash of p[0..n) under the key (k0, k1). */
uint64_t hash_keyed_mum(uint64_t k0, uint64_t k1, const void *p, size_t n);

#endif
