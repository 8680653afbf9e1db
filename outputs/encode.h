/* encode.h - one record in each wire encoding, appended to a buf: the
 * batch writer, stdout and vigil-cat share them (docs/wire-format.md).
 * msgpack in encode_msgpack.c, JSON in encode_json.c, text in encode_text.c.
 * Each returns -1 only on allocation failure. */
#ifndef VIGIL_ENCODE_H
#define VIGIL_ENCODE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sidecar/buf.h"
#include "sidecar/record.h"

/* One msgpack entry [tag, EventTime, record] (the forward mode's entry). */
int record_to_msgpack(struct buf *out, const struct record *r);
/* One JSON object (no newline): {"ts":RFC3339,"tag":..,"message":..,fields..}.
 * Strings are escaped by esc_json (sidecar/escape.h). */
int record_to_json(struct buf *out, const struct record *r);
/* One human line (no newline): "TS TAG message", escaped by esc_text. */
int record_to_text(struct buf *out, const struct record *r);

/* What the encoders share about the record's field tree. */

/* Keys the record map always or sometimes starts with. A top-level field with
 * one of these names is shipped as "_name" so that a map never holds the same
 * key twice (msgpack allows it, most readers keep only one). */
static inline bool encode_header_key(struct span k)
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
static inline uint32_t encode_field_end(const struct record *r, uint32_t i)
{
    const struct field *f = &r->fields[i];
    uint32_t end = i + 1;
    if (f->type == FT_MAP || f->type == FT_ARRAY)
        end += f->size;
    return end < r->nfields ? end : r->nfields;
}

/* Number of direct children in [from, to). */
static inline uint32_t encode_count_children(const struct record *r, uint32_t from, uint32_t to)
{
    uint32_t n = 0;
    for (uint32_t j = from; j < to; j = encode_field_end(r, j))
        n++;
    return n;
}

#endif
