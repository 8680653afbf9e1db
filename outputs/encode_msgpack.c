/* encode_msgpack.c - a record as one msgpack entry (encode.h). */
#include "outputs/encode.h"

#include <math.h>
#include <string.h>

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
    if (top && encode_header_key(k)) {
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
    uint32_t end = encode_field_end(r, i);
    switch (f->type) {
    case FT_STR: return mp_span(o, f->v.s);
    case FT_INT: return mp_int(o, f->v.i);
    case FT_DOUBLE: return mp_double(o, f->v.d);
    case FT_BOOL: *o++ = f->v.b ? 0xc3 : 0xc2; return o;
    case FT_MAP:
        o = mp_container(o, encode_count_children(r, i + 1, end), 0x80, 0xde);
        for (uint32_t j = i + 1; j < end; j = encode_field_end(r, j)) {
            o = mp_key(o, r->fields[j].key, false);
            o = mp_value(o, r, j);
        }
        return o;
    case FT_ARRAY:
        o = mp_container(o, encode_count_children(r, i + 1, end), 0x90, 0xdc);
        for (uint32_t j = i + 1; j < end; j = encode_field_end(r, j))
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

int record_to_msgpack(struct buf *b, const struct record *r)
{
    const char *kind = record_kind_name((enum record_kind)r->kind);
    if (buf_reserve(b, mp_bound(r, kind)) < 0)
        return -1;
    uint32_t top = encode_count_children(r, 0, r->nfields);
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
    for (uint32_t j = 0; j < r->nfields; j = encode_field_end(r, j)) {
        o = mp_key(o, r->fields[j].key, true);
        o = mp_value(o, r, j);
    }
    b->len = (size_t)(o - b->p);
    return 0;
}
