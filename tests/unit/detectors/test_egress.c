/* test_egress.c - new destinations, look-alikes, beaconing with jitter and
 * bytes-out spikes, each against a learned day of normal egress. */
#include "tests/unit/detectors/harness.h"

extern const struct detector_plugin detector_egress;

static void conn(struct th *t, int64_t ts, const char *dst, int64_t bytes)
{
    struct record *r = th_record(t, KIND_EGRESS, ts);
    r->tag = SPAN_LIT("billing");
    record_set_str(r, RK_DST_HOST, span_cstr(dst));
    record_set_int(r, RK_BYTES_OUT, bytes);
    th_observe(t);
}

/* 30 hours of normal traffic: api.stripe.com, s3 and a 60 s health check. */
static int64_t learn(struct th *t)
{
    int64_t ts = TH_T0;
    for (int i = 0; i < 30 * 60; i++, ts += 60 * NS_PER_SEC) {
        conn(t, ts, "health.internal.example", 200);
        if (i % 7 == 0)
            conn(t, ts + 5 * NS_PER_SEC, "api.stripe.com", 4000 + (i % 13) * 100);
        if (i % 11 == 0)
            conn(t, ts + 9 * NS_PER_SEC, "bucket.s3.amazonaws.com", 20000);
    }
    return ts;
}

Test(egress, learned_traffic_is_quiet_including_periodic_health_checks)
{
    struct th t;
    th_init(&t, &detector_egress);
    int64_t ts = learn(&t);
    for (int i = 0; i < 120; i++)
        conn(&t, ts + i * 60 * NS_PER_SEC, "health.internal.example", 200);
    cr_expect_eq(t.nalerts, 0, "%s", t.nalerts ? t.alerts[0].message : "");
    th_fini(&t);
}

Test(egress, beaconing_with_15_percent_jitter_is_detected)
{
    struct th t;
    th_init(&t, &detector_egress);
    int64_t ts = learn(&t);
    /* every 300 s +-15%, pseudo-random but deterministic */
    unsigned seed = 7;
    for (int i = 0; i < 20; i++) {
        seed = seed * 1103515245u + 12345u;
        double jitter = ((double)(seed >> 16 & 0x7fff) / 32767.0 - 0.5) * 0.30;
        ts += (int64_t)(300.0 * (1 + jitter) * NS_PER_SEC);
        conn(&t, ts, "cdn-update.example.net", 512);
    }
    cr_expect_eq(th_count(&t, "egress.new_destination"), 1);
    cr_expect_eq(th_count(&t, "egress.beacon"), 1);
    const struct th_alert *a = th_find(&t, "egress.beacon");
    cr_assert(a);
    cr_expect(strstr(a->message, "cdn-update.example.net"), "%s", a->message);
    cr_expect_eq(a->stage, STAGE_COMMAND_AND_CONTROL);
    th_fini(&t);
}

Test(egress, irregular_traffic_is_not_beaconing)
{
    struct th t;
    th_init(&t, &detector_egress);
    int64_t ts = learn(&t);
    static const int gaps[] = { 5, 300, 40, 1200, 75, 9, 600, 33, 2000, 150, 12, 900, 60, 400, 7, 3000, 90, 20 };
    for (size_t i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++) {
        ts += gaps[i] * NS_PER_SEC;
        conn(&t, ts, "docs.vendor.example", 3000);
    }
    cr_expect_eq(th_count(&t, "egress.beacon"), 0);
    th_fini(&t);
}

Test(egress, lookalike_domains)
{
    struct th t;
    th_init(&t, &detector_egress);
    int64_t ts = learn(&t);
    conn(&t, ts + 1, "accounts.g00gle.com", 100);
    conn(&t, ts + 2, "www.paypa1.com", 100);
    conn(&t, ts + 3, "api.strlpe.com", 100);          /* imitates a learned destination */
    cr_expect_eq(th_count(&t, "egress.lookalike"), 3);
    cr_expect(strstr(t.alerts[0].message, "google.com"), "%s", t.alerts[0].message);
    cr_expect(strstr(t.alerts[1].message, "paypal.com"), "%s", t.alerts[1].message);
    cr_expect(strstr(t.alerts[2].message, "stripe.com"), "%s", t.alerts[2].message);
    th_clear(&t);
    conn(&t, ts + 4, "www.google.de", 100);           /* the brand itself, other TLD */
    conn(&t, ts + 5, "googleapis.com", 100);
    conn(&t, ts + 6, "gitlab.com", 100);
    conn(&t, ts + 7, "api.example.org", 100);
    cr_expect_eq(th_count(&t, "egress.lookalike"), 0, "%s", t.nalerts ? t.alerts[0].message : "");
    cr_expect_eq(th_count(&t, "egress.new_destination"), 4);
    th_fini(&t);
}

Test(egress, brand_imitated_inside_a_hyphenated_name)
{
    struct th t;
    th_init(&t, &detector_egress);
    int64_t ts = learn(&t);
    conn(&t, ts + 1, "update-check.cdn-g00gle.com", 100);
    cr_expect_eq(th_count(&t, "egress.lookalike"), 1);
    cr_expect(t.nalerts && strstr(t.alerts[0].message, "google.com"), "%s",
              t.nalerts ? t.alerts[0].message : "");
    th_clear(&t);
    conn(&t, ts + 2, "google-analytics.example.net", 100);   /* the name itself, not an imitation */
    conn(&t, ts + 3, "docker-mirror.internal.example", 100);
    cr_expect_eq(th_count(&t, "egress.lookalike"), 0, "%s", t.nalerts ? t.alerts[0].message : "");
    th_fini(&t);
}

Test(egress, bytes_out_spike_is_exfiltration)
{
    struct th t;
    th_init(&t, &detector_egress);
    int64_t ts = learn(&t);
    conn(&t, ts, "bucket.s3.amazonaws.com", 20000);
    cr_expect_eq(t.nalerts, 0);
    conn(&t, ts + 60 * NS_PER_SEC, "bucket.s3.amazonaws.com", 800LL * 1000 * 1000);
    const struct th_alert *a = th_find(&t, "egress.exfil");
    cr_assert(a);
    cr_expect_eq(a->stage, STAGE_EXFILTRATION);
    cr_expect(strstr(a->message, "800.0 MB") && strstr(a->message, "20.0 KB"), "%s", a->message);
    th_fini(&t);
}

/* A destination without history of its own is judged on the workload's usual
 * bytes per contact: a huge first transfer is exfiltration, not a new name. */
Test(egress, huge_first_transfer_to_a_new_destination_is_exfiltration)
{
    struct th t;
    th_init(&t, &detector_egress);
    int64_t ts = learn(&t);
    conn(&t, ts, "files.transfer-drop.io", 850LL * 1000 * 1000);
    const struct th_alert *a = th_find(&t, "egress.exfil");
    cr_assert(a, "850 MB to a never-seen host must be exfiltration");
    cr_expect_eq(a->severity, SEV_HIGH);
    cr_expect_eq(a->stage, STAGE_EXFILTRATION);
    cr_expect(strstr(a->message, "850.0 MB to files.transfer-drop.io, a destination never contacted"),
              "%s", a->message);
    cr_expect_eq(th_count(&t, "egress.new_destination"), 0, "one alert, not two");
    th_fini(&t);
}

Test(egress, small_first_transfer_to_a_new_destination_is_an_observation)
{
    struct th t;
    th_init(&t, &detector_egress);
    int64_t ts = learn(&t);
    conn(&t, ts, "hooks.partner.example", 3000);
    cr_expect_eq(th_count(&t, "egress.exfil"), 0);
    const struct th_alert *a = th_find(&t, "egress.new_destination");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_INFO, "a lone novelty: %s", a->message);
    /* 5 MB: above the usual, under spike_min_bytes */
    conn(&t, ts + NS_PER_SEC, "other.partner.example", 5LL * 1000 * 1000);
    cr_expect_eq(th_count(&t, "egress.exfil"), 0);
    th_fini(&t);
}

Test(egress, snapshot_round_trip_keeps_destinations_and_workload_bytes)
{
    struct th t;
    th_init(&t, &detector_egress);
    int64_t ts = learn(&t);
    th_reload(&t);
    conn(&t, ts, "api.stripe.com", 4200);
    cr_expect_eq(t.nalerts, 0, "a learned destination after the restart: %s",
                 t.nalerts ? t.alerts[0].message : "");
    conn(&t, ts + NS_PER_SEC, "files.transfer-drop.io", 850LL * 1000 * 1000);
    cr_expect(th_find(&t, "egress.exfil"), "the workload's usual bytes survived the restart");
    th_fini(&t);
}

/* A nightly backup to object storage (its first one while learning) grows
 * from night to night: no exfiltration unless a transfer is more than twice
 * the destination's largest. */
Test(egress, nightly_backups_to_a_usual_destination_are_not_exfiltration)
{
    struct th t;
    th_init(&t, &detector_egress);
    conn(&t, TH_T0 + 2 * NS_PER_HOUR, "bucket.s3.amazonaws.com", 46LL * 1000 * 1000);
    int64_t ts = learn(&t);
    const long long mb[] = { 57, 67, 48, 67, 61 };
    for (int n = 0; n < 5; n++)
        conn(&t, ts + n * NS_PER_DAY, "bucket.s3.amazonaws.com", mb[n] * 1000 * 1000);
    cr_expect_eq(th_count(&t, "egress.exfil"), 0, "%s", t.nalerts ? t.alerts[0].message : "");
    conn(&t, ts + 6 * NS_PER_DAY, "bucket.s3.amazonaws.com", 850LL * 1000 * 1000);
    cr_expect_eq(th_count(&t, "egress.exfil"), 1, "850 MB is far beyond any backup");
    th_fini(&t);
}
