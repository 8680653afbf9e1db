/* test_shell.c - bash, zsh and fish history through the shell parser. */
#include "fixture.h"

extern const struct parser_plugin parser_shell;

#define SEC 1000000000LL
static const int64_t READ_TS = 1795687201LL * SEC;   /* 2026-11-26T10:00:01Z */

struct shell_ctx_view { char *user; };   /* the parser's options struct */

Test(shell, fixture_bash_plain)
{
    fx_run(&parser_shell, NULL, "shell/bash_plain", SPAN_LIT("/home/alice/.bash_history"), READ_TS);
}
Test(shell, fixture_bash_timed)
{
    fx_run(&parser_shell, NULL, "shell/bash_timed", SPAN_LIT("/root/.bash_history"), READ_TS);
}
Test(shell, fixture_zsh)
{
    fx_run(&parser_shell, NULL, "shell/zsh", SPAN_LIT("/home/bob/.zsh_history"), READ_TS);
}
Test(shell, fixture_fish)
{
    static struct shell_ctx_view ctx = { .user = "carol" };
    fx_run(&parser_shell, &ctx, "shell/fish", SPAN_LIT("/srv/fish_history"), READ_TS);
}

static char arena[1 << 16];

Test(shell, hostile_lines_and_state_across_calls)
{
    struct parser p = { .plugin = &parser_shell, .max_line_bytes = 64 };
    void *st = calloc(1, parser_shell.state_size);
    static struct record r;
    record_init(&r, arena, sizeof(arena));
    /* NUL, escapes, invalid UTF-8: still one record each */
    static const char nul[] = "echo a\0b | c";
    r.path = SPAN_LIT("/home/x/.bash_history");
    cr_assert_eq(parser_shell.parse(&p, st, &r, span_make(nul, sizeof(nul) - 1)), PARSE_OK);
    cr_assert_eq(r.kind, KIND_SHELL);
    cr_assert(span_eq(record_str(&r, RK_USER), SPAN_LIT("x")));
    record_reset(&r);
    cr_assert_eq(parser_shell.parse(&p, st, &r, SPAN_LIT("\x1b]0;\x07\xff\xfe '")), PARSE_OK);
    /* a zsh continuation longer than max_line_bytes is cut, not grown */
    record_reset(&r);
    cr_assert_eq(parser_shell.parse(&p, st, &r, SPAN_LIT(": 1764150000:0;a\\")), PARSE_PENDING);
    for (int i = 0; i < 10; i++) {
        record_reset(&r);
        cr_assert_eq(parser_shell.parse(&p, st, &r,
                                        SPAN_LIT("0123456789012345678901234567890123\\")),
                     PARSE_PENDING);
    }
    record_reset(&r);
    cr_assert_eq(parser_shell.parse(&p, st, &r, SPAN_LIT("end")), PARSE_OK);
    cr_assert(r.truncated);
    cr_assert_eq(record_str(&r, RK_COMMAND).len, 64);
    /* flush with nothing held */
    record_reset(&r);
    cr_assert_eq(parser_shell.flush(&p, st, &r), PARSE_SKIP);
    parser_shell.state_fini(&p, st);
    free(st);
}

Test(shell, one_mib_line)
{
    struct parser p = { .plugin = &parser_shell, .max_line_bytes = 1 << 20 };
    void *st = calloc(1, parser_shell.state_size);
    static struct record r;
    record_init(&r, arena, sizeof(arena));
    size_t n = 1 << 20;
    char *line = malloc(n);
    for (size_t i = 0; i < n; i++)
        line[i] = "a |'\"\\$(` ;&"[i % 12];
    cr_assert_eq(parser_shell.parse(&p, st, &r, span_make(line, n)), PARSE_OK);
    cr_assert_eq(record_str(&r, RK_COMMAND).len, n);
    cr_assert_not_null(record_get(&r, RK_ARGV));
    parser_shell.state_fini(&p, st);
    free(line);
    free(st);
}

Test(shell, option_user_wins_over_path)
{
    static struct shell_ctx_view ctx = { .user = "svc" };
    struct parser p = { .plugin = &parser_shell, .ctx = &ctx };
    void *st = calloc(1, parser_shell.state_size);
    static struct record r;
    record_init(&r, arena, sizeof(arena));
    r.path = SPAN_LIT("/home/alice/.bash_history");
    cr_assert_eq(parser_shell.parse(&p, st, &r, SPAN_LIT("id")), PARSE_OK);
    cr_assert(span_eq(record_str(&r, RK_USER), SPAN_LIT("svc")));
    free(st);
}
