/* encode_text.c - a record as one human line (encode.h). */
#include "outputs/encode.h"

#include <string.h>

#include "sidecar/escape.h"
#include "sidecar/timestamp.h"

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
