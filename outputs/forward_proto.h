/* forward_proto.h - the pure half of the Fluentd forward protocol v1 client
 * (outputs/forward.c does the I/O): reading the server's replies (HELO, PONG,
 * ack) from a byte stream, the handshake digests, and turning a vigil batch
 * (msgpack entries [tag, time, record] back to back) into PackedForward or
 * CompressedPackedForward messages:
 * [tag, bin(stream of [time, record]), {"size": n, "chunk": id[, "compressed": "gzip"]}].
 * Nothing here logs or does I/O, so it can be fuzzed and tested alone. */
#ifndef VIGIL_OUTPUTS_FORWARD_PROTO_H
#define VIGIL_OUTPUTS_FORWARD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>
#include <zlib.h>

#include "sidecar/span.h"

#define FORWARD_REPLY_MAX_BYTES (64u * 1024)   /* one server reply, at most */
#define FORWARD_CHUNK_LEN 24                   /* base64 of 16 random bytes */
#define FORWARD_HEX_DIGEST_LEN 128             /* hex of a SHA-512 */
#define FORWARD_MP_MAX_DEPTH 64                /* nesting accepted in msgpack */

enum forward_reply_type {
    FORWARD_REPLY_MORE,     /* no complete reply buffered: feed more bytes */
    FORWARD_REPLY_HELO,
    FORWARD_REPLY_PONG,
    FORWARD_REPLY_ACK,
    FORWARD_REPLY_IGNORED,  /* valid msgpack we do not act on (e.g. nil keep-alive) */
    FORWARD_REPLY_BAD,      /* a HELO/PONG/ack of the wrong shape */
    FORWARD_REPLY_ERROR,    /* not msgpack, or a reply over FORWARD_REPLY_MAX_BYTES */
};

/* One decoded reply. Spans borrow the reader's buffer: valid until the next
 * forward_reader_feed/next call. */
struct forward_reply {
    enum forward_reply_type type;
    struct span nonce, auth;            /* HELO (auth empty: no user auth) */
    bool keepalive;                     /* HELO, default true */
    bool auth_ok;                       /* PONG */
    struct span reason, server_hostname, digest;   /* PONG */
    struct span chunk;                  /* ack */
};

/* A streaming reader: bytes in any split (byte by byte, several replies glued
 * together), complete replies out. It holds at most FORWARD_REPLY_MAX_BYTES
 * and no per-reply malloc beyond msgpack's reused zone. A value is decoded
 * only once all its bytes are buffered, so a hostile length header cannot
 * make it allocate more than the bytes it holds. */
struct forward_reader {
    unsigned char buf[FORWARD_REPLY_MAX_BYTES];
    size_t len, off;                    /* buffered bytes, start of the unread ones */
    msgpack_unpacked res;
};

void forward_reader_init(struct forward_reader *r);
void forward_reader_fini(struct forward_reader *r);
/* Drops everything buffered (the connection was closed). */
void forward_reader_reset(struct forward_reader *r);
/* Copies n bytes in. Returns -1 when they do not fit: a reply over
 * FORWARD_REPLY_MAX_BYTES (the stream is unusable: close it). */
int forward_reader_feed(struct forward_reader *r, const void *p, size_t n);
/* The next complete reply, FORWARD_REPLY_MORE when none, FORWARD_REPLY_ERROR
 * when the stream is corrupt (and stays so). */
enum forward_reply_type forward_reader_next(struct forward_reader *r, struct forward_reply *out);
/* Classifies one decoded msgpack value (the reader's second half). */
enum forward_reply_type forward_reply_classify(const msgpack_object *o, struct forward_reply *out);

/* Size of the msgpack value at p: > 0 bytes, 0 when p[0..n) holds only part
 * of it, -1 when it is not msgpack (or nests deeper than FORWARD_MP_MAX_DEPTH). */
long long forward_mp_size(const unsigned char *p, size_t n);

/* out = lower-case hex of SHA-512 over the parts, concatenated; out holds
 * FORWARD_HEX_DIGEST_LEN + 1 bytes. Returns -1 if OpenSSL fails. */
int forward_sha512_hex(char *out, const struct span *parts, size_t nparts);
/* Constant-time comparison of a received hex digest with ours (any case). */
bool forward_digest_eq(struct span got, const char *want);

/* Builds the wire bytes of a batch. Keep one per connection-owning output:
 * its buffers and zlib stream are reused from batch to batch. */
struct forward_entry;

struct forward_encoder {
    msgpack_sbuffer wire;               /* every message of the batch, back to back */
    msgpack_sbuffer stream;             /* the current message's entries */
    unsigned char *gz;                  /* gzip of stream */
    size_t gz_cap;
    z_stream z;
    bool z_ready;
    char (*chunks)[FORWARD_CHUNK_LEN + 1];  /* one id per message, NUL-terminated */
    size_t nchunks, chunks_cap;
    size_t nmessages;
    uint32_t nevents;
    struct forward_entry *ents;         /* the batch's entries, grouped by tag to encode */
    size_t nents, ents_cap;
};

struct forward_encode_opts {
    bool gzip;              /* CompressedPackedForward */
    bool chunk;             /* ask for acks: add a chunk id to every message */
    bool time_as_integer;   /* EventTime -> integer seconds, for Fluentd v0.12 */
};

enum forward_encode_result { FORWARD_ENC_OK, FORWARD_ENC_MALFORMED, FORWARD_ENC_NOMEM };

void forward_encoder_init(struct forward_encoder *e);
void forward_encoder_fini(struct forward_encoder *e);
/* Encodes the entries in data[0..len): all entries with the same tag make
 * one message (in batch order within it), however the tags interleave; the
 * messages come in order of tag. Chunk ids come from the CSPRNG. On FORWARD_ENC_OK the
 * bytes are e->wire (data, size) and the ids e->chunks[0..nchunks). */
enum forward_encode_result forward_encode(struct forward_encoder *e, const unsigned char *data,
                                          size_t len, const struct forward_encode_opts *o);

#endif
