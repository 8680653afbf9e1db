/* test_cri.c - the cri parser: framing, partial lines joined per stream,
 * truncation at max_line_bytes, flush, and the inner parser. */
#include "tests/unit/sidecar/parsers/parser_fixture.h"

#include "sidecar/parsers/container.h"

extern const struct parser_plugin parser_cri;

static struct container_ctx ctx;
static struct parser cp = { &parser_cri, &ctx, 64 * 1024 };
static struct container_state st;

static void setup_inner(const char *inner, size_t max_line)
{
    char err[128];
    memset(&ctx, 0, sizeof(ctx));
    memset(&st, 0, sizeof(st));
    ctx.inner = (char *)inner;
    cp.max_line_bytes = max_line;
    cr_assert_eq(parser_cri.init(&cp, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
    parser_cri.state_fini(&cp, &st);
    parser_cri.destroy(&cp);
}

static enum parse_result run(const char *line)
{
    return fix_parse(&cp, &st, span_cstr(line));
}

TestSuite(cri, .fini = teardown);

Test(cri, fixtures_with_json_inner)
{
    setup_inner("json", 64 * 1024);
    fix_run(&cp, &st, "tests/data/parsers/cri/app");
}

Test(cri, message_is_the_unwrapped_line_and_stream_is_added)
{
    setup_inner(NULL, 64 * 1024);   /* default inner: plain */
    cr_assert_eq(run("2025-11-26T10:00:01.5Z stderr F ERROR disk full"), PARSE_OK);
    cr_expect(span_eq_cstr(fix_rec.raw, "ERROR disk full"));
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_LEVEL), "error"));
    const struct field *s = record_find(&fix_rec, SPAN_LIT("stream"));
    cr_assert(s);
    cr_expect(span_eq_cstr(s->v.s, "stderr"));
    cr_expect(fix_rec.ts_from_line);
    cr_expect_eq(fix_rec.ts, INT64_C(1764151201500000000));
}

Test(cri, partials_join_per_stream)
{
    setup_inner("plain", 64 * 1024);
    cr_expect_eq(run("2025-11-26T10:00:01Z stdout P out-1 "), PARSE_PENDING);
    cr_expect_eq(run("2025-11-26T10:00:02Z stderr P err-1 "), PARSE_PENDING);
    cr_expect_eq(run("2025-11-26T10:00:03Z stdout P out-2 "), PARSE_PENDING);
    cr_assert_eq(run("2025-11-26T10:00:04Z stderr F err-2"), PARSE_OK);
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_MSG), "err-1 err-2"));
    cr_expect_eq(fix_rec.ts, INT64_C(1764151202000000000));
    cr_assert_eq(run("2025-11-26T10:00:05Z stdout F out-3"), PARSE_OK);
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_MSG), "out-1 out-2 out-3"));
    cr_expect_eq(fix_rec.ts, INT64_C(1764151201000000000));
    cr_expect_not(fix_rec.truncated);
}

Test(cri, joined_line_is_cut_at_max_line_bytes)
{
    setup_inner("plain", 16);
    cr_expect_eq(run("2025-11-26T10:00:01Z stdout P 0123456789"), PARSE_PENDING);
    cr_expect_eq(run("2025-11-26T10:00:01Z stdout P abcdefghij"), PARSE_PENDING);
    cr_assert_eq(run("2025-11-26T10:00:01Z stdout F KLMNOP"), PARSE_OK);
    cr_expect(fix_rec.truncated);
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_MSG), "0123456789abcdef"));
}

Test(cri, flush_emits_each_held_line_then_skips)
{
    setup_inner("plain", 64 * 1024);
    struct record *r = &fix_rec;
    cr_expect_eq(run("2025-11-26T10:00:01Z stdout P left over"), PARSE_PENDING);
    cr_expect_eq(run("2025-11-26T10:00:01Z stderr P other"), PARSE_PENDING);
    record_init(r, fix_arena, sizeof(fix_arena));
    cr_assert_eq(parser_cri.flush(&cp, &st, r), PARSE_OK);
    cr_expect(span_eq_cstr(record_str(r, RK_MSG), "left over"));
    record_init(r, fix_arena, sizeof(fix_arena));
    cr_assert_eq(parser_cri.flush(&cp, &st, r), PARSE_OK);
    cr_expect(span_eq_cstr(record_str(r, RK_MSG), "other"));
    record_init(r, fix_arena, sizeof(fix_arena));
    cr_expect_eq(parser_cri.flush(&cp, &st, r), PARSE_SKIP);
}

Test(cri, inner_parser_must_exist_and_not_be_a_container)
{
    char err[128];
    memset(&ctx, 0, sizeof(ctx));
    ctx.inner = "nope";
    cr_expect_eq(parser_cri.init(&cp, err, sizeof(err)), -1);
    ctx.inner = "docker";
    cr_expect_eq(parser_cri.init(&cp, err, sizeof(err)), -1);
    ctx.inner = "cri";
    cr_expect_eq(parser_cri.init(&cp, err, sizeof(err)), -1);
    ctx.inner = "logfmt";
    cr_assert_eq(parser_cri.init(&cp, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(run("2025-11-26T10:00:01Z stdout F actor=a action=b"), PARSE_OK);
    cr_expect_eq(fix_rec.kind, KIND_AUDIT);
}

static char big[(1u << 20) + 128];

Test(cri, one_mebibyte_line)
{
    setup_inner("plain", 2u << 20);
    size_t n = (size_t)sprintf(big, "2025-11-26T10:00:01Z stdout F ");
    memset(big + n, 'q', 1u << 20);
    n += 1u << 20;
    cr_assert_eq(fix_parse(&cp, &st, span_make(big, n)), PARSE_OK);
    cr_expect_eq(record_str(&fix_rec, RK_MSG).len, 1u << 20);
}
