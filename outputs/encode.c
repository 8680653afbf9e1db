/* encode.c - JSON string escaping and RFC 3339 time, without libc locale or
 * gmtime: days become civil dates with the calendar arithmetic shared with
 * the parsers (sidecar/parsers/timestamp.h). */
#include "outputs/encode.h"
#include "sidecar/parsers/timestamp.h"
#include "sidecar/utf8.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (2..4 bytes), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    uint32_t cp;
    return utf8_decode(s, n, &cp);
}

int json_str(struct buf *out, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* worst case: every byte becomes \u00XX */
    if (buf_reserve(out, n * 6 + 2) < 0)
        return -1;
    const unsigned char *s = (const unsigned char *)p;
    unsigned char *o = out->p + out->len;
    *o++ = '"';
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            *o++ = (unsigned char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq(s + i, n - i);
            if (k) {
                memcpy(o, s + i, k);
                o += k;
                i += k;
                continue;
            }
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u'; *o++ = '0'; *o++ = '0';
            *o++ = (unsigned char)hex[c >> 4];
            *o++ = (unsigned char)hex[c & 15];
        }
        i++;
    }
    *o++ = '"';
    out->len = (size_t)(o - out->p);
    return 0;
}

size_t rfc3339_format(char *out, int64_t ns)
{
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        sec -= 1;
    }
    int64_t days = sec / 86400, rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    int64_t y;
    unsigned m, d;
    ts_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        int n = snprintf(out, RFC3339_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u.%09uZ", (long long)y, m,
                         d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60),
                         (unsigned)frac);
        return n < 0 ? 0 : (size_t)n < RFC3339_MAX ? (size_t)n : RFC3339_MAX - 1;
    }
    /* the common case without printf: this runs once per event in JSON output */
    char *o = out;
    unsigned v[] = { (unsigned)y, m, d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
                     (unsigned)(rem % 60) };
    static const char sep[] = "--T::.";
    static const unsigned width[] = { 4, 2, 2, 2, 2, 2 };
    for (int i = 0; i < 6; i++) {
        for (unsigned k = width[i]; k-- > 0;) {
            o[k] = (char)('0' + v[i] % 10);
            v[i] /= 10;
        }
        o += width[i];
        *o++ = sep[i];
    }
    unsigned f = (unsigned)frac;
    for (int k = 8; k >= 0; k--) {
        o[k] = (char)('0' + f % 10);
        f /= 10;
    }
    o += 9;
    *o++ = 'Z';
    *o = 0;
    return (size_t)(o - out);
}

static bool digits(const char *s, int n, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return true;
}

int rfc3339_parse(const char *s, int64_t *ns)
{
    unsigned y, mo, d, h = 0, mi = 0, se = 0, frac = 0;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    const char *p = s + 10;
    int64_t off = 0;
    if (*p) {
        if ((*p != 'T' && *p != 't' && *p != ' ') || !digits(p + 1, 2, &h) || p[3] != ':' ||
            !digits(p + 4, 2, &mi) || p[6] != ':' || !digits(p + 7, 2, &se))
            return -1;
        if (h > 23 || mi > 59 || se > 60)
            return -1;
        p += 9;
        if (*p == '.') {
            p++;
            int nd = 0;
            while (*p >= '0' && *p <= '9') {
                if (nd < 9) {
                    frac = frac * 10 + (unsigned)(*p - '0');
                    nd++;
                }
                p++;
            }
            if (nd == 0)
                return -1;
            while (nd++ < 9)
                frac *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            unsigned oh, om;
            if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
                return -1;
            off = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
            p += 6;
        } else {
            return -1;
        }
        if (*p)
            return -1;
    }
    int64_t sec = ts_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    *ns = sec * 1000000000 + frac;
    return 0;
}
