/* docker.c - `parser: docker`: Docker's json-file driver lines,
 * `{"log":"text\n","stream":"stdout","time":"2026-11-26T10:00:01.1Z"}`.
 * A log value that does not end in "\n" is a partial line (Docker splits
 * lines at 16 KiB); container.c joins the pieces and runs the `inner` parser
 * on the text. The log text is unescaped into the record arena; other keys
 * (attrs, ...) are skipped. A line that is not such an object is KIND_RAW. */
#include "sidecar/parsers/container.h"
#include "sidecar/parsers/json_lex.h"
#include "sidecar/timestamp.h"

static enum parse_result bad(struct record *r, const char *why)
{
    r->kind = KIND_RAW;
    r->parse_error = why;
    return PARSE_MALFORMED;
}

static enum parse_result docker_parse(const struct parser *p, void *state, struct record *r,
                                      struct span line)
{
    const char *s = line.p, *end = line.p + line.len;
    struct span log = SPAN_NULL, stream = SPAN_NULL, time = SPAN_NULL;
    bool log_esc = false, have_log = false;
    s = json_ws(s, end);
    if (s == end)
        return PARSE_SKIP;
    if (*s != '{')
        return bad(r, "docker: not a json-file object");
    s = json_ws(s + 1, end);
    if (s < end && *s == '}')
        s++;
    else {
        for (;;) {
            struct span key, val;
            bool esc;
            if (s >= end || *s != '"' || !(s = json_scan_string(s + 1, end, &key, &esc)))
                return bad(r, "docker: bad key");
            s = json_ws(s, end);
            if (s >= end || *s != ':')
                return bad(r, "docker: expected ':'");
            s = json_ws(s + 1, end);
            if (s < end && *s == '"' && (span_eq_cstr(key, "log") || span_eq_cstr(key, "stream") ||
                                         span_eq_cstr(key, "time"))) {
                bool vesc;
                if (!(s = json_scan_string(s + 1, end, &val, &vesc)))
                    return bad(r, "docker: unterminated string");
                if (key.p[0] == 'l') {
                    log = val;
                    log_esc = vesc;
                    have_log = true;
                } else if (key.p[0] == 's') {
                    stream = val;
                } else {
                    time = val;
                }
            } else if (!(s = json_skip_value(s, end))) {
                return bad(r, "docker: bad value");
            }
            s = json_ws(s, end);
            if (s < end && *s == ',') {
                s = json_ws(s + 1, end);
                continue;
            }
            if (s < end && *s == '}') {
                s++;
                break;
            }
            return bad(r, "docker: expected ',' or '}'");
        }
    }
    if (json_ws(s, end) != end)
        return bad(r, "docker: data after the object");
    if (!have_log)
        return bad(r, "docker: no log key");

    if (log_esc) {
        /* Unescaping never grows text; an arena too small keeps the escapes. */
        if (log.len <= r->arena_cap - r->arena_used) {
            char *dst = r->arena + r->arena_used;
            long n = json_unescape(log.p, log.len, dst);
            if (n < 0)
                return bad(r, "docker: bad escape in log");
            log = span_make(record_alloc(r, (size_t)n), (size_t)n);
        } else {
            r->overflow = true;
        }
    }
    int64_t ts = 0;
    bool has_ts = time.len && ts_parse_rfc3339(time, &ts) > 0;
    int st_idx = span_eq_cstr(stream, "stderr") ? CT_STDERR : CT_STDOUT;
    if (log.len == 0 || log.p[log.len - 1] != '\n')
        return log.len ? container_hold(p, state, r, st_idx, log, ts, has_ts)
                       : container_emit(p, state, r, st_idx, log, ts, has_ts);
    log.len--;
    return container_emit(p, state, r, st_idx, log, ts, has_ts);
}

const struct parser_plugin parser_docker = {
    .name = "docker",
    .options = container_options,
    .ctx_size = sizeof(struct container_ctx),
    .state_size = sizeof(struct container_state),
    .init = container_init,
    .parse = docker_parse,
    .flush = container_flush,
    .state_fini = container_state_fini,
    .destroy = container_destroy,
    .holding = container_holding,
    .joins_multiline = true,
};
