/* test_log.c - escaping of diagnostics: no input byte may forge a line or
 * reach the terminal as a control sequence. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sidecar/limits.h"
#include "sidecar/log.h"

static const char *esc(const char *s, size_t n, char quote)
{
    static char out[256];
    log_escape(out, sizeof(out), s, n, quote);
    return out;
}

Test(log, control_bytes_and_newlines_are_escaped)
{
    cr_assert_str_eq(esc("a\nb\tc\rd", 7, 0), "a\\nb\\tc\\rd");
    cr_assert_str_eq(esc("\x1b[31mred", 8, 0), "\\x1b[31mred");
    cr_assert_str_eq(esc("nul\0x", 5, 0), "nul\\x00x");
    cr_assert_str_eq(esc("\x7f", 1, 0), "\\x7f");
}

Test(log, quotes_and_backslashes_are_escaped_for_logfmt)
{
    cr_assert_str_eq(esc("say \"hi\" \\o/", 12, '"'), "say \\\"hi\\\" \\\\o/");
    cr_assert_str_eq(esc("it's", 4, 0), "it's");
}

Test(log, valid_utf8_passes_invalid_and_c1_controls_do_not)
{
    cr_assert_str_eq(esc("caf\xc3\xa9", 5, 0), "caf\xc3\xa9");
    cr_assert_str_eq(esc("\xff\xfe", 2, 0), "\\xff\\xfe");
    cr_assert_str_eq(esc("\xc0\xaf", 2, 0), "\\xc0\\xaf");          /* overlong '/' */
    cr_assert_str_eq(esc("\xc2\x9b" "31m", 5, 0), "\\xc2\\x9b31m"); /* C1 CSI */
    cr_assert_str_eq(esc("\xe2\x80\xa8", 3, 0), "\\xe2\\x80\\xa8"); /* line separator */
    cr_assert_str_eq(esc("\xe2\x82", 2, 0), "\\xe2\\x82");          /* cut short */
}

Test(log, output_is_bounded_and_marked_when_cut)
{
    char big[1000];
    memset(big, '\n', sizeof(big));
    char out[64];
    size_t n = log_escape(out, sizeof(out), big, sizeof(big), 0);
    cr_assert_lt(n, sizeof(out));
    cr_assert_eq(strlen(out), n);
    cr_assert(n >= 3 && memcmp(out + n - 3, "...", 3) == 0, "%s", out);
}

Test(log, levels_parse_by_name)
{
    enum log_level l;
    cr_assert_eq(log_level_parse("warn", &l), 0);
    cr_assert_eq(l, LOG_WARN);
    cr_assert_eq(log_level_parse("warning", &l), 0);
    cr_assert_eq(l, LOG_WARN);
    cr_assert_eq(log_level_parse("loud", &l), -1);
}

/* An error repeated thousands of times prints one line per interval, and the
 * next line says how many were held back. */
Test(log, repeated_errors_are_rate_limited_with_a_count)
{
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    fflush(stderr);
    dup2(fileno(tmp), STDERR_FILENO);
    struct log_limit ll = { 0 };
    int64_t t0 = 1000000;
    for (int i = 0; i < 5000; i++)     /* 5000 failures within 5 s */
        log_limited_at(&ll, t0 + i, 28, LOG_ERROR, NULL, "write failed: %s", "No space left on device");
    log_limited_at(&ll, t0 + LOG_LIMIT_INTERVAL_MS + 5000, 28, LOG_ERROR, NULL, "write failed: %s",
                   "No space left on device");
    log_limited_at(&ll, t0 + LOG_LIMIT_INTERVAL_MS + 5001, 2, LOG_ERROR, NULL, "another error");
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char out[4096] = "";
    rewind(tmp);
    size_t n = fread(out, 1, sizeof(out) - 1, tmp);
    out[n] = 0;
    fclose(tmp);
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += out[i] == '\n';
    cr_assert_eq(lines, 3, "%s", out);
    cr_assert(strstr(out, "suppressed=\"4999\""), "%s", out);
    cr_assert(strstr(out, "msg=\"another error\"\n"), "a new error is not held back: %s", out);
}

/* libevent's own warnings (here: epoll refusing a regular file, 1000 times)
 * come out as vigil's logfmt lines, rate-limited, not as raw [warn] lines. */
Test(log, libevent_messages_are_logfmt_and_rate_limited)
{
    log_route_libevent();
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    fflush(stderr);
    dup2(fileno(tmp), STDERR_FILENO);
    struct event_base *base = event_base_new();
    FILE *reg = tmpfile();
    for (int i = 0; i < 1000; i++) {
        struct event *ev = event_new(base, fileno(reg), EV_READ, NULL, NULL);
        event_add(ev, NULL);
        event_free(ev);
    }
    event_base_free(base);
    fclose(reg);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char out[8192] = "";
    rewind(tmp);
    size_t n = fread(out, 1, sizeof(out) - 1, tmp);
    out[n] = 0;
    fclose(tmp);
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += out[i] == '\n';
    cr_assert_geq(lines, 1, "libevent said nothing: %s", out);
    cr_assert_leq(lines, 2, "%d lines:\n%s", lines, out);
    cr_assert(strncmp(out, "ts=", 3) == 0, "%s", out);
    cr_assert(strstr(out, "source=\"libevent\""), "%s", out);
    cr_assert_null(strstr(out, "[warn]"), "%s", out);
}
