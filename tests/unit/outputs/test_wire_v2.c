/* test_wire_v2.c - wire format version 2 (outputs/wire_v2.c, batch_read_v2.c):
 * the records a reader gets are those of version 1, byte for byte (nested
 * maps and arrays, renamed header keys, invalid UTF-8, NUL bytes, flags,
 * alerts, values that are not in the line); a realistic mixed batch is far
 * smaller; hostile contents are refused, never overrun. */
#include <criterion/criterion.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "outputs/batch.h"
#include "outputs/batch_read.h"
#include "outputs/wire_v2.h"

struct trec {
    struct record r;
    char arena[4096];
    char line[512];
};

static struct span put_line(struct trec *t, const char *s, size_t n)
{
    memcpy(t->line, s, n);
    t->r.raw = span_make(t->line, n);
    return t->r.raw;
}

/* The span of the first occurrence of s in the line (a parser's slice). */
static struct span in_line(struct trec *t, const char *s)
{
    const char *p = memmem(t->r.raw.p, t->r.raw.len, s, strlen(s));
    cr_assert(p, "'%s' not in the line", s);
    return span_make(p, strlen(s));
}

static void base(struct trec *t, int i)
{
    record_init(&t->r, t->arena, sizeof(t->arena));
    t->r.tag = SPAN_LIT("app.api");
    t->r.input = SPAN_LIT("app");
    t->r.host = SPAN_LIT("web-1");
    t->r.path = SPAN_LIT("/var/log/app/api.log");
    t->r.kind = KIND_APP;
    t->r.ts = (1700000000LL + i) * 1000000000LL + 123456789LL * (i % 3);
    t->r.seq = (uint64_t)i + 1;
}

#define NKINDS 10

/* Record kind k of round i: every case the format must carry. */
static void make(struct trec *t, int k, int i)
{
    char tmp[400];
    int n;
    base(t, i);
    struct record *r = &t->r;
    switch (k) {
    case 0:   /* nested maps and arrays; header keys renamed (_path, _message) */
        n = snprintf(tmp, sizeof(tmp),
                     "{\"req\":{\"method\":\"GET\",\"tags\":[\"a\",\"b%d\"],\"size\":%d},"
                     "\"path\":\"/x\",\"message\":\"hi\"}", i, 512 + i);
        put_line(t, tmp, (size_t)n);
        record_open(r, SPAN_LIT("req"), FT_MAP);
        record_add_str(r, SPAN_LIT("method"), in_line(t, "GET"));
        record_open(r, SPAN_LIT("tags"), FT_ARRAY);
        record_add_str(r, SPAN_NULL, in_line(t, "a"));
        snprintf(tmp, sizeof(tmp), "b%d", i);
        record_add_str(r, SPAN_NULL, in_line(t, tmp));
        record_close(r);
        record_add_int(r, SPAN_LIT("size"), 512 + i);
        record_open(r, SPAN_LIT("inner"), FT_MAP);
        record_add_bool(r, SPAN_LIT("ok"), true);
        record_add_null(r, SPAN_LIT("none"));
        record_open(r, SPAN_LIT("empty"), FT_ARRAY);
        record_close(r);
        record_close(r);
        record_close(r);
        record_add_str(r, SPAN_LIT("path"), in_line(t, "/x"));
        record_add_str(r, SPAN_LIT("message"), in_line(t, "hi"));
        record_add_str(r, SPAN_LIT("kind"), record_copy(r, "weird", 5));
        break;
    case 1: {   /* invalid UTF-8 and NUL bytes, in the line and in values */
        static const char bad[] = "bad \xff\xfe utf8 \0 nul user=\xc3\x28 end";
        put_line(t, bad, sizeof(bad) - 1);
        record_add_str(r, SPAN_LIT("user"), span_make(t->line + 23, 2));
        record_add_str(r, SPAN_LIT("nul"), record_copy(r, "\0x\0", 3));
        record_add_str(r, SPAN_LIT("raw\xff"), span_make(t->line + 4, 2));
        break;
    }
    case 2:   /* truncated, repeated, not parsed */
        n = snprintf(tmp, sizeof(tmp), "some line that was cut %d", i);
        put_line(t, tmp, (size_t)n);
        r->truncated = true;
        r->repeat = 5 + (uint32_t)i;
        r->parse_error = "no timestamp";
        break;
    case 3:   /* an alert: values in the arena, doubles, bools, null, ints */
        n = snprintf(tmp, sizeof(tmp), "root logged in from 203.0.113.9 pid -7 round %d", i);
        put_line(t, tmp, (size_t)n);
        r->kind = KIND_ALERT;
        r->tag = SPAN_LIT("vigil.alert");
        r->input = SPAN_LIT("alerts");
        r->path = SPAN_NULL;
        record_add_str(r, SPAN_LIT("rule"), record_copy(r, "auth.root_ssh", 13));
        record_add_double(r, SPAN_LIT("score"), 0.8 + i);
        record_open(r, SPAN_LIT("entity"), FT_MAP);
        record_add_str(r, SPAN_LIT("user"), record_copy(r, "root", 4));
        record_add_str(r, SPAN_LIT("src_ip"), record_copy(r, "203.0.113.9", 11));
        record_close(r);
        record_open(r, SPAN_LIT("attack"), FT_ARRAY);
        record_add_str(r, SPAN_NULL, record_copy(r, "T1078.003", 9));
        record_close(r);
        record_add_bool(r, SPAN_LIT("muted"), false);
        record_add_null(r, SPAN_LIT("note"));
        record_add_int(r, SPAN_LIT("count"), -42);
        record_add_int(r, SPAN_LIT("pid"), -7);
        break;
    case 4:   /* values out of the line's order, and one found nowhere */
        n = snprintf(tmp, sizeof(tmp), "b=2%d a=1%d", i, i);
        put_line(t, tmp, (size_t)n);
        snprintf(tmp, sizeof(tmp), "1%d", i);
        record_add_str(r, SPAN_LIT("a"), in_line(t, tmp));
        snprintf(tmp, sizeof(tmp), "2%d", i);
        record_add_str(r, SPAN_LIT("b"), in_line(t, tmp));
        record_add_str(r, SPAN_LIT("c"), record_copy(r, "normalised", 10));
        break;
    case 5:   /* empty line, empty values, no path, no host */
        put_line(t, "", 0);
        r->path = SPAN_NULL;
        r->host = SPAN_NULL;
        record_add_str(r, SPAN_LIT("e"), SPAN_LIT(""));
        record_add_str(r, SPAN_LIT(""), SPAN_LIT(""));
        break;
    case 6:   /* the same key twice, in the line twice */
        n = snprintf(tmp, sizeof(tmp), "user=bob%d target=bob%d", i, i);
        put_line(t, tmp, (size_t)n);
        snprintf(tmp, sizeof(tmp), "bob%d", i);
        record_add_str(r, SPAN_LIT("user"), record_copy(r, tmp, strlen(tmp)));
        record_add_str(r, SPAN_LIT("user"), record_copy(r, tmp, strlen(tmp)));
        break;
    case 7:   /* integers whose text is not canonical in the line */
        n = snprintf(tmp, sizeof(tmp), "n=007 m=+5 z=-0 big=%lld", (long long)INT64_MAX);
        put_line(t, tmp, (size_t)n);
        record_add_int(r, SPAN_LIT("n"), 7);
        record_add_int(r, SPAN_LIT("m"), 5);
        record_add_int(r, SPAN_LIT("z"), 0);
        record_add_int(r, SPAN_LIT("big"), INT64_MAX);
        record_add_int(r, SPAN_LIT("min"), INT64_MIN);
        record_add_double(r, SPAN_LIT("nan"), NAN);
        record_add_double(r, SPAN_LIT("inf"), -INFINITY);
        break;
    case 8:   /* another source: its own tag, input, host and file */
        n = snprintf(tmp, sizeof(tmp), "Nov 18 11:06:%02d db-%d sshd[%d]: Failed password for pi",
                     i % 60, i % 2, 1000 + i);
        put_line(t, tmp, (size_t)n);
        r->tag = SPAN_LIT("auth");
        r->input = SPAN_LIT("auth");
        r->host = in_line(t, i % 2 ? "db-1" : "db-0");
        r->path = SPAN_LIT("/var/log/auth.log");
        r->kind = KIND_AUTH;
        r->ts = (1700000000LL + i) * 1000000000LL;
        record_add_str(r, SPAN_LIT("service"), in_line(t, "sshd"));
        record_add_int(r, SPAN_LIT("pid"), 1000 + i);
        record_add_str(r, SPAN_LIT("user"), in_line(t, "pi"));
        break;
    default:   /* a time before the epoch */
        put_line(t, "old", 3);
        r->ts = -1500000000LL;
        record_add_str(r, SPAN_LIT("v"), in_line(t, "old"));
        break;
    }
}

/* One batch of every kind, rounds times. */
static struct batch *encode_all(int wire, int compression, int rounds)
{
    struct batch_writer *w = batch_writer_new(OUTPUT_FORMAT_MSGPACK, compression);
    cr_assert(w);
    cr_assert_eq(batch_writer_set_wire(w, wire), 0);
    cr_assert_eq(batch_writer_wire(w), wire);
    for (int i = 0; i < rounds; i++)
        for (int k = 0; k < NKINDS; k++) {
            struct trec *t = calloc(1, sizeof(*t));
            make(t, k, i);
            cr_assert_eq(batch_writer_add(w, &t->r), 0);
            memset(t, 0x5a, sizeof(*t));   /* the writer copied what it needs */
            free(t);
        }
    struct batch *b = batch_writer_finish(w);
    cr_assert(b);
    batch_writer_free(w);
    return b;
}

static int json_cb(void *arg, const struct batch_entry *e)
{
    struct buf *out = arg;
    cr_assert_eq(batch_entry_to_json(out, e), 0);
    buf_append(out, "\n", 1);
    return 0;
}

static void to_json(const struct batch *b, struct buf *out)
{
    struct batch_read_stats st;
    cr_assert_eq(batch_read(b->data, b->len, json_cb, NULL, out, &st), 0);
    cr_assert_eq(st.entries, b->n_events);
}

Test(wire_v2, same_entries_as_version_1_byte_for_byte)
{
    struct batch *v1 = encode_all(1, OUTPUT_COMPRESS_NONE, 3);
    struct batch *v2 = encode_all(2, OUTPUT_COMPRESS_NONE, 3);
    cr_assert(wire2_is_content(v2->data, v2->len));
    cr_assert_eq(v1->data[0], 0x93, "version 1 starts with an entry");
    struct buf back = { 0 };
    size_t used = 0;
    const char *why = wire2_to_v1(v2->data, v2->len, &back, &used);
    cr_assert_null(why, "%s", why);
    cr_assert_eq(used, v2->len);
    cr_assert_eq(back.len, v1->len);
    cr_assert(memcmp(back.p, v1->data, v1->len) == 0, "rebuilt entries differ from version 1");
    cr_assert_eq(v2->raw_len, v2->len);
    buf_free(&back);
    batch_free(v1);
    batch_free(v2);
}

/* Kinds in the order of ks[0..n): a source whose lines come back to a
 * shape seen some lines before (the writer remembers a few per source). */
static struct batch *encode_seq(int wire, const int *ks, int n)
{
    struct batch_writer *w = batch_writer_new(OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_NONE);
    cr_assert(w);
    cr_assert_eq(batch_writer_set_wire(w, wire), 0);
    for (int i = 0; i < n; i++) {
        struct trec *t = calloc(1, sizeof(*t));
        make(t, ks[i], i);
        cr_assert_eq(batch_writer_add(w, &t->r), 0);
        memset(t, 0x5a, sizeof(*t));
        free(t);
    }
    struct batch *b = batch_writer_finish(w);
    cr_assert(b);
    batch_writer_free(w);
    return b;
}

Test(wire_v2, shapes_that_come_back_after_others_keep_their_records)
{
    /* one shape between each other, then all of them in turn (more than
     * the writer remembers), then back and forth */
    int ks[200];
    int n = 0;
    for (int k = 1; k < NKINDS; k++) {
        ks[n++] = 0;
        ks[n++] = k;
    }
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < NKINDS; k++)
            ks[n++] = k;
    for (int i = 0; i < 60; i++)
        ks[n++] = (i * 7 + i / 5) % NKINDS;
    struct batch *v1 = encode_seq(1, ks, n);
    struct batch *v2 = encode_seq(2, ks, n);
    struct buf back = { 0 };
    size_t used = 0;
    const char *why = wire2_to_v1(v2->data, v2->len, &back, &used);
    cr_assert_null(why, "%s", why);
    cr_assert_eq(back.len, v1->len);
    cr_assert(memcmp(back.p, v1->data, v1->len) == 0, "rebuilt entries differ from version 1");
    buf_free(&back);
    batch_free(v1);
    batch_free(v2);
}

Test(wire_v2, lz4_frames_decode_to_the_same_json)
{
    struct batch *v1 = encode_all(1, OUTPUT_COMPRESS_LZ4, 4);
    struct batch *v2 = encode_all(2, OUTPUT_COMPRESS_LZ4, 4);
    struct buf j1 = { 0 }, j2 = { 0 };
    to_json(v1, &j1);
    to_json(v2, &j2);
    cr_assert_eq(j1.len, j2.len);
    cr_assert(memcmp(j1.p, j2.p, j1.len) == 0);
    buf_append_str(&j2, "", 0);
    /* the cases are really there */
    cr_assert(strstr((char *)j2.p, "\"_path\":\"/x\""));
    cr_assert(strstr((char *)j2.p, "\"_message\":\"hi\""));
    cr_assert(strstr((char *)j2.p, "\"_kind\":\"weird\""));
    cr_assert(strstr((char *)j2.p, "\"tags\":[\"a\",\"b1\"]"));
    cr_assert(strstr((char *)j2.p, "\"truncated\":true,\"repeat\":6"));
    cr_assert(strstr((char *)j2.p, "\"parse_error\":\"no timestamp\""));
    cr_assert(strstr((char *)j2.p, "\"nul\":\"\\u0000x\\u0000\""));
    cr_assert(strstr((char *)j2.p, "\"user\":\"\\u00c3(\""));
    cr_assert(strstr((char *)j2.p, "\"count\":-42,\"pid\":-7"));
    cr_assert(strstr((char *)j2.p, "\"min\":-9223372036854775808"));
    cr_assert(strstr((char *)j2.p, "\"c\":\"normalised\""));
    /* before the epoch: EventTime seconds are uint32, in both versions alike */
    cr_assert(strstr((char *)j2.p, "\"time\":\"2106-02-07T06:28:14.500000000Z\""));
    /* content: one frame, linked blocks (FLG bit 5 clear), independent for v1 */
    cr_assert_eq(v2->data[4] & 0x20, 0);
    cr_assert_eq(v1->data[4] & 0x20, 0x20);
    cr_assert_gt(v2->raw_len, v2->len);
    buf_free(&j1);
    buf_free(&j2);
    batch_free(v1);
    batch_free(v2);
}

/* ---- a realistic mixed batch: JSON app lines, auth syslog, plain text ---- */

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void mixed(struct trec *t, int i)
{
    static const char *const users[] = { "alice", "bob", "carol", "dave", "erin", "root" };
    static const char *const paths[] = { "/api/v1/users/me", "/api/v2/search", "/api/v1/orders", "/health" };
    char tmp[400];
    int n;
    base(t, i);
    struct record *r = &t->r;
    r->ts = 1763463600000000000LL + (int64_t)i * 37000000LL;
    switch (rnd(20)) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8: {
        const char *u = users[rnd(6)], *p = paths[rnd(4)];
        int st = rnd(10) ? 200 : 404, lat = (int)rnd(900);
        n = snprintf(tmp, sizeof(tmp),
                     "{\"ts\":\"2026-11-18T11:06:%02d.%03dZ\",\"level\":\"info\",\"msg\":\"request served\","
                     "\"method\":\"GET\",\"path\":\"%s\",\"status\":%d,\"user\":\"%s\",\"latency_ms\":%d}",
                     i % 60, i % 1000, p, st, u, lat);
        put_line(t, tmp, (size_t)n);
        snprintf(tmp, sizeof(tmp), "2026-11-18T11:06:%02d.%03dZ", i % 60, i % 1000);
        record_add_str(r, SPAN_LIT("ts"), in_line(t, tmp));
        record_add_str(r, SPAN_LIT("level"), in_line(t, "info"));
        record_add_str(r, SPAN_LIT("msg"), in_line(t, "request served"));
        record_add_str(r, SPAN_LIT("method"), in_line(t, "GET"));
        record_add_str(r, SPAN_LIT("path"), in_line(t, p));
        record_add_int(r, SPAN_LIT("status"), st);
        snprintf(tmp, sizeof(tmp), "\"%s\"", u);
        struct span us = in_line(t, tmp);
        record_add_str(r, SPAN_LIT("user"), span_make(us.p + 1, us.len - 2));
        record_add_int(r, SPAN_LIT("latency_ms"), lat);
        break;
    }
    case 9: case 10: case 11: case 12: case 13: case 14: case 15: {
        const char *u = users[rnd(6)];
        int pid = 1000 + (int)rnd(60000), port = 1024 + (int)rnd(60000);
        n = snprintf(tmp, sizeof(tmp),
                     "Nov 18 11:06:%02d web-1 sshd[%d]: Failed password for invalid user %s from "
                     "45.%u.%u.%u port %d ssh2", i % 60, pid, u, rnd(256), rnd(256), rnd(256), port);
        put_line(t, tmp, (size_t)n);
        r->tag = r->input = SPAN_LIT("auth");
        r->path = SPAN_LIT("/var/log/auth.log");
        r->kind = KIND_AUTH;
        record_add_str(r, SPAN_LIT("service"), in_line(t, "sshd"));
        record_add_int(r, SPAN_LIT("pid"), pid);
        record_add_str(r, SPAN_LIT("action"), record_copy(r, "failed", 6));
        snprintf(tmp, sizeof(tmp), " %s ", u);
        struct span us = in_line(t, tmp);
        record_add_str(r, SPAN_LIT("user"), span_make(us.p + 1, us.len - 2));
        const char *ip = strstr(t->line, "45.");
        record_add_str(r, SPAN_LIT("src_ip"), span_make(ip, strcspn(ip, " ")));
        record_add_int(r, SPAN_LIT("src_port"), port);
        record_add_str(r, SPAN_LIT("method"), record_copy(r, "password", 8));
        break;
    }
    default:
        n = snprintf(tmp, sizeof(tmp),
                     "2026-11-18 11:06:%02d.%03d INFO [worker-%u] com.example.shop.OrderService - "
                     "order %u processed in %u ms", i % 60, i % 1000, rnd(16), 100000 + rnd(900000),
                     rnd(1000));
        put_line(t, tmp, (size_t)n);
        r->tag = r->input = SPAN_LIT("plain");
        r->path = SPAN_LIT("/var/log/plain.log");
        r->kind = KIND_RAW;
        break;
    }
}

static size_t mixed_size(int wire)
{
    rng = 88172645463325252ull;
    struct batch_writer *w = batch_writer_new(OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_LZ4);
    batch_writer_set_wire(w, wire);
    struct trec *t = calloc(1, sizeof(*t));
    for (int i = 0; i < 4000; i++) {
        mixed(t, i);
        cr_assert_eq(batch_writer_add(w, &t->r), 0);
    }
    free(t);
    struct batch *b = batch_writer_finish(w);
    size_t len = b->len;
    batch_free(b);
    batch_writer_free(w);
    return len;
}

Test(wire_v2, a_mixed_batch_is_less_than_half_of_version_1)
{
    size_t v1 = mixed_size(1), v2 = mixed_size(2);
    cr_log_info("mixed batch of 4000: v1 %zu bytes, v2 %zu bytes (%.2f)", v1, v2, (double)v2 / (double)v1);
    cr_assert_lt(v2 * 2, v1, "v2 %zu bytes, v1 %zu bytes", v2, v1);
}

Test(wire_v2, other_formats_and_plugin_encoders_stay_version_1)
{
    struct batch_writer *w = batch_writer_new(OUTPUT_FORMAT_JSON, OUTPUT_COMPRESS_NONE);
    cr_assert_eq(batch_writer_set_wire(w, 2), 0);
    cr_assert_eq(batch_writer_wire(w), 1);
    batch_writer_free(w);
    w = batch_writer_new(OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_NONE);
    cr_assert_eq(batch_writer_wire(w), 1, "version 1 unless asked");
    struct trec *t = calloc(1, sizeof(*t));
    make(t, 0, 0);
    cr_assert_eq(batch_writer_add(w, &t->r), 0);
    cr_assert_eq(batch_writer_set_wire(w, 2), -1, "not in the middle of a batch");
    free(t);
    batch_writer_free(w);
}

/* ---- hostile contents ---- */

Test(wire_v2, every_truncation_and_byte_flip_is_refused_or_decoded_safely)
{
    struct batch *v2 = encode_all(2, OUTPUT_COMPRESS_NONE, 1);
    struct buf out = { 0 };
    size_t used;
    for (size_t n = 0; n < v2->len; n++) {
        out.len = 0;
        cr_assert_not_null(wire2_to_v1(v2->data, n, &out, &used), "cut at %zu accepted", n);
        cr_assert_eq(out.len, 0);
    }
    unsigned char *copy = malloc(v2->len);
    static const unsigned char vals[] = { 0x00, 0x01, 0x7f, 0x80, 0xc0, 0xcc, 0xce, 0xd3, 0xdc, 0xff };
    for (size_t i = 0; i < v2->len; i++)
        for (size_t k = 0; k < sizeof(vals); k++) {
            memcpy(copy, v2->data, v2->len);
            copy[i] = vals[k];
            out.len = 0;
            wire2_to_v1(copy, v2->len, &out, &used);   /* ASan: no overrun */
        }
    free(copy);
    buf_free(&out);
    batch_free(v2);
}

/* A hand-made content map: one record "abc" unless a test changes a part. */
struct hand {
    int64_t n, unit, rest_len, cls, gap;
    const char *rest, *vals;
    bool ref;              /* the shape has one top-level reference "k" */
    bool iref;
};

static void pk_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

static void pk_bin(msgpack_packer *pk, const char *s)
{
    msgpack_pack_bin(pk, strlen(s));
    msgpack_pack_bin_body(pk, s, strlen(s));
}

static const char *decode_hand(const struct hand *h, struct buf *out)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 18);
    pk_str(&pk, "vigil_wire");
    msgpack_pack_int(&pk, 2);
    pk_str(&pk, "n");
    msgpack_pack_int64(&pk, h->n);
    pk_str(&pk, "ts_unit");
    msgpack_pack_int64(&pk, h->unit);
    pk_str(&pk, "sources");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 5);
    pk_str(&pk, "t");
    pk_str(&pk, "i");
    pk_str(&pk, "h");
    msgpack_pack_nil(&pk);
    pk_str(&pk, "raw");
    pk_str(&pk, "keys");
    msgpack_pack_array(&pk, 1);
    pk_str(&pk, "k");
    pk_str(&pk, "shapes");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, h->ref ? 5 : 3);
    msgpack_pack_int(&pk, 0);
    msgpack_pack_nil(&pk);
    msgpack_pack_int(&pk, h->ref ? 1 : 0);
    if (h->ref) {
        msgpack_pack_int(&pk, 0);
        msgpack_pack_int(&pk, h->iref ? W2_IREF : W2_REF);
    }
    pk_str(&pk, "classes");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_int(&pk, 0);
    msgpack_pack_int(&pk, 0);
    pk_str(&pk, "class");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_int64(&pk, h->cls);
    pk_str(&pk, "ts");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_int(&pk, 5);
    pk_str(&pk, "rest_len");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_int64(&pk, h->rest_len);
    pk_str(&pk, "rest");
    pk_bin(&pk, h->rest);
    pk_str(&pk, "ref_gap");
    msgpack_pack_array(&pk, h->ref);
    if (h->ref)
        msgpack_pack_int64(&pk, h->gap);
    pk_str(&pk, "ref_len");
    msgpack_pack_array(&pk, h->ref);
    if (h->ref)
        msgpack_pack_int64(&pk, (int64_t)strlen(h->vals));
    pk_str(&pk, "vals");
    pk_bin(&pk, h->vals);
    const char *empty[] = { "ints", "doubles", "strs", "repeat" };
    for (int i = 0; i < 4; i++) {
        pk_str(&pk, empty[i]);
        msgpack_pack_array(&pk, 0);
    }
    size_t used;
    out->len = 0;
    const char *why = wire2_to_v1((const unsigned char *)sb.data, sb.size, out, &used);
    msgpack_sbuffer_destroy(&sb);
    return why;
}

static const struct hand good = { .n = 1, .unit = 1000, .rest_len = 3, .rest = "abc", .vals = "" };

Test(wire_v2, a_hand_made_content_decodes)
{
    struct buf out = { 0 };
    cr_assert_null(decode_hand(&good, &out));
    struct hand h = good;
    h.ref = true;
    h.gap = 1;
    h.vals = "XY";
    const char *why = decode_hand(&h, &out);
    cr_assert_null(why, "%s", why);
    buf_append(&out, "", 1);
    cr_assert(memmem(out.p, out.len, "aXYbc", 5), "the value is put back after its gap");
    h.iref = true;
    h.vals = "-12";
    cr_assert_null(decode_hand(&h, &out));
    buf_free(&out);
}

Test(wire_v2, hand_made_lies_are_refused)
{
    struct buf out = { 0 };
    struct hand h = good;
    h.rest_len = 4;
    cr_assert_str_eq(decode_hand(&h, &out), "v2: rest lengths do not add up");
    h = good;
    h.cls = 1;
    cr_assert_str_eq(decode_hand(&h, &out), "v2: record names no class");
    h = good;
    h.n = 1000000;
    cr_assert_str_eq(decode_hand(&h, &out), "v2: bad record count");
    h = good;
    h.unit = 3;
    cr_assert_str_eq(decode_hand(&h, &out), "v2: bad ts_unit");
    h = good;
    h.ref = true;
    h.gap = 4;
    h.vals = "x";
    cr_assert_str_eq(decode_hand(&h, &out), "v2: reference gap beyond its line");
    h.gap = 0;
    h.iref = true;
    const char *bad_ints[] = { "01", "-0", "+1", "", "-", "1a", "99999999999999999999", "9223372036854775808" };
    for (size_t i = 0; i < sizeof(bad_ints) / sizeof(bad_ints[0]); i++) {
        h.vals = bad_ints[i];
        cr_assert_str_eq(decode_hand(&h, &out), "v2: integer reference is not a canonical decimal",
                         "'%s' accepted", bad_ints[i]);
    }
    h.vals = "-9223372036854775808";
    cr_assert_null(decode_hand(&h, &out));
    cr_assert_eq(out.len > 0, true);
    buf_free(&out);
}

/* One record whose shape names a 64 KiB key 1200 times: 78 MB of version 1
 * from 70 KB. Refused, not built (the reader holds one record at a time and
 * no record that large). */
Test(wire_v2, a_content_that_would_explode_is_refused)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 18);
    pk_str(&pk, "vigil_wire");
    msgpack_pack_int(&pk, 2);
    pk_str(&pk, "n");
    msgpack_pack_int(&pk, 1);
    pk_str(&pk, "ts_unit");
    msgpack_pack_int(&pk, 1);
    pk_str(&pk, "sources");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 5);
    for (int i = 0; i < 3; i++)
        pk_str(&pk, "x");
    msgpack_pack_nil(&pk);
    pk_str(&pk, "raw");
    pk_str(&pk, "keys");
    msgpack_pack_array(&pk, 1);
    char *big = malloc(65536);
    memset(big, 'k', 65536);
    msgpack_pack_str(&pk, 65536);
    msgpack_pack_str_body(&pk, big, 65536);
    free(big);
    pk_str(&pk, "shapes");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 3 + 2 * 1200);
    msgpack_pack_int(&pk, 0);
    msgpack_pack_nil(&pk);
    msgpack_pack_int(&pk, 1200);
    for (int i = 0; i < 1200; i++) {
        msgpack_pack_int(&pk, 0);
        msgpack_pack_int(&pk, W2_NIL);
    }
    const char *rest[] = { "classes", "class", "ts", "rest_len", "rest", "ref_gap", "ref_len",
                           "vals", "ints", "doubles", "strs", "repeat" };
    for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
        pk_str(&pk, rest[i]);
        if (i == 0) {
            msgpack_pack_array(&pk, 1);
            msgpack_pack_array(&pk, 2);
            msgpack_pack_int(&pk, 0);
            msgpack_pack_int(&pk, 0);
        } else if (i <= 3) {
            msgpack_pack_array(&pk, 1);
            msgpack_pack_int(&pk, 0);
        } else if (i == 4 || i == 7) {
            msgpack_pack_bin(&pk, 0);
        } else {
            msgpack_pack_array(&pk, 0);
        }
    }
    struct buf out = { 0 };
    size_t used;
    cr_assert_str_eq(wire2_to_v1((const unsigned char *)sb.data, sb.size, &out, &used),
                     "v2: record too large");
    cr_assert_eq(out.len, 0);
    buf_free(&out);
    msgpack_sbuffer_destroy(&sb);
}
