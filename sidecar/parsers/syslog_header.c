/* syslog_header.c - split a syslog line into time, host, program, pid, message.
 * One left-to-right pass: an optional "<PRI>", then either the RFC 5424 form
 * (a version digit, then space-separated fields where "-" means absent) or
 * the BSD form, whose timestamp may be RFC 3164, RFC 3339 (rsyslog's
 * high-precision default) or journalctl's short-iso (+0100). In the BSD form
 * the host is optional: a token that ends in ':' or holds '[' is the tag.
 * Every scan is bounded by the span; a malformed part leaves the rest in msg. */
#include "sidecar/parsers/syslog_header.h"

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

/* "app[pid]: " or "app: " at off. Returns the offset of the message, or 0
 * when there is no tag there. */
static size_t parse_tag(struct span s, size_t off, struct syslog_header *h)
{
    static const bool ends_app[256] = { ['['] = true, [':'] = true, [' '] = true };
    size_t i = off, end = s.len < off + TAG_MAX_BYTES_SCAN ? s.len : off + TAG_MAX_BYTES_SCAN;
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
    size_t n = 0;
    if (rest.len && rest.p[0] >= '0' && rest.p[0] <= '9')
        n = ts_parse_rfc3339(rest, &ts);
    else
        n = ts_parse_rfc3164(rest, ref_ns, &ts);
    if (n == 0) {
        /* "<13>sshd[1]: msg" - no time, but a tag behind a PRI */
        if (h->pri < 0)
            return false;
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
