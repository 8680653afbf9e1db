/* test_syslog_header.c - each syslog dialect, PRI, tags, and hostile input. */
#include <criterion/criterion.h>

#include <stdlib.h>

#include "sidecar/parsers/syslog_header.h"
#include "sidecar/timestamp.h"

#define S(lit) SPAN_LIT(lit)
#define SEC 1000000000LL
static const int64_t T0 = 1795687201LL * SEC;   /* 2026-11-26T10:00:01Z */

static void expect(struct span got, const char *want)
{
    cr_assert(span_eq(got, span_cstr(want)), "got '%.*s', want '%s'", (int)got.len,
              got.p ? got.p : "", want);
}

Test(syslog_header, rfc3164)
{
    struct syslog_header h;
    cr_assert(syslog_header_parse(S("Nov 26 10:00:01 web-1 sshd[123]: Accepted password"),
                                  T0, &h));
    cr_assert(h.has_ts);
    cr_assert_eq(h.ts, T0);
    cr_assert_eq(h.pri, -1);
    expect(h.host, "web-1");
    expect(h.app, "sshd");
    expect(h.pid, "123");
    expect(h.msg, "Accepted password");
}

Test(syslog_header, rfc3164_padded_day_and_no_pid)
{
    struct syslog_header h;
    cr_assert(syslog_header_parse(S("Nov  6 10:00:01 web-1 su: pam_unix(su:session)"), T0, &h));
    cr_assert_eq(h.ts, T0 - 20 * 86400 * SEC);
    expect(h.host, "web-1");
    expect(h.app, "su");
    cr_assert_eq(h.pid.len, 0);
    expect(h.msg, "pam_unix(su:session)");
}

Test(syslog_header, rfc3339_debian12)
{
    struct syslog_header h;
    cr_assert(syslog_header_parse(
        S("2026-11-26T11:00:01.123456+01:00 web-1 sudo:   alice : TTY=pts/0"), T0, &h));
    cr_assert_eq(h.ts, T0 + 123456000);
    expect(h.host, "web-1");
    expect(h.app, "sudo");
    expect(h.msg, "  alice : TTY=pts/0");
}

Test(syslog_header, journalctl_short_iso)
{
    struct syslog_header h;
    cr_assert(syslog_header_parse(S("2026-11-26T11:00:01+0100 web-1 sshd[99]: hello"), T0, &h));
    cr_assert_eq(h.ts, T0);
    expect(h.host, "web-1");
    expect(h.app, "sshd");
    expect(h.pid, "99");
    expect(h.msg, "hello");
}

Test(syslog_header, rfc5424)
{
    struct syslog_header h;
    cr_assert(syslog_header_parse(
        S("<34>1 2026-11-26T10:00:01.003Z web-1 sshd 123 ID47 [ex@1 k=\"a\\]b\"][x@2] msg here"),
        T0, &h));
    cr_assert_eq(h.pri, 34);
    cr_assert_eq(h.ts, T0 + 3000000);
    expect(h.host, "web-1");
    expect(h.app, "sshd");
    expect(h.pid, "123");
    expect(h.msgid, "ID47");
    expect(h.sd, "[ex@1 k=\"a\\]b\"][x@2]");
    expect(h.msg, "msg here");
}

Test(syslog_header, rfc5424_nil_values_and_bom)
{
    struct syslog_header h;
    cr_assert(syslog_header_parse(S("<13>1 - - - - - - \xEF\xBB\xBFhi"), T0, &h));
    cr_assert_not(h.has_ts);
    cr_assert_eq(h.host.len + h.app.len + h.pid.len + h.msgid.len, 0);
    expect(h.sd, "-");
    expect(h.msg, "hi");
}

Test(syslog_header, pri_before_bsd)
{
    struct syslog_header h;
    cr_assert(syslog_header_parse(S("<38>Nov 26 10:00:01 web-1 login[5]: ROOT LOGIN"), T0, &h));
    cr_assert_eq(h.pri, 38);
    expect(h.app, "login");
    expect(h.msg, "ROOT LOGIN");
}

Test(syslog_header, no_host_when_token_is_a_tag)
{
    struct syslog_header h;
    cr_assert(syslog_header_parse(S("<34>Oct 11 22:14:15 su: 'su root' failed"), T0, &h));
    cr_assert_eq(h.host.len, 0);
    expect(h.app, "su");
    expect(h.msg, "'su root' failed");
    cr_assert(syslog_header_parse(S("Oct 11 22:14:15 sshd[7]: x"), T0, &h));
    cr_assert_eq(h.host.len, 0);
    expect(h.app, "sshd");
}

Test(syslog_header, pri_without_time)
{
    struct syslog_header h;
    cr_assert(syslog_header_parse(S("<13>sshd[1]: msg"), T0, &h));
    cr_assert_not(h.has_ts);
    expect(h.app, "sshd");
    expect(h.msg, "msg");
}

Test(syslog_header, old_pam_tag)
{
    struct syslog_header h;
    cr_assert(syslog_header_parse(
        S("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure"), T0, &h));
    expect(h.app, "sshd(pam_unix)");
    expect(h.pid, "19939");
}

Test(syslog_header, no_tag_keeps_rest_as_msg)
{
    struct syslog_header h;
    cr_assert(syslog_header_parse(S("Nov 26 10:00:01 web-1 just words"), T0, &h));
    expect(h.host, "web-1");
    cr_assert_eq(h.app.len, 0);
    expect(h.msg, "just words");
}

Test(syslog_header, not_a_header)
{
    struct syslog_header h;
    cr_assert_not(syslog_header_parse(S("hello world"), T0, &h));
    expect(h.msg, "hello world");
    cr_assert_not(syslog_header_parse(S(""), T0, &h));
    cr_assert_not(syslog_header_parse(S("<999>x"), T0, &h));
    cr_assert_not(syslog_header_parse(S("2026-11-26T10:00:01Zjunk"), T0, &h));
    cr_assert_eq(h.host.len, 0);
}

Test(syslog_header, hostile_input_stays_in_bounds)
{
    /* truncations of a valid line at every length, a NUL inside, a huge tag */
    static const char full[] = "<34>1 2026-11-26T10:00:01Z web-1 sshd 123 ID [a k=\"v\"] m";
    struct syslog_header h;
    for (size_t n = 0; n < sizeof(full) - 1; n++) {
        char *copy = malloc(n ? n : 1);
        memcpy(copy, full, n);
        syslog_header_parse(span_make(copy, n), T0, &h);
        cr_assert(h.msg.p >= copy && h.msg.p + h.msg.len <= copy + n);
        free(copy);
    }
    static const char bsd[] = "Nov 26 10:00:01 web-1 sshd[123]: x";
    for (size_t n = 0; n < sizeof(bsd) - 1; n++) {
        char *copy = malloc(n ? n : 1);
        memcpy(copy, bsd, n);
        syslog_header_parse(span_make(copy, n), T0, &h);
        cr_assert(h.msg.p >= copy && h.msg.p + h.msg.len <= copy + n);
        free(copy);
    }
    cr_assert(syslog_header_parse(span_make("Nov 26 10:00:01 h s\0d[1]: m", 27), T0, &h));
    cr_assert(span_eq(h.app, span_make("s\0d", 3)));
    size_t big = 1 << 20;
    char *line = malloc(big);
    memcpy(line, "Nov 26 10:00:01 h ", 18);
    memset(line + 18, 'a', big - 18);
    cr_assert(syslog_header_parse(span_make(line, big), T0, &h));
    cr_assert_eq(h.app.len, 0);
    cr_assert_eq(h.msg.len, big - 18);
    free(line);
}
