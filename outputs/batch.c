/* batch.c - the batch writer: records into the wire form of a batch
 * (docs/wire-format.md). It keeps one growable buffer and one LZ4 frame
 * context for its whole life: a record is encoded straight into the buffer
 * (outputs/encode.h: msgpack entry, JSON line or text line), and finishing a
 * batch compresses the buffer into a freshly allocated frame, so the only
 * allocations per batch are the batch itself. */
#include "outputs/batch.h"

#include <lz4frame.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "outputs/encode.h"
#include "outputs/wire_v2.h"
#include "sidecar/log.h"

struct batch_writer {
    int format, compression;
    struct buf raw;               /* encoded, uncompressed records of the open batch */
    LZ4F_cctx *cctx;              /* reused for every frame */
    uint32_t n;
    uint64_t first_seq, last_seq;
    int64_t min_ts, max_ts;
    int64_t min_read_ts;          /* 0 = none of the records said */
    batch_encode_fn encode;       /* the plugin's encoder, NULL = by format */
    void *encode_arg;
    struct wire2 *w2;             /* msgpack wire version 2: records not yet in raw */
};

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
    wire2_free(w->w2);
    buf_free(&w->raw);
    free(w);
}

int batch_writer_add(struct batch_writer *w, const struct record *r)
{
    size_t before = w->raw.len;
    int rc;
    switch (w->encode ? -1 : w->w2 ? -2 : w->format) {
    case -2:
        rc = wire2_add(w->w2, r);
        break;
    case -1:
        rc = w->encode(w->encode_arg, &w->raw, r);
        break;
    case OUTPUT_FORMAT_JSON:
        rc = record_to_json(&w->raw, r) | buf_append(&w->raw, "\n", 1);
        break;
    case OUTPUT_FORMAT_TEXT:
        rc = record_to_text(&w->raw, r) | buf_append(&w->raw, "\n", 1);
        break;
    default:
        rc = record_to_msgpack(&w->raw, r);
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

int batch_writer_set_wire(struct batch_writer *w, int version)
{
    if (w->n)
        return -1;   /* one version per batch */
    if (version == 2 && w->format == OUTPUT_FORMAT_MSGPACK) {
        if (!w->w2 && !(w->w2 = wire2_new()))
            return -1;
    } else {
        wire2_free(w->w2);
        w->w2 = NULL;
    }
    return 0;
}

int batch_writer_wire(const struct batch_writer *w)
{
    return w->w2 && !w->encode ? 2 : 1;
}

void batch_writer_set_encoder(struct batch_writer *w, batch_encode_fn fn, void *arg)
{
    w->encode = fn;
    w->encode_arg = arg;
}

size_t batch_writer_events(const struct batch_writer *w)
{
    return w->n;
}

size_t batch_writer_bytes(const struct batch_writer *w)
{
    return w->raw.len + (w->w2 ? wire2_bytes(w->w2) : 0);
}

struct batch *batch_writer_finish(struct batch_writer *w)
{
    if (w->n == 0)
        return NULL;
    struct batch *b = calloc(1, sizeof(*b));
    if (!b)
        goto fail;
    /* version 2: the records held so far become one content map in raw
     * (after a failed finish, raw may hold one already: a content is one
     * or more maps) */
    if (w->w2 && !w->encode && wire2_finish(w->w2, &w->raw) < 0)
        goto fail;
    bool v2 = w->w2 && !w->encode;
    if (w->compression == OUTPUT_COMPRESS_LZ4) {
        LZ4F_preferences_t prefs;
        memset(&prefs, 0, sizeof(prefs));
        prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
        /* version 2: linked 4 MiB blocks, so that a line finds its likes
         * anywhere earlier in the batch; version 1 keeps what its readers
         * were given */
        prefs.frameInfo.blockMode = v2 ? LZ4F_blockLinked : LZ4F_blockIndependent;
        prefs.frameInfo.blockSizeID = v2 ? LZ4F_max4MB : LZ4F_default;
        /* compress straight from raw: no copy into the frame's own buffer */
        prefs.autoFlush = 1;
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
