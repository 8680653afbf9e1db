/* test_hash.c - the base layer's hashes: FNV-1a 64 against its published
 * vectors and chaining; the keyed hash depends on its key. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/hash.h"

Test(hash, fnv1a_known_vectors_and_chaining)
{
    cr_assert_eq(hash_fnv1a("", 0, HASH_FNV_INIT), 0xcbf29ce484222325ull);
    cr_assert_eq(hash_fnv1a("a", 1, HASH_FNV_INIT), 0xaf63dc4c8601ec8cull);
    cr_assert_eq(hash_fnv1a("foobar", 6, HASH_FNV_INIT), 0x85944171f73967e8ull);
    cr_assert_eq(hash_fnv1a("bar", 3, hash_fnv1a("foo", 3, HASH_FNV_INIT)),
                 hash_fnv1a("foobar", 6, HASH_FNV_INIT));
}

Test(hash, keyed_hash_depends_on_the_key_and_every_byte)
{
    const char *s = "the same key in two tables";
    size_t n = strlen(s);
    uint64_t a = hash_keyed(1, 2, s, n);
    cr_assert_eq(a, hash_keyed(1, 2, s, n));
    cr_assert_neq(a, hash_keyed(1, 3, s, n));
    cr_assert_neq(a, hash_keyed(2, 2, s, n));
    cr_assert_neq(a, hash_keyed(1, 2, s, n - 1));
    cr_assert_neq(hash_keyed(0, 0, "", 0), hash_keyed(0, 0, "\0", 1));
}

/* The multiply-mix hash reads overlapping words: every length up to past two
 * 16-byte steps, and a change of any one byte, must give another hash; the
 * bytes just past the end are not read (ASan runs catch a read past it). */
Test(hash, mum_hash_depends_on_the_key_every_byte_and_the_length)
{
    char buf[64];
    uint64_t seen[41];
    memset(buf, 'x', sizeof(buf));
    for (size_t n = 0; n <= 40; n++) {
        char *p = malloc(n ? n : 1);
        memcpy(p, buf, n);
        seen[n] = hash_keyed_mum(1, 2, p, n);
        cr_assert_eq(seen[n], hash_keyed_mum(1, 2, p, n));
        cr_assert_neq(seen[n], hash_keyed_mum(1, 3, p, n), "length %zu", n);
        cr_assert_neq(seen[n], hash_keyed_mum(3, 2, p, n), "length %zu", n);
        for (size_t i = 0; i < n; i++) {
            p[i] = 'y';
            cr_assert_neq(seen[n], hash_keyed_mum(1, 2, p, n), "byte %zu of %zu", i, n);
            p[i] = 'x';
        }
        for (size_t m = 0; m < n; m++)
            cr_assert_neq(seen[m], seen[n], "lengths %zu and %zu", m, n);
        free(p);
    }
}
