/* test_auth.c - the auth parser over fixtures of real-world message shapes,
 * plus hostile lines (NUL, escapes, invalid UTF-8, 1 MiB, truncation). */
#include "fixture.h"

extern const struct parser_plugin parser_auth;

#define SEC 1000000000LL
static const int64_t READ_TS = (1795687201LL + 7200) * SEC;   /* 2026-11-26T12:00:01Z */

Test(auth, fixture_sshd) { fx_run(&parser_auth, NULL, "auth/sshd", SPAN_NULL, READ_TS); }
Test(auth, fixture_sudo_su_login) { fx_run(&parser_auth, NULL, "auth/sudo_su_login", SPAN_NULL, READ_TS); }
Test(auth, fixture_accounts) { fx_run(&parser_auth, NULL, "auth/accounts", SPAN_NULL, READ_TS); }
Test(auth, fixture_headers) { fx_run(&parser_auth, NULL, "auth/headers", SPAN_NULL, READ_TS); }

static char arena[1 << 16];

static enum parse_result parse(struct record *r, struct span line)
{
    struct parser p = { .plugin = &parser_auth };
    record_init(r, arena, sizeof(arena));
    r->raw = line;
    r->read_ts = r->ts = READ_TS;
    return parser_auth.parse(&p, NULL, r, line);
}

static bool str_is(const struct record *r, enum rkey k, const char *want)
{
    return span_eq(record_str(r, k), span_cstr(want));
}

Test(auth, record_carries_time_host_and_repeat)
{
    static struct record r;
    struct span line = SPAN_LIT("Nov 26 10:00:48 web-1 sshd[9]: message repeated 3 times: "
                                "[ Failed password for root from 203.0.113.9 port 22 ssh2]");
    cr_assert_eq(parse(&r, line), PARSE_OK);
    cr_assert_eq(r.kind, KIND_AUTH);
    cr_assert(r.ts_from_line);
    cr_assert_eq(r.ts, (1795687201LL + 47) * SEC);
    cr_assert(span_eq(r.host, SPAN_LIT("web-1")));
    cr_assert_eq(r.repeat, 3);
    cr_assert(str_is(&r, RK_ACTION, "login_failure"));
    int64_t port = 0, rep = 0;
    cr_assert(record_int(&r, RK_SRC_PORT, &port));
    cr_assert_eq(port, 22);
    cr_assert(record_int(&r, RK_REPEAT, &rep));
    cr_assert_eq(rep, 3);
    cr_assert(span_eq(r.raw, line));
}

Test(auth, unknown_line_is_other_never_dropped)
{
    static struct record r;
    cr_assert_eq(parse(&r, SPAN_LIT("Nov 26 10:00:01 h polkitd[1]: something else")), PARSE_OK);
    cr_assert(str_is(&r, RK_ACTION, "other"));
    cr_assert(str_is(&r, RK_SERVICE, "polkitd"));
    cr_assert_eq(parse(&r, SPAN_LIT("")), PARSE_MALFORMED);
    cr_assert(str_is(&r, RK_ACTION, "other"));
    cr_assert_not_null(r.parse_error);
}

Test(auth, nul_bytes_escapes_and_invalid_utf8)
{
    static struct record r;
    static const char nul[] = "Nov 26 10:00:01 h sshd[1]: Failed password for ro\0ot from 10.0.0.\0 port 22 ssh2";
    cr_assert_eq(parse(&r, span_make(nul, sizeof(nul) - 1)), PARSE_OK);
    cr_assert(str_is(&r, RK_ACTION, "login_failure"));
    cr_assert(span_eq(record_str(&r, RK_USER), span_make("ro\0ot", 5)));
    static const char esc[] = "Nov 26 10:00:01 h sshd[1]: Invalid user \x1b[31mevil\x1b[0m from 10.0.0.1 port 1";
    cr_assert_eq(parse(&r, SPAN_LIT(esc)), PARSE_OK);
    cr_assert(str_is(&r, RK_USER, "\x1b[31mevil\x1b[0m"));
    static const char bad[] = "Nov 26 10:00:01 h sshd[1]: Invalid user \xff\xfe\xc3 from 10.0.0.1 port 1";
    cr_assert_eq(parse(&r, SPAN_LIT(bad)), PARSE_OK);
    cr_assert(str_is(&r, RK_USER, "\xff\xfe\xc3"));
}

Test(auth, truncated_lines_stay_in_bounds)
{
    static const char *const lines[] = {
        "Nov 26 10:00:02 web-1 sshd[1]: Accepted publickey for deploy from 198.51.100.7 port 40022 ssh2: RSA SHA256:x",
        "Nov 26 11:00:06 web-1 sudo: deploy : TTY=unknown ; PWD=/srv ; USER=www-data ; ENV=A=1 COMMAND=/bin/x",
        "Nov 26 11:00:14 web-1 su[1]: pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)",
        "Nov 26 10:00:46 web-1 sshd[1]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root",
        "Nov 26 10:00:48 web-1 sshd[1]: message repeated 5 times: [ Failed password for root from 203.0.113.9 port 60111 ssh2]",
    };
    static struct record r;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        size_t n = strlen(lines[i]);
        for (size_t cut = 0; cut <= n; cut++) {
            char *copy = malloc(cut ? cut : 1);   /* exact size: ASan sees overreads */
            memcpy(copy, lines[i], cut);
            enum parse_result res = parse(&r, span_make(copy, cut));
            cr_assert(res == PARSE_OK || res == PARSE_MALFORMED);
            cr_assert_not_null(record_get(&r, RK_ACTION));
            free(copy);
        }
    }
}

Test(auth, one_mib_line)
{
    static struct record r;
    size_t n = 1 << 20;
    char *line = malloc(n);
    const char pre[] = "Nov 26 10:00:01 h sshd[1]: Failed password for ";
    memcpy(line, pre, sizeof(pre) - 1);
    memset(line + sizeof(pre) - 1, 'A', n - (sizeof(pre) - 1));
    cr_assert_eq(parse(&r, span_make(line, n)), PARSE_OK);
    cr_assert(str_is(&r, RK_ACTION, "other"));
    memset(line, 'x', n);
    cr_assert_eq(parse(&r, span_make(line, n)), PARSE_MALFORMED);
    free(line);
}

Test(auth, headerless_lines_try_rows_of_every_service_in_order)
{
    static struct record r;
    /* rows that start with a capture (sudo's "{u} : ") compete with rows
     * that start with a literal, and the earlier row still wins */
    cr_assert_eq(parse(&r, SPAN_LIT("alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls")),
                 PARSE_MALFORMED);
    cr_assert(str_is(&r, RK_ACTION, "sudo"));
    cr_assert(str_is(&r, RK_COMMAND, "/bin/ls"));
    cr_assert_eq(parse(&r, SPAN_LIT("Failed password for bob from 192.0.2.1 port 22 ssh2 : x")),
                 PARSE_MALFORMED);
    cr_assert(str_is(&r, RK_ACTION, "login_failure"));
    cr_assert(str_is(&r, RK_USER, "bob"));
    cr_assert_eq(parse(&r, SPAN_LIT("Failed thing : PWD=/x")), PARSE_MALFORMED);
    cr_assert(str_is(&r, RK_ACTION, "sudo"));
    cr_assert(str_is(&r, RK_USER, "Failed thing"));
    /* three rows share "Failed {m} for invalid user ": a miss is a miss for all */
    cr_assert_eq(parse(&r, SPAN_LIT("Nov 26 10:00:01 h sshd[1]: Failed none for illegal user "
                                    "x from 10.0.0.1")), PARSE_OK);
    cr_assert(str_is(&r, RK_REASON, "invalid_user"));
    cr_assert(str_is(&r, RK_USER, "x"));
}
