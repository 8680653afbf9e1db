/* test_line_filter.c - include_lines / exclude_lines: matching spans in
 * place (no NUL needed, NUL bytes inside), include before exclude, no
 * filter at all when both lists are empty, bad regexes refused. */
#include <criterion/criterion.h>
#include <string.h>

#include "sidecar/line_filter.h"

static struct conf_strlist list(char **v, size_t n)
{
    return (struct conf_strlist){ v, n };
}

Test(line_filter, none_when_empty)
{
    struct conf_strlist e = { 0 };
    bool none = false;
    char err[128];
    cr_assert_null(line_filter_new(&e, &e, &none, err, sizeof(err)));
    cr_assert(none);
    cr_assert(line_filter_keep(NULL, SPAN_LIT("anything")));
}

Test(line_filter, exclude_and_include)
{
    char *inc[] = { "sshd|sudo" }, *exc[] = { "^GET /healthz", "Accepted publickey for (ci|deploy) " };
    struct conf_strlist il = list(inc, 1), el = list(exc, 2);
    bool none = true;
    char err[128];
    struct line_filter *f = line_filter_new(&il, &el, &none, err, sizeof(err));
    cr_assert_not_null(f, "%s", err);
    cr_assert(!none);
    cr_assert(line_filter_keep(f, SPAN_LIT("sshd[1]: Failed password for root")));
    cr_assert(!line_filter_keep(f, SPAN_LIT("cron[1]: job")), "not included");
    cr_assert(!line_filter_keep(f, SPAN_LIT("sshd[1]: Accepted publickey for ci from 10.0.0.1")));
    cr_assert(line_filter_keep(f, SPAN_LIT("sshd[1]: Accepted publickey for cim from 10.0.0.1")));
    /* the span ends where it says, not at a NUL: "sudo" lies past its end */
    const char buf[] = "cron x sudo";
    cr_assert(!line_filter_keep(f, span_make(buf, 6)));
    /* a NUL byte inside does not end the line early */
    const char nul[] = "cron\0 sshd";
    cr_assert(line_filter_keep(f, span_make(nul, sizeof(nul) - 1)));
    line_filter_free(f);
}

Test(line_filter, exclude_only_anchors)
{
    char *exc[] = { "^$", "health" };
    struct conf_strlist il = { 0 }, el = list(exc, 2);
    bool none;
    char err[128];
    struct line_filter *f = line_filter_new(&il, &el, &none, err, sizeof(err));
    cr_assert_not_null(f);
    cr_assert(!line_filter_keep(f, span_make("", 0)));
    cr_assert(!line_filter_keep(f, SPAN_LIT("GET /health 200")));
    cr_assert(line_filter_keep(f, SPAN_LIT("GET /orders 200")));
    line_filter_free(f);
}

Test(line_filter, bad_regex)
{
    char *exc[] = { "ok", "a(b" };
    struct conf_strlist il = { 0 }, el = list(exc, 2);
    bool none;
    char err[128] = "";
    cr_assert_null(line_filter_new(&il, &el, &none, err, sizeof(err)));
    cr_assert(!none);
    cr_assert(strstr(err, "a(b"), "%s", err);
    cr_assert_eq(line_filter_check("a(b", err, sizeof(err)), -1);
    cr_assert_eq(line_filter_check("a(b)?", err, sizeof(err)), 0);
}
