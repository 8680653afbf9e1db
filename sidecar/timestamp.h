/* timestamp.h - recognising the time at the start of (or inside) a line,
 * calendar arithmetic and RFC 3339 output. Part of the base layer.
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
/* Formats ns as RFC 3339 UTC with `digits` (0..9) fraction digits, cut, not
 * rounded: "2015-09-07T01:23:04.000000123Z" for 9. Years outside 0..9999 are
 * clamped. NUL-terminated; returns the length, or 0 when cap is too small
 * (TS_RFC3339_MAX always suffices). */
#define TS_RFC3339_MAX 32
size_t ts_format_rfc3339(int64_t ns, unsigned digits, char *out, size_t cap);
/* A whole string (vigil-cat --since): RFC 3339 as ts_parse_rfc3339 reads it,
 * or a bare date "YYYY-MM-DD" as midnight UTC. Returns 0, or -1. */
int ts_parse_rfc3339_str(const char *s, int64_t *ns);

#endif
