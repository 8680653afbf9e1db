/* syslog_header.c - split a syslog line into time, host, program, pid, message.
 * One left-to-right pass: an optional "<PRI>", then either the RFC 5424 form
 * (a version digit, then space-separated fields where "-" means absent) or
 * the BSD form, whose timestamp may be RFC 3164, RFC 3339 (rsyslog's
 * high-precision default) or journalctl's short-iso (+0100). In the BSD form
 * the host is optional: a token that ends in ':' or holds '[' is the tag.
 * Journald's shapes: "HOST COMM[PID]: MSG" with no time, journalctl's short
 * (RFC 3164), short-precise (with a fraction), short-iso, short-full
 * ("Thu 2026-11-26 10:00:01 CET") and -o json (syslog_header_journal_json).
 * Every scan is bounded by the span; a malformed part leaves the rest in msg. */
#include "sidecar/parsers/syslog_header.h"

#include <string.h>

#include "sidecar/parsers/json_lex.h"
#include "sidecar/timestamp.h"

#define TAG_MAX_BYTES_SCAN 256   /* a "program[pid]:" longer than this is not a tag */

static size_t skip_spaces(struct span s, size_t off)
{
    while (off < s.len && s.p[off] == ' ')
        off++;
    return off;
}

/* Token up to the next space (or end). */
static struct span token(struct span s, size_t off)
{
    size_t e = off;
    while (e < s.len && s.p[e] != ' ')
        e++;
    return span_make(s.p + off, e - off);
}

/* "<PRI>": 1-3 digits, value 0..191. Returns bytes consumed. */
static size_t parse_pri(struct span s, int *pri)
{
    if (s.len < 3 || s.p[0] != '<')
        return 0;
    int v = 0;
    size_t i = 1;
    while (i < s.len && i <= 4 && s.p[i] >= '0' && s.p[i] <= '9')
        v = v * 10 + (s.p[i++] - '0');
    if (i == 1 || i > 4 || i >= s.len || s.p[i] != '>' || v > 191)
        return 0;
    *pri = v;
    return i + 1;
}

/* "-" is RFC 5424's nil value. */
static struct span nil(struct span v)
{
    return (v.len == 1 && v.p[0] == '-') ? SPAN_NULL : v;
}

/* Structured data: "-" or one or more "[id k="v\]..."]". Returns its length
 * (0 when malformed). Quoted values may hold escaped ']' and '"'. */
static size_t sd_len(struct span s, size_t off)
{
    if (off >= s.len)
        return 0;
    if (s.p[off] == '-')
        return 1;
    size_t i = off;
    while (i < s.len && s.p[i] == '[') {
        bool quoted = false;
        i++;
        for (;; i++) {
            if (i >= s.len)
                return 0;
            char c = s.p[i];
            if (quoted && c == '\\') {
                i++;
                continue;
            }
            if (c == '"')
                quoted = !quoted;
            else if (c == ']' && !quoted)
                break;
        }
        i++;
    }
    return i - off;
}

static bool parse_5424(struct span s, size_t off, int64_t *ts, bool *has_ts,
                       struct syslog_header *h)
{
    /* VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG] */
    size_t v = off;
    while (v < s.len && v - off < 2 && s.p[v] >= '0' && s.p[v] <= '9')
        v++;
    if (v == off || v >= s.len || s.p[v] != ' ' || s.p[off] == '0')
        return false;
    off = v + 1;
    struct span t = token(s, off);
    if (t.len == 1 && t.p[0] == '-') {
        *has_ts = false;
    } else {
        size_t n = ts_parse_rfc3339(t, ts);
        if (n == 0 || n != t.len)
            return false;
        *has_ts = true;
    }
    off += t.len;
    struct span f[4];
    for (int i = 0; i < 4; i++) {
        if (off >= s.len || s.p[off] != ' ')
            return false;
        off++;
        f[i] = token(s, off);
        if (f[i].len == 0)
            return false;
        off += f[i].len;
    }
    if (off >= s.len || s.p[off] != ' ')
        return false;
    off++;
    size_t sdl = sd_len(s, off);
    if (sdl == 0)
        return false;
    h->host = nil(f[0]);
    h->app = nil(f[1]);
    h->pid = nil(f[2]);
    h->msgid = nil(f[3]);
    h->sd = span_make(s.p + off, sdl);
    off += sdl;
    if (off < s.len && s.p[off] == ' ')
        off++;
    /* A UTF-8 message starts with a BOM. */
    if (off + 3 <= s.len && (unsigned char)s.p[off] == 0xEF &&
        (unsigned char)s.p[off + 1] == 0xBB && (unsigned char)s.p[off + 2] == 0xBF)
        off += 3;
    h->msg = span_from(s, off);
    return true;
}

/* "[sshd]: " or "[sshd] " (old BSD and some embedded syslogds): the program in
 * brackets, no pid. Returns the offset of the message, or 0. */
static size_t parse_bracket_tag(struct span s, size_t off, size_t end, struct syslog_header *h)
{
    size_t p = off + 1;
    while (p < end && s.p[p] != ']' && s.p[p] != ' ' && s.p[p] != '[')
        p++;
    if (p >= end || s.p[p] != ']' || p == off + 1)
        return 0;
    h->app = span_make(s.p + off + 1, p - off - 1);
    h->pid = SPAN_NULL;
    p++;
    if (p < s.len && s.p[p] == ':')
        p++;
    if (p < s.len && s.p[p] != ' ')
        return 0;
    return p < s.len ? p + 1 : p;
}

/* "app[pid]: " or "app: " at off. Returns the offset of the message, or 0
 * when there is no tag there. */
static size_t parse_tag(struct span s, size_t off, struct syslog_header *h)
{
    static const bool ends_app[256] = { ['['] = true, [':'] = true, [' '] = true };
    size_t i = off, end = s.len < off + TAG_MAX_BYTES_SCAN ? s.len : off + TAG_MAX_BYTES_SCAN;
    if (i < end && s.p[i] == '[')
        return parse_bracket_tag(s, off, end, h);
    while (i < end && !ends_app[(unsigned char)s.p[i]])
        i++;
    if (i == off || i >= s.len)
        return 0;
    struct span app = span_make(s.p + off, i - off), pid = SPAN_NULL;
    if (s.p[i] == '[') {
        size_t p0 = i + 1, p = p0;
        while (p < end && s.p[p] != ']' && s.p[p] != ' ')
            p++;
        if (p >= end || s.p[p] != ']')
            return 0;
        pid = span_make(s.p + p0, p - p0);
        i = p + 1;
        if (i < s.len && s.p[i] == ':')
            i++;
    } else if (s.p[i] == ':') {
        i++;
    } else {
        return 0;
    }
    h->app = app;
    h->pid = pid;
    if (i < s.len && s.p[i] == ' ')
        i++;
    return i;
}

/* The token at off, and whether it is a tag rather than a host: it ends in
 * ':' or holds a '['. */
static struct span token_tag(struct span s, size_t off, bool *is_tag)
{
    size_t e = off;
    bool bracket = false;
    for (; e < s.len && s.p[e] != ' '; e++)
        bracket |= s.p[e] == '[';
    *is_tag = e > off && (bracket || s.p[e - 1] == ':');
    return span_make(s.p + off, e - off);
}

/* A strict "app[pid]:" at off (what journald hands a reader): the pid is
 * digits and the colon is followed by a space or the end. */
static bool strict_tag(struct span s, size_t off)
{
    size_t i = off, end = s.len < off + TAG_MAX_BYTES_SCAN ? s.len : off + TAG_MAX_BYTES_SCAN;
    while (i < end && s.p[i] != '[' && s.p[i] != ' ' && s.p[i] != ':')
        i++;
    if (i == off || i >= end || s.p[i] != '[')
        return false;
    size_t d = ++i;
    while (i < end && s.p[i] >= '0' && s.p[i] <= '9')
        i++;
    if (i == d || i + 1 >= s.len || s.p[i] != ']' || s.p[i + 1] != ':')
        return false;
    return i + 2 == s.len || s.p[i + 2] == ' ';
}

/* journald's records without a time: "HOST COMM[PID]: MESSAGE" or
 * "COMM[PID]: MESSAGE" (journalctl -o cat with the identifier, or a reader
 * that prints the fields). */
static bool parse_untimed(struct span line, struct syslog_header *h)
{
    size_t off = 0;
    if (!strict_tag(line, 0)) {
        struct span host = token(line, 0);
        if (host.len == 0 || memchr(host.p, '[', host.len) || memchr(host.p, ':', host.len))
            return false;
        off = skip_spaces(line, host.len);
        if (off == host.len || !strict_tag(line, off))
            return false;
        h->host = host;
    }
    size_t m = parse_tag(line, off, h);
    if (!m)
        return false;
    h->msg = span_from(line, m);
    return true;
}

/* "Thu " before journalctl -o short-full's "2026-11-26 10:00:01 CET". */
static size_t weekday_len(struct span s)
{
    static const char days[] = "MonTueWedThuFriSatSun";
    /* "Nov 26" has a space at 3 and a digit at 4 too, so the day must follow
     * a year: "Thu 2026-" */
    if (s.len < 9 || s.p[3] != ' ' || s.p[8] != '-' || s.p[4] < '0' || s.p[4] > '9')
        return 0;
    for (size_t i = 0; i < 21; i += 3)
        if (s.p[0] == days[i] && s.p[1] == days[i + 1] && s.p[2] == days[i + 2])
            return 4;
    return 0;
}

/* short-full ends its time with the zone's abbreviation. The unambiguous
 * ones are applied; any other leaves the time as UTC (journalctl prints the
 * reader's local zone, and `TZ=UTC journalctl` is the reliable way). */
static size_t zone_abbrev(struct span s, size_t off, int64_t *ts)
{
    static const struct { const char *name; int minutes; } zones[] = {
        { "UTC", 0 }, { "GMT", 0 }, { "CET", 60 }, { "CEST", 120 }, { "EET", 120 },
        { "EEST", 180 }, { "WET", 0 }, { "WEST", 60 }, { "EST", -300 }, { "EDT", -240 },
        { "CST", -360 }, { "CDT", -300 }, { "MST", -420 }, { "MDT", -360 }, { "PST", -480 },
        { "PDT", -420 }, { "JST", 540 },
    };
    if (off >= s.len || s.p[off] != ' ')
        return 0;
    size_t i = off + 1;
    while (i < s.len && i - off <= 6 && s.p[i] >= 'A' && s.p[i] <= 'Z')
        i++;
    if (i - off < 3 || i - off > 6 || (i < s.len && s.p[i] != ' '))
        return 0;
    struct span z = span_make(s.p + off + 1, i - off - 1);
    for (size_t k = 0; k < sizeof(zones) / sizeof(zones[0]); k++)
        if (span_eq_cstr(z, zones[k].name)) {
            *ts -= (int64_t)zones[k].minutes * 60 * 1000000000LL;
            break;
        }
    return i - off;
}

bool syslog_header_parse(struct span line, int64_t ref_ns, struct syslog_header *h)
{
    *h = (struct syslog_header){ .pri = -1, .msg = line };
    size_t off = parse_pri(line, &h->pri);
    int64_t ts = 0;

    if (h->pri >= 0 && parse_5424(line, off, &ts, &h->has_ts, h)) {
        h->ts = ts;
        return true;
    }
    h->host = h->app = h->pid = h->msgid = h->sd = SPAN_NULL;
    h->has_ts = false;

    struct span rest = span_from(line, off);
    size_t n = 0, wd = weekday_len(rest);
    if (wd) {
        n = ts_parse_rfc3339(span_from(rest, wd), &ts);
        if (n)
            n += wd + zone_abbrev(rest, wd + n, &ts);
    } else if (rest.len && rest.p[0] >= '0' && rest.p[0] <= '9') {
        n = ts_parse_rfc3339(rest, &ts);
    } else {
        n = ts_parse_rfc3164(rest, ref_ns, &ts);
    }
    if (n == 0) {
        /* "<13>sshd[1]: msg" - no time, but a tag behind a PRI */
        if (h->pri < 0)
            return parse_untimed(line, h);
        size_t m = parse_tag(line, off, h);
        h->msg = span_from(line, m ? m : off);
        return true;
    }
    h->ts = ts;
    h->has_ts = true;
    off += n;
    bool is_tag;
    if (off < line.len && line.p[off] != ' ') {
        /* the time ran into other text: not a header after all */
        *h = (struct syslog_header){ .pri = -1, .msg = line };
        return false;
    }
    off = skip_spaces(line, off);
    struct span t = token_tag(line, off, &is_tag);
    if (!is_tag) {
        h->host = t;
        off = skip_spaces(line, off + t.len);
    }
    size_t m = parse_tag(line, off, h);
    h->msg = span_from(line, m ? m : off);
    return true;
}

/* One string field of a journal export object, if it is a plain string. */
static void journal_field(struct span key, struct span val, bool esc, struct syslog_header *h,
                          struct span *comm, struct span *spid, bool *msg_esc)
{
    if (span_eq_cstr(key, "MESSAGE")) {
        h->msg = val;
        *msg_esc = esc;
        return;
    }
    if (esc)
        return;                 /* identifiers, pids and times never need escapes */
    if (span_eq_cstr(key, "SYSLOG_IDENTIFIER"))
        h->app = val;
    else if (span_eq_cstr(key, "_COMM"))
        *comm = val;
    else if (span_eq_cstr(key, "_PID"))
        h->pid = val;
    else if (span_eq_cstr(key, "SYSLOG_PID"))
        *spid = val;
    else if (span_eq_cstr(key, "_HOSTNAME"))
        h->host = val;
    else if (span_eq_cstr(key, "__REALTIME_TIMESTAMP") && val.len >= 1 && val.len <= 16) {
        int64_t us = 0;
        for (size_t i = 0; i < val.len; i++) {
            if (val.p[i] < '0' || val.p[i] > '9')
                return;
            us = us * 10 + (val.p[i] - '0');
        }
        h->ts = us * 1000;
        h->has_ts = true;
    }
}

bool syslog_header_journal_json(struct span line, struct syslog_header *h, bool *msg_esc)
{
    *h = (struct syslog_header){ .pri = -1, .msg = SPAN_NULL };
    *msg_esc = false;
    const char *p = json_ws(line.p, line.p + line.len), *end = line.p + line.len;
    struct span comm = SPAN_NULL, spid = SPAN_NULL;
    bool have_msg = false;
    if (p >= end || *p != '{')
        return false;
    p = json_ws(p + 1, end);
    while (p < end && *p != '}') {
        struct span key, val;
        bool kesc, vesc;
        if (*p != '"' || !(p = json_scan_string(p + 1, end, &key, &kesc)))
            return false;
        p = json_ws(p, end);
        if (p >= end || *p != ':')
            return false;
        p = json_ws(p + 1, end);
        if (p < end && *p == '"') {
            if (!(p = json_scan_string(p + 1, end, &val, &vesc)))
                return false;
            if (!kesc) {
                journal_field(key, val, vesc, h, &comm, &spid, msg_esc);
                have_msg |= span_eq_cstr(key, "MESSAGE");
            }
        } else if (!(p = json_skip_value(p, end))) {
            return false;
        }
        p = json_ws(p, end);
        if (p < end && *p == ',')
            p = json_ws(p + 1, end);
    }
    if (!have_msg)
        return false;
    if (h->app.len == 0)
        h->app = comm;
    if (h->pid.len == 0)
        h->pid = spid;
    return true;
}
