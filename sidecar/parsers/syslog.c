/* syslog.c - `parser: syslog`: any syslog dialect (RFC 3164, RFC 3339
 * rsyslog, RFC 5424, journald short-iso) into app, pid, msg, host and ts.
 * The header is read by syslog_header_parse(); this file maps it onto the
 * schema: the PRI gives `facility` and a normalised `level`, RFC 5424 adds
 * `msgid` and its structured data as a nested map `sd` ({SD-ID: {param:
 * value}}; kept as text when it is malformed). A line without a header is
 * shipped as KIND_RAW with msg = the line and parse_error set. */
#include "sidecar/parsers/app_kind.h"
#include "sidecar/parsers/parser.h"
#include "sidecar/parsers/syslog_header.h"

static const char *const facilities[24] = {
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

/* An SD value: RFC 5424 escapes only '"', '\' and ']'; any other backslash
 * stays. Copied into the arena only when it holds a backslash. */
static struct span sd_value(struct record *r, struct span v)
{
    if (!memchr(v.p, '\\', v.len))
        return v;
    if (v.len > r->arena_cap - r->arena_used) {
        r->overflow = true;
        return v;
    }
    char *o = r->arena + r->arena_used;
    size_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] == '\\' && i + 1 < v.len &&
            (v.p[i + 1] == '"' || v.p[i + 1] == '\\' || v.p[i + 1] == ']'))
            i++;
        o[n++] = v.p[i];
    }
    return span_make(record_alloc(r, n), n);
}

static size_t sd_name(struct span sd, size_t i)
{
    size_t s = i;
    while (i < sd.len && sd.p[i] != ' ' && sd.p[i] != '=' && sd.p[i] != ']' && sd.p[i] != '"' &&
           (unsigned char)sd.p[i] > ' ' && (unsigned char)sd.p[i] < 127)
        i++;
    return i - s;
}

/* Walks `[id k="v" ...][id2 ...]`. With emit false only checks it; with emit
 * true adds the maps (the caller has checked it). */
static bool sd_walk(struct record *r, struct span sd, bool emit)
{
    size_t i = 0;
    if (sd.len == 0)
        return false;
    while (i < sd.len) {
        if (sd.p[i] != '[')
            return false;
        i++;
        size_t n = sd_name(sd, i);
        if (n == 0)
            return false;
        bool opened = emit && record_open(r, span_make(sd.p + i, n), FT_MAP) >= 0;
        i += n;
        while (i < sd.len && sd.p[i] == ' ') {
            i++;
            size_t kn = sd_name(sd, i);
            if (kn == 0 || i + kn + 1 >= sd.len || sd.p[i + kn] != '=' || sd.p[i + kn + 1] != '"')
                return false;
            struct span key = span_make(sd.p + i, kn);
            i += kn + 2;
            size_t vs = i;
            while (i < sd.len && sd.p[i] != '"')
                i += (sd.p[i] == '\\') ? 2 : 1;
            if (i >= sd.len)
                return false;
            if (opened)
                record_add_str(r, key, sd_value(r, span_make(sd.p + vs, i - vs)));
            i++;
        }
        if (opened)
            record_close(r);
        if (i >= sd.len || sd.p[i] != ']')
            return false;
        i++;
    }
    return true;
}

static enum parse_result syslog_parse(const struct parser *p, void *state, struct record *r,
                                      struct span line)
{
    (void)p;
    (void)state;
    while (line.len && (line.p[line.len - 1] == '\r' || line.p[line.len - 1] == '\n'))
        line.len--;
    if (line.len == 0)
        return PARSE_SKIP;
    struct syslog_header h;
    if (!syslog_header_parse(line, r->read_ts, &h)) {
        record_set_str(r, RK_MSG, line);
        r->kind = KIND_RAW;
        r->parse_error = "syslog: no syslog header";
        return PARSE_MALFORMED;
    }
    r->kind = KIND_APP;
    if (h.has_ts) {
        r->ts = h.ts;
        r->ts_from_line = true;
    }
    if (h.host.len && !span_eq_cstr(h.host, "-"))
        r->host = h.host;
    if (h.app.len && !span_eq_cstr(h.app, "-"))
        record_set_str(r, RK_APP, h.app);
    if (h.pid.len && !span_eq_cstr(h.pid, "-")) {
        struct span pid = h.pid;
        int64_t v = 0;
        bool digits = pid.len <= 18;
        for (size_t i = 0; digits && i < pid.len; i++) {
            digits = pid.p[i] >= '0' && pid.p[i] <= '9';
            v = v * 10 + (pid.p[i] - '0');
        }
        if (digits)
            record_set_int(r, RK_PID, v);
        else
            record_set_str(r, RK_PID, pid);
    }
    if (h.pri >= 0) {
        record_set_str(r, RK_LEVEL, app_level_syslog(h.pri & 7));
        if ((h.pri >> 3) < 24)
            record_add_str(r, SPAN_LIT("facility"), span_cstr(facilities[h.pri >> 3]));
    }
    if (h.msgid.len && !span_eq_cstr(h.msgid, "-"))
        record_add_str(r, SPAN_LIT("msgid"), h.msgid);
    if (h.sd.len && !span_eq_cstr(h.sd, "-")) {
        if (sd_walk(r, h.sd, false) && record_open(r, SPAN_LIT("sd"), FT_MAP) >= 0) {
            sd_walk(r, h.sd, true);
            record_close(r);
        } else {
            record_add_str(r, SPAN_LIT("sd"), h.sd);
        }
    }
    record_set_str(r, RK_MSG, h.msg);
    return PARSE_OK;
}

const struct parser_plugin parser_syslog = {
    .name = "syslog",
    .parse = syslog_parse,
};
