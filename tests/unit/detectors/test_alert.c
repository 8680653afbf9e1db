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
