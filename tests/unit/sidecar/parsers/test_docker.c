/* test_docker.c - the docker json-file parser: unwrapping, partials joined,
 * escapes, hostile objects, and the inner parser. */
#include "tests/unit/sidecar/parsers/parser_fixture.h"

#include "sidecar/parsers/container.h"

extern const struct parser_plugin parser_docker;

static struct container_ctx ctx;
static struct parser dp = { &parser_docker, &ctx, 64 * 1024 };
static struct container_state st;

static void setup_inner(const char *inner)
{
    char err[128];
    memset(&ctx, 0, sizeof(ctx));
    memset(&st, 0, sizeof(st));
    ctx.inner = (char *)inner;
    cr_assert_eq(parser_docker.init(&dp, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
    parser_docker.state_fini(&dp, &st);
    parser_docker.destroy(&dp);
}

static enum parse_result run(const char *line)
{
    return fix_parse(&dp, &st, span_cstr(line));
}

TestSuite(docker, .fini = teardown);

Test(docker, fixtures_with_plain_inner)
{
    setup_inner("plain");
    fix_run(&dp, &st, "tests/data/parsers/docker/app");
}

Test(docker, log_is_unescaped_without_its_newline)
{
    setup_inner("plain");
    cr_assert_eq(run("{\"log\":\"a\\\"b\\tc \\u00e9\\r\\n\",\"stream\":\"stderr\",\"time\":\"2025-11-26T10:00:01Z\"}"),
                 PARSE_OK);
    cr_expect(span_eq_cstr(fix_rec.raw, "a\"b\tc \xc3\xa9\r"));
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_MSG), "a\"b\tc \xc3\xa9"));
    const struct field *s = record_find(&fix_rec, SPAN_LIT("stream"));
    cr_expect(s && span_eq_cstr(s->v.s, "stderr"));
}

Test(docker, partials_joined_with_json_inner)
{
    setup_inner("json");
    cr_expect_eq(run("{\"log\":\"{\\\"user\\\":\\\"al\",\"stream\":\"stdout\",\"time\":\"2025-11-26T10:00:01Z\"}"),
                 PARSE_PENDING);
    cr_assert_eq(run("{\"log\":\"ice\\\",\\\"action\\\":\\\"sudo\\\"}\\n\",\"stream\":\"stdout\",\"time\":\"2025-11-26T10:00:03Z\"}"),
                 PARSE_OK);
    cr_expect_eq(fix_rec.kind, KIND_AUDIT);
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_IDENTITY), "alice"));
    cr_expect_eq(fix_rec.ts, INT64_C(1764151201000000000));
}

Test(docker, flush_emits_a_held_partial)
{
    setup_inner("plain");
    cr_expect_eq(run("{\"log\":\"no newline yet\",\"stream\":\"stdout\"}"), PARSE_PENDING);
    record_init(&fix_rec, fix_arena, sizeof(fix_arena));
    cr_assert_eq(parser_docker.flush(&dp, &st, &fix_rec), PARSE_OK);
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_MSG), "no newline yet"));
    record_init(&fix_rec, fix_arena, sizeof(fix_arena));
    cr_expect_eq(parser_docker.flush(&dp, &st, &fix_rec), PARSE_SKIP);
}

Test(docker, every_prefix_is_safe)
{
    setup_inner("json");
    const char *line = "{\"log\":\"{\\\"a\\\":[1,{\\\"b\\\":\\\"\\\\u00e9\\\"}]}\\n\",\"attrs\":{\"x\":[1,2]},\"stream\":\"stdout\",\"time\":\"2025-11-26T10:00:01Z\"}";
    for (size_t i = 0; i < strlen(line); i++) {
        enum parse_result res = fix_parse(&dp, &st, span_make(line, i));
        cr_expect(res == PARSE_MALFORMED || res == PARSE_SKIP, "prefix %zu: %d", i, (int)res);
    }
    cr_expect_eq(run(line), PARSE_OK);
}
