/* test_http_api.c - the bodies of GET /alerts and /healthz, built from a
 * hand-made vigil: since/limit windows over the alert ring, and the reasons
 * /healthz gives for 503. */
#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <stdint.h>
#include <string.h>

#include "outputs/output.h"
#include "sidecar/http_api.h"
#include "sidecar/vigil.h"

static char body[1 << 16];

static const char *alerts(struct vigil *vg, uint64_t since, unsigned limit)
{
    struct evbuffer *b = evbuffer_new();
    http_api_alerts(vg, since, limit, b);
    size_t n = evbuffer_get_length(b);
    cr_assert_lt(n, sizeof(body));
    evbuffer_remove(b, body, n);
    body[n] = 0;
    evbuffer_free(b);
    return body;
}

static struct vigil *with_alerts(int n)
{
    static struct vigil vg;
    memset(&vg, 0, sizeof(vg));
    char json[64];
    for (int i = 1; i <= n; i++) {
        int len = snprintf(json, sizeof(json), "{\"n\":%d}", i);
        telemetry_alert(&vg.telemetry, "auth.login", 3, i, json, (size_t)len);
    }
    return &vg;
}

Test(http_api, alerts_since_and_limit)
{
    struct vigil *vg = with_alerts(3);
    cr_assert_str_eq(alerts(vg, 0, 256), "{\"next\":3,\"alerts\":[{\"n\":1},{\"n\":2},{\"n\":3}]}\n");
    cr_assert_str_eq(alerts(vg, 2, 256), "{\"next\":3,\"alerts\":[{\"n\":3}]}\n");
    cr_assert_str_eq(alerts(vg, 3, 256), "{\"next\":3,\"alerts\":[]}\n");
    cr_assert_str_eq(alerts(vg, 0, 2), "{\"next\":3,\"alerts\":[{\"n\":2},{\"n\":3}]}\n");
    telemetry_free(&vg->telemetry);
}

Test(http_api, alerts_since_beyond_the_last_is_empty)
{
    struct vigil *vg = with_alerts(3);
    cr_assert_str_eq(alerts(vg, 99, 256), "{\"next\":3,\"alerts\":[]}\n");
    /* ?since=18446744073709551615: since + 1 wraps to 0 */
    cr_assert_str_eq(alerts(vg, UINT64_MAX, 256), "{\"next\":3,\"alerts\":[]}\n");
    telemetry_free(&vg->telemetry);
}

Test(http_api, alerts_ring_keeps_the_last)
{
    struct vigil *vg = with_alerts(TELEMETRY_RING + 5);
    const char *s = alerts(vg, 0, TELEMETRY_RING);
    static const char want[] = "{\"next\":261,\"alerts\":[{\"n\":6},";
    cr_assert(strncmp(s, want, sizeof(want) - 1) == 0, "%.60s", s);
    telemetry_free(&vg->telemetry);
}

static int health(struct vigil *vg)
{
    struct evbuffer *b = evbuffer_new();
    int code = http_api_health(vg, b);
    size_t n = evbuffer_get_length(b);
    evbuffer_remove(b, body, n);
    body[n] = 0;
    evbuffer_free(b);
    return code;
}

Test(http_api, health_reasons)
{
    static struct vigil vg;
    static struct vigil_conf conf;
    static struct output o;
    struct output *outs[1] = { &o };
    conf.service.health_max_retry_age_ms = 60000;
    vg.conf = &conf;
    vg.outputs = outs;
    vg.noutputs = 1;
    o.name = "tcp";
    cr_assert_eq(health(&vg), 200);
    cr_assert_str_eq(body, "ok\n");
    o.failing_since_ms = vigil_mono_ms() - 1000;            /* failing, not for long */
    snprintf(o.last_error, sizeof(o.last_error), "connection refused");
    cr_assert_eq(health(&vg), 200);
    o.failing_since_ms = vigil_mono_ms() - 120000;
    cr_assert_eq(health(&vg), 503);
    cr_assert_str_eq(body, "output tcp: failing for 120s: connection refused\n");
    o.failing_since_ms = 0;
    o.blocked = true;
    cr_assert_eq(health(&vg), 503);
    cr_assert_str_eq(body, "output tcp: buffer full, inputs paused\n");
}

/* One reply is at most HTTP_MAX_REPLY_BYTES: a full ring of large alerts is
 * served in pages, `next` saying where the page stopped. */
Test(http_api, alerts_reply_is_bounded_and_pages)
{
    static struct vigil vg;
    memset(&vg, 0, sizeof(vg));
    static char json[4000];
    for (int i = 1; i <= TELEMETRY_RING; i++) {
        int len = snprintf(json, sizeof(json), "{\"n\":%d,\"pad\":\"%0*d\"}", i, 3900, 0);
        telemetry_alert(&vg.telemetry, "auth.login", 3, i, json, (size_t)len);
    }
    uint64_t since = 0, seen = 0;
    for (int page = 0; page < 10 && seen < TELEMETRY_RING; page++) {
        struct evbuffer *b = evbuffer_new();
        http_api_alerts(&vg, since, TELEMETRY_RING, b);
        size_t n = evbuffer_get_length(b);
        cr_assert_leq(n, HTTP_MAX_REPLY_BYTES, "page %d: %zu bytes", page, n);
        char head[64] = "";
        evbuffer_copyout(b, head, sizeof(head) - 1);
        unsigned long long next = 0;
        cr_assert_eq(sscanf(head, "{\"next\":%llu", &next), 1, "%s", head);
        cr_assert_gt(next, since);
        seen += next - since;
        since = next;
        evbuffer_free(b);
    }
    cr_assert_eq(seen, TELEMETRY_RING, "every alert served once across the pages");
    telemetry_free(&vg.telemetry);
}
