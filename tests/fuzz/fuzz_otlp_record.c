/* fuzz_otlp_record.c - hostile lines through the json parser, then each
 * record encoded as an OTLP LogRecord in both encodings and wrapped in a
 * request: the protobuf request must unpack with protobuf-c, hold one
 * record, and every string in it must be valid UTF-8; the JSON one must be
 * free of raw control bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb-c.h"
#include "outputs/otlp_encode.h"
#include "sidecar/parsers/app_kind.h"
#include "sidecar/parsers/parser.h"
#include "sidecar/utf8.h"

extern const struct parser_plugin parser_json;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void utf8_or_die(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = p[i] < 0x80 ? 1 : utf8_decode(p + i, n - i, &cp);
        if (!k)
            abort();
        i += k;
    }
}

static void any_check(const Opentelemetry__Proto__Common__V1__AnyValue *a)
{
    if (!a)
        return;
    switch (a->value_case) {
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
        utf8_or_die(a->string_value);
        break;
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE:
        for (size_t i = 0; i < a->array_value->n_values; i++)
            any_check(a->array_value->values[i]);
        break;
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE:
        for (size_t i = 0; i < a->kvlist_value->n_values; i++) {
            utf8_or_die(a->kvlist_value->values[i]->key);
            any_check(a->kvlist_value->values[i]->value);
        }
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char arena[64 * 1024];
    static struct record r;
    static struct app_ctx ctx;
    static struct otlp_encoder *e;
    if (!e) {
        struct otlp_resource res = { .service_name = "fuzz", .host_name = "h" };
        if (!(e = otlp_encoder_new(&res)))
            return 0;
    }
    memset(&ctx, 0, sizeof(ctx));
    struct parser p = { &parser_json, &ctx, 64 * 1024 };
    char err[256];
    if (parser_json.init && parser_json.init(&p, err, sizeof(err)) < 0)
        abort();
    void *state = parser_json.state_size ? calloc(1, parser_json.state_size) : NULL;
    struct buf recs = { 0 }, req = { 0 };
    for (size_t off = 0; off <= size;) {
        const uint8_t *nl = memchr(data + off, '\n', size - off);
        size_t n = nl ? (size_t)(nl - (data + off)) : size - off;
        char *line = malloc(n ? n : 1);
        memcpy(line, data + off, n);
        record_init(&r, arena, sizeof(arena));
        r.raw = span_make(line, n);
        r.tag = SPAN_LIT("t");
        r.read_ts = r.ts = INT64_C(1764151200000000000);
        enum parse_result res = parser_json.parse(&p, state, &r, span_make(line, n));
        if (res == PARSE_OK || res == PARSE_MALFORMED) {
            for (int enc = OTLP_ENC_PROTOBUF; enc <= OTLP_ENC_JSON; enc++) {
                recs.len = req.len = 0;
                if (otlp_encode_record(e, enc, &recs, &r) < 0 ||
                    otlp_encode_request(e, enc, &req, recs.p, recs.len) < 0)
                    abort();
                if (enc == OTLP_ENC_JSON) {
                    for (size_t i = 0; i < req.len; i++)
                        if (req.p[i] < 0x20)
                            abort();
                    continue;
                }
                Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceRequest *m =
                    opentelemetry__proto__collector__logs__v1__export_logs_service_request__unpack(
                        NULL, req.len, req.p);
                if (!m || m->n_resource_logs != 1 ||
                    m->resource_logs[0]->scope_logs[0]->n_log_records != 1)
                    abort();
                Opentelemetry__Proto__Logs__V1__LogRecord *lr =
                    m->resource_logs[0]->scope_logs[0]->log_records[0];
                any_check(lr->body);
                utf8_or_die(lr->severity_text);
                for (size_t i = 0; i < lr->n_attributes; i++) {
                    utf8_or_die(lr->attributes[i]->key);
                    any_check(lr->attributes[i]->value);
                }
                opentelemetry__proto__collector__logs__v1__export_logs_service_request__free_unpacked(
                    m, NULL);
            }
        }
        free(line);
        off += n + 1;
    }
    buf_free(&recs);
    buf_free(&req);
    if (state && parser_json.state_fini)
        parser_json.state_fini(&p, state);
    free(state);
    if (parser_json.destroy)
        parser_json.destroy(&p);
    return 0;
}
