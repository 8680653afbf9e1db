/* test_json.c - the json parser: fixtures of real application lines (pino,
 * zap, logrus, CloudTrail, audit and egress shapes) and hostile ones, plus
 * structure, nesting, overflow and option checks. */
#include "tests/unit/sidecar/parsers/parser_fixture.h"

#include "sidecar/parsers/app_kind.h"
#include "sidecar/parsers/json_lex.h"

extern const struct parser_plugin parser_json;

static struct app_ctx ctx;
static struct parser jp = { &parser_json, &ctx, 64 * 1024 };

static void setup(void)
{
    char err[128];
    memset(&ctx, 0, sizeof(ctx));
    cr_assert_eq(parser_json.init(&jp, err, sizeof(err)), 0, "%s", err);
}

static enum parse_result parse_cstr(const char *s)
{
    return fix_parse(&jp, NULL, span_cstr(s));
}

TestSuite(json, .init = setup);

Test(json, fixtures)
{
    fix_run(&jp, NULL, "tests/data/parsers/json/app");
}

Test(json, nested_maps_and_arrays_in_preorder)
{
    cr_assert_eq(parse_cstr("{\"a\":{\"b\":[1,\"x\"],\"c\":{}},\"d\":true}"), PARSE_OK);
    const struct field *f = fix_rec.fields;
    cr_assert_eq(fix_rec.nfields, 6);
    cr_expect(span_eq_cstr(f[0].key, "a") && f[0].type == FT_MAP && f[0].size == 4 && f[0].depth == 0);
    cr_expect(span_eq_cstr(f[1].key, "b") && f[1].type == FT_ARRAY && f[1].size == 2 && f[1].depth == 1);
    cr_expect(f[2].type == FT_INT && f[2].v.i == 1 && f[2].depth == 2 && f[2].key.len == 0);
    cr_expect(f[3].type == FT_STR && span_eq_cstr(f[3].v.s, "x") && f[3].depth == 2);
    cr_expect(span_eq_cstr(f[4].key, "c") && f[4].type == FT_MAP && f[4].size == 0 && f[4].depth == 1);
    cr_expect(span_eq_cstr(f[5].key, "d") && f[5].type == FT_BOOL && f[5].v.b && f[5].depth == 0);
    cr_expect_eq(fix_rec.open_depth, 0);
}

Test(json, strings_borrowed_unless_escaped)
{
    const char *line = "{\"plain\":\"abc\",\"esc\":\"a\\nb\"}";
    cr_assert_eq(parse_cstr(line), PARSE_OK);
    const struct field *f = fix_rec.fields;
    cr_expect(f[0].v.s.p >= line && f[0].v.s.p < line + strlen(line));
    cr_expect(f[1].v.s.p >= fix_arena && f[1].v.s.p < fix_arena + sizeof(fix_arena));
    cr_expect(span_eq(f[1].v.s, SPAN_LIT("a\nb")));
}

Test(json, unicode_escapes)
{
    cr_assert_eq(parse_cstr("{\"s\":\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00|\\ud800x|\\udc00\"}"), PARSE_OK);
    cr_expect(span_eq(fix_rec.fields[0].v.s,
                      SPAN_LIT("A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xef\xbf\xbdx|\xef\xbf\xbd")));
}

Test(json, numbers)
{
    cr_assert_eq(parse_cstr("{\"a\":1.5e3,\"b\":-2.5e-3,\"c\":0.1,\"d\":-0,\"e\":9223372036854775807,"
                            "\"f\":123456789012345678901234,\"g\":1E2}"), PARSE_OK);
    const struct field *f = fix_rec.fields;
    cr_expect(f[0].type == FT_DOUBLE && f[0].v.d == 1500.0);
    cr_expect(f[1].type == FT_DOUBLE && f[1].v.d == -2.5e-3);
    cr_expect(f[2].type == FT_DOUBLE && f[2].v.d == 0.1);
    cr_expect(f[3].type == FT_INT && f[3].v.i == 0);
    cr_expect(f[4].type == FT_INT && f[4].v.i == INT64_MAX);
    cr_expect(f[5].type == FT_DOUBLE && f[5].v.d > 1.2e23 && f[5].v.d < 1.3e23);
    cr_expect(f[6].type == FT_DOUBLE && f[6].v.d == 100.0);
}

Test(json, duplicate_keys_kept_last_wins_lookup)
{
    cr_assert_eq(parse_cstr("{\"msg\":\"first\",\"msg\":\"second\"}"), PARSE_OK);
    cr_expect_eq(fix_rec.nfields, 2);
    cr_expect(span_eq_cstr(fix_rec.fields[0].v.s, "first"));
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_MSG), "second"));
}

static char big[(1u << 20) + 4096];

static size_t nest(size_t depth, const char *open, const char *close)
{
    size_t n = 0;
    big[n++] = '{';
    for (size_t i = 0; i < depth; i++)
        n += (size_t)sprintf(big + n, "%s", open);
    n += (size_t)sprintf(big + n, "1");
    for (size_t i = 0; i < depth; i++)
        n += (size_t)sprintf(big + n, "%s", close);
    big[n++] = '}';
    return n;
}

Test(json, deep_nesting_capped_as_raw_text)
{
    size_t n = nest(40, "\"k\":{", "}");
    cr_assert_eq(fix_parse(&jp, NULL, span_make(big, n)), PARSE_OK);
    cr_expect_not(fix_rec.overflow);
    cr_assert_eq(fix_rec.nfields, RECORD_MAX_DEPTH + 1);
    for (unsigned d = 0; d < RECORD_MAX_DEPTH; d++)
        cr_expect(fix_rec.fields[d].type == FT_MAP && fix_rec.fields[d].depth == d);
    const struct field *deep = &fix_rec.fields[RECORD_MAX_DEPTH];
    cr_expect_eq(deep->type, FT_STR);
    cr_expect_eq(deep->depth, RECORD_MAX_DEPTH);
    cr_expect(deep->v.s.len > 0 && deep->v.s.p[0] == '{' && deep->v.s.p[deep->v.s.len - 1] == '}');
}

Test(json, very_deep_arrays_do_not_recurse)
{
    size_t n = nest(200000, "[", "]");
    cr_assert_eq(fix_parse(&jp, NULL, span_make(big, n)), PARSE_MALFORMED); /* "{[[..1..]]}" has no key */
    /* balanced and keyed: {"k":[[[...]]]} */
    size_t m = 0;
    m += (size_t)sprintf(big, "{\"k\":");
    for (int i = 0; i < 200000; i++)
        big[m++] = '[';
    for (int i = 0; i < 200000; i++)
        big[m++] = ']';
    big[m++] = '}';
    cr_assert_eq(fix_parse(&jp, NULL, span_make(big, m)), PARSE_OK);
    /* unbalanced: truncated */
    cr_assert_eq(fix_parse(&jp, NULL, span_make(big, m - 10)), PARSE_MALFORMED);
    cr_expect_eq(fix_rec.kind, KIND_RAW);
    cr_expect_eq(fix_rec.open_depth, 0);
}

Test(json, more_fields_than_the_record_holds)
{
    size_t n = 0;
    big[n++] = '{';
    for (int i = 0; i < 400; i++)
        n += (size_t)sprintf(big + n, "%s\"k%d\":{\"v\":%d}", i ? "," : "", i, i);
    n += (size_t)sprintf(big + n, ",\"msg\":\"end\"}");
    cr_assert_eq(fix_parse(&jp, NULL, span_make(big, n)), PARSE_OK);
    cr_expect(fix_rec.overflow);
    cr_expect_eq(fix_rec.nfields, RECORD_MAX_FIELDS);
    cr_expect_eq(fix_rec.open_depth, 0);
    cr_expect_null(fix_rec.parse_error);
}

Test(json, one_mebibyte_line)
{
    size_t n = (size_t)sprintf(big, "{\"msg\":\"");
    memset(big + n, 'x', 1u << 20);
    n += 1u << 20;
    n += (size_t)sprintf(big + n, "\",\"level\":\"info\"}");
    cr_assert_eq(fix_parse(&jp, NULL, span_make(big, n)), PARSE_OK);
    cr_expect_eq(record_str(&fix_rec, RK_MSG).len, 1u << 20);
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_LEVEL), "info"));
    /* cut anywhere inside: malformed, never a crash */
    cr_assert_eq(fix_parse(&jp, NULL, span_make(big, n / 2)), PARSE_MALFORMED);
}

Test(json, full_arena_keeps_escaped_text)
{
    char small[16];
    struct record r;
    record_init(&r, small, sizeof(small));
    const char *line = "{\"msg\":\"a\\tb and a long tail that will not fit\"}";
    r.raw = span_cstr(line);
    cr_assert_eq(parser_json.parse(&jp, NULL, &r, span_cstr(line)), PARSE_OK);
    cr_expect(r.overflow);
    cr_expect(span_eq_cstr(record_str(&r, RK_MSG), "a\\tb and a long tail that will not fit"));
}

Test(json, nul_bytes_in_keys_and_values)
{
    static const char line[] = "{\"a\0b\":\"c\0d\"}";
    cr_assert_eq(fix_parse(&jp, NULL, span_make(line, sizeof(line) - 1)), PARSE_OK);
    cr_expect(span_eq(fix_rec.fields[0].key, span_make("a\0b", 3)));
    cr_expect(span_eq(fix_rec.fields[0].v.s, span_make("c\0d", 3)));
}

Test(json, every_prefix_of_a_line_is_safe)
{
    const char *line = "{\"ts\":\"2025-11-26T10:00:01Z\",\"a\":[1,{\"b\":\"\\u00e9\"}],\"n\":-1.5e-3}";
    size_t len = strlen(line);
    for (size_t i = 0; i < len; i++) {
        enum parse_result res = fix_parse(&jp, NULL, span_make(line, i));
        cr_expect(res == PARSE_MALFORMED || res == PARSE_SKIP, "prefix %zu gave %d", i, (int)res);
        cr_expect_eq(fix_rec.open_depth, 0);
    }
    cr_expect_eq(fix_parse(&jp, NULL, span_make(line, len)), PARSE_OK);
}

Test(json, time_key_and_format_options)
{
    char err[128];
    ctx.time_key = "when";
    ctx.time_format = APP_TIME_EPOCH_MS;
    cr_assert_eq(parser_json.init(&jp, err, sizeof(err)), 0);
    cr_assert_eq(parse_cstr("{\"ts\":1,\"when\":1764151201000}"), PARSE_OK);
    cr_expect(fix_rec.ts_from_line);
    cr_expect_eq(fix_rec.ts, INT64_C(1764151201000000000));
    cr_assert_eq(parse_cstr("{\"ts\":1764151201}"), PARSE_OK);
    cr_expect_not(fix_rec.ts_from_line);
    cr_expect_eq(fix_rec.ts, FIX_READ_TS);
    cr_assert_eq(parse_cstr("{\"when\":\"1764151201000\"}"), PARSE_OK);
    cr_expect_eq(fix_rec.ts, INT64_C(1764151201000000000));
}

Test(json, identity_and_action_key_options)
{
    static char *who[] = { "who" };
    static char *did[] = { "did", "verb" };
    char err[128];
    ctx.identity_keys = (struct conf_strlist){ who, 1 };
    ctx.action_keys = (struct conf_strlist){ did, 2 };
    cr_assert_eq(parser_json.init(&jp, err, sizeof(err)), 0);
    cr_assert_eq(parse_cstr("{\"who\":\"mallory\",\"verb\":\"drop\"}"), PARSE_OK);
    cr_expect_eq(fix_rec.kind, KIND_AUDIT);
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_IDENTITY), "mallory"));
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_ACTION), "drop"));
    /* the defaults are replaced, not extended */
    cr_assert_eq(parse_cstr("{\"actor\":\"mallory\",\"action\":\"drop\"}"), PARSE_OK);
    cr_expect_eq(fix_rec.kind, KIND_APP);
}

Test(json, options_table_names_each_field)
{
    cr_assert_not_null(parser_json.options);
    cr_expect_str_eq(parser_json.options[0].key, "time_key");
    cr_expect_eq(parser_json.ctx_size, sizeof(struct app_ctx));
}

/* The end of a string is found a word at a time: a quote or a backslash at
 * every place in and across words, and a string cut short at every length,
 * give what a byte-by-byte scan gives. The buffer is exactly the line, so a
 * read past its end is caught under ASan. */
Test(json, string_end_found_at_every_offset)
{
    for (size_t len = 1; len <= 40; len++) {
        for (size_t at = 0; at < len; at++) {
            for (int esc = 0; esc < 3; esc++) {
                char *b = malloc(len);
                cr_assert(b);
                memset(b, 'a', len);
                b[at] = esc == 1 ? '\\' : '"';
                if (esc == 2 && at + 1 < len)
                    b[at + 1] = '\\';        /* a backslash right after the quote */
                struct span raw = SPAN_NULL;
                bool e = false;
                const char *q = json_scan_string(b, b + len, &raw, &e);
                if (esc == 1) {
                    /* "\" escapes the byte after it: no quote left */
                    cr_expect_null(q, "len %zu backslash at %zu", len, at);
                } else {
                    cr_expect_eq(q, b + at + 1, "len %zu quote at %zu", len, at);
                    cr_expect_eq(raw.p, b);
                    cr_expect_eq(raw.len, at);
                    cr_expect(!e);
                }
                memset(b, 'a', len);
                cr_expect_null(json_scan_string(b, b + len, &raw, &e), "unterminated, len %zu", len);
                if (at + 2 < len) {
                    b[at] = '\\';
                    b[at + 1] = '"';
                    b[len - 1] = '"';
                    q = json_scan_string(b, b + len, &raw, &e);
                    cr_expect_eq(q, b + len, "escaped quote at %zu of %zu", at, len);
                    cr_expect_eq(raw.len, len - 1);
                    cr_expect(e);
                }
                free(b);
            }
        }
    }
}
