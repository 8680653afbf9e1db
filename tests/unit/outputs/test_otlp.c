/* test_otlp.c - the OTLP encoder: severity table, the record -> LogRecord
 * mapping read back with protobuf-c, hostile strings made valid UTF-8, the
 * request envelope (golden bytes and OTLP/JSON text), what is refused as
 * records, partial-success replies, and a record at every limit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb-c.h"
#include "outputs/batch.h"
#include "outputs/otlp_encode.h"
#include "records.h"
#include "sidecar/version.h"

typedef Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceRequest otlp_req;
typedef Opentelemetry__Proto__Common__V1__AnyValue otlp_any;
typedef Opentelemetry__Proto__Common__V1__KeyValue otlp_kv;

static const struct otlp_resource test_res = {
    .service_name = "svc", .host_name = "web-1", .k8s_pod_name = "pod-1",
    .k8s_namespace_name = NULL, .k8s_node_name = "",
};

static otlp_req *roundtrip(struct otlp_encoder *e, struct record **rs, size_t n)
{
    struct buf recs = { 0 }, req = { 0 };
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(otlp_encode_record(e, OTLP_ENC_PROTOBUF, &recs, rs[i]), 0);
    cr_assert_eq(otlp_encode_request(e, OTLP_ENC_PROTOBUF, &req, recs.p, recs.len), 0);
    otlp_req *m = opentelemetry__proto__collector__logs__v1__export_logs_service_request__unpack(
        NULL, req.len, req.p);
    cr_assert(m, "the request does not unpack");
    buf_free(&recs);
    buf_free(&req);
    return m;
}

static void req_free(otlp_req *m)
{
    opentelemetry__proto__collector__logs__v1__export_logs_service_request__free_unpacked(m, NULL);
}

static const otlp_any *attr(otlp_kv **kv, size_t n, const char *key)
{
    const otlp_any *found = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(kv[i]->key, key) == 0) {
            cr_assert_null(found, "attribute %s twice", key);
            found = kv[i]->value;
        }
    }
    return found;
}

static void assert_str(const otlp_any *v, const char *want)
{
    cr_assert(v, "missing, want \"%s\"", want);
    cr_assert_eq(v->value_case, OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE);
    cr_assert_str_eq(v->string_value, want);
}

static void assert_int(const otlp_any *v, int64_t want)
{
    cr_assert(v);
    cr_assert_eq(v->value_case, OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE);
    cr_assert_eq(v->int_value, want);
}

Test(otlp, severity_numbers_follow_the_otel_table)
{
    static const struct { const char *w; int n; } t[] = {
        { "trace", 1 }, { "debug", 5 }, { "info", 9 }, { "notice", 10 }, { "warn", 13 },
        { "WARNING", 13 }, { "error", 17 }, { "Err", 17 }, { "critical", 18 }, { "alert", 19 },
        { "fatal", 21 }, { "emerg", 21 }, { "panic", 21 }, { "verbose", 0 }, { "", 0 },
        { "averyveryverylongword", 0 },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++)
        cr_assert_eq(otlp_severity_number(span_cstr(t[i].w), false), t[i].n, "%s", t[i].w);
    cr_assert_eq(otlp_severity_number(SPAN_LIT("info"), true), 9);
    cr_assert_eq(otlp_severity_number(SPAN_LIT("low"), true), 13);
    cr_assert_eq(otlp_severity_number(SPAN_LIT("medium"), true), 15);
    cr_assert_eq(otlp_severity_number(SPAN_LIT("high"), true), 17);
    cr_assert_eq(otlp_severity_number(SPAN_LIT("critical"), true), 21);
    cr_assert_eq(otlp_severity_number(SPAN_LIT("low"), false), 0);
}

Test(otlp, record_maps_to_a_log_record)
{
    struct otlp_encoder *e = otlp_encoder_new(&test_res);
    cr_assert(e);
    struct test_rec t;
    struct record *r = test_rec_make(&t, 1);
    r->read_ts = r->ts + 5000;
    r->host = SPAN_LIT("other-host");
    r->repeat = 3;
    r->truncated = true;
    record_set_str(r, RK_LEVEL, SPAN_LIT("warn"));
    record_set_str(r, RK_MSG, SPAN_LIT("slow query"));
    record_set_str(r, RK_SRC_IP, SPAN_LIT("192.0.2.1"));
    record_set_str(r, RK_PID, SPAN_LIT("4242"));
    record_set_int(r, RK_SRC_PORT, 2222);
    record_set_str(r, RK_COMMAND, SPAN_LIT("ls -la"));
    record_add_str(r, SPAN_LIT("kind"), SPAN_LIT("mine"));
    record_add_double(r, SPAN_LIT("ratio"), 0.5);
    record_add_bool(r, SPAN_LIT("ok"), true);
    record_add_null(r, SPAN_LIT("nothing"));
    record_open(r, SPAN_LIT("req"), FT_MAP);
    record_add_str(r, SPAN_LIT("id"), SPAN_LIT("r-1"));
    record_open(r, SPAN_LIT("tags"), FT_ARRAY);
    record_add_str(r, SPAN_NULL, SPAN_LIT("a"));
    record_add_int(r, SPAN_NULL, 7);
    record_close(r);
    record_close(r);

    otlp_req *m = roundtrip(e, &r, 1);
    cr_assert_eq(m->n_resource_logs, 1);
    Opentelemetry__Proto__Logs__V1__ResourceLogs *rl = m->resource_logs[0];
    cr_assert_eq(rl->resource->n_attributes, 3, "empty and unset k8s values are left out");
    assert_str(attr(rl->resource->attributes, 3, "service.name"), "svc");
    assert_str(attr(rl->resource->attributes, 3, "host.name"), "web-1");
    assert_str(attr(rl->resource->attributes, 3, "k8s.pod.name"), "pod-1");
    cr_assert_eq(rl->n_scope_logs, 1);
    cr_assert_str_eq(rl->scope_logs[0]->scope->name, "vigil");
    cr_assert_str_eq(rl->scope_logs[0]->scope->version, VIGIL_VERSION);
    cr_assert_eq(rl->scope_logs[0]->n_log_records, 1);
    Opentelemetry__Proto__Logs__V1__LogRecord *lr = rl->scope_logs[0]->log_records[0];
    cr_assert_eq(lr->time_unix_nano, (uint64_t)r->ts);
    cr_assert_eq(lr->observed_time_unix_nano, (uint64_t)r->ts + 5000);
    cr_assert_eq(lr->severity_number, 13);
    cr_assert_str_eq(lr->severity_text, "warn");
    cr_assert_str_eq(lr->event_name, "");
    assert_str(lr->body, "slow query");
    otlp_kv **a = lr->attributes;
    size_t n = lr->n_attributes;
    assert_str(attr(a, n, "log.record.original"), "GET /api/v1/items/1 200 user=alice");
    assert_str(attr(a, n, "log.file.path"), "/var/log/app/api.log");
    assert_str(attr(a, n, "vigil.tag"), "app.api");
    assert_str(attr(a, n, "vigil.input"), "app");
    assert_str(attr(a, n, "vigil.kind"), "app");
    assert_str(attr(a, n, "vigil.host"), "other-host");
    assert_int(attr(a, n, "vigil.repeat"), 3);
    cr_assert(attr(a, n, "vigil.truncated")->bool_value);
    assert_str(attr(a, n, "user.name"), "alice");
    assert_str(attr(a, n, "client.address"), "192.0.2.1");
    assert_int(attr(a, n, "client.port"), 2222);
    assert_int(attr(a, n, "process.pid"), 4242);
    assert_str(attr(a, n, "process.command_line"), "ls -la");
    assert_str(attr(a, n, "vigil.method"), "GET");
    assert_int(attr(a, n, "vigil.status"), 200);
    assert_str(attr(a, n, "vigil._kind"), "mine");
    cr_assert_eq(attr(a, n, "vigil.ratio")->double_value, 0.5);
    cr_assert(attr(a, n, "vigil.ok")->bool_value);
    cr_assert_eq(attr(a, n, "vigil.nothing")->value_case,
                 OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE__NOT_SET);
    const otlp_any *req = attr(a, n, "vigil.req");
    cr_assert_eq(req->value_case, OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE);
    cr_assert_eq(req->kvlist_value->n_values, 2);
    assert_str(attr(req->kvlist_value->values, 2, "id"), "r-1");
    const otlp_any *tags = attr(req->kvlist_value->values, 2, "tags");
    cr_assert_eq(tags->array_value->n_values, 2);
    assert_str(tags->array_value->values[0], "a");
    assert_int(tags->array_value->values[1], 7);
    cr_assert_null(attr(a, n, "vigil.level"), "the level is the severity, not an attribute");
    cr_assert_null(attr(a, n, "vigil.msg"), "the message is the body, not an attribute");
    cr_assert_null(attr(a, n, "vigil.user"));
    cr_assert_null(attr(a, n, "vigil.pid"));
    cr_assert_eq(n, 20, "got %zu attributes", n);
    req_free(m);
    otlp_encoder_free(e);
}

Test(otlp, fields_of_the_wrong_type_stay_under_vigil)
{
    struct otlp_encoder *e = otlp_encoder_new(&test_res);
    struct test_rec t;
    struct record *r = test_rec_make(&t, 2);
    r->host = SPAN_LIT("web-1");         /* the resource's: not repeated */
    record_set_str(r, RK_PID, SPAN_LIT("abc"));
    record_set_int(r, RK_SRC_IP, 7);
    record_set_int(r, RK_LEVEL, 30);    /* not a word: no severity */
    otlp_req *m = roundtrip(e, &r, 1);
    Opentelemetry__Proto__Logs__V1__LogRecord *lr = m->resource_logs[0]->scope_logs[0]->log_records[0];
    otlp_kv **a = lr->attributes;
    size_t n = lr->n_attributes;
    assert_str(attr(a, n, "vigil.pid"), "abc");
    assert_int(attr(a, n, "vigil.src_ip"), 7);
    assert_int(attr(a, n, "vigil.level"), 30);
    cr_assert_null(attr(a, n, "process.pid"));
    cr_assert_null(attr(a, n, "vigil.host"));
    cr_assert_null(attr(a, n, "log.record.original"), "no message: the body is the line");
    assert_str(lr->body, "GET /api/v1/items/2 200 user=alice");
    cr_assert_eq(lr->severity_number, 0);
    cr_assert_str_eq(lr->severity_text, "");
    cr_assert_eq(lr->observed_time_unix_nano, (uint64_t)r->ts, "no read time: the event time");
    req_free(m);
    otlp_encoder_free(e);
}

Test(otlp, trace_context_of_the_line)
{
    struct otlp_encoder *e = otlp_encoder_new(&test_res);
    struct test_rec t;
    struct record *r = test_rec_make(&t, 5);
    record_add_str(r, SPAN_LIT("trace_id"), SPAN_LIT("4BF92F3577B34DA6A3CE929D0E0E4736"));
    record_add_str(r, SPAN_LIT("span_id"), SPAN_LIT("00f067aa0ba902b7"));
    otlp_req *m = roundtrip(e, &r, 1);
    Opentelemetry__Proto__Logs__V1__LogRecord *lr = m->resource_logs[0]->scope_logs[0]->log_records[0];
    static const uint8_t trace[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                                       0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
    static const uint8_t span[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };
    cr_assert_eq(lr->trace_id.len, 16);
    cr_assert_arr_eq(lr->trace_id.data, trace, 16);
    cr_assert_eq(lr->span_id.len, 8);
    cr_assert_arr_eq(lr->span_id.data, span, 8);
    cr_assert_null(attr(lr->attributes, lr->n_attributes, "vigil.trace_id"));
    req_free(m);
    struct buf recs = { 0 };
    cr_assert_eq(otlp_encode_record(e, OTLP_ENC_JSON, &recs, r), 0);
    cr_assert(memmem(recs.p, recs.len, "\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\","
                                        "\"spanId\":\"00f067aa0ba902b7\"", 72));
    buf_free(&recs);

    /* not ids: all zeros, wrong length, not hex -> attributes as they are */
    static const char *const bad[] = { "00000000000000000000000000000000", "4bf92f35",
                                       "4bf92f3577b34da6a3ce929d0e0e473g" };
    for (size_t i = 0; i < 3; i++) {
        r = test_rec_make(&t, 6);
        record_add_str(r, SPAN_LIT("trace_id"), span_cstr(bad[i]));
        m = roundtrip(e, &r, 1);
        lr = m->resource_logs[0]->scope_logs[0]->log_records[0];
        cr_assert_eq(lr->trace_id.len, 0, "%s", bad[i]);
        assert_str(attr(lr->attributes, lr->n_attributes, "vigil.trace_id"), bad[i]);
        req_free(m);
    }
    otlp_encoder_free(e);
}

Test(otlp, alert_is_an_event)
{
    struct otlp_encoder *e = otlp_encoder_new(&test_res);
    struct test_rec t;
    struct record *r = test_rec_make(&t, 3);
    r->kind = KIND_ALERT;
    record_set_str(r, RK_RULE, SPAN_LIT("auth.root_ssh"));
    record_set_str(r, RK_SEVERITY, SPAN_LIT("high"));
    record_add_double(r, SPAN_LIT("score"), 0.8);
    record_open(r, SPAN_LIT("attack"), FT_ARRAY);
    record_add_str(r, SPAN_NULL, SPAN_LIT("T1078.003"));
    record_close(r);
    otlp_req *m = roundtrip(e, &r, 1);
    Opentelemetry__Proto__Logs__V1__LogRecord *lr = m->resource_logs[0]->scope_logs[0]->log_records[0];
    cr_assert_str_eq(lr->event_name, "vigil.alert");
    assert_str(attr(lr->attributes, lr->n_attributes, "event.name"), "vigil.alert");
    cr_assert_eq(lr->severity_number, 17);
    cr_assert_str_eq(lr->severity_text, "high");
    assert_str(attr(lr->attributes, lr->n_attributes, "vigil.rule"), "auth.root_ssh");
    cr_assert_eq(attr(lr->attributes, lr->n_attributes, "vigil.score")->double_value, 0.8);
    const otlp_any *att = attr(lr->attributes, lr->n_attributes, "vigil.attack");
    assert_str(att->array_value->values[0], "T1078.003");
    cr_assert_null(attr(lr->attributes, lr->n_attributes, "vigil.severity"));
    req_free(m);
    otlp_encoder_free(e);
}

Test(otlp, hostile_bytes_become_valid_utf8)
{
    struct otlp_encoder *e = otlp_encoder_new(&test_res);
    struct test_rec t;
    struct record *r = test_rec_make(&t, 4);
    static const char line[] = "a\0b\xff" "c\xe2\x82" "d caf\xc3\xa9 \xf0\x9f\x98\x80";
    r->raw = span_make(line, sizeof(line) - 1);
    record_add_str(r, SPAN_LIT("k\xc0"), SPAN_LIT("\xed\xa0\x80"));   /* surrogate */
    otlp_req *m = roundtrip(e, &r, 1);
    Opentelemetry__Proto__Logs__V1__LogRecord *lr = m->resource_logs[0]->scope_logs[0]->log_records[0];
    assert_str(lr->body, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd"
                         "d caf\xc3\xa9 \xf0\x9f\x98\x80");
    assert_str(attr(lr->attributes, lr->n_attributes, "vigil.k\xef\xbf\xbd"),
               "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    req_free(m);

    /* OTLP/JSON of the same: escaped, still one valid object per record */
    struct buf recs = { 0 }, req = { 0 };
    cr_assert_eq(otlp_encode_record(e, OTLP_ENC_JSON, &recs, r), 0);
    cr_assert_eq(otlp_encode_request(e, OTLP_ENC_JSON, &req, recs.p, recs.len), 0);
    cr_assert(memmem(req.p, req.len, "\"body\":{\"stringValue\":\"a\xef\xbf\xbd" "b", 27));
    cr_assert_null(memchr(req.p, 0, req.len));
    buf_free(&recs);
    buf_free(&req);
    otlp_encoder_free(e);
}

/* Golden bytes: the envelope around one hand-made record, as the protobuf
 * encoding rules give it (fields in number order, lengths as varints). */
Test(otlp, envelope_golden_bytes)
{
    struct otlp_resource res = { .service_name = "s" };
    struct otlp_encoder *e = otlp_encoder_new(&res);
    static const unsigned char rec[] = { 0x12, 0x02, 0x10, 0x09 };   /* severity_number 9 */
    struct buf req = { 0 };
    cr_assert_eq(otlp_encode_request(e, OTLP_ENC_PROTOBUF, &req, rec, sizeof(rec)), 0);
    /* Resource{attributes:[{key:"service.name", value:{string_value:"s"}}]} */
    static const unsigned char resource[] = {
        0x0a, 0x13, 0x0a, 0x0c, 's', 'e', 'r', 'v', 'i', 'c', 'e', '.', 'n', 'a', 'm', 'e',
        0x12, 0x03, 0x0a, 0x01, 's',
    };
    unsigned char want[128];
    size_t n = 0;
    size_t vl = strlen(VIGIL_VERSION);
    size_t scope = 2 + 5 + 2 + vl;                       /* name "vigil", version */
    size_t scope_logs = 2 + scope + sizeof(rec);
    size_t resource_logs = 2 + sizeof(resource) + 2 + scope_logs;
    want[n++] = 0x0a;
    want[n++] = (unsigned char)resource_logs;
    want[n++] = 0x0a;
    want[n++] = sizeof(resource);
    memcpy(want + n, resource, sizeof(resource));
    n += sizeof(resource);
    want[n++] = 0x12;
    want[n++] = (unsigned char)scope_logs;
    want[n++] = 0x0a;
    want[n++] = (unsigned char)scope;
    memcpy(want + n, "\x0a\x05vigil\x12", 8);
    n += 8;
    want[n++] = (unsigned char)vl;
    memcpy(want + n, VIGIL_VERSION, vl);
    n += vl;
    memcpy(want + n, rec, sizeof(rec));
    n += sizeof(rec);
    cr_assert_eq(req.len, n);
    cr_assert_arr_eq(req.p, want, n);
    buf_free(&req);
    otlp_encoder_free(e);
}

Test(otlp, json_request_text)
{
    struct otlp_resource res = { .service_name = "s", .host_name = "h" };
    struct otlp_encoder *e = otlp_encoder_new(&res);
    struct test_rec t;
    struct record *r = &t.r;
    record_init(r, t.arena, sizeof(t.arena));
    r->raw = SPAN_LIT("hi");
    r->tag = SPAN_LIT("t");
    r->input = SPAN_LIT("i");
    r->kind = KIND_RAW;
    r->ts = 1700000000123456789LL;
    r->read_ts = 1700000000999999999LL;
    record_set_str(r, RK_LEVEL, SPAN_LIT("error"));
    record_add_int(r, SPAN_LIT("big"), -9007199254740993LL);
    record_add_double(r, SPAN_LIT("d"), 1.5);
    struct buf recs = { 0 }, req = { 0 };
    cr_assert_eq(otlp_encode_record(e, OTLP_ENC_JSON, &recs, r), 0);
    cr_assert_eq(otlp_encode_record(e, OTLP_ENC_JSON, &recs, r), 0);
    cr_assert_eq(otlp_encode_request(e, OTLP_ENC_JSON, &req, recs.p, recs.len), 0);
    const char *one =
        "{\"timeUnixNano\":\"1700000000123456789\",\"observedTimeUnixNano\":\"1700000000999999999\","
        "\"severityNumber\":17,\"severityText\":\"error\",\"body\":{\"stringValue\":\"hi\"},"
        "\"attributes\":[{\"key\":\"vigil.tag\",\"value\":{\"stringValue\":\"t\"}},"
        "{\"key\":\"vigil.input\",\"value\":{\"stringValue\":\"i\"}},"
        "{\"key\":\"vigil.kind\",\"value\":{\"stringValue\":\"raw\"}},"
        "{\"key\":\"vigil.big\",\"value\":{\"intValue\":\"-9007199254740993\"}},"
        "{\"key\":\"vigil.d\",\"value\":{\"doubleValue\":1.5}}]}";
    char want[2048];
    snprintf(want, sizeof(want),
             "{\"resourceLogs\":[{\"resource\":{\"attributes\":["
             "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"s\"}},"
             "{\"key\":\"host.name\",\"value\":{\"stringValue\":\"h\"}}]},"
             "\"scopeLogs\":[{\"scope\":{\"name\":\"vigil\",\"version\":\"%s\"},"
             "\"logRecords\":[%s,%s]}]}]}", VIGIL_VERSION, one, one);
    cr_assert_eq(req.len, strlen(want), "got %.*s", (int)req.len, (const char *)req.p);
    cr_assert_arr_eq(req.p, want, req.len);
    buf_free(&recs);
    buf_free(&req);
    otlp_encoder_free(e);
}

Test(otlp, refuses_what_is_not_its_records)
{
    struct otlp_encoder *e = otlp_encoder_new(&test_res);
    struct buf req = { 0 };
    static const unsigned char msgpack[] = { 0x93, 0xa1, 'a', 0xc0 };
    static const unsigned char cut[] = { 0x12, 0x05, 0x10, 0x09 };
    static const unsigned char bad_varint[] = { 0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                0xff, 0xff, 0xff, 0xff, 0x01 };
    cr_assert_eq(otlp_encode_request(e, OTLP_ENC_PROTOBUF, &req, msgpack, sizeof(msgpack)), -2);
    cr_assert_eq(otlp_encode_request(e, OTLP_ENC_PROTOBUF, &req, cut, sizeof(cut)), -2);
    cr_assert_eq(otlp_encode_request(e, OTLP_ENC_PROTOBUF, &req, bad_varint, sizeof(bad_varint)), -2);
    cr_assert_eq(otlp_encode_request(e, OTLP_ENC_JSON, &req, "{\"a\":1}", 7), -2);
    cr_assert_eq(otlp_encode_request(e, OTLP_ENC_JSON, &req, cut, sizeof(cut)), -2);
    cr_assert_eq(req.len, 0);
    buf_free(&req);
    otlp_encoder_free(e);
}

Test(otlp, partial_success_replies)
{
    int64_t rej;
    char msg[64];
    cr_assert_eq(otlp_parse_response(OTLP_ENC_PROTOBUF, "", 0, &rej, msg, sizeof(msg)), 0);
    cr_assert_eq(rej, 0);
    Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceResponse resp =
        OPENTELEMETRY__PROTO__COLLECTOR__LOGS__V1__EXPORT_LOGS_SERVICE_RESPONSE__INIT;
    Opentelemetry__Proto__Collector__Logs__V1__ExportLogsPartialSuccess ps =
        OPENTELEMETRY__PROTO__COLLECTOR__LOGS__V1__EXPORT_LOGS_PARTIAL_SUCCESS__INIT;
    ps.rejected_log_records = 3;
    ps.error_message = "too old";
    resp.partial_success = &ps;
    unsigned char b[64];
    size_t n = opentelemetry__proto__collector__logs__v1__export_logs_service_response__pack(&resp, b);
    cr_assert_eq(otlp_parse_response(OTLP_ENC_PROTOBUF, b, n, &rej, msg, sizeof(msg)), 0);
    cr_assert_eq(rej, 3);
    cr_assert_str_eq(msg, "too old");
    cr_assert_eq(otlp_parse_response(OTLP_ENC_PROTOBUF, "\xff\xff", 2, &rej, msg, sizeof(msg)), -1);

    const char *j1 = "{\"partialSuccess\":{\"rejectedLogRecords\":\"12\",\"errorMessage\":\"bad \\\"x\\\"\"}}";
    cr_assert_eq(otlp_parse_response(OTLP_ENC_JSON, j1, strlen(j1), &rej, msg, sizeof(msg)), 0);
    cr_assert_eq(rej, 12);
    cr_assert_str_eq(msg, "bad \\\"x\\\"");
    const char *j2 = "{ \"partialSuccess\" : { \"rejectedLogRecords\" : 5 } }";
    cr_assert_eq(otlp_parse_response(OTLP_ENC_JSON, j2, strlen(j2), &rej, msg, sizeof(msg)), 0);
    cr_assert_eq(rej, 5);
    cr_assert_str_eq(msg, "");
    cr_assert_eq(otlp_parse_response(OTLP_ENC_JSON, "{}", 2, &rej, msg, sizeof(msg)), 0);
    cr_assert_eq(rej, 0);
    const char *j3 = "{\"rejectedLogRecords\":\"99999999999999999999999\"}";
    cr_assert_eq(otlp_parse_response(OTLP_ENC_JSON, j3, strlen(j3), &rej, msg, sizeof(msg)), -1);
    const char *j4 = "{\"errorMessage\":\"unterminated";
    cr_assert_eq(otlp_parse_response(OTLP_ENC_JSON, j4, strlen(j4), &rej, msg, sizeof(msg)), 0);
}

/* Every field slot used, nesting at the limit, long strings: the pools and
 * the scratch bound hold (run under ASan by `make check`). */
Test(otlp, record_at_every_limit)
{
    struct otlp_encoder *e = otlp_encoder_new(&test_res);
    static char arena[1 << 20];
    static char big[60000];
    memset(big, '\xff', sizeof(big));
    struct record r;
    record_init(&r, arena, sizeof(arena));
    r.raw = span_make(big, sizeof(big));
    r.tag = SPAN_LIT("t");
    for (int d = 0; d < RECORD_MAX_DEPTH; d++)
        record_open(&r, span_make(big, 100), d % 2 ? FT_ARRAY : FT_MAP);
    while (record_add_str(&r, span_make(big, 50), span_make(big, 200)) >= 0)
        ;
    for (int d = 0; d < RECORD_MAX_DEPTH; d++)
        record_close(&r);
    cr_assert_eq(r.nfields, RECORD_MAX_FIELDS);
    struct record *rp = &r;
    otlp_req *m = roundtrip(e, &rp, 1);
    cr_assert_eq(m->resource_logs[0]->scope_logs[0]->n_log_records, 1);
    req_free(m);
    /* a flat record with every slot used */
    record_init(&r, arena, sizeof(arena));
    r.raw = SPAN_LIT("x");
    char key[16];
    for (int i = 0; i < RECORD_MAX_FIELDS; i++) {
        int kn = snprintf(key, sizeof(key), "k%d", i);
        record_add_str(&r, span_make(record_copy(&r, key, (size_t)kn).p, (size_t)kn),
                       SPAN_LIT("v"));
    }
    r.repeat = 2;
    r.truncated = true;
    r.parse_error = "x";
    r.path = SPAN_LIT("/p");
    r.host = SPAN_LIT("h");
    m = roundtrip(e, &rp, 1);
    cr_assert_eq(m->resource_logs[0]->scope_logs[0]->log_records[0]->n_attributes,
                 RECORD_MAX_FIELDS + 8);
    req_free(m);
    otlp_encoder_free(e);
}

/* The packing room is a bound, not a measure: small fields whose encoding
 * is mostly overhead (negative integers are 10-byte varints) stay within it. */
Test(otlp, overhead_heavy_records_fit_their_bound)
{
    struct otlp_encoder *e = otlp_encoder_new(&test_res);
    static char arena[1 << 16];
    struct record r;
    struct record *rp = &r;
    for (int shape = 0; shape < 4; shape++) {
        record_init(&r, arena, sizeof(arena));
        r.raw = SPAN_NULL;
        if (shape >= 2)
            record_open(&r, SPAN_NULL, shape == 2 ? FT_ARRAY : FT_MAP);
        for (int i = 0; r.nfields < RECORD_MAX_FIELDS; i++) {
            if (shape % 2)
                record_add_int(&r, SPAN_NULL, INT64_MIN + i);
            else
                record_add_double(&r, SPAN_NULL, -1.0 / (i + 1));
        }
        if (shape >= 2)
            record_close(&r);
        record_set_int(&r, RK_PID, -1);
        otlp_req *m = roundtrip(e, &rp, 1);
        cr_assert_eq(m->resource_logs[0]->scope_logs[0]->n_log_records, 1);
        req_free(m);
    }
    otlp_encoder_free(e);
}

static int enc_cb(void *arg, struct buf *out, const struct record *r)
{
    return otlp_encode_record(arg, OTLP_ENC_PROTOBUF, out, r);
}

Test(otlp, batch_writer_uses_the_plugin_encoder)
{
    struct otlp_encoder *e = otlp_encoder_new(&test_res);
    struct batch_writer *w = batch_writer_new(OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_NONE);
    batch_writer_set_encoder(w, enc_cb, e);
    struct test_rec t[3];
    struct record *rs[3];
    for (int i = 0; i < 3; i++) {
        rs[i] = test_rec_make(&t[i], (uint64_t)i + 10);
        cr_assert_eq(batch_writer_add(w, rs[i]), 0);
    }
    struct batch *b = batch_writer_finish(w);
    cr_assert_eq(b->n_events, 3);
    cr_assert_eq(b->first_seq, 10);
    cr_assert_eq(b->last_seq, 12);
    struct buf want = { 0 };
    for (int i = 0; i < 3; i++)
        otlp_encode_record(e, OTLP_ENC_PROTOBUF, &want, rs[i]);
    cr_assert_eq(b->len, want.len);
    cr_assert_arr_eq(b->data, want.p, want.len);
    buf_free(&want);
    batch_free(b);
    batch_writer_free(w);
    otlp_encoder_free(e);
}
