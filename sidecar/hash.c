/* hash.c - FNV-1a 64, SipHash-1-3 and the multiply-mix keyed hash (hash.h). */
#include "sidecar/hash.h"

#include <string.h>

uint64_t hash_fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    size_t i = 0;
    /* four bytes per turn: the same byte-serial hash, a quarter of the loop tests */
    for (; i + 4 <= n; i += 4) {
        h = (h ^ s[i]) * 0x100000001b3ull;
        h = (h ^ s[i + 1]) * 0x100000001b3ull;
        h = (h ^ s[i + 2]) * 0x100000001b3ull;
        h = (h ^ s[i + 3]) * 0x100000001b3ull;
    }
    for (; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ull;
    return h;
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                   \
    do {                                                           \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);  \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                     \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                     \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);  \
    } while (0)

static uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

uint64_t hash_keyed(uint64_t k0, uint64_t k1, const void *p, size_t len)
{
    const unsigned char *in = p;
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    size_t end = len - (len % 8);
    for (size_t i = 0; i < end; i += 8) {
        uint64_t m = load64(in + i);
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < len % 8; i++)
        b |= (uint64_t)in[end + i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND; SIPROUND; SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- multiply-mix keyed hash (wyhash's construction) ----
 * Each step folds the 128-bit product of two 64-bit words, one of them
 * xored with the key, so a short key costs two or three multiplications
 * where SipHash-1-3 costs five rounds. Inputs are read 4 or 8 bytes at a
 * time, overlapping at the ends, never past p + n. */

static const uint64_t mum_p[2] = { 0xa0761d6478bd642fULL, 0xe7037ed1a0b428dbULL };

static uint64_t mum(uint64_t a, uint64_t b)
{
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

uint64_t hash_keyed_mum(uint64_t k0, uint64_t k1, const void *p, size_t n)
{
    const unsigned char *in = p;
    uint64_t seed = k0 ^ mum(k0 ^ mum_p[0], k1 ^ mum_p[1]);
    uint64_t a, b;
    if (n <= 16) {
        if (n >= 4) {
            size_t q = (n >> 3) << 2;
            a = (load32(in) << 32) | load32(in + q);
            b = (load32(in + n - 4) << 32) | load32(in + n - 4 - q);
        } else if (n > 0) {
            a = ((uint64_t)in[0] << 16) | ((uint64_t)in[n >> 1] << 8) | in[n - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t i = n;
        while (i > 16) {
            seed = mum(load64(in) ^ mum_p[1], load64(in + 8) ^ seed);
            in += 16;
            i -= 16;
        }
        a = load64(in + i - 16);
        b = load64(in + i - 8);
    }
    return mum(mum(a ^ mum_p[1], b ^ seed) ^ mum_p[0] ^ (uint64_t)n, k1 ^ mum_p[1]);
}
