/* test_templates.c - the template miner: variables become wildcards, known
 * shapes stay quiet, a new shape after learning is one alert naming the
 * template, alerts are rate-limited and the template count is bounded. */
#include "tests/unit/detectors/harness.h"

extern const struct detector_plugin detector_templates;

static void msg(struct th *t, int64_t ts, const char *m)
{
    struct record *r = th_record(t, KIND_APP, ts);
    r->tag = SPAN_LIT("api");
    record_set_str(r, RK_MSG, span_cstr(m));
    r->raw = span_cstr(m);
    th_observe(t);
}

static const char *const users[] = { "alice", "bob", "carol", "dave" };

static int64_t learn(struct th *t)
{
    char line[200];
    int64_t ts = TH_T0;
    for (int i = 0; i < 2000; i++, ts += 60 * NS_PER_SEC) {
        snprintf(line, sizeof(line), "user %s logged in from 10.0.%d.%d", users[i % 4], i % 7, i % 200);
        msg(t, ts, line);
        snprintf(line, sizeof(line), "GET /api/orders/%d 200 in %dms", 1000 + i, 3 + i % 50);
        msg(t, ts + 1, line);
        snprintf(line, sizeof(line), "cache miss for key 0x%08x, reloading", (unsigned)i * 2654435761u);
        msg(t, ts + 2, line);
        snprintf(line, sizeof(line), "request %08x-1d2c-4e5f-9a8b-%012d done", (unsigned)i, i);
        msg(t, ts + 3, line);
    }
    return ts;
}

Test(templates, known_shapes_are_quiet_new_shape_is_one_alert)
{
    struct th t;
    th_init(&t, &detector_templates);
    int64_t ts = learn(&t);
    cr_expect_eq(t.nalerts, 0, "%s", t.nalerts ? t.alerts[0].message : "");
    msg(&t, ts, "user erin logged in from 192.168.1.77");
    msg(&t, ts + 1, "GET /api/orders/99999 200 in 1234ms");
    msg(&t, ts + 2, "cache miss for key 0xdeadbeef1, reloading");
    cr_expect_eq(t.nalerts, 0, "%s", t.nalerts ? t.alerts[0].message : "");
    msg(&t, ts + 3, "SQL error: syntax error near UNION SELECT password FROM users");
    cr_assert_eq(th_count(&t, "app.new_template"), 1);
    const struct th_alert *a = th_find(&t, "app.new_template");
    cr_expect(strstr(a->message, "\"SQL error: syntax error near UNION SELECT password FROM users\""), "%s", a->message);
    /* the same shape with other values: no second alert */
    msg(&t, ts + 4, "SQL error: syntax error near UNION SELECT email FROM users");
    cr_expect_eq(th_count(&t, "app.new_template"), 1);
    th_fini(&t);
}

Test(templates, numbers_become_wildcards_in_the_template)
{
    struct th t;
    th_init(&t, &detector_templates);
    int64_t ts = learn(&t);
    msg(&t, ts, "worker 17 crashed with signal 11 at 0x7ffd1234");
    const struct th_alert *a = th_find(&t, "app.new_template");
    cr_assert(a);
    cr_expect(strstr(a->message, "\"worker <*> crashed with signal <*> at <*>\""), "%s", a->message);
    th_fini(&t);
}

Test(templates, alerts_are_rate_limited_and_templates_bounded)
{
    struct th t;
    th_init(&t, &detector_templates);
    int64_t ts = learn(&t);
    char line[120];
    static const char *const words[] = { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot",
                                         "golf", "hotel", "india", "juliet", "kilo", "lima" };
    for (int i = 0; i < 5000; i++) {
        snprintf(line, sizeof(line), "%s %s %s event", words[i % 12], words[(i / 12) % 12], words[(i / 144) % 12]);
        msg(&t, ts + i * NS_PER_SEC / 10, line);
    }
    cr_expect_eq(th_count(&t, "app.new_template"), 10, "max_per_hour");
    th_fini(&t);
}

/* The tokenizer reads words of eight bytes: a digit late in a long token, a
 * tab, bytes with the top bit set (0xb0..0xb9 share a digit's low seven
 * bits) and a blank right at a word's edge must split and mark tokens as
 * they do byte by byte. */
Test(templates, long_tokens_tabs_and_high_bytes_tokenize_byte_exactly)
{
    struct th t;
    th_init(&t, &detector_templates);
    int64_t ts = learn(&t);
    msg(&t, ts, "abcdefghijklmnopq7 \xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\tfinishedX abcdefg "
                "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz9zz");
    const struct th_alert *a = th_find(&t, "app.new_template");
    cr_assert(a);
    cr_expect(strstr(a->message, "\"<*> \xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9 finishedX abcdefg <*>\"") ||
              strstr(a->message, "\"<*> \\xb0"), "%s", a->message);
    cr_expect(!strstr(a->message, "<*> <*>"), "the high bytes are no digits: %s", a->message);
    th_fini(&t);
}
