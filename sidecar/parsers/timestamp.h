/* timestamp.h - recognising the time at the start of (or inside) a line.
 * Pure functions over spans; all results are ns since the Unix epoch, UTC.
 * Formats without a year (RFC 3164 "Nov 26 10:00:01") take the year from a
 * reference time (the read time) and step back a year when that would put
 * the line more than a day in the future (December lines read in January). */
#ifndef VIGIL_TIMESTAMP_H
#define VIGIL_TIMESTAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sidecar/span.h"

/* Each returns the number of bytes consumed (0 = not this format). */
/* RFC 3339 / ISO 8601: 2026-11-26T10:00:01[.123456][Z|+01:00], also with ' '
 * instead of 'T', and without zone (taken as UTC). */
size_t ts_parse_rfc3339(struct span s, int64_t *ns);
/* RFC 3164: "Nov 26 10:00:01" or "Nov  6 10:00:01" (optional .frac). */
size_t ts_parse_rfc3164(struct span s, int64_t ref_ns, int64_t *ns);
/* Epoch seconds with optional fraction (10 digits), or ms (13), us (16), ns (19). */
size_t ts_parse_epoch(struct span s, int64_t *ns);
/* Common log format: "26/Nov/2026:10:00:01 +0000". */
size_t ts_parse_clf(struct span s, int64_t *ns);
/* Any of the above, tried in a sensible order. */
size_t ts_parse_any(struct span s, int64_t ref_ns, int64_t *ns);

/* Days since epoch of a civil date (proleptic Gregorian), and the inverse. */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d);
void ts_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* Formats ns as RFC 3339 with microseconds and 'Z' into out (>= 32 bytes). */
size_t ts_format_rfc3339(int64_t ns, char *out, size_t cap);

#endif
