/* forward_proto.c - Fluentd forward protocol v1: replies, digests, messages.
 * The reader never trusts a length header: forward_mp_size walks a value's
 * bytes first and msgpack-c decodes it only once it is complete, so each
 * allocation is bounded by bytes actually received. The encoder copies the
 * time and record bytes of each entry as they are (no decode/re-encode):
 * only the [tag, time, record] envelope is parsed. */
#include "outputs/forward_proto.h"

#include <string.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static uint32_t be16(const unsigned char *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static long long mp_size(const unsigned char *p, size_t n, int depth)
{
    size_t hdr = 1;
    uint64_t body = 0, items = 0;
    if (depth > FORWARD_MP_MAX_DEPTH)
        return -1;
    if (n == 0)
        return 0;
    unsigned c = p[0];
    if (c <= 0x7f || c >= 0xe0)
        return 1;
    if (c <= 0x8f) {
        items = 2u * (c & 0x0f);
    } else if (c <= 0x9f) {
        items = c & 0x0f;
    } else if (c <= 0xbf) {
        body = c & 0x1f;
    } else {
        /* Fixed-size values: total size, or 0 for variable ones below. */
        static const unsigned char fixed[0x20] = {
            [0x00] = 1, [0x02] = 1, [0x03] = 1,              /* nil false true */
            [0x0a] = 5, [0x0b] = 9,                          /* float32 float64 */
            [0x0c] = 2, [0x0d] = 3, [0x0e] = 5, [0x0f] = 9,  /* uint8..64 */
            [0x10] = 2, [0x11] = 3, [0x12] = 5, [0x13] = 9,  /* int8..64 */
            [0x14] = 3, [0x15] = 4, [0x16] = 6, [0x17] = 10, [0x18] = 18, /* fixext */
        };
        size_t f = fixed[c - 0xc0];
        if (f)
            return n >= f ? (long long)f : 0;
        switch (c) {
        case 0xc4: case 0xd9: hdr = 2; break;                /* bin8 str8 */
        case 0xc5: case 0xda: hdr = 3; break;                /* bin16 str16 */
        case 0xc6: case 0xdb: hdr = 5; break;                /* bin32 str32 */
        case 0xc7: hdr = 3; break;                           /* ext8 */
        case 0xc8: hdr = 4; break;                           /* ext16 */
        case 0xc9: hdr = 6; break;                           /* ext32 */
        case 0xdc: case 0xde: hdr = 3; break;                /* array16 map16 */
        case 0xdd: case 0xdf: hdr = 5; break;                /* array32 map32 */
        default: return -1;                                  /* 0xc1: never used */
        }
        if (n < hdr)
            return 0;
        switch (c) {
        case 0xc4: case 0xd9: case 0xc7: body = p[1]; break;
        case 0xc5: case 0xda: case 0xc8: body = be16(p + 1); break;
        case 0xc6: case 0xdb: case 0xc9: body = be32(p + 1); break;
        case 0xdc: items = be16(p + 1); break;
        case 0xdd: items = be32(p + 1); break;
        case 0xde: items = 2u * be16(p + 1); break;
        case 0xdf: items = 2u * (uint64_t)be32(p + 1); break;
        }
    }
    uint64_t total = hdr + body;
    if (total > n)
        return 0;
    for (uint64_t i = 0; i < items; i++) {
        long long sub = mp_size(p + total, n - total, depth + 1);
        if (sub <= 0)
            return sub;
        total += (uint64_t)sub;
    }
    return (long long)total;
}

long long forward_mp_size(const unsigned char *p, size_t n)
{
    return mp_size(p, n, 0);
}

/* ---- replies ---- */

void forward_reader_init(struct forward_reader *r)
{
    r->len = r->off = 0;
    msgpack_unpacked_init(&r->res);
}

void forward_reader_fini(struct forward_reader *r)
{
    msgpack_unpacked_destroy(&r->res);
    r->len = r->off = 0;
}

void forward_reader_reset(struct forward_reader *r)
{
    r->len = r->off = 0;
}

int forward_reader_feed(struct forward_reader *r, const void *p, size_t n)
{
    if (r->off) {
        memmove(r->buf, r->buf + r->off, r->len - r->off);
        r->len -= r->off;
        r->off = 0;
    }
    if (n > sizeof(r->buf) - r->len)
        return -1;
    memcpy(r->buf + r->len, p, n);
    r->len += n;
    return 0;
}

static bool obj_is_text(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN;
}

static struct span obj_span(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_STR)
        return span_make(o->via.str.ptr, o->via.str.size);
    if (o->type == MSGPACK_OBJECT_BIN)
        return span_make(o->via.bin.ptr, o->via.bin.size);
    return SPAN_NULL;
}

static bool obj_eq(const msgpack_object *o, const char *s)
{
    return o->type == MSGPACK_OBJECT_STR && span_eq_cstr(obj_span(o), s);
}

static const msgpack_object *map_get(const msgpack_object *m, const char *key)
{
    for (uint32_t i = 0; i < m->via.map.size; i++)
        if (obj_eq(&m->via.map.ptr[i].key, key))
            return &m->via.map.ptr[i].val;
    return NULL;
}

enum forward_reply_type forward_reply_classify(const msgpack_object *o, struct forward_reply *out)
{
    memset(out, 0, sizeof(*out));
    out->keepalive = true;
    if (o->type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *ack = map_get(o, "ack");
        if (!ack)
            return out->type = FORWARD_REPLY_IGNORED;
        if (!obj_is_text(ack))
            return out->type = FORWARD_REPLY_BAD;
        out->chunk = obj_span(ack);
        return out->type = FORWARD_REPLY_ACK;
    }
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0)
        return out->type = FORWARD_REPLY_IGNORED;
    const msgpack_object *a = o->via.array.ptr;
    uint32_t n = o->via.array.size;
    if (obj_eq(&a[0], "HELO")) {
        if (n < 2 || a[1].type != MSGPACK_OBJECT_MAP)
            return out->type = FORWARD_REPLY_BAD;
        const msgpack_object *nonce = map_get(&a[1], "nonce");
        const msgpack_object *auth = map_get(&a[1], "auth");
        const msgpack_object *ka = map_get(&a[1], "keepalive");
        if (!nonce || !obj_is_text(nonce) || (auth && !obj_is_text(auth) &&
                                              auth->type != MSGPACK_OBJECT_NIL))
            return out->type = FORWARD_REPLY_BAD;
        out->nonce = obj_span(nonce);
        out->auth = auth ? obj_span(auth) : SPAN_NULL;
        if (ka && ka->type == MSGPACK_OBJECT_BOOLEAN)
            out->keepalive = ka->via.boolean;
        return out->type = FORWARD_REPLY_HELO;
    }
    if (obj_eq(&a[0], "PONG")) {
        if (n < 5 || a[1].type != MSGPACK_OBJECT_BOOLEAN || !obj_is_text(&a[2]) ||
            !obj_is_text(&a[3]) || !obj_is_text(&a[4]))
            return out->type = FORWARD_REPLY_BAD;
        out->auth_ok = a[1].via.boolean;
        out->reason = obj_span(&a[2]);
        out->server_hostname = obj_span(&a[3]);
        out->digest = obj_span(&a[4]);
        return out->type = FORWARD_REPLY_PONG;
    }
    return out->type = FORWARD_REPLY_IGNORED;
}

enum forward_reply_type forward_reader_next(struct forward_reader *r, struct forward_reply *out)
{
    memset(out, 0, sizeof(*out));
    size_t avail = r->len - r->off;
    if (avail == 0)
        return out->type = FORWARD_REPLY_MORE;
    long long k = forward_mp_size(r->buf + r->off, avail);
    if (k < 0)
        return out->type = FORWARD_REPLY_ERROR;
    if (k == 0)     /* incomplete; feed reports one that cannot fit */
        return out->type = FORWARD_REPLY_MORE;
    size_t used = 0;
    msgpack_unpack_return rc =
        msgpack_unpack_next(&r->res, (const char *)r->buf + r->off, (size_t)k, &used);
    if (rc != MSGPACK_UNPACK_SUCCESS || used != (size_t)k)
        return out->type = FORWARD_REPLY_ERROR;
    r->off += (size_t)k;
    return forward_reply_classify(&r->res.data, out);
}

/* ---- digests ---- */

int forward_sha512_hex(char *out, const struct span *parts, size_t nparts)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = 0;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    out[0] = '\0';
    if (!m || EVP_DigestInit_ex(m, EVP_sha512(), NULL) != 1)
        goto done;
    for (size_t i = 0; i < nparts; i++)
        if (parts[i].len && EVP_DigestUpdate(m, parts[i].p, parts[i].len) != 1)
            goto done;
    if (EVP_DigestFinal_ex(m, md, &mdlen) != 1 || mdlen * 2 != FORWARD_HEX_DIGEST_LEN)
        goto done;
    for (unsigned i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * mdlen] = '\0';
    ok = 1;
done:
    EVP_MD_CTX_free(m);
    OPENSSL_cleanse(md, sizeof(md));
    return ok ? 0 : -1;
}

bool forward_digest_eq(struct span got, const char *want)
{
    char low[FORWARD_HEX_DIGEST_LEN];
    if (got.len != FORWARD_HEX_DIGEST_LEN || strlen(want) != FORWARD_HEX_DIGEST_LEN)
        return false;
    for (size_t i = 0; i < got.len; i++) {
        char ch = got.p[i];
        low[i] = (char)(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch);
    }
    return CRYPTO_memcmp(low, want, FORWARD_HEX_DIGEST_LEN) == 0;
}

/* ---- messages ---- */

void forward_encoder_init(struct forward_encoder *e)
{
    memset(e, 0, sizeof(*e));
    msgpack_sbuffer_init(&e->wire);
    msgpack_sbuffer_init(&e->stream);
}

void forward_encoder_fini(struct forward_encoder *e)
{
    msgpack_sbuffer_destroy(&e->wire);
    msgpack_sbuffer_destroy(&e->stream);
    free(e->gz);
    free(e->chunks);
    free(e->ents);
    if (e->z_ready)
        deflateEnd(&e->z);
    memset(e, 0, sizeof(*e));
}

/* Reads a str header at p; sets *body and returns the header size, or 0. */
static size_t str_header(const unsigned char *p, size_t n, size_t *body)
{
    if (n >= 1 && p[0] >= 0xa0 && p[0] <= 0xbf) {
        *body = p[0] & 0x1f;
        return 1;
    }
    if (n >= 2 && p[0] == 0xd9) {
        *body = p[1];
        return 2;
    }
    if (n >= 3 && p[0] == 0xda) {
        *body = be16(p + 1);
        return 3;
    }
    if (n >= 5 && p[0] == 0xdb) {
        *body = be32(p + 1);
        return 5;
    }
    return 0;
}

static bool is_map(unsigned char c)
{
    return (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf;
}

static int add_chunk(struct forward_encoder *e, char *id)
{
    unsigned char rnd[16];
    if (e->nchunks == e->chunks_cap) {
        size_t cap = e->chunks_cap ? e->chunks_cap * 2 : 16;
        void *p = realloc(e->chunks, cap * sizeof(*e->chunks));
        if (!p)
            return -1;
        e->chunks = p;
        e->chunks_cap = cap;
    }
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return -1;
    EVP_EncodeBlock((unsigned char *)e->chunks[e->nchunks], rnd, sizeof(rnd));
    memcpy(id, e->chunks[e->nchunks], FORWARD_CHUNK_LEN + 1);
    e->nchunks++;
    return 0;
}

static int gzip_stream(struct forward_encoder *e, size_t *outlen)
{
    if (!e->z_ready) {
        if (deflateInit2(&e->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return -1;
        e->z_ready = true;
    } else if (deflateReset(&e->z) != Z_OK) {
        return -1;
    }
    size_t need = deflateBound(&e->z, e->stream.size) + 32;
    if (need > e->gz_cap) {
        unsigned char *p = realloc(e->gz, need);
        if (!p)
            return -1;
        e->gz = p;
        e->gz_cap = need;
    }
    e->z.next_in = (unsigned char *)e->stream.data;
    e->z.avail_in = (uInt)e->stream.size;
    e->z.next_out = e->gz;
    e->z.avail_out = (uInt)e->gz_cap;
    if (deflate(&e->z, Z_FINISH) != Z_STREAM_END)
        return -1;
    *outlen = e->gz_cap - e->z.avail_out;
    return 0;
}

/* Appends [tag, bin(stream), {size, chunk?, compressed?}] to wire. */
static int finish_message(struct forward_encoder *e, struct span tag, uint32_t size,
                          const struct forward_encode_opts *o)
{
    msgpack_packer pk;
    const void *payload = e->stream.data;
    size_t plen = e->stream.size;
    char id[FORWARD_CHUNK_LEN + 1];
    if (o->gzip) {
        if (gzip_stream(e, &plen) < 0)
            return -1;
        payload = e->gz;
    }
    if (o->chunk && add_chunk(e, id) < 0)
        return -1;
    msgpack_packer_init(&pk, &e->wire, msgpack_sbuffer_write);
    int rc = msgpack_pack_array(&pk, 3);
    rc |= msgpack_pack_str_with_body(&pk, tag.p, tag.len);
    rc |= msgpack_pack_bin_with_body(&pk, payload, plen);
    rc |= msgpack_pack_map(&pk, 1 + (o->chunk ? 1 : 0) + (o->gzip ? 1 : 0));
    rc |= msgpack_pack_str_with_body(&pk, "size", 4);
    rc |= msgpack_pack_uint32(&pk, size);
    if (o->chunk) {
        rc |= msgpack_pack_str_with_body(&pk, "chunk", 5);
        rc |= msgpack_pack_str_with_body(&pk, id, FORWARD_CHUNK_LEN);
    }
    if (o->gzip) {
        rc |= msgpack_pack_str_with_body(&pk, "compressed", 10);
        rc |= msgpack_pack_str_with_body(&pk, "gzip", 4);
    }
    e->nmessages++;
    msgpack_sbuffer_clear(&e->stream);
    return rc ? -1 : 0;
}

/* Appends the entry's time to stream, as an integer when asked. */
static int put_time(struct forward_encoder *e, const unsigned char *t, size_t n,
                    const struct forward_encode_opts *o)
{
    const unsigned char *ns = NULL;
    if (o->time_as_integer) {
        if (n == 10 && t[0] == 0xd7 && t[1] == 0x00)
            ns = t + 2;
        else if (n == 11 && t[0] == 0xc7 && t[1] == 8 && t[2] == 0x00)
            ns = t + 3;
    }
    if (!ns)
        return msgpack_sbuffer_write(&e->stream, (const char *)t, n);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &e->stream, msgpack_sbuffer_write);
    return msgpack_pack_uint32(&pk, be32(ns));
}

/* One entry of the batch being encoded: where its parts are in the input. */
struct forward_entry {
    struct span tag;
    const unsigned char *time, *record;
    size_t time_len, record_len;
    size_t index;                       /* position in the batch: keeps the sort stable */
};

static int entry_cmp(const void *a, const void *b)
{
    const struct forward_entry *x = a, *y = b;
    size_t n = x->tag.len < y->tag.len ? x->tag.len : y->tag.len;
    int c = n ? memcmp(x->tag.p, y->tag.p, n) : 0;
    if (c)
        return c;
    if (x->tag.len != y->tag.len)
        return x->tag.len < y->tag.len ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int push_entry(struct forward_encoder *e, const struct forward_entry *fe)
{
    if (e->nents == e->ents_cap) {
        size_t cap = e->ents_cap ? e->ents_cap * 2 : 256;
        void *p = realloc(e->ents, cap * sizeof(*e->ents));
        if (!p)
            return -1;
        e->ents = p;
        e->ents_cap = cap;
    }
    e->ents[e->nents++] = *fe;
    return 0;
}

enum forward_encode_result forward_encode(struct forward_encoder *e, const unsigned char *data,
                                          size_t len, const struct forward_encode_opts *o)
{
    static const char entry2 = (char)0x92;
    size_t pos = 0;
    msgpack_sbuffer_clear(&e->wire);
    msgpack_sbuffer_clear(&e->stream);
    e->nchunks = e->nmessages = 0;
    e->nevents = 0;
    e->nents = 0;
    /* First the whole batch is checked and its entries listed, ... */
    while (pos < len) {
        const unsigned char *p = data + pos;
        size_t n = len - pos;
        long long esz = forward_mp_size(p, n);
        if (esz <= 0 || p[0] != 0x93)       /* [tag, time, record] */
            return FORWARD_ENC_MALFORMED;
        size_t at = 1, tlen;
        size_t th = str_header(p + at, (size_t)esz - at, &tlen);
        if (!th || th + tlen > (size_t)esz - at)
            return FORWARD_ENC_MALFORMED;
        struct forward_entry fe = { .tag = span_make((const char *)p + at + th, tlen),
                                    .index = e->nents };
        at += th + tlen;
        long long timesz = forward_mp_size(p + at, (size_t)esz - at);
        if (timesz <= 0)
            return FORWARD_ENC_MALFORMED;
        fe.time = p + at;
        fe.time_len = (size_t)timesz;
        at += (size_t)timesz;
        if (at >= (size_t)esz || !is_map(p[at]))
            return FORWARD_ENC_MALFORMED;
        fe.record = p + at;
        fe.record_len = (size_t)esz - at;
        if (push_entry(e, &fe) < 0)
            return FORWARD_ENC_NOMEM;
        pos += (size_t)esz;
    }
    /* ... then grouped by tag, so interleaved tags do not fragment it into
     * many small messages (each acked and compressed on its own). */
    if (e->nents > 1)
        qsort(e->ents, e->nents, sizeof(*e->ents), entry_cmp);
    uint32_t in_group = 0;
    for (size_t i = 0; i < e->nents; i++) {
        const struct forward_entry *fe = &e->ents[i];
        if (msgpack_sbuffer_write(&e->stream, &entry2, 1) < 0 ||
            put_time(e, fe->time, fe->time_len, o) < 0 ||
            msgpack_sbuffer_write(&e->stream, (const char *)fe->record, fe->record_len) < 0)
            return FORWARD_ENC_NOMEM;
        in_group++;
        e->nevents++;
        if (i + 1 == e->nents || !span_eq(fe->tag, e->ents[i + 1].tag)) {
            if (finish_message(e, fe->tag, in_group, o) < 0)
                return FORWARD_ENC_NOMEM;
            in_group = 0;
        }
    }
    return FORWARD_ENC_OK;
}
