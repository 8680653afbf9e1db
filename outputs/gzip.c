/* gzip.c - gzip members for http and file, gunzip for vigil-cat (gzip.h). */
#include "outputs/gzip.h"

#include <string.h>

int gzip_member(struct gzip_enc *enc, const void *p, size_t n)
{
    if (!enc->ready) {
        /* windowBits 15 + 16: a gzip header and trailer around deflate */
        if (deflateInit2(&enc->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return -1;
        enc->ready = true;
    } else if (deflateReset(&enc->z) != Z_OK) {
        return -1;
    }
    if (n > (uInt)-1)
        return -1;
    size_t need = deflateBound(&enc->z, (uLong)n) + 32;
    enc->out.len = 0;
    if (need > (uInt)-1 || buf_reserve(&enc->out, need) < 0)
        return -1;
    enc->z.next_in = (Bytef *)(uintptr_t)p;
    enc->z.avail_in = (uInt)n;
    enc->z.next_out = enc->out.p;
    enc->z.avail_out = (uInt)(enc->out.cap);
    if (deflate(&enc->z, Z_FINISH) != Z_STREAM_END)
        return -1;
    enc->out.len = enc->out.cap - enc->z.avail_out;
    return 0;
}

void gzip_enc_free(struct gzip_enc *enc)
{
    if (enc->ready)
        deflateEnd(&enc->z);
    enc->ready = false;
    buf_free(&enc->out);
}

bool gzip_is(const void *data, size_t len)
{
    const unsigned char *p = data;
    return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

int gzip_inflate_all(const void *data, size_t len, struct buf *out, size_t max)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return -1;
    const unsigned char *p = data;
    size_t left = len;
    int rc = 0;
    while (left) {
        if (!gzip_is(p, left)) {    /* padding or junk after a member */
            rc = 1;
            break;
        }
        z.next_in = (Bytef *)(uintptr_t)p;
        z.avail_in = left > (uInt)-1 ? (uInt)-1 : (uInt)left;
        int zr;
        do {
            if (out->len >= max) {
                rc = 1;
                goto done;
            }
            if (buf_reserve(out, 1 << 16) < 0) {
                rc = -1;
                goto done;
            }
            size_t room = out->cap - out->len;
            if (room > max - out->len)
                room = max - out->len;
            if (room > (uInt)-1)
                room = (uInt)-1;
            z.next_out = out->p + out->len;
            z.avail_out = (uInt)room;
            zr = inflate(&z, Z_NO_FLUSH);
            out->len += room - z.avail_out;
        } while (zr == Z_OK);
        if (zr != Z_STREAM_END) {
            rc = zr == Z_MEM_ERROR ? -1 : 1;
            break;
        }
        size_t used = (size_t)(z.next_in - p);
        p += used;
        left -= used;
        if (inflateReset(&z) != Z_OK) {
            rc = -1;
            break;
        }
    }
done:
    inflateEnd(&z);
    return rc;
}
