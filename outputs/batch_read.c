/* batch_read.c - the reader side of docs/wire-format.md, for vigil-cat, the
 * tests and anyone who wants to check a file. The input is scanned left to
 * right: an LZ4 frame magic starts a frame, anything else must be a plain
 * msgpack entry, or a wire version 2 map (rebuilt by batch_read_v2.c). Any damage (bad frame, bad checksum, truncated frame, bytes
 * that are no entry) is reported once and decoding jumps to the next frame
 * magic, the only resynchronisation point the format has. */
#include "outputs/batch_read.h"

#include <lz4frame.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/wire_v2.h"
#include "sidecar/escape.h"
#include "sidecar/timestamp.h"

static const unsigned char lz4_magic[4] = { 0x04, 0x22, 0x4d, 0x18 };

struct reader {
    const unsigned char *data;
    size_t len;
    batch_entry_fn on_entry;
    batch_error_fn on_error;
    void *arg;
    struct batch_read_stats st;
    LZ4F_dctx *dctx;
    struct buf out;       /* one frame's content */
    bool stop;
};

static void damage(struct reader *r, uint64_t off, const char *why)
{
    r->st.errors++;
    if (r->on_error)
        r->on_error(r->arg, off, why);
}

/* Offset of the next frame magic at or after from, or len. */
static size_t next_magic(const struct reader *r, size_t from)
{
    if (from >= r->len)
        return r->len;
    const unsigned char *p = memmem(r->data + from, r->len - from, lz4_magic, 4);
    return p ? (size_t)(p - r->data) : r->len;
}

static bool is_skippable(const unsigned char *p, size_t n)
{
    return n >= 8 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18;
}

static bool entry_time(const msgpack_object *o, int64_t *ns)
{
    switch (o->type) {
    case MSGPACK_OBJECT_EXT:
        if (o->via.ext.type != 0 || o->via.ext.size != 8)
            return false;
        {
            const unsigned char *b = (const unsigned char *)o->via.ext.ptr;
            uint32_t s = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
            uint32_t n = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
            *ns = (int64_t)s * 1000000000 + n;
        }
        return true;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > INT64_MAX / 1000000000)
            return false;
        *ns = (int64_t)o->via.u64 * 1000000000;
        return true;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        if (!(o->via.f64 >= 0 && o->via.f64 < 9.2e9))
            return false;
        *ns = (int64_t)(o->via.f64 * 1e9);
        return true;
    default:
        return false;
    }
}

/* Reads a k-byte big-endian length at p[*off], advancing *off. */
static bool rd_len(const unsigned char *p, size_t n, size_t *off, unsigned k, uint64_t *v)
{
    if (n - *off < k)
        return false;
    *v = 0;
    for (unsigned i = 0; i < k; i++)
        *v = *v << 8 | p[(*off)++];
    return true;
}

/* Length of the one msgpack object at p[0..n), walked without allocating;
 * 0 when it is invalid, truncated, or a container claims more elements than
 * bytes remain. msgpack-c allocates a container's declared size before
 * reading it, so 5 hostile bytes could ask for gigabytes: this is the guard. */
static size_t mp_length(const unsigned char *p, size_t n)
{
    size_t off = 0;
    uint64_t pending = 1, add, skip, v;
    while (pending) {
        if (off >= n)
            return 0;
        unsigned c = p[off++];
        pending--;
        add = skip = 0;
        if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
            /* fixint, nil, bool */
        } else if (c <= 0x8f) {
            add = (uint64_t)(c & 0x0f) * 2;
        } else if (c <= 0x9f) {
            add = c & 0x0f;
        } else if (c <= 0xbf) {
            skip = c & 0x1f;
        } else {
            static const unsigned char fixed[] = {
                [0xca - 0xc0] = 4, [0xcb - 0xc0] = 8, [0xcc - 0xc0] = 1, [0xcd - 0xc0] = 2,
                [0xce - 0xc0] = 4, [0xcf - 0xc0] = 8, [0xd0 - 0xc0] = 1, [0xd1 - 0xc0] = 2,
                [0xd2 - 0xc0] = 4, [0xd3 - 0xc0] = 8, [0xd4 - 0xc0] = 2, [0xd5 - 0xc0] = 3,
                [0xd6 - 0xc0] = 5, [0xd7 - 0xc0] = 9, [0xd8 - 0xc0] = 17,
            };
            switch (c) {
            case 0xc4: case 0xd9: if (!rd_len(p, n, &off, 1, &skip)) return 0; break;
            case 0xc5: case 0xda: if (!rd_len(p, n, &off, 2, &skip)) return 0; break;
            case 0xc6: case 0xdb: if (!rd_len(p, n, &off, 4, &skip)) return 0; break;
            case 0xc7: if (!rd_len(p, n, &off, 1, &skip)) return 0; skip++; break;
            case 0xc8: if (!rd_len(p, n, &off, 2, &skip)) return 0; skip++; break;
            case 0xc9: if (!rd_len(p, n, &off, 4, &skip)) return 0; skip++; break;
            case 0xdc: if (!rd_len(p, n, &off, 2, &add)) return 0; break;
            case 0xdd: if (!rd_len(p, n, &off, 4, &add)) return 0; break;
            case 0xde: if (!rd_len(p, n, &off, 2, &v)) return 0; add = v * 2; break;
            case 0xdf: if (!rd_len(p, n, &off, 4, &v)) return 0; add = v * 2; break;
            default:
                if (c - 0xc0 >= sizeof(fixed) || !fixed[c - 0xc0])
                    return 0;   /* 0xc1 and nothing else */
                skip = fixed[c - 0xc0];
            }
        }
        if (skip > n - off)
            return 0;
        off += (size_t)skip;
        pending += add;
        if (pending > n - off)
            return 0;
    }
    return off;
}

static bool decode_entries(struct reader *r, const unsigned char *p, size_t n, uint64_t base,
                           size_t *used);

struct v1_cb {
    struct reader *r;
    uint64_t base;
    bool ok;
};

/* One rebuilt entry of a version 2 content (it is never a version 2 map). */
static int v1_entry(void *arg, const unsigned char *entry, size_t len)
{
    struct v1_cb *cb = arg;
    size_t used;
    if (!decode_entries(cb->r, entry, len, cb->base, &used))
        cb->ok = false;
    return !cb->ok || cb->r->stop;
}

/* Decodes entries from p[0..n) (base: offset of p in the input, for
 * messages). Returns false when the bytes stopped being entries; *used gets
 * how many bytes were decoded cleanly. */
static bool decode_entries(struct reader *r, const unsigned char *p, size_t n, uint64_t base,
                           size_t *used)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    bool ok = true;
    while (off < n && !r->stop) {
        size_t start = off;
        size_t m = mp_length(p + off, n - off);
        if (m && wire2_is_content(p + start, m)) {
            /* version 2: each record as its version 1 entry, decoded here */
            size_t v2used = 0;
            struct v1_cb cb = { r, base + start, true };
            const char *why = wire2_read(p + start, m, v1_entry, &cb, &v2used);
            if (why || !cb.ok || (!r->stop && v2used != m)) {
                if (why || cb.ok)
                    damage(r, base + start, why ? why : "v2: content map not what it claims");
                off = start;
                ok = false;
                break;
            }
            off = start + m;
            continue;
        }
        msgpack_unpack_return ret = m ? msgpack_unpack_next(&u, (const char *)p, off + m, &off)
                                      : MSGPACK_UNPACK_PARSE_ERROR;
        if (ret != MSGPACK_UNPACK_SUCCESS) {
            damage(r, base + start, ret == MSGPACK_UNPACK_CONTINUE ? "truncated msgpack entry"
                                                                     : "invalid msgpack");
            off = start;
            ok = false;
            break;
        }
        const msgpack_object *o = &u.data;
        struct batch_entry e;
        if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 3 ||
            (o->via.array.ptr[0].type != MSGPACK_OBJECT_STR &&
             o->via.array.ptr[0].type != MSGPACK_OBJECT_BIN) ||
            !entry_time(&o->via.array.ptr[1], &e.ts)) {
            damage(r, base + start, "msgpack object is not a [tag, time, record] entry");
            off = start;
            ok = false;
            break;
        }
        e.tag = span_make(o->via.array.ptr[0].via.str.ptr, o->via.array.ptr[0].via.str.size);
        e.record = &o->via.array.ptr[2];
        r->st.entries++;
        if (r->on_entry && r->on_entry(r->arg, &e))
            r->stop = true;
    }
    msgpack_unpacked_destroy(&u);
    *used = off;
    return ok;
}

/* Decodes the frame at pos. Returns the offset after it, or 0 after damage. */
static size_t decode_frame(struct reader *r, size_t pos)
{
    LZ4F_resetDecompressionContext(r->dctx);
    r->out.len = 0;
    size_t src = pos;
    for (;;) {
        if (buf_reserve(&r->out, 256 * 1024) < 0) {
            damage(r, pos, "out of memory");
            return 0;
        }
        size_t dst_n = r->out.cap - r->out.len, src_n = r->len - src;
        size_t ret = LZ4F_decompress(r->dctx, r->out.p + r->out.len, &dst_n, r->data + src, &src_n,
                                     NULL);
        if (LZ4F_isError(ret)) {
            damage(r, pos, "corrupt LZ4 frame");
            return 0;
        }
        src += src_n;
        r->out.len += dst_n;
        if (r->out.len > BATCH_READ_MAX_CONTENT) {
            damage(r, pos, "LZ4 frame content too large");
            return 0;
        }
        if (ret == 0)
            break;
        if (src >= r->len && dst_n == 0) {
            damage(r, pos, "truncated LZ4 frame");
            return 0;
        }
    }
    r->st.frames++;
    size_t used;
    decode_entries(r, r->out.p, r->out.len, pos, &used);
    return src;
}

int batch_read(const void *data, size_t len, batch_entry_fn on_entry, batch_error_fn on_error,
               void *arg, struct batch_read_stats *st)
{
    struct reader r = { .data = data, .len = len, .on_entry = on_entry, .on_error = on_error,
                        .arg = arg };
    int rc = -1;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&r.dctx, LZ4F_VERSION)))
        goto out;
    size_t pos = 0;
    while (pos < len && !r.stop) {
        const unsigned char *p = r.data + pos;
        size_t left = len - pos;
        if (left >= 4 && memcmp(p, lz4_magic, 4) == 0) {
            size_t next = decode_frame(&r, pos);
            pos = next ? next : next_magic(&r, pos + 1);
        } else if (is_skippable(p, left)) {
            uint32_t n = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
                         (uint32_t)p[7] << 24;
            if (n > left - 8) {
                damage(&r, pos, "truncated skippable frame");
                pos = len;
            } else {
                pos += 8 + (size_t)n;
            }
        } else {
            /* plain msgpack entries up to the next frame (or the end) */
            size_t end = next_magic(&r, pos), used;
            if (decode_entries(&r, p, end - pos, pos, &used))
                pos = end;
            else
                pos = next_magic(&r, pos + used + 1);
        }
    }
    rc = r.st.errors ? 1 : 0;
out:
    if (r.dctx)
        LZ4F_freeDecompressionContext(r.dctx);
    buf_free(&r.out);
    if (st)
        *st = r.st;
    return rc;
}

#define APPEND_LIT(b, s) buf_append((b), (s), sizeof(s) - 1)

static int json_num(struct buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int json_num(struct buf *out, const char *fmt, ...)
{
    char tmp[48];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    return buf_append(out, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static int json_time(struct buf *out, int64_t ns)
{
    char ts[TS_RFC3339_MAX];
    size_t n = ts_format_rfc3339(ns, 9, ts, sizeof(ts));
    return APPEND_LIT(out, "\"") | buf_append(out, ts, n) | APPEND_LIT(out, "\"");
}

int mpobj_to_json(struct buf *out, const msgpack_object *o)
{
    int rc = 0;
    int64_t ns;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return APPEND_LIT(out, "null");
    case MSGPACK_OBJECT_BOOLEAN: return o->via.boolean ? APPEND_LIT(out, "true") : APPEND_LIT(out, "false");
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return json_num(out, "%llu", (unsigned long long)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return json_num(out, "%lld", (long long)o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        if (!isfinite(o->via.f64))
            return APPEND_LIT(out, "null");
        return json_num(out, "%.17g", o->via.f64);
    case MSGPACK_OBJECT_STR: return esc_json(out, o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN: return esc_json(out, o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_EXT:
        if (entry_time(o, &ns))
            return json_time(out, ns);
        return APPEND_LIT(out, "null");
    case MSGPACK_OBJECT_ARRAY:
        rc |= APPEND_LIT(out, "[");
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                rc |= APPEND_LIT(out, ",");
            rc |= mpobj_to_json(out, &o->via.array.ptr[i]);
        }
        return rc | APPEND_LIT(out, "]");
    case MSGPACK_OBJECT_MAP:
        rc |= APPEND_LIT(out, "{");
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (i)
                rc |= APPEND_LIT(out, ",");
            if (k->type == MSGPACK_OBJECT_STR || k->type == MSGPACK_OBJECT_BIN) {
                rc |= esc_json(out, k->via.str.ptr, k->via.str.size);
            } else if (k->type == MSGPACK_OBJECT_MAP || k->type == MSGPACK_OBJECT_ARRAY) {
                /* not rendered: nested container keys would grow the
                 * output exponentially through repeated escaping */
                rc |= k->type == MSGPACK_OBJECT_MAP ? APPEND_LIT(out, "\"<map>\"")
                                                    : APPEND_LIT(out, "\"<array>\"");
            } else {
                /* JSON keys are strings: render the scalar, then quote that */
                struct buf tmp = { 0 };
                rc |= mpobj_to_json(&tmp, k);
                rc |= esc_json(out, (const char *)tmp.p, tmp.len);
                buf_free(&tmp);
            }
            rc |= APPEND_LIT(out, ":");
            rc |= mpobj_to_json(out, &o->via.map.ptr[i].val);
        }
        return rc | APPEND_LIT(out, "}");
    default:
        return APPEND_LIT(out, "null");
    }
}

int batch_entry_to_json(struct buf *out, const struct batch_entry *e)
{
    int rc = APPEND_LIT(out, "{\"tag\":");
    rc |= esc_json(out, e->tag.p, e->tag.len);
    rc |= APPEND_LIT(out, ",\"time\":");
    rc |= json_time(out, e->ts);
    rc |= APPEND_LIT(out, ",\"record\":");
    rc |= mpobj_to_json(out, e->record);
    return rc | APPEND_LIT(out, "}");
}
