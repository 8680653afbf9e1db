/* mp_write.h - msgpack written by hand into a reserved buffer: the
 * smallest header for each length and integer, exactly the bytes of
 * msgpack-c's packer. Shared by the wire encoders (encode_msgpack.c,
 * wire_v2.c) and the v2 reader that rebuilds v1 entries (batch_read_v2.c).
 * Each writes at o and returns the position after what it wrote; the caller
 * has reserved room for it. */
#ifndef VIGIL_MP_WRITE_H
#define VIGIL_MP_WRITE_H

#include <stdint.h>
#include <string.h>

#include "sidecar/buf.h"
#include "sidecar/span.h"

typedef unsigned char u8;

static inline u8 *mp_be16(u8 *o, uint32_t v)
{
    o[0] = (u8)(v >> 8);
    o[1] = (u8)v;
    return o + 2;
}

static inline u8 *mp_be32(u8 *o, uint32_t v)
{
    o[0] = (u8)(v >> 24);
    o[1] = (u8)(v >> 16);
    o[2] = (u8)(v >> 8);
    o[3] = (u8)v;
    return o + 4;
}

static inline u8 *mp_be64(u8 *o, uint64_t v)
{
    return mp_be32(mp_be32(o, (uint32_t)(v >> 32)), (uint32_t)v);
}

static inline u8 *mp_str_hdr(u8 *o, size_t n)
{
    if (n < 32) {
        *o++ = (u8)(0xa0 | n);
    } else if (n < 256) {
        *o++ = 0xd9;
        *o++ = (u8)n;
    } else if (n < 65536) {
        *o++ = 0xda;
        o = mp_be16(o, (uint32_t)n);
    } else {
        *o++ = 0xdb;
        o = mp_be32(o, (uint32_t)n);
    }
    return o;
}

static inline u8 *mp_str(u8 *o, const char *p, size_t n)
{
    o = mp_str_hdr(o, n);
    if (n)
        memcpy(o, p, n);
    return o + n;
}

static inline u8 *mp_span(u8 *o, struct span s)
{
    return mp_str(o, s.p, s.len);
}

/* A constant key (< 32 bytes): its length is known at compile time. */
static inline u8 *mp_fixstr(u8 *o, const char *lit, size_t n)
{
    *o++ = (u8)(0xa0 | n);
    memcpy(o, lit, n);
    return o + n;
}
#define MP_KEY(o, lit) mp_fixstr((o), "" lit, sizeof(lit) - 1)

static inline u8 *mp_container(u8 *o, uint32_t n, u8 fix, u8 b16)
{
    if (n < 16) {
        *o++ = (u8)(fix | n);
    } else if (n < 65536) {
        *o++ = b16;
        o = mp_be16(o, n);
    } else {
        *o++ = (u8)(b16 + 1);
        o = mp_be32(o, n);
    }
    return o;
}

static inline u8 *mp_uint(u8 *o, uint64_t d)
{
    if (d < 128) {
        *o++ = (u8)d;
    } else if (d < 256) {
        *o++ = 0xcc;
        *o++ = (u8)d;
    } else if (d < 65536) {
        *o++ = 0xcd;
        o = mp_be16(o, (uint32_t)d);
    } else if (d < 4294967296ull) {
        *o++ = 0xce;
        o = mp_be32(o, (uint32_t)d);
    } else {
        *o++ = 0xcf;
        o = mp_be64(o, d);
    }
    return o;
}

static inline u8 *mp_int(u8 *o, int64_t d)
{
    if (d >= 0)
        return mp_uint(o, (uint64_t)d);
    if (d >= -32) {
        *o++ = (u8)(int8_t)d;
    } else if (d >= -128) {
        *o++ = 0xd0;
        *o++ = (u8)(int8_t)d;
    } else if (d >= -32768) {
        *o++ = 0xd1;
        o = mp_be16(o, (uint16_t)(int16_t)d);
    } else if (d >= -2147483648LL) {
        *o++ = 0xd2;
        o = mp_be32(o, (uint32_t)(int32_t)d);
    } else {
        *o++ = 0xd3;
        o = mp_be64(o, (uint64_t)d);
    }
    return o;
}

static inline u8 *mp_double(u8 *o, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    *o++ = 0xcb;
    return mp_be64(o, bits);
}

static inline u8 *mp_event_time(u8 *o, int64_t ns)
{
    int64_t sec = ns / 1000000000, nsec = ns % 1000000000;
    if (nsec < 0) {
        nsec += 1000000000;
        sec -= 1;
    }
    *o++ = 0xd7;   /* fixext 8, type 0: Fluentd EventTime */
    *o++ = 0;
    o = mp_be32(o, (uint32_t)sec);
    return mp_be32(o, (uint32_t)nsec);
}

/* The same into a struct buf, reserving room per value: -1 only on
 * allocation failure (b unchanged). */
static inline int mpb_uint(struct buf *b, uint64_t v)
{
    if (buf_reserve(b, 9) < 0)
        return -1;
    b->len = (size_t)(mp_uint(b->p + b->len, v) - b->p);
    return 0;
}

static inline int mpb_int(struct buf *b, int64_t v)
{
    if (buf_reserve(b, 9) < 0)
        return -1;
    b->len = (size_t)(mp_int(b->p + b->len, v) - b->p);
    return 0;
}

static inline int mpb_double(struct buf *b, double v)
{
    if (buf_reserve(b, 9) < 0)
        return -1;
    b->len = (size_t)(mp_double(b->p + b->len, v) - b->p);
    return 0;
}

static inline int mpb_str(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n + 5) < 0)
        return -1;
    b->len = (size_t)(mp_str(b->p + b->len, (const char *)p, n) - b->p);
    return 0;
}

static inline int mpb_array(struct buf *b, uint32_t n)
{
    if (buf_reserve(b, 5) < 0)
        return -1;
    b->len = (size_t)(mp_container(b->p + b->len, n, 0x90, 0xdc) - b->p);
    return 0;
}

static inline int mpb_map(struct buf *b, uint32_t n)
{
    if (buf_reserve(b, 5) < 0)
        return -1;
    b->len = (size_t)(mp_container(b->p + b->len, n, 0x80, 0xde) - b->p);
    return 0;
}

static inline int mpb_byte(struct buf *b, unsigned char c)
{
    return buf_append(b, &c, 1);
}

static inline int mpb_event_time(struct buf *b, int64_t ns)
{
    if (buf_reserve(b, 10) < 0)
        return -1;
    b->len = (size_t)(mp_event_time(b->p + b->len, ns) - b->p);
    return 0;
}

#endif
