/* test_plain.c - the plain parser: leading times in the usual shapes, level
 * words, and lines that only look like they have either. */
#include "tests/unit/sidecar/parsers/parser_fixture.h"

extern const struct parser_plugin parser_plain;

static struct parser pp = { &parser_plain, NULL, 64 * 1024 };

Test(plain, fixtures)
{
    fix_run(&pp, NULL, "tests/data/parsers/plain/app");
}

Test(plain, msg_is_the_rest_without_time_and_leading_level)
{
    cr_assert_eq(fix_parse(&pp, NULL, SPAN_LIT("2025-11-26T10:00:01Z ERROR: db down\r")), PARSE_OK);
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_MSG), "db down"));
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_LEVEL), "error"));
    cr_assert_eq(fix_parse(&pp, NULL, SPAN_LIT("2025-11-26T10:00:01Z web-1 WARN x")), PARSE_OK);
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_MSG), "web-1 WARN x"));
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_LEVEL), "warn"));
}

Test(plain, no_time_keeps_read_time)
{
    cr_assert_eq(fix_parse(&pp, NULL, SPAN_LIT("just words")), PARSE_OK);
    cr_expect_not(fix_rec.ts_from_line);
    cr_expect_eq(fix_rec.ts, FIX_READ_TS);
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_MSG), "just words"));
}

static char big[(1u << 20) + 64];

Test(plain, one_mebibyte_line)
{
    size_t n = (size_t)sprintf(big, "2025-11-26T10:00:01Z INFO ");
    memset(big + n, 'z', 1u << 20);
    n += 1u << 20;
    cr_assert_eq(fix_parse(&pp, NULL, span_make(big, n)), PARSE_OK);
    cr_expect_eq(record_str(&fix_rec, RK_MSG).len, 1u << 20);
}

Test(plain, every_prefix_is_safe)
{
    const char *line = "[2025-11-26 10:00:01.5+01:00] [warn] x";
    for (size_t i = 0; i <= strlen(line); i++) {
        enum parse_result res = fix_parse(&pp, NULL, span_make(line, i));
        cr_expect(res == PARSE_OK || res == PARSE_SKIP);
    }
    cr_expect(fix_rec.ts_from_line);
}
