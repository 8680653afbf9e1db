/* fuzz_mask.c - secret masking (mask_secrets) on arbitrary bytes: the input
 * is copied to a buffer of its exact size (so an over-read is caught) and
 * masked into outputs of a generous, a tight and a tiny size; every result
 * must be NUL-terminated inside its buffer, a cut one a prefix of the whole,
 * and a line without "****" ranges must come back unchanged. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a masked range of 1 byte becomes 4: the output may be longer */
    size_t big = 4 * size + 8;
    char *copy = malloc(size ? size : 1), *out = malloc(big), *cut = malloc(big);
    if (!copy || !out || !cut)
        goto done;
    if (size)
        memcpy(copy, data, size);
    size_t n = mask_secrets(span_make(copy, size), out, big);
    if (n >= big || out[n] != '\0')
        abort();
    if (!memmem(out, n, "****", 4) && (n != size || (size && memcmp(out, copy, size) != 0)))
        abort();
    size_t caps[] = { size / 2 + 1, 1 };
    for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        size_t k = mask_secrets(span_make(copy, size), cut, caps[i]);
        if (k >= caps[i] || cut[k] != '\0' || k > n || memcmp(cut, out, k) != 0)
            abort();
    }
done:
    free(copy);
    free(out);
    free(cut);
    return 0;
}
