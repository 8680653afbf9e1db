/* encode.h - the small text encoders shared by the batch writer, stdout and
 * vigil-cat: JSON strings (every byte that is not printable valid UTF-8 is
 * escaped, so hostile log lines cannot break the JSON or the terminal) and
 * RFC 3339 timestamps. Pure code: no logging, no global state. */
#ifndef VIGIL_ENCODE_H
#define VIGIL_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "outputs/batch.h"

/* Appends p[0..n) as a quoted JSON string. Control bytes become \n, \t, ...
 * or \u00XX; each byte of an invalid UTF-8 sequence becomes \u00XX.
 * Returns -1 only on allocation failure. */
int json_str(struct buf *out, const char *p, size_t n);
/* Writes ns (since the epoch, UTC) as "2015-09-07T01:23:04.000000123Z" into
 * out (at least RFC3339_MAX bytes, NUL-terminated). Returns the length. */
#define RFC3339_MAX 40
size_t rfc3339_format(char *out, int64_t ns);
/* Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" (also ' ' for 'T' and
 * a bare date "YYYY-MM-DD" as midnight UTC). Returns 0, or -1 when malformed. */
int rfc3339_parse(const char *s, int64_t *ns);

#endif
