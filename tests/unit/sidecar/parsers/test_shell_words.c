/* test_shell_words.c - the shell lexer: words, pipelines, unquoting, argv0. */
#include <criterion/criterion.h>

#include "sidecar/parsers/shell_words.h"

#define S(lit) SPAN_LIT(lit)

static void expect(struct span got, const char *want)
{
    cr_assert(span_eq(got, span_cstr(want)), "got '%.*s', want '%s'", (int)got.len,
              got.p ? got.p : "", want);
}

Test(shell_words, words_quotes_and_operators)
{
    struct span w[16];
    size_t total;
    size_t n = shell_split_words(S("a 'b c' \"d \\\" e\" f\\ g|h&&i 2>&1"), w, 16, &total);
    cr_assert_eq(n, 9);
    cr_assert_eq(total, 9);
    expect(w[0], "a");
    expect(w[1], "'b c'");
    expect(w[2], "\"d \\\" e\"");
    expect(w[3], "f\\ g");
    expect(w[4], "|");
    expect(w[5], "h");
    expect(w[6], "&&");
    expect(w[7], "i");
    expect(w[8], "2>&1");
}

Test(shell_words, bounded_output_counts_the_rest)
{
    struct span w[2];
    size_t total;
    cr_assert_eq(shell_split_words(S("a b c d"), w, 2, &total), 2);
    cr_assert_eq(total, 4);
}

Test(shell_words, unterminated_quote_runs_to_end)
{
    struct span w[4];
    cr_assert_eq(shell_split_words(S("echo 'a | b"), w, 4, NULL), 2);
    expect(w[1], "'a | b");
    struct span c[4];
    cr_assert_eq(shell_split_pipeline(S("echo \"x ; y"), c, 4, NULL), 1);
}

Test(shell_words, pipeline_split)
{
    struct span c[8];
    size_t n = shell_split_pipeline(S(" a | b 'c|d' ;; e && f || g & h ; $(i | j) `k | l`; "), c, 8, NULL);
    cr_assert_eq(n, 7);
    expect(c[0], "a");
    expect(c[1], "b 'c|d'");
    expect(c[2], "e");
    expect(c[3], "f");
    expect(c[4], "g");
    expect(c[5], "h");
    expect(c[6], "$(i | j) `k | l`");
}

Test(shell_words, unquote)
{
    char out[64];
    size_t n = shell_unquote(S("'a b'\"c\\\"d\\x\"e\\ f"), out, sizeof(out));
    cr_assert_eq(n, 11);
    cr_assert_eq(memcmp(out, "a bc\"d\\xe f", 11), 0);
    cr_assert_eq(shell_unquote(S("abcdef"), out, 3), 3);
    cr_assert(shell_word_is_plain(S("abc")));
    cr_assert_not(shell_word_is_plain(S("a'b")));
}

static struct span argv0_of(const char *cmd, bool *sudo)
{
    static struct span w[32];
    size_t n = shell_split_words(span_cstr(cmd), w, 32, NULL);
    return shell_argv0(w, n, NULL, sudo);
}

Test(shell_words, argv0_skips_wrappers)
{
    bool sudo;
    expect(argv0_of("/usr/bin/ls -l", &sudo), "ls");
    cr_assert_not(sudo);
    expect(argv0_of("sudo -u bob -E /opt/x/run.sh", &sudo), "run.sh");
    cr_assert(sudo);
    expect(argv0_of("A=1 B='x y' env -i -u HOME C=3 nohup nice -n 10 time -p exec python3", &sudo), "python3");
    cr_assert_not(sudo);
    expect(argv0_of("sudo -- rm -rf /", &sudo), "rm");
    expect(argv0_of("sudo -i", &sudo), "sudo");
    cr_assert(sudo);
    expect(argv0_of("'/bin/my tool' x", &sudo), "my tool");
    expect(argv0_of("X=1", &sudo), "");
    expect(argv0_of("| x", &sudo), "");
    size_t idx = 99;
    struct span w[8];
    size_t n = shell_split_words(S("nohup ./a.out"), w, 8, NULL);
    expect(shell_argv0(w, n, &idx, NULL), "a.out");
    cr_assert_eq(idx, 1);
}
