/* test_auth.c - the auth parser over fixtures of real-world message shapes,
 * plus hostile lines (NUL, escapes, invalid UTF-8, 1 MiB, truncation). */
#include "fixture.h"

extern const struct parser_plugin parser_auth;

#define SEC 1000000000LL
static const int64_t READ_TS = (1795687201LL + 7200) * SEC;   /* 2026-11-26T12:00:01Z */

Test(auth, fixture_sshd) { fx_run(&parser_auth, NULL, "auth/sshd", SPAN_NULL, READ_TS); }
Test(auth, fixture_sudo_su_login) { fx_run(&parser_auth, NULL, "auth/sudo_su_login", SPAN_NULL, READ_TS); }
Test(auth, fixture_accounts) { fx_run(&parser_auth, NULL, "auth/accounts", SPAN_NULL, READ_TS); }
Test(auth, fixture_modules) { fx_run(&parser_auth, NULL, "auth/modules", SPAN_NULL, READ_TS); }
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
    static const char nul[] = "Nov 26 10:00:01 h sshd[1]: Failed password for ro\0ot from 10.0.0.1 port 22 ssh2";
    cr_assert_eq(parse(&r, span_make(nul, sizeof(nul) - 1)), PARSE_OK);
    cr_assert(str_is(&r, RK_ACTION, "login_failure"));
    cr_assert(span_eq(record_str(&r, RK_USER), span_make("ro\0ot", 5)));
    /* a NUL inside the address: not an address, so nobody is blamed */
    static const char nul_ip[] = "Nov 26 10:00:01 h sshd[1]: Failed password for root from 10.0.0.\0 port 22 ssh2";
    cr_assert_eq(parse(&r, span_make(nul_ip, sizeof(nul_ip) - 1)), PARSE_OK);
    cr_assert_null(record_get(&r, RK_SRC_IP));
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
    cr_assert_eq(parse(&r, SPAN_LIT("Failed password for bob from 192.0.2.1 port 22 ssh2")),
                 PARSE_MALFORMED);
    cr_assert(str_is(&r, RK_ACTION, "login_failure"));
    cr_assert(str_is(&r, RK_USER, "bob"));
    /* sshd's address is the last thing on its line: text after it is not sshd's */
    cr_assert_eq(parse(&r, SPAN_LIT("Failed password for bob from 192.0.2.1 port 22 ssh2 : x")),
                 PARSE_MALFORMED);
    cr_assert_null(record_get(&r, RK_SRC_IP));
    cr_assert_eq(parse(&r, SPAN_LIT("Failed thing : PWD=/x")), PARSE_MALFORMED);
    cr_assert(str_is(&r, RK_ACTION, "sudo"));
    cr_assert(str_is(&r, RK_USER, "Failed thing"));
    /* three rows share "Failed {m} for invalid user ": a miss is a miss for all */
    cr_assert_eq(parse(&r, SPAN_LIT("Nov 26 10:00:01 h sshd[1]: Failed none for illegal user "
                                    "x from 10.0.0.1")), PARSE_OK);
    cr_assert(str_is(&r, RK_REASON, "invalid_user"));
    cr_assert(str_is(&r, RK_USER, "x"));
}

/* Lines whose attacker-chosen parts (user name, client banner, ruser, PAM
 * user) imitate sshd's own words. Each must give the address the daemon
 * wrote, never one typed by the client. */
static const struct {
    const char *line;
    const char *src;        /* NULL: no src_ip at all */
    const char *user;       /* NULL: not checked */
} injections[] = {
    { "Nov 11 08:04:51 h sshd[2737]: Failed password for invalid user from 10.10.1.1 from 127.0.0.1 port 58946 ssh2",
      "127.0.0.1", "from 10.10.1.1" },
    { "Nov 11 08:04:52 h sshd[2737]: Failed password for invalid user test from 10.10.1.2 port 55555 ssh2 from 127.0.0.1 port 58946 ssh2",
      "127.0.0.1", "test from 10.10.1.2 port 55555 ssh2" },
    { "Nov 11 08:04:52 h sshd[2738]: Invalid user admin from 10.10.1.2 from 127.0.0.1", "127.0.0.1",
      "admin from 10.10.1.2" },
    { "Nov 11 08:04:52 h sshd[2739]: Invalid user admin from 10.10.1.2 port 22 from 127.0.0.1 port 41000",
      "127.0.0.1", "admin from 10.10.1.2 port 22" },
    { "Nov 11 08:04:53 h sshd[2740]: Failed publickey for x from 6.6.6.6 port 1 ssh2: RSA y from 192.0.2.7 port 22 ssh2: RSA SHA256:abc",
      "192.0.2.7", NULL },
    { "Nov 11 08:04:53 h sshd[2741]: Failed password for x from 6.6.6.6 port 1 ssh2: RSA y ID from 192.0.2.8 port 22 ssh2",
      "192.0.2.8", NULL },
    { "Nov 11 08:04:54 h sshd[2742]: Failed password for user from 127.0.0.1 port 20000 ssh1: ruser from 1.2.3.4",
      "127.0.0.1", "user" },
    { "Nov 11 08:04:54 h sshd[2743]: Accepted password for \"evil\" from 6.6.6.6 port 1 ssh2 from 192.0.2.9 port 50000 ssh2",
      "192.0.2.9", "\"evil\" from 6.6.6.6 port 1 ssh2" },
    { "Nov 11 08:04:55 h sshd[2744]: Failed password for 'x\\nNov 11 h sshd[1]: Failed password for root from 6.6.6.6' from 192.0.2.10 port 2 ssh2",
      "192.0.2.10", NULL },
    { "Nov 11 08:04:55 h sshd[2745]: Invalid user a\x01\x1b[0m from 6.6.6.6 \x7f from 192.0.2.11 port 3", "192.0.2.11", NULL },
    { "Nov 11 08:04:56 h sshd[2746]: Connection closed by authenticating user test 127.0.0.1 port 12345 192.0.2.11 port 46039 [preauth]",
      "192.0.2.11", "test 127.0.0.1 port 12345" },
    { "Nov 11 08:04:56 h sshd[2747]: Disconnected from invalid user x 6.6.6.6 port 1 192.0.2.12 port 4 [preauth]",
      "192.0.2.12", "x 6.6.6.6 port 1" },
    { "Nov 11 08:04:57 h sshd[2748]: Bad protocol version identification 'SSH-2.0 from 6.6.6.6 port 1' from 192.0.2.13 port 5",
      "192.0.2.13", NULL },
    { "Nov 11 08:04:57 h sshd[2749]: User root from 6.6.6.6 not allowed because x from 192.0.2.14 not allowed because not listed in AllowUsers",
      "192.0.2.14", NULL },
    { "Nov 11 08:04:58 h sshd[2750]: Timeout before authentication for connection from 1.2.3.4 to 10.0.0.1, pid = 2750",
      "1.2.3.4", NULL },
    { "Nov 11 08:04:58 h sshd[2751]: Timeout before authentication for connection from 1.2.3.4", "1.2.3.4", NULL },
    { "Nov 11 08:04:59 h sshd[2752]: Failed password for invalid user x from not-an-address port 1 ssh2", NULL, NULL },
    { "Nov 11 08:04:59 h sshd[2753]: Failed password for invalid user x from 999.1.1.1 port 1 ssh2", NULL, NULL },
    { "Nov 11 08:05:00 h sshd[2754]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=test rhost=6.6.6.6 rhost=192.0.2.15",
      "192.0.2.15", NULL },
    { "Nov 11 08:05:00 h sshd[2755]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.16  user=x rhost=6.6.6.6",
      "192.0.2.16", "x rhost=6.6.6.6" },
    { "Nov 11 08:05:01 h dropbear[2756]: Bad password attempt for 'x' from 6.6.6.6:22' from 192.0.2.17:5543", "192.0.2.17", NULL },
    { "Nov 11 08:05:01 h sshd[2757]: ROOT LOGIN REFUSED FROM ::ffff:192.0.2.18 port 4 [preauth]", "192.0.2.18", NULL },
    { "Nov 11 08:05:02 h sshd[2758]: error: PAM: Authentication failure for x from 6.6.6.6 from host.example.com", "host.example.com", NULL },
    { "Nov 11 08:05:02 h sshd[2759]: Failed password for x from 6.6.6.6 port 1 ssh2 from 2001:db8::5 port 7 ssh2", "2001:db8::5", NULL },
};

Test(auth, injected_addresses_never_win)
{
    static struct record r;
    for (size_t i = 0; i < sizeof(injections) / sizeof(injections[0]); i++) {
        parse(&r, span_cstr(injections[i].line));
        struct span src = record_str(&r, RK_SRC_IP);
        if (injections[i].src)
            cr_expect(span_eq_cstr(src, injections[i].src), "%zu: src_ip %.*s, want %s: %s", i,
                      (int)src.len, src.p ? src.p : "", injections[i].src, injections[i].line);
        else
            cr_expect_eq(src.len, 0, "%zu: src_ip %.*s, want none", i, (int)src.len,
                         src.p ? src.p : "");
        if (injections[i].user) {
            struct span u = record_str(&r, RK_USER);
            cr_expect(span_eq_cstr(u, injections[i].user), "%zu: user %.*s, want %s", i,
                      (int)u.len, u.p ? u.p : "", injections[i].user);
        }
    }
}

Test(auth, sudo_command_is_the_last_field)
{
    static struct record r;
    parse(&r, SPAN_LIT("Nov 26 11:00:06 web-1 sudo: mallory : TTY=pts/1 ; PWD=/tmp/x ; "
                       "COMMAND=/usr/bin/systemctl status ; USER=root ; COMMAND=/bin/bash"));
    cr_assert(str_is(&r, RK_ACTION, "sudo"));
    cr_assert(str_is(&r, RK_COMMAND, "/bin/bash"));
    cr_assert(str_is(&r, RK_TARGET_USER, "root"));
    cr_assert(str_is(&r, RK_PWD, "/tmp/x ; COMMAND=/usr/bin/systemctl status"));
    cr_assert(str_is(&r, RK_TTY, "pts/1"));
    parse(&r, SPAN_LIT("Nov 26 11:00:07 web-1 sudo: alice : user NOT in sudoers ; TTY=pts/0 ; "
                       "PWD=/home/a ; USER=root ; GROUP=adm ; COMMAND=/bin/ls -l"));
    cr_assert(str_is(&r, RK_ACTION, "sudo_failure"));
    cr_assert(str_is(&r, RK_REASON, "not_in_sudoers"));
    cr_assert(str_is(&r, RK_COMMAND, "/bin/ls -l"));
    cr_assert(str_is(&r, RK_GROUP, "adm"));
    cr_assert(str_is(&r, RK_TARGET_USER, "root"));
}

/* The same sshd line in each shape journald hands a reader. */
Test(auth, journald_shapes_parse_like_syslog)
{
    static const char *const lines[] = {
        "Nov 26 10:00:06 web-1 sshd[1206]: Failed password for root from 203.0.113.9 port 60111 ssh2",
        "web-1 sshd[1206]: Failed password for root from 203.0.113.9 port 60111 ssh2",
        "Nov 26 10:00:06.123456 web-1 sshd[1206]: Failed password for root from 203.0.113.9 port 60111 ssh2",
        "2026-11-26T11:00:06+0100 web-1 sshd[1206]: Failed password for root from 203.0.113.9 port 60111 ssh2",
        "Thu 2026-11-26 11:00:06 CET web-1 sshd[1206]: Failed password for root from 203.0.113.9 port 60111 ssh2",
        "{\"__REALTIME_TIMESTAMP\":\"1795687206000000\",\"_HOSTNAME\":\"web-1\",\"SYSLOG_IDENTIFIER\":\"sshd\","
        "\"_PID\":\"1206\",\"_COMM\":\"sshd\",\"MESSAGE\":\"Failed password for root from 203.0.113.9 port 60111 ssh2\"}",
        "{\"_HOSTNAME\":\"web-1\",\"_COMM\":\"sshd-session\",\"_PID\":\"1206\",\"__REALTIME_TIMESTAMP\":\"1795687206000000\","
        "\"MESSAGE\":\"Failed password for \\\"root\\\\\\\" from 6.6.6.6\\u0020 from 203.0.113.9 port 60111 ssh2\"}",
    };
    static struct record r;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        cr_expect_eq(parse(&r, span_cstr(lines[i])), PARSE_OK, "%zu: %s", i, lines[i]);
        cr_expect(str_is(&r, RK_ACTION, "login_failure"), "%zu", i);
        cr_expect(str_is(&r, RK_SERVICE, "sshd"), "%zu", i);
        cr_expect(str_is(&r, RK_SRC_IP, "203.0.113.9"), "%zu", i);
        cr_expect(span_eq(r.host, SPAN_LIT("web-1")), "%zu", i);
        int64_t pid = 0;
        cr_expect(record_int(&r, RK_PID, &pid) && pid == 1206, "%zu", i);
        if (i != 1)
            cr_expect_eq(r.ts / SEC, 1795687201LL + 5, "%zu: ts %lld", i, (long long)r.ts);
    }
    cr_expect(str_is(&r, RK_USER, "\"root\\\" from 6.6.6.6"));
}

/* One attempt, one failure: sshd's and PAM's lines of one connection. */
Test(auth, one_attempt_counted_once)
{
    static struct record r;
    static char st[sizeof(struct { char b[1 << 14]; })];
    struct parser p = { .plugin = &parser_auth };
    cr_assert(parser_auth.state_size <= sizeof(st));
    memset(st, 0, sizeof(st));
    static const struct { const char *line, *action; bool dup; int failures; } seq[] = {
        { "Nov 26 10:00:43 h sshd[77]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root",
          "login_failure", true, 0 },
        { "Nov 26 10:00:45 h sshd[77]: Failed password for root from 203.0.113.9 port 60111 ssh2", "login_failure", false, 0 },
        { "Nov 26 10:00:46 h sshd[77]: error: PAM: Authentication failure for root from 203.0.113.9", "login_failure", true, 0 },
        { "Nov 26 10:00:49 h sshd[77]: Failed password for root from 203.0.113.9 port 60111 ssh2", "login_failure", false, 0 },
        { "Nov 26 10:00:50 h sshd[77]: Disconnecting authenticating user root 203.0.113.9 port 60111: Too many authentication failures [preauth]",
          "login_failure", true, 0 },
        { "Nov 26 10:00:50 h sshd[77]: PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root",
          "login_failure", true, 0 },
        /* a bot that only knocks: one scan, the second line of it is dup */
        { "Nov 26 10:01:00 h sshd[78]: error: kex_exchange_identification: Connection closed by remote host", "scan", false, 0 },
        { "Nov 26 10:01:00 h sshd[78]: Connection closed by 198.51.100.3 port 4 [preauth]", "scan", false, 0 },
        { "Nov 26 10:01:00 h sshd[78]: Connection reset by 198.51.100.3 port 4 [preauth]", "scan", true, 0 },
        /* failures before the address is known are carried by the line that names it */
        { "Nov 26 10:02:00 h sshd[79]: User root not allowed because account is locked", "login_failure", true, 0 },
        { "Nov 26 10:02:00 h sshd[79]: input_userauth_request: invalid user root [preauth]", "invalid_user", true, 0 },
        { "Nov 26 10:02:01 h sshd[79]: Received disconnect from 198.51.100.4 port 5:11: Bye Bye [preauth]", "preauth_disconnect", false, 1 },
        /* stacked PAM: pam_unix fails, the next module accepts: no failure */
        { "Nov 26 10:03:00 h sshd[80]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.5  user=rda",
          "login_failure", true, 0 },
        { "Nov 26 10:03:00 h sshd[80]: Accepted password for rda from 192.0.2.5 port 1 ssh2", "login_success", false, 0 },
    };
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        record_init(&r, arena, sizeof(arena));
        struct span l = span_cstr(seq[i].line);
        r.raw = l;
        r.read_ts = r.ts = READ_TS;
        parser_auth.parse(&p, st, &r, l);
        cr_expect(str_is(&r, RK_ACTION, seq[i].action), "%zu: action %.*s", i,
                  (int)record_str(&r, RK_ACTION).len, record_str(&r, RK_ACTION).p);
        const struct field *d = record_find(&r, SPAN_LIT("dup"));
        cr_expect_eq(d != NULL, seq[i].dup, "%zu: dup", i);
        const struct field *f = record_find(&r, SPAN_LIT("failures"));
        cr_expect_eq(f ? f->v.i : 0, seq[i].failures, "%zu: failures", i);
    }
}
