/* gzip.h - gzip members for the outputs that compress with `compression:
 * gzip` themselves (http: one member per body with Content-Encoding: gzip;
 * file: one member per batch, so a file is a multi-member gzip stream that
 * zcat reads), and the reading side for vigil-cat. The batch writer leaves
 * gzip to the plugin (outputs/batch.h). */
#ifndef VIGIL_GZIP_H
#define VIGIL_GZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <zlib.h>

#include "outputs/batch.h"

struct gzip_enc {
    z_stream z;
    bool ready;
    struct buf out;         /* the last member made; reused */
};

/* Makes enc->out one gzip member holding p[0..n). Returns -1 on failure
 * (allocation, zlib). */
int gzip_member(struct gzip_enc *enc, const void *p, size_t n);
void gzip_enc_free(struct gzip_enc *enc);

/* True when data starts with the gzip magic. */
bool gzip_is(const void *data, size_t len);
/* Appends to out the content of every member of the gzip stream data[0..len).
 * Returns 0, 1 when the stream is damaged or cut short (what came before is
 * kept in out), -1 on allocation failure. At most max bytes are produced
 * (more is treated as damage). */
int gzip_inflate_all(const void *data, size_t len, struct buf *out, size_t max);

#endif
