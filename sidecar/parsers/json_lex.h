/* json_lex.h - the byte-level pieces of JSON shared by the json and docker
 * parsers: string scanning and unescaping, and skipping a value of any depth
 * without recursion. All functions work on [p, end) and never read past end;
 * input is not NUL-terminated and may hold NUL bytes or invalid UTF-8, which
 * are carried through unchanged. */
#ifndef VIGIL_JSON_LEX_H
#define VIGIL_JSON_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "sidecar/span.h"

static inline const char *json_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p points just after an opening quote. On success stores the contents
 * (escapes left in place) in *raw, whether they hold a backslash in *esc, and
 * returns the position after the closing quote. Returns NULL when the string
 * is not terminated before end. */
const char *json_scan_string(const char *p, const char *end, struct span *raw, bool *esc);

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
