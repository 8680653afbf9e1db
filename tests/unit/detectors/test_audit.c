/* test_audit.c - per-identity baselines of API audit records: new actions
 * (privileged ones high), new source IPs, denied bursts, odd hours and a bulk
 * export far above the identity's own hourly volume. */
#include "tests/unit/detectors/harness.h"

extern const struct detector_plugin detector_audit;

#define DAY0 1795392000000000000LL   /* Monday 2026-11-23 00:00 UTC */
#define H(d, h, m) (DAY0 + (int64_t)(d) * NS_PER_DAY + (int64_t)(h) * NS_PER_HOUR + (int64_t)(m) * 60 * NS_PER_SEC)

static void call(struct th *t, int64_t ts, const char *id, const char *action, const char *ip,
                 const char *result, int64_t bytes)
{
    struct record *r = th_record(t, KIND_AUDIT, ts);
    record_set_str(r, RK_IDENTITY, span_cstr(id));
    record_set_str(r, RK_ACTION, span_cstr(action));
    record_set_str(r, RK_SRC_IP, span_cstr(ip));
    record_set_str(r, RK_RESULT, span_cstr(result));
    record_set_int(r, RK_BYTES_OUT, bytes);
    th_observe(t);
}

/* Three working days of 09-17h: 20 reads an hour of ~100 KB from 10.0.0.5. */
static void learn(struct th *t)
{
    for (int d = 0; d < 3; d++)
        for (int h = 9; h < 18; h++)
            for (int k = 0; k < 20; k++)
                call(t, H(d, h, k * 3), "svc-report", k % 4 ? "s3:GetObject" : "s3:ListBucket",
                     "10.0.0.5", "success", 100000);
}

Test(audit, a_normal_day_is_quiet)
{
    struct th t;
    th_init(&t, &detector_audit);
    learn(&t);
    cr_expect_eq(t.nalerts, 0, "learning: %s", t.nalerts ? t.alerts[0].message : "");
    for (int h = 9; h < 18; h++)
        for (int k = 0; k < 25; k++)
            call(&t, H(3, h, k * 2), "svc-report", "s3:GetObject", "10.0.0.5", "success", 120000);
    cr_expect_eq(t.nalerts, 0, "%s", t.nalerts ? t.alerts[0].message : "");
    th_fini(&t);
}

Test(audit, new_actions_sources_and_denied_burst)
{
    struct th t;
    th_init(&t, &detector_audit);
    learn(&t);
    call(&t, H(3, 10, 0), "svc-report", "iam:CreateAccessKey", "10.0.0.5", "success", 0);
    const struct th_alert *a = th_find(&t, "audit.new_action");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_HIGH);
    cr_expect_eq(a->stage, STAGE_PERSISTENCE);
    cr_expect(strstr(a->message, "2 actions known"), "%s", a->message);
    /* a first ordinary action is a novelty; the privilege change just
     * before is the same rule, not an independent signal: info */
    call(&t, H(3, 10, 1), "svc-report", "s3:HeadObject", "10.0.0.5", "success", 0);
    a = th_find(&t, "audit.new_action");
    cr_expect_eq(a->severity, SEV_INFO, "%s", a->message);
    cr_expect(strstr(a->message, "[severity: novelty alone]"), "%s", a->message);
    call(&t, H(3, 10, 2), "svc-report", "s3:GetObject", "198.51.100.7", "success", 1000);
    a = th_find(&t, "audit.new_source");
    cr_assert(a);
    cr_expect(strstr(a->message, "10.0.0.5"), "baseline in message: %s", a->message);
    cr_expect_eq(a->severity, SEV_MEDIUM, "a source no identity ever used");
    th_clear(&t);
    for (int i = 0; i < 15; i++)
        call(&t, H(3, 10, 3) + i * 5 * NS_PER_SEC, "svc-report", "s3:GetObject", "10.0.0.5",
             "AccessDenied", 0);
    cr_expect_eq(th_count(&t, "audit.denied_burst"), 1);
    th_fini(&t);
}

Test(audit, bulk_export_at_night_by_an_insider)
{
    struct th t;
    th_init(&t, &detector_audit);
    learn(&t);
    for (int i = 0; i < 400; i++)
        call(&t, H(3, 23, 40) + i * NS_PER_SEC, "svc-report", "s3:GetObject", "10.0.0.5", "success",
             5000000);
    cr_expect_eq(th_count(&t, "audit.odd_hour"), 1);
    cr_expect_eq(th_count(&t, "audit.bulk_access"), 1);
    const struct th_alert *a = th_find(&t, "audit.bulk_access");
    cr_assert(a);
    cr_expect(strstr(a->message, "usual 20 calls"), "%s", a->message);
    cr_expect(strstr(th_find(&t, "audit.odd_hour")->message, "23:40"));
    th_fini(&t);
}

/* A new identity on a learned host is judged against the host: privileged
 * actions nobody calls are high, a source nobody uses is medium, and usual
 * reads stay quiet. */
Test(audit, new_identity_on_a_learned_host_is_judged_against_the_host)
{
    struct th t;
    th_init(&t, &detector_audit);
    learn(&t);
    call(&t, H(3, 3, 0), "ops-admin", "s3:GetObject", "10.0.0.5", "success", 1000);
    cr_expect_eq(t.nalerts, 0, "a usual read from a usual source: %s",
                 t.nalerts ? t.alerts[0].message : "");
    call(&t, H(3, 3, 1), "ops-admin", "iam:CreateAccessKey", "198.51.100.7", "success", 0);
    const struct th_alert *a = th_find(&t, "audit.new_action");
    cr_assert(a, "a brand-new identity creating access keys must alert");
    cr_expect_eq(a->severity, SEV_HIGH);
    cr_expect_eq(a->stage, STAGE_PERSISTENCE);
    cr_expect_str_eq(a->user, "ops-admin");
    cr_expect(strstr(a->message, "never called by any identity on this host"), "%s", a->message);
    a = th_find(&t, "audit.new_source");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_MEDIUM);
    call(&t, H(3, 3, 2), "ops-admin", "s3:ListBucket", "198.51.100.7", "success", 0);
    cr_expect_eq(th_count(&t, "audit.new_action"), 1, "ListBucket is usual on this host");
    for (int i = 0; i < 10; i++)
        call(&t, H(3, 3, 3) + i * NS_PER_SEC, "ops-admin", "secretsmanager:GetSecretValue",
             "198.51.100.7", "AccessDenied", 0);
    a = th_find(&t, "audit.denied_burst");
    cr_assert(a);
    cr_expect_eq(a->stage, STAGE_DISCOVERY);
    th_fini(&t);
}

Test(audit, new_identity_while_the_host_learns_is_quiet)
{
    struct th t;
    th_init(&t, &detector_audit);
    call(&t, H(0, 9, 0), "svc-report", "s3:GetObject", "10.0.0.5", "success", 1000);
    call(&t, H(0, 10, 0), "ops-admin", "iam:CreateAccessKey", "10.0.0.6", "success", 0);
    cr_expect_eq(t.nalerts, 0, "%s", t.nalerts ? t.alerts[0].message : "");
    th_fini(&t);
}

/* A new source is a novelty: alone an observation (info), the message says
 * whether other identities use it, whether it is an inside address in usual
 * hours; evidence on the same identity raises it. */
Test(audit, another_identitys_usual_source_is_an_observation)
{
    struct th t;
    th_init(&t, &detector_audit);
    learn(&t);
    for (int d = 0; d < 3; d++)
        call(&t, H(d, 10, 30), "alice", "s3:GetObject", "10.8.0.2", "success", 1000);
    call(&t, H(3, 11, 0), "svc-report", "s3:GetObject", "10.8.0.2", "success", 1000);
    const struct th_alert *a = th_find(&t, "audit.new_source");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_INFO, "%s", a->message);
    cr_expect(strstr(a->message, "other identities use it"), "%s", a->message);
    cr_expect(strstr(a->message, "others here do it too"), "%s", a->message);
    th_fini(&t);
}

Test(audit, a_new_source_alone_is_info_and_rises_with_a_privilege_change)
{
    struct th t;
    th_init(&t, &detector_audit);
    learn(&t);
    call(&t, H(3, 11, 0), "svc-report", "s3:GetObject", "10.8.0.2", "success", 1000);
    const struct th_alert *a = th_find(&t, "audit.new_source");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_INFO, "%s", a->message);
    cr_expect(strstr(a->message, "an inside address, in its usual hours"), "%s", a->message);
    th_clear(&t);
    call(&t, H(3, 3, 0), "svc-report", "iam:CreateAccessKey", "10.0.0.5", "success", 0);
    call(&t, H(3, 3, 1), "svc-report", "s3:GetObject", "198.51.100.9", "success", 1000);
    a = th_find(&t, "audit.new_source");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_MEDIUM, "%s", a->message);
    cr_expect(strstr(a->message, "audit.new_action high"), "%s", a->message);
    th_fini(&t);
}

Test(audit, snapshot_round_trip_keeps_identities_and_host_norms)
{
    struct th t;
    th_init(&t, &detector_audit);
    learn(&t);
    th_reload(&t);
    call(&t, H(3, 10, 0), "svc-report", "s3:GetObject", "10.0.0.5", "success", 1000);
    cr_expect_eq(t.nalerts, 0, "%s", t.nalerts ? t.alerts[0].message : "");
    call(&t, H(3, 10, 1), "ops-admin", "iam:CreateAccessKey", "10.0.0.5", "success", 0);
    const struct th_alert *a = th_find(&t, "audit.new_action");
    cr_assert(a);
    cr_expect(strstr(a->message, "2 actions known host-wide"), "%s", a->message);
    th_fini(&t);
}

/* AWS SSO session ARNs share their first 64 bytes: a never-seen identity
 * must not be judged with another's history. */
Test(audit, identities_sharing_a_long_prefix_are_distinct)
{
    static const char alice[] = "arn:aws:sts::123456789012:assumed-role/"
                                "AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice@corp.example";
    static const char mallory[] = "arn:aws:sts::123456789012:assumed-role/"
                                  "AWSReservedSSO_AdministratorAccess_0123456789abcdef/mallory@corp.example";
    struct th t;
    th_init(&t, &detector_audit);
    for (int d = 0; d < 3; d++)
        for (int h = 9; h < 18; h++)
            for (int k = 0; k < 20; k++)
                call(&t, H(d, h, k * 3), alice,
                     k % 4 ? "s3:GetObject" : "secretsmanager:GetSecretValue", "10.0.0.5",
                     "success", 1000);
    cr_expect_eq(t.nalerts, 0, "%s", t.nalerts ? t.alerts[0].message : "");
    call(&t, H(3, 10, 0), alice, "secretsmanager:GetSecretValue", "10.0.0.5", "success", 1000);
    cr_expect_eq(t.nalerts, 0, "alice's habit: %s", t.nalerts ? t.alerts[0].message : "");
    call(&t, H(3, 10, 1), mallory, "secretsmanager:GetSecretValue", "10.0.0.5", "success", 1000);
    const struct th_alert *a = th_find(&t, "audit.new_action");
    cr_assert(a, "mallory's first GetSecretValue is judged as new");
    cr_expect(strstr(a->message, "first seen 0m ago"), "%s", a->message);
    th_fini(&t);
}
