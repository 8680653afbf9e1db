/* batch.h - records packed for shipping: the unit every output sends.
 * A batch is built by a batch_writer straight from records (no intermediate
 * JSON): msgpack entries [tag, EventTime, record] back to back (wire version
 * 1), one columnar content map (version 2, outputs/wire_v2.h), JSON lines,
 * or text lines; then, for compression lz4, wrapped in one standard LZ4 frame
 * with content checksum (docs/wire-format.md). The writer reuses its buffers
 * and LZ4 context across batches. */
#ifndef VIGIL_BATCH_H
#define VIGIL_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "outputs/encode.h"
#include "sidecar/buf.h"
#include "sidecar/record.h"

struct batch {
    uint64_t id;                  /* per output, increasing; forward chunk ids derive from it */
    uint64_t first_seq, last_seq; /* pipeline sequence numbers inside */
    uint32_t n_events;
    int64_t min_ts, max_ts;       /* event times, ns */
    int64_t min_read_ts;          /* when its oldest line was read (record.read_ts, ns);
                                   * 0 when unknown (disk buffer replay) or once the
                                   * core has observed the batch's pipeline latency */
    uint8_t format;               /* enum output_format */
    uint8_t compression;          /* enum output_compression of data */
    unsigned char *data;          /* wire bytes: what the plugin sends */
    size_t len;
    size_t raw_len;               /* encoded bytes before compression */
    size_t wire_len;              /* set by a plugin that compresses or re-frames (gzip,
                                   * forward): the bytes it sent; 0 = len */
    uint32_t attempts;            /* sends tried so far */
    int64_t not_before_ms;        /* retry: monotonic ms (CLOCK_MONOTONIC) before which not
                                   * to resend; a plugin reporting OUTPUT_RETRY may raise it
                                   * (Retry-After), the core keeps the later of it and its
                                   * backoff */
    struct batch *next;           /* queue link, owned by the output core */
};

struct batch_writer;

/* Returns a writer for format/compression (enum output_format, enum
 * output_compression; gzip is left to the plugin and treated as none here). */
struct batch_writer *batch_writer_new(int format, int compression);
void batch_writer_free(struct batch_writer *w);
/* Appends r. Copies everything it needs: r may be reused after the call.
 * Returns -1 only on allocation failure. */
int batch_writer_add(struct batch_writer *w, const struct record *r);
size_t batch_writer_events(const struct batch_writer *w);
size_t batch_writer_bytes(const struct batch_writer *w);   /* encoded, uncompressed */
/* Closes the open batch (compressing it) and returns it, or NULL when empty or
 * on failure. Free with batch_free. */
struct batch *batch_writer_finish(struct batch_writer *w);

/* A batch holding a copy of data (disk buffer replay). */
struct batch *batch_new_copy(const void *data, size_t len, uint32_t n_events, int format,
                             int compression);
void batch_free(struct batch *b);

/* The msgpack wire version (docs/wire-format.md): 1 (entries back to back,
 * the default) or 2 (one columnar content map per batch, LZ4 with linked
 * blocks). Only for format msgpack without a plugin encoder; other formats
 * ignore it. Call before the first record of a batch: -1 when records are
 * pending or on allocation failure. */
int batch_writer_set_wire(struct batch_writer *w, int version);
/* The version the writer's batches have (1 for JSON, text, plugin encoders). */
int batch_writer_wire(const struct batch_writer *w);

/* A plugin's own record encoding (otlp): appends r to out; returns -1 only on
 * allocation failure. Set, it replaces the format's encoder; the batch is then
 * the plugin's encodings back to back (compressed as configured). */
typedef int (*batch_encode_fn)(void *arg, struct buf *out, const struct record *r);
void batch_writer_set_encoder(struct batch_writer *w, batch_encode_fn fn, void *arg);

#endif
