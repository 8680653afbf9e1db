/* test_logfmt.c - the logfmt parser: fixtures (go-kit, logrus, Grafana
 * style lines, audit/egress shapes, hostile bytes) and pair-level checks. */
#include "tests/unit/sidecar/parsers/parser_fixture.h"

#include "sidecar/parsers/app_kind.h"

extern const struct parser_plugin parser_logfmt;

static struct app_ctx ctx;
static struct parser lp = { &parser_logfmt, &ctx, 64 * 1024 };

static void setup(void)
{
    char err[128];
    memset(&ctx, 0, sizeof(ctx));
    cr_assert_eq(parser_logfmt.init(&lp, err, sizeof(err)), 0, "%s", err);
}

TestSuite(logfmt, .init = setup);

Test(logfmt, fixtures)
{
    fix_run(&lp, NULL, "tests/data/parsers/logfmt/app");
}

Test(logfmt, pairs_quotes_and_bare_keys)
{
    const char *line = "a=1 b=\"two words\" c=\"x\\\"y\\\\z\\n\" flag d= e=end";
    cr_assert_eq(fix_parse(&lp, NULL, span_cstr(line)), PARSE_OK);
    const struct field *f = fix_rec.fields;
    cr_assert_eq(fix_rec.nfields, 6);
    cr_expect(span_eq_cstr(f[0].key, "a") && span_eq_cstr(f[0].v.s, "1"));
    cr_expect(span_eq_cstr(f[1].v.s, "two words"));
    cr_expect(f[1].v.s.p > line && f[1].v.s.p < line + strlen(line), "unescaped value is borrowed");
    cr_expect(span_eq_cstr(f[2].v.s, "x\"y\\z\n"));
    cr_expect(span_eq_cstr(f[3].key, "flag") && f[3].type == FT_BOOL && f[3].v.b);
    cr_expect(span_eq_cstr(f[4].key, "d") && f[4].type == FT_STR && f[4].v.s.len == 0);
    cr_expect(span_eq_cstr(f[5].v.s, "end"));
}

Test(logfmt, unterminated_quote_keeps_earlier_pairs)
{
    cr_assert_eq(fix_parse(&lp, NULL, SPAN_LIT("level=warn user=a msg=\"oops")), PARSE_MALFORMED);
    cr_expect_str_eq(fix_rec.parse_error, "logfmt: unterminated quote");
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_LEVEL), "warn"));
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_USER), "a"));
    cr_expect_null(record_get(&fix_rec, RK_MSG));
}

static char big[(1u << 20) + 64];

Test(logfmt, one_mebibyte_value)
{
    size_t n = (size_t)sprintf(big, "msg=");
    memset(big + n, 'y', 1u << 20);
    n += 1u << 20;
    n += (size_t)sprintf(big + n, " level=info");
    cr_assert_eq(fix_parse(&lp, NULL, span_make(big, n)), PARSE_OK);
    cr_expect_eq(record_str(&fix_rec, RK_MSG).len, 1u << 20);
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_LEVEL), "info"));
}

Test(logfmt, more_pairs_than_the_record_holds)
{
    size_t n = 0;
    for (int i = 0; i < 400; i++)
        n += (size_t)sprintf(big + n, "k%d=%d ", i, i);
    cr_assert_eq(fix_parse(&lp, NULL, span_make(big, n)), PARSE_OK);
    cr_expect(fix_rec.overflow);
    cr_expect_eq(fix_rec.nfields, RECORD_MAX_FIELDS);
}

Test(logfmt, nul_bytes_are_data)
{
    static const char line[] = "k\0x=v\0w other=1";
    cr_assert_eq(fix_parse(&lp, NULL, span_make(line, sizeof(line) - 1)), PARSE_OK);
    cr_assert_eq(fix_rec.nfields, 2);
    cr_expect(span_eq(fix_rec.fields[0].key, span_make("k\0x", 3)));
    cr_expect(span_eq(fix_rec.fields[0].v.s, span_make("v\0w", 3)));
}

Test(logfmt, every_prefix_is_safe)
{
    const char *line = "ts=2025-11-26T10:00:01Z level=info msg=\"a \\\"b\\\" c\" user=x action=y";
    for (size_t i = 0; i <= strlen(line); i++) {
        enum parse_result res = fix_parse(&lp, NULL, span_make(line, i));
        cr_expect(res == PARSE_OK || res == PARSE_MALFORMED || res == PARSE_SKIP);
    }
    cr_expect_eq(fix_rec.kind, KIND_AUDIT);
}
