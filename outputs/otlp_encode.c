/* otlp_encode.c - records as OTLP log records (see otlp_encode.h).
 * One mapping, two serialisers: a record is first turned into protobuf-c's
 * LogRecord structure, built in pools the encoder owns (no malloc per
 * record), then packed by protobuf-c or written as OTLP/JSON by the small
 * walker below. Strings go through a per-record scratch buffer because
 * protobuf-c wants them NUL-terminated and OTLP wants valid UTF-8: a NUL or
 * an invalid byte of a hostile line becomes U+FFFD, never a broken request.
 * The request envelope (ExportLogsServiceRequest > ResourceLogs > ScopeLogs)
 * is three length prefixes around the records, whose resource and scope are
 * packed once by protobuf-c: a batch's records are encoded as they arrive,
 * so the envelope cannot be packed around them in one go. */
#include "outputs/otlp_encode.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb-c.h"
#include "opentelemetry/proto/common/v1/common.pb-c.h"
#include "opentelemetry/proto/logs/v1/logs.pb-c.h"
#include "opentelemetry/proto/resource/v1/resource.pb-c.h"
#include "outputs/encode.h"
#include "sidecar/escape.h"
#include "sidecar/utf8.h"
#include "sidecar/version.h"

typedef Opentelemetry__Proto__Common__V1__AnyValue otlp_any;
typedef Opentelemetry__Proto__Common__V1__KeyValue otlp_kv;
typedef Opentelemetry__Proto__Common__V1__ArrayValue otlp_array;
typedef Opentelemetry__Proto__Common__V1__KeyValueList otlp_kvlist;
typedef Opentelemetry__Proto__Logs__V1__LogRecord otlp_log;

#define ANY_INIT OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT
#define KV_INIT OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE__INIT
#define V_STR OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
#define V_BOOL OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE
#define V_INT OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE
#define V_DOUBLE OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE
#define V_ARRAY OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE
#define V_KVLIST OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE

/* Attributes vigil adds besides the fields: file path, tag, input, kind,
 * host, parse_error, truncated, repeat, event.name, log.record.original. */
#define OTLP_EXTRA_ATTRS 16
#define OTLP_POOL (RECORD_MAX_FIELDS + OTLP_EXTRA_ATTRS + 2)
#define OTLP_PREFIX "vigil."
#define OTLP_HDR_MAX 11            /* tag + the longest varint */

struct otlp_encoder {
    /* per-record pools, reset for each record */
    otlp_kv kv[OTLP_POOL];
    otlp_any any[OTLP_POOL];
    otlp_kv *kvp[OTLP_POOL];
    otlp_any *anyp[OTLP_POOL];
    otlp_array arrays[RECORD_MAX_FIELDS];
    otlp_kvlist kvlists[RECORD_MAX_FIELDS];
    size_t nkv, nany, nkvp, nanyp, narrays, nkvlists;
    struct buf scratch;           /* NUL-terminated, valid UTF-8 copies of the strings */
    /* the envelope, built once */
    struct buf resource_pb, scope_pb;         /* packed Resource, InstrumentationScope */
    struct buf json_head;                     /* {"resourceLogs":[{..."logRecords":[ */
    struct buf head;                          /* the protobuf head of the last request */
    char *host_name;                          /* the resource's host.name */
    uint8_t trace_id[16], span_id[8];         /* of the record being built */
};

/* ---- strings ---- */

/* A NUL-terminated valid UTF-8 copy of p[0..n) in the scratch buffer, which
 * the caller reserved (3 bytes per input byte + 1 is always enough). */
static char *otlp_str(struct otlp_encoder *e, const char *p, size_t n)
{
    char *start = (char *)e->scratch.p + e->scratch.len, *o = start;
    const unsigned char *s = (const unsigned char *)p;
    for (size_t i = 0; i < n;) {
        /* eight plain ASCII bytes (no NUL, no high bit) at a time */
        uint64_t v;
        if (n - i >= 8 && (memcpy(&v, s + i, 8), !(v & 0x8080808080808080ull)) &&
            !((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull)) {
            memcpy(o, &v, 8);
            o += 8;
            i += 8;
            continue;
        }
        unsigned c = s[i];
        if (c && c < 0x80) {
            *o++ = (char)c;
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = c ? utf8_decode(s + i, n - i, &cp) : 0;
        if (k) {
            memcpy(o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(o, "\xef\xbf\xbd", 3);   /* U+FFFD */
            o += 3;
            i++;
        }
    }
    *o++ = '\0';
    e->scratch.len = (size_t)(o - (char *)e->scratch.p);
    return start;
}

static char *otlp_span(struct otlp_encoder *e, struct span s)
{
    return otlp_str(e, s.p, s.len);
}

/* "vigil." + key, or "vigil._" + key when the key is one of the attributes
 * vigil adds itself (a field named `kind` must not pass for the record's). */
static bool otlp_reserved_key(struct span k)
{
    static const char *const names[] = { "tag", "input", "kind", "host", "parse_error",
                                         "truncated", "repeat", NULL };
    for (size_t i = 0; names[i]; i++)
        if (span_eq_cstr(k, names[i]))
            return true;
    return false;
}

static char *otlp_vigil_key(struct otlp_encoder *e, struct span k)
{
    bool under = otlp_reserved_key(k);
    char *start = (char *)e->scratch.p + e->scratch.len;
    memcpy(start, under ? OTLP_PREFIX "_" : OTLP_PREFIX, sizeof(OTLP_PREFIX) - 1 + under);
    e->scratch.len += sizeof(OTLP_PREFIX) - 1 + under;
    otlp_str(e, k.p, k.len);
    return start;
}

/* ---- the pools ---- */

static otlp_any *any_new(struct otlp_encoder *e)
{
    otlp_any *a = &e->any[e->nany++];
    *a = (otlp_any)ANY_INIT;
    return a;
}

static otlp_kv *kv_new(struct otlp_encoder *e, char *key)
{
    otlp_kv *kv = &e->kv[e->nkv++];
    *kv = (otlp_kv)KV_INIT;
    kv->key = key;
    kv->value = any_new(e);
    return kv;
}

static otlp_any *any_str(otlp_any *a, char *s)
{
    a->value_case = V_STR;
    a->string_value = s;
    return a;
}

static otlp_any *any_int(otlp_any *a, int64_t v)
{
    a->value_case = V_INT;
    a->int_value = v;
    return a;
}

/* ---- the mapping ---- */

static uint32_t field_end(const struct record *r, uint32_t i)
{
    const struct field *f = &r->fields[i];
    uint32_t end = i + 1 + (f->type == FT_MAP || f->type == FT_ARRAY ? f->size : 0);
    return end < r->nfields ? end : r->nfields;
}

static size_t count_children(const struct record *r, uint32_t from, uint32_t to)
{
    size_t n = 0;
    for (uint32_t j = from; j < to; j = field_end(r, j))
        n++;
    return n;
}

/* Fills a with the value of field i (maps and arrays recursively). */
static void otlp_value(struct otlp_encoder *e, const struct record *r, uint32_t i, otlp_any *a)
{
    const struct field *f = &r->fields[i];
    uint32_t end = field_end(r, i);
    size_t n;
    switch (f->type) {
    case FT_STR:
        any_str(a, otlp_span(e, f->v.s));
        return;
    case FT_INT:
        any_int(a, f->v.i);
        return;
    case FT_DOUBLE:
        a->value_case = V_DOUBLE;
        a->double_value = f->v.d;
        return;
    case FT_BOOL:
        a->value_case = V_BOOL;
        a->bool_value = f->v.b;
        return;
    case FT_MAP: {
        otlp_kvlist *l = &e->kvlists[e->nkvlists++];
        *l = (otlp_kvlist)OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE_LIST__INIT;
        n = count_children(r, i + 1, end);
        l->values = &e->kvp[e->nkvp];
        e->nkvp += n;
        for (uint32_t j = i + 1; j < end; j = field_end(r, j)) {
            otlp_kv *kv = kv_new(e, otlp_span(e, r->fields[j].key));
            l->values[l->n_values++] = kv;
            otlp_value(e, r, j, kv->value);
        }
        a->value_case = V_KVLIST;
        a->kvlist_value = l;
        return;
    }
    case FT_ARRAY: {
        otlp_array *arr = &e->arrays[e->narrays++];
        *arr = (otlp_array)OPENTELEMETRY__PROTO__COMMON__V1__ARRAY_VALUE__INIT;
        n = count_children(r, i + 1, end);
        arr->values = &e->anyp[e->nanyp];
        e->nanyp += n;
        for (uint32_t j = i + 1; j < end; j = field_end(r, j)) {
            otlp_any *v = any_new(e);
            arr->values[arr->n_values++] = v;
            otlp_value(e, r, j, v);
        }
        a->value_case = V_ARRAY;
        a->array_value = arr;
        return;
    }
    default:
        return;   /* null: an AnyValue with no value */
    }
}

/* The semantic-convention name of a known key, with the value type it needs. */
struct otlp_semconv {
    enum rkey key;
    const char *name;
    bool integer;
};

static const struct otlp_semconv otlp_semconv[] = {
    { RK_SRC_IP, "client.address", false },
    { RK_SRC_PORT, "client.port", true },
    { RK_USER, "user.name", false },
    { RK_PID, "process.pid", true },
    { RK_COMMAND, "process.command_line", false },
};

struct otlp_sev_row {
    const char *word;
    int number;
};

/* The OTel log data model's table; syslog's words as its appendix maps them. */
static const struct otlp_sev_row otlp_levels[] = {
    { "trace", 1 }, { "debug", 5 }, { "info", 9 }, { "notice", 10 }, { "warn", 13 },
    { "warning", 13 }, { "error", 17 }, { "err", 17 }, { "critical", 18 }, { "crit", 18 },
    { "alert", 19 }, { "fatal", 21 }, { "emerg", 21 }, { "panic", 21 }, { NULL, 0 },
};

/* Alert severities (detectors/alert.h). */
static const struct otlp_sev_row otlp_alert_levels[] = {
    { "info", 9 }, { "low", 13 }, { "medium", 15 }, { "high", 17 }, { "critical", 21 },
    { NULL, 0 },
};

int otlp_severity_number(struct span level, bool alert)
{
    char low[16];
    if (level.len == 0 || level.len >= sizeof(low))
        return 0;
    for (size_t i = 0; i < level.len; i++) {
        char c = level.p[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    low[level.len] = '\0';
    for (const struct otlp_sev_row *t = alert ? otlp_alert_levels : otlp_levels; t->word; t++)
        if (strcmp(t->word, low) == 0)
            return t->number;
    return 0;
}

/* Bytes the scratch buffer may need for r's strings. */
static size_t otlp_scratch_bound(const struct record *r)
{
    size_t n = 256 + 3 * (r->raw.len + r->path.len + r->host.len + r->tag.len + r->input.len) +
               (r->parse_error ? 3 * strlen(r->parse_error) : 0);
    for (uint32_t j = 0; j < r->nfields; j++) {
        const struct field *f = &r->fields[j];
        n += 3 * f->key.len + 16 + (f->type == FT_STR ? 3 * f->v.s.len + 1 : 0);
    }
    return n;
}

static void otlp_attr_str(struct otlp_encoder *e, otlp_log *lr, const char *key, struct span v)
{
    otlp_kv *kv = kv_new(e, (char *)key);
    any_str(kv->value, otlp_span(e, v));
    lr->attributes[lr->n_attributes++] = kv;
}

/* Trace context a log line carries (`trace_id`: 32 hex digits, `span_id`:
 * 16, W3C trace-context): true when s is exactly that, not all zeros. */
static bool otlp_hex_id(struct span s, uint8_t *out, size_t n)
{
    if (s.len != 2 * n)
        return false;
    uint8_t any = 0;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = s.p[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0)
            return false;
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] << 4 | v : v);
        any |= (uint8_t)v;
    }
    return any != 0;
}

/* Builds r's LogRecord in the pools. Returns -1 on allocation failure. */
static int otlp_build(struct otlp_encoder *e, const struct record *r, otlp_log *lr)
{
    e->nkv = e->nany = e->nkvp = e->nanyp = e->narrays = e->nkvlists = 0;
    e->scratch.len = 0;
    if (buf_reserve(&e->scratch, otlp_scratch_bound(r)) < 0)
        return -1;
    *lr = (otlp_log)OPENTELEMETRY__PROTO__LOGS__V1__LOG_RECORD__INIT;
    bool alert = r->kind == KIND_ALERT;
    lr->time_unix_nano = r->ts > 0 ? (uint64_t)r->ts : 0;
    lr->observed_time_unix_nano = r->read_ts > 0 ? (uint64_t)r->read_ts : lr->time_unix_nano;

    /* level: severity, not an attribute */
    const struct field *lf = record_get(r, alert ? RK_SEVERITY : RK_LEVEL);
    int level_idx = -1;
    if (lf && lf->type == FT_STR) {
        level_idx = (int)(lf - r->fields);
        lr->severity_text = otlp_span(e, lf->v.s);
        lr->severity_number = (Opentelemetry__Proto__Logs__V1__SeverityNumber)
            otlp_severity_number(lf->v.s, alert);
    }
    /* body: the message when the parser found one, else the whole line */
    const struct field *mf = record_get(r, RK_MSG);
    int msg_idx = mf && mf->type == FT_STR ? (int)(mf - r->fields) : -1;
    lr->body = any_str(any_new(e), msg_idx >= 0 ? otlp_span(e, mf->v.s) : otlp_span(e, r->raw));

    size_t top = count_children(r, 0, r->nfields);
    lr->attributes = &e->kvp[e->nkvp];
    e->nkvp += top + OTLP_EXTRA_ATTRS;
    if (alert) {
        lr->event_name = "vigil.alert";
        otlp_attr_str(e, lr, "event.name", SPAN_LIT("vigil.alert"));
    }
    if (msg_idx >= 0)
        otlp_attr_str(e, lr, "log.record.original", r->raw);
    if (!span_empty(r->path))
        otlp_attr_str(e, lr, "log.file.path", r->path);
    otlp_attr_str(e, lr, OTLP_PREFIX "tag", r->tag);
    otlp_attr_str(e, lr, OTLP_PREFIX "input", r->input);
    otlp_attr_str(e, lr, OTLP_PREFIX "kind",
                  span_cstr(record_kind_name((enum record_kind)r->kind)));
    if (!span_empty(r->host) && !(e->host_name && span_eq_cstr(r->host, e->host_name)))
        otlp_attr_str(e, lr, OTLP_PREFIX "host", r->host);
    if (r->parse_error)
        otlp_attr_str(e, lr, OTLP_PREFIX "parse_error", span_cstr(r->parse_error));
    if (r->truncated) {
        otlp_kv *kv = kv_new(e, OTLP_PREFIX "truncated");
        kv->value->value_case = V_BOOL;
        kv->value->bool_value = 1;
        lr->attributes[lr->n_attributes++] = kv;
    }
    if (r->repeat > 1) {
        otlp_kv *kv = kv_new(e, OTLP_PREFIX "repeat");
        any_int(kv->value, r->repeat);
        lr->attributes[lr->n_attributes++] = kv;
    }

    for (uint32_t j = 0; j < r->nfields; j = field_end(r, j)) {
        if ((int)j == level_idx || (int)j == msg_idx)
            continue;
        const struct field *f = &r->fields[j];
        if (f->type == FT_STR && span_eq_cstr(f->key, "trace_id") && !lr->trace_id.len &&
            otlp_hex_id(f->v.s, e->trace_id, sizeof(e->trace_id))) {
            lr->trace_id.data = e->trace_id;
            lr->trace_id.len = sizeof(e->trace_id);
            continue;
        }
        if (f->type == FT_STR && span_eq_cstr(f->key, "span_id") && !lr->span_id.len &&
            otlp_hex_id(f->v.s, e->span_id, sizeof(e->span_id))) {
            lr->span_id.data = e->span_id;
            lr->span_id.len = sizeof(e->span_id);
            continue;
        }
        const struct otlp_semconv *sc = NULL;
        for (size_t s = 0; s < sizeof(otlp_semconv) / sizeof(*otlp_semconv); s++)
            if (r->known[otlp_semconv[s].key] == (int16_t)(j + 1))
                sc = &otlp_semconv[s];
        int64_t iv;
        if (sc && sc->integer && !(f->type == FT_INT ||
                                   (f->type == FT_STR && record_int(r, sc->key, &iv))))
            sc = NULL;   /* "pid": "abc" stays vigil.pid */
        if (sc && !sc->integer && f->type != FT_STR)
            sc = NULL;
        otlp_kv *kv = kv_new(e, sc ? (char *)sc->name : otlp_vigil_key(e, f->key));
        if (sc && sc->integer && f->type == FT_STR)
            any_int(kv->value, iv);
        else
            otlp_value(e, r, j, kv->value);
        lr->attributes[lr->n_attributes++] = kv;
    }
    return 0;
}

/* ---- OTLP/JSON ---- */

#define LIT(b, s) buf_append((b), (s), sizeof(s) - 1)

static int json_u64_str(struct buf *out, uint64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "\"%llu\"", (unsigned long long)v);
    return buf_append(out, tmp, (size_t)n);
}

static int json_cstr(struct buf *out, const char *s)
{
    return esc_json(out, s, strlen(s));
}

static int json_any(struct buf *out, const otlp_any *a);

static int json_hex(struct buf *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[2 * 16 + 2];
    size_t k = 0;
    tmp[k++] = '"';
    for (size_t i = 0; i < n && i < 16; i++) {
        tmp[k++] = digits[p[i] >> 4];
        tmp[k++] = digits[p[i] & 15];
    }
    tmp[k++] = '"';
    return buf_append(out, tmp, k);
}

static int json_kvs(struct buf *out, otlp_kv *const *kv, size_t n)
{
    int rc = LIT(out, "[");
    for (size_t i = 0; i < n; i++) {
        rc |= i ? LIT(out, ",{\"key\":") : LIT(out, "{\"key\":");
        rc |= json_cstr(out, kv[i]->key);
        rc |= LIT(out, ",\"value\":");
        rc |= json_any(out, kv[i]->value);
        rc |= LIT(out, "}");
    }
    return rc | LIT(out, "]");
}

static int json_any(struct buf *out, const otlp_any *a)
{
    char tmp[48];
    int rc = 0;
    switch (a->value_case) {
    case V_STR:
        return LIT(out, "{\"stringValue\":") | json_cstr(out, a->string_value) | LIT(out, "}");
    case V_BOOL:
        return a->bool_value ? LIT(out, "{\"boolValue\":true}") : LIT(out, "{\"boolValue\":false}");
    case V_INT: {
        int n = snprintf(tmp, sizeof(tmp), "{\"intValue\":\"%lld\"}", (long long)a->int_value);
        return buf_append(out, tmp, (size_t)n);
    }
    case V_DOUBLE: {
        /* protobuf's JSON mapping: non-finite numbers are strings */
        double d = a->double_value;
        int n = isnan(d) ? snprintf(tmp, sizeof(tmp), "{\"doubleValue\":\"NaN\"}")
              : isinf(d) ? snprintf(tmp, sizeof(tmp), "{\"doubleValue\":\"%sInfinity\"}",
                                    d < 0 ? "-" : "")
              : snprintf(tmp, sizeof(tmp), "{\"doubleValue\":%.17g}", d);
        return buf_append(out, tmp, (size_t)n);
    }
    case V_ARRAY:
        rc |= LIT(out, "{\"arrayValue\":{\"values\":[");
        for (size_t i = 0; i < a->array_value->n_values; i++) {
            if (i)
                rc |= LIT(out, ",");
            rc |= json_any(out, a->array_value->values[i]);
        }
        return rc | LIT(out, "]}}");
    case V_KVLIST:
        return LIT(out, "{\"kvlistValue\":{\"values\":") |
               json_kvs(out, a->kvlist_value->values, a->kvlist_value->n_values) |
               LIT(out, "}}");
    default:
        return LIT(out, "{}");
    }
}

static int json_log(struct buf *out, const otlp_log *lr)
{
    char tmp[48];
    int rc = LIT(out, "{\"timeUnixNano\":") | json_u64_str(out, lr->time_unix_nano);
    rc |= LIT(out, ",\"observedTimeUnixNano\":") | json_u64_str(out, lr->observed_time_unix_nano);
    if (lr->severity_number) {
        int n = snprintf(tmp, sizeof(tmp), ",\"severityNumber\":%d", (int)lr->severity_number);
        rc |= buf_append(out, tmp, (size_t)n);
    }
    if (lr->severity_text && lr->severity_text[0])
        rc |= LIT(out, ",\"severityText\":") | json_cstr(out, lr->severity_text);
    if (lr->event_name && lr->event_name[0])
        rc |= LIT(out, ",\"eventName\":") | json_cstr(out, lr->event_name);
    /* OTLP/JSON: trace and span ids in lower-case hex, not base64 */
    if (lr->trace_id.len)
        rc |= LIT(out, ",\"traceId\":") | json_hex(out, lr->trace_id.data, lr->trace_id.len);
    if (lr->span_id.len)
        rc |= LIT(out, ",\"spanId\":") | json_hex(out, lr->span_id.data, lr->span_id.len);
    rc |= LIT(out, ",\"body\":") | json_any(out, lr->body);
    rc |= LIT(out, ",\"attributes\":") | json_kvs(out, lr->attributes, lr->n_attributes);
    return rc | LIT(out, "}");
}

/* ---- records ---- */

static uint8_t *put_varint(uint8_t *o, uint64_t v)
{
    while (v >= 0x80) {
        *o++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *o++ = (uint8_t)v;
    return o;
}

int otlp_encode_record(struct otlp_encoder *e, int encoding, struct buf *out,
                       const struct record *r)
{
    otlp_log lr;
    if (otlp_build(e, r, &lr) < 0)
        return -1;
    size_t before = out->len;
    if (encoding == OTLP_ENC_JSON) {
        if ((json_log(out, &lr) | LIT(out, ",")) < 0) {
            out->len = before;
            return -1;
        }
        return 0;
    }
    /* Packed without get_packed_size first (a second walk of the whole
     * structure): into room bounded from the strings and the element counts,
     * after space for the longest header, then moved to its place. Every
     * string but the constant keys (<= 24 bytes) is in the scratch buffer;
     * a KeyValue costs at most its header, its key's and its value's (6
     * each) and such a key; an AnyValue its header in its parent (6), a
     * 64-bit varint and tag (11) or a string header (6); a container its
     * message header (6); the LogRecord's own fields (times, severity,
     * headers, event name, trace and span ids) under 128 bytes. */
    size_t bound = 256 + e->scratch.len + 48 * e->nkv + 24 * e->nany +
                   12 * (e->narrays + e->nkvlists);
    if (buf_reserve(out, bound + OTLP_HDR_MAX) < 0)
        return -1;
    uint8_t *o = out->p + out->len;
    size_t n = opentelemetry__proto__logs__v1__log_record__pack(&lr, o + OTLP_HDR_MAX);
    if (n > bound)
        abort();   /* the bound above is wrong: never ship past the buffer */
    uint8_t hdr[OTLP_HDR_MAX], *h = hdr;
    *h++ = 0x12;   /* ScopeLogs.log_records: field 2, length-delimited */
    h = put_varint(h, n);
    size_t hl = (size_t)(h - hdr);
    memmove(o + hl, o + OTLP_HDR_MAX, n);
    memcpy(o, hdr, hl);
    out->len += hl + n;
    return 0;
}

/* ---- the envelope ---- */

static const char otlp_json_tail[] = "]}]}]}";

static int append_field(struct buf *out, uint8_t tag, size_t len)
{
    uint8_t hdr[11], *o = hdr;
    *o++ = tag;
    o = put_varint(o, len);
    return buf_append(out, hdr, (size_t)(o - hdr));
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* True when p[0..len) starts as a sequence of field-2 length-delimited
 * entries: the first entry's tag and length are checked, not every one (a
 * walk of the whole batch costs a cache miss per record). It is only there
 * to tell our batches from another output type's left in a disk buffer of
 * the same name: msgpack (0x93), LZ4 (0x04), JSON or text lines never start
 * with 0x12, and the disk buffer's crc already vouches for the rest. */
static bool pb_records_ok(const uint8_t *p, size_t len)
{
    size_t i = 0;
    if (len < 2 || p[i++] != 0x12)
        return false;
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        if (i >= len || shift > 63)
            return false;
        uint8_t c = p[i++];
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            break;
    }
    return v <= len - i;
}

int otlp_request_parts(struct otlp_encoder *e, int encoding, const void *records, size_t len,
                       struct otlp_request *req)
{
    e->head.len = 0;
    req->records = records;
    if (encoding == OTLP_ENC_JSON) {
        const char *p = records;
        if (len < 3 || p[0] != '{' || p[len - 1] != ',' || p[len - 2] != '}')
            return -2;
        req->head = e->json_head.p;
        req->head_len = e->json_head.len;
        req->records_len = len - 1;   /* without the last ',' */
        req->tail = (const unsigned char *)otlp_json_tail;
        req->tail_len = sizeof(otlp_json_tail) - 1;
        return 0;
    }
    if (!pb_records_ok(records, len))
        return -2;
    /* ScopeLogs { scope = 1; log_records = 2... } */
    size_t scope_logs = 1 + varint_len(e->scope_pb.len) + e->scope_pb.len + len;
    /* ResourceLogs { resource = 1; scope_logs = 2 } */
    size_t resource_logs = 1 + varint_len(e->resource_pb.len) + e->resource_pb.len +
                           1 + varint_len(scope_logs) + scope_logs;
    /* ExportLogsServiceRequest { resource_logs = 1 } */
    int rc = append_field(&e->head, 0x0a, resource_logs);
    rc |= append_field(&e->head, 0x0a, e->resource_pb.len);
    rc |= buf_append(&e->head, e->resource_pb.p, e->resource_pb.len);
    rc |= append_field(&e->head, 0x12, scope_logs);
    rc |= append_field(&e->head, 0x0a, e->scope_pb.len);
    rc |= buf_append(&e->head, e->scope_pb.p, e->scope_pb.len);
    if (rc < 0)
        return -1;
    req->head = e->head.p;
    req->head_len = e->head.len;
    req->records_len = len;
    req->tail = NULL;
    req->tail_len = 0;
    return 0;
}

int otlp_encode_request(struct otlp_encoder *e, int encoding, struct buf *out,
                        const void *records, size_t len)
{
    struct otlp_request req;
    int rc = otlp_request_parts(e, encoding, records, len, &req);
    if (rc < 0)
        return rc;
    if (buf_reserve(out, req.head_len + req.records_len + req.tail_len) < 0)
        return -1;
    buf_append(out, req.head, req.head_len);
    buf_append(out, req.records, req.records_len);
    buf_append(out, req.tail, req.tail_len);
    return 0;
}

/* ---- responses ---- */

/* The value of "key" in a JSON object, as text: digits (quoted or not) or a
 * string's raw content. A reply is small and trusted no further than this:
 * bounded scan, no recursion. Returns its length, or -1 when absent. */
static long json_find(const char *p, size_t len, const char *key, const char **val)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 2 <= len; i++) {
        if (p[i] != '"' || memcmp(p + i + 1, key, kl) != 0 || p[i + kl + 1] != '"')
            continue;
        size_t j = i + kl + 2;
        while (j < len && (p[j] == ' ' || p[j] == '\t' || p[j] == '\n' || p[j] == '\r'))
            j++;
        if (j >= len || p[j] != ':')
            continue;
        j++;
        while (j < len && (p[j] == ' ' || p[j] == '\t' || p[j] == '\n' || p[j] == '\r'))
            j++;
        bool quoted = j < len && p[j] == '"';
        j += quoted;
        size_t k = j;
        if (quoted) {
            while (k < len && p[k] != '"')
                k += p[k] == '\\' ? 2 : 1;
            if (k > len)
                k = len;
        } else {
            while (k < len && ((p[k] >= '0' && p[k] <= '9') || p[k] == '-'))
                k++;
        }
        *val = p + j;
        return (long)(k - j);
    }
    return -1;
}

int otlp_parse_response(int encoding, const void *body, size_t len, int64_t *rejected,
                         char *msg, size_t cap)
{
    *rejected = 0;
    if (cap)
        msg[0] = '\0';
    if (len == 0)
        return 0;
    if (encoding == OTLP_ENC_JSON) {
        const char *v;
        long n = json_find(body, len, "rejectedLogRecords", &v);
        if (n > 0) {
            char tmp[24];
            if ((size_t)n >= sizeof(tmp))
                return -1;
            memcpy(tmp, v, (size_t)n);
            tmp[n] = '\0';
            char *end;
            errno = 0;
            long long x = strtoll(tmp, &end, 10);
            if (*end || errno || x < 0)
                return -1;
            *rejected = x;
        }
        n = json_find(body, len, "errorMessage", &v);
        if (n > 0 && cap) {
            size_t m = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
            memcpy(msg, v, m);
            msg[m] = '\0';
        }
        return 0;
    }
    Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceResponse *resp =
        opentelemetry__proto__collector__logs__v1__export_logs_service_response__unpack(
            NULL, len, body);
    if (!resp)
        return -1;
    if (resp->partial_success) {
        *rejected = resp->partial_success->rejected_log_records;
        const char *m = resp->partial_success->error_message;
        if (m && cap)
            snprintf(msg, cap, "%s", m);
    }
    opentelemetry__proto__collector__logs__v1__export_logs_service_response__free_unpacked(resp,
                                                                                          NULL);
    return 0;
}

/* ---- the encoder ---- */

struct otlp_encoder *otlp_encoder_new(const struct otlp_resource *res)
{
    struct otlp_encoder *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    static const char *const keys[] = { "service.name", "host.name", "k8s.pod.name",
                                        "k8s.namespace.name", "k8s.node.name" };
    const char *vals[] = { res->service_name, res->host_name, res->k8s_pod_name,
                           res->k8s_namespace_name, res->k8s_node_name };
    size_t bound = 64;
    for (size_t i = 0; i < 5; i++)
        bound += vals[i] ? 3 * strlen(vals[i]) + 1 : 0;
    if (buf_reserve(&e->scratch, bound) < 0)
        goto fail;
    if (res->host_name && !(e->host_name = strdup(res->host_name)))
        goto fail;
    otlp_kv *kvp[5];
    size_t n = 0;
    for (size_t i = 0; i < 5; i++) {
        if (!vals[i] || !vals[i][0])
            continue;
        kvp[n] = kv_new(e, (char *)keys[i]);
        any_str(kvp[n]->value, otlp_str(e, vals[i], strlen(vals[i])));
        n++;
    }
    Opentelemetry__Proto__Resource__V1__Resource resource =
        OPENTELEMETRY__PROTO__RESOURCE__V1__RESOURCE__INIT;
    resource.n_attributes = n;
    resource.attributes = kvp;
    Opentelemetry__Proto__Common__V1__InstrumentationScope scope =
        OPENTELEMETRY__PROTO__COMMON__V1__INSTRUMENTATION_SCOPE__INIT;
    scope.name = "vigil";
    scope.version = VIGIL_VERSION;
    size_t rl = opentelemetry__proto__resource__v1__resource__get_packed_size(&resource);
    size_t sl = opentelemetry__proto__common__v1__instrumentation_scope__get_packed_size(&scope);
    if (buf_reserve(&e->resource_pb, rl + 1) < 0 || buf_reserve(&e->scope_pb, sl + 1) < 0)
        goto fail;
    e->resource_pb.len = opentelemetry__proto__resource__v1__resource__pack(&resource,
                                                                           e->resource_pb.p);
    e->scope_pb.len = opentelemetry__proto__common__v1__instrumentation_scope__pack(&scope,
                                                                                   e->scope_pb.p);
    int rc = LIT(&e->json_head, "{\"resourceLogs\":[{\"resource\":{\"attributes\":");
    rc |= json_kvs(&e->json_head, kvp, n);
    rc |= LIT(&e->json_head, "},\"scopeLogs\":[{\"scope\":{\"name\":\"vigil\",\"version\":");
    rc |= json_cstr(&e->json_head, VIGIL_VERSION);
    rc |= LIT(&e->json_head, "},\"logRecords\":[");
    if (rc < 0)
        goto fail;
    return e;
fail:
    otlp_encoder_free(e);
    return NULL;
}

void otlp_encoder_free(struct otlp_encoder *e)
{
    if (!e)
        return;
    buf_free(&e->scratch);
    buf_free(&e->resource_pb);
    buf_free(&e->scope_pb);
    buf_free(&e->json_head);
    buf_free(&e->head);
    free(e->host_name);
    free(e);
}
