/* batch.c - packs records into the wire form of a batch (docs/wire-format.md).
 * The writer keeps one growable buffer and one LZ4 frame context for its whole
 * life: a record is encoded straight into the buffer (msgpack entry, JSON line
 * or text line), and finishing a batch compresses the buffer into a freshly
 * allocated frame, so the only allocations per batch are the batch itself. */
#include "outputs/batch.h"

#include <lz4frame.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "sidecar/escape.h"
#include "sidecar/timestamp.h"
#include "sidecar/log.h"

struct batch_writer {
    int format, compression;
    struct buf raw;               /* encoded, uncompressed records of the open batch */
    LZ4F_cctx *cctx;              /* reused for every frame */
    uint32_t n;
    uint64_t first_seq, last_seq;
    int64_t min_ts, max_ts;
    int64_t min_read_ts;          /* 0 = none of the records said */
};

/* Keys the record map always or sometimes starts with. A top-level field with
 * one of these names is shipped as "_name" so that a map never holds the same
 * key twice (msgpack allows it, most readers keep only one). */
static bool is_header_key(struct span k)
{
#define IS(lit) (memcmp(k.p, lit, sizeof(lit) - 1) == 0)
    switch (k.len) {
    case 2: return IS("ts");
    case 3: return IS("tag");
    case 4: return IS("kind") || IS("host") || IS("path");
    case 5: return IS("input");
    case 6: return IS("repeat");
    case 7: return IS("message");
    case 9: return IS("truncated");
    case 11: return IS("parse_error");
    default: return false;
    }
#undef IS
}

/* Index just past field i and its descendants. */
static uint32_t field_end(const struct record *r, uint32_t i)
{
    const struct field *f = &r->fields[i];
    uint32_t end = i + 1;
    if (f->type == FT_MAP || f->type == FT_ARRAY)
        end += f->size;
    return end < r->nfields ? end : r->nfields;
}

/* Number of direct children in [from, to). */
static uint32_t count_children(const struct record *r, uint32_t from, uint32_t to)
{
    uint32_t n = 0;
    for (uint32_t j = from; j < to; j = field_end(r, j))
        n++;
    return n;
}

/* ---- msgpack ----
 * Encoded by hand straight into the batch buffer: one bound computed per
 * record, one reserve, then plain stores. The bytes are exactly those of
 * msgpack-c's packer (smallest header for each length and integer), only
 * without a callback per header and per body. */

typedef unsigned char u8;

static u8 *mp_be16(u8 *o, uint32_t v)
{
    o[0] = (u8)(v >> 8);
    o[1] = (u8)v;
    return o + 2;
}

static u8 *mp_be32(u8 *o, uint32_t v)
{
    o[0] = (u8)(v >> 24);
    o[1] = (u8)(v >> 16);
    o[2] = (u8)(v >> 8);
    o[3] = (u8)v;
    return o + 4;
}

static u8 *mp_be64(u8 *o, uint64_t v)
{
    return mp_be32(mp_be32(o, (uint32_t)(v >> 32)), (uint32_t)v);
}

static u8 *mp_str_hdr(u8 *o, size_t n)
{
    if (n < 32) {
        *o++ = (u8)(0xa0 | n);
    } else if (n < 256) {
        *o++ = 0xd9;
        *o++ = (u8)n;
    } else if (n < 65536) {
        *o++ = 0xda;
        o = mp_be16(o, (uint32_t)n);
    } else {
        *o++ = 0xdb;
        o = mp_be32(o, (uint32_t)n);
    }
    return o;
}

static u8 *mp_str(u8 *o, const char *p, size_t n)
{
    o = mp_str_hdr(o, n);
    if (n)
        memcpy(o, p, n);
    return o + n;
}

static u8 *mp_span(u8 *o, struct span s)
{
    return mp_str(o, s.p, s.len);
}

/* A constant key (< 32 bytes): its length is known at compile time. */
static u8 *mp_fixstr(u8 *o, const char *lit, size_t n)
{
    *o++ = (u8)(0xa0 | n);
    memcpy(o, lit, n);
    return o + n;
}
#define MP_KEY(o, lit) mp_fixstr((o), "" lit, sizeof(lit) - 1)

static u8 *mp_container(u8 *o, uint32_t n, u8 fix, u8 b16)
{
    if (n < 16) {
        *o++ = (u8)(fix | n);
    } else if (n < 65536) {
        *o++ = b16;
        o = mp_be16(o, n);
    } else {
        *o++ = (u8)(b16 + 1);
        o = mp_be32(o, n);
    }
    return o;
}

static u8 *mp_uint(u8 *o, uint64_t d)
{
    if (d < 128) {
        *o++ = (u8)d;
    } else if (d < 256) {
        *o++ = 0xcc;
        *o++ = (u8)d;
    } else if (d < 65536) {
        *o++ = 0xcd;
        o = mp_be16(o, (uint32_t)d);
    } else if (d < 4294967296ull) {
        *o++ = 0xce;
        o = mp_be32(o, (uint32_t)d);
    } else {
        *o++ = 0xcf;
        o = mp_be64(o, d);
    }
    return o;
}

static u8 *mp_int(u8 *o, int64_t d)
{
    if (d >= 0)
        return mp_uint(o, (uint64_t)d);
    if (d >= -32) {
        *o++ = (u8)(int8_t)d;
    } else if (d >= -128) {
        *o++ = 0xd0;
        *o++ = (u8)(int8_t)d;
    } else if (d >= -32768) {
        *o++ = 0xd1;
        o = mp_be16(o, (uint16_t)(int16_t)d);
    } else if (d >= -2147483648LL) {
        *o++ = 0xd2;
        o = mp_be32(o, (uint32_t)(int32_t)d);
    } else {
        *o++ = 0xd3;
        o = mp_be64(o, (uint64_t)d);
    }
    return o;
}

static u8 *mp_double(u8 *o, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    *o++ = 0xcb;
    return mp_be64(o, bits);
}

static u8 *mp_key(u8 *o, struct span k, bool top)
{
    if (top && is_header_key(k)) {
        o = mp_str_hdr(o, k.len + 1);
        *o++ = '_';
        memcpy(o, k.p, k.len);
        return o + k.len;
    }
    return mp_span(o, k);
}

static u8 *mp_value(u8 *o, const struct record *r, uint32_t i)
{
    const struct field *f = &r->fields[i];
    uint32_t end = field_end(r, i);
    switch (f->type) {
    case FT_STR: return mp_span(o, f->v.s);
    case FT_INT: return mp_int(o, f->v.i);
    case FT_DOUBLE: return mp_double(o, f->v.d);
    case FT_BOOL: *o++ = f->v.b ? 0xc3 : 0xc2; return o;
    case FT_MAP:
        o = mp_container(o, count_children(r, i + 1, end), 0x80, 0xde);
        for (uint32_t j = i + 1; j < end; j = field_end(r, j)) {
            o = mp_key(o, r->fields[j].key, false);
            o = mp_value(o, r, j);
        }
        return o;
    case FT_ARRAY:
        o = mp_container(o, count_children(r, i + 1, end), 0x90, 0xdc);
        for (uint32_t j = i + 1; j < end; j = field_end(r, j))
            o = mp_value(o, r, j);
        return o;
    default: *o++ = 0xc0; return o;
    }
}

/* No more bytes than this can the record's entry take. */
static size_t mp_bound(const struct record *r, const char *kind)
{
    size_t n = 96 + r->tag.len + r->raw.len + strlen(kind) + r->host.len + r->input.len +
               r->path.len + (r->parse_error ? strlen(r->parse_error) : 0);
    for (uint32_t j = 0; j < r->nfields; j++) {
        const struct field *f = &r->fields[j];
        n += f->key.len + 6 + (f->type == FT_STR ? f->v.s.len + 5 : 9);
    }
    return n;
}

static u8 *mp_event_time(u8 *o, int64_t ns)
{
    int64_t sec = ns / 1000000000, nsec = ns % 1000000000;
    if (nsec < 0) {
        nsec += 1000000000;
        sec -= 1;
    }
    *o++ = 0xd7;   /* fixext 8, type 0: Fluentd EventTime */
    *o++ = 0;
    o = mp_be32(o, (uint32_t)sec);
    return mp_be32(o, (uint32_t)nsec);
}

static int pack_record(struct buf *b, const struct record *r)
{
    const char *kind = record_kind_name((enum record_kind)r->kind);
    if (buf_reserve(b, mp_bound(r, kind)) < 0)
        return -1;
    uint32_t top = count_children(r, 0, r->nfields);
    uint32_t n = 4 + top + !span_empty(r->path) + (r->parse_error != NULL) + r->truncated +
                 (r->repeat > 1);
    u8 *o = b->p + b->len;
    *o++ = 0x93;   /* [tag, time, record] */
    o = mp_span(o, r->tag);
    o = mp_event_time(o, r->ts);
    o = mp_container(o, n, 0x80, 0xde);
    o = MP_KEY(o, "message");
    o = mp_span(o, r->raw);
    o = MP_KEY(o, "kind");
    o = mp_str(o, kind, strlen(kind));
    o = MP_KEY(o, "host");
    o = mp_span(o, r->host);
    o = MP_KEY(o, "input");
    o = mp_span(o, r->input);
    if (!span_empty(r->path)) {
        o = MP_KEY(o, "path");
        o = mp_span(o, r->path);
    }
    if (r->parse_error) {
        o = MP_KEY(o, "parse_error");
        o = mp_str(o, r->parse_error, strlen(r->parse_error));
    }
    if (r->truncated) {
        o = MP_KEY(o, "truncated");
        *o++ = 0xc3;
    }
    if (r->repeat > 1) {
        o = MP_KEY(o, "repeat");
        o = mp_uint(o, r->repeat);
    }
    for (uint32_t j = 0; j < r->nfields; j = field_end(r, j)) {
        o = mp_key(o, r->fields[j].key, true);
        o = mp_value(o, r, j);
    }
    b->len = (size_t)(o - b->p);
    return 0;
}

/* ---- JSON ---- */

#define APPEND_LIT(b, s) buf_append((b), (s), sizeof(s) - 1)

/* Writes `,"key":` (no comma when first). */
static int json_key(struct buf *out, struct span k, bool top, bool first)
{
    int rc = first ? 0 : APPEND_LIT(out, ",");
    if (top && is_header_key(k)) {
        char tmp[16];
        tmp[0] = '_';
        memcpy(tmp + 1, k.p, k.len); /* header keys are short */
        rc |= esc_json(out, tmp, k.len + 1);
    } else {
        rc |= esc_json(out, k.p, k.len);
    }
    return rc | APPEND_LIT(out, ":");
}

static int json_double(struct buf *out, double d)
{
    if (!isfinite(d))
        return APPEND_LIT(out, "null");
    char tmp[40];
    int n = snprintf(tmp, sizeof(tmp), "%.15g", d);
    if (strtod(tmp, NULL) != d)
        n = snprintf(tmp, sizeof(tmp), "%.17g", d);
    int rc = buf_append(out, tmp, (size_t)n);
    if (!strpbrk(tmp, ".eE"))   /* keep it a float for typed readers */
        rc |= APPEND_LIT(out, ".0");
    return rc;
}

static int json_int(struct buf *out, int64_t v)
{
    char tmp[24];
    char *e = tmp + sizeof(tmp), *p = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return buf_append(out, p, (size_t)(e - p));
}

static int json_value(struct buf *out, const struct record *r, uint32_t i)
{
    const struct field *f = &r->fields[i];
    uint32_t end = field_end(r, i);
    int rc = 0;
    switch (f->type) {
    case FT_STR: return esc_json(out, f->v.s.p, f->v.s.len);
    case FT_INT: return json_int(out, f->v.i);
    case FT_DOUBLE: return json_double(out, f->v.d);
    case FT_BOOL: return f->v.b ? APPEND_LIT(out, "true") : APPEND_LIT(out, "false");
    case FT_MAP:
        rc |= APPEND_LIT(out, "{");
        for (uint32_t j = i + 1; j < end; j = field_end(r, j)) {
            rc |= json_key(out, r->fields[j].key, false, j == i + 1);
            rc |= json_value(out, r, j);
        }
        return rc | APPEND_LIT(out, "}");
    case FT_ARRAY:
        rc |= APPEND_LIT(out, "[");
        for (uint32_t j = i + 1; j < end; j = field_end(r, j)) {
            if (j > i + 1)
                rc |= APPEND_LIT(out, ",");
            rc |= json_value(out, r, j);
        }
        return rc | APPEND_LIT(out, "]");
    default: return APPEND_LIT(out, "null");
    }
}

static int json_pair(struct buf *out, const char *k, struct span v)
{
    return json_key(out, span_cstr(k), false, false) | esc_json(out, v.p, v.len);
}

int record_to_json(struct buf *out, const struct record *r)
{
    char ts[TS_RFC3339_MAX];
    size_t tl = ts_format_rfc3339(r->ts, 9, ts, sizeof(ts));
    int rc = APPEND_LIT(out, "{\"ts\":\"");
    rc |= buf_append(out, ts, tl);
    rc |= APPEND_LIT(out, "\"");
    rc |= json_pair(out, "tag", r->tag);
    rc |= json_pair(out, "message", r->raw);
    rc |= json_pair(out, "kind", span_cstr(record_kind_name((enum record_kind)r->kind)));
    rc |= json_pair(out, "host", r->host);
    rc |= json_pair(out, "input", r->input);
    if (!span_empty(r->path))
        rc |= json_pair(out, "path", r->path);
    if (r->parse_error)
        rc |= json_pair(out, "parse_error", span_cstr(r->parse_error));
    if (r->truncated)
        rc |= APPEND_LIT(out, ",\"truncated\":true");
    if (r->repeat > 1)
        rc |= APPEND_LIT(out, ",\"repeat\":") | json_int(out, r->repeat);
    for (uint32_t j = 0; j < r->nfields; j = field_end(r, j)) {
        rc |= json_key(out, r->fields[j].key, true, false);
        rc |= json_value(out, r, j);
    }
    return rc | APPEND_LIT(out, "}");
}

/* ---- text ---- */

int record_to_text(struct buf *out, const struct record *r)
{
    char ts[TS_RFC3339_MAX];
    size_t tl = ts_format_rfc3339(r->ts, 9, ts, sizeof(ts));
    /* esc_text needs at most 4 bytes per input byte, plus its NUL */
    size_t need = tl + 2 + (r->tag.len + r->raw.len) * 4 + 2;
    if (buf_reserve(out, need) < 0)
        return -1;
    memcpy(out->p + out->len, ts, tl);
    out->len += tl;
    out->p[out->len++] = ' ';
    out->len += esc_text((char *)out->p + out->len, r->tag.len * 4 + 1, r->tag.p, r->tag.len, 0);
    out->p[out->len++] = ' ';
    out->len += esc_text((char *)out->p + out->len, r->raw.len * 4 + 1, r->raw.p, r->raw.len, 0);
    return 0;
}

/* ---- the writer ---- */

struct batch_writer *batch_writer_new(int format, int compression)
{
    struct batch_writer *w = calloc(1, sizeof(*w));
    if (!w)
        goto fail;
    w->format = format;
    w->compression = compression == OUTPUT_COMPRESS_LZ4 ? OUTPUT_COMPRESS_LZ4 : OUTPUT_COMPRESS_NONE;
    if (buf_reserve(&w->raw, 64 * 1024) < 0)
        goto fail;
    if (w->compression == OUTPUT_COMPRESS_LZ4 &&
        LZ4F_isError(LZ4F_createCompressionContext(&w->cctx, LZ4F_VERSION)))
        goto fail;
    return w;
fail:
    batch_writer_free(w);
    return NULL;
}

void batch_writer_free(struct batch_writer *w)
{
    if (!w)
        return;
    if (w->cctx)
        LZ4F_freeCompressionContext(w->cctx);
    buf_free(&w->raw);
    free(w);
}

int batch_writer_add(struct batch_writer *w, const struct record *r)
{
    size_t before = w->raw.len;
    int rc;
    switch (w->format) {
    case OUTPUT_FORMAT_JSON:
        rc = record_to_json(&w->raw, r) | APPEND_LIT(&w->raw, "\n");
        break;
    case OUTPUT_FORMAT_TEXT:
        rc = record_to_text(&w->raw, r) | APPEND_LIT(&w->raw, "\n");
        break;
    default:
        rc = pack_record(&w->raw, r);
        break;
    }
    if (rc < 0) {
        w->raw.len = before;   /* never leave half a record in the batch */
        return -1;
    }
    if (w->n == 0) {
        w->first_seq = r->seq;
        w->min_ts = w->max_ts = r->ts;
        w->min_read_ts = 0;
    }
    if (r->read_ts > 0 && (w->min_read_ts == 0 || r->read_ts < w->min_read_ts))
        w->min_read_ts = r->read_ts;
    w->last_seq = r->seq;
    if (r->ts < w->min_ts)
        w->min_ts = r->ts;
    if (r->ts > w->max_ts)
        w->max_ts = r->ts;
    w->n++;
    return 0;
}

size_t batch_writer_events(const struct batch_writer *w)
{
    return w->n;
}

size_t batch_writer_bytes(const struct batch_writer *w)
{
    return w->raw.len;
}

struct batch *batch_writer_finish(struct batch_writer *w)
{
    if (w->n == 0)
        return NULL;
    struct batch *b = calloc(1, sizeof(*b));
    if (!b)
        goto fail;
    if (w->compression == OUTPUT_COMPRESS_LZ4) {
        LZ4F_preferences_t prefs;
        memset(&prefs, 0, sizeof(prefs));
        prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
        prefs.frameInfo.blockMode = LZ4F_blockIndependent;
        prefs.frameInfo.contentSize = w->raw.len;
        size_t cap = LZ4F_compressFrameBound(w->raw.len, &prefs);
        b->data = malloc(cap);
        if (!b->data)
            goto fail;
        size_t h = LZ4F_compressBegin(w->cctx, b->data, cap, &prefs);
        if (LZ4F_isError(h))
            goto fail;
        size_t u = LZ4F_compressUpdate(w->cctx, b->data + h, cap - h, w->raw.p, w->raw.len, NULL);
        if (LZ4F_isError(u))
            goto fail;
        size_t e = LZ4F_compressEnd(w->cctx, b->data + h + u, cap - h - u, NULL);
        if (LZ4F_isError(e))
            goto fail;
        b->len = h + u + e;
    } else {
        /* Uncompressed, the batch takes the buffer itself and the writer
         * starts a new one of the same size: no copy of the batch. */
        struct buf next = { 0 };
        if (buf_reserve(&next, w->raw.cap) < 0)
            goto fail;
        b->data = w->raw.p;
        b->len = w->raw.len;
        w->raw = next;
    }
    b->raw_len = w->compression == OUTPUT_COMPRESS_LZ4 ? w->raw.len : b->len;
    b->n_events = w->n;
    b->first_seq = w->first_seq;
    b->last_seq = w->last_seq;
    b->min_ts = w->min_ts;
    b->max_ts = w->max_ts;
    b->min_read_ts = w->min_read_ts;
    b->format = (uint8_t)w->format;
    b->compression = (uint8_t)w->compression;
    w->raw.len = 0;
    w->n = 0;
    return b;
fail:
    /* the events stay in the writer: the caller may try again */
    batch_free(b);
    return NULL;
}

struct batch *batch_new_copy(const void *data, size_t len, uint32_t n_events, int format,
                             int compression)
{
    struct batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->data = malloc(len ? len : 1);
    if (!b->data) {
        free(b);
        return NULL;
    }
    memcpy(b->data, data, len);
    b->len = b->raw_len = len;
    b->n_events = n_events;
    b->format = (uint8_t)format;
    b->compression = (uint8_t)compression;
    return b;
}

void batch_free(struct batch *b)
{
    if (!b)
        return;
    free(b->data);
    free(b);
}
