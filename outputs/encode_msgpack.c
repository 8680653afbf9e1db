/* encode_msgpack.c - a record as one msgpack entry (encode.h). */
#include "outputs/encode.h"

#include <math.h>
#include <string.h>

#include "outputs/mp_write.h"

/* ---- msgpack ----
 * Encoded by hand straight into the batch buffer: one bound computed per
 * record, one reserve, then plain stores. The bytes are exactly those of
 * msgpack-c's packer (smallest header for each length and integer), only
 * without a callback per header and per body. */

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
