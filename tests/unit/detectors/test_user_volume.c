/* test_user_volume.c - per-user hourly volume of application records: a bulk
 * export far above the user's own usual hour (or, for a user without
 * history, the host's usual user hour), and the near misses. */
#include "tests/unit/detectors/harness.h"

extern const struct detector_plugin detector_user_volume;

#define DAY0 1795392000000000000LL   /* Monday 2026-11-23 00:00 UTC */
#define H(d, h, m) (DAY0 + (int64_t)(d) * NS_PER_DAY + (int64_t)(h) * NS_PER_HOUR + (int64_t)(m) * 60 * NS_PER_SEC)

static void fetch(struct th *t, int64_t ts, const char *user, int64_t bytes)
{
    struct record *r = th_record(t, KIND_APP, ts);
    record_set_str(r, RK_USER, span_cstr(user));
    record_add_int(r, SPAN_LIT("bytes"), bytes);
    th_observe(t);
}

/* Three working days, 09-17h: alice and bob make 20 requests of 40 KB an hour. */
static void learn(struct th *t)
{
    for (int d = 0; d < 3; d++)
        for (int h = 9; h < 18; h++)
            for (int k = 0; k < 20; k++) {
                fetch(t, H(d, h, k * 3), "alice", 40000);
                fetch(t, H(d, h, k * 3 + 1), "bob", 40000);
            }
}

Test(user_volume, a_normal_hour_is_quiet)
{
    struct th t;
    th_init(&t, &detector_user_volume);
    learn(&t);
    for (int k = 0; k < 30; k++)
        fetch(&t, H(3, 10, k * 2), "alice", 60000);
    cr_expect_eq(t.nalerts, 0, "%s", t.nalerts ? t.alerts[0].message : "");
    th_fini(&t);
}

Test(user_volume, bulk_export_at_night_by_an_insider)
{
    struct th t;
    th_init(&t, &detector_user_volume);
    learn(&t);
    fetch(&t, H(3, 23, 40), "alice", 400LL * 1000 * 1000);
    const struct th_alert *a = th_find(&t, "app.user_volume");
    cr_assert(a, "400 MB in one export against 0.8 MB an hour must alert");
    cr_expect_eq(a->severity, SEV_HIGH);
    cr_expect_eq(a->stage, STAGE_COLLECTION);
    cr_expect_str_eq(a->user, "alice");
    cr_expect(strstr(a->message, "400.0 MB within the hour by 23:40") &&
                  strstr(a->message, "usual for alice"),
              "%s", a->message);
    fetch(&t, H(3, 23, 50), "alice", 400LL * 1000 * 1000);
    cr_expect_eq(th_count(&t, "app.user_volume"), 1, "one alert per user and hour");
    th_fini(&t);
}

Test(user_volume, many_small_requests_count_too)
{
    struct th t;
    th_init(&t, &detector_user_volume);
    learn(&t);
    for (int k = 0; k < 400; k++)
        fetch(&t, H(3, 14, 0) + k * 5 * NS_PER_SEC, "bob", 1000);
    const struct th_alert *a = th_find(&t, "app.user_volume");
    cr_assert(a, "400 requests against 20 an hour");
    cr_expect_str_eq(a->user, "bob");
    th_fini(&t);
}

Test(user_volume, a_user_without_history_is_judged_on_the_host)
{
    struct th t;
    th_init(&t, &detector_user_volume);
    learn(&t);
    fetch(&t, H(3, 3, 30), "ops-admin", 3LL * 1000 * 1000);
    cr_expect_eq(t.nalerts, 0, "3 MB is under min_bytes");
    fetch(&t, H(3, 3, 31), "ops-admin", 412LL * 1000 * 1000);
    const struct th_alert *a = th_find(&t, "app.user_volume");
    cr_assert(a);
    cr_expect(strstr(a->message, "too little history"), "%s", a->message);
    th_fini(&t);
}

Test(user_volume, quiet_while_the_host_learns)
{
    struct th t;
    th_init(&t, &detector_user_volume);
    for (int h = 9; h < 14; h++)
        fetch(&t, H(0, h, 0), "alice", 1000);
    fetch(&t, H(0, 15, 0), "alice", 900LL * 1000 * 1000);
    cr_expect_eq(t.nalerts, 0);
    th_fini(&t);
}

Test(user_volume, snapshot_round_trip_keeps_the_baseline)
{
    struct th t;
    th_init(&t, &detector_user_volume);
    learn(&t);
    th_reload(&t);
    fetch(&t, H(3, 23, 40), "alice", 400LL * 1000 * 1000);
    const struct th_alert *a = th_find(&t, "app.user_volume");
    cr_assert(a, "the restored baseline still knows alice's usual hour");
    cr_expect(strstr(a->message, "usual for alice"), "%s", a->message);
    th_fini(&t);
}
