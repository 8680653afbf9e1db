/* encode_json.c - a record as one JSON object (encode.h). */
#include "outputs/encode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/escape.h"
#include "sidecar/timestamp.h"

/* ---- JSON ---- */

#define APPEND_LIT(b, s) buf_append((b), (s), sizeof(s) - 1)

/* Writes `,"key":` (no comma when first). */
static int json_key(struct buf *out, struct span k, bool top, bool first)
{
    int rc = first ? 0 : APPEND_LIT(out, ",");
    if (top && encode_header_key(k)) {
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
    uint32_t end = encode_field_end(r, i);
    int rc = 0;
    switch (f->type) {
    case FT_STR: return esc_json(out, f->v.s.p, f->v.s.len);
    case FT_INT: return json_int(out, f->v.i);
    case FT_DOUBLE: return json_double(out, f->v.d);
    case FT_BOOL: return f->v.b ? APPEND_LIT(out, "true") : APPEND_LIT(out, "false");
    case FT_MAP:
        rc |= APPEND_LIT(out, "{");
        for (uint32_t j = i + 1; j < end; j = encode_field_end(r, j)) {
            rc |= json_key(out, r->fields[j].key, false, j == i + 1);
            rc |= json_value(out, r, j);
        }
        return rc | APPEND_LIT(out, "}");
    case FT_ARRAY:
        rc |= APPEND_LIT(out, "[");
        for (uint32_t j = i + 1; j < end; j = encode_field_end(r, j)) {
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
    for (uint32_t j = 0; j < r->nfields; j = encode_field_end(r, j)) {
        rc |= json_key(out, r->fields[j].key, true, false);
        rc |= json_value(out, r, j);
    }
    return rc | APPEND_LIT(out, "}");
}
