/* utf8.h - strict UTF-8 decoding, shared by everything that escapes text
 * for a terminal or for JSON: what is not valid UTF-8 is escaped byte by
 * byte, never passed through. */
#ifndef VIGIL_UTF8_H
#define VIGIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the multi-byte sequence at s (s[0] >= 0x80, n bytes available):
 * returns its length (2..4) and the code point in *cp, or 0 when it is not
 * valid UTF-8 (overlong, surrogate, beyond U+10FFFF, cut short). */
static inline size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    uint32_t v, min;
    size_t need;
    if ((c & 0xe0) == 0xc0) {
        need = 2; v = c & 0x1f; min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        need = 3; v = c & 0x0f; min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        need = 4; v = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return need;
}

/* Code points a terminal or a viewer acts on although they are valid text
 * (the policy of sidecar/escape.h): the C1 controls, the line and paragraph
 * separators, the bidi marks, embeddings, overrides and isolates, and the
 * zero-width characters. */
static inline bool utf8_is_control(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061c || cp == 0xfeff;
}

#endif
