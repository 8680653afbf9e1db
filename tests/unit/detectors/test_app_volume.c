/* test_app_volume.c - seasonal event-rate baselines per tag and level:
 * spikes, error bursts and silences after two learned days, and a normal
 * third day that raises nothing. */
#include "tests/unit/detectors/harness.h"

extern const struct detector_plugin detector_app_volume;

#define DAY0 1795392000000000000LL   /* Monday 2026-11-23 00:00 UTC */
#define MINUTE (60 * NS_PER_SEC)

static void ev(struct th *t, int64_t ts, const char *tag, const char *level)
{
    struct record *r = th_record(t, KIND_APP, ts);
    r->tag = span_cstr(tag);
    record_set_str(r, RK_LEVEL, span_cstr(level));
    record_set_str(r, RK_MSG, SPAN_LIT("GET /api/orders 200"));
    th_observe(t);
}

/* One minute of normal traffic: busy by day, calm at night, rare errors. */
static void minute(struct th *t, int64_t m0)
{
    int hour = (int)((m0 / NS_PER_HOUR) % 24);
    int n = hour >= 8 && hour < 20 ? 40 : 8;
    for (int i = 0; i < n; i++)
        ev(t, m0 + i * (MINUTE / n), "api", "INFO");
    if ((m0 / MINUTE) % 7 == 0)
        ev(t, m0 + 1, "api", "ERROR");
    if ((m0 / MINUTE) % 10 == 0)
        ev(t, m0 + 2, "cron", "info");
}

static void days(struct th *t, int from, int to)
{
    for (int64_t m = DAY0 + from * NS_PER_DAY; m < DAY0 + to * NS_PER_DAY; m += MINUTE) {
        minute(t, m);
        if ((m / MINUTE) % 5 == 0)
            t->det.plugin->tick(&t->det, m);
    }
}

Test(app_volume, normal_days_are_quiet)
{
    struct th t;
    th_init(&t, &detector_app_volume);
    days(&t, 0, 3);
    cr_expect_eq(t.nalerts, 0, "%s", t.nalerts ? t.alerts[0].message : "");
    th_fini(&t);
}

Test(app_volume, spike_error_burst_and_silence)
{
    struct th t;
    th_init(&t, &detector_app_volume);
    days(&t, 0, 2);
    int64_t noon = DAY0 + 2 * NS_PER_DAY + 12 * NS_PER_HOUR;
    for (int64_t m = DAY0 + 2 * NS_PER_DAY; m < noon; m += MINUTE)
        minute(&t, m);
    cr_assert_eq(t.nalerts, 0, "%s", t.nalerts ? t.alerts[0].message : "");
    for (int i = 0; i < 900; i++)
        ev(&t, noon + i * (MINUTE / 1000), "api", "info");
    cr_expect_eq(th_count(&t, "app.volume_spike"), 1, "one alert per bucket: %u %s", t.nalerts, t.nalerts ? t.alerts[0].message : "");
    const struct th_alert *a = th_find(&t, "app.volume_spike");
    cr_assert(a);
    cr_expect(strstr(a->message, "usual"), "%s", a->message);
    for (int i = 0; i < 60; i++)
        ev(&t, noon + MINUTE + i * NS_PER_SEC, "api", "error");
    cr_expect_eq(th_count(&t, "app.error_burst"), 1);
    /* then api stops; cron (1 event per 10 min) is too quiet to count */
    t.det.plugin->tick(&t.det, noon + 5 * MINUTE);
    cr_expect_eq(th_count(&t, "app.silence"), 0);
    t.det.plugin->tick(&t.det, noon + 15 * MINUTE);
    cr_expect_eq(th_count(&t, "app.silence"), 1);
    a = th_find(&t, "app.silence");
    cr_expect(strstr(a->message, "api went silent"), "%s", a->message);
    t.det.plugin->tick(&t.det, noon + 30 * MINUTE);
    cr_expect_eq(th_count(&t, "app.silence"), 1, "said once");
    th_fini(&t);
}
