/* test_auth_corpus.c - the auth parser against fail2ban's labelled SSH logs
 * (../shared/corpora/fail2ban, see its README). Every line is parsed in
 * order with one per-file parser state, as vigil reads a file, so sshd's
 * lines of one connection (same pid) are followed as fail2ban follows them.
 *
 * What fail2ban's "match" means for vigil's record: a failure from the
 * labelled host, i.e. src_ip is the host and either the record is a failed
 * attempt that counts (action login_failure or invalid_user, no `dup`) or it
 * carries earlier failures of its connection (`failures` > 0). In fail2ban's
 * ddos, extra and aggressive modes a connection that ended before
 * authentication counts too (action scan or preauth_disconnect, no `dup`).
 * Where the label names a user, the record's user must be it.
 *
 * The agreement is printed per file and per mode. Every disagreement must be
 * listed in `explained` below with its reason; the normal mode must agree on
 * at least 98% of its labelled lines. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/parsers/parser.h"
#include "sidecar/record.h"

extern const struct parser_plugin parser_auth;

#define CORPUS "../shared/corpora/fail2ban"

enum mode { M_NORMAL, M_DDOS, M_EXTRA, M_AGGRESSIVE, M__N };
static const char *const mode_names[M__N] = { "normal", "ddos", "extra", "aggressive" };

/* A disagreement vigil keeps on purpose, and why. */
struct explained {
    const char *file;
    const char *line;       /* a substring of the log line */
    unsigned modes;         /* bit per enum mode */
    const char *reason;
    int seen;
};

#define ALL ((1u << M__N) - 1)

#define DDOS_ON ((1u << M_DDOS) | (1u << M_EXTRA) | (1u << M_AGGRESSIVE))
#define SAME_CONN "the same connection (pid) already reported its end on an earlier line; " \
                  "vigil reports one connection event per connection, the test repeats the line"

static struct explained explained[] = {
    { "sshd", "ssh2: from 10.10.1.2 port 55555 ssh2", ALL,
      "sshd writes no auth info after a password attempt, so the line can only be user "
      "'test from 127.0.0.1 port 58946 ssh2:' failing from 10.10.1.2, the address sshd wrote last", 0 },
    { "sshd-journal", "ssh2: from 10.10.1.2 port 55555 ssh2", ALL,
      "sshd writes no auth info after a password attempt, so the line can only be user "
      "'test from 127.0.0.1 port 58946 ssh2:' failing from 10.10.1.2, the address sshd wrote last", 0 },
    { "pam-generic", "sshd[16004]", ALL,
      "PAM's failure inside sshd is provisional (a later PAM module may still accept, gh-2070); "
      "it counts when its connection or its address shows it was real: here the next line from "
      "that address (sshd[16021]) carries it", 0 },
    { "pam-generic", "pop(pam_unix)[4920]", ALL,
      "PAM before 0.99 named the module in the tag; fail2ban dropped that form, vigil still reads it", 0 },
    { "sshd", "identification 'dummy string' from 192.0.2.1' from 69.61.56.115", DDOS_ON, SAME_CONN, 0 },
    { "sshd", "sshd[32686]: fatal: Read from socket failed", DDOS_ON, SAME_CONN, 0 },
    { "sshd-journal", "sshd[32686]: fatal: Read from socket failed", DDOS_ON, SAME_CONN, 0 },
    { "sshd", "test 127.0.0.1 port 12345 192.0.2.11 port 46039", DDOS_ON, SAME_CONN, 0 },
    { "sshd-journal", "test 127.0.0.1 port 12345 192.0.2.11 port 46039", DDOS_ON, SAME_CONN, 0 },
    { "sshd", "kex_exchange_identification: Connection closed by remote host", DDOS_ON, SAME_CONN, 0 },
    { "sshd", "Connection closed by 192.0.2.212 [preauth]", DDOS_ON, SAME_CONN, 0 },
    { "sshd-journal", "Connection closed by 192.0.2.212 [preauth]", DDOS_ON, SAME_CONN, 0 },
    { "sshd", "sshd[123]: error: Received disconnect from 127.0.0.1: 14", DDOS_ON, SAME_CONN, 0 },
    { "sshd-journal", "sshd[123]: error: Received disconnect from 127.0.0.1: 14", DDOS_ON, SAME_CONN, 0 },
    { "sshd", "Unable to negotiate a key exchange method", DDOS_ON, SAME_CONN, 0 },
    { "sshd-journal", "Unable to negotiate a key exchange method", DDOS_ON, SAME_CONN, 0 },
    { NULL, NULL, 0, NULL, 0 },
};

struct label {
    bool match, has_host, has_user;
    int constraint;         /* 0 none, 1 aggressive only, 2 all but aggressive */
    char host[128], user[160];
};

/* The string value of "key": in a failJSON comment (no escapes there). */
static bool json_str(const char *s, const char *key, char *out, size_t cap)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "\"%s\"", key);
    const char *k = strstr(s, pat);
    if (!k)
        return false;
    k += strlen(pat);
    while (*k == ' ' || *k == ':')
        k++;
    if (*k != '"')
        return false;
    const char *e = strchr(++k, '"');
    if (!e || (size_t)(e - k) >= cap)
        return false;
    memcpy(out, k, (size_t)(e - k));
    out[e - k] = '\0';
    return true;
}

static void read_label(const char *s, struct label *l)
{
    memset(l, 0, sizeof(*l));
    const char *m = strstr(s, "\"match\"");
    cr_assert(m, "failJSON without match: %s", s);
    m = strpbrk(m + 7, "tf");
    l->match = m && *m == 't';
    l->has_host = json_str(s, "host", l->host, sizeof(l->host)) ||
                  json_str(s, "ip4", l->host, sizeof(l->host)) ||
                  json_str(s, "ip6", l->host, sizeof(l->host));
    l->has_user = json_str(s, "user", l->user, sizeof(l->user));
    if (strstr(s, "opts.get('mode') == 'aggressive'"))
        l->constraint = 1;
    else if (strstr(s, "opts.get('mode') != 'aggressive'"))
        l->constraint = 2;
}

/* "# filterOptions: [{}, {"mode": "aggressive"}]": a bit per mode listed. */
static unsigned read_modes(const char *s)
{
    unsigned modes = 0;
    for (const char *d = strchr(s, '{'); d; d = strchr(d + 1, '{')) {
        const char *e = strchr(d, '}');
        if (!e)
            break;
        char dict[256];
        size_t n = (size_t)(e - d) < sizeof(dict) - 1 ? (size_t)(e - d) : sizeof(dict) - 1;
        memcpy(dict, d, n);
        dict[n] = '\0';
        if (strstr(dict, "\"ddos\""))
            modes |= 1u << M_DDOS;
        else if (strstr(dict, "\"extra\""))
            modes |= 1u << M_EXTRA;
        else if (strstr(dict, "\"aggressive\""))
            modes |= 1u << M_AGGRESSIVE;
        else
            modes |= 1u << M_NORMAL;
        d = e;
    }
    return modes;
}

static bool is_failure_action(struct span a)
{
    return span_eq_cstr(a, "login_failure") || span_eq_cstr(a, "invalid_user");
}

/* Does vigil's record say what fail2ban's label says, in this mode? */
static bool agrees(const struct record *r, const struct label *l, enum mode m, char *why,
                   size_t cap)
{
    struct span act = record_str(r, RK_ACTION), src = record_str(r, RK_SRC_IP);
    const struct field *dup = record_find(r, SPAN_LIT("dup"));
    const struct field *fl = record_find(r, SPAN_LIT("failures"));
    bool is_dup = dup && dup->type == FT_BOOL && dup->v.b;
    bool carries = fl && fl->type == FT_INT && fl->v.i > 0;
    bool failure = src.len && ((is_failure_action(act) && !is_dup) || carries);
    bool conn = src.len && !is_dup &&
                (span_eq_cstr(act, "scan") || span_eq_cstr(act, "preauth_disconnect"));
    bool says = failure || (m != M_NORMAL && conn);
    snprintf(why, cap, "vigil: action=%.*s src_ip=%.*s%s%s", (int)act.len, act.p ? act.p : "",
             (int)src.len, src.p ? src.p : "", is_dup ? " dup" : "", carries ? " failures" : "");
    if (says != l->match)
        return false;
    if (!l->match)
        return true;
    if (l->has_host && !span_eq_cstr(src, l->host))
        return false;
    if (l->has_user) {
        struct span u = record_str(r, RK_USER);
        if (!span_eq_cstr(u, l->user))
            return false;
    }
    return true;
}

static struct explained *find_explained(const char *file, const char *line, enum mode m)
{
    for (struct explained *e = explained; e->file; e++)
        if (strcmp(e->file, file) == 0 && strstr(line, e->line) && (e->modes & (1u << m)))
            return e;
    return NULL;
}

static char arena[1 << 16];
static struct record rec;
static int total[M__N], agreed[M__N], unexplained;

/* One pass of a file for one mode: fail2ban's tests read, for a mode, the
 * lines of the blocks that list it, minus lines whose constraint excludes it. */
static void run_mode(const char *name, FILE *f, enum mode m, int *n, int *ok)
{
    void *state = calloc(1, parser_auth.state_size);
    struct parser p = { .plugin = &parser_auth, .max_line_bytes = 1 << 20 };
    unsigned modes = 1u << M_NORMAL;
    struct label lab;
    bool have_label = false;
    int lineno = 0;
    char line[8192];
    rewind(f);
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "# filterOptions:", 16) == 0) {
            modes = read_modes(line + 16);
            continue;
        }
        if (strncmp(line, "# failJSON:", 11) == 0) {
            read_label(line + 11, &lab);
            have_label = true;
            continue;
        }
        if (line[0] == '#' || line[0] == '\0')
            continue;
        bool label = have_label;
        have_label = false;
        if (!(modes & (1u << m)) || (label && lab.constraint == 1 && m != M_AGGRESSIVE) ||
            (label && lab.constraint == 2 && m == M_AGGRESSIVE))
            continue;
        record_init(&rec, arena, sizeof(arena));
        struct span ls = span_make(line, strlen(line));
        rec.raw = ls;
        rec.read_ts = rec.ts = 1764151200LL * 1000000000LL;   /* 2025-11-26T10:00:00Z */
        parser_auth.parse(&p, state, &rec, ls);
        if (!label)
            continue;
        char why[512];
        (*n)++;
        if (agrees(&rec, &lab, m, why, sizeof(why))) {
            (*ok)++;
            continue;
        }
        struct explained *e = find_explained(name, line, m);
        if (e)
            e->seen++;
        else
            unexplained++;
        printf("fail2ban %s:%d [%s] fail2ban: match=%s host=%s; %s: %s\n  %s\n", name, lineno,
               mode_names[m], lab.match ? "true" : "false", lab.has_host ? lab.host : "-", why,
               e ? e->reason : "UNEXPLAINED", line);
    }
    free(state);
}

static void run_file(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), CORPUS "/%s", name);
    FILE *f = fopen(path, "r");
    cr_assert(f, "fail2ban corpus missing: %s (the test data lives in ../shared beside the "
                 "repository)", path);
    for (int m = 0; m < M__N; m++) {
        int n = 0, ok = 0;
        run_mode(name, f, (enum mode)m, &n, &ok);
        if (!n)
            continue;
        printf("fail2ban %-12s %-10s %3d/%3d agree (%.1f%%)\n", name, mode_names[m], ok, n,
               100.0 * ok / n);
        total[m] += n;
        agreed[m] += ok;
    }
    fclose(f);
}

Test(auth_corpus, fail2ban_labels)
{
    static const char *const files[] = { "sshd", "sshd-journal", "dropbear", "pam-generic",
                                         "selinux-ssh" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        run_file(files[i]);
    for (int m = 0; m < M__N; m++)
        if (total[m])
            printf("fail2ban %-12s %-10s %3d/%3d agree (%.1f%%)\n", "all files", mode_names[m],
                   agreed[m], total[m], 100.0 * agreed[m] / total[m]);
    fflush(stdout);
    cr_expect_eq(unexplained, 0, "%d disagreements without a reason (listed above)", unexplained);
    for (struct explained *e = explained; e->file; e++)
        cr_expect(e->seen, "explained disagreement no longer happens: %s: %s", e->file, e->line);
    cr_assert(total[M_NORMAL] > 200, "normal mode has %d labelled lines", total[M_NORMAL]);
    cr_expect(agreed[M_NORMAL] * 100 >= total[M_NORMAL] * 98, "normal mode: %d/%d agree",
              agreed[M_NORMAL], total[M_NORMAL]);
}
