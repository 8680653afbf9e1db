/* json.c - `parser: json`: one JSON object per line into record fields.
 * A single pass, recursive descent over the line with no allocation: strings
 * without escapes are borrowed spans of the line, strings with escapes are
 * unescaped into the record arena. Objects and arrays become FT_MAP/FT_ARRAY
 * fields up to RECORD_MAX_DEPTH; a value nested deeper is kept whole as its
 * raw JSON text (a string), skipped iteratively, so recursion stays bounded.
 * Duplicate keys are all kept as fields, in line order; for known-key lookups
 * (record_get) the last one wins. Fields parsed before an error are kept, the
 * record becomes KIND_RAW with parse_error. Then app_finish() reads the time,
 * the level and the kind from the keys. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/parsers/app_kind.h"
#include "sidecar/parsers/json_lex.h"
#include "sidecar/parsers/parser.h"

struct jp {
    const char *p, *end;
    struct record *r;
    const char *err;        /* static reason once something failed */
};

#define JSON_NUM_MAX 128    /* longer numbers are kept as their text */

static const double pow10_exact[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static bool fail(struct jp *j, const char *why)
{
    if (!j->err)
        j->err = why;
    return false;
}

/* A string's value: borrowed when it has no escape, else unescaped into the
 * arena. When the arena is full the escaped text is kept (r->overflow). */
static bool str_value(struct jp *j, struct span raw, bool esc, struct span *out)
{
    if (!esc) {
        *out = raw;
        return true;
    }
    struct record *r = j->r;
    if (raw.len > r->arena_cap - r->arena_used) {
        r->overflow = true;
        *out = raw;
        return true;
    }
    char *dst = r->arena + r->arena_used;
    long n = json_unescape(raw.p, raw.len, dst);
    if (n < 0)
        return fail(j, "json: bad escape in string");
    *out = span_make(record_alloc(r, (size_t)n), (size_t)n);
    return true;
}

static bool parse_string(struct jp *j, struct span *out)
{
    struct span raw;
    bool esc;
    const char *q = json_scan_string(j->p + 1, j->end, &raw, &esc);
    if (!q)
        return fail(j, "json: unterminated string");
    j->p = q;
    return str_value(j, raw, esc, out);
}

static bool parse_number(struct jp *j, struct span key)
{
    const char *s = j->p, *p = s, *end = j->end;
    bool neg = false;
    uint64_t m = 0;
    int digits = 0, exp10 = 0;
    bool is_int = true;
    if (p < end && *p == '-') {
        neg = true;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9')
        return fail(j, "json: bad value");
    if (*p == '0') {
        p++;
    } else {
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            if (digits < 19)
                m = m * 10 + (uint64_t)(*p - '0');
            else
                exp10++;
            digits++;
        }
    }
    if (p < end && *p == '.') {
        is_int = false;
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return fail(j, "json: bad number");
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            if (digits < 19) {
                m = m * 10 + (uint64_t)(*p - '0');
                exp10--;
                if (m != 0)
                    digits++;
            }
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_int = false;
        p++;
        int esign = 1, e = 0;
        if (p < end && (*p == '+' || *p == '-'))
            esign = *p++ == '-' ? -1 : 1;
        if (p >= end || *p < '0' || *p > '9')
            return fail(j, "json: bad number");
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if (e < 10000)
                e = e * 10 + (*p - '0');
        exp10 += esign * e;
    }
    j->p = p;
    size_t len = (size_t)(p - s);
    if (is_int && digits <= 18) {
        int64_t v = (int64_t)m;
        record_add_int(j->r, key, neg ? -v : v);
        return true;
    }
    if (!is_int && digits <= 15 && exp10 >= -22 && exp10 <= 22) {
        /* Both operands are exact, so one rounding: Clinger's fast path. */
        double d = exp10 < 0 ? (double)m / pow10_exact[-exp10] : (double)m * pow10_exact[exp10];
        record_add_double(j->r, key, neg ? -d : d);
        return true;
    }
    if (len >= JSON_NUM_MAX) {
        record_add_str(j->r, key, span_make(s, len));
        return true;
    }
    char tmp[JSON_NUM_MAX];
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (is_int) {
        errno = 0;
        long long v = strtoll(tmp, NULL, 10);
        if (errno != ERANGE) {
            record_add_int(j->r, key, v);
            return true;
        }
    }
    record_add_double(j->r, key, strtod(tmp, NULL));
    return true;
}

static bool literal(struct jp *j, const char *word, size_t n)
{
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return fail(j, "json: bad value");
    j->p += n;
    return true;
}

static bool parse_container(struct jp *j, struct span key, bool is_obj);

static bool parse_value(struct jp *j, struct span key)
{
    struct span s;
    j->p = json_ws(j->p, j->end);
    if (j->p >= j->end)
        return fail(j, "json: truncated");
    switch (*j->p) {
    case '"':
        if (!parse_string(j, &s))
            return false;
        record_add_str(j->r, key, s);
        return true;
    case '{':
    case '[':
        return parse_container(j, key, *j->p == '{');
    case 't':
        if (!literal(j, "true", 4))
            return false;
        record_add_bool(j->r, key, true);
        return true;
    case 'f':
        if (!literal(j, "false", 5))
            return false;
        record_add_bool(j->r, key, false);
        return true;
    case 'n':
        if (!literal(j, "null", 4))
            return false;
        record_add_null(j->r, key);
        return true;
    default:
        return parse_number(j, key);
    }
}

/* The members of an object or the elements of an array; j->p is after the
 * opening bracket. Adds fields at the record's current depth. */
static bool parse_members(struct jp *j, bool is_obj)
{
    char close = is_obj ? '}' : ']';
    j->p = json_ws(j->p, j->end);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return true;
    }
    for (;;) {
        struct span key = SPAN_NULL;
        if (is_obj) {
            j->p = json_ws(j->p, j->end);
            if (j->p >= j->end)
                return fail(j, "json: truncated");
            if (*j->p != '"')
                return fail(j, "json: expected a key");
            if (!parse_string(j, &key))
                return false;
            j->p = json_ws(j->p, j->end);
            if (j->p >= j->end || *j->p != ':')
                return fail(j, j->p >= j->end ? "json: truncated" : "json: expected ':'");
            j->p++;
        }
        if (!parse_value(j, key))
            return false;
        j->p = json_ws(j->p, j->end);
        if (j->p >= j->end)
            return fail(j, "json: truncated");
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == close) {
            j->p++;
            return true;
        }
        return fail(j, is_obj ? "json: expected ',' or '}'" : "json: expected ',' or ']'");
    }
}

static bool parse_container(struct jp *j, struct span key, bool is_obj)
{
    struct record *r = j->r;
    if (r->open_depth < RECORD_MAX_DEPTH && r->nfields < RECORD_MAX_FIELDS) {
        if (record_open(r, key, is_obj ? FT_MAP : FT_ARRAY) >= 0) {
            j->p++;
            bool ok = parse_members(j, is_obj);
            record_close(r);
            return ok;
        }
    }
    /* Too deep (or no room): keep the value as its JSON text. */
    const char *s = j->p;
    const char *e = json_skip_value(s, j->end);
    if (!e)
        return fail(j, "json: truncated or unbalanced nesting");
    j->p = e;
    if (r->open_depth >= RECORD_MAX_DEPTH)
        record_add_str(r, key, span_make(s, (size_t)(e - s)));
    else
        r->overflow = true;
    return true;
}

static enum parse_result json_parse(const struct parser *p, void *state, struct record *r,
                                    struct span line)
{
    (void)state;
    struct jp j = { line.p, line.p + line.len, r, NULL };
    j.p = json_ws(j.p, j.end);
    if (j.p == j.end)
        return PARSE_SKIP;
    if (j.end - j.p >= 3 && memcmp(j.p, "\xEF\xBB\xBF", 3) == 0)
        j.p = json_ws(j.p + 3, j.end);
    if (j.p >= j.end || *j.p != '{') {
        fail(&j, "json: not an object");
    } else {
        j.p++;
        if (parse_members(&j, true)) {
            j.p = json_ws(j.p, j.end);
            if (j.p != j.end)
                fail(&j, "json: data after the object");
        }
    }
    while (r->open_depth)
        record_close(r);
    if (j.err) {
        r->kind = KIND_RAW;
        r->parse_error = j.err;
        return PARSE_MALFORMED;
    }
    app_finish(p->ctx, r);
    return PARSE_OK;
}

static int json_init(struct parser *p, char *err, size_t errlen)
{
    return app_ctx_init(p->ctx, err, errlen);
}

const struct parser_plugin parser_json = {
    .name = "json",
    .options = app_options,
    .ctx_size = sizeof(struct app_ctx),
    .init = json_init,
    .parse = json_parse,
};
