/* test_timestamp.c - every time format, its edges and its refusals. */
#include <criterion/criterion.h>

#include "sidecar/timestamp.h"

#define S(lit) SPAN_LIT(lit)
#define SEC 1000000000LL

/* 2026-11-26T10:00:01Z */
static const int64_t T0 = 1795687201LL * SEC;

Test(timestamp, days_from_civil_known_dates)
{
    cr_assert_eq(ts_days_from_civil(1970, 1, 1), 0);
    cr_assert_eq(ts_days_from_civil(2000, 3, 1), 11017);
    cr_assert_eq(ts_days_from_civil(1969, 12, 31), -1);
    cr_assert_eq(ts_days_from_civil(2024, 2, 29) + 1, ts_days_from_civil(2024, 3, 1));
}

Test(timestamp, rfc3339_forms)
{
    int64_t ns = 0;
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26T10:00:01Z rest"), &ns), 20);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26T10:00:01"), &ns), 19);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26 10:00:01"), &ns), 19);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26T11:00:01+01:00"), &ns), 25);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26T11:00:01+0100"), &ns), 24);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26T05:30:01-04:30"), &ns), 25);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26T10:00:01.123456Z"), &ns), 27);
    cr_assert_eq(ns, T0 + 123456000);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26T10:00:01.5"), &ns), 21);
    cr_assert_eq(ns, T0 + 500000000);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26T10:00:01.123456789012+00:00"), &ns), 38);
    cr_assert_eq(ns, T0 + 123456789);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26T10:00:01,250Z"), &ns), 24);
    cr_assert_eq(ns, T0 + 250000000);
}

Test(timestamp, rfc3339_refusals)
{
    int64_t ns = 42;
    cr_assert_eq(ts_parse_rfc3339(S("2026-13-26T10:00:01Z"), &ns), 0);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-00T10:00:01Z"), &ns), 0);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26T24:00:01Z"), &ns), 0);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26X10:00:01Z"), &ns), 0);
    cr_assert_eq(ts_parse_rfc3339(S("2026-11-26T10:00"), &ns), 0);
    cr_assert_eq(ts_parse_rfc3339(S("20a6-11-26T10:00:01"), &ns), 0);
    cr_assert_eq(ts_parse_rfc3339(S(""), &ns), 0);
    cr_assert_eq(ns, 42);
    /* a NUL inside is just a non-digit */
    cr_assert_eq(ts_parse_rfc3339(span_make("2026-11-26T1\0:00:01", 19), &ns), 0);
}

Test(timestamp, rfc3164_year_from_reference)
{
    int64_t ns = 0;
    cr_assert_eq(ts_parse_rfc3164(S("Nov 26 10:00:01 host"), T0 + 3600 * SEC, &ns), 15);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_rfc3164(S("Nov  6 10:00:01"), T0, &ns), 15);
    cr_assert_eq(ns, T0 - 20 * 86400 * SEC);
    cr_assert_eq(ts_parse_rfc3164(S("Nov 6 10:00:01"), T0, &ns), 14);
    cr_assert_eq(ns, T0 - 20 * 86400 * SEC);
    cr_assert_eq(ts_parse_rfc3164(S("Nov 26 10:00:01.250"), T0, &ns), 19);
    cr_assert_eq(ns, T0 + 250000000);
}

Test(timestamp, rfc3164_december_read_in_january)
{
    int64_t ref = (ts_days_from_civil(2027, 1, 1) * 86400 + 120) * SEC; /* 2027-01-01 00:02 */
    int64_t ns = 0;
    cr_assert_neq(ts_parse_rfc3164(S("Dec 31 23:59:58"), ref, &ns), 0);
    cr_assert_eq(ns, (ts_days_from_civil(2026, 12, 31) * 86400 + 86398) * SEC);
    cr_assert_neq(ts_parse_rfc3164(S("Jan  1 00:01:00"), ref, &ns), 0);
    cr_assert_eq(ns, (ts_days_from_civil(2027, 1, 1) * 86400 + 60) * SEC);
    /* a slightly fast clock on the sender is still this year */
    cr_assert_neq(ts_parse_rfc3164(S("Jan  1 02:00:00"), ref, &ns), 0);
    cr_assert_eq(ns, (ts_days_from_civil(2027, 1, 1) * 86400 + 7200) * SEC);
}

/* The last year and date converted are kept: a reference time or a date
 * that changes, right at a year's edges, must not reuse them. */
Test(timestamp, rfc3164_year_and_date_follow_the_reference)
{
    int64_t jan1 = ts_days_from_civil(2027, 1, 1) * 86400 * SEC;
    int64_t ns = 0;
    cr_assert_neq(ts_parse_rfc3164(S("Mar  3 10:00:00"), jan1 - 1, &ns), 0);   /* in 2026 */
    cr_assert_eq(ns, (ts_days_from_civil(2026, 3, 3) * 86400 + 36000) * SEC);
    cr_assert_neq(ts_parse_rfc3164(S("Mar  3 10:00:00"), jan1 + 365 * 86400 * SEC, &ns), 0);
    cr_assert_eq(ns, (ts_days_from_civil(2027, 3, 3) * 86400 + 36000) * SEC);
    cr_assert_neq(ts_parse_rfc3164(S("Mar  3 10:00:00"), jan1, &ns), 0);   /* 2027, not ahead */
    cr_assert_eq(ns, (ts_days_from_civil(2026, 3, 3) * 86400 + 36000) * SEC);
    cr_assert_neq(ts_parse_rfc3164(S("Mar  4 10:00:00"), jan1 + 365 * 86400 * SEC, &ns), 0);
    cr_assert_eq(ns, (ts_days_from_civil(2027, 3, 4) * 86400 + 36000) * SEC);
    cr_assert_neq(ts_parse_rfc3339(S("2027-03-04T10:00:00Z"), &ns), 0);
    cr_assert_eq(ns, (ts_days_from_civil(2027, 3, 4) * 86400 + 36000) * SEC);
    cr_assert_neq(ts_parse_rfc3339(S("2028-03-04T10:00:00Z"), &ns), 0);
    cr_assert_eq(ns, (ts_days_from_civil(2028, 3, 4) * 86400 + 36000) * SEC);
}

/* The last second parsed is kept: the same second with another fraction or
 * zone, and the next second, each get their own time. */
Test(timestamp, rfc3339_same_second_other_fraction_and_zone)
{
    int64_t t = (ts_days_from_civil(2027, 3, 4) * 86400 + 36000) * SEC;
    int64_t ns = 0;
    cr_assert_eq(ts_parse_rfc3339(S("2027-03-04T10:00:00.5Z"), &ns), 22);
    cr_assert_eq(ns, t + SEC / 2);
    cr_assert_eq(ts_parse_rfc3339(S("2027-03-04T10:00:00+01:00"), &ns), 25);
    cr_assert_eq(ns, t - 3600 * SEC);
    cr_assert_eq(ts_parse_rfc3339(S("2027-03-04T10:00:00"), &ns), 19);
    cr_assert_eq(ns, t);
    cr_assert_eq(ts_parse_rfc3339(S("2027-03-04T10:00:01Z"), &ns), 20);
    cr_assert_eq(ns, t + SEC);
    cr_assert_eq(ts_parse_rfc3339(S("2027-03-04T10:00:61Z"), &ns), 0);
    cr_assert_eq(ts_parse_rfc3339(S("2027-03-04T10:00:0"), &ns), 0);
}

Test(timestamp, rfc3164_refusals)
{
    int64_t ns = 0;
    cr_assert_eq(ts_parse_rfc3164(S("Foo 26 10:00:01"), T0, &ns), 0);
    cr_assert_eq(ts_parse_rfc3164(S("Nov 32 10:00:01"), T0, &ns), 0);
    cr_assert_eq(ts_parse_rfc3164(S("Nov 26 10:60:01"), T0, &ns), 0);
    cr_assert_eq(ts_parse_rfc3164(S("Nov 26 10:00"), T0, &ns), 0);
    cr_assert_eq(ts_parse_rfc3164(S("nov 26 10:00:01"), T0, &ns), 0);
}

Test(timestamp, epoch_units)
{
    int64_t ns = 0;
    cr_assert_eq(ts_parse_epoch(S("1795687201 x"), &ns), 10);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_epoch(S("1795687201.25"), &ns), 13);
    cr_assert_eq(ns, T0 + 250000000);
    cr_assert_eq(ts_parse_epoch(S("1795687201123"), &ns), 13);
    cr_assert_eq(ns, T0 + 123000000);
    cr_assert_eq(ts_parse_epoch(S("1795687201123456"), &ns), 16);
    cr_assert_eq(ns, T0 + 123456000);
    cr_assert_eq(ts_parse_epoch(S("1795687201123456789"), &ns), 19);
    cr_assert_eq(ns, T0 + 123456789);
    cr_assert_eq(ts_parse_epoch(S("17956872011"), &ns), 0);
    cr_assert_eq(ts_parse_epoch(S("12345"), &ns), 0);
    cr_assert_eq(ts_parse_epoch(S("99999999999999999999999"), &ns), 0);
    cr_assert_eq(ts_parse_epoch(S("9999999999999999999"), &ns), 0);   /* > int64 */
    cr_assert_eq(ts_parse_epoch(S("9999999999"), &ns), 0);            /* year 2286 */
}

Test(timestamp, clf)
{
    int64_t ns = 0;
    cr_assert_eq(ts_parse_clf(S("26/Nov/2026:11:00:01 +0100] \"GET"), &ns), 26);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_clf(S("26/Nov/2026:10:00:01"), &ns), 20);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_clf(S("26/Xyz/2026:10:00:01"), &ns), 0);
}

Test(timestamp, any_picks_the_format)
{
    int64_t ns = 0;
    cr_assert_eq(ts_parse_any(S("2026-11-26T10:00:01Z"), T0, &ns), 20);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_any(S("Nov 26 10:00:01"), T0, &ns), 15);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_any(S("1795687201"), T0, &ns), 10);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_any(S("26/Nov/2026:10:00:01 +0000"), T0, &ns), 26);
    cr_assert_eq(ns, T0);
    cr_assert_eq(ts_parse_any(S("hello"), T0, &ns), 0);
    cr_assert_eq(ts_parse_any(S(""), T0, &ns), 0);
}

Test(timestamp, format_round_trip)
{
    char buf[32];
    cr_assert_eq(ts_format_rfc3339(T0 + 123456789, 6, buf, sizeof(buf)), 27);
    cr_assert_str_eq(buf, "2026-11-26T10:00:01.123456Z");
    int64_t ns = 0;
    cr_assert_eq(ts_parse_rfc3339(span_cstr(buf), &ns), 27);
    cr_assert_eq(ns, T0 + 123456000);
    cr_assert_eq(ts_format_rfc3339(0, 6, buf, sizeof(buf)), 27);
    cr_assert_str_eq(buf, "1970-01-01T00:00:00.000000Z");
    cr_assert_eq(ts_format_rfc3339(-SEC, 6, buf, sizeof(buf)), 27);
    cr_assert_str_eq(buf, "1969-12-31T23:59:59.000000Z");
    cr_assert_eq(ts_format_rfc3339(0, 6, buf, 10), 0);
    cr_assert_str_eq(buf, "");
}

Test(timestamp, years_beyond_int64_nanoseconds_are_not_timestamps)
{
    int64_t ns = 0;
    cr_expect_eq(ts_parse_rfc3339(SPAN_LIT("0000-01-01T00:00:00Z"), &ns), 0);
    cr_expect_eq(ts_parse_rfc3339(SPAN_LIT("9999-12-31T23:59:59Z"), &ns), 0);
    cr_expect_eq(ts_parse_clf(SPAN_LIT("01/Jan/9999:00:00:00 +0000"), &ns), 0);
    cr_expect_neq(ts_parse_rfc3339(SPAN_LIT("2199-12-31T23:59:59Z"), &ns), 0);
    cr_expect_gt(ns, 0);
}
