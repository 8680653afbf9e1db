/* timestamp.c - the time formats found at the start of log lines, to ns UTC,
 * and RFC 3339 written back: the one time module of vigil's base layer.
 * Everything is hand-rolled digit arithmetic: no sscanf, strptime, mktime or
 * locale, so a parse costs a few dozen instructions and is the same on every
 * machine. Civil dates become day counts with Howard Hinnant's
 * days_from_civil; each parser validates ranges and consumes nothing (returns
 * 0) on anything it does not fully recognise. */
#include "sidecar/timestamp.h"

#include <stdio.h>
#include <string.h>

#define NS_PER_SEC  1000000000LL
#define NS_PER_DAY  (86400LL * NS_PER_SEC)

static const char month_names[12][3] = {
    { 'J', 'a', 'n' }, { 'F', 'e', 'b' }, { 'M', 'a', 'r' }, { 'A', 'p', 'r' },
    { 'M', 'a', 'y' }, { 'J', 'u', 'n' }, { 'J', 'u', 'l' }, { 'A', 'u', 'g' },
    { 'S', 'e', 'p' }, { 'O', 'c', 't' }, { 'N', 'o', 'v' }, { 'D', 'e', 'c' },
};

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly n digits at s.p[off]; -1 when any is missing. */
static int digits(struct span s, size_t off, unsigned n)
{
    if (off + n > s.len)
        return -1;
    int v = 0;
    for (unsigned i = 0; i < n; i++) {
        char c = s.p[off + i];
        if (!is_digit(c))
            return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Log lines come in time order, mostly many to a day: the last date the
 * parsers converted is kept (per thread), which spares the calendar
 * arithmetic of nearly every line. */
static _Thread_local struct {
    int64_t y, days;
    unsigned m, d;      /* m == 0: nothing kept yet */
} last_date;

static int64_t days_of(int64_t y, unsigned m, unsigned d)
{
    if (m != last_date.m || d != last_date.d || y != last_date.y) {
        last_date.days = ts_days_from_civil(y, m, d);
        last_date.y = y;
        last_date.m = m;
        last_date.d = d;
    }
    return last_date.days;
}

void ts_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool time_ok(int h, int mi, int sec)
{
    return h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 60;
}

/* Nanoseconds since 1970 in an int64_t reach the years 1678..2262: a year
 * outside this range is not taken as a timestamp (found by fuzzing: year
 * 0999 overflowed the multiplication below). */
static bool year_ok(int64_t y)
{
    return y >= 1700 && y <= 2200;
}

static int64_t to_ns(int64_t days, int h, int mi, int sec)
{
    return days * NS_PER_DAY + ((int64_t)h * 3600 + mi * 60 + sec) * NS_PER_SEC;
}

/* Optional ".ddd" or ",ddd" at off: digits past 9 are consumed and dropped. */
static size_t fraction(struct span s, size_t off, int64_t *ns)
{
    static const int32_t scale[10] = { 1000000000, 100000000, 10000000, 1000000, 100000,
                                       10000, 1000, 100, 10, 1 };
    *ns = 0;
    if (off + 1 >= s.len || (s.p[off] != '.' && s.p[off] != ',') || !is_digit(s.p[off + 1]))
        return 0;
    size_t i = off + 1;
    int32_t v = 0;
    unsigned n = 0;
    for (; i < s.len && is_digit(s.p[i]); i++)
        if (n < 9)
            v = v * 10 + (s.p[i] - '0'), n++;
    *ns = (int64_t)v * scale[n];
    return i - off;
}

/* Optional zone at off: Z, +HH:MM, +HHMM or +HH. Writes the offset in seconds
 * east of UTC. Returns the bytes consumed. */
static size_t zone(struct span s, size_t off, int64_t *secs)
{
    *secs = 0;
    if (off >= s.len)
        return 0;
    char c = s.p[off];
    if (c == 'Z' || c == 'z')
        return 1;
    if (c != '+' && c != '-')
        return 0;
    int h = digits(s, off + 1, 2);
    if (h < 0 || h > 23)
        return 0;
    size_t n = 3;
    int mi = 0;
    if (off + n < s.len && s.p[off + n] == ':') {
        mi = digits(s, off + n + 1, 2);
        if (mi < 0 || mi > 59)
            return 0;
        n += 3;
    } else if ((mi = digits(s, off + n, 2)) >= 0) {
        if (mi > 59)
            return 0;
        n += 2;
    } else {
        mi = 0;
    }
    *secs = (int64_t)(h * 3600 + mi * 60) * (c == '-' ? -1 : 1);
    return n;
}

/* Two digits at p, which the caller knows are in bounds; -1 unless both are digits. */
static inline int digits2(const char *p)
{
    unsigned a = (unsigned)(unsigned char)p[0] - '0', b = (unsigned)(unsigned char)p[1] - '0';
    return (a < 10 && b < 10) ? (int)(a * 10 + b) : -1;
}

/* The first 19 bytes of s (at least that long) as a date and time of day. */
static bool rfc3339_second(struct span s, int64_t *ns)
{
    if (s.p[4] != '-' || s.p[7] != '-' || s.p[13] != ':' || s.p[16] != ':')
        return false;
    char t = s.p[10];
    if (t != 'T' && t != 't' && t != ' ')
        return false;
    int yh = digits2(s.p), yl = digits2(s.p + 2), mo = digits2(s.p + 5), d = digits2(s.p + 8);
    int h = digits2(s.p + 11), mi = digits2(s.p + 14), sec = digits2(s.p + 17);
    if (yh < 0 || yl < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || !time_ok(h, mi, sec))
        return false;
    int y = yh * 100 + yl;
    if (!year_ok(y))
        return false;
    *ns = to_ns(days_of(y, (unsigned)mo, (unsigned)d), h, mi, sec);
    return true;
}

/* The last "YYYY-MM-DDTHH:MM:SS" that parsed, and its time (per thread):
 * lines come many to a second, and then only the fraction and zone differ. */
static _Thread_local struct {
    char text[19];
    bool set;
    int64_t ns;
} last_second;

size_t ts_parse_rfc3339(struct span s, int64_t *ns)
{
    /* 2026-11-26T10:00:01 is 19 bytes */
    if (s.len < 19)
        return 0;
    int64_t base;
    if (last_second.set && memcmp(s.p, last_second.text, 19) == 0) {
        base = last_second.ns;
    } else {
        if (!rfc3339_second(s, &base))
            return 0;
        memcpy(last_second.text, s.p, 19);
        last_second.ns = base;
        last_second.set = true;
    }
    size_t off = 19;
    int64_t frac, zsecs;
    off += fraction(s, off, &frac);
    off += zone(s, off, &zsecs);
    *ns = base + frac - zsecs * NS_PER_SEC;
    return off;
}

/* "Jan".."Dec" at off: 0..11, or -1. */
static int month_index(struct span s, size_t off)
{
    if (off + 3 > s.len)
        return -1;
    const char *p = s.p + off;
    int m;
    switch (p[0]) {     /* the first letter narrows it to at most three */
    case 'J': m = p[1] == 'a' ? 0 : p[2] == 'n' ? 5 : 6; break;
    case 'F': m = 1; break;
    case 'M': m = p[2] == 'r' ? 2 : 4; break;
    case 'A': m = p[1] == 'p' ? 3 : 7; break;
    case 'S': m = 8; break;
    case 'O': m = 9; break;
    case 'N': m = 10; break;
    case 'D': m = 11; break;
    default: return -1;
    }
    return (p[1] == month_names[m][1] && p[2] == month_names[m][2]) ? m : -1;
}

/* The year of a time: the last year found is kept (per thread) with the
 * span of nanoseconds it covers, as the reference time of most lines falls
 * in the same year as the line before. */
static _Thread_local struct {
    int64_t from, to, y;   /* [from, to) lies in year y; from == to: none */
} last_year;

static int64_t year_of(int64_t ns)
{
    if (ns >= last_year.from && ns < last_year.to)
        return last_year.y;
    int64_t days = ns >= 0 ? ns / NS_PER_DAY : -((-ns + NS_PER_DAY - 1) / NS_PER_DAY);
    int64_t y;
    unsigned m, d;
    ts_civil_from_days(days, &y, &m, &d);
    if (year_ok(y)) {      /* the span of the year fits in int64 ns */
        last_year.from = ts_days_from_civil(y, 1, 1) * NS_PER_DAY;
        last_year.to = ts_days_from_civil(y + 1, 1, 1) * NS_PER_DAY;
        last_year.y = y;
    }
    return y;
}

size_t ts_parse_rfc3164(struct span s, int64_t ref_ns, int64_t *ns)
{
    /* "Nov 26 10:00:01" or "Nov  6 10:00:01" or "Nov 6 10:00:01" */
    int m = month_index(s, 0);
    if (m < 0 || s.len < 14 || s.p[3] != ' ')
        return 0;
    size_t off = 4;
    if (s.p[off] == ' ')
        off++;
    int d;
    if (is_digit(s.p[off]) && off + 1 < s.len && is_digit(s.p[off + 1])) {
        d = digits2(s.p + off);
        off += 2;
    } else if (is_digit(s.p[off])) {
        d = s.p[off] - '0';
        off += 1;
    } else {
        return 0;
    }
    if (d < 1 || d > 31 || off + 9 > s.len || s.p[off] != ' ' || s.p[off + 3] != ':' ||
        s.p[off + 6] != ':')
        return 0;
    int h = digits2(s.p + off + 1), mi = digits2(s.p + off + 4), sec = digits2(s.p + off + 7);
    if (!time_ok(h, mi, sec))
        return 0;
    off += 9;
    int64_t frac;
    off += fraction(s, off, &frac);
    int64_t y = year_of(ref_ns);
    int64_t v = to_ns(days_of(y, (unsigned)m + 1, (unsigned)d), h, mi, sec) + frac;
    /* A December line read in January: more than a day ahead means last year. */
    if (v > ref_ns + NS_PER_DAY)
        v = to_ns(ts_days_from_civil(y - 1, (unsigned)m + 1, (unsigned)d), h, mi, sec) + frac;
    *ns = v;
    return off;
}

size_t ts_parse_epoch(struct span s, int64_t *ns)
{
    size_t n = 0;
    uint64_t v = 0;
    while (n < s.len && is_digit(s.p[n])) {
        if (n == 19)
            return 0;   /* too long for any epoch unit */
        v = v * 10 + (uint64_t)(s.p[n] - '0');
        n++;
    }
    /* Ten 9s of seconds overflow int64 ns (year 2262): refuse, never wrap. */
    uint64_t unit = n == 10 ? 1000000000u : n == 13 ? 1000000u : n == 16 ? 1000u : 1u;
    if (v > (uint64_t)(INT64_MAX - NS_PER_SEC) / unit)
        return 0;
    switch (n) {
    case 10: {
        int64_t frac = 0;
        size_t f = (n < s.len && s.p[n] == '.') ? fraction(s, n, &frac) : 0;
        *ns = (int64_t)v * NS_PER_SEC + frac;
        return n + f;
    }
    case 13: *ns = (int64_t)v * 1000000; return n;
    case 16: *ns = (int64_t)v * 1000; return n;
    case 19: *ns = (int64_t)v; return n;
    default: return 0;
    }
}

size_t ts_parse_clf(struct span s, int64_t *ns)
{
    /* 26/Nov/2026:10:00:01 +0000 (the zone is optional) */
    if (s.len < 20 || s.p[2] != '/' || s.p[6] != '/' || s.p[11] != ':' || s.p[14] != ':' ||
        s.p[17] != ':')
        return 0;
    int d = digits(s, 0, 2), m = month_index(s, 3), y = digits(s, 7, 4);
    int h = digits(s, 12, 2), mi = digits(s, 15, 2), sec = digits(s, 18, 2);
    if (d < 1 || d > 31 || m < 0 || !year_ok(y) || !time_ok(h, mi, sec))
        return 0;
    size_t off = 20;
    int64_t frac, zsecs = 0;
    off += fraction(s, off, &frac);
    if (off + 1 < s.len && s.p[off] == ' ' && (s.p[off + 1] == '+' || s.p[off + 1] == '-')) {
        size_t z = zone(s, off + 1, &zsecs);
        if (z)
            off += 1 + z;
    }
    *ns = to_ns(days_of(y, (unsigned)m + 1, (unsigned)d), h, mi, sec) + frac -
          zsecs * NS_PER_SEC;
    return off;
}

size_t ts_parse_any(struct span s, int64_t ref_ns, int64_t *ns)
{
    if (s.len == 0)
        return 0;
    size_t n;
    if (is_digit(s.p[0])) {
        if ((n = ts_parse_rfc3339(s, ns)) || (n = ts_parse_clf(s, ns)) ||
            (n = ts_parse_epoch(s, ns)))
            return n;
        return 0;
    }
    return ts_parse_rfc3164(s, ref_ns, ns);
}

static char *put_digits(char *o, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + n;
}

size_t ts_format_rfc3339(int64_t ns, unsigned digits, char *out, size_t cap)
{
    if (digits > 9)
        digits = 9;
    /* YYYY-MM-DDTHH:MM:SS = 19 bytes, then [.fraction], Z and NUL */
    if (cap < 21 + (digits ? digits + 1 : 0)) {
        if (cap)
            out[0] = '\0';
        return 0;
    }
    /* the common case without printf: this runs once per event in JSON output */
    int64_t days = ns >= 0 ? ns / NS_PER_DAY : -((-ns + NS_PER_DAY - 1) / NS_PER_DAY);
    int64_t rem = ns - days * NS_PER_DAY;
    int64_t y;
    unsigned m, d;
    ts_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999;
    int64_t secs = rem / NS_PER_SEC, frac = rem % NS_PER_SEC;
    char *o = out;
    o = put_digits(o, y, 4);
    *o++ = '-';
    o = put_digits(o, m, 2);
    *o++ = '-';
    o = put_digits(o, d, 2);
    *o++ = 'T';
    o = put_digits(o, secs / 3600, 2);
    *o++ = ':';
    o = put_digits(o, secs / 60 % 60, 2);
    *o++ = ':';
    o = put_digits(o, secs % 60, 2);
    if (digits) {
        *o++ = '.';
        for (unsigned k = digits; k < 9; k++)
            frac /= 10;
        o = put_digits(o, frac, (int)digits);
    }
    *o++ = 'Z';
    *o = '\0';
    return (size_t)(o - out);
}

int ts_parse_rfc3339_str(const char *s, int64_t *ns)
{
    struct span sp = span_cstr(s);
    if (sp.len == 10) {       /* a bare date: midnight UTC */
        char tmp[20];
        snprintf(tmp, sizeof(tmp), "%.10sT00:00:00", s);
        return ts_parse_rfc3339(span_make(tmp, 19), ns) == 19 ? 0 : -1;
    }
    return sp.len && ts_parse_rfc3339(sp, ns) == sp.len ? 0 : -1;
}
