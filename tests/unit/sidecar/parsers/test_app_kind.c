/* test_app_kind.c - level words, time values and the audit/egress/app
 * classification on records built by hand (so no parser is involved). */
#include <criterion/criterion.h>
#include <string.h>

#include "sidecar/parsers/app_kind.h"

static char arena[4096];
static struct record r;
static struct app_ctx ctx;

static void setup(void)
{
    char err[128];
    memset(&ctx, 0, sizeof(ctx));
    cr_assert_eq(app_ctx_init(&ctx, err, sizeof(err)), 0, "%s", err);
    record_init(&r, arena, sizeof(arena));
    r.read_ts = r.ts = 1;
}

TestSuite(app_kind, .init = setup);

Test(app_kind, level_words)
{
    cr_expect(span_eq_cstr(app_level_word(SPAN_LIT("WARNING")), "warn"));
    cr_expect(span_eq_cstr(app_level_word(SPAN_LIT("Err")), "error"));
    cr_expect(span_eq_cstr(app_level_word(SPAN_LIT("CRIT")), "critical"));
    cr_expect(span_eq_cstr(app_level_word(SPAN_LIT("emergency")), "emerg"));
    cr_expect(span_eq_cstr(app_level_word(SPAN_LIT("debug")), "debug"));
    cr_expect_eq(app_level_word(SPAN_LIT("informational")).len, 0);
    cr_expect_eq(app_level_word(SPAN_LIT("in")).len, 0);
    cr_expect(span_eq_cstr(app_level_syslog(3), "error"));
    cr_expect_eq(app_level_syslog(8).len, 0);
}

static struct field fstr(const char *s)
{
    return (struct field){ .type = FT_STR, .v.s = span_cstr(s) };
}

Test(app_kind, time_values)
{
    int64_t ns;
    struct field f = fstr("2025-11-26T10:00:01.5Z");
    cr_expect(app_time_value(&f, APP_TIME_AUTO, 0, &ns) && ns == INT64_C(1764151201500000000));
    cr_expect_not(app_time_value(&f, APP_TIME_EPOCH, 0, &ns));
    f = (struct field){ .type = FT_INT, .v.i = 1764151201 };
    cr_expect(app_time_value(&f, APP_TIME_AUTO, 0, &ns) && ns == INT64_C(1764151201000000000));
    f.v.i = INT64_C(1764151201123);
    cr_expect(app_time_value(&f, APP_TIME_AUTO, 0, &ns) && ns == INT64_C(1764151201123000000));
    f.v.i = INT64_C(1764151201123456);
    cr_expect(app_time_value(&f, APP_TIME_AUTO, 0, &ns) && ns == INT64_C(1764151201123456000));
    f.v.i = INT64_C(1764151201123456789);
    cr_expect(app_time_value(&f, APP_TIME_AUTO, 0, &ns) && ns == INT64_C(1764151201123456789));
    cr_expect_not(app_time_value(&f, APP_TIME_EPOCH, 0, &ns), "overflow is not a time");
    f = (struct field){ .type = FT_DOUBLE, .v.d = 1764151201.25 };
    cr_expect(app_time_value(&f, APP_TIME_AUTO, 0, &ns) && ns == INT64_C(1764151201250000000));
    f = fstr("1764151201250");
    cr_expect(app_time_value(&f, APP_TIME_EPOCH_MS, 0, &ns) && ns == INT64_C(1764151201250000000));
    f = fstr("26/Nov/2025:10:00:01 +0000");
    cr_expect(app_time_value(&f, APP_TIME_CLF, 0, &ns) && ns == INT64_C(1764151201000000000));
    f = (struct field){ .type = FT_BOOL, .v.b = true };
    cr_expect_not(app_time_value(&f, APP_TIME_AUTO, 0, &ns));
}

Test(app_kind, cloudtrail_nested_identity)
{
    record_add_str(&r, SPAN_LIT("eventName"), SPAN_LIT("DeleteBucket"));
    record_open(&r, SPAN_LIT("userIdentity"), FT_MAP);
    record_add_str(&r, SPAN_LIT("type"), SPAN_LIT("AssumedRole"));
    record_add_str(&r, SPAN_LIT("principalId"), SPAN_LIT("AROA:x"));
    record_add_str(&r, SPAN_LIT("arn"), SPAN_LIT("arn:aws:sts::1:assumed-role/r/x"));
    record_close(&r);
    record_add_str(&r, SPAN_LIT("sourceIPAddress"), SPAN_LIT("203.0.113.9"));
    app_finish(&ctx, &r);
    cr_expect_eq(r.kind, KIND_AUDIT);
    cr_expect(span_eq_cstr(record_str(&r, RK_IDENTITY), "arn:aws:sts::1:assumed-role/r/x"));
    cr_expect(span_eq_cstr(record_str(&r, RK_ACTION), "DeleteBucket"));
    cr_expect(span_eq_cstr(record_str(&r, RK_SRC_IP), "203.0.113.9"));
}

Test(app_kind, numeric_identity_is_printed)
{
    record_add_int(&r, SPAN_LIT("user"), 1001);
    record_add_str(&r, SPAN_LIT("operation"), SPAN_LIT("read"));
    app_finish(&ctx, &r);
    cr_expect_eq(r.kind, KIND_AUDIT);
    cr_expect(span_eq_cstr(record_str(&r, RK_IDENTITY), "1001"));
}

Test(app_kind, identity_without_action_is_app)
{
    record_add_str(&r, SPAN_LIT("actor"), SPAN_LIT("bob"));
    app_finish(&ctx, &r);
    cr_expect_eq(r.kind, KIND_APP);
    cr_expect_null(record_get(&r, RK_IDENTITY));
}

Test(app_kind, numeric_level_and_message_alias)
{
    record_add_int(&r, SPAN_LIT("level"), 50);
    record_add_str(&r, SPAN_LIT("message"), SPAN_LIT("m"));
    app_finish(&ctx, &r);
    cr_expect(span_eq_cstr(record_str(&r, RK_LEVEL), "error"));
    cr_expect(span_eq_cstr(record_str(&r, RK_MSG), "m"));
    cr_expect_eq(r.nfields, 2, "aliases add no field");
}

Test(app_kind, egress_needs_a_count)
{
    record_add_str(&r, SPAN_LIT("dst_host"), SPAN_LIT("x.example"));
    record_add_str(&r, SPAN_LIT("bytes_out"), SPAN_LIT("lots"));
    app_finish(&ctx, &r);
    cr_expect_eq(r.kind, KIND_APP);
}

Test(app_kind, bad_key_options_are_rejected)
{
    static char *empty[] = { "" };
    char err[128] = "";
    ctx.identity_keys = (struct conf_strlist){ empty, 1 };
    cr_expect_eq(app_ctx_init(&ctx, err, sizeof(err)), -1);
    cr_expect(strlen(err) > 0);
}

/* Keys are first screened by their first byte and length: a configured time
 * key of 31 bytes or more (which share one length class) is still found, a
 * longer or shorter one with the same start is not taken for it, and keys
 * that only share a first byte and length with ours are left alone. */
Test(app_kind, long_configured_keys_and_near_misses)
{
    char err[128];
    static const char *const key = "event_time_recorded_by_the_gateway_at_edge";   /* 42 bytes */
    memset(&ctx, 0, sizeof(ctx));
    ctx.time_key = (char *)key;
    cr_assert_eq(app_ctx_init(&ctx, err, sizeof(err)), 0, "%s", err);
    record_add_str(&r, span_make(key, 41), SPAN_LIT("2025-11-26T10:00:02Z"));
    record_add_str(&r, SPAN_LIT("event_time_recorded_by_the_gateway_at_edge_"),
                   SPAN_LIT("2025-11-26T10:00:03Z"));
    record_add_str(&r, SPAN_LIT("lxxxx"), SPAN_LIT("error"));
    app_finish(&ctx, &r);
    cr_expect_not(r.ts_from_line, "neither near miss is the time key");
    cr_expect_eq(record_str(&r, RK_LEVEL).len, 0, "lxxxx is not level");
    record_reset(&r);
    r.read_ts = r.ts = 1;
    record_add_str(&r, span_cstr(key), SPAN_LIT("2025-11-26T10:00:01Z"));
    record_add_str(&r, SPAN_LIT("level"), SPAN_LIT("WARNING"));
    app_finish(&ctx, &r);
    cr_expect(r.ts_from_line);
    cr_expect_eq(r.ts, INT64_C(1764151201000000000));
    cr_expect(span_eq_cstr(record_str(&r, RK_LEVEL), "warn"));
}
