/* json_lex.h - the byte-level pieces of JSON shared by the json and docker
 * parsers: string scanning and unescaping, and skipping a value of any depth
 * without recursion. All functions work on [p, end) and never read past end;
 * input is not NUL-terminated and may hold NUL bytes or invalid UTF-8, which
 * are carried through unchanged. */
#ifndef VIGIL_JSON_LEX_H
#define VIGIL_JSON_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sidecar/span.h"

static inline const char *json_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define JSON_SWAR 1
#endif

#ifdef JSON_SWAR
/* A bit set in the byte of w that equals the byte of pat (and maybe in bytes
 * above it: only the lowest set bit is exact, and it is the one used). */
static inline uint64_t json_swar_eq(uint64_t w, uint64_t pat)
{
    uint64_t y = w ^ pat;
    return (y - 0x0101010101010101ull) & ~y & 0x8080808080808080ull;
}
#endif

/* p points just after an opening quote. On success stores the contents
 * (escapes left in place) in *raw, whether they hold a backslash in *esc, and
 * returns the position after the closing quote. Returns NULL when the string
 * is not terminated before end.
 * A string's end (its quote, or a first backslash) is looked for eight bytes
 * at a time in a word where the byte order allows, else byte by byte: keys
 * and values are mostly short, where one pass beats two memchr calls. Inline:
 * the call cost as much as the scan of a short key. */
static inline const char *json_scan_string(const char *p, const char *end, struct span *raw,
                                           bool *esc)
{
    const char *start = p;
#ifdef JSON_SWAR
    /* Eight bytes at a time, looking for the quote or a backslash. */
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t m = json_swar_eq(w, 0x2222222222222222ull) | json_swar_eq(w, 0x5c5c5c5c5c5c5c5cull);
        if (m) {
            p += __builtin_ctzll(m) >> 3;
            break;
        }
        p += 8;
    }
#endif
    while (p < end && *p != '"' && *p != '\\')
        p++;
    if (p >= end)
        return NULL;
    if (*p == '"') {
        *raw = span_make(start, (size_t)(p - start));
        *esc = false;
        return p + 1;
    }
    /* A backslash escapes the next byte, whatever it is. */
    while (p < end) {
        char c = *p;
        if (c == '"') {
            *raw = span_make(start, (size_t)(p - start));
            *esc = true;
            return p + 1;
        }
        p += (c == '\\') ? 2 : 1;
    }
    return NULL;
}

/* Unescapes the contents of a JSON string (s, n) into out, which must hold n
 * bytes (unescaping never grows text). \uXXXX becomes UTF-8, surrogate pairs
 * are combined, a lone surrogate becomes U+FFFD. Returns the length written,
 * or -1 on an unknown escape or a short \u. */
long json_unescape(const char *s, size_t n, char *out);

/* p points at the first byte of a value (after whitespace). Skips it whatever
 * its depth, iteratively, checking strings and bracket balance only (not that
 * `{` closes with `}`, nor the grammar inside). Returns the position after
 * the value, or NULL when it is malformed or truncated. */
const char *json_skip_value(const char *p, const char *end);

#endif
