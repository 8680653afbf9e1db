/* test_http_client.c - the shared HTTP client pieces: header checks and
 * Retry-After in its three forms (delay-seconds and HTTP-dates). */
#include <criterion/criterion.h>
#include <time.h>

#include "outputs/http_client.h"

/* 2026-12-06T04:00:00Z */
#define NOW ((time_t)1796529600)

Test(http_client, retry_after_seconds)
{
    cr_assert_eq(http_client_retry_after("120", NOW, 3600), 120);
    cr_assert_eq(http_client_retry_after("  7 ", NOW, 3600), 7);
    cr_assert_eq(http_client_retry_after("0", NOW, 3600), 0);
    cr_assert_eq(http_client_retry_after("99999", NOW, 3600), 3600);
    cr_assert_eq(http_client_retry_after(NULL, NOW, 3600), -1);
    cr_assert_eq(http_client_retry_after("", NOW, 3600), -1);
    cr_assert_eq(http_client_retry_after("12x", NOW, 3600), -1);
    cr_assert_eq(http_client_retry_after("-5", NOW, 3600), -1);
    cr_assert_eq(http_client_retry_after("soon", NOW, 3600), -1);
}

Test(http_client, retry_after_http_dates)
{
    cr_assert_eq(http_client_retry_after("Sun, 06 Dec 2026 04:00:30 GMT", NOW, 3600), 30);
    cr_assert_eq(http_client_retry_after("Sunday, 06-Dec-26 04:01:00 GMT", NOW, 3600), 60);
    cr_assert_eq(http_client_retry_after("Sun Dec  6 04:00:02 2026", NOW, 3600), 2);
    cr_assert_eq(http_client_retry_after("Sun, 06 Dec 2026 03:00:00 GMT", NOW, 3600), 0,
                 "a date in the past: at once");
    cr_assert_eq(http_client_retry_after("Mon, 07 Dec 2026 04:00:00 GMT", NOW, 3600), 3600);
    cr_assert_eq(http_client_retry_after("Sun, 06 Dec 2026 04:00:30 GMT junk", NOW, 3600), -1);
    cr_assert_eq(http_client_retry_after("Sun, 06 Dec 2026 04:00:30", NOW, 3600), -1);
}

Test(http_client, header_names_and_values)
{
    cr_assert(http_client_header_ok("Authorization", "Bearer abc"));
    cr_assert(http_client_header_ok("X-Api_Key.1", "a\tb"));
    cr_assert_not(http_client_header_ok("", "x"));
    cr_assert_not(http_client_header_ok("Bad Name", "x"));
    cr_assert_not(http_client_header_ok("X:Y", "x"));
    cr_assert_not(http_client_header_ok("X", "a\r\nInjected: yes"));
}
