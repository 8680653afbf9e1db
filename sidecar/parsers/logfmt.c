/* logfmt.c - `parser: logfmt`: `key=value key="quoted \" value" flag`.
 * Values stay strings (logfmt has no types; app_finish converts counts when
 * it needs them). A bare key is the boolean true, `key=` the empty string.
 * Quoted values are borrowed unless they hold a backslash; then they are
 * unescaped (JSON/Go escapes) into the arena, or kept as written when an
 * escape is unknown. An unterminated quote ends the line: the pairs before it
 * are kept, the record is classified as usual and returned PARSE_MALFORMED.
 * A line with no `=` at all is not logfmt: KIND_RAW, PARSE_MALFORMED. */
#include <string.h>

#include "sidecar/parsers/app_kind.h"
#include "sidecar/parsers/json_lex.h"
#include "sidecar/parsers/parser.h"

static struct span quoted_value(struct record *r, struct span raw, bool esc)
{
    if (!esc || raw.len > r->arena_cap - r->arena_used)
        return raw;
    char *dst = r->arena + r->arena_used;
    long n = json_unescape(raw.p, raw.len, dst);
    if (n < 0)
        return raw;
    return span_make(record_alloc(r, (size_t)n), (size_t)n);
}

static enum parse_result logfmt_parse(const struct parser *p, void *state, struct record *r,
                                      struct span line)
{
    (void)state;
    const char *s = line.p, *end = line.p + line.len;
    while (end > s && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s == end)
        return PARSE_SKIP;
    if (!memchr(s, '=', (size_t)(end - s))) {
        r->kind = KIND_RAW;
        r->parse_error = "logfmt: no key=value pair";
        return PARSE_MALFORMED;
    }
    while (s < end) {
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        const char *k = s;
        while (s < end && *s != ' ' && *s != '\t' && *s != '=' && *s != '"')
            s++;
        if (s == k) {
            /* `=x` or a stray quote: not a pair; skip the token. */
            while (s < end && *s != ' ' && *s != '\t')
                s++;
            continue;
        }
        struct span key = span_make(k, (size_t)(s - k));
        if (s >= end || *s != '=') {
            if (s < end && *s == '"') {     /* key"junk: skip the rest of the token */
                while (s < end && *s != ' ' && *s != '\t')
                    s++;
            }
            record_add_bool(r, key, true);
            continue;
        }
        s++;
        if (s < end && *s == '"') {
            struct span raw;
            bool esc;
            const char *q = json_scan_string(s + 1, end, &raw, &esc);
            if (!q) {
                r->parse_error = "logfmt: unterminated quote";
                break;
            }
            s = q;
            record_add_str(r, key, quoted_value(r, raw, esc));
        } else {
            const char *v = s;
            while (s < end && *s != ' ' && *s != '\t')
                s++;
            record_add_str(r, key, span_make(v, (size_t)(s - v)));
        }
    }
    app_finish(p->ctx, r);
    return r->parse_error ? PARSE_MALFORMED : PARSE_OK;
}

static int logfmt_init(struct parser *p, char *err, size_t errlen)
{
    return app_ctx_init(p->ctx, err, errlen);
}

const struct parser_plugin parser_logfmt = {
    .name = "logfmt",
    .options = app_options,
    .ctx_size = sizeof(struct app_ctx),
    .init = logfmt_init,
    .parse = logfmt_parse,
};
